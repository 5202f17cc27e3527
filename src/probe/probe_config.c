/* probe_config.c - config.txt subset parser for `pinetboot probe`.
 *
 * Syntax per the Raspberry Pi config.txt documentation: "key=value" lines,
 * '#' comments at line start, "initramfs FILE [addr|followkernel]" and
 * "include FILE" with a space, and conditional [filter] sections that AND
 * together until [all]. Everything else is ignored.
 *
 * Owns: parsing config.txt for the probe. Must not touch: the network or files.
 */
#include "probe/probe_config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void probe_config_init(struct probe_config *c)
{
	memset(c, 0, sizeof(*c));
	c->arm_64bit = -1;
	snprintf(c->overlay_prefix, sizeof(c->overlay_prefix), "overlays/");
	snprintf(c->cmdline, sizeof(c->cmdline), "cmdline.txt");
}

/* Section state: filters of different kinds AND together; a new filter of
 * one kind replaces the previous filter of that kind; [all] resets. */
struct cond {
	bool model_ok, serial_ok, other_ok, none;
};

static void set_str(struct probe_config *c, char *dst, const char *v, size_t n)
{
	if (n >= PROBE_CFG_NAME_MAX) {
		c->dropped++;
		return;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

#define M(x) (1u << (x))

/* Model filters and the boards they match, from the config.txt
 * documentation's table: [pi3] also matches the 3B+, [pi4] the 400 and the
 * Compute Modules 4 and 4S, [pi5] the 500 and CM5. Boards we never
 * simulate have an empty set: their sections never apply. */
static bool model_filter(const struct probe_cfg_board *b, const char *f, bool *known)
{
	static const struct {
		const char *name;
		unsigned models;
	} tab[] = {
		{ "pi3", M(PROBE_MODEL_3B) | M(PROBE_MODEL_3BPLUS) },
		{ "pi3+", M(PROBE_MODEL_3BPLUS) },
		{ "pi4", M(PROBE_MODEL_4) | M(PROBE_MODEL_400) | M(PROBE_MODEL_CM4) },
		{ "pi400", M(PROBE_MODEL_400) },
		{ "cm4", M(PROBE_MODEL_CM4) },
		{ "cm4s", 0 },
		{ "pi5", M(PROBE_MODEL_5) },
		{ "pi500", 0 }, { "cm5", 0 }, { "pi0", 0 }, { "pi0w", 0 }, { "pi02", 0 }, { "pi1", 0 },
		{ "pi2", 0 }, { "cm3", 0 }, { "cm1", 0 },
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcasecmp(f, tab[i].name) != 0)
			continue;
		*known = true;
		return b->model < PROBE_MODEL_MAX && (tab[i].models & M(b->model)) != 0;
	}
	*known = false;
	return false;
}

/* [board-type=0x11]: the type field (bits 4-11) of the revision code. */
static bool board_type_filter(const struct probe_cfg_board *b, const char *f, bool *known)
{
	static const char key[] = "board-type=";
	uint32_t t;
	*known = strncasecmp(f, key, sizeof(key) - 1) == 0;
	if (!*known || probe_parse_hex32(f + sizeof(key) - 1, &t) < 0)
		return false;
	return b->board_rev != 0 && ((b->board_rev >> 4) & 0xffu) == t;
}

static void apply_section(struct cond *st, const struct probe_cfg_board *b, const char *f)
{
	bool known;
	if (strcasecmp(f, "all") == 0) {
		*st = (struct cond){ true, true, true, false };
		return;
	}
	if (strcasecmp(f, "none") == 0) {
		st->none = true;
		return;
	}
	bool m = model_filter(b, f, &known);
	if (!known)
		m = board_type_filter(b, f, &known);
	if (known) {
		st->model_ok = m;
		return;
	}
	if (f[0] == '0' && (f[1] == 'x' || f[1] == 'X')) {
		uint32_t s;
		st->serial_ok = probe_parse_hex32(f, &s) == 0 && s == b->serial;
		return;
	}
	/* [gpioN=..], [EDID=..], [HDMI:n], [tryboot] ...:
	 * a board on a bench with nothing attached matches none of them. */
	st->other_ok = false;
}

static void add_overlay(struct probe_config *c, const char *v, size_t n)
{
	/* "dtoverlay=name,param=value" or old "name:param": the file is name. */
	size_t k = 0;
	while (k < n && v[k] != ',' && v[k] != ':')
		k++;
	while (k > 0 && isspace((unsigned char)v[k - 1]))
		k--;
	if (k == 0)
		return;
	if (k >= sizeof(c->overlays[0])) {
		c->dropped++;
		return;
	}
	for (unsigned i = 0; i < c->n_overlays; i++)
		if (strlen(c->overlays[i]) == k && memcmp(c->overlays[i], v, k) == 0)
			return;
	if (c->n_overlays == PROBE_CFG_OVERLAYS_MAX) {
		c->dropped++;
		return;
	}
	memcpy(c->overlays[c->n_overlays], v, k);
	c->overlays[c->n_overlays++][k] = '\0';
}

static void add_include(struct probe_config *c, const char *v, size_t n)
{
	if (n == 0)
		return;
	if (c->n_includes == PROBE_CFG_INCLUDES_MAX || n >= PROBE_CFG_NAME_MAX) {
		c->dropped++;
		return;
	}
	memcpy(c->includes[c->n_includes], v, n);
	c->includes[c->n_includes++][n] = '\0';
}

/* First whitespace-free word of v[0..n) -> its length. */
static size_t word_len(const char *v, size_t n)
{
	size_t k = 0;
	while (k < n && !isspace((unsigned char)v[k]))
		k++;
	return k;
}

static bool key_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && strncasecmp(k, name, kn) == 0;
}

