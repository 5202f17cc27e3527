/* ev.c - epoll loop with a timer min-heap and signalfd.
 *
 * Timers live in an array-backed binary heap ordered by deadline, each
 * remembering its heap index so cancellation is O(log n). fd callbacks are
 * kept in a table indexed by fd (fds are small integers).
 *
 * Owns: the event loop, timers and signals. Must not touch: protocol code.
 */
#include "core/ev.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

struct ev_timer {
	uint64_t due;
	uint64_t seq; /* FIFO order among timers with the same deadline */
	size_t idx;
	ev_timer_cb cb;
	void *arg;
};

struct io_slot {
	ev_io_cb cb;
	void *arg;
	unsigned events;
	bool used;
};

#define EV_MAX_SIGNALS 8

struct ev_loop {
	int epfd;
	bool stop;
	uint64_t now;
	uint64_t seq;
	struct io_slot *io;
	size_t io_cap;
	struct ev_timer **heap;
	size_t heap_len, heap_cap;
	int sigfd;
	sigset_t sigmask;
	struct {
		int signo;
		ev_signal_cb cb;
		void *arg;
	} sigs[EV_MAX_SIGNALS];
	size_t nsigs;
};

uint64_t ev_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ev_now(struct ev_loop *loop)
{
	return loop->now;
}

uint64_t ev_now_update(struct ev_loop *loop)
{
	loop->now = ev_monotonic_ms();
	return loop->now;
}

struct ev_loop *ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->sigfd = -1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	sigemptyset(&loop->sigmask);
	ev_now_update(loop);
	return loop;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	for (size_t i = 0; i < loop->heap_len; i++)
		free(loop->heap[i]);
	free(loop->heap);
	free(loop->io);
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	close(loop->epfd);
	free(loop);
}

static uint32_t to_epoll(unsigned events)
{
	uint32_t e = 0;
	if (events & EV_READ)
		e |= EPOLLIN;
	if (events & EV_WRITE)
		e |= EPOLLOUT;
	return e;
}

int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg)
{
	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= loop->io_cap) {
		size_t cap = loop->io_cap ? loop->io_cap : 64;
		while (cap <= (size_t)fd)
			cap *= 2;
		struct io_slot *n = realloc(loop->io, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + loop->io_cap, 0, (cap - loop->io_cap) * sizeof(*n));
		loop->io = n;
		loop->io_cap = cap;
	}
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ee) < 0)
		return -errno;
	loop->io[fd] = (struct io_slot){ cb, arg, events, true };
	return 0;
}

int ev_io_mod(struct ev_loop *loop, int fd, unsigned events)
{
	if (fd < 0 || (size_t)fd >= loop->io_cap || !loop->io[fd].used)
		return -EBADF;
	struct epoll_event ee = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ee) < 0)
		return -errno;
	loop->io[fd].events = events;
	return 0;
}

void ev_io_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->io_cap || !loop->io[fd].used)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->io[fd].used = false;
}

static bool timer_before(const struct ev_timer *a, const struct ev_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(struct ev_loop *loop, size_t i, struct ev_timer *t)
{
	loop->heap[i] = t;
	t->idx = i;
}

static void heap_up(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_down(struct ev_loop *loop, size_t i)
{
	struct ev_timer *t = loop->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct ev_timer *best = t;
		if (l < loop->heap_len && timer_before(loop->heap[l], best)) {
			m = l;
			best = loop->heap[l];
		}
		if (r < loop->heap_len && timer_before(loop->heap[r], best))
			m = r;
		if (m == i)
			break;
		heap_set(loop, i, loop->heap[m]);
		i = m;
	}
	heap_set(loop, i, t);
}

struct ev_timer *ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb cb, void *arg)
{
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct ev_timer **n = realloc(loop->heap, cap * sizeof(*n));
		if (!n)
			return NULL;
		loop->heap = n;
		loop->heap_cap = cap;
	}
	struct ev_timer *t = malloc(sizeof(*t));
	if (!t)
		return NULL;
	t->due = loop->now + ms;
	t->seq = loop->seq++;
	t->cb = cb;
	t->arg = arg;
	loop->heap[loop->heap_len++] = t;
	heap_up(loop, loop->heap_len - 1);
	return t;
}

static void heap_remove(struct ev_loop *loop, size_t i)
{
	struct ev_timer *last = loop->heap[--loop->heap_len];
	if (i == loop->heap_len)
		return;
	heap_set(loop, i, last);
	if (i > 0 && timer_before(last, loop->heap[(i - 1) / 2]))
		heap_up(loop, i);
	else
		heap_down(loop, i);
}

void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t)
{
	if (!t)
		return;
	heap_remove(loop, t->idx);
	free(t);
}

static void on_signalfd(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (size_t i = 0; i < loop->nsigs; i++)
			if ((uint32_t)loop->sigs[i].signo == si.ssi_signo)
				loop->sigs[i].cb(loop, (int)si.ssi_signo, loop->sigs[i].arg);
	}
}

int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg)
{
	if (loop->nsigs == EV_MAX_SIGNALS)
		return -ENOSPC;
	sigaddset(&loop->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &loop->sigmask, NULL) < 0)
		return -errno;
	int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		int r = ev_io_add(loop, fd, EV_READ, on_signalfd, NULL);
		if (r < 0)
			return r;
	}
	loop->sigs[loop->nsigs].signo = signo;
	loop->sigs[loop->nsigs].cb = cb;
	loop->sigs[loop->nsigs].arg = arg;
	loop->nsigs++;
	return 0;
}

void ev_loop_stop(struct ev_loop *loop)
{
	loop->stop = true;
}

static void run_timers(struct ev_loop *loop)
{
	while (loop->heap_len && loop->heap[0]->due <= loop->now && !loop->stop) {
		struct ev_timer *t = loop->heap[0];
		heap_remove(loop, 0);
		ev_timer_cb cb = t->cb;
		void *arg = t->arg;
		free(t);
		cb(loop, arg);
	}
}

int ev_loop_run(struct ev_loop *loop)
{
	struct epoll_event evs[64];
	loop->stop = false;
	while (!loop->stop) {
		ev_now_update(loop);
		run_timers(loop);
		if (loop->stop)
			break;
		int timeout = -1;
		if (loop->heap_len) {
			uint64_t due = loop->heap[0]->due;
			timeout = due <= loop->now ? 0 : (int)(due - loop->now > 60000 ? 60000 : due - loop->now);
		}
		int n = epoll_wait(loop->epfd, evs, 64, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ev_now_update(loop);
		for (int i = 0; i < n && !loop->stop; i++) {
			int fd = evs[i].data.fd;
			if ((size_t)fd >= loop->io_cap || !loop->io[fd].used)
				continue;
			unsigned e = 0;
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				e |= EV_READ;
			if (evs[i].events & EPOLLOUT)
				e |= EV_WRITE;
			struct io_slot s = loop->io[fd];
			s.cb(loop, fd, e, s.arg);
		}
	}
	return 0;
}
