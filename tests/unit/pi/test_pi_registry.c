/* test_pi_registry.c - the Pi model in src/pi/: ids, the one client.conf
 * writer (create as `add` does, set a learned key as `serve` does, read
 * back with the parser), the DISCOVER lookup, and core/tbuf's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/tbuf.h"
#include "pi/pi_id.h"
#include "pi/pi_registry.h"

static void t_ids(void **state)
{
	char id[18];
	uint8_t mac[6];
	uint32_t v;
	(void)state;
	assert_int_equal(pi_id_normalise("B66C4C16", id), 0);
	assert_string_equal(id, "b66c4c16");
	assert_int_equal(pi_id_normalise("DC:A6:32:01:02:03", id), 0);
	assert_string_equal(id, "dc-a6-32-01-02-03");
	assert_int_equal(pi_id_normalise("dc:a6-32:01:02:03", id), -EINVAL);
	assert_int_equal(pi_id_normalise("b66c4c1", id), -EINVAL);
	assert_int_equal(pi_mac_parse("b8-27-eb-3b-02-00", mac), 0);
	assert_true(pi_mac_is_pi(mac));
	assert_string_equal(pi_mac_str(mac, id), "b8:27:eb:3b:02:00");
	assert_int_equal(pi_hex_u32("a03111", &v), 0);
	assert_int_equal(v, 0xa03111);
	assert_string_equal(pi_board_model(v), "Pi 4 Model B");
	assert_int_equal(pi_hex_u32("123456789", &v), -EINVAL);
	assert_int_equal(pi_hex_u32("12g4", &v), -EINVAL);
}

static void mkdtemp_data(char *dir, size_t n, const char *id)
{
	char p[256];
	snprintf(dir, n, "/tmp/pnb-reg-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/clients", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/clients/%s", dir, id);
	assert_int_equal(mkdir(p, 0700), 0);
}

static void rm_data(const char *dir, const char *id)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/clients/%s/client.conf", dir, id);
	unlink(p);
	snprintf(p, sizeof(p), "%s/clients/%s", dir, id);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/clients", dir);
	rmdir(p);
	rmdir(dir);
}

/* add writes client.conf, serve learns a MAC into it, and the parser
 * reads back both: one writer, one format. */
static void t_conf_writer(void **state)
{
	char dir[64], cdir[128], path[160], err[256];
	struct client cl;
	struct stat st;
	(void)state;
	mkdtemp_data(dir, sizeof(dir), "b66c4c16");
	snprintf(cdir, sizeof(cdir), "%s/clients/b66c4c16", dir);
	snprintf(path, sizeof(path), "%s/client.conf", cdir);
	const struct client_conf_new c = { .name = "rack1-07", .image = "bookworm", .layout = "overlay",
					   .tftp_prefix = "pi7" };
	assert_int_equal(client_conf_create(cdir, &c), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(client_parse_file(&cl, path, "b66c4c16", err, sizeof(err)), 0);
	assert_string_equal(cl.name, "rack1-07");
	assert_string_equal(cl.image, "bookworm");
	assert_string_equal(cl.tftp_prefix, "pi7");
	assert_false(cl.has_mac);

	assert_int_equal(client_conf_set(dir, "b66c4c16", "mac", "dc:a6:32:01:02:03"), 0);
	assert_int_equal(client_conf_set(dir, "b66c4c16", "mac", "dc:a6:32:01:02:04"), 0); /* replaced, not doubled */
	assert_int_equal(client_parse_file(&cl, path, "b66c4c16", err, sizeof(err)), 0);
	assert_true(cl.has_mac);
	assert_int_equal(cl.mac[5], 4);
	assert_string_equal(cl.name, "rack1-07"); /* other lines kept */
	FILE *f = fopen(path, "r");
	char text[1024];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	assert_non_null(strstr(text, "# written by pinetboot add\n"));
	assert_null(strstr(strstr(text, "mac = ") + 1, "mac = "));
	rm_data(dir, "b66c4c16");
}

static void t_lookup(void **state)
{
	struct client v[2];
	struct clients reg = { v, 2 };
	const uint8_t pi3[6] = { 0xb8, 0x27, 0xeb, 0x3b, 0x02, 0x00 };
	const uint8_t other[6] = { 0xdc, 0xa6, 0x32, 9, 9, 9 };
	(void)state;
	memset(v, 0, sizeof(v));
	snprintf(v[0].id, sizeof(v[0].id), "123b0200");
	v[0].has_serial = true;
	v[0].serial = 0x123b0200;
	snprintf(v[1].id, sizeof(v[1].id), "dc-a6-32-09-09-09");
	v[1].has_mac = true;
	memcpy(v[1].mac, other, 6);
	/* A Pi 3B ROM shows only its MAC: the serial it implies. */
	assert_ptr_equal(clients_lookup(&reg, "b8-27-eb-3b-02-00", false, 0, pi3), &v[0]);
	assert_ptr_equal(clients_lookup(&reg, "aaaaaaaa", true, 0x123b0200, other), &v[0]);
	assert_ptr_equal(clients_lookup(&reg, "bbbbbbbb", true, 0xbbbbbbbb, other), &v[1]);
	assert_null(clients_lookup(&reg, "bbbbbbbb", true, 0xbbbbbbbb, pi3));
}

static void t_tbuf(void **state)
{
	char b[8];
	struct tbuf t;
	(void)state;
	tbuf_init_fixed(&t, b, sizeof(b));
	tbuf_printf(&t, "%d-%s", 12, "ab");
	assert_false(t.err);
	assert_string_equal(b, "12-ab");
	tbuf_puts(&t, "xyz"); /* 5 + 3 + NUL > 8 */
	assert_true(t.err);
	assert_string_equal(b, "12-ab");
	tbuf_init(&t, 16);
	for (int i = 0; i < 5; i++)
		tbuf_puts(&t, "abc");
	assert_false(t.err);
	assert_int_equal(t.len, 15);
	tbuf_puts(&t, "d");
	assert_true(t.err);
	tbuf_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_ids),
		cmocka_unit_test(t_conf_writer),
		cmocka_unit_test(t_lookup),
		cmocka_unit_test(t_tbuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
