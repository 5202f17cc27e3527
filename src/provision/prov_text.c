/* prov_text.c - pure rewriters and parsers for provisioning: cmdline.txt,
 * fstab, MBR, OTP dump, EEPROM config. Nothing here touches the disk; the
 * callers in image.c / client.c / cli_provision.c do the I/O. Output goes
 * through a bounded appender with a sticky overflow flag. */
#include "provision/prov_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/dhcp_pi.h"
#include "core/hex.h"
#include "core/net.h"

struct out {
	char *p;
	size_t len, cap;
	bool err;
};

static void out_init(struct out *o, char *buf, size_t cap)
{
	o->p = buf;
	o->len = 0;
	o->cap = cap;
	o->err = cap == 0;
	if (cap)
		buf[0] = '\0';
}

static void out_mem(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (n >= o->cap - o->len) {
		o->err = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void out_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->err = true;
		return;
	}
	out_mem(o, tmp, (size_t)n);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool has_prefix(const char *s, size_t n, const char *pfx)
{
	size_t k = strlen(pfx);
	return n >= k && memcmp(s, pfx, k) == 0;
}

static bool tok_is(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(s, w, n) == 0;
}

static bool tok_contains(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, w, k) == 0)
			return true;
	return false;
}

/* The next line of text[0..len) from *pos: [*ret_s, *ret_e) without its
 * '\n', and with surrounding blanks (and a '\r') cut when trim is set.
 * Advances *pos past the line; false at the end of the text. */
static bool next_line(const char *text, size_t len, size_t *pos, bool trim, size_t *ret_s, size_t *ret_e)
{
	size_t i = *pos;
	if (i >= len)
		return false;
	size_t s = i;
	while (i < len && text[i] != '\n')
		i++;
	size_t e = i;
	*pos = i < len ? i + 1 : i;
	if (trim) {
		while (s < e && (text[s] == ' ' || text[s] == '\t'))
			s++;
		while (e > s && (text[e - 1] == '\r' || text[e - 1] == ' ' || text[e - 1] == '\t'))
			e--;
	}
	*ret_s = s;
	*ret_e = e;
	return true;
}

/* Arguments that describe the SD-card root or a first boot that would
 * resize it. init= is dropped only when it is one of the resize/firstboot
 * helpers (raspi-config's init_resize.sh up to Bullseye,
 * raspberrypi-sys-mods' firstboot from Bookworm): a user's own init= stays.
 * systemd.run=/boot/firstrun.sh & co. are Raspberry Pi Imager's one-shot
 * customisation, which rewrites cmdline.txt and reboots. */
static bool cmdline_drop(const char *t, size_t n)
{
	static const char *const exact[] = { "rw", "ro", "rootwait", "resize", "fastboot" };
	static const char *const prefix[] = { "root=", "rootfstype=", "rootflags=", "nfsroot=", "ip=",
					      "rootdelay=", "fsck.repair=", "fsck.mode=", "nfsrootdebug",
					      "systemd.run=", "systemd.run_success_action=",
					      "systemd.run_failure_action=", "systemd.unit=kernel-command-line" };
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (tok_is(t, n, exact[i]))
			return true;
	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (has_prefix(t, n, prefix[i]))
			return true;
	if (has_prefix(t, n, "init=") && (tok_contains(t, n, "resize") || tok_contains(t, n, "firstboot")))
		return true;
	return false;
}

int prov_cmdline_rewrite(const char *in, size_t inlen, const char *id, char *out, size_t outlen)
{
	struct out o;
	out_init(&o, out, outlen);
	if (!id || !*id || inlen > PROV_CMDLINE_MAX)
		return -EINVAL;
	size_t i = 0;
	bool first = true;
	while (i < inlen) {
		while (i < inlen && is_space(in[i]))
			i++;
		size_t s = i;
		while (i < inlen && !is_space(in[i]) && in[i] != '\0')
			i++;
		if (i == s) {
			if (i < inlen && in[i] == '\0')
				break;
			continue;
		}
		if (cmdline_drop(in + s, i - s))
			continue;
		if (!first)
			out_str(&o, " ");
		out_mem(&o, in + s, i - s);
		first = false;
	}
	/* vers=3: with no vers= a kernel built with CONFIG_NFS_V2 (before
	 * ~6.10) asks for NFSv2. "tcp" rather than "proto=tcp": klibc's
	 * nfsmount (the Raspberry Pi OS initramfs) accepts the flag and
	 * rejects proto=; the kernel's own nfsroot parser passes the string to
	 * the NFS fs_context, where "tcp" is a flag too. rsize/wsize: the
	 * kernel's nfsroot default is 4096, which throttles the whole boot. */
	if (!first)
		out_str(&o, " ");
	out_fmt(&o,
		"root=/dev/nfs nfsroot=${server}:/clients/%s,vers=3,tcp,rsize=1048576,wsize=1048576 rw ip=dhcp rootwait\n",
		id);
	return o.err ? -ENOBUFS : 0;
}

