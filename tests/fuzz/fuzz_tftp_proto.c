/* fuzz_tftp_proto.c - libFuzzer target for the TFTP packet codec.
 * Every input goes to every parser (request, ACK, ERROR, DATA, OACK) from an
 * exact-size copy, so ASan sees any over-read. A parsed request is rebuilt
 * as an OACK and as a RRQ and re-parsed: the options must survive unchanged.
 * Any mismatch aborts (__builtin_trap). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void check_opts_equal(const struct tftp_opts *a, const struct tftp_opts *b)
{
	check(a->has_blksize == b->has_blksize);
	check(a->has_tsize == b->has_tsize);
	check(a->has_timeout == b->has_timeout);
	check(a->has_windowsize == b->has_windowsize);
	check(!a->has_blksize || a->blksize == b->blksize);
	check(!a->has_tsize || a->tsize == b->tsize);
	check(!a->has_timeout || a->timeout == b->timeout);
	check(!a->has_windowsize || a->windowsize == b->windowsize);
}

/* Parsed values must always be inside their RFC ranges. */
static void check_opts_ranges(const struct tftp_opts *o)
{
	check(!o->has_blksize ||
	      (o->blksize >= TFTP_BLKSIZE_MIN && o->blksize <= TFTP_BLKSIZE_MAX));
	check(!o->has_timeout ||
	      (o->timeout >= TFTP_TIMEOUT_MIN && o->timeout <= TFTP_TIMEOUT_MAX));
	check(!o->has_windowsize || o->windowsize >= 1);
}

static void roundtrip_request(const struct tftp_req *req)
{
	uint8_t pkt[1024];
	struct tftp_opts back;
	struct tftp_req again;
	char str[128];
	int n;

	check_opts_ranges(&req->opts);
	check(req->filename[0] != '\0');
	check(strlen(req->filename) <= TFTP_FILENAME_MAX);

	n = tftp_build_oack(pkt, sizeof(pkt), &req->opts);
	check(n >= 2);
	check(tftp_parse_oack(pkt, (size_t)n, &back) == 0);
	check_opts_equal(&req->opts, &back);

	n = tftp_build_rrq(pkt, sizeof(pkt), req->filename, req->mode, &req->opts);
	check(n > 0);
	check(tftp_parse_request(pkt, (size_t)n, &again) == 0);
	check(strcmp(again.filename, req->filename) == 0);
	check(again.mode == req->mode);
	check_opts_equal(&req->opts, &again.opts);

	/* 128 bytes always fit all four options at their widest. */
	n = tftp_opts_str(&req->opts, str, sizeof(str));
	check(n >= 0 && (size_t)n == strlen(str));
	(void)tftp_opts_str(&req->opts, str, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct tftp_req req;
	struct tftp_opts opts;
	uint16_t v;
	const uint8_t *pl;
	size_t plen, need;
	char msg[64];
	uint8_t na[64];

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	(void)tftp_opcode(buf, size);
	if (tftp_parse_request(buf, size, &req) == 0)
		roundtrip_request(&req);
	(void)tftp_parse_ack(buf, size, &v);
	if (tftp_parse_error(buf, size, &v, msg, sizeof(msg)) == 0)
		check(strlen(msg) < sizeof(msg));
	(void)tftp_parse_error(buf, size, &v, msg, 1);
	if (tftp_parse_data(buf, size, &v, &pl, &plen) == 0)
		check(pl == buf + 4 && plen == size - 4);
	if (tftp_parse_oack(buf, size, &opts) == 0) {
		uint8_t pkt[256];
		struct tftp_opts back;
		int n;

		check_opts_ranges(&opts);
		n = tftp_build_oack(pkt, sizeof(pkt), &opts);
		check(n >= 2);
		check(tftp_parse_oack(pkt, (size_t)n, &back) == 0);
		check_opts_equal(&opts, &back);
	}

	/* Netascii: a prefix into a small buffer, and the size must be at
	 * least the input and at most twice it. */
	need = tftp_netascii_encode(buf, size, na, sizeof(na));
	check(need >= size && need <= 2 * size);

	free(buf);
	return 0;
}
