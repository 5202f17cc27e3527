/* client.c - `add`, `remove`, `reset` and the overlay mounts of `serve`.
 * A client is DATA/clients/<id>/ with client.conf, root/ and boot/ (overlay
 * mount points or private copies) and, for overlays, upper/{root,work,
 * boot,boot-work}. It is built in clients/.tmp-<id>-<pid> and renamed in. */
#include "provision/provision.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "daemon/clients.h"
#include "provision/copytree.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"

/* The name the Pi's fstab uses for the server; /etc/hosts maps it. */
#define SERVER_HOST "pinetboot-server"

static void on_stop_signal(int sig)
{
	(void)sig;
	prov_cancel = 1;
}

void provision_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking wait returns EINTR and sees the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int provision_private_mounts(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

bool provision_have_overlayfs(void)
{
	FILE *f = fopen("/proc/filesystems", "re");
	char line[128];
	bool yes = false;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "\toverlay\n"))
			yes = true;
	fclose(f);
	return yes;
}

bool provision_is_mounted(const char *path)
{
	char parent[PATH_MAX];
	struct stat a, b;
	if (pathf(parent, sizeof(parent), "%s/..", path) < 0 || lstat(path, &a) < 0 || stat(parent, &b) < 0)
		return false;
	return S_ISDIR(a.st_mode) && (a.st_dev != b.st_dev || a.st_ino == b.st_ino);
}

static int mount_overlay(const char *lower, const char *upper, const char *work, const char *target)
{
	char opts[3 * PATH_MAX + 64];
	/* overlayfs splits its options at ',' and lowerdir at ':'. */
	if (strpbrk(lower, ",:\\") || strpbrk(upper, ",:\\") || strpbrk(work, ",:\\"))
		return -EINVAL;
	if (pathf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s,index=on,nfs_export=on", lower, upper,
		  work) < 0)
		return -ENAMETOOLONG;
	/* EBUSY: the upper dir is still marked in use by an overlay that
	 * was just unmounted lazily; it goes away within moments. */
	for (int i = 0; i < 100; i++) {
		if (mount("overlay", target, "overlay", MS_NOATIME, opts) == 0)
			return 0;
		if (errno != EBUSY)
			break;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -errno;
}

/* Mount root and boot of client dir cdir (DATA/clients/<id> or a tmp dir)
 * over image img. */
static int mount_client(const char *data_dir, const char *cdir, const char *img, char *err, size_t errlen)
{
	char lower[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], target[PATH_MAX];
	static const char *const part[2][3] = { { "root", "root", "work" }, { "boot", "boot", "boot-work" } };
	/* img comes from client.conf, which only refuses '/': ".." would
	 * make another directory of DATA the lower layer. */
	if (!prov_image_name_ok(img)) {
		snprintf(err, errlen, "bad image name '%.64s'", img);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		pathf(lower, sizeof(lower), "%s/images/%s/%s", data_dir, img, part[i][0]);
		pathf(upper, sizeof(upper), "%s/upper/%s", cdir, part[i][1]);
		pathf(work, sizeof(work), "%s/upper/%s", cdir, part[i][2]);
		pathf(target, sizeof(target), "%s/%s", cdir, part[i][0]);
		if (provision_is_mounted(target))
			continue;
		int r = mount_overlay(lower, upper, work, target);
		if (r < 0) {
			snprintf(err, errlen, "mounting overlay on %s: %s", target, strerror(-r));
			if (i == 1) {
				pathf(target, sizeof(target), "%s/root", cdir);
				umount_retry(target);
			}
			return r;
		}
	}
	return 0;
}

static void umount_client(const char *cdir)
{
	char t[PATH_MAX];
	static const char *const part[2] = { "boot", "root" };
	for (int i = 0; i < 2; i++) {
		pathf(t, sizeof(t), "%s/%s", cdir, part[i]);
		if (!provision_is_mounted(t))
			continue;
		/* Busy (an NFS client, a shell inside): retried, then
		 * detached lazily rather than leave serve unable to exit. */
		umount_retry(t);
	}
}

