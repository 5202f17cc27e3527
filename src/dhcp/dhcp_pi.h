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

enum pi_gen {
	PI_GEN_UNKNOWN = 0, /* a Pi OUI but no telling option 97 */
	PI_GEN_3B_ROM,      /* BCM2837A0 ROM: constant GUID 00 + 16 x 'D' */
	PI_GEN_3,           /* 3B+ ROM or bootcode.bin: GUID 00 + serial LE x4 */
	PI_GEN_4,           /* BCM2711 EEPROM: GUID prefix "RPi4" */
	PI_GEN_5,           /* BCM2712 EEPROM: GUID prefix "RPi5" */
	PI_GEN_MAX
};

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

bool pi_mac_is_pi(const uint8_t mac[6]);
const char *pi_gen_name(enum pi_gen g);      /* "3B (ROM)", "3B+/bootcode", "4", "5", "unknown" */
/* Human model name from a new-style board revision code, e.g.
 * 0xa03111 -> "Pi 4 Model B", 0xc03130 -> "Pi 400", 0xa03140 -> "CM4",
 * 0xc04170 -> "Pi 5". NULL if unknown. */
const char *pi_board_model(uint32_t board_rev);
/* Generation from a new-style board revision code (type field): 4 for
 * 4B/400/CM4/CM4S, 5 for 5/500/CM5/CM5 Lite, 3 for 3B/3B+ (PI_GEN_3),
 * PI_GEN_UNKNOWN otherwise. */
enum pi_gen pi_board_gen(uint32_t board_rev);

/* Serial as the 8-hex-digit directory name. */
void pi_serial_id(uint32_t serial, char out[9]);
/* MAC as the aa-bb-cc-dd-ee-ff directory name. */
void pi_mac_id(const uint8_t mac[6], char out[18]);

/* Parse an id given by a user or a TFTP path component: 8 hex digits
 * (any case, normalised to lowercase) or a MAC in aa-bb-cc-dd-ee-ff or
 * aa:bb:cc:dd:ee:ff form (normalised to dashes, lowercase).
 * Returns 0 and writes the normalised id into out (18 bytes), or -EINVAL. */
int pi_id_normalise(const char *in, char out[18]);
/* Parse "aa:bb:cc:dd:ee:ff" or with dashes; 0 or -EINVAL. */
int pi_mac_parse(const char *in, uint8_t mac[6]);

#endif
