/* test_dhcp_pi.c - unit tests for Raspberry Pi identification (dhcp_pi.c).
 *
 * Every golden request through pi_identify(), the option 97 shapes of each
 * generation (protocol reference 1.2-1.5) and near misses, board revision
 * decoding, and id / MAC parsing and normalisation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "golden_dhcp.h"

static struct dhcp_msg msg;

/* Offsets in the 322-byte EEPROM goldens (golden_pi4 and friends). */
#define EE_OPT93 259u
#define EE_GUID 268u     /* code byte of option 97 */
#define EE_GUID_VAL 270u /* first value byte (the 00 type) */

static void identify(const uint8_t *p, size_t len, struct pi_ident *pi)
{
	assert_int_equal(dhcp_msg_parse(&msg, p, len), 0);
	pi_identify(&msg, pi);
}

static void test_golden_table(void **state)
{
	struct pi_ident pi;
	(void)state;

	for (size_t i = 0; i < GOLDEN_DHCP_COUNT; i++) {
		const struct golden_dhcp *gd = &golden_dhcp_all[i];

		identify(gd->data, gd->len, &pi);
		assert_int_equal(pi.is_pxe, gd->is_pxe);
		assert_int_equal(pi.is_pi, gd->is_pi);
		assert_int_equal(pi.gen, gd->gen);
		assert_string_equal(pi.id, gd->id);
		assert_int_equal(pi.has_rev, gd->board_rev != 0);
		assert_int_equal(pi.board_rev, gd->board_rev);
		assert_memory_equal(pi.mac, gd->data + 28, 6);
	}
}

static void test_pi3b_rom(void **state)
{
	struct pi_ident pi;
	(void)state;

	identify(golden_pi3b_rom, sizeof(golden_pi3b_rom), &pi);
	assert_true(pi.is_pi);
	assert_true(pi.pi_oui);
	assert_true(pi.const_guid);
	assert_false(pi.has_serial); /* the constant GUID carries none */
	assert_int_equal(pi.gen, PI_GEN_3B_ROM);
	assert_string_equal(pi.id, "b8-27-eb-a1-b2-c3");
}

static void test_pi3bp_serial(void **state)
{
	struct pi_ident pi;
	(void)state;

	identify(golden_pi3bp, sizeof(golden_pi3bp), &pi);
	assert_true(pi.is_pi);
	assert_false(pi.const_guid);
	assert_true(pi.has_serial);
	assert_int_equal(pi.serial, 0xb66c4c16u);
	assert_false(pi.has_rev);
	assert_int_equal(pi.gen, PI_GEN_3);
	/* On a Pi 3 the MAC's low 24 bits are the serial's (1.1). */
	assert_int_equal(pi.serial & 0xffffff,
			 (uint32_t)pi.mac[3] << 16 | pi.mac[4] << 8 | pi.mac[5]);
}

static void test_pi4(void **state)
{
	struct pi_ident pi;
	(void)state;

	identify(golden_pi4, sizeof(golden_pi4), &pi);
	assert_true(pi.is_pxe);
	assert_true(pi.is_pi);
	assert_int_equal(pi.gen, PI_GEN_4);
	assert_true(pi.has_serial);
	assert_int_equal(pi.serial, 0x5b154510u);
	assert_true(pi.has_rev);
	assert_int_equal(pi.board_rev, 0xa03111u);
	assert_string_equal(pi_board_model(pi.board_rev), "Pi 4 Model B");
	assert_string_equal(pi.id, "5b154510");
}

static void test_cm4_reversed_prefix(void **state)
{
	struct pi_ident pi;
	(void)state;

	identify(golden_cm4_rev, sizeof(golden_cm4_rev), &pi);
	assert_true(pi.is_pi);
	assert_int_equal(pi.gen, PI_GEN_4);
	assert_int_equal(pi.board_rev, 0xc03140u);
	assert_string_equal(pi_board_model(pi.board_rev), "CM4");
	assert_int_equal(pi.serial, 0x8a7b6c5du);
}

