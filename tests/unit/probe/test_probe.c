/* test_probe.c - `pinetboot probe`: generated DISCOVERs byte-exact against
 * the protocol reference layouts (doc 1.2, 1.3, 1.4), raw frames, offer
 * judging (menu present/absent/embedded/spaced, opt 66), the TFTP OACK
 * checker, config.txt parsing and the verification helpers; the models
 * (400, CM4, 5: device trees, revisions, [pi4]/[pi400]/[cm4]/[pi5]
 * sections), TFTP_PREFIX names, Pi 3 identities, offered-address helpers,
 * and whole TFTP request sequences against a loopback tree server. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_proxy.h"
#include "probe/probe.h"
#include "probe/probe_addr.h"
#include "probe/probe_config.h"
#include "probe/probe_dhcp.h"
#include "probe/probe_run.h"
#include "probe/probe_tftp.h"
#include "probe/probe_verify.h"
#include "tftp/tftp_proto.h"

#define VC 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', ':', 'A', 'r', 'c', 'h', ':', '0', '0', \
	   '0', '0', '0', ':', 'U', 'N', 'D', 'I', ':', '0', '0', '2', '0', '0', '1'

/* Doc 1.2, transcribed offset by offset: options of the Pi 3B ROM DISCOVER
 * from the magic cookie (offset 236) to the END option (offset 319). */
static const uint8_t pi3b_rom_tail[] = {
	/* 236 */ 0x63, 0x82, 0x53, 0x63,
	/* 240 */ 0x35, 0x01, 0x01,
	/* 243 */ 0x37, 0x0c, 0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x42,
	/* 257 */ 0x5d, 0x02, 0x00, 0x00,
	/* 261 */ 0x5e, 0x03, 0x01, 0x02, 0x01,
	/* 266 */ 0x61, 0x11, 0x00, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44,
	/* 285 */ 0x3c, 0x20, VC,
	/* 319 */ 0xff,
};

/* Doc 1.4 with the [GUIDE-U20] capture values: serial 5b154510, board
 * a03111, MAC ..:32:2e:f8:ed -> GUID 00 "RPi4" 11 31 a0 00 32 2e f8 ed 10 45 15 5b. */
static const uint8_t pi4_tail[] = {
	0x63, 0x82, 0x53, 0x63,
	0x35, 0x01, 0x01,
	0x37, 0x0e, 0x01, 0x03, 0x2b, 0x3c, 0x42, 0x43, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
	0x5d, 0x02, 0x00, 0x00,
	0x5e, 0x03, 0x01, 0x02, 0x01,
	0x61, 0x11, 0x00, 0x52, 0x50, 0x69, 0x34, 0x11, 0x31, 0xa0, 0x00, 0x32, 0x2e, 0xf8, 0xed,
	0x10, 0x45, 0x15, 0x5b,
	0x3c, 0x20, VC,
	0xff,
};

static void make_pi(struct probe_pi *pi, enum probe_model m, uint32_t serial, const char *mac)
{
	memset(pi, 0, sizeof(*pi));
	pi->model = m;
	pi->serial = serial;
	pi->board_rev = probe_model_board_rev(m);
	assert_int_equal(pi_mac_parse(mac, pi->mac), 0);
	probe_pi_set_id(pi);
}

/* Expected BOOTP header of a client DISCOVER: all zero but op/htype/hlen,
 * xid and chaddr (doc 1.1). */
static void check_header(const uint8_t *b, uint32_t xid, const uint8_t mac[6])
{
	static const uint8_t zero[236] = { 0 };
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 6);
	assert_int_equal(b[3], 0);
	assert_int_equal(((uint32_t)b[4] << 24) | ((uint32_t)b[5] << 16) | ((uint32_t)b[6] << 8) | b[7], xid);
	assert_memory_equal(b + 8, zero, 20);       /* secs, flags, ciaddr..giaddr */
	assert_memory_equal(b + 28, mac, 6);
	assert_memory_equal(b + 34, zero, 10 + 64 + 128);
}

static void t_discover_pi3b_rom(void **state)
{
	(void)state;
	struct probe_pi pi;
	uint8_t b[600];
	make_pi(&pi, PROBE_MODEL_3B, 0xb66c4c16, "b8:27:eb:6c:4c:16");
	int n = probe_build_discover(b, sizeof(b), PROBE_DISC_3B_ROM, &pi, PROBE_PI3_XID);
	assert_int_equal(n, 320);
	assert_int_equal(sizeof(pi3b_rom_tail), 320 - 236);
	check_header(b, 0x26f30339, pi.mac);
	assert_memory_equal(b + 236, pi3b_rom_tail, sizeof(pi3b_rom_tail));
	/* Constant GUID: another serial gives the same bytes. */
	uint8_t b2[600];
	pi.serial = 0x12345678;
	assert_int_equal(probe_build_discover(b2, sizeof(b2), PROBE_DISC_3B_ROM, &pi, PROBE_PI3_XID), 320);
	assert_memory_equal(b, b2, 320);
	/* Too small a buffer is an error, not a short packet. */
	assert_int_equal(probe_build_discover(b, 319, PROBE_DISC_3B_ROM, &pi, PROBE_PI3_XID), -ENOBUFS);
}

static void t_discover_pi3bplus_and_bootcode(void **state)
{
	(void)state;
	struct probe_pi pi;
	uint8_t b[600];
	/* Doc 1.3: serial b66c4c16 -> 00 16 4c 6c b6 x4 [FW#1605]. */
	static const uint8_t guid[17] = { 0x00, 0x16, 0x4c, 0x6c, 0xb6, 0x16, 0x4c, 0x6c, 0xb6,
					  0x16, 0x4c, 0x6c, 0xb6, 0x16, 0x4c, 0x6c, 0xb6 };
	make_pi(&pi, PROBE_MODEL_3BPLUS, 0xb66c4c16, "b8:27:eb:6c:4c:16");
	int n = probe_build_discover(b, sizeof(b), PROBE_DISC_3_ROM, &pi, PROBE_PI3_XID);
	assert_int_equal(n, 320);
	check_header(b, 0x26f30339, pi.mac);
	/* Same shape as the 3B ROM, only the GUID differs. */
	assert_memory_equal(b + 236, pi3b_rom_tail, 266 + 3 - 236);
	assert_memory_equal(b + 268, guid, 17);
	assert_memory_equal(b + 285, pi3b_rom_tail + (285 - 236), 320 - 285);
	/* bootcode.bin: opt 55 with 01 03 appended, 322 bytes ([FW#871]). */
	n = probe_build_discover(b, sizeof(b), PROBE_DISC_BOOTCODE, &pi, PROBE_PI3_XID);
	assert_int_equal(n, 322);
	static const uint8_t prl[] = { 0x37, 0x0e, 0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83,
				       0x84, 0x85, 0x86, 0x87, 0x42, 0x01, 0x03 };
	assert_memory_equal(b + 243, prl, sizeof(prl));
	assert_memory_equal(b + 270, guid, 17);
	assert_int_equal(b[321], 0xff);
}

static void t_discover_pi4_pi5(void **state)
{
	(void)state;
	struct probe_pi pi;
	uint8_t b[600];
	make_pi(&pi, PROBE_MODEL_4, 0x5b154510, "dc:a6:32:2e:f8:ed");
	assert_int_equal(pi.board_rev, 0xa03111);
	int n = probe_build_discover(b, sizeof(b), PROBE_DISC_EEPROM, &pi, 0xd383a6ac);
	assert_int_equal(n, 322);
	assert_int_equal(sizeof(pi4_tail), 322 - 236);
	check_header(b, 0xd383a6ac, pi.mac);
	assert_memory_equal(b + 236, pi4_tail, sizeof(pi4_tail));

	/* Pi 5: "RPi5", board d04170 -> 70 41 d0 00 (doc 1.5). */
	make_pi(&pi, PROBE_MODEL_5, 0x01020304, "2c:cf:67:aa:bb:cc");
	uint8_t g[17];
	static const uint8_t g5[17] = { 0x00, 'R', 'P', 'i', '5', 0x70, 0x41, 0xd0, 0x00,
					0x67, 0xaa, 0xbb, 0xcc, 0x04, 0x03, 0x02, 0x01 };
	probe_guid(PROBE_DISC_EEPROM, &pi, g);
	assert_memory_equal(g, g5, 17);
}

static void t_request(void **state)
{
	(void)state;
	struct probe_pi pi;
	uint8_t b[600];
	struct dhcp_msg m;
	make_pi(&pi, PROBE_MODEL_4, 0x5b154510, "dc:a6:32:2e:f8:ed");
	uint32_t ip = htonl(0x0a000064), sid = htonl(0x0a000001);
	int n = probe_build_request(b, sizeof(b), &pi, 0x11223344, ip, sid);
	assert_true(n > 240);
	assert_int_equal(dhcp_msg_parse(&m, b, (size_t)n), 0);
	assert_int_equal(m.msg_type, DHCPREQUEST);
	assert_int_equal(m.xid, 0x11223344);
	uint32_t v;
	assert_true(dhcp_msg_opt_u32(&m, DHO_REQUESTED_IP, &v));
	assert_int_equal(v, ip);
	assert_true(dhcp_msg_opt_u32(&m, DHO_SERVER_ID, &v));
	assert_int_equal(v, sid);
	/* The EEPROM REQUEST has no vendor class [EE#82]. */
	assert_false(dhcp_msg_has_opt(&m, DHO_VENDOR_CLASS));
	assert_true(dhcp_msg_has_opt(&m, DHO_CLIENT_GUID));
}

