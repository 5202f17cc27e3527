/* nfs_client.h - what the libnfs benchmark clients share (nfs_bench.c,
 * nfs_storm.c): file handles, the clock, and the callbacks of the
 * synchronous setup calls (connect, MNT, LOOKUP). Static inline, so each
 * client includes it once; define BENCH_NAME (its name for messages)
 * before including it.
 *
 * Owns: nothing the server sees. Must not touch: how each client drives
 * its calls. */
#ifndef PINETBOOT_BENCH_NFS_CLIENT_H
#define PINETBOOT_BENCH_NFS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

#ifndef BENCH_NAME
#error "define BENCH_NAME before including nfs_client.h"
#endif

struct fh {
	uint32_t len;
	char data[64];
};

static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void fh_set(struct fh *d, const nfs_fh3 *s)
{
	if (s->data.data_len > sizeof(d->data)) {
		fprintf(stderr, BENCH_NAME ": file handle of %u bytes (more than 64)\n", s->data.data_len);
		exit(1);
	}
	d->len = s->data.data_len;
	memcpy(d->data, s->data.data_val, d->len);
}

static inline nfs_fh3 fh3(struct fh *f)
{
	nfs_fh3 r;
	r.data.data_len = f->len;
	r.data.data_val = f->data;
	return r;
}

/* The result of one synchronous setup call. */
struct sync_res {
	bool done;
	int status;
	int nfsstat;
	struct fh fh;
	uint64_t size; /* LOOKUP: the object's size when attributes follow */
};

static inline void connect_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct sync_res *r = priv;
	(void)rpc;
	r->status = status;
	r->done = true;
	if (status != RPC_STATUS_SUCCESS)
		fprintf(stderr, BENCH_NAME ": connect: %s\n", data ? (const char *)data : "?");
}

static inline void mnt_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct sync_res *r = priv;
	(void)rpc;
	r->status = status;
	r->done = true;
	if (status == RPC_STATUS_SUCCESS) {
		mountres3 *res = data;
		r->nfsstat = res->fhs_status;
		if (res->fhs_status == MNT3_OK) {
			nfs_fh3 f;
			f.data.data_len = res->mountres3_u.mountinfo.fhandle.fhandle3_len;
			f.data.data_val = res->mountres3_u.mountinfo.fhandle.fhandle3_val;
			fh_set(&r->fh, &f);
		}
	}
}

static inline void lookup_sync_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct sync_res *r = priv;
	(void)rpc;
	r->status = status;
	r->done = true;
	if (status == RPC_STATUS_SUCCESS) {
		LOOKUP3res *res = data;
		r->nfsstat = res->status;
		if (res->status == NFS3_OK) {
			fh_set(&r->fh, &res->LOOKUP3res_u.resok.object);
			if (res->LOOKUP3res_u.resok.obj_attributes.attributes_follow)
				r->size = res->LOOKUP3res_u.resok.obj_attributes.post_op_attr_u.attributes.size;
		}
	}
}

#endif
