/* test_nfs_sec.c - NFS procedures run directly against a temporary export
 * (no sockets) for the issue 9 / issue 13 rules: a non-owner WRITE drops
 * setuid (and setgid with group-exec) as the Linux VFS does for a writer
 * without CAP_FSETID, client root keeps them; CREATE UNCHECKED over a
 * symlink, directory or FIFO is NFS3ERR_EXIST; READ caches only a
 * read-only descriptor, WRITE a read-write one; a TCP record buffer grows
 * with the bytes that arrived, not with the record mark. Needs root (chown, fsuid);
 * skipped otherwise. */
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
#include "nfs/fh_cache.h"
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

#include "xdr_vec.h"

struct env {
	char root[64];
	struct nfs_export ex;
	struct fh_cache *cache;
	uint8_t key[FH_KEY_LEN];
	uint8_t verf[8];
};

static int env_setup(void **state)
{
	if (geteuid() != 0)
		return 0;
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->root, sizeof(e->root), "/tmp/test_nfs_secXXXXXX");
	if (!e || !mkdtemp(e->root))
		return -1;
	chmod(e->root, 0777);
	e->ex.root_fd = open(e->root, O_RDONLY | O_DIRECTORY);
	struct stat st;
	fstat(e->ex.root_fd, &st);
	e->ex.dev = st.st_dev;
	e->ex.ino = st.st_ino;
	fh_export_id("1234abcd", FH_KIND_ROOT, e->ex.eid);
	memset(e->key, 5, sizeof(e->key));
	e->cache = fh_cache_new(64);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];
	if (!e)
		return 0;
	close(e->ex.root_fd);
	fh_cache_free(e->cache);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->root);
	if (system(cmd) != 0)
		return -1;
	free(e);
	return 0;
}

#define NEED_ROOT(e)                                        \
	do {                                                \
		if (!(e)) {                                 \
			skip();                             \
			return;                             \
		}                                           \
	} while (0)

/* Run proc as uid/gid (AUTH_SYS); returns the nfsstat3. */
static uint32_t run_as(struct env *e, uint32_t uid, uint32_t gid, uint32_t proc, const struct vec *v,
		       uint8_t *out, size_t cap, size_t *olen)
{
	struct nfs3_args *a = malloc(sizeof(*a));
	assert_non_null(a);
	assert_int_equal(nfs3_decode(proc, v->b, v->n, a), 0);
	struct nfs3_ctx c = { .ex = &e->ex, .cache = e->cache, .key = e->key, .write_verf = e->verf };
	c.cred.flavor = AUTH_SYS;
	c.cred.uid = uid;
	c.cred.gid = gid;
	struct wr w = wr_init(out, cap);
	assert_int_equal(nfs3_exec(&c, proc, a, &w), 0);
	free(a);
	*olen = w.off;
	struct rd r = rd_init(out, w.off);
	return xdr_u32(&r);
}

static void fh_of(struct env *e, const char *name, struct nfs_fh *fh)
{
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key };
	int fd = openat(e->ex.root_fd, name, O_PATH | O_NOFOLLOW);
	assert_true(fd >= 0);
	assert_int_equal(nfs3_fh_make(&c, fd, fh), NFS3_OK);
	close(fd);
}

