/* fleet_http.h - the fleet view over HTTP (libmicrohttpd driven by our
 * own event loop, no threads): dashboard assets, the JSON API, server-sent
 * events, Prometheus /metrics, token-protected mutating calls and the
 * clients' end-of-boot check-in. */
#ifndef PINETBOOT_FLEET_HTTP_H
#define PINETBOOT_FLEET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct fleet;
struct fleet_http;

#define FLEET_HTTP_DEFAULT_PORT 8466
#define FLEET_HTTP_MAX_CONN 1000      /* connections at most (slow clients included) */
#define FLEET_HTTP_MAX_SSE 64         /* live event streams at most */
#define FLEET_HTTP_MAX_BODY 4096      /* request body bytes at most */
#define FLEET_HTTP_MEM_PER_CONN (32u << 10) /* headers + buffers per connection */
#define FLEET_HTTP_TIMEOUT_S 15       /* idle connection timeout */

/* Parse "ADDR:PORT" (IPv4) or "off". 0 ok (ret_off set when off), -1 bad. */
int fleet_http_parse_listen(const char *s, uint32_t *ret_addr, uint16_t *ret_port, bool *ret_off);

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

/* Start listening as configured in d->cfg (http-listen). Returns NULL
 * with *ret_off set when disabled, NULL on error otherwise. The token is
 * read from (or created in) DATA/api.token. */
struct fleet_http *fleet_http_new(struct daemon *d, struct fleet *f, bool *ret_off);
void fleet_http_free(struct fleet_http *h);

/* fleet_daemon.c: serve.c's entry points. start: after the services;
 * 0 or a negative errno. reload: after the registry was re-read. */
int fleet_daemon_start(struct daemon *d);
void fleet_daemon_reload(struct daemon *d);

#endif