/* An fstab device that lives on the SD card or a local disk. */
static bool fstab_local_dev(const char *s, size_t n)
{
	static const char *const pfx[] = { "PARTUUID=", "UUID=", "LABEL=", "PARTLABEL=", "/dev/mmcblk",
					   "/dev/sd", "/dev/nvme", "/dev/disk/" };
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (has_prefix(s, n, pfx[i]))
			return true;
	return false;
}

int prov_fstab_rewrite(const char *in, size_t inlen, const char *boot_mnt, const char *server,
		       const char *id, char *out, size_t outlen)
{
	struct out o;
	out_init(&o, out, outlen);
	if (inlen > PROV_FSTAB_MAX || !boot_mnt || !server || !id || !*id)
		return -EINVAL;
	size_t i = 0, s, e;
	while (next_line(in, inlen, &i, false, &s, &e)) {
		/* fields: spec file vfstype */
		const char *f[3] = { 0 };
		size_t fl[3] = { 0 };
		size_t p = s;
		int nf = 0;
		while (nf < 3) {
			while (p < e && (in[p] == ' ' || in[p] == '\t'))
				p++;
			if (p >= e || in[p] == '#')
				break;
			f[nf] = in + p;
			while (p < e && in[p] != ' ' && in[p] != '\t')
				p++;
			fl[nf] = (size_t)(in + p - f[nf]);
			nf++;
		}
		bool drop = false;
		if (nf >= 2) {
			bool local = fstab_local_dev(f[0], fl[0]);
			bool rootish = tok_is(f[1], fl[1], "/") || tok_is(f[1], fl[1], "/boot") ||
				       tok_is(f[1], fl[1], "/boot/firmware") || tok_is(f[1], fl[1], boot_mnt);
			/* root and boot go whatever their device (a previous
			 * run's NFS line included); other local disks go too,
			 * since a netbooted Pi has no SD card to find them on. */
			drop = rootish || local;
		}
		if (drop) {
			out_str(&o, "# pinetboot (SD card entry, disabled): ");
		}
		out_mem(&o, in + s, e - s);
		out_str(&o, "\n");
	}
	if (o.len > 0 && o.p[o.len - 1] != '\n')
		out_str(&o, "\n");
	/* The boot files come from the server's /boot/<id> export, mounted
	 * where the image expects its boot partition, so a kernel update on
	 * the Pi writes into this Pi's own boot directory. fstab cannot expand
	 * placeholders: the server is named, and /etc/hosts maps the name. */
	out_fmt(&o, "# pinetboot: boot files over NFS from the pinetboot server\n"
		    "%s:/boot/%s %s nfs defaults,vers=3,tcp,nolock,_netdev 0 0\n",
		server, id, boot_mnt);
	return o.err ? -ENOBUFS : 0;
}

/* --- MBR --- */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool mbr_type_is_fat(uint8_t t)
{
	return t == 0x01 || t == 0x04 || t == 0x06 || t == 0x0b || t == 0x0c || t == 0x0e;
}

int mbr_parse(const uint8_t *buf, size_t len, struct mbr_part out[4])
{
	if (len < 512 || buf[510] != 0x55 || buf[511] != 0xaa)
		return -EINVAL;
	int n = 0;
	for (int i = 0; i < 4; i++) {
		const uint8_t *e = buf + 446 + 16 * i;
		uint8_t status = e[0], type = e[4];
		uint32_t lba = le32(e + 8), count = le32(e + 12);
		if (type == 0)
			continue;
		/* A FAT boot sector also ends in 55 aa; the status byte tells
		 * a partition table from boot code. */
		if (status != 0x00 && status != 0x80)
			return -EINVAL;
		if (type == 0xee)
			return -ENOTSUP;
		if (lba == 0 || count == 0)
			return -EINVAL;
		out[n].type = type;
		out[n].bootable = status == 0x80;
		out[n].start = (uint64_t)lba * 512;
		out[n].size = (uint64_t)count * 512;
		n++;
	}
	return n;
}

