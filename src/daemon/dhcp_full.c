/* dhcp_full.c - `dhcp = full`: pinetboot is the DHCP server of the switch.
 *
 * Feeds each request to the pure server with what the daemon knows (the
 * receiving interface, the registered client and its fixed address, the
 * Pi identity), runs the asynchronous ARP conflict probes the server asks
 * for, and hands replies to dhcp_io (RFC 2131 4.1 destination from
 * dhcp_dest.c). Replies that bind a lease wait in a queue until the
 * batch's journal records are fdatasync'ed: an ACK never leaves before
 * the lease it grants would survive kill -9. Must not own the socket or
 * call dhcp_service.c; the registry is reached through struct
 * dhcp_registry (pi_trust.c's rules, unchanged). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/dhcp_full.h"
#include "daemon/dhcp_registry.h"
#include "dhcp/dhcp_arp.h"
#include "dhcp/dhcp_lease.h"
#include "dhcp/dhcp_preflight.h"
#include "dhcp/dhcp_proxy.h"
#include "dhcp/dhcp_server.h"

#define QUEUE_MAX 512          /* replies per batch (dhcp_io reads <= 256) */
#define HELD_MAX 1024          /* requests waiting for a probe */
#define PROBE_TRIES 4          /* addresses tried per request before giving up */
#define COMPACT_MS 10000
#define KEEP_FREE_S (7 * 86400) /* remember released/expired owners a week */

struct held {
	struct held *next;
	uint32_t addr;
	int tries;
	struct sockaddr_in from;
	struct net_pkt_info info;
	size_t len;
	uint8_t buf[DHCP_MAX_LEN];
};

struct outgoing {
	struct dhcp_dest dst;
	struct net_iface ifc;       /* the receiving interface, copied */
	uint8_t mac[6];
	unsigned delay_ms;
	bool has_ev;
	struct boot_event ev;
	size_t len;
	uint8_t pkt[DHCP_MAX_LEN];
};

struct dhcp_full {
	struct daemon *d;
	struct dhcp_io *io;          /* not owned */
	const struct dhcp_registry *reg; /* not owned */
	struct dhcp_lease_db db;
	struct dhcp_server srv;
	struct dhcp_arp *arp;
	struct held *held;
	size_t nheld;
	struct outgoing *q;
	size_t nq;
	struct dhcp_server_out out;  /* scratch for one handle() */
	struct dhcp_msg msg;         /* scratch for re-parsing a held request */
	struct ev_timer *timer;
	uint64_t exhausted_log_ms;
};

/* One request on its way through the responder. */
struct req {
	const struct dhcp_msg *m;
	const uint8_t *buf;
	size_t len;
	const struct sockaddr_in *from;
	const struct net_pkt_info *info;
	const struct net_iface *ifc;
	int tries;                   /* conflict probes already run for it */
	struct pi_ident pi;
	bool firmware;               /* the Pi firmware's own request */
	bool boot;                   /* add the Pi boot answer */
	bool known;
	struct dhcp_known k;         /* the registered client, when known */
	char mac[18];
};

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

/* Fixed addresses of registered clients and our own interface addresses
 * are never given to anyone else. */
static bool reserved(void *ctx, uint32_t addr, const uint8_t mac[6])
{
	struct daemon *d = ctx;
	for (size_t i = 0; i < d->ifs.n; i++)
		if (d->ifs.v[i].addr == addr)
			return true;
	for (size_t i = 0; i < d->clients.n; i++) {
		const struct client *c = &d->clients.v[i];
		if (c->address == addr && !(c->has_mac && memcmp(c->mac, mac, 6) == 0))
			return true;
	}
	return false;
}

static void send_now(struct dhcp_full *f, struct outgoing *o)
{
	dhcp_io_reply(f->io, &o->dst, &o->ifc, o->mac, o->pkt, o->len, o->delay_ms);
	if (o->has_ev)
		events_emit(f->d->bus, &o->ev);
}

void dhcp_full_flush(struct dhcp_full *f)
{
	if (!f)
		return;
	if (dhcp_lease_db_dirty(&f->db)) {
		int r = dhcp_lease_db_sync(&f->db);
		if (r < 0) {
			/* Not durable: the ACKs must not leave. Clients retry. */
			log_error("dhcp", "lease journal write failed (%s): %zu replies not sent", strerror(-r), f->nq);
			f->nq = 0;
			return;
		}
	}
	for (size_t i = 0; i < f->nq; i++)
		send_now(f, &f->q[i]);
	f->nq = 0;
}

