/* probe_tftp.h - the TFTP client of a simulated Pi: one RRQ, one transfer.
 *
 * Lock-step like the real firmware (no windowsize, doc 4.1), each request
 * from a new ephemeral port, RRQ resent every 2 s until the first reply,
 * the last ACK resent after 1 s of silence, a whole-file limit of
 * TFTP_FILE_TIMEOUT (30 s). The server's replies are checked strictly.
 *
 * Owns: the probe's TFTP client interface. Must not touch: DHCP and the file sequence.
 */
#ifndef PINETBOOT_PROBE_TFTP_H
#define PINETBOOT_PROBE_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_TFTP_FILE_TIMEOUT_MS 30000u  /* TFTP_FILE_TIMEOUT default (doc 4.1) */
#define PROBE_TFTP_RRQ_RETRY_MS 2000u      /* Pi 4 RRQ resend interval [EE#74] */
#define PROBE_TFTP_ACK_RETRY_MS 1000u

enum probe_tftp_mode {
	PROBE_TFTP_GET,          /* download the whole file */
	PROBE_TFTP_PROBE_OACK,   /* Pi 4/5 existence probe: OACK -> ERROR 0 "Early terminate" */
	PROBE_TFTP_PROBE_DATA1,  /* bootcode.bin probe: OACK -> ACK 0 -> DATA 1 -> ERROR 0 [FW#1041] */
};

enum probe_tftp_status {
	PROBE_TFTP_OK,           /* downloaded, or probe found the file */
	PROBE_TFTP_NOTFOUND,     /* ERROR 1 before any data */
	PROBE_TFTP_EREMOTE,      /* any other ERROR from the server */
	PROBE_TFTP_TIMEOUT,
	PROBE_TFTP_PROTO,        /* the server broke the protocol: see problem */
	PROBE_TFTP_ELOCAL,       /* our socket failed */
};

/* Called for every new payload in order; off is the file offset. */
typedef void probe_tftp_sink_fn(void *arg, uint64_t off, const uint8_t *p, size_t n);

struct probe_tftp_req {
	const char *path;
	uint32_t server_ip;       /* network order */
	uint32_t src_ip;          /* bind to this address (network order), 0 = any */
	uint16_t port;            /* host order, normally 69 */
	const char *ifname;       /* SO_BINDTODEVICE when non-empty */
	bool opt_tsize;           /* ask "tsize 0" */
	uint16_t blksize;         /* ask "blksize N"; 0 = do not ask (512) */
	enum probe_tftp_mode mode;
	uint64_t deadline;        /* absolute probe_now_ms() limit, 0 = none */
	unsigned file_timeout_ms, rrq_retry_ms, ack_retry_ms; /* 0 = defaults */
	probe_tftp_sink_fn *sink;
	void *sink_arg;
};

struct probe_tftp_res {
	enum probe_tftp_status status;
	uint16_t err_code;        /* for EREMOTE / NOTFOUND */
	char err_msg[100];        /* escaped server text */
	char problem[200];        /* for PROTO / TIMEOUT / ELOCAL */
	bool got_oack, has_tsize;
	bool no_oack;             /* options were asked but the first reply was DATA */
	uint64_t tsize;
	uint16_t blksize;         /* in effect */
	uint64_t bytes;
	uint32_t blocks;
	uint64_t ms, us;          /* RRQ to completion */
	unsigned rrq_sent, acks_resent, dups, foreign;
	uint16_t local_port;
};

int probe_tftp_fetch(const struct probe_tftp_req *rq, struct probe_tftp_res *res);

/* Check an OACK against what we asked (RFC 2347: the server may only
 * acknowledge options the client sent; RFC 2348: blksize <= requested;
 * RFC 2349: tsize is a decimal size). Fills the acknowledged values.
 * 0, or -EPROTO with a reason in why. */
int probe_tftp_check_oack(const uint8_t *pkt, size_t len, bool asked_tsize, uint16_t asked_blksize,
			  bool *ret_has_tsize, uint64_t *ret_tsize, uint16_t *ret_blksize,
			  char *why, size_t whycap);

const char *probe_tftp_status_name(enum probe_tftp_status s);

#endif