int mbr_pick(const struct mbr_part *p, int n, uint64_t image_size, int *ret_boot, int *ret_root)
{
	int boot = -1, root = -1;
	for (int i = 0; i < n; i++) {
		if (boot < 0 && mbr_type_is_fat(p[i].type))
			boot = i;
		else if (boot >= 0 && root < 0 && p[i].type == 0x83)
			root = i;
	}
	if (boot < 0 || root < 0)
		return -ENOENT;
	int pick[2] = { boot, root };
	for (int k = 0; k < 2; k++) {
		const struct mbr_part *x = &p[pick[k]];
		if (x->start > image_size || x->size > image_size - x->start)
			return -ERANGE;
	}
	*ret_boot = boot;
	*ret_root = root;
	return 0;
}

/* --- OTP --- */

int otp_parse(const char *text, size_t len, struct otp *o)
{
	memset(o, 0, sizeof(*o));
	int rows = 0;
	size_t i = 0, s, e;
	while (next_line(text, len, &i, true, &s, &e)) {
		size_t p = s;
		unsigned row = 0;
		while (p < e && text[p] >= '0' && text[p] <= '9' && p - s < 3)
			row = row * 10 + (unsigned)(text[p++] - '0');
		if (p == s || p >= e || text[p] != ':')
			continue; /* not a row line (a header, a blank line) */
		p++;
		if (e - p != 8 || row >= OTP_ROWS)
			return -EINVAL;
		uint32_t v = 0;
		for (; p < e; p++) {
			int d = hexval(text[p]);
			if (d < 0)
				return -EINVAL;
			v = v << 4 | (uint32_t)d;
		}
		o->have[row] = true;
		o->row[row] = v;
		rows++;
	}
	return rows;
}

enum otp_verdict otp_report(const struct otp *o, char *buf, size_t buflen)
{
	struct out w;
	out_init(&w, buf, buflen);
	uint32_t type = 0xffff;
	if (o->have[28])
		out_fmt(&w, "serial:         %08x (the TFTP directory name clients/%08x)\n", o->row[28], o->row[28]);
	if (o->have[30]) {
		uint32_t rev = o->row[30];
		const char *m = pi_board_model(rev);
		out_fmt(&w, "board revision: %x (%s)\n", rev, m ? m : "unknown model");
		if (rev & (1u << 23))
			type = (rev >> 4) & 0xff;
	}
	if (!o->have[17]) {
		out_str(&w, "row 17 (boot mode) is missing: pass the whole output of 'vcgencmd otp_dump'.\n");
		return OTP_NETBOOT_UNKNOWN;
	}
	uint32_t r = o->row[17];
	static const struct {
		int bit;
		const char *what;
	} bits[] = {
		{ 1, "19.2 MHz oscillator" },
		{ 3, "SDIO pull-ups" },
		{ 21, "SD card boot" },
		{ 28, "USB device boot (rpiboot)" },
		{ 29, "USB host boot, including Ethernet (network boot)" },
	};
	out_fmt(&w, "row 17 (boot mode): %08x\n", r);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		out_fmt(&w, "  bit %2d %-3s %s\n", bits[i].bit, (r >> bits[i].bit) & 1 ? "on" : "off", bits[i].what);
	if (o->have[18] && o->row[18] != r)
		out_fmt(&w, "note: row 18 (the copy of row 17) is %08x and differs\n", o->row[18]);
	/* Board types (revision bits 4-11): 0x11 4B, 0x13 400, 0x14 CM4,
	 * 0x17 5, 0x18 CM5, 0x19 500, 0x0d 3B+, 0x0e 3A+. */
	if (type == 0x11 || type == 0x13 || type == 0x14 || type == 0x15 || type == 0x17 || type == 0x18 ||
	    type == 0x19 || type == 0x1a) {
		out_str(&w, "verdict: this board boots from its EEPROM bootloader; OTP row 17 does not decide.\n"
			    "  Network boot is set by BOOT_ORDER: see 'pinetboot eeprom-config'.\n");
		return OTP_NETBOOT_EEPROM;
	}
	if (type == 0x0d) {
		out_str(&w, "verdict: network boot is ENABLED: the Pi 3B+ boot ROM netboots from the factory.\n");
		return OTP_NETBOOT_BUILTIN;
	}
	if ((r >> 29) & 1) {
		out_str(&w, "verdict: network boot is ENABLED (USB host boot bit 29 is set; 3020000a is the usual value).\n"
			    "  Remove program_usb_boot_mode=1 from config.txt if it is still there.\n");
		return OTP_NETBOOT_ENABLED;
	}
	out_str(&w, "verdict: network boot is NOT enabled (bit 29 clear; an unprogrammed board shows 1020000a).\n"
		    "  To enable it (permanent, one time): boot this Pi from an SD card with Raspberry Pi OS,\n"
		    "  run 'pinetboot prepare-sd /boot/firmware' (adds program_usb_boot_mode=1 to config.txt),\n"
		    "  reboot, and check again: 'vcgencmd otp_dump | grep 17:' must show 17:3020000a.\n");
	return OTP_NETBOOT_DISABLED;
}

