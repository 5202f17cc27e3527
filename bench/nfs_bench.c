/* nfs_bench.c - NFSv3 micro-benchmarks with libnfs's raw async RPC API:
 * N requests in flight on one TCP connection, driven by our own poll loop.
 *
 *   nfs_bench -s SERVER -e EXPORT -T TEST [-q INFLIGHT] [-d SECONDS]
 *             [-f PATH] [-z SIZE_MB] [-w unstable|filesync] [-c COUNT_KB]
 *
 * TEST:
 *   getattr      GETATTR of PATH (default: the export root)
 *   lookup-hit   LOOKUP of lk/f0..f999 (files that exist)
 *   lookup-miss  LOOKUP of lk/m0..m999 (names that do not exist)
 *   read         sequential READ of PATH (SIZE_MB, COUNT_KB per call),
 *                INFLIGHT calls at a time
 *   write        sequential WRITE of PATH (must exist), SIZE_MB in COUNT_KB
 *                calls; -w filesync: every WRITE FILE_SYNC; -w unstable:
 *                UNSTABLE, then one COMMIT of the whole file (timed)
 *   readdirplus  complete READDIRPLUS listings of PATH, one call at a time
 *                (it is a cookie chain), repeated for SECONDS
 *   replay       the NFS calls of a Debian boot, synthesized: over the tree
 *                PATH/dNN/<files> (discovered with READDIRPLUS) a seeded mix
 *                of 40% GETATTR, 20% LOOKUP miss, 15% LOOKUP hit, 5% ACCESS,
 *                20% READ of 128 KiB (boot-time readahead) at INFLIGHT
 *
 * Prints one line: "RESULT test=... q=... ops=... secs=... ops_s=...
 * mb_s=... errors=...". Exit 1 on setup failure; per-call errors are counted
 * and reported (a run with errors is not a valid result).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

#define BENCH_NAME "nfs_bench"
#include "nfs_client.h"

#define MIB (1024u * 1024u)
#define MAXQ 256

struct rfile {
	struct fh fh;
	struct fh dir;
	char name[64];
	uint64_t size;
};

enum op { OP_GETATTR, OP_LOOKUP_HIT, OP_LOOKUP_MISS, OP_ACCESS, OP_READ };

struct bench {
	struct rpc_context *rpc;
	const char *test;
	int maxq, inflight;
	double t_start, t_end;
	bool stop;
	uint64_t ops, bytes, errors;
	/* targets */
	struct fh root, target, lkdir;
	uint64_t size, next_off;
	uint32_t count;
	int stable;
	uint32_t seq;
	char *wbuf;
	/* readdirplus */
	uint64_t cookie, entries;
	char verf[NFS3_COOKIEVERFSIZE];
	/* replay */
	struct rfile *files;
	size_t nfiles;
	uint64_t rng;
	char names[MAXQ][80];
	int slot;
};

static void die(const char *what, struct rpc_context *rpc)
{
	fprintf(stderr, "nfs_bench: %s%s%s\n", what, rpc ? ": " : "", rpc ? rpc_get_error(rpc) : "");
	exit(1);
}

/* Run the event loop until *flag is set (or everything in flight is done
 * when flag is NULL). */
static void loop(struct bench *b, volatile bool *flag)
{
	for (;;) {
		if (flag && *flag)
			return;
		if (!flag && b->stop && b->inflight == 0)
			return;
		struct pollfd p = { .fd = rpc_get_fd(b->rpc), .events = (short)rpc_which_events(b->rpc) };
		int n = poll(&p, 1, 100);
		if (n < 0 && errno != EINTR)
			die("poll", NULL);
		if (rpc_service(b->rpc, n > 0 ? p.revents : 0) < 0)
			die("rpc_service", b->rpc);
	}
}

/* ------------------------------------------------------------ setup calls */


static void rpc_connect_sync(struct bench *b, const char *server, int prog, int vers)
{
	struct sync_res r = { 0 };
	if (rpc_connect_program_async(b->rpc, server, prog, vers, connect_cb, &r) != 0)
		die("connect", b->rpc);
	loop(b, &r.done);
	if (r.status != RPC_STATUS_SUCCESS)
		exit(1);
}