/* The server's view of our DISCOVERs: each is recognised as its generation. */
static void t_discover_identified_by_server(void **state)
{
	(void)state;
	static const struct {
		enum probe_model model;
		enum probe_disc_kind kind;
		const char *mac;
		enum pi_gen gen;
	} cases[] = {
		{ PROBE_MODEL_3B, PROBE_DISC_3B_ROM, "b8:27:eb:6c:4c:16", PI_GEN_3B_ROM },
		{ PROBE_MODEL_3BPLUS, PROBE_DISC_3_ROM, "b8:27:eb:6c:4c:16", PI_GEN_3 },
		{ PROBE_MODEL_3B, PROBE_DISC_BOOTCODE, "b8:27:eb:6c:4c:16", PI_GEN_3 },
		{ PROBE_MODEL_4, PROBE_DISC_EEPROM, "dc:a6:32:2e:f8:ed", PI_GEN_4 },
		{ PROBE_MODEL_5, PROBE_DISC_EEPROM, "2c:cf:67:2e:f8:ed", PI_GEN_5 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe_pi pi;
		struct dhcp_msg m;
		struct pi_ident id;
		uint8_t b[600];
		make_pi(&pi, cases[i].model, 0xb66c4c16, cases[i].mac);
		int n = probe_build_discover(b, sizeof(b), cases[i].kind, &pi, PROBE_PI3_XID);
		assert_int_equal(dhcp_msg_parse(&m, b, (size_t)n), 0);
		pi_identify(&m, &id);
		assert_true(id.is_pi);
		assert_int_equal(id.gen, cases[i].gen);
		assert_true(dhcp_proxy_wants(&m, &id));

		/* ... and the proxy OFFER built for it is a clean boot offer. */
		uint8_t r[600];
		struct dhcp_msg off;
		struct probe_offer o;
		uint32_t srv = htonl(0x0a4d0002);
		int rn = dhcp_proxy_build(&m, srv, false, r, sizeof(r));
		assert_true(rn > 0);
		assert_int_equal(dhcp_msg_parse(&off, r, (size_t)rn), 0);
		probe_judge_offer(&off, srv, probe_model_is_pi3(cases[i].model), PROBE_PI3_XID, pi.mac, &o);
		assert_true(o.is_boot);
		assert_int_equal(o.problems, 0);
		assert_int_equal(o.tftp_ip, srv);
		assert_string_equal(o.menu, "Raspberry Pi Boot");
	}
}

static void t_frame(void **state)
{
	(void)state;
	uint8_t payload[320], f[1600];
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)i;
	struct probe_udp_pkt p = {
		.dst_mac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, .src_mac = { 0xb8, 0x27, 0xeb, 1, 2, 3 },
		.src_ip = 0, .dst_ip = 0xffffffffu, .sport = 68, .dport = 67,
		.payload = payload, .len = sizeof(payload),
	};
	int n = probe_frame_build(f, sizeof(f), &p);
	assert_int_equal(n, 14 + 20 + 8 + 320);  /* frame 362 for a 320-byte BOOTP (IP 348, doc 1.2) */
	assert_int_equal((f[16] << 8) | f[17], 348);
	assert_int_equal(f[22], 128);             /* TTL as in [FW#871] */
	assert_int_equal(probe_inet_csum(f + 14, 20, 0), 0);
	/* UDP checksum verifies over the pseudo header. */
	uint32_t ps = 17 + 328 + 0xffff + 0xffff;
	assert_int_equal(probe_inet_csum(f + 34, 328, ps), 0);
	struct probe_udp_pkt q;
	assert_int_equal(probe_frame_parse(f, (size_t)n, &q), 0);
	assert_int_equal(q.sport, 68);
	assert_int_equal(q.dport, 67);
	assert_int_equal(q.len, 320);
	assert_memory_equal(q.payload, payload, 320);
	assert_memory_equal(q.src_mac, p.src_mac, 6);
	/* Corrupt header checksum, truncation, fragments, non-IP. */
	f[24] ^= 1;
	assert_int_equal(probe_frame_parse(f, (size_t)n, &q), -EBADMSG);
	f[24] ^= 1;
	for (int k = 0; k < 42; k++)
		assert_true(probe_frame_parse(f, (size_t)k, &q) < 0);
	f[20] = 0x20; /* MF */
	f[24] = f[25] = 0;
	uint16_t c = probe_inet_csum(f + 14, 20, 0);
	f[24] = (uint8_t)(c >> 8);
	f[25] = (uint8_t)c;
	assert_int_equal(probe_frame_parse(f, (size_t)n, &q), -EPROTO);
	f[12] = 0x86;
	assert_int_equal(probe_frame_parse(f, (size_t)n, &q), -EPROTO);
	assert_int_equal(probe_frame_build(f, sizeof(f), &(struct probe_udp_pkt){ .len = 1473, .payload = payload }),
			 -EMSGSIZE);
}

/* A reply built by hand: header, cookie, the given option bytes, END, pad. */
static size_t build_reply(uint8_t *b, uint32_t xid, const uint8_t mac[6], uint16_t flags, uint32_t yiaddr,
			  const uint8_t *opts, size_t olen)
{
	memset(b, 0, 600);
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	b[4] = (uint8_t)(xid >> 24);
	b[5] = (uint8_t)(xid >> 16);
	b[6] = (uint8_t)(xid >> 8);
	b[7] = (uint8_t)xid;
	b[10] = (uint8_t)(flags >> 8);
	b[11] = (uint8_t)flags;
	memcpy(b + 16, &yiaddr, 4);
	memcpy(b + 28, mac, 6);
	b[236] = 0x63;
	b[237] = 0x82;
	b[238] = 0x53;
	b[239] = 0x63;
	memcpy(b + 240, opts, olen);
	b[240 + olen] = 0xff;
	return 240 + olen + 1 < 300 ? 300 : 240 + olen + 1;
}

static const uint8_t MAC[6] = { 0xdc, 0xa6, 0x32, 0x2e, 0xf8, 0xed };

#define OPT53_OFFER 0x35, 0x01, 0x02
#define OPT54 0x36, 0x04, 10, 77, 0, 2
/* The dnsmasq opt 43 of doc 2.1, byte for byte. */
#define OPT43_DNSMASQ                                                                       \
	0x2b, 0x20, 0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45, 0x09, 0x14, 0x00, 0x00, \
		0x11, 'R', 'a', 's', 'p', 'b', 'e', 'r', 'r', 'y', ' ', 'P', 'i', ' ', 'B', 'o', 'o', \
		't', 0xff

static void judge(const uint8_t *opts, size_t olen, bool pi3, uint16_t flags, uint32_t yiaddr,
		  struct probe_offer *o)
{
	uint8_t b[600];
	struct dhcp_msg m;
	size_t n = build_reply(b, 0x01020304, MAC, flags, yiaddr, opts, olen);
	assert_int_equal(dhcp_msg_parse(&m, b, n), 0);
	probe_judge_offer(&m, htonl(0x0a4d0063), pi3, 0x01020304, MAC, o);
}

static void t_offer_menu_present(void **state)
{
	(void)state;
	static const uint8_t opts[] = { OPT53_OFFER, OPT54, OPT43_DNSMASQ };
	struct probe_offer o;
	for (int pi3 = 0; pi3 < 2; pi3++) {
		judge(opts, sizeof(opts), pi3, 0x8000, 0, &o);
		assert_true(o.is_boot);
		assert_int_equal(o.problems, 0);
		assert_int_equal(o.type, DHCPOFFER);
		assert_int_equal(o.tftp_ip, htonl(0x0a4d0002));  /* opt 54, not the source */
		assert_false(o.tftp_from_opt66);
		assert_string_equal(o.menu, "Raspberry Pi Boot");
	}
	/* Without the broadcast flag a proxy offer is a problem... */
	judge(opts, sizeof(opts), false, 0, 0, &o);
	assert_true(o.is_boot);
	assert_int_equal(o.problems, PROBE_OP_NO_BCAST);
	/* ... an offer with an address may be unicast. */
	judge(opts, sizeof(opts), false, 0, htonl(0x0a4d0064), &o);
	assert_int_equal(o.problems, 0);
	assert_int_equal(o.yiaddr, htonl(0x0a4d0064));
}

static void t_offer_menu_absent(void **state)
{
	(void)state;
	/* A router's plain offer: no opt 43. */
	static const uint8_t plain[] = { OPT53_OFFER, 0x36, 0x04, 10, 77, 0, 1 };
	/* An x86-only proxy menu [EE#182]. */
	static const uint8_t x86[] = { OPT53_OFFER, OPT54, 0x2b, 0x10, 0x06, 0x01, 0x03, 0x09, 0x0a,
				       0x80, 0x00, 0x07, 'x', '8', '6', ' ', 'P', 'X', 'E', 0xff };
	struct probe_offer o;
	for (int pi3 = 0; pi3 < 2; pi3++) {
		judge(plain, sizeof(plain), pi3, 0, htonl(0x0a4d0064), &o);
		assert_false(o.is_boot);
		assert_int_equal(o.problems, 0);
		assert_int_equal(o.tftp_ip, htonl(0x0a4d0001));
		judge(x86, sizeof(x86), pi3, 0x8000, 0, &o);
		assert_false(o.is_boot);
		assert_string_equal(o.menu, "x86 PXE");
	}
}

