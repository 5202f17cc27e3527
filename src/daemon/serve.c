/* serve.c - `pinetboot serve`: configuration, sockets, the event loop,
 * signals (SIGTERM/SIGINT stop, SIGHUP reloads the configuration and the
 * client registry without touching transfers in flight) and the rule that
 * decides which address may read which Pi's files.
 *
 * Owns: startup order, sockets, signals, reload. Must not touch:
 * protocol state (dhcp/, tftp/, nfs/ own it), the access rule
 * (pi/pi_access.c), the fleet's HTTP (daemon/fleet_daemon.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <net/if.h>
#include <unistd.h>

#include "cmds.h"
#include "core/log.h"
#include "core/sdnotify.h"
#include "provision/provision.h"
#include "daemon/daemon.h"
#include "daemon/dhcp_full.h"
#include "daemon/pi_trust.h"
#include "dhcp/dhcp_arp.h"
#include "privsep/ps_priv.h"
#include "dhcp/dhcp_pi.h"
#include "nfs/nfs_server.h"
#include "fleet/fleet.h"
#include "fleet/fleet_http.h"

#define HOUSEKEEPING_MS 10000

void serve_man_keys(FILE *f)
{
	config_print_man(f);
}

void serve_conf_example(FILE *f)
{
	fputs("# pinetboot.conf - copy to /srv/pinetboot/pinetboot.conf (pinetboot init writes one).\n"
	      "# Every key is also a flag of 'pinetboot serve'; see pinetboot.conf(5).\n\n", f);
	config_print_example(f);
}

static void serve_usage(FILE *f)
{
	fprintf(f, "usage: pinetboot serve [--data DIR] [--config FILE] [--KEY VALUE ...]\n\n"
		   "Runs the proxy-DHCP and TFTP boot server for the Pis registered in DIR\n"
		   "(default /srv/pinetboot). Every key of DIR/pinetboot.conf is also a flag:\n\n");
	config_print_help(f);
}

/* Apply --data/--config (pass 0) or every other flag (pass 1). */
static int apply_flags(struct config *c, int argc, char **argv, int pass)
{
	char err[512];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			log_plain_error("pinetboot serve: unexpected argument '%s'\n", a);
			return -1;
		}
		char key[64];
		const char *val;
		const char *eq = strchr(a + 2, '=');
		size_t kl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (kl >= sizeof(key)) {
			log_plain_error("pinetboot serve: unknown flag '%s'\n", a);
			return -1;
		}
		memcpy(key, a + 2, kl);
		key[kl] = '\0';
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc) {
				log_plain_error("pinetboot serve: --%s needs a value\n", key);
				return -1;
			}
			val = argv[++i];
		}
		bool path_key = !strcmp(key, "data") || !strcmp(key, "config");
		if (pass == 0 && path_key) {
			char *dst = !strcmp(key, "data") ? c->data_dir : c->config_file;
			size_t cap = !strcmp(key, "data") ? sizeof(c->data_dir) : sizeof(c->config_file);
			if (strlen(val) >= cap) {
				log_plain_error("pinetboot serve: --%s: path too long\n", key);
				return -1;
			}
			snprintf(dst, cap, "%s", val);
		} else if (pass == 1 && !path_key) {
			if (!config_has_key(key)) {
				log_plain_error("pinetboot serve: unknown flag '--%s' (see --help)\n", key);
				return -1;
			}
			if (config_set(c, key, val, err, sizeof(err)) < 0) {
				log_plain_error("pinetboot serve: --%s\n", err);
				return -1;
			}
		}
	}
	return 0;
}

/* Defaults, then the file, then the flags: flags win. */
static int load_config(struct config *c, int argc, char **argv)
{
	char err[600];
	config_defaults(c);
	if (apply_flags(c, argc, argv, 0) < 0)
		return -1;
	bool optional = c->config_file[0] == '\0';
	if (optional)
		snprintf(c->config_file, sizeof(c->config_file), "%.*s/pinetboot.conf",
			 (int)(sizeof(c->config_file) - 20), c->data_dir);
	if (config_load_file(c, c->config_file, optional, err, sizeof(err)) < 0) {
		log_plain_error("pinetboot serve: %s\n", err);
		return -1;
	}
	if (apply_flags(c, argc, argv, 1) < 0)
		return -1;
	if (config_finish(c, err, sizeof(err)) < 0) {
		log_plain_error("pinetboot serve: %s\n", err);
		return -1;
	}
	return 0;
}

