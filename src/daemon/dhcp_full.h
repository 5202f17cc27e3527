/* dhcp_full.h - the `dhcp = full` responder of `pinetboot serve`.
 *
 * Glue between the socket, the pure server (dhcp/dhcp_server.c), the lease
 * journal (dhcp/dhcp_lease.c) and the ARP prober (dhcp/dhcp_arp.c): held
 * requests wait for their probe, durable replies wait for one group
 * fdatasync per receive batch. dhcp_service.c owns the socket. */
#ifndef PINETBOOT_DAEMON_DHCP_FULL_H
#define PINETBOOT_DAEMON_DHCP_FULL_H

#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "daemon/daemon.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"

struct dhcp_full;

/* Open DATA/leases.journal and the ARP prober. NULL on failure (logged). */
struct dhcp_full *dhcp_full_new(struct daemon *d, int fd, struct dhcp_service *svc);
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

/* dhcp_service.c helpers shared with the full-mode responder. */
void dhcp_service_note_unknown(struct daemon *d, const struct pi_ident *pi);
struct client *dhcp_service_lookup(struct daemon *d, const struct pi_ident *pi);
void dhcp_service_schedule(struct dhcp_service *s, const uint8_t mac[6], const uint8_t *pkt, size_t len,
			   const struct sockaddr_in *to, int ifindex, uint32_t src, unsigned delay_ms);

#endif
