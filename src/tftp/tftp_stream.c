/* tftp_stream.c - block payloads for a transfer: octet by pread or from an
 * expanded blob, netascii converted on the fly into a bounded chunk.
 * Owns: the chunk and the netascii converter state of one transfer.
 * Must not touch: block numbers on the wire, ACKs or timers (tftp_xfer.c),
 * opening files (tftp_fs.c). */
#include "tftp/tftp_stream.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NA_READ 4096u /* source bytes read per netascii conversion step */

void tftp_stream_init(struct tftp_stream *st, const struct tftp_open *src, bool netascii,
		      uint16_t blksize, size_t cap)
{
	memset(st, 0, sizeof(*st));
	st->src = src;
	st->netascii = netascii;
	st->blksize = blksize;
	if (netascii)
		cap -= cap % blksize;
	st->cap = cap < blksize ? blksize : cap;
	st->total = netascii ? TFTP_STREAM_UNKNOWN : src->size;
}

void tftp_stream_free(struct tftp_stream *st)
{
	free(st->chunk);
	st->chunk = NULL;
}

uint64_t tftp_stream_nblocks(const struct tftp_stream *st)
{
	return st->total == TFTP_STREAM_UNKNOWN ? TFTP_STREAM_UNKNOWN : st->total / st->blksize + 1;
}

uint64_t tftp_stream_size(const struct tftp_stream *st)
{
	return st->total == TFTP_STREAM_UNKNOWN ? st->src->size : st->total;
}

static bool ensure_chunk(struct tftp_stream *st)
{
	if (!st->chunk)
		st->chunk = malloc(st->cap);
	return st->chunk != NULL;
}

static size_t pread_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* ---- octet ---- */

static ssize_t octet_block(struct tftp_stream *st, uint64_t off, size_t len, const uint8_t **ret)
{
	if (st->src->blob) {
		*ret = st->src->blob + off;
		return (ssize_t)len;
	}
	if (len == 0) {
		*ret = NULL;
		return 0;
	}
	if (off < st->off || off + len > st->off + st->len) {
		if (!ensure_chunk(st))
			return -1;
		uint64_t left = st->total - off;
		size_t want = left < st->cap ? (size_t)left : st->cap;
		st->off = off;
		st->len = pread_full(st->src->fd, st->chunk, want, off);
		if (st->len < len)
			return -1; /* file shrank under us */
	}
	*ret = st->chunk + (off - st->off);
	return (ssize_t)len;
}

/* ---- netascii ---- */

/* Convert more of the source into the free end of the chunk. At the end
 * of the source (its size when it was opened: a file that grows is not
 * followed) with nothing owed, the stream length becomes known. */
static int na_fill(struct tftp_stream *st)
{
	const struct tftp_open *src = st->src;
	uint8_t raw[NA_READ];
	while (st->len < st->cap && st->total == TFTP_STREAM_UNKNOWN) {
		uint64_t left = src->size - st->raw_off;
		size_t room = st->cap - st->len;
		if (left == 0 && !st->na.owed) {
			st->total = st->off + st->len;
			break;
		}
		const uint8_t *p = raw;
		size_t n = left < room ? (size_t)left : room;
		if (src->blob) {
			p = src->blob + st->raw_off;
		} else {
			if (n > sizeof(raw))
				n = sizeof(raw);
			if (pread_full(src->fd, raw, n, st->raw_off) < n)
				return -1; /* file shrank under us */
		}
		size_t used;
		st->len += tftp_netascii_step(&st->na, p, n, &used, st->chunk + st->len, room);
		st->raw_off += used;
	}
	return 0;
}

/* Drop what precedes the offset `from` (blocks the client has acked). */
static void na_drop_before(struct tftp_stream *st, uint64_t from)
{
	uint64_t end = st->off + st->len;
	if (from > end)
		from = end;
	if (from <= st->off)
		return;
	size_t shift = (size_t)(from - st->off);
	memmove(st->chunk, st->chunk + shift, st->len - shift);
	st->len -= shift;
	st->off = from;
}

static ssize_t na_block(struct tftp_stream *st, uint64_t off, uint64_t base_off, const uint8_t **ret)
{
	if (off < st->off || !ensure_chunk(st))
		return -1;
	/* Fill until the chunk holds the whole block or the stream ends. */
	while (off + st->blksize > st->off + st->len && st->total == TFTP_STREAM_UNKNOWN) {
		na_drop_before(st, base_off < off ? base_off : off);
		if (st->len == st->cap)
			return -1; /* the window does not fit the chunk (caller's bug) */
		if (na_fill(st) < 0)
			return -1;
	}
	uint64_t end = st->off + st->len;
	if (off > end)
		return -1;
	size_t len = end - off < st->blksize ? (size_t)(end - off) : st->blksize;
	*ret = st->chunk + (off - st->off);
	return (ssize_t)len;
}

ssize_t tftp_stream_block(struct tftp_stream *st, uint64_t b, uint64_t base, const uint8_t **ret)
{
	if (b == 0 || base == 0 || base > b)
		return -1;
	uint64_t off = (b - 1) * st->blksize;
	if (st->netascii)
		return na_block(st, off, (base - 1) * st->blksize, ret);
	if (off > st->total)
		return -1;
	size_t len = st->total - off < st->blksize ? (size_t)(st->total - off) : st->blksize;
	return octet_block(st, off, len, ret);
}