/* The registered client: by the firmware's identity, else by chaddr,
 * else (the kernel's ip=dhcp carries no serial) the client named by the
 * lease its firmware took from the same NIC. */
static bool find_client(struct dhcp_full *f, struct req *rq)
{
	const struct clients *reg = &f->d->clients;
	if (rq->firmware && f->reg->lookup(f->reg->ctx, &rq->pi, &rq->k))
		return true;
	struct client *c = clients_find_mac(reg, rq->m->chaddr);
	for (size_t i = 0; i < f->db.n && !c; i++) {
		const struct dhcp_lease *l = &f->db.v[i];
		if (l->id[0] && l->state != LEASE_FREE && l->state != LEASE_DECLINED &&
		    memcmp(l->mac, rq->m->chaddr, 6) == 0)
			c = clients_find_id(reg, l->id);
	}
	if (c)
		dhcp_registry_known(c, &rq->k);
	return c != NULL;
}

/* Who asks, and may it have a boot answer? False: drop it (contested). */
static bool identify(struct dhcp_full *f, struct req *rq)
{
	const struct dhcp_msg *m = rq->m;
	pi_identify(m, &rq->pi);
	dhcp_mac_str(m->chaddr, rq->mac);
	/* The firmware's own requests: PXE DISCOVERs, and the Pi 4/5
	 * REQUEST, which has the Pi GUID but no option 60 [EE#82]. */
	rq->firmware = rq->pi.is_pi || (dhcp_msg_has_opt(m, DHO_CLIENT_GUID) &&
					(rq->pi.gen != PI_GEN_UNKNOWN || rq->pi.has_serial) && rq->pi.pi_oui);
	rq->known = find_client(f, rq);
	/* Another MAC claiming a registered Pi gets neither its boot answer
	 * nor its fixed address (README, "Security"). */
	if (rq->firmware && rq->known && rq->tries == 0 &&
	    !f->reg->claim(f->reg->ctx, &rq->k, m->chaddr, &rq->pi))
		return false;
	if (rq->firmware && !rq->known && m->msg_type == DHCPDISCOVER && rq->tries == 0)
		f->reg->note_unknown(f->reg->ctx, &rq->pi, wall_now());
	rq->boot = rq->firmware && (rq->known || f->d->cfg.answer == ANSWER_ALL);
	return true;
}

static void on_probe_done(void *arg, uint32_t addr, bool in_use);

static void hold_set(struct held *h, const struct req *rq)
{
	memcpy(h->buf, rq->buf, rq->len);
	h->len = rq->len;
	h->from = *rq->from;
	h->info = *rq->info;
}

/* Start the conflict probe of out->addr and keep the request until it
 * ends. True when the request waits; false when the caller should offer
 * unchecked (dhcp_server_probe_result already told). */
static bool hold_for_probe(struct dhcp_full *f, const struct req *rq, int64_t now, bool *ret_drop)
{
	uint32_t addr = f->out.addr;
	char a[16];
	*ret_drop = false;
	for (struct held *h = f->held; h; h = h->next) {
		if (h->addr == addr) {
			/* Probe running: answer the newest request when it ends. */
			hold_set(h, rq);
			return true;
		}
	}
	if (f->nheld >= HELD_MAX) {
		log_debug("dhcp", "%s: too many conflict probes running, dropped", rq->mac);
		*ret_drop = true;
		return false;
	}
	struct held *h = calloc(1, sizeof(*h));
	if (!h) {
		*ret_drop = true;
		return false;
	}
	int r = dhcp_arp_probe(f->arp, rq->ifc->index, rq->ifc->addr, addr, f->d->cfg.dhcp_probe_ms,
			       on_probe_done, f);
	if (r < 0) {
		free(h);
		log_debug("dhcp", "%s: ARP probe of %s failed (%s), offering unchecked", rq->mac,
			  net_ntoa(addr, a), strerror(-r));
		dhcp_server_probe_result(&f->srv, addr, false, now);
		return false;
	}
	h->addr = addr;
	h->tries = rq->tries;
	hold_set(h, rq);
	h->next = f->held;
	f->held = h;
	f->nheld++;
	log_debug("dhcp", "%s: probing %s before offering it", rq->mac, net_ntoa(addr, a));
	return true;
}

