/* probe_dhcp.c - DISCOVER/REQUEST builders, raw UDP framing and offer
 * judging for `pinetboot probe`. Pure; the socket side is probe_dhcp_io.c.
 *
 * Byte layouts are those of the protocol reference: doc 1.2 (Pi 3B ROM),
 * 1.3 (3B+ and bootcode.bin), 1.4/1.5 (Pi 4/5 EEPROM).
 *
 * Owns: building the firmware's DHCP packets and judging offers. Must not touch: sockets (probe_dhcp_io.c).
 */
#include "probe/probe_dhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"

/* Option 55 lists. The ROM list has no 1 or 3 [FW#1001]; bootcode.bin
 * appends 1 and 3 (tcpdump in [FW#871]); the EEPROM puts them first. */
static const uint8_t prl_rom[] = { 43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66 };
static const uint8_t prl_bootcode[] = { 43, 60, 67, 128, 129, 130, 131, 132, 133, 134, 135, 66, 1, 3 };
static const uint8_t prl_eeprom[] = { 1, 3, 43, 60, 66, 67, 128, 129, 130, 131, 132, 133, 134, 135 };

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void probe_guid(enum probe_disc_kind kind, const struct probe_pi *pi, uint8_t out[17])
{
	out[0] = 0x00;
	switch (kind) {
	case PROBE_DISC_3B_ROM:
		/* BCM2837A0 bug: constant GUID of sixteen 'D' (doc 1.2). */
		memset(out + 1, 0x44, 16);
		break;
	case PROBE_DISC_3_ROM:
	case PROBE_DISC_BOOTCODE:
		/* Serial little-endian, four times (doc 1.3, [FW#1605]). */
		for (int i = 0; i < 4; i++)
			put_le32(out + 1 + 4 * i, pi->serial);
		break;
	default:
		/* DHCP_OPTION97 default: "RPi4"/"RPi5" (0x34695052 LE), board
		 * revision LE, MAC bytes 2..5, serial LE (doc 1.4, 1.5). */
		memcpy(out + 1, probe_model_soc(pi->model) == PROBE_SOC_2712 ? "RPi5" : "RPi4", 4);
		put_le32(out + 5, pi->board_rev);
		memcpy(out + 9, pi->mac + 2, 4);
		put_le32(out + 13, pi->serial);
		break;
	}
}

/* BOOTP header of a client without an address: everything zero except
 * op/htype/hlen, xid and chaddr; flags 0 (no broadcast bit, doc 1.1). */
static void write_request_hdr(struct wr *w, const struct probe_pi *pi, uint32_t xid)
{
	wr_u8(w, BOOTREQUEST);
	wr_u8(w, 1);
	wr_u8(w, 6);
	wr_u8(w, 0);
	wr_be32(w, xid);
	wr_be16(w, 0);   /* secs */
	wr_be16(w, 0);   /* flags */
	wr_zero(w, 16);  /* ciaddr yiaddr siaddr giaddr */
	wr_bytes(w, pi->mac, 6);
	wr_zero(w, 10 + 64 + 128); /* rest of chaddr, sname, file */
	wr_be32(w, DHCP_MAGIC);
}

static void write_opt(struct wr *w, uint8_t code, const void *v, size_t n)
{
	wr_u8(w, code);
	wr_u8(w, (uint8_t)n);
	wr_bytes(w, v, n);
}

static void write_pxe_opts(struct wr *w, enum probe_disc_kind kind, const struct probe_pi *pi)
{
	static const uint8_t arch[2] = { 0, 0 };      /* x86 BIOS, [EE#182] */
	static const uint8_t ndi[3] = { 1, 2, 1 };    /* UNDI 2.1 */
	uint8_t guid[17];
	switch (kind) {
	case PROBE_DISC_3B_ROM:
	case PROBE_DISC_3_ROM:
		write_opt(w, DHO_PARAM_LIST, prl_rom, sizeof(prl_rom));
		break;
	case PROBE_DISC_BOOTCODE:
		write_opt(w, DHO_PARAM_LIST, prl_bootcode, sizeof(prl_bootcode));
		break;
	default:
		write_opt(w, DHO_PARAM_LIST, prl_eeprom, sizeof(prl_eeprom));
		break;
	}
	write_opt(w, DHO_CLIENT_ARCH, arch, sizeof(arch));
	write_opt(w, DHO_CLIENT_NDI, ndi, sizeof(ndi));
	probe_guid(kind, pi, guid);
	write_opt(w, DHO_CLIENT_GUID, guid, sizeof(guid));
}

