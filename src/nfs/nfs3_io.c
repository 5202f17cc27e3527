/* nfs3_io.c - data procedures: READ, WRITE, COMMIT, READLINK (RFC 1813
 * §3.3.5-7, §3.3.21). READ data goes straight from pread into the reply
 * buffer. WRITE honours stable_how: DATA_SYNC and FILE_SYNC data reach the
 * disk (fdatasync/fsync) before the reply; UNSTABLE data is flushed by
 * COMMIT, and the server-start verifier tells clients when to resend.
 * Must not touch sockets, connections or the access rule. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nfs/fh_cache.h"
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

/* UNSTABLE writes of at least this many bytes start their writeback. */
#define WRITE_BEHIND_MIN (128u << 10)

/* status + post_op_attr(with attributes) + count + eof + data length */
#define READ_HDR (4 + 4 + 84 + 4 + 4 + 4)

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static uint32_t open_regular(struct nfs3_ctx *c, const struct nfs_fh *fh, int *fd, struct stat *st, bool *st_ok)
{
	*st_ok = false;
	uint32_t s = nfs3_fh_open(c, fh, fd);
	if (s != NFS3_OK)
		return s;
	if (nfs3_stat(*fd, st) < 0)
		return nfs3_errno(errno);
	*st_ok = true;
	if (S_ISDIR(st->st_mode))
		return NFS3ERR_ISDIR;
	if (!S_ISREG(st->st_mode))
		return NFS3ERR_INVAL;
	return NFS3_OK;
}

/* A descriptor for file I/O, opened as root (the caller's rights were
 * checked from the mode bits) and cached beside the handle's O_PATH fd for
 * the next READ/WRITE. Read-only for READ, read-write only for WRITE:
 * overlayfs copies a file into the Pi's upper layer on any open for
 * writing, so a READ that opened O_RDWR would copy every file a Pi reads
 * out of the shared image (issue 13). */
static int open_io(struct nfs3_ctx *c, int fd, const struct nfs_fh *fh, bool write)
{
	bool was_user = c->as_user;
	nfs3_become_root(c);
	int r = nfs3_reopen(fd, write ? O_RDWR : O_RDONLY);
	if (r >= 0)
		fh_cache_put_io(c->cache, c->ex, fh->data, fh->len, r, write);
	if (was_user)
		nfs3_become_user(c);
	return r;
}

static void note_init_read(struct nfs3_ctx *c, const struct stat *st)
{
	struct nfs_export *ex = (struct nfs_export *)(uintptr_t)c->ex;
	for (int i = 0; i < 2; i++) {
		if (ex->init_ino[i] && st->st_ino == ex->init_ino[i] && st->st_dev == ex->init_dev[i] &&
		    atomic_exchange(&ex->init_pending, false))
			c->init_read = 1 + i;
	}
}

/* The handle of a READ opened for reading: status, the O_PATH fd and its
 * attributes, and the I/O fd (cached, or opened; on the loop a miss means
 * a worker must do it). */
static uint32_t read_open(struct nfs3_ctx *c, const struct nfs_fh *fh, int *fd, struct stat *st, bool *st_ok,
			  int *ret_rfd)
{
	*ret_rfd = -1;
	uint32_t s = open_regular(c, fh, fd, st, st_ok);
	/* Permission from the mode bits, as knfsd does: reading a file the
	 * caller may only execute is allowed, because the client reads
	 * executables to run them (NFSD_MAY_READ_IF_EXEC). */
	if (s == NFS3_OK && !nfs3_access_bits(&c->cred, st, ACCESS3_READ | ACCESS3_EXECUTE))
		s = NFS3ERR_ACCES;
	if (s != NFS3_OK)
		return s;
	int rfd = fh_cache_get_io(c->cache, c->ex, fh->data, fh->len, true);
	if (rfd < 0)
		rfd = fh_cache_get_io(c->cache, c->ex, fh->data, fh->len, false);
	if (rfd < 0 && c->nonblock) {
		c->would_block = true;
		return NFS3ERR_JUKEBOX;
	}
	if (rfd < 0) {
		rfd = open_io(c, *fd, fh, false);
		if (rfd < 0)
			return nfs3_errno(-rfd);
	}
	*ret_rfd = rfd;
	return NFS3_OK;
}

/* Read count bytes at offset into dst; *got says how many came. On the
 * loop only from the page cache (RWF_NOWAIT): anything else is JUKEBOX
 * with would_block set, and a worker runs the call again. */
