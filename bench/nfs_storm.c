/* nfs_storm.c - one simulated Pi replaying a recorded NFSv3 boot trace
 * (bench/traces/debian12-boot.tsv.gz unzipped, written by bench/nfs-storm/pcap2trace.py) with
 * libnfs's raw async RPC API. bench/nfs-storm.sh runs N of them at once,
 * each in its own network namespace (its own source address).
 *
 *   nfs_storm -s SERVER -e EXPORT -t TRACE [-n MAXCALLS] [-i ID]
 *
 * Concurrency: call i is sent when fewer than inflight_i calls (the depth
 * the kernel had when it sent it, itself included) are outstanding, in trace
 * order. Handle cache: path -> handle, filled by the replayed LOOKUP,
 * CREATE, MKDIR, SYMLINK and READDIRPLUS replies like the kernel's dcache; a
 * path not in it is resolved with LOOKUPs once nothing is in flight (counted
 * as extra_lookups). A reply whose status differs from the recorded one is
 * an error. Lines on another export (@boot/...) or an unknown handle (?...)
 * are skipped (counted).
 *
 * Prints one line: "PI id=... calls=... skipped=... errors=...
 * extra_lookups=... secs=... p50_ms=... p99_ms=... max_inflight=...
 * reconnects=... cpu_s=..." (reconnects: connections reset before the mount
 * worked, retried as a kernel would; secs includes the mount; cpu_s is this
 * replayer's own user + system CPU time, the client's share of the machine).
 * Exit 1 on setup failure, 3 when errors > 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

#define BENCH_NAME "nfs_storm"
#include "nfs_client.h"

#define HBITS 14
#define HSIZE (1u << HBITS)
#define MAXDEPTH 256
#define WMAX (1024u * 1024u)

struct call {
	int proc, depth;
	char *path, *name, *extra, *status;
	uint64_t off;
	uint32_t count;
};

struct hent {
	char *path;
	struct fh fh;
	uint64_t cookie;
	char verf[NFS3_COOKIEVERFSIZE];
};

struct pending {
	struct storm *s;
	int idx;
	double t0;
	char *newpath; /* what a successful reply names (LOOKUP/CREATE/...) */
	char *dirpath;
};

struct storm {
	struct rpc_context *rpc;
	struct call *calls;
	int ncalls, inflight, max_inflight;
	uint64_t errors, skipped, extra_lookups, done;
	double *lat;
	struct hent ht[HSIZE];
	char *wbuf;
	bool verbose, setup; /* setup: a broken connection is retried, not fatal */
	bool broken;
	int reconnects;
};

static void die(const char *what, struct rpc_context *rpc)
{
	fprintf(stderr, "nfs_storm: %s%s%s\n", what, rpc ? ": " : "", rpc ? rpc_get_error(rpc) : "");
	exit(1);
}

static char *xstrdup(const char *s)
{
	char *r = strdup(s);
	if (!r)
		die("out of memory", NULL);
	return r;
}

/* ------------------------------------------------------------ handle cache */

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static struct hent *hget(struct storm *s, const char *path, bool add)
{
	uint32_t i = hash(path) & (HSIZE - 1);
	for (uint32_t n = 0; n < HSIZE; n++, i = (i + 1) & (HSIZE - 1)) {
		struct hent *e = &s->ht[i];
		if (!e->path) {
			if (!add)
				return NULL;
			e->path = xstrdup(path);
			return e;
		}
		if (strcmp(e->path, path) == 0)
			return e;
	}
	die("handle cache full", NULL);
	return NULL;
}

static void cache_put(struct storm *s, const char *path, const nfs_fh3 *f)
{
	struct hent *e = hget(s, path, true);
	fh_set(&e->fh, f);
}

/* join DIR NAME into a new string ("/" + "etc" = "/etc"). */
static char *join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *r = malloc(a + b + 2);
	if (!r)
		die("out of memory", NULL);
	memcpy(r, dir, a);
	size_t k = a;
	if (k == 0 || r[k - 1] != '/')
		r[k++] = '/';
	memcpy(r + k, name, b + 1);
	return r;
}

