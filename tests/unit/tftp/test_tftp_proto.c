/* test_tftp_proto.c - unit tests for the TFTP packet codec (tftp_proto.c).
 * Vectors: real Pi requests (doc §4.1), hostile values, every truncation of
 * valid packets (parsed from exact-size heap copies so ASan sees any
 * over-read), builder round trips, -ENOBUFS at every short capacity, and
 * netascii conversion. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tftp/tftp_proto.h"

/* A string literal with embedded NULs as (bytes, length without the
 * literal's own terminator). */
#define PKT(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* Exact-size heap copy so that any read past len is an ASan error. */
static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q = malloc(len ? len : 1);

	assert_non_null(q);
	if (len)
		memcpy(q, p, len);
	return q;
}

static int parse_req_exact(const uint8_t *p, size_t len, struct tftp_req *req)
{
	uint8_t *q = dup_exact(p, len);
	int rc = tftp_parse_request(q, len, req);

	free(q);
	return rc;
}

/* Field by field: padding bytes of a struct are not comparable. */
static void assert_opts_equal(const struct tftp_opts *a, const struct tftp_opts *b)
{
	assert_int_equal(a->has_blksize, b->has_blksize);
	assert_int_equal(a->has_tsize, b->has_tsize);
	assert_int_equal(a->has_timeout, b->has_timeout);
	assert_int_equal(a->has_windowsize, b->has_windowsize);
	if (a->has_blksize)
		assert_int_equal(a->blksize, b->blksize);
	if (a->has_tsize)
		assert_true(a->tsize == b->tsize);
	if (a->has_timeout)
		assert_int_equal(a->timeout, b->timeout);
	if (a->has_windowsize)
		assert_int_equal(a->windowsize, b->windowsize);
}

/* ---- good requests ---------------------------------------------------- */

static void test_pi3_rom_no_options(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "bootcode.bin\0" "octet\0"), &req), 0);
	assert_int_equal(req.opcode, TFTP_RRQ);
	assert_string_equal(req.filename, "bootcode.bin");
	assert_int_equal(req.mode, TFTP_MODE_OCTET);
	assert_false(req.opts.has_blksize);
	assert_false(req.opts.has_tsize);
	assert_false(req.opts.has_timeout);
	assert_false(req.opts.has_windowsize);
}

static void test_bootcode_tsize0(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "start.elf\0" "octet\0" "tsize\0" "0\0"),
					 &req), 0);
	assert_string_equal(req.filename, "start.elf");
	assert_true(req.opts.has_tsize);
	assert_true(req.opts.tsize == 0);
	assert_false(req.opts.has_blksize);
}

static void test_pi4_tsize_blksize(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "12345678/start4.elf\0" "octet\0"
					     "tsize\0" "0\0" "blksize\0" "1024\0"), &req), 0);
	assert_string_equal(req.filename, "12345678/start4.elf");
	assert_true(req.opts.has_tsize);
	assert_true(req.opts.has_blksize);
	assert_int_equal(req.opts.blksize, 1024);
	assert_false(req.opts.has_windowsize);
}

static void test_pi5_blksize1468(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "config.txt\0" "octet\0"
					     "tsize\0" "0\0" "blksize\0" "1468\0"), &req), 0);
	assert_true(req.opts.has_blksize);
	assert_int_equal(req.opts.blksize, 1468);
}

static void test_windowsize_timeout(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "windowsize\0" "16\0"
					     "timeout\0" "5\0"), &req), 0);
	assert_true(req.opts.has_windowsize);
	assert_int_equal(req.opts.windowsize, 16);
	assert_true(req.opts.has_timeout);
	assert_int_equal(req.opts.timeout, 5);
}

static void test_uppercase(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "Kernel8.IMG\0" "OCTET\0" "BLKSIZE\0" "1468\0"
					     "TSize\0" "0\0" "WindowSize\0" "4\0"), &req), 0);
	/* File names are not case-folded: only the mode and option names. */
	assert_string_equal(req.filename, "Kernel8.IMG");
	assert_int_equal(req.mode, TFTP_MODE_OCTET);
	assert_int_equal(req.opts.blksize, 1468);
	assert_true(req.opts.has_tsize);
	assert_int_equal(req.opts.windowsize, 4);
}