static void test_pi5(void **state)
{
	struct pi_ident pi;
	uint8_t buf[322];
	(void)state;

	identify(golden_pi5_relay, sizeof(golden_pi5_relay), &pi);
	assert_true(pi.is_pi);
	assert_int_equal(pi.gen, PI_GEN_5);
	assert_int_equal(pi.board_rev, 0xd04170u);
	assert_string_equal(pi_board_model(pi.board_rev), "Pi 5");
	assert_string_equal(pi.id, "9ffefdef");

	/* Byte-reversed "RPi5" too. */
	memcpy(buf, golden_pi5_relay, sizeof(buf));
	memcpy(buf + EE_GUID_VAL + 1, "\x35\x69\x50\x52", 4);
	identify(buf, sizeof(buf), &pi);
	assert_int_equal(pi.gen, PI_GEN_5);
}

/* DHCP_OPTION97=<other hex> replaces the prefix only [DOC-EEPROM]. */
static void test_custom_prefix(void **state)
{
	struct pi_ident pi;
	uint8_t buf[322];
	(void)state;

	memcpy(buf, golden_pi4, sizeof(buf));
	memcpy(buf + EE_GUID_VAL + 1, "ABCD", 4);
	identify(buf, sizeof(buf), &pi);
	assert_true(pi.is_pi);
	assert_int_equal(pi.gen, PI_GEN_4); /* from board rev a03111 */
	assert_int_equal(pi.serial, 0x5b154510u);
	assert_string_equal(pi.id, "5b154510");

	/* On a Pi 5 the revision gives generation 5. */
	memcpy(buf, golden_pi5_relay, sizeof(buf));
	memcpy(buf + EE_GUID_VAL + 1, "\x12\x34\x56\x78", 4);
	identify(buf, sizeof(buf), &pi);
	assert_int_equal(pi.gen, PI_GEN_5);

	/* Undecodable revision: still a Pi, generation unknown. */
	memcpy(buf, golden_pi4, sizeof(buf));
	memcpy(buf + EE_GUID_VAL + 1, "ABCD\x00\x00\x00\x00", 8);
	identify(buf, sizeof(buf), &pi);
	assert_true(pi.is_pi);
	assert_false(pi.has_rev);
	assert_int_equal(pi.gen, PI_GEN_UNKNOWN);
	assert_true(pi.has_serial);

	/* Shape alone (no Pi OUI, locally administered MAC) is enough when
	 * the MAC bytes inside the GUID match chaddr. */
	memcpy(buf, golden_pi4, sizeof(buf));
	memcpy(buf + EE_GUID_VAL + 1, "ABCD", 4);
	buf[28] = 0x02;
	buf[29] = 0x00;
	identify(buf, sizeof(buf), &pi);
	assert_false(pi.pi_oui);
	assert_true(pi.is_pi);

	/* ... and not when they differ. */
	buf[33] = 0xee;
	identify(buf, sizeof(buf), &pi);
	assert_false(pi.is_pi);
	assert_string_equal(pi.id, "02-00-32-2e-f8-ee");
}

/* A Pi 4 with DHCP_OPTION97=0 sends serial x4 like a Pi 3B+. */
static void test_serial_x4_on_pi4(void **state)
{
	struct pi_ident pi;
	uint8_t buf[322];
	(void)state;

	memcpy(buf, golden_pi4, sizeof(buf));
	for (int i = 0; i < 4; i++)
		memcpy(buf + EE_GUID_VAL + 1 + 4 * i, "\x10\x45\x15\x5b", 4);
	identify(buf, sizeof(buf), &pi);
	assert_true(pi.is_pi);
	assert_true(pi.has_serial);
	assert_int_equal(pi.serial, 0x5b154510u);
	assert_int_equal(pi.gen, PI_GEN_UNKNOWN);
	assert_string_equal(pi.id, "5b154510");
}

