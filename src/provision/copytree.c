/* copytree.c - the tree copier behind `image import` and the copy layout:
 * openat/fstatat walk, copy_file_range with SEEK_DATA/SEEK_HOLE for sparse
 * files, xattrs (ACLs are system.posix_acl_*, capabilities are
 * security.capability) copied after chown, which clears capabilities,
 * hard links through an (dev, ino) map, and times set last.
 *
 * Owns: copying a tree (reflink when possible) without following links
 * out. Must not touch: what is being copied (images, clients). */
#include "provision/copytree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t prov_cancel;

#define COPY_MAX_DEPTH 200
#define LINKMAP_MAX (1u << 24) /* hard-linked inodes remembered, at most */
#define XATTR_BUF (64 * 1024)  /* Linux caps one xattr value at 64 KiB */
#define CHUNK (8u << 20)       /* copy_file_range step: keeps Ctrl-C prompt */

struct link_ent {
	dev_t dev;
	ino_t ino;
	char *rel;
};

struct copy_ctx {
	const struct copy_opts *o;
	struct copy_stats *st;
	dev_t root_dev;
	int dst_root;
	char path[PATH_MAX];   /* current path relative to the roots */
	size_t plen;
	struct link_ent *links;
	size_t nlinks, caplinks;
	char *names, *value;   /* xattr scratch, owned by this copy */
	char *buf;             /* read/write fallback buffer, allocated on first use */
	bool no_cfr;           /* copy_file_range unusable between these fs */
	struct timespec t0, last;
	char *err;
	size_t errlen;
};

static int fail(struct copy_ctx *c, int e, const char *what)
{
	if (prov_cancel || e == ECANCELED)
		return -ECANCELED; /* Ctrl-C interrupted a system call */
	if (e == ENOSPC)
		snprintf(c->err, c->errlen, "disk full while writing %s (%s)", c->plen ? c->path : ".", what);
	else
		snprintf(c->err, c->errlen, "%s %s: %s", what, c->plen ? c->path : ".", strerror(e));
	return -e;
}

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress(struct copy_ctx *c, bool final)
{
	if (!c->o->progress)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && since(&c->last, &now) < 0.25)
		return;
	c->last = now;
	double el = since(&c->t0, &now), rate = el > 0 ? (double)c->st->bytes / el : 0;
	char eta[32] = "";
	if (c->o->est_bytes > c->st->bytes && rate > 0) {
		unsigned s = (unsigned)((double)(c->o->est_bytes - c->st->bytes) / rate);
		snprintf(eta, sizeof(eta), "  ETA %u:%02u", s / 60, s % 60);
	}
	fprintf(stderr, "\r  %8.1f MiB  %8llu files  %7.1f MiB/s%s   ", (double)c->st->bytes / 1048576.0,
		(unsigned long long)c->st->files, rate / 1048576.0, eta);
	if (final)
		fputc('\n', stderr);
}

static size_t link_hash(dev_t d, ino_t i, size_t cap)
{
	uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull ^ (uint64_t)d;
	return (size_t)(h ^ h >> 29) & (cap - 1);
}

static const char *link_find(struct copy_ctx *c, dev_t d, ino_t i)
{
	if (!c->caplinks)
		return NULL;
	for (size_t k = link_hash(d, i, c->caplinks);; k = (k + 1) & (c->caplinks - 1)) {
		if (!c->links[k].rel)
			return NULL;
		if (c->links[k].dev == d && c->links[k].ino == i)
			return c->links[k].rel;
	}
}

