/* test_dhcp_msg.c - unit tests for the BOOTP/DHCP codec (dhcp_msg.c).
 *
 * Golden Pi packets, truncation at every length, hostile lengths and
 * overload values, RFC 3396 concatenation, option overload, and builder
 * round trips. Every parse runs on an exact-size heap copy so ASan sees
 * any read past the end. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_msg.h"
#include "golden_dhcp.h"

static struct dhcp_msg msg;

/* Parse from a heap copy of exactly n bytes. */
static int parse_exact(struct dhcp_msg *m, const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	if (n)
		memcpy(copy, p, n);
	rc = dhcp_msg_parse(m, copy, n);
	free(copy);
	return rc;
}

/* A bare DISCOVER header (xid 0x01020304, MAC 02:00:00:00:00:01) with the
 * cookie, followed by opts. Returns the length. */
static size_t mk_packet(uint8_t *buf, size_t cap, const uint8_t *opts, size_t olen)
{
	assert_true(cap >= DHCP_MIN_LEN + olen);
	memset(buf, 0, cap);
	buf[0] = 1;
	buf[1] = 1;
	buf[2] = 6;
	buf[4] = 1;
	buf[5] = 2;
	buf[6] = 3;
	buf[7] = 4;
	buf[28] = 0x02;
	buf[33] = 0x01;
	buf[236] = 0x63;
	buf[237] = 0x82;
	buf[238] = 0x53;
	buf[239] = 0x63;
	if (olen)
		memcpy(buf + DHCP_MIN_LEN, opts, olen);
	return DHCP_MIN_LEN + olen;
}

static void expect_opt(const struct dhcp_msg *m, uint8_t code, const void *val, size_t len)
{
	size_t got_len = 9999;
	const uint8_t *got = dhcp_msg_opt(m, code, &got_len);

	assert_true(dhcp_msg_has_opt(m, code));
	assert_non_null(got);
	assert_int_equal(got_len, len);
	if (len)
		assert_memory_equal(got, val, len);
}

/* Section 1.2: the Pi 3B ROM DISCOVER, offsets as in the reference. */
static void test_pi3b_rom_exact(void **state)
{
	static const uint8_t prl[] = { 0x2b, 0x3c, 0x43, 0x80, 0x81, 0x82, 0x83,
				       0x84, 0x85, 0x86, 0x87, 0x42 };
	static const uint8_t arch[] = { 0, 0 };
	static const uint8_t ndi[] = { 1, 2, 1 };
	uint8_t guid[17];
	const uint8_t *g = golden_pi3b_rom;
	(void)state;

	/* The golden array itself follows the reference layout. */
	assert_int_equal(sizeof(golden_pi3b_rom), 320);
	assert_int_equal(g[240], 0x35);
	assert_int_equal(g[243], 0x37);
	assert_int_equal(g[257], 0x5d);
	assert_int_equal(g[261], 0x5e);
	assert_int_equal(g[266], 0x61);
	assert_int_equal(g[285], 0x3c);
	assert_int_equal(g[319], 0xff);

	assert_int_equal(parse_exact(&msg, g, sizeof(golden_pi3b_rom)), 0);
	assert_int_equal(msg.op, BOOTREQUEST);
	assert_int_equal(msg.htype, 1);
	assert_int_equal(msg.hlen, 6);
	assert_int_equal(msg.hops, 0);
	assert_int_equal(msg.xid, 0x26f30339u); /* constant on every Pi 3 */
	assert_int_equal(msg.secs, 0);
	assert_int_equal(msg.flags, 0);
	assert_int_equal(msg.ciaddr, 0);
	assert_int_equal(msg.giaddr, 0);
	assert_memory_equal(msg.chaddr, "\xb8\x27\xeb\xa1\xb2\xc3\0\0\0\0\0\0\0\0\0\0", 16);
	assert_string_equal(msg.sname, "");
	assert_string_equal(msg.file, "");
	assert_int_equal(msg.msg_type, DHCPDISCOVER);
	expect_opt(&msg, DHO_PARAM_LIST, prl, sizeof(prl));
	expect_opt(&msg, DHO_CLIENT_ARCH, arch, sizeof(arch));
	expect_opt(&msg, DHO_CLIENT_NDI, ndi, sizeof(ndi));
	guid[0] = 0;
	memset(guid + 1, 0x44, 16);
	expect_opt(&msg, DHO_CLIENT_GUID, guid, sizeof(guid));
	expect_opt(&msg, DHO_VENDOR_CLASS, "PXEClient:Arch:00000:UNDI:002001", 32);
	assert_false(dhcp_msg_has_opt(&msg, DHO_SUBNET_MASK));
	assert_false(dhcp_msg_has_opt(&msg, DHO_OVERLOAD));
	assert_false(dhcp_msg_has_opt(&msg, DHO_END));
	assert_false(dhcp_msg_has_opt(&msg, DHO_PAD));
}

