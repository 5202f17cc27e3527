/* probe_dhcp_io.c - the DHCP phase of a simulated Pi on an AF_PACKET socket.
 *
 * A real Pi has no address yet, so frames are built by hand and sent as
 * Ethernet broadcasts from the Pi's MAC (doc 1.1). A BPF filter passes only
 * UDP to our client port carrying our chaddr, so 500 Pis on one link each
 * see only their own replies. Timing follows doc 1.2 and 1.4.
 *
 * Owns: the DHCP phase's raw sockets. Must not touch: packet contents (probe_dhcp.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp/dhcp_msg.h"
#include "probe/probe_run.h"

#define PI3_RETRY_MS 5000u       /* 3B ROM: 5 DISCOVERs 5 s apart (doc 1.2) */
#define PI3_SENDS 5u
#define EEPROM_RETRY_MS 4000u    /* DHCP_REQ_TIMEOUT default (doc 1.4) */
#define REQUEST_TRIES 3u

static const char *const stage_names[PROBE_DISC_MAX] = {
	[PROBE_DISC_3B_ROM] = "3B ROM", [PROBE_DISC_3_ROM] = "3B+ ROM",
	[PROBE_DISC_BOOTCODE] = "bootcode.bin", [PROBE_DISC_EEPROM] = "EEPROM",
};

static uint32_t random32(void)
{
	uint32_t v = 0;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v = (uint32_t)probe_now_ms() * 2654435761u;
	return v;
}

static int attach_filter(int fd, uint16_t client_port, const uint8_t mac[6])
{
	/* Offsets: Ethernet 14, IP header length from the IHL nibble (X), then
	 * UDP dport at X+16, BOOTP chaddr at X+14+8+28. DROP is the last insn. */
	uint32_t mac_hi = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 | (uint32_t)mac[2] << 8 | mac[3];
	uint32_t mac_lo = (uint32_t)mac[4] << 8 | mac[5];
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 12),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 10),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x3fff, 8, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, client_port, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 50),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_hi, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 54),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, mac_lo, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog fp = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
}

static int open_packet_sock(struct probe_ctx *c)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		return -errno;
	if (attach_filter(fd, (uint16_t)(c->o->dhcp_port + 1), c->pi.mac) < 0)
		goto fail;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = c->ifindex,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	/* A full DHCP server unicasts its OFFER to chaddr, which is not the
	 * interface's own MAC: without promiscuous mode a real NIC drops it.
	 * The membership ends with the socket. The Pi's own macvlan has the
	 * Pi's MAC and needs none. */
	if (!c->nic.active) {
		struct packet_mreq mr = { .mr_ifindex = c->ifindex, .mr_type = PACKET_MR_PROMISC };
		(void)setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
	}
	/* Drop anything queued before the filter and bind took effect. */
	uint8_t junk[64];
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) >= 0)
		;
	return fd;
fail:;
	int e = -errno;
	close(fd);
	return e;
}

/* On the Pi's own link the kernel holds the offered address, so a reply
 * unicast to it would draw an ICMP port unreachable, which no Pi sends:
 * a UDP socket on the client port takes those replies (the packet socket
 * still sees them). -1 when not needed or not possible. */
