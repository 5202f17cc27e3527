/* datadir.c - what belongs to the data dir as a whole: the permissions of
 * DATA/clients and DATA/images (nothing a Pi made there is reachable by
 * other local users), and the shared DATA/boot, filled from an image and
 * switched to another with the stamp file naming the image.
 *
 * Owns: the data dir's layout and modes, DATA/boot's default image
 * stamp. Must not touch: client.conf, sockets. */
#include "provision/provision.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "provision/copytree.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"

int provision_secure_tree(const char *data_dir)
{
	static const char *const dirs[] = { "clients", "images" };
	char p[PATH_MAX];
	int ret = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (pathf(p, sizeof(p), "%s/%s", data_dir, dirs[i]) < 0)
			return -ENAMETOOLONG;
		/* Following a symlink here is the admin's choice (clients/ on
		 * another disk); no Pi can write into DATA itself. */
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT && !ret)
				ret = -errno;
			continue;
		}
		struct stat s;
		if (fstat(fd, &s) == 0 && (s.st_mode & 07777) != 0700) {
			if (fchmod(fd, 0700) < 0) {
				if (!ret)
					ret = -errno;
				log_warn("provision", "%s: cannot make it 0700: %s", p, strerror(errno));
			} else {
				log_info("provision", "%s: mode %04o -> 0700 (Pi-made setuid files and devices stay out "
						      "of other local users' reach)", p, (unsigned)(s.st_mode & 07777));
			}
		}
		close(fd);
	}
	return ret;
}

int boot_default_get(const char *data_dir, char *out, size_t outlen)
{
	char p[PATH_MAX], *txt;
	size_t len;
	if (outlen)
		out[0] = '\0';
	pathf(p, sizeof(p), "%s/boot", data_dir);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = read_file_at(fd, BOOT_STAMP, 256, &txt, &len);
	if (r == 0) {
		txt[strcspn(txt, "\r\n")] = '\0';
		snprintf(out, outlen, "%s", prov_image_name_ok(txt) ? txt : "?");
		free(txt);
		close(fd);
		return 1;
	}
	/* No stamp: empty, or the admin's own files. */
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	struct dirent *de;
	r = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = -ENOTEMPTY;
	closedir(d);
	return r;
}

/* Names of the entries of directory fd (without . and ..), at most max. */
static int list_names(int fd, char ***ret, size_t *ret_n, size_t max)
{
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -ENOMEM;
	}
	char **v = calloc(max, sizeof(*v));
	size_t n = 0;
	int r = v ? 0 : -ENOMEM;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == max)
			r = -E2BIG;
		else if (!(v[n++] = strdup(de->d_name)))
			r = -ENOMEM;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; v && i < n; i++)
			free(v[i]);
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static bool in_names(char **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

/* Move the new entries into bootfd, the old ones out to trashfd. */
static int swap_entries(int bootfd, int newfd, int trashfd, char *err, size_t errlen)
{
	char **nv = NULL, **ov = NULL;
	size_t nn = 0, on = 0;
	int r = list_names(newfd, &nv, &nn, 4096);
	if (r == 0)
		r = list_names(bootfd, &ov, &on, 4096);
	for (size_t i = 0; r == 0 && i < on; i++) {
		if (!strcmp(ov[i], BOOT_STAMP) || in_names(nv, nn, ov[i]))
			continue;
		if (renameat(bootfd, ov[i], trashfd, ov[i]) < 0) {
			r = -errno;
			snprintf(err, errlen, "moving boot/%s aside: %s", ov[i], strerror(errno));
		}
	}
	for (size_t i = 0; r == 0 && i < nn; i++) {
		struct stat s;
		/* An existing name is exchanged, so it never goes missing. */
		int e = fstatat(bootfd, nv[i], &s, AT_SYMLINK_NOFOLLOW) == 0
				? renameat2(newfd, nv[i], bootfd, nv[i], RENAME_EXCHANGE)
				: renameat(newfd, nv[i], bootfd, nv[i]);
		if (e < 0) {
			r = -errno;
			snprintf(err, errlen, "moving %s into boot/: %s", nv[i], strerror(errno));
		}
	}
	if (r == -E2BIG)
		snprintf(err, errlen, "more than 4096 entries in a boot directory");
	else if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free_names(nv, nn);
	free_names(ov, on);
	return r;
}

static int keep_hand_filled(const char *data_dir, const char *boot, char *err, size_t errlen)
{
	char aside[PATH_MAX];
	struct copy_opts co = { .reflink = true };
	struct copy_stats st;
	pathf(aside, sizeof(aside), "%s/boot.old-%lld", data_dir, (long long)time(NULL));
	int r = copy_tree(boot, aside, &co, &st, err, errlen);
	if (r == 0)
		fprintf(stderr, "note: the files that were in %s are kept in %s\n", boot, aside);
	return r;
}

int boot_default_set(const char *data_dir, const char *name, bool force, char *err, size_t errlen)
{
	char boot[PATH_MAX], src[PATH_MAX], nw[PATH_MAX], trash[PATH_MAX], cur[64];
	if (!image_exists(data_dir, name)) {
		snprintf(err, errlen, "no image '%.64s' (pinetboot image list)", name);
		return -ENOENT;
	}
	pathf(boot, sizeof(boot), "%s/boot", data_dir);
	pathf(src, sizeof(src), "%s/images/%s/boot", data_dir, name);
	if (mkdir(boot, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", boot, strerror(errno));
		return -errno;
	}
	int r = boot_default_get(data_dir, cur, sizeof(cur));
	if (r == -ENOTEMPTY && !force) {
		snprintf(err, errlen, "%s holds files pinetboot did not put there (it has no %s naming an image): "
				      "they may be boot files you copied by hand. --force keeps them in "
				      "%s/boot.old-TIME and fills boot/ from image %s", boot, BOOT_STAMP, data_dir, name);
		return -ENOTEMPTY;
	}
	if (r == -ENOTEMPTY && (r = keep_hand_filled(data_dir, boot, err, errlen)) < 0)
		return r;
	if (r < 0 && r != -ENOTEMPTY) {
		snprintf(err, errlen, "%s: %s", boot, strerror(-r));
		return r;
	}
	pathf(nw, sizeof(nw), "%s/.boot-new-%ld", data_dir, (long)getpid());
	pathf(trash, sizeof(trash), "%s/.boot-old-%ld", data_dir, (long)getpid());
	struct copy_opts co = { .reflink = true };
	struct copy_stats st;
	int bfd = -1, nfd = -1, tfd = -1;
	r = copy_tree(src, nw, &co, &st, err, errlen);
	if (r == 0 && mkdir(trash, 0700) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", trash, strerror(errno));
	}
	if (r == 0) {
		bfd = open(boot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		nfd = open(nw, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		tfd = open(trash, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (bfd < 0 || nfd < 0 || tfd < 0) {
			r = -errno;
			snprintf(err, errlen, "opening %s: %s", boot, strerror(errno));
		}
	}
	if (r == 0)
		r = swap_entries(bfd, nfd, tfd, err, errlen);
	char stamp[80];
	int sl = snprintf(stamp, sizeof(stamp), "%s\n", name);
	if (r == 0 && (r = write_file_at(bfd, BOOT_STAMP, stamp, (size_t)sl, 0644)) < 0)
		snprintf(err, errlen, "writing %s/%s: %s", boot, BOOT_STAMP, strerror(-r));
	if (bfd >= 0)
		close(bfd);
	if (nfd >= 0)
		close(nfd);
	if (tfd >= 0)
		close(tfd);
	rm_tree(nw);
	rm_tree(trash);
	return r;
}
