/* fuzz_mount_args.c - libFuzzer target for the MOUNT v3 arguments
 * (src/nfs/mount3.c): the whole call message through rpc_parse_call, the
 * dirpath decoder of MNT/UMNT and the export-path parser behind MNT's
 * access check. Invariants: a decoded path is NUL-terminated and holds no
 * NUL; a parsed export names a valid client id (8 hex digits or a
 * dash-separated MAC), one of the two kinds, and a rest that lies inside
 * the path and never starts with '/'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/fh.h"
#include "nfs/mount3.h"
#include "nfs/nfs3.h"
#include "nfs/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void decode_and_parse(const uint8_t *p, size_t n)
{
	char path[MNTPATHLEN + 1];
	if (mount3_decode_path(p, n, path) < 0)
		return;
	size_t l = strnlen(path, sizeof(path));
	check(l < sizeof(path));
	char id[18];
	int kind = -1;
	const char *rest = NULL;
	if (mount3_parse_path(path, id, &kind, &rest) < 0)
		return;
	uint8_t eid[FH_EID_LEN];
	check(kind == FH_KIND_ROOT || kind == FH_KIND_BOOT);
	check(fh_export_id(id, kind, eid) == 0);
	check(rest >= path && rest <= path + l && *rest != '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copy so ASan sees any over-read. */
	uint8_t *q = malloc(size ? size : 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	/* As bare arguments ... */
	decode_and_parse(q, size);
	/* ... and as a whole call message, the way the server reads it. */
	struct rpc_call call;
	if (rpc_parse_call(q, size, &call) == 0) {
		check(call.args >= q && call.args + call.args_len <= q + size);
		decode_and_parse(call.args, call.args_len);
	}
	free(q);
	return 0;
}
