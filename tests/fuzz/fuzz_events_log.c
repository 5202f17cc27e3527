/* fuzz_events_log.c - libFuzzer target for the fleet's events.log reader
 * (src/fleet/fleet.c fleet_parse_log_line), which replays DATA/state/
 * events.log(.1) at start. The input is a file: lines longer than the
 * replay's 1023 bytes are skipped as it does. Properties: a parsed event
 * has a type <= BEV_MAX, a kind <= 2 and NUL-terminated strings; written
 * back in the log's own format (tab, newline, CR and backslash escaped) it
 * parses to the same event. Built with FUZZ_FLEET (fuzz_fleet_replay.c,
 * ~100x slower: a fleet per input) the events of a Pi (kind 0/2) are
 * also applied to a fleet and a stall tick runs: that never crashes, and
 * the fleet's JSON documents (clients, every event in the ring, one
 * client) are read back by json_parse. Seeds in
 * tests/fuzz/corpus/fuzz_events_log/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "fleet/fleet.h"
#include "fleet/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* The writer's escaping (fleet.c tsv_field): one field, tab first. */
static void put_field(struct jbuf *j, const char *s)
{
	jb_append(j, "\t", 1);
	for (; *s; s++) {
		const char *e = *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : *s == '\\' ? "\\\\" : NULL;
		jb_append(j, e ? e : s, e ? 2 : 1);
	}
}

static void same_event(const struct boot_event *a, const struct boot_event *b)
{
	check(a->type == b->type && a->addr == b->addr && a->bytes == b->bytes && a->dur_ms == b->dur_ms &&
	      a->expected == b->expected);
	check(strcmp(a->id, b->id) == 0 && strcmp(a->file, b->file) == 0 && strcmp(a->detail, b->detail) == 0);
}

static void round_trip(const struct boot_event *e, uint64_t t, uint8_t kind)
{
	struct jbuf j;
	jb_init(&j, 4096);
	jb_printf(&j, "%llu\t%u\t%u\t%u", (unsigned long long)t, kind, (unsigned)e->type, (unsigned)ntohl(e->addr));
	put_field(&j, e->id);
	put_field(&j, e->file);
	jb_printf(&j, "\t%llu\t%u\t%u", (unsigned long long)e->bytes, e->dur_ms, e->expected ? 1u : 0u);
	put_field(&j, e->detail);
	check(!j.err);
	struct boot_event e2;
	uint64_t t2;
	uint8_t k2;
	check(fleet_parse_log_line(j.p, &e2, &t2, &k2) == 0);
	check(t2 == t && k2 == kind);
	same_event(e, &e2);
	jb_free(&j);
}

#ifdef FUZZ_FLEET
static void json_reads_back(struct jbuf *j)
{
	check(!j->err);
	char err[128];
	struct json_node *n = json_parse(j->p, j->len, err, sizeof(err));
	check(n != NULL);
	json_node_free(n);
	jb_reset(j);
}

static void fleet_documents(struct fleet *f, const char *last_id)
{
	struct jbuf j;
	jb_init(&j, 64u << 20);
	fleet_json_clients(f, &j);
	json_reads_back(&j);
	for (uint64_t s = fleet_first_seq(f); s && s <= fleet_last_seq(f); s++) {
		const struct fleet_event *fe = fleet_event_at(f, s);
		check(fe != NULL);
		fleet_json_event(f, fe, &j);
		json_reads_back(&j);
	}
	if (last_id[0] && fleet_json_client(f, last_id, &j))
		json_reads_back(&j);
	fleet_metrics(f, &j);
	check(!j.err);
	jb_free(&j);
}

#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#ifdef FUZZ_FLEET
	struct fleet_opts o;
	memset(&o, 0, sizeof(o));
	o.stall_s = 30;
	o.nfs = size > 0 && (data[0] & 1);
	struct fleet *f = fleet_new(NULL, &o);
	if (!f)
		return 0;
	char last_id[18] = "";
	uint64_t last_t = 0;
#endif
	char line[1024];
	size_t off = 0;
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t ll = nl ? (size_t)(nl - (data + off)) : size - off;
		const uint8_t *s = data + off;
		off += ll + (nl ? 1 : 0);
		if (ll >= sizeof(line) - 1)
			continue; /* the replay skips over-long lines whole */
		memcpy(line, s, ll);
		line[ll] = '\0';
		struct boot_event e;
		uint64_t t;
		uint8_t kind;
		if (fleet_parse_log_line(line, &e, &t, &kind) < 0)
			continue;
		check(e.type <= BEV_MAX && kind <= 2);
		check(memchr(e.id, 0, sizeof(e.id)) && memchr(e.file, 0, sizeof(e.file)) &&
		      memchr(e.detail, 0, sizeof(e.detail)));
		round_trip(&e, t, kind);
#ifdef FUZZ_FLEET
		if (e.type >= BEV_MAX || kind == 1)
			continue;
		if (kind == 2)
			fleet_apply_foreign(f, &e, t);
		else
			fleet_apply(f, &e, t);
		memcpy(last_id, e.id, sizeof(last_id));
		last_t = t;
#endif
	}
#ifdef FUZZ_FLEET
	fleet_tick(f, last_t + 60000);
	fleet_documents(f, last_id);
	fleet_free(f);
#endif
	return 0;
}
