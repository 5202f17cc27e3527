/* prov_util.h - small helpers shared by the provisioning files: bounded
 * path formatting and whole-file reads/writes relative to a directory fd.
 * The CLI refuses data dirs longer than PROV_DATA_MAX, so paths built
 * from them fit PATH_MAX; pathf still reports truncation.
 *
 * Owns: the small I/O helpers' API. Must not touch: policy. */
#ifndef PINETBOOT_PROVISION_PROV_UTIL_H
#define PINETBOOT_PROVISION_PROV_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#define PROV_DATA_MAX 2048

/* snprintf for paths: 0, or -ENAMETOOLONG (buf then holds a truncated,
 * still terminated string). */
int pathf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Read at most max bytes of dirfd/path (no symlink following for the last
 * component) into a new NUL-terminated buffer. -ENOENT, -EFBIG... */
int read_file_at(int dirfd, const char *path, size_t max, char **ret_buf, size_t *ret_len);
/* Replace dirfd/path atomically (temp file + rename), with the given
 * mode, owned by root. A symlink at path is replaced, never followed. */
int write_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode);
/* Unmount path; a busy mount is retried for up to ~2 s (a child that just
 * exited may still hold files there: its last fput can be deferred), then
 * detached lazily. 0, 1 when it had to be detached lazily (something still
 * held files there), or -errno of the first failure. */
int umount_retry(const char *path);
/* Run argv (execvp, no shell); returns the exit status, or -errno. */
int run_cmd(char *const argv[], int quiet);

#endif
