/* xdr.h - bounded XDR (RFC 4506) on top of core/buf.
 *
 * XDR is big-endian 4-byte units; variable-length opaques and strings carry
 * a length word and are padded to a multiple of 4 (RFC 4506 §4.10-4.11).
 * Every variable-length item is read against a caller-supplied maximum, so
 * a hostile length word can never make us allocate or read past the packet.
 * Must not know any protocol above XDR. */
#ifndef PINETBOOT_NFS_XDR_H
#define PINETBOOT_NFS_XDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

static inline uint32_t xdr_pad(size_t n)
{
	return (uint32_t)((4 - (n & 3)) & 3);
}

static inline uint32_t xdr_u32(struct rd *r)
{
	return rd_be32(r);
}

static inline uint64_t xdr_u64(struct rd *r)
{
	return rd_be64(r);
}

/* An XDR bool must be 0 or 1 (RFC 4506 §4.4); anything else is garbage. */
bool xdr_bool(struct rd *r);
/* Variable-length opaque<max>: borrows the bytes in place, skips padding.
 * Sets r->err when the length exceeds max or the packet. */
const uint8_t *xdr_opaque(struct rd *r, uint32_t max, uint32_t *ret_len);
/* Fixed-length opaque[n] with padding. */
void xdr_fixed(struct rd *r, void *dst, size_t n);

static inline void xdr_put_u32(struct wr *w, uint32_t v)
{
	wr_be32(w, v);
}

static inline void xdr_put_u64(struct wr *w, uint64_t v)
{
	wr_be64(w, v);
}

void xdr_put_opaque(struct wr *w, const void *p, uint32_t n);
void xdr_put_fixed(struct wr *w, const void *p, size_t n);
void xdr_put_string(struct wr *w, const char *s);

#endif