static int open_client_port(struct probe_ctx *c)
{
	if (!c->nic.active)
		return -1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(c->o->dhcp_port + 1)) };
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int send_frame(struct probe_ctx *c, int fd, const uint8_t *payload, size_t len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t frame[1600];
	struct probe_udp_pkt pkt = {
		.src_ip = htonl(INADDR_ANY), .dst_ip = htonl(INADDR_BROADCAST),
		.sport = (uint16_t)(c->o->dhcp_port + 1), .dport = c->o->dhcp_port,
		.payload = payload, .len = len,
	};
	memcpy(pkt.dst_mac, bcast, 6);
	memcpy(pkt.src_mac, c->pi.mac, 6);
	int n = probe_frame_build(frame, sizeof(frame), &pkt);
	if (n < 0)
		return n;
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = c->ifindex,
		.sll_halen = 6,
	};
	memcpy(to.sll_addr, bcast, 6);
	if (sendto(fd, frame, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

static void dump_reply(struct probe_ctx *c, const struct probe_udp_pkt *pkt)
{
	char ip[INET_ADDRSTRLEN], path[600];
	if (!c->o->dump_dir)
		return;
	inet_ntop(AF_INET, &pkt->src_ip, ip, sizeof(ip));
	snprintf(path, sizeof(path), "%s/%s-%u-%s.bin", c->o->dump_dir, c->pi.id, ++c->dump_n, ip);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, pkt->payload, pkt->len) != (ssize_t)pkt->len)
		probe_tl_add(&c->tl, "dhcp", "warning: cannot write %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Receive one reply for us. 1 = *m and *off filled, 0 = nothing usable. */
static int recv_reply(struct probe_ctx *c, int fd, uint32_t xid, bool pi3, struct dhcp_msg *m,
		      struct probe_offer *off)
{
	uint8_t frame[2048];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, frame, sizeof(frame), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < 0)
		return -1;
	if (from.sll_pkttype == PACKET_OUTGOING || from.sll_ifindex != c->ifindex)
		return 0;
	struct probe_udp_pkt pkt;
	if (probe_frame_parse(frame, (size_t)n, &pkt) < 0 || pkt.dport != c->o->dhcp_port + 1)
		return 0;
	dump_reply(c, &pkt);
	if (dhcp_msg_parse(m, pkt.payload, pkt.len) < 0) {
		probe_tl_add(&c->tl, "dhcp", "ignored malformed reply (%zu bytes)", pkt.len);
		return 0;
	}
	probe_judge_offer(m, pkt.src_ip, pi3, xid, c->pi.mac, off);
	return 1;
}

static const char *ip_str(uint32_t a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* An OFFER during the DISCOVER loop. */
static void on_offer(struct probe_ctx *c, struct probe_dhcp_result *res, const struct dhcp_msg *m,
		     const struct probe_offer *off, uint64_t since_disc, unsigned disc_no)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], why[256];
	res->offers++;
	if (off->problems & (PROBE_OP_NOT_REPLY | PROBE_OP_XID | PROBE_OP_CHADDR)) {
		res->ignored++;
		probe_tl_add(&c->tl, "dhcp", "ignored %s from %s: %s", dhcp_type_name(m->msg_type),
			     ip_str(off->src_ip, a),
			     probe_offer_problems_str(off->problems, why, sizeof(why)));
		return;
	}
	if (m->msg_type != DHCPOFFER && !off->is_boot) {
		probe_tl_add(&c->tl, "dhcp", "ignored %s from %s", dhcp_type_name(m->msg_type),
			     ip_str(off->src_ip, a));
		return;
	}
	if (off->is_boot && !res->boot) {
		char nth[32] = "";
		if (disc_no > 1)
			snprintf(nth, sizeof(nth), " (to DISCOVER #%u)", disc_no);
		res->boot = true;
		res->offer = *off;
		res->boot_ms = since_disc;
		probe_tl_add(&c->tl, "dhcp", "boot offer from %s (menu '%s') after %llu ms%s, tftp %s%s",
			     ip_str(off->src_ip, a), off->menu, (unsigned long long)since_disc, nth,
			     ip_str(off->tftp_ip, b), off->tftp_from_opt66 ? " (option 66)" : "");
		if (off->problems)
			probe_tl_add(&c->tl, "dhcp", "boot offer problems: %s",
				     probe_offer_problems_str(off->problems, why, sizeof(why)));
	} else if (!off->is_boot) {
		probe_tl_add(&c->tl, "dhcp", "offer from %s without the Raspberry Pi menu%s%s%s",
			     ip_str(off->src_ip, a), off->menu[0] ? " (menu '" : "", off->menu,
			     off->menu[0] ? "')" : "");
	} else {
		probe_tl_add(&c->tl, "dhcp", "another boot offer from %s (ignored, first one wins)",
			     ip_str(off->src_ip, a));
	}
	if (off->yiaddr && !res->have_addr) {
		res->have_addr = true;
		res->addr = off->yiaddr;
		res->addr_mask = off->mask;
		res->addr_router = off->router;
		res->addr_server = off->server_id ? off->server_id : off->src_ip;
		probe_tl_add(&c->tl, "dhcp", "address offer %s from %s", ip_str(off->yiaddr, a),
			     ip_str(res->addr_server, b));
	}
}

