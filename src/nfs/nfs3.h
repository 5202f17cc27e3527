/* nfs3.h - internal interface of the NFSv3 (RFC 1813) and MOUNT v3
 * (RFC 1813 Appendix I) implementation: protocol constants, the decoded
 * argument struct every procedure shares, the export table entry, and the
 * per-request context a worker thread runs a procedure in. Tests and the
 * fuzzer include this; the daemon includes only nfs_server.h. MOUNT and
 * the portmapper have their own headers (mount3.h, portmap.h); sockets,
 * threads and the access rule never appear here.
 *
 * Owns: the NFSv3 procedures' shared types. Must not touch: sockets and the daemon.
 */
#ifndef PINETBOOT_NFS_NFS3_H
#define PINETBOOT_NFS_NFS3_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/buf.h"
#include "nfs/fh.h"
#include "nfs/rpc.h"

enum {
	NFS_PROGRAM = 100003,
	NFS_V3 = 3,
	MOUNT_PROGRAM = 100005,
	MOUNT_V3 = 3,
	PMAP_PROGRAM = 100000,
	PMAP_V2 = 2,
	NFSACL_PROGRAM = 100227,
};

enum nfs3_proc {
	NFS3_NULL, NFS3_GETATTR, NFS3_SETATTR, NFS3_LOOKUP, NFS3_ACCESS, NFS3_READLINK,
	NFS3_READ, NFS3_WRITE, NFS3_CREATE, NFS3_MKDIR, NFS3_SYMLINK, NFS3_MKNOD,
	NFS3_REMOVE, NFS3_RMDIR, NFS3_RENAME, NFS3_LINK, NFS3_READDIR, NFS3_READDIRPLUS,
	NFS3_FSSTAT, NFS3_FSINFO, NFS3_PATHCONF, NFS3_COMMIT, NFS3_PROC_MAX
};

enum nfsstat3 {
	NFS3_OK = 0, NFS3ERR_PERM = 1, NFS3ERR_NOENT = 2, NFS3ERR_IO = 5, NFS3ERR_NXIO = 6,
	NFS3ERR_ACCES = 13, NFS3ERR_EXIST = 17, NFS3ERR_XDEV = 18, NFS3ERR_NODEV = 19,
	NFS3ERR_NOTDIR = 20, NFS3ERR_ISDIR = 21, NFS3ERR_INVAL = 22, NFS3ERR_FBIG = 27,
	NFS3ERR_NOSPC = 28, NFS3ERR_ROFS = 30, NFS3ERR_MLINK = 31, NFS3ERR_NAMETOOLONG = 63,
	NFS3ERR_NOTEMPTY = 66, NFS3ERR_DQUOT = 69, NFS3ERR_STALE = 70, NFS3ERR_REMOTE = 71,
	NFS3ERR_BADHANDLE = 10001, NFS3ERR_NOT_SYNC = 10002, NFS3ERR_BAD_COOKIE = 10003,
	NFS3ERR_NOTSUPP = 10004, NFS3ERR_TOOSMALL = 10005, NFS3ERR_SERVERFAULT = 10006,
	NFS3ERR_BADTYPE = 10007, NFS3ERR_JUKEBOX = 10008,
};

enum { NF3REG = 1, NF3DIR, NF3BLK, NF3CHR, NF3LNK, NF3SOCK, NF3FIFO };
enum { UNSTABLE = 0, DATA_SYNC = 1, FILE_SYNC = 2 };
enum { CREATE_UNCHECKED = 0, CREATE_GUARDED = 1, CREATE_EXCLUSIVE = 2 };
enum { DONT_CHANGE = 0, SET_TO_SERVER_TIME = 1, SET_TO_CLIENT_TIME = 2 };
enum {
	ACCESS3_READ = 1, ACCESS3_LOOKUP = 2, ACCESS3_MODIFY = 4, ACCESS3_EXTEND = 8,
	ACCESS3_DELETE = 16, ACCESS3_EXECUTE = 32,
};

#define NFS3_MAXNAMLEN 255
#define NFS3_MAXPATHLEN 4096
#define NFS3_MAX_IO (1u << 20)        /* rtmax/wtmax advertised in FSINFO */
#define NFS3_MAX_DIRREPLY (256u << 10) /* cap on a READDIR(PLUS) reply */
#define NFS_RECORD_MAX (NFS3_MAX_IO + 65536) /* largest call we accept */

struct nfs_fh {
	uint32_t len;
	uint8_t data[FH_MAX];
};

/* A name from the wire, NUL-terminated. err is 0, NFS3ERR_NAMETOOLONG or
 * NFS3ERR_INVAL (contains '/' or NUL): decoding continues so the reply can
 * carry the right status instead of GARBAGE_ARGS. */
struct nfs_name {
	char s[NFS3_MAXNAMLEN + 1];
	uint32_t err;
};

struct nfs_time {
	uint32_t how;           /* DONT_CHANGE / SET_TO_SERVER_TIME / CLIENT */
	uint32_t sec, nsec;
};

struct sattr3 {
	bool set_mode, set_uid, set_gid, set_size;
	uint32_t mode, uid, gid;
	uint64_t size;
	struct nfs_time atime, mtime;
};

/* Every procedure's arguments decode into this one struct; each uses the
 * fields its RFC 1813 section names. */
