/* prov_text.h - the pure parsers and rewriters behind the provisioning
 * commands: cmdline.txt and fstab rewrites, the MBR reader, the OTP dump
 * decoder and the EEPROM config validator. Bytes in, bytes or structs out,
 * no I/O, no globals, so each is unit-tested and (the MBR) fuzzed.
 *
 * Owns: the pure text helpers' API. Must not touch: I/O. */
#ifndef PINETBOOT_PROVISION_PROV_TEXT_H
#define PINETBOOT_PROVISION_PROV_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest cmdline.txt / fstab we accept (the firmware caps cmdline.txt
 * far below this; an fstab of 64 KiB is already absurd). */
#define PROV_CMDLINE_MAX 4096
#define PROV_FSTAB_MAX 65536

/* Rewrite an image's cmdline.txt for NFS root of client id: every
 * argument that names the SD-card root or a first-boot resize is dropped,
 * everything else (console=, quiet, cgroup flags...) is kept in order, and
 * "root=/dev/nfs nfsroot=${server}:/clients/ID,vers=3,tcp,rsize=...,wsize=...
 * rw ip=dhcp rootwait" is appended. Output is one line ending in '\n'.
 * 0, -EINVAL (empty id) or -ENOBUFS. */
int prov_cmdline_rewrite(const char *in, size_t inlen, const char *id, char *out, size_t outlen);

/* Rewrite /etc/fstab: comment out the SD-card / USB-disk entries (root,
 * boot, swap partitions named by PARTUUID=, UUID=, LABEL= or /dev/mmcblk*,
 * /dev/sd*, /dev/nvme*) and any entry for /, /boot, /boot/firmware or
 * BOOT_MNT (an older pinetboot's NFS line included); keep everything else
 * (proc, tmpfs, comments). The boot files are mounted by the generator
 * below, not by fstab. */
int prov_fstab_rewrite(const char *in, size_t inlen, const char *boot_mnt, char *out, size_t outlen);

/* The /bin/sh systemd generator (etc/systemd/system-generators/
 * pinetboot-boot-firmware) that mounts SERVER:/boot/ID at boot_mnt
 * ("/boot/firmware" or "/boot"), SERVER taken at boot from nfsroot= (or
 * root=SERVER:/...) on /proc/cmdline. 0, -EINVAL (bad id or mount point)
 * or -ENOBUFS. */
int prov_boot_generator(const char *id, const char *boot_mnt, char *out, size_t outlen);

/* --- MBR --- */
struct mbr_part {
	uint8_t type;
	bool bootable;
	uint64_t start;  /* bytes */
	uint64_t size;   /* bytes */
};

/* Parse the 512-byte MBR in buf. Fills up to 4 primary partitions (empty
 * slots are skipped) and returns how many, -EINVAL when there is no MBR
 * (bad signature, bad status byte, zero-sized or overflowing entry),
 * -ENOTSUP for a GPT protective MBR. */
int mbr_parse(const uint8_t *buf, size_t len, struct mbr_part out[4]);
/* Choose the Raspberry Pi OS layout: the first FAT partition (boot) and
 * the first Linux partition after it (root); both must lie inside an
 * image of image_size bytes. 0, or -ENOENT when either is missing,
 * -ERANGE when one runs past the end of the image. */
int mbr_pick(const struct mbr_part *p, int n, uint64_t image_size, int *ret_boot, int *ret_root);
bool mbr_type_is_fat(uint8_t type);

/* --- OTP (vcgencmd otp_dump) --- */
#define OTP_ROWS 67
struct otp {
	bool have[OTP_ROWS];
	uint32_t row[OTP_ROWS];
};
/* Parse "NN:xxxxxxxx" lines (decimal row, 8 hex digits). Other lines are
 * ignored; a line that looks like a row but is malformed is an error.
 * Returns the number of rows read or -EINVAL. */
int otp_parse(const char *text, size_t len, struct otp *o);

enum otp_verdict {
	OTP_NETBOOT_ENABLED = 0,   /* row 17 bit 29 set (3B/2B v1.2/CM3) */
	OTP_NETBOOT_DISABLED,      /* bit 29 clear: program_usb_boot_mode=1 needed */
	OTP_NETBOOT_BUILTIN,       /* 3B+: ROM netboots whatever the OTP says */
	OTP_NETBOOT_EEPROM,        /* Pi 4/5: the EEPROM's BOOT_ORDER decides */
	OTP_NETBOOT_UNKNOWN,       /* no row 17 */
	OTP_VERDICT_MAX
};
/* Decode rows 17, 28, 30 into plain English in out; returns the verdict. */
enum otp_verdict otp_report(const struct otp *o, char *out, size_t outlen);

/* --- EEPROM bootloader config (Pi 4/5), in prov_eeprom.c --- */
/* Validate a bootloader config for network boot (KEY=value lines, values
 * optionally in double quotes, [filter] sections, # comments). Every line:
 * unknown keys, a bad BOOT_ORDER, non-numbers, the documented minimums
 * (DHCP_TIMEOUT >= 5000, DHCP_REQ_TIMEOUT >= 500, TFTP_FILE_TIMEOUT >=
 * 5000 ms), addresses (TFTP_IP...), PXE_OPTION43 other than "Raspberry Pi
 * Boot". Then per model (4 and 5, or only model): the BOOT_ORDER that
 * applies under [all]/[pi4]/[pi400]/[cm4] or [all]/[pi5]/[pi500]/[cm5]
 * (the last wins; other filters are not assumed) must contain 2. One
 * "line N: error: ..." or "Pi M: ..." line per finding into out; returns
 * the number of errors, -EINVAL for a model other than 0, 4, 5. */
int eeprom_validate(const char *text, size_t len, int model, char *out, size_t outlen);
/* Explain a BOOT_ORDER value ("0xf21") in out, in the order the
 * bootloader tries the modes. 0 or -EINVAL. */
int eeprom_boot_order_explain(const char *value, char *out, size_t outlen, bool *ret_has_network);

/* --- names --- */
/* A Pi as its owner names it: the serial as 8 hex digits, the 16 hex
 * digits /proc/cpuinfo prints (the low 32 bits are taken: serial_cut),
 * or the MAC as aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff, any case. */
struct pi_name {
	bool has_serial, has_mac, serial_cut;
	uint32_t serial;
	uint8_t mac[6];
};
int prov_pi_name_parse(const char *in, struct pi_name *out);
/* Host name: 1-63 of [A-Za-z0-9-], not starting or ending in '-'. */
bool prov_hostname_ok(const char *s);
/* Image name: 1-63 of [A-Za-z0-9._-], not starting with '.'. */
bool prov_image_name_ok(const char *s);

#endif
