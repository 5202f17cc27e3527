/* sdnotify.h - the service manager's readiness protocol (sd_notify(3)),
 * written out: one datagram of "KEY=VALUE" lines to the AF_UNIX socket in
 * $NOTIFY_SOCKET. No libsystemd; without $NOTIFY_SOCKET every call is a
 * no-op, so the daemon runs the same by hand, under systemd or elsewhere.
 *
 * Owns: the notify socket protocol. Must not touch: anything else. */
#ifndef PINETBOOT_CORE_SDNOTIFY_H
#define PINETBOOT_CORE_SDNOTIFY_H

#include <stdint.h>

/* Send state ("READY=1", "WATCHDOG=1", "RELOADING=1\nMONOTONIC_USEC=..",
 * "STOPPING=1", "STATUS=..."). 1 sent, 0 no manager, negative errno. */
int sd_notify_send(const char *state);
/* The watchdog interval the manager asked for ($WATCHDOG_USEC, for our
 * own PID when $WATCHDOG_PID is set), in ms; 0 when none. */
uint64_t sd_watchdog_ms(void);
/* "RELOADING=1" with the MONOTONIC_USEC that Type=notify-reload wants. */
int sd_notify_reloading(void);

#endif