/* lookup_path: walk PATH (relative to the root) with LOOKUPs. */
static struct fh lookup_path(struct bench *b, const char *path, uint64_t *size)
{
	struct fh cur = b->root;
	char buf[1024], *save = NULL, *c;
	snprintf(buf, sizeof(buf), "%s", path);
	for (c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		struct sync_res r = { 0 };
		LOOKUP3args a;
		a.what.dir = fh3(&cur);
		a.what.name = c;
		if (rpc_nfs3_lookup_async(b->rpc, lookup_sync_cb, &a, &r) != 0)
			die("lookup", b->rpc);
		loop(b, &r.done);
		if (r.status != RPC_STATUS_SUCCESS || r.nfsstat != NFS3_OK) {
			fprintf(stderr, "nfs_bench: LOOKUP %s in %s: status %d nfsstat %d\n", c, path, r.status, r.nfsstat);
			exit(1);
		}
		cur = r.fh;
		if (size)
			*size = r.size;
	}
	return cur;
}

/* ------------------------------------------------------------ benchmarks */

static void issue(struct bench *b);

static void done_one(struct bench *b, bool ok, uint64_t bytes)
{
	b->inflight--;
	if (ok) {
		b->ops++;
		b->bytes += bytes;
	} else {
		b->errors++;
	}
	if (!b->stop && now() >= b->t_end)
		b->stop = true;
	if (!b->stop)
		issue(b);
}

static void getattr_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct bench *b = priv;
	done_one(b, status == RPC_STATUS_SUCCESS && ((GETATTR3res *)data)->status == NFS3_OK, 0);
}

static void lookup_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct bench *b = priv;
	bool ok = status == RPC_STATUS_SUCCESS;
	if (ok) {
		int st = ((LOOKUP3res *)data)->status;
		bool want_hit = strcmp(b->test, "lookup-hit") == 0;
		if (strcmp(b->test, "replay") == 0)
			ok = st == NFS3_OK || st == NFS3ERR_NOENT;
		else
			ok = want_hit ? st == NFS3_OK : st == NFS3ERR_NOENT;
	}
	done_one(b, ok, 0);
}

static void access_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct bench *b = priv;
	done_one(b, status == RPC_STATUS_SUCCESS && ((ACCESS3res *)data)->status == NFS3_OK, 0);
}

static void read_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct bench *b = priv;
	READ3res *res = data;
	bool ok = status == RPC_STATUS_SUCCESS && res->status == NFS3_OK;
	done_one(b, ok, ok ? res->READ3res_u.resok.count : 0);
}

static void write_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct bench *b = priv;
	WRITE3res *res = data;
	bool ok = status == RPC_STATUS_SUCCESS && res->status == NFS3_OK;
	if (ok && b->stable == FILE_SYNC && res->WRITE3res_u.resok.committed != FILE_SYNC)
		ok = false;
	done_one(b, ok, ok ? res->WRITE3res_u.resok.count : 0);
}

static const char *lookup_name(struct bench *b, bool hit)
{
	char *n = b->names[b->slot++ % MAXQ];
	snprintf(n, 80, "%s%u", hit ? "f" : "m", b->seq++ % 1000);
	return n;
}

static uint64_t rnd(struct bench *b)
{
	/* xorshift64*: deterministic, seeded, the same for every server. */
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 2685821657736338717ull;
}

static void issue_replay(struct bench *b)
{
	uint64_t r = rnd(b) % 100;
	struct rfile *f = &b->files[rnd(b) % b->nfiles];
	int rc;
	if (r < 40) {
		GETATTR3args a = { .object = fh3(&f->fh) };
		rc = rpc_nfs3_getattr_async(b->rpc, getattr_cb, &a, b);
	} else if (r < 75) {
		LOOKUP3args a;
		char *n = b->names[b->slot++ % MAXQ];
		if (r < 60) /* the dynamic loader's and locale's misses */
			snprintf(n, 80, "%s.so.%u", f->name, (unsigned)(rnd(b) % 7));
		else
			snprintf(n, 80, "%s", f->name);
		a.what.dir = fh3(&f->dir);
		a.what.name = n;
		rc = rpc_nfs3_lookup_async(b->rpc, lookup_cb, &a, b);
	} else if (r < 80) {
		ACCESS3args a = { .object = fh3(&f->fh), .access = 0x1f };
		rc = rpc_nfs3_access_async(b->rpc, access_cb, &a, b);
	} else {
		READ3args a;
		uint64_t chunks = f->size / (128 * 1024) + 1;
		a.file = fh3(&f->fh);
		a.offset = (rnd(b) % chunks) * 128 * 1024;
		a.count = 128 * 1024;
		rc = rpc_nfs3_read_async(b->rpc, read_cb, &a, b);
	}
	if (rc != 0)
		die("replay call", b->rpc);
	b->inflight++;
}

