/* fleet.c - the fleet model: per-Pi boot records driven by fleet_state,
 * attribution of id-less events by address, the event ring, totals and
 * histograms, and persistence (events.log TSV append + rotate, replayed at
 * start; clients.json rewritten atomically when something changed). */
#include "fleet/fleet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "dhcp/dhcp_msg.h"

#define TICK_MS 1000
#define CLIENTS_JSON_EVERY_MS 2000
#define LOG_FLUSH_BYTES (64u << 10)

struct fleet_client {
	char id[18];
	char contested[160];     /* last foreign MAC that claimed this Pi */
	uint64_t contested_ms;
	char name[64];
	char model[40];
	bool registered;
	uint32_t fixed_addr;     /* from client.conf */
	uint32_t addr;           /* last address seen */
	uint8_t mac[6];
	bool has_mac;
	uint64_t last_seen_ms;
	unsigned nboots;         /* boots recorded ever (ring index = nboots-1 % MAX) */
	struct fleet_boot boots[FLEET_BOOTS_MAX];
};

struct fleet {
	struct ev_loop *loop;
	struct ev_timer *tick;
	struct fleet_opts o;
	char state_dir[4096];
	struct fleet_client *c;
	size_t n, cap;
	struct fleet_event *ring;
	uint64_t seq;            /* last assigned */
	struct fleet_totals tot;
	bool dirty;
	uint64_t json_due_ms;
	struct jbuf log;         /* pending events.log lines */
	bool replaying;
	void (*notify)(void *);
	void *notify_arg;
};

const double fleet_hist_bounds[FLEET_HIST_BUCKETS - 1] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
};

void fleet_hist_add(struct fleet_hist *h, double v)
{
	size_t i = 0;
	while (i < FLEET_HIST_BUCKETS - 1 && v > fleet_hist_bounds[i])
		i++;
	h->count[i]++;
	h->n++;
	h->sum += v;
}

uint64_t fleet_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_tick(struct ev_loop *loop, void *arg)
{
	struct fleet *f = arg;
	f->tick = NULL;
	fleet_tick(f, fleet_now_ms());
	f->tick = ev_timer_add(loop, TICK_MS, on_tick, f);
}

struct fleet *fleet_new(struct ev_loop *loop, const struct fleet_opts *o)
{
	struct fleet *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->loop = loop;
	f->o = *o;
	if (f->o.stall_s == 0)
		f->o.stall_s = 30;
	jb_init(&f->log, 4u << 20);
	f->ring = calloc(FLEET_HISTORY, sizeof(*f->ring));
	if (!f->ring)
		goto fail;
	if (o->data_dir) {
		int n = snprintf(f->state_dir, sizeof(f->state_dir), "%s/state", o->data_dir);
		if (n < 0 || (size_t)n >= sizeof(f->state_dir))
			goto fail;
		if (mkdir(f->state_dir, 0755) < 0 && errno != EEXIST) {
			log_warn("fleet", "cannot create %s: %s; history will not persist", f->state_dir,
				 strerror(errno));
			f->state_dir[0] = '\0';
		}
		f->o.data_dir = NULL; /* the caller's string need not outlive us */
	}
	if (loop) {
		f->tick = ev_timer_add(loop, TICK_MS, on_tick, f);
		if (!f->tick)
			goto fail;
	}
	return f;
fail:
	fleet_free(f);
	return NULL;
}

static void flush_log(struct fleet *f);
static void write_clients_json(struct fleet *f);

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	if (f->tick)
		ev_timer_cancel(f->loop, f->tick);
	flush_log(f);
	if (f->dirty)
		write_clients_json(f);
	jb_free(&f->log);
	free(f->ring);
	free(f->c);
	free(f);
}

void fleet_set_notify(struct fleet *f, void (*cb)(void *arg), void *arg)
{
	f->notify = cb;
	f->notify_arg = arg;
}