/* ------------------------------------------------------------ event loop */

static void service(struct storm *s, int timeout_ms)
{
	struct pollfd p = { .fd = rpc_get_fd(s->rpc), .events = (short)rpc_which_events(s->rpc) };
	int n = poll(&p, 1, timeout_ms);
	if (n < 0 && errno != EINTR)
		die("poll", NULL);
	if (rpc_service(s->rpc, n > 0 ? p.revents : 0) < 0) {
		if (!s->setup)
			die("rpc_service", s->rpc);
		s->broken = true;
	}
}

static void wait_done(struct storm *s, bool *flag)
{
	while (!*flag && !s->broken)
		service(s, 100);
}

static bool connect_sync(struct storm *s, const char *server, int prog, int vers)
{
	struct sync_res r = { 0 };
	if (rpc_connect_program_async(s->rpc, server, prog, vers, connect_cb, &r) != 0)
		return false;
	wait_done(s, &r.done);
	return !s->broken && r.done && r.status == RPC_STATUS_SUCCESS;
}

static void getattr_sync_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct sync_res *r = priv;
	r->status = status;
	r->done = true;
	if (status == RPC_STATUS_SUCCESS)
		r->nfsstat = ((GETATTR3res *)data)->status;
}

/* mount_root: MNT EXPORT, then the NFS connection and one GETATTR of the
 * root (after which the server counts the connection as the Pi's). A
 * connection refused or reset on the way is retried like the kernel and
 * klibc nfsmount do (at most 8 times, 0.1 s doubling up to 2 s). */
static bool mount_root(struct storm *s, const char *server, const char *export)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		if (attempt) {
			s->reconnects++;
			int ms = 100 << (attempt - 1);
			struct timespec ts = { .tv_sec = (ms > 2000 ? 2000 : ms) / 1000,
				.tv_nsec = ((ms > 2000 ? 2000 : ms) % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (s->rpc)
			rpc_destroy_context(s->rpc);
		s->rpc = rpc_init_context();
		if (!s->rpc)
			die("rpc_init_context", NULL);
		s->broken = false;
		if (!connect_sync(s, server, MOUNT_PROGRAM, MOUNT_V3))
			continue;
		struct sync_res m = { 0 };
		if (rpc_mount3_mnt_async(s->rpc, mnt_cb, (char *)(uintptr_t)export, &m) != 0)
			continue;
		wait_done(s, &m.done);
		if (s->broken || !m.done)
			continue;
		if (m.status != RPC_STATUS_SUCCESS || m.nfsstat != MNT3_OK) {
			fprintf(stderr, "nfs_storm: MNT %s: status %d mountstat %d\n", export, m.status, m.nfsstat);
			return false;
		}
		rpc_destroy_context(s->rpc);
		s->rpc = rpc_init_context();
		if (!s->rpc)
			die("rpc_init_context", NULL);
		if (!connect_sync(s, server, NFS_PROGRAM, NFS_V3))
			continue;
		struct sync_res g = { 0 };
		GETATTR3args a = { .object = fh3(&m.fh) };
		if (rpc_nfs3_getattr_async(s->rpc, getattr_sync_cb, &a, &g) != 0)
			continue;
		wait_done(s, &g.done);
		if (s->broken || !g.done || g.status != RPC_STATUS_SUCCESS || g.nfsstat != NFS3_OK)
			continue;
		hget(s, "/", true)->fh = m.fh;
		return true;
	}
	return false;
}

/* resolve PATH with LOOKUPs from its deepest cached ancestor; only called
 * with nothing in flight. NULL when a component is missing. */
static struct fh *resolve(struct storm *s, const char *path)
{
	struct hent *e = hget(s, path, false);
	if (e)
		return &e->fh;
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path + strlen(path) - 1)
		return NULL;
	char *parent = strndup(path, (size_t)(slash - path));
	if (!parent)
		die("out of memory", NULL);
	struct fh *pf = resolve(s, *parent ? parent : "/");
	free(parent);
	if (!pf)
		return NULL;
	struct sync_res r = { 0 };
	LOOKUP3args a = { .what = { .dir = fh3(pf), .name = (char *)(uintptr_t)(slash + 1) } };
	if (rpc_nfs3_lookup_async(s->rpc, lookup_sync_cb, &a, &r) != 0)
		die("lookup", s->rpc);
	s->extra_lookups++;
	wait_done(s, &r.done);
	if (r.status != RPC_STATUS_SUCCESS || r.nfsstat != NFS3_OK)
		return NULL;
	e = hget(s, path, true);
	e->fh = r.fh;
	return &e->fh;
}

