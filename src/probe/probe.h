/* probe.h - shared types of `pinetboot probe`, a Raspberry Pi in software.
 *
 * One struct probe_pi describes the simulated board (generation, serial,
 * MAC, board revision); struct probe_tl is its timeline of events, printed
 * as "seconds phase event" lines. Protocol knowledge lives in the other
 * probe_*.h files; see shared/docs/pi-netboot-protocol.md.
 *
 * Owns: the types shared by the probe's files. Must not touch: code.
 */
#ifndef PINETBOOT_PROBE_H
#define PINETBOOT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum probe_model {
	PROBE_MODEL_3B,      /* BCM2837A0 ROM: constant GUID (doc 1.2) */
	PROBE_MODEL_3BPLUS,  /* BCM2837B0 ROM: serial GUID (doc 1.3) */
	PROBE_MODEL_4,       /* BCM2711 EEPROM (doc 1.4) */
	PROBE_MODEL_400,     /* BCM2711, same EEPROM as the 4B (doc 1.4) */
	PROBE_MODEL_CM4,     /* BCM2711 Compute Module 4 (doc 1.4 [CMP#5]) */
	PROBE_MODEL_5,       /* BCM2712 EEPROM (doc 1.5) */
	PROBE_MODEL_MAX
};

/* The SoC decides the boot firmware and its file sequence. */
enum probe_soc {
	PROBE_SOC_2837,      /* Pi 3: ROM, bootcode.bin, start.elf (doc 4.2) */
	PROBE_SOC_2711,      /* Pi 4/400/CM4: EEPROM, start4.elf (doc 4.3) */
	PROBE_SOC_2712,      /* Pi 5: EEPROM with the firmware inside (doc 4.4) */
};

/* What the Pi 4/5 EEPROM setting TFTP_PREFIX puts before every file name
 * (doc 3.2 [DOC-EEPROM]): 0 serial "<8hex>/", 1 TFTP_PREFIX_STR verbatim,
 * 2 the MAC "aa-bb-cc-dd-ee-ff/". NONE is TFTP_PREFIX=1 with an empty
 * string. Pi 3 bootcode.bin always uses the serial. */
enum probe_prefix_mode {
	PROBE_PREFIX_SERIAL,
	PROBE_PREFIX_STR,
	PROBE_PREFIX_MAC,
	PROBE_PREFIX_NONE,
};
#define PROBE_PREFIX_STR_MAX 32   /* TFTP_PREFIX_STR limit [DOC-EEPROM] */

struct probe_pi {
	enum probe_model model;
	uint32_t serial;      /* low 32 bits, the TFTP prefix (doc 3.2) */
	uint8_t mac[6];
	uint32_t board_rev;   /* new-style revision code, e.g. 0xa03111 */
	char id[9];           /* serial as 8 lowercase hex digits */
};

/* "3b" "3b+" "4" "400" "cm4" "5" (or the tags) -> model; 0 or -EINVAL. */
int probe_model_parse(const char *s, enum probe_model *ret);
/* Verdict tag: "pi3b", "pi3b+", "pi4", "pi400", "cm4", "pi5". */
const char *probe_model_tag(enum probe_model m);
enum probe_soc probe_model_soc(enum probe_model m);
/* The device tree the firmware loads without device_tree= (the names of
 * Raspberry Pi OS's boot partition). */
const char *probe_model_dtb(enum probe_model m);
/* Default MAC OUI of the generation (doc 1.1) and default board revision. */
const uint8_t *probe_model_oui(enum probe_model m);
uint32_t probe_model_board_rev(enum probe_model m);
static inline bool probe_model_is_pi3(enum probe_model m)
{
	return probe_model_soc(m) == PROBE_SOC_2837;
}

/* Fill a simulated Pi's identity: Pi number i of a --count run, from the
 * options (either may be absent; base_serial is used when has_serial or
 * when neither is given). Consecutive serials and MACs. On a Pi 3 the MAC
 * is b8:27:eb + the serial's low 24 bits and vice versa (doc 1.1). */
void probe_pi_identity(struct probe_pi *pi, enum probe_model m, uint32_t board_rev, bool has_serial,
		       uint32_t base_serial, bool has_mac, const uint8_t base_mac[6], unsigned i);

/* The TFTP prefix of a Pi 4/5 for a TFTP_PREFIX mode into out: 0, or
 * -ENAMETOOLONG / -EINVAL (bad mode or string). */
int probe_tftp_prefix(const struct probe_pi *pi, enum probe_prefix_mode mode, const char *str,
		      char *out, size_t cap);
/* --tftp-prefix value: "serial", "mac", "none" or a TFTP_PREFIX_STR of 1-32
 * printable characters without spaces (str: 33 bytes). 0 or -EINVAL. */
int probe_prefix_parse(const char *s, enum probe_prefix_mode *ret_mode, char *ret_str);

/* Fill id from serial. */
void probe_pi_set_id(struct probe_pi *pi);
/* Deterministic serial for a MAC (FNV-1a); on the Pi 3 the low 24 bits are
 * the MAC's low 24 bits as on real boards (doc 1.1). */
uint32_t probe_serial_from_mac(enum probe_model m, const uint8_t mac[6]);
/* Default MAC for a serial: generation OUI + low 24 bits of the serial. */
void probe_mac_from_serial(enum probe_model m, uint32_t serial, uint8_t mac[6]);
/* "aa:bb:cc:dd:ee:ff" into out (18 bytes). */
void probe_mac_fmt(const uint8_t mac[6], char out[18]);

/* Strict bounded number parsing (no sign, no spaces, no overflow). */
int probe_parse_uint(const char *s, unsigned long max, unsigned long *ret);
/* Exactly 1..8 hex digits, optional "0x". */
int probe_parse_hex32(const char *s, uint32_t *ret);

/* Monotonic milliseconds / microseconds. */
uint64_t probe_now_ms(void);
uint64_t probe_now_us(void);

/* Human size ("2.2 MB", "512 B") into buf. */
const char *probe_fmt_size(uint64_t bytes, char *buf, size_t cap);

/* Timeline of one Pi. Events carry milliseconds since t0. */
#define PROBE_TL_TEXT 200
struct probe_tl_ev {
	uint64_t ms;
	char phase[6];
	char text[PROBE_TL_TEXT];
};

struct probe_tl {
	struct probe_tl_ev *ev;
	size_t n, cap;
	uint64_t t0;
	FILE *live;           /* print each event as it happens when set */
};

void probe_tl_init(struct probe_tl *tl, uint64_t t0, FILE *live);
void probe_tl_add(struct probe_tl *tl, const char *phase, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void probe_tl_print(const struct probe_tl *tl, FILE *f);
void probe_tl_free(struct probe_tl *tl);

#endif
