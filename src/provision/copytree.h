/* copytree.h - copy a directory tree the way `rsync -xaHAX --sparse` does:
 * owners, modes, times, hard links, symlinks, device nodes, sparse files,
 * ACLs and xattrs (file capabilities included), without crossing into
 * other mounts. Also the matching recursive remove.
 *
 * Owns: struct copy_opts/copy_stats. Must not touch: provisioning
 * policy. */
#ifndef PINETBOOT_PROVISION_COPYTREE_H
#define PINETBOOT_PROVISION_COPYTREE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Set by the SIGINT/SIGTERM handler of the provisioning commands; every
 * long operation polls it and unwinds with -ECANCELED so the ordinary
 * cleanup path (not the signal handler) removes the half-made state. */
extern volatile sig_atomic_t prov_cancel;

struct copy_opts {
	bool one_fs;          /* -x: do not descend into other mounts (mount points are kept, empty) */
	bool root_excludes;   /* copying a running system's "/": keep proc, sys, dev, run, tmp empty */
	bool reflink;         /* try FICLONE first (copy layout on btrfs/xfs) */
	bool progress;        /* print progress on stderr (a terminal) */
	bool have_skip;       /* skip the directory skip_dev/skip_ino (the data dir) */
	dev_t skip_dev;
	ino_t skip_ino;
	uint64_t est_bytes;   /* for the ETA; 0 = unknown */
};

struct copy_stats {
	uint64_t bytes, files;
	uint64_t xattr_failures;  /* xattrs the destination refused */
};

/* Copy the tree at src into dst, which must not exist. On failure a
 * message naming the path is written to err and the partial dst is left
 * for the caller to remove (it owns the temporary directory). 0 or a
 * negative errno (-ECANCELED when prov_cancel was set, -ENOSPC...). */
int copy_tree(const char *src, const char *dst, const struct copy_opts *o, struct copy_stats *st, char *err,
	      size_t errlen);

/* Remove path and everything below it. Never descends into another
 * mount (returns -EBUSY instead). Missing path: 0. */
int rm_tree(const char *path);

#endif
