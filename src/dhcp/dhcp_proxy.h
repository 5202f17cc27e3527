/* dhcp_proxy.h - building the proxy-DHCP (PXE) answer a Raspberry Pi accepts.
 *
 * The reply is byte-for-byte what dnsmasq sends with
 *   --dhcp-range=<net>,proxy --pxe-service=0,"Raspberry Pi Boot"
 * (protocol reference 2.1): op 2, xid/secs/chaddr/htype/hlen/hops/giaddr
 * copied, flags |= 0x8000, ciaddr/yiaddr/siaddr 0, options 53=OFFER,
 * 54=server, 60="PXEClient", 97 echoed (first 17 bytes, only if the request
 * had >= 17), 43 = the 32-byte PXE menu, a relay's option 82 echoed, END,
 * padded to 300. dhcp_proxy_handle() decides whether, what, where and
 * when to answer. Pure: no sockets, no daemon state (the registry is a
 * struct dhcp_registry of callbacks).
 * Must not touch sockets, timers, files or logs (the shell does). */
#ifndef PINETBOOT_DHCP_PROXY_H
#define PINETBOOT_DHCP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/net.h"
#include "dhcp/dhcp_dest.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_registry.h"

#define PI_MENU_TEXT "Raspberry Pi Boot"

/* Write the PXE vendor-encapsulated option 43 value into out:
 * 06 01 03 | 0a 04 00 'P' 'X' 'E' | 09 len 00 00 tlen text | ff.
 * spaced=true appends three spaces to the menu text (old Pi 3B ROM
 * string-length bug, protocol reference 2.2). Returns the length. */
size_t dhcp_pxe_opt43(uint8_t *out, size_t cap, bool spaced);

/* Write options 60 ("PXEClient"), 97 (the request's GUID echoed when it
 * has >= 17 bytes) and 43 (the menu) into w: the Pi boot answer, used by
 * dhcp_proxy_build and by the full-mode server's OFFER/ACK. */
void dhcp_pxe_write_boot_opts(struct wr *w, const struct dhcp_msg *req, bool spaced);

/* Should this request be answered as a Pi PXE DISCOVER at all?
 * (DISCOVER, PXE vendor class, arch option, Pi identified). */
bool dhcp_proxy_wants(const struct dhcp_msg *req, const struct pi_ident *pi);

/* Build the proxy OFFER for req into out. server_ip is the address (network
 * order) of the interface the request arrived on. Returns the length or a
 * negative errno (-ENOBUFS if cap is too small). */
int dhcp_proxy_build(const struct dhcp_msg *req, uint32_t server_ip, bool spaced,
		     uint8_t *out, size_t cap);

/* Reply delay for this client in milliseconds: the Pi 3B ROM ignores a
 * proxy reply that arrives immediately (protocol reference 2.4), so Pi 3
 * generation clients (B8:27:EB or constant GUID) get delay_ms, others 0. */
unsigned dhcp_proxy_delay_ms(const struct pi_ident *pi, unsigned delay_ms);

/* One DISCOVER's context: what the daemon knows besides the packet. */
struct dhcp_proxy_in {
	const struct dhcp_msg *m;
	uint32_t if_addr;              /* receiving interface, network order */
	const struct net_ifaces *ifs;  /* our interfaces (relay rule); NULL: none */
	bool answer_all;               /* answer = all: unregistered Pis too */
	bool spaced_menu;              /* pi3-spaced-menu for constant-GUID ROMs */
	unsigned pi3_delay_ms;         /* pi3-reply-delay */
	int64_t now;                   /* wall clock seconds */
};

/* Why a request got no answer (DHCP_PROXY_ANSWER: it got one). */
enum dhcp_proxy_verdict {
	DHCP_PROXY_ANSWER,
	DHCP_PROXY_NOT_DISCOVER,   /* not a BOOTREQUEST DISCOVER: the LAN's server's */
	DHCP_PROXY_NOT_PI,         /* a DISCOVER, but no Raspberry Pi PXE request */
	DHCP_PROXY_BAD_RELAY,      /* giaddr is no relay agent address */
	DHCP_PROXY_CONTESTED,      /* a registered Pi asked for from a foreign MAC */
	DHCP_PROXY_UNREGISTERED,   /* unknown Pi and answer = known */
	DHCP_PROXY_BUILD_FAILED,   /* the reply did not fit (err) */
	DHCP_PROXY_VERDICT_MAX
};

struct dhcp_proxy_out {
	enum dhcp_proxy_verdict v;
	struct pi_ident pi;            /* filled from NOT_PI on */
	bool known;                    /* k names the registered Pi */
	struct dhcp_known k;
	struct dhcp_dest dst;          /* RFC 2131 4.1 (dhcp_dest_reply) */
	unsigned delay_ms;             /* send after this (Pi 3 ROM, ref 2.4) */
	int err;                       /* BUILD_FAILED: negative errno */
	size_t len;
	uint8_t pkt[DHCP_MAX_LEN];
};

/* Decide on one parsed request: out->v says answer or why not. Calls
 * reg->lookup for a Pi DISCOVER, reg->claim for a registered one and
 * reg->note_unknown for an unregistered one; nothing else. */
void dhcp_proxy_handle(const struct dhcp_proxy_in *in, const struct dhcp_registry *reg,
		       struct dhcp_proxy_out *out);

#endif
