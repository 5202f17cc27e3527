/* nfs_worker.h - the worker pool: threads that run NFS jobs whose file
 * I/O may block, so the event loop never waits for a disk. Jobs go in
 * with nfs_pool_submit; finished ones come back to the loop thread through
 * an eventfd, all at once, in completion order. The pool knows only the
 * job's queue link: what a job does (run) and what happens to it after
 * (deliver) are the caller's callbacks.
 *
 * Owns: the worker threads and their queue. Must not touch: RPC decoding and sockets.
 */
#ifndef PINETBOOT_NFS_NFS_WORKER_H
#define PINETBOOT_NFS_NFS_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/ev.h"

struct nfs_job;

struct nfs_pool {
	struct ev_loop *loop;
	int efd;
	pthread_t *thr;
	size_t nthr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct nfs_job *q_head, *q_tail;  /* waiting for a thread */
	struct nfs_job *done;             /* finished, for the loop */
	bool stop;
	bool inited;                      /* mu, cv and efd exist */
	/* run: on a worker thread; deliver: on the loop thread, once per
	 * finished job (the job is the callee's from then on). */
	void (*run)(void *ctx, struct nfs_job *j);
	void (*deliver)(void *ctx, struct nfs_job *j);
	void *ctx;
};

/* Start n (>= 1) threads and watch the eventfd on loop. 0 or -errno
 * (logged); on failure nfs_pool_stop still must be called. */
int nfs_pool_start(struct nfs_pool *p, struct ev_loop *loop, unsigned n,
		   void (*run)(void *ctx, struct nfs_job *j), void (*deliver)(void *ctx, struct nfs_job *j),
		   void *ctx);
void nfs_pool_submit(struct nfs_pool *p, struct nfs_job *j);
/* Join the threads; jobs never run or never delivered are handed to
 * drop (loop thread), one by one. Safe on a pool that never started. */
void nfs_pool_stop(struct nfs_pool *p, void (*drop)(void *ctx, struct nfs_job *j));

#endif
