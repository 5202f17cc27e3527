/* image.c - `image import/rm`: DATA/images/<name>/{root,boot} from a running
 * root, a directory, or a Raspberry Pi OS .img(.xz). Disk images are
 * read through our own MBR parse: the ext4 root is loop-mounted read-only
 * (LOOP_CONFIGURE with offset/sizelimit) and copied with copytree.c, the FAT
 * boot partition is read with mtools; the README says why.
 *
 * Owns: DATA/images/<name> (import, remove, exists) and the overlay
 * mounts of clients. Must not touch: client.conf (read only, through
 * pi/pi_registry.h), sockets. */
#include "provision/provision.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <signal.h>
#include <limits.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pi/pi_registry.h"
#include "provision/copytree.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"

int image_exists(const char *data_dir, const char *name)
{
	char p[PATH_MAX];
	struct stat s;
	if (!prov_image_name_ok(name))
		return 0;
	pathf(p, sizeof(p), "%s/images/%s/root", data_dir, name);
	return stat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Wait for a helper program; -ECANCELED (err set) when a stop signal came
 * meanwhile, else 0 with its wait status in *ret_status. */
static int wait_child(pid_t pid, int *ret_status, char *err, size_t errlen)
{
	while (waitpid(pid, ret_status, 0) < 0)
		if (errno != EINTR) {
			int e = errno;
			snprintf(err, errlen, "waitpid: %s", strerror(e));
			return -e;
		}
	if (prov_cancel) {
		snprintf(err, errlen, "interrupted");
		return -ECANCELED;
	}
	return 0;
}

/* Absolute cap on a decompressed image, whatever the free space: the
 * largest Raspberry Pi OS image ("full") is under 16 GiB. */
#define XZ_MAX_BYTES (64ULL << 30)

/* How much an .img.xz may decompress to: half the free space of the
 * filesystem of dir (the copy of its contents needs the other half, and
 * the raw image is held until the import ends), at most XZ_MAX_BYTES. */
static uint64_t xz_limit(const char *dir)
{
	struct statvfs v;
	uint64_t lim = XZ_MAX_BYTES;
	if (statvfs(dir, &v) == 0) {
		uint64_t half = (uint64_t)v.f_bavail * v.f_frsize / 2;
		if (half < lim)
			lim = half;
	}
	return lim;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copy the pipe in into fd, holes for zero blocks, at most limit bytes.
 * 0, -EFBIG past the limit, -ECANCELED, -errno. */
static int pipe_to_file(int in, int fd, uint64_t limit, uint64_t *ret_total)
{
	unsigned char buf[1 << 16];
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR && !prov_cancel)
			continue;
		if (n < 0)
			return prov_cancel ? -ECANCELED : -errno;
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > limit)
			return -EFBIG;
		if (all_zero(buf, (size_t)n)) {
			if (lseek(fd, n, SEEK_CUR) < 0)
				return -errno;
			continue;
		}
		for (ssize_t o = 0; o < n;) {
			ssize_t w = write(fd, buf + o, (size_t)(n - o));
			if (w < 0 && errno == EINTR && !prov_cancel)
				continue;
			if (w < 0)
				return prov_cancel ? -ECANCELED : -errno;
			o += w;
		}
	}
	*ret_total = total;
	return ftruncate(fd, (off_t)total) < 0 ? -errno : 0;
}

/* Decompress with xz(1) into out: xz is multi-threaded and already on
 * every Debian system. Its output comes through a pipe so its size is
 * bounded (xz_limit) as it is produced: an .img.xz is input like any
 * other, and a few KiB of it can claim terabytes. */
static int unxz(const char *in, const char *out, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", out);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	uint64_t limit = xz_limit(dir), total = 0;
	int pfd[2];
	int fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s: %s", out, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execlp("xz", "xz", "-dc", "-T0", "--", in, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(fd);
		return -errno;
	}
	int r = pipe_to_file(pfd[0], fd, limit, &total);
	close(pfd[0]); /* xz gets SIGPIPE if we stopped early */
	close(fd);
	if (r < 0)
		kill(pid, SIGTERM);
	int status, w = wait_child(pid, &status, err, errlen);
	if (r == -EFBIG) {
		snprintf(err, errlen, "%s decompresses to more than %llu MiB, the limit (half the free space on the "
				      "data dir's filesystem, which must also hold the copy; at most %llu GiB)", in,
			 (unsigned long long)(limit >> 20), (unsigned long long)(XZ_MAX_BYTES >> 30));
		return r;
	}
	if (r < 0 || w < 0) {
		if (r == -ECANCELED || w == -ECANCELED)
			snprintf(err, errlen, "interrupted");
		else if (r < 0)
			snprintf(err, errlen, "decompressing %s: %s", in, r == -ENOSPC ? "disk full" : strerror(-r));
		return r < 0 ? r : w;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "xz -dc %s failed (%s %d)", in, WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -EIO;
	}
	return 0;
}

