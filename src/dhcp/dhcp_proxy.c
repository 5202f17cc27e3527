/* dhcp_proxy.c - the proxy-DHCP (PXE) OFFER for a Raspberry Pi.
 *
 * Owns the exact bytes of the reply: the same header rules, option order
 * and padding as dnsmasq's proxy branch in rfc2131.c (read at 2.90 and at
 * HEAD cb32170; protocol reference 2.1), the option 43 PXE menu, and the
 * per-client reply delay (2.4), and the proxy decision (dhcp_proxy_handle:
 * Pi DISCOVERs only, relay rule, registered or answer = all). Pure: must
 * not touch sockets, timers, files or logs; the shell is
 * daemon/dhcp_service.c over dhcp_io.c. */
#include <errno.h>
#include <string.h>

#include "dhcp/dhcp_proxy.h"

#define PXE_VENDOR "PXEClient"
#define GUID_LEN 17u

/* PXE vendor sub-options (PXE spec 2.1, table 2-1). */
enum {
	PXE_DISCOVERY_CONTROL = 6,
	PXE_BOOT_MENU = 9,
	PXE_MENU_PROMPT = 10,
	PXE_END = 255,
};

/* The old Pi 3B ROM miscounts the menu string; three trailing spaces
 * work around it (protocol reference 2.2). */
static const char menu_spaces[] = "   ";

/* Sub-option order is dnsmasq's: pxe_opts() builds the list as menu (9),
 * then prompt (10), then discovery control (6) and hands back its head, so
 * do_encap_opts() writes 6, 10, 9 and closes with 255. No boot-server
 * option 8 because the service has no basename or server address. */
size_t dhcp_pxe_opt43(uint8_t *out, size_t cap, bool spaced)
{
	size_t tlen = strlen(PI_MENU_TEXT) + (spaced ? strlen(menu_spaces) : 0);
	struct wr w = wr_init(out, cap);

	/* Discovery control 3: no multicast, no broadcast discovery. */
	wr_u8(&w, PXE_DISCOVERY_CONTROL);
	wr_u8(&w, 1);
	wr_u8(&w, 3);
	/* Menu prompt: timeout 0 (one item, boot it at once), text "PXE". */
	wr_u8(&w, PXE_MENU_PROMPT);
	wr_u8(&w, 4);
	wr_u8(&w, 0);
	wr_bytes(&w, "PXE", 3);
	/* One menu item: type 0 (BE16), text length, text. */
	wr_u8(&w, PXE_BOOT_MENU);
	wr_u8(&w, (uint8_t)(3 + tlen));
	wr_be16(&w, 0);
	wr_u8(&w, (uint8_t)tlen);
	wr_bytes(&w, PI_MENU_TEXT, strlen(PI_MENU_TEXT));
	if (spaced)
		wr_bytes(&w, menu_spaces, strlen(menu_spaces));
	wr_u8(&w, PXE_END);

	return w.err ? 0 : w.off;
}

/* The Pi boot answer proper, shared by the proxy OFFER and the full-mode
 * OFFER/ACK (dhcp_server.c): 60 "PXEClient", 97 echoed, 43 the menu, in
 * dnsmasq's order (pxe_misc() then do_encap_opts()). */
void dhcp_pxe_write_boot_opts(struct wr *w, const struct dhcp_msg *req, bool spaced)
{
	uint8_t menu[64];
	const uint8_t *v;
	size_t len, mlen;

	mlen = dhcp_pxe_opt43(menu, sizeof(menu), spaced);
	dhcp_write_opt(w, DHO_VENDOR_CLASS, PXE_VENDOR, strlen(PXE_VENDOR));
	/* pxe_misc() echoes the first 17 bytes of a client GUID of at least
	 * 17 bytes (option_find(..., 97, 17)); shorter ones are not echoed. */
	v = dhcp_msg_opt(req, DHO_CLIENT_GUID, &len);
	if (v && len >= GUID_LEN)
		dhcp_write_opt(w, DHO_CLIENT_GUID, v, GUID_LEN);
	dhcp_write_opt(w, DHO_VENDOR_ENCAP, menu, mlen);
}

bool dhcp_proxy_wants(const struct dhcp_msg *req, const struct pi_ident *pi)
{
	if (!req || !pi)
		return false;
	/* dnsmasq drops htype 0 with a non-zero hlen before anything else. */
	if (req->op != BOOTREQUEST || (req->htype == 0 && req->hlen != 0))
		return false;
	/* A proxy answers DISCOVER only; REQUEST belongs to port 4011 and
	 * the Pi never goes there (protocol reference 2.1, 9). */
	return req->msg_type == DHCPDISCOVER && pi->is_pxe && pi->is_pi;
}

