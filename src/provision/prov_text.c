/* prov_text.c - pure rewriters and parsers for provisioning: cmdline.txt,
 * fstab, MBR, OTP dump, Pi names. Nothing here touches the disk; the
 * callers in image.c / client.c / src/cli/ do the I/O. Output goes
 * through a bounded appender with a sticky overflow flag. The EEPROM
 * config checks are in prov_eeprom.c.
 *
 * Owns: the text formats (cmdline.txt, fstab, MBR, OTP rows, Pi names).
 * Must not touch: files (callers do the I/O), the EEPROM rules. */
#include "provision/prov_text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pi/pi_id.h"
#include "core/hex.h"
#include "core/tbuf.h"
#include "provision/prov_line.h"

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
	struct tbuf o;
	tbuf_init_fixed(&o, out, outlen);
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
			tbuf_puts(&o, " ");
		tbuf_append(&o, in + s, i - s);
		first = false;
	}
	/* vers=3: with no vers= a kernel built with CONFIG_NFS_V2 (before
	 * ~6.10) asks for NFSv2. "tcp" rather than "proto=tcp": klibc's
	 * nfsmount (the Raspberry Pi OS initramfs) accepts the flag and
	 * rejects proto=; the kernel's own nfsroot parser passes the string to
	 * the NFS fs_context, where "tcp" is a flag too. rsize/wsize: the
	 * kernel's nfsroot default is 4096, which throttles the whole boot. */
	if (!first)
		tbuf_puts(&o, " ");
	tbuf_printf(&o,
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

int prov_fstab_rewrite(const char *in, size_t inlen, const char *boot_mnt, char *out, size_t outlen)
{
	struct tbuf o;
	tbuf_init_fixed(&o, out, outlen);
	if (inlen > PROV_FSTAB_MAX || !boot_mnt)
		return -EINVAL;
	size_t i = 0, s, e;
	while (prov_next_line(in, inlen, &i, false, &s, &e)) {
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
			tbuf_puts(&o, "# pinetboot (SD card entry, disabled): ");
		}
		tbuf_append(&o, in + s, e - s);
		tbuf_puts(&o, "\n");
	}
	if (o.len > 0 && o.p[o.len - 1] != '\n')
		tbuf_puts(&o, "\n");
	return o.err ? -ENOBUFS : 0;
}

/* The generator's body. It runs before any unit, as root, with only the
 * kernel command line as input: every word is matched, nothing is
 * evaluated (set -f: no globbing), and the server must look like a host
 * name or an IPv4/[IPv6] address before it goes into the unit file. */
static const char boot_gen_body[] =
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"
	"dir=${1:-}\n"
	"[ -n \"$dir\" ] || exit 0\n"
	"cmdline=${PINETBOOT_CMDLINE:-/proc/cmdline}\n"
	"line=\n"
	"read -r line 2>/dev/null <\"$cmdline\" || [ -n \"$line\" ] || exit 0\n"
	"set -f\n"
	"server=\n"
	"for arg in $line; do\n"
	"\tcase $arg in\n"
	"\tnfsroot=*) v=${arg#nfsroot=} ;;\n"
	"\troot=*:/*) v=${arg#root=} ;;\n"
	"\t*) continue ;;\n"
	"\tesac\n"
	"\tv=${v%%,*}\n"
	"\tcase $v in\n"
	"\t*:/*) server=${v%%:/*} ;;\n"
	"\t*) server= ;;\n"
	"\tesac\n"
	"done\n"
	"case $server in\n"
	"'' | *[!]0-9A-Za-z.:_[-]*) exit 0 ;;\n"
	"esac\n"
	"printf '%s\\n' \"# written at boot by $0 from $cmdline\" \\\n"
	"\t'[Unit]' \\\n"
	"\t'Description=Boot files from the pinetboot server' \\\n"
	"\t'After=network-online.target' \\\n"
	"\t'Wants=network-online.target' \\\n"
	"\t'Before=remote-fs.target' \\\n"
	"\t'' \\\n"
	"\t'[Mount]' \\\n"
	"\t\"What=$server:/boot/$id\" \\\n"
	"\t\"Where=$mnt\" \\\n"
	"\t'Type=nfs' \\\n"
	"\t'Options=vers=3,tcp,nolock' >\"$dir/$unit\" || exit 0\n"
	"mkdir -p \"$dir/remote-fs.target.wants\" && ln -sf \"../$unit\" \"$dir/remote-fs.target.wants/$unit\"\n"
	"exit 0\n";

