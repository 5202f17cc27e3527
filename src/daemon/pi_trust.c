/* pi_trust.c - which registered Pi a request names, and whether the
 * address it came from may have that Pi's files: the glue between the
 * services (TFTP, NFS, the HTTP check-in, DHCP) and the pure rule in
 * src/pi/pi_access.c. It also learns a Pi's second name (serial <-> MAC)
 * from a boot that completed and writes it to client.conf.
 *
 * Owns: runtime identity state in struct client (answer, binding,
 * contested). Must not touch: sockets, the overlay mounts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/pi_trust.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "pi/pi_access.h"
#include "provision/provision.h"

/* A binding confirmed by the neighbour table stays good this long before
 * the next check: NFS calls every few microseconds must not each read
 * /proc/net/arp, and an address moving to another MAC is noticed soon. */
#define VERIFY_MS 5000
/* MOUNT EXPORT lists a bound Pi's own exports while its binding was
 * confirmed this recently (listing never binds or re-checks). */
#define EXPORT_LIST_MS 60000
/* A flood of forged DISCOVERs with ever new MACs must not become a flood
 * of log lines and fleet events: one a client per this long. */
#define CONTESTED_LOG_MS 10000

static void fill_vars(const struct client *c, struct tftp_vars *v)
{
	snprintf(v->id, sizeof(v->id), "%s", c->id);
	if (c->has_serial)
		snprintf(v->serial, sizeof(v->serial), "%08x", c->serial);
	if (c->has_mac)
		dhcp_mac_str(c->mac, v->mac);
	snprintf(v->name, sizeof(v->name), "%s", c->name);
}

static bool answer_fresh(const struct daemon *d, const struct client *c, uint64_t now)
{
	return c->answered_ms && now >= c->answered_ms &&
	       now - c->answered_ms < (uint64_t)d->cfg.bind_window_s * 1000u;
}

/* Write a learned name; a failure is logged and the name is kept in memory. */
static void learn(struct daemon *d, struct client *c, const char *key, const char *value)
{
	int r = client_conf_set(d->cfg.data_dir, c->id, key, value);
	if (r < 0)
		log_warn("serve", "%s: learned %s %s but cannot write client.conf: %s", c->id, key, value,
			 strerror(-r));
	else
		log_info("serve", "%s: learned its %s %s from a completed boot (written to client.conf)", c->id,
			 key, value);
}

static void learn_mac(struct daemon *d, struct client *c, const uint8_t mac[6])
{
	char m[18];
	memcpy(c->mac, mac, 6);
	c->has_mac = true;
	dhcp_mac_str(mac, m);
	learn(d, c, "mac", m);
}

static void learn_serial(struct daemon *d, struct client *c, uint32_t serial)
{
	char s[9];
	c->serial = serial;
	c->has_serial = true;
	snprintf(s, sizeof(s), "%08x", serial);
	learn(d, c, "serial", s);
}

static int check(struct daemon *d, struct client *c, uint32_t addr, char *why, size_t whylen)
{
	uint64_t now = ev_now(d->loop);
	char a[16];
	if (c->unavailable) {
		snprintf(why, whylen, "its root is not mounted on the server: %s", c->unavailable_why);
		return -1;
	}
	/* Fast path: the address bound to this Pi, checked recently. */
	if (c->bound_addr == addr && c->verified_ms && now - c->verified_ms < VERIFY_MS)
		return 1;
	struct pi_access_in in;
	memset(&in, 0, sizeof(in));
	in.addr = addr;
	in.admin = config_is_admin(&d->cfg, addr);
	in.fixed_addr = c->address;
	in.has_known_mac = c->has_mac;
	memcpy(in.known_mac, c->mac, 6);
	in.has_neigh = net_neigh_mac(addr, in.neigh_mac) == 0;
	in.has_answer = c->answered_ms != 0;
	memcpy(in.answer_mac, c->answer_mac, 6);
	in.answer_ms = c->answered_ms;
	in.now_ms = now;
	in.window_ms = (uint64_t)d->cfg.bind_window_s * 1000u;
	in.tofu = d->cfg.dhcp == DHCP_OFF;
	in.bound_addr = c->bound_addr;
	in.has_bound_mac = c->has_bound_mac;
	memcpy(in.bound_mac, c->bound_mac, 6);
	struct pi_access_out out;
	pi_access_decide(&in, &out);
	if (out.v == PI_DENY) {
		snprintf(why, whylen, "%s", out.why);
		return -1;
	}
	if (out.learn_mac)
		learn_mac(d, c, in.neigh_mac);
	if (out.bind) {
		if (c->bound_addr != addr)
			log_info("serve", "%s: files now served to %s (%s)", c->id, net_ntoa(addr, a),
				 pi_access_verdict_name(out.v));
		c->bound_addr = addr;
		c->has_bound_mac = in.has_neigh;
		memcpy(c->bound_mac, in.neigh_mac, 6);
	}
	if (c->bound_addr == addr && out.v != PI_ALLOW_ADMIN)
		c->verified_ms = now;
	return 1;
}

