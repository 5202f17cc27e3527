/* test_daemon.c - pinetboot.conf parsing (every error names file:line),
 * client.conf validation and the discovered-Pis file round trip. */
#include <errno.h>
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

#include "core/net.h"
#include "daemon/clients.h"
#include "daemon/config.h"

static char dir[64];

static int mk(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pnb-daemon-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int rm(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *rel, const char *content)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void t_config_defaults(void **state)
{
	struct config c;
	char err[256];
	(void)state;
	config_defaults(&c);
	assert_int_equal(c.dhcp_port, 67);
	assert_int_equal(c.tftp_port, 69);
	assert_int_equal(c.answer, ANSWER_KNOWN);
	assert_int_equal(c.dhcp, DHCP_PROXY);
	assert_string_equal(c.data_dir, "/srv/pinetboot");
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
}

static void t_config_file(void **state)
{
	struct config c;
	char err[512], p[256];
	(void)state;
	config_defaults(&c);
	put("good.conf", "# comment\ninterface = eth0,eth1\nanswer = all\ntftp-port = 1069\n"
			 "admin-networks = 10.9.0.0/16, 192.168.7.5\nlog-level = debug\n");
	snprintf(p, sizeof(p), "%s/good.conf", dir);
	assert_int_equal(config_load_file(&c, p, false, err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), 0);
	assert_string_equal(c.interface, "eth0,eth1");
	assert_int_equal(c.answer, ANSWER_ALL);
	assert_int_equal(c.tftp_port, 1069);
	assert_int_equal(c.n_admin, 2);
	uint32_t a;
	net_aton("10.9.200.1", &a);
	assert_true(config_is_admin(&c, a));
	net_aton("192.168.7.6", &a);
	assert_false(config_is_admin(&c, a));

	put("bad.conf", "answer = all\n\nbogus-key = 1\n");
	snprintf(p, sizeof(p), "%s/bad.conf", dir);
	assert_int_equal(config_load_file(&c, p, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad.conf:3: unknown key 'bogus-key'"));

	put("range.conf", "tftp-port = 70000\n");
	snprintf(p, sizeof(p), "%s/range.conf", dir);
	assert_int_equal(config_load_file(&c, p, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "range.conf:1:"));

	put("enum.conf", "dhcp = maybe\n");
	snprintf(p, sizeof(p), "%s/enum.conf", dir);
	assert_int_equal(config_load_file(&c, p, false, err, sizeof(err)), -1);

	put("syntax.conf", "answer = all\nthis line has no equals sign\n");
	snprintf(p, sizeof(p), "%s/syntax.conf", dir);
	assert_int_equal(config_load_file(&c, p, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "syntax.conf:2:"));

	snprintf(p, sizeof(p), "%s/missing.conf", dir);
	assert_int_equal(config_load_file(&c, p, true, err, sizeof(err)), 0);
	assert_int_equal(config_load_file(&c, p, false, err, sizeof(err)), -1);

	config_defaults(&c);
	assert_int_equal(config_set(&c, "admin-networks", "10.0.0.0/33", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&c, err, sizeof(err)), -1);
	assert_int_equal(config_set(&c, "pi3-spaced-menu", "yes", err, sizeof(err)), 0);
	assert_true(c.pi3_spaced_menu);
	assert_int_equal(config_set(&c, "pi3-spaced-menu", "perhaps", err, sizeof(err)), -1);
}

static void t_clients(void **state)
{
	char p[256], err[512];
	struct client cl;
	(void)state;
	snprintf(p, sizeof(p), "%s/clients", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/b66c4c16", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/dc-a6-32-01-02-03", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/NotAnId", dir);
	mkdir(p, 0755);
	put("clients/b66c4c16/client.conf", "name = node1\nmac = B8:27:EB:6C:4C:16\naddress = 10.0.0.42\n");
	put("clients/dc-a6-32-01-02-03/client.conf", "name = node2\n");
	put("clients/NotAnId/client.conf", "name = x\n");

	snprintf(p, sizeof(p), "%s/clients/b66c4c16/client.conf", dir);
	assert_int_equal(client_parse_file(&cl, p, "b66c4c16", err, sizeof(err)), 0);
	assert_true(cl.has_serial);
	assert_int_equal(cl.serial, 0xb66c4c16);
	assert_true(cl.has_mac);
	assert_int_equal(cl.mac[0], 0xb8);
	assert_string_equal(cl.name, "node1");

	struct clients reg;
	assert_int_equal(clients_load(&reg, dir), 2); /* NotAnId skipped */
	assert_non_null(clients_find_id(&reg, "b66c4c16"));
	assert_non_null(clients_find_id(&reg, "dc-a6-32-01-02-03"));
	assert_null(clients_find_id(&reg, "deadbeef"));
	static const uint8_t m[6] = { 0xdc, 0xa6, 0x32, 1, 2, 3 };
	assert_non_null(clients_find_mac(&reg, m));
	assert_non_null(clients_find_serial(&reg, 0xb66c4c16));
	/* A binding survives a reload while it was made with the Pi's MAC. */
	reg.v[0].bound_addr = 77;
	reg.v[0].verified_ms = 1234;
	reg.v[0].has_bound_mac = true;
	memcpy(reg.v[0].bound_mac, reg.v[0].mac, 6);
	struct clients reg2;
	assert_int_equal(clients_load(&reg2, dir), 2);
	clients_carry_state(&reg2, &reg);
	assert_int_equal(clients_find_id(&reg2, reg.v[0].id)->bound_addr, 77);
	/* ...but is checked again against the new registration first. */
	assert_int_equal(clients_find_id(&reg2, reg.v[0].id)->verified_ms, 0);
	clients_free(&reg2);
	/* One made with another MAC does not (the registry names the Pi's). */
	reg.v[0].bound_mac[5] ^= 1;
	assert_int_equal(clients_load(&reg2, dir), 2);
	clients_carry_state(&reg2, &reg);
	assert_int_equal(clients_find_id(&reg2, reg.v[0].id)->bound_addr, 0);
	clients_free(&reg);
	clients_free(&reg2);

	/* contradictions and bad values */
	static const char *const bad[] = {
		"serial = 12345678\n", "mac = zz:zz\n", "name = a b\n", "address = 10.0.0\n",
		"layout = raid\n", "colour = blue\n", "[section]\nname = x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put("clients/b66c4c16/client.conf", bad[i]);
		snprintf(p, sizeof(p), "%s/clients/b66c4c16/client.conf", dir);
		assert_int_equal(client_parse_file(&cl, p, "b66c4c16", err, sizeof(err)), -1);
		assert_non_null(strstr(err, "client.conf:"));
	}
}

static void t_discovery(void **state)
{
	struct discovery d;
	struct discovered x;
	(void)state;
	assert_int_equal(discovery_load(&d, dir), 0);
	memset(&x, 0, sizeof(x));
	snprintf(x.id, sizeof(x.id), "1234abcd");
	x.mac[0] = 0xdc;
	x.has_serial = true;
	x.serial = 0x1234abcd;
	x.board_rev = 0xa03111;
	snprintf(x.model, sizeof(x.model), "Pi 4 Model B");
	x.first_seen = x.last_seen = 1000;
	assert_int_equal(discovery_note(&d, &x), 1);
	assert_int_equal(discovery_note(&d, &x), 0);
	x.last_seen = 1010; /* under a minute later: no rewrite needed */
	d.dirty = false;
	assert_int_equal(discovery_note(&d, &x), 0);
	assert_false(d.dirty);
	assert_int_equal(discovery_flush(&d), 0);
	d.dirty = true;
	assert_int_equal(discovery_flush(&d), 0);
	discovery_free(&d);

	struct discovery d2;
	assert_int_equal(discovery_load(&d2, dir), 0);
	assert_int_equal(d2.n, 1);
	assert_string_equal(d2.v[0].id, "1234abcd");
	assert_int_equal(d2.v[0].board_rev, 0xa03111);
	assert_string_equal(d2.v[0].model, "Pi 4 Model B");
	discovery_free(&d2);

	/* a damaged file loses only its damaged lines */
	put("discovered.tsv", "garbage line\n1234abcd\tdc:00:00:00:00:00\t1234abcd\ta03111\tPi 4\t1\t2\n\x01\x02\n");
	assert_int_equal(discovery_load(&d2, dir), 0);
	assert_int_equal(d2.n, 1);
	discovery_free(&d2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_config_defaults),
		cmocka_unit_test(t_config_file),
		cmocka_unit_test(t_clients),
		cmocka_unit_test(t_discovery),
	};
	return cmocka_run_group_tests(tests, mk, rm);
}
