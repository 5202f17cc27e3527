/* dhcp_service.c - the proxy-DHCP responder of `pinetboot serve`.
 *
 * Receives on the DHCP port, answers Raspberry Pi PXE DISCOVERs only
 * (never a kernel's, an OS's or an x86 PXE ROM's request), records unknown
 * Pis, and sends the dnsmasq-identical proxy OFFER out of the interface the
 * request came in on, broadcast, or to giaddr when relayed. Pi 3 ROMs get
 * their answer after a delay (protocol reference 2.4); a newer DISCOVER
 * from the same MAC replaces a reply still waiting, so state is keyed by
 * chaddr, never by xid (every Pi 3 uses xid 0x26f30339). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_proxy.h"
#include "daemon/dhcp_full.h"
#include "daemon/pi_trust.h"

#define PENDING_MAX 1024

struct pending {
	struct pending *next;
	struct dhcp_service *svc;
	struct ev_timer *timer;
	uint8_t mac[6];
	struct sockaddr_in to;
	int ifindex;
	uint32_t src;
	size_t len;
	uint8_t pkt[DHCP_MAX_LEN];
};

struct dhcp_service {
	struct daemon *d;
	int fd;
	struct pending *pending;
	size_t npending;
	struct dhcp_msg msg; /* parse scratch, owned by this service */
	struct dhcp_full *full; /* dhcp = full: the server, leases, probes */
};

static void send_reply(struct dhcp_service *s, const uint8_t *pkt, size_t len,
		       const struct sockaddr_in *to, int ifindex, uint32_t src)
{
	ssize_t r = net_send(s->fd, pkt, len, to, ifindex, src);
	if (r < 0) {
		char a[16];
		log_warn("dhcp", "sending reply to %s failed: %s", net_ntoa(to->sin_addr.s_addr, a),
			 strerror((int)-r));
	}
}

static void pending_unlink(struct dhcp_service *s, struct pending *p)
{
	struct pending **pp = &s->pending;
	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = p->next;
		s->npending--;
	}
}

static void on_delay(struct ev_loop *loop, void *arg)
{
	struct pending *p = arg;
	(void)loop;
	pending_unlink(p->svc, p);
	send_reply(p->svc, p->pkt, p->len, &p->to, p->ifindex, p->src);
	free(p);
}

static void schedule_reply(struct dhcp_service *s, const uint8_t mac[6], const uint8_t *pkt, size_t len,
			   const struct sockaddr_in *to, int ifindex, uint32_t src, unsigned delay_ms)
{
	for (struct pending *p = s->pending; p; p = p->next) {
		if (memcmp(p->mac, mac, 6) == 0) {
			/* The Pi asked again before its answer left: answer the
			 * newest request, once. */
			memcpy(p->pkt, pkt, len);
			p->len = len;
			p->to = *to;
			p->ifindex = ifindex;
			p->src = src;
			return;
		}
	}
	if (s->npending >= PENDING_MAX) {
		log_warn("dhcp", "too many delayed replies waiting; answering at once");
		send_reply(s, pkt, len, to, ifindex, src);
		return;
	}
	struct pending *p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->svc = s;
	memcpy(p->mac, mac, 6);
	memcpy(p->pkt, pkt, len);
	p->len = len;
	p->to = *to;
	p->ifindex = ifindex;
	p->src = src;
	p->timer = ev_timer_add(s->d->loop, delay_ms, on_delay, p);
	if (!p->timer) {
		free(p);
		send_reply(s, pkt, len, to, ifindex, src);
		return;
	}
	p->next = s->pending;
	s->pending = p;
	s->npending++;
}

static struct client *lookup(struct daemon *d, const struct pi_ident *pi)
{
	return daemon_lookup_pi(d, pi);
}

