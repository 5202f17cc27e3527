/* test_dir_cache.c - unit tests for the READDIRPLUS listing cache
 * (dir_cache.c) and for READDIRPLUS answered from it (nfs3_dir.c): cookies
 * and budgets as an uncached listing has them, every part of the key
 * invalidates, the time to live, the byte bound, and through the procedure:
 * a change made through the server or in the directory is never hidden,
 * users other than root never get root's listing, and the loop never reads
 * a directory; READLINK and FSSTAT on the loop only when they cannot wait
 * for a disk. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "nfs/dir_cache.h"
#include "nfs/fh_cache.h"
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

/* An encoded entry of len bytes (>= 8) whose bytes are all tag. */
static void add(struct dir_snap *s, uint8_t tag, size_t len, size_t esz, uint64_t cookie)
{
	uint8_t b[256];
	memset(b, tag, len);
	assert_int_equal(dir_snap_add(s, b, len, esz, cookie), 0);
}

/* Serve into a fresh buffer: the tags of the entries that went in. */
static int serve(struct dir_snap *s, uint64_t cookie, size_t limit, size_t dircount, char *tags, bool *eof)
{
	uint8_t out[4096];
	struct wr w = wr_init(out, sizeof(out));
	size_t n;
	int r = dir_snap_serve(s, cookie, &w, limit, dircount, &n, eof);
	size_t t = 0;
	for (size_t off = 0; off < w.off;) {
		tags[t++] = (char)out[off];
		size_t len = out[off] == 'a' ? 40 : 20;
		off += len;
	}
	tags[t] = '\0';
	assert_int_equal(t, n);
	return r;
}

static void test_snap_cookies_and_budget(void **state)
{
	struct dir_snap *s = dir_snap_new();
	/* "a" entries are 40 bytes, the others 20; dircount bytes 10 each */
	add(s, 'a', 40, 10, 100);
	add(s, 'b', 20, 10, 200);
	add(s, 'c', 20, 10, 300);
	add(s, 'd', 20, 10, 400);
	char t[16];
	bool eof;
	assert_int_equal(serve(s, 0, 4096, 4096, t, &eof), 0);
	assert_string_equal(t, "abcd");
	assert_true(eof);
	/* reply budget: 60 bytes hold a and b */
	assert_int_equal(serve(s, 0, 60, 4096, t, &eof), 0);
	assert_string_equal(t, "ab");
	assert_false(eof);
	/* continue after b's cookie (the hint), then after a's (a search) */
	assert_int_equal(serve(s, 200, 4096, 4096, t, &eof), 0);
	assert_string_equal(t, "cd");
	assert_true(eof);
	assert_int_equal(serve(s, 100, 4096, 4096, t, &eof), 0);
	assert_string_equal(t, "bcd");
	/* dircount: 25 bytes hold two entries' 10; the first always goes in */
	assert_int_equal(serve(s, 0, 4096, 25, t, &eof), 0);
	assert_string_equal(t, "ab");
	assert_int_equal(serve(s, 0, 4096, 1, t, &eof), 0);
	assert_string_equal(t, "a");
	/* too small for even one entry: none, not eof (TOOSMALL upstream) */
	assert_int_equal(serve(s, 0, 30, 4096, t, &eof), 0);
	assert_string_equal(t, "");
	assert_false(eof);
	/* the last cookie: nothing left, eof */
	assert_int_equal(serve(s, 400, 4096, 4096, t, &eof), 0);
	assert_string_equal(t, "");
	assert_true(eof);
	/* a cookie that is no entry's */
	assert_int_equal(serve(s, 250, 4096, 4096, t, &eof), -ESRCH);
	dir_snap_free(s);

	/* cookies in no order (hash positions of another file system) */
	s = dir_snap_new();
	add(s, 'b', 20, 10, 900);
	add(s, 'c', 20, 10, 5);
	add(s, 'd', 20, 10, 70);
	assert_int_equal(serve(s, 5, 4096, 4096, t, &eof), 0);
	assert_string_equal(t, "d");
	assert_int_equal(serve(s, 900, 4096, 4096, t, &eof), 0);
	assert_string_equal(t, "cd");
	assert_int_equal(serve(s, 6, 4096, 4096, t, &eof), -ESRCH);
	/* esz larger than the entry: refused */
	uint8_t b[8] = { 0 };
	assert_int_equal(dir_snap_add(s, b, 8, 9, 1), -E2BIG);
	dir_snap_free(s);
}

static void test_snap_bounds(void **state)
{
	struct dir_snap *s = dir_snap_new();
	uint8_t b[64] = { 0 };
	for (uint64_t i = 0; i < DIR_SNAP_MAX_ENTRIES; i++)
		assert_int_equal(dir_snap_add(s, b, 8, 8, i + 1), 0);
	assert_int_equal(dir_snap_add(s, b, 8, 8, DIR_SNAP_MAX_ENTRIES + 1), -E2BIG);
	dir_snap_free(s);
}