/* ------------------------------------------------------------ replay */

static const char *const PROCS[] = { "NULL", "GETATTR", "SETATTR", "LOOKUP", "ACCESS", "READLINK",
	"READ", "WRITE", "CREATE", "MKDIR", "SYMLINK", "MKNOD", "REMOVE", "RMDIR", "RENAME", "LINK",
	"READDIR", "READDIRPLUS", "FSSTAT", "FSINFO", "PATHCONF", "COMMIT" };

static const struct {
	const char *name;
	int code;
} STATS[] = { { "OK", 0 }, { "PERM", 1 }, { "NOENT", 2 }, { "IO", 5 }, { "ACCES", 13 },
	{ "EXIST", 17 }, { "NOTDIR", 20 }, { "ISDIR", 21 }, { "INVAL", 22 }, { "NOSPC", 28 },
	{ "ROFS", 30 }, { "NOTEMPTY", 66 }, { "STALE", 70 } };

static int stat_code(const char *s)
{
	for (size_t i = 0; i < sizeof(STATS) / sizeof(STATS[0]); i++)
		if (strcmp(STATS[i].name, s) == 0)
			return STATS[i].code;
	return -1;
}

/* extra_get "a=1,b=2" "b" -> "2" (static buffer) or NULL. */
static const char *extra_get(const char *extra, const char *key)
{
	static char buf[512];
	size_t kl = strlen(key);
	for (const char *p = extra; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > kl && strncmp(p, key, kl) == 0 && p[kl] == '=' && len - kl - 1 < sizeof(buf)) {
			memcpy(buf, p + kl + 1, len - kl - 1);
			buf[len - kl - 1] = 0;
			return buf;
		}
		p = end ? end + 1 : NULL;
	}
	return NULL;
}

static void reply_cb(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct pending *pd = priv;
	struct storm *s = pd->s;
	struct call *c = &s->calls[pd->idx];
	s->inflight--;
	s->lat[s->done++] = now() - pd->t0;
	int got = status == RPC_STATUS_SUCCESS && data ? (int)*(nfsstat3 *)data : -1;
	int want = stat_code(c->status);
	if (got != want) {
		if (s->errors < 5 || s->verbose)
			fprintf(stderr, "nfs_storm: call %d %s %s %s: status %d, recorded %s\n", pd->idx,
				PROCS[c->proc], c->path, c->name, got, c->status);
		s->errors++;
	} else if (got == NFS3_OK) {
		const post_op_fh3 *obj = NULL;
		if (c->proc == 3)
			cache_put(s, pd->newpath, &((LOOKUP3res *)data)->LOOKUP3res_u.resok.object);
		else if (c->proc == 8)
			obj = &((CREATE3res *)data)->CREATE3res_u.resok.obj;
		else if (c->proc == 9)
			obj = &((MKDIR3res *)data)->MKDIR3res_u.resok.obj;
		else if (c->proc == 10)
			obj = &((SYMLINK3res *)data)->SYMLINK3res_u.resok.obj;
		if (obj && obj->handle_follows)
			cache_put(s, pd->newpath, &obj->post_op_fh3_u.handle);
		if (c->proc == 17) {
			READDIRPLUS3resok *ok = &((READDIRPLUS3res *)data)->READDIRPLUS3res_u.resok;
			struct hent *d = hget(s, pd->dirpath, true);
			memcpy(d->verf, ok->cookieverf, sizeof(d->verf));
			for (entryplus3 *e = ok->reply.entries; e; e = e->nextentry) {
				d->cookie = e->cookie;
				if (!e->name_handle.handle_follows || !strcmp(e->name, ".") || !strcmp(e->name, ".."))
					continue;
				char *p = join(pd->dirpath, e->name);
				cache_put(s, p, &e->name_handle.post_op_fh3_u.handle);
				free(p);
			}
		}
	}
	free(pd->newpath);
	free(pd->dirpath);
	free(pd);
}

