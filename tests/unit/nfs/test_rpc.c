/* test_rpc.c - unit tests for ONC RPC parsing (src/nfs/rpc.c) and XDR
 * (src/nfs/xdr.c): valid AUTH_SYS / AUTH_NONE calls, every truncation from
 * exact-size heap copies, bogus credential lengths, wrong versions, reply
 * header layout, and TCP record marking (fragments, byte-at-a-time input,
 * zero-length fragments, huge fragment lengths refused without allocating). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nfs/rpc.h"
#include "nfs/xdr.h"

static size_t put(uint8_t *p, size_t o, uint32_t v)
{
	p[o] = (uint8_t)(v >> 24);
	p[o + 1] = (uint8_t)(v >> 16);
	p[o + 2] = (uint8_t)(v >> 8);
	p[o + 3] = (uint8_t)v;
	return o + 4;
}

/* A GETATTR-shaped call with AUTH_SYS uid 1000 gid 100 gids {4, 27}. */
static size_t make_call(uint8_t *p, uint32_t rpcvers, uint32_t mlen, uint32_t ngids)
{
	size_t o = 0;
	o = put(p, o, 0x11223344);
	o = put(p, o, RPC_CALL);
	o = put(p, o, rpcvers);
	o = put(p, o, 100003);
	o = put(p, o, 3);
	o = put(p, o, 1);
	o = put(p, o, AUTH_SYS);
	size_t lenpos = o;
	o += 4;
	size_t body = o;
	o = put(p, o, 12345);          /* stamp */
	o = put(p, o, mlen);           /* machinename */
	memset(p + o, 'm', (mlen + 3) & ~3u);
	o += (mlen + 3) & ~3u;
	o = put(p, o, 1000);
	o = put(p, o, 100);
	o = put(p, o, ngids);
	for (uint32_t i = 0; i < ngids; i++)
		o = put(p, o, 4 + i);
	put(p, lenpos, (uint32_t)(o - body));
	o = put(p, o, AUTH_NONE);
	o = put(p, o, 0);
	o = put(p, o, 4);              /* args: a 4-byte handle length */
	return o;
}

static int parse_exact(const uint8_t *p, size_t len, struct rpc_call *c)
{
	uint8_t *q = malloc(len ? len : 1);
	assert_non_null(q);
	memcpy(q, p, len);
	int r = rpc_parse_call(q, len, c);
	free(q);
	return r;
}

static void test_call_auth_sys(void **state)
{
	uint8_t p[2048];
	struct rpc_call c;
	size_t n = make_call(p, 2, 5, 2);
	assert_int_equal(parse_exact(p, n, &c), 0);
	assert_int_equal(c.xid, 0x11223344);
	assert_int_equal(c.prog, 100003);
	assert_int_equal(c.vers, 3);
	assert_int_equal(c.proc, 1);
	assert_int_equal(c.cred.flavor, AUTH_SYS);
	assert_int_equal(c.cred.uid, 1000);
	assert_int_equal(c.cred.gid, 100);
	assert_int_equal(c.cred.ngids, 2);
	assert_int_equal(c.cred.gids[1], 5);
	assert_int_equal(c.args_len, 4);
}

static void test_call_truncated(void **state)
{
	uint8_t p[2048];
	struct rpc_call c;
	size_t n = make_call(p, 2, 7, 3);
	/* Every cut before the arguments fails; within the header it is
	 * -EBADMSG (no xid or no call), in the credential -EACCES. */
	for (size_t cut = 0; cut < n - 4; cut++) {
		int r = parse_exact(p, cut, &c);
		assert_true(r == -EBADMSG || r == -EACCES);
	}
	assert_int_equal(parse_exact(p, n - 4, &c), 0);
	assert_int_equal(c.args_len, 0);
}