static void test_modes(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "cmdline.txt\0" "netascii\0"), &req), 0);
	assert_int_equal(req.mode, TFTP_MODE_NETASCII);
	assert_int_equal(parse_req_exact(PKT("\0\1" "x\0" "NetASCII\0"), &req), 0);
	assert_int_equal(req.mode, TFTP_MODE_NETASCII);
	assert_int_equal(parse_req_exact(PKT("\0\1" "x\0" "mail\0"), &req), 0);
	assert_int_equal(req.mode, TFTP_MODE_MAIL);
	assert_int_equal(parse_req_exact(PKT("\0\2" "upload.bin\0" "octet\0" "tsize\0" "4096\0"),
					 &req), 0);
	assert_int_equal(req.opcode, TFTP_WRQ);
	assert_true(req.opts.tsize == 4096);
}

static void test_unknown_dup_padding(void **state)
{
	struct tftp_req req;

	(void)state;
	/* Unknown options are ignored (RFC 2347). */
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "multicast\0" "\0"
					     "blksize\0" "512\0"), &req), 0);
	assert_int_equal(req.opts.blksize, 512);
	/* Duplicate: first wins. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "blksize\0" "1024\0"
					     "blksize\0" "1468\0"), &req), 0);
	assert_int_equal(req.opts.blksize, 1024);
	/* First wins even when it was rejected. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "blksize\0" "7\0"
					     "BLKSIZE\0" "1468\0"), &req), 0);
	assert_false(req.opts.has_blksize);
	/* Trailing NUL padding is tolerated. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "\0\0\0"), &req), 0);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "tsize\0" "0\0" "\0"), &req), 0);
	assert_true(req.opts.has_tsize);
}

static void test_value_bounds(void **state)
{
	struct tftp_req req;

	(void)state;
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "blksize\0" "8\0"), &req), 0);
	assert_int_equal(req.opts.blksize, 8);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "blksize\0" "65464\0"), &req), 0);
	assert_int_equal(req.opts.blksize, 65464);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "blksize\0" "0001468\0"), &req), 0);
	assert_int_equal(req.opts.blksize, 1468);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "windowsize\0" "65535\0"), &req), 0);
	assert_int_equal(req.opts.windowsize, 65535);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "timeout\0" "255\0"), &req), 0);
	assert_int_equal(req.opts.timeout, 255);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "timeout\0" "1\0"), &req), 0);
	assert_int_equal(req.opts.timeout, 1);
	assert_int_equal(parse_req_exact(PKT("\0\2" "f\0" "octet\0" "tsize\0"
					     "18446744073709551615\0"), &req), 0);
	assert_true(req.opts.has_tsize);
	assert_true(req.opts.tsize == UINT64_MAX);
}

/* Values that must make the option "not sent" while the request stays valid. */
static void test_bad_values(void **state)
{
	static const struct {
		const char *name, *val;
	} bad[] = {
		{ "blksize", "7" }, { "blksize", "65465" }, { "blksize", "12a" },
		{ "blksize", "-5" }, { "blksize", "+5" }, { "blksize", " 512" },
		{ "blksize", "512 " }, { "blksize", "0x200" }, { "blksize", "" },
		{ "blksize", "99999999999999999999" }, { "blksize", "4294967808" },
		{ "windowsize", "0" }, { "windowsize", "65536" },
		{ "timeout", "0" }, { "timeout", "256" },
		{ "tsize", "18446744073709551616" }, { "tsize", "-1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t pkt[128];
		struct tftp_req req;
		size_t n = 0, l;

		pkt[n++] = 0;
		pkt[n++] = 1;
		memcpy(pkt + n, "f\0octet", 8);
		n += 8;
		l = strlen(bad[i].name) + 1;
		memcpy(pkt + n, bad[i].name, l);
		n += l;
		l = strlen(bad[i].val) + 1;
		memcpy(pkt + n, bad[i].val, l);
		n += l;
		assert_int_equal(parse_req_exact(pkt, n, &req), 0);
		assert_false(req.opts.has_blksize);
		assert_false(req.opts.has_windowsize);
		assert_false(req.opts.has_timeout);
		assert_false(req.opts.has_tsize);
	}
}

/* ---- bad requests ----------------------------------------------------- */

static void test_bad_requests(void **state)
{
	struct tftp_req req;
	uint8_t pkt[300];

	(void)state;
	assert_int_equal(parse_req_exact(PKT(""), &req), -EBADMSG);
	assert_int_equal(parse_req_exact(PKT("\0"), &req), -EBADMSG);
	assert_int_equal(parse_req_exact(PKT("\0\1"), &req), -EBADMSG);
	/* Wrong opcodes. */
	assert_int_equal(parse_req_exact(PKT("\0\3" "f\0" "octet\0"), &req), -EBADMSG);
	assert_int_equal(parse_req_exact(PKT("\0\6" "f\0" "octet\0"), &req), -EBADMSG);
	assert_int_equal(parse_req_exact(PKT("\1\1" "f\0" "octet\0"), &req), -EBADMSG);
	/* Missing NULs. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "bootcode.bin"), &req), -EBADMSG);
	assert_int_equal(parse_req_exact(PKT("\0\1" "bootcode.bin\0" "octet"), &req), -EBADMSG);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "tsize\0" "0"), &req), -EBADMSG);
	/* Empty file name. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "\0" "octet\0"), &req), -EBADMSG);
	/* Unknown mode. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "binary\0"), &req), -EPROTONOSUPPORT);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octets\0"), &req), -EPROTONOSUPPORT);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octe\0"), &req), -EPROTONOSUPPORT);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "\0"), &req), -EPROTONOSUPPORT);
	/* Option without value. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "tsize\0"), &req), -EBADMSG);
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "blksize\0" "512\0" "tsize\0"),
					 &req), -EBADMSG);
	/* Junk after padding is not padding. */
	assert_int_equal(parse_req_exact(PKT("\0\1" "f\0" "octet\0" "\0" "x"), &req), -EBADMSG);

	/* File name of exactly 255 bytes is fine, 256 is too long. */
	pkt[0] = 0;
	pkt[1] = 1;
	memset(pkt + 2, 'a', 255);
	memcpy(pkt + 257, "\0octet", 7);
	assert_int_equal(parse_req_exact(pkt, 264, &req), 0);
	assert_int_equal(strlen(req.filename), 255);
	memset(pkt + 2, 'a', 256);
	memcpy(pkt + 258, "\0octet", 7);
	assert_int_equal(parse_req_exact(pkt, 265, &req), -ENAMETOOLONG);
}

/* A prefix of a request is valid only when it ends right after the mode or
 * after a complete option value: the bytes after the opcode then hold an
 * even number (>= 2) of NULs and end with one. Every other length must
 * fail cleanly. */
static void check_truncations(const uint8_t *pkt, size_t len)
{
	size_t l, i;

	for (l = 0; l <= len; l++) {
		struct tftp_req req;
		size_t nuls = 0;
		bool valid;

		for (i = 2; i < l; i++)
			nuls += pkt[i] == 0;
		valid = l > 2 && pkt[l - 1] == 0 && nuls >= 2 && nuls % 2 == 0;
		if (valid)
			assert_int_equal(parse_req_exact(pkt, l, &req), 0);
		else
			assert_int_not_equal(parse_req_exact(pkt, l, &req), 0);
	}
}

static void test_truncation_every_length(void **state)
{
	(void)state;
	check_truncations(PKT("\0\1" "bootcode.bin\0" "octet\0"));
	check_truncations(PKT("\0\1" "bootcode.bin\0" "octet\0" "tsize\0" "0\0"));
	check_truncations(PKT("\0\1" "12345678/start4.elf\0" "octet\0" "tsize\0" "0\0"
			      "blksize\0" "1024\0"));
	check_truncations(PKT("\0\1" "kernel_2712.img\0" "octet\0" "tsize\0" "0\0"
			      "blksize\0" "1468\0" "windowsize\0" "16\0" "timeout\0" "3\0"));
	check_truncations(PKT("\0\2" "up\0" "netascii\0" "tsize\0" "123456\0"));
}

/* ---- ACK / DATA / ERROR / OACK ---------------------------------------- */

static void test_ack(void **state)
{
	uint16_t block = 0;
	uint8_t *q;
	size_t l;

	(void)state;
	assert_int_equal(tftp_parse_ack(PKT("\0\4\0\0"), &block), 0);
	assert_int_equal(block, 0);
	assert_int_equal(tftp_parse_ack(PKT("\0\4\xff\xfe"), &block), 0);
	assert_int_equal(block, 0xfffe);
	/* Padding after the block number is tolerated. */
	assert_int_equal(tftp_parse_ack(PKT("\0\4\1\2\0\0\0\0"), &block), 0);
	assert_int_equal(block, 0x0102);
	assert_int_equal(tftp_parse_ack(PKT("\0\3\0\1"), &block), -EBADMSG);
	for (l = 0; l < 4; l++) {
		q = dup_exact((const uint8_t *)"\0\4\0\1", l);
		assert_int_equal(tftp_parse_ack(q, l, &block), -EBADMSG);
		free(q);
	}
}

static void test_data(void **state)
{
	uint16_t block = 0;
	const uint8_t *pl = NULL;
	size_t plen = 99, l;
	uint8_t *q;

	(void)state;
	q = dup_exact(PKT("\0\3\0\7" "hello"));
	assert_int_equal(tftp_parse_data(q, 9, &block, &pl, &plen), 0);
	assert_int_equal(block, 7);
	assert_int_equal(plen, 5);
	assert_ptr_equal(pl, q + 4);
	assert_memory_equal(pl, "hello", 5);
	free(q);
	/* Empty final block (file size a multiple of blksize). */
	assert_int_equal(tftp_parse_data(PKT("\0\3\xff\xff"), &block, &pl, &plen), 0);
	assert_int_equal(block, 0xffff);
	assert_int_equal(plen, 0);
	assert_int_equal(tftp_parse_data(PKT("\0\4\0\1" "x"), &block, &pl, &plen), -EBADMSG);
	for (l = 0; l < 4; l++) {
		q = dup_exact((const uint8_t *)"\0\3\0\1", l);
		assert_int_equal(tftp_parse_data(q, l, &block, &pl, &plen), -EBADMSG);
		free(q);
	}
}

static void test_error(void **state)
{
	char msg[64];
	uint16_t code = 99;
	uint8_t *q;
	size_t l;

	(void)state;
	/* Pi 4/5 existence probe abort (doc §4.1). */
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\0" "Early terminate\0"), &code,
					  msg, sizeof(msg)), 0);
	assert_int_equal(code, 0);
	assert_string_equal(msg, "Early terminate");
	/* No NUL: tolerated, message ends at the packet end. */
	q = dup_exact(PKT("\0\5\0\1" "File not found"));
	assert_int_equal(tftp_parse_error(q, 18, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, 1);
	assert_string_equal(msg, "File not found");
	free(q);
	/* Message truncated to msgcap - 1. */
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\2" "Access violation\0"), &code, msg, 7), 0);
	assert_string_equal(msg, "Access");
	/* Bytes after the NUL are ignored. */
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\3" "a\0" "b"), &code, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "a");
	/* Empty message, no message at all, no buffer. */
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\4" "\0"), &code, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\4"), &code, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\10" "x\0"), &code, NULL, 0), 0);
	assert_int_equal(code, 8);
	msg[0] = 'z';
	assert_int_equal(tftp_parse_error(PKT("\0\5\0\1" "x\0"), &code, msg, 1), 0);
	assert_string_equal(msg, "");
	/* Short and wrong opcode. */
	assert_int_equal(tftp_parse_error(PKT("\0\4\0\0" "x\0"), &code, msg, sizeof(msg)), -EBADMSG);
	for (l = 0; l < 4; l++) {
		q = dup_exact((const uint8_t *)"\0\5\0\1", l);
		assert_int_equal(tftp_parse_error(q, l, &code, msg, sizeof(msg)), -EBADMSG);
		free(q);
	}
}

