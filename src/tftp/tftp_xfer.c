/* tftp_xfer.c - the TFTP read-transfer state machine (see tftp_xfer.h).
 * Owns: option grants, the DATA window, ACK acceptance, the adaptive
 * retransmission timeout and the give-up rule. Must not touch: sockets,
 * the event loop or the clock (time is an argument), logs or events.
 * Sends only through the send callback the server armed it with. */
#include "tftp/tftp_xfer.h"

#include <string.h>

static const char *const state_names[TFTP_XFER_STATE_MAX] = {
	[TFTP_XFER_IDLE] = "idle",
	[TFTP_XFER_OACK_SENT] = "oack-sent",
	[TFTP_XFER_DATA_SENT] = "data-sent",
	[TFTP_XFER_DONE] = "done",
	[TFTP_XFER_ABORTED] = "aborted",
	[TFTP_XFER_FAILED] = "failed",
};

const char *tftp_xfer_state_name(enum tftp_xfer_state s)
{
	return (unsigned)s < TFTP_XFER_STATE_MAX ? state_names[s] : "?";
}

bool tftp_xfer_active(const struct tftp_xfer *x)
{
	return x->state == TFTP_XFER_OACK_SENT || x->state == TFTP_XFER_DATA_SENT;
}

bool tftp_xfer_at_start(const struct tftp_xfer *x)
{
	return x->state == TFTP_XFER_IDLE || x->state == TFTP_XFER_OACK_SENT || x->acked == 0;
}

/* ---- setup ---- */

/* RFC 2348 blksize: at most our limit and what one unfragmented datagram
 * of the interface carries (IP 20 + UDP 8 + TFTP 4 bytes of headers;
 * MTU - 32 like dnsmasq, protocol reference 4.1). */
static uint16_t grant_blksize(unsigned asked, const struct tftp_xfer_offer *of)
{
	unsigned mtu_max = of->mtu > 60 ? of->mtu - 32u : 512u;
	unsigned b = asked;
	if (b > of->max_blksize)
		b = of->max_blksize;
	if (b > mtu_max)
		b = mtu_max;
	return (uint16_t)b;
}

/* RFC 7440 windowsize, clamped to our limit. A netascii stream cannot seek
 * back: the whole window must fit its chunk. */
static uint16_t grant_window(unsigned asked, const struct tftp_xfer_offer *of, uint16_t blksize)
{
	unsigned w = asked;
	if (w > of->max_window)
		w = of->max_window;
	if (of->netascii && w > TFTP_XFER_CHUNK_MAX / blksize)
		w = TFTP_XFER_CHUNK_MAX / blksize;
	return (uint16_t)(w ? w : 1);
}

/* RFC 2347: answer only the options we accept, with our values. */
static void negotiate(struct tftp_xfer *x, const struct tftp_opts *asked, const struct tftp_xfer_offer *of)
{
	struct tftp_opts *o = &x->granted;
	memset(o, 0, sizeof(*o));
	if (asked->has_blksize) {
		o->has_blksize = true;
		o->blksize = x->blksize = grant_blksize(asked->blksize, of);
	}
	/* RFC 2349 defines tsize as the size of the file; a netascii stream
	 * is longer, and its length is known only once converted. Like
	 * tftp-hpa, netascii transfers do not acknowledge tsize. */
	if (asked->has_tsize && !of->netascii) {
		o->has_tsize = true;
		o->tsize = x->src.size;
	}
	if (asked->has_timeout) {
		o->has_timeout = true;
		o->timeout = asked->timeout;
		x->fixed_rto_us = (uint64_t)asked->timeout * 1000000u;
	}
	if (asked->has_windowsize) {
		o->has_windowsize = true;
		o->windowsize = x->window = grant_window(asked->windowsize, of, x->blksize);
	}
	x->has_oack = o->has_blksize || o->has_tsize || o->has_timeout || o->has_windowsize;
}