const struct fleet_totals *fleet_totals(const struct fleet *f) { return &f->tot; }
size_t fleet_count(const struct fleet *f) { return f->n; }
uint64_t fleet_last_seq(const struct fleet *f) { return f->seq; }

uint64_t fleet_first_seq(const struct fleet *f)
{
	return f->seq > FLEET_HISTORY ? f->seq - FLEET_HISTORY + 1 : 1;
}

const struct fleet_event *fleet_event_at(const struct fleet *f, uint64_t seq)
{
	if (seq == 0 || seq > f->seq || seq < fleet_first_seq(f))
		return NULL;
	return &f->ring[seq % FLEET_HISTORY];
}

/* ---------------------------------------------------------- clients */

/* The Pi's current (latest) boot, NULL before its first. */
static const struct fleet_boot *last_boot(const struct fleet_client *c)
{
	return c->nboots ? &c->boots[(c->nboots - 1) % FLEET_BOOTS_MAX] : NULL;
}

static struct fleet_client *find(const struct fleet *f, const char *id)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->c[i].id, id) == 0)
			return &f->c[i];
	return NULL;
}

/* The Pi that last used this address (a DHCP lease or a TFTP request
 * that carried an id), or whose client.conf fixes it. */
static struct fleet_client *find_addr(const struct fleet *f, uint32_t addr)
{
	struct fleet_client *best = NULL;
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_client *c = &f->c[i];
		if ((c->addr == addr || c->fixed_addr == addr) && (!best || c->last_seen_ms > best->last_seen_ms))
			best = c;
	}
	return best;
}

/* A proxy boot answer carries no address (the Pi has none yet), and a
 * Pi 3's first request (bootcode.bin) has no serial prefix. If exactly
 * one Pi was answered in the last PENDING_MS and has not shown its address
 * yet, that request is its; with several candidates (a boot storm) the
 * event stays unattributed rather than risk naming the wrong Pi. */
#define PENDING_MS 30000
static struct fleet_client *find_pending(const struct fleet *f, uint64_t t)
{
	struct fleet_client *only = NULL;
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_client *c = &f->c[i];
		const struct fleet_boot *b = last_boot(c);
		if (!b || b->addr || (b->stage != FS_DHCP && b->stage != FS_LEASED) || t - b->last_ms > PENDING_MS)
			continue;
		if (only)
			return NULL;
		only = c;
	}
	return only;
}

static struct fleet_client *add(struct fleet *f, const char *id)
{
	if (f->n == f->cap) {
		if (f->cap >= FLEET_CLIENTS_MAX)
			return NULL;
		size_t nc = f->cap ? f->cap * 2 : 64;
		struct fleet_client *v = realloc(f->c, nc * sizeof(*v));
		if (!v)
			return NULL;
		f->c = v;
		f->cap = nc;
	}
	struct fleet_client *c = &f->c[f->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "%s", id);
	return c;
}

static struct fleet_boot *cur(struct fleet_client *c)
{
	return &c->boots[(c->nboots ? c->nboots - 1 : 0) % FLEET_BOOTS_MAX];
}

const struct fleet_boot *fleet_current(const struct fleet *f, const char *id)
{
	struct fleet_client *c = find(f, id);
	return c && c->nboots ? cur(c) : NULL;
}

static void new_boot(struct fleet *f, struct fleet_client *c)
{
	c->nboots++;
	memset(cur(c), 0, sizeof(struct fleet_boot));
	f->tot.boots++;
}

void fleet_set_registry(struct fleet *f, const struct clients *reg)
{
	for (size_t i = 0; i < f->n; i++)
		f->c[i].registered = false;
	for (size_t i = 0; i < reg->n; i++) {
		const struct client *r = &reg->v[i];
		struct fleet_client *c = find(f, r->id);
		if (!c && !(c = add(f, r->id)))
			break;
		c->registered = true;
		snprintf(c->name, sizeof(c->name), "%s", r->name);
		c->fixed_addr = r->address;
		if (r->has_mac) {
			memcpy(c->mac, r->mac, 6);
			c->has_mac = true;
		}
	}
	f->dirty = true;
}

