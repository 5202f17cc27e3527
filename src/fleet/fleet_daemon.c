/* fleet_daemon.c - glue between `pinetboot serve` and the fleet view:
 * create the model after the services (subscribed to the event bus, with
 * the registry and the persisted history), start HTTP, keep the registry
 * in step after a reload. serve.c calls only these three functions. */
#include <errno.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "fleet/fleet.h"
#include "fleet/fleet_http.h"

/* An admin address reading a Pi's files is not that Pi booting, unless it
 * is the Pi's own (fixed or bound) address. */
static bool not_a_boot(void *arg, const char *id, uint32_t addr)
{
	struct daemon *d = arg;
	if (!config_is_admin(&d->cfg, addr))
		return false;
	const struct client *c = clients_find_id(&d->clients, id);
	return !c || (c->address != addr && c->bound_addr != addr);
}

int fleet_daemon_start(struct daemon *d)
{
	struct fleet_opts o = { d->cfg.data_dir, d->cfg.fleet_stall_s, d->cfg.nfs, not_a_boot, d };
	d->fleet = fleet_new(d->loop, &o);
	if (!d->fleet) {
		log_error("fleet", "cannot create the fleet view");
		return -ENOMEM;
	}
	int n = fleet_load_history(d->fleet);
	/* The registry after the history: names and fixed addresses are
	 * today's, and Pis replayed but no longer registered show as such. */
	fleet_set_registry(d->fleet, &d->clients);
	if (n > 0)
		log_info("fleet", "restored %d events of boot history", n);
	int r = events_subscribe(d->bus, fleet_on_event, d->fleet);
	if (r < 0)
		return r;
	/* A bad http-listen is a configuration error; a port in use is not
	 * worth refusing to boot the fleet for: say so loudly and go on. */
	bool off = false;
	uint32_t a;
	uint16_t p;
	if (fleet_http_parse_listen(d->cfg.http_listen, &a, &p, &off) < 0) {
		log_error("fleet", "http-listen '%s' is not IPv4-ADDRESS:PORT or off", d->cfg.http_listen);
		return -EINVAL;
	}
	d->http = fleet_http_new(d, d->fleet, &off);
	if (!d->http && !off)
		log_error("fleet", "the dashboard and API are NOT available; DHCP and TFTP keep serving");
	return 0;
}

void fleet_daemon_reload(struct daemon *d)
{
	if (d->fleet)
		fleet_set_registry(d->fleet, &d->clients);
}
