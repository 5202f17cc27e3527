/* dhcp_server.c - RFC 2131 server policy for `dhcp = full`.
 *
 * Owns: pool selection (interface or giaddr), address choice (fixed, the
 * client's previous lease, option 50, a MAC-derived address, then any free
 * one), the client states of RFC 2131 4.3 (SELECTING, INIT-REBOOT,
 * RENEWING, REBINDING), DECLINE quarantine, RELEASE, INFORM, and the reply
 * bytes with options ordered by the client's option 55. Pure: no I/O.
 * Must not touch sockets, the clock or daemon state; the reply's
 * destination is dhcp_dest.c's, the config text dhcp_server_conf.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/net.h"
#include "dhcp/dhcp_dest.h"
#include "dhcp/dhcp_proxy.h"
#include "dhcp/dhcp_server.h"

#define IP_UDP_HDR 28u          /* RFC 2132 9.10: option 57 counts the IP and UDP headers */
#define MIN_MAX_MSG 576u        /* RFC 2132 9.10: minimum legal value */

void dhcp_server_init(struct dhcp_server *s, const struct dhcp_server_conf *conf,
		      struct dhcp_lease_db *db, dhcp_reserved_fn reserved, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->conf = *conf;
	s->db = db;
	s->reserved = reserved;
	s->ctx = ctx;
}

/* ------------------------------------------------------------ clients */

/* Who is asking: chaddr, plus option 61 when present (RFC 2131 4.2: the
 * client identifier, if given, names the client instead of chaddr). */
struct who {
	uint8_t mac[6];
	const uint8_t *cid;
	size_t cid_len;
};

static void who_of(const struct dhcp_msg *m, struct who *w)
{
	memcpy(w->mac, m->chaddr, 6);
	w->cid = dhcp_msg_opt(m, DHO_CLIENT_ID, &w->cid_len);
	if (w->cid && (w->cid_len == 0 || w->cid_len > DHCP_LEASE_CID_MAX))
		w->cid = NULL; /* longer ids are compared by MAC (kept bounded) */
	if (!w->cid)
		w->cid_len = 0;
}

static bool owned_by(const struct dhcp_lease *l, const struct who *w)
{
	if (l->state == LEASE_FREE || l->state == LEASE_DECLINED)
		return false;
	if (w->cid && l->cid_len)
		return l->cid_len == w->cid_len && memcmp(l->cid, w->cid, w->cid_len) == 0;
	return memcmp(l->mac, w->mac, 6) == 0;
}

static void set_owner(struct dhcp_lease *l, const struct who *w, const char *id)
{
	memcpy(l->mac, w->mac, 6);
	l->cid_len = (uint8_t)w->cid_len;
	if (w->cid_len)
		memcpy(l->cid, w->cid, w->cid_len);
	snprintf(l->id, sizeof(l->id), "%s", id ? id : "");
}

static bool live(const struct dhcp_lease *l, int64_t now)
{
	return (l->state == LEASE_BOUND || l->state == LEASE_OFFERED || l->state == LEASE_DECLINED) &&
	       l->expires > now;
}

/* May addr, whose entry is l (NULL: none), go to client w? (It is inside
 * a pool; this checks everything else: our own or another client's fixed
 * address, a live lease, an offer held for someone else, a quarantine.) */
static bool available_l(struct dhcp_server *s, uint32_t addr, const struct dhcp_lease *l,
			const struct who *w, int64_t now)
{
	if (l && !owned_by(l, w) && live(l, now))
		return false;
	return !(s->reserved && s->reserved(s->ctx, addr, w->mac));
}

static bool available(struct dhcp_server *s, uint32_t addr, const struct who *w, int64_t now)
{
	return available_l(s, addr, dhcp_lease_find_addr(s->db, addr), w, now);
}

/* Is entry l (NULL: none) untouched by anyone else (never used, or free)? */
static bool pristine(const struct dhcp_lease *l, const struct who *w)
{
	return !l || l->state == LEASE_FREE || owned_by(l, w);
}

