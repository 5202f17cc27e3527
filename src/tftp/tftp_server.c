/* tftp_server.c - the TFTP socket shell on the event loop.
 *
 * Owns: the listening and shared data sockets (recvmmsg/sendmmsg batches),
 * the table of transfers keyed by the client's (address, port), the one
 * timer that drives every transfer's deadline, request vetting and limits,
 * and the log lines, counters and boot events of transfers.
 * Must not touch: a transfer's protocol state (blocks, window, ACKs,
 * retransmission, timeouts: tftp_xfer.c), file lookup (tftp_fs.c),
 * packet layouts (tftp_proto.c).
 *
 * Requests arrive on the listening socket; every transfer then runs on one
 * shared, unconnected data socket. A client sees an ordinary new server TID
 * (a port other than 69, RFC 1350 section 4); sharing it lets one
 * recvmmsg/sendmmsg pair serve a whole storm of Pis (protocol reference 4.1:
 * transfers are keyed by client IP and port and may overlap). */
#include "tftp/tftp_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/events.h"
#include "core/log.h"
#include "tftp/tftp_proto.h"
#include "tftp/tftp_xfer.h"

#define BATCH 64
#define ARENA_SIZE (512u * 1024u)
#define HASH_SIZE 4096u
#define REQ_BUF 1500u

/* A transfer as the server sees it: where it goes, what to call it in
 * logs, and the state machine that does the protocol. */
struct xfer {
	struct xfer *hnext;
	struct xfer *prev, *next;
	struct tftp_server *s;
	struct sockaddr_in peer;
	uint32_t local_addr;
	int ifindex;
	char name[TFTP_FILENAME_MAX + 1];
	char id[18];             /* client id when known (prefix or bound address) */
	struct tftp_xfer t;
};
struct out_batch {
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[BATCH];
	struct sockaddr_in to[BATCH];
	size_t n;
	uint8_t *arena;
	size_t used;
};

struct tftp_server {
	struct ev_loop *loop;
	int listen_fd, data_fd;
	struct tftp_fs fs;       /* boot/clients dirs, hooks, expanded-text budget */
	const struct net_ifaces *ifs;
	struct tftp_limits lim;
	struct tftp_xfer_limits xlim; /* the part of lim transfers read */
	struct tftp_stats stats;
	struct xfer *hash[HASH_SIZE];
	struct xfer *head;
	struct ev_timer *tick;
	uint64_t tick_due_us;
	struct out_batch out;
	uint8_t *rxbuf;          /* BATCH * REQ_BUF receive buffers */
	uint64_t unknown_tid_log_us;
	struct event_bus *bus;
};

static void emit(struct tftp_server *s, enum boot_event_type type, const char *id, uint32_t addr,
		 const char *file, uint64_t bytes, uint64_t dur_us, bool expected, const char *detail)
{
	struct boot_event e;
	if (!s->bus)
		return;
	memset(&e, 0, sizeof(e));
	e.type = type;
	snprintf(e.id, sizeof(e.id), "%s", id ? id : "");
	e.addr = addr;
	snprintf(e.file, sizeof(e.file), "%s", file ? file : "");
	e.bytes = bytes;
	e.dur_ms = (uint32_t)(dur_us / 1000u);
	e.expected = expected;
	snprintf(e.detail, sizeof(e.detail), "%s", detail ? detail : "");
	events_emit(s->bus, &e);
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static unsigned hash_peer(const struct sockaddr_in *p)
{
	uint32_t h = p->sin_addr.s_addr * 2654435761u ^ (uint32_t)p->sin_port * 40503u;
	return (h ^ (h >> 16)) & (HASH_SIZE - 1);
}

static struct xfer *xfer_find(struct tftp_server *s, const struct sockaddr_in *p)
{
	for (struct xfer *x = s->hash[hash_peer(p)]; x; x = x->hnext)
		if (x->peer.sin_addr.s_addr == p->sin_addr.s_addr && x->peer.sin_port == p->sin_port)
			return x;
	return NULL;
}

static void peer_str(const struct sockaddr_in *p, char *buf, size_t len)
{
	char a[16];
	snprintf(buf, len, "%s:%u", net_ntoa(p->sin_addr.s_addr, a), ntohs(p->sin_port));
}

/* ---- output batching ---- */

static void flush_out(struct tftp_server *s)
{
	struct out_batch *o = &s->out;
	size_t done = 0;
	while (done < o->n) {
		/* MSG_CONFIRM: we just heard from this peer, so its neighbour
		 * entry is fresh. The Pi 3B ROM stops answering ARP once data
		 * flows (protocol reference 8.4); without this the kernel would
		 * re-probe it and stall the transfer. */
		int r = sendmmsg(s->data_fd, o->msgs + done, (unsigned)(o->n - done), MSG_CONFIRM);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN (socket buffer full) or a per-destination error:
			 * drop this datagram; the retransmit timer recovers. */
			done++;
			continue;
		}
		done += (size_t)r;
	}
	o->n = 0;
	o->used = 0;
}

