/* dhcp_preflight.h - refuse `dhcp = full` beside another DHCP server.
 *
 * Owns one blocking startup check (dhcp_preflight.c); must not be called
 * once the event loop runs. */
#ifndef PINETBOOT_DHCP_PREFLIGHT_H
#define PINETBOOT_DHCP_PREFLIGHT_H

#include <stdint.h>

#include "core/net.h"

/* Broadcast a DISCOVER (and an INFORM) on every non-loopback interface
 * of ifs to server port `port` and listen ~2.5 s on port + 1. -EEXIST
 * (logged with the other server's address) when one answers; 0
 * otherwise, also when the check cannot run (logged). */
int dhcp_preflight(const struct net_ifaces *ifs, uint16_t port);

#endif
