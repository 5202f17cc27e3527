/* fh.c - file-handle envelope codec and the handle key.
 *
 * Layout (big-endian, 26 + n bytes, at most 64):
 *   version(1) export-id(7) kernel-type(1) n(1) kernel-handle(n) tag(16)
 * The tag is crypto_auth over everything before it. The export id is
 * inside the authenticated part, so a handle cannot be re-labelled.
 * Pure apart from the key file: must not open exports or cache fds
 * (nfs3_attr.c, fh_cache.c do). */
#include "nfs/fh.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int fh_export_id(const char *id, int kind, uint8_t eid[FH_EID_LEN])
{
	size_t n = strlen(id);
	memset(eid, 0, FH_EID_LEN);
	if (kind != FH_KIND_ROOT && kind != FH_KIND_BOOT)
		return -EINVAL;
	if (n == 8) {
		for (size_t i = 0; i < 8; i++) {
			int v = hexval(id[i]);
			if (v < 0)
				return -EINVAL;
			eid[1 + i / 2] = (uint8_t)(eid[1 + i / 2] | (v << ((i & 1) ? 0 : 4)));
		}
		eid[0] = (uint8_t)kind;
		return 0;
	}
	if (n == 17) {
		for (size_t i = 0; i < 6; i++) {
			int hi = hexval(id[i * 3]), lo = hexval(id[i * 3 + 1]);
			if (hi < 0 || lo < 0 || (i < 5 && id[i * 3 + 2] != '-'))
				return -EINVAL;
			eid[1 + i] = (uint8_t)(hi << 4 | lo);
		}
		eid[0] = (uint8_t)(kind | 2);
		return 0;
	}
	return -EINVAL;
}

int fh_export_str(const uint8_t eid[FH_EID_LEN], char id[18], int *ret_kind)
{
	if (eid[0] & ~3u)
		return -EINVAL;
	*ret_kind = eid[0] & 1;
	if (eid[0] & 2) {
		snprintf(id, 18, "%02x-%02x-%02x-%02x-%02x-%02x", eid[1], eid[2], eid[3], eid[4], eid[5],
			 eid[6]);
	} else {
		if (eid[5] || eid[6])
			return -EINVAL;
		snprintf(id, 18, "%02x%02x%02x%02x", eid[1], eid[2], eid[3], eid[4]);
	}
	return 0;
}

/* HMAC-SHA512-256 (crypto_auth) with the keyed state computed once per
 * thread: the key's inner and outer pad blocks are the same for every
 * handle, which halves the cost of a READDIRPLUS full of handles. */
static _Thread_local struct {
	bool valid;
	uint8_t key[FH_KEY_LEN];
	crypto_auth_hmacsha512256_state st;
} keyed;

static void tag_of(const uint8_t key[FH_KEY_LEN], const uint8_t *p, size_t n, uint8_t tag[FH_TAG_LEN])
{
	uint8_t full[crypto_auth_BYTES];
	crypto_auth_hmacsha512256_state st;
	if (!keyed.valid || memcmp(keyed.key, key, FH_KEY_LEN) != 0) {
		crypto_auth_hmacsha512256_init(&keyed.st, key, FH_KEY_LEN);
		memcpy(keyed.key, key, FH_KEY_LEN);
		keyed.valid = true;
	}
	st = keyed.st;
	crypto_auth_hmacsha512256_update(&st, p, n);
	crypto_auth_hmacsha512256_final(&st, full);
	sodium_memzero(&st, sizeof(st));
	memcpy(tag, full, FH_TAG_LEN);
}

int fh_encode(const uint8_t key[FH_KEY_LEN], const uint8_t eid[FH_EID_LEN],
	      const struct fh_kernel *k, uint8_t out[FH_MAX], uint32_t *ret_len)
{
	if (k->len > FH_KERNEL_MAX || k->type < 0 || k->type > 255)
		return -ENAMETOOLONG;
	size_t o = 0;
	out[o++] = FH_VERSION;
	memcpy(out + o, eid, FH_EID_LEN);
	o += FH_EID_LEN;
	out[o++] = (uint8_t)k->type;
	out[o++] = (uint8_t)k->len;
	memcpy(out + o, k->bytes, k->len);
	o += k->len;
	tag_of(key, out, o, out + o);
	*ret_len = (uint32_t)(o + FH_TAG_LEN);
	return 0;
}

int fh_peek_export(const uint8_t *fh, uint32_t len, uint8_t eid[FH_EID_LEN])
{
	if (len < FH_OVERHEAD || len > FH_MAX || fh[0] != FH_VERSION ||
	    (uint32_t)fh[1 + FH_EID_LEN + 1] + FH_OVERHEAD != len)
		return -EBADMSG;
	memcpy(eid, fh + 1, FH_EID_LEN);
	return 0;
}

int fh_decode(const uint8_t key[FH_KEY_LEN], const uint8_t *fh, uint32_t len,
	      uint8_t eid[FH_EID_LEN], struct fh_kernel *k)
{
	uint8_t tag[FH_TAG_LEN];
	if (fh_peek_export(fh, len, eid) < 0)
		return -EBADMSG;
	size_t body = len - FH_TAG_LEN;
	tag_of(key, fh, body, tag);
	/* Constant time: the tag is the only secret-dependent comparison. */
	if (sodium_memcmp(tag, fh + body, FH_TAG_LEN) != 0)
		return -EPERM;
	k->type = fh[1 + FH_EID_LEN];
	k->len = fh[2 + FH_EID_LEN];
	memcpy(k->bytes, fh + 3 + FH_EID_LEN, k->len);
	return 0;
}

int fh_key_load(int data_fd, uint8_t key[FH_KEY_LEN])
{
	if (sodium_init() < 0)
		return -EIO;
	int fd = openat(data_fd, "handle.key", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		ssize_t n = read(fd, key, FH_KEY_LEN);
		close(fd);
		return n == FH_KEY_LEN ? 0 : -EINVAL;
	}
	if (errno != ENOENT)
		return -errno;
	/* data_fd may be O_PATH: reach the directory through /proc. */
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", data_fd);
	int dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	randombytes_buf(key, FH_KEY_LEN);
	fd = openat(dfd, "handle.key.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r = 0;
	if (fd < 0 || fchmod(fd, 0600) < 0 || write(fd, key, FH_KEY_LEN) != FH_KEY_LEN || fsync(fd) < 0 ||
	    renameat(dfd, "handle.key.tmp", dfd, "handle.key") < 0)
		r = errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	if (r == 0)
		fsync(dfd);
	close(dfd);
	return r;
}
