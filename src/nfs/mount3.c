/* mount3.c - the MOUNT protocol v3 (RFC 1813 Appendix I), answered on the
 * event loop: NULL, MNT, DUMP, UMNT, UMNTALL, EXPORT, and the mount list
 * DUMP reports. Export paths are "/clients/<id>" (the Pi's root) and
 * "/boot/<id>" (its boot dir); MNT applies the access rule through the
 * export table (nfs_exports.h) and hands out the authenticated root handle.
 * EXPORT lists only what the asking address may mount; DUMP only the
 * caller's own mounts unless it is an admin address. Must not touch
 * sockets or call back into the server (everything comes in mount3_env). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "core/events.h"
#include "core/log.h"
#include "core/net.h"
#include "nfs/mount3.h"
#include "nfs/nfs3.h"
#include "nfs/nfs_exports.h"
#include "nfs/xdr.h"

enum {
	MOUNTPROC3_NULL, MOUNTPROC3_MNT, MOUNTPROC3_DUMP, MOUNTPROC3_UMNT, MOUNTPROC3_UMNTALL,
	MOUNTPROC3_EXPORT,
};
enum {
	MNT3_OK = 0, MNT3ERR_NOENT = 2, MNT3ERR_ACCES = 13, MNT3ERR_NOTDIR = 20,
	MNT3ERR_INVAL = 22, MNT3ERR_NAMETOOLONG = 63, MNT3ERR_SERVERFAULT = 10006,
};

static const struct {
	const char *prefix;
	int kind;
} export_kinds[] = {
	{ "/clients/", FH_KIND_ROOT },
	{ "/boot/", FH_KIND_BOOT },
};

/* "/clients/<id>" or "/boot/<id>", optionally followed by a directory
 * beneath it ("/clients/<id>/home"); *rest is that remainder without its
 * leading '/' ("" for the export itself). 0 or -ENOENT. */
int mount3_parse_path(const char *p, char id[18], int *kind, const char **rest)
{
	for (size_t i = 0; i < sizeof(export_kinds) / sizeof(export_kinds[0]); i++) {
		size_t pl = strlen(export_kinds[i].prefix);
		if (strncmp(p, export_kinds[i].prefix, pl) != 0)
			continue;
		const char *q = p + pl;
		size_t n = strcspn(q, "/");
		if (n == 0 || n >= 18)
			return -ENOENT;
		/* "/clients/<id>//home" is "/clients/<id>/home", as any
		 * path: the rest never starts with '/' (found by
		 * fuzz_mount_args; RESOLVE_IN_ROOT made it harmless). */
		*rest = q + n;
		while (**rest == '/')
			(*rest)++;
		memcpy(id, q, n);
		id[n] = '\0';
		uint8_t eid[FH_EID_LEN];
		if (fh_export_id(id, export_kinds[i].kind, eid) < 0)
			return -ENOENT;
		*kind = export_kinds[i].kind;
		return 0;
	}
	return -ENOENT;
}

int mount3_decode_path(const uint8_t *p, size_t len, char path[MNTPATHLEN + 1])
{
	struct rd r = rd_init(p, len);
	uint32_t n = 0;
	const uint8_t *s = xdr_opaque(&r, MNTPATHLEN, &n);
	/* A NUL inside would cut the path short of what was checked. */
	if (!s || memchr(s, '\0', n))
		return -EBADMSG;
	memcpy(path, s, n);
	path[n] = '\0';
	return 0;
}

static uint32_t do_mnt(const struct mount3_env *env, const char *path, uint32_t addr, struct nfs_fh *fh)
{
	char id[18];
	int kind;
	const char *rest;
	if (mount3_parse_path(path, id, &kind, &rest) < 0)
		return MNT3ERR_NOENT;
	int r = nfs_exports_check(env->x, id, addr, path, env->now);
	if (r == 0)
		return MNT3ERR_NOENT;
	if (r < 0)
		return MNT3ERR_ACCES;
	struct nfs_export *ex = nfs_exports_get(env->x, id, kind, true);
	if (!ex)
		return MNT3ERR_NOENT;
	struct nfs3_ctx c = { .ex = ex, .key = env->x->key };
	int fd = ex->root_fd;
	if (*rest) {
		/* A directory beneath the export: resolved as if the export
		 * were "/", so neither ".." nor a symlink can leave it. */
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
		fd = (int)syscall(SYS_openat2, ex->root_fd, rest, &how, sizeof(how));
		if (fd < 0)
			return errno == ENOTDIR ? MNT3ERR_NOTDIR : errno == EACCES ? MNT3ERR_ACCES : MNT3ERR_NOENT;
	}
	uint32_t st = nfs3_fh_make(&c, fd, fh) == NFS3_OK ? MNT3_OK : MNT3ERR_SERVERFAULT;
	if (fd != ex->root_fd)
		close(fd);
	return st;
}

