/* nfs3_attr.c - shared procedure helpers (handle open/make with the export
 * containment check, per-thread credentials, fattr3/wcc encoders) and the
 * attribute procedures GETATTR, SETATTR, ACCESS, FSSTAT, FSINFO, PATHCONF
 * (RFC 1813 §3.3.1-4, §3.3.18-20).
 * Runs on worker threads, and on the loop with nonblock set (the inline
 * path); must not touch sockets, connections or the access rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nfs/fh_cache.h"
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

/* Identity: the worker thread keeps root's real/effective ids and switches
 * only fsuid/fsgid and the supplementary groups per request. On Linux all
 * three are per-thread (glibc broadcasts setgroups() to every thread, so
 * we use the raw system call). With a non-zero fsuid the kernel drops the
 * filesystem capabilities, so permission checks, file ownership on create
 * and setgid-directory inheritance are exactly those of the client's user;
 * client root (uid 0) keeps them: no_root_squash inside its own export. */
/* The identity this thread's filesystem calls run with now, so repeated
 * requests of one user (or of root, the common case while a Pi boots) cost
 * no system calls. uid 0 with gid 0 is root's own identity: root passes
 * every permission check, so its supplementary groups change nothing. */
static _Thread_local struct {
	bool user;              /* false: root's own identity */
	uint32_t uid, gid, ngids;
	uint32_t gids[RPC_GIDS_MAX];
} cur_id;

static bool is_root_cred(const struct rpc_cred *cr)
{
	return cr->uid == 0 && cr->gid == 0;
}

static void set_root_identity(void)
{
	if (!cur_id.user)
		return;
	setfsuid(0);
	setfsgid(0);
	syscall(SYS_setgroups, (size_t)0, NULL);
	cur_id.user = false;
}

void nfs3_become_user(struct nfs3_ctx *c)
{
	const struct rpc_cred *cr = &c->cred;
	gid_t g[RPC_GIDS_MAX];
	if (c->as_user)
		return;
	c->as_user = true;
	if (is_root_cred(cr)) {
		set_root_identity();
		return;
	}
	uint32_t n = cr->ngids < RPC_GIDS_MAX ? cr->ngids : RPC_GIDS_MAX;
	if (cur_id.user && cur_id.uid == cr->uid && cur_id.gid == cr->gid && cur_id.ngids == n &&
	    !memcmp(cur_id.gids, cr->gids, n * sizeof(cr->gids[0])))
		return;
	for (uint32_t i = 0; i < n; i++)
		g[i] = cr->gids[i];
	/* From root, or from another user: go through root so the
	 * capabilities that setfsuid dropped come back first. */
	set_root_identity();
	syscall(SYS_setgroups, (size_t)n, g);
	setfsgid(cr->gid);
	setfsuid(cr->uid);
	cur_id.user = true;
	cur_id.uid = cr->uid;
	cur_id.gid = cr->gid;
	cur_id.ngids = n;
	memcpy(cur_id.gids, cr->gids, n * sizeof(cr->gids[0]));
}

/* Back to root's identity: nfs3_exec calls this after every procedure
 * (the loop thread must never keep a client's identity), and
 * open_by_handle_at needs CAP_DAC_READ_SEARCH. */
void nfs3_become_root(struct nfs3_ctx *c)
{
	c->as_user = false;
	set_root_identity();
}

int nfs3_stat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

static bool same_inode(const struct stat *st, dev_t dev, ino_t ino)
{
	return st->st_dev == dev && st->st_ino == ino;
}

/* Is directory fd the export root or beneath it? Walk ".." upwards. A
 * handle is only ever minted for objects reached from the export root, and
 * it is authenticated, so this is defence in depth against a kernel handle
 * that names a directory elsewhere on the same filesystem. */
static bool dir_beneath(int fd, const struct nfs_export *ex)
{
	struct stat st, pst;
	int cur = dup(fd);
	bool ok = false;
	for (int depth = 0; cur >= 0 && depth < 4096; depth++) {
		if (nfs3_stat(cur, &st) < 0)
			break;
		if (same_inode(&st, ex->dev, ex->ino)) {
			ok = true;
			break;
		}
		int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 || nfs3_stat(up, &pst) < 0 || same_inode(&pst, st.st_dev, st.st_ino)) {
			if (up >= 0)
				close(up);
			break;   /* reached "/" without meeting the export root */
		}
		close(cur);
		cur = up;
	}
	if (cur >= 0)
		close(cur);
	return ok;
}

