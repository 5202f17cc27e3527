/* fuzz_rpc.c - libFuzzer target for ONC RPC record marking and call
 * parsing (src/nfs/rpc.c). The input is fed to the TCP record reassembler
 * in pieces whose sizes come from the input itself (with the high bit of
 * the first byte, fragment bodies go through rpc_rec_space/advance, as the
 * server reads big WRITEs); every complete record
 * goes through rpc_parse_call and, for NFS/MOUNT/portmap calls, through the
 * NFSv3 argument decoder of its procedure. The record cap must hold and
 * parsed credentials must be inside the RFC 5531 limits. */
#include <stdbool.h>
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

static void one_record(const uint8_t *msg, size_t len)
{
	struct rpc_call c;
	static struct nfs3_args a;
	uint8_t *q = malloc(len ? len : 1);
	if (!q)
		return;
	if (len)
		memcpy(q, msg, len);
	int r = rpc_parse_call(q, len, &c);
	if (r == 0) {
		check(c.cred.ngids <= RPC_GIDS_MAX);
		check(c.args + c.args_len == q + len);
		if (c.prog == NFS_PROGRAM)
			(void)nfs3_decode(c.proc % NFS3_PROC_MAX, c.args, c.args_len, &a);
	}
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* Whole input as one UDP datagram. */
	one_record(data + 1, size - 1);
	/* And as a TCP byte stream, cut into pieces of 1..step bytes. */
	size_t step = (size_t)data[0] + 1, off = 1;
	struct rpc_rec rec;
	rpc_rec_init(&rec, 4096);
	bool direct = data[0] & 0x80; /* the server's read-into-the-record path */
	while (off < size) {
		size_t n = size - off < step ? size - off : step, used, want;
		uint8_t *dst = direct ? rpc_rec_space(&rec, &want) : NULL;
		if (dst) {
			size_t k = n < want ? n : want;
			memcpy(dst, data + off, k);
			off += k;
			check(rec.len + k <= rec.cap);
			if (rpc_rec_advance(&rec, k) == 1) {
				size_t len;
				uint8_t *m = rpc_rec_take(&rec, &len);
				one_record(m, len);
				free(m);
			}
			continue;
		}
		int r = rpc_rec_feed(&rec, data + off, n, &used);
		check(used <= n);
		check(rec.len <= 4096);
		off += used;
		if (r < 0)
			break;
		if (r == 1) {
			size_t len;
			uint8_t *m = rpc_rec_take(&rec, &len);
			one_record(m, len);
			free(m);
		} else if (used == 0) {
			break;
		}
	}
	rpc_rec_free(&rec);
	return 0;
}
