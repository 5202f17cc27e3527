/* clients.h - compatibility include: the Pi registry and discovery moved
 * to src/pi/ (issue 10). New code includes pi/pi_registry.h and
 * pi/pi_discovery.h; this header only keeps older includes compiling.
 *
 * Owns: nothing. Must not touch: anything (compat only). */
#ifndef PINETBOOT_DAEMON_CLIENTS_H
#define PINETBOOT_DAEMON_CLIENTS_H

#include "pi/pi_discovery.h"
#include "pi/pi_registry.h"

#endif