/* First IPv4 address of a non-loopback interface that is up. */
static int detect_server_ip(char out[INET_ADDRSTRLEN])
{
	struct ifaddrs *ifa, *i;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	int r = -ENOENT;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_UP))
			continue;
		const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)i->ifa_addr;
		inet_ntop(AF_INET, &sin->sin_addr, out, INET_ADDRSTRLEN);
		r = 0;
		break;
	}
	freeifaddrs(ifa);
	return r;
}

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

static int fix_hosts(int rootfd, const char *host, const char *server_ip)
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
	/* Keep every line but the old 127.0.1.1 host name and an older
	 * pinetboot-server line. */
	for (char *line = old, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
		if (nl)
			nl++;
		if (strncmp(line, "127.0.1.1", 9) == 0 || memmem(line, n, SERVER_HOST, strlen(SERVER_HOST)))
			continue;
		memcpy(out + o, line, n);
		o += n;
		if (out[o - 1] != '\n')
			out[o++] = '\n';
	}
	int k = snprintf(out + o, cap - o, "127.0.1.1\t%s\n", host);
	o += (size_t)k;
	if (server_ip && *server_ip) {
		k = snprintf(out + o, cap - o, "%s\t%s\n", server_ip, SERVER_HOST);
		o += (size_t)k;
	}
	int r = write_file_at(d, "hosts", out, o, 0644);
	free(old);
	free(out);
	close(d);
	return r;
}

static int fix_fstab(int rootfd, const char *id)
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
		const char *mnt = exists_in_root(rootfd, "boot/firmware", true) ? "/boot/firmware" : "/boot";
		r = prov_fstab_rewrite(old, len, mnt, SERVER_HOST, id, out, sizeof(out));
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

/* Everything that makes a copy of the image into one particular Pi. */
static int apply_fixups(const char *root, const char *boot, const char *id, const char *host,
			const char *server_ip, char *err, size_t errlen)
{
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		snprintf(err, errlen, "%s: %s", root, strerror(errno));
		return -errno;
	}
	char buf[256], note[200] = "";
	const char *step = "hostname";
	int r;
	snprintf(buf, sizeof(buf), "%s\n", host);
	if ((r = put_file(rootfd, "etc", "hostname", buf, 0644)) < 0)
		goto out;
	step = "hosts";
	if ((r = fix_hosts(rootfd, host, server_ip)) < 0)
		goto out;
	step = "machine-id";
	{
		unsigned char rnd[16];
		randombytes_buf(rnd, sizeof(rnd));
		/* systemd: 128 random bits as 32 lowercase hex digits; mark
		 * it version 4 as systemd-id128 does. */
		rnd[6] = (rnd[6] & 0x0f) | 0x40;
		rnd[8] = (rnd[8] & 0x3f) | 0x80;
		for (int i = 0; i < 16; i++)
			snprintf(buf + 2 * i, 3, "%02x", rnd[i]);
		buf[32] = '\n';
		buf[33] = '\0';
		if ((r = put_file(rootfd, "etc", "machine-id", buf, 0444)) < 0)
			goto out;
		int dd = open_in_root(rootfd, "var/lib/dbus", false);
		if (dd >= 0) {
			struct stat s;
			if (fstatat(dd, "machine-id", &s, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(s.st_mode))
				unlinkat(dd, "machine-id", 0); /* dbus falls back to /etc/machine-id */
			close(dd);
		}
	}
	step = "fstab";
	if ((r = fix_fstab(rootfd, id)) < 0)
		goto out;
	if (exists_in_root(rootfd, "etc/systemd", true) || exists_in_root(rootfd, "lib/systemd", true) ||
	    exists_in_root(rootfd, "usr/lib/systemd", true)) {
		/* First boot on an SD card grows the root partition; on NFS
		 * there is no partition, and a swap file on NFS can deadlock
		 * under memory pressure. */
		static const char *const units[] = { "resize2fs_once.service", "rpi-resizerootfs.service",
						     "systemd-growfs-root.service", "dphys-swapfile.service",
						     "rpi-resize-swap-file.service", "systemd-zram-setup@zram0.service" };
		step = "masking first-boot resize and swap units";
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if ((r = mask_unit(rootfd, units[i])) < 0)
				goto out;
	}
	if (exists_in_root(rootfd, "etc/rpi", true)) {
		/* Trixie's rpi-swap reads /etc/rpi/swap.conf.d/. */
		step = "rpi-swap";
		if ((r = put_file(rootfd, "etc/rpi/swap.conf.d", "90-pinetboot.conf",
				  "# pinetboot: the root is on NFS; no swap file there.\n[Main]\nMechanism=none\n",
				  0644)) < 0)
			goto out;
	}
	if (exists_in_root(rootfd, "etc/dhcpcd.conf", false)) {
		/* Bullseye and older: dhcpcd would renew, and on a lease
		 * change drop, the address the root filesystem is mounted
		 * over. The kernel (ip=dhcp) already configured eth0. */
		step = "dhcpcd.conf";
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
		if (r < 0)
			goto out;
	}
	if (exists_in_root(rootfd, "etc/NetworkManager", true)) {
		/* Bookworm and later: NetworkManager must not take eth0 down to
		 * "activate" it: unmanaged keeps the kernel's configuration. */
		step = "NetworkManager";
		if ((r = put_file(rootfd, "etc/NetworkManager/conf.d", "90-pinetboot-nfsroot.conf",
				  "# pinetboot: eth0 carries the NFS root; the kernel (ip=dhcp) configured it.\n"
				  "[keyfile]\nunmanaged-devices=interface-name:eth0\n",
				  0644)) < 0)
			goto out;
	}
	step = "ssh host keys";
	if ((r = fix_ssh_keys(rootfd, host, note, sizeof(note))) < 0)
		goto out;
	if (note[0])
		fprintf(stderr, "note: %s\n", note);
	step = "cmdline.txt";
	r = fix_boot(boot, id);
out:
	close(rootfd);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", step,
			 r == -ENOSPC ? "disk full" : r == -ECANCELED ? "interrupted" : strerror(-r));
	return r;
}