static void test_not_pi_shapes(void **state)
{
	struct pi_ident pi;
	uint8_t buf[400];
	(void)state;

	/* x86 with an all-zero or all-ones SMBIOS UUID. */
	memcpy(buf, golden_x86_pxe, sizeof(golden_x86_pxe));
	assert_int_equal(buf[256], 0x61);
	memset(buf + 259, 0x00, 16);
	identify(buf, sizeof(golden_x86_pxe), &pi);
	assert_true(pi.is_pxe);
	assert_false(pi.is_pi);
	assert_false(pi.has_serial);
	memset(buf + 259, 0xff, 16);
	identify(buf, sizeof(golden_x86_pxe), &pi);
	assert_false(pi.is_pi);

	/* x86 with the Pi 3B constant GUID: shape alone makes it a Pi
	 * (that is how beta-tester/RPi-PXE-Server tags 3B ROMs). */
	memset(buf + 259, 0x44, 16);
	identify(buf, sizeof(golden_x86_pxe), &pi);
	assert_true(pi.is_pi);
	assert_true(pi.const_guid);

	/* A GUID of the wrong length or type is not decoded. */
	memcpy(buf, golden_pi4, sizeof(golden_pi4));
	buf[EE_GUID_VAL] = 0x01; /* type 1 */
	identify(buf, sizeof(golden_pi4), &pi);
	assert_true(pi.is_pi); /* still a Pi by OUI */
	assert_int_equal(pi.gen, PI_GEN_UNKNOWN);
	assert_false(pi.has_serial);
	assert_string_equal(pi.id, "dc-a6-32-2e-f8-ed");

	memcpy(buf, golden_pi4, sizeof(golden_pi4));
	buf[EE_GUID + 1] = 16; /* 97 now 16 bytes; last byte becomes a pad code */
	buf[EE_GUID_VAL + 16] = 0;
	identify(buf, sizeof(golden_pi4), &pi);
	assert_int_equal(pi.gen, PI_GEN_UNKNOWN);

	/* Non-Ethernet hardware type: no OUI check. */
	memcpy(buf, golden_pi3bp, sizeof(golden_pi3bp));
	buf[1] = 6;
	identify(buf, sizeof(golden_pi3bp), &pi);
	assert_false(pi.pi_oui);
	assert_true(pi.is_pi); /* serial x4 shape */
}

static void test_pxe_rules(void **state)
{
	struct pi_ident pi;
	uint8_t buf[322];
	(void)state;

	/* Pi OUI, PXE, no option 97: a Pi of unknown generation. */
	memcpy(buf, golden_pi4, sizeof(buf));
	buf[EE_GUID] = 0xfe; /* rename option 97 to an unused code */
	identify(buf, sizeof(buf), &pi);
	assert_true(pi.is_pi);
	assert_int_equal(pi.gen, PI_GEN_UNKNOWN);
	assert_string_equal(pi.id, "dc-a6-32-2e-f8-ed");

	/* No option 93: not PXE (dnsmasq needs it), so not answered. */
	memcpy(buf, golden_pi4, sizeof(buf));
	buf[EE_OPT93] = 0xfe;
	identify(buf, sizeof(buf), &pi);
	assert_false(pi.is_pxe);
	assert_false(pi.is_pi);
	assert_int_equal(pi.gen, PI_GEN_4); /* the GUID is still decoded */

	/* Option 93 of one byte: dnsmasq's option_find(.., 93, 2) fails. */
	memcpy(buf, golden_pi4, sizeof(buf));
	buf[EE_OPT93 + 1] = 1;
	buf[EE_OPT93 + 3] = 0; /* the left-over byte becomes a pad */
	identify(buf, sizeof(buf), &pi);
	assert_false(pi.is_pxe);

	/* Vendor class "PXECLient...": the match is case sensitive. */
	memcpy(buf, golden_pi4, sizeof(buf));
	assert_int_equal(buf[289 + 4], 'l');
	buf[289 + 4] = 'L';
	identify(buf, sizeof(buf), &pi);
	assert_false(pi.is_pxe);
}

static void test_vendor_class_exact_prefix(void **state)
{
	struct pi_ident pi;
	uint8_t buf[300];
	static const uint8_t o[] = {
		0x35, 0x01, 0x01, 0x5d, 0x02, 0x00, 0x00,
		0x3c, 0x09, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't', 0xff,
	};
	(void)state;

	memset(buf, 0, sizeof(buf));
	buf[0] = 1;
	buf[1] = 1;
	buf[2] = 6;
	memcpy(buf + 28, "\xe4\x5f\x01\x00\x00\x01", 6);
	memcpy(buf + 236, "\x63\x82\x53\x63", 4);
	memcpy(buf + 240, o, sizeof(o));
	identify(buf, sizeof(buf), &pi);
	assert_true(pi.is_pxe);
	assert_true(pi.is_pi);

	buf[240 + 8] = 8; /* "PXEClien" */
	buf[240 + 8 + 9] = 0;
	identify(buf, sizeof(buf), &pi);
	assert_false(pi.is_pxe);
}