static void test_golden_all_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < GOLDEN_DHCP_COUNT; i++) {
		const struct golden_dhcp *gd = &golden_dhcp_all[i];

		assert_int_equal(parse_exact(&msg, gd->data, gd->len), 0);
		assert_int_equal(msg.op, BOOTREQUEST);
		assert_int_equal(msg.msg_type, DHCPDISCOVER);
		assert_int_equal(gd->data[gd->len - 1] == 0xff || gd->len == 300, 1);
	}
	assert_int_equal(parse_exact(&msg, golden_pi4_reply, sizeof(golden_pi4_reply)), 0);
	assert_int_equal(msg.op, BOOTREPLY);
	assert_int_equal(msg.msg_type, DHCPOFFER);
}

static void test_pi4_fields(void **state)
{
	static const uint8_t guid[] = { 0x00, 0x52, 0x50, 0x69, 0x34, 0x11, 0x31,
					0xa0, 0x00, 0x32, 0x2e, 0xf8, 0xed, 0x10,
					0x45, 0x15, 0x5b };
	(void)state;

	assert_int_equal(parse_exact(&msg, golden_pi4, sizeof(golden_pi4)), 0);
	assert_int_equal(msg.xid, 0xd383a6acu);
	expect_opt(&msg, DHO_CLIENT_GUID, guid, sizeof(guid));
	assert_int_equal(dhcp_msg_opt(&msg, DHO_PARAM_LIST, NULL)[0], 1);
}

static void test_relay_fields(void **state)
{
	static const uint8_t giaddr[4] = { 10, 20, 30, 1 };
	(void)state;

	assert_int_equal(parse_exact(&msg, golden_pi5_relay, sizeof(golden_pi5_relay)), 0);
	assert_int_equal(msg.hops, 1);
	/* Network order: the bytes as on the wire. */
	assert_memory_equal(&msg.giaddr, giaddr, 4);
}

/* What parsing the first n bytes of the valid packet p (len bytes) must
 * give, worked out from p's option layout independently of the parser:
 * nothing shorter than header + cookie parses; a cut at an option
 * boundary (the start of an option, of a pad byte or of END) is a packet
 * whose missing END is tolerated, so it parses; a cut after END only
 * loses ignored bytes, so it parses; a cut inside an option (after its
 * code, or inside its value) leaves an option that runs past the end of
 * the packet (RFC 2132 2: code, length, value), which is -EBADMSG. */
static int expected_rc(const uint8_t *p, size_t len, size_t n)
{
	size_t i = DHCP_MIN_LEN;

	if (n < DHCP_MIN_LEN)
		return -EBADMSG;
	while (i < len && i < n) {
		if (p[i] == DHO_END)
			return 0;
		if (p[i] == DHO_PAD) {
			i++;
			continue;
		}
		assert_true(i + 1 < len); /* p itself is valid */
		i += 2 + (size_t)p[i + 1];
		if (i > n)
			return -EBADMSG;
	}
	return 0;
}

/* Every prefix of a valid packet gives exactly the outcome above: never a
 * crash, never a read past the (exact-size) copy, and never "either". */