int probe_build_discover(uint8_t *out, size_t cap, enum probe_disc_kind kind,
			 const struct probe_pi *pi, uint32_t xid)
{
	static const uint8_t discover = DHCPDISCOVER;
	struct wr w = wr_init(out, cap);
	write_request_hdr(&w, pi, xid);
	write_opt(&w, DHO_MSG_TYPE, &discover, 1);
	write_pxe_opts(&w, kind, pi);
	write_opt(&w, DHO_VENDOR_CLASS, PROBE_VENDOR_CLASS, strlen(PROBE_VENDOR_CLASS));
	wr_u8(&w, DHO_END);
	return w.err ? -ENOBUFS : (int)w.off;
}

int probe_build_request(uint8_t *out, size_t cap, const struct probe_pi *pi, uint32_t xid,
			uint32_t req_ip, uint32_t server_id)
{
	static const uint8_t request = DHCPREQUEST;
	struct wr w = wr_init(out, cap);
	write_request_hdr(&w, pi, xid);
	write_opt(&w, DHO_MSG_TYPE, &request, 1);
	write_opt(&w, DHO_REQUESTED_IP, &req_ip, 4);
	write_opt(&w, DHO_SERVER_ID, &server_id, 4);
	write_pxe_opts(&w, PROBE_DISC_EEPROM, pi);
	/* No option 60 here: the real EEPROM omits it in REQUESTs [EE#82]. */
	wr_u8(&w, DHO_END);
	return w.err ? -ENOBUFS : (int)w.off;
}

uint16_t probe_inet_csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int probe_frame_build(uint8_t *out, size_t cap, const struct probe_udp_pkt *pkt)
{
	if (pkt->len > 1500 - 28)
		return -EMSGSIZE;
	size_t udp_len = 8 + pkt->len, ip_len = 20 + udp_len;
	struct wr w = wr_init(out, cap);
	wr_bytes(&w, pkt->dst_mac, 6);
	wr_bytes(&w, pkt->src_mac, 6);
	wr_be16(&w, 0x0800);
	size_t ip_off = w.off;
	wr_u8(&w, 0x45);
	wr_u8(&w, 0);
	wr_be16(&w, (uint16_t)ip_len);
	wr_be16(&w, 0);           /* id 0, as the Pi sends [FW#871] */
	wr_be16(&w, 0);           /* no DF, no fragment */
	wr_u8(&w, 128);
	wr_u8(&w, 17);
	wr_be16(&w, 0);           /* checksum, filled below */
	wr_bytes(&w, &pkt->src_ip, 4);
	wr_bytes(&w, &pkt->dst_ip, 4);
	size_t udp_off = w.off;
	wr_be16(&w, pkt->sport);
	wr_be16(&w, pkt->dport);
	wr_be16(&w, (uint16_t)udp_len);
	wr_be16(&w, 0);
	wr_bytes(&w, pkt->payload, pkt->len);
	if (w.err)
		return -ENOBUFS;
	uint16_t c = probe_inet_csum(out + ip_off, 20, 0);
	out[ip_off + 10] = (uint8_t)(c >> 8);
	out[ip_off + 11] = (uint8_t)c;
	/* UDP checksum over the pseudo header (RFC 768); 0 is sent as 0xffff. */
	uint32_t ps = 17 + (uint32_t)udp_len;
	const uint8_t *a = out + ip_off + 12;
	for (int i = 0; i < 8; i += 2)
		ps += (uint32_t)(a[i] << 8 | a[i + 1]);
	c = probe_inet_csum(out + udp_off, udp_len, ps);
	if (c == 0)
		c = 0xffff;
	out[udp_off + 6] = (uint8_t)(c >> 8);
	out[udp_off + 7] = (uint8_t)c;
	return (int)w.off;
}

