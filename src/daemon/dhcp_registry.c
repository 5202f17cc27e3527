/* dhcp_registry.c - struct dhcp_registry over the daemon's client registry.
 *
 * Owns the three callbacks DHCP uses (lookup, claim, note_unknown) and the
 * unknown-Pi record: a fleet event per DISCOVER, discovered.tsv through
 * the rate-limited discovery list, one "how to register it" log line per
 * new Pi. Must not touch sockets or DHCP replies, and must not change
 * pi_trust.c's functions (it calls them). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "daemon/dhcp_registry.h"
#include "daemon/pi_trust.h"

void dhcp_registry_known(struct client *c, struct dhcp_known *ret)
{
	ret->ref = c;
	ret->id = c->id;
	ret->name = c->name;
	ret->fixed_addr = c->address;
}

static bool reg_lookup(void *ctx, const struct pi_ident *pi, struct dhcp_known *ret)
{
	struct client *c = daemon_lookup_pi(ctx, pi);
	if (c)
		dhcp_registry_known(c, ret);
	return c != NULL;
}

static bool reg_claim(void *ctx, const struct dhcp_known *k, const uint8_t mac[6], const struct pi_ident *pi)
{
	return daemon_claim(ctx, k->ref, mac, pi->has_serial, pi->serial) != PI_CLAIM_CONTESTED;
}

static void log_new_unknown(struct daemon *d, const struct pi_ident *pi, const char *model)
{
	char mac[18], hint[700];
	dhcp_mac_str(pi->mac, mac);
	daemon_register_hint(d, pi->id, hint, sizeof(hint));
	log_info("dhcp", "new unregistered Pi %s (%s, mac %s)%s; to register it: %s", pi->id, model, mac,
		 d->cfg.answer == ANSWER_ALL ? " answered with the shared boot files" : " not answered (answer = known)",
		 hint);
}

static void reg_note_unknown(void *ctx, const struct pi_ident *pi, int64_t now)
{
	struct daemon *d = ctx;
	struct discovered x;
	memset(&x, 0, sizeof(x));
	snprintf(x.id, sizeof(x.id), "%s", pi->id);
	memcpy(x.mac, pi->mac, 6);
	x.has_serial = pi->has_serial;
	x.serial = pi->serial;
	x.board_rev = pi->has_rev ? pi->board_rev : 0;
	const char *model = pi->has_rev ? pi_board_model(pi->board_rev) : NULL;
	snprintf(x.model, sizeof(x.model), "%s", model ? model : pi_gen_name(pi->gen));
	x.first_seen = x.last_seen = (time_t)now;
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
		log_new_unknown(d, pi, x.model);
	} else if (r == -EAGAIN && !d->disc.rate_logged) {
		d->disc.rate_logged = true;
		log_warn("dhcp", "more than %d new unregistered Pis this minute: not recording more (a DISCOVER flood?)",
			 DISCOVERY_NEW_PER_MIN);
	}
}

void dhcp_registry_of_daemon(struct daemon *d, struct dhcp_registry *reg)
{
	reg->ctx = d;
	reg->lookup = reg_lookup;
	reg->claim = reg_claim;
	reg->note_unknown = reg_note_unknown;
}