static int write_conf(const char *dir, const struct add_opts *o, const char *host, const char *layout)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "# written by pinetboot add\nname = %s\n%s%s%simage = %s\nlayout = %s\n",
			 host, o->mac ? "mac = " : "", o->mac ? o->mac : "", o->mac ? "\n" : "", o->image, layout);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d < 0)
		return -errno;
	int r = write_file_at(d, "client.conf", buf, (size_t)n, 0644);
	close(d);
	return r;
}

static int mkdirs(const char *base, const char *const *names, size_t n)
{
	char p[PATH_MAX];
	for (size_t i = 0; i < n; i++) {
		pathf(p, sizeof(p), "%s/%s", base, names[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static const char *const overlay_dirs[] = { "root", "boot", "upper", "upper/root", "upper/work", "upper/boot",
					    "upper/boot-work" };

/* Build the overlay client's upper layers in cdir (mounting, fixing up
 * through the merged view so deletions become whiteouts, unmounting). */
static int build_overlay(const char *data_dir, const char *cdir, const struct add_opts *o, const char *host,
			 const char *ip, char *err, size_t errlen)
{
	char root[PATH_MAX], boot[PATH_MAX];
	int r = mkdirs(cdir, overlay_dirs, sizeof(overlay_dirs) / sizeof(overlay_dirs[0]));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", cdir, strerror(-r));
		return r;
	}
	if ((r = mount_client(data_dir, cdir, o->image, err, errlen)) < 0)
		return r;
	pathf(root, sizeof(root), "%s/root", cdir);
	pathf(boot, sizeof(boot), "%s/boot", cdir);
	r = apply_fixups(root, boot, o->id, host, ip, err, errlen);
	umount_client(cdir);
	return r;
}

int client_add(const char *data_dir, const struct add_opts *o, char *err, size_t errlen)
{
	char cdir[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX], old[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	char host[64], ip[INET_ADDRSTRLEN] = "";
	struct stat s;
	int r;
	if (!image_exists(data_dir, o->image)) {
		snprintf(err, errlen, "no image '%.64s' (pinetboot image list; pinetboot image import NAME --from ...)",
			 o->image);
		return -ENOENT;
	}
	snprintf(host, sizeof(host), "%s", o->name ? o->name : "");
	if (!o->name)
		snprintf(host, sizeof(host), "pi-%.17s", o->id);
	if (!prov_hostname_ok(host)) {
		snprintf(err, errlen, "bad host name '%.64s': 1-63 letters, digits or '-'", host);
		return -EINVAL;
	}
	if (o->server)
		snprintf(ip, sizeof(ip), "%s", o->server);
	else
		detect_server_ip(ip);
	pathf(cdir, sizeof(cdir), "%s/clients", data_dir);
	if (mkdir(cdir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", cdir, strerror(errno));
		return -errno;
	}
	pathf(final, sizeof(final), "%s/%s", cdir, o->id);
	if (lstat(final, &s) == 0 && !o->force) {
		snprintf(err, errlen, "client %s already exists (pinetboot add --force replaces it)", o->id);
		return -EEXIST;
	}
	/* --force: the old client's serve mounts go first, in the host's
	 * mount namespace; everything after happens in our private one. */
	if (lstat(final, &s) == 0)
		umount_client(final);
	if (strcmp(o->layout, "overlay") == 0 && (r = provision_private_mounts()) < 0) {
		snprintf(err, errlen, "private mount namespace: %s", strerror(-r));
		return r;
	}
	pathf(tmp, sizeof(tmp), "%s/.tmp-%s-%ld", cdir, o->id, (long)getpid());
	if (mkdir(tmp, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	if (strcmp(o->layout, "overlay") == 0) {
		r = build_overlay(data_dir, tmp, o, host, ip, err, errlen);
	} else {
		struct copy_opts co = { .one_fs = false, .reflink = true };
		struct copy_stats st;
		static const char *const part[2] = { "root", "boot" };
		r = 0;
		for (int i = 0; i < 2 && r == 0; i++) {
			pathf(src, sizeof(src), "%s/images/%s/%s", data_dir, o->image, part[i]);
			pathf(dst, sizeof(dst), "%s/%s", tmp, part[i]);
			r = copy_tree(src, dst, &co, &st, err, errlen);
		}
		if (r == 0) {
			pathf(src, sizeof(src), "%s/root", tmp);
			pathf(dst, sizeof(dst), "%s/boot", tmp);
			r = apply_fixups(src, dst, o->id, host, ip, err, errlen);
		}
	}
	if (r == 0 && prov_cancel) {
		snprintf(err, errlen, "interrupted");
		r = -ECANCELED;
	}
	if (r == 0 && (r = write_conf(tmp, o, host, o->layout)) < 0)
		snprintf(err, errlen, "writing client.conf: %s", strerror(-r));
	if (r == 0 && lstat(final, &s) == 0) {
		/* --force: the old client goes aside first, so the new one
		 * appears with a single rename. */
		umount_client(final);
		pathf(old, sizeof(old), "%s/.old-%s-%ld", cdir, o->id, (long)getpid());
		if (rename(final, old) < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", final, strerror(errno));
		}
	} else {
		old[0] = '\0';
	}
	if (r == 0 && rename(tmp, final) < 0) {
		r = -errno;
		snprintf(err, errlen, "renaming into %s: %s", final, strerror(errno));
		if (old[0])
			rename(old, final);
	}
	if (r < 0) {
		umount_client(tmp);
		rm_tree(tmp);
		return r;
	}
	if (old[0])
		rm_tree(old);
	return 0;
}

static int load_client(const char *data_dir, const char *id, struct client *cl, char *err, size_t errlen)
{
	char path[PATH_MAX], e[512];
	pathf(path, sizeof(path), "%s/clients/%s/client.conf", data_dir, id);
	if (access(path, F_OK) < 0) {
		snprintf(err, errlen, "no client %s (pinetboot list)", id);
		return -ENOENT;
	}
	if (client_parse_file(cl, path, id, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s", e);
		return -EINVAL;
	}
	return 0;
}

int client_remove(const char *data_dir, const char *id, bool keep_root, char *err, size_t errlen)
{
	char cdir[PATH_MAX], tmp[PATH_MAX];
	struct client cl;
	int r = load_client(data_dir, id, &cl, err, errlen);
	if (r < 0)
		return r;
	pathf(cdir, sizeof(cdir), "%s/clients/%s", data_dir, id);
	umount_client(cdir);
	if (keep_root) {
		/* Unregistered (no client.conf, so not served) but its files
		 * stay; `add --force` reuses the id. */
		pathf(tmp, sizeof(tmp), "%s/client.conf", cdir);
		if (unlink(tmp) < 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			return -errno;
		}
		return 0;
	}
	pathf(tmp, sizeof(tmp), "%s/clients/.rm-%s-%ld", data_dir, id, (long)getpid());
	if (rename(cdir, tmp) < 0) {
		snprintf(err, errlen, "%s: %s", cdir, strerror(errno));
		return -errno;
	}
	r = rm_tree(tmp);
	if (r < 0)
		snprintf(err, errlen, "removing %s: %s", tmp, strerror(-r));
	return r;
}

int client_reset(const char *data_dir, const char *id, char *err, size_t errlen)
{
	char cdir[PATH_MAX], tmp[PATH_MAX], a[PATH_MAX], b[PATH_MAX];
	struct client cl;
	int r = load_client(data_dir, id, &cl, err, errlen);
	if (r < 0)
		return r;
	if (strcmp(cl.layout, "overlay") != 0) {
		snprintf(err, errlen, "client %s has the copy layout: use pinetboot add --force %s to rebuild it", id, id);
		return -EINVAL;
	}
	pathf(cdir, sizeof(cdir), "%s/clients/%s", data_dir, id);
	pathf(a, sizeof(a), "%s/root", cdir);
	bool was_mounted = provision_is_mounted(a);
	umount_client(cdir); /* in the host's namespace, before going private */
	if ((r = provision_private_mounts()) < 0) {
		snprintf(err, errlen, "private mount namespace: %s", strerror(-r));
		return r;
	}
	pathf(tmp, sizeof(tmp), "%s/clients/.tmp-%s-%ld", data_dir, id, (long)getpid());
	if (mkdir(tmp, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	struct add_opts o = { .id = id, .image = cl.image, .layout = "overlay" };
	char ip[INET_ADDRSTRLEN] = "";
	detect_server_ip(ip);
	r = build_overlay(data_dir, tmp, &o, cl.name[0] ? cl.name : "pi", ip, err, errlen);
	if (r == 0) {
		/* Swap the upper directories: old -> tmp/upper.old, new -> in. */
		umount_client(cdir);
		pathf(a, sizeof(a), "%s/upper", cdir);
		pathf(b, sizeof(b), "%s/upper.old", tmp);
		if (rename(a, b) < 0) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", a, strerror(errno));
		} else {
			pathf(b, sizeof(b), "%s/upper", tmp);
			if (rename(b, a) < 0) {
				r = -errno;
				snprintf(err, errlen, "%s: %s", a, strerror(errno));
				pathf(b, sizeof(b), "%s/upper.old", tmp);
				rename(b, a);
			}
		}
	}
	umount_client(tmp);
	rm_tree(tmp);
	if (was_mounted && r == 0)
		fprintf(stderr, "note: client %s was mounted by serve: send it SIGHUP to mount it again\n", id);
	return r;
}

int provision_mount_all(const char *data_dir)
{
	struct clients reg;
	int n = 0;
	if (clients_load(&reg, data_dir) < 0)
		return 0;
	for (size_t i = 0; i < reg.n; i++) {
		const struct client *c = &reg.v[i];
		char cdir[PATH_MAX], err[512];
		if (strcmp(c->layout, "overlay") != 0 || !c->image[0])
			continue;
		pathf(cdir, sizeof(cdir), "%s/clients/%s", data_dir, c->id);
		if (mount_client(data_dir, cdir, c->image, err, sizeof(err)) < 0) {
			log_error("provision", "client %s: %s", c->id, err);
			continue;
		}
		n++;
	}
	clients_free(&reg);
	if (n)
		log_info("provision", "mounted the overlay roots of %d client%s", n, n == 1 ? "" : "s");
	return n;
}

void provision_unmount_all(const char *data_dir)
{
	struct clients reg;
	if (clients_load(&reg, data_dir) < 0)
		return;
	for (size_t i = 0; i < reg.n; i++) {
		char cdir[PATH_MAX];
		if (strcmp(reg.v[i].layout, "overlay") != 0)
			continue;
		pathf(cdir, sizeof(cdir), "%s/clients/%s", data_dir, reg.v[i].id);
		umount_client(cdir);
	}
	clients_free(&reg);
}
