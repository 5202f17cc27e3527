/* dhcp_storm.c - a bounded storm of simulated DHCP clients.
 *
 * N clients with distinct MACs do DISCOVER -> OFFER -> REQUEST -> ACK from
 * one AF_PACKET socket, at most --window in flight, retrying after 1 s.
 * Prints leases/s, latency percentiles (DISCOVER sent to ACK received) and
 * duplicates (one address ACKed to two MACs); --out writes "mac addr" per
 * ACK so a caller can check uniqueness across server restarts. Used by
 * bench/dhcp-storm.sh and tests/integ/t_dhcp_full.sh. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/net.h"
#include "dhcp/dhcp_msg.h"
#include "probe/probe_dhcp.h"

#define CLIENTS_MAX 100000
#define RETRY_MS 1000
#define TRIES_MAX 8

enum cstate { C_IDLE, C_DISCOVER, C_REQUEST, C_DONE, C_FAILED };

struct client {
	uint8_t mac[6];
	uint32_t xid;
	enum cstate st;
	int tries;
	uint32_t offered, server, acked;
	uint64_t t0, t_sent, t_done;
};

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void usage(void)
{
	fprintf(stderr, "usage: dhcp_storm --interface IF [--count N] [--window W] [--port P]\n"
			"                  [--mac-base N] [--sequential] [--rate N/s] [--timeout S] [--out FILE] [--label TEXT]\n");
	exit(2);
}

static int send_msg(int fd, int ifindex, uint16_t port, struct client *c, uint8_t type)
{
	uint8_t dhcp[600], frame[800];
	struct dhcp_msg h;
	memset(&h, 0, sizeof(h));
	h.op = BOOTREQUEST;
	h.htype = 1;
	h.hlen = 6;
	h.xid = c->xid;
	/* Broadcast replies: the storm has no addresses to be unicast to. */
	h.flags = 0x8000;
	memcpy(h.chaddr, c->mac, 6);
	struct wr w = wr_init(dhcp, sizeof(dhcp));
	dhcp_write_header(&w, &h);
	dhcp_write_opt_u8(&w, DHO_MSG_TYPE, type);
	if (type == DHCPREQUEST) {
		dhcp_write_opt(&w, DHO_REQUESTED_IP, &c->offered, 4);
		dhcp_write_opt(&w, DHO_SERVER_ID, &c->server, 4);
	}
	static const uint8_t params[] = { 1, 3, 6, 15, 28 };
	dhcp_write_opt(&w, DHO_PARAM_LIST, params, sizeof(params));
	dhcp_write_finish(&w);
	if (w.err)
		return -ENOBUFS;
	struct probe_udp_pkt p = {
		.src_ip = 0, .dst_ip = htonl(INADDR_BROADCAST), .sport = (uint16_t)(port + 1), .dport = port,
		.payload = dhcp, .len = w.off,
	};
	memset(p.dst_mac, 0xff, 6);
	memcpy(p.src_mac, c->mac, 6);
	int n = probe_frame_build(frame, sizeof(frame), &p);
	if (n < 0)
		return n;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = ifindex, .sll_halen = 6 };
	memset(to.sll_addr, 0xff, 6);
	if (sendto(fd, frame, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	c->t_sent = now_us();
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *ifname = NULL, *outpath = NULL, *label = "server";
	uint64_t count = 200, window = 64, port = 67, base = 0, timeout_s = 60, rate = 0;
	bool sequential = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--sequential")) {
			sequential = true;
			continue;
		}
		if (!v)
			usage();
		int r = 0;
		if (!strcmp(a, "--interface"))
			ifname = v;
		else if (!strcmp(a, "--out"))
			outpath = v;
		else if (!strcmp(a, "--label"))
			label = v;
		else if (!strcmp(a, "--count"))
			r = parse_uint(v, CLIENTS_MAX, &count);
		else if (!strcmp(a, "--window"))
			r = parse_uint(v, CLIENTS_MAX, &window);
		else if (!strcmp(a, "--port"))
			r = parse_uint(v, 65534, &port);
		else if (!strcmp(a, "--mac-base"))
			r = parse_uint(v, 0xffffff, &base);
		else if (!strcmp(a, "--rate"))
			r = parse_uint(v, 1000000, &rate);
		else if (!strcmp(a, "--timeout"))
			r = parse_uint(v, 3600, &timeout_s);
		else
			usage();
		if (r < 0)
			usage();
		i++;
	}
	if (!ifname || count == 0 || window == 0)
		usage();
	int ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		perror(ifname);
		return 1;
	}
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0) {
		perror("AF_PACKET");
		return 1;
	}
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = ifindex };
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("bind");
		return 1;
	}
	int rcv = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
	(void)setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));

	struct client *cl = calloc(count, sizeof(*cl));
	struct dhcp_msg *m = malloc(sizeof(*m));
	if (!cl || !m)
		return 1;
	uint32_t xbase;
	if (getrandom(&xbase, sizeof(xbase), 0) != sizeof(xbase))
		xbase = (uint32_t)now_us();
	for (uint64_t i = 0; i < count; i++) {
		uint32_t k = (uint32_t)(base + i);
		/* Scatter the MACs (a bijection of k, so still distinct):
		 * consecutive MACs make any hash-and-probe allocator collide
		 * on purpose; --sequential keeps them consecutive. */
		if (!sequential) {
			k *= 0x9e3779b1u;
			k ^= k >> 16;
		}
		uint8_t mac[6] = { 0x02, 0x5d, (uint8_t)(k >> 24), (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k };
		memcpy(cl[i].mac, mac, 6);
		cl[i].xid = xbase + (uint32_t)i * 7919u;
	}
	FILE *out = outpath ? fopen(outpath, "a") : NULL;
	if (outpath && !out) {
		perror(outpath);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	uint64_t start = now_us(), deadline = start + timeout_s * 1000000u, next = 0;
	uint64_t inflight = 0, done = 0, failed = 0, naks = 0, retries = 0;
	uint8_t frame[2048];
	while (done + failed < count && now_us() < deadline) {
		/* Fill the window. */
		/* --rate: at most that many clients start per second (a slow
		 * storm, so a test can kill the server in the middle of it). */
		while (inflight < window && next < count &&
		       (!rate || next < 1 + (now_us() - start) * rate / 1000000u)) {
			struct client *c = &cl[next++];
			c->st = C_DISCOVER;
			c->t0 = now_us();
			send_msg(fd, ifindex, (uint16_t)port, c, DHCPDISCOVER);
			inflight++;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		poll(&pfd, 1, 20);
		for (int burst = 0; burst < 1024; burst++) {
			ssize_t n = recv(fd, frame, sizeof(frame), MSG_DONTWAIT);
			if (n < 0)
				break;
			struct probe_udp_pkt p;
			if (probe_frame_parse(frame, (size_t)n, &p) < 0 || p.dport != port + 1)
				continue;
			if (dhcp_msg_parse(m, p.payload, p.len) < 0 || m->op != BOOTREPLY)
				continue;
			uint32_t idx = (m->xid - xbase) / 7919u;
			if (idx >= count || cl[idx].xid != m->xid || memcmp(m->chaddr, cl[idx].mac, 6) != 0)
				continue;
			struct client *c = &cl[idx];
			if (m->msg_type == DHCPOFFER && c->st == C_DISCOVER) {
				uint32_t sid = p.src_ip;
				(void)dhcp_msg_opt_u32(m, DHO_SERVER_ID, &sid);
				c->offered = m->yiaddr;
				c->server = sid;
				c->st = C_REQUEST;
				c->tries = 0;
				send_msg(fd, ifindex, (uint16_t)port, c, DHCPREQUEST);
			} else if (m->msg_type == DHCPACK && c->st == C_REQUEST) {
				c->acked = m->yiaddr;
				c->t_done = now_us();
				c->st = C_DONE;
				done++;
				inflight--;
				if (out) {
					char ms[18], a[16];
					fprintf(out, "%s %s\n", dhcp_mac_str(c->mac, ms), net_ntoa(c->acked, a));
					fflush(out);
				}
			} else if (m->msg_type == DHCPNAK && c->st == C_REQUEST) {
				naks++;
				c->st = C_DISCOVER;
				send_msg(fd, ifindex, (uint16_t)port, c, DHCPDISCOVER);
			}
		}
		/* Retransmit (RFC 2131 4.1: the client retries; we use 1 s flat). */
		uint64_t t = now_us();
		for (uint64_t i = 0; i < next; i++) {
			struct client *c = &cl[i];
			if ((c->st != C_DISCOVER && c->st != C_REQUEST) || t - c->t_sent < RETRY_MS * 1000u)
				continue;
			if (++c->tries >= TRIES_MAX) {
				c->st = C_FAILED;
				failed++;
				inflight--;
				continue;
			}
			retries++;
			send_msg(fd, ifindex, (uint16_t)port, c, c->st == C_DISCOVER ? DHCPDISCOVER : DHCPREQUEST);
		}
	}
	uint64_t end = now_us();
	/* Latency and duplicates over the acknowledged clients. */
	uint64_t *lat = calloc(done + 1, sizeof(*lat));
	uint32_t *addrs = calloc(done + 1, sizeof(*addrs));
	size_t k = 0;
	uint64_t last_done = start;
	for (uint64_t i = 0; i < count; i++) {
		if (cl[i].st != C_DONE)
			continue;
		lat[k] = cl[i].t_done - cl[i].t0;
		addrs[k++] = ntohl(cl[i].acked);
		if (cl[i].t_done > last_done)
			last_done = cl[i].t_done;
	}
	qsort(lat, k, sizeof(*lat), cmp_u64);
	qsort(addrs, k, sizeof(*addrs), cmp_u32);
	size_t dups = 0;
	for (size_t i = 1; i < k; i++)
		dups += addrs[i] == addrs[i - 1];
	double secs = (double)(last_done - start) / 1e6;
	double p50 = k ? (double)lat[k / 2] / 1000.0 : 0, p99 = k ? (double)lat[(k * 99 + 99) / 100 - 1] / 1000.0 : 0;
	printf("%s: clients %llu acked %llu failed %llu naks %llu retries %llu time_s %.3f leases_per_s %.1f "
	       "p50_ms %.2f p99_ms %.2f duplicates %zu\n",
	       label, (unsigned long long)count, (unsigned long long)done, (unsigned long long)(count - done),
	       (unsigned long long)naks, (unsigned long long)retries, secs, secs > 0 ? (double)done / secs : 0.0,
	       p50, p99, dups);
	(void)end;
	if (out)
		fclose(out);
	free(lat);
	free(addrs);
	free(cl);
	free(m);
	close(fd);
	return done == count && dups == 0 ? 0 : 1;
}
