/* prov_eeprom.c - the Pi 4/5 bootloader (EEPROM) config: the BOOT_ORDER
 * explainer and the validator behind 'pinetboot eeprom-config FILE'.
 * Pure: text in, findings out through a bounded appender, no I/O. The
 * API is in prov_text.h with the other provisioning text formats.
 *
 * Owns: the known keys, the documented minimums, the [filter] sections
 * and which BOOT_ORDER a model ends up with. Must not touch: files, the
 * other text formats (prov_text.c). */
#include "provision/prov_text.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/net.h"
#include "core/tbuf.h"
#include "provision/prov_line.h"

/* Keys of the Pi 4/5 bootloader configuration (Raspberry Pi documentation,
 * "Raspberry Pi bootloader configuration"). */
static const char *const eeprom_keys[] = {
	"BOOT_ORDER", "BOOT_UART", "UART_BAUD", "WAKE_ON_GPIO", "POWER_OFF_ON_HALT", "ENABLE_SELF_UPDATE",
	"FREEZE_VERSION", "HDMI_DELAY", "DISABLE_HDMI", "NET_BOOT_MAX_RETRIES", "DHCP_TIMEOUT",
	"DHCP_REQ_TIMEOUT", "TFTP_FILE_TIMEOUT", "TFTP_IP", "TFTP_PREFIX", "TFTP_PREFIX_STR", "PXE_OPTION43",
	"DHCP_OPTION97", "MAC_ADDRESS", "MAC_ADDRESS_OTP", "CLIENT_IP", "SUBNET", "GATEWAY", "NETCONSOLE",
	"USE_IPV6", "SD_BOOT_MAX_RETRIES", "USB_MSD_EXCLUDE_VID_PID", "USB_MSD_DISCOVER_TIMEOUT",
	"USB_MSD_LUN_TIMEOUT", "USB_MSD_PWR_OFF_TIME", "USB_MSD_STARTUP_DELAY", "VL805", "XHCI_DEBUG",
	"SD_QUIRKS", "SPI_BOOT_MAX_RETRIES", "NVME_CONTROLLER", "NVME_BOOT", "PARTITION", "PSU_MAX_CURRENT",
	"USB_MSD_BOOT_MAX_RETRIES", "HTTP_HOST", "HTTP_PORT", "HTTP_PATH", "IMAGER_REPO_URL",
	"NET_INSTALL_ENABLED", "NET_INSTALL_AT_POWER_ON", "NET_INSTALL_KEYBOARDS", "BOOT_LOAD_FLAGS",
	"STATIC_IP", "STATIC_MASK", "STATIC_GATEWAY", "STATIC_DNS", "DISABLE_USB_BOOT", "PCIE_PROBE_RETRIES",
	"ENABLE_PCIE_COLD_BOOT", "PROG_ROM", "SIGNED_BOOT", "SD_POWER_OFF_TIME", "HALT_LED", "LED_MODE",
	"DISABLE_TRYBOOT", "DELAY_CAP", "POWER_BUTTON_DISABLE", "BOOT_WATCHDOG_TIMEOUT",
	"BOOT_WATCHDOG_PARTITION", "USB_MSD_RESCAN_INTERVAL", "PCIE_BOOT_SETTLE_TIME", "ENABLE_UART_IN_RECOVERY",
};

static const char *boot_mode_name(int nib)
{
	switch (nib) {
	case 0x0: return "SD card detect (legacy)";
	case 0x1: return "SD card";
	case 0x2: return "NETWORK (TFTP, what pinetboot serves)";
	case 0x3: return "RPIBOOT (USB device)";
	case 0x4: return "USB mass storage";
	case 0x5: return "BCM-USB mass storage (CM4 USB 2.0)";
	case 0x6: return "NVMe";
	case 0x7: return "HTTP";
	case 0xe: return "STOP (halt, show error)";
	case 0xf: return "RESTART (loop back to the first mode)";
	default: return NULL;
	}
}

int eeprom_boot_order_explain(const char *v, char *buf, size_t buflen, bool *ret_has_network)
{
	struct tbuf w;
	tbuf_init_fixed(&w, buf, buflen);
	if (ret_has_network)
		*ret_has_network = false;
	if (strncmp(v, "0x", 2) != 0 && strncmp(v, "0X", 2) != 0)
		return -EINVAL;
	const char *h = v + 2;
	size_t n = strlen(h);
	if (n == 0 || n > 8)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (hexval(h[i]) < 0 || !boot_mode_name(hexval(h[i])))
			return -EINVAL;
	/* Read right to left: the lowest nibble is tried first. */
	for (size_t k = 0; k < n; k++) {
		int d = hexval(h[n - 1 - k]);
		if (d == 2 && ret_has_network)
			*ret_has_network = true;
		tbuf_printf(&w, "  %zu. 0x%x %s\n", k + 1, d, boot_mode_name(d));
	}
	return w.err ? -ENOBUFS : 0;
}

