/* buf.h - bounded byte readers and writers for wire formats.
 *
 * Every parser in pinetboot reads packets through struct rd and every
 * builder writes through struct wr. Errors are sticky: a read past the end
 * or a write past the capacity sets ->err and returns zero, so callers check
 * once at the end instead of after every field. Nothing here casts structs
 * over packet bytes.
 *
 * Owns: bounded wire readers and writers. Must not touch: any protocol's meaning.
 */
#ifndef PINETBOOT_CORE_BUF_H
#define PINETBOOT_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool err;
};

struct wr {
	uint8_t *p;
	size_t cap, off;
	bool err;
};

static inline struct rd rd_init(const void *p, size_t len)
{
	struct rd r = { (const uint8_t *)p, len, 0, false };
	return r;
}

static inline struct wr wr_init(void *p, size_t cap)
{
	struct wr w = { (uint8_t *)p, cap, 0, false };
	return w;
}

static inline size_t rd_left(const struct rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

static inline bool rd_need(struct rd *r, size_t n)
{
	if (r->err || r->len - r->off < n) {
		r->err = true;
		return false;
	}
	return true;
}

static inline uint8_t rd_u8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

static inline uint16_t rd_be16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((r->p[r->off] << 8) | r->p[r->off + 1]);
	r->off += 2;
	return v;
}

static inline uint32_t rd_be32(struct rd *r)
{
	if (!rd_need(r, 4))
		return 0;
	const uint8_t *q = r->p + r->off;
	r->off += 4;
	return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
	       ((uint32_t)q[2] << 8) | q[3];
}

static inline uint64_t rd_be64(struct rd *r)
{
	uint64_t hi = rd_be32(r);
	return (hi << 32) | rd_be32(r);
}

/* Copy n bytes out; on error the destination is zeroed. */
static inline void rd_bytes(struct rd *r, void *dst, size_t n)
{
	if (!rd_need(r, n)) {
		memset(dst, 0, n);
		return;
	}
	memcpy(dst, r->p + r->off, n);
	r->off += n;
}

/* Borrow n bytes in place (no copy); NULL on error. */
static inline const uint8_t *rd_ptr(struct rd *r, size_t n)
{
	if (!rd_need(r, n))
		return NULL;
	const uint8_t *q = r->p + r->off;
	r->off += n;
	return q;
}

static inline void rd_skip(struct rd *r, size_t n)
{
	(void)rd_ptr(r, n);
}

static inline bool wr_room(struct wr *w, size_t n)
{
	if (w->err || w->cap - w->off < n) {
		w->err = true;
		return false;
	}
	return true;
}

static inline void wr_u8(struct wr *w, uint8_t v)
{
	if (wr_room(w, 1))
		w->p[w->off++] = v;
}

static inline void wr_be16(struct wr *w, uint16_t v)
{
	if (!wr_room(w, 2))
		return;
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

static inline void wr_be32(struct wr *w, uint32_t v)
{
	if (!wr_room(w, 4))
		return;
	w->p[w->off++] = (uint8_t)(v >> 24);
	w->p[w->off++] = (uint8_t)(v >> 16);
	w->p[w->off++] = (uint8_t)(v >> 8);
	w->p[w->off++] = (uint8_t)v;
}

static inline void wr_be64(struct wr *w, uint64_t v)
{
	wr_be32(w, (uint32_t)(v >> 32));
	wr_be32(w, (uint32_t)v);
}

static inline void wr_bytes(struct wr *w, const void *src, size_t n)
{
	if (n && wr_room(w, n)) {
		memcpy(w->p + w->off, src, n);
		w->off += n;
	}
}

static inline void wr_zero(struct wr *w, size_t n)
{
	if (n && wr_room(w, n)) {
		memset(w->p + w->off, 0, n);
		w->off += n;
	}
}

/* Write a string plus its terminating NUL (TFTP style). */
static inline void wr_cstr(struct wr *w, const char *s)
{
	wr_bytes(w, s, strlen(s) + 1);
}

#endif
