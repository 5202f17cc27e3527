/* xdr_vec.h - a small XDR byte vector for building NFS call arguments in
 * the NFS unit tests (test_nfs.c, test_nfs_sec.c). */
#ifndef PINETBOOT_TESTS_XDR_VEC_H
#define PINETBOOT_TESTS_XDR_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "nfs/xdr.h"

struct vec {
	uint8_t b[512];
	size_t n;
};

static inline void v32(struct vec *v, uint32_t x)
{
	struct wr w = wr_init(v->b + v->n, sizeof(v->b) - v->n);
	xdr_put_u32(&w, x);
	v->n += w.off;
}

static inline void vop(struct vec *v, const void *p, uint32_t n)
{
	struct wr w = wr_init(v->b + v->n, sizeof(v->b) - v->n);
	xdr_put_opaque(&w, p, n);
	v->n += w.off;
}

#endif