/* The server asked for a conflict probe (RFC 2131 3.1 step 2). True when
 * the request is done for now (held, or dropped); false when f->out now
 * holds the server's answer without the probe. */
static bool probe_first(struct dhcp_full *f, const struct req *rq, const struct dhcp_server_in *in)
{
	bool drop = false;
	/* A relayed client's link is not ours to ARP on; with no prober (or
	 * after several conflicts) offer unchecked. */
	if (f->arp && !rq->m->giaddr && rq->tries < PROBE_TRIES) {
		if (hold_for_probe(f, rq, in->now, &drop) || drop)
			return true;
	} else {
		dhcp_server_probe_result(&f->srv, f->out.addr, false, in->now);
	}
	dhcp_server_handle(&f->srv, in, &f->out);
	return false;
}

static void log_drop(struct dhcp_full *f, const struct req *rq)
{
	const struct dhcp_server_out *out = &f->out;
	const struct dhcp_msg *m = rq->m;
	const char *name = rq->known ? rq->k.name : "";
	char a[16];
	if (!out->why)
		return;
	if (strcmp(out->why, "address pool exhausted") == 0) {
		/* Rate-limited: a client retrying every second must not flood. */
		uint64_t now = ev_now(f->d->loop);
		if (now - f->exhausted_log_ms >= 1000 || !f->exhausted_log_ms) {
			f->exhausted_log_ms = now;
			log_warn("dhcp", "%s: no address to offer on %s: address pool exhausted (dhcp-range %s)",
				 rq->mac, rq->ifc->name, f->d->cfg.dhcp_range);
		}
	} else if (m->msg_type == DHCPDECLINE || m->msg_type == DHCPRELEASE) {
		log_info("dhcp", "%s%s%s: %s %s: %s", rq->mac, name[0] ? " " : "", name, dhcp_type_name(m->msg_type),
			 net_ntoa(out->addr ? out->addr : m->ciaddr, a), out->why);
	} else {
		log_debug("dhcp", "%s: %s xid %08x not answered: %s", rq->mac, dhcp_type_name(m->msg_type),
			  m->xid, out->why);
	}
}

static void log_reply(const struct req *rq, const struct dhcp_server_in *in, const struct dhcp_server_out *out)
{
	const char *name = rq->known ? rq->k.name : "";
	char a[16];
	if (out->type == DHCPNAK)
		log_info("dhcp", "%s%s%s: NAK %s on %s: %s", rq->mac, name[0] ? " " : "", name,
			 dhcp_type_name(rq->m->msg_type), rq->ifc->name, out->why ? out->why : "");
	else if (out->bound || rq->boot)
		log_info("dhcp", "%s%s%s%s%s: %s %s on %s%s%s", rq->mac, in->id[0] ? " " : "", in->id,
			 name[0] ? " " : "", name, dhcp_type_name(out->type), net_ntoa(out->addr, a), rq->ifc->name,
			 rq->boot ? ", boot answer" : "", out->bound ? ", lease bound" : "");
	else
		log_debug("dhcp", "%s: %s %s on %s", rq->mac, dhcp_type_name(out->type), net_ntoa(out->addr, a),
			  rq->ifc->name);
}

/* The same boot event as the proxy answer, for the fleet view. */
static void emit_boot_answer(struct dhcp_full *f, const struct req *rq, const struct dhcp_server_in *in)
{
	const struct pi_ident *pi = &rq->pi;
	const char *model = pi->has_rev ? pi_board_model(pi->board_rev) : NULL;
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = BEV_DHCP_ANSWER;
	snprintf(e.id, sizeof(e.id), "%s", in->id);
	memcpy(e.mac, rq->m->chaddr, 6);
	e.has_mac = true;
	e.addr = f->out.addr;
	snprintf(e.detail, sizeof(e.detail), "%s", model ? model : pi_gen_name(pi->gen));
	events_emit(f->d->bus, &e);
}

/* Fill o with the reply in f->out: where it goes, its delay, its lease
 * event. */
