/* nfs_exports.h - the export table and the access rule's one door in the
 * NFS server: export roots opened on first use (and re-opened on MNT), the
 * handle key, the daemon's hooks (nfs_hooks.h) called with logging and a
 * refusal rate limit, and the per-call re-check of the export a handle
 * names, with a small per-connection cache. No sockets, no threads: loop
 * thread only, except that workers read export entries (which live as long
 * as the table). Must not know about connections, jobs or RPC replies. */
#ifndef PINETBOOT_NFS_NFS_EXPORTS_H
#define PINETBOOT_NFS_NFS_EXPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/events.h"
#include "nfs/fh.h"
#include "nfs/nfs_hooks.h"

struct nfs_export;

#define NFS_ACCESS_CACHE_N 4
#define NFS_ACCESS_CACHE_MS 2000

/* A connection's recent access decisions (issue 9: a Pi's stream of calls
 * must not run the daemon's rule on every one; a refusal is remembered as
 * long as a grant). Zeroed is empty. */
struct nfs_access_cache {
	struct {
		const struct nfs_export *ex;
		int result;
		uint64_t until;
	} e[NFS_ACCESS_CACHE_N];
};

struct nfs_old_root {
	int fd;
	uint8_t eid[FH_EID_LEN];
};

struct nfs_exports {
	int clients_fd;           /* DATA/clients, owned by the caller */
	struct nfs_hooks hooks;
	struct event_bus *bus;    /* may be NULL */
	struct nfs_stats *stats;  /* denied++ here; owned by the caller */
	uint8_t key[FH_KEY_LEN];  /* handle key (fh.h) */
	struct nfs_export **ex;
	size_t nex;
	struct nfs_old_root *old_roots; /* replaced roots workers may still use */
	size_t nold;
	uint64_t deny_log_ms;     /* refusal log/event rate limit */
	unsigned deny_quiet;      /* refusals not logged since */
};

/* Set up an empty table; key is copied. Never fails. */
void nfs_exports_init(struct nfs_exports *x, int clients_fd, const struct nfs_hooks *hooks,
		      struct event_bus *bus, struct nfs_stats *stats, const uint8_t key[FH_KEY_LEN]);
/* Close every root and wipe the key. */
void nfs_exports_fini(struct nfs_exports *x);

/* Stop holding id's roots (both kinds), e.g. before its overlay is
 * unmounted: every root descriptor of id, current or replaced, is made to
 * point at dead_fd (dup2, so a worker that still uses the number gets an
 * error, never another file), and the next call that passes the access
 * rule opens the root again. Loop thread only. Returns the exports found
 * (0-2) in ret (for the handle cache). */
size_t nfs_exports_release(struct nfs_exports *x, const char *id, int dead_fd, struct nfs_export *ret[2]);

/* The export of id/kind, its root opened on first use; NULL when the
 * directory does not exist. refresh re-opens the root (MNT does, so a
 * re-provisioned root is picked up) and re-arms BEV_NFS_INIT_READ. */
struct nfs_export *nfs_exports_get(struct nfs_exports *x, const char *id, int kind, bool refresh);

/* The access rule (hooks): 1 allowed, 0 unknown client, -1 refused; a
 * refusal is logged (at most ten lines a second) and emitted as
 * BEV_NFS_DENIED. what names the request in the log. */
int nfs_exports_check(struct nfs_exports *x, const char *id, uint32_t addr, const char *what, uint64_t now);

/* The per-call re-check of an NFS call: which export does its first
 * handle (fh/len, as decoded) claim, and may addr use it? Returns NFS3_OK
 * with *ret_ex set, or the nfsstat3 to refuse with (BADHANDLE, STALE,
 * ACCES). A structurally broken handle passes with *ret_ex NULL: the
 * procedure answers BADHANDLE in its own reply shape. ac may be NULL
 * (UDP: no connection to remember decisions on). */
uint32_t nfs_exports_call(struct nfs_exports *x, struct nfs_access_cache *ac, const uint8_t *fh, uint32_t len,
			  uint32_t proc, uint32_t addr, uint64_t now, const struct nfs_export **ret_ex);

/* Ids whose exports addr may list (MOUNT EXPORT); 0 for address 0. */
size_t nfs_exports_ids(struct nfs_exports *x, uint32_t addr, char (*ids)[18], size_t max);
/* Is addr in admin-networks (hook; false without one or for 0)? */
bool nfs_exports_is_admin(struct nfs_exports *x, uint32_t addr);
void nfs_exports_emit(struct nfs_exports *x, int type, const char *id, uint32_t addr, const char *file,
		      const char *detail);
/* A Pi read its init binary (which: 1 + index, nfs3_ctx.init_read): log it
 * and emit BEV_NFS_INIT_READ. */
void nfs_exports_init_read(struct nfs_exports *x, const struct nfs_export *ex, uint32_t addr, int which);

#endif
