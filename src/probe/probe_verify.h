/* probe_verify.h - what a downloaded file should contain.
 *
 * --verify-dir DIR: the file is DIR/<requested path>. --data DIR: a
 * pinetboot data dir, DIR/clients/<id>/boot/<file> if it exists else
 * DIR/boot/<file>, with ${server} ${id} ${serial} ${mac} ${name}
 * expanded in *.txt files. Comparison streams block by block.
 *
 * Owns: what a download is compared with. Must not touch: the network.
 */
#ifndef PINETBOOT_PROBE_VERIFY_H
#define PINETBOOT_PROBE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_TXT_MAX (1u << 20)   /* largest .txt we expand or keep */

struct probe_vars {
	const char *server, *id, *serial, *mac, *name;
};

/* Expand ${server} ${id} ${serial} ${mac} ${name} in in[0..n) into out
 * (unknown ${...} stay as they are). Returns the expanded length; out
 * holds at most cap bytes of it (no NUL is added). */
size_t probe_expand_vars(const char *in, size_t n, const struct probe_vars *v, char *out, size_t cap);

/* Value of "name = ..." in DATA/clients/<id>/client.conf (INI-like) into
 * out; "" when absent. */
void probe_client_name(const char *data_dir, const char *id, char *out, size_t cap);

/* Requested path -> file path relative to the boot dir: "//" collapsed,
 * leading '/' dropped; with strip_prefix the leading "<prefix>" removed.
 * -EINVAL for empty paths or ".." components. */
int probe_norm_path(const char *path, const char *strip_prefix, char *out, size_t cap);

struct probe_expect {
	bool active;          /* a reference is configured and the path is usable */
	bool exists;
	char where[512];      /* the reference file, for messages */
	int fd;               /* reference file, -1 when mem is used */
	uint8_t *mem;         /* expanded .txt reference */
	size_t memlen;
	uint64_t size;
	bool mismatch;
	uint64_t mismatch_off;
};

struct probe_verify_src {
	const char *verify_dir;   /* NULL or DIR */
	const char *data_dir;     /* NULL or DIR */
	const char *ids[2];       /* client dir names to try: serial id, MAC id */
	const char *prefix;       /* "<id>/" when the serial prefix is in use */
	const struct probe_vars *vars;
};

/* Find the reference of path. Never fails: without a reference ->active
 * is false. */
void probe_expect_open(struct probe_expect *e, const struct probe_verify_src *src, const char *path);
void probe_expect_feed(struct probe_expect *e, uint64_t off, const uint8_t *p, size_t n);
/* After the transfer: true when content and length matched; else why. */
bool probe_expect_check(const struct probe_expect *e, uint64_t total, char *why, size_t cap);
void probe_expect_close(struct probe_expect *e);

#endif