static void tftp_limits_from(const struct config *c, struct tftp_limits *l)
{
	l->max_transfers = c->max_transfers;
	l->max_per_client = c->max_transfers_per_client;
	l->max_blksize = c->tftp_max_blksize;
	l->max_window = c->tftp_max_window;
	l->min_rto_ms = c->tftp_min_rto_ms;
	l->give_up_s = c->tftp_give_up_s;
}

/* An overlay client whose root is not a mount point is not exported: its
 * files would be the empty mount point, and a Pi writing there would write
 * into the server's own data dir. Says which and why. */
static void check_roots(struct daemon *d)
{
	for (size_t i = 0; i < d->clients.n; i++) {
		struct client *c = &d->clients.v[i];
		c->unavailable = false;
		if (strcmp(c->layout, "copy") == 0 || (!c->image[0] && strcmp(c->layout, "overlay") != 0))
			continue;
		char dir[4200], root[4300];
		struct stat a, b;
		snprintf(dir, sizeof(dir), "%.4000s/clients/%s", d->cfg.data_dir, c->id);
		snprintf(root, sizeof(root), "%s/root", dir);
		const char *why = NULL;
		if (stat(dir, &a) < 0 || stat(root, &b) < 0)
			why = "clients/<id>/root is missing";
		else if (!d->mounts_managed)
			continue; /* unprivileged test runs mount nothing */
		else if (a.st_dev == b.st_dev)
			why = "its overlay root failed to mount (see the error above)";
		if (why) {
			c->unavailable = true;
			snprintf(c->unavailable_why, sizeof(c->unavailable_why), "%s", why);
			log_error("serve", "%s: not exported: %s; the other clients are served", c->id, why);
		}
	}
}

/* `serve` refuses a data dir that `pinetboot init` never made. */
static int check_data_dir(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_plain_error("pinetboot serve: %s is not a data dir (%s): run 'sudo pinetboot init --data %s' first\n",
			dir, strerror(errno), dir);
		return -1;
	}
	static const char *const marks[] = { "pinetboot.conf", "handle.key", "boot", "clients" };
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%.4000s/%s", dir, marks[i]);
		if (access(p, F_OK) == 0)
			return 0;
	}
	log_plain_error("pinetboot serve: %s is not an initialised data dir (no pinetboot.conf, boot/ or clients/): "
		"run 'sudo pinetboot init --data %s' first\n", dir, dir);
	return -1;
}

/* Every interface named in `interface =` must exist and have IPv4. */
static int check_interfaces(const struct config *c)
{
	if (!c->interface[0])
		return 0;
	char names[sizeof(c->interface)];
	snprintf(names, sizeof(names), "%s", c->interface);
	for (char *save = NULL, *n = strtok_r(names, ", ", &save); n; n = strtok_r(NULL, ", ", &save)) {
		struct net_ifaces one;
		if (if_nametoindex(n) == 0) {
			log_plain_error("pinetboot serve: interface '%s' does not exist (see 'ip -br addr')\n", n);
			return -1;
		}
		if (net_ifaces_scan(&one, n) < 0 || one.n == 0) {
			log_plain_error("pinetboot serve: interface '%s' has no IPv4 address; give it one, or name "
				"another interface\n", n);
			return -1;
		}
	}
	return 0;
}