/* ---------------------------------------------------------- events */

static void push_ring(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind)
{
	struct fleet_event *fe = &f->ring[++f->seq % FLEET_HISTORY];
	fe->seq = f->seq;
	fe->t_ms = t;
	fe->kind = kind;
	fe->e = *e;
}

/* TSV field: tab, newline and backslash escaped so one event is one line. */
static void tsv_field(struct jbuf *j, const char *s)
{
	jb_append(j, "\t", 1);
	for (;;) {
		size_t n = strcspn(s, "\t\n\r\\");
		jb_append(j, s, n);
		s += n;
		if (!*s)
			break;
		char e[2] = { '\\', *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : '\\' };
		jb_append(j, e, 2);
		s++;
	}
}

static void log_event(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind)
{
	if (f->replaying || !f->state_dir[0])
		return;
	jb_printf(&f->log, "%llu\t%u\t%u\t%u", (unsigned long long)t, kind, (unsigned)e->type,
		  (unsigned)ntohl(e->addr));
	tsv_field(&f->log, e->id);
	tsv_field(&f->log, e->file);
	jb_printf(&f->log, "\t%llu\t%u\t%u", (unsigned long long)e->bytes, e->dur_ms, e->expected ? 1u : 0u);
	tsv_field(&f->log, e->detail);
	jb_append(&f->log, "\n", 1);
	if (f->log.err) {
		/* Over the cap: drop the pending lines rather than block. */
		jb_reset(&f->log);
		return;
	}
	if (f->log.len >= LOG_FLUSH_BYTES)
		flush_log(f);
}

static void account(struct fleet *f, const struct boot_event *e)
{
	if ((unsigned)e->type < BEV_MAX)
		f->tot.events[e->type]++;
	if (e->type == BEV_TFTP_DONE) {
		f->tot.tftp_bytes += e->bytes;
		fleet_hist_add(&f->tot.tftp_file_s, e->dur_ms / 1000.0);
	}
}

/* Kinds of recorded events: 0 the Pi's own, 1 a stall, 2 not a boot. */
#define KIND_FOREIGN 2

static void apply(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind);

void fleet_apply(struct fleet *f, const struct boot_event *e, uint64_t t)
{
	apply(f, e, t, 0);
}

void fleet_apply_foreign(struct fleet *f, const struct boot_event *e, uint64_t t)
{
	apply(f, e, t, KIND_FOREIGN);
}