static void test_oack(void **state)
{
	struct tftp_opts o;
	uint8_t *q;
	size_t l;
	static const char good[] = "\0\6" "blksize\0" "1468\0" "tsize\0" "26939392\0";

	(void)state;
	assert_int_equal(tftp_parse_oack(PKT(good), &o), 0);
	assert_true(o.has_blksize);
	assert_int_equal(o.blksize, 1468);
	assert_true(o.has_tsize);
	assert_true(o.tsize == 26939392);
	assert_false(o.has_windowsize);
	/* Empty OACK parses to no options; the caller decides. */
	assert_int_equal(tftp_parse_oack(PKT("\0\6"), &o), 0);
	assert_false(o.has_blksize || o.has_tsize || o.has_timeout || o.has_windowsize);
	/* Same validation as requests. */
	assert_int_equal(tftp_parse_oack(PKT("\0\6" "blksize\0" "65465\0" "TIMEOUT\0" "9\0"), &o), 0);
	assert_false(o.has_blksize);
	assert_true(o.has_timeout);
	assert_int_equal(o.timeout, 9);
	assert_int_equal(tftp_parse_oack(PKT("\0\6" "blksize\0"), &o), -EBADMSG);
	assert_int_equal(tftp_parse_oack(PKT("\0\1" "blksize\0" "512\0"), &o), -EBADMSG);
	assert_int_equal(tftp_parse_oack(PKT("\0"), &o), -EBADMSG);
	/* Every truncation: valid only on pair boundaries. */
	for (l = 0; l <= sizeof(good) - 1; l++) {
		int rc;

		q = dup_exact((const uint8_t *)good, l);
		rc = tftp_parse_oack(q, l, &o);
		if (l == 2 || l == 15 || l == sizeof(good) - 1)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, -EBADMSG);
		free(q);
	}
}