/* Queue one datagram: hdr (<= 4 + optional) followed by payload. */
static void queue_pkt(struct tftp_server *s, const struct sockaddr_in *to,
		      uint32_t local_addr, int ifindex, const uint8_t *hdr, size_t hlen,
		      const uint8_t *payload, size_t plen)
{
	struct out_batch *o = &s->out;
	if (o->n == BATCH || o->used + hlen + plen > ARENA_SIZE)
		flush_out(s);
	uint8_t *p = o->arena + o->used;
	memcpy(p, hdr, hlen);
	if (plen)
		memcpy(p + hlen, payload, plen);
	size_t i = o->n++;
	o->used += hlen + plen;
	o->to[i] = *to;
	o->iov[i].iov_base = p;
	o->iov[i].iov_len = hlen + plen;
	struct msghdr *mh = &o->msgs[i].msg_hdr;
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &o->to[i];
	mh->msg_namelen = sizeof(o->to[i]);
	mh->msg_iov = &o->iov[i];
	mh->msg_iovlen = 1;
	if (local_addr || ifindex)
		net_set_pktinfo(mh, o->ctl[i].buf, ifindex, local_addr);
	s->stats.packets_sent++;
}

static void queue_error(struct tftp_server *s, const struct sockaddr_in *to, uint32_t local,
			int ifindex, uint16_t code, const char *msg)
{
	uint8_t buf[200];
	int n = tftp_build_error(buf, sizeof(buf), code, msg);
	if (n > 0)
		queue_pkt(s, to, local, ifindex, buf, (size_t)n, NULL, 0);
}

/* ---- transfers ---- */

static void xfer_unlink(struct tftp_server *s, struct xfer *x)
{
	struct xfer **pp = &s->hash[hash_peer(&x->peer)];
	while (*pp && *pp != x)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = x->hnext;
	if (x->prev)
		x->prev->next = x->next;
	else
		s->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	s->stats.active--;
}

static void xfer_free(struct tftp_server *s, struct xfer *x)
{
	xfer_unlink(s, x);
	tftp_xfer_free(&x->t);
	free(x);
}

/* The send callback a transfer is armed with. */
static void xfer_send(void *owner, const uint8_t *hdr, size_t hlen, const uint8_t *payload, size_t plen)
{
	struct xfer *x = owner;
	queue_pkt(x->s, &x->peer, x->local_addr, x->ifindex, hdr, hlen, payload, plen);
	x->s->stats.bytes_sent += plen;
}

static void xfer_done(struct tftp_server *s, struct xfer *x)
{
	char p[32], esc[300];
	uint64_t us = now_us() - x->t.start_us;
	peer_str(&x->peer, p, sizeof(p));
	log_escape(esc, sizeof(esc), x->name, strlen(x->name));
	uint64_t size = tftp_stream_size(&x->t.st);
	log_info("tftp", "%s%s%s sent %s (%llu bytes, %llu ms, %u retransmits)", p, x->id[0] ? " " : "",
		 x->id, esc, (unsigned long long)size, (unsigned long long)(us / 1000u), x->t.retransmits);
	s->stats.transfers_ok++;
	emit(s, BEV_TFTP_DONE, x->id, x->peer.sin_addr.s_addr, x->name, size, us, false, NULL);
	xfer_free(s, x);
}

/* The transfer gave up or could not read its file (the state machine
 * already told the client when it should know). */