static void rescan_ifaces(struct daemon *d)
{
	struct net_ifaces n;
	if (net_ifaces_scan(&n, d->cfg.interface) < 0)
		return;
	if (n.n != d->ifs.n || memcmp(n.v, d->ifs.v, n.n * sizeof(n.v[0])) != 0) {
		for (size_t i = 0; i < n.n; i++) {
			char a[16];
			log_info("serve", "serving interface %s (%s, mtu %d)", n.v[i].name,
				 net_ntoa(n.v[i].addr, a), n.v[i].mtu);
		}
		if (n.n == 0)
			log_warn("serve", "no IPv4 interface to serve right now");
	}
	d->ifs = n;
}

static void on_housekeeping(struct ev_loop *loop, void *arg)
{
	struct daemon *d = arg;
	int r = discovery_flush(&d->disc);
	if (r < 0)
		log_warn("serve", "cannot write %s: %s", d->disc.path, strerror(-r));
	rescan_ifaces(d);
	d->housekeeping = ev_timer_add(loop, HOUSEKEEPING_MS, on_housekeeping, d);
}

static void on_watchdog(struct ev_loop *loop, void *arg)
{
	struct daemon *d = arg;
	sd_notify_send("WATCHDOG=1");
	d->watchdog = ev_timer_add(loop, d->watchdog_ms, on_watchdog, d);
}

void serve_reload(struct daemon *d)
{
	sd_notify_reloading();
	struct config nc;
	if (load_config(&nc, d->argc, d->argv) < 0) {
		log_error("serve", "reload failed, keeping the running configuration");
		return;
	}
	if (strcmp(nc.data_dir, d->cfg.data_dir) || nc.dhcp_port != d->cfg.dhcp_port ||
	    nc.tftp_port != d->cfg.tftp_port || nc.dhcp != d->cfg.dhcp)
		log_warn("serve", "data dir, ports and dhcp mode change only on restart");
	nc.dhcp_port = d->cfg.dhcp_port;
	nc.tftp_port = d->cfg.tftp_port;
	nc.dhcp = d->cfg.dhcp;
	snprintf(nc.data_dir, sizeof(nc.data_dir), "%s", d->cfg.data_dir);
	d->cfg = nc;
	log_set_level((enum log_level)d->cfg.log_level);
	struct tftp_limits l;
	tftp_limits_from(&d->cfg, &l);
	tftp_server_set_limits(d->tftp, &l);
	struct clients nreg;
	int n = clients_load(&nreg, d->cfg.data_dir);
	if (n < 0) {
		log_error("serve", "reload: cannot read clients: %s", strerror(-n));
		return;
	}
	clients_carry_state(&nreg, &d->clients);
	if (geteuid() == 0)
		provision_mount_all(d->cfg.data_dir); /* clients added since start (else the parent did) */
	clients_free(&d->clients);
	d->clients = nreg;
	check_roots(d);
	fleet_daemon_reload(d);
	rescan_ifaces(d);
	log_info("serve", "reloaded: %zu registered clients", d->clients.n);
	char ready[160];
	snprintf(ready, sizeof(ready), "READY=1\nSTATUS=serving %zu registered Pis", d->clients.n);
	sd_notify_send(ready);
}

static void on_signal(struct ev_loop *loop, int signo, void *arg)
{
	struct daemon *d = arg;
	if (signo == SIGHUP) {
		serve_reload(d);
		return;
	}
	log_info("serve", "stopping (signal %d)", signo);
	sd_notify_send("STOPPING=1");
	ev_loop_stop(loop);
}

