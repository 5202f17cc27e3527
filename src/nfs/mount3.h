/* mount3.h - the MOUNT v3 protocol (RFC 1813 Appendix I) on the event
 * loop: its argument decoders (pure, for the fuzzer), the mount list that
 * MOUNT DUMP reports, and the handler. What it needs from the server comes
 * in struct mount3_env (the export table and the clock); it never calls
 * back into the server, and it owns no socket. */
#ifndef PINETBOOT_NFS_MOUNT3_H
#define PINETBOOT_NFS_MOUNT3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "nfs/rpc.h"

#define MNTPATHLEN 1024
#define MOUNT3_TABLE_MAX 512

struct nfs_exports;

/* Who mounted what (MOUNT DUMP; bounded, loop thread only). Zeroed is
 * empty. */
struct mount3_table {
	struct {
		uint32_t addr;
		char path[40];
	} e[MOUNT3_TABLE_MAX];
	size_t n;
};

struct mount3_env {
	struct nfs_exports *x;        /* exports, access rule, handle key */
	struct mount3_table *mounts;
	uint64_t now;                 /* loop clock (ms), for the refusal log */
};

/* MNT/UMNT arguments (dirpath, RFC 1813 Appendix I): 0, or -EBADMSG for
 * a truncated, over-long or NUL-holding path. Pure, for the fuzzer. */
int mount3_decode_path(const uint8_t *p, size_t len, char path[MNTPATHLEN + 1]);
/* "/clients/<id>" or "/boot/<id>", optionally with a directory beneath
 * ("/clients/<id>/home"); *rest is that remainder without its leading
 * '/' ("" for the export itself), pointing into p. 0 or -ENOENT. */
int mount3_parse_path(const char *p, char id[18], int *kind, const char **rest);
/* Answer a MOUNT call (any version) into w. true when the call was an MNT
 * the access rule allowed (the connection is then authorised). */
bool mount3_handle(const struct mount3_env *env, const struct rpc_call *call, uint32_t addr, struct wr *w);

#endif