/* Pi 4/5: REQUEST the offered address and wait for the ACK (doc 1.4). */
static void request_phase(struct probe_ctx *c, int fd, uint32_t xid, unsigned retry,
			  struct probe_dhcp_result *res)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	uint8_t req[600];
	int rl = probe_build_request(req, sizeof(req), &c->pi, xid, res->addr, res->addr_server);
	bool ours = res->addr_server == res->offer.server_id || res->addr_server == res->offer.src_ip;
	for (unsigned t = 0; t < REQUEST_TRIES && !res->acked && rl > 0; t++) {
		if (send_frame(c, fd, req, (size_t)rl) < 0)
			break;
		probe_tl_add(&c->tl, "dhcp", "REQUEST %s from %s (xid %08x)", ip_str(res->addr, a),
			     ip_str(res->addr_server, b), xid);
		uint64_t until = probe_now_ms() + retry;
		if (until > c->deadline)
			until = c->deadline;
		for (uint64_t now = probe_now_ms(); now < until && !res->acked; now = probe_now_ms()) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (poll(&p, 1, (int)(until - now)) <= 0)
				continue;
			struct dhcp_msg m;
			struct probe_offer off;
			int r;
			while (!res->acked && (r = recv_reply(c, fd, xid, false, &m, &off)) >= 0) {
				if (r == 0 || (off.problems & (PROBE_OP_XID | PROBE_OP_CHADDR)))
					continue;
				uint32_t from = off.server_id ? off.server_id : off.src_ip;
				if (m.msg_type == DHCPACK && from == res->addr_server) {
					res->acked = true;
					probe_tl_add(&c->tl, "dhcp", "ACK %s from %s", ip_str(m.yiaddr, a),
						     ip_str(from, b));
				} else if (m.msg_type == DHCPNAK && from == res->addr_server) {
					probe_tl_add(&c->tl, "dhcp", "NAK from %s", ip_str(from, b));
					if (ours)
						probe_fail(c, "DHCP server %s NAKed our REQUEST", b);
					return;
				}
			}
		}
	}
	if (!res->acked) {
		if (ours)
			probe_fail(c, "no ACK from %s for %s", ip_str(res->addr_server, b), ip_str(res->addr, a));
		else
			probe_tl_add(&c->tl, "dhcp", "note: no ACK from %s (not the boot server, ignored)",
				     ip_str(res->addr_server, b));
	}
}

/* The DISCOVER phase's schedule and progress (times in ms). */
struct disc_phase {
	enum probe_disc_kind kind;
	bool pi3;
	uint32_t xid;
	unsigned retry, max_sends, grace, sends;
	uint64_t phase_len;
	uint64_t start, last_disc, next_send, phase_end, grace_end;
	uint8_t disc[600];
	int dl;                   /* DISCOVER length, or a negative errno */
};

