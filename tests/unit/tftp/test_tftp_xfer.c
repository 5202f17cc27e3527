/* test_tftp_xfer.c - the TFTP transfer state machine with a fake clock and
 * no sockets: lock-step and OACK starts, retransmission and backoff, the
 * adaptive timeout (RFC 6298, Karn), windowsize with partial ACKs
 * (RFC 7440), block numbers wrapping past 65535, duplicate and stale ACKs
 * never answered (RFC 1123 4.2.3.1), an ERROR from the client, giving up,
 * a file that shrinks mid-transfer, and the option grants. Every packet the
 * transfer sends is captured and decoded with tftp_proto. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp/tftp_proto.h"
#include "tftp/tftp_xfer.h"

#define MS 1000u
#define SEC 1000000u
#define MAXPKT 512

/* One captured datagram, decoded. */
struct pkt {
	uint16_t op;
	uint16_t block;      /* DATA */
	size_t plen;         /* DATA payload length */
	uint8_t first;       /* DATA: first payload byte */
	struct tftp_opts oack;
	uint16_t code;       /* ERROR */
	char msg[128];
};

struct sink {
	struct pkt p[MAXPKT];
	size_t n;
	uint64_t data_pkts;  /* counted even past MAXPKT */
	uint16_t last_block;
};

static void sink_send(void *owner, const uint8_t *hdr, size_t hlen, const uint8_t *payload, size_t plen)
{
	struct sink *s = owner;
	uint8_t buf[70000];
	assert_true(hlen + plen <= sizeof(buf));
	memcpy(buf, hdr, hlen);
	if (plen)
		memcpy(buf + hlen, payload, plen);
	struct pkt k;
	memset(&k, 0, sizeof(k));
	k.op = tftp_opcode(buf, hlen + plen);
	if (k.op == TFTP_DATA) {
		const uint8_t *pl;
		assert_int_equal(tftp_parse_data(buf, hlen + plen, &k.block, &pl, &k.plen), 0);
		k.first = k.plen ? pl[0] : 0;
		s->data_pkts++;
		s->last_block = k.block;
	} else if (k.op == TFTP_OACK) {
		assert_int_equal(tftp_parse_oack(buf, hlen + plen, &k.oack), 0);
	} else {
		assert_int_equal(k.op, TFTP_ERROR);
		assert_int_equal(tftp_parse_error(buf, hlen + plen, &k.code, k.msg, sizeof(k.msg)), 0);
	}
	if (s->n < MAXPKT)
		s->p[s->n++] = k;
}

static struct tftp_xfer_limits lim = { .min_rto_ms = 10, .give_up_s = 5 };
static const struct tftp_xfer_offer offer = {
	.netascii = false, .mtu = 1500, .max_blksize = 1468, .max_window = 64,
};

/* A source of size bytes held in memory; byte i is (i / 8) & 0xff so a
 * block's first byte tells which block it is. */
static struct tftp_open blob_src(size_t size)
{
	struct tftp_open o;
	memset(&o, 0, sizeof(o));
	o.fd = -1;
	o.blob = malloc(size ? size : 1);
	assert_non_null(o.blob);
	for (size_t i = 0; i < size; i++)
		o.blob[i] = (uint8_t)(i / 8);
	o.size = size;
	return o;
}

static void start(struct tftp_xfer *x, struct sink *s, size_t size, const struct tftp_opts *asked,
		  const struct tftp_xfer_offer *of, uint64_t now)
{
	struct tftp_opts none;
	memset(&none, 0, sizeof(none));
	memset(s, 0, sizeof(*s));
	struct tftp_open src = blob_src(size);
	tftp_xfer_init(x, &src, asked ? asked : &none, of ? of : &offer, &lim, sink_send, s, now);
	assert_int_equal(x->state, TFTP_XFER_IDLE);
	tftp_xfer_transition(x, TFTP_XFER_EV_START, 0, now);
}

