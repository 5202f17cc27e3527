/* pi_id.c - Raspberry Pi ids, OUIs and board revision codes (pi_id.h).
 *
 * Owns: the tables and the id strings used for per-client directories
 * (protocol reference sections 1.1 and 3.2). Pure functions; must not
 * touch DHCP messages, files or sockets. */
#include "pi/pi_id.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/hex.h"

/* Raspberry Pi OUIs (protocol reference 1.1, from PiServer config.h and
 * tinkerbell dhcp.go). b8:27:eb is the Pi 1-3 generation. */
static const uint8_t pi_ouis[][3] = {
	{ 0xb8, 0x27, 0xeb }, { 0xdc, 0xa6, 0x32 }, { 0xe4, 0x5f, 0x01 },
	{ 0xd8, 0x3a, 0xdd }, { 0x28, 0xcd, 0xc1 }, { 0x2c, 0xcf, 0x67 },
	{ 0x3a, 0x35, 0x41 },
};

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

char *pi_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

int pi_hex_u32(const char *s, uint32_t *ret)
{
	uint32_t v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 8)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int d = hexval(s[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return 0;
}