static void t_offer_menu_embedded(void **state)
{
	(void)state;
	/* 71-byte style opt 43 with sub-options 6, 9 (two items), 10; the Pi
	 * item text is "~~Raspberry Pi Boot~~" [EE#376]. */
	static const uint8_t opts[] = {
		OPT53_OFFER, OPT54, 0x2b, 0x2f,
		0x06, 0x01, 0x03,
		0x09, 0x23, 0x80, 0x00, 0x08, 'x', '8', '6', ' ', 'B', 'o', 'o', 't',
		0x00, 0x00, 0x15, '~', '~', 'R', 'a', 's', 'p', 'b', 'e', 'r', 'r', 'y', ' ', 'P', 'i',
		' ', 'B', 'o', 'o', 't', '~', '~',
		0x0a, 0x04, 0x00, 'P', 'X', 'E',
		0xff,
	};
	struct probe_offer o;
	for (int pi3 = 0; pi3 < 2; pi3++) {
		judge(opts, sizeof(opts), pi3, 0x8000, 0, &o);
		assert_true(o.is_boot);
		assert_int_equal(o.problems, 0);
		assert_string_equal(o.menu, "~~Raspberry Pi Boot~~");
	}
}

static void t_offer_menu_spaced_and_raw(void **state)
{
	(void)state;
	/* TLV with the three trailing spaces of doc 2.2: both generations. */
	static const uint8_t spaced[] = {
		OPT53_OFFER, OPT54, 0x2b, 0x23, 0x06, 0x01, 0x03, 0x0a, 0x04, 0x00, 0x50, 0x58, 0x45,
		0x09, 0x17, 0x00, 0x00, 0x14, 'R', 'a', 's', 'p', 'b', 'e', 'r', 'r', 'y', ' ', 'P', 'i',
		' ', 'B', 'o', 'o', 't', ' ', ' ', ' ', 0xff,
	};
	/* Raw 20-byte string, no sub-options (ISC/Sophos, [FW#937]). */
	static const uint8_t raw[] = {
		OPT53_OFFER, OPT54, 0x2b, 0x14, 'R', 'a', 's', 'p', 'b', 'e', 'r', 'r', 'y', ' ', 'P',
		'i', ' ', 'B', 'o', 'o', 't', ' ', ' ', ' ',
	};
	struct probe_offer o;
	for (int pi3 = 0; pi3 < 2; pi3++) {
		judge(spaced, sizeof(spaced), pi3, 0x8000, 0, &o);
		assert_true(o.is_boot);
		assert_int_equal(o.problems, 0);
		assert_string_equal(o.menu, "Raspberry Pi Boot   ");
	}
	/* The Pi 3 ROM searches the raw bytes; the Pi 4/5 parse sub-options. */
	judge(raw, sizeof(raw), true, 0x8000, 0, &o);
	assert_true(o.is_boot);
	judge(raw, sizeof(raw), false, 0x8000, 0, &o);
	assert_false(o.is_boot);
	assert_true(o.problems & PROBE_OP_OPT43);

	/* Direct: a menu item whose length overruns sub-option 9. */
	static const uint8_t bad[] = { 0x09, 0x05, 0x00, 0x00, 0x11, 'R', 'a' };
	char menu[40];
	assert_int_equal(probe_opt43_find_menu(bad, sizeof(bad), false, menu, sizeof(menu)), -EBADMSG);
	assert_int_equal(probe_opt43_find_menu(bad, sizeof(bad), true, menu, sizeof(menu)), 0);
	assert_int_equal(probe_opt43_find_menu(NULL, 0, false, menu, sizeof(menu)), 0);
}

static void t_offer_opt66(void **state)
{
	(void)state;
	/* dnsmasq sends opt 66 with a trailing NUL [FW#871]. */
	static const uint8_t opts[] = { OPT53_OFFER, OPT54, OPT43_DNSMASQ, 0x42, 0x09,
					'1', '0', '.', '1', '.', '2', '.', '3', 0 };
	static const uint8_t name[] = { OPT53_OFFER, OPT54, OPT43_DNSMASQ, 0x42, 0x0c,
					't', 'f', 't', 'p', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e' };
	struct probe_offer o;
	judge(opts, sizeof(opts), false, 0x8000, 0, &o);
	assert_true(o.is_boot);
	assert_int_equal(o.tftp_ip, htonl(0x0a010203));
	assert_true(o.tftp_from_opt66);
	assert_int_equal(o.problems, 0);
	/* Pi 3: opt 66 ignored, the offer's server is used [FW#801]. */
	judge(opts, sizeof(opts), true, 0x8000, 0, &o);
	assert_int_equal(o.tftp_ip, htonl(0x0a4d0002));
	/* A host name is not usable: the firmware has no resolver. */
	judge(name, sizeof(name), false, 0x8000, 0, &o);
	assert_int_equal(o.problems, PROBE_OP_OPT66);
	assert_int_equal(o.tftp_ip, htonl(0x0a4d0002));
}

static void t_offer_problems(void **state)
{
	(void)state;
	static const uint8_t noserver[] = { OPT53_OFFER, OPT43_DNSMASQ };
	static const uint8_t ack[] = { 0x35, 0x01, 0x05, OPT54, OPT43_DNSMASQ };
	struct probe_offer o;
	judge(noserver, sizeof(noserver), false, 0x8000, 0, &o);
	assert_true(o.is_boot);
	assert_int_equal(o.problems, PROBE_OP_NO_SERVER_ID);
	assert_int_equal(o.tftp_ip, htonl(0x0a4d0063));  /* falls back to the source */
	judge(ack, sizeof(ack), false, 0x8000, 0, &o);
	assert_int_equal(o.problems, PROBE_OP_TYPE);

	uint8_t b[600];
	struct dhcp_msg m;
	static const uint8_t ok[] = { OPT53_OFFER, OPT54, OPT43_DNSMASQ };
	size_t n = build_reply(b, 0x01020304, MAC, 0x8000, 0, ok, sizeof(ok));
	assert_int_equal(dhcp_msg_parse(&m, b, n), 0);
	probe_judge_offer(&m, 0, false, 0x26f30339, MAC, &o);
	assert_int_equal(o.problems, PROBE_OP_XID);
	static const uint8_t other[6] = { 1, 2, 3, 4, 5, 6 };
	probe_judge_offer(&m, 0, false, 0x01020304, other, &o);
	assert_int_equal(o.problems, PROBE_OP_CHADDR);
	char why[200];
	probe_offer_problems_str(PROBE_OP_XID | PROBE_OP_NO_BCAST, why, sizeof(why));
	assert_string_equal(why, "xid not echoed; broadcast flag not set on a proxy offer");
}

static size_t oack(uint8_t *b, const char *const *kv, size_t n)
{
	size_t o = 2;
	b[0] = 0;
	b[1] = 6;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(kv[i]) + 1;
		memcpy(b + o, kv[i], l);
		o += l;
	}
	return o;
}

static void t_tftp_oack(void **state)
{
	(void)state;
	uint8_t b[200];
	bool has_t;
	uint64_t ts;
	uint16_t bs;
	char why[200];
	const char *ok[] = { "tsize", "8000000", "BLKSIZE", "1024" };
	size_t n = oack(b, ok, 4);
	assert_int_equal(probe_tftp_check_oack(b, n, true, 1468, &has_t, &ts, &bs, why, sizeof(why)), 0);
	assert_true(has_t);
	assert_int_equal(ts, 8000000);
	assert_int_equal(bs, 1024);
	/* blksize larger than asked (RFC 2348). */
	const char *big[] = { "blksize", "1500" };
	n = oack(b, big, 2);
	assert_int_equal(probe_tftp_check_oack(b, n, true, 1468, &has_t, &ts, &bs, why, sizeof(why)), -EPROTO);
	/* Options we never sent (RFC 2347), or twice. */
	const char *ws[] = { "windowsize", "4" };
	n = oack(b, ws, 2);
	assert_int_equal(probe_tftp_check_oack(b, n, true, 1468, &has_t, &ts, &bs, why, sizeof(why)), -EPROTO);
	const char *bs_unasked[] = { "tsize", "10", "blksize", "512" };
	n = oack(b, bs_unasked, 4);
	assert_int_equal(probe_tftp_check_oack(b, n, true, 0, &has_t, &ts, &bs, why, sizeof(why)), -EPROTO);
	const char *twice[] = { "tsize", "10", "tsize", "10" };
	n = oack(b, twice, 4);
	assert_int_equal(probe_tftp_check_oack(b, n, true, 0, &has_t, &ts, &bs, why, sizeof(why)), -EPROTO);
	const char *neg[] = { "tsize", "-1" };
	n = oack(b, neg, 2);
	assert_int_equal(probe_tftp_check_oack(b, n, true, 0, &has_t, &ts, &bs, why, sizeof(why)), -EPROTO);
	/* Empty and unterminated OACKs. */
	n = oack(b, NULL, 0);
	assert_int_equal(probe_tftp_check_oack(b, n, true, 0, &has_t, &ts, &bs, why, sizeof(why)), -EPROTO);
	n = oack(b, ok, 2);
	assert_int_equal(probe_tftp_check_oack(b, n - 1, true, 0, &has_t, &ts, &bs, why, sizeof(why)), -EPROTO);
	/* Only tsize asked and acknowledged: blksize stays 512. */
	assert_int_equal(probe_tftp_check_oack(b, n, true, 0, &has_t, &ts, &bs, why, sizeof(why)), 0);
	assert_int_equal(bs, 512);
}


/* A scripted TFTP server on 127.0.0.1 to check the client engine's
 * strictness: one RRQ, one behaviour. */
enum fake_kind {
	FK_OK, FK_DUP, FK_WRAP1, FK_WINDOWSIZE, FK_TSIZE_MORE, FK_TSIZE_LESS, FK_OVERSIZE,
	FK_NOTFOUND, FK_SILENT_AFTER_OACK,
};

