/* dhcp_arp.h - asynchronous ARP conflict probes for the full DHCP server.
 *
 * Before offering an address it never handed out, the server asks "who has
 * A?" on the client's link and waits a bounded time (RFC 2131 3.1 step 2;
 * RFC 5227 2.1.1 for the ARP form). Probes run on the event loop: the
 * callback fires with in_use=true as soon as anyone answers, or with
 * in_use=false when the wait ends, so no client waits for another's probe.
 * Owns the probe socket and timers only; must not touch leases or replies. */
#ifndef PINETBOOT_DHCP_ARP_H
#define PINETBOOT_DHCP_ARP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ev.h"

#define DHCP_ARP_PENDING_MAX 4096

struct dhcp_arp;

/* Called once per probe; the probe is already gone when it runs. */
typedef void (*dhcp_arp_cb)(void *arg, uint32_t addr, bool in_use);

/* Open the AF_PACKET socket (needs CAP_NET_RAW). NULL with errno set. */
struct dhcp_arp *dhcp_arp_new(struct ev_loop *loop, int fd);
/* The packet socket dhcp_arp_new uses (fd >= 0 there: an already opened
 * one, which it owns from then on; -1: open it itself). Opening needs
 * CAP_NET_RAW: the root parent does it under privilege separation.
 * fd or -errno. */
int dhcp_arp_socket(void);
/* Cancels pending probes without calling their callbacks. NULL is a no-op. */
void dhcp_arp_free(struct dhcp_arp *a);

/* Probe addr (network order) on interface ifindex, asking from src_addr
 * (our address there). 0, or a negative errno (-EAGAIN: too many pending;
 * -EEXIST: a probe for addr is already running - its callback will come). */
int dhcp_arp_probe(struct dhcp_arp *a, int ifindex, uint32_t src_addr, uint32_t addr,
		   unsigned wait_ms, dhcp_arp_cb cb, void *arg);
/* The hardware (MAC) address of interface name, via any socket fd.
 * 0 or a negative errno. */
int dhcp_if_hwaddr(int fd, const char *name, uint8_t mac[6]);
/* Is a probe for addr running? */
bool dhcp_arp_pending(const struct dhcp_arp *a, uint32_t addr);

#endif
