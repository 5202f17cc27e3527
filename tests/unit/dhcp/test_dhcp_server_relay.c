/* test_dhcp_server_relay.c - the full-mode server applies the one relay
 * rule (dhcp_dest_relay_ok) with the daemon's interfaces.
 *
 * A relayed DISCOVER from a real relay (10.9.0.1) is offered an address of
 * the relay network's pool; the same request with giaddr set to one of our
 * addresses or our networks' broadcast (what only the interface list can
 * tell) is dropped with the relay reason, and so is one from loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_lease.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_server.h"

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t v[4] = { a, b, c, d };
	uint32_t r;
	memcpy(&r, v, 4);
	return r;
}

static struct dhcp_lease_db db;
static struct dhcp_server srv;
static struct dhcp_msg req;
static struct dhcp_server_out out;
static struct net_ifaces ifs;

static void discover_via(uint32_t giaddr)
{
	uint8_t buf[DHCP_MAX_LEN];
	struct dhcp_msg h;
	memset(&h, 0, sizeof(h));
	h.op = BOOTREQUEST;
	h.htype = 1;
	h.hlen = 6;
	h.xid = 0x01020304u;
	h.giaddr = giaddr;
	h.chaddr[0] = 0x02;
	h.chaddr[5] = 0x33;
	struct wr w = wr_init(buf, sizeof(buf));
	dhcp_write_header(&w, &h);
	dhcp_write_opt_u8(&w, DHO_MSG_TYPE, DHCPDISCOVER);
	dhcp_write_finish(&w);
	assert_false(w.err);
	assert_int_equal(dhcp_msg_parse(&req, buf, w.off), 0);
	struct dhcp_server_in in = { .m = &req, .if_addr = ifs.v[0].addr, .if_mask = ifs.v[0].mask, .ifs = &ifs,
				     .id = "", .now = 1700000000 };
	dhcp_server_handle(&srv, &in, &out);
}

static void test_full_mode_relay_rule(void **state)
{
	struct dhcp_server_conf c;
	char err[128];
	(void)state;
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.100,10.0.0.199,10.9.0.10,10.9.0.20", "", "", "", 3600,
						err, sizeof(err)), 0);
	c.probe = false;
	dhcp_server_init(&srv, &c, &db, NULL, NULL);
	memset(&ifs, 0, sizeof(ifs));
	ifs.n = 1;
	ifs.v[0].index = 2;
	ifs.v[0].addr = ip4(10, 0, 0, 1);
	ifs.v[0].mask = ip4(255, 255, 255, 0);

	discover_via(ip4(10, 9, 0, 1));
	assert_int_equal(out.v, DHCP_V_REPLY);
	assert_int_equal(out.type, DHCPOFFER);
	assert_true(out.to_server_port);
	assert_int_equal(out.dst, ip4(10, 9, 0, 1));

	const uint32_t bad[] = { ip4(10, 0, 0, 1), ip4(10, 0, 0, 255), ip4(127, 0, 0, 1) };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		discover_via(bad[i]);
		assert_int_equal(out.v, DHCP_V_DROP);
		assert_non_null(out.why);
		assert_string_equal(out.why, "giaddr is not a relay agent address");
	}
	dhcp_lease_db_fini(&db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_mode_relay_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
