/* nfs_conn.h - the NFS server's transport: TCP listeners and connections
 * with RPC record marking (RFC 5531 §11), UDP sockets, reply queues with
 * back-pressure, and the two connection pools (Pis that passed an access
 * check; connections that have not yet, issue 9). Every complete call
 * record goes to on_call; replies come back through nfs_transport_reply.
 * Must not know what a call means: no RPC parsing, no access rule. */
#ifndef PINETBOOT_NFS_NFS_CONN_H
#define PINETBOOT_NFS_NFS_CONN_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ev.h"
#include "core/net.h"
#include "nfs/nfs_job.h"

#define NFS_READ_CHUNK (256u << 10)
/* Connections that have not passed an access check yet (issue 9): their
 * own pool, so a flood of them only ever pushes out each other and never a
 * Pi that is working. It is large enough for a boot storm (200 Pis each
 * opening MOUNT and NFS connections at once: a new Pi's connection sends
 * its first call within milliseconds), and cheap (record buffers grow
 * only with the data that arrives). When it is full, a new connection
 * pushes out the oldest unchecked one only if that one has been idle for
 * NFS_UNAUTH_IDLE_MS; otherwise the new one is refused, so a burst of
 * Pis connecting together never resets each other.
 * One address holds at most NFS_UNAUTH_PER_ADDR of the pool: past that,
 * its new connection pushes out its own least recently active one, so a
 * single host flooding connections competes only with itself and never
 * fills the pool against a Pi. Connections are accepted NFS_ACCEPT_BATCH
 * at a time, fewer than the quota, so a client's new connection has its
 * first call read before its own flood can push it out. */
#define NFS_UNAUTH_MAX 256
#define NFS_UNAUTH_IDLE_MS 2000
#define NFS_UNAUTH_PER_ADDR 32
#define NFS_ACCEPT_BATCH 16

struct nfs_stats;

/* Connections of one class, least recently active first. */
struct nfs_conn_list {
	struct nfs_conn *head, *tail;
	size_t n;
};

struct nfs_transport {
	struct ev_loop *loop;
	struct nfs_conn_list authed;  /* up to max_conns */
	struct nfs_conn_list unauth;  /* up to NFS_UNAUTH_MAX */
	unsigned max_conns;
	size_t out_total;             /* reply bytes queued on all connections */
	size_t jobs_total;            /* calls on the workers */
	struct nfs_stats *stats;      /* evicted++ */
	/* A whole call record from o; takes ownership of msg. */
	void (*on_call)(void *ctx, const struct nfs_origin *o, uint8_t *msg, size_t len);
	void *ctx;
	uint8_t rbuf[NFS_READ_CHUNK];
};

void nfs_transport_init(struct nfs_transport *t, struct ev_loop *loop, unsigned max_conns,
			struct nfs_stats *stats,
			void (*on_call)(void *ctx, const struct nfs_origin *o, uint8_t *msg, size_t len),
			void *ctx);
/* Close every connection (listening sockets are the caller's). */
void nfs_transport_fini(struct nfs_transport *t);
/* Serve a listening TCP socket / a bound UDP socket. 0 or -errno. */
int nfs_transport_listen(struct nfs_transport *t, int fd);
int nfs_transport_udp(struct nfs_transport *t, int fd);
/* A listening TCP socket on port (any address). fd or -errno. */
int nfs_tcp_listen(uint16_t port);

/* Send a reply to o: buf has 4 bytes reserved for the record mark, then
 * len - 4 bytes of reply. Takes ownership of buf. */
void nfs_transport_reply(const struct nfs_origin *o, uint8_t *buf, size_t len);
/* A call from o's connection goes to a worker / came back (keeps the
 * connection alive and bounds its calls in flight). No-op for UDP. */
void nfs_transport_job_start(struct nfs_transport *t, const struct nfs_origin *o);
void nfs_transport_job_end(struct nfs_transport *t, const struct nfs_origin *o);
/* The connection carried a call the access rule allowed. No-op for UDP. */
void nfs_transport_authorise(struct nfs_transport *t, const struct nfs_origin *o);

#endif
