/* test_dhcp_proxy_handle.c - unit tests for the proxy decision
 * (dhcp_proxy_handle in dhcp_proxy.c), without sockets.
 *
 * A fake registry records every call. Golden Pi packets: a registered Pi
 * is answered (bytes = dhcp_proxy_build's, broadcast, no delay; Pi 3:
 * delayed, spaced menu when asked), an unregistered one is noted and
 * answered only with answer = all, a contested one is not, non-Pi and
 * non-DISCOVER requests touch nothing, and giaddr follows the relay rule
 * (reply to the relay's server port, or dropped). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_proxy.h"
#include "golden_dhcp.h"

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t v[4] = { a, b, c, d };
	uint32_t r;
	memcpy(&r, v, 4); /* network order */
	return r;
}

/* The fake registry: which ids are registered, which are contested, and
 * what was asked. */
struct fake {
	const char *registered;  /* the one registered id, or NULL */
	bool contested;
	int lookups, claims, unknowns;
	uint8_t claim_mac[6];
	int64_t unknown_now;
	char unknown_id[24];
};

static bool fake_lookup(void *ctx, const struct pi_ident *pi, struct dhcp_known *ret)
{
	struct fake *f = ctx;
	f->lookups++;
	if (!f->registered || strcmp(f->registered, pi->id) != 0)
		return false;
	ret->ref = f;
	ret->id = f->registered;
	ret->name = "rack1-node3";
	ret->fixed_addr = 0;
	return true;
}

static bool fake_claim(void *ctx, const struct dhcp_known *k, const uint8_t mac[6], const struct pi_ident *pi)
{
	struct fake *f = ctx;
	(void)pi;
	assert_ptr_equal(k->ref, f);
	f->claims++;
	memcpy(f->claim_mac, mac, 6);
	return !f->contested;
}

static void fake_note_unknown(void *ctx, const struct pi_ident *pi, int64_t now)
{
	struct fake *f = ctx;
	f->unknowns++;
	f->unknown_now = now;
	strncpy(f->unknown_id, pi->id, sizeof(f->unknown_id) - 1);
}

static struct dhcp_msg msg;
static struct dhcp_proxy_out out;
static struct fake fk;
static struct net_ifaces ifs;

#define SERVER_IP ip4(10, 0, 0, 1)
#define NOW 1700000000

static void run(const uint8_t *pkt, size_t len, bool answer_all, bool spaced)
{
	struct dhcp_registry reg = { .ctx = &fk, .lookup = fake_lookup, .claim = fake_claim,
				     .note_unknown = fake_note_unknown };
	memset(&ifs, 0, sizeof(ifs));
	ifs.n = 1;
	ifs.v[0].addr = SERVER_IP;
	ifs.v[0].mask = ip4(255, 255, 255, 0);
	assert_int_equal(dhcp_msg_parse(&msg, pkt, len), 0);
	struct dhcp_proxy_in in = { .m = &msg, .if_addr = SERVER_IP, .ifs = &ifs, .answer_all = answer_all,
				    .spaced_menu = spaced, .pi3_delay_ms = 1500, .now = NOW };
	memset(&out, 0x5a, sizeof(out));
	dhcp_proxy_handle(&in, &reg, &out);
}

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	return 0;
}

/* The reply must be exactly what the builder makes for this request. */
static void assert_reply_is_build(bool spaced)
{
	uint8_t want[DHCP_MAX_LEN];
	int n = dhcp_proxy_build(&msg, SERVER_IP, spaced, want, sizeof(want));
	assert_true(n > 0);
	assert_int_equal(out.len, (size_t)n);
	assert_memory_equal(out.pkt, want, (size_t)n);
}

static void test_registered_pi4_answered(void **state)
{
	(void)state;
	fk.registered = "5b154510";
	run(golden_pi4, sizeof(golden_pi4), false, false);
	assert_int_equal(out.v, DHCP_PROXY_ANSWER);
	assert_true(out.known);
	assert_string_equal(out.k.id, "5b154510");
	assert_int_equal(fk.lookups, 1);
	assert_int_equal(fk.claims, 1);
	assert_memory_equal(fk.claim_mac, msg.chaddr, 6);
	assert_int_equal(fk.unknowns, 0);
	assert_reply_is_build(false);
	/* RFC 2131 4.1 with the reply's broadcast flag: broadcast, client port. */
	assert_true(out.dst.broadcast);
	assert_false(out.dst.to_server_port);
	assert_int_equal(out.dst.addr, ip4(255, 255, 255, 255));
	assert_int_equal(out.delay_ms, 0); /* Pi 4 needs no delay (ref 2.4) */
}

