/* tftp_xfer.h - one TFTP read transfer as a state machine: the option
 * negotiation, the window of DATA blocks, ACK handling, retransmission with
 * an adaptive timeout, and giving up.
 * Owns: the transfer's open file and block stream, its protocol counters
 * and its deadline. Must not touch: sockets, the event loop, the clock
 * (every call takes `now`), logging or boot events - the caller
 * (tftp_server.c) does those from the state a transition leaves. */
#ifndef PINETBOOT_TFTP_XFER_H
#define PINETBOOT_TFTP_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tftp/tftp_fs.h"
#include "tftp/tftp_proto.h"
#include "tftp/tftp_stream.h"

#define TFTP_XFER_RTO_INITIAL_US 200000u  /* before the first RTT sample */
#define TFTP_XFER_RTO_MAX_US 2000000u     /* backoff ceiling */
#define TFTP_XFER_CHUNK_MIN (16u * 1024u)  /* stream chunk bounds (bytes) */
#define TFTP_XFER_CHUNK_MAX (1024u * 1024u)

enum tftp_xfer_state {
	TFTP_XFER_IDLE,       /* set up, nothing sent yet */
	TFTP_XFER_OACK_SENT,  /* waiting for ACK 0 of our OACK (RFC 2347) */
	TFTP_XFER_DATA_SENT,  /* a window of DATA is out, waiting for its ACK */
	TFTP_XFER_DONE,       /* the last block was acknowledged */
	TFTP_XFER_ABORTED,    /* the client sent an ERROR */
	TFTP_XFER_FAILED,     /* gave up, or the file became unreadable */
	TFTP_XFER_STATE_MAX
};

enum tftp_xfer_event {
	TFTP_XFER_EV_START,   /* send the OACK, or the first window */
	TFTP_XFER_EV_ACK,     /* an ACK arrived (block = its wire number) */
	TFTP_XFER_EV_ERROR,   /* an ERROR arrived from the client */
	TFTP_XFER_EV_TIMEOUT, /* the clock moved: retransmit or give up if due */
	TFTP_XFER_EV_MAX
};

/* Live limits, owned by the caller (they may change while transfers run). */
struct tftp_xfer_limits {
	unsigned min_rto_ms;  /* floor of the adaptive timeout */
	unsigned give_up_s;   /* no progress for this long: give up */
};

/* What the server may grant, and the link it will send on. */
struct tftp_xfer_offer {
	bool netascii;
	unsigned mtu;         /* of the interface the request came in on */
	unsigned max_blksize;
	unsigned max_window;
};

/* Hands one datagram (hdr then payload) to the wire. Called from inside
 * tftp_xfer_transition; it must not free the transfer. */
typedef void (*tftp_xfer_send_fn)(void *owner, const uint8_t *hdr, size_t hlen,
				  const uint8_t *payload, size_t plen);

struct tftp_xfer {
	enum tftp_xfer_state state;
	struct tftp_open src;     /* owned: closed by tftp_xfer_free */
	struct tftp_stream st;    /* the blocks of src */
	const struct tftp_xfer_limits *lim;
	tftp_xfer_send_fn send;
	void *owner;
	uint16_t blksize, window;
	struct tftp_opts granted; /* what our OACK says, for retransmission */
	bool has_oack;            /* some option was granted: START sends an OACK */
	uint64_t acked, sent;     /* absolute block numbers (no 16-bit wrap) */
	uint64_t start_us, last_progress_us, deadline_us;
	uint64_t rto_us, fixed_rto_us; /* fixed: RFC 2349 timeout option, 0 = adaptive */
	bool timing;              /* an RTT sample is being taken */
	uint64_t timed_block, timed_at_us;
	int64_t srtt_us, rttvar_us;
	unsigned retransmits;
	/* Set when the state becomes terminal: */
	const char *why;          /* FAILED: static reason */
	bool quiet;               /* FAILED/ABORTED: an expected ending, not a problem */
};

/* Take ownership of src (also on later failure: tftp_xfer_free releases
 * it), negotiate the options the client asked for (RFC 2347) and size the
 * stream. lim must outlive the transfer. State: IDLE. */
void tftp_xfer_init(struct tftp_xfer *x, const struct tftp_open *src, const struct tftp_opts *asked,
		    const struct tftp_xfer_offer *offer, const struct tftp_xfer_limits *lim,
		    tftp_xfer_send_fn send, void *owner, uint64_t now_us);

/* The one transition function. block is the ACK's wire number (ignored for
 * other events). Packets go out through send; returns the new state. An
 * event that does not apply (a duplicate or stale ACK, a timeout that is
 * not due, anything after a terminal state) changes nothing. */
enum tftp_xfer_state tftp_xfer_transition(struct tftp_xfer *x, enum tftp_xfer_event ev, uint16_t block,
					  uint64_t now_us);

/* OACK_SENT or DATA_SENT: waiting for the client, deadline_us is armed. */
bool tftp_xfer_active(const struct tftp_xfer *x);

/* Nothing acknowledged yet: a repeated request from the same client port
 * means our first packet was lost (the retransmit timer resends it). */
bool tftp_xfer_at_start(const struct tftp_xfer *x);

const char *tftp_xfer_state_name(enum tftp_xfer_state s);

/* Release the stream and the file. Calling it twice is harmless. */
void tftp_xfer_free(struct tftp_xfer *x);

#endif
