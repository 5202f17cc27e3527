/* test_pi_access.c - the trust rule (src/pi/pi_access.c) over plain facts,
 * and the registry helpers it relies on (Pi 3 MAC <-> serial, learned
 * names written to client.conf, the DISCOVER flood limit). */
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

#include "daemon/clients.h"
#include "pi/pi_access.h"

static const uint8_t PI_MAC[6] = { 0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03 };
static const uint8_t EVIL[6] = { 0x02, 0x00, 0x00, 0xee, 0xee, 0xee };

static uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
	uint32_t v;
	uint8_t *p = (uint8_t *)&v;
	p[0] = (uint8_t)a, p[1] = (uint8_t)b, p[2] = (uint8_t)c, p[3] = (uint8_t)d;
	return v;
}

static struct pi_access_in base(void)
{
	struct pi_access_in in;
	memset(&in, 0, sizeof(in));
	in.addr = ip(10, 0, 0, 50);
	in.now_ms = 1000000;
	in.window_ms = 300000;
	return in;
}

static void t_fixed_and_admin(void **s)
{
	(void)s;
	struct pi_access_out o;
	struct pi_access_in in = base();
	in.fixed_addr = ip(10, 0, 0, 50);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_ALLOW_FIXED);
	in.addr = ip(10, 0, 0, 51);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
	assert_non_null(strstr(o.why, "client.conf says 10.0.0.50"));
	/* A fixed address is not open to the Pi's MAC from elsewhere. */
	in.has_known_mac = in.has_neigh = true;
	memcpy(in.known_mac, PI_MAC, 6);
	memcpy(in.neigh_mac, PI_MAC, 6);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
	in.admin = true;
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_ALLOW_ADMIN);
	assert_false(o.bind);
}

static void t_known_mac(void **s)
{
	(void)s;
	struct pi_access_out o;
	struct pi_access_in in = base();
	in.has_known_mac = true;
	memcpy(in.known_mac, PI_MAC, 6);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY); /* no neighbour entry */
	assert_non_null(strstr(o.why, "no neighbour"));
	in.has_neigh = true;
	memcpy(in.neigh_mac, PI_MAC, 6);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_ALLOW_MAC);
	assert_true(o.bind);
	assert_false(o.learn_mac);
	in.bound_addr = in.addr;
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_ALLOW_MAC);
	assert_false(o.bind); /* already bound */
	/* The attacker: a fresh boot answer went to its MAC (forged
	 * DISCOVER), but the Pi's MAC is known: refused. */
	memcpy(in.neigh_mac, EVIL, 6);
	in.has_answer = true;
	memcpy(in.answer_mac, EVIL, 6);
	in.answer_ms = in.now_ms - 10;
	in.bound_addr = 0;
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
	assert_non_null(strstr(o.why, "this Pi's MAC is dc:a6:32:01:02:03"));
}

static void t_answer_window(void **s)
{
	(void)s;
	struct pi_access_out o;
	struct pi_access_in in = base();
	in.has_neigh = in.has_answer = true;
	memcpy(in.neigh_mac, PI_MAC, 6);
	memcpy(in.answer_mac, PI_MAC, 6);
	in.answer_ms = in.now_ms - 1000;
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_ALLOW_ANSWER);
	assert_true(o.bind);
	assert_true(o.learn_mac);
	/* Another host asking in the window: its MAC got no answer. */
	memcpy(in.neigh_mac, EVIL, 6);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
	assert_non_null(strstr(o.why, "boot answer went to MAC dc:a6:32:01:02:03"));
	/* The window closed. */
	memcpy(in.neigh_mac, PI_MAC, 6);
	in.answer_ms = in.now_ms - in.window_ms;
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
	assert_non_null(strstr(o.why, "no recent boot answer"));
	/* A clock that went backwards is no fresh answer. */
	in.answer_ms = in.now_ms + 5;
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
}

static void t_tofu(void **s)
{
	(void)s;
	struct pi_access_out o;
	struct pi_access_in in = base();
	in.tofu = true;
	in.has_neigh = true;
	memcpy(in.neigh_mac, PI_MAC, 6);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_ALLOW_TOFU);
	assert_true(o.bind);
	in.bound_addr = in.addr;
	in.has_bound_mac = true;
	memcpy(in.bound_mac, PI_MAC, 6);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_ALLOW_TOFU);
	assert_false(o.bind);
	/* Same address, other MAC: not the host that was bound. */
	memcpy(in.neigh_mac, EVIL, 6);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
	/* Another address never replaces the binding. */
	memcpy(in.neigh_mac, PI_MAC, 6);
	in.addr = ip(10, 0, 0, 99);
	pi_access_decide(&in, &o);
	assert_int_equal(o.v, PI_DENY);
	assert_non_null(strstr(o.why, "client booted from 10.0.0.50"));
}

