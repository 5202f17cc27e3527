/* fixups.h - turn a copy (or overlay view) of an image into one Pi's
 * root and boot files. Internal to src/provision/.
 *
 * Owns: struct fixup_opts. Must not touch: I/O outside the given
 * root/boot. */
#ifndef PINETBOOT_PROVISION_FIXUPS_H
#define PINETBOOT_PROVISION_FIXUPS_H

#include <stdbool.h>
#include <stddef.h>

struct fixup_opts {
	const char *id;       /* client id (directory name) */
	const char *host;     /* host name */
	bool keep_identity;   /* keep the SSH host keys and machine-id the root already has */
};

/* Apply every fixup to root (the Pi's "/") and boot (its boot files).
 * 0, or a negative errno with err naming the step. */
int apply_fixups(const char *root, const char *boot, const struct fixup_opts *f, char *err, size_t errlen);

#endif
