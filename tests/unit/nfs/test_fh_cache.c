/* test_fh_cache.c - unit tests for the handle cache's descriptor-free
 * attribute path (fh_cache_stat) and for putting a handle again: a hit only
 * for the exact handle of the exact export, the cached object's own
 * attributes, and nothing after a purge. */
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

static int temp_file(char *path, size_t size)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static void test_stat_exact_handle(void **state)
{
	struct fh_cache *c = fh_cache_new(16);
	struct nfs_export ex1, ex2;
	memset(&ex1, 0, sizeof(ex1));
	memset(&ex2, 0, sizeof(ex2));
	char p1[] = "/tmp/test_fh_cache_XXXXXX", p2[] = "/tmp/test_fh_cache_XXXXXX";
	int f1 = temp_file(p1, 11), f2 = temp_file(p2, 22);
	struct stat s1, s2, st;
	fstat(f1, &s1);
	fstat(f2, &s2);
	uint8_t h[FH_OVERHEAD + 8];
	memset(h, 0x5a, sizeof(h));
	/* not cached yet; too short to ever be a handle */
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h), &st), -ENOENT);
	assert_int_equal(fh_cache_stat(c, &ex1, h, 4, &st), -ENOENT);
	fh_cache_put(c, &ex1, h, sizeof(h), f1, s1.st_dev, s1.st_ino);
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h), &st), 0);
	assert_int_equal(st.st_ino, s1.st_ino);
	assert_int_equal(st.st_size, 11);
	/* the attributes are the object's now, not when it was cached */
	assert_int_equal(ftruncate(f1, 33), 0);
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h), &st), 0);
	assert_int_equal(st.st_size, 33);
	/* another export, another byte, another length: no hit */
	assert_int_equal(fh_cache_stat(c, &ex2, h, sizeof(h), &st), -ENOENT);
	h[3] ^= 1;
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h), &st), -ENOENT);
	h[3] ^= 1;
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h) - 1, &st), -ENOENT);
	/* the same handle again keeps what is cached (one handle, one object:
	 * no new descriptor) */
	fh_cache_put(c, &ex1, h, sizeof(h), f2, s2.st_dev, s2.st_ino);
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h), &st), 0);
	assert_int_equal(st.st_ino, s1.st_ino);
	/* the caller's descriptor is its own: closing it changes nothing */
	close(f1);
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h), &st), 0);
	/* a removed object is forgotten */
	fh_cache_purge(c, s1.st_dev, s1.st_ino);
	assert_int_equal(fh_cache_stat(c, &ex1, h, sizeof(h), &st), -ENOENT);
	assert_int_equal(fh_cache_get(c, &ex1, h, sizeof(h)), -1);
	close(f2);
	unlink(p1);
	unlink(p2);
	fh_cache_free(c);
	assert_int_equal(fh_cache_stat(NULL, &ex1, h, sizeof(h), &st), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_exact_handle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
