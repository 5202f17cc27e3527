/* dhcp_dest.h - where a DHCP reply goes (RFC 2131 4.1), for both modes.
 *
 * Owns the one reply-destination rule and the one relay (giaddr)
 * acceptance rule used by the proxy responder (dhcp_proxy.c) and the
 * full server (dhcp_server.c). Pure: no sockets, no daemon state; the
 * socket shell (dhcp_io.c) turns a struct dhcp_dest into an address. */
#ifndef PINETBOOT_DHCP_DEST_H
#define PINETBOOT_DHCP_DEST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/net.h"

#define DHCP_FLAG_BROADCAST 0x8000u

struct dhcp_dest {
	uint32_t addr;        /* network order; 255.255.255.255 when broadcast */
	bool to_server_port;  /* a relay agent: its DHCP server port (67) */
	bool broadcast;       /* limited broadcast out of the receiving interface */
	bool unicast_hw;      /* addr is yiaddr, not yet in ARP: send to chaddr */
};

/* The destination of a reply of type reply_type (DHCPOFFER, DHCPACK,
 * DHCPNAK) carrying yiaddr, to a request with giaddr, ciaddr and flags
 * (network-order addresses). The proxy passes its reply's ciaddr (0) and
 * flags (broadcast set, as dnsmasq's proxy does): it is broadcast unless
 * relayed. */
void dhcp_dest_reply(uint32_t giaddr, uint32_t ciaddr, uint16_t flags, uint8_t reply_type, uint32_t yiaddr,
		     struct dhcp_dest *ret);

/* May a reply go to giaddr (network order) as a relay agent? False for
 * zero, 0/8, loopback, multicast, class E and the limited broadcast, and
 * for an address or network broadcast of one of our own interfaces (own
 * may be NULL: none known). Such a "relay" would make us reflect replies
 * to a broadcast or back to ourselves. */
bool dhcp_dest_relay_ok(uint32_t giaddr, const struct net_ifaces *own);

#endif
