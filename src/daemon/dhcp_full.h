/* dhcp_full.h - the `dhcp = full` responder of `pinetboot serve`.
 *
 * Glue between the socket, the pure server (dhcp/dhcp_server.c), the lease
 * journal (dhcp/dhcp_lease.c) and the ARP prober (dhcp/dhcp_arp.c): held
 * requests wait for their probe, durable replies wait for one group
 * fdatasync per receive batch. dhcp_service.c owns the socket (through
 * dhcp/dhcp_io.c) and calls in; nothing here calls dhcp_service.c back.
 * Must not decide where a reply goes (dhcp/dhcp_dest.c) nor change the
 * registry's rules (daemon/pi_trust.c, through struct dhcp_registry). */
#ifndef PINETBOOT_DAEMON_DHCP_FULL_H
#define PINETBOOT_DAEMON_DHCP_FULL_H

#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "daemon/daemon.h"
#include "dhcp/dhcp_io.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_registry.h"

struct dhcp_full;

/* Open DATA/leases.journal and the ARP prober; replies go out through io,
 * registry questions to reg (both outlive the responder). NULL on
 * failure (logged). */
struct dhcp_full *dhcp_full_new(struct daemon *d, struct dhcp_io *io, const struct dhcp_registry *reg);
void dhcp_full_free(struct dhcp_full *f);
/* One parsed request (m) with its raw bytes (kept if it must wait). */
void dhcp_full_handle(struct dhcp_full *f, const struct dhcp_msg *m, const uint8_t *buf, size_t len,
		      const struct sockaddr_in *from, const struct net_pkt_info *info,
		      const struct net_iface *ifc);
/* Make the batch's lease records durable, then send its replies. */
void dhcp_full_flush(struct dhcp_full *f);

/* Startup safety check: broadcast a DISCOVER on every served interface
 * and listen ~1.5 s. -EEXIST (logged with the server's address) when
 * another DHCP server answers; 0 otherwise. */
int dhcp_full_preflight(struct daemon *d);

#endif
