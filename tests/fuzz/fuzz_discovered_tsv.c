/* fuzz_discovered_tsv.c - libFuzzer target for the reader of
 * DATA/discovered.tsv (src/daemon/clients.c discovery_parse_line, called
 * by discovery_load on each line of up to 511 bytes that is not a
 * comment). The input is a file. Properties: a parsed record has a
 * normalised client id (pi_id_normalise gives it back unchanged) and a
 * NUL-terminated model without tab or newline; written back in the file's
 * format ("id mac serial board_rev model first last", '-' for none, as
 * discovery_flush writes it) it parses to the same record; recording the
 * records with discovery_note keeps at most DISCOVERY_MAX, one per id.
 * Seeds in tests/fuzz/corpus/fuzz_discovered_tsv/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/clients.h"
#include "dhcp/dhcp_pi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static void round_trip(const struct discovered *x)
{
	char line[512], mac[18], serial[9] = "-", rev[9] = "-";
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", x->mac[0], x->mac[1], x->mac[2], x->mac[3],
		 x->mac[4], x->mac[5]);
	if (x->has_serial)
		snprintf(serial, sizeof(serial), "%08x", x->serial);
	if (x->board_rev)
		snprintf(rev, sizeof(rev), "%x", x->board_rev);
	int n = snprintf(line, sizeof(line), "%s\t%s\t%s\t%s\t%s\t%lld\t%lld\n", x->id, mac, serial, rev,
			 x->model[0] ? x->model : "-", (long long)x->first_seen, (long long)x->last_seen);
	check(n > 0 && (size_t)n < sizeof(line));
	struct discovered y;
	check(discovery_parse_line(line, &y) == 0);
	check(strcmp(x->id, y.id) == 0 && memcmp(x->mac, y.mac, 6) == 0 && x->has_serial == y.has_serial &&
	      x->board_rev == y.board_rev && strcmp(x->model, y.model) == 0 && x->first_seen == y.first_seen &&
	      x->last_seen == y.last_seen);
	if (x->has_serial)
		check(x->serial == y.serial);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct discovery d;
	memset(&d, 0, sizeof(d));
	char line[512];
	size_t off = 0;
	while (off < size) {
		/* fgets(line, 512): at most 511 bytes, through the newline. */
		size_t room = size - off < sizeof(line) - 1 ? size - off : sizeof(line) - 1;
		const uint8_t *nl = memchr(data + off, '\n', room);
		size_t ll = nl ? (size_t)(nl - (data + off)) + 1 : room;
		memcpy(line, data + off, ll);
		line[ll] = '\0';
		off += ll;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		struct discovered x;
		if (discovery_parse_line(line, &x) < 0)
			continue;
		char norm[18];
		check(memchr(x.id, 0, sizeof(x.id)) && pi_id_normalise(x.id, norm) == 0 && strcmp(norm, x.id) == 0);
		check(memchr(x.model, 0, sizeof(x.model)) && !strpbrk(x.model, "\t\n"));
		round_trip(&x);
		size_t before = d.n;
		int r = discovery_note(&d, &x);
		check(r < 0 ? d.n == DISCOVERY_MAX : d.n == before + (size_t)r);
	}
	for (size_t i = 0; i < d.n; i++)
		for (size_t k = i + 1; k < d.n; k++)
			check(strcmp(d.v[i].id, d.v[k].id) != 0);
	discovery_free(&d);
	return 0;
}