static void truncate_all(const uint8_t *p, size_t len)
{
	size_t nbad = 0;

	assert_int_equal(parse_exact(&msg, p, len), 0);
	for (size_t n = 0; n <= len; n++) {
		int want = expected_rc(p, len, n);

		assert_int_equal(parse_exact(&msg, p, n), want);
		nbad += want < 0 && n >= DHCP_MIN_LEN;
	}
	/* Every packet here has options: some cuts must fall inside one. */
	assert_true(nbad > 0);
}

static void test_truncation_every_length(void **state)
{
	(void)state;
	for (size_t i = 0; i < GOLDEN_DHCP_COUNT; i++)
		truncate_all(golden_dhcp_all[i].data, golden_dhcp_all[i].len);
	truncate_all(golden_pi4_reply, sizeof(golden_pi4_reply));
}

static void test_truncation_boundaries(void **state)
{
	(void)state;
	/* Cut just before END: a missing END is tolerated. */
	assert_int_equal(parse_exact(&msg, golden_pi4, 321), 0);
	assert_true(dhcp_msg_has_opt(&msg, DHO_VENDOR_CLASS));
	/* Cut inside option 60 (starts at 287): its value runs past the end. */
	assert_int_equal(golden_pi4[287], 0x3c);
	assert_int_equal(parse_exact(&msg, golden_pi4, 300), -EBADMSG);
	/* Cut between a code and its length byte. */
	assert_int_equal(parse_exact(&msg, golden_pi4, 288), -EBADMSG);
	/* Cut right after option 97 (ends at 287): fine. */
	assert_int_equal(parse_exact(&msg, golden_pi4, 287), 0);
	assert_false(dhcp_msg_has_opt(&msg, DHO_VENDOR_CLASS));
	assert_true(dhcp_msg_has_opt(&msg, DHO_CLIENT_GUID));
	/* Cookie only: no options at all is a valid (BOOTP-ish) message. */
	assert_int_equal(parse_exact(&msg, golden_pi4, 240), 0);
	assert_int_equal(msg.msg_type, 0);
}

static void test_option_past_end(void **state)
{
	uint8_t buf[400];
	(void)state;

	/* Option 97 claims 255 bytes in a 322-byte packet. */
	memcpy(buf, golden_pi4, sizeof(golden_pi4));
	assert_int_equal(buf[268], 0x61);
	buf[269] = 0xff;
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), -EBADMSG);
	/* The failed parse leaves no option behind. */
	assert_false(dhcp_msg_has_opt(&msg, DHO_MSG_TYPE));

	/* Last option's length byte is exactly one past the end. */
	static const uint8_t o[] = { 0x35, 0x01, 0x01, 0x0c, 0x05, 'a', 'b', 'c', 'd' };
	size_t n = mk_packet(buf, sizeof(buf), o, sizeof(o));
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
	assert_int_equal(parse_exact(&msg, buf, n + 1), 0);
}

static void test_bad_header(void **state)
{
	uint8_t buf[DHCP_MAX_LEN + 1];
	(void)state;

	memcpy(buf, golden_pi4, sizeof(golden_pi4));
	buf[2] = 17; /* hlen > 16 */
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), -EBADMSG);
	buf[2] = 16;
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), 0);
	buf[2] = 255;
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), -EBADMSG);
	buf[2] = 6;

	buf[0] = 0; /* op */
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), -EBADMSG);
	buf[0] = 3;
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), -EBADMSG);
	buf[0] = 2;
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), 0);
	buf[0] = 1;

	buf[239] = 0x64; /* cookie */
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), -EBADMSG);
	buf[239] = 0x63;
	memset(buf + 236, 0, 4);
	assert_int_equal(parse_exact(&msg, buf, sizeof(golden_pi4)), -EBADMSG);
}

