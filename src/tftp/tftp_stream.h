/* tftp_stream.h - the bytes of one TFTP transfer, block by block.
 *
 * Octet transfers read the file with pread into a bounded chunk (page-cache
 * friendly, no mmap that a concurrent truncate could turn into SIGBUS), or
 * point into an expanded blob. Netascii transfers (RFC 1350 / RFC 764:
 * LF -> CR LF, CR -> CR NUL) are converted while streaming into the same
 * bounded chunk, from the file or the blob: memory per transfer is the
 * chunk, never the file. The converted length is only known once the
 * converter reaches the end of the source, so the number of blocks of a
 * netascii stream is unknown until then.
 *
 * Owns: the bytes of one transfer. Must not touch: sockets and timers.
 */
#ifndef PINETBOOT_TFTP_STREAM_H
#define PINETBOOT_TFTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tftp/tftp_fs.h"
#include "tftp/tftp_proto.h"

#define TFTP_STREAM_UNKNOWN UINT64_MAX

struct tftp_stream {
	const struct tftp_open *src;
	bool netascii;
	uint16_t blksize;
	uint8_t *chunk;          /* allocated on first use */
	size_t cap, len;         /* capacity and bytes held */
	uint64_t off;            /* stream offset of chunk[0] */
	uint64_t total;          /* stream length, TFTP_STREAM_UNKNOWN until known */
	uint64_t raw_off;        /* netascii: source bytes converted so far */
	struct tftp_netascii na; /* netascii: converter state at chunk end */
};

/* cap: chunk size in bytes. A netascii stream must hold every block the
 * client may still ask for again, so its cap must be at least
 * blksize * window (the caller clamps the window); it is rounded down to
 * whole blocks. src must outlive the stream. */
void tftp_stream_init(struct tftp_stream *st, const struct tftp_open *src, bool netascii,
		      uint16_t blksize, size_t cap);

/* Payload of block b (1-based; the last block may be empty). base is the
 * oldest block the caller may still ask for (acked + 1); blocks before it
 * may be dropped from the chunk, so b >= base and base never decreases.
 * Returns the payload length (0..blksize) with *ret pointing at it, or -1:
 * out of memory, past the end, or the file shrank or became unreadable. */
ssize_t tftp_stream_block(struct tftp_stream *st, uint64_t b, uint64_t base, const uint8_t **ret);

/* Blocks in the stream (total / blksize + 1), or TFTP_STREAM_UNKNOWN. */
uint64_t tftp_stream_nblocks(const struct tftp_stream *st);
/* Stream length if known, else the source size (for logs). */
uint64_t tftp_stream_size(const struct tftp_stream *st);

void tftp_stream_free(struct tftp_stream *st);

#endif
