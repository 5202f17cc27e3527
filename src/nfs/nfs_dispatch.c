/* nfs_dispatch.c - from a call record to a reply: RPC header (RFC 5531),
 * program table, the access re-check of an NFS call's handle, arguments
 * decoded once into the call's job, the inline fast path on the loop, and
 * the synchronous answers (MOUNT, portmapper, NULL, mismatches). Must not
 * touch sockets, connections or threads: everything leaves through
 * d->io. */
#include "nfs/nfs_dispatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/dir_cache.h"
#include "nfs/nfs3.h"
#include "nfs/nfs_exports.h"
#include "nfs/xdr.h"

#define SYNC_REPLY_MAX 65536
/* Room for the record mark, the accepted-reply header and slack. */
#define REPLY_HEAD (4 + RPC_REPLY_HDR + 64)

/* Listings kept for READDIRPLUS (dir_cache.h): 8 MB in all, each used for
 * at most 3 s (the NFS client's own shortest attribute cache time). */
#define DIR_CACHE_BYTES (8u << 20)
#define DIR_CACHE_TTL_MS 3000

void nfs_dispatch_init(struct nfs_dispatch *d)
{
	memset(&d->mounts, 0, sizeof(d->mounts));
	d->spare = NULL;
	d->dirs = dir_cache_new(DIR_CACHE_BYTES, DIR_CACHE_TTL_MS);
}

void nfs_dispatch_fini(struct nfs_dispatch *d)
{
	free(d->spare);
	d->spare = NULL;
	dir_cache_free(d->dirs);
	d->dirs = NULL;
}

/* ------------------------------------------------------------ jobs */

static struct nfs_job *job_get(struct nfs_dispatch *d)
{
	struct nfs_job *j = d->spare;
	d->spare = NULL;
	if (!j)
		j = malloc(sizeof(*j));
	if (j) {
		/* Everything but the arguments, which nfs3_decode clears. */
		memset(j, 0, offsetof(struct nfs_job, args));
		j->o.udp_fd = -1;
	}
	return j;
}

void nfs_dispatch_job_put(struct nfs_dispatch *d, struct nfs_job *j)
{
	if (!j)
		return;
	free(j->msg);
	free(j->reply);
	j->msg = j->reply = NULL;
	if (!d->spare)
		d->spare = j;
	else
		free(j);
}

/* ------------------------------------------------------------ replies */

/* Words of zeros after the status in a failure reply of each procedure
 * (post_op_attr = 1, wcc_data = 2; RFC 1813 §3.3: every resfail arm), so
 * the loop can refuse a call in the right shape without running it. */
static const uint8_t fail_words[NFS3_PROC_MAX] = {
	[NFS3_GETATTR] = 0, [NFS3_SETATTR] = 2, [NFS3_LOOKUP] = 1, [NFS3_ACCESS] = 1,
	[NFS3_READLINK] = 1, [NFS3_READ] = 1, [NFS3_WRITE] = 2, [NFS3_CREATE] = 2,
	[NFS3_MKDIR] = 2, [NFS3_SYMLINK] = 2, [NFS3_MKNOD] = 2, [NFS3_REMOVE] = 2,
	[NFS3_RMDIR] = 2, [NFS3_RENAME] = 4, [NFS3_LINK] = 3, [NFS3_READDIR] = 1,
	[NFS3_READDIRPLUS] = 1, [NFS3_FSSTAT] = 1, [NFS3_FSINFO] = 1, [NFS3_PATHCONF] = 1,
	[NFS3_COMMIT] = 2,
};

/* A short reply (an NFS refusal, GARBAGE_ARGS): stat is the nfsstat3 after
 * SUCCESS, or with accept != SUCCESS nothing follows the header. */
static void reply_short(struct nfs_dispatch *d, const struct nfs_origin *o, const struct rpc_call *call,
			uint32_t accept, uint32_t stat)
{
	size_t cap = REPLY_HEAD + 4 * 5;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return;
	struct wr w = wr_init(buf + 4, cap - 4);
	rpc_put_accepted(&w, call->xid, accept);
	if (accept == RPC_SUCCESS) {
		xdr_put_u32(&w, stat);
		for (unsigned i = 0; i < fail_words[call->proc]; i++)
			xdr_put_u32(&w, 0);
	}
	d->io.reply(d->io.ctx, o, buf, w.off + 4);
}