static void test_pi3_delayed_and_spaced(void **state)
{
	(void)state;
	fk.registered = "b8-27-eb-a1-b2-c3";
	run(golden_pi3b_rom, sizeof(golden_pi3b_rom), false, true);
	assert_int_equal(out.v, DHCP_PROXY_ANSWER);
	assert_int_equal(out.delay_ms, 1500);
	assert_true(out.pi.const_guid);
	assert_reply_is_build(true); /* the constant-GUID ROM gets the spaced menu */
	/* Spaced menu off: the plain one. */
	run(golden_pi3b_rom, sizeof(golden_pi3b_rom), false, false);
	assert_reply_is_build(false);
}

static void test_unregistered(void **state)
{
	(void)state;
	run(golden_pi4, sizeof(golden_pi4), false, false);
	assert_int_equal(out.v, DHCP_PROXY_UNREGISTERED);
	assert_false(out.known);
	assert_int_equal(fk.unknowns, 1);
	assert_int_equal(fk.unknown_now, NOW);
	assert_string_equal(fk.unknown_id, "5b154510");
	assert_int_equal(fk.claims, 0);
	assert_int_equal(out.len, 0);
	/* answer = all: noted, and answered with the shared files. */
	run(golden_pi4, sizeof(golden_pi4), true, false);
	assert_int_equal(out.v, DHCP_PROXY_ANSWER);
	assert_int_equal(fk.unknowns, 2);
	assert_reply_is_build(false);
}

static void test_contested(void **state)
{
	(void)state;
	fk.registered = "5b154510";
	fk.contested = true;
	run(golden_pi4, sizeof(golden_pi4), true, false);
	assert_int_equal(out.v, DHCP_PROXY_CONTESTED);
	assert_int_equal(fk.claims, 1);
	assert_int_equal(fk.unknowns, 0);
	assert_int_equal(out.len, 0);
}

static void test_not_ours_touches_nothing(void **state)
{
	(void)state;
	/* The kernel's DISCOVER and an x86 PXE ROM: not a Pi PXE request. */
	run(golden_kernel, sizeof(golden_kernel), true, false);
	assert_int_equal(out.v, DHCP_PROXY_NOT_PI);
	run(golden_x86_pxe, sizeof(golden_x86_pxe), true, false);
	assert_int_equal(out.v, DHCP_PROXY_NOT_PI);
	assert_true(out.pi.is_pxe);
	/* A Pi's REQUEST belongs to the LAN's server. */
	uint8_t req[sizeof(golden_pi4)];
	memcpy(req, golden_pi4, sizeof(req));
	assert_int_equal(dhcp_msg_parse(&msg, req, sizeof(req)), 0);
	for (size_t i = DHCP_MIN_LEN; i + 2 < sizeof(req); i++) {
		if (req[i] == DHO_MSG_TYPE && req[i + 1] == 1) {
			req[i + 2] = DHCPREQUEST;
			break;
		}
	}
	run(req, sizeof(req), true, false);
	assert_int_equal(out.v, DHCP_PROXY_NOT_DISCOVER);
	assert_int_equal(fk.lookups + fk.claims + fk.unknowns, 0);
}

static void test_relay(void **state)
{
	(void)state;
	/* golden_pi5_relay carries giaddr 10.20.30.1: a real relay. */
	fk.registered = "9ffefdef";
	run(golden_pi5_relay, sizeof(golden_pi5_relay), false, false);
	assert_int_equal(out.v, DHCP_PROXY_ANSWER);
	assert_true(out.dst.to_server_port);
	assert_false(out.dst.broadcast);
	assert_int_equal(out.dst.addr, ip4(10, 20, 30, 1));
	/* The same request from our own network's broadcast, loopback or a
	 * multicast "relay": dropped before the registry is asked. */
	const uint32_t bad[] = { ip4(10, 0, 0, 255), ip4(127, 0, 0, 1), ip4(224, 0, 0, 9), SERVER_IP };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t pkt[sizeof(golden_pi5_relay)];
		memcpy(pkt, golden_pi5_relay, sizeof(pkt));
		memcpy(pkt + 24, &bad[i], 4); /* giaddr */
		memset(&fk, 0, sizeof(fk));
		fk.registered = "9ffefdef";
		run(pkt, sizeof(pkt), true, false);
		assert_int_equal(out.v, DHCP_PROXY_BAD_RELAY);
		assert_int_equal(fk.lookups + fk.claims + fk.unknowns, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_registered_pi4_answered, setup),
		cmocka_unit_test_setup(test_pi3_delayed_and_spaced, setup),
		cmocka_unit_test_setup(test_unregistered, setup),
		cmocka_unit_test_setup(test_contested, setup),
		cmocka_unit_test_setup(test_not_ours_touches_nothing, setup),
		cmocka_unit_test_setup(test_relay, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
