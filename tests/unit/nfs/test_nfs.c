/* test_nfs.c - unit tests for the NFS handle envelope (fh.c), the handle
 * key file, the argument decoders of all 22 procedures (nfs3_args.c) and a
 * few procedures run directly against a temporary export (no sockets):
 * bit flips and foreign keys are refused, hostile names are caught, every
 * truncation of a valid argument list is GARBAGE, and "..", '/' and NUL
 * never leave the export. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "nfs/fh.h"
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

static void test_export_id(void **state)
{
	uint8_t e[FH_EID_LEN];
	char id[18];
	int kind;
	assert_int_equal(fh_export_id("1234abcd", FH_KIND_ROOT, e), 0);
	assert_int_equal(fh_export_str(e, id, &kind), 0);
	assert_string_equal(id, "1234abcd");
	assert_int_equal(kind, FH_KIND_ROOT);
	assert_int_equal(fh_export_id("aa-bb-cc-dd-ee-0f", FH_KIND_BOOT, e), 0);
	assert_int_equal(fh_export_str(e, id, &kind), 0);
	assert_string_equal(id, "aa-bb-cc-dd-ee-0f");
	assert_int_equal(kind, FH_KIND_BOOT);
	const char *bad[] = { "", "1234abc", "1234ABCD", "../../etc", "aa:bb:cc:dd:ee:ff", "1234abcdx",
			      "aa-bb-cc-dd-ee-fg" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fh_export_id(bad[i], FH_KIND_ROOT, e), -EINVAL);
	assert_int_equal(fh_export_id("1234abcd", 7, e), -EINVAL);
}

static void test_fh_envelope(void **state)
{
	uint8_t key[FH_KEY_LEN], key2[FH_KEY_LEN], eid[FH_EID_LEN], eid2[FH_EID_LEN], fh[FH_MAX];
	uint32_t len;
	struct fh_kernel k = { .type = 1, .len = 8 }, out;
	memset(key, 7, sizeof(key));
	memset(key2, 8, sizeof(key2));
	memcpy(k.bytes, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	fh_export_id("1234abcd", FH_KIND_ROOT, eid);
	assert_int_equal(fh_encode(key, eid, &k, fh, &len), 0);
	assert_int_equal(len, FH_OVERHEAD + 8);
	assert_int_equal(fh_decode(key, fh, len, eid2, &out), 0);
	assert_memory_equal(eid, eid2, FH_EID_LEN);
	assert_int_equal(out.type, 1);
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.bytes, k.bytes, 8);
	/* another installation's key */
	assert_int_equal(fh_decode(key2, fh, len, eid2, &out), -EPERM);
	/* every bit of the handle matters */
	for (uint32_t i = 0; i < len * 8; i++) {
		fh[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_true(fh_decode(key, fh, len, eid2, &out) < 0);
		fh[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* every truncation, and extension */
	for (uint32_t n = 0; n < len; n++)
		assert_true(fh_decode(key, fh, n, eid2, &out) < 0);
	assert_true(fh_decode(key, fh, len + 1, eid2, &out) < 0);
	/* a kernel handle too large for NFSv3's 64 bytes */
	k.len = FH_KERNEL_MAX + 1;
	assert_int_equal(fh_encode(key, eid, &k, fh, &len), -ENAMETOOLONG);
	k.len = FH_KERNEL_MAX;
	assert_int_equal(fh_encode(key, eid, &k, fh, &len), 0);
	assert_int_equal(len, FH_MAX);
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/test_nfs_keyXXXXXX";
	assert_non_null(mkdtemp(dir));
	int dfd = open(dir, O_PATH | O_DIRECTORY);
	uint8_t k1[FH_KEY_LEN], k2[FH_KEY_LEN];
	assert_int_equal(fh_key_load(dfd, k1), 0);
	struct stat st;
	char p[128];
	snprintf(p, sizeof(p), "%s/handle.key", dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, FH_KEY_LEN);
	assert_int_equal(fh_key_load(dfd, k2), 0);
	assert_memory_equal(k1, k2, FH_KEY_LEN); /* stable across restarts */
	/* a truncated key file is an error, not a new key */
	assert_int_equal(truncate(p, 5), 0);
	assert_int_equal(fh_key_load(dfd, k2), -EINVAL);
	unlink(p);
	close(dfd);
	rmdir(dir);
}

/* ---------------------------------------------------------------- args */

#include "xdr_vec.h"

static int decode_exact(uint32_t proc, const struct vec *v, size_t n, struct nfs3_args *a)
{
	uint8_t *q = malloc(n ? n : 1);
	memcpy(q, v->b, n);
	int r = nfs3_decode(proc, q, n, a);
	free(q);
	return r;
}

static void test_args_truncation(void **state)
{
	/* A valid argument list for each procedure. */
	struct vec v[NFS3_PROC_MAX];
	memset(v, 0, sizeof(v));
	const char fh[12] = "handlebytes";
	for (uint32_t p = 1; p < NFS3_PROC_MAX; p++)
		vop(&v[p], fh, sizeof(fh));
	uint32_t sattr[] = { 1, 0644, 1, 1000, 1, 100, 1, 0, 5, 2, 7, 8, 1 };
	for (size_t i = 0; i < 13; i++)
		v32(&v[NFS3_SETATTR], sattr[i]);
	v32(&v[NFS3_SETATTR], 0);
	vop(&v[NFS3_LOOKUP], "name", 4);
	v32(&v[NFS3_ACCESS], 0x3f);
	uint32_t rd[] = { 0, 4096, 512 };
	for (size_t i = 0; i < 3; i++)
		v32(&v[NFS3_READ], rd[i]);
	uint32_t wrt[] = { 0, 0, 3, FILE_SYNC };
	for (size_t i = 0; i < 4; i++)
		v32(&v[NFS3_WRITE], wrt[i]);
	vop(&v[NFS3_WRITE], "abc", 3);
	vop(&v[NFS3_CREATE], "f", 1);
	v32(&v[NFS3_CREATE], CREATE_EXCLUSIVE);
	vop(&v[NFS3_CREATE], NULL, 0);
	v[NFS3_CREATE].n -= 4;
	memcpy(v[NFS3_CREATE].b + v[NFS3_CREATE].n, "verifier", 8);
	v[NFS3_CREATE].n += 8;
	vop(&v[NFS3_MKDIR], "d", 1);
	for (size_t i = 0; i < 6; i++)
		v32(&v[NFS3_MKDIR], 0);
	vop(&v[NFS3_SYMLINK], "l", 1);
	for (size_t i = 0; i < 6; i++)
		v32(&v[NFS3_SYMLINK], 0);
	vop(&v[NFS3_SYMLINK], "../target", 9);
	vop(&v[NFS3_MKNOD], "n", 1);
	v32(&v[NFS3_MKNOD], NF3CHR);
	for (size_t i = 0; i < 6; i++)
		v32(&v[NFS3_MKNOD], 0);
	v32(&v[NFS3_MKNOD], 1);
	v32(&v[NFS3_MKNOD], 3);
	vop(&v[NFS3_REMOVE], "r", 1);
	vop(&v[NFS3_RMDIR], "r", 1);
	vop(&v[NFS3_RENAME], "a", 1);
	vop(&v[NFS3_RENAME], fh, sizeof(fh));
	vop(&v[NFS3_RENAME], "b", 1);
	vop(&v[NFS3_LINK], fh, sizeof(fh));
	vop(&v[NFS3_LINK], "h", 1);
	for (size_t i = 0; i < 5; i++)
		v32(&v[NFS3_READDIR], i == 4 ? 4096 : 0);
	for (size_t i = 0; i < 6; i++)
		v32(&v[NFS3_READDIRPLUS], i >= 4 ? 4096 : 0);
	for (size_t i = 0; i < 3; i++)
		v32(&v[NFS3_COMMIT], 0);

	struct nfs3_args *a = malloc(sizeof(*a));
	for (uint32_t p = 0; p < NFS3_PROC_MAX; p++) {
		assert_int_equal(decode_exact(p, &v[p], v[p].n, a), 0);
		if (p == NFS3_NULL)
			continue;
		assert_int_equal(a->fh.len, sizeof(fh));
		for (size_t cut = 0; cut < v[p].n; cut++)
			assert_int_equal(decode_exact(p, &v[p], cut, a), -EBADMSG);
	}
	assert_int_equal(decode_exact(NFS3_PROC_MAX, &v[1], v[1].n, a), -EINVAL);
	/* spot checks of decoded values */
	decode_exact(NFS3_SETATTR, &v[NFS3_SETATTR], v[NFS3_SETATTR].n, a);
	assert_true(a->sattr.set_mode && a->sattr.mode == 0644 && a->sattr.uid == 1000 && a->sattr.size == 5);
	assert_int_equal(a->sattr.atime.how, SET_TO_CLIENT_TIME);
	assert_int_equal(a->sattr.mtime.how, SET_TO_SERVER_TIME);
	decode_exact(NFS3_MKNOD, &v[NFS3_MKNOD], v[NFS3_MKNOD].n, a);
	assert_true(a->ftype == NF3CHR && a->major == 1 && a->minor == 3);
	decode_exact(NFS3_SYMLINK, &v[NFS3_SYMLINK], v[NFS3_SYMLINK].n, a);
	assert_string_equal(a->path, "../target");
	free(a);
}

static void test_args_hostile(void **state)
{
	struct nfs3_args *a = malloc(sizeof(*a));
	struct vec v;
	/* names: '/', NUL, too long, empty */
	const struct {
		const char *name;
		uint32_t len;
		uint32_t err;
	} names[] = {
		{ "a/b", 3, NFS3ERR_INVAL }, { "a\0b", 3, NFS3ERR_INVAL }, { "", 0, NFS3ERR_ACCES },
		{ "..", 2, 0 }, { "ok", 2, 0 },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(&v, 0, sizeof(v));
		vop(&v, "h", 1);
		vop(&v, names[i].name, names[i].len);
		assert_int_equal(decode_exact(NFS3_LOOKUP, &v, v.n, a), 0);
		assert_int_equal(a->name.err, names[i].err);
	}
	/* ".." decodes but is no name to create or remove */
	memset(&v, 0, sizeof(v));
	vop(&v, "h", 1);
	vop(&v, "..", 2);
	decode_exact(NFS3_REMOVE, &v, v.n, a);
	assert_int_equal(nfs3_check_name(&a->name), NFS3ERR_INVAL);
	/* a 65-byte handle */
	uint8_t big[200];
	memset(big, 1, sizeof(big));
	memset(&v, 0, sizeof(v));
	vop(&v, big, 65);
	assert_int_equal(decode_exact(NFS3_GETATTR, &v, v.n, a), -EBADMSG);
	/* a huge name length word */
	memset(&v, 0, sizeof(v));
	vop(&v, "h", 1);
	v32(&v, 0xffffffffu);
	assert_int_equal(decode_exact(NFS3_LOOKUP, &v, v.n, a), -EBADMSG);
	/* a 300-byte name: decodes, NAMETOOLONG */
	uint8_t *lv = calloc(1, 512);
	struct wr w = wr_init(lv, 512);
	xdr_put_opaque(&w, "h", 1);
	xdr_put_u32(&w, 300);
	wr_zero(&w, 300);
	assert_int_equal(nfs3_decode(NFS3_LOOKUP, lv, w.off, a), 0);
	assert_int_equal(a->name.err, NFS3ERR_NAMETOOLONG);
	free(lv);
	/* WRITE: count and data length disagree; bad stable_how */
	memset(&v, 0, sizeof(v));
	vop(&v, "h", 1);
	v32(&v, 0);
	v32(&v, 0);
	v32(&v, 4);
	v32(&v, UNSTABLE);
	vop(&v, "abc", 3);
	assert_int_equal(decode_exact(NFS3_WRITE, &v, v.n, a), -EBADMSG);
	v.b[v.n - 12 + 3] = 3;   /* count = 3 now */
	v.b[v.n - 8 + 3] = 9;    /* stable_how 9 */
	assert_int_equal(decode_exact(NFS3_WRITE, &v, v.n, a), -EBADMSG);
	/* a bool that is 2 */
	memset(&v, 0, sizeof(v));
	vop(&v, "h", 1);
	v32(&v, 2);
	assert_int_equal(decode_exact(NFS3_SETATTR, &v, v.n, a), -EBADMSG);
	free(a);
}

static void test_errno_table(void **state)
{
	assert_int_equal(nfs3_errno(0), NFS3_OK);
	assert_int_equal(nfs3_errno(ENOENT), NFS3ERR_NOENT);
	assert_int_equal(nfs3_errno(-EACCES), NFS3ERR_ACCES);
	assert_int_equal(nfs3_errno(ENOTEMPTY), NFS3ERR_NOTEMPTY);
	assert_int_equal(nfs3_errno(ESTALE), NFS3ERR_STALE);
	assert_int_equal(nfs3_errno(EPIPE), NFS3ERR_IO);
	assert_string_equal(nfs3_proc_name(NFS3_READDIRPLUS), "READDIRPLUS");
	assert_string_equal(nfs3_proc_name(99), "?");
}

/* ---------------------------------------------------------------- procedures */

struct env {
	char top[64], root[96];
	struct nfs_export ex;
	uint8_t key[FH_KEY_LEN];
	uint8_t verf[8];
};

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->top, sizeof(e->top), "/tmp/test_nfs_exXXXXXX");
	if (!mkdtemp(e->top))
		return -1;
	snprintf(e->root, sizeof(e->root), "%s/root", e->top);
	mkdir(e->root, 0755);
	char p[160];
	snprintf(p, sizeof(p), "%s/secret", e->top);
	FILE *f = fopen(p, "w");
	fputs("outside", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/file", e->root);
	f = fopen(p, "w");
	fputs("inside", f);
	fclose(f);
	e->ex.root_fd = open(e->root, O_RDONLY | O_DIRECTORY);
	struct stat st;
	fstat(e->ex.root_fd, &st);
	e->ex.dev = st.st_dev;
	e->ex.ino = st.st_ino;
	fh_export_id("1234abcd", FH_KIND_ROOT, e->ex.eid);
	memset(e->key, 3, sizeof(e->key));
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];
	close(e->ex.root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->top);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

/* Run proc with args built by the caller; returns the nfsstat3. */
static uint32_t run(struct env *e, uint32_t proc, const struct vec *v, uint8_t *out, size_t cap, size_t *olen)
{
	struct nfs3_args *a = malloc(sizeof(*a));
	assert_int_equal(nfs3_decode(proc, v->b, v->n, a), 0);
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key, .write_verf = e->verf };
	struct wr w = wr_init(out, cap);
	assert_int_equal(nfs3_exec(&c, proc, a, &w), 0);
	free(a);
	*olen = w.off;
	struct rd r = rd_init(out, w.off);
	return xdr_u32(&r);
}