static void t_pi3_mac(void **s)
{
	(void)s;
	const uint8_t m[6] = { 0xb8, 0x27, 0xeb, 0x3b, 0x02, 0x00 };
	assert_true(clients_pi3_mac_fits(m, 0x123b0200));
	assert_false(clients_pi3_mac_fits(m, 0x123b0201));
	const uint8_t not3[6] = { 0xdc, 0xa6, 0x32, 0x3b, 0x02, 0x00 };
	assert_false(clients_pi3_mac_fits(not3, 0x123b0200));
	struct client v[3];
	memset(v, 0, sizeof(v));
	snprintf(v[0].id, sizeof(v[0].id), "123b0200");
	v[0].has_serial = true, v[0].serial = 0x123b0200;
	snprintf(v[1].id, sizeof(v[1].id), "aabbccdd");
	v[1].has_serial = true, v[1].serial = 0xaabbccdd;
	struct clients c = { v, 2 };
	assert_ptr_equal(clients_find_pi3_mac(&c, m), &v[0]);
	/* Two serials with the same low 24 bits: ambiguous, no match. */
	snprintf(v[2].id, sizeof(v[2].id), "ff3b0200");
	v[2].has_serial = true, v[2].serial = 0xff3b0200;
	c.n = 3;
	assert_null(clients_find_pi3_mac(&c, m));
	snprintf(v[1].tftp_prefix, sizeof(v[1].tftp_prefix), "rack1-node7");
	assert_ptr_equal(clients_find_prefix(&c, "rack1-node7"), &v[1]);
	assert_null(clients_find_prefix(&c, "rack1"));
}

static void t_conf_set(void **s)
{
	(void)s;
	char dir[64], p[200], buf[512];
	snprintf(dir, sizeof(dir), "/tmp/pnb-piacc-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/clients/b8-27-eb-3b-02-00", dir);
	snprintf(buf, sizeof(buf), "mkdir -p %s", p);
	assert_int_equal(system(buf), 0);
	snprintf(p, sizeof(p), "%s/clients/b8-27-eb-3b-02-00/client.conf", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("# made by pinetboot add\nname = node1\nserial = 00000001\nimage = bookworm\n", f);
	fclose(f);
	assert_int_equal(client_conf_set(dir, "b8-27-eb-3b-02-00", "serial", "123b0200"), 0);
	f = fopen(p, "r");
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	assert_string_equal(buf, "# made by pinetboot add\nname = node1\nserial = 123b0200\nimage = bookworm\n");
	assert_int_equal(client_conf_set(dir, "b8-27-eb-3b-02-00", "mac", "b8:27:eb:3b:02:00"), 0);
	struct client cl;
	char err[300];
	assert_int_equal(client_parse_file(&cl, p, "b8-27-eb-3b-02-00", err, sizeof(err)), 0);
	assert_true(cl.has_serial);
	assert_int_equal(cl.serial, 0x123b0200);
	assert_string_equal(cl.name, "node1");
	assert_int_equal(client_conf_set(dir, "no-such-client", "mac", "b8:27:eb:3b:02:00"), -ENOENT);
	/* tftp-prefix is validated. */
	f = fopen(p, "a");
	fputs("tftp-prefix = ../x\n", f);
	fclose(f);
	assert_int_equal(client_parse_file(&cl, p, "b8-27-eb-3b-02-00", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "tftp-prefix"));
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	assert_int_equal(system(buf), 0);
}

static void t_discovery_flood(void **s)
{
	(void)s;
	struct discovery d;
	memset(&d, 0, sizeof(d));
	struct discovered x;
	memset(&x, 0, sizeof(x));
	time_t now = 6000000;
	int added = 0, refused = 0;
	for (unsigned i = 0; i < 1000; i++) {
		snprintf(x.id, sizeof(x.id), "%08x", 0x10000000u + i);
		int r = discovery_note_limited(&d, &x, now);
		if (r == 1)
			added++;
		else if (r == -EAGAIN)
			refused++;
	}
	assert_int_equal(added, DISCOVERY_NEW_PER_MIN);
	assert_int_equal(refused, 1000 - DISCOVERY_NEW_PER_MIN);
	/* A known Pi is still noted during the flood. */
	snprintf(x.id, sizeof(x.id), "%08x", 0x10000000u);
	assert_int_equal(discovery_note_limited(&d, &x, now), 0);
	/* The next minute takes new Pis again. */
	snprintf(x.id, sizeof(x.id), "%08x", 0x20000000u);
	assert_int_equal(discovery_note_limited(&d, &x, now + 60), 1);
	discovery_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_fixed_and_admin), cmocka_unit_test(t_known_mac),
		cmocka_unit_test(t_answer_window),   cmocka_unit_test(t_tofu),
		cmocka_unit_test(t_pi3_mac),         cmocka_unit_test(t_conf_set),
		cmocka_unit_test(t_discovery_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
