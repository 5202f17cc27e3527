/* dhcp_server_conf.c - the dhcp-* settings of `dhcp = full`, parsed.
 *
 * Owns the text-to-struct step for dhcp-range, dhcp-netmask, dhcp-router,
 * dhcp-dns and dhcp-lease-time (struct dhcp_server_conf, dhcp_server.h)
 * and the limits on them. Must not touch leases, sockets or replies: the
 * server policy is dhcp_server.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/net.h"
#include "dhcp/dhcp_server.h"

/* Split list at any of seps into IPv4 addresses: at most max of them into
 * v. Returns the count, -E2BIG for too many or too long items, or
 * -EINVAL (with *bad the offending item) for a non-address. */
static int parse_addrs(const char *list, const char *seps, uint32_t *v, size_t max, char *bad, size_t badlen)
{
	const char *p = list ? list : "";
	size_t nv = 0;
	while (*p) {
		while (*p && strchr(seps, *p))
			p++;
		if (!*p)
			break;
		char item[32];
		size_t n = strcspn(p, seps);
		if (n >= sizeof(item) || nv == max)
			return -E2BIG;
		memcpy(item, p, n);
		item[n] = '\0';
		if (net_aton(item, &v[nv]) < 0) {
			snprintf(bad, badlen, "%s", item);
			return -EINVAL;
		}
		nv++;
		p += n;
	}
	return (int)nv;
}

/* dhcp-range: FIRST,LAST[,FIRST,LAST...] - one pool per pair. */
static int parse_range(struct dhcp_server_conf *c, const char *range, char *err, size_t errlen)
{
	uint32_t v[2 * DHCP_POOLS_MAX];
	char bad[32];
	int nv = parse_addrs(range, ", ;", v, 2 * DHCP_POOLS_MAX, bad, sizeof(bad));
	if (nv == -E2BIG) {
		snprintf(err, errlen, "dhcp-range: too many or too long entries");
		return -EINVAL;
	}
	if (nv == -EINVAL) {
		snprintf(err, errlen, "dhcp-range: '%s' is not an IPv4 address", bad);
		return -EINVAL;
	}
	if (nv == 0 || nv % 2) {
		snprintf(err, errlen, "dhcp = full needs dhcp-range = FIRST,LAST (e.g. 10.0.0.100,10.0.0.199)");
		return -EINVAL;
	}
	uint64_t total = 0;
	for (int i = 0; i < nv; i += 2) {
		uint32_t a = ntohl(v[i]), b = ntohl(v[i + 1]);
		if (a == 0 || b < a || b - a >= DHCP_POOL_SIZE_MAX) {
			snprintf(err, errlen, "dhcp-range: pool %d must be FIRST <= LAST with at most %u addresses",
				 i / 2 + 1, DHCP_POOL_SIZE_MAX);
			return -EINVAL;
		}
		/* Every pool address may need a lease entry: more than the
		 * table holds would let clients fill it and starve the rest. */
		total += (uint64_t)(b - a) + 1;
		if (total > DHCP_LEASE_MAX) {
			snprintf(err, errlen, "dhcp-range: at most %u addresses in all pools together",
				 DHCP_LEASE_MAX);
			return -EINVAL;
		}
		c->pool[c->npool].first = a;
		c->pool[c->npool].last = b;
		c->npool++;
	}
	return 0;
}

int dhcp_server_conf_parse(struct dhcp_server_conf *c, const char *range, const char *netmask,
			   const char *router, const char *dns, unsigned lease_time,
			   char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->lease_time = lease_time ? lease_time : 3600;
	c->offer_hold = 60;
	/* RFC 2131 3.1 step 5 leaves the quarantine length to the server;
	 * dnsmasq uses 10 minutes (DECLINE_BACKOFF). */
	c->decline_hold = 600;
	c->probe = true;

	if (parse_range(c, range, err, errlen) < 0)
		return -EINVAL;
	if (netmask && *netmask) {
		uint32_t m;
		/* A netmask is ones then zeros: ~m + 1 is a power of two. */
		if (net_aton(netmask, &m) < 0 || (~ntohl(m) & (~ntohl(m) + 1)) != 0) {
			snprintf(err, errlen, "dhcp-netmask: '%s' is not a netmask", netmask);
			return -EINVAL;
		}
		c->netmask = m;
	}
	if (router && *router && net_aton(router, &c->router) < 0) {
		snprintf(err, errlen, "dhcp-router: '%s' is not an IPv4 address", router);
		return -EINVAL;
	}
	char bad[32];
	int n = parse_addrs(dns, ", ", c->dns, DHCP_DNS_MAX, bad, sizeof(bad));
	if (n == -E2BIG) {
		snprintf(err, errlen, "dhcp-dns: at most %d addresses", DHCP_DNS_MAX);
		return -EINVAL;
	}
	if (n == -EINVAL) {
		snprintf(err, errlen, "dhcp-dns: '%s' is not an IPv4 address", bad);
		return -EINVAL;
	}
	c->ndns = (size_t)n;
	return 0;
}
