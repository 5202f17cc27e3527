/* client.c - `add`, `remove`, `reset` and the overlay mounts of `serve`.
 * A client is DATA/clients/<id>/ with client.conf, root/ and boot/ (overlay
 * mount points or private copies) and, for overlays, upper/{root,work,
 * boot,boot-work}. It is built in clients/.tmp-<id>-<pid> and renamed in.
 *
 * Owns: building, re-adding, removing and resetting a Pi's files under
 * DATA/clients/<id>/. Must not touch: client.conf's format (it calls
 * client_conf_create in pi/pi_registry.c), sockets. */
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
#include "pi/pi_registry.h"
#include "provision/copytree.h"
#include "provision/fixups.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"


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

/* A Pi is root in its own export: a setuid-root binary or a device node it
 * makes there must mean nothing on the server. nosuid, nodev and noexec
 * on the server's view (the Pi's own kernel still honours the mode bits
 * it reads over NFS); noatime saves a write per read. */
#define PROV_MOUNT_FLAGS (MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC)

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
		if (mount("overlay", target, "overlay", PROV_MOUNT_FLAGS, opts) == 0)
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

/* How many of the two mounts had to be detached lazily (busy). */
static int umount_client(const char *cdir)
{
	char t[PATH_MAX];
	static const char *const part[2] = { "boot", "root" };
	int lazy = 0;
	for (int i = 0; i < 2; i++) {
		pathf(t, sizeof(t), "%s/%s", cdir, part[i]);
		if (!provision_is_mounted(t))
			continue;
		/* Busy (an NFS client, a shell inside): retried, then
		 * detached lazily rather than leave serve unable to exit. */
		lazy += umount_retry(t) == 1;
	}
	return lazy;
}

static int write_conf(const char *dir, const struct add_opts *o, const char *host, const char *layout)
{
	const struct client_conf_new c = { .name = host, .mac = o->mac, .image = o->image, .layout = layout,
					   .tftp_prefix = o->tftp_prefix };
	return client_conf_create(dir, &c);
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

/* Mount the overlay client in cdir over its image (in our private mount
 * namespace), apply the fixups through the merged view so deletions
 * become whiteouts, unmount. mkdirs first: a new client has none yet. */
static int fix_overlay(const char *data_dir, const char *cdir, const char *image, const struct fixup_opts *f,
		       char *err, size_t errlen)
{
	char root[PATH_MAX], boot[PATH_MAX];
	int r = mkdirs(cdir, overlay_dirs, sizeof(overlay_dirs) / sizeof(overlay_dirs[0]));
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", cdir, strerror(-r));
		return r;
	}
	if ((r = mount_client(data_dir, cdir, image, err, errlen)) < 0)
		return r;
	pathf(root, sizeof(root), "%s/root", cdir);
	pathf(boot, sizeof(boot), "%s/boot", cdir);
	r = apply_fixups(root, boot, f, err, errlen);
	umount_client(cdir);
	return r;
}

static int build_copy(const char *data_dir, const char *cdir, const char *image, const struct fixup_opts *f,
		      char *err, size_t errlen)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct copy_opts co = { .one_fs = false, .reflink = true };
	struct copy_stats st;
	static const char *const part[2] = { "root", "boot" };
	int r = 0;
	for (int i = 0; i < 2 && r == 0; i++) {
		pathf(src, sizeof(src), "%s/images/%s/%s", data_dir, image, part[i]);
		pathf(dst, sizeof(dst), "%s/%s", cdir, part[i]);
		r = copy_tree(src, dst, &co, &st, err, errlen);
	}
	if (r == 0) {
		pathf(src, sizeof(src), "%s/root", cdir);
		pathf(dst, sizeof(dst), "%s/boot", cdir);
		r = apply_fixups(src, dst, f, err, errlen);
	}
	return r;
}

static bool is_dir(const char *base, const char *sub)
{
	char p[PATH_MAX];
	struct stat s;
	return pathf(p, sizeof(p), "%s/%s", base, sub) == 0 && lstat(p, &s) == 0 && S_ISDIR(s.st_mode);
}