static void test_opcode(void **state)
{
	(void)state;
	assert_int_equal(tftp_opcode(NULL, 0), 0);
	assert_int_equal(tftp_opcode((const uint8_t *)"\0", 1), 0);
	assert_int_equal(tftp_opcode(PKT("\0\5")), TFTP_ERROR);
	assert_int_equal(tftp_opcode(PKT("\1\2\3")), 0x0102);
}

/* ---- builders --------------------------------------------------------- */

static void test_build_rrq_roundtrip(void **state)
{
	struct tftp_opts o = { 0 };
	struct tftp_req req;
	uint8_t buf[512];
	int n;

	(void)state;
	o.has_tsize = true;
	o.has_blksize = true;
	o.blksize = 1468;
	o.has_windowsize = true;
	o.windowsize = 16;
	o.has_timeout = true;
	o.timeout = 3;
	n = tftp_build_rrq(buf, sizeof(buf), "kernel8.img", TFTP_MODE_OCTET, &o);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_request(buf, (size_t)n, &req), 0);
	assert_int_equal(req.opcode, TFTP_RRQ);
	assert_string_equal(req.filename, "kernel8.img");
	assert_int_equal(req.mode, TFTP_MODE_OCTET);
	assert_opts_equal(&req.opts, &o);

	/* No options: exactly the Pi 3 ROM request. */
	n = tftp_build_rrq(buf, sizeof(buf), "bootcode.bin", TFTP_MODE_OCTET, NULL);
	assert_int_equal(n, 21);
	assert_memory_equal(buf, "\0\1" "bootcode.bin\0" "octet\0", 21);

	n = tftp_build_rrq(buf, sizeof(buf), "a", TFTP_MODE_NETASCII, NULL);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_request(buf, (size_t)n, &req), 0);
	assert_int_equal(req.mode, TFTP_MODE_NETASCII);

	assert_int_equal(tftp_build_rrq(buf, sizeof(buf), "", TFTP_MODE_OCTET, NULL), -EINVAL);
	assert_int_equal(tftp_build_rrq(buf, sizeof(buf), NULL, TFTP_MODE_OCTET, NULL), -EINVAL);
	assert_int_equal(tftp_build_rrq(buf, sizeof(buf), "a", (enum tftp_mode)7, NULL), -EINVAL);
	{
		char longname[300];

		memset(longname, 'x', 256);
		longname[256] = '\0';
		assert_int_equal(tftp_build_rrq(buf, sizeof(buf), longname, TFTP_MODE_OCTET, NULL),
				 -EINVAL);
		longname[255] = '\0';
		n = tftp_build_rrq(buf, sizeof(buf), longname, TFTP_MODE_OCTET, NULL);
		assert_int_equal(n, 2 + 256 + 6);
	}
}