/* --- EEPROM --- */

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
	struct out w;
	out_init(&w, buf, buflen);
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
		out_fmt(&w, "  %zu. 0x%x %s\n", k + 1, d, boot_mode_name(d));
	}
	return w.err ? -ENOBUFS : 0;
}

/* A bootloader setting's number: decimal or 0x hex, 32 bits at most (the
 * bootloader reads them into 32-bit integers). */
static bool is_number(const char *s)
{
	uint64_t v;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		size_t n = strlen(s + 2);
		if (n == 0 || n > 8)
			return false;
		for (s += 2; *s; s++)
			if (hexval(*s) < 0)
				return false;
		return true;
	}
	return parse_uint(s, UINT32_MAX, &v) == 0;
}

int eeprom_validate(const char *text, size_t len, char *buf, size_t buflen)
{
	struct out w;
	out_init(&w, buf, buflen);
	int errors = 0, lineno = 0;
	bool saw_order = false, order_net = false;
	size_t i = 0, s, e;
	while (next_line(text, len, &i, true, &s, &e)) {
		lineno++;
		if (s == e || text[s] == '#')
			continue;
		if (text[s] == '[') {
			if (text[e - 1] != ']') {
				out_fmt(&w, "line %d: error: unterminated section filter\n", lineno);
				errors++;
			}
			continue;
		}
		char key[64], val[256];
		const char *eq = memchr(text + s, '=', e - s);
		if (!eq) {
			out_fmt(&w, "line %d: error: expected KEY=value\n", lineno);
			errors++;
			continue;
		}
		size_t kl = (size_t)(eq - (text + s)), vl = (size_t)(text + e - eq - 1);
		if (kl == 0 || kl >= sizeof(key) || vl >= sizeof(val)) {
			out_fmt(&w, "line %d: error: key or value too long or empty\n", lineno);
			errors++;
			continue;
		}
		memcpy(key, text + s, kl);
		key[kl] = '\0';
		memcpy(val, eq + 1, vl);
		val[vl] = '\0';
		bool known = false;
		for (size_t k = 0; k < sizeof(eeprom_keys) / sizeof(eeprom_keys[0]); k++)
			if (strcmp(key, eeprom_keys[k]) == 0)
				known = true;
		if (!known) {
			out_fmt(&w, "line %d: error: unknown key '%.63s'\n", lineno, key);
			errors++;
			continue;
		}
		if (strcmp(key, "BOOT_ORDER") == 0) {
			char tmp[1024];
			bool net = false;
			saw_order = true;
			if (eeprom_boot_order_explain(val, tmp, sizeof(tmp), &net) < 0) {
				out_fmt(&w, "line %d: error: BOOT_ORDER '%.63s' is not 0x followed by 1-8 of the modes 0-7, e, f\n",
					lineno, val);
				errors++;
			} else {
				order_net = net;
			}
		} else if (strcmp(key, "TFTP_PREFIX") == 0) {
			if (strcmp(val, "0") && strcmp(val, "1") && strcmp(val, "2")) {
				out_fmt(&w, "line %d: error: TFTP_PREFIX must be 0 (serial), 1 (TFTP_PREFIX_STR) or 2 (MAC)\n",
					lineno);
				errors++;
			}
		} else if (strcmp(key, "TFTP_IP") && strcmp(key, "TFTP_PREFIX_STR") && strcmp(key, "MAC_ADDRESS") &&
			   strcmp(key, "CLIENT_IP") && strcmp(key, "SUBNET") && strcmp(key, "GATEWAY") &&
			   strcmp(key, "NETCONSOLE") && strncmp(key, "HTTP_", 5) && strncmp(key, "STATIC_", 7) &&
			   strcmp(key, "IMAGER_REPO_URL") && strcmp(key, "USB_MSD_EXCLUDE_VID_PID") &&
			   strcmp(key, "NET_INSTALL_KEYBOARDS") && !is_number(val)) {
			out_fmt(&w, "line %d: error: %s must be a number\n", lineno, key);
			errors++;
		}
	}
	if (!saw_order)
		out_str(&w, "warning: no BOOT_ORDER: the default (0xf41: SD, USB, repeat) never tries the network\n");
	else if (!order_net)
		out_str(&w, "warning: BOOT_ORDER has no 2 (NETWORK): this Pi will not network boot\n");
	return errors;
}

/* --- names --- */

bool prov_hostname_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return true;
}

bool prov_image_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.'))
			return false;
	}
	return true;
}
