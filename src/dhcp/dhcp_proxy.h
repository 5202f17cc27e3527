/* dhcp_proxy.h - building the proxy-DHCP (PXE) answer a Raspberry Pi accepts.
 *
 * The reply is byte-for-byte what dnsmasq sends with
 *   --dhcp-range=<net>,proxy --pxe-service=0,"Raspberry Pi Boot"
 * (protocol reference 2.1): op 2, xid/secs/chaddr/htype/hlen/hops/giaddr
 * copied, flags |= 0x8000, ciaddr/yiaddr/siaddr 0, options 53=OFFER,
 * 54=server, 60="PXEClient", 97 echoed (first 17 bytes, only if the request
 * had >= 17), 43 = the 32-byte PXE menu, a relay's option 82 echoed, END,
 * padded to 300. Pure: no sockets. */
#ifndef PINETBOOT_DHCP_PROXY_H
#define PINETBOOT_DHCP_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"

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

#endif