int probe_frame_parse(const uint8_t *frame, size_t len, struct probe_udp_pkt *ret)
{
	struct rd r = rd_init(frame, len);
	memset(ret, 0, sizeof(*ret));
	rd_bytes(&r, ret->dst_mac, 6);
	rd_bytes(&r, ret->src_mac, 6);
	if (rd_be16(&r) != 0x0800)
		return r.err ? -EBADMSG : -EPROTO;
	size_t ip_off = r.off;
	uint8_t vihl = rd_u8(&r);
	if (r.err)
		return -EBADMSG;
	size_t ihl = (size_t)(vihl & 15) * 4;
	if ((vihl >> 4) != 4 || ihl < 20 || rd_left(&r) + 1 < ihl)
		return -EBADMSG;
	rd_skip(&r, 1);
	uint16_t tot = rd_be16(&r);
	rd_skip(&r, 2);
	uint16_t frag = rd_be16(&r);
	rd_skip(&r, 1);
	uint8_t proto = rd_u8(&r);
	if (r.err || tot < ihl + 8 || tot > len - ip_off)
		return -EBADMSG;
	if (probe_inet_csum(frame + ip_off, ihl, 0) != 0)
		return -EBADMSG;
	if (proto != 17 || (frag & 0x3fff) != 0)
		return -EPROTO; /* not UDP, or a fragment: DHCP replies never are */
	rd_skip(&r, 2);
	rd_bytes(&r, &ret->src_ip, 4);
	rd_bytes(&r, &ret->dst_ip, 4);
	r.off = ip_off + ihl;
	ret->sport = rd_be16(&r);
	ret->dport = rd_be16(&r);
	uint16_t ulen = rd_be16(&r);
	rd_skip(&r, 2);
	if (r.err || ulen < 8 || ulen > tot - ihl)
		return -EBADMSG;
	ret->payload = frame + ip_off + ihl + 8;
	ret->len = ulen - 8u;
	return 0;
}

static void save_menu(char *menu, size_t cap, const uint8_t *t, size_t n)
{
	if (cap)
		log_escape(menu, cap, t, n);
}

int probe_opt43_find_menu(const uint8_t *p, size_t n, bool pi3_rules, char *menu, size_t menucap)
{
	const size_t mlen = strlen(PROBE_MENU_TEXT);
	bool found = false, have_first = false, bad = false;
	if (menucap)
		menu[0] = '\0';
	/* Walk the PXE sub-options (PXE spec: 0 = pad, 255 = end) to find
	 * menu items, both to judge Pi 4/5 offers and to report the text. */
	struct rd r = rd_init(p, n);
	while (rd_left(&r) > 0) {
		uint8_t code = rd_u8(&r);
		if (code == 0)
			continue;
		if (code == 255)
			break;
		uint8_t len = rd_u8(&r);
		const uint8_t *v = rd_ptr(&r, len);
		if (!v) {
			bad = true;
			break;
		}
		if (code != 9)
			continue;
		/* PXE_BOOT_MENU: items of type(2, BE) len(1) text(len). */
		struct rd m = rd_init(v, len);
		while (rd_left(&m) > 0) {
			rd_skip(&m, 2);
			uint8_t tlen = rd_u8(&m);
			const uint8_t *t = rd_ptr(&m, tlen);
			if (!t) {
				bad = true;
				break;
			}
			bool hit = memmem(t, tlen, PROBE_MENU_TEXT, mlen) != NULL;
			if ((hit && !found) || !have_first)
				save_menu(menu, menucap, t, tlen);
			have_first = true;
			found = found || hit;
		}
	}
	if (pi3_rules) {
		/* The Pi 3 ROM just searches the option bytes [OSUSE]. */
		const uint8_t *hit = memmem(p, n, PROBE_MENU_TEXT, mlen);
		if (hit && !found) {
			size_t tl = mlen;
			while (hit + tl < p + n && hit[tl] >= 0x20 && hit[tl] < 0x7f)
				tl++;
			save_menu(menu, menucap, hit, tl);
		}
		return hit != NULL;
	}
	if (bad && !found)
		return -EBADMSG;
	return found;
}

