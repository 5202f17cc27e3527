/* dhcp_pi.c - telling Raspberry Pi boot firmware apart from other clients.
 *
 * Owns the Pi OUI list, the decoding of option 97 (client GUID) shapes per
 * generation, board revision decoding, and the client id strings used for
 * per-client directories (protocol reference sections 1, 3.2 and 8.1).
 * Pure functions over a parsed struct dhcp_msg.
 * Must not decide whether to answer (dhcp_proxy.c, dhcp_server.c do). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/dhcp_pi.h"
#include "core/hex.h"

#define GUID_LEN 17u        /* type byte + 16 bytes, RFC 4578 2.4 */
#define ARPHRD_ETHER_TYPE 1u
#define ETHER_LEN 6u

/* Raspberry Pi OUIs (protocol reference 1.1, from PiServer config.h and
 * tinkerbell dhcp.go). b8:27:eb is the Pi 1-3 generation. */
static const uint8_t pi_ouis[][3] = {
	{ 0xb8, 0x27, 0xeb }, { 0xdc, 0xa6, 0x32 }, { 0xe4, 0x5f, 0x01 },
	{ 0xd8, 0x3a, 0xdd }, { 0x28, 0xcd, 0xc1 }, { 0x2c, 0xcf, 0x67 },
	{ 0x3a, 0x35, 0x41 },
};
static const uint8_t pi3_oui[3] = { 0xb8, 0x27, 0xeb };

/* Option 97 prefixes of the EEPROM bootloaders (DHCP_OPTION97 default,
 * protocol reference 1.4/1.5): "RPi4"/"RPi5" in wire order, and the same
 * bytes reversed as one CM4 log shows them [CMP#16]. */
static const uint8_t prefix_rpi4[4] = { 0x52, 0x50, 0x69, 0x34 };
static const uint8_t prefix_rpi4_rev[4] = { 0x34, 0x69, 0x50, 0x52 };
static const uint8_t prefix_rpi5[4] = { 0x52, 0x50, 0x69, 0x35 };
static const uint8_t prefix_rpi5_rev[4] = { 0x35, 0x69, 0x50, 0x52 };

/* New-style revision code type field (bits 4-11) -> model and generation.
 * Only boards that can network boot are listed. */
static const struct {
	uint8_t type;
	enum pi_gen gen;
	const char *model;
} board_types[] = {
	{ 0x08, PI_GEN_3, "Pi 3 Model B" },
	{ 0x0d, PI_GEN_3, "Pi 3 Model B+" },
	{ 0x11, PI_GEN_4, "Pi 4 Model B" },
	{ 0x13, PI_GEN_4, "Pi 400" },
	{ 0x14, PI_GEN_4, "CM4" },
	{ 0x15, PI_GEN_4, "CM4S" },
	{ 0x17, PI_GEN_5, "Pi 5" },
	{ 0x18, PI_GEN_5, "CM5" },
	{ 0x19, PI_GEN_5, "Pi 500" },
	{ 0x1a, PI_GEN_5, "CM5 Lite" },
};

#define NEW_STYLE_REV (1u << 23)

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

bool pi_mac_is_pi(const uint8_t mac[6])
{
	for (size_t i = 0; i < sizeof(pi_ouis) / sizeof(pi_ouis[0]); i++)
		if (memcmp(mac, pi_ouis[i], 3) == 0)
			return true;
	return false;
}

static int board_index(uint32_t board_rev)
{
	/* Old-style codes (bit 23 clear) predate every netbooting board. */
	if (!(board_rev & NEW_STYLE_REV))
		return -1;
	uint8_t type = (uint8_t)((board_rev >> 4) & 0xff);
	for (size_t i = 0; i < sizeof(board_types) / sizeof(board_types[0]); i++)
		if (board_types[i].type == type)
			return (int)i;
	return -1;
}

const char *pi_board_model(uint32_t board_rev)
{
	int i = board_index(board_rev);

	return i < 0 ? NULL : board_types[i].model;
}

enum pi_gen pi_board_gen(uint32_t board_rev)
{
	int i = board_index(board_rev);

	return i < 0 ? PI_GEN_UNKNOWN : board_types[i].gen;
}

const char *pi_gen_name(enum pi_gen g)
{
	switch (g) {
	case PI_GEN_3B_ROM:
		return "3B (ROM)";
	case PI_GEN_3:
		return "3B+/bootcode";
	case PI_GEN_4:
		return "4";
	case PI_GEN_5:
		return "5";
	default:
		return "unknown";
	}
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

void pi_serial_id(uint32_t serial, char out[9])
{
	snprintf(out, 9, "%08x", (unsigned)serial);
}

void pi_mac_id(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x-%02x-%02x-%02x-%02x-%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

int pi_mac_parse(const char *in, uint8_t mac[6])
{
	char sep;

	if (!in || strnlen(in, 18) != 17)
		return -EINVAL;
	sep = in[2];
	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(in[3 * i]), lo = hexval(in[3 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		/* One separator style throughout: "aa:bb-cc..." is a typo. */
		if (i < 5 && in[3 * i + 2] != sep)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int pi_id_normalise(const char *in, char out[18])
{
	uint8_t mac[6];

	if (out)
		out[0] = '\0';
	if (!in || !out)
		return -EINVAL;

	/* A serial: exactly 8 hex digits (protocol reference 3.2). */
	if (strnlen(in, 9) == 8) {
		for (int i = 0; i < 8; i++) {
			int v = hexval(in[i]);

			if (v < 0) {
				out[0] = '\0';
				return -EINVAL;
			}
			out[i] = "0123456789abcdef"[v];
		}
		out[8] = '\0';
		return 0;
	}
	if (pi_mac_parse(in, mac) == 0) {
		pi_mac_id(mac, out);
		return 0;
	}
	return -EINVAL;
}
