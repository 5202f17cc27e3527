/* rpc.c - ONC RPC v2 message headers (RFC 5531 §9) and TCP record marking
 * (§11). The call parser checks every length against the RFC's limits
 * (credential bodies <400>, machinename <255>, gids <16>) before trusting
 * it; the record reassembler caps the whole record (all fragments) and
 * reserves each fragment's announced length, never more than that cap.
 * Pure: must not touch sockets, threads or logs above debug; the
 * transport (nfs_conn.c) and dispatch (nfs_dispatch.c) drive it. */
#include "nfs/rpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/xdr.h"

int rpc_parse_auth_sys(const uint8_t *p, size_t len, struct rpc_cred *cred)
{
	struct rd r = rd_init(p, len);
	uint32_t n;
	(void)xdr_u32(&r);                        /* stamp */
	(void)xdr_opaque(&r, RPC_MACHINE_MAX, &n); /* machinename */
	cred->uid = xdr_u32(&r);
	cred->gid = xdr_u32(&r);
	n = xdr_u32(&r);
	if (n > RPC_GIDS_MAX)
		return -EACCES;
	for (uint32_t i = 0; i < n; i++)
		cred->gids[i] = xdr_u32(&r);
	/* The body length must match exactly: trailing bytes mean the
	 * sender and we disagree about the layout (§A.1). */
	if (r.err || rd_left(&r) != 0)
		return -EACCES;
	cred->ngids = n;
	cred->flavor = AUTH_SYS;
	return 0;
}

int rpc_parse_call(const uint8_t *p, size_t len, struct rpc_call *call)
{
	struct rd r = rd_init(p, len);
	uint32_t n;
	memset(call, 0, sizeof(*call));
	call->xid = xdr_u32(&r);
	uint32_t mtype = xdr_u32(&r);
	if (r.err || mtype != RPC_CALL)
		return -EBADMSG;
	uint32_t rpcvers = xdr_u32(&r);
	call->prog = xdr_u32(&r);
	call->vers = xdr_u32(&r);
	call->proc = xdr_u32(&r);
	if (r.err)
		return -EBADMSG;
	if (rpcvers != RPC_VERSION)
		return -EPROTO;
	uint32_t flavor = xdr_u32(&r), blen = 0;
	const uint8_t *body = xdr_opaque(&r, RPC_AUTH_MAX, &blen);
	(void)xdr_u32(&r);                     /* verifier flavor: ignored */
	(void)xdr_opaque(&r, RPC_AUTH_MAX, &n);
	if (r.err)
		return -EACCES;
	/* AUTH_NONE maps to nobody; the NFS layer decides what nobody may do. */
	call->cred.flavor = AUTH_NONE;
	call->cred.uid = call->cred.gid = RPC_NOBODY;
	if (flavor == AUTH_SYS) {
		if (rpc_parse_auth_sys(body, blen, &call->cred) < 0)
			return -EACCES;
	} else if (flavor != AUTH_NONE) {
		return -EACCES;
	}
	call->args = p + r.off;
	call->args_len = r.len - r.off;
	return 0;
}

static void put_reply_start(struct wr *w, uint32_t xid, uint32_t reply_stat)
{
	xdr_put_u32(w, xid);
	xdr_put_u32(w, RPC_REPLY);
	xdr_put_u32(w, reply_stat);
}

void rpc_put_accepted(struct wr *w, uint32_t xid, uint32_t accept_stat)
{
	put_reply_start(w, xid, RPC_MSG_ACCEPTED);
	xdr_put_u32(w, AUTH_NONE); /* verifier: AUTH_NONE, empty body */
	xdr_put_u32(w, 0);
	xdr_put_u32(w, accept_stat);
}

void rpc_put_prog_mismatch(struct wr *w, uint32_t xid, uint32_t low, uint32_t high)
{
	rpc_put_accepted(w, xid, RPC_PROG_MISMATCH);
	xdr_put_u32(w, low);
	xdr_put_u32(w, high);
}

void rpc_put_rpc_mismatch(struct wr *w, uint32_t xid)
{
	put_reply_start(w, xid, RPC_MSG_DENIED);
	xdr_put_u32(w, RPC_MISMATCH);
	xdr_put_u32(w, RPC_VERSION);
	xdr_put_u32(w, RPC_VERSION);
}

