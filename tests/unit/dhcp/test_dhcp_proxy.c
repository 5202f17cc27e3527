/* test_dhcp_proxy.c - unit tests for the proxy OFFER (dhcp_proxy.c).
 *
 * The Pi 4 reply byte for byte against a hand-written copy of what dnsmasq
 * sends (protocol reference 2.1), the header rules dnsmasq applies (relay,
 * flags, hops, secs), option 97/82 echo, padding, the spaced menu variant,
 * which requests are answered, and the Pi 3 reply delay (2.4). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_proxy.h"
#include "golden_dhcp.h"

static struct dhcp_msg req, rep;

/* Option 43 exactly as in the reference: 6, 10, 9, 255. */
static const uint8_t opt43_hex[32] = {
	0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45, 0x09, 0x14,
	0x00, 0x00, 0x11, 0x52, 0x61, 0x73, 0x70, 0x62, 0x65, 0x72, 0x72,
	0x79, 0x20, 0x50, 0x69, 0x20, 0x42, 0x6f, 0x6f, 0x74, 0xff,
};

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t v[4] = { a, b, c, d };
	uint32_t r;

	memcpy(&r, v, 4); /* network order, as in struct in_addr */
	return r;
}

/* Parse p, identify, build the reply into out; returns its length. */
static int reply_for(const uint8_t *p, size_t len, bool spaced, uint8_t *out, size_t cap)
{
	struct pi_ident pi;

	assert_int_equal(dhcp_msg_parse(&req, p, len), 0);
	pi_identify(&req, &pi);
	return dhcp_proxy_build(&req, ip4(192, 168, 1, 3), spaced, out, cap);
}

static void test_opt43(void **state)
{
	uint8_t out[64];
	(void)state;

	memset(out, 0xee, sizeof(out));
	assert_int_equal(dhcp_pxe_opt43(out, sizeof(out), false), 32);
	assert_memory_equal(out, opt43_hex, 32);
	assert_int_equal(out[32], 0xee);
	/* Exactly enough room, and one byte short. */
	assert_int_equal(dhcp_pxe_opt43(out, 32, false), 32);
	assert_int_equal(dhcp_pxe_opt43(out, 31, false), 0);
	assert_int_equal(dhcp_pxe_opt43(NULL, 0, false), 0);
}

/* "Raspberry Pi Boot   " (20 bytes) for old Pi 3B ROMs (2.2). */
static void test_opt43_spaced(void **state)
{
	static const uint8_t want[35] = {
		0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45, 0x09, 0x17,
		0x00, 0x00, 0x14, 'R', 'a', 's', 'p', 'b', 'e', 'r', 'r', 'y',
		' ', 'P', 'i', ' ', 'B', 'o', 'o', 't', ' ', ' ', ' ', 0xff,
	};
	uint8_t out[64];
	(void)state;

	assert_int_equal(dhcp_pxe_opt43(out, sizeof(out), true), 35);
	assert_memory_equal(out, want, 35);
}

