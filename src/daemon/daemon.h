/* daemon.h - state of `pinetboot serve`, shared by its parts: the
 * configuration, the client registry, the sockets and the services. One
 * struct, owned by serve.c, passed explicitly; no globals.
 *
 * Owns: struct daemon (the meeting point of the services). Must not
 * touch: protocol logic (dhcp/, tftp/, nfs/) or the Pi model (pi/). */
#ifndef PINETBOOT_DAEMON_DAEMON_H
#define PINETBOOT_DAEMON_DAEMON_H

#include "core/ev.h"
#include "core/events.h"
#include "core/net.h"
#include "daemon/config.h"
#include "pi/pi_discovery.h"
#include "pi/pi_registry.h"
#include "tftp/tftp_server.h"

struct dhcp_service;
struct nfs_server;
struct fleet;
struct fleet_http;

struct daemon {
	struct config cfg;
	int argc;        /* the serve command line, re-applied on reload */
	char **argv;
	struct ev_loop *loop;
	struct net_ifaces ifs;
	struct clients clients;
	struct discovery disc;
	int data_fd, boot_fd, clients_fd;
	int dhcp_fd, tftp_fd, tftp_data_fd;
	struct tftp_server *tftp;
	struct dhcp_service *dhcp;
	struct nfs_server *nfs;   /* NULL when nfs = off */
	struct ev_timer *housekeeping;
	struct ev_timer *watchdog; /* systemd WATCHDOG=1, when asked for */
	uint64_t watchdog_ms;
	struct event_bus *bus;   /* boot events for the fleet view */
	struct fleet *fleet;     /* fleet view model (src/fleet) */
	struct fleet_http *http; /* its dashboard and API, NULL when off */
};

/* dhcp_service.c: the proxy-DHCP responder. */
struct dhcp_service *dhcp_service_new(struct daemon *d, int fd);
void dhcp_service_free(struct dhcp_service *s);

/* fleet_daemon.c: the fleet view. start: after the services; 0 or a
 * negative errno. reload: after the registry was re-read. */
int fleet_daemon_start(struct daemon *d);
void fleet_daemon_reload(struct daemon *d);

/* Who is the registered client for this id, and may addr read its files?
 * (tftp_fs hook; the rule is documented in the README.) */
int daemon_client_access(struct daemon *d, const char *id, uint32_t addr, char *why, size_t whylen);
enum tftp_auth daemon_authorize(void *ctx, const char *id, uint32_t addr, struct tftp_vars *vars);
void daemon_vars_for_addr(void *ctx, uint32_t addr, struct tftp_vars *vars);

#endif
