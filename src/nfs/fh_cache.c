/* fh_cache.c - direct-mapped handle -> O_PATH fd cache behind one mutex
 * (plus, per entry, the read-only and the read-write fd of a file once a
 * READ or a WRITE needed one).
 * The slot is chosen by the handle's HMAC tag (its last bytes), which is
 * uniformly distributed, so no hashing is needed. A colliding insert
 * replaces the old entry. Callers always get their own dup(), so eviction
 * can never close a descriptor somebody is using.
 * Must not decide access or decode handles: it trusts its callers to
 * insert only handles they verified. */
#include "nfs/fh_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nfs/fh.h"

struct fh_slot {
	const struct nfs_export *ex;
	int fd, rfd, wfd;       /* O_PATH; O_RDONLY for READ; O_RDWR for WRITE */
	uint32_t len;
	uint8_t fh[FH_MAX];
	dev_t dev;
	ino_t ino;
};

struct fh_cache {
	pthread_mutex_t mu;
	size_t n;
	struct fh_slot *v;
};

struct fh_cache *fh_cache_new(size_t n)
{
	struct fh_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->v = calloc(n, sizeof(*c->v));
	if (!c->v) {
		free(c);
		return NULL;
	}
	c->n = n;
	for (size_t i = 0; i < n; i++)
		c->v[i].fd = c->v[i].rfd = c->v[i].wfd = -1;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void fh_cache_free(struct fh_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].fd >= 0)
			close(c->v[i].fd);
		if (c->v[i].rfd >= 0)
			close(c->v[i].rfd);
		if (c->v[i].wfd >= 0)
			close(c->v[i].wfd);
	}
	pthread_mutex_destroy(&c->mu);
	free(c->v);
	free(c);
}

static int dup_cloexec(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

static size_t slot_of(const struct fh_cache *c, const uint8_t *fh, uint32_t len)
{
	uint32_t h = 0;
	for (uint32_t i = len >= 4 ? len - 4 : 0; i < len; i++)
		h = h << 8 | fh[i];
	return h % c->n;
}

/* Handles outside these bounds can never have been cached. */
static bool cacheable(const struct fh_cache *c, uint32_t len)
{
	return c && len >= FH_OVERHEAD && len <= FH_MAX;
}

static bool slot_holds(const struct fh_slot *s, const struct nfs_export *ex, const uint8_t *fh, uint32_t len)
{
	return s->fd >= 0 && s->ex == ex && s->len == len && !memcmp(s->fh, fh, len);
}

int fh_cache_get(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len)
{
	if (!cacheable(c, len))
		return -1;
	int fd = -1;
	pthread_mutex_lock(&c->mu);
	struct fh_slot *s = &c->v[slot_of(c, fh, len)];
	if (slot_holds(s, ex, fh, len))
		fd = dup_cloexec(s->fd);
	pthread_mutex_unlock(&c->mu);
	return fd;
}

int fh_cache_stat(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len,
		  struct stat *st)
{
	if (!cacheable(c, len))
		return -ENOENT;
	int r = -ENOENT;
	pthread_mutex_lock(&c->mu);
	struct fh_slot *s = &c->v[slot_of(c, fh, len)];
	if (slot_holds(s, ex, fh, len))
		r = fstatat(s->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	pthread_mutex_unlock(&c->mu);
	return r;
}

void fh_cache_put(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len, int fd,
		  dev_t dev, ino_t ino)
{
	if (!cacheable(c, len))
		return;
	pthread_mutex_lock(&c->mu);
	bool known = slot_holds(&c->v[slot_of(c, fh, len)], ex, fh, len);
	pthread_mutex_unlock(&c->mu);
	if (known)
		return;
	int nfd = dup_cloexec(fd);
	if (nfd < 0)
		return;
	pthread_mutex_lock(&c->mu);
	struct fh_slot *s = &c->v[slot_of(c, fh, len)];
	int old = s->fd, oldr = s->rfd, oldw = s->wfd;
	if (slot_holds(s, ex, fh, len))
		oldr = oldw = -1;       /* same handle again: keep its I/O fds */
	else
		s->rfd = s->wfd = -1;
	s->ex = ex;
	s->fd = nfd;
	s->len = len;
	memcpy(s->fh, fh, len);
	s->dev = dev;
	s->ino = ino;
	pthread_mutex_unlock(&c->mu);
	if (old >= 0)
		close(old);
	if (oldr >= 0)
		close(oldr);
	if (oldw >= 0)
		close(oldw);
}

int fh_cache_get_io(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len, bool write)
{
	if (!cacheable(c, len))
		return -1;
	int fd = -1;
	pthread_mutex_lock(&c->mu);
	struct fh_slot *s = &c->v[slot_of(c, fh, len)];
	int io = write ? s->wfd : s->rfd;
	if (io >= 0 && slot_holds(s, ex, fh, len))
		fd = dup_cloexec(io);
	pthread_mutex_unlock(&c->mu);
	return fd;
}

void fh_cache_put_io(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len, int fd,
		     bool write)
{
	if (!cacheable(c, len))
		return;
	int nfd = dup_cloexec(fd);
	if (nfd < 0)
		return;
	int old = -1;
	pthread_mutex_lock(&c->mu);
	struct fh_slot *s = &c->v[slot_of(c, fh, len)];
	if (slot_holds(s, ex, fh, len) && write && s->wfd < 0) {
		s->wfd = nfd;
		/* The file is open for writing now (an overlay file is in the
		 * upper layer): READs use the same open file from here on, so
		 * no read-only fd opened before a copy-up can see stale data
		 * on kernels whose overlayfs does not follow the copy-up. */
		old = s->rfd;
		s->rfd = dup_cloexec(nfd);
		nfd = -1;
	} else if (slot_holds(s, ex, fh, len) && !write && s->rfd < 0) {
		s->rfd = nfd;
		nfd = -1;
	}
	pthread_mutex_unlock(&c->mu);
	if (nfd >= 0)
		close(nfd);
	if (old >= 0)
		close(old);
}

static void slot_clear(struct fh_slot *s)
{
	close(s->fd);
	if (s->rfd >= 0)
		close(s->rfd);
	if (s->wfd >= 0)
		close(s->wfd);
	s->fd = s->rfd = s->wfd = -1;
	s->ex = NULL;
}

void fh_cache_purge(struct fh_cache *c, dev_t dev, ino_t ino)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++) {
		struct fh_slot *s = &c->v[i];
		if (s->fd >= 0 && s->ino == ino && s->dev == dev)
			slot_clear(s);
	}
	pthread_mutex_unlock(&c->mu);
}

void fh_cache_purge_export(struct fh_cache *c, const struct nfs_export *ex)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->n; i++) {
		struct fh_slot *s = &c->v[i];
		if (s->fd >= 0 && s->ex == ex)
			slot_clear(s);
	}
	pthread_mutex_unlock(&c->mu);
}