static void test_build_oack_roundtrip(void **state)
{
	struct tftp_opts o = { 0 }, back;
	uint8_t buf[128];
	int n;

	(void)state;
	o.has_blksize = true;
	o.blksize = 1024;
	o.has_tsize = true;
	o.tsize = 123456789012ULL;
	n = tftp_build_oack(buf, sizeof(buf), &o);
	assert_int_equal(n, 2 + 8 + 5 + 6 + 13);
	assert_memory_equal(buf, "\0\6" "blksize\0" "1024\0" "tsize\0" "123456789012\0", (size_t)n);
	assert_int_equal(tftp_parse_oack(buf, (size_t)n, &back), 0);
	assert_opts_equal(&back, &o);

	/* Extremes. */
	memset(&o, 0, sizeof(o));
	o.has_tsize = true;
	o.tsize = UINT64_MAX;
	o.has_windowsize = true;
	o.windowsize = 65535;
	o.has_timeout = true;
	o.timeout = 255;
	o.has_blksize = true;
	o.blksize = 8;
	n = tftp_build_oack(buf, sizeof(buf), &o);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_oack(buf, (size_t)n, &back), 0);
	assert_opts_equal(&back, &o);

	/* tsize 0 is written (bootcode.bin probe answer carries the real size,
	 * but the builder writes what it is given). */
	memset(&o, 0, sizeof(o));
	o.has_tsize = true;
	n = tftp_build_oack(buf, sizeof(buf), &o);
	assert_int_equal(n, 2 + 6 + 2);
	assert_memory_equal(buf, "\0\6" "tsize\0" "0\0", 10);
}