static void test_size_limits(void **state)
{
	uint8_t buf[DHCP_MAX_LEN + 1];
	(void)state;

	/* Zero padding after END up to 1500 bytes is fine; one more is not. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, golden_pi4, sizeof(golden_pi4));
	assert_int_equal(parse_exact(&msg, buf, DHCP_MAX_LEN), 0);
	assert_int_equal(parse_exact(&msg, buf, DHCP_MAX_LEN + 1), -EMSGSIZE);
	assert_int_equal(dhcp_msg_parse(&msg, buf, 65535), -EMSGSIZE);
	assert_int_equal(dhcp_msg_parse(&msg, buf, (size_t)-1), -EMSGSIZE);
	assert_int_equal(dhcp_msg_parse(&msg, NULL, 0), -EBADMSG);
	assert_int_equal(dhcp_msg_parse(NULL, buf, 300), -EINVAL);
}

static void test_msg_type_length(void **state)
{
	uint8_t buf[300];
	static const uint8_t two[] = { 0x35, 0x02, 0x01, 0x01, 0xff };
	static const uint8_t zero[] = { 0x35, 0x00, 0xff };
	static const uint8_t twice[] = { 0x35, 0x01, 0x01, 0x35, 0x01, 0x03, 0xff };
	(void)state;

	size_t n = mk_packet(buf, sizeof(buf), two, sizeof(two));
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
	n = mk_packet(buf, sizeof(buf), zero, sizeof(zero));
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
	/* RFC 3396 joins the two instances into a 2-byte value: broken. */
	n = mk_packet(buf, sizeof(buf), twice, sizeof(twice));
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
}

/* RFC 3396: instances of one code are joined in order of appearance. */
static void test_rfc3396_concat(void **state)
{
	uint8_t buf[400];
	static const uint8_t o[] = {
		0x35, 0x01, 0x01,
		0x2b, 0x03, 0xaa, 0xbb, 0xcc,
		0x0c, 0x02, 'h', 'i',
		0x00, 0x00,                     /* pad between instances */
		0x2b, 0x02, 0xdd, 0xee,
		0x2b, 0x00,                     /* empty instance adds nothing */
		0x2b, 0x01, 0xff,
		0xff,
		0x2b, 0x01, 0x11,               /* after END: ignored */
	};
	static const uint8_t want[] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	(void)state;

	size_t n = mk_packet(buf, sizeof(buf), o, sizeof(o));
	assert_int_equal(parse_exact(&msg, buf, n), 0);
	expect_opt(&msg, DHO_VENDOR_ENCAP, want, sizeof(want));
	expect_opt(&msg, DHO_HOSTNAME, "hi", 2);
	assert_int_equal(msg.msg_type, DHCPDISCOVER);
}

/* Joining a value longer than 255 bytes: 3 x 255 + 10 = 775 bytes. */
static void test_rfc3396_long(void **state)
{
	uint8_t buf[1200], want[775];
	size_t off = DHCP_MIN_LEN, k = 0;
	(void)state;

	mk_packet(buf, sizeof(buf), NULL, 0);
	for (int inst = 0; inst < 4; inst++) {
		size_t n = inst < 3 ? 255 : 10;

		buf[off++] = 0x7d;
		buf[off++] = (uint8_t)n;
		for (size_t i = 0; i < n; i++, k++) {
			want[k] = (uint8_t)(k * 13 + 7);
			buf[off++] = want[k];
		}
	}
	buf[off++] = 0xff;
	assert_int_equal(parse_exact(&msg, buf, off), 0);
	expect_opt(&msg, 0x7d, want, sizeof(want));
}

/* Option 52 = 3: options continue in file, then sname (RFC 2131 4.1),
 * and a split option joins across all three areas in that order. */
