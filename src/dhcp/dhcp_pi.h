/* dhcp_pi.h - recognising Raspberry Pi boot firmware in a DHCP request.
 *
 * Pure functions over a parsed struct dhcp_msg. See the protocol reference
 * (shared/docs/pi-netboot-protocol.md) sections 1 and 8.1: every Pi sends
 * vendor class "PXEClient:Arch:00000:UNDI:002001" and arch 0, exactly as an
 * x86 BIOS PXE ROM does, so a Pi is told apart by its MAC OUI and by the
 * shape of option 97 (client GUID).
 * Owns identification only; must not decide whether to answer. */
#ifndef PINETBOOT_DHCP_PI_H
#define PINETBOOT_DHCP_PI_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp/dhcp_msg.h"
#include "pi/pi_id.h"

struct pi_ident {
	bool is_pxe;          /* opt 60 starts "PXEClient" and opt 93 present
	                       * with >= 2 bytes (dnsmasq's test) */
	bool is_pi;           /* is_pxe and (Pi OUI or Pi-shaped opt 97) */
	bool pi_oui;          /* MAC has a Raspberry Pi OUI */
	enum pi_gen gen;
	bool const_guid;      /* Pi 3B ROM constant GUID: identify by MAC only */
	bool has_serial;
	uint32_t serial;      /* low 32 bits of the board serial */
	bool has_rev;
	uint32_t board_rev;   /* e.g. 0xa03111 */
	uint8_t mac[6];
	/* The client's id as used for directories: 8 lowercase hex digits of
	 * the serial when known, else the MAC as aa-bb-cc-dd-ee-ff. */
	char id[18];
};

/* Fill *out from m (a BOOTREQUEST). Always succeeds; check out->is_pi. */
void pi_identify(const struct dhcp_msg *m, struct pi_ident *out);

#endif
