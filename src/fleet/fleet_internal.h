/* fleet_internal.h - the fleet model's insides, shared by the files that
 * make up struct fleet: fleet.c (records, events, ticks), fleet_persist.c
 * (events.log and clients.json), fleet_json.c (API documents) and
 * fleet_metrics.c (Prometheus text).
 *
 * Owns: struct fleet and struct fleet_client. Must not be included
 * outside src/fleet/ model files (fleet_http.c and the tests use fleet.h). */
#ifndef PINETBOOT_FLEET_FLEET_INTERNAL_H
#define PINETBOOT_FLEET_FLEET_INTERNAL_H

#include "fleet/fleet.h"

/* Kinds of recorded events: 0 the Pi's own, 1 a stall, 2 not a boot. */
#define KIND_STALL 1
#define KIND_FOREIGN 2

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

/* fleet.c */
struct fleet_client *fleet_find(const struct fleet *f, const char *id);
/* The Pi's current (latest) boot, NULL before its first. */
const struct fleet_boot *fleet_last_boot(const struct fleet_client *c);
/* The boot being recorded (slot 0 before the first). */
struct fleet_boot *fleet_cur_boot(struct fleet_client *c);
void fleet_push_ring(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind);
/* Record one event of the given kind (0 or KIND_FOREIGN). */
void fleet_record(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind);

/* fleet_persist.c */
/* Queue one events.log line (nothing while replaying or without a dir). */
void fleet_log_event(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind);
/* Append the queued lines to events.log, rotating it past FLEET_LOG_ROTATE. */
void fleet_flush_log(struct fleet *f);
/* Rewrite clients.json atomically; clears f->dirty. */
void fleet_write_clients_json(struct fleet *f);

#endif