static void apply(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind)
{
	account(f, e);
	/* Probes are the firmware's normal size checks: counted, never
	 * stored, so they cannot flush real events out of the ring. */
	if (e->type == BEV_TFTP_PROBE)
		return;
	struct fleet_client *c = NULL;
	if (e->id[0]) {
		c = find(f, e->id);
		if (!c)
			c = add(f, e->id);
	} else if (e->addr) {
		c = find_addr(f, e->addr);
		if (!c)
			c = find_pending(f, t);
	}
	struct boot_event ev = *e;
	if (!c) {
		f->tot.unattributed++;
	} else {
		if (!ev.id[0])
			snprintf(ev.id, sizeof(ev.id), "%s", c->id);
		bool own = kind != KIND_FOREIGN && e->type != BEV_DHCP_CONTESTED;
		if (own)
			c->last_seen_ms = t;
		if (own && e->addr && !fleet_event_foreign_addr(e))
			c->addr = e->addr;
		if (own && e->has_mac && !(c->registered && c->has_mac)) {
			/* A registered Pi's MAC is its registry's; events only
			 * fill in one it does not have. */
			memcpy(c->mac, e->mac, 6);
			c->has_mac = true;
		}
		if (e->type == BEV_DHCP_CONTESTED) {
			snprintf(c->contested, sizeof(c->contested), "%s", e->detail);
			c->contested_ms = t;
		}
		if ((e->type == BEV_DHCP_ANSWER || e->type == BEV_DHCP_UNKNOWN) && e->detail[0])
			snprintf(c->model, sizeof(c->model), "%.39s", e->detail);
		if (own && e->type != BEV_DHCP_UNKNOWN) {
			if (c->nboots == 0)
				new_boot(f, c);
			enum fleet_stage before = cur(c)->stage;
			enum fleet_result r = fleet_transition(cur(c), &ev, t);
			if (r == FR_NEW_BOOT) {
				new_boot(f, c);
				before = FS_NONE;
				r = fleet_transition(cur(c), &ev, t);
			}
			struct fleet_boot *b = cur(c);
			if (r == FR_PROBLEM)
				f->tot.failures++;
			/* Histogram of time from boot start to each new stage. */
			for (unsigned s = (unsigned)before + 1; s <= (unsigned)b->stage && s < FS_MAX; s++)
				if (b->at_ms[s])
					fleet_hist_add(&f->tot.stage_s[s], (double)(b->at_ms[s] - b->start_ms) / 1000.0);
			if (b->stage == FS_UP && before != FS_UP)
				f->tot.boots_up++;
		}
		f->dirty = true;
	}
	/* Usual missing files are noise for people; counted above only. */
	if (e->type == BEV_TFTP_NOT_FOUND && e->expected)
		return;
	push_ring(f, &ev, t, kind);
	log_event(f, &ev, t, kind);
	if (f->notify && !f->replaying)
		f->notify(f->notify_arg);
}

void fleet_on_event(const struct boot_event *e, void *arg)
{
	struct fleet *f = arg;
	/* Events carry monotonic ms; the fleet keeps wall ms so timelines
	 * survive a restart. */
	uint64_t now_wall = fleet_now_ms(), now_mono = ev_monotonic_ms();
	uint64_t t = e->mono_ms && e->mono_ms <= now_mono ? now_wall - (now_mono - e->mono_ms) : now_wall;
	bool fetch = e->type == BEV_TFTP_DONE || e->type == BEV_TFTP_NOT_FOUND || e->type == BEV_TFTP_FAILED ||
		     e->type == BEV_TFTP_PROBE || e->type == BEV_NFS_MOUNT || e->type == BEV_NFS_INIT_READ;
	if (fetch && e->id[0] && e->addr && f->o.not_a_boot && f->o.not_a_boot(f->o.not_a_boot_arg, e->id, e->addr))
		apply(f, e, t, KIND_FOREIGN);
	else
		apply(f, e, t, 0);
}

/* ---------------------------------------------------------- persistence */

static void flush_log(struct fleet *f)
{
	if (!f->state_dir[0] || f->log.len == 0)
		return;
	char path[4200], old[4200];
	snprintf(path, sizeof(path), "%s/events.log", f->state_dir);
	struct stat st;
	if (stat(path, &st) == 0 && (uint64_t)st.st_size + f->log.len > FLEET_LOG_ROTATE) {
		snprintf(old, sizeof(old), "%s/events.log.1", f->state_dir);
		if (rename(path, old) < 0)
			log_warn("fleet", "cannot rotate %s: %s", path, strerror(errno));
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_warn("fleet", "cannot write %s: %s", path, strerror(errno));
	} else {
		ssize_t w = write(fd, f->log.p, f->log.len);
		if (w < 0 || (size_t)w != f->log.len)
			log_warn("fleet", "short write to %s", path);
		close(fd);
	}
	jb_reset(&f->log);
}

static void write_clients_json(struct fleet *f)
{
	if (!f->state_dir[0])
		return;
	struct jbuf j;
	jb_init(&j, 64u << 20);
	fleet_json_clients(f, &j);
	jb_append(&j, "\n", 1);
	char path[4200], tmp[4200];
	snprintf(path, sizeof(path), "%s/clients.json", f->state_dir);
	snprintf(tmp, sizeof(tmp), "%s/.clients.json.tmp", f->state_dir);
	int fd = j.err ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w = write(fd, j.p, j.len);
		bool ok = w >= 0 && (size_t)w == j.len;
		close(fd);
		if (!ok || rename(tmp, path) < 0) {
			log_warn("fleet", "cannot write %s", path);
			unlink(tmp);
		}
	}
	jb_free(&j);
	f->dirty = false;
}