static void fill_outgoing(struct dhcp_full *f, const struct req *rq, const struct dhcp_server_in *in,
			  struct outgoing *o)
{
	const struct dhcp_server_out *out = &f->out;
	memset(o, 0, offsetof(struct outgoing, pkt));
	o->dst.addr = out->dst;
	o->dst.to_server_port = out->to_server_port;
	o->dst.broadcast = out->broadcast;
	o->dst.unicast_hw = out->unicast_hw;
	o->ifc = *rq->ifc;
	memcpy(o->mac, rq->m->chaddr, 6);
	memcpy(o->pkt, out->pkt, out->len);
	o->len = out->len;
	/* The Pi 3 ROM needs its OFFER late (protocol reference 2.4). */
	if (rq->boot && out->type == DHCPOFFER)
		o->delay_ms = dhcp_proxy_delay_ms(&rq->pi, f->d->cfg.pi3_reply_delay_ms);
	if (out->bound) {
		o->has_ev = true;
		o->ev.type = BEV_DHCP_LEASE;
		snprintf(o->ev.id, sizeof(o->ev.id), "%s", in->id ? in->id : "");
		memcpy(o->ev.mac, rq->m->chaddr, 6);
		o->ev.has_mac = true;
		o->ev.addr = out->addr;
		snprintf(o->ev.detail, sizeof(o->ev.detail), "%s %s", dhcp_type_name(out->type),
			 rq->boot ? "with boot answer" : "");
	}
}

/* A reply: durable ones join the batch (sent after its fdatasync), the
 * rest leave now. */
static void queue_reply(struct dhcp_full *f, const struct req *rq, const struct dhcp_server_in *in)
{
	const struct dhcp_server_out *out = &f->out;
	struct outgoing tmp, *o = &tmp;
	if (out->durable && f->nq < QUEUE_MAX) {
		o = &f->q[f->nq++];
	} else if (out->durable) {
		/* Queue full: make the batch so far (this record included)
		 * durable first; if that failed, this reply must not leave. */
		dhcp_full_flush(f);
		if (dhcp_lease_db_dirty(&f->db))
			return;
	}
	fill_outgoing(f, rq, in, o);
	if (rq->boot && out->type == DHCPOFFER)
		emit_boot_answer(f, rq, in);
	log_reply(rq, in, out);
	if (o == &tmp)
		send_now(f, o);
}

/* One request: who asks, the server's verdict, a conflict probe if it
 * wants one, then the drop or the reply. */
static void process(struct dhcp_full *f, struct req *rq)
{
	const struct dhcp_msg *m = rq->m;
	if (m->op != BOOTREQUEST || !identify(f, rq))
		return;
	struct dhcp_server_in in = {
		.m = m, .pi = rq->firmware ? &rq->pi : NULL, .if_addr = rq->ifc->addr, .if_mask = rq->ifc->mask,
		.ifs = &f->d->ifs, .fixed_addr = rq->known ? rq->k.fixed_addr : 0, .boot_answer = rq->boot,
		.spaced = f->d->cfg.pi3_spaced_menu && rq->pi.const_guid,
		.id = rq->known ? rq->k.id : rq->firmware ? rq->pi.id : "", .now = wall_now(),
	};
	dhcp_server_handle(&f->srv, &in, &f->out);
	if (f->out.v == DHCP_V_PROBE && probe_first(f, rq, &in))
		return;
	if (f->out.v == DHCP_V_DROP)
		log_drop(f, rq);
	else if (f->out.v == DHCP_V_REPLY)
		queue_reply(f, rq, &in);
}

static void on_probe_done(void *arg, uint32_t addr, bool in_use)
{
	struct dhcp_full *f = arg;
	struct held *h = NULL;
	char a[16];

	for (struct held **pp = &f->held; *pp; pp = &(*pp)->next) {
		if ((*pp)->addr == addr) {
			h = *pp;
			*pp = h->next;
			f->nheld--;
			break;
		}
	}
	dhcp_server_probe_result(&f->srv, addr, in_use, wall_now());
	if (in_use)
		log_warn("dhcp", "address %s answers ARP but is not leased by us: quarantined, offering another",
			 net_ntoa(addr, a));
	if (!h)
		return;
	const struct net_iface *ifc = net_iface_by_index(&f->d->ifs, h->info.ifindex);
	if (ifc && dhcp_msg_parse(&f->msg, h->buf, h->len) == 0) {
		struct req rq = { .m = &f->msg, .buf = h->buf, .len = h->len, .from = &h->from, .info = &h->info,
				  .ifc = ifc, .tries = h->tries + 1 };
		process(f, &rq);
	}
	free(h);
	dhcp_full_flush(f);
}

