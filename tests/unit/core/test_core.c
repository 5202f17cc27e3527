/* test_core.c - the shared core: bounded readers/writers, the event loop's
 * timer heap, log escaping, strict number/CIDR parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/ev.h"
#include "core/log.h"
#include "core/net.h"

static void t_rd(void **state)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5, 6, 7 };
	(void)state;
	struct rd r = rd_init(b, sizeof(b));
	assert_int_equal(rd_u8(&r), 1);
	assert_int_equal(rd_be16(&r), 0x0203);
	assert_int_equal(rd_be32(&r), 0x04050607);
	assert_false(r.err);
	assert_int_equal(rd_u8(&r), 0); /* past the end: zero and sticky error */
	assert_true(r.err);
	assert_int_equal(rd_left(&r), 0);
	r = rd_init(b, 3);
	assert_int_equal(rd_be32(&r), 0);
	assert_true(r.err);
	assert_null(rd_ptr(&r, 1));
}

static void t_wr(void **state)
{
	uint8_t b[6];
	(void)state;
	struct wr w = wr_init(b, sizeof(b));
	wr_be16(&w, 0x0102);
	wr_be32(&w, 0x03040506);
	assert_false(w.err);
	assert_int_equal(w.off, 6);
	wr_u8(&w, 9);
	assert_true(w.err);
	assert_int_equal(w.off, 6);
	static const uint8_t want[] = { 1, 2, 3, 4, 5, 6 };
	assert_memory_equal(b, want, 6);
}

static int order[8], norder;

static void tcb(struct ev_loop *loop, void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
	if (norder == 3)
		ev_loop_stop(loop);
}

static void t_timers(void **state)
{
	(void)state;
	struct ev_loop *l = ev_loop_new();
	assert_non_null(l);
	norder = 0;
	ev_timer_add(l, 30, tcb, (void *)3);
	struct ev_timer *c = ev_timer_add(l, 5, tcb, (void *)99);
	ev_timer_add(l, 10, tcb, (void *)1);
	ev_timer_add(l, 10, tcb, (void *)2); /* same deadline: FIFO */
	ev_timer_cancel(l, c);
	assert_int_equal(ev_loop_run(l), 0);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	ev_loop_free(l);
}

/* 200 timers with many equal deadlines, every third cancelled (from the
 * middle of the heap), the rest run: they must pop in (deadline, order
 * added) order, each exactly once, and none of the cancelled ones. */
#define HEAP_N 200
static int heap_seen[HEAP_N], heap_nseen, heap_want;

static void heap_cb(struct ev_loop *loop, void *arg)
{
	if (heap_nseen < HEAP_N)
		heap_seen[heap_nseen] = (int)(intptr_t)arg;
	if (++heap_nseen == heap_want)
		ev_loop_stop(loop);
}

static unsigned heap_due(int i)
{
	return (unsigned)(i * 7919) % 40u; /* 0..39 ms: five timers per deadline */
}

static void t_heap_many(void **state)
{
	(void)state;
	struct ev_loop *l = ev_loop_new();
	struct ev_timer *t[HEAP_N];
	assert_non_null(l);
	heap_nseen = 0;
	heap_want = 0;
	for (int i = 0; i < HEAP_N; i++) {
		t[i] = ev_timer_add(l, heap_due(i), heap_cb, (void *)(intptr_t)i);
		assert_non_null(t[i]);
	}
	for (int i = 0; i < HEAP_N; i += 3)
		ev_timer_cancel(l, t[i]);
	for (int i = 0; i < HEAP_N; i++)
		heap_want += i % 3 != 0;
	assert_int_equal(ev_loop_run(l), 0);
	assert_int_equal(heap_nseen, heap_want);
	/* The expected sequence: survivors sorted by deadline, then by the
	 * order they were added (FIFO among equal deadlines). */
	int k = 0;
	for (unsigned due = 0; due < 40; due++)
		for (int i = 0; i < HEAP_N; i++)
			if (i % 3 != 0 && heap_due(i) == due) {
				assert_int_equal(heap_seen[k], i);
				k++;
			}
	assert_int_equal(k, heap_want);
	ev_loop_free(l);
}

static void t_escape(void **state)
{
	char out[32];
	(void)state;
	log_escape(out, sizeof(out), "a\nb\x1b[31m", 8);
	assert_string_equal(out, "a\\x0ab\\x1b[31m");
	log_escape(out, 8, "abcdefghijkl", 12);
	assert_true(strlen(out) < 8);
	assert_non_null(strstr(out, "..."));
}

static void t_parse_uint(void **state)
{
	uint64_t v;
	(void)state;
	assert_int_equal(parse_uint("1468", 65535, &v), 0);
	assert_int_equal(v, 1468);
	assert_int_equal(parse_uint("65536", 65535, &v), -ERANGE);
	assert_int_equal(parse_uint("", 10, &v), -EINVAL);
	assert_int_equal(parse_uint("-1", 10, &v), -EINVAL);
	assert_int_equal(parse_uint(" 1", 10, &v), -EINVAL);
	assert_int_equal(parse_uint("18446744073709551616", UINT64_MAX, &v), -ERANGE);
}

static void t_cidr(void **state)
{
	uint32_t a, m;
	char s[16];
	(void)state;
	assert_int_equal(net_parse_cidr("10.1.2.3/24", &a, &m), 0);
	assert_string_equal(net_ntoa(a, s), "10.1.2.0");
	assert_string_equal(net_ntoa(m, s), "255.255.255.0");
	assert_int_equal(net_parse_cidr("10.1.2.3", &a, &m), 0);
	assert_string_equal(net_ntoa(m, s), "255.255.255.255");
	assert_int_equal(net_parse_cidr("10.1.2.3/33", &a, &m), -EINVAL);
	assert_int_equal(net_parse_cidr("10.1.2/8", &a, &m), -EINVAL);
	assert_true(net_name_in_list("eth0, eth1", "eth1"));
	assert_false(net_name_in_list("eth0,eth1", "eth"));
	assert_true(net_name_in_list("", "anything"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_rd),     cmocka_unit_test(t_wr),     cmocka_unit_test(t_timers),
		cmocka_unit_test(t_heap_many), cmocka_unit_test(t_escape), cmocka_unit_test(t_parse_uint),
		cmocka_unit_test(t_cidr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