static void xfer_failed(struct tftp_server *s, struct xfer *x)
{
	char p[32], esc[300];
	const struct tftp_xfer *t = &x->t;
	uint64_t us = now_us() - t->start_us;
	peer_str(&x->peer, p, sizeof(p));
	log_escape(esc, sizeof(esc), x->name, strlen(x->name));
	if (t->quiet)
		log_debug("tftp", "%s%s%s %s: %s", p, x->id[0] ? " " : "", x->id, esc, t->why);
	else
		log_warn("tftp", "%s%s%s %s: %s", p, x->id[0] ? " " : "", x->id, esc, t->why);
	s->stats.transfers_failed++;
	if (!t->quiet) {
		char detail[200];
		snprintf(detail, sizeof(detail), "TFTP %.60s after %llu s on %.80s", t->why,
			 (unsigned long long)(us / 1000000u), x->name);
		emit(s, BEV_TFTP_FAILED, x->id, x->peer.sin_addr.s_addr, x->name, t->acked * t->blksize, us,
		     false, detail);
	}
	xfer_free(s, x);
}

static void schedule_tick(struct tftp_server *s, uint64_t due_us);

/* Act on the state a transition left x in: finish it, or keep its
 * deadline on the timer. Returns false when x was freed. */
static bool xfer_settle(struct tftp_server *s, struct xfer *x, bool arm)
{
	switch (x->t.state) {
	case TFTP_XFER_DONE:
		xfer_done(s, x);
		return false;
	case TFTP_XFER_OACK_SENT:
	case TFTP_XFER_DATA_SENT:
		if (arm)
			schedule_tick(s, x->t.deadline_us);
		return true;
	case TFTP_XFER_FAILED:
		xfer_failed(s, x);
		return false;
	default: /* ABORTED is handled where the ERROR is read */
		xfer_free(s, x);
		return false;
	}
}

static void on_tick(struct ev_loop *loop, void *arg)
{
	struct tftp_server *s = arg;
	(void)loop;
	s->tick = NULL;
	uint64_t now = now_us(), next = UINT64_MAX;
	struct xfer *x = s->head;
	while (x) {
		struct xfer *n = x->next; /* valid even if x is freed below */
		unsigned before = x->t.retransmits;
		tftp_xfer_transition(&x->t, TFTP_XFER_EV_TIMEOUT, 0, now);
		s->stats.retransmits += x->t.retransmits - before;
		if (xfer_settle(s, x, false) && x->t.deadline_us < next)
			next = x->t.deadline_us;
		x = n;
	}
	flush_out(s);
	if (next != UINT64_MAX)
		schedule_tick(s, next);
}

static void schedule_tick(struct tftp_server *s, uint64_t due_us)
{
	if (s->tick && s->tick_due_us <= due_us)
		return;
	if (s->tick)
		ev_timer_cancel(s->loop, s->tick);
	uint64_t now = now_us();
	uint64_t ms = due_us > now ? (due_us - now + 999) / 1000 : 0;
	s->tick = ev_timer_add(s->loop, ms, on_tick, s);
	s->tick_due_us = now + ms * 1000;
}

static void on_client_error(struct tftp_server *s, struct xfer *x, const uint8_t *buf, size_t len)
{
	uint16_t code = 0;
	char msg[128], esc[200], p[32], name[300];
	const struct tftp_xfer *t = &x->t;
	tftp_parse_error(buf, len, &code, msg, sizeof(msg));
	tftp_xfer_transition(&x->t, TFTP_XFER_EV_ERROR, 0, now_us());
	log_escape(esc, sizeof(esc), msg, strlen(msg));
	log_escape(name, sizeof(name), x->name, strlen(x->name));
	peer_str(&x->peer, p, sizeof(p));
	/* quiet: a firmware size probe (protocol reference 4.1), see on_error
	 * in tftp_xfer.c. */
	if (t->quiet)
		emit(s, BEV_TFTP_PROBE, x->id, x->peer.sin_addr.s_addr, x->name, t->src.size, 0, true, esc);
	else
		emit(s, BEV_TFTP_FAILED, x->id, x->peer.sin_addr.s_addr, x->name, t->acked * t->blksize,
		     now_us() - t->start_us, false, "client aborted the transfer");
	if (t->quiet)
		log_debug("tftp", "%s%s%s %s: client ended after %llu blocks (%u: %s)", p,
			  x->id[0] ? " " : "", x->id, name, (unsigned long long)t->acked, code, esc);
	else
		log_info("tftp", "%s%s%s %s: client aborted at block %llu (%u: %s)", p,
			 x->id[0] ? " " : "", x->id, name, (unsigned long long)t->acked, code, esc);
	xfer_free(s, x);
}

