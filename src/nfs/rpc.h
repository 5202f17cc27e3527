/* rpc.h - ONC RPC version 2 (RFC 5531): call header parsing, reply header
 * building, AUTH_SYS / AUTH_NONE credentials and TCP record marking (§11)
 * with fragment reassembly under a size cap. Pure: bytes in, structs out,
 * negative errno back; no sockets, no logging above debug.
 *
 * Owns: the ONC RPC wire format. Must not touch: sockets and NFS semantics.
 */
#ifndef PINETBOOT_NFS_RPC_H
#define PINETBOOT_NFS_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum {
	RPC_CALL = 0,
	RPC_REPLY = 1,
	RPC_VERSION = 2,
	RPC_MSG_ACCEPTED = 0,
	RPC_MSG_DENIED = 1,
	RPC_SUCCESS = 0,
	RPC_PROG_UNAVAIL = 1,
	RPC_PROG_MISMATCH = 2,
	RPC_PROC_UNAVAIL = 3,
	RPC_GARBAGE_ARGS = 4,
	RPC_SYSTEM_ERR = 5,
	RPC_MISMATCH = 0,
	RPC_AUTH_ERROR = 1,
	AUTH_BADCRED = 1,
	AUTH_REJECTEDCRED = 2,
	AUTH_NONE = 0,
	AUTH_SYS = 1,
};

#define RPC_AUTH_MAX 400        /* RFC 5531 §8.2: opaque body<400> */
#define RPC_MACHINE_MAX 255     /* §A.1 machinename<255> */
#define RPC_GIDS_MAX 16         /* §A.1 gids<16> */
#define RPC_NOBODY 65534u

struct rpc_cred {
	uint32_t flavor;
	uint32_t uid, gid;
	uint32_t ngids;
	uint32_t gids[RPC_GIDS_MAX];
};

struct rpc_call {
	uint32_t xid;
	uint32_t prog, vers, proc;
	struct rpc_cred cred;
	const uint8_t *args;    /* points into the message */
	size_t args_len;
};

/* Parse a call message. Returns 0; -EBADMSG when not even a call header
 * (drop silently); -EPROTO for a wrong RPC version (answer RPC_MISMATCH);
 * -EACCES for a malformed or unsupported credential (answer AUTH_ERROR).
 * call->xid is valid whenever the result is not -EBADMSG. */
int rpc_parse_call(const uint8_t *p, size_t len, struct rpc_call *call);
/* Decode an AUTH_SYS body (exposed for tests and the fuzzer). */
int rpc_parse_auth_sys(const uint8_t *p, size_t len, struct rpc_cred *cred);

/* Reply headers. accept_stat SUCCESS is followed by the procedure's result,
 * which the caller appends. */
void rpc_put_accepted(struct wr *w, uint32_t xid, uint32_t accept_stat);
void rpc_put_prog_mismatch(struct wr *w, uint32_t xid, uint32_t low, uint32_t high);
void rpc_put_rpc_mismatch(struct wr *w, uint32_t xid);
void rpc_put_auth_error(struct wr *w, uint32_t xid, uint32_t why);
/* Size of an accepted reply header (what rpc_put_accepted writes). */
#define RPC_REPLY_HDR 24

/* TCP record marking (RFC 5531 §11): a 4-byte header per fragment, high
 * bit = last fragment, low 31 bits = length. Fragments are joined into one
 * record of at most max bytes; the buffer grows (geometrically, never past
 * the current fragment's end) only as data arrives, so a header promising
 * 1 MiB costs nothing until the bytes come. */
struct rpc_rec {
	uint8_t hdr[4];
	uint8_t hdr_got;
	bool in_frag, last;
	uint32_t frag_left;
	uint8_t *buf;
	size_t len, cap, max;
};

void rpc_rec_init(struct rpc_rec *r, size_t max);
/* Consume up to n bytes from p; *used tells how many. Returns 1 when a whole
 * record is in r->buf/r->len (take it with rpc_rec_take or call
 * rpc_rec_reset), 0 when more bytes are needed, -EMSGSIZE when the record
 * would exceed the cap, -ENOMEM. */
int rpc_rec_feed(struct rpc_rec *r, const uint8_t *p, size_t n, size_t *used);
/* Inside a fragment body: where the next bytes of it go and how many fit
 * there now (at most what is still due; the buffer is grown first when
 * full), so a caller can read() straight into the record (no copy).
 * NULL when the next bytes are a fragment header (or memory ran out). */
uint8_t *rpc_rec_space(struct rpc_rec *r, size_t *ret_len);
/* n bytes were written at rpc_rec_space(): 1 if the record is complete. */
int rpc_rec_advance(struct rpc_rec *r, size_t n);
/* Hand the finished record's buffer to the caller (who frees it). */
uint8_t *rpc_rec_take(struct rpc_rec *r, size_t *ret_len);
void rpc_rec_reset(struct rpc_rec *r);
void rpc_rec_free(struct rpc_rec *r);

#endif
