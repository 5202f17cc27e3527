/* nfs_err.c - errno -> nfsstat3 (RFC 1813 §2.6) as one static table, plus
 * the procedure name table used in logs. Anything unlisted is
 * NFS3ERR_IO, the RFC's "hard error" catch-all.
 * Tables only; must not hold state. */
#include <errno.h>
#include <stddef.h>

#include "nfs/nfs3.h"

static const struct {
	int err;
	uint32_t stat;
} errmap[] = {
	{ 0, NFS3_OK },
	{ EPERM, NFS3ERR_PERM },
	{ ENOENT, NFS3ERR_NOENT },
	{ EIO, NFS3ERR_IO },
	{ ENXIO, NFS3ERR_NXIO },
	{ EACCES, NFS3ERR_ACCES },
	{ EEXIST, NFS3ERR_EXIST },
	{ EXDEV, NFS3ERR_XDEV },
	{ ENODEV, NFS3ERR_NODEV },
	{ ENOTDIR, NFS3ERR_NOTDIR },
	{ EISDIR, NFS3ERR_ISDIR },
	{ EINVAL, NFS3ERR_INVAL },
	{ EFBIG, NFS3ERR_FBIG },
	{ ENOSPC, NFS3ERR_NOSPC },
	{ EROFS, NFS3ERR_ROFS },
	{ EMLINK, NFS3ERR_MLINK },
	{ ENAMETOOLONG, NFS3ERR_NAMETOOLONG },
	{ ENOTEMPTY, NFS3ERR_NOTEMPTY },
	{ EDQUOT, NFS3ERR_DQUOT },
	{ ESTALE, NFS3ERR_STALE },
	{ EREMOTE, NFS3ERR_REMOTE },
	{ EBADF, NFS3ERR_BADHANDLE },
	{ EOPNOTSUPP, NFS3ERR_NOTSUPP },
	{ ELOOP, NFS3ERR_INVAL },      /* a symlink where a name was expected */
	{ EBUSY, NFS3ERR_INVAL },      /* rename of a mount point or ".." */
	{ ENOMEM, NFS3ERR_SERVERFAULT },
	{ EOVERFLOW, NFS3ERR_FBIG },
	{ ETXTBSY, NFS3ERR_ACCES },
	{ EAGAIN, NFS3ERR_JUKEBOX },
};

uint32_t nfs3_errno(int err)
{
	if (err < 0)
		err = -err;
	for (size_t i = 0; i < sizeof(errmap) / sizeof(errmap[0]); i++)
		if (errmap[i].err == err)
			return errmap[i].stat;
	return NFS3ERR_IO;
}

static const char *const proc_names[NFS3_PROC_MAX] = {
	"NULL", "GETATTR", "SETATTR", "LOOKUP", "ACCESS", "READLINK", "READ", "WRITE",
	"CREATE", "MKDIR", "SYMLINK", "MKNOD", "REMOVE", "RMDIR", "RENAME", "LINK",
	"READDIR", "READDIRPLUS", "FSSTAT", "FSINFO", "PATHCONF", "COMMIT",
};

const char *nfs3_proc_name(uint32_t proc)
{
	return proc < NFS3_PROC_MAX ? proc_names[proc] : "?";
}