static void test_overload_both(void **state)
{
	uint8_t buf[300];
	static const uint8_t o[] = {
		0x35, 0x01, 0x01, 0x34, 0x01, 0x03, 0x61, 0x02, 0x00, 0x01, 0xff,
	};
	static const uint8_t guid[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05 };
	static const uint8_t ov = 3;
	(void)state;

	size_t n = mk_packet(buf, sizeof(buf), o, sizeof(o));
	/* file (offset 108): rest of 97, option 12, END. */
	static const uint8_t f[] = { 0x61, 0x02, 0x02, 0x03, 0x0c, 0x03, 'p', 'i', '4', 0xff };
	memcpy(buf + 108, f, sizeof(f));
	/* sname (offset 44): last part of 97, no END (runs to field end). */
	static const uint8_t s[] = { 0x61, 0x02, 0x04, 0x05 };
	memset(buf + 44, 0, 64);
	memcpy(buf + 44, s, sizeof(s));

	assert_int_equal(parse_exact(&msg, buf, n), 0);
	expect_opt(&msg, DHO_OVERLOAD, &ov, 1);
	expect_opt(&msg, DHO_CLIENT_GUID, guid, sizeof(guid));
	expect_opt(&msg, DHO_HOSTNAME, "pi4", 3);
	/* Fields used for options are not strings. */
	assert_string_equal(msg.sname, "");
	assert_string_equal(msg.file, "");
}

static void test_overload_file_only(void **state)
{
	uint8_t buf[300];
	static const uint8_t o[] = { 0x35, 0x01, 0x01, 0x34, 0x01, 0x01, 0xff };
	(void)state;

	size_t n = mk_packet(buf, sizeof(buf), o, sizeof(o));
	memcpy(buf + 44, "bootsrv", 8);
	/* Option 52 inside file does not bring sname into play. */
	static const uint8_t f[] = { 0x34, 0x01, 0x02, 0x43, 0x04, 'x', '.', 'i', 'm', 0xff };
	memcpy(buf + 108, f, sizeof(f));

	assert_int_equal(parse_exact(&msg, buf, n), 0);
	expect_opt(&msg, DHO_BOOTFILE, "x.im", 4);
	assert_string_equal(msg.sname, "bootsrv");
	assert_string_equal(msg.file, "");
	assert_int_equal(msg.opt_len[DHO_OVERLOAD], 1);
}

static void test_overload_hostile(void **state)
{
	uint8_t buf[300];
	(void)state;

	/* Bad values and lengths of option 52 itself. */
	static const uint8_t bad[][7] = {
		{ 0x35, 0x01, 0x01, 0x34, 0x01, 0x00, 0xff },
		{ 0x35, 0x01, 0x01, 0x34, 0x01, 0x04, 0xff },
		{ 0x35, 0x01, 0x01, 0x34, 0x01, 0xff, 0xff },
		{ 0x35, 0x01, 0x01, 0x34, 0x00, 0xff, 0x00 },
		{ 0x35, 0x01, 0x01, 0x34, 0x02, 0x01, 0x02 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = mk_packet(buf, sizeof(buf), bad[i], sizeof(bad[i]));
		assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
	}
	/* Two instances: joined length 2. */
	static const uint8_t twice[] = { 0x34, 0x01, 0x01, 0x34, 0x01, 0x02, 0xff };
	size_t n = mk_packet(buf, sizeof(buf), twice, sizeof(twice));
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);

	/* Overload into file whose last option runs past the 128 bytes. */
	static const uint8_t ov1[] = { 0x35, 0x01, 0x01, 0x34, 0x01, 0x01, 0xff };
	n = mk_packet(buf, sizeof(buf), ov1, sizeof(ov1));
	memset(buf + 108, 0, 128);
	buf[108 + 120] = 0x0c;
	buf[108 + 121] = 0x07; /* needs 7 bytes, 6 left in file */
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
	buf[108 + 121] = 0x06; /* exactly fits, no END: fine */
	assert_int_equal(parse_exact(&msg, buf, n), 0);
	assert_int_equal(msg.opt_len[DHO_HOSTNAME], 6);
	/* Code byte as the very last byte of file. */
	memset(buf + 108, 0, 128);
	buf[108 + 127] = 0x0c;
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
	/* A file full of 0xff text (a real file name would also be garbage):
	 * first byte is END, so no options, no error. */
	memset(buf + 108, 0xff, 128);
	assert_int_equal(parse_exact(&msg, buf, n), 0);

	/* Overload into sname with a bad option while file is fine. */
	static const uint8_t ov3[] = { 0x35, 0x01, 0x01, 0x34, 0x01, 0x03, 0xff };
	n = mk_packet(buf, sizeof(buf), ov3, sizeof(ov3));
	buf[44] = 0x0c;
	buf[45] = 0x40; /* 64 bytes of value in a 64-byte field */
	assert_int_equal(parse_exact(&msg, buf, n), -EBADMSG);
	buf[45] = 0x3e; /* 62: exactly fills sname */
	assert_int_equal(parse_exact(&msg, buf, n), 0);
	assert_int_equal(msg.opt_len[DHO_HOSTNAME], 62);
}