static void on_data_pkt(struct tftp_server *s, const uint8_t *buf, size_t len,
			const struct sockaddr_in *from, const struct net_pkt_info *pi)
{
	struct xfer *x = xfer_find(s, from);
	uint16_t op = tftp_opcode(buf, len);
	if (!x) {
		if (op == TFTP_ACK || op == TFTP_DATA) {
			uint64_t now = now_us();
			if (now - s->unknown_tid_log_us > 1000000u) {
				char p[32];
				peer_str(from, p, sizeof(p));
				log_debug("tftp", "%s: packet for no transfer (finished or unknown)", p);
				s->unknown_tid_log_us = now;
			}
			/* RFC 1350 section 4: a packet from an unknown TID gets
			 * error 5 and disturbs nothing else. */
			queue_error(s, from, pi->local_addr, 0, TFTP_EBADID, NULL);
		}
		return;
	}
	if (op == TFTP_ACK) {
		uint16_t b;
		if (tftp_parse_ack(buf, len, &b) == 0) {
			tftp_xfer_transition(&x->t, TFTP_XFER_EV_ACK, b, now_us());
			xfer_settle(s, x, true);
		}
	} else if (op == TFTP_ERROR) {
		on_client_error(s, x, buf, len);
	}
}

/* ---- requests ---- */

static unsigned count_for_addr(const struct tftp_server *s, uint32_t addr)
{
	unsigned n = 0;
	for (const struct xfer *x = s->head; x; x = x->next)
		n += x->peer.sin_addr.s_addr == addr;
	return n;
}

/* A request the server cannot serve from this file: count, log, answer. */
static void refuse_open(struct tftp_server *s, const struct sockaddr_in *from, uint32_t local,
			int ifindex, const char *clean, const char *name, const char *id, int r)
{
	char p[32], esc[300];
	peer_str(from, p, sizeof(p));
	log_escape(esc, sizeof(esc), name, strlen(name));
	if (r == -ENOENT) {
		s->stats.not_found++;
		bool expected = tftp_expected_missing(clean);
		if (expected)
			log_debug("tftp", "%s: %s not found", p, esc);
		else
			log_info("tftp", "%s: %s not found", p, esc);
		char detail[200];
		snprintf(detail, sizeof(detail), "%.140s not found in boot dir", clean);
		emit(s, BEV_TFTP_NOT_FOUND, id, from->sin_addr.s_addr, clean, 0, 0, expected, detail);
		queue_error(s, from, local, ifindex, TFTP_ENOTFOUND, NULL);
		return;
	}
	if (r == -EBUSY) {
		log_warn("tftp", "%s: refused %s: expanded text files use %zu bytes (budget), retry later",
			 p, esc, s->fs.blob_used);
		queue_error(s, from, local, ifindex, TFTP_EUNDEF, "server busy, retry");
		return;
	}
	s->stats.denied++;
	const char *why = r == -EACCES ? "outside the served directories or not allowed for this address" :
			  r == -EPERM ? "not a regular file (device node, FIFO or socket): not opened" :
			  r == -EINVAL ? "invalid file name" : strerror(-r);
	emit(s, BEV_TFTP_FAILED, id, from->sin_addr.s_addr, name, 0, 0, false,
	     r == -EACCES ? "TFTP request refused (not allowed for this address)" :
	     r == -EPERM ? "TFTP request refused (not a regular file)" : "TFTP request refused");
	log_warn("tftp", "%s: refused %s: %s", p, esc, why);
	bool access = r == -EINVAL || r == -EACCES || r == -EPERM;
	queue_error(s, from, local, ifindex, access ? TFTP_EACCESS : TFTP_EUNDEF,
		    r == -EPERM ? "not a regular file" : access ? NULL : "cannot read file");
}