int prov_boot_generator(const char *id, const char *boot_mnt, char *out, size_t outlen)
{
	struct tbuf o;
	tbuf_init_fixed(&o, out, outlen);
	const char *unit;
	if (!strcmp(boot_mnt, "/boot/firmware"))
		unit = "boot-firmware.mount";
	else if (!strcmp(boot_mnt, "/boot"))
		unit = "boot.mount";
	else
		return -EINVAL;
	/* The id goes into the script between single quotes: it must be
	 * one of ours (8 hex digits or a MAC id), nothing a shell reads. */
	char norm[18];
	if (pi_id_normalise(id, norm) < 0 || strcmp(norm, id) != 0)
		return -EINVAL;
	tbuf_printf(&o,
		"#!/bin/sh\n"
		"# pinetboot-boot-firmware - a systemd generator written by 'pinetboot add'.\n"
		"# Mounts this Pi's boot files (the server's /boot/%s export) at %s over NFS,\n",
		id, boot_mnt);
	tbuf_puts(&o, "# like an fstab line with _netdev. The server is the one the root came from:\n"
		    "# nfsroot=SERVER:/... (or root=SERVER:/...) on the kernel command line, so a\n"
		    "# server with a new address needs no change here. Without one it writes\n"
		    "# nothing. PINETBOOT_CMDLINE replaces /proc/cmdline (tests).\n");
	tbuf_printf(&o, "id='%s'\nmnt='%s'\nunit='%s'\n", id, boot_mnt, unit);
	tbuf_puts(&o, boot_gen_body);
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
	while (prov_next_line(text, len, &i, true, &s, &e)) {
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
	struct tbuf w;
	tbuf_init_fixed(&w, buf, buflen);
	uint32_t type = 0xffff;
	if (o->have[28])
		tbuf_printf(&w, "serial:         %08x (the TFTP directory name clients/%08x)\n", o->row[28], o->row[28]);
	if (o->have[30]) {
		uint32_t rev = o->row[30];
		const char *m = pi_board_model(rev);
		tbuf_printf(&w, "board revision: %x (%s)\n", rev, m ? m : "unknown model");
		if (rev & (1u << 23))
			type = (rev >> 4) & 0xff;
	}
	if (!o->have[17]) {
		tbuf_puts(&w, "row 17 (boot mode) is missing: pass the whole output of 'vcgencmd otp_dump'.\n");
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
	tbuf_printf(&w, "row 17 (boot mode): %08x\n", r);
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		tbuf_printf(&w, "  bit %2d %-3s %s\n", bits[i].bit, (r >> bits[i].bit) & 1 ? "on" : "off", bits[i].what);
	if (o->have[18] && o->row[18] != r)
		tbuf_printf(&w, "note: row 18 (the copy of row 17) is %08x and differs\n", o->row[18]);
	/* Board types (revision bits 4-11): 0x11 4B, 0x13 400, 0x14 CM4,
	 * 0x17 5, 0x18 CM5, 0x19 500, 0x0d 3B+, 0x0e 3A+. */
	if (type == 0x11 || type == 0x13 || type == 0x14 || type == 0x15 || type == 0x17 || type == 0x18 ||
	    type == 0x19 || type == 0x1a) {
		tbuf_puts(&w, "verdict: this board boots from its EEPROM bootloader; OTP row 17 does not decide.\n"
			    "  Network boot is set by BOOT_ORDER: see 'pinetboot eeprom-config'.\n");
		return OTP_NETBOOT_EEPROM;
	}
	if (type == 0x0d) {
		tbuf_puts(&w, "verdict: network boot is ENABLED: the Pi 3B+ boot ROM netboots from the factory.\n");
		return OTP_NETBOOT_BUILTIN;
	}
	if ((r >> 29) & 1) {
		tbuf_puts(&w, "verdict: network boot is ENABLED (USB host boot bit 29 is set; 3020000a is the usual value).\n"
			    "  Remove program_usb_boot_mode=1 from config.txt if it is still there.\n");
		return OTP_NETBOOT_ENABLED;
	}
	tbuf_puts(&w, "verdict: network boot is NOT enabled (bit 29 clear; an unprogrammed board shows 1020000a).\n"
		    "  To enable it (permanent, one time): boot this Pi from an SD card with Raspberry Pi OS,\n"
		    "  run 'pinetboot prepare-sd /boot/firmware' (adds program_usb_boot_mode=1 to config.txt),\n"
		    "  reboot, and check again: 'vcgencmd otp_dump | grep 17:' must show 17:3020000a.\n");
	return OTP_NETBOOT_DISABLED;
}

/* --- names --- */

int prov_pi_name_parse(const char *in, struct pi_name *out)
{
	memset(out, 0, sizeof(*out));
	if (!in)
		return -EINVAL;
	size_t n = strnlen(in, 18);
	if (n == 8 || n == 16) {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++) {
			int h = hexval(in[i]);
			if (h < 0)
				return -EINVAL;
			v = v << 4 | (uint64_t)h;
		}
		/* /proc/cpuinfo prints 16 digits (100000003b0200aa on a 3B+);
		 * the firmware, its DHCP option 97 and TFTP prefix use the low
		 * 32 bits. */
		out->serial = (uint32_t)v;
		out->has_serial = true;
		out->serial_cut = n == 16;
		return 0;
	}
	if (pi_mac_parse(in, out->mac) == 0) {
		out->has_mac = true;
		return 0;
	}
	return -EINVAL;
}

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