/* Attach [off, off+size) of the image read-only to a free loop device with
 * autoclear (the device goes away with the last umount) and mount it. */
static int loop_mount(int imgfd, uint64_t off, uint64_t size, const char *fstype, const char *opts,
		      const char *target, char *err, size_t errlen)
{
	int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		snprintf(err, errlen, "/dev/loop-control: %s (reading a disk image needs root)", strerror(errno));
		return -errno;
	}
	int r = -EBUSY;
	for (int tries = 0; tries < 16 && r == -EBUSY; tries++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0) {
			r = -errno;
			break;
		}
		char dev[64];
		snprintf(dev, sizeof(dev), "/dev/loop%d", n);
		int lfd = open(dev, O_RDWR | O_CLOEXEC);
		if (lfd < 0) {
			r = -errno;
			break;
		}
		struct loop_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.fd = (uint32_t)imgfd;
		cfg.info.lo_offset = off;
		cfg.info.lo_sizelimit = size;
		cfg.info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0) {
			r = -errno; /* EBUSY: another process took it; retry */
			close(lfd);
			continue;
		}
		r = mount(dev, target, fstype, MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC, opts) < 0 ? -errno : 0;
		if (r < 0) {
			snprintf(err, errlen, "mounting %s partition (%s): %s", fstype, dev, strerror(-r));
			ioctl(lfd, LOOP_CLR_FD, 0);
		}
		close(lfd);
		close(ctl);
		return r;
	}
	close(ctl);
	snprintf(err, errlen, "no free loop device: %s", strerror(-r));
	return r;
}

static uint64_t scan_total;

static int scan_one(const char *path, const struct stat *s, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (flag == FTW_F && S_ISREG(s->st_mode))
		scan_total += (uint64_t)s->st_blocks * 512;
	return prov_cancel ? 1 : 0;
}

/* Whether path is "/" or the root of another mounted filesystem. */
static bool is_mount_root(const char *path)
{
	struct stat a, b;
	char parent[PATH_MAX];
	return strcmp(path, "/") == 0 || (pathf(parent, sizeof(parent), "%s/..", path) == 0 && stat(path, &a) == 0 &&
					  stat(parent, &b) == 0 && a.st_dev != b.st_dev);
}

/* What the ETA is measured against: a whole mounted filesystem's used
 * space when src is its root (a loop-mounted image), else a metadata-only
 * walk of the tree (done only when progress is shown, on a terminal). */
static uint64_t used_bytes(const char *path)
{
	struct statvfs v;
	if (is_mount_root(path) && statvfs(path, &v) == 0)
		return (uint64_t)(v.f_blocks - v.f_bfree) * v.f_frsize;
	scan_total = 0;
	if (nftw(path, scan_one, 64, FTW_PHYS | FTW_MOUNT) < 0)
		return 0;
	return scan_total;
}

static int copy_with(const char *src, const char *dst, bool root_ex, const char *data_dir, bool progress,
		     char *err, size_t errlen)
{
	struct copy_opts o = { .one_fs = true, .root_excludes = root_ex, .progress = progress };
	struct copy_stats st;
	struct stat ds;
	if (stat(data_dir, &ds) == 0) {
		o.have_skip = true;
		o.skip_dev = ds.st_dev;
		o.skip_ino = ds.st_ino;
	}
	if (progress) {
		o.est_bytes = used_bytes(src);
		fprintf(stderr, "copying %s\n", src);
	}
	int r = copy_tree(src, dst, &o, &st, err, errlen);
	if (r == 0 && st.xattr_failures)
		fprintf(stderr, "warning: %llu extended attributes (ACLs, capabilities) could not be set on %s\n",
			(unsigned long long)st.xattr_failures, dst);
	return r;
}

