/* dhcp_registry.h - the daemon's side of struct dhcp_registry.
 *
 * Owns how DHCP (both modes) sees the client registry: lookup by the
 * DISCOVER's identity, the claim (pi_trust.c decides), and recording an
 * unknown Pi (discovered.tsv, fleet event, the "how to register" log).
 * Must not change pi_trust.c's rules; it only calls them. */
#ifndef PINETBOOT_DAEMON_DHCP_REGISTRY_H
#define PINETBOOT_DAEMON_DHCP_REGISTRY_H

#include "daemon/daemon.h"
#include "dhcp/dhcp_registry.h"

/* Fill reg with callbacks on d (valid as long as d). */
void dhcp_registry_of_daemon(struct daemon *d, struct dhcp_registry *reg);

/* c as DHCP sees it (for a client found by MAC or lease, not lookup). */
void dhcp_registry_known(struct client *c, struct dhcp_known *ret);

#endif
