/* fleet_persist.c - the fleet's history on disk, in DATA/state/:
 * events.log (one TSV line per recorded event, appended in batches and
 * rotated to events.log.1 past FLEET_LOG_ROTATE), replayed at start, and
 * clients.json (every Pi's summary, rewritten by atomic rename).
 *
 * Owns: the events.log line format (write and read) and both files.
 * Must not touch: the boot state machine (replay goes through
 * fleet_record like a live event), sockets, HTTP. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "fleet/fleet_internal.h"

#define LOG_FLUSH_BYTES (64u << 10)

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

void fleet_log_event(struct fleet *f, const struct boot_event *e, uint64_t t, uint8_t kind)
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
		fleet_flush_log(f);
}

void fleet_flush_log(struct fleet *f)
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

void fleet_write_clients_json(struct fleet *f)
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
		if (kind == KIND_STALL) {
			/* A stall: restore it on the Pi's current boot. */
			struct fleet_client *c = fleet_find(f, e.id);
			struct fleet_boot *b = c && c->nboots ? fleet_cur_boot(c) : NULL;
			if (b && b->problem == FP_NONE) {
				b->problem = FP_STALLED;
				snprintf(b->reason, sizeof(b->reason), "%s", e.detail);
				snprintf(b->last_problem, sizeof(b->last_problem), "%s", e.detail);
			}
			fleet_push_ring(f, &e, t, KIND_STALL);
		} else if (e.type < BEV_MAX) {
			fleet_record(f, &e, t, kind);
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