static void test_sname_file_strings(void **state)
{
	uint8_t buf[300];
	static const uint8_t o[] = { 0x35, 0x01, 0x01, 0xff };
	(void)state;

	size_t n = mk_packet(buf, sizeof(buf), o, sizeof(o));
	memcpy(buf + 44, "server", 6);
	memcpy(buf + 108, "boot/pxelinux.0", 15);
	assert_int_equal(parse_exact(&msg, buf, n), 0);
	assert_string_equal(msg.sname, "server");
	assert_string_equal(msg.file, "boot/pxelinux.0");

	/* Unterminated fields are cut at their size. */
	memset(buf + 44, 'S', 64);
	memset(buf + 108, 'F', 128);
	assert_int_equal(parse_exact(&msg, buf, n), 0);
	assert_int_equal(strlen(msg.sname), 64);
	assert_int_equal(strlen(msg.file), 128);
}

static void test_pad_zero_len_no_end(void **state)
{
	uint8_t buf[300];
	static const uint8_t o[] = { 0x00, 0x00, 0x35, 0x01, 0x03, 0x00, 0x50, 0x00, 0x00 };
	(void)state;

	size_t n = mk_packet(buf, sizeof(buf), o, sizeof(o));
	assert_int_equal(parse_exact(&msg, buf, n), 0);
	assert_int_equal(msg.msg_type, DHCPREQUEST);
	/* Zero-length option (rapid commit style) is present, not NULL. */
	size_t len = 99;
	assert_non_null(dhcp_msg_opt(&msg, 0x50, &len));
	assert_int_equal(len, 0);
	assert_null(dhcp_msg_opt(&msg, 0x51, &len));
	assert_int_equal(len, 0);
	assert_null(dhcp_msg_opt(&msg, 0x51, NULL));
}

static void test_opt_u32(void **state)
{
	uint8_t buf[300];
	static const uint8_t o[] = { 0x35, 0x01, 0x01, 0x36, 0x04, 192, 168, 1, 3,
				     0x33, 0x03, 0, 0, 1, 0xff };
	static const uint8_t want[4] = { 192, 168, 1, 3 };
	uint32_t v = 0;
	(void)state;

	size_t n = mk_packet(buf, sizeof(buf), o, sizeof(o));
	assert_int_equal(parse_exact(&msg, buf, n), 0);
	assert_true(dhcp_msg_opt_u32(&msg, DHO_SERVER_ID, &v));
	assert_memory_equal(&v, want, 4);
	assert_false(dhcp_msg_opt_u32(&msg, DHO_LEASE_TIME, &v)); /* 3 bytes */
	assert_false(dhcp_msg_opt_u32(&msg, DHO_ROUTER, &v));     /* absent */
}