static bool has_boot_files(const char *p)
{
	char probe[PATH_MAX];
	static const char *const files[] = { "config.txt", "cmdline.txt", "start.elf", "start4.elf", "bootcode.bin" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		pathf(probe, sizeof(probe), "%s/%s", p, files[i]);
		if (access(probe, F_OK) == 0)
			return true;
	}
	return false;
}

/* A symlink where the boot files are looked for (SRC/boot or
 * SRC/boot/firmware) is refused: following it would copy whatever it
 * points to on this server (a /root/secrets) into an image that TFTP then
 * serves to anyone; copied as a link, the image would have no boot files.
 * -ELOOP with err set, else 0. */
static int refuse_boot_symlink(const char *real, bool is_root, char *err, size_t errlen)
{
	static const char *const rel[] = { "boot", "boot/firmware" };
	char p[PATH_MAX], target[PATH_MAX];
	for (size_t i = 0; i < 2; i++) {
		struct stat s;
		pathf(p, sizeof(p), "%s/%s", is_root ? "" : real, rel[i]);
		if (lstat(p, &s) < 0 || !S_ISLNK(s.st_mode))
			continue;
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		for (char *c = target; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = '?';
		snprintf(err, errlen, "%s is a symbolic link (to %.200s): the boot files are copied only from a real "
				      "directory inside the source tree, never from where a link points; replace the "
				      "link with the directory", p, target);
		return -ELOOP;
	}
	return 0;
}

/* Import from a directory (a running "/", a mounted root or a debootstrap
 * tree). The boot files are its /boot/firmware, else /boot when that holds
 * Raspberry Pi firmware files, else none. */
static int import_dir(const char *data_dir, const char *tmp, const char *from, bool progress, char *err,
		      size_t errlen)
{
	char real[PATH_MAX], dst[PATH_MAX], boot[PATH_MAX];
	if (!realpath(from, real)) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return -errno;
	}
	bool is_root = strcmp(real, "/") == 0;
	int r = refuse_boot_symlink(real, is_root, err, errlen);
	if (r < 0)
		return r;
	/* "/" or another mounted root (an SD card's root partition, a
	 * mounted system): its proc, sys, dev, run and tmp stay empty. A plain
	 * directory (a debootstrap tree) is copied whole. */
	pathf(dst, sizeof(dst), "%s/root", tmp);
	r = copy_with(real, dst, is_mount_root(real), data_dir, progress, err, errlen);
	if (r < 0)
		return r;
	pathf(dst, sizeof(dst), "%s/boot", tmp);
	pathf(boot, sizeof(boot), "%s/boot/firmware", is_root ? "" : real);
	if (!has_boot_files(boot))
		pathf(boot, sizeof(boot), "%s/boot", is_root ? "" : real);
	/* Checked again: the tree may have changed during the copy. */
	if (has_boot_files(boot) && (r = refuse_boot_symlink(real, is_root, err, errlen)) == 0)
		return copy_with(boot, dst, false, data_dir, progress, err, errlen);
	if (r < 0)
		return r;
	return mkdir(dst, 0755) < 0 ? -errno : 0;
}

/* Does dir hold what a Pi's firmware boots: start*.elf, bootcode.bin or a
 * kernel*? */
static bool boot_files_present(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool yes = false;
	while (d && !yes && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		yes = (strncmp(de->d_name, "start", 5) == 0 && n > 4 && strcmp(de->d_name + n - 4, ".elf") == 0) ||
		      strcmp(de->d_name, "bootcode.bin") == 0 || strncmp(de->d_name, "kernel", 6) == 0;
	}
	if (d)
		closedir(d);
	return yes;
}

/* Copy the FAT boot partition with mtools, straight from the image file
 * at its offset: FAT has no owners, links or xattrs to preserve, and the
 * vfat module is missing from many minimal kernels where ext4 is built in.
 * umask 022 gives the 0644/0755 modes Raspberry Pi OS shows. */