static enum tftp_xfer_state ack(struct tftp_xfer *x, uint16_t b, uint64_t now)
{
	return tftp_xfer_transition(x, TFTP_XFER_EV_ACK, b, now);
}

static enum tftp_xfer_state tick(struct tftp_xfer *x, uint64_t now)
{
	return tftp_xfer_transition(x, TFTP_XFER_EV_TIMEOUT, 0, now);
}

static void assert_data(const struct sink *s, size_t i, uint16_t block, size_t plen)
{
	assert_true(i < s->n);
	assert_int_equal(s->p[i].op, TFTP_DATA);
	assert_int_equal(s->p[i].block, block);
	assert_int_equal(s->p[i].plen, plen);
}

/* ---- lock-step ---- */

static void t_lockstep(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	(void)state;
	start(&x, &s, 1000, NULL, NULL, 0);
	assert_int_equal(x.state, TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 1);
	assert_data(&s, 0, 1, 512);
	assert_int_equal(s.p[0].first, 0);
	assert_int_equal(ack(&x, 1, 5 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 2);
	assert_data(&s, 1, 2, 488);
	assert_int_equal(s.p[1].first, 512 / 8);
	assert_int_equal(ack(&x, 2, 10 * MS), TFTP_XFER_DONE);
	assert_int_equal(s.n, 2); /* nothing after the last ACK */
	assert_int_equal(x.retransmits, 0);
	/* A terminal transfer ignores everything. */
	assert_int_equal(ack(&x, 2, 11 * MS), TFTP_XFER_DONE);
	assert_int_equal(tick(&x, 100 * SEC), TFTP_XFER_DONE);
	assert_int_equal(s.n, 2);
	tftp_xfer_free(&x);
	tftp_xfer_free(&x); /* twice is harmless */
}

/* A file that is an exact multiple of the block size ends with an empty
 * block (RFC 1350 section 6); an empty file is one empty block. */
static void t_exact_multiple_and_empty(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	(void)state;
	start(&x, &s, 1024, NULL, NULL, 0);
	ack(&x, 1, MS);
	ack(&x, 2, 2 * MS);
	assert_int_equal(s.n, 3);
	assert_data(&s, 2, 3, 0);
	assert_int_equal(ack(&x, 3, 3 * MS), TFTP_XFER_DONE);
	tftp_xfer_free(&x);

	start(&x, &s, 0, NULL, NULL, 0);
	assert_int_equal(s.n, 1);
	assert_data(&s, 0, 1, 0);
	assert_int_equal(ack(&x, 1, MS), TFTP_XFER_DONE);
	tftp_xfer_free(&x);
}

/* ---- options ---- */

static void t_oack_start(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	struct tftp_opts asked = { .has_blksize = true, .blksize = 65464, .has_tsize = true };
	(void)state;
	start(&x, &s, 5000, &asked, NULL, 0);
	assert_int_equal(x.state, TFTP_XFER_OACK_SENT);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.p[0].op, TFTP_OACK);
	assert_true(s.p[0].oack.has_blksize);
	assert_int_equal(s.p[0].oack.blksize, 1468);
	assert_true(s.p[0].oack.has_tsize);
	assert_int_equal(s.p[0].oack.tsize, 5000);
	assert_false(s.p[0].oack.has_windowsize);
	assert_true(tftp_xfer_at_start(&x));
	/* Only ACK 0 acknowledges an OACK. */
	assert_int_equal(ack(&x, 1, MS), TFTP_XFER_OACK_SENT);
	assert_int_equal(s.n, 1);
	assert_int_equal(ack(&x, 0, 2 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 2);
	assert_data(&s, 1, 1, 1468);
	assert_true(tftp_xfer_at_start(&x)); /* nothing acknowledged yet */
	ack(&x, 1, 3 * MS);
	assert_false(tftp_xfer_at_start(&x));
	tftp_xfer_free(&x);
}

static void t_grants(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	struct tftp_xfer_offer of = offer;
	struct tftp_opts asked = { .has_blksize = true, .blksize = 8000 };
	(void)state;
	/* blksize: MTU - 32 (IP + UDP + TFTP headers), then our limit. */
	of.mtu = 576;
	start(&x, &s, 10, &asked, &of, 0);
	assert_int_equal(x.blksize, 544);
	tftp_xfer_free(&x);
	of.mtu = 0; /* unknown MTU: the RFC 1350 size */
	start(&x, &s, 10, &asked, &of, 0);
	assert_int_equal(x.blksize, 512);
	tftp_xfer_free(&x);
	of.mtu = 9000;
	start(&x, &s, 10, &asked, &of, 0);
	assert_int_equal(x.blksize, 1468);
	tftp_xfer_free(&x);
	/* windowsize: our limit; netascii: what its chunk holds; tsize is
	 * not acknowledged for netascii. */
	struct tftp_opts w = { .has_blksize = true, .blksize = 1468, .has_windowsize = true,
			       .windowsize = 65535, .has_tsize = true };
	start(&x, &s, 10, &w, NULL, 0);
	assert_int_equal(x.window, 64);
	assert_true(s.p[0].oack.has_tsize);
	tftp_xfer_free(&x);
	of = offer;
	of.netascii = true;
	of.max_window = 65535;
	start(&x, &s, 10, &w, &of, 0);
	assert_int_equal(x.window, TFTP_XFER_CHUNK_MAX / 1468);
	assert_int_equal(s.p[0].oack.windowsize, TFTP_XFER_CHUNK_MAX / 1468);
	assert_false(s.p[0].oack.has_tsize);
	tftp_xfer_free(&x);
}

/* ---- duplicate, stale and future ACKs ---- */

static void t_no_sorcerers_apprentice(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	(void)state;
	start(&x, &s, 4000, NULL, NULL, 0);
	ack(&x, 1, MS);
	ack(&x, 2, 2 * MS);
	assert_int_equal(s.n, 3);
	uint64_t deadline = x.deadline_us;
	/* A duplicate ACK 2 (our DATA 3 crossed it), a stale ACK 1 and an
	 * ACK for a block never sent: none is answered, none moves time. */
	assert_int_equal(ack(&x, 2, 3 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(ack(&x, 1, 4 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(ack(&x, 0, 4 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(ack(&x, 7, 5 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 3);
	assert_int_equal(x.acked, 2);
	assert_int_equal(x.deadline_us, deadline);
	assert_int_equal(x.last_progress_us, 2 * MS);
	assert_int_equal(ack(&x, 3, 6 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 4);
	assert_data(&s, 3, 4, 512);
	tftp_xfer_free(&x);
}

/* ---- timers ---- */

static void t_retransmit_backoff(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	(void)state;
	start(&x, &s, 2000, NULL, NULL, 0);
	assert_int_equal(x.deadline_us, TFTP_XFER_RTO_INITIAL_US);
	/* Not due yet: nothing. */
	assert_int_equal(tick(&x, TFTP_XFER_RTO_INITIAL_US - 1), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 1);
	/* Due: resend DATA 1 and double the timeout, up to the ceiling. */
	uint64_t now = TFTP_XFER_RTO_INITIAL_US, rto = TFTP_XFER_RTO_INITIAL_US;
	for (unsigned i = 1; i <= 5; i++) {
		assert_int_equal(tick(&x, now), TFTP_XFER_DATA_SENT);
		rto = rto * 2 > TFTP_XFER_RTO_MAX_US ? TFTP_XFER_RTO_MAX_US : rto * 2;
		assert_int_equal(x.retransmits, i);
		assert_int_equal(x.rto_us, rto);
		assert_int_equal(x.deadline_us, now + rto);
		assert_int_equal(s.n, 1 + i);
		assert_data(&s, i, 1, 512);
		now = x.deadline_us;
	}
	assert_int_equal(x.rto_us, TFTP_XFER_RTO_MAX_US); /* 200 ms * 2^5 capped at 2 s */
	/* Karn: the ACK of a retransmitted block gives no RTT sample. */
	assert_int_equal(ack(&x, 1, now + 1), TFTP_XFER_DATA_SENT);
	assert_int_equal(x.srtt_us, 0);
	assert_int_equal(x.rto_us, TFTP_XFER_RTO_MAX_US);
	tftp_xfer_free(&x);
}

static void t_adaptive_rto(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	(void)state;
	start(&x, &s, 4000, NULL, NULL, 1 * SEC);
	/* First sample 30 ms: SRTT 30, RTTVAR 15, RTO = 30 + 4*15 + 2 ms. */
	ack(&x, 1, 1 * SEC + 30 * MS);
	assert_int_equal(x.srtt_us, 30 * MS);
	assert_int_equal(x.rttvar_us, 15 * MS);
	assert_int_equal(x.rto_us, 92 * MS);
	assert_int_equal(x.deadline_us, 1 * SEC + 30 * MS + 92 * MS);
	/* Second sample 10 ms: RTTVAR += (|30-10| - 15)/4, SRTT += (10-30)/8. */
	ack(&x, 2, 1 * SEC + 40 * MS);
	assert_int_equal(x.rttvar_us, 16250);
	assert_int_equal(x.srtt_us, 27500);
	assert_int_equal(x.rto_us, 27500 + 4 * 16250 + 2000);
	tftp_xfer_free(&x);

	/* The floor: min_rto_ms. */
	lim.min_rto_ms = 500;
	start(&x, &s, 4000, NULL, NULL, 0);
	ack(&x, 1, 1 * MS);
	assert_int_equal(x.rto_us, 500 * MS);
	lim.min_rto_ms = 10;
	tftp_xfer_free(&x);
}

/* RFC 2349 timeout: the client's fixed interval replaces the adaptive one. */
static void t_fixed_timeout(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	struct tftp_opts asked = { .has_timeout = true, .timeout = 2 };
	(void)state;
	start(&x, &s, 3000, &asked, NULL, 0);
	assert_int_equal(s.p[0].op, TFTP_OACK);
	assert_int_equal(s.p[0].oack.timeout, 2);
	assert_int_equal(x.deadline_us, 2 * SEC);
	assert_int_equal(tick(&x, 2 * SEC), TFTP_XFER_OACK_SENT);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.p[1].op, TFTP_OACK); /* the OACK is what is resent */
	assert_int_equal(x.deadline_us, 4 * SEC);
	ack(&x, 0, 4 * SEC + 1 * MS);
	assert_int_equal(x.deadline_us, 4 * SEC + 1 * MS + 2 * SEC);
	tftp_xfer_free(&x);
}

static void t_give_up(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	(void)state;
	start(&x, &s, 3000, NULL, NULL, 0);
	ack(&x, 1, 1 * SEC); /* progress at 1 s */
	size_t sent = s.n;
	/* Retransmit until give_up_s without progress have passed. */
	uint64_t now = x.deadline_us;
	while (now <= 1 * SEC + 5 * SEC) {
		assert_int_equal(tick(&x, now), TFTP_XFER_DATA_SENT);
		now = x.deadline_us;
	}
	assert_true(x.retransmits > 0);
	assert_int_equal(s.n, sent + x.retransmits);
	assert_int_equal(tick(&x, now), TFTP_XFER_FAILED);
	assert_string_equal(x.why, "timed out, client stopped answering");
	assert_false(x.quiet);
	assert_int_equal(s.n, sent + x.retransmits); /* no ERROR to a silent client */
	tftp_xfer_free(&x);

	/* Silent after our OACK: a size probe that went away (quiet). */
	struct tftp_opts asked = { .has_tsize = true };
	start(&x, &s, 3000, &asked, NULL, 0);
	for (now = x.deadline_us; tick(&x, now) == TFTP_XFER_OACK_SENT; now = x.deadline_us)
		assert_true(now <= 6 * SEC + TFTP_XFER_RTO_MAX_US);
	assert_int_equal(x.state, TFTP_XFER_FAILED);
	assert_string_equal(x.why, "client went away after the option ack");
	assert_true(x.quiet);
	tftp_xfer_free(&x);
}

/* ---- windowsize (RFC 7440) ---- */

static void t_window(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	struct tftp_opts asked = { .has_windowsize = true, .windowsize = 4 };
	(void)state;
	start(&x, &s, 5000, &asked, NULL, 0); /* 10 blocks: 9 x 512 + 392 */
	assert_int_equal(s.p[0].oack.windowsize, 4);
	ack(&x, 0, MS);
	assert_int_equal(s.n, 5);
	for (size_t i = 0; i < 4; i++)
		assert_data(&s, 1 + i, (uint16_t)(1 + i), 512);
	/* A partial ACK: blocks 3 and 4 were lost; the window restarts at 3. */
	assert_int_equal(ack(&x, 2, 2 * MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 9);
	for (size_t i = 0; i < 4; i++)
		assert_data(&s, 5 + i, (uint16_t)(3 + i), 512);
	/* Timeout: the whole unacknowledged window again. */
	assert_int_equal(tick(&x, x.deadline_us), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 13);
	for (size_t i = 0; i < 4; i++)
		assert_data(&s, 9 + i, (uint16_t)(3 + i), 512);
	/* Full ACK: the last window is short (7..10). */
	ack(&x, 6, 3 * SEC);
	assert_int_equal(s.n, 17);
	assert_data(&s, 16, 10, 5000 - 9 * 512);
	/* ACK of a block inside the sent window that is older than acked:
	 * ignored; the ACK of the last block ends it. */
	assert_int_equal(ack(&x, 5, 3 * SEC + MS), TFTP_XFER_DATA_SENT);
	assert_int_equal(s.n, 17);
	assert_int_equal(ack(&x, 10, 3 * SEC + 2 * MS), TFTP_XFER_DONE);
	assert_int_equal(s.n, 17);
	tftp_xfer_free(&x);
}

/* ---- block numbers past 65535 ---- */

static void t_block_wrap(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	struct tftp_opts asked = { .has_blksize = true, .blksize = 8 };
	const uint64_t nblocks = 70000; /* 69999 full blocks + a short one */
	(void)state;
	start(&x, &s, (size_t)(nblocks - 1) * 8 + 3, &asked, NULL, 0);
	uint64_t now = 0;
	assert_int_equal(ack(&x, 0, ++now), TFTP_XFER_DATA_SENT);
	for (uint64_t b = 1; b < nblocks; b++) {
		assert_int_equal(s.last_block, (uint16_t)b);
		if (b == 65535) {
			/* Just before the wrap, a stale ACK 65534 is ignored. */
			assert_int_equal(ack(&x, 65534, ++now), TFTP_XFER_DATA_SENT);
			assert_int_equal(s.data_pkts, b);
		}
		assert_int_equal(ack(&x, (uint16_t)b, ++now), TFTP_XFER_DATA_SENT);
		if (b == 65535)
			assert_int_equal(s.last_block, 0); /* 65535 -> 0 */
		if (b == 65536) {
			/* After the wrap, a stale ACK 65535 (wire) must not be
			 * read as 65535 blocks ahead of block 65536. */
			assert_int_equal(ack(&x, 65535, ++now), TFTP_XFER_DATA_SENT);
			assert_int_equal(x.acked, 65536);
			assert_int_equal(s.data_pkts, 65537);
		}
	}
	assert_int_equal(s.data_pkts, nblocks);
	assert_int_equal(x.acked, nblocks - 1);
	assert_int_equal(ack(&x, (uint16_t)nblocks, ++now), TFTP_XFER_DONE);
	assert_int_equal(x.retransmits, 0);
	tftp_xfer_free(&x);
}

/* ---- endings ---- */

static void t_client_error(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	struct tftp_opts asked = { .has_tsize = true };
	(void)state;
	/* "Early terminate" right after the OACK: a firmware size probe. */
	start(&x, &s, 5000, &asked, NULL, 0);
	assert_int_equal(tftp_xfer_transition(&x, TFTP_XFER_EV_ERROR, 0, MS), TFTP_XFER_ABORTED);
	assert_true(x.quiet);
	assert_int_equal(s.n, 1); /* an ERROR is never answered */
	tftp_xfer_free(&x);
	/* After block 1 it is still a probe... */
	start(&x, &s, 5000, NULL, NULL, 0);
	ack(&x, 1, MS);
	assert_int_equal(tftp_xfer_transition(&x, TFTP_XFER_EV_ERROR, 0, 2 * MS), TFTP_XFER_ABORTED);
	assert_true(x.quiet);
	tftp_xfer_free(&x);
	/* ...later it is an abort worth reporting. */
	start(&x, &s, 5000, NULL, NULL, 0);
	ack(&x, 1, MS);
	ack(&x, 2, 2 * MS);
	assert_int_equal(tftp_xfer_transition(&x, TFTP_XFER_EV_ERROR, 0, 3 * MS), TFTP_XFER_ABORTED);
	assert_false(x.quiet);
	assert_int_equal(tick(&x, 100 * SEC), TFTP_XFER_ABORTED);
	assert_int_equal(s.n, 3);
	tftp_xfer_free(&x);
}

/* The file shrinks under a transfer: the client gets ERROR 0 and the
 * transfer fails (never a short block that would end it early). */
static void t_file_shrinks(void **state)
{
	struct tftp_xfer x;
	struct sink s;
	struct tftp_opts none;
	(void)state;
	memset(&none, 0, sizeof(none));
	memset(&s, 0, sizeof(s));
	int fd = memfd_create("xfer", 0);
	assert_true(fd >= 0);
	uint8_t buf[100];
	memset(buf, 'a', sizeof(buf));
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	struct tftp_open src;
	memset(&src, 0, sizeof(src));
	src.fd = fd;
	src.size = 2000; /* what it was when it was opened */
	tftp_xfer_init(&x, &src, &none, &offer, &lim, sink_send, &s, 0);
	assert_int_equal(tftp_xfer_transition(&x, TFTP_XFER_EV_START, 0, 0), TFTP_XFER_FAILED);
	assert_false(x.quiet);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.p[0].op, TFTP_ERROR);
	assert_int_equal(s.p[0].code, TFTP_EUNDEF);
	assert_string_equal(s.p[0].msg, x.why);
	tftp_xfer_free(&x); /* closes fd */
	assert_int_equal(x.src.fd, -1);
}

static void t_names(void **state)
{
	(void)state;
	assert_string_equal(tftp_xfer_state_name(TFTP_XFER_IDLE), "idle");
	assert_string_equal(tftp_xfer_state_name(TFTP_XFER_DATA_SENT), "data-sent");
	assert_string_equal(tftp_xfer_state_name(TFTP_XFER_FAILED), "failed");
	for (int i = 0; i < TFTP_XFER_STATE_MAX; i++)
		assert_string_not_equal(tftp_xfer_state_name((enum tftp_xfer_state)i), "?");
	assert_string_equal(tftp_xfer_state_name(TFTP_XFER_STATE_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_lockstep),
		cmocka_unit_test(t_exact_multiple_and_empty),
		cmocka_unit_test(t_oack_start),
		cmocka_unit_test(t_grants),
		cmocka_unit_test(t_no_sorcerers_apprentice),
		cmocka_unit_test(t_retransmit_backoff),
		cmocka_unit_test(t_adaptive_rto),
		cmocka_unit_test(t_fixed_timeout),
		cmocka_unit_test(t_give_up),
		cmocka_unit_test(t_window),
		cmocka_unit_test(t_block_wrap),
		cmocka_unit_test(t_client_error),
		cmocka_unit_test(t_file_shrinks),
		cmocka_unit_test(t_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