static void note_unknown(struct daemon *d, const struct pi_ident *pi)
{
	struct discovered x;
	memset(&x, 0, sizeof(x));
	snprintf(x.id, sizeof(x.id), "%s", pi->id);
	memcpy(x.mac, pi->mac, 6);
	x.has_serial = pi->has_serial;
	x.serial = pi->serial;
	x.board_rev = pi->has_rev ? pi->board_rev : 0;
	const char *model = pi->has_rev ? pi_board_model(pi->board_rev) : NULL;
	snprintf(x.model, sizeof(x.model), "%s", model ? model : pi_gen_name(pi->gen));
	x.first_seen = x.last_seen = time(NULL);
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = BEV_DHCP_UNKNOWN;
	snprintf(e.id, sizeof(e.id), "%s", pi->id);
	memcpy(e.mac, pi->mac, 6);
	e.has_mac = true;
	snprintf(e.detail, sizeof(e.detail), "%s", x.model);
	events_emit(d->bus, &e);
	/* Written by the housekeeping timer (every 10 s), never per packet,
	 * and at most DISCOVERY_NEW_PER_MIN new Pis a minute: a flood of
	 * forged DISCOVERs with random serials costs one write per 10 s. */
	int r = discovery_note_limited(&d->disc, &x, x.last_seen);
	if (r == 1) {
		char mac[18], hint[700];
		dhcp_mac_str(pi->mac, mac);
		daemon_register_hint(d, pi->id, hint, sizeof(hint));
		log_info("dhcp", "new unregistered Pi %s (%s, mac %s)%s; to register it: %s", pi->id, x.model, mac,
			 d->cfg.answer == ANSWER_ALL ? " answered with the shared boot files" : " not answered (answer = known)",
			 hint);
	} else if (r == -EAGAIN && !d->disc.rate_logged) {
		d->disc.rate_logged = true;
		log_warn("dhcp", "more than %d new unregistered Pis this minute: not recording more (a DISCOVER flood?)",
			 DISCOVERY_NEW_PER_MIN);
	}
}

/* RFC 2131 4.1: a relayed reply goes to giaddr. An address that is zero,
 * broadcast, loopback, multicast or the broadcast of one of our own
 * networks is no relay agent: such a reply would be broadcast or looped
 * back on the server, so the request is dropped. */
bool daemon_giaddr_ok(const struct daemon *d, uint32_t giaddr)
{
	uint32_t h = ntohl(giaddr);
	if (h == 0 || h == 0xffffffffu || (h >> 24) == 127 || (h >> 28) == 0xe || (h >> 28) == 0xf)
		return false;
	for (size_t i = 0; i < d->ifs.n; i++) {
		const struct net_iface *ifc = &d->ifs.v[i];
		if (giaddr == ifc->addr || giaddr == (ifc->addr | ~ifc->mask))
			return false;
	}
	return true;
}

