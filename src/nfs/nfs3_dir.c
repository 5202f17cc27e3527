/* nfs3_dir.c - directory procedures: LOOKUP, READDIR, READDIRPLUS, CREATE,
 * MKDIR, SYMLINK, MKNOD, REMOVE, RMDIR, RENAME, LINK (RFC 1813 §3.3.3,
 * 3.3.8-17). Every name is one component used relative to a directory fd,
 * never a path string; "." and ".." are only meaningful to LOOKUP, where
 * ".." of the export root is the export root (a client cannot climb out).
 * Must not touch sockets, connections or the access rule (checked before
 * the call gets here, nfs_exports.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "nfs/dir_cache.h"
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static bool is_root(const struct nfs3_ctx *c, const struct stat *st)
{
	return st->st_dev == c->ex->dev && st->st_ino == c->ex->ino;
}

int nfs3_lookup(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int dfd, ofd = -1;
	struct nfs_fh fh;
	struct stat dst, ost;
	bool dst_ok = false, ost_ok = false;
	uint32_t s = nfs3_fh_open(c, &a->fh, &dfd);
	if (s == NFS3_OK)
		s = a->name.err;
	if (dfd >= 0)
		dst_ok = nfs3_stat(dfd, &dst) == 0;
	if (s == NFS3_OK && !dst_ok)
		s = nfs3_errno(errno);
	if (s == NFS3_OK && !S_ISDIR(dst.st_mode))
		s = NFS3ERR_NOTDIR;
	if (s == NFS3_OK) {
		nfs3_become_user(c);
		if (!strcmp(a->name.s, ".") || (!strcmp(a->name.s, "..") && is_root(c, &dst))) {
			ofd = dup(dfd);
		} else if (c->nonblock) {
			/* RESOLVE_CACHED: answer from the dentry cache or not at
			 * all (EAGAIN), so the loop never waits for a disk. */
			struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC, .resolve = RESOLVE_CACHED };
			ofd = (int)syscall(SYS_openat2, dfd, a->name.s, &how, sizeof(how));
			if (ofd < 0 && errno == EAGAIN)
				c->would_block = true;
		} else {
			ofd = openat(dfd, a->name.s, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (ofd < 0)
			s = nfs3_errno(errno);
		else
			s = nfs3_fh_make_stat(c, ofd, &fh, &ost, &ost_ok);
	}
	xdr_put_u32(w, s);
	if (s == NFS3_OK) {
		xdr_put_opaque(w, fh.data, fh.len);
		nfs3_put_post_op_st(w, &ost, ost_ok);
	}
	/* A LOOKUP changes nothing: the directory's attributes from before
	 * are its attributes after. */
	nfs3_put_post_op_st(w, &dst, dst_ok);
	close_fd(ofd);
	close_fd(dfd);
	return 0;
}

/* The cookie verifier is the directory's inode number: cookies are
 * getdents64 offsets (ext4 hash positions, stable while the directory
 * exists), so only a different directory behind the handle invalidates
 * them. A zero verifier is accepted, as clients send it with cookie 0. */
static void dir_verf(const struct stat *st, uint8_t v[8])
{
	uint64_t x = (uint64_t)st->st_ino;
	for (int i = 0; i < 8; i++)
		v[i] = (uint8_t)(x >> (56 - 8 * i));
}

/* Check the handle of a READDIR(PLUS): the status, with *ret_dfd (the
 * handle's fd), *dst (its attributes) and verf. */
static uint32_t readdir_check(struct nfs3_ctx *c, const struct nfs3_args *a, uint8_t verf[8], int *ret_dfd,
			      struct stat *dst)
{
	static const uint8_t zero[8];
	uint32_t s = nfs3_fh_open(c, &a->fh, ret_dfd);
	if (s == NFS3_OK && nfs3_stat(*ret_dfd, dst) < 0)
		s = nfs3_errno(errno);
	if (s == NFS3_OK && !S_ISDIR(dst->st_mode))
		s = NFS3ERR_NOTDIR;
	if (s == NFS3_OK) {
		dir_verf(dst, verf);
		if (a->cookie && memcmp(a->cookieverf, zero, 8) && memcmp(a->cookieverf, verf, 8))
			s = NFS3ERR_BAD_COOKIE;
	}
	return s;
}

