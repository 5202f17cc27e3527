/* fleet_http_internal.h - what the files of the HTTP API share: the
 * server object, the per-request state, and the steps each file offers.
 * fleet_http.c (loop glue, access, dispatch, token, life), fleet_route.c
 * (URL -> route, pure), fleet_sse.c (event streams), fleet_http_docs.c
 * (stats, discovered, metrics), fleet_http_post.c (register, check-in).
 *
 * Owns: struct fleet_http and struct req. Must not be included outside
 * those files (the daemon and the tests use fleet_http.h). */
#ifndef PINETBOOT_FLEET_HTTP_INTERNAL_H
#define PINETBOOT_FLEET_HTTP_INTERNAL_H

#include <microhttpd.h>

#include "fleet/fleet.h"
#include "fleet/fleet_http.h"

#define SSE_KEEPALIVE_MS 5000
#define JSON_MAX (64u << 20)
#define TOKEN_HEX 64
#define SSE_BUF 16384
#define SSE_FRAMES 256

struct sse; /* one event stream (fleet_sse.c) */

/* One event as an SSE frame, rendered once for every stream. */
struct sse_frame {
	uint64_t seq;
	char *p;
	size_t len;
};

struct fleet_http {
	struct fleet_http_hooks hk;
	struct fleet *f;
	struct MHD_Daemon *mhd;
	int epfd;
	struct ev_timer *timer, *keepalive;
	char token[TOKEN_HEX + 1];
	struct sse *streams;       /* every open SSE stream */
	unsigned n_streams;
	struct sse_frame frames[SSE_FRAMES]; /* by seq % SSE_FRAMES */
	bool stopping;
	uint64_t started_ms;
	/* metrics */
	uint64_t requests[6];      /* by status class 1xx..5xx, [0] other */
	uint64_t by_route[RT_MAX];
	struct fleet_hist latency;
	uint64_t nfs_calls_prev, nfs_prev_ms; /* NFS ops/s, sampled every keepalive */
	double nfs_rate;
};

/* Per request. For SSE it lives as long as the stream. */
struct req {
	struct fleet_http *h;
	struct MHD_Connection *conn;
	enum fleet_route route;
	char id[18];               /* the route's client id, "" if none */
	uint64_t start_us;
	char body[FLEET_HTTP_MAX_BODY];
	size_t body_len;
	bool too_big;
};

/* fleet_http.c: responses and access */
enum MHD_Result fleet_http_send_buf(struct req *r, unsigned code, const char *type, const char *p, size_t n);
/* A JSON document (500 if it overflowed its cap). */
enum MHD_Result fleet_http_send_json(struct req *r, unsigned code, struct jbuf *j);
/* {"error": msg} with the status code. */
enum MHD_Result fleet_http_send_error(struct req *r, unsigned code, const char *msg);
/* Does the request carry the API token (Authorization: Bearer)? */
bool fleet_http_has_token(struct req *r);

/* fleet_sse.c: server-sent event streams */
/* GET /api/events: a stream from ?since=N or Last-Event-ID, else new events. */
enum MHD_Result fleet_sse_start(struct req *r);
/* Wake every suspended stream (a new event, the keepalive, shutdown). */
void fleet_sse_wake_all(struct fleet_http *h);
/* Free the rendered frames (at shutdown). */
void fleet_sse_free_frames(struct fleet_http *h);

/* fleet_http_docs.c: the read-only documents made from server state */
void fleet_http_stats_json(struct fleet_http *h, struct jbuf *j);
void fleet_http_discovered_json(struct fleet_http *h, struct jbuf *j);
void fleet_http_metrics_text(struct fleet_http *h, struct jbuf *j);

/* fleet_http_post.c: the POST calls */
/* POST /api/register/ID: token already checked by the caller. */
enum MHD_Result fleet_http_register(struct req *r, const char *id);
/* POST /api/checkin/ID from peer (the Pi itself, or with the token). */
enum MHD_Result fleet_http_checkin(struct req *r, const char *id, uint32_t peer);

#endif