struct fake {
	int fd;
	uint16_t port;
	enum fake_kind kind;
	size_t size;
	pthread_t th;
	char got_error[64];   /* text of an ERROR the client sent us */
	char rrq_name[TFTP_FILENAME_MAX + 1];
};

static uint8_t fake_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static int fake_wait(int t, uint8_t *b, size_t cap, uint16_t *op, uint16_t *blk)
{
	struct pollfd p = { .fd = t, .events = POLLIN };
	if (poll(&p, 1, 500) <= 0)
		return -1;
	ssize_t n = recv(t, b, cap, 0);
	if (n < 4)
		return -1;
	*op = (uint16_t)(b[0] << 8 | b[1]);
	*blk = (uint16_t)(b[2] << 8 | b[3]);
	return (int)n;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	static __thread uint8_t b[70000];
	struct sockaddr_in cl;
	socklen_t l = sizeof(cl);
	ssize_t n = recvfrom(f->fd, b, sizeof(b), 0, (struct sockaddr *)&cl, &l);
	struct tftp_req req;
	if (n <= 0 || tftp_parse_request(b, (size_t)n, &req) < 0)
		return NULL;
	snprintf(f->rrq_name, sizeof(f->rrq_name), "%s", req.filename);
	int t = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(t, (struct sockaddr *)&a, sizeof(a));
	connect(t, (struct sockaddr *)&cl, sizeof(cl));
	uint16_t op, blk, bs = req.opts.has_blksize ? req.opts.blksize : 512;
	int k;
	if (f->kind == FK_NOTFOUND) {
		k = tftp_build_error(b, sizeof(b), TFTP_ENOTFOUND, NULL);
		send(t, b, (size_t)k, 0);
		close(t);
		return NULL;
	}
	struct tftp_opts o = { 0 };
	o.has_tsize = req.opts.has_tsize;
	o.tsize = f->kind == FK_TSIZE_MORE ? f->size + 10 : f->kind == FK_TSIZE_LESS ? f->size - 10 : f->size;
	o.has_blksize = req.opts.has_blksize;
	o.blksize = bs;
	o.has_windowsize = f->kind == FK_WINDOWSIZE;
	o.windowsize = 4;
	k = tftp_build_oack(b, sizeof(b), &o);
	send(t, b, (size_t)k, 0);
	if (f->kind == FK_SILENT_AFTER_OACK) {
		/* Swallow the client's ACK retransmits until it gives up. */
		while (fake_wait(t, b, sizeof(b), &op, &blk) > 0)
			;
		close(t);
		return NULL;
	}
	if ((k = fake_wait(t, b, sizeof(b), &op, &blk)) < 0 || op != TFTP_ACK) {
		if (k > 4 && op == TFTP_ERROR)
			snprintf(f->got_error, sizeof(f->got_error), "%.*s", k - 5, (const char *)b + 4);
		close(t);
		return NULL;
	}
	size_t off = 0;
	uint16_t block = 1;
	for (;;) {
		size_t len = f->size - off < bs ? f->size - off : bs;
		if (f->kind == FK_OVERSIZE)
			len = bs + 1u;
		k = tftp_build_data_hdr(b, sizeof(b), block);
		for (size_t i = 0; i < len; i++)
			b[4 + i] = fake_byte(off + i);
		send(t, b, 4 + len, 0);
		if (f->kind == FK_DUP)
			send(t, b, 4 + len, 0);
		do {
			if (fake_wait(t, b, sizeof(b), &op, &blk) < 0 || op != TFTP_ACK) {
				close(t);
				return NULL;
			}
		} while (blk != block);
		off += len;
		if (len < bs || off > f->size)
			break;
		block++;
		if (block == 0 && f->kind == FK_WRAP1)
			block = 1;  /* the wrong rollover the fixed firmware rejects */
	}
	close(t);
	return NULL;
}

static void fake_start(struct fake *f, enum fake_kind kind, size_t size)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->size = size;
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	getsockname(f->fd, (struct sockaddr *)&a, &l);
	f->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

struct check_sink {
	uint64_t bytes;
	bool bad;
};

static void check_sink_fn(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct check_sink *s = arg;
	if (off != s->bytes)
		s->bad = true;
	for (size_t i = 0; i < n; i++)
		if (p[i] != fake_byte((size_t)off + i))
			s->bad = true;
	s->bytes += n;
}

static void fetch_from(enum fake_kind kind, size_t size, uint16_t blksize, enum probe_tftp_mode mode,
		       struct probe_tftp_res *r, struct check_sink *cs, struct fake *f)
{
	fake_start(f, kind, size);
	memset(cs, 0, sizeof(*cs));
	struct probe_tftp_req rq = {
		.path = "kernel8.img", .server_ip = htonl(INADDR_LOOPBACK), .port = f->port,
		.opt_tsize = true, .blksize = blksize, .mode = mode,
		.file_timeout_ms = kind == FK_SILENT_AFTER_OACK ? 1200 : 20000,
		.ack_retry_ms = 200, .rrq_retry_ms = 200,
		.sink = check_sink_fn, .sink_arg = cs,
	};
	probe_tftp_fetch(&rq, r);
	pthread_join(f->th, NULL);
	close(f->fd);
}

static void t_tftp_engine_good(void **state)
{
	(void)state;
	struct probe_tftp_res r;
	struct check_sink cs;
	struct fake f;
	fetch_from(FK_OK, 5000, 1468, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_OK);
	assert_true(r.got_oack && r.has_tsize);
	assert_int_equal(r.bytes, 5000);
	assert_int_equal(r.blocks, 4);
	assert_false(cs.bad);
	assert_string_equal(f.rrq_name, "kernel8.img");
	/* Exact multiple of blksize: ends with an empty block. */
	fetch_from(FK_OK, 2 * 1468, 1468, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_OK);
	assert_int_equal(r.blocks, 3);
	assert_int_equal(cs.bytes, 2 * 1468);
	/* Duplicated DATA (as after a lost ACK) is re-ACKed, not fatal. */
	fetch_from(FK_DUP, 10000, 1024, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_OK);
	assert_true(r.dups > 0);
	assert_false(cs.bad);
	/* Existence probe: OACK, then ERROR 0 "Early terminate" (doc 4.1). */
	fetch_from(FK_OK, 5000, 1468, PROBE_TFTP_PROBE_OACK, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_OK);
	assert_int_equal(r.tsize, 5000);
	assert_int_equal(r.bytes, 0);
	assert_string_equal(f.got_error, "Early terminate");
	fetch_from(FK_NOTFOUND, 0, 1468, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_NOTFOUND);
	assert_int_equal(r.err_code, 1);
}

static void t_tftp_engine_wrap(void **state)
{
	(void)state;
	struct probe_tftp_res r;
	struct check_sink cs;
	struct fake f;
	/* 65536 + 2 blocks of 8 bytes: block numbers pass 65535 -> 0 [EE#720]. */
	size_t size = 65537u * 8u + 3u;
	fetch_from(FK_OK, size, 8, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_OK);
	assert_int_equal(r.blocks, 65538);
	assert_int_equal(cs.bytes, size);
	assert_false(cs.bad);
	fetch_from(FK_WRAP1, size, 8, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_PROTO);
	assert_non_null(strstr(r.problem, "wrap"));
}

static void t_tftp_engine_violations(void **state)
{
	(void)state;
	struct probe_tftp_res r;
	struct check_sink cs;
	struct fake f;
	fetch_from(FK_WINDOWSIZE, 5000, 1468, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_PROTO);
	assert_non_null(strstr(r.problem, "windowsize"));
	fetch_from(FK_TSIZE_MORE, 5000, 1468, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_PROTO);
	assert_non_null(strstr(r.problem, "tsize 5010 but 5000"));
	fetch_from(FK_TSIZE_LESS, 5000, 1468, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_PROTO);
	assert_non_null(strstr(r.problem, "beyond the end"));
	fetch_from(FK_OVERSIZE, 5000, 1024, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_PROTO);
	assert_non_null(strstr(r.problem, "1025 bytes, blksize is 1024"));
	fetch_from(FK_SILENT_AFTER_OACK, 5000, 1468, PROBE_TFTP_GET, &r, &cs, &f);
	assert_int_equal(r.status, PROBE_TFTP_TIMEOUT);
	assert_true(r.acks_resent > 0);
}

static void parse_cfg(struct probe_config *c, enum probe_model m, uint32_t serial, const char *text)
{
	struct probe_cfg_board b = { m, serial, probe_model_board_rev(m) };
	probe_config_init(c);
	probe_config_parse(c, &b, text, strlen(text));
}

static void t_config_basic(void **state)
{
	(void)state;
	struct probe_config c;
	parse_cfg(&c, PROBE_MODEL_4, 0x12345678,
		  "# comment\r\n"
		  "kernel=vmlinuz-6.6\r\n"
		  "initramfs initrd.img followkernel\n"
		  "  dtoverlay=vc4-kms-v3d\n"
		  "dtoverlay=dwc2,dr_mode=host\n"
		  "dtoverlay=vc4-kms-v3d\n"
		  "dtparam=audio=on\n"
		  "include extra.txt\n"
		  "device_tree=my.dtb\n"
		  "arm_64bit=1\n"
		  "start_file=start4x.elf\n"
		  "cmdline=cmd.txt\n"
		  "os_prefix=os1/\n");
	assert_string_equal(c.kernel, "vmlinuz-6.6");
	assert_string_equal(c.initramfs, "initrd.img");
	assert_int_equal(c.n_overlays, 2);
	assert_string_equal(c.overlays[0], "vc4-kms-v3d");
	assert_string_equal(c.overlays[1], "dwc2");
	assert_int_equal(c.n_includes, 1);
	assert_string_equal(c.includes[0], "extra.txt");
	assert_true(c.has_device_tree);
	assert_string_equal(c.device_tree, "my.dtb");
	assert_int_equal(c.arm_64bit, 1);
	assert_string_equal(c.start_file, "start4x.elf");
	assert_string_equal(c.cmdline, "cmd.txt");
	assert_string_equal(c.os_prefix, "os1/");
	assert_string_equal(c.overlay_prefix, "overlays/");

	/* Defaults; ramfsfile=; auto_initramfs; empty device_tree= (no DT). */
	parse_cfg(&c, PROBE_MODEL_5, 0, "ramfsfile=a.img,b.img\nauto_initramfs=1\ndevice_tree=\n");
	assert_string_equal(c.kernel, "");
	assert_string_equal(c.initramfs, "a.img");
	assert_true(c.auto_initramfs);
	assert_true(c.has_device_tree);
	assert_string_equal(c.device_tree, "");
	assert_string_equal(c.cmdline, "cmdline.txt");
	assert_int_equal(c.arm_64bit, -1);
}