/* Open the directory for getdents with the caller's credentials (the
 * kernel's read permission check): the status, *ret_rfd. */
static uint32_t readdir_open(struct nfs3_ctx *c, int dfd, int *ret_rfd)
{
	nfs3_become_user(c);
	*ret_rfd = nfs3_reopen(dfd, O_RDONLY | O_DIRECTORY);
	return *ret_rfd < 0 ? nfs3_errno(-*ret_rfd) : NFS3_OK;
}

/* One listing in progress: the reply budget and what has gone in. */
struct dir_list {
	struct nfs3_ctx *c;
	const struct nfs3_args *a;
	struct wr *w;
	int rfd;
	bool plus;
	size_t limit, dirbytes, n;
};

/* The largest entryplus3: name, attributes and a handle. */
#define DIR_ENTRY_MAX (4 + 8 + 4 + NFS3_MAXNAMLEN + 1 + 8 + 4 + 84 + 4 + 4 + FH_MAX)

/* Encode entry d (entry3 / entryplus3, §3.3.16-17) into e; *esz gets the
 * bytes that count against dircount. */
static void dir_encode(struct nfs3_ctx *c, int rfd, bool plus, const struct dirent64 *d, struct wr *e,
		       size_t *esz)
{
	size_t nl = strlen(d->d_name);
	bool dot = !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..");
	struct stat st;
	struct nfs_fh fh;
	bool have_st = false, have_fh = false;
	*esz = 4 + 8 + 4 + nl + xdr_pad(nl) + 8;
	if (plus && !dot) {
		have_st = fstatat(rfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0;
		have_fh = nfs3_fh_make_at(c, rfd, d->d_name, &fh) == NFS3_OK;
	}
	xdr_put_u32(e, 1);
	xdr_put_u64(e, d->d_ino);
	xdr_put_opaque(e, d->d_name, (uint32_t)nl);
	xdr_put_u64(e, (uint64_t)d->d_off);
	if (plus) {
		nfs3_put_post_op_st(e, &st, have_st);
		xdr_put_u32(e, have_fh);
		if (have_fh)
			xdr_put_opaque(e, fh.data, fh.len);
	}
}

/* Put entry d in the reply; false when it does not fit the budget (the
 * listing stops there, the client asks again). */
static bool dir_put_entry(struct dir_list *l, const struct dirent64 *d)
{
	struct wr *w = l->w;
	size_t nl = strlen(d->d_name);
	size_t esz = 4 + 8 + 4 + nl + xdr_pad(nl) + 8;
	uint8_t buf[DIR_ENTRY_MAX];
	struct wr e = wr_init(buf, sizeof(buf));
	/* Stop before the per-entry syscalls of READDIRPLUS when not even the
	 * entry's smallest encoding fits. */
	if (w->off + esz + (l->plus ? 8 : 0) > l->limit || (l->plus && l->dirbytes + esz > l->a->dircount && l->n > 0))
		return false;
	dir_encode(l->c, l->rfd, l->plus, d, &e, &esz);
	if (e.err || w->off + e.off > l->limit)
		return false;
	xdr_put_fixed(w, buf, e.off);
	l->dirbytes += esz;
	l->n++;
	return true;
}

/* Entries until the budget or the directory ends: NFS3_OK or the status
 * of a failed getdents; *eof when the directory ended. */
static uint32_t dir_put_entries(struct dir_list *l, bool *eof)
{
	char buf[16384];
	*eof = false;
	for (;;) {
		long got = getdents64(l->rfd, buf, sizeof(buf));
		if (got < 0)
			return nfs3_errno(errno);
		if (got == 0) {
			*eof = true;
			return NFS3_OK;
		}
		for (long off = 0; off < got;) {
			const struct dirent64 *d = (const struct dirent64 *)(const void *)(buf + off);
			off += d->d_reclen;
			if (!dir_put_entry(l, d))
				return NFS3_OK;
		}
	}
}

/* ------------------------------------------------------------ listing cache */

/* A directory changed less than this long ago is not cached: a change in
 * the same timestamp tick would leave mtime and ctime as they were. */
#define DIR_CACHE_SETTLE_S 2

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

_Static_assert(FH_EID_LEN <= sizeof(((struct dir_key *)0)->eid), "export id fits the listing key");

static void dir_key_of(const struct nfs3_ctx *c, const struct stat *st, struct dir_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ex = c->ex;
	memcpy(k->eid, c->ex->eid, FH_EID_LEN);
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->mtime_s = st->st_mtim.tv_sec;
	k->mtime_ns = st->st_mtim.tv_nsec;
	k->ctime_s = st->st_ctim.tv_sec;
	k->ctime_ns = st->st_ctim.tv_nsec;
	k->gen = atomic_load_explicit(&c->ex->mod_gen, memory_order_acquire);
}

static bool dir_settled(const struct stat *st)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec - st->st_ctim.tv_sec >= DIR_CACHE_SETTLE_S;
}