static void sattr_from(sattr3 *a, const char *extra)
{
	const char *v;
	memset(a, 0, sizeof(*a));
	if ((v = extra_get(extra, "mode"))) {
		a->mode.set_it = 1;
		a->mode.set_mode3_u.mode = (mode3)strtoul(v, NULL, 10);
	}
	if ((v = extra_get(extra, "size"))) {
		a->size.set_it = 1;
		a->size.set_size3_u.size = strtoull(v, NULL, 10);
	}
}

/* send call IDX; false when it was skipped. */
static bool send_call(struct storm *s, int idx)
{
	struct call *c = &s->calls[idx];
	if (c->path[0] != '/' || c->proc == 0 || c->proc == 11 || c->proc == 16 || stat_code(c->status) < 0)
		return false;
	struct hent *e = hget(s, c->path, false);
	struct fh *f = e ? &e->fh : NULL;
	if (!f) {
		while (s->inflight > 0)
			service(s, 100);
		f = resolve(s, c->path);
		if (!f) {
			if (s->errors < 5 || s->verbose)
				fprintf(stderr, "nfs_storm: call %d %s: cannot resolve %s\n", idx, PROCS[c->proc], c->path);
			s->errors++;
			return true;
		}
	}
	struct fh obj = *f, to = { 0 };
	const char *tgt = extra_get(c->extra, "to");
	char *topath = NULL;
	if ((c->proc == 14 || c->proc == 15) && tgt) {
		topath = xstrdup(tgt);
		char *sl = strrchr(topath, '/');
		*sl = 0;
		struct fh *tf = resolve(s, *topath ? topath : "/");
		if (!tf) {
			s->errors++;
			free(topath);
			return true;
		}
		to = *tf;
		*sl = '/';
	}
	struct pending *pd = calloc(1, sizeof(*pd));
	if (!pd)
		die("out of memory", NULL);
	pd->s = s;
	pd->idx = idx;
	pd->t0 = now();
	pd->dirpath = xstrdup(c->path);
	if (strcmp(c->name, "-") != 0)
		pd->newpath = join(c->path, c->name);
	nfs_fh3 h = fh3(&obj);
	diropargs3 where = { .dir = h, .name = c->name };
	int rc;
	switch (c->proc) {
	case 1: { GETATTR3args a = { .object = h }; rc = rpc_nfs3_getattr_async(s->rpc, reply_cb, &a, pd); break; }
	case 2: { SETATTR3args a = { .object = h }; sattr_from(&a.new_attributes, c->extra);
		rc = rpc_nfs3_setattr_async(s->rpc, reply_cb, &a, pd); break; }
	case 3: { LOOKUP3args a = { .what = where }; rc = rpc_nfs3_lookup_async(s->rpc, reply_cb, &a, pd); break; }
	case 4: { const char *v = extra_get(c->extra, "access");
		ACCESS3args a = { .object = h, .access = v ? (uint32_t)strtoul(v, NULL, 16) : 0x1f };
		rc = rpc_nfs3_access_async(s->rpc, reply_cb, &a, pd); break; }
	case 5: { READLINK3args a = { .symlink = h }; rc = rpc_nfs3_readlink_async(s->rpc, reply_cb, &a, pd); break; }
	case 6: { READ3args a = { .file = h, .offset = c->off, .count = c->count };
		rc = rpc_nfs3_read_async(s->rpc, reply_cb, &a, pd); break; }
	case 7: { const char *v = extra_get(c->extra, "stable");
		WRITE3args a = { .file = h, .offset = c->off, .count = c->count > WMAX ? WMAX : c->count,
			.stable = v ? (stable_how)strtol(v, NULL, 10) : UNSTABLE };
		a.data.data_len = a.count;
		a.data.data_val = s->wbuf;
		rc = rpc_nfs3_write_async(s->rpc, reply_cb, &a, pd); break; }
	case 8: { CREATE3args a = { .where = where }; const char *v = extra_get(c->extra, "how");
		int how = v ? (int)strtol(v, NULL, 10) : 0;
		a.how.mode = how == 2 ? EXCLUSIVE : how == 1 ? GUARDED : UNCHECKED;
		if (how == 2)
			memcpy(a.how.createhow3_u.verf, &idx, sizeof(idx));
		else
			sattr_from(&a.how.createhow3_u.obj_attributes, c->extra);
		rc = rpc_nfs3_create_async(s->rpc, reply_cb, &a, pd); break; }
	case 9: { MKDIR3args a = { .where = where }; sattr_from(&a.attributes, c->extra);
		rc = rpc_nfs3_mkdir_async(s->rpc, reply_cb, &a, pd); break; }
	case 10: { SYMLINK3args a = { .where = where };
		a.symlink.symlink_data = (char *)(uintptr_t)(tgt ? tgt : "x");
		rc = rpc_nfs3_symlink_async(s->rpc, reply_cb, &a, pd); break; }
	case 12: { REMOVE3args a = { .object = where }; rc = rpc_nfs3_remove_async(s->rpc, reply_cb, &a, pd); break; }
	case 13: { RMDIR3args a = { .object = where }; rc = rpc_nfs3_rmdir_async(s->rpc, reply_cb, &a, pd); break; }
	case 14: { RENAME3args a = { .from = where, .to = { .dir = fh3(&to), .name = strrchr(topath, '/') + 1 } };
		rc = rpc_nfs3_rename_async(s->rpc, reply_cb, &a, pd); break; }
	case 15: { LINK3args a = { .file = h, .link = { .dir = fh3(&to), .name = strrchr(topath, '/') + 1 } };
		rc = rpc_nfs3_link_async(s->rpc, reply_cb, &a, pd); break; }
	case 17: { READDIRPLUS3args a = { .dir = h, .dircount = 65536, .maxcount = c->count ? c->count : 65536 };
		const char *ck = extra_get(c->extra, "cookie");
		if (ck && strcmp(ck, "cont") == 0 && e) {
			a.cookie = e->cookie;
			memcpy(a.cookieverf, e->verf, sizeof(a.cookieverf));
		}
		rc = rpc_nfs3_readdirplus_async(s->rpc, reply_cb, &a, pd); break; }
	case 18: { FSSTAT3args a = { .fsroot = h }; rc = rpc_nfs3_fsstat_async(s->rpc, reply_cb, &a, pd); break; }
	case 19: { FSINFO3args a = { .fsroot = h }; rc = rpc_nfs3_fsinfo_async(s->rpc, reply_cb, &a, pd); break; }
	case 20: { PATHCONF3args a = { .object = h }; rc = rpc_nfs3_pathconf_async(s->rpc, reply_cb, &a, pd); break; }
	case 21: { COMMIT3args a = { .file = h, .offset = c->off, .count = c->count };
		rc = rpc_nfs3_commit_async(s->rpc, reply_cb, &a, pd); break; }
	default: rc = -2;
	}
	free(topath);
	if (rc != 0) {
		free(pd->newpath);
		free(pd->dirpath);
		free(pd);
		if (rc == -2)
			return false;
		die("send", s->rpc);
	}
	s->inflight++;
	if (s->inflight > s->max_inflight)
		s->max_inflight = s->inflight;
	return true;
}

