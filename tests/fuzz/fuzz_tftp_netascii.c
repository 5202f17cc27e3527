/* fuzz_tftp_netascii.c - libFuzzer target for the streaming netascii
 * converter and the block stream built on it. Properties:
 *  - fed in pieces into a bounded buffer (sizes taken from the input),
 *    tftp_netascii_step gives exactly tftp_netascii_encode's bytes;
 *  - decoding the encoding (CR LF -> LF, CR NUL -> CR) gives the input back;
 *  - tftp_stream, asked block by block in windows with some blocks asked
 *    again, gives the same bytes, ends with the right block count, and
 *    never holds more than blksize * window bytes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp_proto.h"
#include "tftp/tftp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* RFC 764 decoding; returns the decoded length or (size_t)-1 when enc is
 * not a valid encoding (a CR followed by anything but LF or NUL). */
static size_t decode(const uint8_t *enc, size_t n, uint8_t *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (enc[i] != '\r') {
			out[o++] = enc[i];
			continue;
		}
		if (i + 1 == n || (enc[i + 1] != '\n' && enc[i + 1] != '\0'))
			return (size_t)-1;
		out[o++] = enc[i + 1] == '\n' ? '\n' : '\r';
		i++;
	}
	return o;
}

static void check_steps(const uint8_t *in, size_t n, const uint8_t *want, size_t wn,
			size_t piece, size_t room)
{
	uint8_t *got = malloc(wn + 1);
	struct tftp_netascii st = { 0 };
	size_t i = 0, g = 0, used;
	check(got != NULL);
	while (i < n || st.owed) {
		size_t take = n - i < piece ? n - i : piece;
		size_t cap = wn + 1 - g < room ? wn + 1 - g : room;
		size_t w = tftp_netascii_step(&st, in + i, take, &used, got + g, cap);
		check(w > 0 && w <= cap && used <= take);
		i += used;
		g += w;
		check(g <= wn);
	}
	check(g == wn && memcmp(got, want, wn) == 0);
	free(got);
}

static void check_stream(const uint8_t *in, size_t n, const uint8_t *want, size_t wn,
			 uint16_t blksize, unsigned window)
{
	struct tftp_open src;
	struct tftp_stream st;
	memset(&src, 0, sizeof(src));
	src.fd = -1;
	src.blob = malloc(n ? n : 1);
	check(src.blob != NULL);
	memcpy(src.blob, in, n);
	src.size = n;
	tftp_stream_init(&st, &src, true, blksize, (size_t)blksize * window);
	uint64_t base = 1;
	size_t got = 0;
	for (unsigned round = 0; base <= tftp_stream_nblocks(&st); round++) {
		for (uint64_t b = base; b < base + window && b <= tftp_stream_nblocks(&st); b++) {
			const uint8_t *pl;
			ssize_t len = tftp_stream_block(&st, b, base, &pl);
			size_t off = (size_t)(b - 1) * blksize;
			check(len >= 0 && (size_t)len <= blksize && off + (size_t)len <= wn);
			check(len == 0 || memcmp(pl, want + off, (size_t)len) == 0);
			check(st.len <= (size_t)blksize * window);
			if (off + (size_t)len > got)
				got = off + (size_t)len;
		}
		/* every other round acks only the first block of the window */
		uint64_t acked = round % 2 ? base : base + window - 1;
		uint64_t last = tftp_stream_nblocks(&st);
		base = (acked > last ? last : acked) + 1;
	}
	check(got == wn);
	check(tftp_stream_nblocks(&st) == wn / blksize + 1);
	tftp_stream_free(&st);
	free(src.blob);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || size > 4096)
		return 0;
	size_t piece = (size_t)data[0] % 64 + 1;
	size_t room = (size_t)data[1] % 16 + 1;
	uint16_t blksize = (uint16_t)(data[2] % 96 + 8);
	unsigned window = (unsigned)data[3] % 6 + 1;
	const uint8_t *in = data + 4;
	size_t n = size - 4;

	size_t wn = tftp_netascii_encode(in, n, NULL, 0);
	check(wn >= n && wn <= 2 * n);
	uint8_t *want = malloc(wn + 1), *back = malloc(wn + 1);
	check(want != NULL && back != NULL);
	check(tftp_netascii_encode(in, n, want, wn) == wn);
	check(decode(want, wn, back) == n && memcmp(back, in, n) == 0);
	check_steps(in, n, want, wn, piece, room);
	check_stream(in, n, want, wn, blksize, window);
	free(want);
	free(back);
	return 0;
}