/* Parse and vet a request; false when it was answered (or dropped) here. */
static bool accept_request(struct tftp_server *s, const uint8_t *buf, size_t len,
			   const struct sockaddr_in *from, uint32_t local, int ifindex,
			   struct tftp_req *req)
{
	char p[32], esc[300];
	peer_str(from, p, sizeof(p));
	int r = tftp_parse_request(buf, len, req);
	if (r < 0) {
		log_info("tftp", "%s: ignoring malformed request (%s)", p, strerror(-r));
		queue_error(s, from, local, ifindex, r == -EPROTONOSUPPORT ? TFTP_EUNDEF : TFTP_EBADOP,
			    r == -EPROTONOSUPPORT ? "unsupported transfer mode" :
			    r == -ENAMETOOLONG ? "file name too long" : "malformed request");
		return false;
	}
	log_escape(esc, sizeof(esc), req->filename, strlen(req->filename));
	if (req->opcode == TFTP_WRQ) {
		log_info("tftp", "%s: refused write request for %s (read-only server)", p, esc);
		queue_error(s, from, local, ifindex, TFTP_EACCESS, "read-only server");
		s->stats.denied++;
		return false;
	}
	if (req->mode == TFTP_MODE_MAIL) {
		queue_error(s, from, local, ifindex, TFTP_EBADOP, "mail mode is not supported");
		return false;
	}
	struct xfer *old = xfer_find(s, from);
	if (old) {
		/* The same client port asking again: its first packet from us
		 * was lost (a Pi 4 repeats its RRQ from the same port,
		 * protocol reference 4.1). The timer resends; a transfer that
		 * already made progress is replaced by the new request. */
		if (strcmp(old->name, req->filename) == 0 && tftp_xfer_at_start(&old->t))
			return false; /* the retransmit timer resends the first packet */
		xfer_free(s, old);
	}
	if (s->stats.active >= s->lim.max_transfers) {
		log_warn("tftp", "%s: refused %s: %u transfers in flight (max-transfers)", p, esc,
			 s->stats.active);
		queue_error(s, from, local, ifindex, TFTP_EUNDEF, "server busy, retry");
		return false;
	}
	if (count_for_addr(s, from->sin_addr.s_addr) >= s->lim.max_per_client) {
		log_warn("tftp", "%s: refused %s: too many transfers from this client", p, esc);
		queue_error(s, from, local, ifindex, TFTP_EUNDEF, "too many transfers from this client");
		return false;
	}
	return true;
}

/* RFC 2347: answer only the options we accept, with our values; set up
 * the transfer's block size, window, timer and stream to match. */
static void xfer_insert(struct tftp_server *s, struct xfer *x)
{
	unsigned h = hash_peer(&x->peer);
	x->hnext = s->hash[h];
	s->hash[h] = x;
	x->next = s->head;
	if (s->head)
		s->head->prev = x;
	s->head = x;
	s->stats.active++;
	if (s->stats.active > s->stats.peak_active)
		s->stats.peak_active = s->stats.active;
}

/* First packet of a transfer: the OACK, or block 1 when no option was granted. */
static void on_request(struct tftp_server *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_in *from, const struct net_pkt_info *pi)
{
	const struct net_iface *ifc = net_iface_by_index(s->ifs, pi->ifindex);
	char p[32], esc[300];
	peer_str(from, p, sizeof(p));
	if (!ifc) {
		log_debug("tftp", "%s: request on an interface we do not serve (ifindex %d)", p, pi->ifindex);
		return;
	}
	uint32_t local = pi->local_addr ? pi->local_addr : ifc->addr;
	s->stats.requests++;
	struct tftp_req req;
	if (!accept_request(s, buf, len, from, local, pi->ifindex, &req))
		return;
	char clean[TFTP_FILENAME_MAX + 1] = "";
	struct tftp_vars vars;
	struct tftp_open src;
	memset(&vars, 0, sizeof(vars));
	memset(&src, 0, sizeof(src));
	src.fd = -1;
	net_ntoa(local, vars.server);
	int r = tftp_path_clean(req.filename, clean, sizeof(clean));
	if (r == 0)
		r = tftp_fs_open(&s->fs, clean, from->sin_addr.s_addr, &vars, &src);
	if (r < 0) {
		refuse_open(s, from, local, pi->ifindex, clean, req.filename, vars.id, r);
		tftp_open_release(&src);
		return;
	}
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x) {
		tftp_open_release(&src);
		queue_error(s, from, local, pi->ifindex, TFTP_EUNDEF, "out of memory");
		return;
	}
	x->s = s;
	x->peer = *from;
	x->local_addr = local;
	x->ifindex = pi->ifindex;
	snprintf(x->name, sizeof(x->name), "%s", req.filename);
	snprintf(x->id, sizeof(x->id), "%s", vars.id);
	struct tftp_xfer_offer offer = {
		.netascii = req.mode == TFTP_MODE_NETASCII,
		.mtu = ifc->mtu > 0 ? (unsigned)ifc->mtu : 0,
		.max_blksize = s->lim.max_blksize,
		.max_window = s->lim.max_window,
	};
	uint64_t now = now_us();
	tftp_xfer_init(&x->t, &src, &req.opts, &offer, &s->xlim, xfer_send, x, now);
	xfer_insert(s, x);

	char ostr[128];
	tftp_opts_str(&req.opts, ostr, sizeof(ostr));
	log_escape(esc, sizeof(esc), req.filename, strlen(req.filename));
	log_debug("tftp", "%s%s%s RRQ %s %s%s%s", p, x->id[0] ? " " : "", x->id, esc,
		  tftp_mode_name(req.mode), ostr[0] ? " " : "", ostr);
	tftp_xfer_transition(&x->t, TFTP_XFER_EV_START, 0, now);
	xfer_settle(s, x, true);
}

