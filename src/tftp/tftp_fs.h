/* tftp_fs.h - mapping a TFTP file name onto the data directory.
 *
 * "<id>/<file>" of a registered Pi -> clients/<id>/boot/<file>, falling
 * back to boot/<file>; anything else -> boot/<file>. Names are cleaned
 * first (no "..", no control characters, no backslashes; leading and
 * doubled slashes, which the Pi 5 sends, are folded), then opened beneath
 * a directory fd with openat2(RESOLVE_BENEATH) so symlinks cannot leave it.
 * Only regular files are served. */
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

/* Clean a requested name into out. Returns 0, -EINVAL (empty, too long,
 * control character, backslash) or -EACCES ("..", escaping). */
int tftp_path_clean(const char *in, char *out, size_t cap);

struct tftp_open {
	int fd;              /* open regular file, or -1 when blob is set */
	uint8_t *blob;       /* expanded content (malloc'd), or NULL */
	uint64_t size;
	bool per_client;     /* served from clients/<id>/boot */
	char id[18];         /* client id if the name had a registered prefix */
};

/* Open cleaned name for a client at addr. Returns 0 or a negative errno:
 * -ENOENT (not found, or prefix of an unregistered id), -EACCES (denied,
 * escapes, not a regular file), -ENOMEM. vars->server must be set. */
int tftp_fs_open(int boot_fd, int clients_fd, const char *clean, uint32_t addr,
		 const struct tftp_hooks *hooks, struct tftp_vars *vars, struct tftp_open *ret);
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
