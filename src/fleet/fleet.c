/* fleet.c - the fleet model: per-Pi boot records driven by fleet_state,
 * attribution of id-less events by address, the event ring, totals, and
 * the once-a-second tick (stall checks, persistence deadlines). The files
 * beside it render it (fleet_json.c, fleet_metrics.c) and keep it on disk
 * (fleet_persist.c); struct fleet is in fleet_internal.h.
 *
 * Owns: the per-Pi boot records, the event ring, totals.
 * Must not touch: sockets, HTTP (fleet_http.c), files (fleet_persist.c),
 * the registry files (it only reads struct clients). */
#include "fleet/fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/log.h"
#include "fleet/fleet_internal.h"

#define TICK_MS 1000
#define CLIENTS_JSON_EVERY_MS 2000

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

void fleet_free(struct fleet *f)
{
	if (!f)
		return;
	if (f->tick)
		ev_timer_cancel(f->loop, f->tick);
	fleet_flush_log(f);
	if (f->dirty)
		fleet_write_clients_json(f);
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
const struct fleet_boot *fleet_last_boot(const struct fleet_client *c)
{
	return c->nboots ? &c->boots[(c->nboots - 1) % FLEET_BOOTS_MAX] : NULL;
}

struct fleet_client *fleet_find(const struct fleet *f, const char *id)
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
		const struct fleet_boot *b = fleet_last_boot(c);
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

struct fleet_boot *fleet_cur_boot(struct fleet_client *c)
{
	return &c->boots[(c->nboots ? c->nboots - 1 : 0) % FLEET_BOOTS_MAX];
}

const struct fleet_boot *fleet_current(const struct fleet *f, const char *id)
{
	struct fleet_client *c = fleet_find(f, id);
	return c && c->nboots ? fleet_cur_boot(c) : NULL;
}

static void new_boot(struct fleet *f, struct fleet_client *c)
{
	c->nboots++;
	memset(fleet_cur_boot(c), 0, sizeof(struct fleet_boot));
	f->tot.boots++;
}

void fleet_set_registry(struct fleet *f, const struct clients *reg)
{
	for (size_t i = 0; i < f->n; i++)
		f->c[i].registered = false;
	for (size_t i = 0; i < reg->n; i++) {
		const struct client *r = &reg->v[i];
		struct fleet_client *c = fleet_find(f, r->id);
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

void fleet_push_ring(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind)
{
	struct fleet_event *fe = &f->ring[++f->seq % FLEET_HISTORY];
	fe->seq = f->seq;
	fe->t_ms = t;
	fe->kind = kind;
	fe->e = *e;
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

void fleet_apply(struct fleet *f, const struct boot_event *e, uint64_t t)
{
	fleet_record(f, e, t, 0);
}

void fleet_apply_foreign(struct fleet *f, const struct boot_event *e, uint64_t t)
{
	fleet_record(f, e, t, KIND_FOREIGN);
}

/* The Pi an event is about: by id (added if new), else by address, else
 * the one Pi waiting for its first request. NULL: unattributed. */
static struct fleet_client *attribute(struct fleet *f, const struct boot_event *e, uint64_t t)
{
	struct fleet_client *c = NULL;
	if (e->id[0]) {
		c = fleet_find(f, e->id);
		if (!c)
			c = add(f, e->id);
	} else if (e->addr) {
		c = find_addr(f, e->addr);
		if (!c)
			c = find_pending(f, t);
	}
	return c;
}

/* What an event tells about the Pi itself: when it was last seen, its
 * address, MAC, model, and a foreign claim on it. */
static void note_client(struct fleet_client *c, const struct boot_event *e, uint64_t t, bool own)
{
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
}

/* Drive the Pi's current boot (or a new one) with the event, and count
 * failures, stage times and boots that came up. */
static void advance_boot(struct fleet *f, struct fleet_client *c, const struct boot_event *ev, uint64_t t)
{
	if (c->nboots == 0)
		new_boot(f, c);
	enum fleet_stage before = fleet_cur_boot(c)->stage;
	enum fleet_result r = fleet_transition(fleet_cur_boot(c), ev, t);
	if (r == FR_NEW_BOOT) {
		new_boot(f, c);
		before = FS_NONE;
		r = fleet_transition(fleet_cur_boot(c), ev, t);
	}
	struct fleet_boot *b = fleet_cur_boot(c);
	if (r == FR_PROBLEM)
		f->tot.failures++;
	/* Histogram of time from boot start to each new stage. */
	for (unsigned s = (unsigned)before + 1; s <= (unsigned)b->stage && s < FS_MAX; s++)
		if (b->at_ms[s])
			fleet_hist_add(&f->tot.stage_s[s], (double)(b->at_ms[s] - b->start_ms) / 1000.0);
	if (b->stage == FS_UP && before != FS_UP)
		f->tot.boots_up++;
}

void fleet_record(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind)
{
	account(f, e);
	/* Probes are the firmware's normal size checks: counted, never
	 * stored, so they cannot flush real events out of the ring. */
	if (e->type == BEV_TFTP_PROBE)
		return;
	struct fleet_client *c = attribute(f, e, t);
	struct boot_event ev = *e;
	if (!c) {
		f->tot.unattributed++;
	} else {
		if (!ev.id[0])
			snprintf(ev.id, sizeof(ev.id), "%s", c->id);
		bool own = kind != KIND_FOREIGN && e->type != BEV_DHCP_CONTESTED;
		note_client(c, e, t, own);
		if (own && e->type != BEV_DHCP_UNKNOWN)
			advance_boot(f, c, &ev, t);
		f->dirty = true;
	}
	/* Usual missing files are noise for people; counted above only. */
	if (e->type == BEV_TFTP_NOT_FOUND && e->expected)
		return;
	fleet_push_ring(f, &ev, t, kind);
	fleet_log_event(f, &ev, t, kind);
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
		fleet_record(f, e, t, KIND_FOREIGN);
	else
		fleet_record(f, e, t, 0);
}


void fleet_tick(struct fleet *f, uint64_t now)
{
	uint64_t stall_ms = (uint64_t)f->o.stall_s * 1000u;
	for (size_t i = 0; i < f->n; i++) {
		struct fleet_client *c = &f->c[i];
		if (!c->nboots)
			continue;
		struct fleet_boot *b = fleet_cur_boot(c);
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
		fleet_push_ring(f, &e, now, KIND_STALL);
		fleet_log_event(f, &e, now, KIND_STALL);
		if (f->notify)
			f->notify(f->notify_arg);
	}
	fleet_flush_log(f);
	if (f->dirty && now >= f->json_due_ms) {
		fleet_write_clients_json(f);
		f->json_due_ms = now + CLIENTS_JSON_EVERY_MS;
	}
}