void fleet_tick(struct fleet *f, uint64_t now)
{
	uint64_t stall_ms = (uint64_t)f->o.stall_s * 1000u;
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_client *c = &f->c[i];
		if (!c->nboots)
			continue;
		struct fleet_boot *b = cur(c);
		if (!fleet_check_stall(b, now, stall_ms, f->o.nfs))
			continue;
		f->tot.stalls++;
		f->dirty = true;
		struct boot_event e;
		memset(&e, 0, sizeof(e));
		e.type = BEV_MAX;
		snprintf(e.id, sizeof(e.id), "%s", c->id);
		e.addr = b->addr;
		snprintf(e.detail, sizeof(e.detail), "%.159s", b->reason);
		push_ring(f, &e, now, 1);
		log_event(f, &e, now, 1);
		if (f->notify)
			f->notify(f->notify_arg);
	}
	flush_log(f);
	if (f->dirty && now >= f->json_due_ms) {
		write_clients_json(f);
		f->json_due_ms = now + CLIENTS_JSON_EVERY_MS;
	}
}

/* Split one TSV line in place; undo tsv_field's escapes. */
static size_t tsv_split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		fields[n++] = p;
		char *o = p;
		while (*p && *p != '\t') {
			if (*p == '\\' && p[1]) {
				p++;
				*o++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p;
				p++;
			} else {
				*o++ = *p++;
			}
		}
		bool more = *p == '\t';
		*o = '\0';
		if (!more)
			break;
		p++;
	}
	return n;
}

/* Parse one events.log line (newline removed; split in place) into the
 * event, its time and its kind. 0, or -1 for a line to skip. */
int fleet_parse_log_line(char *line, struct boot_event *e, uint64_t *t_ms, uint8_t *kind)
{
	char *fl[10];
	if (tsv_split(line, fl, 10) != 10)
		return -1;
	uint64_t v[8];
	int idx[] = { 0, 1, 2, 3, 6, 7, 8 };
	bool bad = false;
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]) && !bad; i++)
		bad = parse_uint(fl[idx[i]], UINT64_MAX, &v[i]) < 0;
	if (bad || v[2] > BEV_MAX || v[1] > KIND_FOREIGN || v[3] > UINT32_MAX || v[5] > UINT32_MAX)
		return -1;
	memset(e, 0, sizeof(*e));
	e->type = (enum boot_event_type)v[2];
	e->addr = htonl((uint32_t)v[3]);
	snprintf(e->id, sizeof(e->id), "%.17s", fl[4]);
	snprintf(e->file, sizeof(e->file), "%.159s", fl[5]);
	e->bytes = v[4];
	e->dur_ms = (uint32_t)v[5];
	e->expected = v[6] != 0;
	snprintf(e->detail, sizeof(e->detail), "%.159s", fl[9]);
	*t_ms = v[0];
	*kind = (uint8_t)v[1];
	return 0;
}

static int replay_file(struct fleet *f, const char *path)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return 0;
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof(line), fp)) {
		size_t ll = strcspn(line, "\n");
		if (!line[ll] && !feof(fp)) {
			/* Longer than any line we write: skip all of it, so its
			 * tail is not read as a line of its own. */
			int ch;
			while ((ch = getc(fp)) != EOF && ch != '\n')
				;
			continue;
		}
		line[ll] = '\0';
		struct boot_event e;
		uint64_t t;
		uint8_t kind;
		if (fleet_parse_log_line(line, &e, &t, &kind) < 0)
			continue;
		if (kind == 1) {
			/* A stall: restore it on the Pi's current boot. */
			struct fleet_client *c = find(f, e.id);
			if (c && c->nboots && cur(c)->problem == FP_NONE) {
				cur(c)->problem = FP_STALLED;
				snprintf(cur(c)->reason, sizeof(cur(c)->reason), "%s", e.detail);
				snprintf(cur(c)->last_problem, sizeof(cur(c)->last_problem), "%s", e.detail);
			}
			push_ring(f, &e, t, 1);
		} else if (e.type < BEV_MAX) {
			apply(f, &e, t, kind);
		}
		n++;
	}
	fclose(fp);
	return n;
}

