/* nfs_worker.c - the NFS worker threads and their hand-off with the event
 * loop: a FIFO of jobs under one mutex, a done list the loop takes whole
 * when the eventfd fires. Workers never take signals (the loop gets them
 * through signalfd). Must not know what a job does: that is run(). */
#include "nfs/nfs_worker.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "nfs/nfs_job.h"

static void *worker_main(void *arg)
{
	struct nfs_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->q_head && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		struct nfs_job *j = p->q_head;
		p->q_head = j->next;
		if (!p->q_head)
			p->q_tail = NULL;
		pthread_mutex_unlock(&p->mu);
		p->run(p->ctx, j);
		pthread_mutex_lock(&p->mu);
		/* Wake the loop only when the list goes from empty to not
		 * empty: it takes the whole list at once. */
		bool wake = p->done == NULL;
		j->next = p->done;
		p->done = j;
		uint64_t one = 1;
		if (wake && write(p->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; nothing to do */
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

void nfs_pool_submit(struct nfs_pool *p, struct nfs_job *j)
{
	pthread_mutex_lock(&p->mu);
	j->next = NULL;
	if (p->q_tail)
		p->q_tail->next = j;
	else
		p->q_head = j;
	p->q_tail = j;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void on_done(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_pool *p = arg;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("nfs", "eventfd: %s", strerror(errno));
	pthread_mutex_lock(&p->mu);
	struct nfs_job *list = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mu);
	while (list) {
		struct nfs_job *j = list;
		list = j->next;
		p->deliver(p->ctx, j);
	}
}

int nfs_pool_start(struct nfs_pool *p, struct ev_loop *loop, unsigned n,
		   void (*run)(void *ctx, struct nfs_job *j), void (*deliver)(void *ctx, struct nfs_job *j),
		   void *ctx)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->run = run;
	p->deliver = deliver;
	p->ctx = ctx;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->inited = true;
	if (p->efd < 0 || ev_io_add(loop, p->efd, EV_READ, on_done, p) < 0)
		return -EIO;
	/* Workers never take signals: the loop gets them through signalfd. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	p->thr = calloc(n ? n : 1, sizeof(*p->thr));
	for (unsigned i = 0; p->thr && i < (n ? n : 1); i++) {
		if (pthread_create(&p->thr[i], NULL, worker_main, p) != 0)
			break;
		p->nthr++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (p->nthr == 0) {
		log_error("nfs", "cannot start worker threads");
		return -EAGAIN;
	}
	return 0;
}

void nfs_pool_stop(struct nfs_pool *p, void (*drop)(void *ctx, struct nfs_job *j))
{
	if (!p->inited)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->nthr; i++)
		pthread_join(p->thr[i], NULL);
	free(p->thr);
	p->thr = NULL;
	p->nthr = 0;
	/* Jobs never run or never delivered. */
	struct nfs_job *lists[2] = { p->q_head, p->done };
	p->q_head = p->q_tail = p->done = NULL;
	for (int k = 0; k < 2; k++) {
		while (lists[k]) {
			struct nfs_job *j = lists[k];
			lists[k] = j->next;
			drop(p->ctx, j);
		}
	}
	if (p->efd >= 0) {
		ev_io_del(p->loop, p->efd);
		close(p->efd);
	}
	p->efd = -1;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	p->inited = false;
}
