/* nfs3_args.c - argument decoders for the 22 NFSv3 procedures (RFC 1813
 * §3.3). One table maps each procedure to the shape of its arguments;
 * decoding is bounded (handles <= 64 bytes, names <= 255, paths <= 4096,
 * WRITE data <= 1 MiB and must be present in full) and never allocates.
 * Pure (bytes in, struct out): must not touch files, sockets or logs.
 * Decoded once per call by nfs_dispatch.c into the call's job. */
#include <errno.h>
#include <string.h>

#include "nfs/nfs3.h"
#include "nfs/xdr.h"

static void get_fh(struct rd *r, struct nfs_fh *fh)
{
	const uint8_t *p = xdr_opaque(r, FH_MAX, &fh->len);
	if (p)
		memcpy(fh->data, p, fh->len);
}

/* filename3 (§2.5): the RFC allows any bytes, but a name with '/' or NUL
 * could address something other than one directory entry, so it is
 * refused with NFS3ERR_INVAL at execution. Over-long names decode (so the
 * reply can say NAMETOOLONG) as long as they fit the XDR limit we accept. */
static void get_name(struct rd *r, struct nfs_name *n)
{
	uint32_t len;
	const uint8_t *p = xdr_opaque(r, NFS3_MAXPATHLEN, &len);
	n->err = 0;
	n->s[0] = '\0';
	if (!p)
		return;
	if (len > NFS3_MAXNAMLEN) {
		n->err = NFS3ERR_NAMETOOLONG;
		return;
	}
	if (len == 0 || memchr(p, '/', len) || memchr(p, '\0', len))
		n->err = len == 0 ? NFS3ERR_ACCES : NFS3ERR_INVAL;
	memcpy(n->s, p, len);
	n->s[len] = '\0';
}

static void get_time(struct rd *r, struct nfs_time *t)
{
	t->how = xdr_u32(r);
	if (t->how == SET_TO_CLIENT_TIME) {
		t->sec = xdr_u32(r);
		t->nsec = xdr_u32(r);
	} else if (t->how > SET_TO_CLIENT_TIME) {
		r->err = true;
	}
}

static void get_sattr(struct rd *r, struct sattr3 *s)
{
	if ((s->set_mode = xdr_bool(r)))
		s->mode = xdr_u32(r);
	if ((s->set_uid = xdr_bool(r)))
		s->uid = xdr_u32(r);
	if ((s->set_gid = xdr_bool(r)))
		s->gid = xdr_u32(r);
	if ((s->set_size = xdr_bool(r)))
		s->size = xdr_u64(r);
	get_time(r, &s->atime);
	get_time(r, &s->mtime);
}

/* diropargs3: dir handle + name */
static void get_dirop(struct rd *r, struct nfs_fh *fh, struct nfs_name *n)
{
	get_fh(r, fh);
	get_name(r, n);
}

static void dec_fh(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
}

static void dec_null(struct rd *r, struct nfs3_args *a)
{
}

static void dec_setattr(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
	get_sattr(r, &a->sattr);
	if ((a->guard = xdr_bool(r))) {
		a->guard_sec = xdr_u32(r);
		a->guard_nsec = xdr_u32(r);
	}
}

static void dec_dirop(struct rd *r, struct nfs3_args *a)
{
	get_dirop(r, &a->fh, &a->name);
}

static void dec_access(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
	a->access = xdr_u32(r);
}

static void dec_read(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
	a->offset = xdr_u64(r);
	a->count = xdr_u32(r);
}

static void dec_write(struct rd *r, struct nfs3_args *a)
{
	uint32_t n;
	dec_read(r, a);
	a->stable = xdr_u32(r);
	if (a->stable > FILE_SYNC)
		r->err = true;
	a->data = xdr_opaque(r, NFS3_MAX_IO, &n);
	/* §3.3.7: count must equal the length of data; refuse mismatches
	 * rather than guess which one the client meant. */
	if (!r->err && n != a->count)
		r->err = true;
}