static void t_config_sections(void **state)
{
	(void)state;
	static const char text[] =
		"[pi4]\nkernel=k4.img\ndtoverlay=four\n"
		"[pi5]\nkernel=k5.img\n"
		"[cm4]\ndtoverlay=cm4only\n"
		"[pi3]\ninitramfs i3\n"
		"[pi3+]\ninclude plus.txt\n"
		"[all]\ndtoverlay=common\n"
		"[0x12345678]\ninclude mine.txt\n"
		"[all]\n[gpio4=1]\nkernel=gpio.img\n"
		"[all]\n[none]\nkernel=never.img\n"
		"[all]\n[pi4]\n[0x12345678]\ndtoverlay=both\n";
	struct probe_config c;
	parse_cfg(&c, PROBE_MODEL_4, 0x12345678, text);
	assert_string_equal(c.kernel, "k4.img");
	assert_int_equal(c.n_overlays, 3);
	assert_string_equal(c.overlays[0], "four");
	assert_string_equal(c.overlays[1], "common");
	assert_string_equal(c.overlays[2], "both");
	assert_int_equal(c.n_includes, 1);
	assert_string_equal(c.includes[0], "mine.txt");
	assert_string_equal(c.initramfs, "");

	parse_cfg(&c, PROBE_MODEL_5, 0x1, text);
	assert_string_equal(c.kernel, "k5.img");
	assert_int_equal(c.n_overlays, 1);
	assert_int_equal(c.n_includes, 0);

	parse_cfg(&c, PROBE_MODEL_3BPLUS, 0x1, text);
	assert_string_equal(c.initramfs, "i3");
	assert_int_equal(c.n_includes, 1);
	assert_string_equal(c.includes[0], "plus.txt");
	parse_cfg(&c, PROBE_MODEL_3B, 0x1, text);
	assert_string_equal(c.initramfs, "i3");
	assert_int_equal(c.n_includes, 0);
}

static void t_config_limits(void **state)
{
	(void)state;
	struct probe_config c;
	char text[8192];
	size_t o = 0;
	for (int i = 0; i < PROBE_CFG_OVERLAYS_MAX + 3; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "dtoverlay=ov%d\n", i);
	for (int i = 0; i < 300; i++)
		text[o++] = 'k';
	text[o] = '\0';
	struct probe_cfg_board b = { PROBE_MODEL_4, 0, 0 };
	probe_config_init(&c);
	probe_config_parse(&c, &b, text, o);
	assert_int_equal(c.n_overlays, PROBE_CFG_OVERLAYS_MAX);
	assert_int_equal(c.dropped, 3);
	/* Unterminated last line, long value: dropped, not truncated. */
	parse_cfg(&c, PROBE_MODEL_4, 0, "kernel=");
	assert_string_equal(c.kernel, "");
	char longk[400] = "kernel=";
	memset(longk + 7, 'x', 300);
	longk[307] = '\0';
	parse_cfg(&c, PROBE_MODEL_4, 0, longk);
	assert_string_equal(c.kernel, "");
	assert_int_equal(c.dropped, 1);
}

static void t_verify_helpers(void **state)
{
	(void)state;
	struct probe_vars v = { "10.77.0.2", "b66c4c16", "b66c4c16", "b8:27:eb:6c:4c:16", "rack1-n3" };
	const char *in = "nfsroot=${server}:/nfs/${id} host=${name} mac=${mac} ${unknown} ${serial";
	char out[200];
	size_t n = probe_expand_vars(in, strlen(in), &v, out, sizeof(out));
	out[n] = '\0';
	assert_string_equal(out, "nfsroot=10.77.0.2:/nfs/b66c4c16 host=rack1-n3 mac=b8:27:eb:6c:4c:16 "
				 "${unknown} ${serial");
	/* Size query with no buffer. */
	assert_int_equal(probe_expand_vars(in, strlen(in), &v, NULL, 0), n);

	char p[100];
	assert_int_equal(probe_norm_path("b66c4c16//cmdline.txt", NULL, p, sizeof(p)), 0);
	assert_string_equal(p, "b66c4c16/cmdline.txt");
	assert_int_equal(probe_norm_path("b66c4c16//cmdline.txt", "b66c4c16/", p, sizeof(p)), 0);
	assert_string_equal(p, "cmdline.txt");
	assert_int_equal(probe_norm_path("/overlays/x.dtbo", NULL, p, sizeof(p)), 0);
	assert_string_equal(p, "overlays/x.dtbo");
	assert_int_equal(probe_norm_path("../etc/passwd", NULL, p, sizeof(p)), -EINVAL);
	assert_int_equal(probe_norm_path("a/./b", NULL, p, sizeof(p)), -EINVAL);
	assert_int_equal(probe_norm_path("//", NULL, p, sizeof(p)), -EINVAL);
}


static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void t_expect(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_probe.XXXXXX", p[300];
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/boot", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/b66c4c16", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/clients/b66c4c16/boot", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/boot/cmdline.txt", dir);
	write_file(p, "nfsroot=${server}:/nfs/${id} # ${name}\n");
	snprintf(p, sizeof(p), "%s/boot/kernel8.img", dir);
	write_file(p, "KERNELBYTES");
	snprintf(p, sizeof(p), "%s/clients/b66c4c16/boot/config.txt", dir);
	write_file(p, "kernel=k-${serial}.img\n");
	snprintf(p, sizeof(p), "%s/clients/b66c4c16/client.conf", dir);
	write_file(p, "[client]\nname = \"rack1-n3\"\n");

	char name[64];
	probe_client_name(dir, "b66c4c16", name, sizeof(name));
	assert_string_equal(name, "rack1-n3");
	struct probe_vars v = { "10.77.0.2", "b66c4c16", "b66c4c16", "b8:27:eb:6c:4c:16", name };
	struct probe_verify_src src = { .data_dir = dir, .ids = { "b66c4c16", "b8-27-eb-6c-4c-16" },
					.prefix = "b66c4c16/", .vars = &v };
	struct probe_expect e;
	char why[600];
	/* Shared file with placeholders, requested with the serial prefix. */
	const char *want = "nfsroot=10.77.0.2:/nfs/b66c4c16 # rack1-n3\n";
	probe_expect_open(&e, &src, "b66c4c16/cmdline.txt");
	assert_true(e.active && e.exists);
	probe_expect_feed(&e, 0, (const uint8_t *)want, 10);
	probe_expect_feed(&e, 10, (const uint8_t *)want + 10, strlen(want) - 10);
	assert_true(probe_expect_check(&e, strlen(want), why, sizeof(why)));
	probe_expect_close(&e);
	/* The client's own file wins over boot/. */
	probe_expect_open(&e, &src, "config.txt");
	assert_non_null(strstr(e.where, "clients/b66c4c16/boot/config.txt"));
	probe_expect_feed(&e, 0, (const uint8_t *)"kernel=k-b66c4c16.imG\n", 22);
	assert_false(probe_expect_check(&e, 22, why, sizeof(why)));
	assert_non_null(strstr(why, "at byte 20"));
	probe_expect_close(&e);
	/* Binary file: too long, and absent references. */
	probe_expect_open(&e, &src, "kernel8.img");
	probe_expect_feed(&e, 0, (const uint8_t *)"KERNELBYTESX", 12);
	assert_false(probe_expect_check(&e, 12, why, sizeof(why)));
	assert_non_null(strstr(why, "at byte 11"));
	probe_expect_close(&e);
	probe_expect_open(&e, &src, "kernel8.img");
	probe_expect_feed(&e, 0, (const uint8_t *)"KERNEL", 6);
	assert_false(probe_expect_check(&e, 6, why, sizeof(why)));
	assert_non_null(strstr(why, "6 bytes received"));
	probe_expect_close(&e);
	probe_expect_open(&e, &src, "start4.elf");
	assert_true(e.active);
	assert_false(e.exists);
	assert_false(probe_expect_check(&e, 1, why, sizeof(why)));
	probe_expect_close(&e);
	/* --verify-dir: the requested path as is, prefix included; no expansion. */
	struct probe_verify_src vd = { .verify_dir = dir };
	probe_expect_open(&e, &vd, "boot//cmdline.txt");
	assert_true(e.exists);
	assert_int_equal(e.size, strlen("nfsroot=${server}:/nfs/${id} # ${name}\n"));
	probe_expect_close(&e);
	probe_expect_open(&e, &vd, "../etc/passwd");
	assert_false(e.active);
	assert_true(probe_expect_check(&e, 5, why, sizeof(why)));
	probe_expect_close(&e);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void t_identity_and_numbers(void **state)
{
	(void)state;
	enum probe_model m;
	assert_int_equal(probe_model_parse("3b+", &m), 0);
	assert_int_equal(m, PROBE_MODEL_3BPLUS);
	assert_int_equal(probe_model_parse("pi5", &m), 0);
	assert_int_equal(probe_model_parse("6", &m), -EINVAL);
	uint8_t mac[6];
	probe_mac_from_serial(PROBE_MODEL_3B, 0xb66c4c16, mac);
	static const uint8_t want[6] = { 0xb8, 0x27, 0xeb, 0x6c, 0x4c, 0x16 };
	assert_memory_equal(mac, want, 6);  /* doc 1.1: b8:27:eb:6c:4c:16 <-> b66c4c16 */
	assert_int_equal(probe_serial_from_mac(PROBE_MODEL_3B, mac) & 0xffffff, 0x6c4c16);
	assert_int_equal(probe_serial_from_mac(PROBE_MODEL_4, mac), probe_serial_from_mac(PROBE_MODEL_4, mac));
	unsigned long v;
	assert_int_equal(probe_parse_uint("500", 1000, &v), 0);
	assert_int_equal(v, 500);
	assert_int_equal(probe_parse_uint("1001", 1000, &v), -ERANGE);
	assert_int_equal(probe_parse_uint("-1", 1000, &v), -EINVAL);
	assert_int_equal(probe_parse_uint(" 1", 1000, &v), -EINVAL);
	assert_int_equal(probe_parse_uint("", 1000, &v), -EINVAL);
	uint32_t h;
	assert_int_equal(probe_parse_hex32("B66C4C16", &h), 0);
	assert_int_equal(h, 0xb66c4c16);
	assert_int_equal(probe_parse_hex32("0xd04170", &h), 0);
	assert_int_equal(h, 0xd04170);
	assert_int_equal(probe_parse_hex32("123456789", &h), -ERANGE);
	assert_int_equal(probe_parse_hex32("12g", &h), -EINVAL);
	struct probe_pi pi = { .serial = 0x00abcdef };
	probe_pi_set_id(&pi);
	assert_string_equal(pi.id, "00abcdef");
}

