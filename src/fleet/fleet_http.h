/* fleet_http.h - the fleet view over HTTP (libmicrohttpd driven by our
 * own event loop, no threads): dashboard assets, the JSON API, server-sent
 * events, Prometheus /metrics, token-protected mutating calls and the
 * clients' end-of-boot check-in.
 *
 * Owns: the HTTP API's public surface and its hooks struct. Must not
 * touch: daemon/, tftp/, nfs/ headers (counters come as struct
 * fleet_server_stats). */
#ifndef PINETBOOT_FLEET_HTTP_H
#define PINETBOOT_FLEET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ev.h"
#include "core/events.h"
#include "pi/pi_discovery.h"
#include "pi/pi_registry.h"

struct fleet;
struct fleet_http;

/* Server counters the API and /metrics show, filled by a hook so this
 * folder needs neither the TFTP nor the NFS server's headers. */
struct fleet_server_stats {
	bool tftp;                 /* false: the fields below are zero */
	uint64_t requests, transfers_ok, transfers_failed, not_found, denied;
	uint64_t bytes_sent, packets_sent, retransmits;
	unsigned active, peak_active;
	bool nfs;                  /* false: NFS is off */
	uint64_t nfs_calls, nfs_denied;
};

/* What the HTTP layer needs from the server that runs it (daemon/
 * fleet_daemon.c fills it): the loop, configuration, the registry and
 * discovery (read only; stable pointers whose contents a reload
 * replaces), and callbacks. ctx is passed back to every callback. */
struct fleet_http_hooks {
	struct ev_loop *loop;
	struct event_bus *bus;      /* check-ins are emitted here */
	const char *data_dir;       /* DATA: api.token, state/http.url */
	const char *listen;         /* http-listen: ADDR:PORT or off */
	bool read_open;             /* http-read-open */
	const struct clients *clients;
	const struct discovery *disc;
	void *ctx;
	/* The default image for POST /api/register ("" = none). */
	void (*default_image)(void *ctx, char *out, size_t cap);
	/* The command that registers Pi id (GET /api/discovered). */
	void (*register_hint)(void *ctx, const char *id, char *out, size_t cap);
	/* May addr act as registered Pi id (check-in)? 1 yes, -1 no (why
	 * filled), 0 no such client. */
	int (*client_access)(void *ctx, const char *id, uint32_t addr, char *why, size_t whylen);
	void (*stats)(void *ctx, struct fleet_server_stats *out);
	/* POST /api/register: start `pinetboot add ID --image IMAGE [--name
	 * NAME]` (name may be NULL) without waiting; 0 or -errno. NULL: the
	 * server forks it itself. */
	int (*register_client)(void *ctx, const char *id, const char *image, const char *name);
	/* A listening socket for http-listen (fleet_http_open_listen), or -1
	 * to open one here. It becomes the server's. */
	int listen_fd;
};

#define FLEET_HTTP_DEFAULT_PORT 8466
#define FLEET_HTTP_MAX_CONN 1000      /* connections at most (slow clients included) */
#define FLEET_HTTP_MAX_SSE 64         /* live event streams at most */
#define FLEET_HTTP_MAX_BODY 4096      /* request body bytes at most */
#define FLEET_HTTP_MEM_PER_CONN (32u << 10) /* headers + buffers per connection */
#define FLEET_HTTP_TIMEOUT_S 15       /* idle connection timeout */

/* Parse "ADDR:PORT" (IPv4) or "off". 0 ok (ret_off set when off), -1 bad. */
int fleet_http_parse_listen(const char *s, uint32_t *ret_addr, uint16_t *ret_port, bool *ret_off);
/* The listening socket for http-listen: an fd, -1 when it is off, or -2
 * (logged) when it is malformed or cannot be bound. */
int fleet_http_open_listen(const char *listen);

/* What a request asks for; pure, so it is unit-tested without sockets. */
enum fleet_route {
	RT_NOT_FOUND, RT_BAD_METHOD, RT_ASSET, RT_CLIENTS, RT_CLIENT, RT_EVENTS, RT_STATS,
	RT_DISCOVERED, RT_METRICS, RT_REGISTER, RT_CHECKIN, RT_MAX
};
/* Map method + URL path. For routes with an id, the validated id is
 * copied to ret_id (size >= 18); an invalid id is RT_NOT_FOUND. */
enum fleet_route fleet_route(const char *method, const char *url, char *ret_id, size_t idlen);
bool fleet_route_mutating(enum fleet_route r);
/* Is id a client id: 8 lowercase hex digits or aa-bb-cc-dd-ee-ff? */
bool fleet_valid_id(const char *id);

/* Embedded dashboard files (fleet_www.c). NULL if there is no such asset. */
const char *fleet_www_find(const char *url, size_t *ret_len, const char **ret_type);

/* Start listening as hooks->listen says (http-listen). Returns NULL
 * with *ret_off set when disabled, NULL on error otherwise. The token is
 * read from (or created in) DATA/api.token. *hooks is copied. */
struct fleet_http *fleet_http_new(const struct fleet_http_hooks *hooks, struct fleet *f, bool *ret_off);
void fleet_http_free(struct fleet_http *h);
/* http-read-open after a reload (SIGHUP re-reads pinetboot.conf). */
void fleet_http_set_read_open(struct fleet_http *h, bool open);

#endif