/* ------------------------------------------------------------ NFS calls */

/* Procedures the loop may answer itself when everything they need is in
 * memory (a cached handle, a cached dentry): the common GETATTR/LOOKUP of
 * a booting Pi then costs no thread hand-off at all. */
static const bool inline_procs[NFS3_PROC_MAX] = {
	[NFS3_GETATTR] = true, [NFS3_ACCESS] = true, [NFS3_LOOKUP] = true,
	[NFS3_FSINFO] = true,  [NFS3_PATHCONF] = true, [NFS3_READ] = true,
	[NFS3_READDIRPLUS] = true, /* from a cached listing (dir_cache.h) */
	[NFS3_FSSTAT] = true,      /* statfs: the file system's counters */
	[NFS3_READLINK] = true,    /* fast symlinks only (nfs3_io.c) */
};

/* Run j on the loop without blocking; false when it would have to wait
 * for the disk (then a worker runs it, from the same decoded args). */
static bool try_inline(struct nfs_dispatch *d, struct nfs_job *j)
{
	bool udp = j->o.conn == NULL;
	size_t cap = REPLY_HEAD + nfs3_reply_cap(j->call.proc, &j->args, udp);
	uint8_t *buf = malloc(cap);
	if (!buf)
		return false;
	struct wr w = wr_init(buf + 4, cap - 4);
	struct nfs3_ctx x = {
		.ex = j->ex, .cache = d->cache, .dirs = d->dirs, .key = d->x->key, .write_verf = d->verf,
		.cred = j->call.cred, .udp = udp, .nonblock = true,
	};
	rpc_put_accepted(&w, j->call.xid, RPC_SUCCESS);
	if (nfs3_exec(&x, j->call.proc, &j->args, &w) < 0 || x.would_block) {
		free(buf);
		return false;
	}
	if (x.init_read)
		nfs_exports_init_read(d->x, j->ex, j->o.peer.sin_addr.s_addr, x.init_read);
	d->io.reply(d->io.ctx, &j->o, buf, w.off + 4);
	return true;
}

/* An NFS v3 call of a procedure other than NULL. Its arguments are decoded
 * here, once; the access check reads the decoded first handle (every
 * procedure but NULL starts with one, RFC 1813 §3.3), and the inline run
 * and the worker use the same struct. */
static void nfs_call(struct nfs_dispatch *d, const struct nfs_origin *o, uint64_t now,
		     const struct rpc_call *call, uint8_t *msg)
{
	struct nfs_job *j = job_get(d);
	if (!j) {
		free(msg);
		return;
	}
	j->o = *o;
	j->call = *call;
	j->msg = msg;
	bool decoded = nfs3_decode(call->proc, call->args, call->args_len, &j->args) == 0;
	/* A handle that did not decode has length 0: no export, checked by
	 * nobody; the call is then GARBAGE_ARGS anyway. */
	uint32_t st = nfs_exports_call(d->x, o->ac, j->args.fh.data, j->args.fh.len, call->proc,
				       o->peer.sin_addr.s_addr, now, &j->ex);
	if (st != NFS3_OK) {
		reply_short(d, o, call, RPC_SUCCESS, st);
	} else {
		if (j->ex)
			d->io.authorise(d->io.ctx, o);
		if (!decoded) {
			reply_short(d, o, call, RPC_GARBAGE_ARGS, 0);
		} else if (!j->ex || !inline_procs[call->proc] || !try_inline(d, j)) {
			d->io.submit(d->io.ctx, j);
			return;
		}
	}
	nfs_dispatch_job_put(d, j);
}

