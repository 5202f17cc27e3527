/* dhcp_io.h - the DHCP socket of `pinetboot serve`, for both modes.
 *
 * Owns the server-port socket's event-loop registration, the receive
 * batch, sending a reply to its RFC 2131 4.1 destination (dhcp_dest.h)
 * from the receiving interface, the neighbour entry a yiaddr unicast
 * needs, and replies that wait (the Pi 3 ROM delay, protocol reference
 * 2.4), keyed by chaddr. Knows nothing of what a packet means: each one
 * goes to the packet callback, then the batch callback runs once.
 * Must not decide whether or what to answer (dhcp_proxy.c, dhcp_server.c). */
#ifndef PINETBOOT_DHCP_IO_H
#define PINETBOOT_DHCP_IO_H

#include <stddef.h>
#include <stdint.h>

#include "core/ev.h"
#include "core/net.h"
#include "dhcp/dhcp_dest.h"

#define DHCP_IO_BATCH 256          /* datagrams read per readable event */
#define DHCP_IO_PENDING_MAX 1024   /* delayed replies waiting at once */

struct dhcp_io;

/* One received datagram, unparsed (hostile: the callback parses it). */
typedef void (*dhcp_io_packet_fn)(void *ctx, const uint8_t *buf, size_t len, const struct sockaddr_in *from,
				  const struct net_pkt_info *info);
/* After every batch of up to DHCP_IO_BATCH datagrams (may be NULL). */
typedef void (*dhcp_io_batch_fn)(void *ctx);

/* Watch fd (bound to server_port) on loop. NULL on failure. The fd stays
 * the caller's. */
struct dhcp_io *dhcp_io_new(struct ev_loop *loop, int fd, uint16_t server_port, dhcp_io_packet_fn on_packet,
			    dhcp_io_batch_fn on_batch, void *ctx);
/* Drops replies still waiting. NULL is a no-op. */
void dhcp_io_free(struct dhcp_io *io);
int dhcp_io_fd(const struct dhcp_io *io);

/* Send pkt to dst out of ifc (from ifc's address): a relay agent on the
 * server port, anyone else on the client port (server port + 1); a
 * unicast to yiaddr first points the neighbour table at mac (broadcast
 * if that fails). delay_ms > 0 waits first; a newer reply for the same
 * mac replaces one still waiting. */
void dhcp_io_reply(struct dhcp_io *io, const struct dhcp_dest *dst, const struct net_iface *ifc,
		   const uint8_t mac[6], const uint8_t *pkt, size_t len, unsigned delay_ms);

/* The wire address of dst for a server on server_port, out of the
 * interface with index ifindex (*ret_ifindex 0 for a relay: routed). */
void dhcp_io_sockaddr(const struct dhcp_dest *dst, uint16_t server_port, int ifindex, struct sockaddr_in *ret_to,
		      int *ret_ifindex);

#endif
