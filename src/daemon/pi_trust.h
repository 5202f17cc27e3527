/* pi_trust.h - identity and trust glue of `pinetboot serve` (pi_trust.c).
 *
 * Owns: the daemon-side trust API. Must not touch: the rule itself
 * (pi/pi_access.h). */
#ifndef PINETBOOT_DAEMON_PI_TRUST_H
#define PINETBOOT_DAEMON_PI_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/dhcp_pi.h"

struct daemon;
struct client;

enum pi_claim { PI_CLAIM_OK, PI_CLAIM_CONTESTED };

/* The registered Pi a DISCOVER names: its id, serial, MAC, or for a Pi 3B
 * ROM the serial its MAC implies. NULL when none. */
struct client *daemon_lookup_pi(struct daemon *d, const struct pi_ident *pi);
/* A boot answer is about to go to mac for c: PI_CLAIM_OK records it (the
 * bind window opens for that MAC only); PI_CLAIM_CONTESTED when c has
 * another known MAC or serial (logged once, fleet event, no answer). */
enum pi_claim daemon_claim(struct daemon *d, struct client *c, const uint8_t mac[6], bool has_serial,
			   uint32_t serial);
/* The Pi a TFTP prefix or name means, asked from addr: by id, serial, MAC,
 * tftp-prefix, or the Pi at addr whose boot showed that serial
 * (*link_serial: learn it once access is granted). */
struct client *daemon_resolve(struct daemon *d, const char *name, uint32_t addr, bool *link_serial,
			      uint32_t *serial);
/* prov_default_image / prov_register_hint (src/provision/prov_hint.c)
 * for this server's data dir. */
void daemon_default_image(const struct daemon *d, char *out, size_t cap);
void daemon_register_hint(const struct daemon *d, const char *id, char *out, size_t cap);
int daemon_nfs_access(void *ctx, const char *id, uint32_t addr, char *why, size_t whylen);
size_t daemon_nfs_ids_for_addr(void *ctx, uint32_t addr, char (*ids)[18], size_t max);
bool daemon_nfs_is_admin(void *ctx, uint32_t addr);

#endif