/* ---- sockets ---- */

typedef void (*pkt_fn)(struct tftp_server *s, const uint8_t *buf, size_t len,
		       const struct sockaddr_in *from, const struct net_pkt_info *pi);

/* Drain a socket with recvmmsg, BATCH datagrams per call, then send what
 * the batch produced with one sendmmsg. */
static void drain(struct tftp_server *s, int fd, pkt_fn fn)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[BATCH];
	for (int rounds = 0; rounds < 64; rounds++) {
		for (size_t i = 0; i < BATCH; i++) {
			iov[i].iov_base = s->rxbuf + i * REQ_BUF;
			iov[i].iov_len = REQ_BUF;
			memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = ctl[i].buf;
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
		}
		int n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &mm[i].msg_hdr;
			struct net_pkt_info pi;
			memset(&pi, 0, sizeof(pi));
			for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
				if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo ip;
					memcpy(&ip, CMSG_DATA(c), sizeof(ip));
					pi.ifindex = ip.ipi_ifindex;
					pi.local_addr = ip.ipi_spec_dst.s_addr;
					pi.dst_addr = ip.ipi_addr.s_addr;
				}
			}
			if (mh->msg_flags & MSG_TRUNC || from[i].sin_family != AF_INET)
				continue; /* larger than any valid TFTP request or ACK */
			fn(s, s->rxbuf + (size_t)i * REQ_BUF, mm[i].msg_len, &from[i], &pi);
		}
		flush_out(s);
		if (n < BATCH)
			break;
	}
	flush_out(s);
}

static void on_listen(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	drain(arg, fd, on_request);
}

static void on_data(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	(void)loop;
	drain(arg, fd, on_data_pkt);
}

struct tftp_server *tftp_server_new(struct ev_loop *loop, int listen_fd, int data_fd,
				    int boot_fd, int clients_fd, const struct net_ifaces *ifs,
				    const struct tftp_limits *lim, const struct tftp_hooks *hooks,
				    struct event_bus *bus)
{
	struct tftp_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->bus = bus;
	s->loop = loop;
	s->listen_fd = listen_fd;
	s->data_fd = data_fd;
	s->fs.boot_fd = boot_fd;
	s->fs.clients_fd = clients_fd;
	s->ifs = ifs;
	tftp_server_set_limits(s, lim);
	if (hooks)
		s->fs.hooks = *hooks;
	s->out.arena = malloc(ARENA_SIZE);
	s->rxbuf = malloc((size_t)BATCH * REQ_BUF);
	if (!s->out.arena || !s->rxbuf)
		goto fail;
	if (ev_io_add(loop, listen_fd, EV_READ, on_listen, s) < 0)
		goto fail;
	if (ev_io_add(loop, data_fd, EV_READ, on_data, s) < 0) {
		ev_io_del(loop, listen_fd);
		goto fail;
	}
	return s;
fail:
	free(s->out.arena);
	free(s->rxbuf);
	free(s);
	return NULL;
}

void tftp_server_set_limits(struct tftp_server *s, const struct tftp_limits *lim)
{
	s->lim = *lim;
	s->xlim.min_rto_ms = lim->min_rto_ms;
	s->xlim.give_up_s = lim->give_up_s;
}

const struct tftp_stats *tftp_server_stats(const struct tftp_server *s)
{
	return &s->stats;
}

void tftp_server_free(struct tftp_server *s)
{
	if (!s)
		return;
	while (s->head)
		xfer_free(s, s->head);
	if (s->tick)
		ev_timer_cancel(s->loop, s->tick);
	ev_io_del(s->loop, s->listen_fd);
	ev_io_del(s->loop, s->data_fd);
	free(s->out.arena);
	free(s->rxbuf);
	free(s);
}