/* A file owned by 2000:2000 with the given mode and content "0123". */
static void make_file(struct env *e, const char *name, mode_t mode)
{
	int fd = openat(e->ex.root_fd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123", 4), 4);
	assert_int_equal(fchown(fd, 2000, 2000), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static mode_t mode_of(struct env *e, const char *name)
{
	struct stat st;
	assert_int_equal(fstatat(e->ex.root_fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode & 07777;
}

static uint32_t write_as(struct env *e, const char *name, uint32_t uid, uint32_t gid)
{
	struct nfs_fh fh;
	struct vec v = { .n = 0 };
	uint8_t out[1024];
	size_t n;
	fh_of(e, name, &fh);
	vop(&v, fh.data, fh.len);
	v32(&v, 0);
	v32(&v, 1);     /* offset 1 */
	v32(&v, 2);
	v32(&v, FILE_SYNC);
	vop(&v, "xy", 2);
	return run_as(e, uid, gid, NFS3_WRITE, &v, out, sizeof(out), &n);
}

static void test_write_drops_setid(void **state)
{
	struct env *e = *state;
	NEED_ROOT(e);
	/* setuid + setgid with group-exec, group-writable: a group member
	 * who is not the owner writes. Both bits go, as for a local write. */
	make_file(e, "sg", 06775);
	assert_int_equal(write_as(e, "sg", 1000, 2000), NFS3_OK);
	assert_int_equal(mode_of(e, "sg"), 0775);
	/* setuid, world-writable, a stranger writes: setuid goes. */
	make_file(e, "su", 04777);
	assert_int_equal(write_as(e, "su", 1000, 1000), NFS3_OK);
	assert_int_equal(mode_of(e, "su"), 0777);
	/* setgid without group-exec stays for a writer in the file's group
	 * (every kernel agrees; for one outside it newer kernels drop it,
	 * and ours does whatever the running kernel does). */
	make_file(e, "lk", 02666);
	assert_int_equal(write_as(e, "lk", 1000, 2000), NFS3_OK);
	assert_int_equal(mode_of(e, "lk"), 02666);
	/* The owner without CAP_FSETID loses them too (the VFS rule). */
	make_file(e, "own", 06775);
	assert_int_equal(write_as(e, "own", 2000, 2000), NFS3_OK);
	assert_int_equal(mode_of(e, "own"), 0775);
	/* Client root (no_root_squash) holds CAP_FSETID: bits kept. */
	make_file(e, "rt", 06775);
	assert_int_equal(write_as(e, "rt", 0, 0), NFS3_OK);
	assert_int_equal(mode_of(e, "rt"), 06775);
	/* A refused write changes nothing. */
	make_file(e, "ro", 04755);
	assert_int_equal(write_as(e, "ro", 1000, 1000), NFS3ERR_ACCES);
	assert_int_equal(mode_of(e, "ro"), 04755);
	/* The data did land. */
	char b[8] = "";
	int fd = openat(e->ex.root_fd, "sg", O_RDONLY);
	assert_int_equal(read(fd, b, sizeof(b)), 4);
	close(fd);
	assert_memory_equal(b, "0xy3", 4);
}

static uint32_t create_unchecked(struct env *e, const char *name)
{
	struct nfs_fh root;
	struct vec v = { .n = 0 };
	uint8_t out[1024];
	size_t n;
	struct nfs3_ctx c = { .ex = &e->ex, .key = e->key };
	assert_int_equal(nfs3_fh_make(&c, e->ex.root_fd, &root), NFS3_OK);
	vop(&v, root.data, root.len);
	vop(&v, name, (uint32_t)strlen(name));
	v32(&v, CREATE_UNCHECKED);
	uint32_t sa[] = { 1, 0644, 0, 0, 1, 0, 0, 0, 0 }; /* mode, size 0 */
	for (size_t i = 0; i < 9; i++)
		v32(&v, sa[i]);
	return run_as(e, 0, 0, NFS3_CREATE, &v, out, sizeof(out), &n);
}

static void test_create_unchecked_nonregular(void **state)
{
	struct env *e = *state;
	NEED_ROOT(e);
	assert_int_equal(symlinkat("/etc/passwd", e->ex.root_fd, "link"), 0);
	assert_int_equal(mkdirat(e->ex.root_fd, "dir", 0755), 0);
	assert_int_equal(mkfifoat(e->ex.root_fd, "fifo", 0644), 0);
	assert_int_equal(create_unchecked(e, "link"), NFS3ERR_EXIST);
	assert_int_equal(create_unchecked(e, "dir"), NFS3ERR_EXIST);
	assert_int_equal(create_unchecked(e, "fifo"), NFS3ERR_EXIST);
	/* nothing was replaced or followed */
	struct stat st;
	assert_int_equal(fstatat(e->ex.root_fd, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(fstatat(e->ex.root_fd, "dir", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* a regular file: UNCHECKED succeeds and truncates (size 0) */
	make_file(e, "reg", 0644);
	assert_int_equal(create_unchecked(e, "reg"), NFS3_OK);
	assert_int_equal(fstatat(e->ex.root_fd, "reg", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_size, 0);
	/* a new name: created */
	assert_int_equal(create_unchecked(e, "fresh"), NFS3_OK);
}

/* READ caches a read-only descriptor and never a writable one; WRITE
 * caches a read-write one, which later READs share. */
static void test_read_opens_readonly(void **state)
{
	struct env *e = *state;
	NEED_ROOT(e);
	make_file(e, "f", 0644);
	struct nfs_fh fh;
	fh_of(e, "f", &fh);
	struct vec v = { .n = 0 };
	uint8_t out[1024];
	size_t n;
	vop(&v, fh.data, fh.len);
	v32(&v, 0);
	v32(&v, 0);
	v32(&v, 100);
	assert_int_equal(run_as(e, 0, 0, NFS3_READ, &v, out, sizeof(out), &n), NFS3_OK);
	assert_int_equal(fh_cache_get_io(e->cache, &e->ex, fh.data, fh.len, true), -1);
	int rfd = fh_cache_get_io(e->cache, &e->ex, fh.data, fh.len, false);
	assert_true(rfd >= 0);
	assert_int_equal(fcntl(rfd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(rfd);
	assert_int_equal(write_as(e, "f", 0, 0), NFS3_OK);
	int wfd = fh_cache_get_io(e->cache, &e->ex, fh.data, fh.len, true);
	assert_true(wfd >= 0);
	assert_int_equal(fcntl(wfd, F_GETFL) & O_ACCMODE, O_RDWR);
	close(wfd);
	/* READ after the WRITE sees the new bytes */
	assert_int_equal(run_as(e, 0, 0, NFS3_READ, &v, out, sizeof(out), &n), NFS3_OK);
	assert_memory_equal(out + n - 4, "0xy3", 4);
}

/* A record mark promising 1 MiB costs nothing until bytes come, and the
 * buffer then follows what arrived (at most about twice it). */
static void test_record_grows_with_data(void **state)
{
	struct rpc_rec rec;
	uint8_t hdr[4] = { 0x80, 0x10, 0x00, 0x00 }; /* last fragment, 1 MiB */
	static uint8_t body[1 << 20];
	size_t used;
	rpc_rec_init(&rec, NFS_RECORD_MAX);
	assert_int_equal(rpc_rec_feed(&rec, hdr, 4, &used), 0);
	assert_int_equal(used, 4);
	assert_true(rec.cap == 0);
	assert_int_equal(rpc_rec_feed(&rec, body, 1000, &used), 0);
	assert_true(rec.cap >= 1000 && rec.cap <= 2048);
	size_t len;
	uint8_t *p = rpc_rec_space(&rec, &len);
	assert_non_null(p);
	assert_true(len > 0 && len <= rec.cap - 1000);
	assert_int_equal(rpc_rec_feed(&rec, body, 100000, &used), 0);
	assert_true(rec.cap >= 101000 && rec.cap <= 2 * 101000);
	assert_int_equal(rpc_rec_feed(&rec, body, sizeof(body), &used), 1);
	assert_int_equal(rec.len, 1 << 20);
	assert_true(rec.cap <= (1 << 20));  /* never past the fragment's end */
	rpc_rec_free(&rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_drops_setid, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_create_unchecked_nonregular, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_read_opens_readonly, env_setup, env_teardown),
		cmocka_unit_test(test_record_grows_with_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