static void test_oui(void **state)
{
	static const uint8_t ouis[][3] = {
		{ 0xb8, 0x27, 0xeb }, { 0xdc, 0xa6, 0x32 }, { 0xe4, 0x5f, 0x01 },
		{ 0xd8, 0x3a, 0xdd }, { 0x28, 0xcd, 0xc1 }, { 0x2c, 0xcf, 0x67 },
		{ 0x3a, 0x35, 0x41 },
	};
	uint8_t mac[6] = { 0, 0, 0, 1, 2, 3 };
	(void)state;

	for (size_t i = 0; i < sizeof(ouis) / sizeof(ouis[0]); i++) {
		memcpy(mac, ouis[i], 3);
		assert_true(pi_mac_is_pi(mac));
	}
	memcpy(mac, "\xb8\x27\xec", 3);
	assert_false(pi_mac_is_pi(mac));
	memcpy(mac, "\x52\x54\x00", 3);
	assert_false(pi_mac_is_pi(mac));
	memcpy(mac, "\x00\x00\x00", 3);
	assert_false(pi_mac_is_pi(mac));
}

static void test_board_revisions(void **state)
{
	static const struct {
		uint32_t rev;
		const char *model;
		enum pi_gen gen;
	} t[] = {
		{ 0xa02082, "Pi 3 Model B", PI_GEN_3 },
		{ 0xa22082, "Pi 3 Model B", PI_GEN_3 },
		{ 0xa020d3, "Pi 3 Model B+", PI_GEN_3 },
		{ 0xa03111, "Pi 4 Model B", PI_GEN_4 },
		{ 0xd03114, "Pi 4 Model B", PI_GEN_4 },
		{ 0xc03130, "Pi 400", PI_GEN_4 },
		{ 0xa03140, "CM4", PI_GEN_4 },
		{ 0xa03150, "CM4S", PI_GEN_4 },
		{ 0xc04170, "Pi 5", PI_GEN_5 },
		{ 0xd04170, "Pi 5", PI_GEN_5 },
		{ 0xd04180, "CM5", PI_GEN_5 },
		{ 0xd04190, "Pi 500", PI_GEN_5 },
		{ 0xd041a0, "CM5 Lite", PI_GEN_5 },
		/* Unknown or not netbootable types, old-style codes. */
		{ 0x9000c1, NULL, PI_GEN_UNKNOWN },  /* Zero W */
		{ 0xa02042, NULL, PI_GEN_UNKNOWN },  /* 2B v1.2 (type 4) */
		{ 0x00000e, NULL, PI_GEN_UNKNOWN },  /* old style */
		{ 0x203111, NULL, PI_GEN_UNKNOWN },  /* bit 23 clear */
		{ 0x0, NULL, PI_GEN_UNKNOWN },
		{ 0xffffffff, NULL, PI_GEN_UNKNOWN },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *m = pi_board_model(t[i].rev);

		if (t[i].model)
			assert_string_equal(m, t[i].model);
		else
			assert_null(m);
		assert_int_equal(pi_board_gen(t[i].rev), t[i].gen);
	}
}

static void test_gen_names(void **state)
{
	(void)state;
	assert_string_equal(pi_gen_name(PI_GEN_3B_ROM), "3B (ROM)");
	assert_string_equal(pi_gen_name(PI_GEN_3), "3B+/bootcode");
	assert_string_equal(pi_gen_name(PI_GEN_4), "4");
	assert_string_equal(pi_gen_name(PI_GEN_5), "5");
	assert_string_equal(pi_gen_name(PI_GEN_UNKNOWN), "unknown");
	assert_string_equal(pi_gen_name(PI_GEN_MAX), "unknown");
}

static void test_id_strings(void **state)
{
	char s[9], m[18];
	static const uint8_t mac[6] = { 0xDC, 0xA6, 0x32, 0x01, 0x36, 0xC2 };
	(void)state;

	pi_serial_id(0xb66c4c16, s);
	assert_string_equal(s, "b66c4c16");
	pi_serial_id(0x1, s);
	assert_string_equal(s, "00000001");
	pi_serial_id(0xffffffff, s);
	assert_string_equal(s, "ffffffff");
	pi_mac_id(mac, m);
	assert_string_equal(m, "dc-a6-32-01-36-c2");
}