void nfs_dispatch_run(struct nfs_dispatch *d, struct nfs_job *j)
{
	bool udp = j->o.conn == NULL;
	size_t cap = REPLY_HEAD + nfs3_reply_cap(j->call.proc, &j->args, udp);
	j->reply = malloc(cap);
	if (j->reply) {
		struct wr w = wr_init(j->reply + 4, cap - 4);
		struct nfs3_ctx c = {
			.ex = j->ex, .cache = d->cache, .dirs = d->dirs, .key = d->x->key,
			.write_verf = d->verf, .cred = j->call.cred, .udp = udp,
		};
		rpc_put_accepted(&w, j->call.xid, RPC_SUCCESS);
		if (nfs3_exec(&c, j->call.proc, &j->args, &w) < 0) {
			w = wr_init(j->reply + 4, cap - 4);
			rpc_put_accepted(&w, j->call.xid, RPC_SYSTEM_ERR);
		}
		j->init_read = c.init_read;
		j->reply_len = w.off;
	}
	/* The call (and a WRITE's megabyte, which args.data borrowed) is no
	 * longer needed. */
	free(j->msg);
	j->msg = NULL;
}

void nfs_dispatch_done(struct nfs_dispatch *d, struct nfs_job *j)
{
	if (j->init_read && j->ex)
		nfs_exports_init_read(d->x, j->ex, j->o.peer.sin_addr.s_addr, j->init_read);
	if (j->reply) {
		d->io.reply(d->io.ctx, &j->o, j->reply, j->reply_len + 4);
		j->reply = NULL;
	}
}

/* ------------------------------------------------------------ the rest */

/* Everything but NFS procedures 1-21 is answered here, synchronously:
 * r is rpc_parse_call's result for call. */
static void sync_call(struct nfs_dispatch *d, const struct nfs_origin *o, uint64_t now, int r,
		      const struct rpc_call *call)
{
	uint8_t *out = malloc(SYNC_REPLY_MAX);
	if (!out)
		return;
	struct wr w = wr_init(out + 4, SYNC_REPLY_MAX - 4);
	if (r == -EPROTO) {
		rpc_put_rpc_mismatch(&w, call->xid);
	} else if (r == -EACCES) {
		rpc_put_auth_error(&w, call->xid, AUTH_BADCRED);
	} else if (call->prog == NFS_PROGRAM) {
		if (call->vers != NFS_V3)
			rpc_put_prog_mismatch(&w, call->xid, NFS_V3, NFS_V3);
		else if (call->proc == NFS3_NULL)
			rpc_put_accepted(&w, call->xid, RPC_SUCCESS);
		else
			rpc_put_accepted(&w, call->xid, RPC_PROC_UNAVAIL);
	} else if (call->prog == MOUNT_PROGRAM) {
		struct mount3_env env = { .x = d->x, .mounts = &d->mounts, .now = now };
		if (mount3_handle(&env, call, o->peer.sin_addr.s_addr, &w))
			d->io.authorise(d->io.ctx, o);
	} else if (call->prog == PMAP_PROGRAM) {
		portmap_handle(&d->ports, call, &w);
	} else {
		/* NFSACL (100227) is pinged by the kernel during mount and
		 * must hear PROG_UNAVAIL, not silence; so must anything else. */
		rpc_put_accepted(&w, call->xid, RPC_PROG_UNAVAIL);
	}
	if (w.err) {
		w = wr_init(out + 4, SYNC_REPLY_MAX - 4);
		rpc_put_accepted(&w, call->xid, RPC_SYSTEM_ERR);
	}
	uint8_t *shrunk = realloc(out, w.off + 4);
	d->io.reply(d->io.ctx, o, shrunk ? shrunk : out, w.off + 4);
}

void nfs_dispatch_call(struct nfs_dispatch *d, const struct nfs_origin *o, uint64_t now, uint8_t *msg,
		       size_t len)
{
	struct rpc_call call;
	int r = rpc_parse_call(msg, len, &call);
	if (r == -EBADMSG) {
		/* Not even a call header (RFC 5531 §9: xid, CALL, rpcvers,
		 * prog, vers, proc, cred, verf): nothing to answer, dropped. */
		d->stats->garbage++;
		free(msg);
		return;
	}
	d->stats->calls++;
	if (r == 0 && call.prog == NFS_PROGRAM && call.vers == NFS_V3 && call.proc > NFS3_NULL &&
	    call.proc < NFS3_PROC_MAX) {
		nfs_call(d, o, now, &call, msg);
		return;
	}
	sync_call(d, o, now, r, &call);
	free(msg);
}