static struct dir_snap *snap_of(uint8_t tag, size_t n)
{
	struct dir_snap *s = dir_snap_new();
	for (size_t i = 0; i < n; i++)
		add(s, tag, 20, 10, i + 1);
	return s;
}

static void test_cache_key_ttl_bound(void **state)
{
	struct dir_cache *c = dir_cache_new(64 << 10, 1000);
	int ex1, ex2;
	struct dir_key k = { .ex = &ex1, .dev = 1, .ino = 2, .mtime_s = 10, .ctime_s = 11, .gen = 5 };
	uint8_t out[4096];
	struct wr w = wr_init(out, sizeof(out));
	size_t n, lists, bytes;
	bool eof;
	dir_cache_put(c, &k, snap_of('x', 3), 1000);
	assert_int_equal(dir_cache_serve(c, &k, 1500, 0, &w, 4096, 4096, &n, &eof), 0);
	assert_int_equal(n, 3);
	assert_true(eof);
	assert_int_equal(out[0], 'x');
	/* each part of the key: another export, a changed mtime/ctime (ns
	 * too), a bumped generation: never served, and the listing is gone */
	struct dir_key bad[7];
	for (size_t i = 0; i < 7; i++)
		bad[i] = k;
	bad[0].ex = &ex2;
	bad[1].mtime_ns = 1;
	bad[2].ctime_s = 12;
	bad[3].ctime_ns = 7;
	bad[4].gen = 6;
	bad[5].ino = 3;
	bad[6].eid[2] = 9; /* the same memory, another Pi's export */
	for (size_t i = 0; i < 7; i++) {
		dir_cache_put(c, &k, snap_of('x', 3), 1000);
		w = wr_init(out, sizeof(out));
		assert_int_equal(dir_cache_serve(c, &bad[i], 1500, 0, &w, 4096, 4096, &n, &eof), -ENOENT);
		assert_int_equal(w.off, 0);
		w = wr_init(out, sizeof(out));
		/* another directory leaves it alone */
		int want = (i == 0 || i == 5 || i == 6) ? 0 : -ENOENT;
		assert_int_equal(dir_cache_serve(c, &k, 1500, 0, &w, 4096, 4096, &n, &eof), want);
	}
	/* the time to live */
	dir_cache_put(c, &k, snap_of('x', 3), 1000);
	w = wr_init(out, sizeof(out));
	assert_int_equal(dir_cache_serve(c, &k, 1999, 0, &w, 4096, 4096, &n, &eof), 0);
	w = wr_init(out, sizeof(out));
	assert_int_equal(dir_cache_serve(c, &k, 2000, 0, &w, 4096, 4096, &n, &eof), -ENOENT);
	dir_cache_usage(c, &lists, &bytes);
	assert_int_equal(lists, 0);
	assert_int_equal(bytes, 0);
	/* a newer listing of the same directory replaces the older */
	dir_cache_put(c, &k, snap_of('x', 3), 1000);
	dir_cache_put(c, &k, snap_of('y', 3), 1000);
	dir_cache_usage(c, &lists, &bytes);
	assert_int_equal(lists, 1);
	w = wr_init(out, sizeof(out));
	assert_int_equal(dir_cache_serve(c, &k, 1000, 0, &w, 4096, 4096, &n, &eof), 0);
	assert_int_equal(out[0], 'y');
	/* the byte bound: many directories, never more than 64 KiB, the
	 * least recently used go first */
	for (ino_t i = 100; i < 400; i++) {
		struct dir_key ki = k;
		ki.ino = i;
		dir_cache_put(c, &ki, snap_of('z', 50), 1000);
		dir_cache_usage(c, &lists, &bytes);
		assert_true(bytes <= 64 << 10);
	}
	struct dir_key last = k, first = k;
	last.ino = 399;
	first.ino = 100;
	w = wr_init(out, sizeof(out));
	assert_int_equal(dir_cache_serve(c, &last, 1000, 0, &w, 4096, 4096, &n, &eof), 0);
	w = wr_init(out, sizeof(out));
	assert_int_equal(dir_cache_serve(c, &first, 1000, 0, &w, 4096, 4096, &n, &eof), -ENOENT);
	/* a listing larger than the whole cache is not kept */
	struct dir_key big = k;
	big.ino = 7;
	dir_cache_put(c, &big, snap_of('b', 4000), 1000);
	w = wr_init(out, sizeof(out));
	assert_int_equal(dir_cache_serve(c, &big, 1000, 0, &w, 4096, 4096, &n, &eof), -ENOENT);
	dir_cache_free(c);
}