uint32_t nfs3_fh_open(struct nfs3_ctx *c, const struct nfs_fh *fh, int *ret_fd)
{
	uint8_t eid[FH_EID_LEN];
	struct fh_kernel k;
	union {
		struct file_handle h;
		char buf[sizeof(struct file_handle) + FH_KERNEL_MAX];
	} u;
	*ret_fd = -1;
	if (!c->ex)
		return NFS3ERR_BADHANDLE;
	int cfd = fh_cache_get(c->cache, c->ex, fh->data, fh->len);
	if (cfd >= 0) {
		*ret_fd = cfd;
		return NFS3_OK;
	}
	if (c->nonblock) {
		/* open_by_handle_at may read the disk: not on the loop. */
		c->would_block = true;
		return NFS3ERR_JUKEBOX;
	}
	if (fh_decode(c->key, fh->data, fh->len, eid, &k) < 0)
		return NFS3ERR_BADHANDLE;
	if (memcmp(eid, c->ex->eid, FH_EID_LEN) != 0)
		return NFS3ERR_XDEV;
	u.h.handle_bytes = k.len;
	u.h.handle_type = k.type;
	memcpy(u.h.f_handle, k.bytes, k.len);
	/* open_by_handle_at needs CAP_DAC_READ_SEARCH: do it as root. */
	bool was_user = c->as_user;
	nfs3_become_root(c);
	int fd = open_by_handle_at(c->ex->root_fd, &u.h, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	int err = fd < 0 ? errno : 0;
	struct stat st;
	if (fd >= 0 && nfs3_stat(fd, &st) < 0) {
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && S_ISDIR(st.st_mode) && !dir_beneath(fd, c->ex)) {
		close(fd);
		fd = -1;
		err = ESTALE;
	}
	if (fd >= 0)
		fh_cache_put(c->cache, c->ex, fh->data, fh->len, fd, st.st_dev, st.st_ino);
	if (was_user)
		nfs3_become_user(c);
	if (fd < 0)
		return err == ESTALE || err == ENOENT ? NFS3ERR_STALE : nfs3_errno(err);
	*ret_fd = fd;
	return NFS3_OK;
}

static uint32_t fh_make_common(struct nfs3_ctx *c, int fd, const char *name, int flags, struct nfs_fh *out)
{
	union {
		struct file_handle h;
		char buf[sizeof(struct file_handle) + FH_KERNEL_MAX];
	} u;
	struct fh_kernel k;
	int mnt;
	u.h.handle_bytes = FH_KERNEL_MAX;
	if (name_to_handle_at(fd, name, &u.h, &mnt, flags) < 0)
		return errno == EOVERFLOW ? NFS3ERR_SERVERFAULT : nfs3_errno(errno);
	k.type = u.h.handle_type;
	k.len = u.h.handle_bytes;
	memcpy(k.bytes, u.h.f_handle, k.len);
	if (fh_encode(c->key, c->ex->eid, &k, out->data, &out->len) < 0)
		return NFS3ERR_SERVERFAULT;
	return NFS3_OK;
}

uint32_t nfs3_fh_make_stat(struct nfs3_ctx *c, int fd, struct nfs_fh *out, struct stat *st, bool *st_ok)
{
	uint32_t s = fh_make_common(c, fd, "", AT_EMPTY_PATH, out);
	*st_ok = nfs3_stat(fd, st) == 0;
	/* Objects found by LOOKUP/CREATE are usually used next: cache them.
	 * Only objects we reached from inside the export get here. */
	if (s == NFS3_OK && c->cache && *st_ok)
		fh_cache_put(c->cache, c->ex, out->data, out->len, fd, st->st_dev, st->st_ino);
	return s;
}

uint32_t nfs3_fh_make(struct nfs3_ctx *c, int fd, struct nfs_fh *out)
{
	struct stat st;
	bool ok;
	return nfs3_fh_make_stat(c, fd, out, &st, &ok);
}

uint32_t nfs3_fh_make_at(struct nfs3_ctx *c, int dirfd, const char *name, struct nfs_fh *out)
{
	return fh_make_common(c, dirfd, name, 0, out);
}

void nfs3_forget(struct nfs3_ctx *c, int dirfd, const char *name, struct stat *st)
{
	if (c->cache && fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) == 0)
		fh_cache_purge(c->cache, st->st_dev, st->st_ino);
}