static void parse_line(struct probe_config *c, const char *k, size_t kn, const char *v, size_t vn)
{
	if (key_is(k, kn, "kernel"))
		set_str(c, c->kernel, v, word_len(v, vn));
	else if (key_is(k, kn, "initramfs"))  /* tolerated "initramfs=FILE" */
		set_str(c, c->initramfs, v, word_len(v, vn));
	else if (key_is(k, kn, "ramfsfile")) {
		/* Legacy comma-separated list; the first file is enough to probe. */
		size_t w = 0;
		while (w < vn && v[w] != ',' && !isspace((unsigned char)v[w]))
			w++;
		set_str(c, c->initramfs, v, w);
	} else if (key_is(k, kn, "auto_initramfs"))
		c->auto_initramfs = vn > 0 && v[0] == '1';
	else if (key_is(k, kn, "device_tree")) {
		c->has_device_tree = true;
		set_str(c, c->device_tree, v, word_len(v, vn));
	} else if (key_is(k, kn, "dtoverlay"))
		add_overlay(c, v, vn);
	else if (key_is(k, kn, "os_prefix"))
		set_str(c, c->os_prefix, v, word_len(v, vn));
	else if (key_is(k, kn, "overlay_prefix"))
		set_str(c, c->overlay_prefix, v, word_len(v, vn));
	else if (key_is(k, kn, "cmdline"))
		set_str(c, c->cmdline, v, word_len(v, vn));
	else if (key_is(k, kn, "start_file"))
		set_str(c, c->start_file, v, word_len(v, vn));
	else if (key_is(k, kn, "fixup_file"))
		set_str(c, c->fixup_file, v, word_len(v, vn));
	else if (key_is(k, kn, "arm_64bit"))
		c->arm_64bit = (vn > 0 && v[0] != '0') ? 1 : 0;
}

void probe_config_parse(struct probe_config *c, const struct probe_cfg_board *b,
			const char *text, size_t len)
{
	struct cond st = { true, true, true, false };
	size_t pos = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl ? 1 : 0);
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			n--;  /* also strips the CR of CRLF files */
		while (n > 0 && isspace((unsigned char)*line)) {
			line++;
			n--;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (line[0] == '[') {
			char f[64];
			const char *end = memchr(line, ']', n);
			size_t fn = end ? (size_t)(end - line - 1) : 0;
			if (!end || fn >= sizeof(f))
				continue;
			memcpy(f, line + 1, fn);
			f[fn] = '\0';
			apply_section(&st, b, f);
			continue;
		}
		if (st.none || !st.model_ok || !st.serial_ok || !st.other_ok)
			continue;
		/* "initramfs FILE ..." and "include FILE" use a space, not '='. */
		size_t kn = 0;
		while (kn < n && line[kn] != '=' && !isspace((unsigned char)line[kn]))
			kn++;
		const char *v = line + kn;
		size_t vn = n - kn;
		bool eq = false;
		while (vn > 0 && (isspace((unsigned char)*v) || (*v == '=' && !eq))) {
			eq = eq || *v == '=';
			v++;
			vn--;
		}
		if (!eq && key_is(line, kn, "initramfs"))
			set_str(c, c->initramfs, v, word_len(v, vn));
		else if (!eq && key_is(line, kn, "include"))
			add_include(c, v, word_len(v, vn));
		else if (eq)
			parse_line(c, line, kn, v, vn);
	}
}
