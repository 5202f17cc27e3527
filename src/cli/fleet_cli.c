/* fleet_cli.c - `pinetboot status`, `pinetboot watch` and `pinetboot log`:
 * read the fleet view from the running server's HTTP API. The client is
 * a minimal HTTP/1.0 GET over a TCP socket (no chunked encoding, the body
 * ends at EOF): the server is ours and local, so libcurl would add a
 * dependency for nothing. Server address: --server URL, else what the
 * server wrote to DATA/state/http.url, else http-listen in pinetboot.conf.
 *
 * Owns: the HTTP client side of the fleet API and its terminal
 * rendering. Must not touch: the server's state other than through its
 * API (and pinetboot.conf for its address). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmds.h"
#include "core/net.h"
#include "daemon/config.h"
#include "fleet/fleet_http.h"
#include "fleet/json.h"

#define RESP_MAX (64u << 20)
#define IO_TIMEOUT_S 10

struct fleet_cli {
	char data_dir[PATH_MAX];
	char url[256];
	uint32_t addr;           /* network order */
	uint16_t port;
	char token[80];
	bool json;
	unsigned boots;          /* log: boots shown */
	long count;              /* watch: stop after this many events (-1 = never) */
	const char *id;
	const char *cmd;
};

static void usage(FILE *f, const char *cmd)
{
	fprintf(f, "usage: pinetboot %s [--data DIR] [--server URL]%s\n\n", cmd,
		!strcmp(cmd, "status") ? " [--json]" : !strcmp(cmd, "log") ? " [-n BOOTS] [--json] ID" :
		" [--count N]");
	if (!strcmp(cmd, "status"))
		fprintf(f, "One line per Pi: id, name, model, address, boot stage, since when, last problem.\n");
	else if (!strcmp(cmd, "watch"))
		fprintf(f, "Live view: redraws the table in place on a terminal, prints one line per event\n"
			   "when the output is piped. --count N stops after N events.\n");
	else
		fprintf(f, "The Pi's last boots (default 5) with the time each step took, and its recent events.\n");
	fprintf(f, "\nThe server is found from DIR/state/http.url (written by pinetboot serve), then\n"
		   "http-listen in DIR/pinetboot.conf; DIR defaults to /srv/pinetboot.\n");
}

/* "http://A.B.C.D:PORT[/]" or "localhost". */
static int parse_url(struct fleet_cli *c, const char *url)
{
	const char *p = url;
	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	char hp[96];
	size_t n = strcspn(p, "/\n");
	if (n == 0 || n >= sizeof(hp))
		return -1;
	memcpy(hp, p, n);
	hp[n] = '\0';
	if (strncmp(hp, "localhost", 9) == 0) {
		char tmp[96];
		snprintf(tmp, sizeof(tmp), "127.0.0.1%s", hp + 9);
		snprintf(hp, sizeof(hp), "%s", tmp);
	}
	if (!strchr(hp, ':')) {
		size_t l = strlen(hp);
		snprintf(hp + l, sizeof(hp) - l, ":%d", FLEET_HTTP_DEFAULT_PORT);
	}
	bool off;
	if (fleet_http_parse_listen(hp, &c->addr, &c->port, &off) < 0 || off)
		return -1;
	/* A server listening on every address is reachable on loopback. */
	if (c->addr == htonl(INADDR_ANY))
		c->addr = htonl(INADDR_LOOPBACK);
	snprintf(c->url, sizeof(c->url), "%s", hp);
	return 0;
}