/* The client's own entry: live bound first, then a held offer, then the
 * most recent expired or released one (so it comes back to its address). */
static struct dhcp_lease *client_lease(struct dhcp_server *s, const struct who *w, const struct dhcp_pool *p)
{
	struct dhcp_lease *best = NULL;
	int best_rank = -1;
	for (size_t i = 0; i < s->db->n; i++) {
		struct dhcp_lease *l = &s->db->v[i];
		if (!owned_by(l, w))
			continue;
		uint32_t a = ntohl(l->addr);
		if (p && (a < p->first || a > p->last))
			continue;
		int rank = l->state == LEASE_BOUND ? 3 : l->state == LEASE_OFFERED ? 2 : 1;
		if (rank > best_rank || (rank == best_rank && l->expires > best->expires)) {
			best = l;
			best_rank = rank;
		}
	}
	return best;
}

/* ------------------------------------------------------------ pools */

static const struct dhcp_pool *select_pool(const struct dhcp_server *s, const struct dhcp_server_in *in,
					   uint32_t *ret_mask)
{
	const struct dhcp_msg *m = in->m;
	/* RFC 2131 4.3.1: a relayed request is served from the pool of
	 * giaddr's network, a local one from the receiving interface's. */
	uint32_t key = m->giaddr ? m->giaddr : in->if_addr;
	uint32_t mask = s->conf.netmask ? s->conf.netmask
				   : m->giaddr ? htonl(0xffffff00u) : in->if_mask;
	uint32_t hm = ntohl(mask);
	/* The mask is set even without a pool: a fixed address or an INFORM
	 * is still answered on that network. */
	*ret_mask = mask;
	for (size_t i = 0; i < s->conf.npool; i++) {
		const struct dhcp_pool *p = &s->conf.pool[i];
		if ((p->first & hm) == (ntohl(key) & hm))
			return p;
	}
	return NULL;
}

static bool in_pool(const struct dhcp_pool *p, uint32_t addr)
{
	uint32_t a = ntohl(addr);
	return a >= p->first && a <= p->last;
}

uint32_t dhcp_server_derived_addr(const struct dhcp_pool *p, const uint8_t mac[6])
{
	/* FNV-1a over the MAC: the same MAC lands on the same address on
	 * every server start, even with an empty lease file. */
	uint32_t h = 2166136261u;
	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	uint32_t size = p->last - p->first + 1;
	return htonl(p->first + h % size);
}

/* Pick an address for a DISCOVER; 0 when the pool is exhausted. */
static uint32_t choose(struct dhcp_server *s, const struct dhcp_server_in *in, const struct who *w,
		       const struct dhcp_pool *p)
{
	int64_t now = in->now;
	struct dhcp_lease *own = client_lease(s, w, p);
	if (own && available(s, own->addr, w, now))
		return own->addr;
	uint32_t req;
	if (dhcp_msg_opt_u32(in->m, DHO_REQUESTED_IP, &req) && in_pool(p, req)) {
		struct dhcp_lease *l = dhcp_lease_find_addr(s->db, req);
		if (pristine(l, w) && available_l(s, req, l, w, now))
			return req;
	}
	uint32_t d = dhcp_server_derived_addr(p, w->mac);
	uint32_t size = p->last - p->first + 1, start = ntohl(d) - p->first;
	/* One pass: an address nobody has used, scanning from the derived
	 * one, so addresses stay stable per MAC as long as the pool allows;
	 * failing that, the entry whose lease ran out longest ago (RFC 2131
	 * 4.3.1 prefers reusing the least recently used address; ties go to
	 * the lowest address). */
	struct dhcp_lease *oldest = NULL;
	for (uint32_t k = 0; k < size; k++) {
		uint32_t a = htonl(p->first + (start + k) % size);
		struct dhcp_lease *l = dhcp_lease_find_addr(s->db, a);
		if (!available_l(s, a, l, w, now))
			continue;
		if (pristine(l, w))
			return a;
		if (!oldest || l->expires < oldest->expires ||
		    (l->expires == oldest->expires && ntohl(a) < ntohl(oldest->addr)))
			oldest = l;
	}
	return oldest ? oldest->addr : 0;
}