/* Builder: a 600-byte option is split 255 + 255 + 90 and joins back. */
static void test_builder_roundtrip(void **state)
{
	static uint8_t out[DHCP_MAX_LEN];
	static struct dhcp_msg hdr;
	uint8_t big[600];
	size_t p;
	(void)state;

	memset(&hdr, 0, sizeof(hdr));
	hdr.op = BOOTREPLY;
	hdr.htype = 1;
	hdr.hlen = 6;
	hdr.hops = 2;
	hdr.xid = 0xdeadbeef;
	hdr.secs = 0x1234;
	hdr.flags = 0x8000;
	memcpy(&hdr.yiaddr, "\x0a\x00\x00\x07", 4);
	memcpy(&hdr.giaddr, "\x0a\x00\x00\x01", 4);
	memcpy(hdr.chaddr, "\xdc\xa6\x32\x01\x02\x03", 6);
	memcpy(hdr.sname, "tftp.example", 13);
	memcpy(hdr.file, "bootcode.bin", 13);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);

	struct wr w = wr_init(out, sizeof(out));
	dhcp_write_header(&w, &hdr);
	assert_int_equal(w.off, DHCP_MIN_LEN);
	dhcp_write_opt_u8(&w, DHO_MSG_TYPE, DHCPACK);
	dhcp_write_opt_be32(&w, DHO_LEASE_TIME, 86400);
	dhcp_write_opt(&w, 224, big, sizeof(big));
	dhcp_write_opt(&w, 80, NULL, 0);
	dhcp_write_finish(&w);
	assert_false(w.err);
	assert_int_equal(w.off, 240 + 3 + 6 + (2 + 255) * 2 + 2 + 90 + 2 + 1);

	/* Wire layout. */
	assert_memory_equal(out, "\x02\x01\x06\x02\xde\xad\xbe\xef\x12\x34\x80\x00", 12);
	assert_memory_equal(out + 236, "\x63\x82\x53\x63\x35\x01\x05\x33\x04\x00\x01\x51\x80", 13);
	p = 249;
	assert_int_equal(out[p], 224);
	assert_int_equal(out[p + 1], 255);
	assert_memory_equal(out + p + 2, big, 255);
	p += 257;
	assert_int_equal(out[p], 224);
	assert_int_equal(out[p + 1], 255);
	assert_memory_equal(out + p + 2, big + 255, 255);
	p += 257;
	assert_int_equal(out[p], 224);
	assert_int_equal(out[p + 1], 90);
	assert_memory_equal(out + p + 2, big + 510, 90);
	p += 92;
	assert_int_equal(out[p], 80);
	assert_int_equal(out[p + 1], 0);
	assert_int_equal(out[p + 2], 0xff);

	assert_int_equal(parse_exact(&msg, out, w.off), 0);
	assert_int_equal(msg.op, BOOTREPLY);
	assert_int_equal(msg.hops, 2);
	assert_int_equal(msg.xid, 0xdeadbeef);
	assert_int_equal(msg.secs, 0x1234);
	assert_int_equal(msg.flags, 0x8000);
	assert_memory_equal(&msg.yiaddr, &hdr.yiaddr, 4);
	assert_memory_equal(&msg.giaddr, &hdr.giaddr, 4);
	assert_memory_equal(msg.chaddr, hdr.chaddr, 16);
	assert_string_equal(msg.sname, "tftp.example");
	assert_string_equal(msg.file, "bootcode.bin");
	assert_int_equal(msg.msg_type, DHCPACK);
	expect_opt(&msg, 224, big, sizeof(big));
	expect_opt(&msg, 80, NULL, 0);
	uint32_t lt;
	assert_true(dhcp_msg_opt_u32(&msg, DHO_LEASE_TIME, &lt));
	assert_memory_equal(&lt, "\x00\x01\x51\x80", 4);
}

/* Exactly 255 bytes stays one instance; 256 becomes 255 + 1. */
static void test_builder_split_edges(void **state)
{
	uint8_t out[600], val[256];
	(void)state;

	memset(val, 0x5a, sizeof(val));
	struct wr w = wr_init(out, sizeof(out));
	dhcp_write_opt(&w, 43, val, 255);
	assert_int_equal(w.off, 257);
	w = wr_init(out, sizeof(out));
	dhcp_write_opt(&w, 43, val, 256);
	assert_int_equal(w.off, 260);
	assert_int_equal(out[257], 43);
	assert_int_equal(out[258], 1);
	assert_false(w.err);
}

