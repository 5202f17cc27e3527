/* nfs3_ops.c - the NFSv3 procedure table: which function runs each of the
 * 22 procedures and how large its reply can get. The worker calls
 * nfs3_exec with decoded arguments and restores root's filesystem identity
 * afterwards, whatever the procedure did.
 * Must not decode arguments (nfs3_args.c) or touch sockets. */
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

static int nfs3_null(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w)
{
	return 0;
}

static const struct {
	int (*fn)(struct nfs3_ctx *, const struct nfs3_args *, struct wr *);
} procs[NFS3_PROC_MAX] = {
	[NFS3_NULL] = { nfs3_null },         [NFS3_GETATTR] = { nfs3_getattr },
	[NFS3_SETATTR] = { nfs3_setattr },   [NFS3_LOOKUP] = { nfs3_lookup },
	[NFS3_ACCESS] = { nfs3_access },     [NFS3_READLINK] = { nfs3_readlink },
	[NFS3_READ] = { nfs3_read },         [NFS3_WRITE] = { nfs3_write },
	[NFS3_CREATE] = { nfs3_create },     [NFS3_MKDIR] = { nfs3_mkdir },
	[NFS3_SYMLINK] = { nfs3_symlink },   [NFS3_MKNOD] = { nfs3_mknod },
	[NFS3_REMOVE] = { nfs3_remove },     [NFS3_RMDIR] = { nfs3_rmdir },
	[NFS3_RENAME] = { nfs3_rename },     [NFS3_LINK] = { nfs3_link },
	[NFS3_READDIR] = { nfs3_readdir },   [NFS3_READDIRPLUS] = { nfs3_readdirplus },
	[NFS3_FSSTAT] = { nfs3_fsstat },     [NFS3_FSINFO] = { nfs3_fsinfo },
	[NFS3_PATHCONF] = { nfs3_pathconf }, [NFS3_COMMIT] = { nfs3_commit },
};

/* Procedures that may change an object's attributes or a directory. */
static const bool modifies[NFS3_PROC_MAX] = {
	[NFS3_SETATTR] = true, [NFS3_WRITE] = true, [NFS3_CREATE] = true, [NFS3_MKDIR] = true,
	[NFS3_SYMLINK] = true, [NFS3_MKNOD] = true, [NFS3_REMOVE] = true, [NFS3_RMDIR] = true,
	[NFS3_RENAME] = true,  [NFS3_LINK] = true,
};

int nfs3_exec(struct nfs3_ctx *c, uint32_t proc, const struct nfs3_args *a, struct wr *w)
{
	if (proc >= NFS3_PROC_MAX)
		return -1;
	int r = procs[proc].fn(c, a, w);
	nfs3_become_root(c);
	/* After the change, so a listing read while it happened is stale
	 * (dir_cache.h). Exports are never const objects: only the
	 * procedures' view of them is. */
	if (modifies[proc] && c->ex)
		atomic_fetch_add_explicit(&((struct nfs_export *)(uintptr_t)c->ex)->mod_gen, 1, memory_order_release);
	return w->err ? -1 : r;
}

/* UDP replies must fit one datagram (64 KiB minus headers). */
#define UDP_BODY_MAX 65000u

size_t nfs3_reply_cap(uint32_t proc, const struct nfs3_args *a, bool udp)
{
	size_t cap = 1024;
	if (proc == NFS3_READ)
		cap = 256 + (a->count < NFS3_MAX_IO ? a->count : NFS3_MAX_IO);
	else if (proc == NFS3_READDIR || proc == NFS3_READDIRPLUS)
		cap = 256 + (a->maxcount < NFS3_MAX_DIRREPLY ? a->maxcount : NFS3_MAX_DIRREPLY);
	else if (proc == NFS3_READLINK)
		cap = 512 + NFS3_MAXPATHLEN;
	if (udp && cap > UDP_BODY_MAX)
		cap = UDP_BODY_MAX;
	return cap;
}
