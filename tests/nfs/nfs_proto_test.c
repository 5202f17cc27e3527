/* nfs_proto_test.c - protocol tests of pinetboot's NFSv3 server, from a
 * client namespace, with libnfs (sync API for the common paths, raw RPC
 * calls for NULL, READDIR, PATHCONF, NFSACL, odd names and forged
 * handles) plus a hand-written RPC writer for the crash test. Prints TAP
 * lines; tests/integ/t_nfs_proto.sh runs it. Modes:
 *   basic SERVER EXPORT SERVERDIR FH_OUT   every procedure, results checked on the server side
 *   foreign SERVER EXPORT FH_IN            another client's handle must be refused
 *   denied SERVER EXPORT                   MNT of another client's export must fail
 *   overlay SERVER EXPORT SERVERDIR        handles survive overlayfs copy-up
 *   crash SERVER EXPORT NAME MB            UNSTABLE writes + COMMIT across server restarts
 *   readall SERVER EXPORT WRITEPATH        read every object (READDIRPLUS, LOOKUP, GETATTR,
 *                                          ACCESS, READ, READLINK), then write WRITEPATH
 *   steady SERVER EXPORT SECONDS           one connection (no reconnects) making calls for
 *                                          SECONDS; every call must succeed
 *   setid SERVER EXPORT PATH UID GID       WRITE to PATH as AUTH_SYS UID:GID */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

/* libnfs 4.0 returns struct nfs_fh from nfs_get_fh() but keeps its
 * definition private (libnfs-private.h); this is that layout. */
struct nfs_fh {
	int len;
	char *val;
};

static void pattern(uint8_t *p, size_t n, uint64_t off);

static int tap_n;
static int failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;
	char d[256];
	va_start(ap, fmt);
	vsnprintf(d, sizeof(d), fmt, ap);
	va_end(ap);
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_n, d);
	if (!ok)
		failures++;
	fflush(stdout);
}

/* ------------------------------------------------------------ raw calls */

struct raw {
	bool done;
	int rpc_status;
	int nfs_status;
	fattr3 attr;
	bool have_attr;
	nfs_fh3 fh;
	char fhbuf[64];
	int entries;
};

static void raw_wait(struct nfs_context *nfs, struct raw *r)
{
	for (int i = 0; i < 100 && !r->done; i++) {
		struct pollfd p = { nfs_get_fd(nfs), (short)nfs_which_events(nfs), 0 };
		if (poll(&p, 1, 100) < 0)
			break;
		if (nfs_service(nfs, p.revents) < 0)
			break;
	}
}

static void cb_status(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw *r = priv;
	r->done = true;
	r->rpc_status = status;
	if (status == RPC_STATUS_SUCCESS && data)
		r->nfs_status = *(int *)data; /* every *3res starts with nfsstat3 */
}

static void cb_getattr(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw *r = priv;
	cb_status(rpc, status, data, priv);
	GETATTR3res *res = data;
	if (status == RPC_STATUS_SUCCESS && res->status == NFS3_OK) {
		r->attr = res->GETATTR3res_u.resok.obj_attributes;
		r->have_attr = true;
	}
}

static void cb_lookup(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw *r = priv;
	cb_status(rpc, status, data, priv);
	LOOKUP3res *res = data;
	if (status == RPC_STATUS_SUCCESS && res->status == NFS3_OK) {
		LOOKUP3resok *ok = &res->LOOKUP3res_u.resok;
		if (ok->obj_attributes.attributes_follow) {
			r->attr = ok->obj_attributes.post_op_attr_u.attributes;
			r->have_attr = true;
		}
		r->fh.data.data_len = ok->object.data.data_len;
		memcpy(r->fhbuf, ok->object.data.data_val, ok->object.data.data_len);
		r->fh.data.data_val = r->fhbuf;
	}
}

static void cb_readdir(struct rpc_context *rpc, int status, void *data, void *priv)
{
	struct raw *r = priv;
	cb_status(rpc, status, data, priv);
	READDIR3res *res = data;
	if (status == RPC_STATUS_SUCCESS && res->status == NFS3_OK)
		for (entry3 *e = res->READDIR3res_u.resok.reply.entries; e; e = e->nextentry)
			r->entries++;
}

static struct raw raw_getattr(struct nfs_context *nfs, const void *fh, unsigned len)
{
	struct raw r = { 0 };
	GETATTR3args a;
	memset(&a, 0, sizeof(a));
	a.object.data.data_len = len;
	a.object.data.data_val = (char *)(uintptr_t)fh;
	if (rpc_nfs3_getattr_async(nfs_get_rpc_context(nfs), cb_getattr, &a, &r) == 0)
		raw_wait(nfs, &r);
	return r;
}

