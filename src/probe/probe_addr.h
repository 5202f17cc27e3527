/* probe_addr.h - the simulated Pi's own network stack for its TFTP phase.
 *
 * A real Pi talks TFTP from the address it was offered and answers ARP for
 * it with its own MAC (doc 1.2: the ROM "takes the OFFER's yiaddr and
 * starts TFTP"). probe gives each Pi the same: the Pi's thread moves into a
 * private network namespace holding one macvlan of the probed interface
 * with the Pi's MAC, named eth0, and puts the offered address there. Nothing
 * changes on the host's interface; the namespace and its macvlan vanish
 * when the thread leaves it (or the process dies, even by SIGKILL).
 *
 * Owns: the simulated Pi's namespace, macvlan and address. Must not touch: the probed host's own interface addresses.
 */
#ifndef PINETBOOT_PROBE_ADDR_H
#define PINETBOOT_PROBE_ADDR_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Prefix length of a netmask (network order); -EINVAL when the mask is
 * not contiguous. */
int probe_mask_plen(uint32_t mask);

/* addr (network order) lies in net/plen. */
bool probe_addr_in_prefix(uint32_t addr, uint32_t net, unsigned plen);

/* The interface has at least one IPv4 address (current namespace). */
bool probe_iface_has_ipv4(int ifindex);

/* Most addresses one run can claim (--count 1000, two DHCP stages each). */
#define PROBE_ADDR_MAX 2048u

/* Record that owner (a Pi id) uses addr. 0 when free or already owner's;
 * -EADDRINUSE when another Pi of this run holds it (other_owner filled,
 * 9 bytes); -ENOSPC when the table is full. */
int probe_addr_claim(uint32_t addr, const char *owner, char other_owner[9]);

struct probe_nic {
	bool active;          /* the calling thread is in the Pi's namespace */
	int home_fd;          /* the namespace to go back to, -1 when none */
	int ifindex;          /* the macvlan inside the Pi's namespace */
	char ifname[IF_NAMESIZE];
};

/* Move the calling thread into a new network namespace with a macvlan of
 * parent_ifindex (its MAC = mac) named eth0, up, IPv6 off. 0, or negative
 * errno with a reason in why. On failure the thread stays where it was. */
int probe_nic_enter(struct probe_nic *n, int parent_ifindex, const uint8_t mac[6], char *why, size_t cap);
/* Back to the original namespace (nothing when not active). */
void probe_nic_leave(struct probe_nic *n);

/* rtnetlink in the current namespace; addresses in network order.
 * 0 or negative errno (-EEXIST when already there). */
int probe_nl_addr_add(int ifindex, uint32_t addr, unsigned plen);
int probe_nl_route_add(int ifindex, uint32_t dst, unsigned dst_len, uint32_t gw);

#endif
