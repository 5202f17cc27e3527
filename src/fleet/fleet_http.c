/* fleet_http.c - libmicrohttpd in external-epoll mode inside our event
 * loop: its epoll fd is one of our fds (MHD_run on readiness) and
 * MHD_get_timeout drives one ev timer, so there are no threads and the
 * fleet model needs no locks. SSE streams suspend their connection when
 * there is nothing to send; a new event resumes them (MHD's ITC wakes
 * the epoll fd). Bounds: connection count, per-connection memory (which
 * caps header size), body size, idle timeout, SSE stream count.
 *
 * The steps live beside it: fleet_route.c (which route), fleet_sse.c
 * (event streams), fleet_http_docs.c (stats, discovered, metrics),
 * fleet_http_post.c (register, check-in).
 *
 * Owns: the MHD daemon and its loop glue, access to the API (token,
 * localhost, Host), dispatch, assets, request metrics, the token file.
 * Must not touch: struct daemon (everything it needs comes through
 * struct fleet_http_hooks), the fleet model's insides. */
#include "fleet/fleet_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/log.h"
#include "fleet/fleet_http_internal.h"
#include "fleet/json.h"

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------ loop glue */

static void rearm(struct fleet_http *h);

static void run_mhd(struct fleet_http *h)
{
	MHD_run(h->mhd);
	rearm(h);
}

static void on_mhd_timer(struct ev_loop *loop, void *arg)
{
	struct fleet_http *h = arg;
	h->timer = NULL;
	run_mhd(h);
}

static void on_mhd_fd(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	run_mhd(arg);
}

/* One ev timer, re-armed after every MHD_run to MHD's own deadline. */
static void rearm(struct fleet_http *h)
{
	MHD_UNSIGNED_LONG_LONG to;
	if (h->timer) {
		ev_timer_cancel(h->hk.loop, h->timer);
		h->timer = NULL;
	}
	if (MHD_get_timeout(h->mhd, &to) == MHD_YES)
		h->timer = ev_timer_add(h->hk.loop, to, on_mhd_timer, h);
}

/* Fleet notify: there is a new event; wake every waiting stream. */
static void on_fleet_event(void *arg)
{
	fleet_sse_wake_all(arg);
}

static void on_keepalive(struct ev_loop *loop, void *arg)
{
	struct fleet_http *h = arg;
	h->keepalive = NULL;
	fleet_sse_wake_all(h);
	struct fleet_server_stats st;
	h->hk.stats(h->hk.ctx, &st);
	if (st.nfs) {
		uint64_t calls = st.nfs_calls, now = ev_now(loop);
		if (h->nfs_prev_ms && now > h->nfs_prev_ms)
			h->nfs_rate = (double)(calls - h->nfs_calls_prev) * 1000.0 / (double)(now - h->nfs_prev_ms);
		h->nfs_calls_prev = calls;
		h->nfs_prev_ms = now;
	}
	h->keepalive = ev_timer_add(loop, SSE_KEEPALIVE_MS, on_keepalive, h);
}

/* ------------------------------------------------------------ responses */