void tftp_xfer_init(struct tftp_xfer *x, const struct tftp_open *src, const struct tftp_opts *asked,
		    const struct tftp_xfer_offer *offer, const struct tftp_xfer_limits *lim,
		    tftp_xfer_send_fn send, void *owner, uint64_t now_us)
{
	memset(x, 0, sizeof(*x));
	x->state = TFTP_XFER_IDLE;
	x->src = *src;
	x->lim = lim;
	x->send = send;
	x->owner = owner;
	x->blksize = TFTP_BLKSIZE_DEFAULT;
	x->window = 1;
	x->rto_us = TFTP_XFER_RTO_INITIAL_US;
	x->start_us = x->last_progress_us = now_us;
	negotiate(x, asked, offer);
	/* The chunk holds a window (a netascii stream must), at least
	 * CHUNK_MIN for fewer preads, at most CHUNK_MAX per transfer. */
	bool netascii = offer->netascii;
	size_t cap = (size_t)x->blksize * x->window;
	if (cap < TFTP_XFER_CHUNK_MIN)
		cap = (TFTP_XFER_CHUNK_MIN / x->blksize + 1) * x->blksize;
	if (cap > TFTP_XFER_CHUNK_MAX && !netascii)
		cap = TFTP_XFER_CHUNK_MAX;
	tftp_stream_init(&x->st, &x->src, netascii, x->blksize, cap);
}

void tftp_xfer_free(struct tftp_xfer *x)
{
	tftp_stream_free(&x->st);
	tftp_open_release(&x->src);
	x->src.fd = -1;
}

/* ---- sending ---- */

static void fail(struct tftp_xfer *x, const char *why, bool quiet, bool tell_client)
{
	x->state = TFTP_XFER_FAILED;
	x->why = why;
	x->quiet = quiet;
	if (tell_client) {
		uint8_t buf[200];
		int n = tftp_build_error(buf, sizeof(buf), TFTP_EUNDEF, why);
		if (n > 0)
			x->send(x->owner, buf, (size_t)n, NULL, 0);
	}
}

/* Send blocks from..to (inclusive, absolute). The wire number is the low
 * 16 bits: block 65535 is followed by 0, as dnsmasq does and as Pi EEPROMs
 * since 2025-09-23 expect (protocol reference 4.1, rpi-eeprom#720).
 * False when the transfer failed. */
static bool send_blocks(struct tftp_xfer *x, uint64_t from, uint64_t to)
{
	/* A netascii stream learns its last block while converting: stop there. */
	for (uint64_t b = from; b <= to && b <= tftp_stream_nblocks(&x->st); b++) {
		const uint8_t *payload;
		ssize_t n = tftp_stream_block(&x->st, b, x->acked + 1, &payload);
		if (n < 0) {
			fail(x, "file changed or unreadable during transfer", false, true);
			return false;
		}
		uint8_t hdr[4];
		tftp_build_data_hdr(hdr, sizeof(hdr), (uint16_t)b);
		x->send(x->owner, hdr, sizeof(hdr), payload, (size_t)n);
	}
	uint64_t last = tftp_stream_nblocks(&x->st);
	if (to > last)
		to = last;
	if (to > x->sent)
		x->sent = to;
	return true;
}

static uint64_t window_end(const struct tftp_xfer *x)
{
	uint64_t end = x->acked + x->window, last = tftp_stream_nblocks(&x->st);
	return end > last ? last : end;
}

static void send_oack(struct tftp_xfer *x)
{
	uint8_t buf[256];
	int n = tftp_build_oack(buf, sizeof(buf), &x->granted);
	if (n > 0)
		x->send(x->owner, buf, (size_t)n, NULL, 0);
}

static void arm(struct tftp_xfer *x, uint64_t now)
{
	x->deadline_us = now + (x->fixed_rto_us ? x->fixed_rto_us : x->rto_us);
}

/* ---- timing (RFC 6298 estimator, Karn's rule) ---- */

static void rtt_sample(struct tftp_xfer *x, uint64_t now)
{
	int64_t r = (int64_t)(now - x->timed_at_us);
	if (x->srtt_us == 0) {
		x->srtt_us = r;
		x->rttvar_us = r / 2;
	} else {
		int64_t d = x->srtt_us - r;
		x->rttvar_us += ((d < 0 ? -d : d) - x->rttvar_us) / 4;
		x->srtt_us += (r - x->srtt_us) / 8;
	}
	uint64_t rto = (uint64_t)(x->srtt_us + 4 * x->rttvar_us + 2000);
	uint64_t min = (uint64_t)x->lim->min_rto_ms * 1000u;
	x->rto_us = rto < min ? min : rto > TFTP_XFER_RTO_MAX_US ? TFTP_XFER_RTO_MAX_US : rto;
	x->timing = false;
}

/* The armed retry: resend what the client has not acknowledged, with the
 * timeout doubled (RFC 6298 5.5) and no RTT sample from it (Karn). */
