/* fuzz_nfs_args.c - libFuzzer target for the argument decoders of all 22
 * NFSv3 procedures (src/nfs/nfs3_args.c) and the AUTH_SYS body parser.
 * The first byte picks the procedure; the rest is the argument list, read
 * from an exact-size copy so ASan sees any over-read. Decoded names must be
 * NUL-terminated and flagged when they hold '/' or NUL; handles and WRITE
 * data must stay within their limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/nfs3.h"
#include "nfs/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void check_name(const struct nfs_name *n)
{
	size_t l = strnlen(n->s, sizeof(n->s));
	check(l < sizeof(n->s));
	if (n->err == 0 && l)
		check(!memchr(n->s, '/', l));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nfs3_args a;
	if (size < 1)
		return 0;
	uint32_t proc = data[0] % NFS3_PROC_MAX;
	uint8_t *q = malloc(size);
	if (!q)
		return 0;
	memcpy(q, data + 1, size - 1);
	if (nfs3_decode(proc, q, size - 1, &a) == 0) {
		check(a.fh.len <= FH_MAX && a.fh2.len <= FH_MAX);
		check_name(&a.name);
		check_name(&a.name2);
		check(strnlen(a.path, sizeof(a.path)) < sizeof(a.path));
		if (proc == NFS3_WRITE)
			check(a.count <= NFS3_MAX_IO && a.data >= q && a.data + a.count <= q + size - 1);
	}
	struct rpc_cred cred;
	if (rpc_parse_auth_sys(q, size - 1, &cred) == 0)
		check(cred.ngids <= RPC_GIDS_MAX);
	free(q);
	return 0;
}
