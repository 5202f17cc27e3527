/* probe_util.c - model table, identities, number parsing, clock and the
 * per-Pi timeline of `pinetboot probe`.
 *
 * Identities follow doc 1.1: the Pi 3 MAC carries the serial's low 24 bits;
 * later boards have no relation, but a deterministic one keeps test runs
 * reproducible.
 *
 * Owns: the model table, number parsing, clock and timeline. Must not touch: the network.
 */
#include "probe/probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

struct probe_model_desc {
	const char *arg, *tag;
	enum probe_soc soc;
	uint8_t oui[3];
	uint32_t board_rev;
	const char *dtb;
};

/* Board revisions (new-style codes of the Raspberry Pi revision table):
 * 3B a02082, 3B+ a020d3, 4B a03111 (doc 1.4 capture), 400 c03130,
 * CM4 a03140 (1 GB; the [CMP#5] capture shows the 4 GB c03140), 5 d04170
 * (doc 1.5). OUIs from the list in doc 1.1. */
static const struct probe_model_desc models[PROBE_MODEL_MAX] = {
	[PROBE_MODEL_3B] = { "3b", "pi3b", PROBE_SOC_2837, { 0xb8, 0x27, 0xeb }, 0xa02082, "bcm2710-rpi-3-b.dtb" },
	[PROBE_MODEL_3BPLUS] = { "3b+", "pi3b+", PROBE_SOC_2837, { 0xb8, 0x27, 0xeb }, 0xa020d3,
				 "bcm2710-rpi-3-b-plus.dtb" },
	[PROBE_MODEL_4] = { "4", "pi4", PROBE_SOC_2711, { 0xdc, 0xa6, 0x32 }, 0xa03111, "bcm2711-rpi-4-b.dtb" },
	[PROBE_MODEL_400] = { "400", "pi400", PROBE_SOC_2711, { 0xdc, 0xa6, 0x32 }, 0xc03130, "bcm2711-rpi-400.dtb" },
	[PROBE_MODEL_CM4] = { "cm4", "cm4", PROBE_SOC_2711, { 0xe4, 0x5f, 0x01 }, 0xa03140, "bcm2711-rpi-cm4.dtb" },
	[PROBE_MODEL_5] = { "5", "pi5", PROBE_SOC_2712, { 0x2c, 0xcf, 0x67 }, 0xd04170, "bcm2712-rpi-5-b.dtb" },
};

int probe_model_parse(const char *s, enum probe_model *ret)
{
	for (int i = 0; i < PROBE_MODEL_MAX; i++)
		if (strcasecmp(s, models[i].arg) == 0 || strcasecmp(s, models[i].tag) == 0) {
			*ret = (enum probe_model)i;
			return 0;
		}
	return -EINVAL;
}

const char *probe_model_tag(enum probe_model m)
{
	return m < PROBE_MODEL_MAX ? models[m].tag : "pi?";
}

enum probe_soc probe_model_soc(enum probe_model m)
{
	return models[m < PROBE_MODEL_MAX ? m : PROBE_MODEL_4].soc;
}

const char *probe_model_dtb(enum probe_model m)
{
	return models[m < PROBE_MODEL_MAX ? m : PROBE_MODEL_4].dtb;
}

const uint8_t *probe_model_oui(enum probe_model m)
{
	return models[m < PROBE_MODEL_MAX ? m : PROBE_MODEL_4].oui;
}

uint32_t probe_model_board_rev(enum probe_model m)
{
	return models[m < PROBE_MODEL_MAX ? m : PROBE_MODEL_4].board_rev;
}

void probe_pi_set_id(struct probe_pi *pi)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++)
		pi->id[i] = hex[(pi->serial >> (28 - 4 * i)) & 15];
	pi->id[8] = '\0';
}

uint32_t probe_serial_from_mac(enum probe_model m, const uint8_t mac[6])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 6; i++) {
		h ^= mac[i];
		h *= 16777619u;
	}
	if (probe_model_is_pi3(m))
		h = (h & 0xff000000u) | ((uint32_t)mac[3] << 16) | ((uint32_t)mac[4] << 8) | mac[5];
	return h;
}

void probe_mac_from_serial(enum probe_model m, uint32_t serial, uint8_t mac[6])
{
	memcpy(mac, probe_model_oui(m), 3);
	mac[3] = (uint8_t)(serial >> 16);
	mac[4] = (uint8_t)(serial >> 8);
	mac[5] = (uint8_t)serial;
}

void probe_pi_identity(struct probe_pi *pi, enum probe_model m, uint32_t board_rev, bool has_serial,
		       uint32_t base_serial, bool has_mac, const uint8_t base_mac[6], unsigned i)
{
	memset(pi, 0, sizeof(*pi));
	pi->model = m;
	pi->board_rev = board_rev;
	if (has_mac) {
		uint64_t v = 0;
		for (int k = 0; k < 6; k++)
			v = v << 8 | base_mac[k];
		v += i;
		for (int k = 5; k >= 0; k--, v >>= 8)
			pi->mac[k] = (uint8_t)v;
		pi->serial = has_serial ? base_serial + i : probe_serial_from_mac(m, pi->mac);
	} else {
		pi->serial = base_serial + i;
		probe_mac_from_serial(m, pi->serial, pi->mac);
	}
	probe_pi_set_id(pi);
}

