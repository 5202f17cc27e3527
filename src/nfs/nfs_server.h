/* nfs_server.h - the built-in NFSv3 + MOUNT + portmapper server of
 * `pinetboot serve`, as the daemon sees it: create, free, counters.
 * Sockets run on the daemon's event loop, blocking file I/O on a small pool
 * of worker threads, and the access rule is the daemon's (nfs_hooks.h).
 * Exports: /clients/<id> -> DATA/clients/<id>/root, /boot/<id> ->
 * DATA/clients/<id>/boot. Nothing else in nfs/ includes this header.
 *
 * Owns: the NFS server's interface to the daemon. Must not touch: the daemon's registry (hooks only).
 */
#ifndef PINETBOOT_NFS_NFS_SERVER_H
#define PINETBOOT_NFS_NFS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ev.h"
#include "core/events.h"
#include "nfs/nfs_hooks.h"

struct nfs_config {
	unsigned nfs_port;       /* 2049 */
	unsigned portmap_port;   /* 111; 0 = no portmapper */
	unsigned workers;        /* worker threads */
	unsigned max_conns;      /* TCP connections; the oldest idle is evicted */
};

struct nfs_server;

/* The sockets of an NFS server, opened before it starts (by the root
 * parent under privilege separation): NFS on nfs_port (tcp+udp), the
 * portmapper on portmap_port, or -1 with pmap_registered when a system
 * rpcbind holds port 111 and now lists us. */
struct nfs_ports {
	int tcp, udp, pm_tcp, pm_udp;
	bool pmap_registered;
};
void nfs_ports_init(struct nfs_ports *p);
/* 0, or -errno (logged) when the NFS port cannot be had; the portmapper is
 * best effort (logged). */
int nfs_server_open_ports(const struct nfs_config *cfg, struct nfs_ports *p);
void nfs_ports_close(struct nfs_ports *p);

/* data_fd: the data dir (O_PATH ok), for handle.key; clients_fd:
 * DATA/clients. Both stay owned by the caller and must outlive the server.
 * ports (nfs_server_open_ports) become the server's, also on failure.
 * Returns NULL (logged) on failure. */
struct nfs_server *nfs_server_new(struct ev_loop *loop, int data_fd, int clients_fd,
				  const struct nfs_config *cfg, const struct nfs_ports *ports,
				  const struct nfs_hooks *hooks, struct event_bus *bus);
/* Stop holding client id's files: its export roots and every cached handle
 * of it are closed (so its overlay can be unmounted); the next allowed
 * call opens the root again. */
void nfs_server_release(struct nfs_server *s, const char *id);
void nfs_server_free(struct nfs_server *s);
const struct nfs_stats *nfs_server_stats(const struct nfs_server *s);

#endif
