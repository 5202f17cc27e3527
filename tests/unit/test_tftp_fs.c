/* test_tftp_fs.c - name cleaning, the per-client lookup with fallback,
 * escapes refused (.., absolute, symlinks out, devices), placeholder
 * expansion and the access hook. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp/tftp_fs.h"

static void t_clean_good(void **state)
{
	char out[256];
	static const struct {
		const char *in, *want;
	} v[] = {
		{ "start4.elf", "start4.elf" },
		{ "/start4.elf", "start4.elf" },
		{ "b66c4c16//config.txt", "b66c4c16/config.txt" }, /* Pi 5 doubled slash */
		{ "//overlays/./x.dtbo", "overlays/x.dtbo" },
		{ "a/b/c", "a/b/c" },
		{ "..foo", "..foo" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(tftp_path_clean(v[i].in, out, sizeof(out)), 0);
		assert_string_equal(out, v[i].want);
	}
}

static void t_clean_bad(void **state)
{
	char out[256];
	(void)state;
	assert_int_equal(tftp_path_clean("../etc/passwd", out, sizeof(out)), -EACCES);
	assert_int_equal(tftp_path_clean("a/../../b", out, sizeof(out)), -EACCES);
	assert_int_equal(tftp_path_clean("a/..", out, sizeof(out)), -EACCES);
	assert_int_equal(tftp_path_clean("a\\..\\b", out, sizeof(out)), -EINVAL);
	assert_int_equal(tftp_path_clean("a\nb", out, sizeof(out)), -EINVAL);
	assert_int_equal(tftp_path_clean("a\x7f", out, sizeof(out)), -EINVAL);
	assert_int_equal(tftp_path_clean("", out, sizeof(out)), -EINVAL);
	assert_int_equal(tftp_path_clean("///", out, sizeof(out)), -EINVAL);
	assert_int_equal(tftp_path_clean("./.", out, sizeof(out)), -EINVAL);
	assert_int_equal(tftp_path_clean("abcdef", out, 4), -EINVAL);
}

static void t_expand(void **state)
{
	struct tftp_vars v;
	uint8_t *out;
	size_t n;
	(void)state;
	memset(&v, 0, sizeof(v));
	snprintf(v.server, sizeof(v.server), "10.1.2.3");
	snprintf(v.id, sizeof(v.id), "b66c4c16");
	snprintf(v.name, sizeof(v.name), "node1");
	const char *in = "nfsroot=${server}:/clients/${id},vers=3 ${name} ${unknown} ${ $";
	assert_int_equal(tftp_expand((const uint8_t *)in, strlen(in), &v, &out, &n), 0);
	const char *want = "nfsroot=10.1.2.3:/clients/b66c4c16,vers=3 node1 ${unknown} ${ $";
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	free(out);
	/* truncated placeholder at the very end */
	assert_int_equal(tftp_expand((const uint8_t *)"x${ser", 6, &v, &out, &n), 0);
	assert_int_equal(n, 6);
	free(out);
	assert_int_equal(tftp_expand((const uint8_t *)"", 0, &v, &out, &n), 0);
	assert_int_equal(n, 0);
	free(out);
}

struct tree {
	char root[64];
	int boot, clients;
};

static int bound_addr;

