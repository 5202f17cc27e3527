/* fleet_http.c - libmicrohttpd in external-epoll mode inside our event
 * loop: its epoll fd is one of our fds (MHD_run on readiness) and
 * MHD_get_timeout drives one ev timer, so there are no threads and the
 * fleet model needs no locks. SSE streams suspend their connection when
 * there is nothing to send; a new event resumes them (MHD's ITC wakes
 * the epoll fd). Bounds: connection count, per-connection memory (which
 * caps header size), body size, idle timeout, SSE stream count.
 *
 * Owns: routes, access to the API (token, localhost, Host), SSE,
 * /metrics, POST register/check-in. Must not touch: struct daemon
 * (everything it needs comes through struct fleet_http_hooks), the fleet
 * model's insides. */
#include "fleet/fleet_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/net.h"
#include "fleet/fleet.h"
#include "fleet/json.h"
#include "pi/pi_id.h"

#define SSE_KEEPALIVE_MS 5000
#define JSON_MAX (64u << 20)
#define TOKEN_HEX 64
#define SSE_BUF 16384
#define SSE_FRAMES 256

struct sse;

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

struct sse {
	struct sse *next, **pprev;
	struct fleet_http *h;
	struct MHD_Connection *conn;
	uint64_t next_seq;
	uint64_t last_send_ms;
	bool suspended;
	char buf[SSE_BUF];
	size_t len, off;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------ routes */

int fleet_http_parse_listen(const char *s, uint32_t *ret_addr, uint16_t *ret_port, bool *ret_off)
{
	*ret_off = false;
	if (strcmp(s, "off") == 0) {
		*ret_off = true;
		return 0;
	}
	const char *colon = strrchr(s, ':');
	char host[64];
	if (!colon || (size_t)(colon - s) >= sizeof(host) || colon == s)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) != 1)
		return -1;
	uint64_t port;
	if (parse_uint(colon + 1, 65535, &port) < 0 || port == 0)
		return -1;
	*ret_addr = a.s_addr;
	*ret_port = (uint16_t)port;
	return 0;
}

/* An id in canonical form (what pi_id_normalise makes of it): 8 lower
 * case hex digits, or aa-bb-cc-dd-ee-ff. */
bool fleet_valid_id(const char *id)
{
	char norm[18];
	return pi_id_normalise(id, norm) == 0 && strcmp(norm, id) == 0;
}

static const struct {
	const char *prefix;
	bool post;
	bool with_id;
	enum fleet_route route;
} route_tab[] = {
	{ "/api/clients", false, false, RT_CLIENTS },
	{ "/api/client/", false, true, RT_CLIENT },
	{ "/api/events", false, false, RT_EVENTS },
	{ "/api/stats", false, false, RT_STATS },
	{ "/api/discovered", false, false, RT_DISCOVERED },
	{ "/metrics", false, false, RT_METRICS },
	{ "/api/register/", true, true, RT_REGISTER },
	{ "/api/checkin/", true, true, RT_CHECKIN },
};

enum fleet_route fleet_route(const char *method, const char *url, char *ret_id, size_t idlen)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	ret_id[0] = '\0';
	for (size_t i = 0; i < sizeof(route_tab) / sizeof(route_tab[0]); i++) {
		size_t pl = strlen(route_tab[i].prefix);
		if (route_tab[i].with_id ? strncmp(url, route_tab[i].prefix, pl) != 0
					 : strcmp(url, route_tab[i].prefix) != 0)
			continue;
		if (route_tab[i].with_id) {
			const char *id = url + pl;
			if (!fleet_valid_id(id) || strlen(id) >= idlen)
				return RT_NOT_FOUND;
			memcpy(ret_id, id, strlen(id) + 1);
		}
		if (route_tab[i].post ? !post : !get)
			return RT_BAD_METHOD;
		return route_tab[i].route;
	}
	size_t len;
	const char *type;
	if (fleet_www_find(url, &len, &type))
		return get ? RT_ASSET : RT_BAD_METHOD;
	return RT_NOT_FOUND;
}