/* ---------------------------------------------------------------- READDIRPLUS */

struct env {
	char top[64], d[96];
	struct nfs_export ex;
	uint8_t key[FH_KEY_LEN];
	uint8_t verf[8];
	struct dir_cache *dirs;
	struct fh_cache *fhs;
	struct nfs_fh dfh;
};

static void put_file(const char *dir, const char *name, size_t size)
{
	char p[192];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static int env_make(void **state, unsigned settle_s)
{
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->top, sizeof(e->top), "/tmp/test_dircache_XXXXXX");
	if (!mkdtemp(e->top))
		return -1;
	snprintf(e->d, sizeof(e->d), "%s/d", e->top);
	mkdir(e->d, 0755);
	put_file(e->d, "a", 1);
	put_file(e->d, "b", 2);
	e->ex.root_fd = open(e->top, O_RDONLY | O_DIRECTORY);
	struct stat st;
	fstat(e->ex.root_fd, &st);
	e->ex.dev = st.st_dev;
	e->ex.ino = st.st_ino;
	fh_export_id("1234abcd", FH_KIND_ROOT, e->ex.eid);
	memset(e->key, 3, sizeof(e->key));
	e->dirs = dir_cache_new(1 << 20, 60000);
	e->fhs = fh_cache_new(64);
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key };
	int dfd = open(e->d, O_PATH | O_DIRECTORY);
	assert_int_equal(nfs3_fh_make(&c, dfd, &e->dfh), NFS3_OK);
	close(dfd);
	/* Listings of a directory changed in the last 2 s are not kept. */
	sleep(settle_s);
	*state = e;
	return 0;
}

static int env_setup(void **state)
{
	return env_make(state, 3);
}

static int env_setup_now(void **state)
{
	return env_make(state, 0);
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];
	close(e->ex.root_fd);
	dir_cache_free(e->dirs);
	fh_cache_free(e->fhs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->top);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

struct listing {
	uint32_t status;
	bool would_block;
	size_t n;
	char names[8][16];
	uint64_t size[8];
	struct nfs_fh fh[8];
};

static void list(struct env *e, uint32_t uid, bool nonblock, struct listing *l)
{
	struct nfs3_args *a = calloc(1, sizeof(*a));
	a->fh = e->dfh;
	a->dircount = 4096;
	a->maxcount = 8192;
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key, .dirs = e->dirs, .cache = e->fhs, .nonblock = nonblock,
			      .cred = { .uid = uid, .gid = uid } };
	uint8_t out[9000];
	struct wr w = wr_init(out, sizeof(out));
	assert_int_equal(nfs3_exec(&c, NFS3_READDIRPLUS, a, &w), 0);
	free(a);
	memset(l, 0, sizeof(*l));
	l->would_block = c.would_block;
	if (c.would_block)
		return;
	struct rd r = rd_init(out, w.off);
	l->status = xdr_u32(&r);
	if (xdr_u32(&r))
		r.off += 84;
	if (l->status != NFS3_OK)
		return;
	r.off += 8; /* verifier */
	while (xdr_u32(&r) == 1 && !r.err) {
		uint32_t nl, fl;
		xdr_u64(&r);
		const uint8_t *name = xdr_opaque(&r, 255, &nl);
		xdr_u64(&r);
		bool named = nl < 16 && l->n < 8 && memcmp(name, ".", 1) != 0;
		if (named)
			memcpy(l->names[l->n], name, nl);
		if (xdr_u32(&r)) {
			r.off += 20;
			uint64_t size = xdr_u64(&r);
			if (named)
				l->size[l->n] = size;
			r.off += 84 - 28;
		}
		if (xdr_u32(&r)) {
			const uint8_t *h = xdr_opaque(&r, FH_MAX, &fl);
			if (named) {
				l->fh[l->n].len = fl;
				memcpy(l->fh[l->n].data, h, fl);
			}
		}
		if (named)
			l->n++;
	}
	assert_false(r.err);
}

static uint64_t size_of(const struct listing *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return l->size[i];
	return UINT64_MAX;
}

static const struct nfs_fh *fh_of(const struct listing *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return &l->fh[i];
	return NULL;
}