enum MHD_Result fleet_http_send_buf(struct req *r, unsigned code, const char *type, const char *p, size_t n)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(n, (void *)(uintptr_t)p, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(r->conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result fleet_http_send_json(struct req *r, unsigned code, struct jbuf *j)
{
	if (j->err) {
		static const char e[] = "{\"error\":\"response too large\"}";
		return fleet_http_send_buf(r, 500, "application/json", e, sizeof(e) - 1);
	}
	return fleet_http_send_buf(r, code, "application/json", j->p ? j->p : "", j->len);
}

enum MHD_Result fleet_http_send_error(struct req *r, unsigned code, const char *msg)
{
	struct jbuf j;
	jb_init(&j, 4096);
	json_obj_begin(&j);
	json_kv_str(&j, "error", msg);
	json_obj_end(&j);
	jb_append(&j, "\n", 1);
	enum MHD_Result ret = fleet_http_send_json(r, code, &j);
	jb_free(&j);
	return ret;
}

/* ------------------------------------------------------------ handlers */

static uint32_t peer_addr(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return 0;
	struct sockaddr_in sin;
	memcpy(&sin, ci->client_addr, sizeof(sin));
	return sin.sin_addr.s_addr;
}

/* Host header "localhost", an IPv4 address, or absent (HTTP/1.0), with
 * an optional port. */
static bool host_is_address(const char *host)
{
	char name[64];
	struct in_addr a;
	if (!host)
		return true;
	size_t n = strcspn(host, ":");
	if (n >= sizeof(name))
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	return strcmp(name, "localhost") == 0 || inet_pton(AF_INET, name, &a) == 1;
}

bool fleet_http_has_token(struct req *r)
{
	const char *a = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	if (!a || strncmp(a, "Bearer ", 7) != 0 || strlen(a + 7) != TOKEN_HEX)
		return false;
	return sodium_memcmp(a + 7, r->h->token, TOKEN_HEX) == 0;
}

/* A dashboard file, embedded in the binary (fleet_www.c). */
static enum MHD_Result send_asset(struct req *r, const char *url)
{
	size_t len;
	const char *type;
	const char *p = fleet_www_find(url, &len, &type);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)p, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result dispatch(struct req *r, const char *url, const char *id)
{
	struct fleet_http *h = r->h;
	uint32_t peer = peer_addr(r->conn);
	bool local = (ntohl(peer) >> 24) == 127;
	struct jbuf j;
	enum MHD_Result ret;

	if (r->too_big)
		return fleet_http_send_error(r, 413, "request body too large");
	switch (r->route) {
	case RT_NOT_FOUND:
		return fleet_http_send_error(r, 404, "not found");
	case RT_BAD_METHOD:
		return fleet_http_send_error(r, 405, "method not allowed");
	case RT_CHECKIN:
		return fleet_http_checkin(r, id, peer);
	default:
		break;
	}
	if (fleet_route_mutating(r->route)) {
		if (!fleet_http_has_token(r))
			return fleet_http_send_error(r, 401, "this call needs the token in DATA/api.token (Authorization: Bearer ...)");
		return fleet_http_register(r, id);
	}
	/* Read-only calls: open to localhost, elsewhere only when configured
	 * or with the token (timelines name addresses and MACs). Open to
	 * localhost means a name that resolves to us only through DNS
	 * rebinding must not do: then the Host must be an address. */
	if (!h->hk.read_open && !fleet_http_has_token(r)) {
		if (!local)
			return fleet_http_send_error(r, 403, "the read-only API is open on localhost only (http-read-open = on, or send the token)");
		if (!host_is_address(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host")))
			return fleet_http_send_error(r, 403, "use http://127.0.0.1:PORT/ or http://localhost:PORT/ (or the token)");
	}
	if (r->route == RT_ASSET)
		return send_asset(r, url);
	if (r->route == RT_EVENTS)
		return fleet_sse_start(r);
	jb_init(&j, JSON_MAX);
	unsigned code = 200;
	switch (r->route) {
	case RT_CLIENTS:
		fleet_json_clients(h->f, &j);
		break;
	case RT_CLIENT:
		if (!fleet_json_client(h->f, id, &j)) {
			jb_free(&j);
			return fleet_http_send_error(r, 404, "no such client");
		}
		break;
	case RT_STATS:
		fleet_http_stats_json(h, &j);
		break;
	case RT_DISCOVERED:
		fleet_http_discovered_json(h, &j);
		break;
	case RT_METRICS:
		fleet_http_metrics_text(h, &j);
		ret = j.err ? fleet_http_send_error(r, 500, "metrics too large")
			    : fleet_http_send_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", j.p, j.len);
		jb_free(&j);
		return ret;
	default:
		code = 404;
		json_obj_begin(&j);
		json_kv_str(&j, "error", "not found");
		json_obj_end(&j);
		break;
	}
	jb_append(&j, "\n", 1);
	ret = fleet_http_send_json(r, code, &j);
	jb_free(&j);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct fleet_http *h = cls;
	struct req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->h = h;
		r->conn = conn;
		r->start_us = now_us();
		r->route = fleet_route(method, url, r->id, sizeof(r->id));
		h->by_route[r->route]++;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		/* Bodies are tiny (check-in text); larger ones are refused
		 * once complete rather than buffered. */
		if (r->body_len + *upload_size > sizeof(r->body) - 1)
			r->too_big = true;
		else {
			memcpy(r->body + r->body_len, upload, *upload_size);
			r->body_len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	r->body[r->body_len] = '\0';
	return dispatch(r, url, r->id);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode tc)
{
	struct fleet_http *h = cls;
	struct req *r = *con_cls;
	if (!r)
		return;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
	unsigned code = ci ? ci->http_status : 0;
	h->requests[code >= 100 && code < 600 ? code / 100 : 0]++;
	if (r->route != RT_EVENTS)
		fleet_hist_add(&h->latency, (double)(now_us() - r->start_us) / 1e6);
	free(r);
	*con_cls = NULL;
}

/* ------------------------------------------------------------ token */

/* DATA/api.token: 32 random bytes as hex, mode 0600, made on first start. */
static int load_token(struct fleet_http *h)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/api.token", h->hk.data_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		uint8_t raw[TOKEN_HEX / 2];
		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(h->token, sizeof(h->token), raw, sizeof(raw));
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 || write(fd, h->token, TOKEN_HEX) != TOKEN_HEX || write(fd, "\n", 1) != 1) {
			log_error("fleet", "cannot create %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		close(fd);
		log_info("fleet", "API token created in %s", path);
		return 0;
	}
	if (fd < 0) {
		log_error("fleet", "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	char buf[TOKEN_HEX + 2];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		log_warn("fleet", "%s is readable by others: chmod 600 it", path);
	close(fd);
	bool hex = n >= TOKEN_HEX;
	for (size_t i = 0; hex && i < TOKEN_HEX; i++)
		hex = hexval(buf[i]) >= 0;
	if (!hex) {
		log_error("fleet", "%s: expected %d hex characters", path, TOKEN_HEX);
		return -1;
	}
	memcpy(h->token, buf, TOKEN_HEX);
	h->token[TOKEN_HEX] = '\0';
	return 0;
}

/* ------------------------------------------------------------ life */

static void write_url_file(struct fleet_http *h, uint32_t addr, uint16_t port)
{
	/* DATA/state/http.url tells the CLI where the running server
	 * listens, whatever flags it was started with. */
	char path[PATH_MAX + 32], tmp[PATH_MAX + 40], a[INET_ADDRSTRLEN];
	if (addr == htonl(INADDR_ANY))
		addr = htonl(INADDR_LOOPBACK);
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(path, sizeof(path), "%s/state/http.url", h->hk.data_dir);
	snprintf(tmp, sizeof(tmp), "%s/state/.http.url.tmp", h->hk.data_dir);
	FILE *fp = fopen(tmp, "we");
	if (!fp)
		return;
	fprintf(fp, "http://%s:%u\n", a, port);
	if (fclose(fp) != 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

int fleet_http_open_listen(const char *listen_spec)
{
	uint32_t addr;
	uint16_t port;
	bool off;
	if (fleet_http_parse_listen(listen_spec, &addr, &port, &off) < 0) {
		log_error("fleet", "http-listen '%s' is not ADDRESS:PORT or off", listen_spec);
		return -2;
	}
	if (off)
		return -1;
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = addr;
	sin.sin_port = htons(port);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 1024) < 0) {
		log_error("fleet", "cannot listen for HTTP on %s: %s (in use? http-listen = off disables it)",
			  listen_spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -2;
	}
	return fd;
}

struct fleet_http *fleet_http_new(const struct fleet_http_hooks *hk, struct fleet *f, bool *ret_off)
{
	uint32_t addr;
	uint16_t port;
	if (fleet_http_parse_listen(hk->listen, &addr, &port, ret_off) < 0) {
		log_error("fleet", "http-listen '%s' is not ADDRESS:PORT or off", hk->listen);
		if (hk->listen_fd >= 0)
			close(hk->listen_fd);
		return NULL;
	}
	if (*ret_off || sodium_init() < 0) {
		if (hk->listen_fd >= 0)
			close(hk->listen_fd);
		return NULL;
	}
	struct fleet_http *h = calloc(1, sizeof(*h));
	if (!h) {
		if (hk->listen_fd >= 0)
			close(hk->listen_fd);
		return NULL;
	}
	h->hk = *hk;
	h->f = f;
	h->epfd = -1;
	h->started_ms = fleet_now_ms();
	int lfd = hk->listen_fd;
	if (load_token(h) < 0) {
		if (lfd >= 0)
			close(lfd);
		goto fail;
	}
	if (lfd < 0 && (lfd = fleet_http_open_listen(hk->listen)) < 0)
		goto fail;
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, port, NULL, NULL,
				  on_request, h, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)lfd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)FLEET_HTTP_MAX_CONN,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)FLEET_HTTP_MEM_PER_CONN,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)FLEET_HTTP_TIMEOUT_S,
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	if (!h->mhd) {
		log_error("fleet", "cannot serve HTTP on %s", hk->listen);
		close(lfd);
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || ev_io_add(hk->loop, di->epoll_fd, EV_READ, on_mhd_fd, h) < 0)
		goto fail;
	h->epfd = di->epoll_fd;
	h->keepalive = ev_timer_add(hk->loop, SSE_KEEPALIVE_MS, on_keepalive, h);
	fleet_set_notify(f, on_fleet_event, h);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (pi && pi->port)
		port = pi->port;
	write_url_file(h, addr, port);
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	log_info("fleet", "dashboard and API on http://%s:%u/", a, port);
	rearm(h);
	return h;
fail:
	fleet_http_free(h);
	return NULL;
}

void fleet_http_set_read_open(struct fleet_http *h, bool open)
{
	if (h)
		h->hk.read_open = open;
}

void fleet_http_free(struct fleet_http *h)
{
	if (!h)
		return;
	fleet_set_notify(h->f, NULL, NULL);
	if (h->mhd) {
		/* MHD refuses to stop with suspended connections: resume
		 * them, let them end their streams, then stop. */
		h->stopping = true;
		fleet_sse_wake_all(h);
		MHD_run(h->mhd);
	}
	if (h->epfd >= 0)
		ev_io_del(h->hk.loop, h->epfd);
	if (h->timer)
		ev_timer_cancel(h->hk.loop, h->timer);
	if (h->keepalive)
		ev_timer_cancel(h->hk.loop, h->keepalive);
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	sodium_memzero(h->token, sizeof(h->token));
	fleet_sse_free_frames(h);
	free(h);
}