static void disc_phase_init(struct probe_ctx *c, enum probe_disc_kind kind, struct disc_phase *ph)
{
	const struct probe_opts *o = c->o;
	memset(ph, 0, sizeof(*ph));
	ph->kind = kind;
	ph->pi3 = kind != PROBE_DISC_EEPROM;
	ph->retry = o->dhcp_retry_ms ? o->dhcp_retry_ms : ph->pi3 ? PI3_RETRY_MS : EEPROM_RETRY_MS;
	/* 3B ROM: 5 DISCOVERs then low-power sleep (doc 1.2); EEPROM: resend
	 * every DHCP_REQ_TIMEOUT within DHCP_TIMEOUT = 45 s, i.e. 11.25 retry
	 * intervals, kept in proportion when --dhcp-retry-ms shortens them. */
	ph->max_sends = ph->pi3 ? PI3_SENDS : UINT_MAX;
	ph->phase_len = ph->pi3 ? (uint64_t)ph->retry * PI3_SENDS : (uint64_t)ph->retry * 45 / 4;
	/* After a proxy offer (no address) wait up to one retry interval for
	 * the LAN server's offer, as the firmware would before DISCOVERing
	 * again; dnsmasq pings an address ~3 s before offering it. */
	ph->grace = ph->retry;
	ph->xid = ph->pi3 ? PROBE_PI3_XID : random32();
}

/* Send the next DISCOVER when it is due. Negative errno if it cannot. */
static int send_discover_if_due(struct probe_ctx *c, int fd, struct disc_phase *ph, uint64_t now)
{
	if (ph->sends >= ph->max_sends || now < ph->next_send)
		return 0;
	int e = ph->dl < 0 ? ph->dl : send_frame(c, fd, ph->disc, (size_t)ph->dl);
	if (e < 0) {
		probe_fail(c, "sending DISCOVER on %s: %s", c->ifname, strerror(-e));
		return e;
	}
	ph->sends++;
	ph->last_disc = now;
	ph->next_send = now + ph->retry;
	probe_tl_add(&c->tl, "dhcp", "DISCOVER #%u xid %08x (%s, %d bytes)", ph->sends, ph->xid,
		     stage_names[ph->kind], ph->dl);
	return 0;
}

/* Wait until the next send, the end of the grace or of the phase, and
 * take every reply that arrived. */
static void receive_offers(struct probe_ctx *c, int fd, struct disc_phase *ph, struct probe_dhcp_result *res,
			   uint64_t now)
{
	uint64_t wake = ph->phase_end;
	if (ph->sends < ph->max_sends && ph->next_send < wake)
		wake = ph->next_send;
	if (res->boot && ph->grace_end < wake)
		wake = ph->grace_end;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, wake > now ? (int)(wake - now) : 0) <= 0)
		return;
	struct dhcp_msg m;
	struct probe_offer off;
	int r;
	while ((r = recv_reply(c, fd, ph->xid, ph->pi3, &m, &off)) >= 0) {
		if (r == 0)
			continue;
		bool had_boot = res->boot;
		on_offer(c, res, &m, &off, probe_now_ms() - ph->last_disc, ph->sends);
		if (res->boot && !had_boot)
			ph->grace_end = probe_now_ms() + ph->grace;
	}
}

/* After the DISCOVERs: note what was missing, or REQUEST the address
 * (EEPROM bootloader only). */
static void finish_phase(struct probe_ctx *c, int fd, const struct disc_phase *ph, struct probe_dhcp_result *res)
{
	if (!res->boot) {
		probe_tl_add(&c->tl, "dhcp", "no boot offer after %u DISCOVERs in %.1f s (%u replies seen)",
			     ph->sends, (double)(probe_now_ms() - ph->start) / 1000.0, res->offers);
	} else if (!res->have_addr) {
		probe_tl_add(&c->tl, "dhcp", "note: no offer with an address (proxy only? a real Pi also "
					     "needs the LAN's DHCP server)");
	} else if (!ph->pi3 && !c->o->expect_no_answer) {
		request_phase(c, fd, ph->xid, ph->retry, res);
	}
}