bool fleet_route_mutating(enum fleet_route r)
{
	return r == RT_REGISTER;
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

/* ------------------------------------------------------------ SSE */

static void sse_resume(struct sse *s)
{
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
}

/* Fleet notify: there is a new event; wake every waiting stream. */
static void on_fleet_event(void *arg)
{
	struct fleet_http *h = arg;
	for (struct sse *s = h->streams; s; s = s->next)
		sse_resume(s);
}

static void on_keepalive(struct ev_loop *loop, void *arg)
{
	struct fleet_http *h = arg;
	h->keepalive = NULL;
	for (struct sse *s = h->streams; s; s = s->next)
		sse_resume(s);
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

/* The frame of event seq, rendered on first use: with many streams an
 * event is formatted once, not once per stream (its "client" part is the
 * Pi as it was then, for every stream). NULL if the event is gone
 * or does not fit a stream's buffer. */
static const struct sse_frame *sse_frame(struct fleet_http *h, uint64_t seq)
{
	struct sse_frame *fr = &h->frames[seq % SSE_FRAMES];
	if (fr->p && fr->seq == seq)
		return fr;
	const struct fleet_event *fe = fleet_event_at(h->f, seq);
	if (!fe)
		return NULL;
	struct jbuf j;
	jb_init(&j, SSE_BUF);
	jb_printf(&j, "id: %llu\nevent: boot\ndata: ", (unsigned long long)seq);
	fleet_json_event(h->f, fe, &j);
	jb_append(&j, "\n\n", 2);
	if (j.err) {
		jb_free(&j);
		return NULL;
	}
	free(fr->p);
	fr->seq = seq;
	fr->p = j.p; /* the frame keeps the buffer */
	fr->len = j.len;
	return fr;
}

static void sse_fill(struct sse *s)
{
	struct fleet_http *h = s->h;
	uint64_t first = fleet_first_seq(h->f);
	s->len = s->off = 0;
	if (s->next_seq < first)
		s->next_seq = first; /* fell behind the ring: skip what is gone */
	while (s->next_seq <= fleet_last_seq(h->f)) {
		const struct sse_frame *fr = sse_frame(h, s->next_seq);
		if (fr) {
			if (s->len + fr->len > sizeof(s->buf))
				break; /* the rest next time (a frame always fits an empty buffer) */
			memcpy(s->buf + s->len, fr->p, fr->len);
			s->len += fr->len;
		}
		s->next_seq++;
	}
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	struct fleet_http *h = s->h;
	if (h->stopping)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (s->off == s->len)
		sse_fill(s);
	uint64_t now = ev_now(h->hk.loop);
	if (s->off == s->len && now - s->last_send_ms >= SSE_KEEPALIVE_MS) {
		/* A comment line: keeps proxies and our idle timeout from
		 * closing a quiet stream, and finds dead peers. */
		s->len = (size_t)snprintf(s->buf, sizeof(s->buf), ": keepalive\n\n");
		s->off = 0;
	}
	if (s->off == s->len) {
		/* Nothing to send: returning 0 alone would make MHD poll us
		 * in a busy loop; suspend until an event or the keepalive. */
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		return 0;
	}
	size_t n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	s->last_send_ms = now;
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	if (s->next)
		s->next->pprev = s->pprev;
	*s->pprev = s->next;
	s->h->n_streams--;
	free(s);
}

/* ------------------------------------------------------------ responses */

static enum MHD_Result send_buf(struct req *r, unsigned code, const char *type, const char *p, size_t n)
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

static enum MHD_Result send_json(struct req *r, unsigned code, struct jbuf *j)
{
	if (j->err) {
		static const char e[] = "{\"error\":\"response too large\"}";
		return send_buf(r, 500, "application/json", e, sizeof(e) - 1);
	}
	return send_buf(r, code, "application/json", j->p ? j->p : "", j->len);
}

static enum MHD_Result send_error(struct req *r, unsigned code, const char *msg)
{
	struct jbuf j;
	jb_init(&j, 4096);
	json_obj_begin(&j);
	json_kv_str(&j, "error", msg);
	json_obj_end(&j);
	jb_append(&j, "\n", 1);
	enum MHD_Result ret = send_json(r, code, &j);
	jb_free(&j);
	return ret;
}

/* ------------------------------------------------------------ handlers */

static void stats_json(struct fleet_http *h, struct jbuf *j)
{
	struct fleet_server_stats st;
	h->hk.stats(h->hk.ctx, &st);
	const struct fleet_server_stats *t = st.tftp ? &st : NULL;
	const struct fleet_totals *ft = fleet_totals(h->f);
	json_obj_begin(j);
	json_kv_uint(j, "uptime_s", (fleet_now_ms() - h->started_ms) / 1000u);
	json_kv_uint(j, "registered", h->hk.clients->n);
	json_kv_uint(j, "discovered", h->hk.disc->n);
	json_kv_uint(j, "tracked", fleet_count(h->f));
	json_key(j, "tftp");
	json_obj_begin(j);
	json_kv_uint(j, "active_transfers", t ? t->active : 0);
	json_kv_uint(j, "peak_transfers", t ? t->peak_active : 0);
	json_kv_uint(j, "requests", t ? t->requests : 0);
	json_kv_uint(j, "files_sent", t ? t->transfers_ok : 0);
	json_kv_uint(j, "failed", t ? t->transfers_failed : 0);
	json_kv_uint(j, "not_found", t ? t->not_found : 0);
	json_kv_uint(j, "refused", t ? t->denied : 0);
	json_kv_uint(j, "bytes_sent", t ? t->bytes_sent : 0);
	json_key(j, "mb_sent");
	json_double(j, t ? (double)t->bytes_sent / 1e6 : 0);
	json_kv_uint(j, "retransmits", t ? t->retransmits : 0);
	json_obj_end(j);
	/* NFS calls per second over the last keepalive period; null when
	 * NFS is off. */
	json_key(j, "nfs_ops_per_s");
	if (st.nfs)
		json_double(j, h->nfs_rate);
	else
		json_null(j);
	json_key(j, "boots");
	json_obj_begin(j);
	json_kv_uint(j, "started", ft->boots);
	json_kv_uint(j, "up", ft->boots_up);
	json_kv_uint(j, "failures", ft->failures);
	json_kv_uint(j, "stalls", ft->stalls);
	json_obj_end(j);
	json_kv_uint(j, "sse_streams", h->n_streams);
	/* The stage table, so the dashboard has no copy of it. */
	json_key(j, "stages");
	json_arr_begin(j);
	for (unsigned s = 0; s < FS_MAX; s++) {
		const struct fleet_stage_info *si = fleet_stage_info((enum fleet_stage)s);
		json_obj_begin(j);
		json_kv_str(j, "name", si->name);
		json_kv_str(j, "color", si->color);
		json_kv_str(j, "help", si->help);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

static void discovered_json(struct fleet_http *h, struct jbuf *j)
{
	const struct discovery *disc = h->hk.disc;
	json_arr_begin(j);
	for (size_t i = 0; i < disc->n; i++) {
		const struct discovered *x = &disc->v[i];
		if (clients_find_id(h->hk.clients, x->id))
			continue;
		char mac[18], cmd[800];
		pi_mac_str(x->mac, mac);
		h->hk.register_hint(h->hk.ctx, x->id, cmd, sizeof(cmd));
		json_obj_begin(j);
		json_kv_str(j, "id", x->id);
		json_kv_str(j, "mac", mac);
		json_kv_str(j, "model", x->model);
		json_kv_uint(j, "first_seen", (uint64_t)x->first_seen * 1000u);
		json_kv_uint(j, "last_seen", (uint64_t)x->last_seen * 1000u);
		json_kv_str(j, "register_command", cmd);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void metrics_text(struct fleet_http *h, struct jbuf *j)
{
	fleet_metrics(h->f, j);
	struct fleet_server_stats st;
	h->hk.stats(h->hk.ctx, &st);
	const struct fleet_server_stats *t = st.tftp ? &st : NULL;
	if (t) {
		static const char *const names[] = { "requests", "transfers_ok", "transfers_failed", "not_found",
						     "denied", "bytes_sent", "packets_sent", "retransmits" };
		const uint64_t v[] = { t->requests, t->transfers_ok, t->transfers_failed, t->not_found,
				       t->denied, t->bytes_sent, t->packets_sent, t->retransmits };
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			jb_printf(j, "# HELP pinetboot_tftp_%s_total TFTP %s.\n# TYPE pinetboot_tftp_%s_total counter\n"
				     "pinetboot_tftp_%s_total %llu\n", names[i], names[i], names[i], names[i],
				  (unsigned long long)v[i]);
		jb_printf(j, "# HELP pinetboot_tftp_active_transfers TFTP transfers in flight.\n"
			     "# TYPE pinetboot_tftp_active_transfers gauge\npinetboot_tftp_active_transfers %u\n",
			  t->active);
	}
	if (st.nfs) {
		jb_printf(j, "# HELP pinetboot_nfs_calls_total NFS and MOUNT calls.\n# TYPE pinetboot_nfs_calls_total counter\n"
			     "pinetboot_nfs_calls_total %llu\n", (unsigned long long)st.nfs_calls);
		jb_printf(j, "# HELP pinetboot_nfs_denied_total NFS calls refused.\n# TYPE pinetboot_nfs_denied_total counter\n"
			     "pinetboot_nfs_denied_total %llu\n", (unsigned long long)st.nfs_denied);
	}
	jb_printf(j, "# HELP pinetboot_clients_registered Registered Pis.\n# TYPE pinetboot_clients_registered gauge\n"
		     "pinetboot_clients_registered %zu\n", h->hk.clients->n);
	jb_printf(j, "# HELP pinetboot_http_requests_total HTTP requests answered, by status class.\n"
		     "# TYPE pinetboot_http_requests_total counter\n");
	static const char *const cls[] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	for (size_t i = 0; i < 6; i++)
		jb_printf(j, "pinetboot_http_requests_total{code=\"%s\"} %llu\n", cls[i],
			  (unsigned long long)h->requests[i]);
	jb_printf(j, "# HELP pinetboot_http_request_seconds Time to answer an HTTP request.\n"
		     "# TYPE pinetboot_http_request_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t i = 0; i < FLEET_HIST_BUCKETS; i++) {
		cum += h->latency.count[i];
		if (i < FLEET_HIST_BUCKETS - 1)
			jb_printf(j, "pinetboot_http_request_seconds_bucket{le=\"%g\"} %llu\n", fleet_hist_bounds[i],
				  (unsigned long long)cum);
		else
			jb_printf(j, "pinetboot_http_request_seconds_bucket{le=\"+Inf\"} %llu\n",
				  (unsigned long long)cum);
	}
	jb_printf(j, "pinetboot_http_request_seconds_sum %.6f\npinetboot_http_request_seconds_count %llu\n",
		  h->latency.sum, (unsigned long long)h->latency.n);
	jb_printf(j, "# HELP pinetboot_http_event_streams Open server-sent event streams.\n"
		     "# TYPE pinetboot_http_event_streams gauge\npinetboot_http_event_streams %u\n", h->n_streams);
}

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

static bool has_token(struct req *r)
{
	const char *a = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");
	if (!a || strncmp(a, "Bearer ", 7) != 0 || strlen(a + 7) != TOKEN_HEX)
		return false;
	return sodium_memcmp(a + 7, r->h->token, TOKEN_HEX) == 0;
}

/* Run `pinetboot add ID --image IMG [--name N] --data DATA` (this very
 * binary) without blocking the loop, then SIGHUP the server so the new Pi
 * is served: a grandchild does it, so nothing here waits or reaps. The
 * result is in the server log. The Pi's MAC is not passed: a discovered
 * MAC is a hint, and the server learns the real one from the Pi's first
 * completed boot. */
static int spawn_add(const char *data_dir, const char *id, const char *image, const char *name)
{
	pid_t server = getpid();
	/* The children of a threaded process call only what is safe after
	 * fork: everything is formatted here, before. */
	char failed[200];
	int flen = snprintf(failed, sizeof(failed),
			    "error fleet: %s: registration through the API failed (pinetboot add, above)\n", id);
	if (flen < 0 || flen >= (int)sizeof(failed))
		flen = 0;
	pid_t a = fork();
	if (a < 0)
		return -errno;
	if (a == 0) {
		if (fork() != 0)
			_exit(0);
		pid_t c = fork();
		if (c == 0) {
			/* execv wants char *const[]: writable copies, in the child. */
			char w[8][4200];
			const char *src[8] = { "pinetboot", "add", id, "--image", image, "--data", data_dir, NULL };
			char *argv[11];
			int n = 0;
			for (int i = 0; src[i]; i++) {
				snprintf(w[i], sizeof(w[i]), "%s", src[i]);
				argv[n++] = w[i];
			}
			char nk[] = "--name", nv[64];
			if (name) {
				snprintf(nv, sizeof(nv), "%s", name);
				argv[n++] = nk;
				argv[n++] = nv;
			}
			argv[n] = NULL;
			int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (devnull >= 0)
				dup2(devnull, 0);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		int st = 0;
		if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			kill(server, SIGHUP);
		else if (write(2, failed, (size_t)flen) < 0)
			_exit(1);
		_exit(0);
	}
	int st;
	while (waitpid(a, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}

/* register: the same as `pinetboot add ID --image DEFAULT [--name N]`,
 * with the default image (DATA/boot/.pinetboot-image or the only one). */
static enum MHD_Result do_register(struct req *r, const char *id)
{
	struct fleet_http *h = r->h;
	const char *name = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "name");
	if (name) {
		size_t n = strlen(name);
		bool ok = n > 0 && n < 64;
		for (size_t i = 0; ok && i < n; i++)
			ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
			     (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '.';
		if (!ok)
			return send_error(r, 400, "name: 1 to 63 characters of A-Z a-z 0-9 . -");
	}
	if (clients_find_id(h->hk.clients, id))
		return send_error(r, 409, "already registered");
	char image[64];
	h->hk.default_image(h->hk.ctx, image, sizeof(image));
	if (!image[0])
		return send_error(r, 409, "no default image: import one first (pinetboot image import NAME --from SOURCE)");
	int e = spawn_add(h->hk.data_dir, id, image, name);
	if (e < 0)
		return send_error(r, 500, "cannot start pinetboot add");
	log_info("fleet", "%s: registering through the API (pinetboot add %s --image %s)", id, id, image);
	struct jbuf j;
	jb_init(&j, 4096);
	json_obj_begin(&j);
	json_kv_str(&j, "registering", id);
	json_kv_str(&j, "image", image);
	json_obj_end(&j);
	enum MHD_Result ret = send_json(r, 202, &j);
	jb_free(&j);
	return ret;
}

static enum MHD_Result do_checkin(struct req *r, const char *id, uint32_t peer)
{
	char why[160] = "";
	int a = r->h->hk.client_access(r->h->hk.ctx, id, peer, why, sizeof(why));
	if (a == 0)
		return send_error(r, 404, "no such client");
	if (a < 0 && !has_token(r))
		return send_error(r, 403, "check-in is accepted from the client's own address (or with the token)");
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = BEV_CHECKIN;
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.addr = peer;
	/* The body is free text from the client (e.g. its uptime). */
	snprintf(e.detail, sizeof(e.detail), "%.*s", (int)(r->body_len < 159 ? r->body_len : 159), r->body);
	for (char *p = e.detail; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	events_emit(r->h->hk.bus, &e);
	return send_buf(r, 200, "application/json", "{\"ok\":true}\n", 12);
}

static enum MHD_Result start_sse(struct req *r)
{
	struct fleet_http *h = r->h;
	if (h->n_streams >= FLEET_HTTP_MAX_SSE)
		return send_error(r, 503, "too many event streams");
	struct sse *s = calloc(1, sizeof(*s));
	if (!s)
		return send_error(r, 503, "out of memory");
	s->h = h;
	s->conn = r->conn;
	s->next_seq = fleet_last_seq(h->f) + 1;
	/* ?since=N or Last-Event-ID: replay from the ring first. */
	const char *since = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
	const char *from = since ? since : last;
	uint64_t v;
	/* Digits only (no sign or blanks), and never past the next event:
	 * a far-future id must not leave the stream silent for ever. */
	if (from && parse_uint(from, UINT64_MAX - 1, &v) == 0 && (since ? v : v + 1) < s->next_seq)
		s->next_seq = since ? v : v + 1;
	s->last_send_ms = 0; /* first call sends a keepalive comment right away */
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
	if (!resp) {
		free(s);
		return MHD_NO;
	}
	s->next = h->streams;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &h->streams;
	h->streams = s;
	h->n_streams++;
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
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
		return send_error(r, 413, "request body too large");
	switch (r->route) {
	case RT_NOT_FOUND:
		return send_error(r, 404, "not found");
	case RT_BAD_METHOD:
		return send_error(r, 405, "method not allowed");
	case RT_CHECKIN:
		return do_checkin(r, id, peer);
	default:
		break;
	}
	if (fleet_route_mutating(r->route)) {
		if (!has_token(r))
			return send_error(r, 401, "this call needs the token in DATA/api.token (Authorization: Bearer ...)");
		return do_register(r, id);
	}
	/* Read-only calls: open to localhost, elsewhere only when configured
	 * or with the token (timelines name addresses and MACs). Open to
	 * localhost means a name that resolves to us only through DNS
	 * rebinding must not do: then the Host must be an address. */
	if (!h->hk.read_open && !has_token(r)) {
		if (!local)
			return send_error(r, 403, "the read-only API is open on localhost only (http-read-open = on, or send the token)");
		if (!host_is_address(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Host")))
			return send_error(r, 403, "use http://127.0.0.1:PORT/ or http://localhost:PORT/ (or the token)");
	}
	if (r->route == RT_ASSET)
		return send_asset(r, url);
	if (r->route == RT_EVENTS)
		return start_sse(r);
	jb_init(&j, JSON_MAX);
	unsigned code = 200;
	switch (r->route) {
	case RT_CLIENTS:
		fleet_json_clients(h->f, &j);
		break;
	case RT_CLIENT:
		if (!fleet_json_client(h->f, id, &j)) {
			jb_free(&j);
			return send_error(r, 404, "no such client");
		}
		break;
	case RT_STATS:
		stats_json(h, &j);
		break;
	case RT_DISCOVERED:
		discovered_json(h, &j);
		break;
	case RT_METRICS:
		metrics_text(h, &j);
		ret = j.err ? send_error(r, 500, "metrics too large")
			    : send_buf(r, 200, "text/plain; version=0.0.4; charset=utf-8", j.p, j.len);
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
	ret = send_json(r, code, &j);
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

struct fleet_http *fleet_http_new(const struct fleet_http_hooks *hk, struct fleet *f, bool *ret_off)
{
	uint32_t addr;
	uint16_t port;
	if (fleet_http_parse_listen(hk->listen, &addr, &port, ret_off) < 0) {
		log_error("fleet", "http-listen '%s' is not ADDRESS:PORT or off", hk->listen);
		return NULL;
	}
	if (*ret_off)
		return NULL;
	if (sodium_init() < 0)
		return NULL;
	struct fleet_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->hk = *hk;
	h->f = f;
	h->epfd = -1;
	h->started_ms = fleet_now_ms();
	if (load_token(h) < 0)
		goto fail;
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = addr;
	sin.sin_port = htons(port);
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, port, NULL, NULL,
				  on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)FLEET_HTTP_MAX_CONN,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)FLEET_HTTP_MEM_PER_CONN,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)FLEET_HTTP_TIMEOUT_S,
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	if (!h->mhd) {
		log_error("fleet", "cannot listen for HTTP on %s (in use? http-listen = off disables it)",
			  hk->listen);
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
		for (struct sse *s = h->streams; s; s = s->next)
			sse_resume(s);
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
	for (size_t i = 0; i < SSE_FRAMES; i++)
		free(h->frames[i].p);
	free(h);
}
