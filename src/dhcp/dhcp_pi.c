/* dhcp_pi.c - telling Raspberry Pi boot firmware apart from other clients.
 *
 * Owns the decoding of option 97 (client GUID) shapes per generation and
 * the PXE test (protocol reference sections 1 and 8.1). The Pi OUI list,
 * board revision codes and id strings are the Pi model: src/pi/pi_id.c.
 * Pure functions over a parsed struct dhcp_msg; must not touch sockets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/dhcp_pi.h"

#define GUID_LEN 17u        /* type byte + 16 bytes, RFC 4578 2.4 */
#define ARPHRD_ETHER_TYPE 1u
#define ETHER_LEN 6u

static const uint8_t pi3_oui[3] = { 0xb8, 0x27, 0xeb };

/* Option 97 prefixes of the EEPROM bootloaders (DHCP_OPTION97 default,
 * protocol reference 1.4/1.5): "RPi4"/"RPi5" in wire order, and the same
 * bytes reversed as one CM4 log shows them [CMP#16]. */
static const uint8_t prefix_rpi4[4] = { 0x52, 0x50, 0x69, 0x34 };
static const uint8_t prefix_rpi4_rev[4] = { 0x34, 0x69, 0x50, 0x52 };
static const uint8_t prefix_rpi5[4] = { 0x52, 0x50, 0x69, 0x35 };
static const uint8_t prefix_rpi5_rev[4] = { 0x35, 0x69, 0x50, 0x52 };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

/* dnsmasq's is_pxe_client() plus its option_find(OPTION_ARCH, 2): vendor
 * class starting "PXEClient" and a client arch of at least two bytes
 * (protocol reference 2.1, 8.1). */
static bool is_pxe(const struct dhcp_msg *m)
{
	static const char pxe[] = "PXEClient";
	size_t vlen, alen;
	const uint8_t *vc = dhcp_msg_opt(m, DHO_VENDOR_CLASS, &vlen);
	const uint8_t *arch = dhcp_msg_opt(m, DHO_CLIENT_ARCH, &alen);

	return vc && vlen >= sizeof(pxe) - 1 &&
	       memcmp(vc, pxe, sizeof(pxe) - 1) == 0 && arch && alen >= 2;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* EEPROM layout (protocol reference 1.4): 00 | prefix(4) | board rev LE |
 * low 4 MAC bytes | serial LE. */
static void decode_eeprom_guid(const uint8_t *g, struct pi_ident *out)
{
	out->board_rev = le32(g + 5);
	out->has_rev = out->board_rev != 0;
	out->serial = le32(g + 13);
	out->has_serial = out->serial != 0;
}

/* Decode option 97. Returns true when it has one of the shapes only Pi
 * firmware sends. */
static bool decode_guid(const struct dhcp_msg *m, bool ether, struct pi_ident *out)
{
	size_t len;
	const uint8_t *g = dhcp_msg_opt(m, DHO_CLIENT_GUID, &len);

	if (!g || len != GUID_LEN || g[0] != 0)
		return false;

	/* Pi 3B ROM (BCM2837A0): the constant GUID 00 + 16 x 'D' (1.2). Every
	 * such board sends it, so only the MAC identifies the client. */
	if (all_bytes(g + 1, 16, 0x44)) {
		out->gen = PI_GEN_3B_ROM;
		out->const_guid = true;
		return true;
	}

	/* 3B+ ROM and bootcode.bin: serial LE repeated four times (1.3). A
	 * zero or all-ones "serial" is an unset x86 SMBIOS UUID, not a Pi. */
	if (memcmp(g + 1, g + 5, 4) == 0 && memcmp(g + 1, g + 9, 4) == 0 &&
	    memcmp(g + 1, g + 13, 4) == 0) {
		uint32_t serial = le32(g + 1);

		if (serial == 0 || serial == 0xffffffffu)
			return false;
		out->serial = serial;
		out->has_serial = true;
		/* A Pi 4/5 with DHCP_OPTION97=0 sends the same shape
		 * [DOC-EEPROM]; its newer OUI tells it from a Pi 3. */
		if (out->pi_oui && memcmp(out->mac, pi3_oui, 3) != 0)
			out->gen = PI_GEN_UNKNOWN;
		else
			out->gen = PI_GEN_3;
		return true;
	}

	if (memcmp(g + 1, prefix_rpi4, 4) == 0 ||
	    memcmp(g + 1, prefix_rpi4_rev, 4) == 0) {
		out->gen = PI_GEN_4;
		decode_eeprom_guid(g, out);
		return true;
	}
	if (memcmp(g + 1, prefix_rpi5, 4) == 0 ||
	    memcmp(g + 1, prefix_rpi5_rev, 4) == 0) {
		out->gen = PI_GEN_5;
		decode_eeprom_guid(g, out);
		return true;
	}

	/* A custom DHCP_OPTION97 prefix replaces only the first four bytes
	 * [DOC-EEPROM]; the low MAC bytes in the middle still give the
	 * layout away. (EEPROMs before 2020-03-16 sent zeros there [RN2711],
	 * but those also predate configurable prefixes.) */
	if (ether && !all_bytes(out->mac + 2, 4, 0) &&
	    memcmp(g + 9, out->mac + 2, 4) == 0) {
		decode_eeprom_guid(g, out);
		out->gen = out->has_rev ? pi_board_gen(out->board_rev) : PI_GEN_UNKNOWN;
		/* Only EEPROM bootloaders (4 and 5) use this layout. */
		if (out->gen == PI_GEN_3)
			out->gen = PI_GEN_UNKNOWN;
		return true;
	}
	return false;
}

void pi_identify(const struct dhcp_msg *m, struct pi_ident *out)
{
	bool ether, shaped;

	memset(out, 0, sizeof(*out));
	memcpy(out->mac, m->chaddr, sizeof(out->mac));
	ether = m->htype == ARPHRD_ETHER_TYPE && m->hlen == ETHER_LEN;
	out->pi_oui = ether && pi_mac_is_pi(out->mac);
	out->is_pxe = is_pxe(m);
	shaped = decode_guid(m, ether, out);
	out->is_pi = out->is_pxe && (out->pi_oui || shaped);

	/* Directory id: the serial when the firmware told us one, else the
	 * MAC (protocol reference 3.2, TFTP_PREFIX 0 and 2). */
	if (out->has_serial)
		pi_serial_id(out->serial, out->id);
	else
		pi_mac_id(out->mac, out->id);
}

