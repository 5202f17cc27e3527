/* probe_addr.c - a private network stack per simulated Pi, via rtnetlink.
 *
 * Why a namespace + macvlan and not an extra address on the probed
 * interface: a full DHCP server points its neighbour table at the Pi's MAC
 * (chaddr) before it unicasts, so TFTP replies go to that MAC; only a NIC
 * with that MAC receives them. A second address on the host's interface
 * would also make the host answer ARP for it ("ARP flux") and leave state
 * behind if probe died. Messages are built into byte buffers with memcpy,
 * never by casting structs over them.
 *
 * Owns: the per-Pi network namespace and its rtnetlink setup. Must not touch: the host's namespace beyond the macvlan it adds.
 */
#include "probe/probe_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int probe_mask_plen(uint32_t mask)
{
	uint32_t m = ntohl(mask);
	int n = 0;
	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	/* Every bit after the first zero must be zero too. */
	if (n < 32 && (m << n) != 0)
		return -EINVAL;
	return n;
}

bool probe_addr_in_prefix(uint32_t addr, uint32_t net, unsigned plen)
{
	uint32_t mask = plen == 0 ? 0 : plen >= 32 ? 0xffffffffu : 0xffffffffu << (32 - plen);
	return ((ntohl(addr) ^ ntohl(net)) & mask) == 0;
}

bool probe_iface_has_ipv4(int ifindex)
{
	struct ifaddrs *all, *i;
	char name[IF_NAMESIZE];
	bool found = false;
	if (!if_indextoname((unsigned)ifindex, name) || getifaddrs(&all) < 0)
		return false;
	for (i = all; i && !found; i = i->ifa_next)
		found = i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, name) == 0;
	freeifaddrs(all);
	return found;
}

/* ---------------------------------------------------------------- claims */

static pthread_mutex_t claims_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uint32_t addr;
	char owner[9];
} claims[PROBE_ADDR_MAX];
static unsigned n_claims;

int probe_addr_claim(uint32_t addr, const char *owner, char other_owner[9])
{
	int ret = 0;
	unsigned i;
	pthread_mutex_lock(&claims_mu);
	for (i = 0; i < n_claims && claims[i].addr != addr; i++)
		;
	if (i < n_claims) {
		if (strcmp(claims[i].owner, owner) != 0) {
			snprintf(other_owner, 9, "%s", claims[i].owner);
			ret = -EADDRINUSE;
		}
	} else if (n_claims == PROBE_ADDR_MAX) {
		ret = -ENOSPC;
	} else {
		claims[n_claims].addr = addr;
		snprintf(claims[n_claims].owner, sizeof(claims[0].owner), "%s", owner);
		n_claims++;
	}
	pthread_mutex_unlock(&claims_mu);
	return ret;
}

/* ---------------------------------------------------------------- netlink */

struct nlbuf {
	uint8_t b[512];
	size_t len;
	size_t nest[4];   /* offsets of open nested attributes */
	unsigned depth;
};

static void nl_put(struct nlbuf *m, const void *p, size_t n)
{
	memcpy(m->b + m->len, p, n);
	m->len += NLMSG_ALIGN(n);
}

static void nl_attr(struct nlbuf *m, uint16_t type, const void *p, size_t n)
{
	struct rtattr ra = { .rta_len = (unsigned short)RTA_LENGTH(n), .rta_type = type };
	memcpy(m->b + m->len, &ra, sizeof(ra));
	if (n)
		memcpy(m->b + m->len + RTA_LENGTH(0), p, n);
	m->len += RTA_SPACE(n);
}

static void nl_u32(struct nlbuf *m, uint16_t type, uint32_t v)
{
	nl_attr(m, type, &v, sizeof(v));
}

static void nl_nest_begin(struct nlbuf *m, uint16_t type)
{
	m->nest[m->depth++] = m->len;
	nl_attr(m, type, NULL, 0);
}

static void nl_nest_end(struct nlbuf *m)
{
	size_t at = m->nest[--m->depth];
	unsigned short len = (unsigned short)(m->len - at);
	memcpy(m->b + at + offsetof(struct rtattr, rta_len), &len, sizeof(len));
}

static void nl_begin(struct nlbuf *m, uint16_t type, uint16_t flags, const void *body, size_t n)
{
	memset(m, 0, sizeof(*m));
	struct nlmsghdr h = {
		.nlmsg_type = type, .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags), .nlmsg_seq = 1,
	};
	nl_put(m, &h, sizeof(h));
	nl_put(m, body, n);
}

/* Send one request on fd and read its ACK: 0 or the kernel's -errno. */
static int nl_talk_fd(int fd, struct nlbuf *m)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint32_t len = (uint32_t)m->len;
	memcpy(m->b + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
	if (sendto(fd, m->b, m->len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	/* The ACK comes at once; the bound is for a kernel that never answers. */
	for (int tries = 0; tries < 8; tries++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 2000) <= 0)
			return -ETIMEDOUT;
		uint8_t rx[1024];
		ssize_t n = recv(fd, rx, sizeof(rx), 0);
		struct nlmsghdr h;
		struct nlmsgerr e;
		if (n < (ssize_t)NLMSG_LENGTH(sizeof(e)))
			continue;
		memcpy(&h, rx, sizeof(h));
		if (h.nlmsg_type != NLMSG_ERROR)
			continue;
		memcpy(&e, rx + NLMSG_HDRLEN, sizeof(e));
		return e.error; /* 0 = ACK */
	}
	return -EIO;
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	return fd < 0 ? -errno : fd;
}

