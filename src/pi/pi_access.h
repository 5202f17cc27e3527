/* pi_access.h - who may read a Pi's files and use its root: the trust
 * rule of pinetboot (README, "Security: who is trusted"), as one pure
 * function over plain facts so it is unit-tested without sockets or root.
 *
 * Owns: the decision and its reason. Must not touch: the network, the
 * registry files, the clock (the caller passes `now`). */
#ifndef PINETBOOT_PI_ACCESS_H
#define PINETBOOT_PI_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The facts about one request for one Pi's files. Addresses are in
 * network byte order; 0 means "none". */
struct pi_access_in {
	uint32_t addr;            /* the request's source address */
	bool admin;               /* addr is inside admin-networks */
	uint32_t fixed_addr;      /* client.conf address = ..., 0 = none */
	bool has_known_mac;       /* client.conf mac = ... (given or learned) */
	uint8_t known_mac[6];
	bool has_neigh;           /* the kernel's neighbour table knows addr */
	uint8_t neigh_mac[6];
	bool has_answer;          /* a boot answer was sent for this Pi ... */
	uint8_t answer_mac[6];    /* ... to this MAC ... */
	uint64_t answer_ms;       /* ... at this monotonic time */
	uint64_t now_ms;
	uint64_t window_ms;       /* bind-window-s in ms */
	bool tofu;                /* dhcp = off: no boot answers exist */
	uint32_t bound_addr;      /* address bound to this Pi, 0 = none */
	bool has_bound_mac;
	uint8_t bound_mac[6];     /* its MAC when it was bound */
};

enum pi_access_verdict {
	PI_DENY = 0,
	PI_ALLOW_FIXED,    /* the client's fixed address */
	PI_ALLOW_ADMIN,    /* an admin network */
	PI_ALLOW_MAC,      /* the neighbour MAC is the Pi's known MAC */
	PI_ALLOW_ANSWER,   /* the neighbour MAC got this Pi's boot answer */
	PI_ALLOW_TOFU,     /* dhcp = off, first address to ask (or it again) */
};

struct pi_access_out {
	enum pi_access_verdict v;
	bool bind;          /* remember addr (and neigh MAC) as the Pi's */
	bool learn_mac;     /* the boot completed: answer_mac is the Pi's MAC */
	char why[160];      /* for a denial: plain-language reason */
};

void pi_access_decide(const struct pi_access_in *in, struct pi_access_out *out);
const char *pi_access_verdict_name(enum pi_access_verdict v);

#endif