/* ------------------------------------------------------------ replies */

struct reply_ctx {
	const struct dhcp_server_in *in;
	uint8_t type;
	uint32_t yiaddr, ciaddr, mask, router, bcast;
	uint32_t lease;              /* 0: no lease options (INFORM, NAK) */
	const char *message;         /* option 56 for NAK */
};

static void write_param(struct wr *w, const struct dhcp_server *s, const struct reply_ctx *r, uint8_t code)
{
	switch (code) {
	case DHO_SUBNET_MASK:
		dhcp_write_opt(w, DHO_SUBNET_MASK, &r->mask, 4);
		break;
	case DHO_ROUTER:
		if (r->router)
			dhcp_write_opt(w, DHO_ROUTER, &r->router, 4);
		break;
	case DHO_DNS:
		if (s->conf.ndns)
			dhcp_write_opt(w, DHO_DNS, s->conf.dns, 4 * s->conf.ndns);
		break;
	case DHO_BROADCAST:
		dhcp_write_opt(w, DHO_BROADCAST, &r->bcast, 4);
		break;
	default:
		break;
	}
}

static int build(const struct dhcp_server *s, const struct reply_ctx *r, bool minimal, uint8_t *out, size_t cap)
{
	const struct dhcp_msg *m = r->in->m;
	struct dhcp_msg hdr;
	bool boot = r->in->boot_answer && r->type != DHCPNAK;
	uint32_t server = r->in->if_addr;

	/* RFC 2131 table 3: secs 0, flags and giaddr and chaddr from the
	 * request, ciaddr only in an ACK to a client that has one. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.op = BOOTREPLY;
	hdr.htype = m->htype;
	hdr.hlen = m->hlen;
	hdr.xid = m->xid;
	hdr.flags = m->flags;
	if (r->type == DHCPNAK && m->giaddr)
		hdr.flags |= DHCP_FLAG_BROADCAST; /* RFC 2131 4.3.2: relay must broadcast a NAK */
	hdr.ciaddr = r->ciaddr;
	hdr.yiaddr = r->yiaddr;
	/* Next server = us for a Pi (protocol reference 3.1: make 54, the
	 * source and siaddr the same TFTP host). */
	hdr.siaddr = boot ? server : 0;
	hdr.giaddr = m->giaddr;
	memcpy(hdr.chaddr, m->chaddr, sizeof(hdr.chaddr));

	struct wr w = wr_init(out, cap);
	dhcp_write_header(&w, &hdr);
	dhcp_write_opt_u8(&w, DHO_MSG_TYPE, r->type);
	dhcp_write_opt(&w, DHO_SERVER_ID, &server, 4);
	if (r->type == DHCPNAK) {
		if (r->message)
			dhcp_write_opt(&w, DHO_MESSAGE, r->message, strlen(r->message));
	} else {
		if (r->lease) {
			/* RFC 2131 4.4.5 defaults: T1 = 0.5, T2 = 0.875 of the lease. */
			dhcp_write_opt_be32(&w, DHO_LEASE_TIME, r->lease);
			dhcp_write_opt_be32(&w, DHO_RENEWAL_TIME, r->lease / 2);
			dhcp_write_opt_be32(&w, DHO_REBINDING_TIME, (uint32_t)((uint64_t)r->lease * 7 / 8));
		}
		if (!minimal) {
			/* RFC 2132 9.8: return the parameters the client asked for, in
			 * its order; with no option 55, everything configured. */
			size_t n = 0;
			const uint8_t *list = dhcp_msg_opt(m, DHO_PARAM_LIST, &n);
			static const uint8_t all[] = { DHO_SUBNET_MASK, DHO_ROUTER, DHO_DNS, DHO_BROADCAST };
			uint8_t done[32] = { 0 };
			if (!list) {
				list = all;
				n = sizeof(all);
			}
			for (size_t i = 0; i < n; i++) {
				uint8_t c = list[i];
				if (done[c / 8] & (1u << (c % 8)))
					continue; /* a repeated code in option 55 */
				done[c / 8] |= (uint8_t)(1u << (c % 8));
				write_param(&w, s, r, c);
			}
		} else {
			dhcp_write_opt(&w, DHO_SUBNET_MASK, &r->mask, 4);
		}
		if (boot)
			dhcp_pxe_write_boot_opts(&w, m, r->in->spaced);
	}
	/* RFC 3046 2.2: echo the relay agent information last. */
	size_t alen = 0;
	const uint8_t *agent = dhcp_msg_opt(m, DHO_AGENT_INFO, &alen);
	if (agent && alen > 0 && alen <= 255)
		dhcp_write_opt(&w, DHO_AGENT_INFO, agent, alen);
	dhcp_write_finish(&w);
	return w.err ? -ENOBUFS : (int)w.off;
}

