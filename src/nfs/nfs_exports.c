/* nfs_exports.c - the export table (DATA/clients/<id>/{root,boot} opened
 * beneath clients_fd, kept for the server's life), the calls into the
 * daemon's access hooks with their refusal log, and the per-call access
 * re-check with its per-connection cache. Loop thread only. Must not touch
 * sockets, connections, worker jobs or RPC framing: callers turn the
 * results into replies. */
#include "nfs/nfs_exports.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "nfs/nfs3.h"

#define EXPORTS_MAX 8192

void nfs_exports_init(struct nfs_exports *x, int clients_fd, const struct nfs_hooks *hooks,
		      struct event_bus *bus, struct nfs_stats *stats, const uint8_t key[FH_KEY_LEN])
{
	memset(x, 0, sizeof(*x));
	x->clients_fd = clients_fd;
	x->hooks = *hooks;
	x->bus = bus;
	x->stats = stats;
	memcpy(x->key, key, FH_KEY_LEN);
}

void nfs_exports_fini(struct nfs_exports *x)
{
	for (size_t i = 0; i < x->nex; i++) {
		close(x->ex[i]->root_fd);
		free(x->ex[i]);
	}
	free(x->ex);
	x->ex = NULL;
	x->nex = 0;
	for (size_t i = 0; i < x->nold; i++)
		close(x->old_roots[i].fd);
	free(x->old_roots);
	x->old_roots = NULL;
	x->nold = 0;
	sodium_memzero(x->key, sizeof(x->key));
}

/* ------------------------------------------------------------ the table */

static void export_find_init(struct nfs_export *ex)
{
	static const char *const init_paths[2] = { "sbin/init", "lib/systemd/systemd" };
	for (int i = 0; i < 2; i++) {
		/* RESOLVE_IN_ROOT: the root's absolute symlinks (sbin -> /usr/sbin,
		 * init -> /lib/systemd/systemd) resolve inside the export. */
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
		int fd = (int)syscall(SYS_openat2, ex->root_fd, init_paths[i], &how, sizeof(how));
		struct stat st;
		ex->init_ino[i] = 0;
		if (fd >= 0 && fstat(fd, &st) == 0) {
			ex->init_dev[i] = st.st_dev;
			ex->init_ino[i] = st.st_ino;
		}
		if (fd >= 0)
			close(fd);
	}
	atomic_store(&ex->init_pending, true);
}