static void handle(struct dhcp_service *s, const uint8_t *buf, size_t len,
		   const struct sockaddr_in *from, const struct net_pkt_info *info)
{
	struct daemon *d = s->d;
	const struct net_iface *ifc = net_iface_by_index(&d->ifs, info->ifindex);
	if (!ifc)
		return; /* not an interface we serve */
	struct dhcp_msg *m = &s->msg;
	int r = dhcp_msg_parse(m, buf, len);
	if (r < 0) {
		char a[16];
		log_debug("dhcp", "ignoring malformed packet from %s on %s: %s",
			  net_ntoa(from->sin_addr.s_addr, a), ifc->name, strerror(-r));
		return;
	}
	if (s->full) {
		dhcp_full_handle(s->full, m, buf, len, from, info, ifc);
		return;
	}
	if (m->op != BOOTREQUEST || m->msg_type != DHCPDISCOVER)
		return; /* proxy mode answers DISCOVERs only; the LAN's server does the rest */
	struct pi_ident pi;
	pi_identify(m, &pi);
	char mac[18];
	dhcp_mac_str(m->chaddr, mac);
	if (!dhcp_proxy_wants(m, &pi)) {
		log_debug("dhcp", "%s: ignoring DISCOVER xid %08x: %s", mac, m->xid,
			  pi.is_pxe ? "PXE client that is not a Raspberry Pi" : "not a PXE boot request");
		return;
	}
	if (m->giaddr && !daemon_giaddr_ok(d, m->giaddr)) {
		char a[16];
		log_warn("dhcp", "%s: dropping DISCOVER relayed from giaddr %s: not a relay agent address", mac,
			 net_ntoa(m->giaddr, a));
		return;
	}
	struct client *c = lookup(d, &pi);
	if (c && daemon_claim(d, c, m->chaddr, pi.has_serial, pi.serial) == PI_CLAIM_CONTESTED)
		return;
	if (!c) {
		note_unknown(d, &pi);
		if (d->cfg.answer != ANSWER_ALL) {
			log_debug("dhcp", "%s %s: unregistered, not answered", mac, pi.id);
			return;
		}
	}
	uint8_t out[DHCP_MAX_LEN];
	bool spaced = d->cfg.pi3_spaced_menu && pi.const_guid;
	int n = dhcp_proxy_build(m, ifc->addr, spaced, out, sizeof(out));
	if (n < 0) {
		log_warn("dhcp", "%s: cannot build reply: %s", mac, strerror(-n));
		return;
	}
	struct sockaddr_in to = { .sin_family = AF_INET };
	int ifindex = 0;
	if (m->giaddr) {
		/* Relayed: answer the relay agent on the server port (RFC 2131 4.1). */
		to.sin_addr.s_addr = m->giaddr;
		to.sin_port = htons((uint16_t)d->cfg.dhcp_port);
	} else {
		to.sin_addr.s_addr = htonl(INADDR_BROADCAST);
		to.sin_port = htons((uint16_t)(d->cfg.dhcp_port + 1));
		ifindex = ifc->index;
	}
	unsigned delay = dhcp_proxy_delay_ms(&pi, d->cfg.pi3_reply_delay_ms);
	const char *model = pi.has_rev ? pi_board_model(pi.board_rev) : NULL;
	log_info("dhcp", "%s %s%s%s (%s) on %s: boot answer, TFTP %s%s", mac, pi.id,
		 c && c->name[0] ? " " : "", c ? c->name : "", model ? model : pi_gen_name(pi.gen),
		 ifc->name, net_ntoa(ifc->addr, (char[16]){ 0 }), delay ? " (delayed for the Pi 3 ROM)" : "");
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = BEV_DHCP_ANSWER;
	snprintf(e.id, sizeof(e.id), "%s", c ? c->id : pi.id);
	memcpy(e.mac, pi.mac, 6);
	e.has_mac = true;
	snprintf(e.detail, sizeof(e.detail), "%s", model ? model : pi_gen_name(pi.gen));
	events_emit(d->bus, &e);
	if (delay)
		schedule_reply(s, m->chaddr, out, (size_t)n, &to, ifindex, ifc->addr, delay);
	else
		send_reply(s, out, (size_t)n, &to, ifindex, ifc->addr);
}

static void on_readable(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct dhcp_service *s = arg;
	uint8_t buf[DHCP_MAX_LEN + 1];
	(void)loop;
	for (int i = 0; i < 256; i++) {
		struct sockaddr_in from;
		struct net_pkt_info info;
		ssize_t n = net_recv(fd, buf, sizeof(buf), &from, &info);
		if (n == -EMSGSIZE)
			continue; /* larger than any DHCP message we accept */
		if (n < 0)
			break;
		handle(s, buf, (size_t)n, &from, &info);
	}
	/* Full mode: one fdatasync for the whole batch, then its ACKs. */
	if (s->full)
		dhcp_full_flush(s->full);
}

struct dhcp_service *dhcp_service_new(struct daemon *d, int fd)
{
	struct dhcp_service *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->d = d;
	s->fd = fd;
	if (d->cfg.dhcp == DHCP_FULL) {
		s->full = dhcp_full_new(d, fd, s);
		if (!s->full) {
			free(s);
			return NULL;
		}
	}
	if (ev_io_add(d->loop, fd, EV_READ, on_readable, s) < 0) {
		dhcp_full_free(s->full);
		free(s);
		return NULL;
	}
	return s;
}

void dhcp_service_free(struct dhcp_service *s)
{
	if (!s)
		return;
	while (s->pending) {
		struct pending *p = s->pending;
		s->pending = p->next;
		ev_timer_cancel(s->d->loop, p->timer);
		free(p);
	}
	dhcp_full_free(s->full);
	ev_io_del(s->d->loop, s->fd);
	free(s);
}

/* Shared with the full-mode responder (dhcp_full.c). */
void dhcp_service_note_unknown(struct daemon *d, const struct pi_ident *pi)
{
	note_unknown(d, pi);
}

struct client *dhcp_service_lookup(struct daemon *d, const struct pi_ident *pi)
{
	return lookup(d, pi);
}

void dhcp_service_schedule(struct dhcp_service *s, const uint8_t mac[6], const uint8_t *pkt, size_t len,
			   const struct sockaddr_in *to, int ifindex, uint32_t src, unsigned delay_ms)
{
	schedule_reply(s, mac, pkt, len, to, ifindex, src, delay_ms);
}