/* Build into out->pkt within the client's maximum message size (option
 * 57, RFC 2132 9.10); if the options do not fit, retry with only the
 * mandatory ones. */
static void reply(struct dhcp_server *s, const struct reply_ctx *r, struct dhcp_server_out *out)
{
	const struct dhcp_msg *m = r->in->m;
	size_t cap = DHCP_MAX_LEN - IP_UDP_HDR;
	size_t n = 0;
	const uint8_t *v = dhcp_msg_opt(m, DHO_MAX_MSG_SIZE, &n);
	if (v && n == 2) {
		size_t mx = (size_t)((v[0] << 8) | v[1]);
		if (mx < MIN_MAX_MSG)
			mx = MIN_MAX_MSG; /* RFC 2132 9.10: smaller values are invalid: clamp */
		if (mx - IP_UDP_HDR < cap)
			cap = mx - IP_UDP_HDR;
	}
	int len = build(s, r, false, out->pkt, cap);
	if (len < 0)
		len = build(s, r, true, out->pkt, cap);
	if (len < 0) {
		out->v = DHCP_V_DROP;
		out->why = "reply does not fit the client's maximum message size";
		return;
	}
	out->v = DHCP_V_REPLY;
	out->type = r->type;
	out->len = (size_t)len;
	out->addr = r->yiaddr;

	/* Destination: the one RFC 2131 4.1 rule (dhcp_dest.c), from the
	 * request's giaddr, ciaddr and broadcast flag. */
	struct dhcp_dest d;
	dhcp_dest_reply(m->giaddr, m->ciaddr, m->flags, r->type, r->yiaddr, &d);
	out->dst = d.addr;
	out->to_server_port = d.to_server_port;
	out->broadcast = d.broadcast;
	out->unicast_hw = d.unicast_hw;
}

static void fill_ctx(struct dhcp_server *s, const struct dhcp_server_in *in, uint32_t mask,
		     const struct dhcp_pool *p, struct reply_ctx *r)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->mask = mask;
	uint32_t net = htonl(p ? p->first : ntohl(in->if_addr)) & mask;
	r->bcast = net | ~mask;
	/* No router on an isolated switch unless configured; a relay agent
	 * is the router of its segment. */
	r->router = in->m->giaddr ? in->m->giaddr : s->conf.router;
	if (!in->m->giaddr && r->router && (r->router & mask) != net)
		r->router = 0; /* configured router is not on this pool's network */
}

static void nak(struct dhcp_server *s, const struct dhcp_server_in *in, uint32_t mask,
		const struct dhcp_pool *p, const char *why, struct dhcp_server_out *out)
{
	struct reply_ctx r;
	fill_ctx(s, in, mask, p, &r);
	r.type = DHCPNAK;
	r.message = why;
	reply(s, &r, out);
	out->why = why;
}

/* The Pi 3 boot ROM (and bootcode.bin) never sends a REQUEST (protocol
 * reference 1.2, 1.3): the OFFER is all it gets, so it binds. */
static bool never_requests(const struct pi_ident *pi)
{
	return pi && pi->is_pi && (pi->const_guid || pi->gen == PI_GEN_3B_ROM || pi->gen == PI_GEN_3);
}