static int find_server(struct fleet_cli *c, const char *server)
{
	if (server) {
		if (parse_url(c, server) < 0) {
			fprintf(stderr, "pinetboot %s: --server '%s' is not http://ADDRESS:PORT\n", c->cmd, server);
			return -1;
		}
		return 0;
	}
	char path[PATH_MAX + 32], line[256];
	snprintf(path, sizeof(path), "%s/state/http.url", c->data_dir);
	FILE *fp = fopen(path, "re");
	if (fp) {
		bool ok = fgets(line, sizeof(line), fp) && parse_url(c, line) == 0;
		fclose(fp);
		if (ok)
			return 0;
	}
	struct config cfg;
	char err[600];
	config_defaults(&cfg);
	snprintf(path, sizeof(path), "%s/pinetboot.conf", c->data_dir);
	if (config_load_file(&cfg, path, true, err, sizeof(err)) < 0)
		fprintf(stderr, "pinetboot %s: %s (using the default address)\n", c->cmd, err);
	if (!strcmp(cfg.http_listen, "off")) {
		fprintf(stderr, "pinetboot %s: http-listen is off in %s; nothing to ask\n", c->cmd, path);
		return -1;
	}
	if (parse_url(c, cfg.http_listen) < 0) {
		fprintf(stderr, "pinetboot %s: bad http-listen '%s'\n", c->cmd, cfg.http_listen);
		return -1;
	}
	return 0;
}

/* The token lets a non-local server answer; readable only by root. */
static void load_token(struct fleet_cli *c)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/api.token", c->data_dir);
	FILE *fp = fopen(path, "re");
	if (!fp)
		return;
	if (fgets(c->token, sizeof(c->token), fp))
		c->token[strcspn(c->token, "\r\n")] = '\0';
	fclose(fp);
}