/* A bootloader setting's number: decimal or 0x hex, 32 bits at most (the
 * bootloader reads them into 32-bit integers). */
static bool eeprom_number(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t n = strlen(s + 2);
		if (n == 0 || n > 8)
			return false;
		for (s += 2; *s; s++) {
			if (hexval(*s) < 0)
				return false;
			v = v << 4 | (uint64_t)hexval(*s);
		}
		*ret = v;
		return true;
	}
	return parse_uint(s, UINT32_MAX, ret) == 0;
}

/* Documented minimums (Raspberry Pi bootloader configuration): below
 * them the bootloader gives up before a normal DHCP or TFTP exchange. */
static const struct {
	const char *key;
	uint64_t min;
} eeprom_min[] = {
	{ "DHCP_TIMEOUT", 5000 },
	{ "DHCP_REQ_TIMEOUT", 500 },
	{ "TFTP_FILE_TIMEOUT", 5000 },
};

/* Keys whose value is text, or an address; every other is a number. */
static const char *const eeprom_text_keys[] = { "TFTP_PREFIX_STR", "MAC_ADDRESS", "NETCONSOLE", "PXE_OPTION43",
						"IMAGER_REPO_URL", "USB_MSD_EXCLUDE_VID_PID", "NET_INSTALL_KEYBOARDS",
						"HTTP_HOST", "HTTP_PATH", "STATIC_DNS" };
static const char *const eeprom_ip_keys[] = { "TFTP_IP", "CLIENT_IP", "SUBNET", "GATEWAY", "STATIC_IP",
					      "STATIC_MASK", "STATIC_GATEWAY" };

static bool in_list(const char *k, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k, v[i]) == 0)
			return true;
	return false;
}
#define IN_LIST(k, v) in_list(k, v, sizeof(v) / sizeof(v[0]))

/* One "KEY=value" line into key and val, surrounding double quotes of the
 * value removed (PXE_OPTION43="Raspberry Pi Boot"). NULL, or what is wrong. */
static const char *eeprom_kv(const char *t, size_t n, char key[64], char val[256])
{
	const char *eq = memchr(t, '=', n);
	if (!eq)
		return "expected KEY=value";
	size_t kl = (size_t)(eq - t), vl = n - kl - 1;
	while (kl && (t[kl - 1] == ' ' || t[kl - 1] == '\t'))
		kl--;
	const char *v = eq + 1;
	while (vl && (*v == ' ' || *v == '\t'))
		v++, vl--;
	if (vl && *v == '"') {
		if (vl < 2 || v[vl - 1] != '"')
			return "unbalanced quote in the value";
		v++;
		vl -= 2;
	}
	if (kl == 0 || kl >= 64 || vl >= 256)
		return "key or value too long or empty";
	memcpy(key, t, kl);
	key[kl] = '\0';
	memcpy(val, v, vl);
	val[vl] = '\0';
	return NULL;
}

/* The checks of one setting, whatever section it is in. Returns the
 * number of errors written. */
static int eeprom_check_value(struct tbuf *w, int lineno, const char *key, const char *val)
{
	uint64_t v;
	uint32_t a;
	if (!IN_LIST(key, eeprom_keys)) {
		tbuf_printf(w, "line %d: error: unknown key '%.63s'\n", lineno, key);
		return 1;
	}
	if (strcmp(key, "BOOT_ORDER") == 0) {
		char tmp[1024];
		if (eeprom_boot_order_explain(val, tmp, sizeof(tmp), NULL) == 0)
			return 0;
		tbuf_printf(w, "line %d: error: BOOT_ORDER '%.63s' is not 0x followed by 1-8 of the modes 0-7, e, f\n", lineno,
			val);
		return 1;
	}
	if (strcmp(key, "TFTP_PREFIX") == 0 && strcmp(val, "0") && strcmp(val, "1") && strcmp(val, "2")) {
		tbuf_printf(w, "line %d: error: TFTP_PREFIX must be 0 (serial), 1 (TFTP_PREFIX_STR) or 2 (MAC)\n", lineno);
		return 1;
	}
	if (strcmp(key, "PXE_OPTION43") == 0 && strcmp(val, "Raspberry Pi Boot") != 0) {
		tbuf_printf(w, "line %d: error: PXE_OPTION43 '%.63s': pinetboot's boot answers carry \"Raspberry Pi Boot\" "
			   "(the default); the Pi would ignore them\n", lineno, val);
		return 1;
	}
	if (IN_LIST(key, eeprom_ip_keys)) {
		if (!*val || net_aton(val, &a) == 0)
			return 0;
		tbuf_printf(w, "line %d: error: %s '%.63s' is not an IPv4 address (a.b.c.d)\n", lineno, key, val);
		return 1;
	}
	if (IN_LIST(key, eeprom_text_keys) || !strncmp(key, "HTTP_", 5))
		return 0;
	if (!eeprom_number(val, &v)) {
		tbuf_printf(w, "line %d: error: %s must be a number\n", lineno, key);
		return 1;
	}
	for (size_t i = 0; i < sizeof(eeprom_min) / sizeof(eeprom_min[0]); i++)
		if (strcmp(key, eeprom_min[i].key) == 0 && v < eeprom_min[i].min) {
			tbuf_printf(w, "line %d: error: %s=%s is below the bootloader's minimum of %llu ms\n", lineno, key,
				val, (unsigned long long)eeprom_min[i].min);
			return 1;
		}
	return 0;
}

