/* fleet_daemon.c - glue between `pinetboot serve` and the fleet view:
 * create the model after the services (subscribed to the event bus, with
 * the registry and the persisted history), start HTTP with its hooks
 * (struct fleet_http_hooks: registry, discovery, default image, register
 * hint, access check for check-ins, TFTP/NFS counters), keep the registry
 * in step after a reload. serve.c calls only these functions.
 *
 * Owns: the translation from struct daemon to what src/fleet sees. Must
 * not touch: the HTTP protocol (src/fleet/fleet_http.c), the fleet model. */
#include <errno.h>
#include <string.h>

#include <unistd.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/pi_trust.h"
#include "fleet/fleet.h"
#include "fleet/fleet_http.h"
#include "nfs/nfs_server.h"

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

static void hk_default_image(void *ctx, char *out, size_t cap)
{
	daemon_default_image(ctx, out, cap);
}

static void hk_register_hint(void *ctx, const char *id, char *out, size_t cap)
{
	daemon_register_hint(ctx, id, out, cap);
}

static int hk_client_access(void *ctx, const char *id, uint32_t addr, char *why, size_t whylen)
{
	return daemon_client_access(ctx, id, addr, why, whylen);
}

static void hk_stats(void *ctx, struct fleet_server_stats *out)
{
	const struct daemon *d = ctx;
	memset(out, 0, sizeof(*out));
	if (d->tftp) {
		const struct tftp_stats *t = tftp_server_stats(d->tftp);
		out->tftp = true;
		out->requests = t->requests;
		out->transfers_ok = t->transfers_ok;
		out->transfers_failed = t->transfers_failed;
		out->not_found = t->not_found;
		out->denied = t->denied;
		out->bytes_sent = t->bytes_sent;
		out->packets_sent = t->packets_sent;
		out->retransmits = t->retransmits;
		out->active = t->active;
		out->peak_active = t->peak_active;
	}
	if (d->nfs) {
		const struct nfs_stats *ns = nfs_server_stats(d->nfs);
		out->nfs = true;
		out->nfs_calls = ns->calls;
		out->nfs_denied = ns->denied;
	}
}

/* POST /api/register: `pinetboot add` needs root (it mounts), so under
 * privilege separation the parent runs it; it SIGHUPs the process that
 * started it when done, and that mounts the new Pi's root. */
static int hk_register_client(void *ctx, const char *id, const char *image, const char *name)
{
	struct daemon *d = ctx;
	if (d->ps_fd >= 0)
		return privsep_child_register(d, id, image, name);
	return daemon_spawn_add(d->cfg.data_dir, id, image, name, getpid());
}

static struct fleet_http *start_http(struct daemon *d, bool *off)
{
	const struct fleet_http_hooks hk = {
		.loop = d->loop,
		.bus = d->bus,
		.data_dir = d->cfg.data_dir,
		.listen = d->cfg.http_listen,
		.read_open = d->cfg.http_read_open,
		.clients = &d->clients,
		.disc = &d->disc,
		.ctx = d,
		.default_image = hk_default_image,
		.register_hint = hk_register_hint,
		.client_access = hk_client_access,
		.stats = hk_stats,
		.register_client = hk_register_client,
		.listen_fd = d->socks.http,
	};
	d->socks.http = -1;
	return fleet_http_new(&hk, d->fleet, off);
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
	d->http = start_http(d, &off);
	if (!d->http && !off)
		log_error("fleet", "the dashboard and API are NOT available; DHCP and TFTP keep serving");
	return 0;
}

void fleet_daemon_reload(struct daemon *d)
{
	if (d->fleet)
		fleet_set_registry(d->fleet, &d->clients);
	fleet_http_set_read_open(d->http, d->cfg.http_read_open);
}