/* ---------------------------------------------------------------- models */

static void t_models(void **state)
{
	(void)state;
	static const struct {
		const char *arg, *tag, *dtb;
		enum probe_model m;
		enum probe_soc soc;
		uint32_t rev;
	} tab[] = {
		{ "3b", "pi3b", "bcm2710-rpi-3-b.dtb", PROBE_MODEL_3B, PROBE_SOC_2837, 0xa02082 },
		{ "3b+", "pi3b+", "bcm2710-rpi-3-b-plus.dtb", PROBE_MODEL_3BPLUS, PROBE_SOC_2837, 0xa020d3 },
		{ "4", "pi4", "bcm2711-rpi-4-b.dtb", PROBE_MODEL_4, PROBE_SOC_2711, 0xa03111 },
		{ "400", "pi400", "bcm2711-rpi-400.dtb", PROBE_MODEL_400, PROBE_SOC_2711, 0xc03130 },
		{ "cm4", "cm4", "bcm2711-rpi-cm4.dtb", PROBE_MODEL_CM4, PROBE_SOC_2711, 0xa03140 },
		{ "5", "pi5", "bcm2712-rpi-5-b.dtb", PROBE_MODEL_5, PROBE_SOC_2712, 0xd04170 },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		enum probe_model m = PROBE_MODEL_MAX;
		assert_int_equal(probe_model_parse(tab[i].arg, &m), 0);
		assert_int_equal(m, tab[i].m);
		assert_int_equal(probe_model_parse(tab[i].tag, &m), 0);
		assert_int_equal(m, tab[i].m);
		assert_string_equal(probe_model_tag(m), tab[i].tag);
		assert_string_equal(probe_model_dtb(m), tab[i].dtb);
		assert_int_equal(probe_model_soc(m), tab[i].soc);
		assert_int_equal(probe_model_board_rev(m), tab[i].rev);
	}
	enum probe_model m;
	assert_int_equal(probe_model_parse("cm4s", &m), -EINVAL);  /* no Ethernet: no netboot */
	/* The 400 and the CM4 send the Pi 4 GUID with their own revision. */
	struct probe_pi pi;
	uint8_t g[17];
	make_pi(&pi, PROBE_MODEL_400, 0x5b154510, "dc:a6:32:2e:f8:ed");
	probe_guid(PROBE_DISC_EEPROM, &pi, g);
	static const uint8_t g400[17] = { 0x00, 'R', 'P', 'i', '4', 0x30, 0x31, 0xc0, 0x00,
					  0x32, 0x2e, 0xf8, 0xed, 0x10, 0x45, 0x15, 0x5b };
	assert_memory_equal(g, g400, 17);
	make_pi(&pi, PROBE_MODEL_CM4, 0x5b154510, "e4:5f:01:2e:f8:ed");
	probe_guid(PROBE_DISC_EEPROM, &pi, g);
	assert_memory_equal(g + 1, "RPi4\x40\x31\xa0", 7);
	make_pi(&pi, PROBE_MODEL_5, 0x5b154510, "2c:cf:67:2e:f8:ed");
	probe_guid(PROBE_DISC_EEPROM, &pi, g);
	assert_memory_equal(g + 1, "RPi5\x70\x41\xd0", 7);
}

static void t_config_model_sections(void **state)
{
	(void)state;
	static const char text[] =
		"[pi4]\nkernel=a.img\n"
		"[pi5]\nkernel=b.img\n"
		"[pi400]\ndtoverlay=only400\n"
		"[cm4]\ndtoverlay=onlycm4\ndevice_tree=cm4-custom.dtb\n"
		"[cm4s]\nkernel=never-cm4s.img\n"
		"[pi500]\nkernel=never-500.img\n"
		"[all]\ndtoverlay=common\n"
		"[board-type=0x13]\ninclude type400.txt\n"
		"[board-type=0x17]\ninitramfs five.img\n"
		"[all]\n[none]\nkernel=never.img\n"
		"[all]\nos_prefix=os/\n";
	struct probe_config c;
	parse_cfg(&c, PROBE_MODEL_4, 1, text);
	assert_string_equal(c.kernel, "a.img");
	assert_int_equal(c.n_overlays, 1);
	assert_string_equal(c.overlays[0], "common");
	assert_false(c.has_device_tree);
	assert_int_equal(c.n_includes, 0);
	assert_string_equal(c.os_prefix, "os/");

	parse_cfg(&c, PROBE_MODEL_400, 1, text);   /* [pi4] applies to the 400 too */
	assert_string_equal(c.kernel, "a.img");
	assert_int_equal(c.n_overlays, 2);
	assert_string_equal(c.overlays[0], "only400");
	assert_string_equal(c.overlays[1], "common");
	assert_int_equal(c.n_includes, 1);
	assert_string_equal(c.includes[0], "type400.txt");

	parse_cfg(&c, PROBE_MODEL_CM4, 1, text);
	assert_string_equal(c.kernel, "a.img");
	assert_int_equal(c.n_overlays, 2);
	assert_string_equal(c.overlays[0], "onlycm4");
	assert_true(c.has_device_tree);
	assert_string_equal(c.device_tree, "cm4-custom.dtb");
	assert_int_equal(c.n_includes, 0);

	parse_cfg(&c, PROBE_MODEL_5, 1, text);
	assert_string_equal(c.kernel, "b.img");
	assert_string_equal(c.initramfs, "five.img");
	assert_int_equal(c.n_overlays, 1);
	assert_string_equal(c.os_prefix, "os/");

	parse_cfg(&c, PROBE_MODEL_3BPLUS, 1, text);
	assert_string_equal(c.kernel, "");
	assert_string_equal(c.initramfs, "");
}

