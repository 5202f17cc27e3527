/* pi_discovery.h - the record of unknown Pis that asked to boot
 * (DATA/discovered.tsv): id, MAC, serial, board, first and last seen.
 *
 * Owns: struct discovery. Must not touch: client.conf (pi_registry.h). */
#ifndef PINETBOOT_PI_DISCOVERY_H
#define PINETBOOT_PI_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct discovered {
	char id[18];
	uint8_t mac[6];
	bool has_serial;
	uint32_t serial;
	uint32_t board_rev;
	char model[32];
	time_t first_seen, last_seen;
};

struct discovery {
	char path[4096];
	struct discovered *v;
	size_t n, cap;
	bool dirty;
	time_t rate_minute;   /* discovery_note_limited's current minute */
	unsigned rate_new;    /* new Pis recorded in it */
	bool rate_logged;     /* the flood warning was logged */
};

#define DISCOVERY_MAX 4096

int discovery_load(struct discovery *d, const char *data_dir);
/* One line of discovered.tsv (not a comment): 0 with x filled, or -1
 * when it is malformed (the caller logs and skips it). */
int discovery_parse_line(const char *line, struct discovered *x);
/* Record a sighting. Returns 1 when the Pi is new (log it with the
 * command to register it), 0 when already known, negative on error. */
int discovery_note(struct discovery *d, const struct discovered *seen);
/* Like discovery_note, but at most DISCOVERY_NEW_PER_MIN new Pis a minute
 * are recorded (a flood of forged DISCOVERs with random serials must not
 * fill the list or the disk): returns -EAGAIN when over that rate. */
int discovery_note_limited(struct discovery *d, const struct discovered *seen, time_t now);
#define DISCOVERY_NEW_PER_MIN 32
/* Write the file atomically (tmp + rename) if anything changed. */
int discovery_flush(struct discovery *d);
void discovery_free(struct discovery *d);

#endif
