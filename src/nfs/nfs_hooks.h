/* nfs_hooks.h - what the NFS server and the daemon share: the hooks the
 * server asks the daemon through (the access rule: who may use which Pi's
 * exports; the ids an address may list; the admin test) and the counters
 * it reports back. Owns only these two structs; the rule itself lives in
 * the daemon (and pi/), never here. Included by nfs_server.h (the daemon's
 * view) and nfs_exports.h (the one place in nfs/ that calls the hooks). */
#ifndef PINETBOOT_NFS_NFS_HOOKS_H
#define PINETBOOT_NFS_NFS_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Server counters (nfs_server_stats); each part of the server bumps its
 * own: dispatch calls/garbage, exports denied, transport evicted. */
struct nfs_stats {
	uint64_t calls, denied, evicted, garbage;
};

#endif
