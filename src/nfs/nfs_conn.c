/* nfs_conn.c - the NFS transport on the event loop: TCP connections with
 * RPC record marking (RFC 5531 §11), UDP datagrams, reply queues, read
 * back-pressure (per connection and server-wide), and the two LRU
 * connection pools. Replies may leave a connection out of order, as RFC
 * 5531 allows. Must not parse RPC or decide access: whole records go to
 * t->on_call, and the dispatch layer says when a connection is authorised. */
#include "nfs/nfs_conn.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "nfs/nfs3.h"
#include "nfs/nfs_exports.h"

#define CONN_MAX_INFLIGHT 32          /* requests per connection on workers */
#define CONN_MAX_OUT (8u << 20)       /* queued reply bytes before we stop reading */
#define CONN_CORK_MAX (256u << 10)    /* a batch of replies leaves once it is this large */
/* Server-wide bounds: a client that sends READs and never reads the
 * replies is stopped by the per-connection bounds; many such clients by
 * these. A connection with nothing queued may always send one more call. */
#define SERVER_MAX_OUT (256u << 20)
#define SERVER_MAX_JOBS 4096

struct outbuf {
	struct outbuf *next;
	uint8_t *data;
	size_t len, off;
};

struct nfs_conn {
	struct nfs_transport *t;
	int fd;
	uint32_t addr;
	struct rpc_rec rec;
	struct outbuf *out_head, *out_tail;
	size_t out_bytes;
	unsigned inflight;
	int refs;                 /* the socket + each job in flight */
	bool dead;
	bool corked;              /* replies wait for the end of the read */
	bool authed;              /* a call passed the access rule (or MNT did) */
	unsigned events;          /* what we currently poll for */
	struct nfs_conn *prev, *next; /* in its LRU list: head is the least recently active */
	uint64_t last_ms;
	struct nfs_access_cache ac;
};

/* ------------------------------------------------------------ connections */

static void conn_update_events(struct nfs_conn *c);

static struct nfs_conn_list *list_of(struct nfs_transport *t, const struct nfs_conn *c)
{
	return c->authed ? &t->authed : &t->unauth;
}