static void dec_create(struct rd *r, struct nfs3_args *a)
{
	get_dirop(r, &a->fh, &a->name);
	a->how = xdr_u32(r);
	if (a->how == CREATE_EXCLUSIVE)
		xdr_fixed(r, a->verf, 8);
	else if (a->how <= CREATE_GUARDED)
		get_sattr(r, &a->sattr);
	else
		r->err = true;
}

static void dec_mkdir(struct rd *r, struct nfs3_args *a)
{
	get_dirop(r, &a->fh, &a->name);
	get_sattr(r, &a->sattr);
}

static void dec_symlink(struct rd *r, struct nfs3_args *a)
{
	uint32_t n;
	get_dirop(r, &a->fh, &a->name);
	get_sattr(r, &a->sattr);
	const uint8_t *p = xdr_opaque(r, NFS3_MAXPATHLEN, &n);
	if (p && memchr(p, '\0', n))
		r->err = true;
	if (p && !r->err) {
		memcpy(a->path, p, n);
		a->path[n] = '\0';
	}
}

static void dec_mknod(struct rd *r, struct nfs3_args *a)
{
	get_dirop(r, &a->fh, &a->name);
	a->ftype = xdr_u32(r);
	switch (a->ftype) {
	case NF3CHR:
	case NF3BLK:
		get_sattr(r, &a->sattr);
		a->major = xdr_u32(r);
		a->minor = xdr_u32(r);
		break;
	case NF3SOCK:
	case NF3FIFO:
		get_sattr(r, &a->sattr);
		break;
	default:
		/* other types carry no arguments; the reply says BADTYPE */
		break;
	}
}

static void dec_rename(struct rd *r, struct nfs3_args *a)
{
	get_dirop(r, &a->fh, &a->name);
	get_dirop(r, &a->fh2, &a->name2);
}

static void dec_link(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
	get_dirop(r, &a->fh2, &a->name);
}

static void dec_readdir(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
	a->cookie = xdr_u64(r);
	xdr_fixed(r, a->cookieverf, 8);
	a->count = xdr_u32(r);
	a->maxcount = a->count;
	a->dircount = a->count;
}

static void dec_readdirplus(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
	a->cookie = xdr_u64(r);
	xdr_fixed(r, a->cookieverf, 8);
	a->dircount = xdr_u32(r);
	a->maxcount = xdr_u32(r);
}

static void dec_commit(struct rd *r, struct nfs3_args *a)
{
	get_fh(r, &a->fh);
	a->offset = xdr_u64(r);
	a->count = xdr_u32(r);
}

static void (*const decoders[NFS3_PROC_MAX])(struct rd *, struct nfs3_args *) = {
	[NFS3_NULL] = dec_null,         [NFS3_GETATTR] = dec_fh,
	[NFS3_SETATTR] = dec_setattr,   [NFS3_LOOKUP] = dec_dirop,
	[NFS3_ACCESS] = dec_access,     [NFS3_READLINK] = dec_fh,
	[NFS3_READ] = dec_read,         [NFS3_WRITE] = dec_write,
	[NFS3_CREATE] = dec_create,     [NFS3_MKDIR] = dec_mkdir,
	[NFS3_SYMLINK] = dec_symlink,   [NFS3_MKNOD] = dec_mknod,
	[NFS3_REMOVE] = dec_dirop,      [NFS3_RMDIR] = dec_dirop,
	[NFS3_RENAME] = dec_rename,     [NFS3_LINK] = dec_link,
	[NFS3_READDIR] = dec_readdir,   [NFS3_READDIRPLUS] = dec_readdirplus,
	[NFS3_FSSTAT] = dec_fh,         [NFS3_FSINFO] = dec_fh,
	[NFS3_PATHCONF] = dec_fh,       [NFS3_COMMIT] = dec_commit,
};

int nfs3_decode(uint32_t proc, const uint8_t *p, size_t len, struct nfs3_args *a)
{
	if (proc >= NFS3_PROC_MAX)
		return -EINVAL;
	struct rd r = rd_init(p, len);
	memset(a, 0, offsetof(struct nfs3_args, path));
	a->path[0] = '\0';
	decoders[proc](&r, a);
	/* Trailing bytes are tolerated (RFC 5531 leaves them to the
	 * program); truncation is not. */
	return r.err ? -EBADMSG : 0;
}