/* Read the whole directory from rfd into a new listing, or NULL (too
 * large, out of memory, or it changed while being read). */
static struct dir_snap *dir_fill(struct nfs3_ctx *c, int dfd, int rfd, const struct dir_key *k)
{
	char buf[16384];
	uint8_t ent[DIR_ENTRY_MAX];
	struct dir_snap *snap = dir_snap_new();
	bool ok = snap && lseek(rfd, 0, SEEK_SET) == 0;
	while (ok) {
		long got = getdents64(rfd, buf, sizeof(buf));
		if (got <= 0) {
			ok = got == 0;
			break;
		}
		for (long off = 0; off < got && ok;) {
			const struct dirent64 *d = (const struct dirent64 *)(const void *)(buf + off);
			struct wr e = wr_init(ent, sizeof(ent));
			size_t esz;
			off += d->d_reclen;
			dir_encode(c, rfd, true, d, &e, &esz);
			ok = !e.err && dir_snap_add(snap, ent, e.off, esz, (uint64_t)d->d_off) == 0;
		}
	}
	struct stat after;
	struct dir_key k2;
	if (ok && nfs3_stat(dfd, &after) == 0) {
		dir_key_of(c, &after, &k2);
		ok = !memcmp(&k2, k, sizeof(k2));
	} else {
		ok = false;
	}
	if (!ok) {
		dir_snap_free(snap);
		return NULL;
	}
	return snap;
}

/* READDIRPLUS from the listing cache: true when answered (*s, *n, *eof
 * set), false to list the directory itself. On the loop only a cached
 * listing is used; a worker reads a settled directory whole, keeps it and
 * answers from it. */
static bool dir_from_cache(struct nfs3_ctx *c, const struct nfs3_args *a, int dfd, const struct stat *dst,
			   struct wr *w, size_t limit, uint32_t *s, size_t *n, bool *eof)
{
	struct dir_key k;
	/* Only for the Pi's root (its boot): root passes every permission
	 * check, so what one root call read is what any other would. A user
	 * may lack search permission where root has it, and must not get
	 * the attributes and handles root saw: users list uncached. */
	if (!c->dirs || c->cred.uid != 0)
		return false;
	dir_key_of(c, dst, &k);
	uint64_t now = mono_ms();
	if (dir_cache_serve(c->dirs, &k, now, a->cookie, w, limit, a->dircount, n, eof) == 0) {
		*s = NFS3_OK;
		return true;
	}
	if (c->nonblock) {
		c->would_block = true;
		return false;
	}
	/* Only a listing from its start is read whole: a chain that lost its
	 * cached listing halfway goes on uncached, so a directory that keeps
	 * changing never costs more than one extra pass per listing. */
	if (a->cookie != 0 || !dir_settled(dst))
		return false;
	int rfd;
	*s = readdir_open(c, dfd, &rfd);
	if (*s != NFS3_OK)
		return true;
	struct dir_snap *snap = dir_fill(c, dfd, rfd, &k);
	close_fd(rfd);
	if (!snap || dir_snap_serve(snap, 0, w, limit, a->dircount, n, eof) < 0) {
		dir_snap_free(snap);
		return false;
	}
	dir_cache_put(c->dirs, &k, snap, now);
	*s = NFS3_OK;
	return true;
}