static void test_pi4_reply_exact(void **state)
{
	uint8_t out[DHCP_MAX_LEN];
	struct pi_ident pi;
	(void)state;

	assert_int_equal(dhcp_msg_parse(&req, golden_pi4, sizeof(golden_pi4)), 0);
	pi_identify(&req, &pi);
	assert_true(dhcp_proxy_wants(&req, &pi));
	memset(out, 0xee, sizeof(out));
	int n = dhcp_proxy_build(&req, ip4(192, 168, 1, 3), false, out, sizeof(out));
	assert_int_equal(n, sizeof(golden_pi4_reply));
	assert_memory_equal(out, golden_pi4_reply, sizeof(golden_pi4_reply));
	assert_int_equal(out[n], 0xee);

	/* And it reads back as intended. */
	assert_int_equal(dhcp_msg_parse(&rep, out, (size_t)n), 0);
	assert_int_equal(rep.op, BOOTREPLY);
	assert_int_equal(rep.msg_type, DHCPOFFER);
	assert_int_equal(rep.xid, req.xid);
	assert_int_equal(rep.flags, 0x8000);
	assert_int_equal(rep.yiaddr, 0);
	assert_int_equal(rep.siaddr, 0);
	assert_memory_equal(rep.chaddr, req.chaddr, 16);
	uint32_t sid;
	assert_true(dhcp_msg_opt_u32(&rep, DHO_SERVER_ID, &sid));
	assert_int_equal(sid, ip4(192, 168, 1, 3));
	size_t len;
	const uint8_t *v = dhcp_msg_opt(&rep, DHO_VENDOR_ENCAP, &len);
	assert_int_equal(len, 32);
	assert_memory_equal(v, opt43_hex, 32);
	v = dhcp_msg_opt(&rep, DHO_VENDOR_CLASS, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(v, "PXEClient", 9);
}

/* Relayed Pi 4: dnsmasq leaves hops and giaddr as received. Everything
 * else is the golden reply. */
static void test_relay_pi4(void **state)
{
	uint8_t in[322], want[314], out[DHCP_MAX_LEN];
	(void)state;

	memcpy(in, golden_pi4, sizeof(in));
	memcpy(want, golden_pi4_reply, sizeof(want));
	in[3] = want[3] = 1;
	memcpy(in + 24, "\x0a\x14\x1e\x01", 4);
	memcpy(want + 24, "\x0a\x14\x1e\x01", 4);
	assert_int_equal(reply_for(in, sizeof(in), false, out, sizeof(out)), 314);
	assert_memory_equal(out, want, sizeof(want));
}

static void test_relay_pi5(void **state)
{
	uint8_t out[DHCP_MAX_LEN];
	struct pi_ident pi;
	(void)state;

	assert_int_equal(dhcp_msg_parse(&req, golden_pi5_relay, sizeof(golden_pi5_relay)), 0);
	pi_identify(&req, &pi);
	assert_true(dhcp_proxy_wants(&req, &pi));
	int n = dhcp_proxy_build(&req, ip4(10, 0, 0, 5), false, out, sizeof(out));
	assert_int_equal(n, 314);
	assert_memory_equal(out, "\x02\x01\x06\x01\x7e\x11\xc0\xde\x00\x00\x80\x00", 12);
	assert_memory_equal(out + 12, "\0\0\0\0" "\0\0\0\0" "\0\0\0\0" "\x0a\x14\x1e\x01", 16);
	assert_memory_equal(out + 28, golden_pi5_relay + 28, 16);
	assert_int_equal(dhcp_msg_parse(&rep, out, (size_t)n), 0);
	size_t len;
	const uint8_t *g = dhcp_msg_opt(&rep, DHO_CLIENT_GUID, &len);
	assert_int_equal(len, 17);
	assert_memory_equal(g, golden_pi5_relay + 270, 17);
}

/* Other header bits dnsmasq echoes: secs, flag bits besides broadcast,
 * ciaddr cleared for DISCOVER, sname/file/siaddr/yiaddr zeroed. */
static void test_header_echo(void **state)
{
	uint8_t in[322], out[DHCP_MAX_LEN];
	(void)state;

	memcpy(in, golden_pi4, sizeof(in));
	in[8] = 0x00;
	in[9] = 0x07;                          /* secs 7 */
	in[11] = 0x01;                         /* flags 0x0001 */
	memcpy(in + 12, "\x0a\x00\x00\x09", 4); /* ciaddr */
	memcpy(in + 16, "\x0a\x00\x00\x0a", 4); /* yiaddr */
	memcpy(in + 20, "\x0a\x00\x00\x0b", 4); /* siaddr */
	memcpy(in + 38, "\xaa\xbb", 2);         /* chaddr bytes beyond hlen */
	memcpy(in + 44, "srv", 3);
	memcpy(in + 108, "file", 4);
	assert_int_equal(reply_for(in, sizeof(in), false, out, sizeof(out)), 314);
	assert_memory_equal(out + 8, "\x00\x07\x80\x01", 4);
	for (size_t i = 12; i < 24; i++)
		assert_int_equal(out[i], 0);
	assert_memory_equal(out + 28, in + 28, 16);
	for (size_t i = 44; i < 236; i++)
		assert_int_equal(out[i], 0);
}

static void test_spaced_reply(void **state)
{
	uint8_t out[DHCP_MAX_LEN];
	(void)state;

	int n = reply_for(golden_pi3b_rom, sizeof(golden_pi3b_rom), true, out, sizeof(out));
	assert_int_equal(n, 317);
	assert_int_equal(dhcp_msg_parse(&rep, out, (size_t)n), 0);
	size_t len;
	const uint8_t *v = dhcp_msg_opt(&rep, DHO_VENDOR_ENCAP, &len);
	assert_int_equal(len, 35);
	assert_memory_equal(v + 14, "Raspberry Pi Boot   ", 20);
	/* The constant GUID is echoed like any other. */
	v = dhcp_msg_opt(&rep, DHO_CLIENT_GUID, &len);
	assert_int_equal(len, 17);
	assert_memory_equal(v, golden_pi3b_rom + 268, 17);
	assert_memory_equal(out, "\x02\x01\x06\x00\x26\xf3\x03\x39", 8);
}

/* Without option 97 the reply is 295 bytes of content, padded to 300. */
static void test_no_guid_padded(void **state)
{
	uint8_t out[DHCP_MAX_LEN];
	(void)state;

	memset(out, 0xee, sizeof(out));
	int n = reply_for(golden_x86_noguid, sizeof(golden_x86_noguid), false, out, sizeof(out));
	assert_int_equal(n, 300);
	assert_memory_equal(out + 240, "\x35\x01\x02" "\x36\x04\xc0\xa8\x01\x03"
			    "\x3c\x09PXEClient" "\x2b\x20", 22);
	assert_memory_equal(out + 262, opt43_hex, 32);
	assert_int_equal(out[294], 0xff);
	for (size_t i = 295; i < 300; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[300], 0xee);
}

/* dnsmasq echoes the first 17 bytes of an option 97 of at least 17 bytes
 * (option_find(.., 97, 17)); a shorter one is dropped. */
static void test_guid_echo_rules(void **state)
{
	uint8_t in[400], out[DHCP_MAX_LEN];
	(void)state;

	/* 16-byte GUID: not echoed. */
	memcpy(in, golden_pi4, 322);
	in[269] = 16;
	in[286] = 0;
	int n = reply_for(in, 322, false, out, sizeof(out));
	assert_int_equal(n, 300);
	assert_int_equal(dhcp_msg_parse(&rep, out, (size_t)n), 0);
	assert_false(dhcp_msg_has_opt(&rep, DHO_CLIENT_GUID));

	/* 18-byte GUID: first 17 echoed. */
	memcpy(in, golden_pi4, 287);
	in[269] = 18;
	in[287] = 0x99;
	memcpy(in + 288, golden_pi4 + 287, 35);
	n = reply_for(in, 323, false, out, sizeof(out));
	assert_int_equal(n, 314);
	assert_memory_equal(out + 260, golden_pi4_reply + 260, 19);
}

/* RFC 3046: a relay's option 82 comes back verbatim, last before END. */
static void test_agent_info_echo(void **state)
{
	static const uint8_t o82[] = { 0x52, 0x08, 0x01, 0x02, 'e', '0', 0x02, 0x02, 0xab, 0xcd };
	uint8_t in[400], out[DHCP_MAX_LEN];
	(void)state;

	memcpy(in, golden_pi4, 321);
	memcpy(in + 321, o82, sizeof(o82));
	in[321 + sizeof(o82)] = 0xff;
	int n = reply_for(in, 322 + sizeof(o82), false, out, sizeof(out));
	assert_int_equal(n, 314 + (int)sizeof(o82));
	assert_memory_equal(out, golden_pi4_reply, 313);
	assert_memory_equal(out + 313, o82, sizeof(o82));
	assert_int_equal(out[313 + sizeof(o82)], 0xff);
}

static void test_build_errors(void **state)
{
	uint8_t out[DHCP_MAX_LEN];
	(void)state;

	assert_int_equal(reply_for(golden_pi4, sizeof(golden_pi4), false, out, 313), -ENOBUFS);
	assert_int_equal(reply_for(golden_pi4, sizeof(golden_pi4), false, out, 314), 314);
	assert_int_equal(reply_for(golden_pi4, sizeof(golden_pi4), false, out, 0), -ENOBUFS);
	/* The padded case needs all 300 bytes. */
	assert_int_equal(reply_for(golden_x86_noguid, sizeof(golden_x86_noguid), false,
				   out, 299), -ENOBUFS);
	assert_int_equal(dhcp_proxy_build(NULL, 0, false, out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcp_proxy_build(&req, 0, false, NULL, 300), -EINVAL);
}

static void test_wants(void **state)
{
	struct pi_ident pi;
	uint8_t in[322];
	(void)state;

	for (size_t i = 0; i < GOLDEN_DHCP_COUNT; i++) {
		const struct golden_dhcp *gd = &golden_dhcp_all[i];

		assert_int_equal(dhcp_msg_parse(&req, gd->data, gd->len), 0);
		pi_identify(&req, &pi);
		assert_int_equal(dhcp_proxy_wants(&req, &pi), gd->wants);
	}

	/* A Pi 4 REQUEST goes to the real DHCP server, not to us. */
	memcpy(in, golden_pi4, sizeof(in));
	in[242] = DHCPREQUEST;
	assert_int_equal(dhcp_msg_parse(&req, in, sizeof(in)), 0);
	pi_identify(&req, &pi);
	assert_true(pi.is_pi);
	assert_false(dhcp_proxy_wants(&req, &pi));

	/* A BOOTREPLY (another proxy's answer seen on the wire). */
	memcpy(in, golden_pi4, sizeof(in));
	in[0] = BOOTREPLY;
	assert_int_equal(dhcp_msg_parse(&req, in, sizeof(in)), 0);
	pi_identify(&req, &pi);
	assert_false(dhcp_proxy_wants(&req, &pi));

	/* dnsmasq drops htype 0 with a hardware length. */
	memcpy(in, golden_pi4, sizeof(in));
	in[1] = 0;
	assert_int_equal(dhcp_msg_parse(&req, in, sizeof(in)), 0);
	pi_identify(&req, &pi);
	assert_false(dhcp_proxy_wants(&req, &pi));

	assert_false(dhcp_proxy_wants(NULL, &pi));
	assert_false(dhcp_proxy_wants(&req, NULL));
}

/* Every request we answer gives a reply that parses back. */
static void test_all_replies_parse(void **state)
{
	uint8_t out[DHCP_MAX_LEN];
	struct pi_ident pi;
	(void)state;

	for (size_t i = 0; i < GOLDEN_DHCP_COUNT; i++) {
		const struct golden_dhcp *gd = &golden_dhcp_all[i];

		assert_int_equal(dhcp_msg_parse(&req, gd->data, gd->len), 0);
		pi_identify(&req, &pi);
		if (!dhcp_proxy_wants(&req, &pi))
			continue;
		for (int spaced = 0; spaced < 2; spaced++) {
			int n = dhcp_proxy_build(&req, ip4(10, 1, 2, 3), spaced, out, sizeof(out));

			assert_true(n >= (int)DHCP_BOOTP_MIN_LEN);
			assert_int_equal(dhcp_msg_parse(&rep, out, (size_t)n), 0);
			assert_int_equal(rep.msg_type, DHCPOFFER);
			assert_int_equal(rep.xid, req.xid);
			assert_true(dhcp_msg_has_opt(&rep, DHO_VENDOR_ENCAP));
		}
	}
}

static void test_delay(void **state)
{
	struct pi_ident pi;
	uint8_t in[322];
	(void)state;

	assert_int_equal(dhcp_msg_parse(&req, golden_pi3b_rom, sizeof(golden_pi3b_rom)), 0);
	pi_identify(&req, &pi);
	assert_int_equal(dhcp_proxy_delay_ms(&pi, 2000), 2000);
	assert_int_equal(dhcp_proxy_delay_ms(&pi, 0), 0);

	assert_int_equal(dhcp_msg_parse(&req, golden_pi3bp, sizeof(golden_pi3bp)), 0);
	pi_identify(&req, &pi);
	assert_int_equal(dhcp_proxy_delay_ms(&pi, 1000), 1000);

	/* b8:27:eb without a telling GUID: still the Pi 3 generation. */
	memcpy(in, golden_pi3bp, sizeof(in));
	in[270] = 0x01; /* GUID type 1: not decoded */
	assert_int_equal(dhcp_msg_parse(&req, in, sizeof(in)), 0);
	pi_identify(&req, &pi);
	assert_int_equal(pi.gen, PI_GEN_UNKNOWN);
	assert_int_equal(dhcp_proxy_delay_ms(&pi, 1500), 1500);

	/* Constant GUID on a non-Pi OUI (e.g. a replaced MAC): delay too. */
	memcpy(in, golden_pi3b_rom, 320);
	memcpy(in + 28, "\x02\x00\x00\x00\x00\x01", 6);
	assert_int_equal(dhcp_msg_parse(&req, in, 320), 0);
	pi_identify(&req, &pi);
	assert_int_equal(dhcp_proxy_delay_ms(&pi, 2000), 2000);

	const uint8_t *no_delay[] = { golden_pi4, golden_cm4_rev, golden_pi5_relay };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(dhcp_msg_parse(&req, no_delay[i], 322), 0);
		pi_identify(&req, &pi);
		assert_int_equal(dhcp_proxy_delay_ms(&pi, 2000), 0);
	}
	assert_int_equal(dhcp_proxy_delay_ms(NULL, 2000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opt43),
		cmocka_unit_test(test_opt43_spaced),
		cmocka_unit_test(test_pi4_reply_exact),
		cmocka_unit_test(test_relay_pi4),
		cmocka_unit_test(test_relay_pi5),
		cmocka_unit_test(test_header_echo),
		cmocka_unit_test(test_spaced_reply),
		cmocka_unit_test(test_no_guid_padded),
		cmocka_unit_test(test_guid_echo_rules),
		cmocka_unit_test(test_agent_info_echo),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_all_replies_parse),
		cmocka_unit_test(test_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
