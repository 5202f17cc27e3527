/* ev.h - the single-threaded event loop: epoll for file descriptors, a
 * binary min-heap of timers on the monotonic clock, and signals delivered
 * through signalfd so no work ever runs inside a signal handler.
 *
 * Owns: the event loop's interface. Must not touch: protocol code.
 */
#ifndef PINETBOOT_CORE_EV_H
#define PINETBOOT_CORE_EV_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct ev_timer;

enum { EV_READ = 1, EV_WRITE = 2 };

typedef void (*ev_io_cb)(struct ev_loop *loop, int fd, unsigned events, void *arg);
/* A timer callback; the timer is already removed when it runs. */
typedef void (*ev_timer_cb)(struct ev_loop *loop, void *arg);
typedef void (*ev_signal_cb)(struct ev_loop *loop, int signo, void *arg);

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *loop);

/* Milliseconds on CLOCK_MONOTONIC, cached per loop iteration. */
uint64_t ev_now(struct ev_loop *loop);
uint64_t ev_now_update(struct ev_loop *loop);
uint64_t ev_monotonic_ms(void);

int ev_io_add(struct ev_loop *loop, int fd, unsigned events, ev_io_cb cb, void *arg);
int ev_io_mod(struct ev_loop *loop, int fd, unsigned events);
void ev_io_del(struct ev_loop *loop, int fd);

/* One-shot timer due in ms milliseconds. Returns NULL on allocation failure. */
struct ev_timer *ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb cb, void *arg);
/* Cancel a pending timer; NULL is a no-op. Must not be called on a timer
 * whose callback has already started. */
void ev_timer_cancel(struct ev_loop *loop, struct ev_timer *t);

/* Block signo and deliver it through the loop. */
int ev_signal_add(struct ev_loop *loop, int signo, ev_signal_cb cb, void *arg);

/* Run until ev_loop_stop(). Returns 0, or a negative errno if epoll fails. */
int ev_loop_run(struct ev_loop *loop);
void ev_loop_stop(struct ev_loop *loop);

#endif
