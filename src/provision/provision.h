/* provision.h - images and per-Pi roots under the data dir:
 * DATA/images/<name>/{root,boot} and DATA/clients/<id>/{root,boot,upper}.
 * Every operation builds in a ".tmp-*" directory beside its target and
 * renames it into place, so a failure or Ctrl-C leaves nothing half-made.
 *
 * Owns: provisioning's public API for cli/ and daemon/. Must not touch:
 * daemon/ or cli/ (this folder sees only core/ and pi/). */
#ifndef PINETBOOT_PROVISION_PROVISION_H
#define PINETBOOT_PROVISION_PROVISION_H

#include <stdbool.h>
#include <stddef.h>

/* --- images (image.c) --- */
int image_import(const char *data_dir, const char *name, const char *from, bool progress, char *err,
		 size_t errlen);
int image_remove(const char *data_dir, const char *name, char *err, size_t errlen);
/* 1 if DATA/images/<name>/root exists, else 0. */
int image_exists(const char *data_dir, const char *name);

/* --- the shared DATA/boot (datadir.c) --- */
/* Name of the file in DATA/boot naming the image its files came from. */
#define BOOT_STAMP ".pinetboot-image"
/* Which image fills DATA/boot: 1 with its name in out (pinetboot manages
 * it), 0 when DATA/boot is empty or missing, -ENOTEMPTY when it holds
 * files pinetboot did not put there (hand-filled), other -errno. */
/* The default image for a registration: DATA/boot/.pinetboot-image
 * (written by `image import` / `image default`), else the only image,
 * else "" (prov_hint.c). */
void prov_default_image(const char *data_dir, char *out, size_t cap);
/* The command that registers Pi id (with the default image), for logs,
 * the dashboard and the API (prov_hint.c). */
void prov_register_hint(const char *data_dir, const char *id, char *out, size_t cap);

int boot_default_get(const char *data_dir, char *out, size_t outlen);
/* Fill DATA/boot with images/<name>/boot: the new tree is built beside it,
 * then each entry is swapped in by rename (RENAME_EXCHANGE for a name
 * that exists: never a moment without it), entries of the old image that
 * the new one lacks are removed, the stamp is written last. DATA/boot
 * itself stays the same directory, so a running serve (which holds it
 * open) serves the new files at once. Hand-filled content is refused
 * (-ENOTEMPTY) unless force, which first moves it to DATA/boot.old-<time>. */
int boot_default_set(const char *data_dir, const char *name, bool force, char *err, size_t errlen);

/* DATA/clients and DATA/images (and with them every copy-layout root,
 * overlay layer and image) are made 0700, root's: a Pi is root in its own
 * export, so the setuid binaries and device nodes it creates there must
 * not be reachable by other local users of the server. Called by init,
 * add, image import; serve should call it at start. 0 or the first
 * -errno (a missing directory is not an error). */
int provision_secure_tree(const char *data_dir);

/* --- clients (client.c) --- */
struct add_opts {
	const char *id;      /* normalised */
	const char *mac;     /* NULL or aa:bb:.. */
	const char *name;    /* host name; NULL = pi-<id> */
	const char *image;
	const char *layout;  /* "overlay", "copy", or NULL: the kept files' layout, else overlay when available */
	bool force;          /* the client exists: re-register it, keeping the Pi's files */
	bool wipe;           /* with force: replace the Pi's files with a fresh copy of the image */
	const char *tftp_prefix; /* NULL or the EEPROM's TFTP_PREFIX_STR (TFTP_PREFIX=1) */
};
int client_add(const char *data_dir, const struct add_opts *o, char *err, size_t errlen);
int client_remove(const char *data_dir, const char *id, bool keep_root, char *err, size_t errlen);
int client_reset(const char *data_dir, const char *id, char *err, size_t errlen);
bool provision_have_overlayfs(void);
/* Is path a mount point (a different device from its parent)? */
bool provision_is_mounted(const char *path);

/* serve integration: mount every overlay client's root and boot (skipping
 * those already mounted; failures are logged and skipped). Returns the
 * number mounted. unmount_all undoes it at exit. */
/* Mount (if overlay and not yet mounted) / unmount one client's roots.
 * 0 or -errno (mount: with err filled; unmount: -EBUSY if still mounted,
 * 1 if a busy mount had to be detached lazily: something held its files). */
int provision_mount_client(const char *data_dir, const char *id, char *err, size_t errlen);
int provision_unmount_client(const char *data_dir, const char *id);
int provision_mount_all(const char *data_dir);
void provision_unmount_all(const char *data_dir);

/* Move this process into a private mount namespace: the temporary mounts
 * of import/add/reset are then invisible to every other process, are never
 * copied into namespaces others create meanwhile (which would keep an
 * overlay's upper dir "in use"), and vanish even if we are killed. */
int provision_private_mounts(void);
/* Install SIGINT/SIGTERM handlers that set prov_cancel. */
void provision_catch_signals(void);

#endif
