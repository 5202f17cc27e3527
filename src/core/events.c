/* events.c - a fixed-size subscriber list; emitting stamps the times and
 * calls each subscriber in order.
 *
 * Owns: the boot-event bus. Must not touch: what subscribers do with events.
 */
#include "core/events.h"

#include <errno.h>
#include <stdlib.h>

#include "core/ev.h"

#define EVENTS_MAX_SUBS 8

struct event_bus {
	struct {
		events_cb cb;
		void *arg;
	} subs[EVENTS_MAX_SUBS];
	size_t n;
};

static const char *const type_names[BEV_MAX] = {
	[BEV_DHCP_ANSWER] = "dhcp-answer", [BEV_DHCP_UNKNOWN] = "dhcp-unknown",
	[BEV_DHCP_LEASE] = "dhcp-lease",   [BEV_TFTP_DONE] = "tftp-done",
	[BEV_TFTP_PROBE] = "tftp-probe",   [BEV_TFTP_NOT_FOUND] = "tftp-not-found",
	[BEV_TFTP_FAILED] = "tftp-failed", [BEV_NFS_MOUNT] = "nfs-mount",
	[BEV_NFS_DENIED] = "nfs-denied",   [BEV_NFS_INIT_READ] = "nfs-init-read",
	[BEV_CHECKIN] = "checkin",         [BEV_DHCP_CONTESTED] = "dhcp-contested",
};

const char *events_type_name(enum boot_event_type t)
{
	return (unsigned)t < BEV_MAX ? type_names[t] : "?";
}

struct event_bus *events_new(void)
{
	return calloc(1, sizeof(struct event_bus));
}

void events_free(struct event_bus *b)
{
	free(b);
}

int events_subscribe(struct event_bus *b, events_cb cb, void *arg)
{
	if (b->n == EVENTS_MAX_SUBS)
		return -ENOSPC;
	b->subs[b->n].cb = cb;
	b->subs[b->n].arg = arg;
	b->n++;
	return 0;
}

void events_emit(struct event_bus *b, struct boot_event *e)
{
	if (!b || b->n == 0)
		return;
	if (!e->wall)
		e->wall = time(NULL);
	if (!e->mono_ms)
		e->mono_ms = ev_monotonic_ms();
	for (size_t i = 0; i < b->n; i++)
		b->subs[i].cb(e, b->subs[i].arg);
}
