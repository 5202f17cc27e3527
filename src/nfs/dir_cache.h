/* dir_cache.h - a bounded cache of encoded READDIRPLUS listings: for one
 * directory of one export, every entry3plus as it goes on the wire (name,
 * cookie, attributes, the export's authenticated handle), so a listing that
 * was read once is answered again with no system call per entry.
 *
 * A listing is used only while everything that could change it is as it was
 * when it was read (struct dir_key): the same export and directory, the
 * directory's mtime and ctime (a name added, removed or renamed changes
 * both), the export's modification count (every WRITE, SETATTR, CREATE, ...
 * through the server bumps it, so attributes never lag behind a change a
 * client made) and its age below the cache's time to live (what changes
 * behind the server's back, e.g. a local edit of an upper layer, shows after
 * at most that long: the NFS client's own attribute cache keeps attributes
 * for 3 s or more anyway). Callers store a listing only when the
 * directory's ctime is older than the clock's granularity allows to
 * confuse (nfs3_dir.c: 2 s), so a change in the same tick cannot hide.
 *
 * Pure container behind one mutex: must not make system calls on
 * directories, decode handles or decide access (nfs3_dir.c does). */
#ifndef PINETBOOT_NFS_DIR_CACHE_H
#define PINETBOOT_NFS_DIR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/buf.h"

struct dir_key {
	const void *ex;         /* the export (handles are per export) */
	uint8_t eid[8];         /* and its id: a released export's memory
				 * reused for another Pi never matches */
	dev_t dev;
	ino_t ino;
	int64_t mtime_s, ctime_s;
	long mtime_ns, ctime_ns;
	uint32_t gen;           /* the export's modification count */
};

/* A listing being read (then owned by the cache once put). */
struct dir_snap;

#define DIR_SNAP_MAX_ENTRIES 65536
#define DIR_SNAP_MAX_BYTES (4u << 20)

struct dir_snap *dir_snap_new(void);
void dir_snap_free(struct dir_snap *s);
/* Append one encoded entry (len bytes starting with its "value follows"
 * word; esz of them count against the client's dircount) with its cookie.
 * -E2BIG past DIR_SNAP_MAX_ENTRIES / _BYTES, -ENOMEM; the snapshot is then
 * not to be used. */
int dir_snap_add(struct dir_snap *s, const uint8_t *entry, size_t len, size_t esz, uint64_t cookie);
/* The entries after cookie (0: from the start) into w while w->off stays
 * at or below limit and the dircount budget holds (at least one entry is
 * always tried). *ret_n entries went in; *ret_eof when the last one did.
 * 0, or -ESRCH when no entry has that cookie. */
int dir_snap_serve(struct dir_snap *s, uint64_t cookie, struct wr *w, size_t limit, size_t dircount,
		   size_t *ret_n, bool *ret_eof);

/* At most max_bytes of listings, each used for at most ttl_ms. */
struct dir_cache *dir_cache_new(size_t max_bytes, uint32_t ttl_ms);
void dir_cache_free(struct dir_cache *c);
/* Keep s (the cache owns it from now on, also on failure) for k. */
void dir_cache_put(struct dir_cache *c, const struct dir_key *k, struct dir_snap *s, uint64_t now_ms);
/* dir_snap_serve from the listing stored for exactly k, if it is younger
 * than the time to live. 0; -ENOENT (none, or stale: dropped) or -ESRCH
 * (the cookie is not one of its entries). */
int dir_cache_serve(struct dir_cache *c, const struct dir_key *k, uint64_t now_ms, uint64_t cookie,
		    struct wr *w, size_t limit, size_t dircount, size_t *ret_n, bool *ret_eof);
/* Listings and bytes held now (tests, statistics). */
void dir_cache_usage(struct dir_cache *c, size_t *ret_lists, size_t *ret_bytes);

#endif
