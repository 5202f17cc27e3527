/* dhcp_preflight.c - is another DHCP server already on the link?
 *
 * Owns the startup check of `dhcp = full`: a DISCOVER and an INFORM
 * broadcast on every served interface from a throw-away client-port
 * socket, and ~2.5 s of listening for any BOOTREPLY to them. Must not
 * touch the server's socket, leases or registry (it runs before they
 * exist). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/ev.h"
#include "core/log.h"
#include "dhcp/dhcp_arp.h"
#include "dhcp/dhcp_dest.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_preflight.h"

static void preflight_send(const struct net_ifaces *ifs, uint16_t port, int fd, uint32_t xid)
{
	for (size_t i = 0; i < ifs->n; i++) {
		const struct net_iface *ifc = &ifs->v[i];
		if (ifc->loopback)
			continue;
		struct dhcp_msg hdr;
		memset(&hdr, 0, sizeof(hdr));
		hdr.op = BOOTREQUEST;
		hdr.htype = 1;
		hdr.hlen = 6;
		hdr.xid = xid;
		hdr.flags = DHCP_FLAG_BROADCAST;
		if (dhcp_if_hwaddr(fd, ifc->name, hdr.chaddr) < 0)
			continue;
		uint8_t pkt[DHCP_MAX_LEN];
		struct wr w = wr_init(pkt, sizeof(pkt));
		dhcp_write_header(&w, &hdr);
		dhcp_write_opt_u8(&w, DHO_MSG_TYPE, DHCPDISCOVER);
		static const uint8_t params[] = { DHO_SUBNET_MASK, DHO_ROUTER };
		dhcp_write_opt(&w, DHO_PARAM_LIST, params, sizeof(params));
		dhcp_write_finish(&w);
		/* The INFORM: same client, ciaddr = our address there. */
		uint8_t inf[DHCP_MAX_LEN];
		struct wr wi = wr_init(inf, sizeof(inf));
		hdr.xid = xid + 1;
		hdr.ciaddr = ifc->addr;
		dhcp_write_header(&wi, &hdr);
		dhcp_write_opt_u8(&wi, DHO_MSG_TYPE, DHCPINFORM);
		dhcp_write_opt(&wi, DHO_PARAM_LIST, params, sizeof(params));
		dhcp_write_finish(&wi);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
					  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
		/* INFORM first: dnsmasq handles requests in order and holds the
		 * DISCOVER for its ping, which would delay the INFORM's ACK. */
		if (!wi.err)
			(void)net_send(fd, inf, wi.off, &to, ifc->index, ifc->addr);
		if (!w.err)
			(void)net_send(fd, pkt, w.off, &to, ifc->index, ifc->addr);
	}
}

int dhcp_preflight(const struct net_ifaces *ifs, uint16_t port)
{
	uint32_t xid;
	int fd = net_udp_socket(htonl(INADDR_ANY), (uint16_t)(port + 1), true);
	if (fd < 0) {
		log_warn("dhcp", "cannot check for another DHCP server (port %u: %s); starting anyway",
			 (unsigned)port + 1, strerror(-fd));
		return 0;
	}
	if (getrandom(&xid, sizeof(xid), 0) != sizeof(xid))
		xid = (uint32_t)time(NULL);
	/* A plain DISCOVER with the broadcast flag, so any server on the link
	 * answers to 255.255.255.255:68 (RFC 2131 4.1), plus an INFORM from
	 * our address (xid + 1): servers that ping before offering (dnsmasq
	 * waits up to 3 s, ISC dhcpd 1 s) answer an INFORM at once (4.3.5). */
	preflight_send(ifs, port, fd, xid);
	uint64_t end = ev_monotonic_ms() + 2500, resend = ev_monotonic_ms() + 1000;
	int rc = 0;
	struct dhcp_msg *m = malloc(sizeof(*m));
	while (m && rc == 0) {
		uint64_t now = ev_monotonic_ms();
		if (now >= end)
			break;
		if (resend && now >= resend) {
			preflight_send(ifs, port, fd, xid);
			resend = 0;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, (int)((resend ? resend : end) - now)) <= 0)
			continue;
		uint8_t buf[DHCP_MAX_LEN + 1];
		struct sockaddr_in from;
		struct net_pkt_info info;
		ssize_t n;
		while ((n = net_recv(fd, buf, sizeof(buf), &from, &info)) >= 0) {
			if (dhcp_msg_parse(m, buf, (size_t)n) < 0 || m->op != BOOTREPLY ||
			    (m->xid != xid && m->xid != xid + 1))
				continue;
			uint32_t sid = from.sin_addr.s_addr;
			(void)dhcp_msg_opt_u32(m, DHO_SERVER_ID, &sid);
			const struct net_iface *ifc = net_iface_by_index(ifs, info.ifindex);
			char a[16];
			log_error("dhcp", "refusing dhcp = full: another DHCP server (%s) answers on %s. "
				  "Two servers on one network hand out conflicting addresses; stop the other one, "
				  "use dhcp = proxy beside it, or set dhcp-force = on",
				  net_ntoa(sid, a), ifc ? ifc->name : "?");
			rc = -EEXIST;
			break;
		}
	}
	free(m);
	close(fd);
	return rc;
}
