/* fh.h - NFSv3 file handles: the kernel's own handle (name_to_handle_at)
 * wrapped in an envelope that names the export and is authenticated with
 * an HMAC (libsodium crypto_auth, HMAC-SHA512-256, truncated to 128 bits
 * as RFC 2104 §5 allows) under a per-installation key in DATA/handle.key.
 * Handles survive restarts (same key, same kernel handle) and cannot be
 * forged or moved to another client's export without the key.
 * Owns the envelope format only; must not know about exports or sockets. */
#ifndef PINETBOOT_NFS_FH_H
#define PINETBOOT_NFS_FH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FH_KEY_LEN 32
#define FH_MAX 64           /* NFS3_FHSIZE, RFC 1813 §2.4 */
#define FH_EID_LEN 7        /* export id: kind|form byte + 6 id bytes */
#define FH_TAG_LEN 16
#define FH_OVERHEAD (1 + FH_EID_LEN + 1 + 1 + FH_TAG_LEN)
#define FH_KERNEL_MAX (FH_MAX - FH_OVERHEAD)
#define FH_VERSION 1

enum { FH_KIND_ROOT = 0, FH_KIND_BOOT = 1 };

/* The kernel handle as carried inside the envelope. */
struct fh_kernel {
	int type;
	uint32_t len;
	uint8_t bytes[FH_KERNEL_MAX];
};

/* Export id of client id + kind: "1234abcd" (serial) or
 * "aa-bb-cc-dd-ee-ff" (MAC). -EINVAL for any other id form. */
int fh_export_id(const char *id, int kind, uint8_t eid[FH_EID_LEN]);
/* Back from an export id to the client id string and kind. */
int fh_export_str(const uint8_t eid[FH_EID_LEN], char id[18], int *ret_kind);

/* Build the envelope. -ENAMETOOLONG if the kernel handle does not fit. */
int fh_encode(const uint8_t key[FH_KEY_LEN], const uint8_t eid[FH_EID_LEN],
	      const struct fh_kernel *k, uint8_t out[FH_MAX], uint32_t *ret_len);
/* Structure only, no authentication: which export does it claim? Used by
 * the event loop to run the access check; fh_decode verifies later.
 * 0 or -EBADMSG. */
int fh_peek_export(const uint8_t *fh, uint32_t len, uint8_t eid[FH_EID_LEN]);
/* Verify and unwrap. 0, -EBADMSG (malformed) or -EPERM (bad HMAC). */
int fh_decode(const uint8_t key[FH_KEY_LEN], const uint8_t *fh, uint32_t len,
	      uint8_t eid[FH_EID_LEN], struct fh_kernel *k);

/* Read DATA/handle.key, creating it (mode 0600, random) if missing.
 * 0 or negative errno. */
int fh_key_load(int data_fd, uint8_t key[FH_KEY_LEN]);

#endif