void rpc_put_auth_error(struct wr *w, uint32_t xid, uint32_t why)
{
	put_reply_start(w, xid, RPC_MSG_DENIED);
	xdr_put_u32(w, RPC_AUTH_ERROR);
	xdr_put_u32(w, why);
}

void rpc_rec_init(struct rpc_rec *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void rpc_rec_reset(struct rpc_rec *r)
{
	r->hdr_got = 0;
	r->in_frag = r->last = false;
	r->frag_left = 0;
	r->len = 0;
	/* Keep small buffers for the next call; give big ones back so idle
	 * connections stay cheap. */
	if (r->cap > 65536) {
		free(r->buf);
		r->buf = NULL;
		r->cap = 0;
	}
}

void rpc_rec_free(struct rpc_rec *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->len = 0;
}

uint8_t *rpc_rec_take(struct rpc_rec *r, size_t *ret_len)
{
	uint8_t *b = r->buf;
	*ret_len = r->len;
	r->buf = NULL;
	r->cap = 0;
	rpc_rec_reset(r);
	return b;
}

/* Room for need bytes. The buffer grows geometrically (few reallocs for a
 * record sent in small pieces) but never past the end of the fragment
 * being received nor the cap: memory follows the bytes that arrived, not
 * what a fragment header promised, so an idle or slow connection that
 * announced 1 MiB costs next to nothing. */
static int rec_reserve(struct rpc_rec *r, size_t need)
{
	if (need <= r->cap)
		return 0;
	size_t end = r->len + r->frag_left;
	size_t cap = need < 512 ? 512 : need;
	if (cap < 2 * r->cap)
		cap = 2 * r->cap;
	if (cap > end)
		cap = end;
	if (cap > r->max)
		cap = r->max;
	if (cap < need)
		return -EMSGSIZE;
	uint8_t *n = realloc(r->buf, cap);
	if (!n)
		return -ENOMEM;
	r->buf = n;
	r->cap = cap;
	return 0;
}

uint8_t *rpc_rec_space(struct rpc_rec *r, size_t *ret_len)
{
	*ret_len = 0;
	if (!r->in_frag || r->frag_left == 0)
		return NULL;
	if (r->cap == r->len && rec_reserve(r, r->len + 1) < 0)
		return NULL;
	size_t room = r->cap - r->len;
	*ret_len = room < r->frag_left ? room : r->frag_left;
	return r->buf + r->len;
}

int rpc_rec_advance(struct rpc_rec *r, size_t n)
{
	r->len += n;
	r->frag_left -= (uint32_t)n;
	if (r->frag_left == 0) {
		r->in_frag = false;
		if (r->last)
			return 1;
	}
	return 0;
}

int rpc_rec_feed(struct rpc_rec *r, const uint8_t *p, size_t n, size_t *used)
{
	size_t off = 0;
	*used = 0;
	while (off < n || (r->in_frag && r->frag_left == 0)) {
		if (!r->in_frag) {
			while (r->hdr_got < 4 && off < n)
				r->hdr[r->hdr_got++] = p[off++];
			if (r->hdr_got < 4)
				break;
			uint32_t h = ((uint32_t)r->hdr[0] << 24) | ((uint32_t)r->hdr[1] << 16) |
				     ((uint32_t)r->hdr[2] << 8) | r->hdr[3];
			r->last = (h & 0x80000000u) != 0;
			r->frag_left = h & 0x7fffffffu;
			r->hdr_got = 0;
			r->in_frag = true;
			/* The cap covers the whole record, all fragments. */
			if (r->frag_left > r->max - r->len) {
				*used = off;
				return -EMSGSIZE;
			}
		}
		size_t k = n - off < r->frag_left ? n - off : r->frag_left;
		if (k) {
			int e = rec_reserve(r, r->len + k);
			if (e < 0) {
				*used = off;
				return e;
			}
			memcpy(r->buf + r->len, p + off, k);
			r->len += k;
			off += k;
			r->frag_left -= (uint32_t)k;
		}
		if (r->frag_left == 0) {
			r->in_frag = false;
			if (r->last) {
				*used = off;
				return 1;
			}
		}
	}
	*used = off;
	return 0;
}
