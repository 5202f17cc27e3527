/* dhcp_service.c - the DHCP service of `pinetboot serve`: the thin shell.
 *
 * Owns the wiring of the DHCP socket (dhcp/dhcp_io.c) to a mode: each
 * datagram is parsed once here, then goes to the full-mode responder
 * (dhcp_full.c) or through the pure proxy handler (dhcp/dhcp_proxy.c:
 * answer Raspberry Pi PXE DISCOVERs only, record unknown Pis, the
 * dnsmasq-identical OFFER, Pi 3 delay per protocol reference 2.4), whose
 * verdict it logs, turns into a fleet event and sends. Also the default
 * image and "how to register" hint (used by the fleet view). Must not
 * decide what a packet deserves (the handlers do) nor where a reply goes
 * (dhcp/dhcp_dest.c), and must not be called back by dhcp_full.c. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/dhcp_full.h"
#include "daemon/dhcp_registry.h"
#include "daemon/pi_trust.h"
#include "dhcp/dhcp_io.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_proxy.h"

struct dhcp_service {
	struct daemon *d;
	struct dhcp_io *io;
	struct dhcp_registry reg;
	struct dhcp_msg msg;          /* parse scratch, owned by this service */
	struct dhcp_proxy_out out;    /* proxy verdict scratch */
	struct dhcp_full *full;       /* dhcp = full: the server, leases, probes */
};

/* The log line of a proxy verdict other than an answer (none for a
 * request that is not ours, or a contested Pi: pi_trust logs that). */
static void proxy_log_drop(const struct dhcp_msg *m, const struct dhcp_proxy_out *o)
{
	char mac[18], a[16];
	dhcp_mac_str(m->chaddr, mac);
	switch (o->v) {
	case DHCP_PROXY_NOT_PI:
		log_debug("dhcp", "%s: ignoring DISCOVER xid %08x: %s", mac, m->xid,
			  o->pi.is_pxe ? "PXE client that is not a Raspberry Pi" : "not a PXE boot request");
		break;
	case DHCP_PROXY_BAD_RELAY:
		log_warn("dhcp", "%s: dropping DISCOVER relayed from giaddr %s: not a relay agent address", mac,
			 net_ntoa(m->giaddr, a));
		break;
	case DHCP_PROXY_UNREGISTERED:
		log_debug("dhcp", "%s %s: unregistered, not answered", mac, o->pi.id);
		break;
	case DHCP_PROXY_BUILD_FAILED:
		log_warn("dhcp", "%s: cannot build reply: %s", mac, strerror(-o->err));
		break;
	default:
		break;
	}
}

/* A proxy boot answer: log it, tell the fleet view, send it. */
static void proxy_answer(struct dhcp_service *s, const struct dhcp_msg *m, const struct net_iface *ifc,
			 const struct dhcp_proxy_out *o)
{
	const struct pi_ident *pi = &o->pi;
	const char *model = pi->has_rev ? pi_board_model(pi->board_rev) : NULL;
	const char *name = o->known ? o->k.name : "";
	char mac[18];
	dhcp_mac_str(m->chaddr, mac);
	log_info("dhcp", "%s %s%s%s (%s) on %s: boot answer, TFTP %s%s", mac, pi->id, name[0] ? " " : "", name,
		 model ? model : pi_gen_name(pi->gen), ifc->name, net_ntoa(ifc->addr, (char[16]){ 0 }),
		 o->delay_ms ? " (delayed for the Pi 3 ROM)" : "");
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = BEV_DHCP_ANSWER;
	snprintf(e.id, sizeof(e.id), "%s", o->known ? o->k.id : pi->id);
	memcpy(e.mac, pi->mac, 6);
	e.has_mac = true;
	snprintf(e.detail, sizeof(e.detail), "%s", model ? model : pi_gen_name(pi->gen));
	events_emit(s->d->bus, &e);
	dhcp_io_reply(s->io, &o->dst, ifc, m->chaddr, o->pkt, o->len, o->delay_ms);
}

static void on_packet(void *ctx, const uint8_t *buf, size_t len, const struct sockaddr_in *from,
		      const struct net_pkt_info *info)
{
	struct dhcp_service *s = ctx;
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
	struct dhcp_proxy_in in = {
		.m = m, .if_addr = ifc->addr, .ifs = &d->ifs, .answer_all = d->cfg.answer == ANSWER_ALL,
		.spaced_menu = d->cfg.pi3_spaced_menu, .pi3_delay_ms = d->cfg.pi3_reply_delay_ms,
		.now = (int64_t)time(NULL),
	};
	dhcp_proxy_handle(&in, &s->reg, &s->out);
	if (s->out.v == DHCP_PROXY_ANSWER)
		proxy_answer(s, m, ifc, &s->out);
	else
		proxy_log_drop(m, &s->out);
}

/* Full mode: one fdatasync for the whole batch, then its ACKs. */
static void on_batch(void *ctx)
{
	struct dhcp_service *s = ctx;
	if (s->full)
		dhcp_full_flush(s->full);
}

struct dhcp_service *dhcp_service_new(struct daemon *d, int fd)
{
	struct dhcp_service *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->d = d;
	dhcp_registry_of_daemon(d, &s->reg);
	s->io = dhcp_io_new(d->loop, fd, (uint16_t)d->cfg.dhcp_port, on_packet, on_batch, s);
	if (!s->io) {
		free(s);
		return NULL;
	}
	if (d->cfg.dhcp == DHCP_FULL) {
		s->full = dhcp_full_new(d, s->io, &s->reg);
		if (!s->full) {
			dhcp_io_free(s->io);
			free(s);
			return NULL;
		}
	}
	return s;
}

void dhcp_service_free(struct dhcp_service *s)
{
	if (!s)
		return;
	/* The responder first: its last flush may still hand io a reply. */
	dhcp_full_free(s->full);
	dhcp_io_free(s->io);
	free(s);
}
