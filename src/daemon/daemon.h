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

#include "nfs/nfs_server.h"
struct dhcp_service;
struct nfs_server;
struct fleet;
struct fleet_http;

/* Every socket `serve` listens on, opened before the services start (by
 * the root parent under privilege separation, which then closes its own
 * copies). -1: not used. Each service takes its own and sets it to -1. */
struct serve_socks {
	int dhcp, tftp, tftp_data;
	int arp;                 /* full DHCP's ARP probes (AF_PACKET) */
	int http;                /* the dashboard/API listener */
	struct nfs_ports nfs;
	bool nfs_failed;         /* nfs = on but its port could not be had */
};

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
	struct serve_socks socks;
	/* Privilege separation: the child's end of the socketpair to the root
	 * parent (-1 when serving in one process), and whether overlay roots
	 * are mounted for us (by us as root, or by the parent). */
	int ps_fd;
	bool mounts_managed;
};

/* serve.c */
void serve_socks_init(struct serve_socks *s);
void serve_socks_close(struct serve_socks *s);
/* Open every socket the configuration asks for; 0, or -1 (logged) when
 * DHCP, TFTP or a malformed http-listen makes serving impossible. */
int serve_open_socks(struct daemon *d);
/* Everything after the sockets: the services, the loop until a stop
 * signal, the cleanup. The exit status of `serve`. */
int serve_run(struct daemon *d);
/* As root: secure the data dir and mount the overlay roots. */
void serve_mount_roots(struct daemon *d);

/* privsep_parent.c: `serve` as a root parent that keeps the overlays
 * mounted and runs serve_run in a child as uid/gid (README, Privileges).
 * The exit status of `serve`. */
int privsep_serve(struct daemon *d, uid_t uid, gid_t gid);

/* privsep_child.c: the child's end of the conversation with the root
 * parent. start: serve d->ps_fd on the loop (RELOAD, RELEASE from the
 * parent; REPLY to our requests); ready: tell the parent we serve;
 * register: ask it to run `pinetboot add` (0 or -errno). */
int privsep_child_start(struct daemon *d);
void privsep_child_ready(struct daemon *d);
int privsep_child_register(struct daemon *d, const char *id, const char *image, const char *name);
/* Stop serving client id (its overlay is about to be unmounted): it is
 * refused until the next reload, and the NFS server closes its files. */
void serve_release_client(struct daemon *d, const char *id);
/* Re-read the configuration and the registry (SIGHUP, or the parent's
 * RELOAD). */
void serve_reload(struct daemon *d);

/* spawn_add.c: run `pinetboot add ID --image IMAGE --data DATA [--name
 * NAME]` without waiting; on success it SIGHUPs server_pid. 0 or -errno. */
int daemon_spawn_add(const char *data_dir, const char *id, const char *image, const char *name,
		     pid_t server_pid);

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
