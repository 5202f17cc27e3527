/* mount3.c - the MOUNT protocol v3 (RFC 1813 Appendix I), answered on the
 * event loop: NULL, MNT, DUMP, UMNT, UMNTALL, EXPORT. Export paths are
 * "/clients/<id>" (the Pi's root) and "/boot/<id>" (its boot dir); MNT
 * applies the daemon's access rule and hands out the authenticated root
 * handle. EXPORT lists only what the asking address may mount; DUMP only
 * the caller's own mounts unless it is an admin address. */
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
#include "nfs/nfs3.h"
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

static uint32_t do_mnt(struct nfs_server *s, const char *path, uint32_t addr, struct nfs_fh *fh)
{
	char id[18];
	int kind;
	const char *rest;
	if (mount3_parse_path(path, id, &kind, &rest) < 0)
		return MNT3ERR_NOENT;
	int r = nfs_server_check(s, id, addr, path);
	if (r == 0)
		return MNT3ERR_NOENT;
	if (r < 0)
		return MNT3ERR_ACCES;
	struct nfs_export *ex = nfs_server_export(s, id, kind, true);
	if (!ex)
		return MNT3ERR_NOENT;
	struct nfs3_ctx c = { .ex = ex, .key = nfs_server_key(s) };
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

static void put_export_list(struct nfs_server *s, uint32_t addr, struct wr *w)
{
	char ids[64][18];
	size_t n = nfs_server_ids(s, addr, ids, 64);
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

bool mount3_handle(struct nfs_server *s, const struct rpc_call *call, uint32_t addr, struct wr *w)
{
	bool authorised = false;
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
	case MOUNTPROC3_MNT: {
		if (call->vers != 3) {
			/* v1/v2 MNT returns a 32-byte handle we cannot make. */
			rpc_put_prog_mismatch(w, call->xid, 3, 3);
			return false;
		}
		struct nfs_fh fh;
		uint32_t st = do_mnt(s, path, addr, &fh);
		char a[16], esc[80];
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		xdr_put_u32(w, st);
		log_escape(esc, sizeof(esc), path, strlen(path));
		if (st == MNT3_OK) {
			xdr_put_opaque(w, fh.data, fh.len);
			xdr_put_u32(w, 1);
			xdr_put_u32(w, AUTH_SYS);
			char id[18];
			int kind;
			const char *rest;
			mount3_parse_path(path, id, &kind, &rest);
			log_info("nfs", "%s: %s mounted %s", id, net_ntoa(addr, a), esc);
			nfs_server_emit(s, BEV_NFS_MOUNT, id, addr, path, "");
			nfs_server_mount_note(s, addr, path, true);
			authorised = true;
		} else {
			log_info("nfs", "mount of %s by %s refused: %s", esc, net_ntoa(addr, a),
				 st == MNT3ERR_ACCES ? "access denied" : "no such export");
		}
		break;
	}
	case MOUNTPROC3_DUMP: {
		/* Who mounted what tells an attacker which Pi is at which
		 * address (issue 9): an admin address sees every entry, any
		 * other caller only its own. */
		bool admin = nfs_server_is_admin(s, addr);
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		uint32_t maddr;
		const char *mp;
		for (size_t i = 0; nfs_server_mount_list(s, i, &maddr, &mp); i++) {
			char a[16];
			if (!admin && (maddr != addr || addr == 0))
				continue;
			xdr_put_u32(w, 1);
			xdr_put_string(w, net_ntoa(maddr, a));
			xdr_put_string(w, mp);
		}
		xdr_put_u32(w, 0);
		break;
	}
	case MOUNTPROC3_UMNT:
		nfs_server_mount_note(s, addr, path, false);
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		break;
	case MOUNTPROC3_UMNTALL:
		nfs_server_mount_note(s, addr, NULL, false);
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		break;
	case MOUNTPROC3_EXPORT:
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		put_export_list(s, addr, w);
		break;
	default:
		rpc_put_accepted(w, call->xid, RPC_PROC_UNAVAIL);
		break;
	}
	return authorised;
}
