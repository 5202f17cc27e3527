/* fixups.c - what makes a copy of an image into one particular Pi: host
 * name, /etc/hosts, machine-id, SSH host keys, fstab, the boot-files
 * generator, masked first-boot units, network managers kept off the NFS
 * interface, cmdline.txt. Everything is written inside the client's root
 * as opened with RESOLVE_IN_ROOT, so an image's absolute symlinks cannot
 * lead out of it.
 *
 * Owns: the edits made to a Pi's root and boot files (hostname, fstab,
 * cmdline.txt, dhcpcd). Must not touch: images in DATA/images (only a
 * client's copy or overlay). */
#include "provision/fixups.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "provision/copytree.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"

/* Open dir (relative to the client's root) as if root were "/": absolute
 * symlinks in an image (etc/resolv.conf -> /run/...) must not lead out of
 * it. Missing components are created 0755 when create is set. */
static int open_in_root(int rootfd, const char *dir, bool create)
{
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	int fd = (int)syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
	if (fd >= 0 || errno != ENOENT || !create)
		return fd < 0 ? -errno : fd;
	char part[PATH_MAX];
	const char *p = dir;
	int cur = dup(rootfd);
	while (*p && cur >= 0) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n >= NAME_MAX) {
			close(cur);
			return -ENAMETOOLONG;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		if (mkdirat(cur, part, 0755) < 0 && errno != EEXIST) {
			close(cur);
			return -errno;
		}
		int next = (int)syscall(SYS_openat2, cur, part, &how, sizeof(how));
		close(cur);
		cur = next;
		p += n;
		while (*p == '/')
			p++;
	}
	return cur < 0 ? -errno : cur;
}

static int put_file(int rootfd, const char *dir, const char *name, const char *text, mode_t mode)
{
	int d = open_in_root(rootfd, dir, true);
	if (d < 0)
		return d;
	int r = write_file_at(d, name, text, strlen(text), mode);
	close(d);
	return r;
}

static bool exists_in_root(int rootfd, const char *path, bool want_dir)
{
	struct stat s;
	if (fstatat(rootfd, path, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return want_dir ? S_ISDIR(s.st_mode) : true;
}

/* Mask a systemd unit (a symlink to /dev/null in /etc/systemd/system),
 * which works whether or not the image's package enabled it. */
static int mask_unit(int rootfd, const char *unit)
{
	int d = open_in_root(rootfd, "etc/systemd/system", true);
	if (d < 0)
		return d;
	unlinkat(d, unit, 0);
	int r = symlinkat("/dev/null", d, unit) < 0 ? -errno : 0;
	close(d);
	return r;
}

/* The server's name of old (before the boot generator) was mapped here;
 * such a line is dropped so nothing names an address the server may no
 * longer have. */
#define OLD_SERVER_HOST "pinetboot-server"

static int fix_hosts(int rootfd, const char *host)
{
	char *old = NULL, *out;
	size_t len = 0, cap;
	int d = open_in_root(rootfd, "etc", true);
	if (d < 0)
		return d;
	if (read_file_at(d, "hosts", 1 << 20, &old, &len) < 0) {
		old = strdup("127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n");
		len = old ? strlen(old) : 0;
	}
	cap = len + 512;
	out = malloc(cap);
	if (!old || !out) {
		free(old);
		free(out);
		close(d);
		return -ENOMEM;
	}
	size_t o = 0;
	/* Keep every line but the old 127.0.1.1 host name and a
	 * pinetboot-server line an older pinetboot wrote. */
	for (char *line = old, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (nl)
			nl++;
		if (strncmp(line, "127.0.1.1", 9) == 0 || memmem(line, n, OLD_SERVER_HOST, strlen(OLD_SERVER_HOST)))
			continue;
		memcpy(out + o, line, n);
		o += n;
		if (out[o - 1] != '\n')
			out[o++] = '\n';
	}
	int k = snprintf(out + o, cap - o, "127.0.1.1\t%s\n", host);
	o += (size_t)k;
	int r = write_file_at(d, "hosts", out, o, 0644);
	free(old);
	free(out);
	close(d);
	return r;
}

/* Where the image expects its boot partition. */
static const char *boot_mount_point(int rootfd)
{
	return exists_in_root(rootfd, "boot/firmware", true) ? "/boot/firmware" : "/boot";
}

static int fix_fstab(int rootfd)
{
	char *old = NULL, out[PROV_FSTAB_MAX + 1024];
	size_t len = 0;
	int d = open_in_root(rootfd, "etc", true);
	if (d < 0)
		return d;
	int r = read_file_at(d, "fstab", PROV_FSTAB_MAX, &old, &len);
	if (r == -ENOENT) {
		old = strdup("proc            /proc           proc    defaults          0       0\n");
		len = old ? strlen(old) : 0;
		r = old ? 0 : -ENOMEM;
	}
	if (r == 0) {
		r = prov_fstab_rewrite(old, len, boot_mount_point(rootfd), out, sizeof(out));
	}
	if (r == 0)
		r = write_file_at(d, "fstab", out, strlen(out), 0644);
	free(old);
	close(d);
	return r;
}

static int fix_ssh_keys(int rootfd, const char *host, char *note, size_t notelen)
{
	int d = open_in_root(rootfd, "etc/ssh", false);
	if (d == -ENOENT || d == -ENOTDIR) {
		snprintf(note, notelen, "no /etc/ssh in the image: no SSH host keys generated");
		return 0;
	}
	if (d < 0)
		return d;
	static const char *const types[] = { "ed25519", "ecdsa", "rsa" };
	char names[3][64];
	for (int i = 0; i < 3; i++) {
		snprintf(names[i], sizeof(names[i]), "ssh_host_%s_key", types[i]);
		char pub[200];
		snprintf(pub, sizeof(pub), "%s.pub", names[i]);
		unlinkat(d, names[i], 0);
		unlinkat(d, pub, 0);
	}
	char comment[128];
	snprintf(comment, sizeof(comment), "root@%s", host);
	/* One ssh-keygen per key type, in parallel: RSA dominates the time
	 * of `add`. Each runs in etc/ssh as opened inside root (d) with a
	 * bare file name: a path "ROOT/etc/ssh/..." would follow an image's
	 * etc -> /somewhere symlink out of it. */
	pid_t pids[3];
	for (int i = 0; i < 3; i++) {
		char *argv[] = { "ssh-keygen", "-q", "-N", "", "-t", (char *)(uintptr_t)types[i], "-f", names[i],
				 "-C", comment, NULL };
		pids[i] = fork();
		if (pids[i] == 0) {
			if (fchdir(d) < 0)
				_exit(126);
			int fd = open("/dev/null", O_RDWR);
			if (fd >= 0) {
				dup2(fd, 0);
				dup2(fd, 1);
			}
			execvp(argv[0], argv);
			_exit(127);
		}
	}
	close(d);
	int r = 0;
	for (int i = 0; i < 3; i++) {
		int st = 0;
		if (pids[i] < 0) {
			r = -EAGAIN;
			continue;
		}
		while (waitpid(pids[i], &st, 0) < 0) {
			if (errno != EINTR) {
				st = -1; /* not an exit status: reported as a failure below */
				break;
			}
		}
		if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 127) {
			snprintf(note, notelen, "ssh-keygen not found (install openssh-client): no SSH host keys generated");
		} else if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			r = prov_cancel ? -ECANCELED : -EIO;
		}
	}
	return r;
}

