/* prov_util.c - path formatting, file read/replace relative to a root
 * directory fd, and fork/exec of helper programs (ssh-keygen, xz) without
 * a shell, so no user-supplied string is ever interpreted.
 *
 * Owns: pathf, read/write_file_at, run_cmd, umount_retry. Must not
 * touch: provisioning policy. */
#include "provision/prov_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
	int fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat s;
	if (fstat(fd, &s) < 0 || !S_ISREG(s.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)s.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	char *b = malloc((size_t)s.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)s.st_size) {
		ssize_t n = read(fd, b + got, (size_t)s.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	b[got] = '\0';
	*ret_buf = b;
	*ret_len = got;
	return 0;
}

int write_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4200];
	const char *slash = strrchr(path, '/');
	if (pathf(tmp, sizeof(tmp), "%.*s.pnb-tmp-%ld-%s", slash ? (int)(slash - path + 1) : 0, path,
		  (long)getpid(), slash ? slash + 1 : path) < 0)
		return -ENAMETOOLONG;
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	const char *p = data;
	size_t left = len;
	int r = 0;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		p += n;
		left -= (size_t)n;
	}
	if (!r && fchmod(fd, mode) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dirfd, tmp, dirfd, path) < 0)
		r = -errno;
	if (r)
		unlinkat(dirfd, tmp, 0);
	return r;
}

int run_cmd(char *const argv[], int quiet)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int umount_retry(const char *path)
{
	for (int i = 0; i < 100; i++) {
		if (umount2(path, 0) == 0)
			return 0;
		if (errno != EBUSY)
			return -errno;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return umount2(path, MNT_DETACH) < 0 ? -errno : 1;
}