static int link_add(struct copy_ctx *c, dev_t d, ino_t i)
{
	if (c->nlinks * 2 >= c->caplinks) {
		size_t ncap = c->caplinks ? c->caplinks * 2 : 1024;
		if (ncap > LINKMAP_MAX)
			return -E2BIG;
		struct link_ent *n = calloc(ncap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (size_t k = 0; k < c->caplinks; k++) {
			if (!c->links[k].rel)
				continue;
			size_t j = link_hash(c->links[k].dev, c->links[k].ino, ncap);
			while (n[j].rel)
				j = (j + 1) & (ncap - 1);
			n[j] = c->links[k];
		}
		free(c->links);
		c->links = n;
		c->caplinks = ncap;
	}
	char *rel = strdup(c->path);
	if (!rel)
		return -ENOMEM;
	size_t j = link_hash(d, i, c->caplinks);
	while (c->links[j].rel)
		j = (j + 1) & (c->caplinks - 1);
	c->links[j] = (struct link_ent){ d, i, rel };
	c->nlinks++;
	return 0;
}

/* Copy xattrs. For regular files and directories sfd/dfd are open; for
 * symlinks and device nodes the l* calls go through /proc/self/fd/N/name,
 * which resolves the directory but not the last component. */
static int copy_xattrs(struct copy_ctx *c, int sfd, int dfd, int sdir, int ddir, const char *name)
{
	char sp[64 + NAME_MAX], dp[64 + NAME_MAX];
	ssize_t n;
	if (sfd >= 0) {
		n = flistxattr(sfd, c->names, XATTR_BUF);
	} else {
		snprintf(sp, sizeof(sp), "/proc/self/fd/%d/%s", sdir, name);
		snprintf(dp, sizeof(dp), "/proc/self/fd/%d/%s", ddir, name);
		n = llistxattr(sp, c->names, XATTR_BUF);
	}
	if (n < 0)
		return errno == ENOTSUP || errno == ENODATA ? 0 : fail(c, errno, "listing xattrs of");
	for (ssize_t off = 0; off < n; off += (ssize_t)strlen(c->names + off) + 1) {
		const char *k = c->names + off;
		/* overlayfs bookkeeping of a source that was itself an upper
		 * layer would confuse the overlay we build on top. */
		if (strncmp(k, "trusted.overlay.", 16) == 0)
			continue;
		ssize_t vl = sfd >= 0 ? fgetxattr(sfd, k, c->value, XATTR_BUF) : lgetxattr(sp, k, c->value, XATTR_BUF);
		if (vl < 0)
			continue;
		int r = dfd >= 0 ? fsetxattr(dfd, k, c->value, (size_t)vl, 0)
				 : lsetxattr(dp, k, c->value, (size_t)vl, 0);
		if (r < 0) {
			if (errno == ENOSPC || errno == EDQUOT)
				return fail(c, errno, "setting xattrs of");
			c->st->xattr_failures++;
		}
	}
	return 0;
}

static int copy_data_range(struct copy_ctx *c, int sfd, int dfd, off_t off, off_t end)
{
	enum { BUF = 1 << 17 };
	while (off < end) {
		if (prov_cancel)
			return -ECANCELED;
		size_t want = (size_t)(end - off) < CHUNK ? (size_t)(end - off) : CHUNK;
		ssize_t n;
		if (!c->no_cfr) {
			off_t so = off, dout = off;
			n = copy_file_range(sfd, &so, dfd, &dout, want, 0);
			if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
				c->no_cfr = true;
				continue;
			}
		} else {
			if (!c->buf && !(c->buf = malloc(BUF)))
				return fail(c, ENOMEM, "copying");
			if (want > BUF)
				want = BUF;
			n = pread(sfd, c->buf, want, off);
			if (n > 0) {
				ssize_t w = 0;
				while (w < n) {
					ssize_t k = pwrite(dfd, c->buf + w, (size_t)(n - w), off + w);
					if (k < 0)
						return fail(c, errno, "writing");
					w += k;
				}
			}
		}
		if (n < 0 && errno == EINTR)
			continue; /* the loop head sees prov_cancel */
		if (n < 0)
			return fail(c, errno, "copying");
		if (n == 0)
			break; /* the file shrank under us */
		off += n;
		c->st->bytes += (uint64_t)n;
		progress(c, false);
	}
	return 0;
}

static int copy_reg_data(struct copy_ctx *c, int sfd, int dfd, const struct stat *s)
{
	if (c->o->reflink && ioctl(dfd, FICLONE, sfd) == 0) {
		c->st->bytes += (uint64_t)s->st_size;
		return 0;
	}
	int r;
	if ((uint64_t)s->st_blocks * 512 < (uint64_t)s->st_size) {
		/* Sparse: copy only the data extents, then set the size so a
		 * trailing hole stays a hole. */
		off_t off = 0;
		for (;;) {
			off_t d = lseek(sfd, off, SEEK_DATA);
			if (d < 0)
				break; /* ENXIO: no more data */
			off_t h = lseek(sfd, d, SEEK_HOLE);
			if (h < 0)
				h = s->st_size;
			if ((r = copy_data_range(c, sfd, dfd, d, h)) < 0)
				return r;
			off = h;
		}
		if (ftruncate(dfd, s->st_size) < 0)
			return fail(c, errno, "sizing");
		return 0;
	}
	return copy_data_range(c, sfd, dfd, 0, s->st_size);
}

static int set_owner_mode(struct copy_ctx *c, int ddir, const char *name, int dfd, const struct stat *s)
{
	/* chown first: it clears setuid bits and security.capability, which
	 * fchmod and the xattr copy then restore. */
	int r = dfd >= 0 ? fchown(dfd, s->st_uid, s->st_gid)
			 : fchownat(ddir, name, s->st_uid, s->st_gid, AT_SYMLINK_NOFOLLOW);
	if (r < 0 && errno != EPERM)
		return fail(c, errno, "chown");
	if (S_ISLNK(s->st_mode))
		return 0;
	r = dfd >= 0 ? fchmod(dfd, s->st_mode & 07777) : fchmodat(ddir, name, s->st_mode & 07777, 0);
	if (r < 0)
		return fail(c, errno, "chmod");
	return 0;
}

