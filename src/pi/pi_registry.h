/* pi_registry.h - the registry of known Pis (DATA/clients/<id>/client.conf),
 * read by `serve` and the CLI and written only through this file.
 * Unknown Pis that asked are in pi_discovery.h.
 *
 * <id> is the 8-hex-digit serial, or the MAC as aa-bb-cc-dd-ee-ff for
 * boards identified by MAC. The registry is re-read on SIGHUP; runtime
 * state (which address booted as which id) survives the reload.
 *
 * Owns: struct client, the lookups and client.conf's one writer. Must
 * not touch: sockets, the clock, trust decisions (pi_access.h). */
#ifndef PINETBOOT_PI_REGISTRY_H
#define PINETBOOT_PI_REGISTRY_H

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
	char tftp_prefix[64];  /* EEPROM TFTP_PREFIX=1: TFTP_PREFIX_STR, "" = none */

	/* runtime, not from the file */
	uint64_t answered_ms;  /* monotonic time of the last boot answer, 0 = never */
	uint8_t answer_mac[6]; /* the MAC that boot answer went to */
	bool answer_has_serial;
	uint32_t answer_serial; /* the serial that DISCOVER showed, if any */
	uint32_t bound_addr;   /* address that booted as this id */
	bool has_bound_mac;
	uint8_t bound_mac[6];  /* its MAC when it was bound */
	uint64_t verified_ms;  /* when bound_addr's neighbour MAC was last checked */
	uint8_t contested_mac[6]; /* last foreign MAC that claimed this Pi (logged once) */
	bool contested;
	uint64_t contested_log_ms; /* last contested log line: at most one per CONTESTED_LOG_MS */
	bool unavailable;      /* its root failed to mount: not exported */
	char unavailable_why[160];
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
/* The client whose tftp-prefix is prefix (EEPROM TFTP_PREFIX=1), or NULL. */
struct client *clients_find_prefix(const struct clients *c, const char *prefix);
/* A Pi 3B ROM shows only its MAC, b8:27:eb + the serial's low 24 bits
 * (protocol reference, identifying Pis): the one client whose serial fits
 * that MAC, or NULL (none, or more than one). */
struct client *clients_find_pi3_mac(const struct clients *c, const uint8_t mac[6]);
/* Whether a Pi 3 MAC and a serial belong to the same board. */
bool clients_pi3_mac_fits(const uint8_t mac[6], uint32_t serial);

/* The registered Pi a DISCOVER names: by id, serial, MAC, or for a Pi 3B
 * ROM (MAC only) the one serial its MAC implies. NULL when none. */
struct client *clients_lookup(const struct clients *c, const char *id, bool has_serial, uint32_t serial,
			      const uint8_t mac[6]);

/* client.conf of a new Pi, as `pinetboot add` registers it: name, image
 * and layout, mac and tftp_prefix when not NULL. */
struct client_conf_new {
	const char *name, *mac, *image, *layout, *tftp_prefix;
};
/* Create (or replace) dir/client.conf; dir is DATA/clients/<id> or the
 * directory that will be renamed to it. 0 or a negative errno. */
int client_conf_create(const char *dir, const struct client_conf_new *c);

/* Record a learned name of a Pi in DATA/clients/<id>/client.conf: set key
 * (serial or mac) to value, replacing an existing line for that key and
 * keeping every other line. Atomic (temporary file, fsync, rename, fsync
 * of the directory). 0 or a negative errno. */
int client_conf_set(const char *data_dir, const char *id, const char *key, const char *value);

/* Parse one client.conf (exposed for tests). dir_id is the directory name;
 * it must agree with serial/mac in the file. 0 or -1 with err filled. */
int client_parse_file(struct client *cl, const char *path, const char *dir_id,
		      char *err, size_t errlen);

#endif