static void test_call_bogus_auth(void **state)
{
	uint8_t p[4096];
	struct rpc_call c;
	size_t n = make_call(p, 2, 256, 0);   /* machinename > 255 */
	assert_int_equal(parse_exact(p, n, &c), -EACCES);
	n = make_call(p, 2, 4, 17);           /* gids > 16 */
	assert_int_equal(parse_exact(p, n, &c), -EACCES);
	n = make_call(p, 2, 4, 16);           /* exactly 16 is fine */
	assert_int_equal(parse_exact(p, n, &c), 0);
	n = make_call(p, 2, 4, 1);
	put(p, 28, 401);                      /* credential body > 400 */
	assert_int_equal(parse_exact(p, n, &c), -EACCES);
	n = make_call(p, 2, 4, 1);
	put(p, 28, 0xfffffff0u);              /* absurd length */
	assert_int_equal(parse_exact(p, n, &c), -EACCES);
	n = make_call(p, 2, 4, 1);
	put(p, 28, 24);                       /* body shorter than its fields */
	assert_int_equal(parse_exact(p, n, &c), -EACCES);
	n = make_call(p, 2, 4, 1);
	put(p, 24, 6);                        /* RPCSEC_GSS: not supported */
	assert_int_equal(parse_exact(p, n, &c), -EACCES);
}

static void test_call_versions(void **state)
{
	uint8_t p[2048];
	struct rpc_call c;
	size_t n = make_call(p, 3, 4, 0);
	assert_int_equal(parse_exact(p, n, &c), -EPROTO);
	assert_int_equal(c.xid, 0x11223344);
	n = make_call(p, 2, 4, 0);
	put(p, 4, RPC_REPLY);
	assert_int_equal(parse_exact(p, n, &c), -EBADMSG);
}

static void test_auth_none(void **state)
{
	uint8_t p[64];
	size_t o = 0;
	uint32_t v[] = { 7, 0, 2, 100005, 3, 0, AUTH_NONE, 0, AUTH_NONE, 0 };
	for (size_t i = 0; i < 10; i++)
		o = put(p, o, v[i]);
	struct rpc_call c;
	assert_int_equal(parse_exact(p, o, &c), 0);
	assert_int_equal(c.cred.flavor, AUTH_NONE);
	assert_int_equal(c.cred.uid, RPC_NOBODY);
}

static void test_replies(void **state)
{
	uint8_t b[64];
	struct wr w = wr_init(b, sizeof(b));
	rpc_put_prog_mismatch(&w, 9, 3, 3);
	assert_int_equal(w.off, RPC_REPLY_HDR + 8);
	struct rd r = rd_init(b, w.off);
	uint32_t want[] = { 9, RPC_REPLY, RPC_MSG_ACCEPTED, AUTH_NONE, 0, RPC_PROG_MISMATCH, 3, 3 };
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(xdr_u32(&r), want[i]);
	w = wr_init(b, sizeof(b));
	rpc_put_auth_error(&w, 9, AUTH_BADCRED);
	r = rd_init(b, w.off);
	uint32_t want2[] = { 9, RPC_REPLY, RPC_MSG_DENIED, RPC_AUTH_ERROR, AUTH_BADCRED };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(xdr_u32(&r), want2[i]);
	assert_int_equal(rd_left(&r), 0);
	w = wr_init(b, 10);
	rpc_put_accepted(&w, 1, 0);
	assert_true(w.err);
}

static void test_xdr(void **state)
{
	uint8_t b[32] = { 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0, 0, 0, 0, 2 };
	struct rd r = rd_init(b, 16);
	uint32_t n;
	const uint8_t *p = xdr_opaque(&r, 5, &n);
	assert_non_null(p);
	assert_int_equal(n, 5);
	assert_int_equal(r.off, 12);
	assert_false(xdr_bool(&r));      /* value 0 */
	r = rd_init(b, 16);
	assert_null(xdr_opaque(&r, 4, &n)); /* over the maximum */
	assert_true(r.err);
	r = rd_init(b, 9);               /* padding missing */
	assert_null(xdr_opaque(&r, 5, &n));
	r = rd_init(b + 12, 4);
	xdr_bool(&r);                    /* 2 is not a bool */
	assert_true(r.err);
	struct wr w = wr_init(b, sizeof(b));
	xdr_put_string(&w, "abc");
	assert_int_equal(w.off, 8);
	assert_int_equal(b[7], 0);
}