static void test_readdirplus_cached(void **state)
{
	struct env *e = *state;
	struct listing l;
	size_t lists, bytes;
	/* the loop never reads a directory: a miss is left to a worker */
	list(e, 0, true, &l);
	assert_true(l.would_block);
	list(e, 0, false, &l);
	assert_int_equal(l.status, NFS3_OK);
	assert_int_equal(l.n, 2);
	assert_int_equal(size_of(&l, "a"), 1);
	assert_int_equal(size_of(&l, "b"), 2);
	dir_cache_usage(e->dirs, &lists, &bytes);
	assert_int_equal(lists, 1);
	/* now the loop answers it, from the cache: a size changed behind the
	 * server's back (nothing else changed) is still the old one */
	put_file(e->d, "b", 20);
	list(e, 0, true, &l);
	assert_false(l.would_block);
	assert_int_equal(size_of(&l, "b"), 2);
	/* a WRITE through the server is seen at once */
	struct nfs3_args *a = calloc(1, sizeof(*a));
	a->fh = *fh_of(&l, "a");
	a->offset = 99;
	a->count = 1;
	a->stable = FILE_SYNC;
	a->data = (const uint8_t *)"x";
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key, .dirs = e->dirs, .cache = e->fhs,
			      .write_verf = e->verf };
	uint8_t out[1024];
	struct wr w = wr_init(out, sizeof(out));
	assert_int_equal(nfs3_exec(&c, NFS3_WRITE, a, &w), 0);
	free(a);
	struct rd r = rd_init(out, w.off);
	assert_int_equal(xdr_u32(&r), NFS3_OK);
	list(e, 0, true, &l);
	assert_true(l.would_block); /* the listing is stale: read again */
	list(e, 0, false, &l);
	assert_int_equal(size_of(&l, "a"), 100);
	assert_int_equal(size_of(&l, "b"), 20);
	/* users other than root never get root's listing */
	put_file(e->d, "b", 30);
	list(e, 0, true, &l);
	assert_false(l.would_block);
	assert_int_equal(size_of(&l, "b"), 20);
	list(e, 1000, true, &l);
	assert_true(l.would_block);
	list(e, 1000, false, &l);
	assert_int_equal(size_of(&l, "b"), 30);
	/* a name added in the directory is never hidden (and the directory,
	 * changed just now, is not cached again until it settles) */
	put_file(e->d, "c", 3);
	list(e, 0, false, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(size_of(&l, "c"), 3);
	list(e, 0, true, &l);
	assert_true(l.would_block);
}

/* A call as the loop (nonblock) or a worker runs it: the status, or
 * UINT32_MAX when the loop left it to a worker. */
static uint32_t call(struct env *e, uint32_t proc, const struct nfs_fh *fh, bool nonblock)
{
	struct nfs3_args *a = calloc(1, sizeof(*a));
	a->fh = *fh;
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key, .dirs = e->dirs, .cache = e->fhs, .nonblock = nonblock };
	uint8_t out[8192];
	struct wr w = wr_init(out, sizeof(out));
	assert_int_equal(nfs3_exec(&c, proc, a, &w), 0);
	free(a);
	if (c.would_block)
		return UINT32_MAX;
	struct rd r = rd_init(out, w.off);
	return xdr_u32(&r);
}

static void test_loop_readlink_fsstat(void **state)
{
	struct env *e = *state;
	char p[192], longt[200];
	struct stat st;
	struct nfs_fh fast, slow;
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key, .cache = e->fhs };
	snprintf(p, sizeof(p), "%s/fast", e->d);
	assert_int_equal(symlink("t", p), 0);
	int fd = open(p, O_PATH | O_NOFOLLOW);
	assert_int_equal(nfs3_fh_make(&c, fd, &fast), NFS3_OK); /* cached */
	close(fd);
	memset(longt, 'x', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = '\0';
	snprintf(p, sizeof(p), "%s/slow", e->d);
	assert_int_equal(symlink(longt, p), 0);
	assert_int_equal(lstat(p, &st), 0);
	fd = open(p, O_PATH | O_NOFOLLOW);
	assert_int_equal(nfs3_fh_make(&c, fd, &slow), NFS3_OK);
	close(fd);
	/* a fast symlink (target in the inode) is answered on the loop */
	assert_int_equal(call(e, NFS3_READLINK, &fast, true), NFS3_OK);
	/* one with a block of its own may need the disk: a worker's */
	if (st.st_blocks != 0)
		assert_int_equal(call(e, NFS3_READLINK, &slow, true), UINT32_MAX);
	assert_int_equal(call(e, NFS3_READLINK, &slow, false), NFS3_OK);
	/* FSSTAT of a cached handle on the loop */
	assert_int_equal(call(e, NFS3_FSSTAT, &fast, true), NFS3_OK);
	/* an uncached handle never: open_by_handle_at is a worker's */
	assert_int_equal(call(e, NFS3_FSSTAT, &e->dfh, true), UINT32_MAX);
	assert_int_equal(call(e, NFS3_FSSTAT, &e->dfh, false), NFS3_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snap_cookies_and_budget),
		cmocka_unit_test(test_snap_bounds),
		cmocka_unit_test(test_cache_key_ttl_bound),
		cmocka_unit_test_setup_teardown(test_readdirplus_cached, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_loop_readlink_fsstat, env_setup_now, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
