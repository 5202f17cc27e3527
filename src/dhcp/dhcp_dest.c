/* dhcp_dest.c - the RFC 2131 4.1 reply destination and the relay rule.
 *
 * Owns: the choice between relay agent, ciaddr, broadcast and
 * yiaddr-via-chaddr for every reply either mode sends, and which giaddr
 * values are relay agents at all. Must not touch sockets, the ARP table
 * or daemon state: dhcp_io.c does the sending. */
#include <arpa/inet.h>

#include "dhcp/dhcp_dest.h"
#include "dhcp/dhcp_msg.h"

void dhcp_dest_reply(uint32_t giaddr, uint32_t ciaddr, uint16_t flags, uint8_t reply_type, uint32_t yiaddr,
		     struct dhcp_dest *ret)
{
	ret->addr = 0;
	ret->to_server_port = ret->broadcast = ret->unicast_hw = false;
	/* RFC 2131 4.1: "If the 'giaddr' field in a DHCP message from a
	 * client is non-zero, the server sends any return messages to the
	 * 'DHCP server' port on the BOOTP relay agent whose address appears
	 * in 'giaddr'." */
	if (giaddr) {
		ret->addr = giaddr;
		ret->to_server_port = true;
		return;
	}
	/* "In all cases, when 'giaddr' is zero, the server broadcasts any
	 * DHCPNAK messages to 0xffffffff." */
	if (reply_type == DHCPNAK) {
		ret->broadcast = true;
	} else if (ciaddr) {
		/* "If the 'giaddr' field is zero and the 'ciaddr' field is
		 * nonzero, then the server unicasts DHCPOFFER and DHCPACK
		 * messages to the address in 'ciaddr'." */
		ret->addr = ciaddr;
	} else if (flags & DHCP_FLAG_BROADCAST) {
		/* "If 'giaddr' is zero and 'ciaddr' is zero, and the broadcast
		 * bit is set, then the server broadcasts DHCPOFFER and DHCPACK
		 * messages to 0xffffffff." */
		ret->broadcast = true;
	} else {
		/* "If the broadcast bit is not set and 'giaddr' is zero and
		 * 'ciaddr' is zero, then the server unicasts DHCPOFFER and
		 * DHCPACK messages to the client's hardware address and
		 * 'yiaddr' address." */
		ret->addr = yiaddr;
		ret->unicast_hw = true;
	}
	if (ret->broadcast)
		ret->addr = htonl(INADDR_BROADCAST);
}

bool dhcp_dest_relay_ok(uint32_t giaddr, const struct net_ifaces *own)
{
	uint32_t h = ntohl(giaddr);
	/* A relay agent has a unicast address (RFC 1542 4.1): not 0/8 ("this
	 * network", RFC 1122 3.2.1.3), not loopback, not multicast (224/4),
	 * class E (240/4) or the limited broadcast. */
	if ((h >> 24) == 0 || (h >> 24) == 127 || h >= 0xe0000000u)
		return false;
	/* Not us, and not the directed broadcast of a network we serve: the
	 * reply would loop back to us or reach every host there. */
	for (size_t i = 0; own && i < own->n; i++) {
		const struct net_iface *ifc = &own->v[i];
		if (giaddr == ifc->addr || giaddr == (ifc->addr | ~ifc->mask))
			return false;
	}
	return true;
}