static int open_dir(int at, const char *name, bool create)
{
	if (create && mkdirat(at, name, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = openat(at, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int open_socket(const char *what, unsigned port, bool broadcast)
{
	int fd = net_udp_socket(htonl(INADDR_ANY), (uint16_t)port, broadcast);
	if (fd < 0)
		log_error("serve", "cannot open %s port %u: %s%s", what, port, strerror(-fd),
			  fd == -EADDRINUSE ? " (another server is using it: stop it, or choose another port)" :
			  fd == -EACCES ? " (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : "");
	return fd;
}

static void daemon_close(struct daemon *d)
{
	/* HTTP first (its handlers read the services), the fleet model last
	 * (stopping the services may still emit events). */
	fleet_http_free(d->http);
	nfs_server_free(d->nfs);
	d->nfs = NULL;
	tftp_server_free(d->tftp);
	dhcp_service_free(d->dhcp);
	fleet_free(d->fleet);
	if (d->housekeeping)
		ev_timer_cancel(d->loop, d->housekeeping);
	if (d->watchdog)
		ev_timer_cancel(d->loop, d->watchdog);
	serve_socks_close(&d->socks);
	if (d->ps_fd >= 0)
		close(d->ps_fd);
	int fds[] = { d->dhcp_fd, d->tftp_fd, d->tftp_data_fd, d->boot_fd, d->clients_fd, d->data_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	clients_free(&d->clients);
	discovery_free(&d->disc);
	ev_loop_free(d->loop);
	events_free(d->bus);
}

/* The data dir, the registry and the overlay roots. */
static int open_data(struct daemon *d)
{
	d->data_fd = open(d->cfg.data_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d->data_fd < 0 || (d->boot_fd = open_dir(d->data_fd, "boot", true)) < 0 ||
	    (d->clients_fd = open_dir(d->data_fd, "clients", true)) < 0) {
		log_error("serve", "cannot open %s/boot and %s/clients: %s", d->cfg.data_dir, d->cfg.data_dir,
			  strerror(errno));
		return -1;
	}
	int n = clients_load(&d->clients, d->cfg.data_dir);
	if (n < 0) {
		log_error("serve", "cannot read %s/clients: %s", d->cfg.data_dir, strerror(-n));
		return -1;
	}
	if (discovery_load(&d->disc, d->cfg.data_dir) < 0)
		log_warn("serve", "cannot read %s, starting with an empty list", d->disc.path);
	check_roots(d);
	rescan_ifaces(d);
	return 0;
}

void serve_socks_init(struct serve_socks *s)
{
	s->dhcp = s->tftp = s->tftp_data = s->arp = s->http = -1;
	nfs_ports_init(&s->nfs);
	s->nfs_failed = false;
}

void serve_socks_close(struct serve_socks *s)
{
	int fds[] = { s->dhcp, s->tftp, s->tftp_data, s->arp, s->http };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	nfs_ports_close(&s->nfs);
	bool failed = s->nfs_failed;
	serve_socks_init(s);
	s->nfs_failed = failed;
}

void serve_mount_roots(struct daemon *d)
{
	/* clients/ and images/ are not for other local users (README,
	 * "Security"); then the overlay roots, nosuid,nodev,noexec. */
	provision_secure_tree(d->cfg.data_dir);
	provision_mount_all(d->cfg.data_dir);
}

int serve_open_socks(struct daemon *d)
{
	struct serve_socks *s = &d->socks;
	serve_socks_init(s);
	if (d->cfg.dhcp != DHCP_OFF && (s->dhcp = open_socket("DHCP", d->cfg.dhcp_port, true)) < 0)
		goto fail;
	if ((s->tftp = open_socket("TFTP", d->cfg.tftp_port, false)) < 0 ||
	    (s->tftp_data = open_socket("TFTP data", 0, false)) < 0)
		goto fail;
	/* A storm of 200 Pis keeps many ACKs in flight at once. */
	int rcv = 4 << 20;
	setsockopt(s->tftp_data, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(s->tftp_data, SOL_SOCKET, SO_SNDBUF, &rcv, sizeof(rcv));
	setsockopt(s->tftp, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (d->cfg.dhcp == DHCP_FULL && d->cfg.dhcp_probe_ms > 0) {
		s->arp = dhcp_arp_socket();
		if (s->arp < 0)
			log_warn("dhcp", "no ARP conflict probes (%s); addresses are offered unchecked",
				 strerror(-s->arp));
	}
	if (d->cfg.nfs) {
		struct nfs_config nc = { d->cfg.nfs_port, d->cfg.portmap_port, d->cfg.nfs_workers,
					 d->cfg.nfs_max_connections };
		s->nfs_failed = nfs_server_open_ports(&nc, &s->nfs) < 0;
	}
	/* A bad http-listen is a configuration error; a port in use is not
	 * worth refusing to boot the fleet for (fleet_daemon_start says so). */
	s->http = fleet_http_open_listen(d->cfg.http_listen);
	if (s->http == -2) {
		uint32_t a;
		uint16_t p;
		bool off;
		if (fleet_http_parse_listen(d->cfg.http_listen, &a, &p, &off) < 0)
			goto fail;
		s->http = -1;
	}
	return 0;
fail:
	serve_socks_close(s);
	return -1;
}

/* DHCP (unless off) and TFTP: their services on the sockets. */
static int start_boot_services(struct daemon *d)
{
	if (d->cfg.dhcp != DHCP_OFF) {
		d->dhcp_fd = d->socks.dhcp;
		d->socks.dhcp = -1;
		if (!(d->dhcp = dhcp_service_new(d, d->dhcp_fd)))
			return -1;
	}
	d->tftp_fd = d->socks.tftp;
	d->tftp_data_fd = d->socks.tftp_data;
	d->socks.tftp = d->socks.tftp_data = -1;
	struct tftp_limits lim;
	tftp_limits_from(&d->cfg, &lim);
	struct tftp_hooks hooks = { daemon_authorize, daemon_vars_for_addr, d };
	d->tftp = tftp_server_new(d->loop, d->tftp_fd, d->tftp_data_fd, d->boot_fd, d->clients_fd,
				  &d->ifs, &lim, &hooks, d->bus);
	return d->tftp ? 0 : -1;
}

/* NFS (on by default: a host that already runs an NFS server keeps DHCP
 * and TFTP from us, logged loudly), the fleet view, signals, timers. */
static int start_rest(struct daemon *d)
{
	if (d->cfg.nfs) {
		struct nfs_config nc = { d->cfg.nfs_port, d->cfg.portmap_port, d->cfg.nfs_workers,
					 d->cfg.nfs_max_connections };
		struct nfs_hooks nh = { daemon_nfs_access, daemon_nfs_ids_for_addr, d, daemon_nfs_is_admin };
		if (!d->socks.nfs_failed)
			d->nfs = nfs_server_new(d->loop, d->data_fd, d->clients_fd, &nc, &d->socks.nfs, &nh, d->bus);
		nfs_ports_init(&d->socks.nfs);
		if (!d->nfs)
			log_error("serve", "continuing without NFS (see the error above; --nfs off silences this)");
	}
	if (d->ps_fd >= 0 && privsep_child_start(d) < 0)
		return -1;
	if (fleet_daemon_start(d) < 0)
		return -1;
	if (ev_signal_add(d->loop, SIGTERM, on_signal, d) < 0 || ev_signal_add(d->loop, SIGINT, on_signal, d) < 0 ||
	    ev_signal_add(d->loop, SIGHUP, on_signal, d) < 0)
		return -1;
	d->housekeeping = ev_timer_add(d->loop, HOUSEKEEPING_MS, on_housekeeping, d);
	return 0;
}

/* Tell the log and systemd (Type=notify) that we serve: every socket is
 * bound and the overlays are mounted. The watchdog is fed from the event
 * loop, so a wedged loop is what systemd sees. */
static void announce_ready(struct daemon *d)
{
	static const char *const dhcp_mode[] = { "proxy", "full", "off" };
	log_info("serve", "ready: data %s, %zu registered clients, dhcp %s on port %u, tftp on port %u, answer %s",
		 d->cfg.data_dir, d->clients.n, dhcp_mode[d->cfg.dhcp], d->cfg.dhcp_port, d->cfg.tftp_port,
		 d->cfg.answer == ANSWER_ALL ? "all" : "known");
	char ready[160];
	snprintf(ready, sizeof(ready), "READY=1\nSTATUS=serving %zu registered Pis", d->clients.n);
	sd_notify_send(ready);
	if (d->ps_fd >= 0)
		privsep_child_ready(d);
	uint64_t wd = sd_watchdog_ms();
	if (wd) {
		d->watchdog_ms = wd / 2 ? wd / 2 : 1;
		d->watchdog = ev_timer_add(d->loop, d->watchdog_ms, on_watchdog, d);
	}
}

static void log_totals(struct daemon *d)
{
	const struct tftp_stats *st = tftp_server_stats(d->tftp);
	log_info("serve", "tftp totals: %llu requests, %llu files sent, %llu failed, %llu not found, %llu refused, %llu bytes, %llu retransmits",
		 (unsigned long long)st->requests, (unsigned long long)st->transfers_ok,
		 (unsigned long long)st->transfers_failed, (unsigned long long)st->not_found,
		 (unsigned long long)st->denied, (unsigned long long)st->bytes_sent,
		 (unsigned long long)st->retransmits);
}

void serve_release_client(struct daemon *d, const char *id)
{
	struct client *c = clients_find_id(&d->clients, id);
	if (c) {
		c->unavailable = true;
		snprintf(c->unavailable_why, sizeof(c->unavailable_why), "%s",
			 "its root is being reset or removed (pinetboot reset/remove)");
	}
	nfs_server_release(d->nfs, id);
}

int serve_run(struct daemon *d)
{
	int rc = 1;
	d->loop = ev_loop_new();
	d->bus = events_new();
	if (d->loop && d->bus && open_data(d) == 0 && start_boot_services(d) == 0 && start_rest(d) == 0) {
		announce_ready(d);
		if (ev_loop_run(d->loop) < 0)
			log_error("serve", "event loop failed: %s", strerror(errno));
		else
			rc = 0;
		discovery_flush(&d->disc);
		log_totals(d);
	}
	nfs_server_free(d->nfs); /* its export fds would keep overlays busy */
	d->nfs = NULL;
	if (d->data_fd >= 0 && geteuid() == 0)
		provision_unmount_all(d->cfg.data_dir);
	daemon_close(d);
	return rc;
}

/* Who the serving process runs as: `user` (default _pinetboot) when we
 * are root and it exists; else everything in one process. */
static int choose_user(struct daemon *d, uid_t *uid, gid_t *gid)
{
	if (geteuid() != 0 || !strcmp(d->cfg.user, "root"))
		return -1;
	int r = ps_user_lookup(d->cfg.user, uid, gid);
	if (r == -ENOENT)
		log_warn("serve", "user '%s' does not exist: serving without privilege separation, all as root "
			 "(sudo pinetboot init creates it; so does the Debian package)", d->cfg.user);
	else if (r < 0)
		log_warn("serve", "user '%s' is root: serving without privilege separation", d->cfg.user);
	return r;
}

int cmd_serve(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			serve_usage(stdout);
			return 0;
		}
	}
	struct daemon dd, *d = &dd;
	memset(d, 0, sizeof(*d));
	d->dhcp_fd = d->tftp_fd = d->tftp_data_fd = d->boot_fd = d->clients_fd = d->data_fd = -1;
	d->ps_fd = -1;
	serve_socks_init(&d->socks);
	d->argc = argc;
	d->argv = argv;
	if (load_config(&d->cfg, argc, argv) < 0)
		return 2;
	log_set_level((enum log_level)d->cfg.log_level);
	signal(SIGPIPE, SIG_IGN);
	if (check_data_dir(d->cfg.data_dir) < 0 || check_interfaces(&d->cfg) < 0)
		return 2;
	rescan_ifaces(d);
	/* Safety rule: never a second DHCP server on a network. */
	if (d->cfg.dhcp == DHCP_FULL && !d->cfg.dhcp_force && dhcp_full_preflight(d) < 0)
		return 1;
	uid_t uid;
	gid_t gid;
	if (choose_user(d, &uid, &gid) == 0)
		return privsep_serve(d, uid, gid);
	d->mounts_managed = geteuid() == 0;
	if (d->mounts_managed)
		serve_mount_roots(d);
	if (serve_open_socks(d) < 0) {
		if (d->mounts_managed)
			provision_unmount_all(d->cfg.data_dir);
		return 1;
	}
	return serve_run(d);
}
