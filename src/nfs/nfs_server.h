/* nfs_server.h - the built-in NFSv3 + MOUNT + portmapper server of
 * `pinetboot serve`: sockets on the daemon's event loop, a small pool of
 * worker threads for blocking file I/O, and the access rule supplied by
 * the daemon through hooks. Exports: /clients/<id> -> DATA/clients/<id>/root,
 * /boot/<id> -> DATA/clients/<id>/boot. */
#ifndef PINETBOOT_NFS_NFS_SERVER_H
#define PINETBOOT_NFS_NFS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ev.h"
#include "core/events.h"

struct nfs_hooks {
	/* May addr (network order) use client id's exports? 1 yes, 0 unknown
	 * id, -1 refused with a reason in why. */
	int (*access)(void *ctx, const char *id, uint32_t addr, char *why, size_t whylen);
	/* Ids whose exports addr may list (MOUNT EXPORT); at most max. */
	size_t (*ids_for_addr)(void *ctx, uint32_t addr, char (*ids)[18], size_t max);
	void *ctx;
	/* Is addr an admin address (sees every Pi's entry in MOUNT DUMP)?
	 * NULL: nobody is. */
	bool (*is_admin)(void *ctx, uint32_t addr);
};

struct nfs_config {
	unsigned nfs_port;       /* 2049 */
	unsigned portmap_port;   /* 111; 0 = no portmapper */
	unsigned workers;        /* worker threads */
	unsigned max_conns;      /* TCP connections; the oldest idle is evicted */
};

struct nfs_stats {
	uint64_t calls, denied, evicted, garbage;
};

struct nfs_server;

/* data_fd: the data dir (O_PATH ok), for handle.key; clients_fd:
 * DATA/clients. Both stay owned by the caller and must outlive the server.
 * Returns NULL (logged) on failure. */
struct nfs_server *nfs_server_new(struct ev_loop *loop, int data_fd, int clients_fd,
				  const struct nfs_config *cfg, const struct nfs_hooks *hooks,
				  struct event_bus *bus);
void nfs_server_free(struct nfs_server *s);
const struct nfs_stats *nfs_server_stats(const struct nfs_server *s);

#endif