/* ------------------------------------------------------------ trace */

static int proc_code(const char *name)
{
	for (int i = 0; i < (int)(sizeof(PROCS) / sizeof(PROCS[0])); i++)
		if (strcmp(PROCS[i], name) == 0)
			return i;
	return -1;
}

/* load_trace: lines "seq t_ms inflight proc path name offset count extra
 * status" (tabs); '#' lines are comments. At most MAX calls. */
static int load_trace(struct storm *s, const char *file, int max)
{
	FILE *fp = fopen(file, "r");
	if (!fp)
		die("cannot open the trace", NULL);
	char *line = NULL;
	size_t cap = 0;
	int n = 0, alloc = 0;
	while (getline(&line, &cap, fp) > 0 && n < max) {
		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = 0;
		char *f[10], *save = NULL;
		int k = 0;
		for (char *t = strtok_r(line, "\t", &save); t && k < 10; t = strtok_r(NULL, "\t", &save))
			f[k++] = t;
		if (k != 10) {
			fprintf(stderr, "nfs_storm: bad trace line %d (%d fields)\n", n, k);
			exit(1);
		}
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			s->calls = realloc(s->calls, (size_t)alloc * sizeof(*s->calls));
			if (!s->calls)
				die("out of memory", NULL);
		}
		struct call *c = &s->calls[n++];
		c->depth = (int)strtol(f[2], NULL, 10);
		if (c->depth < 1)
			c->depth = 1;
		if (c->depth > MAXDEPTH)
			c->depth = MAXDEPTH;
		c->proc = proc_code(f[3]);
		c->path = xstrdup(f[4]);
		c->name = xstrdup(f[5]);
		c->off = strtoull(f[6], NULL, 10);
		c->count = (uint32_t)strtoul(f[7], NULL, 10);
		c->extra = xstrdup(f[8]);
		c->status = xstrdup(f[9]);
	}
	free(line);
	fclose(fp);
	return n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: nfs_storm -s SERVER -e EXPORT -t TRACE [-n MAXCALLS] [-i ID] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *server = NULL, *export = NULL, *trace = NULL, *id = "-";
	int max = 1 << 30, opt;
	static struct storm s;
	while ((opt = getopt(argc, argv, "s:e:t:n:i:v")) != -1) {
		switch (opt) {
		case 's': server = optarg; break;
		case 'e': export = optarg; break;
		case 't': trace = optarg; break;
		case 'n': max = (int)strtol(optarg, NULL, 10); break;
		case 'i': id = optarg; break;
		case 'v': s.verbose = true; break;
		default: usage();
		}
	}
	if (!server || !export || !trace || max < 1)
		usage();
	s.ncalls = load_trace(&s, trace, max);
	s.lat = calloc((size_t)s.ncalls + 1, sizeof(double));
	s.wbuf = malloc(WMAX);
	if (!s.lat || !s.wbuf)
		die("out of memory", NULL);
	for (uint32_t i = 0; i < WMAX; i++)
		s.wbuf[i] = (char)(i * 2654435761u >> 24);

	double t_start = now();
	s.setup = true;
	if (!mount_root(&s, server, export)) {
		fprintf(stderr, "nfs_storm: could not mount %s (%d reconnects)\n", export, s.reconnects);
		return 1;
	}
	s.setup = false;

	for (int i = 0; i < s.ncalls; i++) {
		while (s.inflight >= s.calls[i].depth)
			service(&s, 100);
		if (!send_call(&s, i))
			s.skipped++;
	}
	while (s.inflight > 0)
		service(&s, 100);
	double secs = now() - t_start;
	qsort(s.lat, s.done, sizeof(double), cmp_d);
	double p50 = s.done ? s.lat[s.done / 2] : 0, p99 = s.done ? s.lat[(s.done * 99) / 100] : 0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
		     (double)ru.ru_stime.tv_usec / 1e6;
	printf("PI id=%s calls=%" PRIu64 " skipped=%" PRIu64 " errors=%" PRIu64 " extra_lookups=%" PRIu64
	       " secs=%.3f p50_ms=%.3f p99_ms=%.3f max_inflight=%d reconnects=%d cpu_s=%.3f\n",
	       id, s.done, s.skipped, s.errors, s.extra_lookups, secs, p50 * 1e3, p99 * 1e3, s.max_inflight,
	       s.reconnects, cpu);
	rpc_destroy_context(s.rpc);
	return s.errors ? 3 : 0;
}
