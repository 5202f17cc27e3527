/* xdr.c - the non-trivial XDR readers and writers (opaques, strings, bools).
 * Fixed-size integers are inline in xdr.h. Nothing here allocates; opaques
 * are borrowed from the packet buffer, which outlives the decoded request.
 * Must not know any protocol above XDR. */
#include "nfs/xdr.h"

bool xdr_bool(struct rd *r)
{
	uint32_t v = rd_be32(r);
	if (v > 1)
		r->err = true;
	return v == 1;
}

const uint8_t *xdr_opaque(struct rd *r, uint32_t max, uint32_t *ret_len)
{
	uint32_t n = rd_be32(r);
	*ret_len = 0;
	if (r->err || n > max) {
		r->err = true;
		return NULL;
	}
	const uint8_t *p = rd_ptr(r, n);
	rd_skip(r, xdr_pad(n));
	if (r->err)
		return NULL;
	*ret_len = n;
	/* A zero-length opaque still needs a non-NULL pointer for callers. */
	return p ? p : r->p;
}

void xdr_fixed(struct rd *r, void *dst, size_t n)
{
	rd_bytes(r, dst, n);
	rd_skip(r, xdr_pad(n));
}

void xdr_put_opaque(struct wr *w, const void *p, uint32_t n)
{
	wr_be32(w, n);
	xdr_put_fixed(w, p, n);
}

void xdr_put_fixed(struct wr *w, const void *p, size_t n)
{
	wr_bytes(w, p, n);
	wr_zero(w, xdr_pad(n));
}

void xdr_put_string(struct wr *w, const char *s)
{
	size_t n = strlen(s);
	xdr_put_opaque(w, s, (uint32_t)n);
}
