/* probe.h - shared types of `pinetboot probe`, a Raspberry Pi in software.
 *
 * One struct probe_pi describes the simulated board (generation, serial,
 * MAC, board revision); struct probe_tl is its timeline of events, printed
 * as "seconds phase event" lines. Protocol knowledge lives in the other
 * probe_*.h files; see shared/docs/pi-netboot-protocol.md. */
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
	PROBE_MODEL_5,       /* BCM2712 EEPROM (doc 1.5) */
	PROBE_MODEL_MAX
};

struct probe_pi {
	enum probe_model model;
	uint32_t serial;      /* low 32 bits, the TFTP prefix (doc 3.2) */
	uint8_t mac[6];
	uint32_t board_rev;   /* new-style revision code, e.g. 0xa03111 */
	char id[9];           /* serial as 8 lowercase hex digits */
};

/* "3b" "3b+" "4" "5" -> model; 0 or -EINVAL. */
int probe_model_parse(const char *s, enum probe_model *ret);
/* Verdict tag: "pi3b", "pi3b+", "pi4", "pi5". */
const char *probe_model_tag(enum probe_model m);
/* Default MAC OUI of the generation (doc 1.1) and default board revision. */
const uint8_t *probe_model_oui(enum probe_model m);
uint32_t probe_model_board_rev(enum probe_model m);
static inline bool probe_model_is_pi3(enum probe_model m)
{
	return m == PROBE_MODEL_3B || m == PROBE_MODEL_3BPLUS;
}

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