static void retry(struct tftp_xfer *x, uint64_t now)
{
	x->retransmits++;
	x->timing = false;
	x->rto_us = x->rto_us * 2 > TFTP_XFER_RTO_MAX_US ? TFTP_XFER_RTO_MAX_US : x->rto_us * 2;
	if (x->state == TFTP_XFER_OACK_SENT)
		send_oack(x);
	else if (!send_blocks(x, x->acked + 1, window_end(x)))
		return;
	arm(x, now);
}

/* ---- events ---- */

static void on_start(struct tftp_xfer *x, uint64_t now)
{
	x->timing = true;
	x->timed_at_us = x->start_us;
	if (x->has_oack) {
		x->state = TFTP_XFER_OACK_SENT;
		x->timed_block = 0;
		send_oack(x);
	} else {
		x->state = TFTP_XFER_DATA_SENT;
		x->timed_block = 1;
		if (!send_blocks(x, 1, window_end(x)))
			return;
	}
	arm(x, now);
}

/* False when the ACK must be ignored. Our window never exceeds 65535
 * blocks, so the 16-bit wire number maps onto the one absolute block in
 * (acked, acked + 65535]. A duplicate or stale ACK is never answered:
 * answering it is the Sorcerer's Apprentice bug (RFC 1123 4.2.3.1). */
static bool ack_accept(struct tftp_xfer *x, uint16_t wire, uint64_t now)
{
	if (x->state == TFTP_XFER_OACK_SENT) {
		if (wire != 0)
			return false;
		x->state = TFTP_XFER_DATA_SENT;
		if (x->timing)
			rtt_sample(x, now);
		return true;
	}
	uint64_t abs = x->acked + (uint16_t)(wire - (uint16_t)x->acked);
	if (abs > x->sent || abs == x->acked)
		return false;
	if (x->timing && abs >= x->timed_block)
		rtt_sample(x, now);
	x->acked = abs;
	if (x->acked == tftp_stream_nblocks(&x->st))
		x->state = TFTP_XFER_DONE;
	return true;
}

static void on_ack(struct tftp_xfer *x, uint16_t wire, uint64_t now)
{
	if (!ack_accept(x, wire, now) || x->state == TFTP_XFER_DONE)
		return;
	x->last_progress_us = now;
	/* RFC 7440: an ACK inside the window means the rest of it was lost;
	 * restart the window after the acknowledged block. */
	uint64_t from = x->acked + 1, to = window_end(x);
	if (!x->timing) {
		x->timing = true;
		x->timed_block = to;
		x->timed_at_us = now;
	}
	if (send_blocks(x, from, to))
		arm(x, now);
}

/* Pi 4/5 firmware and bootcode.bin probe a file's size with tsize and
 * abort with "Early terminate" right after the OACK or block 1 (protocol
 * reference 4.1): an expected ending. */
static void on_error(struct tftp_xfer *x)
{
	x->quiet = x->state == TFTP_XFER_OACK_SENT || x->acked <= 1;
	x->state = TFTP_XFER_ABORTED;
}

static void on_timeout(struct tftp_xfer *x, uint64_t now)
{
	if (x->deadline_us > now)
		return;
	if (now - x->last_progress_us > (uint64_t)x->lim->give_up_s * 1000000u) {
		/* A client that never ACKs our OACK usually just wanted the size
		 * (a probe) and went away without saying so. */
		if (x->state == TFTP_XFER_OACK_SENT)
			fail(x, "client went away after the option ack", true, false);
		else
			fail(x, "timed out, client stopped answering", false, false);
		return;
	}
	retry(x, now);
}

enum tftp_xfer_state tftp_xfer_transition(struct tftp_xfer *x, enum tftp_xfer_event ev, uint16_t block,
					  uint64_t now_us)
{
	if (ev == TFTP_XFER_EV_START) {
		if (x->state == TFTP_XFER_IDLE)
			on_start(x, now_us);
		return x->state;
	}
	if (!tftp_xfer_active(x))
		return x->state;
	switch (ev) {
	case TFTP_XFER_EV_ACK:
		on_ack(x, block, now_us);
		break;
	case TFTP_XFER_EV_ERROR:
		on_error(x);
		break;
	case TFTP_XFER_EV_TIMEOUT:
		on_timeout(x, now_us);
		break;
	default:
		break;
	}
	return x->state;
}