static int copy_fat(const char *img, uint64_t off, const char *dst, char *err, size_t errlen)
{
	char spec[PATH_MAX + 32];
	int r = pathf(spec, sizeof(spec), "%s@@%llu", img, (unsigned long long)off);
	if (r == 0 && mkdir(dst, 0755) < 0)
		r = -errno;
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", dst, strerror(-r));
		return r;
	}
	pid_t pid = fork();
	if (pid == 0) {
		umask(022);
		setenv("MTOOLS_SKIP_CHECK", "1", 1);
		setenv("MTOOLSRC", "/dev/null", 1);
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execlp("mcopy", "mcopy", "-s", "-p", "-m", "-n", "-Q", "-i", spec, "::/*", dst, (char *)NULL);
		_exit(127);
	}
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -errno;
	}
	int status;
	r = wait_child(pid, &status, err, errlen);
	if (r < 0)
		return r;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s", WIFEXITED(status) && WEXITSTATUS(status) == 127
						    ? "mcopy not found: install mtools to read the FAT boot partition"
						    : "mcopy could not read the FAT boot partition (or the disk is full)");
		return -EIO;
	}
	return 0;
}

static int import_img(const char *data_dir, const char *tmp, const char *from, bool progress, char *err,
		      size_t errlen)
{
	char raw[PATH_MAX], mroot[PATH_MAX], dst[PATH_MAX];
	const char *img = from;
	int r, fd = -1;
	bool root_mounted = false;
	pathf(raw, sizeof(raw), "%s/image.raw", tmp);
	pathf(mroot, sizeof(mroot), "%s/mnt-root", tmp);
	/* The loop mount of a disk image lives and dies with this process. */
	if ((r = provision_private_mounts()) < 0) {
		snprintf(err, errlen, "private mount namespace: %s", strerror(-r));
		goto out;
	}
	if (ends_with(from, ".xz")) {
		if (progress)
			fprintf(stderr, "decompressing %s\n", from);
		if ((r = unxz(from, raw, err, errlen)) < 0)
			goto out;
		img = raw;
	}
	fd = open(img, O_RDONLY | O_CLOEXEC);
	struct stat s;
	uint8_t mbr[512];
	if (fd < 0 || fstat(fd, &s) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", img, strerror(errno));
		goto out;
	}
	if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr)) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: too short to be a disk image", from);
		goto out;
	}
	struct mbr_part p[4];
	int n = mbr_parse(mbr, sizeof(mbr), p), bi, ri;
	if (n < 0) {
		r = n;
		snprintf(err, errlen, "%s: %s", from,
			 n == -ENOTSUP ? "GPT disk images are not supported (Raspberry Pi OS uses MBR)"
				       : "no MBR partition table");
		goto out;
	}
	if ((r = mbr_pick(p, n, (uint64_t)s.st_size, &bi, &ri)) < 0) {
		snprintf(err, errlen, "%s: %s", from,
			 r == -ERANGE ? "a partition runs past the end of the image (truncated download?)"
				      : "no FAT boot partition followed by a Linux root partition");
		goto out;
	}
	if (mkdir(mroot, 0700) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* noload: never replay the journal of an image we only read. */
	if ((r = loop_mount(fd, p[ri].start, p[ri].size, "ext4", "noload", mroot, err, errlen)) < 0)
		goto out;
	root_mounted = true;
	pathf(dst, sizeof(dst), "%s/boot", tmp);
	if (progress)
		fprintf(stderr, "copying the boot partition\n");
	if ((r = copy_fat(img, p[bi].start, dst, err, errlen)) < 0)
		goto out;
	close(fd);
	fd = -1;
	if (img == raw)
		unlink(raw); /* the mount keeps it open; free the name early */
	pathf(dst, sizeof(dst), "%s/root", tmp);
	r = copy_with(mroot, dst, false, data_dir, progress, err, errlen);
out:
	if (fd >= 0)
		close(fd);
	if (root_mounted)
		umount_retry(mroot);
	rmdir(mroot);
	unlink(raw);
	return r;
}

/* What a new image means for the Pis: warnings about its boot files, and
 * the shared DATA/boot filled from the first image. */
static void after_import(const char *data_dir, const char *name, bool from_dir)
{
	char p[PATH_MAX], cur[64], err[512];
	pathf(p, sizeof(p), "%s/images/%s/boot", data_dir, name);
	if (!boot_files_present(p))
		fprintf(stderr, "warning: image %s has no boot files (no start*.elf, bootcode.bin or kernel* in its "
				"/boot/firmware or /boot): put the Pi firmware and kernel into %s\n", name, p);
	if (from_dir)
		fprintf(stderr, "note: an image imported from a directory must bring a kernel that can mount its root "
				"over NFS and an initramfs that does (Raspberry Pi OS has both: nfsroot= in "
				"cmdline.txt is all it needs)\n");
	int r = boot_default_get(data_dir, cur, sizeof(cur));
	if (r != 0) {
		if (r == -ENOTEMPTY)
			fprintf(stderr, "note: %s/boot holds your own files: kept (pinetboot image default %s --force "
					"replaces them)\n", data_dir, name);
		return;
	}
	if (boot_default_set(data_dir, name, false, err, sizeof(err)) < 0)
		fprintf(stderr, "warning: filling %s/boot from image %s: %s\n", data_dir, name, err);
	else
		printf("%s/boot (the shared boot files for Pis without their own) now comes from image %s\n",
		       data_dir, name);
}