static void root_fh(struct env *e, struct nfs_fh *fh)
{
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key };
	assert_int_equal(nfs3_fh_make(&c, e->ex.root_fd, fh), NFS3_OK);
}

static void test_proc_lookup_confined(void **state)
{
	struct env *e = *state;
	struct nfs_fh root;
	uint8_t out[4096];
	size_t n;
	root_fh(e, &root);
	struct vec v = { .n = 0 };
	vop(&v, root.data, root.len);
	vop(&v, "file", 4);
	assert_int_equal(run(e, NFS3_LOOKUP, &v, out, sizeof(out), &n), NFS3_OK);
	/* ".." of the root is the root: its handle equals the root's */
	v.n = 0;
	vop(&v, root.data, root.len);
	vop(&v, "..", 2);
	assert_int_equal(run(e, NFS3_LOOKUP, &v, out, sizeof(out), &n), NFS3_OK);
	struct rd r = rd_init(out + 4, n - 4);
	uint32_t l;
	const uint8_t *h = xdr_opaque(&r, FH_MAX, &l);
	assert_int_equal(l, root.len);
	assert_memory_equal(h, root.data, l);
	/* '/' and NUL in names */
	v.n = 0;
	vop(&v, root.data, root.len);
	vop(&v, "../secret", 9);
	assert_int_equal(run(e, NFS3_LOOKUP, &v, out, sizeof(out), &n), NFS3ERR_INVAL);
	v.n = 0;
	vop(&v, root.data, root.len);
	vop(&v, "file\0x", 6);
	assert_int_equal(run(e, NFS3_LOOKUP, &v, out, sizeof(out), &n), NFS3ERR_INVAL);
	/* a symlink pointing out is returned as a symlink, never followed */
	char p[160];
	snprintf(p, sizeof(p), "%s/out", e->root);
	assert_int_equal(symlink("../secret", p), 0);
	v.n = 0;
	vop(&v, root.data, root.len);
	vop(&v, "out", 3);
	assert_int_equal(run(e, NFS3_LOOKUP, &v, out, sizeof(out), &n), NFS3_OK);
	r = rd_init(out + 4, n - 4);
	xdr_opaque(&r, FH_MAX, &l);
	assert_int_equal(xdr_u32(&r), 1);           /* attributes follow */
	assert_int_equal(xdr_u32(&r), NF3LNK);      /* type */
}