static int open_export_root(struct nfs_exports *x, const char *id, int kind, struct stat *st)
{
	char rel[40];
	snprintf(rel, sizeof(rel), "%s/%s", id, kind == FH_KIND_BOOT ? "boot" : "root");
	/* open_by_handle_at refuses an O_PATH mount fd (EBADF). */
	int fd = openat(x->clients_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, st) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* MNT of a known export: pick up a re-provisioned root. Workers may still
 * use the old fd, so it stays open until the table goes away. */
static struct nfs_export *export_refresh(struct nfs_exports *x, struct nfs_export *ex, const char *id, int kind)
{
	struct stat st;
	int fd = open_export_root(x, id, kind, &st);
	if (fd < 0)
		return NULL;
	if (st.st_dev == ex->dev && st.st_ino == ex->ino && !ex->released) {
		close(fd);
	} else {
		struct nfs_old_root *n = realloc(x->old_roots, (x->nold + 1) * sizeof(*n));
		if (!n) {
			close(fd);
			return NULL;
		}
		x->old_roots = n;
		x->old_roots[x->nold].fd = ex->root_fd;
		memcpy(x->old_roots[x->nold++].eid, ex->eid, FH_EID_LEN);
		ex->released = false;
		atomic_fetch_add(&ex->mod_gen, 1); /* a new root: old listings are stale */
		ex->root_fd = fd;
		ex->dev = st.st_dev;
		ex->ino = st.st_ino;
	}
	export_find_init(ex);
	return ex;
}

static struct nfs_export *export_add(struct nfs_exports *x, const char *id, int kind, const uint8_t *eid,
				     bool refresh)
{
	struct stat st;
	if (x->nex >= EXPORTS_MAX)
		return NULL;
	int fd = open_export_root(x, id, kind, &st);
	if (fd < 0)
		return NULL;
	struct nfs_export **v = realloc(x->ex, (x->nex + 1) * sizeof(*v));
	struct nfs_export *ex = calloc(1, sizeof(*ex));
	if (v)
		x->ex = v;
	if (!v || !ex) {
		free(ex);
		close(fd);
		return NULL;
	}
	snprintf(ex->id, sizeof(ex->id), "%s", id);
	ex->kind = kind;
	memcpy(ex->eid, eid, FH_EID_LEN);
	snprintf(ex->path, sizeof(ex->path), "%s/%s", kind == FH_KIND_BOOT ? "/boot" : "/clients", id);
	ex->root_fd = fd;
	ex->dev = st.st_dev;
	ex->ino = st.st_ino;
	export_find_init(ex);
	if (!refresh)
		atomic_store(&ex->init_pending, false);
	x->ex[x->nex++] = ex;
	return ex;
}

static struct nfs_export *export_find(struct nfs_exports *x, const uint8_t *eid)
{
	for (size_t i = 0; i < x->nex; i++)
		if (!memcmp(x->ex[i]->eid, eid, FH_EID_LEN))
			return x->ex[i];
	return NULL;
}

size_t nfs_exports_release(struct nfs_exports *x, const char *id, int dead_fd, struct nfs_export *ret[2])
{
	size_t n = 0;
	for (int kind = 0; kind < 2; kind++) {
		uint8_t eid[FH_EID_LEN];
		int k = kind ? FH_KIND_BOOT : FH_KIND_ROOT;
		if (fh_export_id(id, k, eid) < 0)
			continue;
		for (size_t i = 0; i < x->nold; i++)
			if (!memcmp(x->old_roots[i].eid, eid, FH_EID_LEN))
				dup2(dead_fd, x->old_roots[i].fd);
		struct nfs_export *ex = export_find(x, eid);
		if (!ex)
			continue;
		dup2(dead_fd, ex->root_fd);
		ex->released = true;
		atomic_fetch_add(&ex->mod_gen, 1); /* its listings are of the old root */
		ret[n++] = ex;
	}
	return n;
}

struct nfs_export *nfs_exports_get(struct nfs_exports *x, const char *id, int kind, bool refresh)
{
	uint8_t eid[FH_EID_LEN];
	if (fh_export_id(id, kind, eid) < 0)
		return NULL;
	struct nfs_export *ex = export_find(x, eid);
	if (ex)
		return refresh || ex->released ? export_refresh(x, ex, id, kind) : ex;
	return export_add(x, id, kind, eid, refresh);
}

/* ------------------------------------------------------------ the rule */

void nfs_exports_emit(struct nfs_exports *x, int type, const char *id, uint32_t addr, const char *file,
		      const char *detail)
{
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = (enum boot_event_type)type;
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.addr = addr;
	snprintf(e.file, sizeof(e.file), "%s", file);
	snprintf(e.detail, sizeof(e.detail), "%s", detail);
	events_emit(x->bus, &e);
}

int nfs_exports_check(struct nfs_exports *x, const char *id, uint32_t addr, const char *what, uint64_t now)
{
	char why[160] = "";
	int r = x->hooks.access ? x->hooks.access(x->hooks.ctx, id, addr, why, sizeof(why)) : -1;
	if (r >= 0)
		return r;
	char a[16];
	if (x->stats)
		x->stats->denied++;
	/* At most ten lines a second: a flood of refused UDP calls must not
	 * flood the log or the fleet view. */
	if (now - x->deny_log_ms < 100 && x->deny_log_ms) {
		x->deny_quiet++;
		return r;
	}
	x->deny_log_ms = now;
	log_warn("nfs", "%s: refused %s: %s%s", id, what, why[0] ? why : net_ntoa(addr, a),
		 x->deny_quiet ? " (and more refusals not logged)" : "");
	x->deny_quiet = 0;
	nfs_exports_emit(x, BEV_NFS_DENIED, id, addr, what, why);
	return r;
}

static uint32_t access_status(int res)
{
	return res > 0 ? NFS3_OK : res == 0 ? NFS3ERR_STALE : NFS3ERR_ACCES;
}

static void cache_put(struct nfs_access_cache *ac, const struct nfs_export *ex, int res, uint64_t now)
{
	/* Replace the entry that expires first. */
	int k = 0;
	for (int i = 1; i < NFS_ACCESS_CACHE_N; i++)
		if (ac->e[i].until < ac->e[k].until)
			k = i;
	ac->e[k].ex = ex;
	ac->e[k].result = res;
	ac->e[k].until = now + NFS_ACCESS_CACHE_MS;
}

uint32_t nfs_exports_call(struct nfs_exports *x, struct nfs_access_cache *ac, const uint8_t *fh, uint32_t len,
			  uint32_t proc, uint32_t addr, uint64_t now, const struct nfs_export **ret_ex)
{
	uint8_t eid[FH_EID_LEN];
	char id[18];
	int kind;
	*ret_ex = NULL;
	if (fh_peek_export(fh, len, eid) < 0)
		return NFS3_OK;
	if (fh_export_str(eid, id, &kind) < 0)
		return NFS3ERR_BADHANDLE;
	struct nfs_export *ex = export_find(x, eid);
	for (int i = 0; ac && ex && i < NFS_ACCESS_CACHE_N; i++) {
		if (ac->e[i].ex == ex && !ex->released && ac->e[i].until > now) {
			*ret_ex = ex;
			return access_status(ac->e[i].result);
		}
	}
	char what[64];
	snprintf(what, sizeof(what), "NFS %s on %s", nfs3_proc_name(proc),
		 kind == FH_KIND_BOOT ? "/boot" : "/clients");
	int res = nfs_exports_check(x, id, addr, what, now);
	if (res > 0 && (!ex || ex->released))
		ex = nfs_exports_get(x, id, kind, false);
	if (res > 0 && !ex)
		res = 0;
	if (ac && ex)
		cache_put(ac, ex, res, now);
	*ret_ex = ex;
	return access_status(res);
}

size_t nfs_exports_ids(struct nfs_exports *x, uint32_t addr, char (*ids)[18], size_t max)
{
	/* 0.0.0.0 is nobody's address (a forged UDP source could carry it,
	 * and a Pi with no binding has bound address 0). */
	if (addr == 0 || !x->hooks.ids_for_addr)
		return 0;
	return x->hooks.ids_for_addr(x->hooks.ctx, addr, ids, max);
}

bool nfs_exports_is_admin(struct nfs_exports *x, uint32_t addr)
{
	return addr != 0 && x->hooks.is_admin && x->hooks.is_admin(x->hooks.ctx, addr);
}

void nfs_exports_init_read(struct nfs_exports *x, const struct nfs_export *ex, uint32_t addr, int which)
{
	static const char *const names[2] = { "/sbin/init", "/lib/systemd/systemd" };
	char a[16];
	if (which < 1 || which > 2)
		return;
	log_info("nfs", "%s: %s reads %s", ex->id, net_ntoa(addr, a), names[which - 1]);
	nfs_exports_emit(x, BEV_NFS_INIT_READ, ex->id, addr, names[which - 1], ex->path);
}