/* The Pi a request from addr belongs to by its MAC (neighbour table) or
 * its fixed address; admin addresses are not Pis. */
static struct client *client_at(struct daemon *d, uint32_t addr, bool *have_neigh, uint8_t neigh[6])
{
	uint64_t now = ev_now(d->loop);
	for (size_t i = 0; i < d->clients.n; i++) {
		struct client *c = &d->clients.v[i];
		if ((c->address && c->address == addr) ||
		    (c->bound_addr == addr && c->verified_ms && now - c->verified_ms < VERIFY_MS))
			return c;
	}
	*have_neigh = net_neigh_mac(addr, neigh) == 0;
	if (!*have_neigh)
		return NULL;
	for (size_t i = 0; i < d->clients.n; i++) {
		struct client *c = &d->clients.v[i];
		if (c->address)
			continue;
		if (c->has_mac ? !memcmp(c->mac, neigh, 6) :
				 answer_fresh(d, c, now) && !memcmp(c->answer_mac, neigh, 6))
			return c;
	}
	return NULL;
}

struct client *daemon_resolve(struct daemon *d, const char *name, uint32_t addr, bool *link_serial,
			      uint32_t *serial)
{
	char id[18];
	uint8_t mac[6];
	*link_serial = false;
	if (pi_id_normalise(name, id) == 0) {
		struct client *c = clients_find_id(&d->clients, id);
		if (c)
			return c;
		if (strlen(id) == 8) {
			uint32_t s = (uint32_t)strtoul(id, NULL, 16);
			if ((c = clients_find_serial(&d->clients, s)))
				return c;
			/* A Pi registered by MAC asking with its serial: the Pi
			 * at addr, if that serial is what its DISCOVER showed
			 * (Pi 4/5, 3B+) or fits its Pi 3 MAC (3B ROM). */
			bool hn = false;
			uint8_t nm[6];
			c = client_at(d, addr, &hn, nm);
			if (c && !c->has_serial &&
			    ((c->answer_has_serial && c->answer_serial == s) ||
			     (c->has_mac && clients_pi3_mac_fits(c->mac, s)))) {
				*link_serial = true;
				*serial = s;
				return c;
			}
			return NULL;
		}
		if (pi_mac_parse(id, mac) == 0) {
			struct client *c2 = clients_find_mac(&d->clients, mac);
			if (c2)
				return c2;
			/* TFTP_PREFIX=2 before the MAC is known: the Pi whose
			 * boot answer went to that MAC. */
			uint64_t now = ev_now(d->loop);
			for (size_t i = 0; i < d->clients.n; i++) {
				struct client *c3 = &d->clients.v[i];
				if (!c3->has_mac && answer_fresh(d, c3, now) && !memcmp(c3->answer_mac, mac, 6))
					return c3;
			}
		}
		return NULL;
	}
	return clients_find_prefix(&d->clients, name);
}

int daemon_client_access(struct daemon *d, const char *id, uint32_t addr, char *why, size_t whylen)
{
	struct client *c = clients_find_id(&d->clients, id);
	if (!c)
		return 0;
	return check(d, c, addr, why, whylen);
}

enum tftp_auth daemon_authorize(void *ctx, const char *name, uint32_t addr, struct tftp_vars *vars)
{
	struct daemon *d = ctx;
	char why[160];
	bool link = false;
	uint32_t serial = 0;
	struct client *c = daemon_resolve(d, name, addr, &link, &serial);
	if (!c)
		return TFTP_AUTH_UNKNOWN;
	if (check(d, c, addr, why, sizeof(why)) < 0) {
		log_warn("tftp", "%s: refused files of %s: %s", name, c->id, why);
		return TFTP_AUTH_DENIED;
	}
	if (link)
		learn_serial(d, c, serial);
	fill_vars(c, vars);
	return TFTP_AUTH_OK;
}