int nfs3_reopen(int fd, int flags)
{
	char p[40];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	int r = open(p, flags | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

uint32_t nfs3_check_name(const struct nfs_name *n)
{
	if (n->err)
		return n->err;
	if (!strcmp(n->s, ".") || !strcmp(n->s, ".."))
		return NFS3ERR_INVAL;
	return NFS3_OK;
}

static uint32_t ftype_of(mode_t m)
{
	static const struct {
		mode_t fmt;
		uint32_t t;
	} map[] = {
		{ S_IFREG, NF3REG }, { S_IFDIR, NF3DIR }, { S_IFBLK, NF3BLK }, { S_IFCHR, NF3CHR },
		{ S_IFLNK, NF3LNK }, { S_IFSOCK, NF3SOCK }, { S_IFIFO, NF3FIFO },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((m & S_IFMT) == map[i].fmt)
			return map[i].t;
	return NF3REG;
}

void nfs3_put_fattr(struct wr *w, const struct stat *st)
{
	xdr_put_u32(w, ftype_of(st->st_mode));
	xdr_put_u32(w, st->st_mode & 07777);
	xdr_put_u32(w, (uint32_t)st->st_nlink);
	xdr_put_u32(w, st->st_uid);
	xdr_put_u32(w, st->st_gid);
	xdr_put_u64(w, (uint64_t)st->st_size);
	xdr_put_u64(w, (uint64_t)st->st_blocks * 512u);
	xdr_put_u32(w, major(st->st_rdev));
	xdr_put_u32(w, minor(st->st_rdev));
	xdr_put_u64(w, (uint64_t)st->st_dev);
	xdr_put_u64(w, (uint64_t)st->st_ino);
	xdr_put_u32(w, (uint32_t)st->st_atim.tv_sec);
	xdr_put_u32(w, (uint32_t)st->st_atim.tv_nsec);
	xdr_put_u32(w, (uint32_t)st->st_mtim.tv_sec);
	xdr_put_u32(w, (uint32_t)st->st_mtim.tv_nsec);
	xdr_put_u32(w, (uint32_t)st->st_ctim.tv_sec);
	xdr_put_u32(w, (uint32_t)st->st_ctim.tv_nsec);
}

void nfs3_put_post_op_st(struct wr *w, const struct stat *st, bool ok)
{
	xdr_put_u32(w, ok);
	if (ok)
		nfs3_put_fattr(w, st);
}

void nfs3_put_post_op(struct wr *w, int fd)
{
	struct stat st;
	nfs3_put_post_op_st(w, &st, fd >= 0 && nfs3_stat(fd, &st) == 0);
}

/* wcc_data (§2.6): pre_op_attr (size, mtime, ctime) then post_op_attr. */
void nfs3_put_wcc(struct wr *w, const struct stat *pre, bool pre_ok, int fd)
{
	xdr_put_u32(w, pre_ok);
	if (pre_ok) {
		xdr_put_u64(w, (uint64_t)pre->st_size);
		xdr_put_u32(w, (uint32_t)pre->st_mtim.tv_sec);
		xdr_put_u32(w, (uint32_t)pre->st_mtim.tv_nsec);
		xdr_put_u32(w, (uint32_t)pre->st_ctim.tv_sec);
		xdr_put_u32(w, (uint32_t)pre->st_ctim.tv_nsec);
	}
	nfs3_put_post_op(w, fd);
}

void nfs3_put_post_fh(struct wr *w, struct nfs3_ctx *c, int fd)
{
	struct nfs_fh fh;
	if (fd >= 0 && nfs3_fh_make(c, fd, &fh) == NFS3_OK) {
		xdr_put_u32(w, 1);
		xdr_put_opaque(w, fh.data, fh.len);
	} else {
		xdr_put_u32(w, 0);
	}
}

static struct timespec ts_of(const struct nfs_time *t)
{
	struct timespec ts = { 0, UTIME_OMIT };
	if (t->how == SET_TO_SERVER_TIME)
		ts.tv_nsec = UTIME_NOW;
	else if (t->how == SET_TO_CLIENT_TIME) {
		ts.tv_sec = t->sec;
		ts.tv_nsec = t->nsec < 1000000000u ? t->nsec : 999999999;
	}
	return ts;
}

/* Apply sattr3 with the caller's identity (the kernel checks rights).
 * chown first: it clears set-id bits, which a mode in the same call must
 * be able to set again. Operations on O_PATH fds go through the
 * /proc/self/fd magic link, which names the object itself (also a
 * symlink) without following it. */
uint32_t nfs3_apply_sattr(struct nfs3_ctx *c, int fd, const struct sattr3 *s)
{
	char p[40];
	struct stat st;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	nfs3_become_user(c);
	if (nfs3_stat(fd, &st) < 0)
		return nfs3_errno(errno);
	if ((s->set_uid || s->set_gid) &&
	    fchownat(fd, "", s->set_uid ? s->uid : (uid_t)-1, s->set_gid ? s->gid : (gid_t)-1, AT_EMPTY_PATH) < 0)
		return nfs3_errno(errno);
	if (s->set_mode && !S_ISLNK(st.st_mode) && chmod(p, s->mode & 07777) < 0)
		return nfs3_errno(errno);
	if (s->set_size) {
		if (!S_ISREG(st.st_mode))
			return S_ISDIR(st.st_mode) ? NFS3ERR_ISDIR : NFS3ERR_INVAL;
		if (truncate(p, (off_t)s->size) < 0)
			return nfs3_errno(errno);
	}
	if (s->atime.how != DONT_CHANGE || s->mtime.how != DONT_CHANGE) {
		struct timespec ts[2] = { ts_of(&s->atime), ts_of(&s->mtime) };
		if (utimensat(fd, "", ts, AT_EMPTY_PATH) < 0 &&
		    (errno != EINVAL || utimensat(AT_FDCWD, p, ts, 0) < 0))
			return nfs3_errno(errno);
	}
	return NFS3_OK;
}

/* The attributes of the object behind fh: from the handle cache without a
 * descriptor of our own (no dup, no close), else through the handle. */
static uint32_t fh_stat(struct nfs3_ctx *c, const struct nfs_fh *fh, struct stat *st)
{
	int fd;
	if (c->ex && fh_cache_stat(c->cache, c->ex, fh->data, fh->len, st) == 0)
		return NFS3_OK;
	uint32_t s = nfs3_fh_open(c, fh, &fd);
	if (s == NFS3_OK && nfs3_stat(fd, st) < 0)
		s = nfs3_errno(errno);
	if (fd >= 0)
		close(fd);
	return s;
}

int nfs3_getattr(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	struct stat st;
	uint32_t s = fh_stat(c, &a->fh, &st);
	xdr_put_u32(w, s);
	if (s == NFS3_OK)
		nfs3_put_fattr(w, &st);
	return 0;
}

int nfs3_setattr(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd;
	struct stat pre;
	bool pre_ok = false;
	uint32_t s = nfs3_fh_open(c, &a->fh, &fd);
	if (s == NFS3_OK) {
		pre_ok = nfs3_stat(fd, &pre) == 0;
		/* §3.3.2: the guard compares the object's ctime. */
		if (a->guard && (!pre_ok || (uint32_t)pre.st_ctim.tv_sec != a->guard_sec ||
				 (uint32_t)pre.st_ctim.tv_nsec != a->guard_nsec))
			s = NFS3ERR_NOT_SYNC;
		else
			s = nfs3_apply_sattr(c, fd, &a->sattr);
	}
	xdr_put_u32(w, s);
	nfs3_put_wcc(w, &pre, pre_ok, fd);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* ACCESS (§3.3.4) from mode bits and the caller's credential; root gets
 * everything except executing a file that has no x bit at all. */
uint32_t nfs3_access_bits(const struct rpc_cred *cr, const struct stat *st, uint32_t want)
{
	bool dir = S_ISDIR(st->st_mode);
	uint32_t got = 0;
	if (cr->uid == 0) {
		got = ACCESS3_READ | ACCESS3_LOOKUP | ACCESS3_MODIFY | ACCESS3_EXTEND | ACCESS3_DELETE;
		if (dir || (st->st_mode & 0111))
			got |= ACCESS3_EXECUTE;
		return got & want;
	}
	unsigned shift = 0;
	if (st->st_uid == cr->uid) {
		shift = 6;
	} else {
		bool grp = st->st_gid == cr->gid;
		for (uint32_t i = 0; i < cr->ngids && !grp; i++)
			grp = st->st_gid == cr->gids[i];
		shift = grp ? 3 : 0;
	}
	unsigned m = (st->st_mode >> shift) & 7;
	if (m & 4)
		got |= ACCESS3_READ;
	if (m & 2)
		got |= ACCESS3_MODIFY | ACCESS3_EXTEND | (dir ? ACCESS3_DELETE : 0);
	if (m & 1)
		got |= dir ? ACCESS3_LOOKUP : ACCESS3_EXECUTE;
	return got & want;
}

int nfs3_access(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	struct stat st;
	uint32_t s = fh_stat(c, &a->fh, &st);
	xdr_put_u32(w, s);
	nfs3_put_post_op_st(w, &st, s == NFS3_OK);
	if (s == NFS3_OK)
		xdr_put_u32(w, nfs3_access_bits(&c->cred, &st, a->access));
	return 0;
}

int nfs3_fsstat(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd;
	struct statvfs v;
	uint32_t s = nfs3_fh_open(c, &a->fh, &fd);
	if (s == NFS3_OK && fstatvfs(fd, &v) < 0)
		s = nfs3_errno(errno);
	xdr_put_u32(w, s);
	nfs3_put_post_op(w, fd);
	if (s == NFS3_OK) {
		xdr_put_u64(w, (uint64_t)v.f_blocks * v.f_frsize);
		xdr_put_u64(w, (uint64_t)v.f_bfree * v.f_frsize);
		xdr_put_u64(w, (uint64_t)v.f_bavail * v.f_frsize);
		xdr_put_u64(w, v.f_files);
		xdr_put_u64(w, v.f_ffree);
		xdr_put_u64(w, v.f_favail);
		xdr_put_u32(w, 0); /* invarsec: may change at any time */
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int nfs3_fsinfo(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd;
	uint32_t s = nfs3_fh_open(c, &a->fh, &fd);
	xdr_put_u32(w, s);
	nfs3_put_post_op(w, fd);
	if (s == NFS3_OK) {
		xdr_put_u32(w, NFS3_MAX_IO);     /* rtmax */
		xdr_put_u32(w, NFS3_MAX_IO);     /* rtpref */
		xdr_put_u32(w, 4096);            /* rtmult */
		xdr_put_u32(w, NFS3_MAX_IO);     /* wtmax */
		xdr_put_u32(w, NFS3_MAX_IO);     /* wtpref */
		xdr_put_u32(w, 4096);            /* wtmult */
		xdr_put_u32(w, 65536);           /* dtpref */
		xdr_put_u64(w, INT64_MAX);       /* maxfilesize */
		xdr_put_u32(w, 0);               /* time_delta: 1 ns */
		xdr_put_u32(w, 1);
		/* FSF3_LINK | FSF3_SYMLINK | FSF3_HOMOGENEOUS | FSF3_CANSETTIME */
		xdr_put_u32(w, 0x1b);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

int nfs3_pathconf(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd;
	uint32_t s = nfs3_fh_open(c, &a->fh, &fd);
	xdr_put_u32(w, s);
	nfs3_put_post_op(w, fd);
	if (s == NFS3_OK) {
		xdr_put_u32(w, 65000);           /* linkmax (ext4) */
		xdr_put_u32(w, NFS3_MAXNAMLEN);  /* name_max */
		xdr_put_u32(w, 1);               /* no_trunc */
		xdr_put_u32(w, 1);               /* chown_restricted */
		xdr_put_u32(w, 0);               /* case_insensitive */
		xdr_put_u32(w, 1);               /* case_preserving */
	}
	if (fd >= 0)
		close(fd);
	return 0;
}
