/* test_tftp_fs.c - name cleaning, the per-client lookup with fallback
 * (by prefix and by the requesting address), escapes refused (.., absolute,
 * symlinks out), device nodes and FIFOs refused without being opened,
 * placeholder expansion and its memory budget, the access hook, and the
 * block streams (octet and netascii converted on the fly). */
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp/tftp_fs.h"
#include "tftp/tftp_stream.h"

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

/* Addresses the fake daemon knows: 7 is Pi b66c4c16, 9 is Pi c0ffee00
 * (whose boot dir holds planted nodes), 10 is Pi d00dfeed (whose boot dir
 * is a symlink to b66c4c16's), 11 is Pi 0badc0de (no directory at all). */
static void fake_vars_for_addr(void *ctx, uint32_t addr, struct tftp_vars *vars)
{
	static const char *const ids[] = { [7] = "b66c4c16", [9] = "c0ffee00", [10] = "d00dfeed",
					   [11] = "0badc0de" };
	(void)ctx;
	if (addr < sizeof(ids) / sizeof(ids[0]) && ids[addr])
		snprintf(vars->id, sizeof(vars->id), "%s", ids[addr]);
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
	/* Pi c0ffee00 planted a FIFO, symlinks out of its dir and a socket
	 * in its NFS-writable boot dir; d00dfeed's boot dir is a symlink. */
	snprintf(p, sizeof(p), "%s/clients/c0ffee00", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/config.txt", t->root);
	assert_int_equal(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/cmdline.txt", t->root);
	assert_int_equal(symlink("../../b66c4c16/boot/cmdline.txt", p), 0);
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/start.elf", t->root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/own.txt", t->root);
	write_file(p, "own");
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/alias.txt", t->root);
	assert_int_equal(symlink("own.txt", p), 0);
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/fifo-alias", t->root);
	assert_int_equal(symlink("config.txt", p), 0);
	snprintf(p, sizeof(p), "%s/clients/d00dfeed", t->root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/d00dfeed/boot", t->root);
	assert_int_equal(symlink("../b66c4c16/boot", p), 0);
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

static struct tftp_fs tree_fs(const struct tree *t)
{
	struct tftp_fs fs;
	memset(&fs, 0, sizeof(fs));
	fs.boot_fd = t->boot;
	fs.clients_fd = t->clients;
	fs.hooks.authorize = fake_auth;
	fs.hooks.vars_for_addr = fake_vars_for_addr;
	return fs;
}

static int open_in(struct tftp_fs *fs, const char *name, uint32_t addr, struct tftp_open *o)
{
	struct tftp_vars v;
	char clean[256];
	memset(&v, 0, sizeof(v));
	snprintf(v.server, sizeof(v.server), "10.0.0.1");
	int r = tftp_path_clean(name, clean, sizeof(clean));
	if (r < 0)
		return r;
	return tftp_fs_open(fs, clean, addr, &v, o);
}

static int open_name(struct tree *t, const char *name, uint32_t addr, struct tftp_open *o)
{
	struct tftp_fs fs = tree_fs(t);
	return open_in(&fs, name, addr, o);
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
	assert_int_equal(open_name(t, "fifo", 1, &o), -EPERM);
	assert_int_equal(open_name(t, "overlays", 1, &o), -ENOENT);
	assert_int_equal(open_name(t, "b66c4c16/../../secret", 7, &o), -EACCES);
	/* a symlink that stays inside is fine */
	assert_int_equal(open_name(t, "inside", 1, &o), 0);
	tftp_open_release(&o);
}

/* A name without a prefix from an address that belongs to a registered
 * Pi: that Pi's boot dir first, then the shared one. */
static void t_prefixless(void **state)
{
	struct tree *t = *state;
	struct tftp_open o;
	char buf[128];

	assert_int_equal(open_name(t, "cmdline.txt", 7, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "mine b66c4c16");
	assert_true(o.per_client);
	assert_string_equal(o.id, "b66c4c16");
	tftp_open_release(&o);

	/* not in its own dir: the shared file, still known as that Pi's */
	assert_int_equal(open_name(t, "start.elf", 7, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "shared start");
	assert_false(o.per_client);
	assert_string_equal(o.id, "b66c4c16");
	tftp_open_release(&o);
	assert_int_equal(open_name(t, "nothere.bin", 7, &o), -ENOENT);

	/* an unknown address gets the shared files */
	assert_int_equal(open_name(t, "cmdline.txt", 1, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "root=10.0.0.1");
	assert_false(o.per_client);
	assert_string_equal(o.id, "");
	tftp_open_release(&o);

	/* a known Pi without a directory of its own: shared */
	assert_int_equal(open_name(t, "start.elf", 11, &o), 0);
	assert_false(o.per_client);
	tftp_open_release(&o);
}

/* What a Pi planted in its own boot dir is refused, not opened, and not
 * papered over with the shared file. */
static void t_planted(void **state)
{
	struct tree *t = *state;
	struct tftp_open o;
	char buf[128];

	/* A FIFO without a writer: an open() for reading would block. */
	alarm(10);
	assert_int_equal(open_name(t, "config.txt", 9, &o), -EPERM);
	assert_int_equal(open_name(t, "fifo-alias", 9, &o), -EPERM);
	alarm(0);
	/* symlinks out of its own dir: to another Pi's file, to /etc */
	assert_int_equal(open_name(t, "cmdline.txt", 9, &o), -EACCES);
	assert_int_equal(open_name(t, "start.elf", 9, &o), -EACCES);
	/* a symlink inside its own dir is its own business */
	assert_int_equal(open_name(t, "alias.txt", 9, &o), 0);
	read_all(&o, buf, sizeof(buf));
	assert_string_equal(buf, "own");
	tftp_open_release(&o);
	/* a boot dir that is a symlink (to another Pi's) is never entered */
	assert_int_equal(open_name(t, "cmdline.txt", 10, &o), -EACCES);
	/* the same refusal through the prefix path */
	bound_addr = 7;
	assert_int_equal(open_name(t, "b66c4c16/cmdline.txt", 7, &o), 0);
	tftp_open_release(&o);
}

/* Device nodes (root only: mknod). /dev/zero's numbers: opening it would
 * stream zeros forever; it must be refused on the O_PATH fd's type. */
static void t_planted_devices(void **state)
{
	struct tree *t = *state;
	struct tftp_open o;
	char p[256];
	if (geteuid() != 0) {
		skip();
		return;
	}
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/kernel8.img", t->root);
	assert_int_equal(mknod(p, S_IFCHR | 0644, makedev(1, 5)), 0);
	snprintf(p, sizeof(p), "%s/clients/c0ffee00/boot/bootcode.bin", t->root);
	assert_int_equal(mknod(p, S_IFBLK | 0644, makedev(7, 0)), 0);
	snprintf(p, sizeof(p), "%s/boot/zero", t->root);
	assert_int_equal(mknod(p, S_IFCHR | 0644, makedev(1, 5)), 0);
	assert_int_equal(open_name(t, "kernel8.img", 9, &o), -EPERM);
	assert_int_equal(open_name(t, "bootcode.bin", 9, &o), -EPERM);
	assert_int_equal(open_name(t, "zero", 1, &o), -EPERM);
	assert_int_equal(open_name(t, "zero", 9, &o), -EPERM); /* fallback reaches it */
}

/* Expanded text is held against a per-server budget. */
static void t_blob_budget(void **state)
{
	struct tree *t = *state;
	struct tftp_fs fs = tree_fs(t);
	struct tftp_open a, b, c;
	size_t one = strlen("root=10.0.0.1");

	fs.blob_max = one + one / 2; /* room for one expansion, not two */
	assert_int_equal(open_in(&fs, "cmdline.txt", 1, &a), 0);
	assert_non_null(a.blob);
	assert_int_equal(fs.blob_used, one);
	assert_int_equal(open_in(&fs, "cmdline.txt", 1, &b), -EBUSY);
	assert_int_equal(fs.blob_used, one);
	/* files without placeholders cost nothing */
	assert_int_equal(open_in(&fs, "start.elf", 1, &c), 0);
	assert_null(c.blob);
	tftp_open_release(&c);
	tftp_open_release(&a);
	assert_int_equal(fs.blob_used, 0);
	assert_int_equal(open_in(&fs, "cmdline.txt", 1, &b), 0);
	tftp_open_release(&b);
	assert_int_equal(fs.blob_used, 0);
}

/* Collect a stream block by block the way the server asks: a window of
 * blocks from base, the window sometimes resent (a lost block), base
 * advancing by the ACKs. Returns the bytes in out. */
static size_t collect(struct tftp_stream *st, unsigned window, uint8_t *out, size_t cap)
{
	uint64_t base = 1;
	size_t n = 0;
	for (unsigned round = 0; base <= tftp_stream_nblocks(st); round++) {
		uint64_t end = base + window - 1;
		/* every third round the window is lost and sent again */
		for (int pass = 0; pass < (round % 3 == 1 ? 2 : 1); pass++) {
			for (uint64_t b = base; b <= end && b <= tftp_stream_nblocks(st); b++) {
				const uint8_t *pl;
				ssize_t len = tftp_stream_block(st, b, base, &pl);
				size_t off = (size_t)(b - 1) * st->blksize;
				assert_true(len >= 0 && (size_t)len <= st->blksize);
				assert_true(off + (size_t)len <= cap);
				if (len && pass == 0)
					memcpy(out + off, pl, (size_t)len);
				else if (len)
					assert_memory_equal(pl, out + off, (size_t)len);
				if (off + (size_t)len > n)
					n = off + (size_t)len;
			}
		}
		/* on odd rounds only half the window is acked (a lost block) */
		uint64_t acked = (round % 2 && window > 1) ? base + window / 2 - 1 : end;
		uint64_t last = tftp_stream_nblocks(st);
		base = (acked > last ? last : acked) + 1;
	}
	return n;
}

static void check_stream(const uint8_t *raw, size_t rawn, bool blob, uint16_t blksize,
			 unsigned window, int fd)
{
	struct tftp_open src;
	struct tftp_stream st;
	memset(&src, 0, sizeof(src));
	src.fd = blob ? -1 : fd;
	uint8_t *copy = NULL;
	if (blob) {
		copy = malloc(rawn ? rawn : 1);
		assert_non_null(copy);
		memcpy(copy, raw, rawn);
	}
	src.blob = copy;
	src.size = rawn;
	size_t want = tftp_netascii_encode(raw, rawn, NULL, 0);
	uint8_t *exp = malloc(want + 1), *got = malloc(want + blksize + 1);
	assert_non_null(exp);
	assert_non_null(got);
	tftp_netascii_encode(raw, rawn, exp, want);
	tftp_stream_init(&st, &src, true, blksize, (size_t)blksize * window);
	assert_int_equal(tftp_stream_nblocks(&st), TFTP_STREAM_UNKNOWN);
	size_t n = collect(&st, window, got, want + blksize);
	assert_int_equal(n, want);
	assert_memory_equal(got, exp, want);
	assert_int_equal(tftp_stream_size(&st), want);
	assert_int_equal(tftp_stream_nblocks(&st), want / blksize + 1);
	assert_true(st.cap <= (size_t)blksize * window);
	tftp_stream_free(&st);
	/* octet of the same source: the bytes as they are */
	tftp_stream_init(&st, &src, false, blksize, (size_t)blksize * window);
	n = collect(&st, window, got, rawn + blksize);
	assert_int_equal(n, rawn);
	assert_memory_equal(got, raw, rawn);
	tftp_stream_free(&st);
	free(exp);
	free(got);
	free(copy);
}

static void t_stream(void **state)
{
	struct tree *t = *state;
	char p[256];
	/* CR, LF, CR LF, a CR as the last byte of block 1 (its NUL opens
	 * block 2), LF at the very end, and a size whose conversion is an
	 * exact multiple of the block size. */
	uint8_t raw[5000];
	size_t n = 0;
	for (size_t i = 0; i < 511; i++)
		raw[n++] = (uint8_t)('a' + i % 26);
	raw[n++] = '\r';                           /* converted bytes 511, 512 */
	memcpy(raw + n, "x\ny\r\nz\rw", 8);
	n += 8;
	while (n < sizeof(raw) - 1) {
		raw[n] = (uint8_t)"ab\n\r\r\n\nc"[n % 8];
		n++;
	}
	raw[n++] = '\n';
	snprintf(p, sizeof(p), "%s/stream.bin", t->root);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, n, f), n);
	fclose(f);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	static const struct {
		uint16_t blksize;
		unsigned window;
	} v[] = { { 512, 1 }, { 512, 4 }, { 8, 1 }, { 8, 7 }, { 1468, 3 }, { 100, 16 } };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		check_stream(raw, n, false, v[i].blksize, v[i].window, fd);
		check_stream(raw, n, true, v[i].blksize, v[i].window, fd);
		check_stream(raw, 512, false, v[i].blksize, v[i].window, fd);
		check_stream(raw, 0, false, v[i].blksize, v[i].window, fd);
	}
	/* converted size an exact multiple of 512: "a\n" * 256 -> 1024 bytes,
	 * three blocks, the last one empty */
	uint8_t lines[512];
	for (size_t i = 0; i < sizeof(lines); i++)
		lines[i] = i % 2 ? '\n' : 'a';
	assert_int_equal(tftp_netascii_encode(lines, sizeof(lines), NULL, 0), 768);
	check_stream(lines, sizeof(lines), true, 256, 1, -1);
	check_stream(lines, sizeof(lines), true, 512, 2, -1);

	/* a file that shrinks under a netascii transfer fails, it does not
	 * send made-up bytes */
	struct tftp_open src;
	struct tftp_stream st;
	const uint8_t *pl;
	memset(&src, 0, sizeof(src));
	src.fd = fd;
	src.size = n + 100000;
	tftp_stream_init(&st, &src, true, 512, 512);
	ssize_t r = 0;
	uint64_t b;
	for (b = 1; b < 100 && r >= 0; b++)
		r = tftp_stream_block(&st, b, b, &pl);
	assert_true(r < 0);
	/* going back before base is refused */
	tftp_stream_free(&st);
	tftp_stream_init(&st, &src, true, 512, 1024);
	assert_true(tftp_stream_block(&st, 3, 3, &pl) == 512);
	assert_true(tftp_stream_block(&st, 1, 1, &pl) < 0);
	assert_true(tftp_stream_block(&st, 2, 3, &pl) < 0);
	tftp_stream_free(&st);
	close(fd);
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
		cmocka_unit_test_setup_teardown(t_prefixless, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(t_planted, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(t_planted_devices, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(t_blob_budget, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(t_stream, setup_tree, teardown_tree),
		cmocka_unit_test(t_expected_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