/* The layout of the files kept in cdir: overlay (upper/root), copy
 * (root/ holding a tree), or NULL when there is nothing to keep. */
static const char *kept_layout(const char *cdir)
{
	char p[PATH_MAX];
	if (is_dir(cdir, "upper/root"))
		return "overlay";
	pathf(p, sizeof(p), "%s/root/etc", cdir);
	return is_dir(cdir, "root") && access(p, F_OK) == 0 ? "copy" : NULL;
}

/* add --force over an existing client directory (registered, or kept by
 * remove --keep-root): the Pi's own layer stays as it is (the overlay's
 * upper/, or the copy layout's root/ and boot/); the fixups are applied
 * over it again (host name, hosts, fstab, generator, cmdline.txt), its SSH
 * host keys and machine-id are kept, client.conf is rewritten. */
static int client_readd(const char *data_dir, const char *final, const struct add_opts *o, const char *layout,
			const struct fixup_opts *f, char *err, size_t errlen)
{
	int r;
	umount_client(final); /* serve's mounts, in the host's namespace */
	if (strcmp(layout, "overlay") == 0) {
		if ((r = provision_private_mounts()) < 0) {
			snprintf(err, errlen, "private mount namespace: %s", strerror(-r));
			return r;
		}
		r = fix_overlay(data_dir, final, o->image, f, err, errlen);
	} else {
		char root[PATH_MAX], boot[PATH_MAX];
		pathf(root, sizeof(root), "%s/root", final);
		pathf(boot, sizeof(boot), "%s/boot", final);
		if (mkdir(boot, 0755) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", boot, strerror(errno));
			return -errno;
		}
		r = apply_fixups(root, boot, f, err, errlen);
	}
	if (r == 0 && (r = write_conf(final, o, f->host, layout)) < 0)
		snprintf(err, errlen, "writing client.conf: %s", strerror(-r));
	return r;
}

/* An existing clients/<id>: refused without --force; with it the Pi's
 * files are kept (client_readd), with --wipe they are replaced. Returns 1
 * when the caller should build a new client, else 0 or -errno. */
static int existing_client(const char *data_dir, const char *final, const struct add_opts *o, const char **layout,
			   const struct fixup_opts *f, char *err, size_t errlen)
{
	char conf[PATH_MAX];
	struct stat s;
	if (lstat(final, &s) < 0)
		return 1;
	pathf(conf, sizeof(conf), "%s/client.conf", final);
	bool registered = access(conf, F_OK) == 0;
	const char *kept = kept_layout(final);
	if (!o->force) {
		snprintf(err, errlen,
			 registered ? "client %s already exists: add --force re-registers it keeping its files, "
				      "add --force --wipe starts it again from the image"
				    : "clients/%s holds the files of a removed Pi (remove --keep-root): add --force "
				      "re-registers it keeping them, add --force --wipe starts again from the image",
			 o->id);
		return -EEXIST;
	}
	if (o->wipe || !kept)
		return 1;
	if (*layout && strcmp(*layout, kept) != 0) {
		snprintf(err, errlen, "client %s's files are in the %s layout: --layout %s would drop them (add "
				      "--force --wipe to start again from the image)", o->id, kept, *layout);
		return -EINVAL;
	}
	*layout = kept;
	return client_readd(data_dir, final, o, kept, f, err, errlen);
}

/* Swap the new client in: the old one (add --force --wipe) goes aside
 * first, so the new one appears with a single rename. */
static int install_client(const char *cdir, const char *tmp, const char *final, const char *id, char *err,
			  size_t errlen)
{
	char old[PATH_MAX] = "";
	struct stat s;
	if (lstat(final, &s) == 0) {
		umount_client(final);
		pathf(old, sizeof(old), "%s/.old-%s-%ld", cdir, id, (long)getpid());
		if (rename(final, old) < 0) {
			snprintf(err, errlen, "%s: %s", final, strerror(errno));
			return -errno;
		}
	}
	if (rename(tmp, final) < 0) {
		int e = errno;
		snprintf(err, errlen, "renaming into %s: %s", final, strerror(e));
		if (old[0])
			rename(old, final);
		return -e;
	}
	if (old[0])
		rm_tree(old);
	return 0;
}