static struct raw raw_lookup(struct nfs_context *nfs, const struct nfs_fh *dir, const char *name)
{
	struct raw r = { 0 };
	LOOKUP3args a;
	memset(&a, 0, sizeof(a));
	a.what.dir.data.data_len = (u_int)dir->len;
	a.what.dir.data.data_val = dir->val;
	a.what.name = (char *)(uintptr_t)name;
	if (rpc_nfs3_lookup_async(nfs_get_rpc_context(nfs), cb_lookup, &a, &r) == 0)
		raw_wait(nfs, &r);
	return r;
}

static const char *srvpath(const char *dir, const char *name)
{
	static char p[2][4096];
	static int k;
	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* stat on the server side, zeroed when missing; call it before check()
 * so the description shows the values the condition tested. */
static struct stat sst(const char *dir, const char *name)
{
	struct stat st;
	if (stat(srvpath(dir, name), &st) < 0)
		memset(&st, 0, sizeof(st));
	return st;
}

static struct nfs_context *mount_or_null(const char *server, const char *export, char *err, size_t errlen)
{
	struct nfs_context *nfs = nfs_init_context();
	if (!nfs)
		return NULL;
	nfs_set_version(nfs, NFS_V3);
	nfs_set_timeout(nfs, 10000);
	if (nfs_mount(nfs, server, export) != 0) {
		snprintf(err, errlen, "%s", nfs_get_error(nfs));
		nfs_destroy_context(nfs);
		return NULL;
	}
	return nfs;
}

/* The handle of an open file, as the server sent it. */
static bool file_fh(struct nfs_context *nfs, const char *path, uint8_t *out, unsigned *len)
{
	struct nfsfh *f;
	if (nfs_open(nfs, path, O_RDONLY, &f) != 0)
		return false;
	struct nfs_fh *fh = nfs_get_fh(f);
	*len = (unsigned)fh->len;
	memcpy(out, fh->val, *len);
	nfs_close(nfs, f);
	return true;
}

/* ------------------------------------------------------------ basic */

static int mode_basic(const char *server, const char *export, const char *sd, const char *fh_out)
{
	char err[256] = "";
	struct stat st;
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs != NULL, "MNT %s %s", export, err);
	if (!nfs)
		return 1;
	struct nfs_stat_64 ns;
	struct nfsfh *f;
	char buf[8192];
	bool ok;

	/* NULL, FSINFO (during mount), GETATTR, LOOKUP hit/miss, READ */
	struct raw r = { 0 };
	rpc_nfs3_null_async(nfs_get_rpc_context(nfs), cb_status, &r);
	raw_wait(nfs, &r);
	check(r.done && r.rpc_status == RPC_STATUS_SUCCESS, "NULL");
	check(nfs_get_readmax(nfs) >= 65536, "FSINFO rtmax %" PRIu64, nfs_get_readmax(nfs));
	memset(&ns, 0, sizeof(ns));
	ok = nfs_stat64(nfs, "/hello.txt", &ns) == 0;
	check(ok && ns.nfs_size == 6 && (ns.nfs_mode & 07777) == 0644,
	      "GETATTR hello.txt size %" PRIu64 " mode %o", ns.nfs_size, (unsigned)(ns.nfs_mode & 07777));
	check(nfs_stat64(nfs, "/nonexistent", &ns) == -ENOENT, "LOOKUP miss -> NOENT");
	int n = -1;
	if (nfs_open(nfs, "/hello.txt", O_RDONLY, &f) == 0) {
		n = nfs_read(nfs, f, sizeof(buf), buf);
		nfs_close(nfs, f);
	}
	check(n == 6 && !memcmp(buf, "hello\n", 6), "READ hello.txt");

	/* CREATE with an exact mode (no umask), WRITE + COMMIT */
	ok = nfs_creat(nfs, "/made.txt", 0640, &f) == 0;
	if (ok) {
		ok = nfs_write(nfs, f, 11, "0123456789\n") == 11 && nfs_fsync(nfs, f) == 0;
		nfs_close(nfs, f);
	}
	st = sst(sd, "made.txt");
	check(ok && (st.st_mode & 07777) == 0640 && st.st_size == 11,
	      "CREATE 0640 + WRITE + COMMIT (server sees mode %o size %lld)", (unsigned)(st.st_mode & 07777),
	      (long long)st.st_size);

	/* A sparse file larger than 4 GiB */
	uint64_t big = (5ull << 30) + 123;
	ok = nfs_creat(nfs, "/sparse.bin", 0600, &f) == 0;
	if (ok) {
		ok = nfs_pwrite(nfs, f, big, 4, "tail") == 4;
		nfs_close(nfs, f);
	}
	st = sst(sd, "sparse.bin");
	check(ok && (uint64_t)st.st_size == big + 4 && st.st_blocks < 1024,
	      "WRITE at 5 GiB: sparse, size %lld blocks %lld", (long long)st.st_size, (long long)st.st_blocks);
	n = -1;
	if (nfs_open(nfs, "/sparse.bin", O_RDONLY, &f) == 0) {
		n = nfs_pread(nfs, f, big, 4, buf);
		nfs_close(nfs, f);
	}
	check(n == 4 && !memcmp(buf, "tail", 4), "READ beyond 4 GiB");

	/* SETATTR: mode, owner, size, times */
	struct timeval tv[2] = { { 1000000000, 0 }, { 1200000000, 0 } };
	ok = nfs_chmod(nfs, "/made.txt", 04751) == 0 && nfs_chown(nfs, "/made.txt", 1234, 5678) == 0 &&
	     nfs_truncate(nfs, "/made.txt", 3) == 0 && nfs_utimes(nfs, "/made.txt", tv) == 0;
	st = sst(sd, "made.txt");
	check(ok && (st.st_mode & 07777) == 0751 && st.st_uid == 1234 &&
		      st.st_gid == 5678 && st.st_size == 3 && st.st_mtime == 1200000000 && st.st_atime == 1000000000,
	      "SETATTR mode/uid/gid/size/times (mode %o uid %u gid %u)", (unsigned)(st.st_mode & 07777),
	      (unsigned)st.st_uid, (unsigned)st.st_gid);

	/* MKDIR, RMDIR of a non-empty dir, SYMLINK, READLINK, LINK, RENAME */
	ok = nfs_mkdir(nfs, "/dir") == 0 && nfs_mkdir(nfs, "/dir/sub") == 0;
	check(ok && stat(srvpath(sd, "dir/sub"), &st) == 0 && S_ISDIR(st.st_mode), "MKDIR");
	check(nfs_rmdir(nfs, "/dir") == -ENOTEMPTY, "RMDIR non-empty -> NOTEMPTY");
	check(nfs_rmdir(nfs, "/dir/sub") == 0 && stat(srvpath(sd, "dir/sub"), &st) < 0, "RMDIR");
	ok = nfs_symlink(nfs, "../usr/lib/target", "/link") == 0;
	char lt[256] = "";
	ssize_t ln = readlink(srvpath(sd, "link"), lt, sizeof(lt) - 1);
	check(ok && ln == 17 && !strncmp(lt, "../usr/lib/target", 17), "SYMLINK (server sees the target)");
	memset(buf, 0, sizeof(buf));
	check(nfs_readlink(nfs, "/link", buf, sizeof(buf)) == 0 && !strcmp(buf, "../usr/lib/target"), "READLINK");
	ok = nfs_link(nfs, "/hello.txt", "/dir/hard") == 0;
	st = sst(sd, "hello.txt");
	check(ok && st.st_nlink == 2, "LINK (nlink %u)", (unsigned)st.st_nlink);
	check(nfs_rename(nfs, "/dir/hard", "/dir/renamed") == 0 && stat(srvpath(sd, "dir/renamed"), &st) == 0 &&
		      stat(srvpath(sd, "dir/hard"), &st) < 0,
	      "RENAME");
	check(nfs_rename(nfs, "/missing", "/x") == -ENOENT, "RENAME missing -> NOENT");

	/* MKNOD: character device, FIFO */
	ok = nfs_mknod(nfs, "/null", S_IFCHR | 0666, makedev(1, 3)) == 0;
	check(ok && stat(srvpath(sd, "null"), &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
		      minor(st.st_rdev) == 3 && (st.st_mode & 07777) == 0666,
	      "MKNOD chr 1,3");
	ok = nfs_mknod(nfs, "/fifo", S_IFIFO | 0600, 0) == 0;
	check(ok && stat(srvpath(sd, "fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "MKNOD fifo");

	/* REMOVE, READDIRPLUS, READDIR, FSSTAT, PATHCONF, ACCESS */
	check(nfs_unlink(nfs, "/fifo") == 0 && stat(srvpath(sd, "fifo"), &st) < 0, "REMOVE");
	check(nfs_unlink(nfs, "/fifo") == -ENOENT, "REMOVE missing -> NOENT");
	struct nfsdir *d;
	int seen = 0;
	if (nfs_opendir(nfs, "/", &d) == 0) {
		struct nfsdirent *e;
		while ((e = nfs_readdir(nfs, d)))
			if (!strcmp(e->name, "made.txt") || !strcmp(e->name, "link") || !strcmp(e->name, "null"))
				seen++;
		nfs_closedir(nfs, d);
	}
	check(seen == 3, "READDIRPLUS lists the new entries (%d/3)", seen);
	/* many entries: cookies must let the client continue */
	nfs_mkdir(nfs, "/many");
	for (int i = 0; i < 600; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/many/a-rather-long-file-name-number-%04d", i);
		if (nfs_creat(nfs, p, 0644, &f) == 0)
			nfs_close(nfs, f);
	}
	seen = 0;
	if (nfs_opendir(nfs, "/many", &d) == 0) {
		while (nfs_readdir(nfs, d))
			seen++;
		nfs_closedir(nfs, d);
	}
	check(seen == 602, "READDIRPLUS over several replies (%d entries)", seen);

	uint8_t root[64];
	unsigned rootlen = 0;
	struct nfs_fh rootfh;
	/* the root handle: LOOKUP "." from a file's handle is not possible, so
	 * take it from a LOOKUP of ".." in /dir */
	uint8_t dfh[64];
	unsigned dlen = 0;
	struct nfsfh *df;
	if (nfs_open(nfs, "/dir", O_RDONLY, &df) == 0) {
		struct nfs_fh *x = nfs_get_fh(df);
		dlen = (unsigned)x->len;
		memcpy(dfh, x->val, dlen);
		nfs_close(nfs, df);
	}
	struct nfs_fh dirfh = { (int)dlen, (char *)dfh };
	r = raw_lookup(nfs, &dirfh, "..");
	if (r.nfs_status == NFS3_OK) {
		rootlen = r.fh.data.data_len;
		memcpy(root, r.fhbuf, rootlen);
	}
	check(dlen && r.nfs_status == NFS3_OK, "LOOKUP .. (status %d)", r.nfs_status);
	rootfh.len = (int)rootlen;
	rootfh.val = (char *)root;
	r = raw_lookup(nfs, &rootfh, "..");
	struct raw r2 = raw_lookup(nfs, &rootfh, ".");
	check(r.nfs_status == NFS3_OK && r2.nfs_status == NFS3_OK && r.have_attr && r2.have_attr &&
		      r.attr.fileid == r2.attr.fileid,
	      "LOOKUP .. at the export root stays at the root");
	r = raw_lookup(nfs, &rootfh, "dir/sub");
	check(r.done && r.nfs_status != NFS3_OK, "LOOKUP of a name with '/' refused (status %d)", r.nfs_status);
	r = raw_lookup(nfs, &dirfh, "../../../..");
	check(r.done && r.nfs_status != NFS3_OK, "LOOKUP '../../../..' refused (status %d)", r.nfs_status);

	r = (struct raw){ 0 };
	READDIR3args ra;
	memset(&ra, 0, sizeof(ra));
	ra.dir.data.data_len = rootlen;
	ra.dir.data.data_val = (char *)root;
	ra.count = 4096;
	rpc_nfs3_readdir_async(nfs_get_rpc_context(nfs), cb_readdir, &ra, &r);
	raw_wait(nfs, &r);
	check(r.done && r.nfs_status == NFS3_OK && r.entries > 3, "READDIR (%d entries)", r.entries);
	ra.count = 8;
	r = (struct raw){ 0 };
	rpc_nfs3_readdir_async(nfs_get_rpc_context(nfs), cb_readdir, &ra, &r);
	raw_wait(nfs, &r);
	check(r.done && r.nfs_status == NFS3ERR_TOOSMALL, "READDIR count 8 -> TOOSMALL (%d)", r.nfs_status);

	struct statvfs sv;
	check(nfs_statvfs(nfs, "/", &sv) == 0 && sv.f_blocks > 0, "FSSTAT");
	r = (struct raw){ 0 };
	PATHCONF3args pa;
	memset(&pa, 0, sizeof(pa));
	pa.object.data.data_len = rootlen;
	pa.object.data.data_val = (char *)root;
	rpc_nfs3_pathconf_async(nfs_get_rpc_context(nfs), cb_status, &pa, &r);
	raw_wait(nfs, &r);
	check(r.done && r.nfs_status == NFS3_OK, "PATHCONF");
	check(nfs_access(nfs, "/hello.txt", R_OK | W_OK) == 0, "ACCESS as root");

	/* NFSACL: the kernel pings it; we must answer (PROG_UNAVAIL). */
	r = (struct raw){ 0 };
	rpc_nfsacl_null_async(nfs_get_rpc_context(nfs), cb_status, &r);
	raw_wait(nfs, &r);
	check(r.done && r.rpc_status != RPC_STATUS_SUCCESS, "NFSACL NULL gets an error reply, not silence");

	/* Forged handles */
	uint8_t fh[64];
	unsigned fl = 0;
	check(file_fh(nfs, "/hello.txt", fh, &fl) && raw_getattr(nfs, fh, fl).nfs_status == NFS3_OK,
	      "GETATTR by handle");
	int bad = 0;
	for (unsigned i = 0; i < fl; i++) {
		fh[i] ^= 0x10;
		r = raw_getattr(nfs, fh, fl);
		if (!r.done || (r.nfs_status != NFS3ERR_BADHANDLE && r.nfs_status != NFS3ERR_STALE &&
				r.nfs_status != NFS3ERR_ACCES))
			bad++;
		fh[i] ^= 0x10;
	}
	check(bad == 0, "every single bit-flipped handle refused (%u positions, %d accepted)", fl, bad);
	r = raw_getattr(nfs, fh, fl - 1);
	check(r.done && r.nfs_status == NFS3ERR_BADHANDLE, "truncated handle -> BADHANDLE (%d)", r.nfs_status);
	r = raw_getattr(nfs, fh, 0);
	check(r.done && r.nfs_status == NFS3ERR_BADHANDLE, "empty handle -> BADHANDLE (%d)", r.nfs_status);
	FILE *o = fopen(fh_out, "w");
	if (o) {
		for (unsigned i = 0; i < fl; i++)
			fprintf(o, "%02x", fh[i]);
		fclose(o);
	}

	/* A non-root user: files created with its ids; no write to root's file */
	nfs_chmod(nfs, "/dir", 0777);
	nfs_set_uid(nfs, 1000);
	nfs_set_gid(nfs, 1000);
	ok = nfs_creat(nfs, "/dir/user.txt", 0644, &f) == 0;
	if (ok)
		nfs_close(nfs, f);
	st = sst(sd, "dir/user.txt");
	check(ok && st.st_uid == 1000 && st.st_gid == 1000,
	      "CREATE as uid 1000 owns the file (%u:%u)", (unsigned)st.st_uid, (unsigned)st.st_gid);
	check(nfs_open(nfs, "/hello.txt", O_WRONLY, &f) != 0, "uid 1000 cannot write root's 0644 file");
	check(nfs_unlink(nfs, "/made.txt") == -EACCES, "uid 1000 cannot remove in root's 0755 dir");
	nfs_umount(nfs);
	nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

static bool parse_hex(const char *path, uint8_t *out, unsigned *len)
{
	FILE *f = fopen(path, "r");
	char s[260] = "";
	if (!f)
		return false;
	bool ok = fgets(s, sizeof(s), f) != NULL;
	fclose(f);
	*len = 0;
	for (size_t i = 0; ok && s[i] && s[i + 1] && *len < 64; i += 2) {
		unsigned v;
		if (sscanf(s + i, "%2x", &v) != 1)
			return false;
		out[(*len)++] = (uint8_t)v;
	}
	return ok && *len > 0;
}

static int mode_foreign(const char *server, const char *export, const char *fh_in)
{
	char err[256] = "";
	uint8_t fh[64];
	unsigned fl = 0;
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs != NULL, "MNT own export %s %s", export, err);
	check(parse_hex(fh_in, fh, &fl), "read the other client's handle");
	if (!nfs)
		return 1;
	struct raw r = raw_getattr(nfs, fh, fl);
	check(r.done && (r.nfs_status == NFS3ERR_ACCES || r.nfs_status == NFS3ERR_STALE ||
			 r.nfs_status == NFS3ERR_BADHANDLE),
	      "GETATTR with another client's handle refused (status %d)", r.nfs_status);
	nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

/* A handle minted before a server restart still works after it. */
static int mode_stable(const char *server, const char *export, const char *fh_in)
{
	char err[256] = "";
	uint8_t fh[64];
	unsigned fl = 0;
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs != NULL && parse_hex(fh_in, fh, &fl), "MNT %s after restart %s", export, err);
	if (!nfs)
		return 1;
	struct raw r = raw_getattr(nfs, fh, fl);
	check(r.nfs_status == NFS3_OK && r.have_attr && r.attr.size == 6,
	      "handle from before the restart still valid (status %d)", r.nfs_status);
	nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

/* Server side of the crash test: the file holds the writer's pattern. */
static int mode_verify(const char *path, int mb)
{
	size_t n = (size_t)mb << 20, bad = 0;
	uint8_t *want = malloc(1 << 20), *got = malloc(1 << 20);
	int fd = open(path, O_RDONLY);
	for (size_t off = 0; fd >= 0 && off < n; off += 1 << 20) {
		pattern(want, 1 << 20, off);
		if (pread(fd, got, 1 << 20, (off_t)off) != 1 << 20 || memcmp(want, got, 1 << 20))
			bad++;
	}
	check(fd >= 0 && bad == 0, "every committed byte is on disk (%zu bad MiB of %d)", bad, mb);
	if (fd >= 0)
		close(fd);
	free(want);
	free(got);
	return failures ? 1 : 0;
}

static int mode_denied(const char *server, const char *export)
{
	char err[256] = "";
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs == NULL && strstr(err, "ACCES"), "MNT %s refused: %s", export, err);
	if (nfs)
		nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

/* Handle taken before an overlayfs copy-up must work after it. */
static int mode_overlay(const char *server, const char *export, const char *sd)
{
	char err[256] = "";
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs != NULL, "MNT overlay export %s", err);
	if (!nfs)
		return 1;
	uint8_t fh[64];
	unsigned fl = 0;
	check(file_fh(nfs, "/lower.txt", fh, &fl), "handle of a lower-layer file");
	struct nfsfh *f;
	bool ok = nfs_open(nfs, "/lower.txt", O_WRONLY, &f) == 0;
	if (ok) {
		ok = nfs_pwrite(nfs, f, 0, 6, "UPPER\n") == 6;
		nfs_close(nfs, f);
	}
	check(ok, "write to it (copy-up)");
	struct raw r = raw_getattr(nfs, fh, fl);
	check(r.nfs_status == NFS3_OK, "old handle still valid after copy-up (status %d)", r.nfs_status);
	char buf[16] = "";
	int fd = open(srvpath(sd, "lower.txt"), O_RDONLY);
	if (fd >= 0) {
		if (read(fd, buf, 6) < 0)
			buf[0] = '\0';
		close(fd);
	}
	check(!strncmp(buf, "UPPER\n", 6), "server sees the new content through the overlay");
	nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ crash writer */

/* A minimal RPC client over TCP that reconnects when the server dies:
 * libnfs hides the write verifier, and this test is about it. */
struct rpcc {
	struct sockaddr_in sa;
	int fd;
	uint32_t xid;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool full_io(int fd, void *p, size_t n, bool wr)
{
	size_t d = 0;
	while (d < n) {
		ssize_t k = wr ? write(fd, (uint8_t *)p + d, n - d) : read(fd, (uint8_t *)p + d, n - d);
		if (k <= 0)
			return false;
		d += (size_t)k;
	}
	return true;
}

/* One call; returns the reply body length after the accepted header, or
 * -1 on a broken connection (the caller reconnects and retries). */
static ssize_t rpcc_call(struct rpcc *c, uint32_t proc, const uint8_t *args, size_t alen, uint8_t *reply,
			 size_t rcap)
{
	if (c->fd < 0) {
		c->fd = socket(AF_INET, SOCK_STREAM, 0);
		struct timeval tv = { 5, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(c->fd, (struct sockaddr *)&c->sa, sizeof(c->sa)) < 0) {
			close(c->fd);
			c->fd = -1;
			return -1;
		}
	}
	uint8_t *m = malloc(alen + 64);
	size_t o = 4;
	uint32_t hdr[] = { ++c->xid, 0, 2, 100003, 3, proc, 1, 20, 0, 0, 0, 0, 0, 0, 0 };
	/* AUTH_SYS: stamp, machinename "", uid 0, gid 0, no gids; verf NONE */
	for (size_t i = 0; i < sizeof(hdr) / 4; i++, o += 4)
		put32(m + o, hdr[i]);
	memcpy(m + o, args, alen);
	o += alen;
	put32(m, 0x80000000u | (uint32_t)(o - 4));
	bool ok = full_io(c->fd, m, o, true);
	free(m);
	uint8_t mark[4];
	if (!ok || !full_io(c->fd, mark, 4, false))
		goto broken;
	uint32_t len = get32(mark) & 0x7fffffffu;
	if (len < 24 || len > rcap)
		goto broken;
	if (!full_io(c->fd, reply, len, false) || get32(reply) != c->xid || get32(reply + 20) != 0)
		goto broken;
	memmove(reply, reply + 24, len - 24);
	return (ssize_t)(len - 24);
broken:
	close(c->fd);
	c->fd = -1;
	return -1;
}

static size_t put_fh(uint8_t *p, const uint8_t *fh, unsigned fl)
{
	put32(p, fl);
	memcpy(p + 4, fh, fl);
	size_t n = 4 + fl;
	while (n & 3)
		p[n++] = 0;
	return n;
}

static void pattern(uint8_t *p, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((uint32_t)((off + i) * 2654435761u) >> 13);
}

static int mode_crash(const char *server, const char *export, const char *name, int mb)
{
	char err[256] = "";
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs != NULL, "MNT %s", err);
	if (!nfs)
		return 1;
	struct nfsfh *f;
	char path[256];
	snprintf(path, sizeof(path), "/%s", name);
	uint8_t fh[64];
	unsigned fl = 0;
	bool ok = nfs_creat(nfs, path, 0644, &f) == 0;
	if (ok) {
		struct nfs_fh *x = nfs_get_fh(f);
		fl = (unsigned)x->len;
		memcpy(fh, x->val, fl);
		nfs_close(nfs, f);
	}
	nfs_destroy_context(nfs);
	check(ok, "CREATE %s", name);
	if (!ok)
		return 1;

	struct rpcc c = { .fd = -1, .xid = (uint32_t)time(NULL) };
	c.sa.sin_family = AF_INET;
	c.sa.sin_port = htons(2049);
	inet_pton(AF_INET, server, &c.sa.sin_addr);
	const size_t chunk = 256 << 10, batch = 8;
	size_t total = (size_t)mb << 20;
	uint8_t *args = malloc(chunk + 256), *rep = malloc(65536);
	uint64_t committed = 0;      /* everything below is on disk, by COMMIT */
	int resends = 0, reconnects = 0;
	time_t deadline = time(NULL) + 120;
	while (committed < total && time(NULL) < deadline) {
		/* UNSTABLE writes of one batch, remembering each verifier. A
		 * call on a dead connection is retransmitted after a reconnect,
		 * as a real client does: the new server instance answers with
		 * its own verifier, and that is what must trigger the resend. */
		uint8_t verf[8], first[8];
		bool have_first = false, same = true;
		uint64_t end = committed + chunk * batch < total ? committed + chunk * batch : total;
		for (uint64_t off = committed; off < end && time(NULL) < deadline; off += chunk) {
			size_t n = end - off < chunk ? (size_t)(end - off) : chunk;
			size_t o = put_fh(args, fh, fl);
			put32(args + o, (uint32_t)(off >> 32));
			put32(args + o + 4, (uint32_t)off);
			put32(args + o + 8, (uint32_t)n);
			put32(args + o + 12, 0); /* UNSTABLE */
			put32(args + o + 16, (uint32_t)n);
			pattern(args + o + 20, n, off);
			ssize_t k;
			while ((k = rpcc_call(&c, 7, args, o + 20 + n, rep, 65536)) < 4 && time(NULL) < deadline) {
				reconnects++;
				usleep(200000);
			}
			if (k < 4 || get32(rep) != 0) {
				same = false;
				break;
			}
			/* status, wcc (pre: bool [+24], post: bool [+84]), count, committed, verf */
			size_t p = 4;
			p += 4 + (get32(rep + p) ? 24 : 0);
			p += 4 + (get32(rep + p) ? 84 : 0);
			memcpy(verf, rep + p + 8, 8);
			if (!have_first) {
				memcpy(first, verf, 8);
				have_first = true;
			} else if (memcmp(first, verf, 8)) {
				same = false;
			}
		}
		/* Pace the batches so the server's SIGKILLs land mid-run, often
		 * between the WRITEs and their COMMIT. */
		usleep(100000);
		size_t o = put_fh(args, fh, fl);
		memset(args + o, 0, 12); /* offset 0, count 0: the whole file */
		ssize_t k;
		while ((k = rpcc_call(&c, 21, args, o + 12, rep, 65536)) < 4 && time(NULL) < deadline) {
			reconnects++;
			usleep(200000);
		}
		if (k < 4 || get32(rep) != 0)
			continue;
		size_t p = 4;
		p += 4 + (get32(rep + p) ? 24 : 0);
		p += 4 + (get32(rep + p) ? 84 : 0);
		/* RFC 1813 §3.3.21: only when COMMIT's verifier equals the one
		 * every WRITE returned is the data known to be on disk. */
		if (have_first && same && !memcmp(rep + p, first, 8))
			committed = end;
		else
			resends++;
	}
	free(args);
	free(rep);
	if (c.fd >= 0)
		close(c.fd);
	check(committed == total, "all %d MiB committed (%d batches resent, %d reconnects)", mb, resends,
	      reconnects);
	printf("# committed %" PRIu64 " resends %d reconnects %d\n", committed, resends, reconnects);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ readall */

struct walk {
	int files, dirs, links, errors;
	long long bytes;
};

/* Everything a booting Pi does to files it only reads: READDIRPLUS of
 * each directory, LOOKUP + GETATTR (stat), ACCESS, READ of every regular
 * file to its end, READLINK of every symlink. Depth-bounded. */
static void walk_read(struct nfs_context *nfs, const char *dir, int depth, struct walk *wk)
{
	struct nfsdir *d;
	if (depth > 16 || nfs_opendir(nfs, dir, &d) != 0) {
		wk->errors++;
		return;
	}
	wk->dirs++;
	struct nfsdirent *e;
	char path[1024], buf[65536];
	while ((e = nfs_readdir(nfs, d)) != NULL) {
		if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", e->name);
		struct nfs_stat_64 ns;
		if (nfs_lstat64(nfs, path, &ns) != 0) {
			wk->errors++;
			continue;
		}
		uint32_t fmt = (uint32_t)ns.nfs_mode & S_IFMT;
		if (fmt == S_IFDIR) {
			nfs_access(nfs, path, R_OK | X_OK);
			walk_read(nfs, path, depth + 1, wk);
		} else if (fmt == S_IFLNK) {
			wk->links += nfs_readlink(nfs, path, buf, sizeof(buf)) == 0;
		} else if (fmt == S_IFREG) {
			struct nfsfh *f;
			nfs_access(nfs, path, R_OK);
			if (nfs_open(nfs, path, O_RDONLY, &f) != 0) {
				wk->errors++;
				continue;
			}
			int n;
			while ((n = nfs_read(nfs, f, sizeof(buf), buf)) > 0)
				wk->bytes += n;
			wk->errors += n < 0;
			nfs_close(nfs, f);
			wk->files++;
		}
	}
	nfs_closedir(nfs, d);
}

static int mode_readall(const char *server, const char *export, const char *wpath)
{
	char err[256] = "";
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs != NULL, "MNT %s %s", export, err);
	if (!nfs)
		return 1;
	struct walk wk = { 0 };
	walk_read(nfs, "/", 0, &wk);
	check(wk.files > 0 && wk.errors == 0, "read %d files (%lld bytes), %d dirs, %d symlinks; %d errors",
	      wk.files, wk.bytes, wk.dirs, wk.links, wk.errors);
	/* A second pass, as a Pi reading its files again after a reboot. */
	struct walk wk2 = { 0 };
	walk_read(nfs, "/", 0, &wk2);
	check(wk2.files == wk.files && wk2.errors == 0, "second pass read the same %d files", wk2.files);
	struct nfsfh *f;
	bool ok = nfs_open(nfs, wpath, O_WRONLY, &f) == 0;
	if (ok) {
		ok = nfs_pwrite(nfs, f, 0, 8, "changed\n") == 8 && nfs_fsync(nfs, f) == 0;
		nfs_close(nfs, f);
	}
	check(ok, "WRITE %s", wpath);
	nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ steady */

static int local_port(struct nfs_context *nfs)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	if (getsockname(nfs_get_fd(nfs), (struct sockaddr *)&a, &l) < 0)
		return -1;
	return ntohs(a.sin_port);
}

/* A working Pi: one TCP connection, no automatic reconnect (a dropped
 * connection fails the next call), a GETATTR + ACCESS every 50 ms. */
static int mode_steady(const char *server, const char *export, int seconds)
{
	char err[256] = "";
	struct nfs_context *nfs = nfs_init_context();
	if (!nfs)
		return 1;
	nfs_set_version(nfs, NFS_V3);
	nfs_set_timeout(nfs, 5000);
	nfs_set_autoreconnect(nfs, 0);
	bool ok = nfs_mount(nfs, server, export) == 0;
	if (!ok)
		snprintf(err, sizeof(err), "%s", nfs_get_error(nfs));
	check(ok, "MNT %s %s", export, err);
	if (!ok) {
		nfs_destroy_context(nfs);
		return 1;
	}
	int port = local_port(nfs), calls = 0, failed = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < seconds * 20; i++) {  /* bounded: 20 rounds a second */
		struct nfs_stat_64 ns;
		failed += nfs_stat64(nfs, "/", &ns) != 0;
		failed += nfs_access(nfs, "/", R_OK) != 0;
		calls += 2;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= seconds)
			break;
		usleep(50000);
	}
	check(calls > 0 && failed == 0, "the Pi's calls kept succeeding: %d calls, %d failed", calls, failed);
	int port2 = local_port(nfs);
	check(port > 0 && port == port2, "the Pi's connection was never dropped (local port %d, now %d)", port,
	      port2);
	nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ setid */

static int mode_setid(const char *server, const char *export, const char *path, int uid, int gid)
{
	char err[256] = "";
	struct nfs_context *nfs = mount_or_null(server, export, err, sizeof(err));
	check(nfs != NULL, "MNT %s %s", export, err);
	if (!nfs)
		return 1;
	nfs_set_uid(nfs, uid);
	nfs_set_gid(nfs, gid);
	struct nfsfh *f;
	int r = nfs_open(nfs, path, O_WRONLY, &f);
	bool ok = r == 0;
	if (ok) {
		ok = nfs_pwrite(nfs, f, 0, 4, "evil") == 4 && nfs_fsync(nfs, f) == 0;
		nfs_close(nfs, f);
	}
	check(ok, "WRITE %s as uid %d gid %d (%s)", path, uid, gid, ok ? "ok" : nfs_get_error(nfs));
	nfs_destroy_context(nfs);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "basic"))
		return mode_basic(argv[2], argv[3], argv[4], argv[5]);
	if (argc >= 5 && !strcmp(argv[1], "foreign"))
		return mode_foreign(argv[2], argv[3], argv[4]);
	if (argc >= 4 && !strcmp(argv[1], "denied"))
		return mode_denied(argv[2], argv[3]);
	if (argc >= 5 && !strcmp(argv[1], "overlay"))
		return mode_overlay(argv[2], argv[3], argv[4]);
	if (argc >= 5 && !strcmp(argv[1], "stable"))
		return mode_stable(argv[2], argv[3], argv[4]);
	if (argc >= 4 && !strcmp(argv[1], "verify"))
		return mode_verify(argv[2], atoi(argv[3]));
	if (argc >= 5 && !strcmp(argv[1], "steady"))
		return mode_steady(argv[2], argv[3], atoi(argv[4]));
	if (argc >= 7 && !strcmp(argv[1], "setid"))
		return mode_setid(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6]));
	if (argc >= 5 && !strcmp(argv[1], "readall"))
		return mode_readall(argv[2], argv[3], argv[4]);
	if (argc >= 6 && !strcmp(argv[1], "crash"))
		return mode_crash(argv[2], argv[3], argv[4], atoi(argv[5]));
	fprintf(stderr, "usage: see the header of tests/nfs/nfs_proto_test.c\n");
	return 2;
}