int image_import(const char *data_dir, const char *name, const char *from, bool progress, char *err,
		 size_t errlen)
{
	char dir[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX];
	struct stat s, src;
	if (!prov_image_name_ok(name)) {
		snprintf(err, errlen, "bad image name '%.64s': use 1-63 letters, digits, '.', '_' or '-'", name);
		return -EINVAL;
	}
	if (stat(from, &src) < 0) {
		snprintf(err, errlen, "%s: %s", from, strerror(errno));
		return -errno;
	}
	pathf(dir, sizeof(dir), "%s/images", data_dir);
	if (mkdir(data_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", data_dir, strerror(errno));
		return -errno;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	provision_secure_tree(data_dir);
	pathf(final, sizeof(final), "%s/%s", dir, name);
	if (lstat(final, &s) == 0) {
		snprintf(err, errlen, "image '%s' already exists (pinetboot image rm %s first)", name, name);
		return -EEXIST;
	}
	pathf(tmp, sizeof(tmp), "%s/.tmp-%s-%ld", dir, name, (long)getpid());
	if (mkdir(tmp, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	int r;
	if (S_ISDIR(src.st_mode))
		r = import_dir(data_dir, tmp, from, progress, err, errlen);
	else if (S_ISREG(src.st_mode) || S_ISBLK(src.st_mode))
		r = import_img(data_dir, tmp, from, progress, err, errlen);
	else {
		snprintf(err, errlen, "%s: neither a directory nor a disk image", from);
		r = -EINVAL;
	}
	if (r == 0) {
		char meta[PATH_MAX];
		pathf(meta, sizeof(meta), "%s/image.conf", tmp);
		FILE *f = fopen(meta, "we");
		if (f) {
			/* One line per key: a newline in the source path
			 * must not add keys that `image list` would read. */
			fputs("# written by pinetboot image import\nsource = ", f);
			for (const char *c = from; *c; c++)
				fputc(*c == '\n' || *c == '\r' ? '?' : *c, f);
			fprintf(f, "\nimported = %lld\n", (long long)time(NULL));
			fclose(f);
		}
		if (rename(tmp, final) < 0) {
			r = -errno;
			snprintf(err, errlen, "renaming into %s: %s", final, strerror(errno));
		}
	}
	if (r < 0) {
		rm_tree(tmp);
		return r;
	}
	after_import(data_dir, name, S_ISDIR(src.st_mode));
	return 0;
}

int image_remove(const char *data_dir, const char *name, char *err, size_t errlen)
{
	char final[PATH_MAX], tmp[PATH_MAX];
	if (!image_exists(data_dir, name)) {
		snprintf(err, errlen, "no image '%.64s' (pinetboot image list)", name);
		return -ENOENT;
	}
	struct clients reg;
	if (clients_load(&reg, data_dir) < 0) {
		snprintf(err, errlen, "cannot read the client registry");
		return -EIO;
	}
	for (size_t i = 0; i < reg.n; i++)
		if (strcmp(reg.v[i].image, name) == 0) {
			snprintf(err, errlen, "image '%s' is used by client %s (pinetboot remove %s first)", name,
				 reg.v[i].id, reg.v[i].id);
			clients_free(&reg);
			return -EBUSY;
		}
	clients_free(&reg);
	pathf(final, sizeof(final), "%s/images/%s", data_dir, name);
	pathf(tmp, sizeof(tmp), "%s/images/.rm-%s-%ld", data_dir, name, (long)getpid());
	/* Rename first: the image disappears at once, even if the removal of
	 * its files is interrupted. */
	if (rename(final, tmp) < 0) {
		snprintf(err, errlen, "%s: %s", final, strerror(errno));
		return -errno;
	}
	int r = rm_tree(tmp);
	if (r < 0)
		snprintf(err, errlen, "removing %s: %s", tmp, strerror(-r));
	return r;
}