static void put_export_list(const struct mount3_env *env, uint32_t addr, struct wr *w)
{
	char ids[64][18];
	size_t n = nfs_exports_ids(env->x, addr, ids, 64);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(export_kinds) / sizeof(export_kinds[0]); k++) {
			char p[64];
			snprintf(p, sizeof(p), "%s%.17s", export_kinds[k].prefix, ids[i]);
			xdr_put_u32(w, 1);
			xdr_put_string(w, p);
			xdr_put_u32(w, 0); /* no groups: access is per address */
		}
	}
	xdr_put_u32(w, 0);
}

/* Remember (add) or forget a mount of path by addr; path NULL forgets
 * all of addr's (UMNTALL). */
static void mounts_note(struct mount3_table *t, uint32_t addr, const char *path, bool add)
{
	for (size_t i = 0; i < t->n;) {
		if (t->e[i].addr == addr && (!path || !strcmp(t->e[i].path, path)))
			t->e[i] = t->e[--t->n];
		else
			i++;
	}
	if (add && path && t->n < MOUNT3_TABLE_MAX) {
		t->e[t->n].addr = addr;
		snprintf(t->e[t->n].path, sizeof(t->e[0].path), "%s", path);
		t->n++;
	}
}

static bool handle_mnt(const struct mount3_env *env, const struct rpc_call *call, uint32_t addr,
		       const char *path, struct wr *w)
{
	if (call->vers != 3) {
		/* v1/v2 MNT returns a 32-byte handle we cannot make. */
		rpc_put_prog_mismatch(w, call->xid, 3, 3);
		return false;
	}
	struct nfs_fh fh;
	uint32_t st = do_mnt(env, path, addr, &fh);
	char a[16], esc[80];
	rpc_put_accepted(w, call->xid, RPC_SUCCESS);
	xdr_put_u32(w, st);
	log_escape(esc, sizeof(esc), path, strlen(path));
	if (st != MNT3_OK) {
		log_info("nfs", "mount of %s by %s refused: %s", esc, net_ntoa(addr, a),
			 st == MNT3ERR_ACCES ? "access denied" : "no such export");
		return false;
	}
	xdr_put_opaque(w, fh.data, fh.len);
	xdr_put_u32(w, 1);
	xdr_put_u32(w, AUTH_SYS);
	char id[18];
	int kind;
	const char *rest;
	mount3_parse_path(path, id, &kind, &rest);
	log_info("nfs", "%s: %s mounted %s", id, net_ntoa(addr, a), esc);
	nfs_exports_emit(env->x, BEV_NFS_MOUNT, id, addr, path, "");
	mounts_note(env->mounts, addr, path, true);
	return true;
}

/* Who mounted what tells an attacker which Pi is at which address (issue
 * 9): an admin address sees every entry, any other caller only its own. */
static void handle_dump(const struct mount3_env *env, const struct rpc_call *call, uint32_t addr, struct wr *w)
{
	bool admin = nfs_exports_is_admin(env->x, addr);
	const struct mount3_table *t = env->mounts;
	rpc_put_accepted(w, call->xid, RPC_SUCCESS);
	for (size_t i = 0; i < t->n; i++) {
		char a[16];
		if (!admin && (t->e[i].addr != addr || addr == 0))
			continue;
		xdr_put_u32(w, 1);
		xdr_put_string(w, net_ntoa(t->e[i].addr, a));
		xdr_put_string(w, t->e[i].path);
	}
	xdr_put_u32(w, 0);
}

bool mount3_handle(const struct mount3_env *env, const struct rpc_call *call, uint32_t addr, struct wr *w)
{
	char path[MNTPATHLEN + 1];
	if (call->vers < 1 || call->vers > 3) {
		rpc_put_prog_mismatch(w, call->xid, 1, 3);
		return false;
	}
	if (call->proc == MOUNTPROC3_MNT || call->proc == MOUNTPROC3_UMNT) {
		if (mount3_decode_path(call->args, call->args_len, path) < 0) {
			rpc_put_accepted(w, call->xid, RPC_GARBAGE_ARGS);
			return false;
		}
	}
	switch (call->proc) {
	case MOUNTPROC3_NULL:
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		break;
	case MOUNTPROC3_MNT:
		return handle_mnt(env, call, addr, path, w);
	case MOUNTPROC3_DUMP:
		handle_dump(env, call, addr, w);
		break;
	case MOUNTPROC3_UMNT:
		mounts_note(env->mounts, addr, path, false);
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		break;
	case MOUNTPROC3_UMNTALL:
		mounts_note(env->mounts, addr, NULL, false);
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		break;
	case MOUNTPROC3_EXPORT:
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		put_export_list(env, addr, w);
		break;
	default:
		rpc_put_accepted(w, call->xid, RPC_PROC_UNAVAIL);
		break;
	}
	return false;
}
