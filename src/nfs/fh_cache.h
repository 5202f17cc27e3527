/* fh_cache.h - a bounded cache from authenticated file handles to open
 * O_PATH descriptors, shared by the loop and the worker threads. A hit
 * skips the HMAC, open_by_handle_at and the containment walk (all three
 * were done when the entry was added, and the key is the whole
 * authenticated envelope). Entries pin inodes in memory, which is what lets
 * the event loop answer GETATTR/ACCESS/LOOKUP for them without disk I/O.
 * Owns descriptors only; must not know about RPC, access or sockets. */
#ifndef PINETBOOT_NFS_FH_CACHE_H
#define PINETBOOT_NFS_FH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct fh_cache;
struct nfs_export;

/* n slots (direct-mapped); NULL on allocation failure. */
struct fh_cache *fh_cache_new(size_t n);
void fh_cache_free(struct fh_cache *c);
/* A dup of the cached fd for this handle of this export, or -1. */
int fh_cache_get(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len);
/* The attributes of the cached object of this handle (fstat of the cached
 * fd, under the lock, so no descriptor is duplicated): 0, -ENOENT when not
 * cached, or -errno of fstat. */
int fh_cache_stat(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len,
		  struct stat *st);
/* Remember fd (dup'ed; the caller keeps its own) for the handle. Again for
 * a handle already cached: nothing changes (same handle, same object). */
void fh_cache_put(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len, int fd,
		  dev_t dev, ino_t ino);
/* The same for the I/O descriptors of a regular file, kept beside the
 * O_PATH one: a read-only one (READ; write false) and a read-write one
 * (WRITE; write true). Reads never get or make a writable descriptor:
 * overlayfs copies a file up into the Pi's layer on any open for write.
 * Once a read-write fd is cached, READ is served from it too. */
int fh_cache_get_io(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len, bool write);
void fh_cache_put_io(struct fh_cache *c, const struct nfs_export *ex, const uint8_t *fh, uint32_t len, int fd,
		     bool write);
/* Forget every entry for this inode (it was removed or replaced), so a
 * deleted file's space is not held by the cache. */
void fh_cache_purge(struct fh_cache *c, dev_t dev, ino_t ino);
/* Forget every entry of this export (it is being unmounted). */
void fh_cache_purge_export(struct fh_cache *c, const struct nfs_export *ex);

#endif