struct nfs3_args {
	struct nfs_fh fh, fh2;
	struct nfs_name name, name2;
	struct sattr3 sattr;
	bool guard;
	uint32_t guard_sec, guard_nsec;
	uint32_t access;
	uint64_t offset;
	uint32_t count, stable;
	const uint8_t *data;    /* WRITE payload, borrowed from the record */
	uint32_t how;           /* createhow3 */
	uint8_t verf[8];
	uint64_t cookie;
	uint8_t cookieverf[8];
	uint32_t dircount, maxcount;
	char path[NFS3_MAXPATHLEN + 1]; /* SYMLINK target */
	uint32_t ftype, major, minor;
};

/* Decode the arguments of proc. 0 or -EBADMSG (answer GARBAGE_ARGS). */
int nfs3_decode(uint32_t proc, const uint8_t *p, size_t len, struct nfs3_args *a);

/* One export: a client's root or boot dir. Entries live as long as the
 * server, so worker threads may hold pointers without reference counts. */
struct nfs_export {
	char id[18];
	int kind;
	uint8_t eid[FH_EID_LEN];
	char path[40];          /* "/clients/<id>" or "/boot/<id>" */
	int root_fd;            /* O_PATH directory */
	dev_t dev;
	ino_t ino;
	/* sbin/init and lib/systemd/systemd (BEV_NFS_INIT_READ) */
	dev_t init_dev[2];
	ino_t init_ino[2];
	atomic_bool init_pending;
	bool released;          /* root_fd points at nothing (nfs_exports_release); loop thread only */
	/* Bumped after every call that may change something in the export
	 * (nfs3_exec), and when it is released: cached listings of it are
	 * stale from then on. */
	atomic_uint mod_gen;
};

struct fh_cache;
struct dir_cache;

/* One request, on a worker thread or (nonblock) on the event loop. */
struct nfs3_ctx {
	const struct nfs_export *ex;
	struct fh_cache *cache; /* may be NULL */
	struct dir_cache *dirs; /* READDIRPLUS listings; may be NULL */
	/* On the loop: only work that cannot wait for a disk (handles in the
	 * cache, names in the dentry cache); anything else sets would_block
	 * and the call is re-run on a worker. */
	bool nonblock, would_block;
	const uint8_t *key;
	const uint8_t *write_verf;
	struct rpc_cred cred;
	bool as_user;           /* fsuid/fsgid currently the caller's */
	bool udp;
	int init_read;          /* out: 1 + index of the init binary read */
};

/* Body of the reply of proc (status + results). Returns 0 or -ENOBUFS. */
int nfs3_exec(struct nfs3_ctx *c, uint32_t proc, const struct nfs3_args *a, struct wr *w);
/* Upper bound of the reply body of proc for these args. */
size_t nfs3_reply_cap(uint32_t proc, const struct nfs3_args *a, bool udp);

/* errno -> nfsstat3 (nfs_err.c). */
uint32_t nfs3_errno(int err);
const char *nfs3_proc_name(uint32_t proc);

/* Helpers shared by the procedure files (nfs3_attr.c). */
uint32_t nfs3_fh_open(struct nfs3_ctx *c, const struct nfs_fh *fh, int *ret_fd);
uint32_t nfs3_fh_make(struct nfs3_ctx *c, int fd, struct nfs_fh *out);
/* The same, with fd's attributes (*st_ok false when fstat failed). */
uint32_t nfs3_fh_make_stat(struct nfs3_ctx *c, int fd, struct nfs_fh *out, struct stat *st, bool *st_ok);
/* Handle of name in directory dirfd without opening it (READDIRPLUS). */
uint32_t nfs3_fh_make_at(struct nfs3_ctx *c, int dirfd, const char *name, struct nfs_fh *out);
/* The object removed or replaced by name in dirfd: drop cached fds. */
void nfs3_forget(struct nfs3_ctx *c, int dirfd, const char *name, struct stat *st);
void nfs3_become_user(struct nfs3_ctx *c);
void nfs3_become_root(struct nfs3_ctx *c);
int nfs3_stat(int fd, struct stat *st);
void nfs3_put_fattr(struct wr *w, const struct stat *st);
void nfs3_put_post_op(struct wr *w, int fd);
void nfs3_put_post_op_st(struct wr *w, const struct stat *st, bool ok);
void nfs3_put_wcc(struct wr *w, const struct stat *pre, bool pre_ok, int fd);
void nfs3_put_post_fh(struct wr *w, struct nfs3_ctx *c, int fd);
uint32_t nfs3_apply_sattr(struct nfs3_ctx *c, int fd, const struct sattr3 *s);
/* Re-open an O_PATH fd for I/O with the caller's credentials (the
 * permission check happens here). Returns fd or -errno. */
int nfs3_reopen(int fd, int flags);
/* ACCESS3 bits the credential has on an object with these attributes. */
uint32_t nfs3_access_bits(const struct rpc_cred *cr, const struct stat *st, uint32_t want);
/* Names used to create or remove: must be a real component. */
uint32_t nfs3_check_name(const struct nfs_name *n);

/* Procedure groups. */
int nfs3_getattr(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_setattr(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_access(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_fsstat(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_fsinfo(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_pathconf(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_lookup(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_readdir(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_readdirplus(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_create(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_mkdir(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_symlink(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_mknod(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_remove(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_rmdir(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_rename(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_link(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_read(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_write(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_commit(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);
int nfs3_readlink(struct nfs3_ctx *c, const struct nfs3_args *a, struct wr *w);

#endif
