/* tftp_fs.h - mapping a TFTP file name onto the data directory.
 *
 * "<id>/<file>" of a registered Pi -> clients/<id>/boot/<file>, falling
 * back to boot/<file>. A name without a prefix from an address the daemon
 * knows belongs to a registered Pi (vars_for_addr fills vars->id) takes the
 * same chain; anything else -> boot/<file>. Names are cleaned first (no
 * "..", no control characters, no backslashes; leading and doubled slashes,
 * which the Pi 5 sends, are folded), then looked up beneath a directory fd
 * with openat2(O_PATH, RESOLVE_BENEATH) so symlinks cannot leave it. The
 * type is checked on that O_PATH fd and only a regular file is then opened
 * for reading (through /proc/self/fd): a device node or FIFO a Pi planted
 * in its NFS-writable boot dir is never opened.
 *
 * Owns: mapping names to files beneath the boot dirs. Must not touch: sockets; who a Pi is (the daemon's hooks decide).
 */
#ifndef PINETBOOT_TFTP_FS_H
#define PINETBOOT_TFTP_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Values for ${...} placeholders in served .txt files. */
struct tftp_vars {
	char server[16];  /* address the request came in on */
	char id[18];
	char serial[9];
	char mac[18];     /* aa:bb:cc:dd:ee:ff */
	char name[64];
};

enum tftp_auth { TFTP_AUTH_UNKNOWN, TFTP_AUTH_OK, TFTP_AUTH_DENIED };

struct tftp_hooks {
	/* May addr read clients/<id>/boot? Fill vars for that client. */
	enum tftp_auth (*authorize)(void *ctx, const char *id, uint32_t addr, struct tftp_vars *vars);
	/* Fill vars for whatever client is known to use addr (shared files). */
	void (*vars_for_addr)(void *ctx, uint32_t addr, struct tftp_vars *vars);
	void *ctx;
};

#define TFTP_EXPAND_MAX (256u * 1024u) /* .txt files larger than this are sent verbatim */
#define TFTP_BLOB_TOTAL_MAX (32u * 1024u * 1024u) /* expanded text held at once, per server */

/* Where files are looked up, and the memory budget of expanded text. */
struct tftp_fs {
	int boot_fd, clients_fd;     /* DATA/boot and DATA/clients (O_PATH is fine), -1 if absent */
	struct tftp_hooks hooks;
	size_t blob_used;            /* bytes of expanded text held by open files */
	size_t blob_max;             /* cap on blob_used; 0 = TFTP_BLOB_TOTAL_MAX */
};

/* Clean a requested name into out. Returns 0, -EINVAL (empty, too long,
 * control character, backslash) or -EACCES ("..", escaping). */
int tftp_path_clean(const char *in, char *out, size_t cap);

struct tftp_open {
	int fd;              /* open regular file, or -1 when blob is set */
	uint8_t *blob;       /* expanded content (malloc'd), or NULL */
	uint64_t size;
	bool per_client;     /* served from clients/<id>/boot */
	char id[18];         /* client id (name prefix or the address's Pi), or "" */
	size_t *blob_acct;   /* budget the blob is counted in (tftp_fs.blob_used) */
	size_t blob_cost;    /* bytes counted there */
};

/* Open cleaned name for a client at addr. Returns 0 or a negative errno:
 * -ENOENT (not found, or prefix of an unregistered id), -EACCES (denied,
 * escapes), -EPERM (not a regular file: device node, FIFO, socket),
 * -EBUSY (the expanded-text budget is spent, try
 * again later), -ENOMEM, -EIO. vars->server must be set. */
int tftp_fs_open(struct tftp_fs *fs, const char *clean, uint32_t addr,
		 struct tftp_vars *vars, struct tftp_open *ret);
void tftp_open_release(struct tftp_open *o);

/* Expand ${server} ${id} ${serial} ${mac} ${name} in in[0..n). Unknown
 * placeholders are kept verbatim. Returns 0 and a malloc'd buffer, or -ENOMEM. */
int tftp_expand(const uint8_t *in, size_t n, const struct tftp_vars *v, uint8_t **ret, size_t *ret_len);

/* pread the first n bytes of fd into buf; returns how many were read
 * (fewer if the file is shorter or an error occurred). */
size_t tftp_read_all(int fd, uint8_t *buf, size_t n);

/* Files every boot asks for that normally do not exist (protocol reference
 * 4.2-4.4): their absence is logged at debug, not as a problem. */
bool tftp_expected_missing(const char *clean);

#endif