/* One request on a fresh socket of the current namespace. */
static int nl_talk(struct nlbuf *m)
{
	int fd = nl_open();
	if (fd < 0)
		return fd;
	int r = nl_talk_fd(fd, m);
	close(fd);
	return r;
}

int probe_nl_addr_add(int ifindex, uint32_t addr, unsigned plen)
{
	struct nlbuf m;
	if (plen > 32)
		return -EINVAL;
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET, .ifa_prefixlen = (uint8_t)plen, .ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (uint32_t)ifindex,
	};
	nl_begin(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa));
	nl_attr(&m, IFA_LOCAL, &addr, 4);
	nl_attr(&m, IFA_ADDRESS, &addr, 4);
	if (plen < 31) {
		uint32_t mask = plen ? htonl(0xffffffffu << (32 - plen)) : 0;
		uint32_t bcast = addr | ~mask;
		nl_attr(&m, IFA_BROADCAST, &bcast, 4);
	}
	return nl_talk(&m);
}

int probe_nl_route_add(int ifindex, uint32_t dst, unsigned dst_len, uint32_t gw)
{
	struct nlbuf m;
	if (dst_len > 32)
		return -EINVAL;
	struct rtmsg rt = {
		.rtm_family = AF_INET, .rtm_dst_len = (uint8_t)dst_len, .rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_STATIC, .rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	nl_begin(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt));
	if (dst_len)
		nl_attr(&m, RTA_DST, &dst, 4);
	if (gw)
		nl_attr(&m, RTA_GATEWAY, &gw, 4);
	nl_u32(&m, RTA_OIF, (uint32_t)ifindex);
	return nl_talk(&m);
}

static int nl_link_up(int ifindex)
{
	struct nlbuf m;
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP,
	};
	nl_begin(&m, RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	return nl_talk(&m);
}

/* Create "eth0", a bridge-mode macvlan of parent with mac, directly inside
 * the namespace ns_fd. fd is a netlink socket of the parent's namespace. */
static int nl_macvlan_into(int fd, int parent, const uint8_t mac[6], int ns_fd)
{
	struct nlbuf m;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	nl_begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof(ifi));
	nl_attr(&m, IFLA_IFNAME, "eth0", 5);
	nl_attr(&m, IFLA_ADDRESS, mac, 6);
	nl_u32(&m, IFLA_LINK, (uint32_t)parent);
	nl_u32(&m, IFLA_NET_NS_FD, (uint32_t)ns_fd);
	nl_nest_begin(&m, IFLA_LINKINFO);
	nl_attr(&m, IFLA_INFO_KIND, "macvlan", 8);
	nl_nest_begin(&m, IFLA_INFO_DATA);
	nl_u32(&m, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
	nl_nest_end(&m);
	nl_nest_end(&m);
	return nl_talk_fd(fd, &m);
}

/* Best effort: the boot firmware does no IPv6 (USE_IPV6 aside), so the
 * Pi's link sends no router solicitations or DAD. */
static void ipv6_off(void)
{
	int fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1\n", 2) < 0) {
		/* no IPv6 in this kernel: nothing to turn off */
	}
	close(fd);
}

int probe_nic_enter(struct probe_nic *n, int parent_ifindex, const uint8_t mac[6], char *why, size_t cap)
{
	int r, nl = -1, ns = -1;
	memset(n, 0, sizeof(*n));
	n->home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->home_fd < 0) {
		r = -errno;
		snprintf(why, cap, "/proc/thread-self/ns/net: %s", strerror(-r));
		return r;
	}
	/* The netlink socket stays in the parent's namespace: the macvlan is
	 * created from there, directly inside the new one. */
	nl = nl_open();
	if (nl < 0) {
		r = nl;
		snprintf(why, cap, "netlink socket: %s", strerror(-r));
		goto fail;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		r = -errno;
		snprintf(why, cap, "new network namespace: %s", strerror(-r));
		goto fail;
	}
	n->active = true;
	ipv6_off();
	ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0) {
		r = -errno;
		snprintf(why, cap, "own namespace: %s", strerror(-r));
		goto fail;
	}
	r = nl_macvlan_into(nl, parent_ifindex, mac, ns);
	if (r < 0) {
		snprintf(why, cap, "macvlan with the Pi's MAC: %s%s", strerror(-r),
			 r == -EADDRINUSE ? " (the MAC of the interface or of another Pi)" : "");
		goto fail;
	}
	snprintf(n->ifname, sizeof(n->ifname), "eth0");
	n->ifindex = (int)if_nametoindex(n->ifname);
	r = n->ifindex ? nl_link_up(n->ifindex) : -ENODEV;
	if (r < 0) {
		snprintf(why, cap, "bringing up the Pi's macvlan: %s", strerror(-r));
		goto fail;
	}
	close(nl);
	close(ns);
	return 0;
fail:
	if (nl >= 0)
		close(nl);
	if (ns >= 0)
		close(ns);
	probe_nic_leave(n);
	return r;
}

void probe_nic_leave(struct probe_nic *n)
{
	if (n->active && n->home_fd >= 0 && setns(n->home_fd, CLONE_NEWNET) < 0) {
		/* Cannot happen with CAP_SYS_ADMIN, which unshare needed; the
		 * thread ends soon and the namespace with it. */
	}
	if (n->home_fd >= 0)
		close(n->home_fd);
	n->home_fd = -1;
	n->active = false;
}