int dhcp_proxy_build(const struct dhcp_msg *req, uint32_t server_ip, bool spaced,
		     uint8_t *out, size_t cap)
{
	struct dhcp_msg hdr;
	const uint8_t *v;
	size_t len;
	bool discover;
	struct wr w;

	if (!req || !out)
		return -EINVAL;

	/* dnsmasq rewrites the request in place, so every header field it
	 * does not touch is echoed: htype, hlen, hops, xid, secs, the other
	 * flag bits, giaddr and all 16 chaddr bytes. clear_packet() zeroes
	 * siaddr, sname, file; yiaddr is zeroed; ciaddr is zeroed and the
	 * broadcast flag set for a DISCOVER or when ciaddr is 0 (and a
	 * DHCP request with option 50 has ciaddr cleared first, "buggy
	 * clients"). */
	memset(&hdr, 0, sizeof(hdr));
	discover = req->msg_type == DHCPDISCOVER;
	hdr.op = BOOTREPLY;
	hdr.htype = req->htype;
	hdr.hlen = req->hlen;
	hdr.hops = req->hops;
	hdr.xid = req->xid;
	hdr.secs = req->secs;
	hdr.flags = req->flags;
	hdr.ciaddr = req->ciaddr;
	if (discover || dhcp_msg_has_opt(req, DHO_REQUESTED_IP))
		hdr.ciaddr = 0;
	if (discover || hdr.ciaddr == 0) {
		hdr.ciaddr = 0;
		hdr.flags |= DHCP_FLAG_BROADCAST;
	}
	hdr.giaddr = req->giaddr;
	memcpy(hdr.chaddr, req->chaddr, sizeof(hdr.chaddr));

	w = wr_init(out, cap);
	dhcp_write_header(&w, &hdr);
	/* Option order of the proxy branch: option_put 53 and 54, then
	 * pxe_misc() adds 60 and 97, then do_encap_opts() adds 43. */
	dhcp_write_opt_u8(&w, DHO_MSG_TYPE, discover ? DHCPOFFER : DHCPACK);
	dhcp_write_opt(&w, DHO_SERVER_ID, &server_ip, 4);
	dhcp_pxe_write_boot_opts(&w, req, spaced);
	/* RFC 3046 2.2: a relay agent's option 82 is copied back verbatim
	 * as the last option, as dnsmasq does via dhcp_packet_size(). A
	 * relay writes one instance of at most 255 bytes (RFC 3046 2.0);
	 * a longer joined value is not a relay's and is not echoed, which
	 * also keeps the reply far below DHCP_MAX_LEN. */
	v = dhcp_msg_opt(req, DHO_AGENT_INFO, &len);
	if (v && len > 0 && len <= 255)
		dhcp_write_opt(&w, DHO_AGENT_INFO, v, len);
	dhcp_write_finish(&w);

	if (w.err)
		return -ENOBUFS;
	return (int)w.off;
}

unsigned dhcp_proxy_delay_ms(const struct pi_ident *pi, unsigned delay_ms)
{
	static const uint8_t pi3_oui[3] = { 0xb8, 0x27, 0xeb };

	if (!pi)
		return 0;
	/* The BCM2837 ROM acts on a proxy reply only after a further packet
	 * or its ~1 s timer; dnsmasq's dhcp-reply-delay for B8:27:EB is the
	 * proven fix (protocol reference 2.4). Pi 4/5 need no delay. */
	if (pi->const_guid || pi->gen == PI_GEN_3B_ROM || pi->gen == PI_GEN_3 ||
	    (pi->pi_oui && memcmp(pi->mac, pi3_oui, 3) == 0))
		return delay_ms;
	return 0;
}

void dhcp_proxy_handle(const struct dhcp_proxy_in *in, const struct dhcp_registry *reg,
		       struct dhcp_proxy_out *out)
{
	const struct dhcp_msg *m = in->m;

	out->known = false;
	out->delay_ms = 0;
	out->err = 0;
	out->len = 0;
	/* A proxy answers DISCOVERs only; the LAN's server does the rest
	 * (protocol reference 2.1). */
	if (m->op != BOOTREQUEST || m->msg_type != DHCPDISCOVER) {
		out->v = DHCP_PROXY_NOT_DISCOVER;
		return;
	}
	pi_identify(m, &out->pi);
	if (!dhcp_proxy_wants(m, &out->pi)) {
		out->v = DHCP_PROXY_NOT_PI;
		return;
	}
	if (m->giaddr && !dhcp_dest_relay_ok(m->giaddr, in->ifs)) {
		out->v = DHCP_PROXY_BAD_RELAY;
		return;
	}
	out->known = reg->lookup(reg->ctx, &out->pi, &out->k);
	if (out->known && !reg->claim(reg->ctx, &out->k, m->chaddr, &out->pi)) {
		/* Another MAC claiming a registered Pi gets no boot answer
		 * (README, "Security"). */
		out->v = DHCP_PROXY_CONTESTED;
		return;
	}
	if (!out->known) {
		reg->note_unknown(reg->ctx, &out->pi, in->now);
		if (!in->answer_all) {
			out->v = DHCP_PROXY_UNREGISTERED;
			return;
		}
	}
	int n = dhcp_proxy_build(m, in->if_addr, in->spaced_menu && out->pi.const_guid, out->pkt, sizeof(out->pkt));
	if (n < 0) {
		out->v = DHCP_PROXY_BUILD_FAILED;
		out->err = n;
		return;
	}
	out->v = DHCP_PROXY_ANSWER;
	out->len = (size_t)n;
	/* The reply's own ciaddr (0) and flags (broadcast, set by
	 * dhcp_proxy_build as dnsmasq does) make it a broadcast unless a
	 * relay carries it. */
	dhcp_dest_reply(m->giaddr, 0, DHCP_FLAG_BROADCAST, DHCPOFFER, 0, &out->dst);
	out->delay_ms = dhcp_proxy_delay_ms(&out->pi, in->pi3_delay_ms);
}
