/* pi_id.h - who a Raspberry Pi is: its ids (serial, MAC) as the directory
 * names and user input use them, its OUIs, and its board revision code.
 *
 * Owns: id normalisation and parsing, the Pi OUI list, the board-revision
 * table (protocol reference sections 1.1, 3.2). Must not touch: DHCP
 * messages (src/dhcp/dhcp_pi.c reads the ids out of them), files, sockets. */
#ifndef PINETBOOT_PI_ID_H
#define PINETBOOT_PI_ID_H

#include <stdbool.h>
#include <stdint.h>

enum pi_gen {
	PI_GEN_UNKNOWN = 0, /* a Pi OUI but no telling option 97 */
	PI_GEN_3B_ROM,      /* BCM2837A0 ROM: constant GUID 00 + 16 x 'D' */
	PI_GEN_3,           /* 3B+ ROM or bootcode.bin: GUID 00 + serial LE x4 */
	PI_GEN_4,           /* BCM2711 EEPROM: GUID prefix "RPi4" */
	PI_GEN_5,           /* BCM2712 EEPROM: GUID prefix "RPi5" */
	PI_GEN_MAX
};

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

/* MAC as aa:bb:cc:dd:ee:ff (logs, client.conf, the API); returns buf. */
char *pi_mac_str(const uint8_t mac[6], char buf[18]);
/* Up to 8 hex digits (any case) -> *ret (a serial, a board revision);
 * 0 or -EINVAL. */
int pi_hex_u32(const char *s, uint32_t *ret);

#endif