static int readdir_common(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w, bool plus)
{
	int dfd, rfd = -1;
	uint8_t verf[8];
	struct stat dst;
	size_t start = w->off;
	uint32_t s = readdir_check(c, a, verf, &dfd, &dst);
	xdr_put_u32(w, s);
	nfs3_put_post_op_st(w, &dst, dfd >= 0 && (s == NFS3_OK || nfs3_stat(dfd, &dst) == 0));
	if (s == NFS3_OK) {
		xdr_put_fixed(w, verf, 8);
		/* Reply budget: maxcount bytes for the whole reply body
		 * (§3.3.17), minus the 8 bytes of the list terminator and eof
		 * flag. */
		size_t limit = start + (a->maxcount < w->cap - start ? a->maxcount : w->cap - start);
		limit = limit > 8 ? limit - 8 : 0;
		size_t body = w->off, n = 0;
		bool eof = false;
		if (!plus || !dir_from_cache(c, a, dfd, &dst, w, limit, &s, &n, &eof)) {
			if (c->nonblock) {
				c->would_block = true;
				close_fd(dfd);
				return 0;
			}
			w->off = body;
			s = readdir_open(c, dfd, &rfd);
			if (s == NFS3_OK && a->cookie && lseek(rfd, (off_t)a->cookie, SEEK_SET) < 0)
				s = NFS3ERR_BAD_COOKIE;
			if (s == NFS3_OK) {
				struct dir_list l = { .c = c, .a = a, .w = w, .rfd = rfd, .plus = plus, .limit = limit };
				s = dir_put_entries(&l, &eof);
				n = l.n;
			}
		}
		/* Not even one entry fits in the client's buffer (§3.3.16). */
		if (s == NFS3_OK && n == 0 && !eof)
			s = NFS3ERR_TOOSMALL;
		if (s != NFS3_OK) {
			w->off = start;
			xdr_put_u32(w, s);
			nfs3_put_post_op(w, dfd);
		} else {
			xdr_put_u32(w, 0);
			xdr_put_u32(w, eof);
		}
	}
	close_fd(rfd);
	close_fd(dfd);
	return 0;
}

int nfs3_readdir(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	return readdir_common(c, a, w, false);
}

int nfs3_readdirplus(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	return readdir_common(c, a, w, true);
}

/* Open the parent dir of a create/remove, check the name, become the
 * caller and take the pre-operation attributes. */
static uint32_t dirop_begin(struct nfs3_ctx *c, const struct nfs_fh *fh, const struct nfs_name *name,
			    int *dfd, struct stat *pre, bool *pre_ok)
{
	*pre_ok = false;
	uint32_t s = nfs3_fh_open(c, fh, dfd);
	if (s != NFS3_OK)
		return s;
	*pre_ok = nfs3_stat(*dfd, pre) == 0;
	s = nfs3_check_name(name);
	if (s == NFS3_OK && *pre_ok && !S_ISDIR(pre->st_mode))
		s = NFS3ERR_NOTDIR;
	nfs3_become_user(c);
	return s;
}

/* Reply of CREATE/MKDIR/SYMLINK/MKNOD (diropres3, §3.3.8); closes both
 * descriptors, so every one of them ends with return finish_diropres(). */
static int finish_diropres(struct nfs3_ctx *c, struct wr *w, uint32_t s, int ofd, int dfd,
			   const struct stat *pre, bool pre_ok)
{
	xdr_put_u32(w, s);
	if (s == NFS3_OK) {
		nfs3_put_post_fh(w, c, ofd);
		nfs3_put_post_op(w, ofd);
	}
	nfs3_put_wcc(w, pre, pre_ok, dfd);
	close_fd(ofd);
	close_fd(dfd);
	return 0;
}

/* The mode the client asked for, or the default when it left it unset. */
static mode_t req_mode(const struct sattr3 *sa, mode_t dflt)
{
	return sa->set_mode ? (sa->mode & 07777) : dflt;
}

/* After creating name in dfd: open it and apply the requested attributes
 * explicitly, so the process umask never changes a client's mode. */