static void test_build_small(void **state)
{
	uint8_t buf[64];
	uint16_t v;
	int n;
	const uint8_t *pl;
	size_t plen;
	char msg[32];

	(void)state;
	n = tftp_build_ack(buf, sizeof(buf), 0xabcd);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "\0\4\xab\xcd", 4);
	assert_int_equal(tftp_parse_ack(buf, 4, &v), 0);
	assert_int_equal(v, 0xabcd);

	n = tftp_build_data_hdr(buf, sizeof(buf), 65535);
	assert_int_equal(n, 4);
	assert_int_equal(tftp_parse_data(buf, 4, &v, &pl, &plen), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(plen, 0);

	n = tftp_build_error(buf, sizeof(buf), TFTP_EUNDEF, "Early terminate");
	assert_int_equal(n, 20);
	assert_memory_equal(buf, "\0\5\0\0" "Early terminate\0", 20);
	assert_int_equal(tftp_parse_error(buf, (size_t)n, &v, msg, sizeof(msg)), 0);
	assert_int_equal(v, 0);
	assert_string_equal(msg, "Early terminate");

	n = tftp_build_error(buf, sizeof(buf), TFTP_ENOTFOUND, NULL);
	assert_true(n > 0);
	assert_int_equal(tftp_parse_error(buf, (size_t)n, &v, msg, sizeof(msg)), 0);
	assert_int_equal(v, TFTP_ENOTFOUND);
	assert_string_equal(msg, "File not found");
}

/* Every capacity below the needed one must give -ENOBUFS, never a write
 * past cap (the buffer is exact-size on the heap). */
