/* dhcp_arp.c - ARP "who has" probes over one AF_PACKET socket.
 *
 * One SOCK_DGRAM packet socket for ETH_P_ARP on all interfaces; pending
 * probes are a short list (bounded by DHCP_ARP_PENDING_MAX), each with its
 * own timer. Any ARP packet whose sender address is a probed address means
 * somebody uses it (a reply, or that host's own request or announcement).
 * Must not decide what a conflict means (dhcp_server_probe_result does)
 * nor touch leases or the DHCP socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "dhcp/dhcp_arp.h"

#define ARP_LEN 28u

struct probe {
	struct probe *next;
	struct dhcp_arp *owner;
	struct ev_timer *timer;
	int ifindex;
	uint32_t addr;
	dhcp_arp_cb cb;
	void *arg;
};

struct dhcp_arp {
	struct ev_loop *loop;
	int fd;
	struct probe *list;
	size_t n;
};

static void unlink_probe(struct dhcp_arp *a, struct probe *p)
{
	for (struct probe **pp = &a->list; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			a->n--;
			return;
		}
	}
}

static void on_timeout(struct ev_loop *loop, void *arg)
{
	struct probe *p = arg;
	(void)loop;
	unlink_probe(p->owner, p);
	dhcp_arp_cb cb = p->cb;
	void *cbarg = p->arg;
	uint32_t addr = p->addr;
	free(p);
	cb(cbarg, addr, false);
}

static void on_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct dhcp_arp *a = arg;
	uint8_t buf[128];
	(void)loop;
	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		struct rd r = rd_init(buf, (size_t)n);
		uint16_t htype = rd_be16(&r), ptype = rd_be16(&r);
		uint8_t hlen = rd_u8(&r), plen = rd_u8(&r);
		rd_be16(&r); /* op: a request or a reply both prove the address is used */
		rd_skip(&r, 6);
		uint32_t spa;
		rd_bytes(&r, &spa, 4);
		if (r.err || htype != ARPHRD_ETHER || ptype != ETH_P_IP || hlen != 6 || plen != 4 || spa == 0)
			continue;
		for (struct probe *p = a->list; p; p = p->next) {
			if (p->addr != spa || p->ifindex != from.sll_ifindex)
				continue;
			unlink_probe(a, p);
			ev_timer_cancel(a->loop, p->timer);
			dhcp_arp_cb cb = p->cb;
			void *cbarg = p->arg;
			free(p);
			cb(cbarg, spa, true);
			break; /* the list may have changed under the callback */
		}
	}
}

int dhcp_arp_socket(void)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	return fd < 0 ? -errno : fd;
}

struct dhcp_arp *dhcp_arp_new(struct ev_loop *loop, int fd)
{
	struct dhcp_arp *a = calloc(1, sizeof(*a));
	if (!a) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	a->loop = loop;
	a->fd = fd >= 0 ? fd : socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (a->fd < 0 || ev_io_add(loop, a->fd, EV_READ, on_readable, a) < 0) {
		int e = errno;
		if (a->fd >= 0)
			close(a->fd);
		free(a);
		errno = e;
		return NULL;
	}
	return a;
}

void dhcp_arp_free(struct dhcp_arp *a)
{
	if (!a)
		return;
	while (a->list) {
		struct probe *p = a->list;
		a->list = p->next;
		ev_timer_cancel(a->loop, p->timer);
		free(p);
	}
	ev_io_del(a->loop, a->fd);
	close(a->fd);
	free(a);
}

bool dhcp_arp_pending(const struct dhcp_arp *a, uint32_t addr)
{
	for (const struct probe *p = a->list; p; p = p->next)
		if (p->addr == addr)
			return true;
	return false;
}

int dhcp_if_hwaddr(int fd, const char *name, uint8_t mac[6])
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int if_mac(int fd, int ifindex, uint8_t mac[6])
{
	char name[IF_NAMESIZE];
	if (!if_indextoname((unsigned)ifindex, name))
		return -errno;
	return dhcp_if_hwaddr(fd, name, mac);
}

int dhcp_arp_probe(struct dhcp_arp *a, int ifindex, uint32_t src_addr, uint32_t addr,
		   unsigned wait_ms, dhcp_arp_cb cb, void *arg)
{
	uint8_t mac[6], pkt[ARP_LEN];
	int r;

	if (dhcp_arp_pending(a, addr))
		return -EEXIST;
	if (a->n >= DHCP_ARP_PENDING_MAX)
		return -EAGAIN;
	r = if_mac(a->fd, ifindex, mac);
	if (r < 0)
		return r;
	/* RFC 826 request. The sender address is ours on that link (we own
	 * it, unlike an RFC 5227 host probing for itself), so the owner of
	 * addr answers us with an ordinary unicast reply. */
	struct wr w = wr_init(pkt, sizeof(pkt));
	wr_be16(&w, ARPHRD_ETHER);
	wr_be16(&w, ETH_P_IP);
	wr_u8(&w, 6);
	wr_u8(&w, 4);
	wr_be16(&w, ARPOP_REQUEST);
	wr_bytes(&w, mac, 6);
	wr_bytes(&w, &src_addr, 4);
	wr_zero(&w, 6);
	wr_bytes(&w, &addr, 4);
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = ifindex, .sll_halen = 6,
	};
	memset(to.sll_addr, 0xff, 6);
	struct probe *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->owner = a;
	p->ifindex = ifindex;
	p->addr = addr;
	p->cb = cb;
	p->arg = arg;
	p->timer = ev_timer_add(a->loop, wait_ms, on_timeout, p);
	if (!p->timer) {
		free(p);
		return -ENOMEM;
	}
	if (sendto(a->fd, pkt, w.off, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		r = -errno;
		ev_timer_cancel(a->loop, p->timer);
		free(p);
		return r;
	}
	p->next = a->list;
	a->list = p;
	a->n++;
	return 0;
}