static uint32_t created(struct nfs3_ctx *c, int dfd, const char *name, const struct sattr3 *sa, int *ofd)
{
	*ofd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*ofd < 0)
		return nfs3_errno(errno);
	return nfs3_apply_sattr(c, *ofd, sa);
}

int nfs3_create(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int dfd = -1, ofd = -1;
	struct stat pre, st;
	bool pre_ok;
	uint32_t s = dirop_begin(c, &a->fh, &a->name, &dfd, &pre, &pre_ok);
	if (s == NFS3_OK) {
		mode_t mode = a->how == CREATE_EXCLUSIVE ? 0600 : req_mode(&a->sattr, 0644);
		int r = mknodat(dfd, a->name.s, S_IFREG | mode, 0);
		int err = r < 0 ? errno : 0;
		struct sattr3 sa = a->sattr;
		if (a->how == CREATE_EXCLUSIVE) {
			/* §3.3.8: keep the verifier in atime/mtime (as knfsd
			 * does) so a retransmitted EXCLUSIVE create matches. */
			memset(&sa, 0, sizeof(sa));
			sa.atime.how = sa.mtime.how = SET_TO_CLIENT_TIME;
			sa.atime.sec = (uint32_t)a->verf[0] << 24 | (uint32_t)a->verf[1] << 16 |
				       (uint32_t)a->verf[2] << 8 | a->verf[3];
			sa.mtime.sec = (uint32_t)a->verf[4] << 24 | (uint32_t)a->verf[5] << 16 |
				       (uint32_t)a->verf[6] << 8 | a->verf[7];
			if (err == EEXIST) {
				if (fstatat(dfd, a->name.s, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
				    (uint32_t)st.st_atim.tv_sec == sa.atime.sec &&
				    (uint32_t)st.st_mtim.tv_sec == sa.mtime.sec)
					err = 0, r = 0;
				else
					s = NFS3ERR_EXIST;
			}
		} else if (err == EEXIST && a->how == CREATE_UNCHECKED) {
			/* UNCHECKED on an existing regular file: only the size
			 * (and times) apply, like O_CREAT|O_TRUNC. Anything else
			 * (symlink, directory, device, FIFO) is EXIST, as in
			 * knfsd: a client must not get a "file" handle that is
			 * a symlink. */
			if (fstatat(dfd, a->name.s, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
				err = 0;
			sa.set_mode = sa.set_uid = sa.set_gid = false;
		}
		if (s == NFS3_OK && err)
			s = nfs3_errno(err);
		if (s == NFS3_OK)
			s = created(c, dfd, a->name.s, &sa, &ofd);
	}
	return finish_diropres(c, w, s, ofd, dfd, &pre, pre_ok);
}

int nfs3_mkdir(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int dfd = -1, ofd = -1;
	struct stat pre;
	bool pre_ok;
	uint32_t s = dirop_begin(c, &a->fh, &a->name, &dfd, &pre, &pre_ok);
	if (s == NFS3_OK) {
		mode_t mode = req_mode(&a->sattr, 0755);
		if (mkdirat(dfd, a->name.s, mode) < 0)
			s = nfs3_errno(errno);
		else
			s = created(c, dfd, a->name.s, &a->sattr, &ofd);
	}
	return finish_diropres(c, w, s, ofd, dfd, &pre, pre_ok);
}

int nfs3_symlink(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int dfd = -1, ofd = -1;
	struct stat pre;
	bool pre_ok;
	uint32_t s = dirop_begin(c, &a->fh, &a->name, &dfd, &pre, &pre_ok);
	if (s == NFS3_OK && a->path[0] == '\0')
		s = NFS3ERR_INVAL;
	if (s == NFS3_OK) {
		if (symlinkat(a->path, dfd, a->name.s) < 0) {
			s = nfs3_errno(errno);
		} else {
			struct sattr3 sa = a->sattr;
			sa.set_mode = false; /* symlink modes are always 0777 */
			s = created(c, dfd, a->name.s, &sa, &ofd);
		}
	}
	return finish_diropres(c, w, s, ofd, dfd, &pre, pre_ok);
}

int nfs3_mknod(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	static const struct {
		uint32_t ftype;
		mode_t fmt;
	} types[] = {
		{ NF3CHR, S_IFCHR }, { NF3BLK, S_IFBLK }, { NF3SOCK, S_IFSOCK }, { NF3FIFO, S_IFIFO },
	};
	int dfd = -1, ofd = -1;
	struct stat pre;
	bool pre_ok;
	mode_t fmt = 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].ftype == a->ftype)
			fmt = types[i].fmt;
	uint32_t s = dirop_begin(c, &a->fh, &a->name, &dfd, &pre, &pre_ok);
	if (s == NFS3_OK && !fmt)
		s = NFS3ERR_BADTYPE;
	if (s == NFS3_OK) {
		mode_t mode = req_mode(&a->sattr, 0644);
		dev_t dev = (fmt == S_IFCHR || fmt == S_IFBLK) ? makedev(a->major, a->minor) : 0;
		if (mknodat(dfd, a->name.s, fmt | mode, dev) < 0)
			s = nfs3_errno(errno);
		else
			s = created(c, dfd, a->name.s, &a->sattr, &ofd);
	}
	return finish_diropres(c, w, s, ofd, dfd, &pre, pre_ok);
}

static int remove_common(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w, int flags)
{
	int dfd = -1;
	struct stat pre;
	bool pre_ok;
	struct stat vst;
	uint32_t s = dirop_begin(c, &a->fh, &a->name, &dfd, &pre, &pre_ok);
	/* Cached fds would keep a removed file's blocks allocated. */
	if (s == NFS3_OK)
		nfs3_forget(c, dfd, a->name.s, &vst);
	if (s == NFS3_OK && unlinkat(dfd, a->name.s, flags) < 0)
		s = nfs3_errno(errno == EEXIST ? ENOTEMPTY : errno);
	xdr_put_u32(w, s);
	nfs3_put_wcc(w, &pre, pre_ok, dfd);
	close_fd(dfd);
	return 0;
}

int nfs3_remove(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	return remove_common(c, a, w, 0);
}

int nfs3_rmdir(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	return remove_common(c, a, w, AT_REMOVEDIR);
}

int nfs3_rename(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fdir = -1, tdir = -1;
	struct stat fpre, tpre;
	bool fpre_ok, tpre_ok = false;
	uint32_t s = dirop_begin(c, &a->fh, &a->name, &fdir, &fpre, &fpre_ok);
	uint32_t s2 = nfs3_fh_open(c, &a->fh2, &tdir);
	if (tdir >= 0)
		tpre_ok = nfs3_stat(tdir, &tpre) == 0;
	if (s == NFS3_OK)
		s = s2;
	if (s == NFS3_OK)
		s = nfs3_check_name(&a->name2);
	struct stat vst;
	if (s == NFS3_OK)
		nfs3_forget(c, tdir, a->name2.s, &vst); /* the replaced target */
	if (s == NFS3_OK && renameat(fdir, a->name.s, tdir, a->name2.s) < 0)
		s = nfs3_errno(errno == EEXIST ? ENOTEMPTY : errno);
	xdr_put_u32(w, s);
	nfs3_put_wcc(w, &fpre, fpre_ok, fdir);
	nfs3_put_wcc(w, &tpre, tpre_ok, tdir);
	close_fd(fdir);
	close_fd(tdir);
	return 0;
}

int nfs3_link(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd = -1, dfd = -1;
	struct stat pre;
	bool pre_ok = false;
	uint32_t s = nfs3_fh_open(c, &a->fh, &fd);
	uint32_t s2 = dirop_begin(c, &a->fh2, &a->name, &dfd, &pre, &pre_ok);
	if (s == NFS3_OK)
		s = s2;
	if (s == NFS3_OK) {
		/* linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH,
		 * which the caller's identity may not have; the magic link
		 * does the same with ordinary permission checks. */
		char p[40];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, p, dfd, a->name.s, AT_SYMLINK_FOLLOW) < 0)
			s = nfs3_errno(errno);
	}
	xdr_put_u32(w, s);
	nfs3_put_post_op(w, fd);
	nfs3_put_wcc(w, &pre, pre_ok, dfd);
	close_fd(fd);
	close_fd(dfd);
	return 0;
}
