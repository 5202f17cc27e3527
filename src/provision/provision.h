/* provision.h - images and per-Pi roots under the data dir:
 * DATA/images/<name>/{root,boot} and DATA/clients/<id>/{root,boot,upper}.
 * Every operation builds in a ".tmp-*" directory beside its target and
 * renames it into place, so a failure or Ctrl-C leaves nothing half-made. */
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

/* --- clients (client.c) --- */
struct add_opts {
	const char *id;      /* normalised */
	const char *mac;     /* NULL or aa:bb:.. */
	const char *name;    /* host name; NULL = pi-<id> */
	const char *image;
	const char *layout;  /* "overlay" or "copy" */
	const char *server;  /* server IPv4 for /etc/hosts; NULL = detect */
	bool force;
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
