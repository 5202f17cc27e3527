/* probe_tftp.c - TFTP client engine of `pinetboot probe`: one RRQ from a
 * fresh ephemeral port, lock-step transfer, strict checks of the server.
 *
 * Behaviour follows the firmware (doc 4.1): tsize/blksize options, OACK
 * acknowledged with ACK 0, probes aborted with ERROR 0 "Early terminate",
 * block numbers wrapping 65535 -> 0 [EE#720].
 *
 * Owns: one TFTP transfer of a simulated Pi. Must not touch: which files are asked (probe_seq.c).
 */
#include "probe/probe_tftp.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "probe/probe.h"
#include "tftp/tftp_proto.h"

#define RXBUF (4u + 65535u)   /* larger than any legal DATA, to see oversize ones */

const char *probe_tftp_status_name(enum probe_tftp_status s)
{
	static const char *const names[] = {
		[PROBE_TFTP_OK] = "ok", [PROBE_TFTP_NOTFOUND] = "not found",
		[PROBE_TFTP_EREMOTE] = "server error", [PROBE_TFTP_TIMEOUT] = "timeout",
		[PROBE_TFTP_PROTO] = "protocol violation", [PROBE_TFTP_ELOCAL] = "local error",
	};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static const char *probe_u64_str(uint64_t v, char *buf, size_t cap)
{
	snprintf(buf, cap, "%llu", (unsigned long long)v);
	return buf;
}

/* Decimal digits only, no sign, bounded (style: strict number parsing). */
static bool parse_dec(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

/* Read a NUL-terminated string at *off; NULL if unterminated. */
static const char *next_cstr(const uint8_t *pkt, size_t len, size_t *off)
{
	if (*off >= len)
		return NULL;
	const uint8_t *nul = memchr(pkt + *off, 0, len - *off);
	if (!nul)
		return NULL;
	const char *s = (const char *)pkt + *off;
	*off = (size_t)(nul - pkt) + 1;
	return s;
}

int probe_tftp_check_oack(const uint8_t *pkt, size_t len, bool asked_tsize, uint16_t asked_blksize,
			  bool *ret_has_tsize, uint64_t *ret_tsize, uint16_t *ret_blksize,
			  char *why, size_t whycap)
{
	char esc[64];
	bool seen_tsize = false, seen_blksize = false;
	*ret_has_tsize = false;
	*ret_tsize = 0;
	*ret_blksize = TFTP_BLKSIZE_DEFAULT;
	if (len < 2 || tftp_opcode(pkt, len) != TFTP_OACK) {
		snprintf(why, whycap, "not an OACK");
		return -EPROTO;
	}
	size_t off = 2;
	int n = 0;
	while (off < len) {
		const char *name = next_cstr(pkt, len, &off);
		const char *val = name ? next_cstr(pkt, len, &off) : NULL;
		if (!name || !val) {
			snprintf(why, whycap, "OACK option not NUL terminated or without value");
			return -EPROTO;
		}
		uint64_t v;
		n++;
		if (strcasecmp(name, "tsize") == 0 && asked_tsize && !seen_tsize) {
			if (!parse_dec(val, UINT64_MAX >> 1, &v)) {
				snprintf(why, whycap, "OACK tsize '%s' is not a decimal size",
					 log_escape(esc, sizeof(esc), val, strlen(val)));
				return -EPROTO;
			}
			seen_tsize = true;
			*ret_has_tsize = true;
			*ret_tsize = v;
		} else if (strcasecmp(name, "blksize") == 0 && asked_blksize && !seen_blksize) {
			/* RFC 2348: the server may only lower the block size. */
			if (!parse_dec(val, 65535, &v) || v < TFTP_BLKSIZE_MIN || v > asked_blksize) {
				snprintf(why, whycap, "OACK blksize '%s' not in 8..%u",
					 log_escape(esc, sizeof(esc), val, strlen(val)), asked_blksize);
				return -EPROTO;
			}
			seen_blksize = true;
			*ret_blksize = (uint16_t)v;
		} else {
			/* RFC 2347: only options the client requested may appear. */
			snprintf(why, whycap, "OACK has option '%s' we did not ask for (or twice)",
				 log_escape(esc, sizeof(esc), name, strlen(name)));
			return -EPROTO;
		}
	}
	if (n == 0) {
		snprintf(why, whycap, "empty OACK");
		return -EPROTO;
	}
	return 0;
}

/* Source ports are handed out sequentially from a random start, as the
 * firmware does (40084, 40085, ... in [EE#74]). Kernel-chosen ephemeral
 * ports get reused quickly under load, and a new transfer on a reused port
 * can catch DATA the server still retransmits for an aborted old one. */
#define PORT_LO 49152u
#define PORT_SPAN 16384u
static atomic_uint port_base;   /* 0 until first use */
static atomic_uint port_ctr;

static uint16_t pick_port(void)
{
	unsigned base = atomic_load(&port_base);
	if (base == 0) {
		/* Start somewhere random, not at PORT_LO every run; the first
		 * thread to get here decides. */
		unsigned zero = 0, want = (unsigned)(probe_now_us() % PORT_SPAN) + 1u;
		atomic_compare_exchange_strong(&port_base, &zero, want);
		base = atomic_load(&port_base);
	}
	return (uint16_t)(PORT_LO + (base + atomic_fetch_add(&port_ctr, 1u)) % PORT_SPAN);
}

static int open_sock(const struct probe_tftp_req *rq, struct probe_tftp_res *res)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (rq->ifname && rq->ifname[0]) {
		/* Keep the traffic on the probed link even with several routes;
		 * failure (no privilege) is harmless: routing picks the same link. */
		(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, rq->ifname,
				 (socklen_t)strnlen(rq->ifname, IFNAMSIZ));
	}
	/* The offered address when the Pi has one (probe_addr.c). */
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = rq->src_ip };
	int rc = -1;
	for (int i = 0; i < 64 && rc < 0; i++) {
		a.sin_port = htons(pick_port());
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (rc < 0) {
		/* Busy range: let the kernel choose. */
		a.sin_port = 0;
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (rc < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	socklen_t al = sizeof(a);
	if (getsockname(fd, (struct sockaddr *)&a, &al) == 0)
		res->local_port = ntohs(a.sin_port);
	return fd;
}

struct xfer {
	const struct probe_tftp_req *rq;
	struct probe_tftp_res *res;
	int fd;
	struct sockaddr_in srv;   /* server address; port = its TID once known */
	uint8_t last[600];        /* what to retransmit: the RRQ or the last ACK */
	size_t last_len;
	bool started;
	uint16_t expect;
	uint64_t last_rx;         /* last packet from the server (ms) */
	/* timing of the whole fetch (ms) */
	uint64_t start, limit;    /* first RRQ; give up at limit */
	uint64_t last_tx;         /* last (re)transmission or ACK */
	unsigned rrq_retry, ack_retry;
	uint8_t *buf;             /* RXBUF bytes for one datagram */
};

static void xsend(struct xfer *x, const uint8_t *p, size_t n, const struct sockaddr_in *to)
{
	/* A lost datagram is recovered by the retransmit timer. */
	(void)sendto(x->fd, p, n, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void send_last(struct xfer *x, const uint8_t *p, size_t n)
{
	memcpy(x->last, p, n);
	x->last_len = n;
	xsend(x, p, n, &x->srv);
}

static void send_ack(struct xfer *x, uint16_t block)
{
	uint8_t a[4];
	int n = tftp_build_ack(a, sizeof(a), block);
	if (n > 0)
		send_last(x, a, (size_t)n);
}

static void send_error(struct xfer *x, uint16_t code, const char *msg, const struct sockaddr_in *to)
{
	uint8_t e[128];
	int n = tftp_build_error(e, sizeof(e), code, msg);
	if (n > 0)
		xsend(x, e, (size_t)n, to);
}

static void early_terminate(struct xfer *x)
{
	/* Bytes 00 05 00 00 "Early terminate" 00, as the firmware sends (doc 4.1). */
	send_error(x, TFTP_EUNDEF, "Early terminate", &x->srv);
}

/* Returns 1 when the transfer is over (res->status set), 0 to go on. */
static int on_oack(struct xfer *x, const uint8_t *pkt, size_t n)
{
	struct probe_tftp_res *res = x->res;
	const struct probe_tftp_req *rq = x->rq;
	if (res->got_oack && x->expect == 1 && res->bytes == 0) {
		/* Our ACK 0 was lost or slow: the server resent its OACK. */
		res->dups++;
		send_ack(x, 0);
		return 0;
	}
	if (x->started) {
		res->status = PROBE_TFTP_PROTO;
		snprintf(res->problem, sizeof(res->problem), "OACK in the middle of the transfer");
		return 1;
	}
	if (!rq->opt_tsize && !rq->blksize) {
		res->status = PROBE_TFTP_PROTO;
		snprintf(res->problem, sizeof(res->problem), "OACK to a request without options");
		return 1;
	}
	uint16_t bs;
	if (probe_tftp_check_oack(pkt, n, rq->opt_tsize, rq->blksize, &res->has_tsize, &res->tsize,
				  &bs, res->problem, sizeof(res->problem)) < 0) {
		res->status = PROBE_TFTP_PROTO;
		send_error(x, TFTP_EOPTNEG, "Option negotiation failed", &x->srv);
		return 1;
	}
	res->got_oack = true;
	res->blksize = bs;
	x->started = true;
	if (rq->mode == PROBE_TFTP_PROBE_OACK) {
		early_terminate(x);
		res->status = PROBE_TFTP_OK;
		return 1;
	}
	send_ack(x, 0);
	return 0;
}

static int on_data(struct xfer *x, const uint8_t *pkt, size_t n)
{
	struct probe_tftp_res *res = x->res;
	const struct probe_tftp_req *rq = x->rq;
	uint16_t block;
	const uint8_t *pl;
	size_t plen;
	if (tftp_parse_data(pkt, n, &block, &pl, &plen) < 0) {
		res->status = PROBE_TFTP_PROTO;
		snprintf(res->problem, sizeof(res->problem), "malformed DATA (%zu bytes)", n);
		return 1;
	}
	if (!x->started && (rq->opt_tsize || rq->blksize))
		res->no_oack = true;  /* options ignored, or a stale transfer on our port */
	x->started = true;
	if (block != x->expect) {
		if (block == (uint16_t)(x->expect - 1)) {
			/* Duplicate (our ACK was lost): ACK it again, RFC 1350. */
			res->dups++;
			send_ack(x, block);
			return 0;
		}
		res->status = PROBE_TFTP_PROTO;
		snprintf(res->problem, sizeof(res->problem), "DATA block %u while expecting %u%s", block,
			 x->expect, x->expect == 0 ? " (block numbers must wrap 65535 -> 0)" : "");
		return 1;
	}
	if (plen > res->blksize) {
		res->status = PROBE_TFTP_PROTO;
		snprintf(res->problem, sizeof(res->problem), "DATA block %u has %zu bytes, blksize is %u",
			 block, plen, res->blksize);
		return 1;
	}
	if (res->has_tsize && res->bytes + plen > res->tsize) {
		res->status = PROBE_TFTP_PROTO;
		snprintf(res->problem, sizeof(res->problem), "DATA beyond the end: tsize %llu, got %llu bytes",
			 (unsigned long long)res->tsize, (unsigned long long)(res->bytes + plen));
		return 1;
	}
	if (rq->sink && plen)
		rq->sink(rq->sink_arg, res->bytes, pl, plen);
	res->bytes += plen;
	res->blocks++;
	if (rq->mode != PROBE_TFTP_GET) {
		/* bootcode.bin probes read DATA 1 and then abort [FW#1041]. */
		early_terminate(x);
		res->status = PROBE_TFTP_OK;
		return 1;
	}
	send_ack(x, block);
	if (plen < res->blksize) {
		if (res->has_tsize && res->bytes != res->tsize) {
			res->status = PROBE_TFTP_PROTO;
			snprintf(res->problem, sizeof(res->problem), "tsize %llu but %llu bytes received",
				 (unsigned long long)res->tsize, (unsigned long long)res->bytes);
		} else {
			res->status = PROBE_TFTP_OK;
		}
		return 1;
	}
	x->expect++;  /* uint16_t: wraps 65535 -> 0 as the fixed firmware expects */
	return 0;
}

static int on_packet(struct xfer *x, const uint8_t *pkt, size_t n, const struct sockaddr_in *from)
{
	struct probe_tftp_res *res = x->res;
	if (from->sin_addr.s_addr != x->srv.sin_addr.s_addr) {
		res->foreign++;
		return 0;
	}
	if (x->started && from->sin_port != x->srv.sin_port) {
		/* RFC 1350: a packet from another TID gets ERROR 5, transfer goes on. */
		res->foreign++;
		send_error(x, TFTP_EBADID, "Unknown transfer ID", from);
		return 0;
	}
	if (!x->started)
		x->srv.sin_port = from->sin_port;  /* the server's TID */
	switch (tftp_opcode(pkt, n)) {
	case TFTP_OACK:
		return on_oack(x, pkt, n);
	case TFTP_DATA:
		return on_data(x, pkt, n);
	case TFTP_ERROR: {
		uint16_t code = 0;
		char msg[96];
		if (tftp_parse_error(pkt, n, &code, msg, sizeof(msg)) < 0) {
			res->status = PROBE_TFTP_PROTO;
			snprintf(res->problem, sizeof(res->problem), "malformed ERROR packet");
			return 1;
		}
		res->err_code = code;
		log_escape(res->err_msg, sizeof(res->err_msg), msg, strlen(msg));
		res->status = (code == TFTP_ENOTFOUND && !x->started) ? PROBE_TFTP_NOTFOUND
								      : PROBE_TFTP_EREMOTE;
		return 1;
	}
	default:
		res->status = PROBE_TFTP_PROTO;
		snprintf(res->problem, sizeof(res->problem), "unexpected opcode %u from the server",
			 tftp_opcode(pkt, n));
		return 1;
	}
}

/* Out of time: say whether the server never answered, went silent, or
 * was merely too slow. */
static void describe_timeout(struct xfer *x, uint64_t now)
{
	struct probe_tftp_res *res = x->res;
	char tsz[24];
	res->status = PROBE_TFTP_TIMEOUT;
	if (!x->started)
		snprintf(res->problem, sizeof(res->problem), "no reply to %u RRQs in %.1f s", res->rrq_sent,
			 (double)(now - x->start) / 1000.0);
	else if (now - x->last_rx >= 3u * x->ack_retry)
		snprintf(res->problem, sizeof(res->problem), "stalled: nothing for %.1f s after %llu bytes (block %u)",
			 (double)(now - x->last_rx) / 1000.0, (unsigned long long)res->bytes,
			 (uint16_t)(x->expect - 1));
	else
		snprintf(res->problem, sizeof(res->problem), "too slow: %llu%s%s bytes in %.1f s (TFTP_FILE_TIMEOUT)",
			 (unsigned long long)res->bytes, res->has_tsize ? " of " : "",
			 res->has_tsize ? probe_u64_str(res->tsize, tsz, sizeof(tsz)) : "",
			 (double)(now - x->start) / 1000.0);
}

/* Resend the RRQ or the last ACK when its retry interval has passed. */
static void retransmit_if_due(struct xfer *x, unsigned retry, uint64_t now)
{
	if (now < x->last_tx + retry)
		return;
	/* Pi 4: same RRQ every 2 s from the same port [EE#74];
	 * after that the last ACK after 1 s of silence. */
	xsend(x, x->last, x->last_len, &x->srv);
	if (x->started)
		x->res->acks_resent++;
	else
		x->res->rrq_sent++;
	x->last_tx = now;
}

/* Wait until the next retransmission (or the limit) for one datagram and
 * handle it. 1: the transfer is over (done, failed or a local error). */
static int receive_one(struct xfer *x, unsigned retry, uint64_t now)
{
	uint64_t wake = x->last_tx + retry < x->limit ? x->last_tx + retry : x->limit;
	struct pollfd pfd = { .fd = x->fd, .events = POLLIN };
	int pr = poll(&pfd, 1, wake > now ? (int)(wake - now) : 0);
	if (pr < 0 && errno != EINTR) {
		x->res->status = PROBE_TFTP_ELOCAL;
		snprintf(x->res->problem, sizeof(x->res->problem), "poll: %s", strerror(errno));
		return 1;
	}
	if (pr <= 0)
		return 0;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(x->fd, x->buf, RXBUF, 0, (struct sockaddr *)&from, &fl);
	if (n < 0)
		return 0; /* e.g. ICMP unreachable reported as ECONNREFUSED: retry timer handles it */
	if (from.sin_addr.s_addr == x->srv.sin_addr.s_addr)
		x->last_rx = probe_now_ms();
	if (on_packet(x, x->buf, (size_t)n, &from))
		return 1;
	if (x->started)
		x->last_tx = probe_now_ms();
	return 0;
}

/* The transfer after the first RRQ: retransmit, receive, until done or
 * out of time. */
static void run_xfer(struct xfer *x)
{
	for (;;) {
		uint64_t now = probe_now_ms();
		if (now >= x->limit) {
			describe_timeout(x, now);
			return;
		}
		unsigned retry = x->started ? x->ack_retry : x->rrq_retry;
		retransmit_if_due(x, retry, now);
		if (receive_one(x, retry, now))
			return;
	}
}

int probe_tftp_fetch(const struct probe_tftp_req *rq, struct probe_tftp_res *res)
{
	memset(res, 0, sizeof(*res));
	res->blksize = TFTP_BLKSIZE_DEFAULT;
	struct xfer x = { .rq = rq, .res = res, .fd = -1, .expect = 1 };
	x.rrq_retry = rq->rrq_retry_ms ? rq->rrq_retry_ms : PROBE_TFTP_RRQ_RETRY_MS;
	x.ack_retry = rq->ack_retry_ms ? rq->ack_retry_ms : PROBE_TFTP_ACK_RETRY_MS;
	x.srv.sin_family = AF_INET;
	x.srv.sin_addr.s_addr = rq->server_ip;
	x.srv.sin_port = htons(rq->port);

	uint8_t rrq[600];
	struct tftp_opts o = { 0 };
	o.has_tsize = rq->opt_tsize;
	o.has_blksize = rq->blksize != 0;
	o.blksize = rq->blksize;
	int rl = tftp_build_rrq(rrq, sizeof(rrq), rq->path, TFTP_MODE_OCTET, &o);
	x.buf = malloc(RXBUF);
	x.start = probe_now_ms();
	uint64_t start_us = probe_now_us();
	if (rl < 0 || !x.buf) {
		res->status = PROBE_TFTP_ELOCAL;
		snprintf(res->problem, sizeof(res->problem), "cannot build RRQ: %s", strerror(rl < 0 ? -rl : ENOMEM));
		free(x.buf);
		return -EINVAL;
	}
	x.fd = open_sock(rq, res);
	if (x.fd < 0) {
		res->status = PROBE_TFTP_ELOCAL;
		snprintf(res->problem, sizeof(res->problem), "socket: %s", strerror(-x.fd));
		free(x.buf);
		return x.fd;
	}
	x.limit = x.start + (rq->file_timeout_ms ? rq->file_timeout_ms : PROBE_TFTP_FILE_TIMEOUT_MS);
	if (rq->deadline && rq->deadline < x.limit)
		x.limit = rq->deadline;
	send_last(&x, rrq, (size_t)rl);
	res->rrq_sent = 1;
	x.last_tx = x.last_rx = x.start;
	run_xfer(&x);
	res->ms = probe_now_ms() - x.start;
	res->us = probe_now_us() - start_us;
	close(x.fd);
	free(x.buf);
	return 0;
}
