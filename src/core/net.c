/* net.c - interface discovery (getifaddrs + SIOCGIFMTU) and the UDP
 * socket helpers with IP_PKTINFO used by the DHCP and TFTP servers.
 *
 * Owns: interface discovery and UDP socket helpers. Must not touch: protocol code.
 */
#include "core/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int parse_uint(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

bool net_name_in_list(const char *list, const char *name)
{
	if (!list || !*list)
		return true;
	size_t nl = strlen(name);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',' && *e != ' ')
			e++;
		if ((size_t)(e - p) == nl && nl && strncmp(p, name, nl) == 0)
			return true;
		p = e;
	}
	return false;
}

static int iface_mtu(const char *name)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1500;
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int mtu = 1500;
	if (ioctl(fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 576)
		mtu = ifr.ifr_mtu;
	close(fd);
	return mtu;
}

int net_ifaces_scan(struct net_ifaces *out, const char *names)
{
	struct ifaddrs *ifa, *i;
	out->n = 0;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	bool explicit_list = names && *names;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (!(i->ifa_flags & IFF_UP))
			continue;
		bool lo = (i->ifa_flags & IFF_LOOPBACK) != 0;
		if (explicit_list ? !net_name_in_list(names, i->ifa_name) : lo)
			continue;
		int index = (int)if_nametoindex(i->ifa_name);
		if (index <= 0 || net_iface_by_index(out, index))
			continue;
		if (out->n == NET_MAX_IFACES)
			break;
		struct net_iface *n = &out->v[out->n++];
		memset(n, 0, sizeof(*n));
		snprintf(n->name, sizeof(n->name), "%s", i->ifa_name);
		n->index = index;
		n->addr = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr;
		n->mask = i->ifa_netmask ?
			((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr : 0;
		n->mtu = iface_mtu(i->ifa_name);
		n->loopback = lo;
	}
	freeifaddrs(ifa);
	return 0;
}

const struct net_iface *net_iface_by_index(const struct net_ifaces *ifs, int index)
{
	for (size_t i = 0; i < ifs->n; i++)
		if (ifs->v[i].index == index)
			return &ifs->v[i];
	return NULL;
}

int net_udp_socket(uint32_t addr, uint16_t port, bool broadcast)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    (broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0))
		goto fail;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	sin.sin_addr.s_addr = addr;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

uint16_t net_local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	if (getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		return 0;
	return ntohs(sin.sin_port);
}

ssize_t net_recv(int fd, void *buf, size_t len, struct sockaddr_in *from,
		 struct net_pkt_info *info)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr mh = {
		.msg_name = from, .msg_namelen = sizeof(*from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n = recvmsg(fd, &mh, 0);
	if (n < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			info->ifindex = pi.ipi_ifindex;
			info->local_addr = pi.ipi_spec_dst.s_addr;
			info->dst_addr = pi.ipi_addr.s_addr;
		}
	}
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return n;
}

ssize_t net_send(int fd, const void *buf, size_t len, const struct sockaddr_in *to,
		 int ifindex, uint32_t src_addr)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr mh = {
		.msg_name = (void *)(uintptr_t)to, .msg_namelen = sizeof(*to),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	if (ifindex || src_addr)
		net_set_pktinfo(&mh, ctl.buf, ifindex, src_addr);
	ssize_t n = sendmsg(fd, &mh, 0);
	return n < 0 ? -errno : n;
}

void net_set_pktinfo(struct msghdr *mh, void *ctl, int ifindex, uint32_t src_addr)
{
	memset(ctl, 0, NET_PKTINFO_SPACE);
	mh->msg_control = ctl;
	mh->msg_controllen = NET_PKTINFO_SPACE;
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	pi.ipi_ifindex = ifindex;
	pi.ipi_spec_dst.s_addr = src_addr;
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

const char *net_ntoa(uint32_t addr, char *buf)
{
	const uint8_t *b = (const uint8_t *)&addr;
	snprintf(buf, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}

int net_aton(const char *s, uint32_t *ret_addr)
{
	struct in_addr a;
	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret_addr = a.s_addr;
	return 0;
}

int net_parse_cidr(const char *s, uint32_t *ret_addr, uint32_t *ret_mask)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	uint64_t len = 32;
	size_t al = slash ? (size_t)(slash - s) : strlen(s);
	if (al >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, al);
	buf[al] = '\0';
	if (slash && parse_uint(slash + 1, 32, &len) < 0)
		return -EINVAL;
	uint32_t a;
	if (net_aton(buf, &a) < 0)
		return -EINVAL;
	uint32_t m = len ? htonl(~0u << (32 - len)) : 0;
	*ret_addr = a & m;
	*ret_mask = m;
	return 0;
}

int net_neigh_mac(uint32_t addr, uint8_t mac[6])
{
	FILE *f = fopen("/proc/net/arp", "re");
	char line[256], want[16];
	int r = -ENOENT;
	if (!f)
		return -ENOENT;
	net_ntoa(addr, want);
	/* "IP address  HW type  Flags  HW address  Mask  Device" */
	while (fgets(line, sizeof(line), f)) {
		char ip[32], hw[32];
		unsigned type, flags;
		if (sscanf(line, "%31s 0x%x 0x%x %31s", ip, &type, &flags, hw) != 4)
			continue;
		if (strcmp(ip, want) != 0 || !(flags & 0x2)) /* ATF_COM: entry complete */
			continue;
		unsigned b[6];
		if (sscanf(hw, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) == 6) {
			for (int i = 0; i < 6; i++)
				mac[i] = (uint8_t)b[i];
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}