static int fix_boot(const char *bootdir, const char *id)
{
	int d = open(bootdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -errno;
	char *old = NULL, out[PROV_CMDLINE_MAX + 512];
	size_t len = 0;
	int r = read_file_at(d, "cmdline.txt", PROV_CMDLINE_MAX, &old, &len);
	if (r == -ENOENT) {
		old = strdup("console=serial0,115200 console=tty1");
		len = old ? strlen(old) : 0;
		r = old ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = prov_cmdline_rewrite(old, len, id, out, sizeof(out));
	if (r == 0)
		r = write_file_at(d, "cmdline.txt", out, strlen(out), 0644);
	free(old);
	close(d);
	return r;
}

static int fix_machine_id(int rootfd, bool keep)
{
	char buf[64];
	struct stat s;
	/* add --force over a kept layer: the Pi's identity stays. */
	if (keep && fstatat(rootfd, "etc/machine-id", &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(s.st_mode) &&
	    s.st_size == 33)
		return 0;
	unsigned char rnd[16];
	randombytes_buf(rnd, sizeof(rnd));
	/* systemd: 128 random bits as 32 lowercase hex digits; mark it
	 * version 4 as systemd-id128 does. */
	rnd[6] = (rnd[6] & 0x0f) | 0x40;
	rnd[8] = (rnd[8] & 0x3f) | 0x80;
	for (int i = 0; i < 16; i++)
		snprintf(buf + 2 * i, 3, "%02x", rnd[i]);
	buf[32] = '\n';
	buf[33] = '\0';
	int r = put_file(rootfd, "etc", "machine-id", buf, 0444);
	if (r < 0)
		return r;
	int dd = open_in_root(rootfd, "var/lib/dbus", false);
	if (dd >= 0) {
		if (fstatat(dd, "machine-id", &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(s.st_mode))
			unlinkat(dd, "machine-id", 0); /* dbus falls back to /etc/machine-id */
		close(dd);
	}
	return 0;
}

static bool has_systemd(int rootfd)
{
	return exists_in_root(rootfd, "etc/systemd", true) || exists_in_root(rootfd, "lib/systemd", true) ||
	       exists_in_root(rootfd, "usr/lib/systemd", true);
}

/* The boot files: a systemd generator mounts /boot/<id> from whichever
 * server the root came from (nfsroot= on /proc/cmdline), so no address is
 * written into the Pi's files. */
static int fix_boot_mount(int rootfd, const char *id)
{
	char script[4096];
	if (!has_systemd(rootfd)) {
		fprintf(stderr, "note: no systemd in the image: mount SERVER:/boot/%s at %s yourself if the Pi "
				"should update its boot files\n", id, boot_mount_point(rootfd));
		return 0;
	}
	int r = prov_boot_generator(id, boot_mount_point(rootfd), script, sizeof(script));
	if (r == 0)
		r = put_file(rootfd, "etc/systemd/system-generators", "pinetboot-boot-firmware", script, 0755);
	return r;
}

/* First boot on an SD card grows the root partition; on NFS there is no
 * partition, and a swap file on NFS can deadlock under memory pressure. */
static int fix_units(int rootfd)
{
	static const char *const units[] = { "resize2fs_once.service", "rpi-resizerootfs.service",
					     "systemd-growfs-root.service", "dphys-swapfile.service",
					     "rpi-resize-swap-file.service", "systemd-zram-setup@zram0.service" };
	int r = 0;
	if (has_systemd(rootfd))
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && r == 0; i++)
			r = mask_unit(rootfd, units[i]);
	/* Trixie's rpi-swap reads /etc/rpi/swap.conf.d/. */
	if (r == 0 && exists_in_root(rootfd, "etc/rpi", true))
		r = put_file(rootfd, "etc/rpi/swap.conf.d", "90-pinetboot.conf",
			     "# pinetboot: the root is on NFS; no swap file there.\n[Main]\nMechanism=none\n", 0644);
	return r;
}

/* dhcpcd (Bullseye and older) would renew, and on a lease change drop,
 * the address the root filesystem is mounted over; NetworkManager
 * (Bookworm and later) would take eth0 down to "activate" it. The kernel
 * (ip=dhcp) already configured eth0. */
static int fix_netmgr(int rootfd)
{
	int r = 0;
	if (exists_in_root(rootfd, "etc/dhcpcd.conf", false)) {
		int d = open_in_root(rootfd, "etc", false);
		char *old = NULL;
		size_t len = 0;
		if (d >= 0 && read_file_at(d, "dhcpcd.conf", 1 << 20, &old, &len) == 0 &&
		    !strstr(old, "# pinetboot")) {
			static const char add[] = "\n# pinetboot: eth0 carries the NFS root; the kernel configured it.\n"
						  "denyinterfaces eth0\n";
			char *n = malloc(len + sizeof(add));
			if (n) {
				memcpy(n, old, len);
				memcpy(n + len, add, sizeof(add));
				r = write_file_at(d, "dhcpcd.conf", n, len + sizeof(add) - 1, 0644);
				free(n);
			}
		}
		free(old);
		if (d >= 0)
			close(d);
	}
	if (r == 0 && exists_in_root(rootfd, "etc/NetworkManager", true))
		r = put_file(rootfd, "etc/NetworkManager/conf.d", "90-pinetboot-nfsroot.conf",
			     "# pinetboot: eth0 carries the NFS root; the kernel (ip=dhcp) configured it.\n"
			     "[keyfile]\nunmanaged-devices=interface-name:eth0\n",
			     0644);
	return r;
}

/* SSH host keys: new ones, unless the Pi's kept layer already has them. */
static int fix_ssh(int rootfd, const struct fixup_opts *f)
{
	char note[200] = "";
	struct stat s;
	if (f->keep_identity && fstatat(rootfd, "etc/ssh/ssh_host_ed25519_key", &s, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	int r = fix_ssh_keys(rootfd, f->host, note, sizeof(note));
	if (r == 0 && note[0])
		fprintf(stderr, "note: %s\n", note);
	return r;
}

int apply_fixups(const char *root, const char *boot, const struct fixup_opts *f, char *err, size_t errlen)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return -errno;
	}
	char buf[80];
	const char *step = "hostname";
	int r;
	snprintf(buf, sizeof(buf), "%s\n", f->host);
	if ((r = put_file(rootfd, "etc", "hostname", buf, 0644)) < 0)
		goto out;
	step = "hosts";
	if ((r = fix_hosts(rootfd, f->host)) < 0)
		goto out;
	step = "machine-id";
	if ((r = fix_machine_id(rootfd, f->keep_identity)) < 0)
		goto out;
	step = "fstab";
	if ((r = fix_fstab(rootfd)) < 0)
		goto out;
	step = "boot files generator";
	if ((r = fix_boot_mount(rootfd, f->id)) < 0)
		goto out;
	step = "masking first-boot resize and swap units";
	if ((r = fix_units(rootfd)) < 0)
		goto out;
	step = "dhcpcd / NetworkManager";
	if ((r = fix_netmgr(rootfd)) < 0)
		goto out;
	step = "ssh host keys";
	if ((r = fix_ssh(rootfd, f)) < 0)
		goto out;
	step = "cmdline.txt";
	r = fix_boot(boot, f->id);
out:
	close(rootfd);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", step,
			 r == -ENOSPC ? "disk full" : r == -ECANCELED ? "interrupted" : strerror(-r));
	return r;
}