void daemon_vars_for_addr(void *ctx, uint32_t addr, struct tftp_vars *vars)
{
	struct daemon *d = ctx;
	bool hn = false;
	uint8_t neigh[6];
	char why[160];
	if (config_is_admin(&d->cfg, addr))
		return; /* an admin asking for shared files is not a Pi */
	struct client *c = client_at(d, addr, &hn, neigh);
	if (c && check(d, c, addr, why, sizeof(why)) > 0)
		fill_vars(c, vars);
}

int daemon_nfs_access(void *ctx, const char *id, uint32_t addr, char *why, size_t whylen)
{
	return daemon_client_access(ctx, id, addr, why, whylen);
}

size_t daemon_nfs_ids_for_addr(void *ctx, uint32_t addr, char (*ids)[18], size_t max)
{
	struct daemon *d = ctx;
	bool admin = config_is_admin(&d->cfg, addr);
	uint64_t now = ev_now(d->loop);
	size_t n = 0;
	for (size_t i = 0; i < d->clients.n && n < max; i++) {
		const struct client *c = &d->clients.v[i];
		if (c->unavailable)
			continue;
		if (admin || (c->address && c->address == addr) ||
		    (c->bound_addr == addr && c->verified_ms && now - c->verified_ms < EXPORT_LIST_MS))
			snprintf(ids[n++], 18, "%s", c->id);
	}
	return n;
}

enum pi_claim daemon_claim(struct daemon *d, struct client *c, const uint8_t mac[6], bool has_serial,
			   uint32_t serial)
{
	char m1[18], m2[18];
	uint64_t now = ev_now(d->loop);
	bool may_log = !c->contested_log_ms || now - c->contested_log_ms >= CONTESTED_LOG_MS;
	if (c->has_mac && memcmp(c->mac, mac, 6) != 0) {
		/* Someone else's MAC claims this Pi: no boot answer, no claim,
		 * logged once per foreign MAC, at most once per 10 s. */
		if ((!c->contested || memcmp(c->contested_mac, mac, 6) != 0) && may_log) {
			c->contested_log_ms = now;
			log_warn("dhcp", "%s: contested: a DISCOVER from MAC %s claims this Pi, whose MAC is %s; "
				 "not answered", c->id, dhcp_mac_str(mac, m1), dhcp_mac_str(c->mac, m2));
			memcpy(c->contested_mac, mac, 6);
			c->contested = true;
			struct boot_event e;
			memset(&e, 0, sizeof(e));
			e.type = BEV_DHCP_CONTESTED;
			snprintf(e.id, sizeof(e.id), "%s", c->id);
			memcpy(e.mac, mac, 6);
			e.has_mac = true;
			snprintf(e.detail, sizeof(e.detail), "DISCOVER from MAC %s, this Pi's MAC is %s", m1, m2);
			events_emit(d->bus, &e);
		}
		return PI_CLAIM_CONTESTED;
	}
	if (c->has_serial && has_serial && c->serial != serial) {
		if (!may_log)
			return PI_CLAIM_CONTESTED;
		c->contested_log_ms = now;
		log_warn("dhcp", "%s: a DISCOVER from its MAC %s shows serial %08x, registered %08x; not answered",
			 c->id, dhcp_mac_str(mac, m1), serial, c->serial);
		return PI_CLAIM_CONTESTED;
	}
	/* A live binding is never replaced without the Pi's MAC: the answer
	 * is recorded, and only that MAC's address can use it. */
	c->answered_ms = now;
	memcpy(c->answer_mac, mac, 6);
	c->answer_has_serial = has_serial;
	c->answer_serial = serial;
	return PI_CLAIM_OK;
}

struct client *daemon_lookup_pi(struct daemon *d, const struct pi_ident *pi)
{
	return clients_lookup(&d->clients, pi->id, pi->has_serial, pi->serial, pi->mac);
}

bool daemon_nfs_is_admin(void *ctx, uint32_t addr)
{
	struct daemon *d = ctx;
	return config_is_admin(&d->cfg, addr);
}

void daemon_default_image(const struct daemon *d, char *out, size_t cap)
{
	prov_default_image(d->cfg.data_dir, out, cap);
}

void daemon_register_hint(const struct daemon *d, const char *id, char *out, size_t cap)
{
	prov_register_hint(d->cfg.data_dir, id, out, cap);
}