static void test_enobufs(void **state)
{
	struct tftp_opts o = { 0 };
	uint8_t ref[512];
	size_t cap;
	int need[5], k;

	(void)state;
	o.has_blksize = true;
	o.blksize = 1468;
	o.has_tsize = true;
	o.tsize = 1000000;
	need[0] = tftp_build_rrq(ref, sizeof(ref), "bootcode.bin", TFTP_MODE_OCTET, &o);
	need[1] = tftp_build_oack(ref, sizeof(ref), &o);
	need[2] = tftp_build_ack(ref, sizeof(ref), 1);
	need[3] = tftp_build_error(ref, sizeof(ref), 1, "File not found");
	need[4] = tftp_build_data_hdr(ref, sizeof(ref), 1);
	for (k = 0; k < 5; k++) {
		assert_true(need[k] > 0);
		for (cap = 0; cap <= (size_t)need[k]; cap++) {
			uint8_t *b = malloc(cap ? cap : 1);
			int rc = 0;

			assert_non_null(b);
			switch (k) {
			case 0:
				rc = tftp_build_rrq(b, cap, "bootcode.bin", TFTP_MODE_OCTET, &o);
				break;
			case 1:
				rc = tftp_build_oack(b, cap, &o);
				break;
			case 2:
				rc = tftp_build_ack(b, cap, 1);
				break;
			case 3:
				rc = tftp_build_error(b, cap, 1, "File not found");
				break;
			case 4:
				rc = tftp_build_data_hdr(b, cap, 1);
				break;
			}
			if (cap < (size_t)need[k])
				assert_int_equal(rc, -ENOBUFS);
			else
				assert_int_equal(rc, need[k]);
			free(b);
		}
	}
}

/* ---- netascii --------------------------------------------------------- */

static void test_netascii(void **state)
{
	static const struct {
		const char *in, *out;
		size_t inlen, outlen;
	} v[] = {
#define NV(i, o) { i, o, sizeof(i) - 1, sizeof(o) - 1 }
		NV("", ""),
		NV("abc", "abc"),
		NV("a\nb", "a\r\nb"),
		NV("a\rb", "a\r\0b"),
		NV("a\r\nb", "a\r\0\r\nb"),
		NV("\n\n", "\r\n\r\n"),
		NV("end\r", "end\r\0"),
		NV("nul\0ok", "nul\0ok"),
#undef NV
	};
	uint8_t out[32];
	size_t i, cap;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(tftp_netascii_encode((const uint8_t *)v[i].in, v[i].inlen,
						      out, sizeof(out)), v[i].outlen);
		assert_memory_equal(out, v[i].out, v[i].outlen);
		assert_int_equal(out[v[i].outlen], 0xee);
		/* Size query. */
		assert_int_equal(tftp_netascii_encode((const uint8_t *)v[i].in, v[i].inlen,
						      NULL, 0), v[i].outlen);
	}
	/* Too small: dst holds exactly the first cap bytes, nothing more. */
	for (cap = 0; cap <= 9; cap++) {
		uint8_t *b = malloc(cap ? cap : 1);

		assert_non_null(b);
		assert_int_equal(tftp_netascii_encode((const uint8_t *)"a\nb\rc\n", 6, b, cap), 9);
		if (cap)
			assert_memory_equal(b, "a\r\nb\r\0c\r\n", cap);
		free(b);
	}
}


/* The streaming converter: any split of the input and any output room
 * gives the bytes of one whole conversion, a pair cut by a full buffer
 * included; with no input it only pays what it owes. */