static void test_rec_fragments(void **state)
{
	/* two fragments "abc" + "defg" (last), then a second record "xy" */
	const uint8_t in[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0x80, 0, 0, 4, 'd', 'e', 'f', 'g',
			       0x80, 0, 0, 2, 'x', 'y' };
	for (size_t step = 1; step <= sizeof(in); step++) {
		struct rpc_rec rec;
		rpc_rec_init(&rec, 100);
		int records = 0;
		for (size_t off = 0; off < sizeof(in);) {
			size_t n = sizeof(in) - off < step ? sizeof(in) - off : step, used;
			int r = rpc_rec_feed(&rec, in + off, n, &used);
			assert_true(r >= 0);
			off += used;
			if (r == 1) {
				size_t len;
				uint8_t *m = rpc_rec_take(&rec, &len);
				if (records == 0) {
					assert_int_equal(len, 7);
					assert_memory_equal(m, "abcdefg", 7);
				} else {
					assert_int_equal(len, 2);
					assert_memory_equal(m, "xy", 2);
				}
				free(m);
				records++;
			}
		}
		assert_int_equal(records, 2);
		rpc_rec_free(&rec);
	}
}

static void test_rec_limits(void **state)
{
	struct rpc_rec rec;
	size_t used;
	/* A fragment header promising 2 GiB is refused at once. */
	const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };
	rpc_rec_init(&rec, 1 << 20);
	assert_int_equal(rpc_rec_feed(&rec, huge, 4, &used), -EMSGSIZE);
	assert_null(rec.buf);
	rpc_rec_free(&rec);
	/* The cap counts all fragments of one record. */
	const uint8_t two[] = { 0, 0, 0, 60, 0 };
	uint8_t big[128] = { 0 };
	memcpy(big, two, 4);
	memcpy(big + 64, two, 4);
	rpc_rec_init(&rec, 100);
	assert_int_equal(rpc_rec_feed(&rec, big, 128, &used), -EMSGSIZE);
	rpc_rec_free(&rec);
	/* Zero-length fragments, and an empty last fragment, are legal. */
	const uint8_t z[] = { 0, 0, 0, 0, 0, 0, 0, 1, 'q', 0x80, 0, 0, 0 };
	rpc_rec_init(&rec, 100);
	assert_int_equal(rpc_rec_feed(&rec, z, sizeof(z), &used), 1);
	assert_int_equal(used, sizeof(z));
	assert_int_equal(rec.len, 1);
	rpc_rec_free(&rec);
}

/* Many one-byte fragments: the buffer grows geometrically (never past the
 * cap) and the record still comes out whole and in order. */
static void test_rec_many_fragments(void **state)
{
	enum { N = 1500 };
	static uint8_t in[N * 5];
	for (size_t i = 0; i < N; i++) {
		uint8_t *f = in + i * 5;
		f[0] = i == N - 1 ? 0x80 : 0;
		f[1] = f[2] = 0;
		f[3] = 1;
		f[4] = (uint8_t)(i * 7);
	}
	struct rpc_rec rec;
	size_t used, len;
	rpc_rec_init(&rec, 4096);
	assert_int_equal(rpc_rec_feed(&rec, in, sizeof(in), &used), 1);
	assert_int_equal(used, sizeof(in));
	assert_true(rec.cap >= N && rec.cap <= 4096);
	uint8_t *m = rpc_rec_take(&rec, &len);
	assert_int_equal(len, N);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(m[i], (uint8_t)(i * 7));
	free(m);
	rpc_rec_free(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_auth_sys),
		cmocka_unit_test(test_call_truncated),
		cmocka_unit_test(test_call_bogus_auth),
		cmocka_unit_test(test_call_versions),
		cmocka_unit_test(test_auth_none),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_xdr),
		cmocka_unit_test(test_rec_fragments),
		cmocka_unit_test(test_rec_limits),
		cmocka_unit_test(test_rec_many_fragments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