static void issue(struct bench *b)
{
	while (!b->stop && b->inflight < b->maxq) {
		int rc;
		const char *t = b->test;
		if (strcmp(t, "getattr") == 0) {
			GETATTR3args a = { .object = fh3(&b->target) };
			rc = rpc_nfs3_getattr_async(b->rpc, getattr_cb, &a, b);
		} else if (strcmp(t, "lookup-hit") == 0 || strcmp(t, "lookup-miss") == 0) {
			LOOKUP3args a;
			a.what.dir = fh3(&b->lkdir);
			a.what.name = (char *)(uintptr_t)lookup_name(b, t[7] == 'h');
			rc = rpc_nfs3_lookup_async(b->rpc, lookup_cb, &a, b);
		} else if (strcmp(t, "read") == 0 || strcmp(t, "write") == 0) {
			if (b->next_off >= b->size) {
				b->stop = true;
				break;
			}
			uint32_t n = b->count;
			if (b->size - b->next_off < n)
				n = (uint32_t)(b->size - b->next_off);
			if (t[0] == 'r') {
				READ3args a = { .file = fh3(&b->target), .offset = b->next_off, .count = n };
				rc = rpc_nfs3_read_async(b->rpc, read_cb, &a, b);
			} else {
				WRITE3args a;
				memset(&a, 0, sizeof(a));
				a.file = fh3(&b->target);
				a.offset = b->next_off;
				a.count = n;
				a.stable = (stable_how)b->stable;
				a.data.data_len = n;
				a.data.data_val = b->wbuf;
				rc = rpc_nfs3_write_async(b->rpc, write_cb, &a, b);
			}
			b->next_off += n;
		} else if (strcmp(t, "replay") == 0) {
			issue_replay(b);
			continue;
		} else {
			fprintf(stderr, "nfs_bench: unknown test %s\n", t);
			exit(2);
		}
		if (rc != 0)
			die("call", b->rpc);
		b->inflight++;
	}
}

static void commit_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct sync_res *r = priv;
	r->status = status;
	r->nfsstat = status == RPC_STATUS_SUCCESS ? (int)((COMMIT3res *)data)->status : -1;
	r->done = true;
}

/* readdirplus: one call at a time; a listing ends at eof. */
static void rdp_issue(struct bench *b);

static void rdp_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct bench *b = priv;
	READDIRPLUS3res *res = data;
	b->inflight--;
	if (status != RPC_STATUS_SUCCESS || res->status != NFS3_OK) {
		b->errors++;
		b->stop = true;
		return;
	}
	b->ops++;
	READDIRPLUS3resok *ok = &res->READDIRPLUS3res_u.resok;
	memcpy(b->verf, ok->cookieverf, sizeof(b->verf));
	for (entryplus3 *e = ok->reply.entries; e; e = e->nextentry) {
		b->entries++;
		b->cookie = e->cookie;
	}
	if (ok->reply.eof) {
		b->seq++; /* complete listings */
		b->cookie = 0;
		memset(b->verf, 0, sizeof(b->verf));
		if (now() >= b->t_end)
			b->stop = true;
	}
	if (!b->stop)
		rdp_issue(b);
}

static void rdp_issue(struct bench *b)
{
	READDIRPLUS3args a;
	memset(&a, 0, sizeof(a));
	a.dir = fh3(&b->target);
	a.cookie = b->cookie;
	memcpy(a.cookieverf, b->verf, sizeof(a.cookieverf));
	a.dircount = 65536; /* what the Linux client sends with a 1 MiB dtsize: */
	a.maxcount = 1048576 / 8; /* kept moderate so both servers fill it */
	if (rpc_nfs3_readdirplus_async(b->rpc, rdp_cb, &a, b) != 0)
		die("readdirplus", b->rpc);
	b->inflight++;
}

