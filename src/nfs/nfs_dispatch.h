/* nfs_dispatch.h - one RPC call record in, one reply (or a job for a
 * worker) out: the program/version/procedure table of the server (NFS v3,
 * MOUNT v1-3, portmapper v2, PROG_UNAVAIL for the rest), the per-call
 * access check, each NFS call's arguments decoded once into its job, and
 * the inline fast path. No sockets and no threads of its own: replies,
 * worker hand-off and connection authorisation go out through
 * nfs_dispatch_io, so unit tests drive it with a fake.
 *
 * Owns: the RPC program table and dispatch. Must not touch: sockets and threads.
 */
#ifndef PINETBOOT_NFS_NFS_DISPATCH_H
#define PINETBOOT_NFS_NFS_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "nfs/mount3.h"
#include "nfs/nfs_job.h"
#include "nfs/portmap.h"

struct nfs_exports;
struct fh_cache;
struct dir_cache;
struct nfs_stats;

struct nfs_dispatch_io {
	/* Send a reply: buf holds 4 bytes reserved for the record mark, then
	 * len - 4 bytes of RPC reply. Takes ownership of buf. */
	void (*reply)(void *ctx, const struct nfs_origin *o, uint8_t *buf, size_t len);
	/* Run j on a worker; nfs_dispatch_run, then nfs_dispatch_done on
	 * the loop. Takes ownership of j. */
	void (*submit)(void *ctx, struct nfs_job *j);
	/* The call passed the access rule (or was an allowed MNT): its
	 * connection leaves the unchecked pool. */
	void (*authorise)(void *ctx, const struct nfs_origin *o);
	void *ctx;
};

struct nfs_dispatch {
	struct nfs_exports *x;
	struct mount3_table mounts;
	struct portmap_ports ports;
	struct fh_cache *cache;        /* may be NULL */
	struct dir_cache *dirs;        /* READDIRPLUS listings (init); may be NULL */
	uint8_t verf[8];               /* WRITE/COMMIT verifier */
	struct nfs_stats *stats;       /* calls, garbage */
	struct nfs_dispatch_io io;
	struct nfs_job *spare;         /* one job kept for the next call */
};

/* Set up; the caller fills x, ports, cache, verf, stats and io. */
void nfs_dispatch_init(struct nfs_dispatch *d);
void nfs_dispatch_fini(struct nfs_dispatch *d);

/* Loop thread: handle one call record from o (takes ownership of msg). */
void nfs_dispatch_call(struct nfs_dispatch *d, const struct nfs_origin *o, uint64_t now, uint8_t *msg,
		       size_t len);
/* Worker thread: execute j's procedure and build j->reply. */
void nfs_dispatch_run(struct nfs_dispatch *d, struct nfs_job *j);
/* Loop thread, after the worker: report an init read and send the reply
 * (if one was built). The job stays the caller's: give it back with
 * nfs_dispatch_job_put. */
void nfs_dispatch_done(struct nfs_dispatch *d, struct nfs_job *j);
/* Free j's buffers and keep or free j. */
void nfs_dispatch_job_put(struct nfs_dispatch *d, struct nfs_job *j);

#endif