void dhcp_full_handle(struct dhcp_full *f, const struct dhcp_msg *m, const uint8_t *buf, size_t len,
		      const struct sockaddr_in *from, const struct net_pkt_info *info,
		      const struct net_iface *ifc)
{
	if (len > DHCP_MAX_LEN)
		return; /* a held request keeps a copy of at most this */
	struct req rq = { .m = m, .buf = buf, .len = len, .from = from, .info = info, .ifc = ifc, .tries = 0 };
	process(f, &rq);
}

static void on_timer(struct ev_loop *loop, void *arg)
{
	struct dhcp_full *f = arg;
	if (dhcp_lease_db_should_compact(&f->db)) {
		int r = dhcp_lease_db_compact(&f->db, wall_now(), KEEP_FREE_S);
		if (r < 0)
			log_warn("dhcp", "lease journal compaction failed: %s", strerror(-r));
		else
			log_debug("dhcp", "lease journal compacted: %zu records", f->db.journal_records);
	}
	f->timer = ev_timer_add(loop, COMPACT_MS, on_timer, f);
}

struct dhcp_full *dhcp_full_new(struct daemon *d, struct dhcp_io *io, const struct dhcp_registry *reg)
{
	char err[256];
	struct dhcp_server_conf conf;
	struct dhcp_full *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->d = d;
	f->io = io;
	f->reg = reg;
	dhcp_lease_db_init(&f->db);
	if (dhcp_server_conf_parse(&conf, d->cfg.dhcp_range, d->cfg.dhcp_netmask, d->cfg.dhcp_router,
				   d->cfg.dhcp_dns, d->cfg.dhcp_lease_time, err, sizeof(err)) < 0) {
		log_error("dhcp", "%s", err);
		goto fail;
	}
	conf.probe = d->cfg.dhcp_probe_ms > 0;
	f->q = calloc(QUEUE_MAX, sizeof(*f->q));
	if (!f->q)
		goto fail;
	int r = dhcp_lease_db_open(&f->db, d->cfg.data_dir);
	if (r < 0) {
		log_error("dhcp", "cannot open the lease journal in %s: %s", d->cfg.data_dir, strerror(-r));
		goto fail;
	}
	r = dhcp_lease_db_compact(&f->db, wall_now(), KEEP_FREE_S);
	if (r < 0)
		log_warn("dhcp", "lease journal compaction failed: %s", strerror(-r));
	dhcp_server_init(&f->srv, &conf, &f->db, reserved, d);
	if (conf.probe) {
		f->arp = dhcp_arp_new(d->loop, d->socks.arp);
		d->socks.arp = -1;
		if (!f->arp)
			log_warn("dhcp", "no ARP conflict probes (%s); addresses are offered unchecked", strerror(errno));
	}
	f->timer = ev_timer_add(d->loop, COMPACT_MS, on_timer, f);
	for (size_t i = 0; i < conf.npool; i++) {
		char a[16], b[16];
		log_info("dhcp", "full DHCP server: pool %s-%s, lease %u s, router %s, %zu DNS servers",
			 net_ntoa(htonl(conf.pool[i].first), a), net_ntoa(htonl(conf.pool[i].last), b),
			 conf.lease_time, conf.router ? net_ntoa(conf.router, (char[16]){ 0 }) : "none", conf.ndns);
	}
	return f;
fail:
	dhcp_full_free(f);
	return NULL;
}

void dhcp_full_free(struct dhcp_full *f)
{
	if (!f)
		return;
	dhcp_full_flush(f);
	if (f->timer)
		ev_timer_cancel(f->d->loop, f->timer);
	dhcp_arp_free(f->arp);
	while (f->held) {
		struct held *h = f->held;
		f->held = h->next;
		free(h);
	}
	free(f->q);
	dhcp_lease_db_fini(&f->db);
	free(f);
}

/* Refuse to be a second DHCP server on the link (dhcp/dhcp_preflight.c). */
int dhcp_full_preflight(struct daemon *d)
{
	return dhcp_preflight(&d->ifs, (uint16_t)d->cfg.dhcp_port);
}
