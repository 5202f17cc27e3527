/* tftp_fs.c - where a TFTP file name leads (see tftp_fs.h for the rules).
 * Owns: name cleaning, the per-client lookup with fallback to boot/
 * (protocol reference 3.2: the serial/MAC prefix), beneath-only opens
 * (openat2 RESOLVE_BENEATH, regular files only), ${placeholder} expansion
 * of served text files and its memory budget.
 * Must not touch: sockets, transfers or packets (tftp_server.c,
 * tftp_xfer.c, tftp_proto.c); who a client is comes from the hooks and
 * from the Pi id rules (pi_id_normalise), never from DHCP state. */
#include "tftp/tftp_fs.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pi/pi_id.h"

int tftp_path_clean(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = in;
	if (cap == 0)
		return -EINVAL;
	for (const char *q = in; *q; q++) {
		unsigned char c = (unsigned char)*q;
		/* Control characters and backslashes have no business in a
		 * boot file name; refusing them keeps logs and paths honest. */
		if (c < 0x20 || c == 0x7f || c == '\\')
			return -EINVAL;
	}
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		if (n == 1 && p[0] == '.') {
			p += n;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EACCES;
		if (o + n + 2 > cap)
			return -EINVAL;
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	if (o == 0)
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

/* Reopen an O_PATH fd for reading. /proc/self/fd/N names the very object
 * the O_PATH fd refers to (no new path walk), so what was checked is what
 * is opened, even if the name is replaced meanwhile. */
static int reopen_for_read(int pfd, const struct stat *want)
{
	char p[40];
	struct stat st;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", pfd);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -EIO;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_ino != want->st_ino ||
	    st.st_dev != want->st_dev) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Look rel up beneath dirfd without opening it (O_PATH: no open() of a
 * device, no blocking on a FIFO), check that it is a regular file, and
 * only then open it for reading. Symlinks are followed only while they
 * stay beneath dirfd; the type checked is that of the final target. */
static int open_beneath(int dirfd, const char *rel)
{
	struct open_how how;
	struct stat st;
	memset(&how, 0, sizeof(how));
	how.flags = O_PATH | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	long pfd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
	if (pfd < 0)
		return errno == EXDEV || errno == ELOOP ? -EACCES : -errno;
	int r;
	if (fstat((int)pfd, &st) < 0)
		r = -EIO;
	else if (S_ISDIR(st.st_mode))
		r = -ENOENT; /* "overlays" is not a file */
	else if (!S_ISREG(st.st_mode))
		r = -EPERM;  /* device node, FIFO, socket: never opened */
	else
		r = reopen_for_read((int)pfd, &st);
	close((int)pfd);
	return r;
}

size_t tftp_read_all(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Placeholders are expanded in text files only: a kernel image could hold
 * the bytes "${id}" by chance and must go out untouched. Expanded text is
 * counted against the server's budget (fs->blob_used): a storm of requests
 * for a large .txt full of placeholders cannot hold unbounded memory. */
static int maybe_expand(struct tftp_fs *fs, struct tftp_open *o, const char *name,
			const struct tftp_vars *vars)
{
	if (!ends_with(name, ".txt") || o->size > TFTP_EXPAND_MAX)
		return 0;
	size_t n = (size_t)o->size;
	size_t max = fs->blob_max ? fs->blob_max : TFTP_BLOB_TOTAL_MAX;
	if (fs->blob_used + n > max)
		return -EBUSY;
	uint8_t *raw = malloc(n ? n : 1);
	if (!raw)
		return -ENOMEM;
	size_t got = tftp_read_all(o->fd, raw, n);
	if (!memmem(raw, got, "${", 2)) {
		free(raw);
		return 0;
	}
	uint8_t *out;
	size_t outlen;
	int r = tftp_expand(raw, got, vars, &out, &outlen);
	free(raw);
	if (r < 0)
		return r;
	if (fs->blob_used + outlen > max) {
		free(out);
		return -EBUSY;
	}
	close(o->fd);
	o->fd = -1;
	o->blob = out;
	o->size = outlen;
	o->blob_acct = &fs->blob_used;
	o->blob_cost = outlen;
	fs->blob_used += outlen;
	return 0;
}

static int finish_open(struct tftp_fs *fs, struct tftp_open *o, int fd, const char *name,
		       const struct tftp_vars *vars)
{
	struct stat st;
	o->fd = fd;
	if (fstat(fd, &st) < 0) {
		close(fd);
		o->fd = -1;
		return -EIO;
	}
	o->size = (uint64_t)st.st_size;
	int r = maybe_expand(fs, o, name, vars);
	if (r < 0)
		tftp_open_release(o);
	return r;
}

/* clients/<id>/boot is often its own mount (the overlay that `pinetboot
 * add` sets up) and is writable by that Pi over NFS, so step into it with
 * O_NOFOLLOW (neither <id> nor boot may be a symlink) and resolve the rest
 * beneath it: RESOLVE_NO_XDEV must not stop at the mount point. */
static int open_client_file(int clients_fd, const char *id, const char *rest)
{
	if (clients_fd < 0)
		return -ENOENT;
	/* Missing: fall back to the shared files. A symlink or anything
	 * else in their place: refused, never followed. */
	int idfd = openat(clients_fd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (idfd < 0)
		return errno == ENOENT ? -ENOENT : -EACCES;
	int bootfd = openat(idfd, "boot", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int e = errno;
	close(idfd);
	if (bootfd < 0)
		return e == ENOENT ? -ENOENT : -EACCES;
	int fd = open_beneath(bootfd, rest);
	close(bootfd);
	return fd;
}

static int open_shared(struct tftp_fs *fs, const char *rest, const struct tftp_vars *vars,
		       struct tftp_open *ret)
{
	int fd = open_beneath(fs->boot_fd, rest);
	if (fd < 0)
		return fd == -ENOTDIR ? -ENOENT : fd;
	return finish_open(fs, ret, fd, rest, vars);
}

/* The chain of a known Pi: clients/<id>/boot/<rest>, then boot/<rest>.
 * Anything but "not there" in the Pi's own dir (a device node, an escaping
 * symlink) is an answer, not a reason to fall back. */
static int open_chain(struct tftp_fs *fs, const char *id, const char *rest,
		      const struct tftp_vars *vars, struct tftp_open *ret)
{
	snprintf(ret->id, sizeof(ret->id), "%s", id);
	int fd = open_client_file(fs->clients_fd, id, rest);
	if (fd >= 0) {
		ret->per_client = true;
		return finish_open(fs, ret, fd, rest, vars);
	}
	if (fd != -ENOENT && fd != -ENOTDIR)
		return fd;
	return open_shared(fs, rest, vars, ret);
}

/* "<first>/<rest>": 1 with first copied out (at most 63 characters), and
 * whether it is a well-formed id (normalised into id), else 0. */
static int split_prefix(const char *clean, char first[64], char id[18], bool *is_id, const char **rest)
{
	const char *slash = strchr(clean, '/');
	if (!slash || slash == clean || (size_t)(slash - clean) >= 64)
		return 0;
	memcpy(first, clean, (size_t)(slash - clean));
	first[slash - clean] = '\0';
	*is_id = pi_id_normalise(first, id) == 0;
	*rest = slash + 1;
	return 1;
}

int tftp_fs_open(struct tftp_fs *fs, const char *clean, uint32_t addr,
		 struct tftp_vars *vars, struct tftp_open *ret)
{
	const struct tftp_hooks *h = &fs->hooks;
	char id[18], first[64];
	bool is_id = false;
	const char *rest;
	memset(ret, 0, sizeof(*ret));
	ret->fd = -1;
	if (split_prefix(clean, first, id, &is_id, &rest)) {
		/* The daemon resolves the prefix: an id, a serial or MAC of a Pi
		 * registered by its other name, or a client's tftp-prefix
		 * (EEPROM TFTP_PREFIX=1); it fills vars->id with the Pi's
		 * directory. */
		enum tftp_auth a = h->authorize ? h->authorize(h->ctx, is_id ? id : first, addr, vars) : TFTP_AUTH_UNKNOWN;
		if (a == TFTP_AUTH_DENIED)
			return -EACCES;
		if (a == TFTP_AUTH_OK) {
			char dir[18];
			if (pi_id_normalise(vars->id[0] ? vars->id : id, dir) != 0)
				return -EACCES;
			return open_chain(fs, dir, rest, vars, ret);
		}
		/* An unregistered id prefix answers "not found": the Pi then
		 * clears its prefix and asks for the shared files, which is
		 * what the firmware expects (protocol reference 3.2). Any other
		 * first component is a shared subdirectory (overlays/). */
		if (is_id)
			return -ENOENT;
	}
	if (h->vars_for_addr)
		h->vars_for_addr(h->ctx, addr, vars);
	/* No prefix, but the address is a registered Pi's (it got its boot
	 * answer, or is its fixed address): that Pi's chain, so a Pi 3B ROM
	 * or a Pi that cleared its prefix still gets its own files. */
	if (vars->id[0] && pi_id_normalise(vars->id, id) == 0)
		return open_chain(fs, id, clean, vars, ret);
	return open_shared(fs, clean, vars, ret);
}

void tftp_open_release(struct tftp_open *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->blob_acct)
		*o->blob_acct -= o->blob_cost;
	free(o->blob);
	o->blob_acct = NULL;
	o->fd = -1;
	o->blob = NULL;
}

static const char *var_value(const struct tftp_vars *v, const uint8_t *name, size_t n)
{
	static const struct {
		const char *key;
		size_t off;
	} tab[] = {
		{ "server", offsetof(struct tftp_vars, server) },
		{ "id", offsetof(struct tftp_vars, id) },
		{ "serial", offsetof(struct tftp_vars, serial) },
		{ "mac", offsetof(struct tftp_vars, mac) },
		{ "name", offsetof(struct tftp_vars, name) },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strlen(tab[i].key) == n && memcmp(tab[i].key, name, n) == 0)
			return (const char *)v + tab[i].off;
	return NULL;
}

int tftp_expand(const uint8_t *in, size_t n, const struct tftp_vars *v, uint8_t **ret, size_t *ret_len)
{
	/* Each placeholder is at least 5 bytes ("${id}") and each value at
	 * most 63, so 13x the input bounds the output. Compute exactly instead. */
	size_t need = 0;
	for (int pass = 0; pass < 2; pass++) {
		uint8_t *out = NULL;
		if (pass == 1) {
			out = malloc(need ? need : 1);
			if (!out)
				return -ENOMEM;
		}
		size_t o = 0;
		for (size_t i = 0; i < n;) {
			if (in[i] == '$' && i + 1 < n && in[i + 1] == '{') {
				const uint8_t *end = memchr(in + i + 2, '}', n - i - 2 < 16 ? n - i - 2 : 16);
				const char *val = end ? var_value(v, in + i + 2, (size_t)(end - in - i - 2)) : NULL;
				if (val) {
					size_t vl = strlen(val);
					if (out)
						memcpy(out + o, val, vl);
					o += vl;
					i = (size_t)(end - in) + 1;
					continue;
				}
			}
			if (out)
				out[o] = in[i];
			o++;
			i++;
		}
		if (pass == 0) {
			need = o;
		} else {
			*ret = out;
			*ret_len = o;
		}
	}
	return 0;
}

bool tftp_expected_missing(const char *clean)
{
	static const char *const names[] = {
		"bootsig.bin", "autoboot.txt", "recovery.elf", "recover4.elf", "recovery.bin",
		"dt-blob.bin", "bootcfg.txt", "pieeprom.sig", "pieeprom.upd", "pieeprom.bin",
		"vl805.sig", "vl805.bin", "overlay_map.dtb", "kernel8-32.img", "start4.elf",
		"start.elf", "config.txt", "start4x.elf", "start4cd.elf", "start4db.elf",
	};
	const char *base = strrchr(clean, '/');
	base = base ? base + 1 : clean;
	if (strncmp(base, "armstub", 7) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(base, names[i]) == 0)
			return true;
	return false;
}