int fleet_load_history(struct fleet *f)
{
	if (!f->state_dir[0])
		return 0;
	char path[4200];
	int n = 0;
	f->replaying = true;
	snprintf(path, sizeof(path), "%s/events.log.1", f->state_dir);
	n += replay_file(f, path);
	snprintf(path, sizeof(path), "%s/events.log", f->state_dir);
	n += replay_file(f, path);
	f->replaying = false;
	/* Totals describe this run of the server, not the replayed past. */
	memset(&f->tot, 0, sizeof(f->tot));
	return n;
}

/* ---------------------------------------------------------- JSON */

static void kv_addr(struct jbuf *j, const char *k, uint32_t addr)
{
	char a[INET_ADDRSTRLEN] = "";
	if (addr)
		inet_ntop(AF_INET, &addr, a, sizeof(a));
	json_kv_str(j, k, a);
}

static void client_summary(const struct fleet_client *c, struct jbuf *j)
{
	const struct fleet_boot *b = last_boot(c);
	json_kv_str(j, "id", c->id);
	json_kv_str(j, "name", c->name);
	json_kv_str(j, "model", c->model);
	json_key(j, "registered");
	json_bool(j, c->registered);
	kv_addr(j, "address", c->addr ? c->addr : c->fixed_addr);
	char mac[18] = "";
	if (c->has_mac)
		dhcp_mac_str(c->mac, mac);
	json_kv_str(j, "mac", mac);
	json_kv_str(j, "stage", fleet_stage_name(b ? b->stage : FS_NONE));
	json_kv_str(j, "problem", fleet_problem_name(b ? b->problem : FP_NONE));
	json_kv_str(j, "reason", b ? b->reason : "");
	json_kv_str(j, "last_problem", b ? b->last_problem : "");
	json_kv_uint(j, "since", b && b->stage ? b->at_ms[b->stage] : 0);
	json_kv_uint(j, "boot_started", b ? b->start_ms : 0);
	json_kv_uint(j, "last_seen", c->last_seen_ms);
	json_kv_uint(j, "boots", c->nboots);
	json_kv_str(j, "contested", c->contested);
	json_kv_uint(j, "contested_at", c->contested_ms);
	json_kv_uint(j, "files", b ? b->files : 0);
	json_kv_uint(j, "bytes", b ? b->bytes : 0);
}

