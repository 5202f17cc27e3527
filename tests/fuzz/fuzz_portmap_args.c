/* fuzz_portmap_args.c - libFuzzer target for the portmapper v2 arguments
 * (src/nfs/portmap.c): struct mapping as GETPORT/SET/UNSET send it, alone
 * and inside a whole call message through rpc_parse_call. Invariants:
 * decoding succeeds exactly when 16 bytes are there, and reads no byte
 * past the arguments (exact-size copies for ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nfs/nfs3.h"
#include "nfs/portmap.h"
#include "nfs/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void decode(const uint8_t *p, size_t n)
{
	struct pmap_mapping m;
	int r = portmap_decode_mapping(p, n, &m);
	check((r == 0) == (n >= 16));
	if (r == 0)
		check(m.prog == be32(p) && m.vers == be32(p + 4) && m.prot == be32(p + 8) &&
		      m.port == be32(p + 12));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *q = malloc(size ? size : 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	decode(q, size);
	struct rpc_call call;
	if (rpc_parse_call(q, size, &call) == 0) {
		check(call.args >= q && call.args + call.args_len <= q + size);
		if (call.prog == PMAP_PROGRAM) {
			/* a copy of exactly the arguments, as the handler sees */
			uint8_t *a = malloc(call.args_len ? call.args_len : 1);
			if (a) {
				memcpy(a, call.args, call.args_len);
				decode(a, call.args_len);
				free(a);
			}
		}
	}
	free(q);
	return 0;
}