static void test_id_normalise_good(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "b66c4c16", "b66c4c16" },
		{ "B66C4C16", "b66c4c16" },
		{ "9FfEfDeF", "9ffefdef" },
		{ "00000000", "00000000" },
		{ "dc-a6-32-01-36-c2", "dc-a6-32-01-36-c2" },
		{ "DC:A6:32:01:36:C2", "dc-a6-32-01-36-c2" },
		{ "dc:a6:32:01:36:c2", "dc-a6-32-01-36-c2" },
		{ "Dc-A6-32-01-36-C2", "dc-a6-32-01-36-c2" },
	};
	char out[18];
	(void)state;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(pi_id_normalise(t[i].in, out), 0);
		assert_string_equal(out, t[i].out);
	}
}

static void test_id_normalise_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"b66c4c1",                 /* 7 hex digits */
		"b66c4c16a",               /* 9 hex digits */
		"b66c4g16",                /* non-hex */
		"0x66c4c1",
		" b66c4c1",
		"b66c4c1 ",
		"b66c4c1\n",
		"dc:a6:32:01:36:c",        /* 16 chars */
		"dc:a6:32:01:36:c2:",      /* 18 chars */
		"dc:a6:32:01:36:c2:ff",    /* too long */
		"dc:a6-32:01:36:c2",       /* mixed separators */
		"dc.a6.32.01.36.c2",
		"dca6:32:01:36:c2:",
		"dc:a6:32:01:36:g2",
		"dc::6:32:01:36:c2",
		"../../etc/passwd",
		"b66c4c16/../x",
	};
	char longin[1000];
	char out[18];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'X', sizeof(out));
		assert_int_equal(pi_id_normalise(bad[i], out), -EINVAL);
		assert_string_equal(out, "");
	}
	memset(longin, 'a', sizeof(longin) - 1);
	longin[sizeof(longin) - 1] = '\0';
	assert_int_equal(pi_id_normalise(longin, out), -EINVAL);
	assert_int_equal(pi_id_normalise(NULL, out), -EINVAL);
	assert_string_equal(out, "");
	assert_int_equal(pi_id_normalise("b66c4c16", NULL), -EINVAL);
}

static void test_mac_parse(void **state)
{
	uint8_t mac[6];
	(void)state;

	assert_int_equal(pi_mac_parse("b8:27:EB:6c:4c:16", mac), 0);
	assert_memory_equal(mac, "\xb8\x27\xeb\x6c\x4c\x16", 6);
	assert_int_equal(pi_mac_parse("00-00-00-00-00-00", mac), 0);
	assert_memory_equal(mac, "\0\0\0\0\0\0", 6);
	assert_int_equal(pi_mac_parse("ff-ff-ff-ff-ff-ff", mac), 0);
	assert_memory_equal(mac, "\xff\xff\xff\xff\xff\xff", 6);

	assert_int_equal(pi_mac_parse("b8:27:eb:6c:4c", mac), -EINVAL);
	assert_int_equal(pi_mac_parse("b8:27:eb:6c:4c:1", mac), -EINVAL);
	assert_int_equal(pi_mac_parse("b8:27:eb:6c:4c:166", mac), -EINVAL);
	assert_int_equal(pi_mac_parse("b8-27:eb:6c:4c:16", mac), -EINVAL);
	assert_int_equal(pi_mac_parse("b8 27 eb 6c 4c 16", mac), -EINVAL);
	assert_int_equal(pi_mac_parse("b827eb6c4c16", mac), -EINVAL);
	assert_int_equal(pi_mac_parse("", mac), -EINVAL);
	assert_int_equal(pi_mac_parse(NULL, mac), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_table),
		cmocka_unit_test(test_pi3b_rom),
		cmocka_unit_test(test_pi3bp_serial),
		cmocka_unit_test(test_pi4),
		cmocka_unit_test(test_cm4_reversed_prefix),
		cmocka_unit_test(test_pi5),
		cmocka_unit_test(test_custom_prefix),
		cmocka_unit_test(test_serial_x4_on_pi4),
		cmocka_unit_test(test_not_pi_shapes),
		cmocka_unit_test(test_pxe_rules),
		cmocka_unit_test(test_vendor_class_exact_prefix),
		cmocka_unit_test(test_oui),
		cmocka_unit_test(test_board_revisions),
		cmocka_unit_test(test_gen_names),
		cmocka_unit_test(test_id_strings),
		cmocka_unit_test(test_id_normalise_good),
		cmocka_unit_test(test_id_normalise_bad),
		cmocka_unit_test(test_mac_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