static uint32_t read_data(struct nfs3_ctx *c, int rfd, uint64_t offset, uint8_t *dst, size_t count,
			  off_t size, size_t *got)
{
	*got = 0;
	while (*got < count) {
		struct iovec iov = { dst + *got, count - *got };
		ssize_t n = preadv2(rfd, &iov, 1, (off_t)(offset + *got), c->nonblock ? RWF_NOWAIT : 0);
		if (n < 0 && c->nonblock) {
			c->would_block = true;
			return NFS3ERR_JUKEBOX;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nfs3_errno(errno);
		if (n == 0)
			break;
		*got += (size_t)n;
		if (c->nonblock && *got < count && offset + *got < (uint64_t)size) {
			/* short: part of the range is not cached */
			c->would_block = true;
			return NFS3ERR_JUKEBOX;
		}
	}
	return NFS3_OK;
}

int nfs3_read(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd, rfd;
	struct stat st;
	bool st_ok;
	size_t start = w->off, got = 0;
	uint32_t s = read_open(c, &a->fh, &fd, &st, &st_ok, &rfd);
	if (s != NFS3_OK || !wr_room(w, READ_HDR + 4)) {
		xdr_put_u32(w, s);
		nfs3_put_post_op_st(w, &st, st_ok);
		goto out;
	}
	size_t count = a->count < NFS3_MAX_IO ? a->count : NFS3_MAX_IO;
	size_t room = w->cap - start - READ_HDR - 4;
	if (count > room)
		count = room;
	/* No file reaches past INT64_MAX: an offset there (which off_t could
	 * not even hold) reads nothing and is at end of file, as in knfsd. */
	if (a->offset > (uint64_t)INT64_MAX - count)
		count = 0;
	s = read_data(c, rfd, a->offset, w->p + start + READ_HDR, count, st.st_size, &got);
	if (s != NFS3_OK) {
		xdr_put_u32(w, s);
		nfs3_put_post_op(w, fd);
		goto out;
	}
	bool ok = nfs3_stat(rfd, &st) == 0;
	if (got && a->offset == 0 && ok)
		note_init_read(c, &st);
	struct wr h = wr_init(w->p + start, READ_HDR);
	xdr_put_u32(&h, NFS3_OK);
	if (!ok) {
		/* keep the fixed header size: attributes are mandatory here */
		memset(&st, 0, sizeof(st));
	}
	nfs3_put_post_op_st(&h, &st, true);
	xdr_put_u32(&h, (uint32_t)got);
	xdr_put_u32(&h, ok && a->offset + got >= (uint64_t)st.st_size);
	xdr_put_u32(&h, (uint32_t)got);
	w->off = start + READ_HDR + got;
	wr_zero(w, xdr_pad(got));
out:
	close_fd(rfd);
	close_fd(fd);
	return 0;
}

/* Writers of one file take turns here: the file system serialises them on
 * the inode's lock anyway, where a waiting writer spins on the CPU while
 * the holder copies a megabyte (17 % of the server in rwsem_spin_on_owner
 * with 4 WRITEs of 1 MiB in flight); a waiter here sleeps and leaves the
 * CPU to the thread receiving the next calls. Striped by inode. */
#define WRITE_LOCKS 64
static pthread_mutex_t write_locks[WRITE_LOCKS] = {
#define WL4 PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER
#define WL16 WL4, WL4, WL4, WL4
	WL16, WL16, WL16, WL16,
#undef WL16
#undef WL4
};

static pthread_mutex_t *write_lock(const struct stat *st)
{
	uint64_t h = ((uint64_t)st->st_ino * 0x9e3779b97f4a7c15ull) ^ (uint64_t)st->st_dev;
	return &write_locks[(h >> 32) % WRITE_LOCKS];
}

int nfs3_write(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd, wfd = -1;
	struct stat pre;
	bool pre_ok;
	uint32_t s = open_regular(c, &a->fh, &fd, &pre, &pre_ok);
	/* The owner may always write (the client checked the mode when it
	 * opened the file: knfsd's owner override); others need a w bit. */
	if (s == NFS3_OK && c->cred.uid != pre.st_uid &&
	    !nfs3_access_bits(&c->cred, &pre, ACCESS3_MODIFY))
		s = NFS3ERR_ACCES;
	/* A range off_t cannot hold is too big before any syscall sees it. */
	if (s == NFS3_OK && a->offset > (uint64_t)INT64_MAX - a->count)
		s = NFS3ERR_FBIG;
	if (s == NFS3_OK) {
		wfd = fh_cache_get_io(c->cache, c->ex, a->fh.data, a->fh.len, true);
		if (wfd < 0)
			wfd = open_io(c, fd, &a->fh, true);
		if (wfd < 0)
			s = nfs3_errno(-wfd);
	}
	/* The write itself runs with the caller's filesystem identity (the
	 * descriptor was opened and checked as root), so the kernel's own
	 * file_remove_privs applies: a writer without CAP_FSETID, which a
	 * non-zero fsuid drops, loses setuid, and setgid when group-exec is
	 * set, exactly as a local write (issue 9). Client root keeps them,
	 * as root on a local file system does (no_root_squash). */
	if (s == NFS3_OK)
		nfs3_become_user(c);
	size_t done = 0;
	pthread_mutex_t *mu = s == NFS3_OK ? write_lock(&pre) : NULL;
	if (mu)
		pthread_mutex_lock(mu);
	/* §3.3.7: DATA_SYNC needs the data and the metadata to retrieve it,
	 * FILE_SYNC all of its metadata too: the write itself waits for that
	 * (RWF_DSYNC / RWF_SYNC: fdatasync / fsync of the range written, one
	 * system call instead of two). */
	int flags = a->stable == FILE_SYNC ? RWF_SYNC : a->stable == DATA_SYNC ? RWF_DSYNC : 0;
	while (s == NFS3_OK && done < a->count) {
		struct iovec iov = { (void *)(uintptr_t)(a->data + done), a->count - done };
		ssize_t n = pwritev2(wfd, &iov, 1, (off_t)(a->offset + done), flags);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			s = nfs3_errno(n < 0 ? errno : EIO);
		else
			done += (size_t)n;
	}
	if (mu)
		pthread_mutex_unlock(mu);
	/* A large UNSTABLE write starts its way to the disk now, without
	 * waiting for it, so the COMMIT that follows a stream of them (which
	 * still fsyncs everything it covers) finds most of it written: the
	 * disk works while the next megabytes arrive. Small writes (a journal
	 * rewriting its page) are left to COMMIT, which may write them once. */
	if (s == NFS3_OK && a->stable == UNSTABLE && done >= WRITE_BEHIND_MIN)
		(void)sync_file_range(wfd, (off_t)a->offset, (off_t)done, SYNC_FILE_RANGE_WRITE);
	xdr_put_u32(w, s);
	nfs3_put_wcc(w, &pre, pre_ok, fd);
	if (s == NFS3_OK) {
		xdr_put_u32(w, (uint32_t)done);
		xdr_put_u32(w, a->stable);
		xdr_put_fixed(w, c->write_verf, 8);
	}
	close_fd(wfd);
	close_fd(fd);
	return 0;
}

int nfs3_commit(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd, rfd = -1;
	struct stat pre;
	bool pre_ok;
	uint32_t s = open_regular(c, &a->fh, &fd, &pre, &pre_ok);
	if (s == NFS3_OK) {
		/* Flushing changes nothing a client could not see, and a
		 * write-only file must still be committable: do it as root. */
		rfd = nfs3_reopen(fd, O_RDONLY);
		if (rfd < 0 || fsync(rfd) < 0)
			s = nfs3_errno(rfd < 0 ? -rfd : errno);
	}
	xdr_put_u32(w, s);
	nfs3_put_wcc(w, &pre, pre_ok, fd);
	if (s == NFS3_OK)
		xdr_put_fixed(w, c->write_verf, 8);
	close_fd(rfd);
	close_fd(fd);
	return 0;
}

int nfs3_readlink(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	int fd;
	struct stat st;
	char buf[NFS3_MAXPATHLEN + 1];
	ssize_t n = -1;
	uint32_t s = nfs3_fh_open(c, &a->fh, &fd);
	if (s == NFS3_OK && (nfs3_stat(fd, &st) < 0 || !S_ISLNK(st.st_mode)))
		s = NFS3ERR_INVAL;
	/* On the loop only a target kept in the inode (a fast symlink: no
	 * blocks), which reading cannot wait for a disk for. */
	if (s == NFS3_OK && c->nonblock && st.st_blocks != 0) {
		c->would_block = true;
		s = NFS3ERR_JUKEBOX;
	}
	if (s == NFS3_OK && (n = readlinkat(fd, "", buf, sizeof(buf) - 1)) < 0)
		s = nfs3_errno(errno);
	xdr_put_u32(w, s);
	nfs3_put_post_op(w, fd);
	if (s == NFS3_OK)
		xdr_put_opaque(w, buf, (uint32_t)n);
	close_fd(fd);
	return 0;
}