static void test_proc_handle_outside(void **state)
{
	/* A validly signed handle naming a directory outside the export
	 * (as if the key had leaked) is still refused: STALE. */
	struct env *e = *state;
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key };
	struct nfs_fh fh;
	int top = open(e->top, O_PATH | O_DIRECTORY);
	assert_int_equal(nfs3_fh_make(&c, top, &fh), NFS3_OK);
	close(top);
	struct vec v = { .n = 0 };
	vop(&v, fh.data, fh.len);
	uint8_t out[512];
	size_t n;
	assert_int_equal(run(e, NFS3_GETATTR, &v, out, sizeof(out), &n), NFS3ERR_STALE);
	/* the same handle of another export id: BADHANDLE/XDEV, never OK */
	struct nfs_export other = e->ex;
	fh_export_id("cafef00d", FH_KIND_ROOT, other.eid);
	struct nfs_fh root;
	root_fh(e, &root);
	struct nfs3_ctx c2 = { .ex = &other, .key = e->key };
	int fd;
	assert_int_not_equal(nfs3_fh_open(&c2, &root, &fd), NFS3_OK);
}

static void test_proc_write_read(void **state)
{
	struct env *e = *state;
	struct nfs_fh root, f;
	uint8_t out[8192];
	size_t n;
	root_fh(e, &root);
	/* CREATE GUARDED mode 0640 (umask must not apply) */
	struct vec v = { .n = 0 };
	vop(&v, root.data, root.len);
	vop(&v, "new", 3);
	v32(&v, CREATE_GUARDED);
	uint32_t sa[] = { 1, 0640, 0, 0, 0, 0, 0 };
	for (size_t i = 0; i < 7; i++)
		v32(&v, sa[i]);
	assert_int_equal(run(e, NFS3_CREATE, &v, out, sizeof(out), &n), NFS3_OK);
	struct rd r = rd_init(out + 4, n - 4);
	assert_int_equal(xdr_u32(&r), 1);
	const uint8_t *h = xdr_opaque(&r, FH_MAX, &f.len);
	memcpy(f.data, h, f.len);
	char p[160];
	struct stat st;
	snprintf(p, sizeof(p), "%s/new", e->root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* GUARDED again: EXIST */
	assert_int_equal(run(e, NFS3_CREATE, &v, out, sizeof(out), &n), NFS3ERR_EXIST);
	/* WRITE FILE_SYNC beyond 4 GiB, READ it back */
	v.n = 0;
	vop(&v, f.data, f.len);
	v32(&v, 1);
	v32(&v, 5);      /* offset 4 GiB + 5 */
	v32(&v, 4);
	v32(&v, FILE_SYNC);
	vop(&v, "data", 4);
	assert_int_equal(run(e, NFS3_WRITE, &v, out, sizeof(out), &n), NFS3_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, (1ll << 32) + 9);
	v.n = 0;
	vop(&v, f.data, f.len);
	v32(&v, 1);
	v32(&v, 5);
	v32(&v, 100);
	assert_int_equal(run(e, NFS3_READ, &v, out, sizeof(out), &n), NFS3_OK);
	r = rd_init(out + 4, n - 4);
	assert_int_equal(xdr_u32(&r), 1);
	rd_skip(&r, 84);
	assert_int_equal(xdr_u32(&r), 4);   /* count */
	assert_int_equal(xdr_u32(&r), 1);   /* eof */
	uint32_t dl;
	const uint8_t *d = xdr_opaque(&r, 100, &dl);
	assert_int_equal(dl, 4);
	assert_memory_equal(d, "data", 4);
	/* Offsets off_t cannot hold: READ is empty at EOF, WRITE is FBIG */
	v.n = 0;
	vop(&v, f.data, f.len);
	v32(&v, 0xffffffffu);
	v32(&v, 0xfffffffcu);
	v32(&v, 100);
	assert_int_equal(run(e, NFS3_READ, &v, out, sizeof(out), &n), NFS3_OK);
	r = rd_init(out + 4, n - 4);
	assert_int_equal(xdr_u32(&r), 1);
	rd_skip(&r, 84);
	assert_int_equal(xdr_u32(&r), 0);   /* count */
	assert_int_equal(xdr_u32(&r), 1);   /* eof */
	v.n = 0;
	vop(&v, f.data, f.len);
	v32(&v, 0x7fffffffu);
	v32(&v, 0xfffffffeu); /* INT64_MAX - 1: the 4 bytes would end past it */
	v32(&v, 4);
	v32(&v, UNSTABLE);
	vop(&v, "data", 4);
	assert_int_equal(run(e, NFS3_WRITE, &v, out, sizeof(out), &n), NFS3ERR_FBIG);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, (1ll << 32) + 9);
	/* READ of a directory: ISDIR */
	v.n = 0;
	vop(&v, root.data, root.len);
	v32(&v, 0);
	v32(&v, 0);
	v32(&v, 10);
	assert_int_equal(run(e, NFS3_READ, &v, out, sizeof(out), &n), NFS3ERR_ISDIR);
	/* REMOVE "..": refused */
	v.n = 0;
	vop(&v, root.data, root.len);
	vop(&v, "..", 2);
	assert_int_equal(run(e, NFS3_REMOVE, &v, out, sizeof(out), &n), NFS3ERR_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_id),
		cmocka_unit_test(test_fh_envelope),
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_args_truncation),
		cmocka_unit_test(test_args_hostile),
		cmocka_unit_test(test_errno_table),
		cmocka_unit_test_setup_teardown(test_proc_lookup_confined, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_proc_handle_outside, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_proc_write_read, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
