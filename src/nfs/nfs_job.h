/* nfs_job.h - one NFS call in flight: where it came from (the origin the
 * reply goes back to), its RPC header, its arguments decoded once (the
 * inline path on the loop and the worker thread read the same struct), the
 * export the access check resolved, and the reply once built. Plain data:
 * made and freed by nfs_dispatch.c, queued by nfs_worker.c, answered by the
 * transport. Must not grow behaviour of its own. */
#ifndef PINETBOOT_NFS_NFS_JOB_H
#define PINETBOOT_NFS_NFS_JOB_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "nfs/nfs3.h"
#include "nfs/rpc.h"

struct nfs_conn;
struct nfs_access_cache;

/* Who sent a call and where its reply goes. conn is NULL for UDP (then
 * udp_fd, peer and pi say how to answer); ac is the connection's access
 * cache (NULL for UDP). The dispatch layer never looks inside conn. */
struct nfs_origin {
	struct nfs_conn *conn;
	int udp_fd;
	struct sockaddr_in peer;
	struct net_pkt_info pi;
	struct nfs_access_cache *ac;
};

struct nfs_job {
	struct nfs_job *next;     /* worker queue / done list */
	struct nfs_origin o;
	struct rpc_call call;     /* args point into msg */
	uint8_t *msg;             /* the whole call record, owned */
	const struct nfs_export *ex;
	uint8_t *reply;           /* 4 bytes of record mark, then the reply */
	size_t reply_len;         /* bytes after the record mark */
	int init_read;            /* nfs3_ctx.init_read of the run */
	struct nfs3_args args;    /* decoded once; data borrows from msg */
};

#endif
