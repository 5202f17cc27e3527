/* portmap.h - a minimal portmapper v2 (RFC 1833 §3) for the programs
 * pinetboot serves itself, and best-effort registration with a system
 * rpcbind. The ports come in as values; no call-backs into the server. */
#ifndef PINETBOOT_NFS_PORTMAP_H
#define PINETBOOT_NFS_PORTMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "nfs/rpc.h"

/* The ports GETPORT and DUMP report. */
struct portmap_ports {
	uint16_t nfs;   /* NFS v3 and MOUNT v1-3 */
	uint16_t pmap;  /* the portmapper itself */
};

/* PMAPPROC_GETPORT/SET/UNSET argument (struct mapping, RFC 1833 §3). */
struct pmap_mapping {
	uint32_t prog, vers, prot, port;
};
/* 0 or -EBADMSG. Pure, for the fuzzer. */
int portmap_decode_mapping(const uint8_t *p, size_t len, struct pmap_mapping *m);
/* Answer a portmapper call (any version) into w. */
void portmap_handle(const struct portmap_ports *ports, const struct rpc_call *call, struct wr *w);
/* A system rpcbind owns port 111: (un)register our programs with it.
 * Returns set (whether there is something to unregister later). */
bool portmap_register(unsigned nfs_port, bool set);

#endif