static enum tftp_auth fake_auth(void *ctx, const char *id, uint32_t addr, struct tftp_vars *vars)
{
	(void)ctx;
	if (strcmp(id, "b66c4c16") != 0)
		return TFTP_AUTH_UNKNOWN;
	snprintf(vars->id, sizeof(vars->id), "%s", id);
	return (int)addr == bound_addr ? TFTP_AUTH_OK : TFTP_AUTH_DENIED;
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int setup_tree(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char p[256];
	snprintf(t->root, sizeof(t->root), "/tmp/pnb-fs-XXXXXX");
	if (!mkdtemp(t->root))
		return -1;
	snprintf(p, sizeof(p), "%s/boot", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/boot/overlays", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/b66c4c16", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/b66c4c16/boot", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/boot/start.elf", t->root);
	write_file(p, "shared start");
	snprintf(p, sizeof(p), "%s/boot/cmdline.txt", t->root);
	write_file(p, "root=${server}");
	snprintf(p, sizeof(p), "%s/clients/b66c4c16/boot/cmdline.txt", t->root);
	write_file(p, "mine ${id}");
	snprintf(p, sizeof(p), "%s/secret", t->root);
	write_file(p, "secret");
	snprintf(p, sizeof(p), "%s/boot/escape", t->root);
	assert_int_equal(symlink("../secret", p), 0);
	snprintf(p, sizeof(p), "%s/boot/abs", t->root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/boot/inside", t->root);
	assert_int_equal(symlink("start.elf", p), 0);
	snprintf(p, sizeof(p), "%s/boot/fifo", t->root);
	assert_int_equal(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/boot", t->root);
	t->boot = open(p, O_PATH | O_DIRECTORY);
	snprintf(p, sizeof(p), "%s/clients", t->root);
	t->clients = open(p, O_PATH | O_DIRECTORY);
	*state = t;
	return 0;
}

static int teardown_tree(void **state)
{
	struct tree *t = *state;
	char cmd[128];
	close(t->boot);
	close(t->clients);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->root);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static int open_name(struct tree *t, const char *name, uint32_t addr, struct tftp_open *o)
{
	struct tftp_hooks h = { fake_auth, NULL, NULL };
	struct tftp_vars v;
	char clean[256];
	memset(&v, 0, sizeof(v));
	snprintf(v.server, sizeof(v.server), "10.0.0.1");
	int r = tftp_path_clean(name, clean, sizeof(clean));
	if (r < 0)
		return r;
	return tftp_fs_open(t->boot, t->clients, clean, addr, &h, &v, o);
}

static void read_all(const struct tftp_open *o, char *buf, size_t cap)
{
	memset(buf, 0, cap);
	if (o->blob) {
		memcpy(buf, o->blob, o->size < cap - 1 ? o->size : cap - 1);
	} else {
		ssize_t n = pread(o->fd, buf, cap - 1, 0);
		assert_true(n >= 0);
	}
}

static void t_open(void **state)
{
	struct tree *t = *state;
	struct tftp_open o;
	char buf[128];
	bound_addr = 7;

	assert_int_equal(open_name(t, "start.elf", 1, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "shared start");
	assert_false(o.per_client);
	tftp_open_release(&o);

	/* shared text file: placeholders expanded, size follows */
	assert_int_equal(open_name(t, "cmdline.txt", 1, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "root=10.0.0.1");
	assert_int_equal(o.size, strlen("root=10.0.0.1"));
	tftp_open_release(&o);

	/* registered prefix from the bound address: own file, then fallback */
	assert_int_equal(open_name(t, "b66c4c16/cmdline.txt", 7, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "mine b66c4c16");
	assert_true(o.per_client);
	tftp_open_release(&o);
	assert_int_equal(open_name(t, "B66C4C16//start.elf", 7, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "shared start");
	tftp_open_release(&o);

	/* another address may not read that Pi's files */
	assert_int_equal(open_name(t, "b66c4c16/cmdline.txt", 8, &o), -EACCES);
	/* an unregistered prefix is "not found" so the Pi clears it */
	assert_int_equal(open_name(t, "deadbeef/start.elf", 7, &o), -ENOENT);
	assert_int_equal(open_name(t, "nothere.bin", 7, &o), -ENOENT);

	/* escapes */
	assert_int_equal(open_name(t, "../secret", 1, &o), -EACCES);
	assert_int_equal(open_name(t, "escape", 1, &o), -EACCES);
	assert_int_equal(open_name(t, "abs", 1, &o), -EACCES);
	assert_int_equal(open_name(t, "fifo", 1, &o), -EACCES);
	assert_int_equal(open_name(t, "overlays", 1, &o), -ENOENT);
	assert_int_equal(open_name(t, "b66c4c16/../../secret", 7, &o), -EACCES);
	/* a symlink that stays inside is fine */
	assert_int_equal(open_name(t, "inside", 1, &o), 0);
	tftp_open_release(&o);
}

static void t_expected_missing(void **state)
{
	(void)state;
	assert_true(tftp_expected_missing("bootsig.bin"));
	assert_true(tftp_expected_missing("b66c4c16/start4.elf"));
	assert_true(tftp_expected_missing("armstub8-gic.bin"));
	assert_false(tftp_expected_missing("kernel8.img"));
	assert_false(tftp_expected_missing("cmdline.txt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_clean_good),
		cmocka_unit_test(t_clean_bad),
		cmocka_unit_test(t_expand),
		cmocka_unit_test_setup_teardown(t_open, setup_tree, teardown_tree),
		cmocka_unit_test(t_expected_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