static void bind_lease(struct dhcp_server *s, const struct dhcp_server_in *in, const struct who *w,
		       struct dhcp_lease *l)
{
	/* One address per client: anything else it held goes back. */
	for (size_t i = 0; i < s->db->n; i++) {
		struct dhcp_lease *o = &s->db->v[i];
		if (o != l && owned_by(o, w) && (o->state == LEASE_BOUND || o->state == LEASE_OFFERED)) {
			bool was_bound = o->state == LEASE_BOUND;
			o->state = LEASE_RELEASED;
			o->expires = in->now;
			if (was_bound)
				dhcp_lease_db_put(s->db, o);
		}
	}
	struct dhcp_lease old = *l;
	set_owner(l, w, in->id);
	l->state = LEASE_BOUND;
	l->expires = in->now + s->conf.lease_time;
	l->checked = true;
	/* A repeated REQUEST within the same second changes nothing: no
	 * record, so a client cannot force one fdatasync per packet by
	 * repeating itself. (A BOUND entry in memory is what the journal
	 * holds: every change to one is put.) */
	if (old.state == LEASE_BOUND && old.expires == l->expires && memcmp(old.mac, l->mac, 6) == 0 &&
	    old.cid_len == l->cid_len && memcmp(old.cid, l->cid, l->cid_len) == 0 &&
	    strcmp(old.id, l->id) == 0)
		return;
	dhcp_lease_db_put(s->db, l);
}

static void on_discover(struct dhcp_server *s, const struct dhcp_server_in *in, const struct who *w,
			struct dhcp_server_out *out)
{
	uint32_t mask;
	const struct dhcp_pool *p = select_pool(s, in, &mask);
	uint32_t addr;

	if (in->fixed_addr) {
		/* A registered client's client.conf address: the admin decided,
		 * no pool and no probe. */
		addr = in->fixed_addr;
	} else {
		if (!p) {
			out->why = "no dhcp-range for this network";
			return;
		}
		addr = choose(s, in, w, p);
		if (!addr) {
			out->why = "address pool exhausted";
			return;
		}
	}
	struct dhcp_lease *l = dhcp_lease_find_addr(s->db, addr);
	bool fresh = !l;
	if (!l)
		l = dhcp_lease_get(s->db, addr);
	if (!l) {
		out->why = "lease table full";
		return;
	}
	if (fresh)
		l->checked = !s->conf.probe || in->fixed_addr != 0;
	if (!(l->state == LEASE_BOUND && owned_by(l, w) && l->expires > in->now)) {
		/* Hold it for this client. A live bound lease of its own stays
		 * bound: downgrading it would let a crash forget it. */
		if (!owned_by(l, w) && l->state != LEASE_FREE)
			l->checked = !s->conf.probe || (l->checked && l->state != LEASE_DECLINED);
		set_owner(l, w, in->id);
		l->state = LEASE_OFFERED;
		l->expires = in->now + s->conf.offer_hold;
	}
	if (!l->checked) {
		/* Nobody may answer for an address new to us before we offer it
		 * (RFC 2131 3.1 step 2 "SHOULD probe"); the caller probes and
		 * calls dhcp_server_probe_result, then handle() again. */
		out->v = DHCP_V_PROBE;
		out->addr = addr;
		out->why = "conflict check";
		return;
	}
	if (never_requests(in->pi)) {
		bind_lease(s, in, w, l);
		out->durable = out->bound = true;
	}
	struct reply_ctx r;
	fill_ctx(s, in, mask, p, &r);
	r.type = DHCPOFFER;
	r.yiaddr = addr;
	r.lease = s->conf.lease_time;
	reply(s, &r, out);
}

/* Which address a REQUEST asks for, by client state (RFC 2131 4.3.2):
 * false with out->why set when it is not for us or names none. */
