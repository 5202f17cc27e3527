/* cli_list.c - 'pinetboot list': one table of the registered Pis
 * (client.conf), the discovered ones (discovered.tsv) and what a running
 * serve last saw of them (state/clients.json), as text or JSON.
 *
 * Owns: the list's rows, columns and JSON keys. Must not touch: the
 * registry or discovery formats (pi/), the fleet state writer (fleet/). */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "cli/cli_prov.h"
#include "pi/pi_discovery.h"
#include "pi/pi_registry.h"
#include "fleet/json.h"
#include "provision/prov_util.h"

struct row {
	char id[18], mac[18], name[64], model[32], image[64], layout[16], seen[24], addr[16], stage[24];
	bool registered;
};

static void fmt_time(time_t t, char *out, size_t n)
{
	struct tm tm;
	if (!t || !gmtime_r(&t, &tm)) {
		snprintf(out, n, "-");
		return;
	}
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

static void put_json_str(const char *k, const char *v, bool comma)
{
	printf("\"%s\":\"", k);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	printf("\"%s", comma ? "," : "");
}

static void merge_fleet_state(const char *data, struct row *rows, size_t *n, size_t cap)
{
	char p[PATH_MAX], *txt, err[128];
	size_t len;
	pathf(p, sizeof(p), "%s/state/clients.json", data);
	if (read_file_at(AT_FDCWD, p, 16u << 20, &txt, &len) < 0)
		return;
	struct json_node *root = json_parse(txt, len, err, sizeof(err));
	free(txt);
	if (!root)
		return;
	for (const struct json_node *c = root->type == JSON_ARR ? root->child : NULL; c; c = c->next) {
		const char *id = json_get_str(c, "id", "");
		struct row *r = NULL;
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(rows[i].id, id))
				r = &rows[i];
		if (!r)
			continue; /* only Pis we know from disk: the registry is the truth */
		(void)cap;
		snprintf(r->addr, sizeof(r->addr), "%.15s", json_get_str(c, "address", ""));
		const char *st = json_get_str(c, "stage", "");
		if (*st && strcmp(st, "none"))
			snprintf(r->stage, sizeof(r->stage), "%.23s", st);
		double ms = json_get_num(c, "last_seen", 0);
		if (ms > 1e12) /* wall-clock milliseconds */
			fmt_time((time_t)(ms / 1000), r->seen, sizeof(r->seen));
	}
	json_node_free(root);
}

static void fmt_mac(const uint8_t m[6], char *out, size_t n)
{
	snprintf(out, n, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* One row per registered Pi, in registry order. Returns the rows made. */
static size_t rows_from_registry(struct row *rows, const struct clients *reg)
{
	size_t n = 0;
	for (size_t i = 0; i < reg->n; i++) {
		const struct client *cl = &reg->v[i];
		struct row *r = &rows[n++];
		r->registered = true;
		snprintf(r->id, sizeof(r->id), "%s", cl->id);
		if (cl->has_mac)
			fmt_mac(cl->mac, r->mac, sizeof(r->mac));
		snprintf(r->name, sizeof(r->name), "%s", cl->name);
		snprintf(r->image, sizeof(r->image), "%s", cl->image);
		snprintf(r->layout, sizeof(r->layout), "%s", cl->layout);
		snprintf(r->stage, sizeof(r->stage), "registered");
	}
	return n;
}

/* Discovery adds what the Pi said of itself (model, MAC, last seen) to
 * its registered row, or a new "discovered" row. nreg: the first rows,
 * from the registry. Returns the new row count. */
static size_t rows_from_discovery(struct row *rows, size_t n, size_t nreg, const struct discovery *disc)
{
	for (size_t i = 0; i < disc->n; i++) {
		const struct discovered *x = &disc->v[i];
		struct row *r = NULL;
		for (size_t k = 0; k < nreg; k++)
			if (!strcmp(rows[k].id, x->id))
				r = &rows[k];
		if (!r) {
			r = &rows[n++];
			snprintf(r->id, sizeof(r->id), "%s", x->id);
			snprintf(r->stage, sizeof(r->stage), "discovered");
		}
		if (!r->mac[0])
			fmt_mac(x->mac, r->mac, sizeof(r->mac));
		snprintf(r->model, sizeof(r->model), "%s", x->model);
		fmt_time(x->last_seen, r->seen, sizeof(r->seen));
	}
	return n;
}

static void print_row_json(const struct row *r, bool first)
{
	printf("%s{", first ? "" : ",");
	put_json_str("id", r->id, true);
	put_json_str("mac", r->mac, true);
	put_json_str("name", r->name, true);
	put_json_str("model", r->model, true);
	put_json_str("image", r->image, true);
	put_json_str("layout", r->layout, true);
	put_json_str("last_seen", r->seen, true);
	put_json_str("last_address", r->addr, true);
	put_json_str("stage", r->stage, true);
	printf("\"registered\":%s}", r->registered ? "true" : "false");
}

static void print_rows(const struct row *rows, size_t n, bool json)
{
	if (json)
		printf("[");
	else
		printf("%-17s %-17s %-16s %-14s %-14s %-7s %-16s %-15s %s\n", "ID", "MAC", "NAME", "MODEL", "IMAGE",
		       "LAYOUT", "LAST SEEN", "LAST ADDRESS", "STAGE");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
#define D(x) ((x)[0] ? (x) : "-")
		if (json)
			print_row_json(r, i == 0);
		else
			printf("%-17s %-17s %-16s %-14s %-14s %-7s %-16s %-15s %s\n", r->id, D(r->mac), D(r->name),
			       D(r->model), D(r->image), D(r->layout), D(r->seen), D(r->addr), D(r->stage));
#undef D
	}
	if (json)
		printf("]\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
					       { "json", no_argument, NULL, 'j' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	const char *data = DEFAULT_DATA;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jh", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'j')
			json = true;
		else {
			fprintf(c == 'h' ? stdout : stderr, "usage: pinetboot list [--json] [--data DIR]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!cli_no_more_args("list", argc, argv, optind) || !cli_data_ok(data))
		return 2;
	struct clients reg;
	struct discovery disc;
	if (clients_load(&reg, data) < 0 || discovery_load(&disc, data) < 0) {
		fprintf(stderr, "pinetboot list: cannot read %s\n", data);
		return 1;
	}
	size_t cap = reg.n + disc.n;
	struct row *rows = calloc(cap ? cap : 1, sizeof(*rows));
	if (!rows)
		return 1;
	size_t n = rows_from_registry(rows, &reg);
	n = rows_from_discovery(rows, n, reg.n, &disc);
	/* Last address and boot stage come from the fleet view's state file
	 * (DATA/state/clients.json, written by a running serve); without it
	 * they stay "-". */
	merge_fleet_state(data, rows, &n, cap);
	print_rows(rows, n, json);
	free(rows);
	clients_free(&reg);
	discovery_free(&disc);
	return 0;
}
