/* fleet_json.c - the fleet model as the API's JSON documents: the list
 * of Pis, one Pi with its boot timeline and events, one event (the SSE
 * payload, with the Pi's state at that moment).
 *
 * Owns: the JSON shape of clients, timelines and events. Must not touch:
 * the model's state (read only), HTTP, files. */
#include <arpa/inet.h>
#include <string.h>

#include "fleet/fleet_internal.h"
#include "pi/pi_id.h"

static void kv_addr(struct jbuf *j, const char *k, uint32_t addr)
{
	char a[INET_ADDRSTRLEN] = "";
	if (addr)
		inet_ntop(AF_INET, &addr, a, sizeof(a));
	json_kv_str(j, k, a);
}

static void client_summary(const struct fleet_client *c, struct jbuf *j)
{
	const struct fleet_boot *b = fleet_last_boot(c);
	json_kv_str(j, "id", c->id);
	json_kv_str(j, "name", c->name);
	json_kv_str(j, "model", c->model);
	json_key(j, "registered");
	json_bool(j, c->registered);
	kv_addr(j, "address", c->addr ? c->addr : c->fixed_addr);
	char mac[18] = "";
	if (c->has_mac)
		pi_mac_str(c->mac, mac);
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
	json_kv_str(j, "type", fe->kind == KIND_STALL ? "stall" : events_type_name(e->type));
	json_key(j, "not_a_boot");
	json_bool(j, fe->kind == KIND_FOREIGN);
	json_kv_str(j, "id", e->id);
	kv_addr(j, "address", e->addr);
	json_kv_str(j, "file", e->file);
	json_kv_uint(j, "bytes", e->bytes);
	json_kv_uint(j, "dur_ms", e->dur_ms);
	json_kv_str(j, "detail", e->detail);
	/* The Pi's state now, so a live view needs no second request. */
	const struct fleet_client *c = e->id[0] ? fleet_find(f, e->id) : NULL;
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
	const struct fleet_client *c = fleet_find(f, id);
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
		json_kv_str(j, "type", fe->kind == KIND_STALL ? "stall" : events_type_name(fe->e.type));
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