static bool request_addr(struct dhcp_server *s, const struct dhcp_server_in *in, const struct who *w,
			 uint32_t *ret_addr, struct dhcp_server_out *out)
{
	const struct dhcp_msg *m = in->m;
	uint32_t sid = 0, req = 0;
	bool has_req = dhcp_msg_opt_u32(m, DHO_REQUESTED_IP, &req);

	*ret_addr = req;
	if (dhcp_msg_opt_u32(m, DHO_SERVER_ID, &sid)) {
		/* SELECTING. */
		if (sid != in->if_addr) {
			/* It chose another server: let our offer go. */
			struct dhcp_lease *l = client_lease(s, w, NULL);
			if (l && l->state == LEASE_OFFERED) {
				l->state = LEASE_RELEASED;
				l->expires = in->now;
			}
			out->why = "client chose another server";
			return false;
		}
		if (!has_req)
			out->why = "SELECTING REQUEST without option 50";
		return has_req;
	}
	if (has_req)
		return true;      /* INIT-REBOOT: ciaddr must be 0 */
	*ret_addr = m->ciaddr;    /* RENEWING (unicast) or REBINDING (broadcast) */
	if (!m->ciaddr)
		out->why = "REQUEST names no address";
	return m->ciaddr != 0;
}

/* May this client have addr on this network at all? Returns false after
 * a NAK or a drop (out filled). */
static bool request_on_network(struct dhcp_server *s, const struct dhcp_server_in *in, uint32_t addr,
			       uint32_t mask, const struct dhcp_pool *p, struct dhcp_server_out *out)
{
	if (in->fixed_addr) {
		if (addr == in->fixed_addr)
			return true;
		nak(s, in, mask, p, "address is not this client's fixed address", out);
		return false;
	}
	if (!p) {
		out->why = "no dhcp-range for this network";
		return false;
	}
	if ((addr & mask) != (htonl(p->first) & mask)) {
		/* RFC 2131 4.3.2: wrong network -> DHCPNAK. */
		nak(s, in, mask, p, "wrong network", out);
		return false;
	}
	if (!in_pool(p, addr)) {
		nak(s, in, mask, p, "address outside the pool", out);
		return false;
	}
	return true;
}

static void on_request(struct dhcp_server *s, const struct dhcp_server_in *in, const struct who *w,
		       struct dhcp_server_out *out)
{
	uint32_t mask;
	const struct dhcp_pool *p = select_pool(s, in, &mask);
	uint32_t addr;

	if (!request_addr(s, in, w, &addr, out) || !request_on_network(s, in, addr, mask, p, out))
		return;
	struct dhcp_lease *l = dhcp_lease_find_addr(s->db, addr);
	bool mine = l && owned_by(l, w);
	if (!mine && !available(s, addr, w, in->now)) {
		nak(s, in, mask, p, "address in use by another client", out);
		return;
	}
	if (mine && l->state == LEASE_OFFERED && !l->checked) {
		out->why = "conflict check still running";
		return;
	}
	/* We are the only server on the cluster switch: an address that is
	 * free is granted even without a record (authoritative, as dnsmasq
	 * with --dhcp-authoritative), so clients survive a lost journal. */
	if (!l)
		l = dhcp_lease_get(s->db, addr);
	if (!l) {
		out->why = "lease table full";
		return;
	}
	bind_lease(s, in, w, l);
	out->durable = out->bound = true;
	struct reply_ctx r;
	fill_ctx(s, in, mask, p, &r);
	r.type = DHCPACK;
	r.yiaddr = addr;
	r.ciaddr = in->m->ciaddr;
	r.lease = s->conf.lease_time;
	reply(s, &r, out);
}

/* Ownerless and unavailable for decline_hold, journaled (DECLINE, or a
 * conflict probe that got an answer). */
static void quarantine(struct dhcp_server *s, struct dhcp_lease *l, int64_t now)
{
	memset(l->mac, 0, sizeof(l->mac));
	l->cid_len = 0;
	l->id[0] = '\0';
	l->state = LEASE_DECLINED;
	l->expires = now + s->conf.decline_hold;
	dhcp_lease_db_put(s->db, l);
}