int client_add(const char *data_dir, const struct add_opts *o, char *err, size_t errlen)
{
	char cdir[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX], host[64];
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
	pathf(cdir, sizeof(cdir), "%s/clients", data_dir);
	if (mkdir(cdir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", cdir, strerror(errno));
		return -errno;
	}
	provision_secure_tree(data_dir);
	pathf(final, sizeof(final), "%s/%s", cdir, o->id);
	struct fixup_opts f = { .id = o->id, .host = host, .keep_identity = true };
	const char *layout = o->layout;
	if ((r = existing_client(data_dir, final, o, &layout, &f, err, errlen)) <= 0)
		return r;
	if (!layout)
		layout = provision_have_overlayfs() ? "overlay" : "copy";
	f.keep_identity = false;
	/* --wipe: the old client's serve mounts go first, in the host's
	 * mount namespace; everything after happens in our private one. */
	umount_client(final);
	if (strcmp(layout, "overlay") == 0 && (r = provision_private_mounts()) < 0) {
		snprintf(err, errlen, "private mount namespace: %s", strerror(-r));
		return r;
	}
	pathf(tmp, sizeof(tmp), "%s/.tmp-%s-%ld", cdir, o->id, (long)getpid());
	if (mkdir(tmp, 0755) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -errno;
	}
	if (strcmp(layout, "overlay") == 0)
		r = fix_overlay(data_dir, tmp, o->image, &f, err, errlen);
	else
		r = build_copy(data_dir, tmp, o->image, &f, err, errlen);
	if (r == 0 && prov_cancel) {
		snprintf(err, errlen, "interrupted");
		r = -ECANCELED;
	}
	if (r == 0 && (r = write_conf(tmp, o, host, layout)) < 0)
		snprintf(err, errlen, "writing client.conf: %s", strerror(-r));
	if (r == 0)
		r = install_client(cdir, tmp, final, o->id, err, errlen);
	if (r < 0) {
		umount_client(tmp);
		rm_tree(tmp);
	}
	return r;
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
	struct stat s;
	int r = load_client(data_dir, id, &cl, err, errlen);
	pathf(cdir, sizeof(cdir), "%s/clients/%s", data_dir, id);
	/* Not registered but its files are there (remove --keep-root
	 * earlier): removing them for good is allowed, keeping them again is
	 * a no-op worth saying. */
	if (r == -ENOENT && lstat(cdir, &s) == 0 && S_ISDIR(s.st_mode)) {
		if (keep_root) {
			snprintf(err, errlen, "client %s is not registered; its files are already kept", id);
			return -ENOENT;
		}
	} else if (r < 0) {
		return r;
	}
	umount_client(cdir);
	if (keep_root) {
		/* Unregistered (no client.conf, so not served) but its files
		 * stay; `add --force` re-registers it with them. */
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
	struct fixup_opts f = { .id = id, .host = cl.name[0] ? cl.name : "pi" };
	r = fix_overlay(data_dir, tmp, cl.image, &f, err, errlen);
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

int provision_mount_client(const char *data_dir, const char *id, char *err, size_t errlen)
{
	struct client cl;
	char cdir[PATH_MAX];
	int r = load_client(data_dir, id, &cl, err, errlen);
	if (r < 0)
		return r;
	if (strcmp(cl.layout, "overlay") != 0 || !cl.image[0])
		return 0;
	pathf(cdir, sizeof(cdir), "%s/clients/%s", data_dir, id);
	return mount_client(data_dir, cdir, cl.image, err, errlen);
}

int provision_unmount_client(const char *data_dir, const char *id)
{
	char cdir[PATH_MAX], root[PATH_MAX];
	pathf(cdir, sizeof(cdir), "%s/clients/%s", data_dir, id);
	int lazy = umount_client(cdir);
	pathf(root, sizeof(root), "%s/root", cdir);
	return provision_is_mounted(root) ? -EBUSY : lazy > 0;
}