static bool parse_opt66(const uint8_t *v, size_t n, uint32_t *ret)
{
	char s[32];
	/* dnsmasq sends a trailing NUL [FW#871]; tolerate NULs at the end only. */
	while (n > 0 && v[n - 1] == 0)
		n--;
	if (n == 0 || n >= sizeof(s) || memchr(v, 0, n))
		return false;
	memcpy(s, v, n);
	s[n] = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1 || a.s_addr == 0)
		return false;
	*ret = a.s_addr;
	return true;
}

void probe_judge_offer(const struct dhcp_msg *m, uint32_t src_ip, bool pi3_rules, uint32_t xid,
		       const uint8_t mac[6], struct probe_offer *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->type = m->msg_type;
	ret->src_ip = src_ip;
	ret->yiaddr = m->yiaddr;
	if (m->op != BOOTREPLY)
		ret->problems |= PROBE_OP_NOT_REPLY;
	if (m->xid != xid)
		ret->problems |= PROBE_OP_XID;
	if (m->hlen != 6 || memcmp(m->chaddr, mac, 6) != 0)
		ret->problems |= PROBE_OP_CHADDR;
	uint32_t sid;
	if (dhcp_msg_opt_u32(m, DHO_SERVER_ID, &sid))
		ret->server_id = sid;
	uint32_t mask;
	if (dhcp_msg_opt_u32(m, DHO_SUBNET_MASK, &mask))
		ret->mask = mask;
	size_t rn = 0;
	const uint8_t *r3 = dhcp_msg_opt(m, DHO_ROUTER, &rn);
	if (r3 && rn >= 4 && rn % 4 == 0)
		memcpy(&ret->router, r3, 4);

	size_t n = 0;
	const uint8_t *o43 = dhcp_msg_opt(m, DHO_VENDOR_ENCAP, &n);
	if (o43) {
		int rc = probe_opt43_find_menu(o43, n, pi3_rules, ret->menu, sizeof(ret->menu));
		if (rc < 0)
			ret->problems |= PROBE_OP_OPT43;
		ret->is_boot = rc == 1;
	}
	/* Pi 3: opt 66 is ignored here (the ROM uses the sender, [FW#801]);
	 * Pi 4/5 honour a dotted-decimal opt 66 [EE#72] [EE#58] (doc 3.1). */
	const uint8_t *o66 = dhcp_msg_opt(m, DHO_TFTP_SERVER, &n);
	if (o66 && !pi3_rules) {
		uint32_t a;
		if (parse_opt66(o66, n, &a)) {
			ret->tftp_ip = a;
			ret->tftp_from_opt66 = true;
		} else {
			ret->problems |= PROBE_OP_OPT66;
		}
	}
	if (!ret->tftp_ip)
		ret->tftp_ip = ret->server_id ? ret->server_id : src_ip;
	if (ret->is_boot) {
		if (m->msg_type != DHCPOFFER)
			ret->problems |= PROBE_OP_TYPE;
		if (!ret->server_id)
			ret->problems |= PROBE_OP_NO_SERVER_ID;
		/* A proxy offer gives no address, so the client cannot receive a
		 * unicast: dnsmasq forces the broadcast flag (doc 2.1). */
		if (m->yiaddr == 0 && !(m->flags & 0x8000))
			ret->problems |= PROBE_OP_NO_BCAST;
	}
}

const char *probe_offer_problems_str(unsigned problems, char *buf, size_t cap)
{
	static const char *const names[] = {
		"not a BOOTREPLY", "xid not echoed", "chaddr not echoed",
		"option 53 is not OFFER", "no server id (option 54)",
		"option 43 sub-options malformed", "broadcast flag not set on a proxy offer",
		"option 66 is not a dotted-decimal address",
	};
	size_t off = 0;
	if (cap)
		buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(problems & (1u << i)) || off >= cap)
			continue;
		int k = snprintf(buf + off, cap - off, "%s%s", off ? "; " : "", names[i]);
		if (k > 0)
			off += (size_t)k;
	}
	return buf;
}
