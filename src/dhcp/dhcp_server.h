/* dhcp_server.h - the full-mode DHCP server (RFC 2131) as a pure object.
 *
 * dhcp_server_handle() takes one parsed request plus what the daemon knows
 * (receiving interface, registered fixed address, Pi identity) and returns
 * a verdict: drop, a reply with its destination, or "probe this address
 * first". No sockets, no clock: the caller passes `now`, so every state is
 * reachable from unit tests. Leases live in a struct dhcp_lease_db.
 * Must not touch sockets or the daemon: the relay rule and the reply
 * destination come from dhcp_dest.h; the caller sends (dhcp_io.h). */
#ifndef PINETBOOT_DHCP_SERVER_H
#define PINETBOOT_DHCP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "dhcp/dhcp_lease.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"

#define DHCP_POOLS_MAX 8
#define DHCP_DNS_MAX 4
#define DHCP_POOL_SIZE_MAX 65536u

struct dhcp_pool {
	uint32_t first, last;          /* host order, inclusive */
};

struct dhcp_server_conf {
	struct dhcp_pool pool[DHCP_POOLS_MAX];
	size_t npool;
	uint32_t netmask;              /* network order; 0 = the interface's (relayed: /24) */
	uint32_t router;               /* network order; 0 = none (relayed: giaddr) */
	uint32_t dns[DHCP_DNS_MAX];
	size_t ndns;
	uint32_t lease_time;           /* seconds */
	uint32_t offer_hold;           /* seconds an offered address is held */
	uint32_t decline_hold;         /* seconds a declined address is quarantined */
	bool probe;                    /* conflict-check addresses new to the db */
};

/* Parse the dhcp-* config values into c (defaults for the rest). Empty
 * strings mean "not set". 0, or -EINVAL with a message in err. */
int dhcp_server_conf_parse(struct dhcp_server_conf *c, const char *range, const char *netmask,
			   const char *router, const char *dns, unsigned lease_time,
			   char *err, size_t errlen);

/* Is addr (network order) reserved for someone other than mac (a fixed
 * address of another registered client, or one of our own)? */
typedef bool (*dhcp_reserved_fn)(void *ctx, uint32_t addr, const uint8_t mac[6]);

struct dhcp_server {
	struct dhcp_server_conf conf;
	struct dhcp_lease_db *db;      /* not owned */
	dhcp_reserved_fn reserved;
	void *ctx;
};

struct dhcp_server_in {
	const struct dhcp_msg *m;
	const struct pi_ident *pi;     /* NULL for non-Pi clients */
	uint32_t if_addr, if_mask;     /* receiving interface, network order */
	const struct net_ifaces *ifs;  /* our interfaces, for the relay rule; NULL: none */
	uint32_t fixed_addr;           /* client.conf address, network order, 0 = none */
	bool boot_answer;              /* add the Pi boot answer (43/60/97) */
	bool spaced;                   /* spaced menu for old 3B ROMs */
	const char *id;                /* client id to record ("" or NULL: none) */
	int64_t now;                   /* wall clock seconds */
};

enum dhcp_verdict { DHCP_V_DROP, DHCP_V_REPLY, DHCP_V_PROBE };

struct dhcp_server_out {
	enum dhcp_verdict v;
	uint8_t type;                  /* DHCPOFFER, DHCPACK, DHCPNAK */
	uint32_t addr;                 /* yiaddr, or the address to probe (network order) */
	/* destination (RFC 2131 4.1, from dhcp_dest_reply) */
	uint32_t dst;                  /* network order */
	bool to_server_port;           /* relay agent: server port, else client port */
	bool broadcast;                /* dst is 255.255.255.255 on the interface */
	bool unicast_hw;               /* dst is yiaddr, which has no ARP entry yet: use chaddr */
	bool durable;                  /* send only after dhcp_lease_db_sync */
	bool bound;                    /* a lease was bound (event) */
	const char *why;               /* reason for a drop or NAK, for logs */
	size_t len;
	uint8_t pkt[DHCP_MAX_LEN];
};

void dhcp_server_init(struct dhcp_server *s, const struct dhcp_server_conf *conf,
		      struct dhcp_lease_db *db, dhcp_reserved_fn reserved, void *ctx);
/* Process one request. Always fills out (out->v says what to do). */
void dhcp_server_handle(struct dhcp_server *s, const struct dhcp_server_in *in, struct dhcp_server_out *out);
/* Result of a conflict probe for addr: in_use quarantines it (the next
 * handle() of the same request picks another address); otherwise the
 * held offer becomes sendable. */
void dhcp_server_probe_result(struct dhcp_server *s, uint32_t addr, bool in_use, int64_t now);
/* The stable MAC-derived address of pool p (network order). */
uint32_t dhcp_server_derived_addr(const struct dhcp_pool *p, const uint8_t mac[6]);

#endif