static int connect_server(const struct fleet_cli *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = c->addr;
	sin.sin_port = htons(c->port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int send_get(const struct fleet_cli *c, int fd, const char *path)
{
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: pinetboot-cli\r\n%s%s%s\r\n",
			 path, c->url, c->token[0] ? "Authorization: Bearer " : "", c->token,
			 c->token[0] ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(req))
		return -EINVAL;
	for (int off = 0; off < n;) {
		ssize_t w = send(fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);
		if (w <= 0)
			return -EIO;
		off += (int)w;
	}
	return 0;
}

/* Status code of "HTTP/1.x NNN ..." */
static int status_of(const char *p, size_t len)
{
	if (len < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
		return -1;
	int code = 0;
	for (int i = 9; i < 12; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		code = code * 10 + (p[i] - '0');
	}
	return code;
}

/* GET path; body (without headers) in out. Returns the HTTP status or
 * a negative errno; prints why on failure. */
static int http_get(const struct fleet_cli *c, const char *path, struct jbuf *out)
{
	int fd = connect_server(c);
	if (fd < 0) {
		fprintf(stderr, "pinetboot %s: cannot reach the server at http://%s: %s (is pinetboot serve running?)\n",
			c->cmd, c->url, strerror(-fd));
		return fd;
	}
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* Read the whole answer into out, then drop the headers in place
	 * (one buffer, not a second copy of up to RESP_MAX). */
	int r = send_get(c, fd, path);
	char buf[16384];
	while (r == 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			r = -errno;
			break;
		}
		jb_append(out, buf, (size_t)n);
		if (out->err)
			r = -EFBIG;
	}
	close(fd);
	const char *hend = r == 0 && out->p ? strstr(out->p, "\r\n\r\n") : NULL;
	int code = hend ? status_of(out->p, out->len) : -1;
	if (r < 0 || code < 0) {
		fprintf(stderr, "pinetboot %s: bad answer from http://%s%s: %s\n", c->cmd, c->url, path,
			r < 0 ? strerror(-r) : "not HTTP");
		jb_reset(out);
		return r < 0 ? r : -EPROTO;
	}
	size_t hl = (size_t)(hend + 4 - out->p);
	memmove(out->p, out->p + hl, out->len - hl + 1); /* with the NUL */
	out->len -= hl;
	return code;
}

/* GET and parse JSON; prints the server's error on non-200. */
static struct json_node *get_json(const struct fleet_cli *c, const char *path, struct jbuf *body)
{
	int code = http_get(c, path, body);
	if (code < 0)
		return NULL;
	char err[128];
	struct json_node *n = json_parse(body->p ? body->p : "", body->len, err, sizeof(err));
	if (code != 200) {
		const char *e = n ? json_get_str(n, "error", NULL) : NULL;
		fprintf(stderr, "pinetboot %s: server answered %d%s%s\n", c->cmd, code, e ? ": " : "", e ? e : "");
		json_node_free(n);
		return NULL;
	}
	if (!n)
		fprintf(stderr, "pinetboot %s: %s\n", c->cmd, err);
	return n;
}

/* ------------------------------------------------------------ output */

static void fmt_since(uint64_t ms, char *out, size_t len)
{
	if (!ms) {
		snprintf(out, len, "-");
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	uint64_t s = now > ms ? (now - ms) / 1000u : 0;
	if (s < 60)
		snprintf(out, len, "%llus ago", (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, len, "%llum ago", (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(out, len, "%lluh ago", (unsigned long long)(s / 3600));
	else
		snprintf(out, len, "%llud ago", (unsigned long long)(s / 86400));
}

static void fmt_dur(uint64_t ms, char *out, size_t len)
{
	if (ms < 1000)
		snprintf(out, len, "%llu ms", (unsigned long long)ms);
	else
		snprintf(out, len, "%.1f s", (double)ms / 1000.0);
}

/* Client strings come from files and the network: print them without
 * control characters so they cannot drive the terminal. */
static void clean(const char *s, char *out, size_t len)
{
	size_t k = 0;
	for (; s && *s && k + 1 < len; s++)
		out[k++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	out[k] = '\0';
}

/* A JSON number as an unsigned integer, 0 when it is negative, NaN or
 * too large: such values from the server must not reach a cast (undefined
 * behaviour) or a time conversion. */
static uint64_t get_u64(const struct json_node *o, const char *key)
{
	double v = json_get_num(o, key, 0);
	return v >= 0 && v < 18446744073709549568.0 ? (uint64_t)v : 0;
}

/* "HH:MM:SS", with the date before it if asked, of a wall-clock ms
 * timestamp; "?" when it is out of range. */
static void fmt_time(uint64_t ms, bool date, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000u);
	struct tm tm;
	if (!localtime_r(&t, &tm) ||
	    !(date ? strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm) : strftime(out, len, "%H:%M:%S", &tm)))
		snprintf(out, len, "?");
}

static void print_table(FILE *f, const struct json_node *list)
{
	fprintf(f, "%-17s %-14s %-12s %-15s %-18s %-9s %s\n", "ID", "NAME", "MODEL", "ADDRESS", "STAGE", "SINCE",
		"LAST PROBLEM");
	for (const struct json_node *c = list ? list->child : NULL; c; c = c->next) {
		char name[64], model[40], stage[56], since[32], prob[220], addr[20], st[24], pr[24];
		clean(json_get_str(c, "name", ""), name, sizeof(name));
		clean(json_get_str(c, "model", ""), model, sizeof(model));
		clean(json_get_str(c, "address", ""), addr, sizeof(addr));
		clean(json_get_str(c, "stage", "?"), st, sizeof(st));
		clean(json_get_str(c, "problem", ""), pr, sizeof(pr));
		snprintf(stage, sizeof(stage), "%s%s%s%s", st, *pr ? " (" : "", pr, *pr ? ")" : "");
		fmt_since(get_u64(c, "since"), since, sizeof(since));
		const char *reason = json_get_str(c, "reason", "");
		clean(*reason ? reason : json_get_str(c, "last_problem", ""), prob, sizeof(prob));
		char id[20];
		clean(json_get_str(c, "id", "?"), id, sizeof(id));
		fprintf(f, "%-17s %-14s %-12s %-15s %-18s %-9s %s\n", id, *name ? name : "-", *model ? model : "-",
			*addr ? addr : "-", stage, since, *prob ? prob : "-");
	}
}

static int do_status(struct fleet_cli *c)
{
	struct jbuf body;
	jb_init(&body, RESP_MAX);
	struct json_node *n = get_json(c, "/api/clients", &body);
	int rc = 1;
	if (n && n->type == JSON_ARR) {
		if (c->json)
			fwrite(body.p, 1, body.len, stdout);
		else
			print_table(stdout, n);
		rc = 0;
	}
	json_node_free(n);
	jb_free(&body);
	return rc;
}

static int do_log(struct fleet_cli *c)
{
	char path[64];
	snprintf(path, sizeof(path), "/api/client/%s", c->id);
	struct jbuf body;
	jb_init(&body, RESP_MAX);
	struct json_node *n = get_json(c, path, &body);
	if (!n) {
		jb_free(&body);
		return 1;
	}
	if (c->json) {
		fwrite(body.p, 1, body.len, stdout);
		json_node_free(n);
		jb_free(&body);
		return 0;
	}
	char name[64], model[40], addr[20], st[24];
	clean(json_get_str(n, "name", ""), name, sizeof(name));
	clean(json_get_str(n, "model", ""), model, sizeof(model));
	clean(json_get_str(n, "address", ""), addr, sizeof(addr));
	clean(json_get_str(n, "stage", "?"), st, sizeof(st));
	printf("%s%s%s%s%s, %s, now %s\n", c->id, *name ? " " : "", name, *model ? ", " : "", model,
	       *addr ? addr : "no address yet", st);
	const struct json_node *tl = json_get(n, "timeline");
	unsigned k = 0;
	for (const struct json_node *b = tl ? tl->child : NULL; b && k < c->boots; b = b->next, k++) {
		char when[32], bst[24], p[24];
		fmt_time(get_u64(b, "start"), true, when, sizeof(when));
		clean(json_get_str(b, "stage", "?"), bst, sizeof(bst));
		clean(json_get_str(b, "problem", ""), p, sizeof(p));
		printf("\nboot %u (%s): reached %s%s%s%s, %.0f files, %.1f MB\n", k + 1, when, bst,
		       *p ? " then " : "", p, k == 0 ? " (current)" : "", json_get_num(b, "files", 0),
		       json_get_num(b, "bytes", 0) / 1e6);
		const struct json_node *steps = json_get(b, "steps");
		for (const struct json_node *s = steps ? steps->child : NULL; s; s = s->next) {
			char d[32], sst[24];
			fmt_dur(get_u64(s, "dur_ms"), d, sizeof(d));
			clean(json_get_str(s, "stage", "?"), sst, sizeof(sst));
			printf("  %-10s +%s\n", sst, d);
		}
		char reason[220];
		clean(json_get_str(b, *json_get_str(b, "reason", "") ? "reason" : "last_problem", ""), reason,
		      sizeof(reason));
		if (*reason)
			printf("  problem: %s\n", reason);
	}
	if (k == 0)
		printf("no boot recorded\n");
	const struct json_node *ev = json_get(n, "events");
	if (ev && ev->child) {
		printf("\nrecent events:\n");
		for (const struct json_node *e = ev->child; e; e = e->next) {
			char when[16], type[24], file[170], detail[170];
			fmt_time(get_u64(e, "t"), false, when, sizeof(when));
			clean(json_get_str(e, "type", "?"), type, sizeof(type));
			clean(json_get_str(e, "file", ""), file, sizeof(file));
			clean(json_get_str(e, "detail", ""), detail, sizeof(detail));
			printf("  %s %-14s %s%s%s\n", when, type, file, *file && *detail ? "  " : "", detail);
		}
	}
	json_node_free(n);
	jb_free(&body);
	return 0;
}

/* ------------------------------------------------------------ watch */

static void redraw(struct fleet_cli *c)
{
	struct jbuf body;
	jb_init(&body, RESP_MAX);
	struct json_node *n = get_json(c, "/api/clients", &body);
	/* Home + clear, then the table: in place, no scrolling. */
	fputs("\033[H\033[2J", stdout);
	time_t now = time(NULL);
	printf("pinetboot watch - http://%s - %s", c->url, ctime(&now));
	if (n)
		print_table(stdout, n);
	fflush(stdout);
	json_node_free(n);
	jb_free(&body);
}

static void event_line(const char *data)
{
	char err[128];
	struct json_node *e = json_parse(data, strlen(data), err, sizeof(err));
	if (!e)
		return;
	char when[16], id[20], type[24], st[24], p[24], file[170], detail[170];
	fmt_time(get_u64(e, "t"), false, when, sizeof(when));
	clean(json_get_str(e, "id", "-"), id, sizeof(id));
	clean(json_get_str(e, "type", "?"), type, sizeof(type));
	clean(json_get_str(e, "file", ""), file, sizeof(file));
	clean(json_get_str(e, "detail", ""), detail, sizeof(detail));
	const struct json_node *cl = json_get(e, "client");
	clean(cl ? json_get_str(cl, "stage", "?") : "?", st, sizeof(st));
	clean(cl ? json_get_str(cl, "problem", "") : "", p, sizeof(p));
	printf("%s %-17s %-14s stage=%s%s%s %s%s%s\n", when, *id ? id : "-", type, st, *p ? "/" : "", p, file,
	       *file && *detail ? "  " : "", detail);
	fflush(stdout);
	json_node_free(e);
}

/* Read the SSE stream: "data:" lines up to a blank line make one event. */
/* One event stream's read state: bytes not yet split into lines, and the
 * data: lines of the event being read. */
struct watch {
	char buf[65536], data[65536];
	size_t len, dlen;
	bool header, dirty;
};

/* One line of the response (CR removed; ll its length before): a header,
 * an SSE data: line, or the blank line that ends an event. 1: the wanted
 * count of events is reached; -1: the server refused; 0: go on. */
static int watch_line(struct fleet_cli *c, struct watch *w, bool tty, long *seen, const char *s, size_t ll)
{
	if (w->header) {
		if (s[0] == '\0') {
			w->header = false;
		} else if (strncmp(s, "HTTP/", 5) == 0 && status_of(s, ll) != 200) {
			char st[128];
			clean(s, st, sizeof(st));
			fprintf(stderr, "pinetboot watch: server answered: %s\n", st);
			return -1;
		}
		return 0;
	}
	if (strncmp(s, "data: ", 6) == 0) {
		size_t l = strlen(s + 6);
		if (w->dlen + l + 1 < sizeof(w->data)) {
			memcpy(w->data + w->dlen, s + 6, l + 1);
			w->dlen += l;
		}
	} else if (s[0] == '\0' && w->dlen) {
		if (tty)
			w->dirty = true;
		else
			event_line(w->data);
		w->dlen = 0;
		if (c->count >= 0 && ++*seen >= c->count)
			return 1;
	}
	return 0;
}

/* Feed every complete line in the buffer to watch_line. */
static int watch_lines(struct fleet_cli *c, struct watch *w, bool tty, long *seen)
{
	char *line;
	while ((line = memchr(w->buf, '\n', w->len))) {
		size_t ll = (size_t)(line - w->buf);
		*line = '\0';
		if (ll && w->buf[ll - 1] == '\r')
			w->buf[ll - 1] = '\0';
		int r = watch_line(c, w, tty, seen, w->buf, ll);
		if (r != 0)
			return r;
		memmove(w->buf, line + 1, w->len - ll - 1);
		w->len -= ll + 1;
	}
	if (w->len == sizeof(w->buf) - 1)
		w->len = 0; /* a line longer than any event we send: drop it */
	return 0;
}

static int watch_stream(struct fleet_cli *c, bool tty, long *seen)
{
	int fd = connect_server(c);
	if (fd < 0) {
		fprintf(stderr, "pinetboot watch: cannot reach http://%s: %s\n", c->url, strerror(-fd));
		return -1;
	}
	if (send_get(c, fd, "/api/events") < 0) {
		close(fd);
		return -1;
	}
	struct watch w; /* 128 KiB on the stack: the CLI reads one stream */
	w.len = w.dlen = 0;
	w.header = true;
	w.dirty = tty;
	time_t last_draw = 0;
	int ret = 1;
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, 250);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr > 0) {
			ssize_t n = recv(fd, w.buf + w.len, sizeof(w.buf) - w.len - 1, 0);
			if (n <= 0)
				break;
			w.len += (size_t)n;
			w.buf[w.len] = '\0';
		}
		int r = watch_lines(c, &w, tty, seen);
		if (r != 0) {
			if (r > 0 && w.dirty)
				redraw(c);
			ret = r > 0 ? 0 : -1;
			break;
		}
		/* Quiet periods still redraw every few seconds so the
		 * "since" column keeps counting. */
		time_t now = time(NULL);
		if (tty && now - last_draw >= 5)
			w.dirty = true;
		if (w.dirty && pr == 0) {
			redraw(c);
			w.dirty = false;
			last_draw = now;
		}
	}
	close(fd);
	return ret;
}

static int do_watch(struct fleet_cli *c)
{
	bool tty = isatty(STDOUT_FILENO);
	long seen = 0;
	for (;;) {
		int r = watch_stream(c, tty, &seen);
		if (r == 0)
			return 0;
		if (r < 0 && !tty)
			return 1;
		/* The server restarted or dropped us: try again. */
		if (!tty)
			fprintf(stderr, "pinetboot watch: stream ended, reconnecting\n");
		sleep(1);
	}
}

static int fleet_cli_main(const char *cmd, int argc, char **argv)
{
	struct fleet_cli c;
	memset(&c, 0, sizeof(c));
	c.cmd = cmd;
	c.boots = 5;
	c.count = -1;
	snprintf(c.data_dir, sizeof(c.data_dir), "/srv/pinetboot");
	const char *server = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout, cmd);
			return 0;
		} else if (!strcmp(a, "--json") && strcmp(cmd, "watch")) {
			c.json = true;
		} else if (!strcmp(a, "--data") && has_val) {
			if (strlen(argv[++i]) >= sizeof(c.data_dir)) {
				fprintf(stderr, "pinetboot %s: --data: path too long\n", cmd);
				return 2;
			}
			snprintf(c.data_dir, sizeof(c.data_dir), "%s", argv[i]);
		} else if (!strcmp(a, "--server") && has_val) {
			server = argv[++i];
		} else if ((!strcmp(a, "-n") && !strcmp(cmd, "log")) || (!strcmp(a, "--count") && !strcmp(cmd, "watch"))) {
			uint64_t v;
			if (!has_val || parse_uint(argv[++i], 100000, &v) < 0) {
				fprintf(stderr, "pinetboot %s: %s needs a number\n", cmd, a);
				return 2;
			}
			if (!strcmp(a, "-n"))
				c.boots = (unsigned)v;
			else
				c.count = (long)v;
		} else if (a[0] != '-' && !strcmp(cmd, "log") && !c.id) {
			c.id = a;
		} else {
			fprintf(stderr, "pinetboot %s: unexpected argument '%s'\n", cmd, a);
			usage(stderr, cmd);
			return 2;
		}
	}
	if (!strcmp(cmd, "log") && (!c.id || !fleet_valid_id(c.id))) {
		fprintf(stderr, "pinetboot log: give a client id (8 hex digits or aa-bb-cc-dd-ee-ff)\n");
		return 2;
	}
	if (find_server(&c, server) < 0)
		return 1;
	load_token(&c);
	if (!strcmp(cmd, "status"))
		return do_status(&c);
	if (!strcmp(cmd, "log"))
		return do_log(&c);
	return do_watch(&c);
}

int cmd_status(int argc, char **argv) { return fleet_cli_main("status", argc, argv); }
int cmd_watch(int argc, char **argv) { return fleet_cli_main("watch", argc, argv); }
int cmd_log(int argc, char **argv) { return fleet_cli_main("log", argc, argv); }