/* Collect the replay tree: PATH/<dir>/<file> via READDIRPLUS. */
struct collect {
	bool done;
	int err;
	struct bench *b;
	struct fh dir;
	uint64_t cookie;
	char verf[NFS3_COOKIEVERFSIZE];
	bool eof;
	bool want_dirs;
	struct rfile *out;
	size_t n, cap;
};

static void collect_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct collect *c = priv;
	READDIRPLUS3res *res = data;
	c->done = true;
	if (status != RPC_STATUS_SUCCESS || res->status != NFS3_OK) {
		c->err = 1;
		return;
	}
	READDIRPLUS3resok *ok = &res->READDIRPLUS3res_u.resok;
	memcpy(c->verf, ok->cookieverf, sizeof(c->verf));
	for (entryplus3 *e = ok->reply.entries; e; e = e->nextentry) {
		c->cookie = e->cookie;
		if (e->name[0] == '.' || !e->name_handle.handle_follows || !e->name_attributes.attributes_follow)
			continue;
		fattr3 *at = &e->name_attributes.post_op_attr_u.attributes;
		bool isdir = at->type == NF3DIR;
		if (isdir != c->want_dirs || (!isdir && at->type != NF3REG))
			continue;
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 256;
			c->out = realloc(c->out, c->cap * sizeof(*c->out));
			if (!c->out)
				die("out of memory", NULL);
		}
		struct rfile *f = &c->out[c->n++];
		fh_set(&f->fh, &e->name_handle.post_op_fh3_u.handle);
		f->dir = c->dir;
		snprintf(f->name, sizeof(f->name), "%s", e->name);
		f->size = at->size;
	}
	c->eof = ok->reply.eof;
}

static size_t collect(struct bench *b, struct fh dir, bool want_dirs, struct rfile **out)
{
	struct collect c;
	memset(&c, 0, sizeof(c));
	c.b = b;
	c.dir = dir;
	c.want_dirs = want_dirs;
	while (!c.eof) {
		READDIRPLUS3args a;
		memset(&a, 0, sizeof(a));
		a.dir = fh3(&c.dir);
		a.cookie = c.cookie;
		memcpy(a.cookieverf, c.verf, sizeof(a.cookieverf));
		a.dircount = 65536;
		a.maxcount = 131072;
		c.done = false;
		if (rpc_nfs3_readdirplus_async(b->rpc, collect_cb, &a, &c) != 0)
			die("readdirplus", b->rpc);
		loop(b, &c.done);
		if (c.err) {
			fprintf(stderr, "nfs_bench: READDIRPLUS failed while collecting the replay tree\n");
			exit(1);
		}
	}
	*out = c.out;
	return c.n;
}