static void test_builder_pad_to_300(void **state)
{
	static struct dhcp_msg hdr;
	uint8_t out[400];
	(void)state;

	memset(out, 0xee, sizeof(out));
	memset(&hdr, 0, sizeof(hdr));
	hdr.op = BOOTREPLY;
	struct wr w = wr_init(out, sizeof(out));
	dhcp_write_header(&w, &hdr);
	dhcp_write_opt_u8(&w, DHO_MSG_TYPE, DHCPOFFER);
	dhcp_write_finish(&w);
	assert_false(w.err);
	assert_int_equal(w.off, DHCP_BOOTP_MIN_LEN);
	assert_int_equal(out[243], 0xff);
	for (size_t i = 244; i < 300; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[300], 0xee);
	assert_int_equal(parse_exact(&msg, out, w.off), 0);
	assert_int_equal(msg.msg_type, DHCPOFFER);
}

static void test_builder_errors(void **state)
{
	static struct dhcp_msg hdr;
	uint8_t out[300], v[4] = { 1, 2, 3, 4 };
	(void)state;

	memset(&hdr, 0, sizeof(hdr));
	/* Too small for the header. */
	struct wr w = wr_init(out, 239);
	dhcp_write_header(&w, &hdr);
	assert_true(w.err);

	/* Header fits, END fits, padding does not. */
	w = wr_init(out, 260);
	dhcp_write_header(&w, &hdr);
	dhcp_write_finish(&w);
	assert_true(w.err);

	/* Sticky: a later small write does not clear it. */
	w = wr_init(out, 2);
	dhcp_write_opt(&w, 1, v, 4);
	assert_true(w.err);
	dhcp_write_opt_u8(&w, 1, 0);
	assert_true(w.err);

	/* Pad/END codes and NULL values are programming errors. */
	w = wr_init(out, sizeof(out));
	dhcp_write_opt(&w, DHO_PAD, v, 1);
	assert_true(w.err);
	w = wr_init(out, sizeof(out));
	dhcp_write_opt(&w, DHO_END, v, 1);
	assert_true(w.err);
	w = wr_init(out, sizeof(out));
	dhcp_write_opt(&w, 12, NULL, 3);
	assert_true(w.err);
}

static void test_names(void **state)
{
	char buf[18];
	static const uint8_t mac[6] = { 0xdc, 0xa6, 0x32, 0x0a, 0xbc, 0xff };
	(void)state;

	assert_string_equal(dhcp_type_name(DHCPDISCOVER), "DISCOVER");
	assert_string_equal(dhcp_type_name(DHCPOFFER), "OFFER");
	assert_string_equal(dhcp_type_name(DHCPREQUEST), "REQUEST");
	assert_string_equal(dhcp_type_name(DHCPACK), "ACK");
	assert_string_equal(dhcp_type_name(DHCPINFORM), "INFORM");
	assert_string_equal(dhcp_type_name(0), "?");
	assert_string_equal(dhcp_type_name(DHCP_TYPE_MAX), "?");
	assert_string_equal(dhcp_type_name(255), "?");
	assert_ptr_equal(dhcp_mac_str(mac, buf), buf);
	assert_string_equal(buf, "dc:a6:32:0a:bc:ff");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pi3b_rom_exact),
		cmocka_unit_test(test_golden_all_parse),
		cmocka_unit_test(test_pi4_fields),
		cmocka_unit_test(test_relay_fields),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_truncation_boundaries),
		cmocka_unit_test(test_option_past_end),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_msg_type_length),
		cmocka_unit_test(test_rfc3396_concat),
		cmocka_unit_test(test_rfc3396_long),
		cmocka_unit_test(test_overload_both),
		cmocka_unit_test(test_overload_file_only),
		cmocka_unit_test(test_overload_hostile),
		cmocka_unit_test(test_sname_file_strings),
		cmocka_unit_test(test_pad_zero_len_no_end),
		cmocka_unit_test(test_opt_u32),
		cmocka_unit_test(test_builder_roundtrip),
		cmocka_unit_test(test_builder_split_edges),
		cmocka_unit_test(test_builder_pad_to_300),
		cmocka_unit_test(test_builder_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
