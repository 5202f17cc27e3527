/* prov_text.h - the pure parsers and rewriters behind the provisioning
 * commands: cmdline.txt and fstab rewrites, the MBR reader, the OTP dump
 * decoder and the EEPROM config validator. Bytes in, bytes or structs out,
 * no I/O, no globals, so each is unit-tested and (the MBR) fuzzed. */
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

/* Rewrite /etc/fstab: drop the SD-card / USB-disk entries (root, boot,
 * swap partitions named by PARTUUID=, UUID=, LABEL= or /dev/mmcblk*,
 * /dev/sd*, /dev/nvme*), keep everything else (proc, tmpfs, comments),
 * and add "SERVER:/boot/ID BOOT_MNT nfs ..." for the boot files. */
int prov_fstab_rewrite(const char *in, size_t inlen, const char *boot_mnt, const char *server,
		       const char *id, char *out, size_t outlen);

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

/* --- EEPROM bootloader config (Pi 4/5) --- */
/* Validate a bootloader config (KEY=value lines, [filter] sections, #
 * comments). Writes one "line N: ..." message per problem into out and
 * returns the number of errors (unknown keys, bad BOOT_ORDER, bad
 * numbers); warnings (e.g. no network in BOOT_ORDER) are written but not
 * counted. */
int eeprom_validate(const char *text, size_t len, char *out, size_t outlen);
/* Explain a BOOT_ORDER value ("0xf21") in out, in the order the
 * bootloader tries the modes. 0 or -EINVAL. */
int eeprom_boot_order_explain(const char *value, char *out, size_t outlen, bool *ret_has_network);

/* --- names --- */
/* Host name: 1-63 of [A-Za-z0-9-], not starting or ending in '-'. */
bool prov_hostname_ok(const char *s);
/* Image name: 1-63 of [A-Za-z0-9._-], not starting with '.'. */
bool prov_image_name_ok(const char *s);

#endif