/* Which boards a [filter] line selects: 'a' all, 4 the Pi 4 family, 5
 * the Pi 5 family, 'n' none, '?' a condition on the board's state
 * (a serial, a GPIO, tryboot...): not assumed to apply. */
static int eeprom_section(const char *t, size_t n)
{
	static const struct {
		const char *name;
		int kind;
	} tab[] = { { "all", 'a' }, { "none", 'n' }, { "pi4", 4 }, { "pi400", 4 }, { "cm4", 4 }, { "cm4s", 4 },
		    { "pi5", 5 },   { "pi500", 5 },  { "cm5", 5 } };
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (n == strlen(tab[i].name) && strncasecmp(t, tab[i].name, n) == 0)
			return tab[i].kind;
	return '?';
}

/* The BOOT_ORDER a Pi of this model ends up with (the last one that
 * applies wins, as in config.txt). Writes the verdict; 1 error or 0. */
static int eeprom_check_model(struct tbuf *w, const char *text, size_t len, int model)
{
	char key[64], val[256], order[256] = "";
	int lineno = 0, order_line = 0, sect = 'a';
	size_t i = 0, s, e;
	while (prov_next_line(text, len, &i, true, &s, &e)) {
		lineno++;
		if (s == e || text[s] == '#')
			continue;
		if (text[s] == '[') {
			sect = e - s >= 2 && text[e - 1] == ']' ? eeprom_section(text + s + 1, e - s - 2) : '?';
			continue;
		}
		bool applies = sect == 'a' || sect == model;
		if (applies && !eeprom_kv(text + s, e - s, key, val) && !strcmp(key, "BOOT_ORDER")) {
			snprintf(order, sizeof(order), "%s", val);
			order_line = lineno;
		}
	}
	bool net = false;
	char tmp[1024];
	if (!order_line) {
		tbuf_printf(w, "Pi %d: error: no BOOT_ORDER applies: the default (%s) never tries the network\n", model,
			model == 5 ? "0xf461: SD, NVMe, USB" : "0xf41: SD, USB");
		return 1;
	}
	if (eeprom_boot_order_explain(order, tmp, sizeof(tmp), &net) < 0)
		return 0; /* malformed: already counted as a line error */
	if (!net) {
		tbuf_printf(w, "Pi %d: error: BOOT_ORDER=%.63s (line %d) has no 2 (NETWORK): it will not network boot\n",
			model, order, order_line);
		return 1;
	}
	tbuf_printf(w, "Pi %d: network boot enabled (BOOT_ORDER=%.63s, line %d)\n", model, order, order_line);
	return 0;
}

int eeprom_validate(const char *text, size_t len, int model, char *buf, size_t buflen)
{
	struct tbuf w;
	tbuf_init_fixed(&w, buf, buflen);
	int errors = 0, lineno = 0;
	size_t i = 0, s, e;
	char key[64], val[256];
	if (model != 0 && model != 4 && model != 5)
		return -EINVAL;
	while (prov_next_line(text, len, &i, true, &s, &e)) {
		lineno++;
		if (s == e || text[s] == '#')
			continue;
		if (text[s] == '[') {
			if (text[e - 1] != ']') {
				tbuf_printf(&w, "line %d: error: unterminated section filter\n", lineno);
				errors++;
			}
			continue;
		}
		const char *why = eeprom_kv(text + s, e - s, key, val);
		if (why) {
			tbuf_printf(&w, "line %d: error: %s\n", lineno, why);
			errors++;
			continue;
		}
		errors += eeprom_check_value(&w, lineno, key, val);
	}
	for (int m = 4; m <= 5; m++)
		if (!model || model == m)
			errors += eeprom_check_model(&w, text, len, m);
	return errors;
}
