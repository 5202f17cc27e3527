/* fleet.h - the fleet view's model: every Pi's current and recent boots
 * (fleet_state machines), a bounded ring of recent events, server totals
 * and Prometheus histograms, persisted in DATA/state/ (events.log, append
 * + rotate; clients.json, atomic rename) so a restart keeps timelines.
 * Fed by the event bus; read by the HTTP API. Single-threaded.
 *
 * Owns: struct fleet's API. Must not touch: daemon/ (it gets the
 * registry through fleet_set_registry). */
#ifndef PINETBOOT_FLEET_FLEET_H
#define PINETBOOT_FLEET_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ev.h"
#include "core/events.h"
#include "pi/pi_registry.h"
#include "fleet/fleet_state.h"
#include "fleet/json.h"

#define FLEET_BOOTS_MAX 8          /* boots kept per Pi */
#define FLEET_CLIENTS_MAX 8192     /* Pis tracked at most */
#define FLEET_HISTORY 4096         /* events kept in memory */
#define FLEET_LOG_ROTATE (1u << 20) /* events.log rotated past 1 MiB */

struct fleet_opts {
	const char *data_dir;   /* NULL: no persistence (tests) */
	unsigned stall_s;       /* no progress this long in a stage = stalled */
	bool nfs;               /* NFS served: the kernel stage is not final */
	/* Is this event for Pi id from addr someone else's fetch (an admin
	 * reading the Pi's cmdline.txt), not the Pi booting? NULL: never. */
	bool (*not_a_boot)(void *arg, const char *id, uint32_t addr);
	void *not_a_boot_arg;
};

/* Prometheus-style histogram with fixed bounds (seconds). */
#define FLEET_HIST_BUCKETS 14
struct fleet_hist {
	uint64_t count[FLEET_HIST_BUCKETS]; /* non-cumulative; last = +Inf */
	uint64_t n;
	double sum;
};
extern const double fleet_hist_bounds[FLEET_HIST_BUCKETS - 1];
void fleet_hist_add(struct fleet_hist *h, double v);

struct fleet_totals {
	uint64_t events[BEV_MAX];
	uint64_t boots, boots_up, failures, stalls, unattributed;
	uint64_t tftp_bytes;
	struct fleet_hist tftp_file_s;          /* TFTP transfer durations */
	struct fleet_hist stage_s[FS_MAX];      /* boot start -> stage reached */
};

/* One entry of the event history. kind 0 = a bus event, 1 = a stall
 * detected by the fleet itself (reason in e.detail). */
struct fleet_event {
	uint64_t seq;
	uint64_t t_ms;
	uint8_t kind;
	struct boot_event e;
};

struct fleet;

struct fleet *fleet_new(struct ev_loop *loop, const struct fleet_opts *o);
/* Flushes the event log and clients.json. NULL is a no-op. */
void fleet_free(struct fleet *f);
/* Subscribe this to the event bus: arg is the fleet. */
void fleet_on_event(const struct boot_event *e, void *arg);
/* Record one event at wall time t_ms (exposed for tests and replay). */
void fleet_apply(struct fleet *f, const struct boot_event *e, uint64_t t_ms);
/* The same for an event that is not part of the Pi's boot (kept in the
 * history as "admin", no stage change). */
void fleet_apply_foreign(struct fleet *f, const struct boot_event *e, uint64_t t_ms);
/* Stall checks and persistence; runs every second from the loop. */
void fleet_tick(struct fleet *f, uint64_t now_ms);
/* Registered Pis (names, fixed addresses); call after (re)loading. */
void fleet_set_registry(struct fleet *f, const struct clients *reg);
/* Called after every recorded event (the HTTP layer wakes SSE). */
void fleet_set_notify(struct fleet *f, void (*cb)(void *arg), void *arg);
/* Replay DATA/state/events.log(.1). Returns events replayed. */
int fleet_load_history(struct fleet *f);
/* One events.log line (no newline), split and unescaped in place: the
 * event, its wall time and kind (0 the Pi's, 1 a stall, 2 not a boot).
 * 0, or -1 when the line is malformed and is skipped. */
int fleet_parse_log_line(char *line, struct boot_event *e, uint64_t *t_ms, uint8_t *kind);
/* Wall-clock ms now, as the fleet measures it. */
uint64_t fleet_now_ms(void);

const struct fleet_totals *fleet_totals(const struct fleet *f);
size_t fleet_count(const struct fleet *f);
/* Current boot of a Pi, NULL if unknown. */
const struct fleet_boot *fleet_current(const struct fleet *f, const char *id);
/* Sequence number of the newest event (0 if none). */
uint64_t fleet_last_seq(const struct fleet *f);
/* Event with sequence seq, NULL if not (or no longer) in the ring. */
const struct fleet_event *fleet_event_at(const struct fleet *f, uint64_t seq);
/* Oldest sequence still in the ring. */
uint64_t fleet_first_seq(const struct fleet *f);

/* JSON documents of the API. */
void fleet_json_clients(const struct fleet *f, struct jbuf *j);
/* false if id is unknown */
bool fleet_json_client(const struct fleet *f, const char *id, struct jbuf *j);
void fleet_json_event(const struct fleet *f, const struct fleet_event *fe, struct jbuf *j);
/* Prometheus text of the fleet's counters and histograms. */
void fleet_metrics(const struct fleet *f, struct jbuf *j);

#endif
