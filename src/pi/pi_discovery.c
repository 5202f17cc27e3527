/* pi_discovery.c - DATA/discovered.tsv: the unknown Pis that asked to
 * boot, so `pinetboot list` and the dashboard can offer to register them.
 *
 * Owns: the file's format and its rate limit (a flood of forged DISCOVERs
 * must not fill the list or the disk). Must not touch: client.conf
 * (src/pi/pi_registry.c), sockets. */
#include "pi/pi_discovery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "pi/pi_id.h"
#include "pi/pi_registry.h"

/* --- discovered.tsv: "id mac serial board_rev model first last" --- */

static const char disc_header[] = "# id\tmac\tserial\tboard_rev\tmodel\tfirst_seen\tlast_seen\n";

int discovery_parse_line(const char *line, struct discovered *x)
{
	char id[32], mac[32], serial[16], rev[16], model[32];
	long long first, last;
	memset(x, 0, sizeof(*x));
	if (sscanf(line, "%31s\t%31s\t%15s\t%15s\t%31[^\t]\t%lld\t%lld", id, mac, serial, rev, model,
		   &first, &last) != 7 ||
	    pi_id_normalise(id, x->id) < 0 || pi_mac_parse(mac, x->mac) < 0)
		return -1;
	x->has_serial = strcmp(serial, "-") != 0 && pi_hex_u32(serial, &x->serial) == 0;
	if (strcmp(rev, "-") != 0)
		pi_hex_u32(rev, &x->board_rev);
	snprintf(x->model, sizeof(x->model), "%.31s", model);
	x->first_seen = (time_t)first;
	x->last_seen = (time_t)last;
	return 0;
}

int discovery_load(struct discovery *d, const char *data_dir)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s/discovered.tsv", data_dir);
	FILE *f = fopen(d->path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	char line[512];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		struct discovered x;
		if (discovery_parse_line(line, &x) < 0) {
			log_warn("clients", "%s:%d: ignoring malformed line", d->path, lineno);
			continue;
		}
		if (discovery_note(d, &x) < 0)
			break;
	}
	fclose(f);
	d->dirty = false;
	return 0;
}

int discovery_note(struct discovery *d, const struct discovered *seen)
{
	for (size_t i = 0; i < d->n; i++) {
		struct discovered *x = &d->v[i];
		if (strcmp(x->id, seen->id) == 0) {
			/* last_seen is written at most once a minute per Pi: a Pi
			 * retrying its DISCOVER every few seconds must not turn
			 * into a disk write every few seconds. (Unsigned: a
			 * time read from the file may be near the limits.) */
			if (seen->last_seen > x->last_seen &&
			    (uint64_t)seen->last_seen - (uint64_t)x->last_seen >= 60) {
				x->last_seen = seen->last_seen;
				d->dirty = true;
			}
			if (seen->board_rev && !x->board_rev) {
				x->board_rev = seen->board_rev;
				snprintf(x->model, sizeof(x->model), "%s", seen->model);
				d->dirty = true;
			}
			return 0;
		}
	}
	if (d->n == DISCOVERY_MAX)
		return -ENOSPC;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct discovered *n = realloc(d->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		d->v = n;
		d->cap = cap;
	}
	d->v[d->n++] = *seen;
	d->dirty = true;
	return 1;
}

int discovery_note_limited(struct discovery *d, const struct discovered *seen, time_t now)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].id, seen->id) == 0)
			return discovery_note(d, seen);
	if (now / 60 != d->rate_minute) {
		d->rate_minute = now / 60;
		d->rate_new = 0;
		d->rate_logged = false;
	}
	if (d->rate_new >= DISCOVERY_NEW_PER_MIN)
		return -EAGAIN;
	int r = discovery_note(d, seen);
	if (r == 1)
		d->rate_new++;
	return r;
}

int discovery_flush(struct discovery *d)
{
	if (!d->dirty)
		return 0;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fputs(disc_header, f);
	for (size_t i = 0; i < d->n; i++) {
		const struct discovered *x = &d->v[i];
		char mac[18], serial[9] = "-", rev[9] = "-";
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", x->mac[0], x->mac[1],
			 x->mac[2], x->mac[3], x->mac[4], x->mac[5]);
		if (x->has_serial)
			snprintf(serial, sizeof(serial), "%08x", x->serial);
		if (x->board_rev)
			snprintf(rev, sizeof(rev), "%x", x->board_rev);
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%lld\t%lld\n", x->id, mac, serial, rev,
			x->model[0] ? x->model : "-", (long long)x->first_seen, (long long)x->last_seen);
	}
	int bad = ferror(f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		bad = 1;
	if (fclose(f) != 0)
		bad = 1;
	if (bad || rename(tmp, d->path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return -e;
	}
	d->dirty = false;
	return 0;
}

void discovery_free(struct discovery *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
