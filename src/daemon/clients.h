/* clients.h - the registry of known Pis (DATA/clients/<id>/client.conf)
 * and the record of unknown Pis that asked (DATA/discovered.tsv).
 *
 * <id> is the 8-hex-digit serial, or the MAC as aa-bb-cc-dd-ee-ff for
 * boards identified by MAC. The registry is re-read on SIGHUP; runtime
 * state (which address booted as which id) survives the reload. */
#ifndef PINETBOOT_DAEMON_CLIENTS_H
#define PINETBOOT_DAEMON_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct client {
	char id[18];
	bool has_serial, has_mac;
	uint32_t serial;
	uint8_t mac[6];
	char name[64];
	uint32_t address;      /* network order; 0 = not fixed */
	char image[64];
	char layout[16];

	/* runtime, not from the file */
	uint64_t answered_ms;  /* monotonic time of the last boot answer, 0 = never */
	uint32_t bound_addr;   /* address that booted as this id */
};

struct clients {
	struct client *v;
	size_t n;
};

/* Load every DATA/clients/<id>/client.conf. A broken client.conf is
 * skipped with an error log naming file:line; the others still load.
 * Returns the number of clients loaded or a negative errno. */
int clients_load(struct clients *out, const char *data_dir);
/* Keep runtime state of clients present in both (after a reload). */
void clients_carry_state(struct clients *new_reg, const struct clients *old);
void clients_free(struct clients *c);

struct client *clients_find_id(const struct clients *c, const char *id);
struct client *clients_find_mac(const struct clients *c, const uint8_t mac[6]);
struct client *clients_find_serial(const struct clients *c, uint32_t serial);

/* Parse one client.conf (exposed for tests). dir_id is the directory name;
 * it must agree with serial/mac in the file. 0 or -1 with err filled. */
int client_parse_file(struct client *cl, const char *path, const char *dir_id,
		      char *err, size_t errlen);

/* --- discovered Pis --- */
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
};

#define DISCOVERY_MAX 4096

int discovery_load(struct discovery *d, const char *data_dir);
/* Record a sighting. Returns 1 when the Pi is new (log it with the
 * command to register it), 0 when already known, negative on error. */
int discovery_note(struct discovery *d, const struct discovered *seen);
/* Write the file atomically (tmp + rename) if anything changed. */
int discovery_flush(struct discovery *d);
void discovery_free(struct discovery *d);

#endif