static int copy_dir(struct copy_ctx *c, int sdir, int ddir, int depth);

static int path_push(struct copy_ctx *c, const char *name, size_t *saved)
{
	size_t nl = strlen(name);
	*saved = c->plen;
	if (c->plen + nl + 2 > sizeof(c->path))
		return -ENAMETOOLONG;
	if (c->plen)
		c->path[c->plen++] = '/';
	memcpy(c->path + c->plen, name, nl + 1);
	c->plen += nl;
	return 0;
}

static void path_pop(struct copy_ctx *c, size_t saved)
{
	c->plen = saved;
	c->path[saved] = '\0';
}

static bool root_excluded(const char *name)
{
	static const char *const ex[] = { "proc", "sys", "dev", "run", "tmp" };
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++)
		if (strcmp(name, ex[i]) == 0)
			return true;
	return false;
}

/* A second name of a file already copied becomes a hard link to the
 * copy. 1 linked, 0 not seen before (copy it), or a negative errno. */
static int copy_hardlink(struct copy_ctx *c, int ddir, const char *name, const struct stat *s)
{
	if (S_ISDIR(s->st_mode) || s->st_nlink <= 1)
		return 0;
	const char *first = link_find(c, s->st_dev, s->st_ino);
	if (!first)
		return 0;
	if (linkat(c->dst_root, first, ddir, name, 0) < 0)
		return fail(c, errno, "hard-linking");
	c->st->files++;
	return 1;
}

/* A directory: made 0700 (its mode is set after its contents), then
 * filled. The fds opened are left in *sfd and *dfd for the caller. */