static void usage(void)
{
	fprintf(stderr, "usage: nfs_bench -s SERVER -e EXPORT -T getattr|lookup-hit|lookup-miss|read|write|"
			"readdirplus|replay [-q INFLIGHT] [-d SECONDS] [-f PATH] [-z SIZE_MB] "
			"[-w unstable|filesync] [-c COUNT_KB]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *server = NULL, *export = NULL, *path = "", *wmode = "unstable";
	struct bench b;
	int o;
	double secs = 5;
	uint64_t size_mb = 512, count_kb = 1024;

	memset(&b, 0, sizeof(b));
	b.maxq = 1;
	b.rng = 0x9e3779b97f4a7c15ull;
	while ((o = getopt(argc, argv, "s:e:T:q:d:f:z:w:c:")) != -1) {
		switch (o) {
		case 's': server = optarg; break;
		case 'e': export = optarg; break;
		case 'T': b.test = optarg; break;
		case 'q': b.maxq = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'f': path = optarg; break;
		case 'z': size_mb = strtoull(optarg, NULL, 10); break;
		case 'w': wmode = optarg; break;
		case 'c': count_kb = strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (!server || !export || !b.test || b.maxq < 1 || b.maxq > MAXQ)
		usage();

	b.rpc = rpc_init_context();
	if (!b.rpc)
		die("rpc_init_context", NULL);
	/* MOUNT, then NFS on a fresh connection (both found via the portmapper,
	 * as the kernel and klibc nfsmount do). */
	rpc_connect_sync(&b, server, MOUNT_PROGRAM, MOUNT_V3);
	struct sync_res m = { 0 };
	if (rpc_mount3_mnt_async(b.rpc, mnt_cb, (char *)(uintptr_t)export, &m) != 0)
		die("mnt", b.rpc);
	loop(&b, &m.done);
	if (m.status != RPC_STATUS_SUCCESS || m.nfsstat != MNT3_OK) {
		fprintf(stderr, "nfs_bench: MNT %s: status %d mountstat %d\n", export, m.status, m.nfsstat);
		return 1;
	}
	b.root = m.fh;
	rpc_destroy_context(b.rpc);
	b.rpc = rpc_init_context();
	rpc_connect_sync(&b, server, NFS_PROGRAM, NFS_V3);

	const char *t = b.test;
	b.count = (uint32_t)(count_kb * 1024);
	b.target = *path ? lookup_path(&b, path, &b.size) : b.root;
	if (strncmp(t, "lookup", 6) == 0)
		b.lkdir = lookup_path(&b, *path ? path : "lk", NULL);
	if (strcmp(t, "read") == 0 || strcmp(t, "write") == 0)
		b.size = size_mb * MIB;
	if (strcmp(t, "write") == 0) {
		b.stable = strcmp(wmode, "filesync") == 0 ? FILE_SYNC : UNSTABLE;
		b.wbuf = malloc(b.count);
		if (!b.wbuf)
			die("out of memory", NULL);
		for (uint32_t i = 0; i < b.count; i++)
			b.wbuf[i] = (char)(i * 2654435761u >> 24);
	}
	if (strcmp(t, "replay") == 0) {
		struct rfile *dirs = NULL;
		size_t nd = collect(&b, b.target, true, &dirs);
		for (size_t i = 0; i < nd; i++) {
			struct rfile *fs = NULL;
			size_t nf = collect(&b, dirs[i].fh, false, &fs);
			b.files = realloc(b.files, (b.nfiles + nf) * sizeof(*b.files));
			if (!b.files && b.nfiles + nf)
				die("out of memory", NULL);
			memcpy(b.files + b.nfiles, fs, nf * sizeof(*fs));
			b.nfiles += nf;
			free(fs);
		}
		free(dirs);
		if (b.nfiles == 0) {
			fprintf(stderr, "nfs_bench: no files under %s for the replay\n", path);
			return 1;
		}
	}

	b.t_start = now();
	/* read/write run to the end of the file; the time limit is a safety cap. */
	b.t_end = b.t_start + secs;
	if (strcmp(t, "readdirplus") == 0) {
		b.seq = 0;
		rdp_issue(&b);
	} else {
		issue(&b);
	}
	loop(&b, NULL);
	if (strcmp(t, "write") == 0 && b.stable == UNSTABLE && b.errors == 0) {
		struct sync_res c = { 0 };
		COMMIT3args a = { .file = fh3(&b.target), .offset = 0, .count = 0 };
		if (rpc_nfs3_commit_async(b.rpc, commit_cb, &a, &c) != 0)
			die("commit", b.rpc);
		loop(&b, &c.done);
		if (c.status != RPC_STATUS_SUCCESS || c.nfsstat != NFS3_OK)
			b.errors++;
	}
	double el = now() - b.t_start;

	uint64_t ops = b.ops;
	if (strcmp(t, "readdirplus") == 0)
		printf("RESULT test=%s q=1 listings=%u entries=%" PRIu64 " calls=%" PRIu64 " secs=%.3f "
		       "ops_s=%.1f entries_s=%.0f mb_s=0 errors=%" PRIu64 "\n",
		       t, b.seq, b.entries, ops, el, b.seq / el, (double)b.entries / el, b.errors);
	else
		printf("RESULT test=%s q=%d ops=%" PRIu64 " secs=%.3f ops_s=%.1f mb_s=%.1f errors=%" PRIu64
		       " bytes=%" PRIu64 "\n",
		       t, b.maxq, ops, el, (double)ops / el, (double)b.bytes / el / MIB, b.errors, b.bytes);
	rpc_destroy_context(b.rpc);
	return b.errors ? 3 : 0;
}