static void test_netascii_step(void **state)
{
	static const uint8_t in[] = "a\nb\rc\r\n\r\r\n\nend\r";
	const size_t n = sizeof(in) - 1;
	uint8_t want[64], got[64];
	size_t wn = tftp_netascii_encode(in, n, want, sizeof(want));
	size_t piece, room;

	(void)state;
	for (piece = 1; piece <= n; piece++) {
		for (room = 1; room <= 5; room++) {
			struct tftp_netascii st = { 0 };
			size_t i = 0, g = 0, used;

			memset(got, 0xee, sizeof(got));
			while (i < n || st.owed) {
				size_t take = n - i < piece ? n - i : piece;
				size_t w = tftp_netascii_step(&st, in + i, take, &used, got + g, room);

				assert_true(w <= room);
				assert_true(used <= take);
				assert_true(w > 0); /* always progress while room > 0 */
				i += used;
				g += w;
				assert_true(g <= wn);
			}
			assert_int_equal(g, wn);
			assert_memory_equal(got, want, wn);
		}
	}
	/* A CR LF pair cut by a one-byte buffer: CR now, LF owed. */
	{
		struct tftp_netascii st = { 0 };
		size_t used;
		uint8_t b[2];

		assert_int_equal(tftp_netascii_step(&st, (const uint8_t *)"\n", 1, &used, b, 1), 1);
		assert_int_equal(used, 1);
		assert_int_equal(b[0], '\r');
		assert_true(st.owed);
		assert_int_equal(tftp_netascii_step(&st, NULL, 0, &used, b, 2), 1);
		assert_int_equal(b[0], '\n');
		assert_false(st.owed);
		assert_int_equal(tftp_netascii_step(&st, NULL, 0, &used, b, 2), 0);
		/* no room: nothing consumed */
		assert_int_equal(tftp_netascii_step(&st, (const uint8_t *)"x", 1, &used, b, 0), 0);
		assert_int_equal(used, 0);
	}
}
/* ---- helpers ---------------------------------------------------------- */

static void test_opts_str(void **state)
{
	struct tftp_opts o = { 0 };
	char buf[128];
	char small[12];

	(void)state;
	assert_int_equal(tftp_opts_str(&o, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	o.has_blksize = true;
	o.blksize = 1468;
	o.has_tsize = true;
	assert_int_equal(tftp_opts_str(&o, buf, sizeof(buf)), 20);
	assert_string_equal(buf, "blksize=1468 tsize=0");
	o.has_timeout = true;
	o.timeout = 5;
	o.has_windowsize = true;
	o.windowsize = 16;
	o.tsize = UINT64_MAX;
	assert_true(tftp_opts_str(&o, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "blksize=1468 tsize=18446744073709551615 timeout=5 windowsize=16");
	/* Too small: -ENOBUFS and a NUL-terminated prefix. */
	assert_int_equal(tftp_opts_str(&o, small, sizeof(small)), -ENOBUFS);
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(strncmp(small, "blksize=1468", strlen(small)), 0);
	assert_int_equal(tftp_opts_str(&o, small, 1), -ENOBUFS);
	assert_string_equal(small, "");
	assert_int_equal(tftp_opts_str(&o, NULL, 0), -ENOBUFS);
	/* Exact fit: 20 chars + NUL. */
	o.has_timeout = o.has_windowsize = false;
	o.tsize = 0;
	assert_int_equal(tftp_opts_str(&o, buf, 21), 20);
	assert_int_equal(tftp_opts_str(&o, buf, 20), -ENOBUFS);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tftp_errcode_str(TFTP_ENOTFOUND), "File not found");
	assert_string_equal(tftp_errcode_str(TFTP_EOPTNEG), "Option negotiation failed");
	assert_string_equal(tftp_errcode_str(9), "Unknown error");
	assert_string_equal(tftp_errcode_str(0xffff), "Unknown error");
	assert_string_equal(tftp_mode_name(TFTP_MODE_OCTET), "octet");
	assert_string_equal(tftp_mode_name(TFTP_MODE_NETASCII), "netascii");
	assert_string_equal(tftp_mode_name(TFTP_MODE_MAIL), "mail");
	assert_string_equal(tftp_mode_name((enum tftp_mode)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pi3_rom_no_options),
		cmocka_unit_test(test_bootcode_tsize0),
		cmocka_unit_test(test_pi4_tsize_blksize),
		cmocka_unit_test(test_pi5_blksize1468),
		cmocka_unit_test(test_windowsize_timeout),
		cmocka_unit_test(test_uppercase),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_unknown_dup_padding),
		cmocka_unit_test(test_value_bounds),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_oack),
		cmocka_unit_test(test_opcode),
		cmocka_unit_test(test_build_rrq_roundtrip),
		cmocka_unit_test(test_build_oack_roundtrip),
		cmocka_unit_test(test_build_small),
		cmocka_unit_test(test_enobufs),
		cmocka_unit_test(test_netascii),
		cmocka_unit_test(test_netascii_step),
		cmocka_unit_test(test_opts_str),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