static int copy_node_dir(struct copy_ctx *c, int sdir, int ddir, const char *name, const struct stat *s, int depth,
			 int *sfd, int *dfd)
{
	if (mkdirat(ddir, name, 0700) < 0)
		return fail(c, errno, "mkdir");
	if ((*sfd = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (*dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fail(c, errno, "opening");
	/* A mount point (rsync -x) or an excluded system directory is
	 * copied as itself, empty. */
	bool descend = !(c->o->one_fs && s->st_dev != c->root_dev) &&
		       !(c->o->root_excludes && depth == 0 && root_excluded(name));
	return descend ? copy_dir(c, *sfd, *dfd, depth + 1) : 0;
}

/* A regular file: created 0600, its data copied. The fds are left in
 * *sfd and *dfd for the caller. */
static int copy_node_reg(struct copy_ctx *c, int sdir, int ddir, const char *name, const struct stat *s, int *sfd,
			 int *dfd)
{
	if ((*sfd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME)) < 0 &&
	    (errno != EPERM || (*sfd = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0))
		return fail(c, errno, "opening");
	if ((*dfd = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return fail(c, errno, "creating");
	return copy_reg_data(c, *sfd, *dfd, s);
}

/* Make name in ddir as the source entry is: a directory with its
 * contents, a file with its data, a symlink, or a device node, fifo or
 * socket. Ownership, mode, xattrs and times come after (copy_meta). */
static int copy_node(struct copy_ctx *c, int sdir, int ddir, const char *name, const struct stat *s, int depth,
		     int *sfd, int *dfd)
{
	if (S_ISDIR(s->st_mode))
		return copy_node_dir(c, sdir, ddir, name, s, depth, sfd, dfd);
	if (S_ISREG(s->st_mode))
		return copy_node_reg(c, sdir, ddir, name, s, sfd, dfd);
	if (S_ISLNK(s->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return fail(c, errno, "readlink");
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return fail(c, errno, "symlink");
		return 0;
	}
	/* device nodes, fifos, sockets */
	if (mknodat(ddir, name, s->st_mode & (S_IFMT | 07777), s->st_rdev) < 0)
		return fail(c, errno, "mknod");
	return 0;
}

/* Owner, mode, xattrs and times of the copy, then the regular file's
 * close (its errors count: the data may only fail to land there). */
static int copy_meta(struct copy_ctx *c, int sdir, int ddir, const char *name, const struct stat *s, int sfd,
		     int *dfd)
{
	int r;
	if ((r = set_owner_mode(c, ddir, name, *dfd, s)) < 0)
		return r;
	if ((r = copy_xattrs(c, sfd, *dfd, sdir, ddir, name)) < 0)
		return r;
	struct timespec ts[2] = { s->st_atim, s->st_mtim };
	if ((*dfd >= 0 ? futimens(*dfd, ts) : utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW)) < 0)
		return fail(c, errno, "setting times of");
	if (*dfd >= 0 && S_ISREG(s->st_mode)) {
		int fd = *dfd;
		*dfd = -1;
		if (close(fd) < 0)
			return fail(c, errno, "closing");
	}
	return 0; /* a directory's fd is closed by the caller */
}

static int copy_one(struct copy_ctx *c, int sdir, int ddir, const char *name, int depth)
{
	struct stat s;
	int r, sfd = -1, dfd = -1;
	if (prov_cancel)
		return -ECANCELED;
	if (fstatat(sdir, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(c, errno, "stat");
	if (c->o->have_skip && S_ISDIR(s.st_mode) && s.st_dev == c->o->skip_dev && s.st_ino == c->o->skip_ino)
		return 0;
	if ((r = copy_hardlink(c, ddir, name, &s)) != 0)
		return r < 0 ? r : 0;
	if ((r = copy_node(c, sdir, ddir, name, &s, depth, &sfd, &dfd)) < 0 ||
	    (r = copy_meta(c, sdir, ddir, name, &s, sfd, &dfd)) < 0)
		goto out;
	if (!S_ISDIR(s.st_mode) && s.st_nlink > 1 && (r = link_add(c, s.st_dev, s.st_ino)) < 0)
		goto out;
	c->st->files++;
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

static int copy_dir(struct copy_ctx *c, int sdir, int ddir, int depth)
{
	if (depth > COPY_MAX_DEPTH)
		return fail(c, ELOOP, "too deep at");
	int fd = dup(sdir);
	if (fd < 0)
		return fail(c, errno, "dup");
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return fail(c, errno, "reading");
	}
	int r = 0;
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		size_t saved;
		if (path_push(c, de->d_name, &saved) < 0) {
			r = fail(c, ENAMETOOLONG, "path");
			break;
		}
		r = copy_one(c, sdir, ddir, de->d_name, depth);
		path_pop(c, saved);
		if (r < 0)
			break;
	}
	if (!r && errno)
		r = fail(c, errno, "reading");
	closedir(d);
	return r;
}

int copy_tree(const char *src, const char *dst, const struct copy_opts *o, struct copy_stats *st, char *err,
	      size_t errlen)
{
	struct copy_ctx c;
	memset(&c, 0, sizeof(c));
	memset(st, 0, sizeof(*st));
	c.o = o;
	c.st = st;
	c.err = err;
	c.errlen = errlen;
	c.dst_root = -1;
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	c.last = c.t0;
	int r, sfd = -1;
	struct stat s;
	c.names = malloc(XATTR_BUF);
	c.value = malloc(XATTR_BUF);
	if (!c.names || !c.value) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(sfd, &s) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", src, strerror(errno));
		goto out;
	}
	c.root_dev = s.st_dev;
	if (mkdir(dst, 0700) < 0 || (c.dst_root = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		goto out;
	}
	if ((r = copy_dir(&c, sfd, c.dst_root, 0)) < 0)
		goto out;
	if ((r = set_owner_mode(&c, -1, NULL, c.dst_root, &s)) < 0 ||
	    (r = copy_xattrs(&c, sfd, c.dst_root, -1, -1, NULL)) < 0)
		goto out;
	struct timespec ts[2] = { s.st_atim, s.st_mtim };
	if (futimens(c.dst_root, ts) < 0)
		r = fail(&c, errno, "setting times of");
	progress(&c, true);
out:
	if (r == -ECANCELED)
		snprintf(err, errlen, "interrupted");
	if (sfd >= 0)
		close(sfd);
	if (c.dst_root >= 0)
		close(c.dst_root);
	for (size_t k = 0; k < c.caplinks; k++)
		free(c.links[k].rel);
	free(c.links);
	free(c.names);
	free(c.value);
	free(c.buf);
	return r;
}

static int rm_at(int dirfd, const char *name, dev_t dev, int depth)
{
	struct stat s;
	if (fstatat(dirfd, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(s.st_mode))
		return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (s.st_dev != dev)
		return -EBUSY; /* a mount point: never delete through it */
	if (depth > COPY_MAX_DEPTH)
		return -ELOOP;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int e = rm_at(fd, de->d_name, dev, depth + 1);
		if (e < 0 && !r)
			r = e;
	}
	closedir(d);
	if (!r && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

int rm_tree(const char *path)
{
	struct stat s;
	if (lstat(path, &s) < 0)
		return errno == ENOENT ? 0 : -errno;
	return rm_at(AT_FDCWD, path, s.st_dev, 0);
}