static void t_tftp_prefix(void **state)
{
	(void)state;
	struct probe_pi pi;
	char out[48];
	make_pi(&pi, PROBE_MODEL_4, 0x0136c2ab, "dc:a6:32:01:36:c2");
	assert_int_equal(probe_tftp_prefix(&pi, PROBE_PREFIX_SERIAL, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "0136c2ab/");
	assert_int_equal(probe_tftp_prefix(&pi, PROBE_PREFIX_MAC, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "dc-a6-32-01-36-c2/");   /* doc 3.2 example */
	assert_int_equal(probe_tftp_prefix(&pi, PROBE_PREFIX_STR, "tftp_test/", out, sizeof(out)), 0);
	assert_string_equal(out, "tftp_test/");           /* verbatim: no '/' added */
	assert_int_equal(probe_tftp_prefix(&pi, PROBE_PREFIX_NONE, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(probe_tftp_prefix(&pi, PROBE_PREFIX_MAC, NULL, out, 18), -ENAMETOOLONG);

	enum probe_prefix_mode mode;
	char str[PROBE_PREFIX_STR_MAX + 1];
	assert_int_equal(probe_prefix_parse("serial", &mode, str), 0);
	assert_int_equal(mode, PROBE_PREFIX_SERIAL);
	assert_int_equal(probe_prefix_parse("mac", &mode, str), 0);
	assert_int_equal(mode, PROBE_PREFIX_MAC);
	assert_int_equal(probe_prefix_parse("none", &mode, str), 0);
	assert_int_equal(mode, PROBE_PREFIX_NONE);
	assert_int_equal(probe_prefix_parse("rack-1/", &mode, str), 0);
	assert_int_equal(mode, PROBE_PREFIX_STR);
	assert_string_equal(str, "rack-1/");
	assert_int_equal(probe_prefix_parse("", &mode, str), -EINVAL);
	assert_int_equal(probe_prefix_parse("has space/", &mode, str), -EINVAL);
	assert_int_equal(probe_prefix_parse("0123456789abcdef0123456789abcdef", &mode, str), 0);
	assert_int_equal(probe_prefix_parse("0123456789abcdef0123456789abcdef0", &mode, str), -EINVAL);
}

static void t_identity_pi3(void **state)
{
	(void)state;
	struct probe_pi pi;
	static const uint8_t none[6] = { 0 };
	/* --model 3b --serial S: MAC b8:27:eb + the serial's low 24 bits (doc 1.1). */
	probe_pi_identity(&pi, PROBE_MODEL_3B, 0xa02082, true, 0xb66c4c16, false, none, 0);
	static const uint8_t want[6] = { 0xb8, 0x27, 0xeb, 0x6c, 0x4c, 0x16 };
	assert_memory_equal(pi.mac, want, 6);
	assert_string_equal(pi.id, "b66c4c16");
	/* --count: the third Pi has the next serials and matching MACs. */
	probe_pi_identity(&pi, PROBE_MODEL_3B, 0xa02082, true, 0xb66c4c16, false, none, 2);
	assert_string_equal(pi.id, "b66c4c18");
	assert_int_equal(pi.mac[5], 0x18);
	/* --mac only: the serial's low 24 bits come from the MAC. */
	probe_pi_identity(&pi, PROBE_MODEL_3B, 0xa02082, false, 0, true, want, 0);
	assert_int_equal(pi.serial & 0xffffff, 0x6c4c16);
	/* A Pi 4 MAC from a serial uses the Pi 4 OUI. */
	probe_pi_identity(&pi, PROBE_MODEL_CM4, 0xa03140, true, 0x12345678, false, none, 0);
	assert_int_equal(pi.mac[0], 0xe4);
	assert_int_equal(pi.mac[5], 0x78);
}

static void t_addr_helpers(void **state)
{
	(void)state;
	uint32_t a = htonl(0x0a010064), b = htonl(0x0a010065);  /* 10.1.0.100, .101 */
	assert_int_equal(probe_mask_plen(htonl(0xffffff00)), 24);
	assert_int_equal(probe_mask_plen(htonl(0xffffffff)), 32);
	assert_int_equal(probe_mask_plen(0), 0);
	assert_int_equal(probe_mask_plen(htonl(0xff00ff00)), -EINVAL);
	assert_true(probe_addr_in_prefix(b, a, 24));
	assert_false(probe_addr_in_prefix(htonl(0x0a020001), a, 24));
	assert_false(probe_addr_in_prefix(b, a, 32));
	assert_true(probe_addr_in_prefix(htonl(0xc0a80001), a, 0));
	/* One address per simulated Pi: a second owner is refused. */
	char other[9] = "";
	assert_int_equal(probe_addr_claim(a, "1234abcd", other), 0);
	assert_int_equal(probe_addr_claim(a, "1234abcd", other), 0);   /* its own again */
	assert_int_equal(probe_addr_claim(b, "20000002", other), 0);
	assert_int_equal(probe_addr_claim(a, "20000002", other), -EADDRINUSE);
	assert_string_equal(other, "1234abcd");
}

/* ------------------------------------------------ whole sequences over TFTP */

/* A TFTP server on 127.0.0.1 serving an in-memory tree and recording every
 * request, to check the file names each generation asks for. */
struct tree_file {
	const char *name;
	const char *content;
};

#define TREE_REQS_MAX 64
struct tree {
	int fd;
	uint16_t port;
	const struct tree_file *files;
	volatile int stop;
	pthread_t th;
	unsigned n;
	char reqs[TREE_REQS_MAX][80];
};

static const struct tree_file *tree_find(const struct tree *t, const char *name)
{
	char norm[TFTP_FILENAME_MAX + 1];
	size_t o = 0;
	/* "//" as the Pi 5 may send it (probe_seq.c) means "/". */
	for (size_t i = 0; name[i] && o + 1 < sizeof(norm); i++)
		if (!(name[i] == '/' && o > 0 && norm[o - 1] == '/'))
			norm[o++] = name[i];
	norm[o] = '\0';
	for (const struct tree_file *f = t->files; f->name; f++)
		if (strcmp(f->name, norm) == 0)
			return f;
	return NULL;
}

/* One transfer on its own socket t; ends on the last ACK, an ERROR from
 * the client (probes) or silence. */
static void tree_serve(int t, const struct tftp_req *req, const struct tree_file *f)
{
	static __thread uint8_t b[2048];
	uint16_t op, blk, bs = req->opts.has_blksize ? req->opts.blksize : 512;
	size_t size = strlen(f->content);
	int k;
	if (bs > 1468)
		bs = 1468;
	if (req->opts.has_tsize || req->opts.has_blksize) {
		struct tftp_opts o = { 0 };
		o.has_tsize = req->opts.has_tsize;
		o.tsize = size;
		o.has_blksize = req->opts.has_blksize;
		o.blksize = bs;
		k = tftp_build_oack(b, sizeof(b), &o);
		send(t, b, (size_t)k, 0);
		if (fake_wait(t, b, sizeof(b), &op, &blk) < 0 || op != TFTP_ACK)
			return;
	}
	for (uint16_t block = 1;; block++) {
		size_t off = (size_t)(block - 1) * bs, len = size - off < bs ? size - off : bs;
		k = tftp_build_data_hdr(b, sizeof(b), block);
		memcpy(b + 4, f->content + off, len);
		send(t, b, 4 + len, 0);
		if (fake_wait(t, b, sizeof(b), &op, &blk) < 0 || op != TFTP_ACK || len < bs)
			return;
	}
}

static void *tree_main(void *arg)
{
	struct tree *t = arg;
	static __thread uint8_t b[2048];
	while (!t->stop) {
		struct pollfd p = { .fd = t->fd, .events = POLLIN };
		if (poll(&p, 1, 100) <= 0)
			continue;
		struct sockaddr_in cl;
		socklen_t l = sizeof(cl);
		struct tftp_req req;
		ssize_t n = recvfrom(t->fd, b, sizeof(b), 0, (struct sockaddr *)&cl, &l);
		if (n <= 0 || tftp_parse_request(b, (size_t)n, &req) < 0)
			continue;
		if (t->n < TREE_REQS_MAX)
			snprintf(t->reqs[t->n++], sizeof(t->reqs[0]), "%.79s", req.filename);
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		bind(s, (struct sockaddr *)&a, sizeof(a));
		connect(s, (struct sockaddr *)&cl, sizeof(cl));
		const struct tree_file *f = tree_find(t, req.filename);
		if (f) {
			tree_serve(s, &req, f);
		} else {
			int k = tftp_build_error(b, sizeof(b), TFTP_ENOTFOUND, NULL);
			send(s, b, (size_t)k, 0);
		}
		close(s);
	}
	return NULL;
}

/* Run one simulated Pi's TFTP phase (as with --server) against files;
 * the requests land in t->reqs. Returns whether the Pi passed. */
static bool run_tree(struct tree *t, const struct tree_file *files, enum probe_model m, uint32_t serial,
		     const char *mac, enum probe_prefix_mode pm, const char *pstr)
{
	memset(t, 0, sizeof(*t));
	t->files = files;
	t->fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(t->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	getsockname(t->fd, (struct sockaddr *)&a, &l);
	t->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&t->th, NULL, tree_main, t), 0);

	static struct probe_opts o;
	memset(&o, 0, sizeof(o));
	o.model = m;
	o.has_server = true;
	o.server.s_addr = htonl(INADDR_LOOPBACK);
	o.tftp_port = t->port;
	o.timeout_s = 30;
	o.file_timeout_ms = 5000;
	o.prefix_mode = pm;
	snprintf(o.prefix_str, sizeof(o.prefix_str), "%s", pstr ? pstr : "");
	static struct probe_ctx c;
	memset(&c, 0, sizeof(c));
	c.o = &o;
	make_pi(&c.pi, m, serial, mac);
	c.t0 = probe_now_ms();
	c.deadline = c.t0 + 30000;
	c.ifname = "";
	c.nic.home_fd = -1;
	c.tftp_ip = o.server.s_addr;
	snprintf(c.server_str, sizeof(c.server_str), "127.0.0.1");
	probe_tl_init(&c.tl, c.t0, NULL);
	probe_config_init(&c.cfg);
	probe_mac_fmt(c.pi.mac, c.mac_str);
	pi_mac_id(c.pi.mac, c.mac_id);
	probe_tftp_phase(&c);
	t->stop = 1;
	pthread_join(t->th, NULL);
	close(t->fd);
	if (c.failed) {
		probe_tl_print(&c.tl, stderr);
		fprintf(stderr, "FAIL: %s\n", c.reason);
	}
	probe_tl_free(&c.tl);
	return !c.failed;
}

static void check_reqs(const struct tree *t, const char *const *want)
{
	unsigned n = 0;
	while (want[n])
		n++;
	for (unsigned i = 0; i < t->n && i < n; i++)
		if (strcmp(t->reqs[i], want[i]) != 0) {
			for (unsigned k = 0; k < t->n; k++)
				fprintf(stderr, "  asked %2u %s\n", k, t->reqs[k]);
			fail_msg("request %u: asked '%s', want '%s'", i, t->reqs[i], want[i]);
		}
	assert_int_equal(t->n, n);
}

static const char cfg_models[] = "[pi4]\nkernel=a.img\n[pi5]\nkernel=b.img\n[pi400]\ndtoverlay=only400\n"
				  "[all]\narm_64bit=1\n";

static void t_seq_pi400(void **state)
{
	(void)state;
	static const struct tree_file files[] = {
		{ "start4.elf", "S4" }, { "fixup4.dat", "F4" }, { "config.txt", cfg_models },
		{ "bcm2711-rpi-400.dtb", "DT400" }, { "overlays/only400.dtbo", "OV" },
		{ "cmdline.txt", "console=tty1" }, { "a.img", "KERNEL-A" }, { "b.img", "KERNEL-B" },
		{ NULL, NULL },
	};
	static const char *const want[] = {
		"400abcd0/start4.elf", "400abcd0/start.elf", "config.txt", "pieeprom.sig", "recover4.elf",
		"recovery.elf", "start4.elf", "fixup4.dat", "config.txt", "dt-blob.bin", "bootcfg.txt",
		"bcm2711-rpi-400.dtb", "overlays/overlay_map.dtb", "overlays/only400.dtbo", "config.txt",
		"cmdline.txt", "a.img", "armstub8-gic.bin", "a.img", NULL,
	};
	struct tree t;
	assert_true(run_tree(&t, files, PROBE_MODEL_400, 0x400abcd0, "dc:a6:32:0a:bc:d0", PROBE_PREFIX_SERIAL, NULL));
	check_reqs(&t, want);
	/* The CM4 asks its own device tree and skips the [pi400] overlay. */
	static const struct tree_file cm4files[] = {
		{ "start4.elf", "S4" }, { "fixup4.dat", "F4" }, { "config.txt", cfg_models },
		{ "bcm2711-rpi-cm4.dtb", "DTCM4" }, { "cmdline.txt", "c" }, { "a.img", "KERNEL-A" },
		{ NULL, NULL },
	};
	assert_true(run_tree(&t, cm4files, PROBE_MODEL_CM4, 0x0c4c4c4c, "e4:5f:01:4c:4c:4c", PROBE_PREFIX_SERIAL, NULL));
	assert_string_equal(t.reqs[11], "bcm2711-rpi-cm4.dtb");
	assert_string_equal(t.reqs[13], "config.txt");
	/* Without the CM4 dtb the boot fails: the name is really asked. */
	static const struct tree_file nodtb[] = {
		{ "start4.elf", "S4" }, { "fixup4.dat", "F4" }, { "config.txt", cfg_models },
		{ "bcm2711-rpi-4-b.dtb", "DT4" }, { "cmdline.txt", "c" }, { "a.img", "K" }, { NULL, NULL },
	};
	assert_false(run_tree(&t, nodtb, PROBE_MODEL_CM4, 0x0c4c4c4c, "e4:5f:01:4c:4c:4c", PROBE_PREFIX_SERIAL, NULL));
}

static void t_seq_pi5_mac_prefix(void **state)
{
	(void)state;
	static const struct tree_file files[] = {
		{ "2c-cf-67-55-ab-cd/config.txt", cfg_models }, { "2c-cf-67-55-ab-cd/bcm2712-rpi-5-b.dtb", "DT5" },
		{ "2c-cf-67-55-ab-cd/cmdline.txt", "c" }, { "2c-cf-67-55-ab-cd/b.img", "KERNEL-B" },
		{ "2c-cf-67-55-ab-cd/a.img", "KERNEL-A" }, { NULL, NULL },
	};
	static const char *const want[] = {
		"2c-cf-67-55-ab-cd/config.txt", "2c-cf-67-55-ab-cd/bcm2712-rpi-5-b.dtb",
		"2c-cf-67-55-ab-cd/pieeprom.sig", "2c-cf-67-55-ab-cd/config.txt",
		"2c-cf-67-55-ab-cd/armstub8-2712.bin", "2c-cf-67-55-ab-cd/bcm2712-rpi-5-b.dtb",
		"2c-cf-67-55-ab-cd/overlays/overlay_map.dtb", "2c-cf-67-55-ab-cd//cmdline.txt",
		"2c-cf-67-55-ab-cd/b.img", "2c-cf-67-55-ab-cd/b.img", NULL,
	};
	struct tree t;
	assert_true(run_tree(&t, files, PROBE_MODEL_5, 0x5555abcd, "2c:cf:67:55:ab:cd", PROBE_PREFIX_MAC, NULL));
	check_reqs(&t, want);
}

static void t_seq_pi4_prefixes(void **state)
{
	(void)state;
	/* TFTP_PREFIX=1: the custom string, kept because start4.elf is there. */
	static const struct tree_file files[] = {
		{ "rack1/start4.elf", "S4" }, { "rack1/fixup4.dat", "F4" }, { "rack1/config.txt", cfg_models },
		{ "rack1/bcm2711-rpi-4-b.dtb", "DT4" }, { "rack1/cmdline.txt", "c" }, { "rack1/a.img", "KA" },
		{ "start4.elf", "S4" }, { "fixup4.dat", "F4" }, { "config.txt", cfg_models },
		{ "bcm2711-rpi-4-b.dtb", "DT4" }, { "cmdline.txt", "c" }, { "a.img", "KA" },
		{ NULL, NULL },
	};
	struct tree t;
	assert_true(run_tree(&t, files, PROBE_MODEL_4, 0x1234abcd, "dc:a6:32:12:34:cd", PROBE_PREFIX_STR, "rack1/"));
	assert_string_equal(t.reqs[0], "rack1/start4.elf");
	assert_string_equal(t.reqs[1], "rack1/start.elf");
	assert_string_equal(t.reqs[2], "rack1/config.txt");
	for (unsigned i = 0; i < t.n; i++)
		assert_memory_equal(t.reqs[i], "rack1/", 6);
	/* Another string whose directory does not exist: prefix cleared. */
	assert_true(run_tree(&t, files, PROBE_MODEL_4, 0x1234abcd, "dc:a6:32:12:34:cd", PROBE_PREFIX_STR, "rack2/"));
	assert_string_equal(t.reqs[0], "rack2/start4.elf");
	assert_string_equal(t.reqs[1], "rack2/start.elf");
	assert_string_equal(t.reqs[2], "config.txt");
	/* TFTP_PREFIX=2 falls back the same way. */
	assert_true(run_tree(&t, files, PROBE_MODEL_4, 0x1234abcd, "dc:a6:32:12:34:cd", PROBE_PREFIX_MAC, NULL));
	assert_string_equal(t.reqs[0], "dc-a6-32-12-34-cd/start4.elf");
	assert_string_equal(t.reqs[2], "config.txt");
	/* No prefix at all: no prefix probes. */
	assert_true(run_tree(&t, files, PROBE_MODEL_4, 0x1234abcd, "dc:a6:32:12:34:cd", PROBE_PREFIX_NONE, NULL));
	assert_string_equal(t.reqs[0], "config.txt");
}

static void t_seq_pi3b(void **state)
{
	(void)state;
	static const struct tree_file files[] = {
		{ "bootcode.bin", "BOOTCODE" }, { "start.elf", "S" }, { "fixup.dat", "F" },
		{ "config.txt", "[pi3]\nkernel=k3.img\n[pi4]\nkernel=a.img\n" },
		{ "bcm2710-rpi-3-b.dtb", "DT3" }, { "cmdline.txt", "c" }, { "k3.img", "K3" }, { NULL, NULL },
	};
	/* ROM: bootcode.bin without prefix, then bootcode.bin asks <serial>/
	 * (doc 3.2, 4.2) and falls back to the root. */
	static const char *const want[] = {
		"bootcode.bin", "bootsig.bin", "b66c4c16/start.elf", "b66c4c16/start.elf", "autoboot.txt",
		"config.txt", "recovery.elf", "start.elf", "fixup.dat", "config.txt", "dt-blob.bin",
		"bootcfg.txt", "bcm2710-rpi-3-b.dtb", "bcm2710-rpi-3-b.dtb", "overlays/overlay_map.dtb",
		"cmdline.txt", "cmdline.txt", "k3.img", "k3.img", NULL,
	};
	struct tree t;
	assert_true(run_tree(&t, files, PROBE_MODEL_3B, 0xb66c4c16, "b8:27:eb:6c:4c:16", PROBE_PREFIX_SERIAL, NULL));
	check_reqs(&t, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_discover_pi3b_rom),
		cmocka_unit_test(t_discover_pi3bplus_and_bootcode),
		cmocka_unit_test(t_discover_pi4_pi5),
		cmocka_unit_test(t_request),
		cmocka_unit_test(t_discover_identified_by_server),
		cmocka_unit_test(t_frame),
		cmocka_unit_test(t_offer_menu_present),
		cmocka_unit_test(t_offer_menu_absent),
		cmocka_unit_test(t_offer_menu_embedded),
		cmocka_unit_test(t_offer_menu_spaced_and_raw),
		cmocka_unit_test(t_offer_opt66),
		cmocka_unit_test(t_offer_problems),
		cmocka_unit_test(t_tftp_oack),
		cmocka_unit_test(t_tftp_engine_good),
		cmocka_unit_test(t_tftp_engine_wrap),
		cmocka_unit_test(t_tftp_engine_violations),
		cmocka_unit_test(t_config_basic),
		cmocka_unit_test(t_config_sections),
		cmocka_unit_test(t_config_limits),
		cmocka_unit_test(t_verify_helpers),
		cmocka_unit_test(t_expect),
		cmocka_unit_test(t_identity_and_numbers),
		cmocka_unit_test(t_models),
		cmocka_unit_test(t_config_model_sections),
		cmocka_unit_test(t_tftp_prefix),
		cmocka_unit_test(t_identity_pi3),
		cmocka_unit_test(t_addr_helpers),
		cmocka_unit_test(t_seq_pi400),
		cmocka_unit_test(t_seq_pi5_mac_prefix),
		cmocka_unit_test(t_seq_pi4_prefixes),
		cmocka_unit_test(t_seq_pi3b),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