void fleet_json_clients(const struct fleet *f, struct jbuf *j)
{
	json_arr_begin(j);
	for (size_t i = 0; i < f->n; i++) {
		json_obj_begin(j);
		client_summary(&f->c[i], j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void boot_json(const struct fleet_boot *b, struct jbuf *j)
{
	json_obj_begin(j);
	json_kv_uint(j, "start", b->start_ms);
	json_kv_str(j, "stage", fleet_stage_name(b->stage));
	json_kv_str(j, "problem", fleet_problem_name(b->problem));
	json_kv_str(j, "reason", b->reason);
	json_kv_str(j, "last_problem", b->last_problem);
	json_kv_uint(j, "files", b->files);
	json_kv_uint(j, "bytes", b->bytes);
	json_key(j, "initramfs");
	json_bool(j, b->initramfs);
	/* Steps: each reached stage, with the time it took since the
	 * previous one (the chart's bar lengths). */
	json_key(j, "steps");
	json_arr_begin(j);
	uint64_t prev = b->start_ms;
	for (unsigned s = FS_DHCP; s < FS_MAX; s++) {
		if (!b->at_ms[s])
			continue;
		json_obj_begin(j);
		json_kv_str(j, "stage", fleet_stage_name((enum fleet_stage)s));
		json_kv_uint(j, "at", b->at_ms[s]);
		json_kv_uint(j, "dur_ms", b->at_ms[s] >= prev ? b->at_ms[s] - prev : 0);
		json_obj_end(j);
		prev = b->at_ms[s];
	}
	json_arr_end(j);
	json_obj_end(j);
}

void fleet_json_event(const struct fleet *f, const struct fleet_event *fe, struct jbuf *j)
{
	const struct boot_event *e = &fe->e;
	json_obj_begin(j);
	json_kv_uint(j, "seq", fe->seq);
	json_kv_uint(j, "t", fe->t_ms);
	json_kv_str(j, "type", fe->kind == 1 ? "stall" : events_type_name(e->type));
	json_key(j, "not_a_boot");
	json_bool(j, fe->kind == KIND_FOREIGN);
	json_kv_str(j, "id", e->id);
	kv_addr(j, "address", e->addr);
	json_kv_str(j, "file", e->file);
	json_kv_uint(j, "bytes", e->bytes);
	json_kv_uint(j, "dur_ms", e->dur_ms);
	json_kv_str(j, "detail", e->detail);
	/* The Pi's state now, so a live view needs no second request. */
	const struct fleet_client *c = e->id[0] ? find(f, e->id) : NULL;
	if (c) {
		json_key(j, "client");
		json_obj_begin(j);
		client_summary(c, j);
		json_obj_end(j);
	}
	json_obj_end(j);
}

bool fleet_json_client(const struct fleet *f, const char *id, struct jbuf *j)
{
	const struct fleet_client *c = find(f, id);
	if (!c)
		return false;
	json_obj_begin(j);
	client_summary(c, j);
	json_key(j, "timeline");
	json_arr_begin(j);
	unsigned kept = c->nboots < FLEET_BOOTS_MAX ? c->nboots : FLEET_BOOTS_MAX;
	for (unsigned k = 0; k < kept; k++) /* newest first */
		boot_json(&c->boots[(c->nboots - 1 - k) % FLEET_BOOTS_MAX], j);
	json_arr_end(j);
	json_key(j, "events");
	json_arr_begin(j);
	for (uint64_t s = fleet_first_seq(f); s && s <= f->seq; s++) {
		const struct fleet_event *fe = &f->ring[s % FLEET_HISTORY];
		if (fe->seq != s || strcmp(fe->e.id, id) != 0)
			continue;
		json_obj_begin(j);
		json_kv_uint(j, "t", fe->t_ms);
		json_kv_str(j, "type", fe->kind == 1 ? "stall" : events_type_name(fe->e.type));
		json_key(j, "not_a_boot");
		json_bool(j, fe->kind == KIND_FOREIGN);
		json_kv_str(j, "file", fe->e.file);
		json_kv_uint(j, "bytes", fe->e.bytes);
		json_kv_uint(j, "dur_ms", fe->e.dur_ms);
		json_kv_str(j, "detail", fe->e.detail);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
	return true;
}

/* ---------------------------------------------------------- metrics */

static void hist_text(struct jbuf *j, const char *name, const char *labels, const struct fleet_hist *h)
{
	uint64_t cum = 0;
	const char *comma = labels[0] ? "," : "";
	for (size_t i = 0; i < FLEET_HIST_BUCKETS; i++) {
		cum += h->count[i];
		if (i < FLEET_HIST_BUCKETS - 1)
			jb_printf(j, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, comma, fleet_hist_bounds[i],
				  (unsigned long long)cum);
		else
			jb_printf(j, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, comma,
				  (unsigned long long)cum);
	}
	if (labels[0]) {
		jb_printf(j, "%s_sum{%s} %.6f\n", name, labels, h->sum);
		jb_printf(j, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->n);
	} else {
		jb_printf(j, "%s_sum %.6f\n", name, h->sum);
		jb_printf(j, "%s_count %llu\n", name, (unsigned long long)h->n);
	}
}

void fleet_metrics(const struct fleet *f, struct jbuf *j)
{
	const struct fleet_totals *t = &f->tot;
	jb_printf(j, "# HELP pinetboot_boot_events_total Boot events seen, by protocol and type.\n"
		     "# TYPE pinetboot_boot_events_total counter\n");
	for (unsigned i = 0; i < BEV_MAX; i++) {
		const char *n = events_type_name((enum boot_event_type)i);
		size_t pl = strcspn(n, "-");
		jb_printf(j, "pinetboot_boot_events_total{protocol=\"%.*s\",type=\"%s\"} %llu\n", (int)pl, n, n,
			  (unsigned long long)t->events[i]);
	}
	jb_printf(j, "# HELP pinetboot_boots_total Boots started.\n# TYPE pinetboot_boots_total counter\n"
		     "pinetboot_boots_total %llu\n", (unsigned long long)t->boots);
	jb_printf(j, "# HELP pinetboot_boots_up_total Boots that checked in.\n# TYPE pinetboot_boots_up_total counter\n"
		     "pinetboot_boots_up_total %llu\n", (unsigned long long)t->boots_up);
	jb_printf(j, "# HELP pinetboot_boot_failures_total Boot failures (not found, timeout, refused).\n"
		     "# TYPE pinetboot_boot_failures_total counter\npinetboot_boot_failures_total %llu\n",
		  (unsigned long long)t->failures);
	jb_printf(j, "# HELP pinetboot_boot_stalls_total Boots stalled in a stage.\n"
		     "# TYPE pinetboot_boot_stalls_total counter\npinetboot_boot_stalls_total %llu\n",
		  (unsigned long long)t->stalls);
	jb_printf(j, "# HELP pinetboot_tftp_transfer_seconds Duration of complete TFTP transfers.\n"
		     "# TYPE pinetboot_tftp_transfer_seconds histogram\n");
	hist_text(j, "pinetboot_tftp_transfer_seconds", "", &t->tftp_file_s);
	jb_printf(j, "# HELP pinetboot_boot_stage_seconds Time from the start of a boot to each stage.\n"
		     "# TYPE pinetboot_boot_stage_seconds histogram\n");
	for (unsigned s = FS_DHCP; s < FS_MAX; s++) {
		char l[40];
		snprintf(l, sizeof(l), "stage=\"%s\"", fleet_stage_name((enum fleet_stage)s));
		hist_text(j, "pinetboot_boot_stage_seconds", l, &t->stage_s[s]);
	}
	/* Current stage of every Pi, as a gauge per stage. */
	unsigned per[FS_MAX + FP_MAX] = { 0 };
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_client *c = &f->c[i];
		const struct fleet_boot *b = last_boot(c);
		per[b ? b->stage : FS_NONE]++;
		if (b && b->problem)
			per[FS_MAX + b->problem]++;
	}
	jb_printf(j, "# HELP pinetboot_clients Pis by current boot stage.\n# TYPE pinetboot_clients gauge\n");
	for (unsigned s = 0; s < FS_MAX; s++)
		jb_printf(j, "pinetboot_clients{stage=\"%s\"} %u\n", fleet_stage_name((enum fleet_stage)s), per[s]);
	jb_printf(j, "# HELP pinetboot_clients_problem Pis whose current boot has a problem.\n"
		     "# TYPE pinetboot_clients_problem gauge\n");
	for (unsigned p = FP_STALLED; p < FP_MAX; p++)
		jb_printf(j, "pinetboot_clients_problem{problem=\"%s\"} %u\n",
			  fleet_problem_name((enum fleet_problem)p), per[FS_MAX + p]);
}