int probe_tftp_prefix(const struct probe_pi *pi, enum probe_prefix_mode mode, const char *str,
		      char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	char mac[19];
	const char *v;
	switch (mode) {
	case PROBE_PREFIX_SERIAL:
		v = pi->id;
		break;
	case PROBE_PREFIX_MAC:
		/* Lower case, dash separated: dc-a6-32-01-36-c2/ (doc 3.2). */
		for (int k = 0; k < 6; k++) {
			mac[3 * k] = hex[pi->mac[k] >> 4];
			mac[3 * k + 1] = hex[pi->mac[k] & 15];
			mac[3 * k + 2] = k < 5 ? '-' : '\0';
		}
		v = mac;
		break;
	case PROBE_PREFIX_STR:
		/* TFTP_PREFIX_STR is used as given, its own '/' included
		 * ("tftp_test/" in [DOC-EEPROM]). */
		if (!str || strlen(str) > PROBE_PREFIX_STR_MAX)
			return -EINVAL;
		if (strlen(str) >= cap)
			return -ENAMETOOLONG;
		snprintf(out, cap, "%s", str);
		return 0;
	case PROBE_PREFIX_NONE:
		if (cap == 0)
			return -ENAMETOOLONG;
		out[0] = '\0';
		return 0;
	default:
		return -EINVAL;
	}
	int n = snprintf(out, cap, "%s/", v);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int probe_prefix_parse(const char *s, enum probe_prefix_mode *ret_mode, char *ret_str)
{
	static const struct {
		const char *name;
		enum probe_prefix_mode mode;
	} words[] = { { "serial", PROBE_PREFIX_SERIAL }, { "mac", PROBE_PREFIX_MAC }, { "none", PROBE_PREFIX_NONE } };
	ret_str[0] = '\0';
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i].name) == 0) {
			*ret_mode = words[i].mode;
			return 0;
		}
	size_t n = strlen(s);
	if (n == 0 || n > PROBE_PREFIX_STR_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return -EINVAL;
	memcpy(ret_str, s, n + 1);
	*ret_mode = PROBE_PREFIX_STR;
	return 0;
}

void probe_mac_fmt(const uint8_t mac[6], char out[18])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 6; i++) {
		out[3 * i] = hex[mac[i] >> 4];
		out[3 * i + 1] = hex[mac[i] & 15];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
}

int probe_parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v = 0;
	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

int probe_parse_hex32(const char *s, uint32_t *ret)
{
	uint32_t v = 0;
	size_t n = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, n++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (n == 8)
			return -ERANGE;
		v = (v << 4) | (uint32_t)d;
	}
	if (n == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

uint64_t probe_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t probe_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *probe_fmt_size(uint64_t bytes, char *buf, size_t cap)
{
	if (bytes < 1000)
		snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
	else if (bytes < 1000000)
		snprintf(buf, cap, "%.1f kB", (double)bytes / 1e3);
	else
		snprintf(buf, cap, "%.1f MB", (double)bytes / 1e6);
	return buf;
}

void probe_tl_init(struct probe_tl *tl, uint64_t t0, FILE *live)
{
	memset(tl, 0, sizeof(*tl));
	tl->t0 = t0;
	tl->live = live;
}

static void tl_print_ev(const struct probe_tl_ev *e, FILE *f)
{
	fprintf(f, "%8.3f %-4s %s\n", (double)e->ms / 1000.0, e->phase, e->text);
}

void probe_tl_add(struct probe_tl *tl, const char *phase, const char *fmt, ...)
{
	if (tl->n == tl->cap) {
		size_t ncap = tl->cap ? tl->cap * 2 : 32;
		struct probe_tl_ev *nev = realloc(tl->ev, ncap * sizeof(*nev));
		if (!nev)
			return; /* a lost timeline line must not stop the probe */
		tl->ev = nev;
		tl->cap = ncap;
	}
	struct probe_tl_ev *e = &tl->ev[tl->n++];
	uint64_t now = probe_now_ms();
	e->ms = now > tl->t0 ? now - tl->t0 : 0;
	snprintf(e->phase, sizeof(e->phase), "%s", phase);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	if (tl->live) {
		tl_print_ev(e, tl->live);
		fflush(tl->live);
	}
}

void probe_tl_print(const struct probe_tl *tl, FILE *f)
{
	for (size_t i = 0; i < tl->n; i++)
		tl_print_ev(&tl->ev[i], f);
}

void probe_tl_free(struct probe_tl *tl)
{
	free(tl->ev);
	tl->ev = NULL;
	tl->n = tl->cap = 0;
}