static void lru_unlink(struct nfs_transport *t, struct nfs_conn *c)
{
	struct nfs_conn_list *l = list_of(t, c);
	if (c->prev)
		c->prev->next = c->next;
	else if (l->head == c)
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else if (l->tail == c)
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static void lru_push(struct nfs_transport *t, struct nfs_conn *c)
{
	struct nfs_conn_list *l = list_of(t, c);
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void conn_unref(struct nfs_conn *c)
{
	if (--c->refs > 0)
		return;
	rpc_rec_free(&c->rec);
	free(c);
}

static void conn_close(struct nfs_conn *c)
{
	struct nfs_transport *t = c->t;
	if (c->dead)
		return;
	c->dead = true;
	ev_io_del(t->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	lru_unlink(t, c);
	while (c->out_head) {
		struct outbuf *o = c->out_head;
		c->out_head = o->next;
		free(o->data);
		free(o);
	}
	c->out_tail = NULL;
	t->out_total -= c->out_bytes;
	c->out_bytes = 0;
	rpc_rec_free(&c->rec);
	conn_unref(c);
}

/* Write queued replies; returns false when the connection was closed. */
static bool conn_flush(struct nfs_conn *c)
{
	while (c->out_head) {
		struct iovec iov[64];
		int n = 0;
		for (struct outbuf *o = c->out_head; o && n < 64; o = o->next, n++) {
			iov[n].iov_base = o->data + o->off;
			iov[n].iov_len = o->len - o->off;
		}
		ssize_t w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return false;
		}
		c->out_bytes -= (size_t)w;
		c->t->out_total -= (size_t)w;
		while (w > 0) {
			struct outbuf *o = c->out_head;
			size_t left = o->len - o->off;
			if ((size_t)w < left) {
				o->off += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			c->out_head = o->next;
			free(o->data);
			free(o);
		}
		if (!c->out_head)
			c->out_tail = NULL;
	}
	conn_update_events(c);
	return true;
}

/* Queue a reply whose first 4 bytes are reserved for the record mark;
 * takes ownership of buf. */
static void conn_send(struct nfs_conn *c, uint8_t *buf, size_t len)
{
	struct outbuf *o = malloc(sizeof(*o));
	if (!o || c->dead) {
		free(o);
		free(buf);
		return;
	}
	uint32_t mark = 0x80000000u | (uint32_t)(len - 4);
	buf[0] = (uint8_t)(mark >> 24);
	buf[1] = (uint8_t)(mark >> 16);
	buf[2] = (uint8_t)(mark >> 8);
	buf[3] = (uint8_t)mark;
	o->data = buf;
	o->len = len;
	o->off = 0;
	o->next = NULL;
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += len;
	c->t->out_total += len;
	if (!c->corked || c->out_bytes >= CONN_CORK_MAX)
		conn_flush(c);
}

/* Read while the connection is not saturated; write when replies wait. */
static void conn_update_events(struct nfs_conn *c)
{
	if (c->dead)
		return;
	struct nfs_transport *t = c->t;
	unsigned ev = 0;
	if (c->inflight < CONN_MAX_INFLIGHT && c->out_bytes < CONN_MAX_OUT &&
	    (t->out_total < SERVER_MAX_OUT || c->out_bytes == 0) &&
	    (t->jobs_total < SERVER_MAX_JOBS || c->inflight == 0))
		ev |= EV_READ;
	if (c->out_head)
		ev |= EV_WRITE;
	if (ev != c->events) {
		ev_io_mod(c->t->loop, c->fd, ev);
		c->events = ev;
	}
}

/* Make room in list l by closing its least recently active connection,
 * preferring one with nothing in flight among the oldest few. */
static void conn_evict_from(struct nfs_transport *t, struct nfs_conn_list *l)
{
	struct nfs_conn *v = l->head;
	int i = 0;
	for (struct nfs_conn *x = l->head; x && i < 16; x = x->next, i++)
		if (x->inflight == 0) {
			v = x;
			break;
		}
	if (v) {
		t->stats->evicted++;
		conn_close(v);
	}
}

/* The connection carried a call the access rule allowed: it leaves the
 * small pool of unchecked connections for the Pis' pool, where only
 * another authorised connection can push it out. */
static void conn_authorise(struct nfs_transport *t, struct nfs_conn *c)
{
	if (!c || c->authed || c->dead)
		return;
	lru_unlink(t, c);
	if (t->authed.n >= t->max_conns)
		conn_evict_from(t, &t->authed);
	c->authed = true;
	lru_push(t, c);
}


/* ------------------------------------------------------------ replies */

void nfs_transport_reply(const struct nfs_origin *o, uint8_t *buf, size_t len)
{
	if (o->conn) {
		conn_send(o->conn, buf, len);
		return;
	}
	ssize_t r = net_send(o->udp_fd, buf + 4, len - 4, &o->peer, o->pi.ifindex, o->pi.local_addr);
	if (r < 0)
		log_debug("nfs", "udp reply: %s", strerror((int)-r));
	free(buf);
}

void nfs_transport_job_start(struct nfs_transport *t, const struct nfs_origin *o)
{
	struct nfs_conn *c = o->conn;
	if (c) {
		c->refs++;
		c->inflight++;
		conn_update_events(c);
	}
	t->jobs_total++;
}

void nfs_transport_job_end(struct nfs_transport *t, const struct nfs_origin *o)
{
	struct nfs_conn *c = o->conn;
	t->jobs_total--;
	if (c) {
		c->inflight--;
		conn_update_events(c);
		conn_unref(c);
	}
}

void nfs_transport_authorise(struct nfs_transport *t, const struct nfs_origin *o)
{
	if (o->conn)
		conn_authorise(t, o->conn);
}

/* ------------------------------------------------------------ reading */

static void conn_touch(struct nfs_conn *c, uint64_t now)
{
	c->last_ms = now;
	lru_unlink(c->t, c);
	lru_push(c->t, c);
}

/* A whole record arrived on c: hand it on, keeping c alive meanwhile. */
static void conn_record(struct nfs_conn *c)
{
	struct nfs_origin o = {
		.conn = c, .udp_fd = -1, .ac = &c->ac,
		.peer = { .sin_family = AF_INET, .sin_addr.s_addr = c->addr },
	};
	size_t len;
	uint8_t *msg = rpc_rec_take(&c->rec, &len);
	c->refs++;
	c->t->on_call(c->t->ctx, &o, msg, len);
	conn_unref(c);
}

/* false when the read ended the connection or found nothing. */
static bool read_ok(struct nfs_conn *c, ssize_t k)
{
	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return false;
	}
	return k > 0;
}

/* The body of a big fragment (a WRITE): straight into the record, no copy
 * through rbuf. */
static void conn_read_direct(struct nfs_conn *c, uint8_t *direct, size_t want, uint64_t now)
{
	ssize_t k = read(c->fd, direct, want);
	if (!read_ok(c, k))
		return;
	conn_touch(c, now);
	if (rpc_rec_advance(&c->rec, (size_t)k) == 1)
		conn_record(c);
}

/* Anything else: a chunk through rbuf, cut into records (RFC 5531 §11). */
static void conn_read_chunk(struct nfs_conn *c, uint64_t now)
{
	struct nfs_transport *t = c->t;
	ssize_t n = read(c->fd, t->rbuf, sizeof(t->rbuf));
	if (!read_ok(c, n))
		return;
	conn_touch(c, now);
	size_t off = 0;
	c->refs++; /* keep c alive while records are handled */
	/* The replies the loop answers itself from this chunk leave in one
	 * writev: one segment and one wakeup of the client for a batch of
	 * calls, not one per call. */
	c->corked = true;
	while (off < (size_t)n && !c->dead) {
		size_t used;
		int r = rpc_rec_feed(&c->rec, t->rbuf + off, (size_t)n - off, &used);
		off += used;
		if (r < 0) {
			char a[16];
			log_info("nfs", "%s: closing connection: %s", net_ntoa(c->addr, a),
				 r == -EMSGSIZE ? "record larger than the limit" : strerror(-r));
			conn_close(c);
			break;
		}
		if (r == 1)
			conn_record(c);
	}
	c->corked = false;
	if (!c->dead && c->out_head)
		conn_flush(c);
	conn_unref(c);
}

static void on_conn(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_conn *c = arg;
	if ((events & EV_WRITE) && !conn_flush(c))
		return;
	if (!(events & EV_READ) || c->dead)
		return;
	size_t want;
	uint8_t *direct = rpc_rec_space(&c->rec, &want);
	if (direct && want >= 4096)
		conn_read_direct(c, direct, want, ev_now(loop));
	else
		conn_read_chunk(c, ev_now(loop));
}

/* addr's least recently active unchecked connection if addr already
 * holds NFS_UNAUTH_PER_ADDR of them, else NULL. */
static struct nfs_conn *unauth_over_quota(struct nfs_transport *t, uint32_t addr)
{
	struct nfs_conn *first = NULL;
	unsigned n = 0;
	for (struct nfs_conn *x = t->unauth.head; x; x = x->next)
		if (x->addr == addr && !x->dead) {
			if (!first)
				first = x;
			n++;
		}
	return n >= NFS_UNAUTH_PER_ADDR ? first : NULL;
}

static void on_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_transport *t = arg;
	for (int k = 0; k < NFS_ACCEPT_BATCH; k++) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		/* A new connection is unchecked. An address that already
		 * holds its share of the unchecked pool makes room among its
		 * own; otherwise it may only push out an idle unchecked one,
		 * never an authorised Pi's, and never one that may be a Pi in
		 * the middle of connecting. */
		struct nfs_conn *own = unauth_over_quota(t, peer.sin_addr.s_addr);
		if (own) {
			t->stats->evicted++;
			conn_close(own);
		} else if (t->unauth.n >= NFS_UNAUTH_MAX) {
			const struct nfs_conn *old = t->unauth.head;
			if (!old || ev_now(loop) - old->last_ms < NFS_UNAUTH_IDLE_MS) {
				t->stats->evicted++;
				close(cfd);
				continue;
			}
			conn_evict_from(t, &t->unauth);
		}
		struct nfs_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->t = t;
		c->fd = cfd;
		c->addr = peer.sin_addr.s_addr;
		c->refs = 1;
		c->events = EV_READ;
		c->last_ms = ev_now(loop);
		rpc_rec_init(&c->rec, NFS_RECORD_MAX);
		if (ev_io_add(loop, cfd, EV_READ, on_conn, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		lru_push(t, c);
	}
}

static void on_udp(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_transport *t = arg;
	for (int k = 0; k < 64; k++) {
		struct nfs_origin o = { .conn = NULL, .udp_fd = fd, .ac = NULL };
		ssize_t n = net_recv(fd, t->rbuf, 65536, &o.peer, &o.pi);
		if (n < 0)
			return;
		uint8_t *msg = malloc((size_t)n ? (size_t)n : 1);
		if (!msg)
			return;
		memcpy(msg, t->rbuf, (size_t)n);
		t->on_call(t->ctx, &o, msg, (size_t)n);
	}
}

/* ------------------------------------------------------------ setup */

int nfs_tcp_listen(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

void nfs_transport_init(struct nfs_transport *t, struct ev_loop *loop, unsigned max_conns,
			struct nfs_stats *stats,
			void (*on_call)(void *ctx, const struct nfs_origin *o, uint8_t *msg, size_t len),
			void *ctx)
{
	memset(t, 0, offsetof(struct nfs_transport, rbuf));
	t->loop = loop;
	t->max_conns = max_conns ? max_conns : 1;
	t->stats = stats;
	t->on_call = on_call;
	t->ctx = ctx;
}

void nfs_transport_fini(struct nfs_transport *t)
{
	while (t->authed.head)
		conn_close(t->authed.head);
	while (t->unauth.head)
		conn_close(t->unauth.head);
}

int nfs_transport_listen(struct nfs_transport *t, int fd)
{
	return ev_io_add(t->loop, fd, EV_READ, on_accept, t);
}

int nfs_transport_udp(struct nfs_transport *t, int fd)
{
	return ev_io_add(t->loop, fd, EV_READ, on_udp, t);
}