int probe_dhcp_phase(struct probe_ctx *c, enum probe_disc_kind kind, struct probe_dhcp_result *res)
{
	struct disc_phase ph;
	disc_phase_init(c, kind, &ph);
	memset(res, 0, sizeof(*res));

	int fd = open_packet_sock(c);
	if (fd < 0) {
		probe_fail(c, "packet socket on %s: %s", c->ifname, strerror(-fd));
		return fd;
	}
	int port_fd = open_client_port(c);
	ph.dl = probe_build_discover(ph.disc, sizeof(ph.disc), kind, &c->pi, ph.xid);
	ph.start = ph.last_disc = ph.next_send = probe_now_ms();
	ph.phase_end = ph.start + ph.phase_len;
	if (ph.phase_end > c->deadline)
		ph.phase_end = c->deadline;
	int ret = 0;
	for (;;) {
		uint64_t now = probe_now_ms();
		/* Done: a boot offer plus an address (or the wait for one is
		 * over); with --expect-no-answer any boot offer already decides. */
		if (res->boot && (c->o->expect_no_answer || res->have_addr || now >= ph.grace_end))
			break;
		if (now >= ph.phase_end)
			break;
		ret = send_discover_if_due(c, fd, &ph, now);
		if (ret < 0)
			break;
		receive_offers(c, fd, &ph, res, now);
	}
	if (ret == 0)
		finish_phase(c, fd, &ph, res);
	close(fd);
	if (port_fd >= 0)
		close(port_fd);
	return ret;
}

int probe_take_address(struct probe_ctx *c, const struct probe_dhcp_result *res)
{
	char a[INET_ADDRSTRLEN], other[9], why[200];
	int plen = res->addr_mask ? probe_mask_plen(res->addr_mask) : -EINVAL;
	int r = probe_addr_claim(res->addr, c->pi.id, other);
	if (r < 0) {
		probe_fail(c, "address %s: %s", ip_str(res->addr, a),
			   r == -EADDRINUSE ? "offered to another simulated Pi too" : strerror(-r));
		if (r == -EADDRINUSE)
			probe_tl_add(&c->tl, "addr", "%s is Pi %s's", a, other);
		c->stop = true;
		return r;
	}
	if (!c->nic.active) {
		r = probe_nic_enter(&c->nic, c->o->ifindex, c->pi.mac, why, sizeof(why));
		if (r < 0) {
			probe_fail(c, "cannot give the Pi its own link on %s: %s", c->o->ifname, why);
			c->stop = true;
			return r;
		}
		c->ifindex = c->nic.ifindex;
		c->ifname = c->nic.ifname;
		probe_tl_add(&c->tl, "addr", "own link: macvlan of %s with the Pi's MAC %s, own namespace",
			     c->o->ifname, c->mac_str);
	}
	if (plen < 0) {
		plen = 32;
		probe_tl_add(&c->tl, "addr", "note: the address offer has no (valid) subnet mask: /32");
	}
	r = probe_nl_addr_add(c->ifindex, res->addr, (unsigned)plen);
	/* The TFTP server is on the link unless the offer says otherwise:
	 * the Pi 3 ROM ARPs for it directly (doc 2.5). */
	if (r == 0 && !probe_addr_in_prefix(c->tftp_ip, res->addr, (unsigned)plen)) {
		if (res->addr_router && probe_addr_in_prefix(res->addr_router, res->addr, (unsigned)plen))
			r = probe_nl_route_add(c->ifindex, 0, 0, res->addr_router);
		else
			r = probe_nl_route_add(c->ifindex, c->tftp_ip, 32, 0);
		if (r == -EEXIST)
			r = 0;
	}
	if (r < 0 && r != -EEXIST) {
		probe_fail(c, "cannot use address %s/%d: %s", ip_str(res->addr, a), plen, strerror(-r));
		c->stop = true;
		return r;
	}
	c->src_ip = res->addr;
	ip_str(res->addr, c->src_str);
	probe_tl_add(&c->tl, "addr", "TFTP from %s/%d (offered by %s)", c->src_str, plen,
		     ip_str(res->addr_server, a));
	return 0;
}
