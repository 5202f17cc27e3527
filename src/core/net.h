/* net.h - IPv4 interfaces and UDP sockets with IP_PKTINFO.
 *
 * Replies must leave through the interface a request arrived on, from that
 * interface's address (dnsmasq does the same with IP_PKTINFO), so every
 * receive reports the ingress ifindex and local address and every send can
 * pin both. Interfaces are discovered at start and on demand; nobody has to
 * type an address or a broadcast address.
 *
 * Owns: the interface list and UDP helpers' interface. Must not touch: protocol code.
 */
#ifndef PINETBOOT_CORE_NET_H
#define PINETBOOT_CORE_NET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct net_iface {
	char name[IF_NAMESIZE];
	int index;
	uint32_t addr;  /* network order */
	uint32_t mask;  /* network order */
	int mtu;
	bool loopback;
};

#define NET_MAX_IFACES 64

struct net_ifaces {
	struct net_iface v[NET_MAX_IFACES];
	size_t n;
};

/* Discover IPv4 interfaces that are up. If names is non-NULL and non-empty
 * (comma separated) only those are kept (loopback included when named);
 * otherwise every non-loopback interface with an IPv4 address. Returns 0 or
 * a negative errno. An interface with several addresses yields its first. */
int net_ifaces_scan(struct net_ifaces *out, const char *names);
const struct net_iface *net_iface_by_index(const struct net_ifaces *ifs, int index);
/* True when name is in the comma list (or the list is empty). */
bool net_name_in_list(const char *list, const char *name);

/* UDP socket bound to addr:port (network-order addr), non-blocking,
 * close-on-exec, SO_REUSEADDR, IP_PKTINFO on; SO_BROADCAST when asked.
 * Returns the fd or a negative errno. */
int net_udp_socket(uint32_t addr, uint16_t port, bool broadcast);
/* The local port a socket is bound to (host order), 0 on error. */
uint16_t net_local_port(int fd);

struct net_pkt_info {
	int ifindex;          /* interface the packet arrived on */
	uint32_t local_addr;  /* ipi_spec_dst: our address to answer from */
	uint32_t dst_addr;    /* ipi_addr: destination in the IP header */
};

/* recvmsg with IP_PKTINFO. Returns bytes or a negative errno (-EAGAIN). */
ssize_t net_recv(int fd, void *buf, size_t len, struct sockaddr_in *from,
		 struct net_pkt_info *info);
/* sendmsg pinning the egress interface (ifindex, 0 = routing decides) and
 * source address (0 = kernel decides). Returns bytes or a negative errno. */
ssize_t net_send(int fd, const void *buf, size_t len, const struct sockaddr_in *to,
		 int ifindex, uint32_t src_addr);

/* Attach an IP_PKTINFO control message (egress ifindex, source address)
 * to mh, using ctl (at least NET_PKTINFO_SPACE bytes, suitably aligned). */
#define NET_PKTINFO_SPACE CMSG_SPACE(sizeof(struct in_pktinfo))
void net_set_pktinfo(struct msghdr *mh, void *ctl, int ifindex, uint32_t src_addr);

/* Dotted quad of a network-order address into buf (>= 16 bytes). */
const char *net_ntoa(uint32_t addr, char *buf);
/* Parse a dotted quad; 0 or -EINVAL. */
int net_aton(const char *s, uint32_t *ret_addr);
/* Parse "a.b.c.d/len" into network-order address and mask; 0 or -EINVAL. */
int net_parse_cidr(const char *s, uint32_t *ret_addr, uint32_t *ret_mask);

/* MAC address the kernel's neighbour table (ARP) holds for addr (network
 * order). 0, or -ENOENT when there is no complete entry. Used to tie an
 * NFS or TFTP request from an address to the Pi (MAC) that booted. */
int net_neigh_mac(uint32_t addr, uint8_t mac[6]);

/* Strict decimal parser: whole string, no sign, no spaces, <= max. 0 or -EINVAL/-ERANGE. */
int parse_uint(const char *s, uint64_t max, uint64_t *ret);

#endif
