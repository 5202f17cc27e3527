/* events.h - the boot-event bus. Every service (DHCP, TFTP, NFS, the HTTP
 * check-in) reports what happened to which Pi as a struct boot_event; the
 * fleet view (per-Pi boot state machine, timelines, metrics) subscribes.
 * Emitting is synchronous and cheap: no subscriber, no cost beyond a
 * branch. Subscribers must not block. */
#ifndef PINETBOOT_CORE_EVENTS_H
#define PINETBOOT_CORE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum boot_event_type {
	BEV_DHCP_ANSWER,      /* proxy/full boot answer sent to a Pi */
	BEV_DHCP_UNKNOWN,     /* an unregistered Pi asked */
	BEV_DHCP_LEASE,       /* full mode: address acknowledged (addr set) */
	BEV_TFTP_DONE,        /* file sent completely (file, bytes, dur_ms) */
	BEV_TFTP_PROBE,       /* size probe / early terminate (expected) */
	BEV_TFTP_NOT_FOUND,   /* file missing (detail says if expected) */
	BEV_TFTP_FAILED,      /* transfer failed: timeout, denied, aborted (detail) */
	BEV_NFS_MOUNT,        /* MOUNT granted (file = export path) */
	BEV_NFS_DENIED,       /* MOUNT/NFS access refused (detail) */
	BEV_NFS_INIT_READ,    /* first read of /sbin/init or the init binary */
	BEV_CHECKIN,          /* the client's check-in call at the end of boot */
	BEV_DHCP_CONTESTED,   /* a DISCOVER with another MAC claimed a registered Pi */
	BEV_MAX
};

struct boot_event {
	enum boot_event_type type;
	time_t wall;            /* filled by events_emit if 0 */
	uint64_t mono_ms;       /* filled by events_emit if 0 */
	char id[18];            /* client id, "" if unknown */
	uint8_t mac[6];
	bool has_mac;
	uint32_t addr;          /* client address, network order, 0 if unknown */
	char file[160];         /* file or export path */
	uint64_t bytes;
	uint32_t dur_ms;
	bool expected;          /* for NOT_FOUND: one of the usual probes */
	char detail[160];       /* plain-language reason or extra info */
};

typedef void (*events_cb)(const struct boot_event *e, void *arg);

struct event_bus;

struct event_bus *events_new(void);
void events_free(struct event_bus *b);
/* Up to 8 subscribers. 0 or -ENOSPC. */
int events_subscribe(struct event_bus *b, events_cb cb, void *arg);
/* NULL bus is a no-op, so services work without a fleet view. */
void events_emit(struct event_bus *b, struct boot_event *e);
const char *events_type_name(enum boot_event_type t);

#endif