static void on_decline(struct dhcp_server *s, const struct dhcp_server_in *in, const struct who *w,
		       struct dhcp_server_out *out)
{
	uint32_t sid, req;
	if (dhcp_msg_opt_u32(in->m, DHO_SERVER_ID, &sid) && sid != in->if_addr) {
		out->why = "DECLINE for another server";
		return;
	}
	if (!dhcp_msg_opt_u32(in->m, DHO_REQUESTED_IP, &req)) {
		out->why = "DECLINE without option 50";
		return;
	}
	struct dhcp_lease *l = dhcp_lease_find_addr(s->db, req);
	if (!l || !owned_by(l, w)) {
		out->why = "DECLINE of an address the client does not hold";
		return;
	}
	/* RFC 2131 4.3.3: mark the address not available; someone else
	 * uses it. */
	quarantine(s, l, in->now);
	out->addr = req;
	out->why = "address declined, quarantined";
}

static void on_release(struct dhcp_server *s, const struct dhcp_server_in *in, const struct who *w,
		       struct dhcp_server_out *out)
{
	struct dhcp_lease *l = dhcp_lease_find_addr(s->db, in->m->ciaddr);
	if (!l || !owned_by(l, w) || l->state != LEASE_BOUND) {
		out->why = "RELEASE of an address the client does not hold";
		return;
	}
	/* RFC 2131 4.3.4: the owner is kept so the client gets this address
	 * again if it comes back before someone else needs it. */
	l->state = LEASE_RELEASED;
	l->expires = in->now;
	dhcp_lease_db_put(s->db, l);
	out->addr = l->addr;
	out->why = "released";
}

static void on_inform(struct dhcp_server *s, const struct dhcp_server_in *in, struct dhcp_server_out *out)
{
	uint32_t mask;
	const struct dhcp_pool *p = select_pool(s, in, &mask);
	if (!in->m->ciaddr) {
		out->why = "INFORM without ciaddr";
		return;
	}
	/* RFC 2131 4.3.5: an ACK with parameters, no yiaddr, no lease time. */
	struct reply_ctx r;
	fill_ctx(s, in, mask, p, &r);
	r.type = DHCPACK;
	r.ciaddr = in->m->ciaddr;
	reply(s, &r, out);
}

void dhcp_server_handle(struct dhcp_server *s, const struct dhcp_server_in *in, struct dhcp_server_out *out)
{
	const struct dhcp_msg *m = in->m;
	struct who w;

	out->v = DHCP_V_DROP;
	out->type = 0;
	out->addr = 0;
	out->durable = out->bound = false;
	out->why = NULL;
	out->len = 0;
	/* Ethernet clients only: chaddr is the MAC we key leases by. */
	if (m->op != BOOTREQUEST || m->htype != 1 || m->hlen != 6) {
		out->why = "not an Ethernet BOOTREQUEST";
		return;
	}
	/* giaddr is where the reply goes (to port 67, routed): only a relay
	 * agent's unicast address, never a broadcast, multicast, loopback or
	 * one of ours (the one relay rule, dhcp_dest.c). */
	if (m->giaddr && !dhcp_dest_relay_ok(m->giaddr, in->ifs)) {
		out->why = "giaddr is not a relay agent address";
		return;
	}
	who_of(m, &w);
	switch (m->msg_type) {
	case DHCPDISCOVER:
		on_discover(s, in, &w, out);
		break;
	case DHCPREQUEST:
		on_request(s, in, &w, out);
		break;
	case DHCPDECLINE:
		on_decline(s, in, &w, out);
		break;
	case DHCPRELEASE:
		on_release(s, in, &w, out);
		break;
	case DHCPINFORM:
		on_inform(s, in, out);
		break;
	default:
		out->why = "not a client message type";
		break;
	}
}

void dhcp_server_probe_result(struct dhcp_server *s, uint32_t addr, bool in_use, int64_t now)
{
	struct dhcp_lease *l = dhcp_lease_find_addr(s->db, addr);
	if (!l)
		return;
	if (!in_use) {
		l->checked = true;
		return;
	}
	/* Someone answered for an address we never gave out: quarantine it
	 * exactly like a DECLINE, so the retry picks another one. */
	quarantine(s, l, now);
	l->checked = true;
}
