/* dhcp_io.c - the DHCP socket: receive batches, send and delay replies.
 *
 * Owns the ev registration of the DHCP fd, struct pending (one delayed
 * reply per chaddr: every Pi 3 uses xid 0x26f30339, so never key by xid)
 * and the SIOCSARP entry for a unicast to a client with no address yet.
 * Must not decide anything about a request: the proxy handler
 * (dhcp_proxy.c), the full responder (daemon/dhcp_full.c) and the
 * destination rule (dhcp_dest.c) do. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/log.h"
#include "dhcp/dhcp_io.h"
#include "dhcp/dhcp_msg.h"

struct pending {
	struct pending *next;
	struct dhcp_io *io;
	struct ev_timer *timer;
	uint8_t mac[6];
	struct sockaddr_in to;
	int ifindex;
	uint32_t src;
	size_t len;
	uint8_t pkt[DHCP_MAX_LEN];
};

struct dhcp_io {
	struct ev_loop *loop;
	int fd;
	uint16_t port;
	dhcp_io_packet_fn on_packet;
	dhcp_io_batch_fn on_batch;
	void *ctx;
	struct pending *pending;
	size_t npending;
};

static void send_now(struct dhcp_io *io, const uint8_t *pkt, size_t len, const struct sockaddr_in *to, int ifindex,
		     uint32_t src)
{
	ssize_t r = net_send(io->fd, pkt, len, to, ifindex, src);
	if (r < 0) {
		char a[16];
		log_warn("dhcp", "sending reply to %s failed: %s", net_ntoa(to->sin_addr.s_addr, a),
			 strerror((int)-r));
	}
}

static void pending_unlink(struct dhcp_io *io, struct pending *p)
{
	struct pending **pp = &io->pending;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = p->next;
		io->npending--;
	}
}

static void on_delay(struct ev_loop *loop, void *arg)
{
	struct pending *p = arg;
	(void)loop;
	pending_unlink(p->io, p);
	send_now(p->io, p->pkt, p->len, &p->to, p->ifindex, p->src);
	free(p);
}

static void pending_set(struct pending *p, const uint8_t *pkt, size_t len, const struct sockaddr_in *to,
			int ifindex, uint32_t src)
{
	memcpy(p->pkt, pkt, len);
	p->len = len;
	p->to = *to;
	p->ifindex = ifindex;
	p->src = src;
}

static void send_later(struct dhcp_io *io, const uint8_t mac[6], const uint8_t *pkt, size_t len,
		       const struct sockaddr_in *to, int ifindex, uint32_t src, unsigned delay_ms)
{
	for (struct pending *p = io->pending; p; p = p->next) {
		if (memcmp(p->mac, mac, 6) == 0) {
			/* The Pi asked again before its answer left: answer the
			 * newest request, once. */
			pending_set(p, pkt, len, to, ifindex, src);
			return;
		}
	}
	if (io->npending >= DHCP_IO_PENDING_MAX) {
		log_warn("dhcp", "too many delayed replies waiting; answering at once");
		send_now(io, pkt, len, to, ifindex, src);
		return;
	}
	struct pending *p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->io = io;
	memcpy(p->mac, mac, 6);
	pending_set(p, pkt, len, to, ifindex, src);
	p->timer = ev_timer_add(io->loop, delay_ms, on_delay, p);
	if (!p->timer) {
		free(p);
		send_now(io, pkt, len, to, ifindex, src);
		return;
	}
	p->next = io->pending;
	io->pending = p;
	io->npending++;
}

/* Point the kernel's neighbour table at chaddr so a unicast reply reaches
 * a client that has no address yet (RFC 2131 4.1; dnsmasq does the same
 * with SIOCSARP). */
static int set_arp(int fd, const char *ifname, uint32_t addr, const uint8_t mac[6])
{
	struct arpreq req;
	memset(&req, 0, sizeof(req));
	struct sockaddr_in *pa = (struct sockaddr_in *)&req.arp_pa;
	pa->sin_family = AF_INET;
	pa->sin_addr.s_addr = addr;
	req.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(req.arp_ha.sa_data, mac, 6);
	req.arp_flags = ATF_COM;
	snprintf(req.arp_dev, sizeof(req.arp_dev), "%s", ifname);
	return ioctl(fd, SIOCSARP, &req) < 0 ? -errno : 0;
}

void dhcp_io_sockaddr(const struct dhcp_dest *dst, uint16_t server_port, int ifindex, struct sockaddr_in *ret_to,
		      int *ret_ifindex)
{
	memset(ret_to, 0, sizeof(*ret_to));
	ret_to->sin_family = AF_INET;
	ret_to->sin_addr.s_addr = dst->addr;
	/* RFC 2131 4.1: a relay agent listens on the server port and routes;
	 * a client on the client port (68), on the link it asked from. */
	ret_to->sin_port = htons(dst->to_server_port ? server_port : (uint16_t)(server_port + 1));
	*ret_ifindex = dst->to_server_port ? 0 : ifindex;
}

void dhcp_io_reply(struct dhcp_io *io, const struct dhcp_dest *dst, const struct net_iface *ifc,
		   const uint8_t mac[6], const uint8_t *pkt, size_t len, unsigned delay_ms)
{
	struct sockaddr_in to;
	int ifindex;
	dhcp_io_sockaddr(dst, io->port, ifc->index, &to, &ifindex);
	if (dst->unicast_hw && set_arp(io->fd, ifc->name, to.sin_addr.s_addr, mac) < 0) {
		/* No neighbour entry: every client accepts a broadcast. */
		to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	}
	if (delay_ms)
		send_later(io, mac, pkt, len, &to, ifindex, ifc->addr, delay_ms);
	else
		send_now(io, pkt, len, &to, ifindex, ifc->addr);
}

static void on_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct dhcp_io *io = arg;
	uint8_t buf[DHCP_MAX_LEN + 1];
	(void)loop;
	(void)events;
	for (int i = 0; i < DHCP_IO_BATCH; i++) {
		struct sockaddr_in from;
		struct net_pkt_info info;
		ssize_t n = net_recv(fd, buf, sizeof(buf), &from, &info);
		if (n == -EMSGSIZE)
			continue; /* larger than any DHCP message we accept */
		if (n < 0)
			break;
		io->on_packet(io->ctx, buf, (size_t)n, &from, &info);
	}
	if (io->on_batch)
		io->on_batch(io->ctx);
}

struct dhcp_io *dhcp_io_new(struct ev_loop *loop, int fd, uint16_t server_port, dhcp_io_packet_fn on_packet,
			    dhcp_io_batch_fn on_batch, void *ctx)
{
	struct dhcp_io *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	io->loop = loop;
	io->fd = fd;
	io->port = server_port;
	io->on_packet = on_packet;
	io->on_batch = on_batch;
	io->ctx = ctx;
	if (ev_io_add(loop, fd, EV_READ, on_readable, io) < 0) {
		free(io);
		return NULL;
	}
	return io;
}

void dhcp_io_free(struct dhcp_io *io)
{
	if (!io)
		return;
	while (io->pending) {
		struct pending *p = io->pending;
		io->pending = p->next;
		ev_timer_cancel(io->loop, p->timer);
		free(p);
	}
	ev_io_del(io->loop, io->fd);
	free(io);
}

int dhcp_io_fd(const struct dhcp_io *io)
{
	return io->fd;
}
