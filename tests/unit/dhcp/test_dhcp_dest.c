/* test_dhcp_dest.c - unit tests for the reply destination and relay rule
 * (dhcp_dest.c) and their wire address (dhcp_io_sockaddr).
 *
 * Every branch of RFC 2131 4.1 (relay, NAK, ciaddr, broadcast flag,
 * yiaddr via chaddr), and giaddr values that are no relay agent: zero,
 * 0/8, the limited broadcast, loopback, multicast, class E, one of our
 * addresses and our networks' broadcasts. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_dest.h"
#include "dhcp/dhcp_io.h"
#include "dhcp/dhcp_msg.h"

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t v[4] = { a, b, c, d };
	uint32_t r;
	memcpy(&r, v, 4); /* network order */
	return r;
}

struct dest_case {
	const char *what;
	uint32_t giaddr, ciaddr;
	uint16_t flags;
	uint8_t type;
	uint32_t yiaddr;
	/* expected */
	uint32_t addr;
	bool server_port, broadcast, unicast_hw;
};

static void test_reply_dest_table(void **state)
{
	const uint32_t gi = ip4(10, 20, 30, 1), ci = ip4(10, 0, 0, 7), yi = ip4(10, 0, 0, 150);
	const uint32_t bc = ip4(255, 255, 255, 255);
	const struct dest_case cases[] = {
		{ "relayed OFFER goes to the relay", gi, 0, 0, DHCPOFFER, yi, gi, true, false, false },
		{ "relayed NAK goes to the relay too", gi, ci, DHCP_FLAG_BROADCAST, DHCPNAK, 0, gi, true, false, false },
		{ "relayed ACK with ciaddr: still the relay", gi, ci, 0, DHCPACK, yi, gi, true, false, false },
		{ "local NAK is broadcast even with ciaddr", 0, ci, 0, DHCPNAK, 0, bc, false, true, false },
		{ "ciaddr set: unicast to ciaddr", 0, ci, 0, DHCPACK, yi, ci, false, false, false },
		{ "ciaddr beats the broadcast flag", 0, ci, DHCP_FLAG_BROADCAST, DHCPACK, yi, ci, false, false, false },
		{ "broadcast flag: broadcast", 0, 0, DHCP_FLAG_BROADCAST, DHCPOFFER, yi, bc, false, true, false },
		{ "no flag, no ciaddr: yiaddr via chaddr", 0, 0, 0, DHCPOFFER, yi, yi, false, false, true },
		{ "proxy OFFER (flag set, no yiaddr): broadcast", 0, 0, DHCP_FLAG_BROADCAST, DHCPOFFER, 0, bc, false,
		  true, false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dest_case *c = &cases[i];
		struct dhcp_dest d;
		memset(&d, 0xa5, sizeof(d));
		dhcp_dest_reply(c->giaddr, c->ciaddr, c->flags, c->type, c->yiaddr, &d);
		print_message("%s\n", c->what);
		assert_int_equal(d.addr, c->addr);
		assert_int_equal(d.to_server_port, c->server_port);
		assert_int_equal(d.broadcast, c->broadcast);
		assert_int_equal(d.unicast_hw, c->unicast_hw);
	}
}

static void one_iface(struct net_ifaces *ifs)
{
	memset(ifs, 0, sizeof(*ifs));
	ifs->n = 2;
	ifs->v[0].index = 2;
	ifs->v[0].addr = ip4(10, 0, 0, 1);
	ifs->v[0].mask = ip4(255, 255, 255, 0);
	ifs->v[1].index = 3;
	ifs->v[1].addr = ip4(172, 16, 5, 1);
	ifs->v[1].mask = ip4(255, 255, 0, 0);
}

static void test_relay_rule(void **state)
{
	struct net_ifaces ifs;
	(void)state;
	one_iface(&ifs);
	const uint32_t bad[] = {
		0,                        /* not relayed at all */
		ip4(0, 0, 0, 5),          /* 0/8: "this network" */
		ip4(255, 255, 255, 255),  /* limited broadcast */
		ip4(127, 0, 0, 1),        /* loopback */
		ip4(127, 9, 9, 9),
		ip4(224, 0, 0, 1),        /* multicast */
		ip4(239, 255, 255, 250),
		ip4(240, 0, 0, 1),        /* class E */
		ip4(10, 0, 0, 1),         /* our own address */
		ip4(10, 0, 0, 255),       /* our network's broadcast */
		ip4(172, 16, 255, 255),   /* the other network's broadcast */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("bad giaddr %08x\n", ntohl(bad[i]));
		assert_false(dhcp_dest_relay_ok(bad[i], &ifs));
	}
	const uint32_t good[] = { ip4(10, 20, 30, 1), ip4(192, 168, 7, 1), ip4(10, 0, 0, 254), ip4(1, 2, 3, 4),
				  ip4(223, 255, 255, 254) };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		print_message("good giaddr %08x\n", ntohl(good[i]));
		assert_true(dhcp_dest_relay_ok(good[i], &ifs));
	}
	/* Without our interfaces only the address classes count. */
	assert_true(dhcp_dest_relay_ok(ip4(10, 0, 0, 255), NULL));
	assert_false(dhcp_dest_relay_ok(ip4(127, 0, 0, 1), NULL));
}

static void test_sockaddr(void **state)
{
	struct dhcp_dest d;
	struct sockaddr_in to;
	int ifindex = -1;
	(void)state;
	dhcp_dest_reply(ip4(10, 20, 30, 1), 0, 0, DHCPOFFER, 0, &d);
	dhcp_io_sockaddr(&d, 67, 4, &to, &ifindex);
	assert_int_equal(to.sin_family, AF_INET);
	assert_int_equal(to.sin_addr.s_addr, ip4(10, 20, 30, 1));
	assert_int_equal(ntohs(to.sin_port), 67); /* a relay listens on the server port */
	assert_int_equal(ifindex, 0);             /* routed, not pinned */
	dhcp_dest_reply(0, 0, DHCP_FLAG_BROADCAST, DHCPOFFER, 0, &d);
	dhcp_io_sockaddr(&d, 1067, 4, &to, &ifindex);
	assert_int_equal(to.sin_addr.s_addr, ip4(255, 255, 255, 255));
	assert_int_equal(ntohs(to.sin_port), 1068); /* the client port is server port + 1 */
	assert_int_equal(ifindex, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_dest_table),
		cmocka_unit_test(test_relay_rule),
		cmocka_unit_test(test_sockaddr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
