/* test_provision.c - unit tests for the provisioning rewriters and parsers
 * (src/provision/prov_text.c): cmdline.txt for every Raspberry Pi OS
 * generation, fstab, the MBR reader (valid, truncated, hostile), the
 * EEPROM config validator and the id / MAC / name checks the CLI uses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp/dhcp_pi.h"
#include "provision/prov_text.h"

#define NFS_TAIL "root=/dev/nfs nfsroot=${server}:/clients/1234abcd,vers=3,tcp,rsize=1048576,wsize=1048576 rw ip=dhcp rootwait\n"

static void rewrite_is(const char *in, const char *want)
{
	char out[PROV_CMDLINE_MAX];
	assert_int_equal(prov_cmdline_rewrite(in, strlen(in), "1234abcd", out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_cmdline_variants(void **state)
{
	(void)state;
	/* Bookworm (firstboot init, quiet splash) */
	rewrite_is("console=serial0,115200 console=tty1 root=PARTUUID=4e639091-02 rootfstype=ext4 fsck.repair=yes "
		   "rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot splash plymouth.ignore-serial-consoles\n",
		   "console=serial0,115200 console=tty1 quiet splash plymouth.ignore-serial-consoles " NFS_TAIL);
	/* Bullseye / Buster (init_resize.sh) */
	rewrite_is("console=serial0,115200 console=tty1 root=PARTUUID=738a4d67-02 rootfstype=ext4 elevator=deadline "
		   "fsck.repair=yes rootwait quiet init=/usr/lib/raspi-config/init_resize.sh",
		   "console=serial0,115200 console=tty1 elevator=deadline quiet " NFS_TAIL);
	/* Imager customisation (firstrun.sh) and cgroup flags kept */
	rewrite_is("console=tty1 root=/dev/mmcblk0p2 rootfstype=ext4 rootwait cgroup_memory=1 cgroup_enable=memory "
		   "systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot systemd.unit=kernel-command-line.target",
		   "console=tty1 cgroup_memory=1 cgroup_enable=memory " NFS_TAIL);
	/* Already NFS (a second add --force): replaced, not duplicated */
	rewrite_is("console=serial0,115200 root=/dev/nfs nfsroot=10.0.0.1:/srv/nfs/pi,vers=3 rw ip=dhcp rootwait",
		   "console=serial0,115200 " NFS_TAIL);
	/* A user's own init= stays; CRLF, tabs and blank lines are whitespace */
	rewrite_is("  console=ttyAMA0\tinit=/bin/systemd\r\n\n", "console=ttyAMA0 init=/bin/systemd " NFS_TAIL);
	rewrite_is("", NFS_TAIL);
}

static void test_cmdline_klibc_safe(void **state)
{
	(void)state;
	char out[PROV_CMDLINE_MAX];
	assert_int_equal(prov_cmdline_rewrite("console=tty1", 12, "aa-bb-cc-dd-ee-ff", out, sizeof(out)), 0);
	/* klibc nfsmount rejects proto=; it and the kernel both take "tcp" */
	assert_null(strstr(out, "proto="));
	assert_non_null(strstr(out, ",vers=3,tcp,"));
	assert_non_null(strstr(out, "nfsroot=${server}:/clients/aa-bb-cc-dd-ee-ff,"));
	assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1); /* one line */
}

static void test_cmdline_bounds(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(prov_cmdline_rewrite("console=tty1", 12, "1234abcd", out, sizeof(out)), -ENOBUFS);
	assert_int_equal(prov_cmdline_rewrite("console=tty1", 12, "", out, sizeof(out)), -EINVAL);
	char big[PROV_CMDLINE_MAX + 2];
	memset(big, 'a', sizeof(big));
	assert_int_equal(prov_cmdline_rewrite(big, sizeof(big), "1234abcd", out, sizeof(out)), -EINVAL);
	/* an embedded NUL ends the line */
	char o2[PROV_CMDLINE_MAX];
	assert_int_equal(prov_cmdline_rewrite("quiet\0root=/dev/sda", 19, "1234abcd", o2, sizeof(o2)), 0);
	assert_string_equal(o2, "quiet " NFS_TAIL);
}

static void test_fstab(void **state)
{
	(void)state;
	static const char in[] = "proc            /proc           proc    defaults          0       0\n"
				 "PARTUUID=4e639091-01  /boot/firmware  vfat    defaults          0       2\n"
				 "PARTUUID=4e639091-02  /               ext4    defaults,noatime  0       1\n"
				 "# a swapfile is not a swap partition, use  dphys-swapfile swap[on|off]  for that\n"
				 "/dev/mmcblk0p3 none swap sw 0 0\n"
				 "pinetboot-server:/boot/1234abcd /boot/firmware nfs defaults,vers=3,tcp,nolock,_netdev 0 0\n"
				 "tmpfs /tmp tmpfs defaults 0 0";
	char out[PROV_FSTAB_MAX];
	assert_int_equal(prov_fstab_rewrite(in, strlen(in), "/boot/firmware", out, sizeof(out)), 0);
	assert_true(strncmp(out, "proc ", 5) == 0);
	assert_non_null(strstr(out, "# pinetboot (SD card entry, disabled): PARTUUID=4e639091-01"));
	assert_non_null(strstr(out, "# pinetboot (SD card entry, disabled): PARTUUID=4e639091-02"));
	assert_non_null(strstr(out, "# pinetboot (SD card entry, disabled): /dev/mmcblk0p3"));
	/* an older pinetboot's NFS line (server named in /etc/hosts) is disabled too */
	assert_non_null(strstr(out, "disabled): pinetboot-server:/boot/1234abcd"));
	assert_non_null(strstr(out, "\ntmpfs /tmp tmpfs defaults 0 0\n"));
	/* no active line mounts anything over NFS or names a partition: the
	 * generator mounts the boot files */
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, "PARTUUID", 8) == 0 || strncmp(l, "pinetboot-server", 16) == 0 ||
		    (l[0] != '#' && strstr(l, " nfs ") && strstr(l, " nfs ") < strchr(l, '\n')))
			fail_msg("active line left: %.40s", l);
	/* Buster: /boot */
	assert_int_equal(prov_fstab_rewrite("PARTUUID=x-01 /boot vfat defaults 0 2\n", 38, "/boot", out, sizeof(out)), 0);
	assert_string_equal(out, "# pinetboot (SD card entry, disabled): PARTUUID=x-01 /boot vfat defaults 0 2\n");
	assert_int_equal(prov_fstab_rewrite(in, strlen(in), "/boot", out, 40), -ENOBUFS);
	assert_int_equal(prov_fstab_rewrite("", 0, "/boot", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

/* Run the generator script with a fake /proc/cmdline; returns its exit
 * status and leaves its output in dir. */
static int run_generator(const char *script, const char *cmdline, const char *dir)
{
	char sp[] = "/tmp/pnb-gen-XXXXXX", cp[] = "/tmp/pnb-cmd-XXXXXX", cmd[512];
	int sfd = mkstemp(sp), cfd = mkstemp(cp);
	assert_true(sfd >= 0 && cfd >= 0);
	assert_int_equal(write(sfd, script, strlen(script)), (ssize_t)strlen(script));
	if (cmdline)
		assert_int_equal(write(cfd, cmdline, strlen(cmdline)), (ssize_t)strlen(cmdline));
	close(sfd);
	close(cfd);
	snprintf(cmd, sizeof(cmd), "PINETBOOT_CMDLINE=%s sh %s %s %s %s", cmdline ? cp : "/nonexistent", sp, dir, dir,
		 dir);
	int st = system(cmd);
	unlink(sp);
	unlink(cp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp_path(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_boot_generator(void **state)
{
	(void)state;
	char script[4096], dir[] = "/tmp/pnb-gendir-XXXXXX", p[256];
	assert_int_equal(prov_boot_generator("1234abcd", "/boot/firmware", script, sizeof(script)), 0);
	assert_true(strncmp(script, "#!/bin/sh\n", 10) == 0);
	assert_non_null(mkdtemp(dir));
	/* IPv4 server with options, as TFTP serves the generated cmdline.txt */
	assert_int_equal(run_generator(script,
				       "console=serial0,115200 root=/dev/nfs nfsroot=10.1.2.3:/clients/1234abcd,vers=3,"
				       "tcp,rsize=1048576 rw ip=dhcp rootwait\n",
				       dir),
			 0);
	snprintf(p, sizeof(p), "%s/boot-firmware.mount", dir);
	char *u = slurp_path(p);
	assert_non_null(u);
	assert_non_null(strstr(u, "\n[Mount]\nWhat=10.1.2.3:/boot/1234abcd\nWhere=/boot/firmware\nType=nfs\n"
				  "Options=vers=3,tcp,nolock\n"));
	assert_non_null(strstr(u, "After=network-online.target\n"));
	assert_non_null(strstr(u, "Before=remote-fs.target\n"));
	snprintf(p, sizeof(p), "%s/remote-fs.target.wants/boot-firmware.mount", dir);
	char link[256];
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "../boot-firmware.mount");
	/* root=SERVER:/path (no nfsroot=) and a new address: it follows */
	assert_int_equal(run_generator(script, "root=192.168.7.9:/clients/1234abcd ip=dhcp", dir), 0);
	u = slurp_path(p);
	assert_non_null(u);
	assert_non_null(strstr(u, "What=192.168.7.9:/boot/1234abcd\n"));
	/* no nfsroot: nothing written, exit 0 */
	char dir2[] = "/tmp/pnb-gendir-XXXXXX";
	assert_non_null(mkdtemp(dir2));
	assert_int_equal(run_generator(script, "console=tty1 root=PARTUUID=1234-02 rootwait", dir2), 0);
	assert_int_equal(run_generator(script, NULL, dir2), 0);
	/* hostile: an unexpanded placeholder or shell syntax never reaches the unit */
	assert_int_equal(run_generator(script, "nfsroot=${server}:/clients/1234abcd,vers=3", dir2), 0);
	assert_int_equal(run_generator(script, "nfsroot=a$(touch${IFS}/tmp/pnb-x):/c *", dir2), 0);
	snprintf(p, sizeof(p), "%s/boot-firmware.mount", dir2);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "rm -rf %s %s", dir, dir2);
	assert_int_equal(system(p), 0);
	/* bad ids and mount points are refused */
	assert_int_equal(prov_boot_generator("x';reboot;'", "/boot/firmware", script, sizeof(script)), -EINVAL);
	assert_int_equal(prov_boot_generator("1234abcd", "/mnt", script, sizeof(script)), -EINVAL);
	assert_int_equal(prov_boot_generator("1234abcd", "/boot", script, 100), -ENOBUFS);
	assert_int_equal(prov_boot_generator("dc-a6-32-01-02-03", "/boot", script, sizeof(script)), 0);
	assert_non_null(strstr(script, "unit='boot.mount'"));
}

static void test_pi_name(void **state)
{
	(void)state;
	struct pi_name n;
	assert_int_equal(prov_pi_name_parse("1234ABCD", &n), 0);
	assert_true(n.has_serial && !n.has_mac && !n.serial_cut && n.serial == 0x1234abcd);
	/* /proc/cpuinfo form: the low 32 bits */
	assert_int_equal(prov_pi_name_parse("100000003b0200aa", &n), 0);
	assert_true(n.has_serial && n.serial_cut && n.serial == 0x3b0200aa);
	assert_int_equal(prov_pi_name_parse("B8-27-EB-02-00-AA", &n), 0);
	assert_true(n.has_mac && !n.has_serial && n.mac[0] == 0xb8 && n.mac[5] == 0xaa);
	assert_int_equal(prov_pi_name_parse("2c:cf:67:00:00:01", &n), 0);
	assert_true(n.has_mac && n.mac[0] == 0x2c);
	static const char *const bad[] = { "", "1234abc", "1234abcde", "100000003b0200a", "100000003b0200aag",
					   "1000000g3b0200aa", "b8:27:eb:02:00", "b8:27-eb:02:00:aa", "../etc" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(prov_pi_name_parse(bad[i], &n), -EINVAL);
	assert_int_equal(prov_pi_name_parse(NULL, &n), -EINVAL);
}

static void put_part(uint8_t *m, int i, uint8_t status, uint8_t type, uint32_t lba, uint32_t count)
{
	uint8_t *e = m + 446 + 16 * i;
	e[0] = status;
	e[4] = type;
	for (int k = 0; k < 4; k++) {
		e[8 + k] = (uint8_t)(lba >> (8 * k));
		e[12 + k] = (uint8_t)(count >> (8 * k));
	}
}

static void raspios_mbr(uint8_t m[512])
{
	memset(m, 0, 512);
	put_part(m, 0, 0x00, 0x0c, 8192, 1048576);
	put_part(m, 1, 0x00, 0x83, 1056768, 4194304);
	m[510] = 0x55;
	m[511] = 0xaa;
}

static void test_mbr_raspios(void **state)
{
	(void)state;
	uint8_t m[512];
	struct mbr_part p[4];
	int b, r;
	raspios_mbr(m);
	assert_int_equal(mbr_parse(m, sizeof(m), p), 2);
	assert_int_equal(p[0].type, 0x0c);
	assert_true(p[0].start == 8192ull * 512);
	assert_true(p[1].size == 4194304ull * 512);
	assert_int_equal(mbr_pick(p, 2, (1056768ull + 4194304) * 512, &b, &r), 0);
	assert_int_equal(b, 0);
	assert_int_equal(r, 1);
	/* truncated image: the root partition runs past the end */
	assert_int_equal(mbr_pick(p, 2, 1056768ull * 512, &b, &r), -ERANGE);
	/* root before boot is not the Raspberry Pi OS layout */
	struct mbr_part q[2] = { p[1], p[0] };
	assert_int_equal(mbr_pick(q, 2, 1ull << 40, &b, &r), -ENOENT);
	/* empty slot between is skipped */
	put_part(m, 1, 0, 0, 0, 0);
	put_part(m, 3, 0x80, 0x83, 1056768, 10);
	assert_int_equal(mbr_parse(m, sizeof(m), p), 2);
	assert_true(p[1].bootable);
}

static void test_mbr_bad(void **state)
{
	(void)state;
	uint8_t m[512];
	struct mbr_part p[4];
	raspios_mbr(m);
	for (size_t len = 0; len < 512; len++)
		assert_int_equal(mbr_parse(m, len, p), -EINVAL);
	m[511] = 0;
	assert_int_equal(mbr_parse(m, 512, p), -EINVAL);
	raspios_mbr(m);
	m[446] = 0x12; /* boot code, not a status byte: a FAT boot sector */
	assert_int_equal(mbr_parse(m, 512, p), -EINVAL);
	raspios_mbr(m);
	put_part(m, 0, 0, 0xee, 1, 0xffffffff);
	assert_int_equal(mbr_parse(m, 512, p), -ENOTSUP);
	raspios_mbr(m);
	put_part(m, 1, 0, 0x83, 0, 10);
	assert_int_equal(mbr_parse(m, 512, p), -EINVAL);
	raspios_mbr(m);
	put_part(m, 1, 0, 0x83, 10, 0);
	assert_int_equal(mbr_parse(m, 512, p), -EINVAL);
	/* 0xffffffff sectors from 0xffffffff: no 32-bit overflow in bytes */
	raspios_mbr(m);
	put_part(m, 1, 0, 0x83, 0xffffffffu, 0xffffffffu);
	assert_int_equal(mbr_parse(m, 512, p), 2);
	int b, r;
	assert_int_equal(mbr_pick(p, 2, UINT64_MAX - 1, &b, &r), 0);
	assert_int_equal(mbr_pick(p, 2, 1ull << 40, &b, &r), -ERANGE);
	memset(m, 0, sizeof(m));
	m[510] = 0x55;
	m[511] = 0xaa;
	assert_int_equal(mbr_parse(m, 512, p), 0);
	assert_int_equal(mbr_pick(p, 0, 1 << 20, &b, &r), -ENOENT);
}

static void test_eeprom_validate(void **state)
{
	(void)state;
	char out[4096];
	static const char good[] = "[all]\nBOOT_UART=0\nWAKE_ON_GPIO=1\nPOWER_OFF_ON_HALT=0\n# comment\n\n"
				   "BOOT_ORDER=0xf21\nTFTP_PREFIX=0\nTFTP_IP=192.168.1.10\nPXE_OPTION43=\"Raspberry Pi Boot\"\n"
				   "DHCP_TIMEOUT=45000\nDHCP_REQ_TIMEOUT=500\nTFTP_FILE_TIMEOUT=5000\n";
	assert_int_equal(eeprom_validate(good, strlen(good), 0, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Pi 4: network boot enabled"));
	assert_non_null(strstr(out, "Pi 5: network boot enabled"));
	static const char unquoted[] = "BOOT_ORDER=0xf12\r\nNET_BOOT_MAX_RETRIES=5\r\nPXE_OPTION43=Raspberry Pi Boot\r\n";
	assert_int_equal(eeprom_validate(unquoted, strlen(unquoted), 0, out, sizeof(out)), 0);
	/* [pi5] applies to the Pi 5 only: its BOOT_ORDER there has no network */
	static const char sect[] = "[all]\nBOOT_ORDER=0xf21\n[pi5]\nBOOT_ORDER=0xf461\n[pi4]\nBOOT_ORDER=0xf12\n";
	assert_int_equal(eeprom_validate(sect, strlen(sect), 4, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Pi 4: network boot enabled (BOOT_ORDER=0xf12, line 6)"));
	assert_null(strstr(out, "Pi 5"));
	assert_int_equal(eeprom_validate(sect, strlen(sect), 5, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "Pi 5: error: BOOT_ORDER=0xf461 (line 4) has no 2"));
	assert_int_equal(eeprom_validate(sect, strlen(sect), 0, out, sizeof(out)), 1);
	assert_int_equal(eeprom_validate(sect, strlen(sect), 3, out, sizeof(out)), -EINVAL);
	/* a condition on the board's state is not assumed to apply; [none] never does */
	static const char cond[] = "[gpio4=1]\nBOOT_ORDER=0xf21\n[none]\nBOOT_ORDER=0xf2\n";
	assert_int_equal(eeprom_validate(cond, strlen(cond), 4, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "no BOOT_ORDER applies"));
	static const char bad[] = "BOOT_ORDR=0xf21\nBOOT_ORDER=0xf9\nTFTP_PREFIX=3\nDHCP_TIMEOUT=abc\nnonsense\n[pi4\n";
	/* 6 line errors; the malformed BOOT_ORDER is not counted again per model */
	assert_int_equal(eeprom_validate(bad, strlen(bad), 0, out, sizeof(out)), 6);
	assert_non_null(strstr(out, "line 1: error: unknown key 'BOOT_ORDR'"));
	assert_non_null(strstr(out, "line 2: error: BOOT_ORDER"));
	assert_non_null(strstr(out, "line 3: error: TFTP_PREFIX"));
	assert_non_null(strstr(out, "line 4: error: DHCP_TIMEOUT must be a number"));
	static const char big[] = "BOOT_ORDER=0xf21\nDHCP_TIMEOUT=4294967296\nHDMI_DELAY=0x100000000\nUART_BAUD=4294967295\n";
	assert_int_equal(eeprom_validate(big, strlen(big), 0, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "line 2: error: DHCP_TIMEOUT must be a number"));
	assert_non_null(strstr(out, "line 3: error: HDMI_DELAY must be a number"));
	/* documented minimums, addresses, option 43, quotes */
	static const char mins[] = "BOOT_ORDER=0xf21\nDHCP_TIMEOUT=4999\nDHCP_REQ_TIMEOUT=499\nTFTP_FILE_TIMEOUT=0x1000\n"
				   "TFTP_IP=10.0.0.256\nPXE_OPTION43=\"Other Boot\"\nTFTP_PREFIX_STR=\"abc\nCLIENT_IP=\n";
	assert_int_equal(eeprom_validate(mins, strlen(mins), 0, out, sizeof(out)), 6);
	assert_non_null(strstr(out, "line 2: error: DHCP_TIMEOUT=4999 is below the bootloader's minimum of 5000 ms"));
	assert_non_null(strstr(out, "line 3: error: DHCP_REQ_TIMEOUT=499 is below the bootloader's minimum of 500 ms"));
	assert_non_null(strstr(out, "line 4: error: TFTP_FILE_TIMEOUT=0x1000 is below"));
	assert_non_null(strstr(out, "line 5: error: TFTP_IP '10.0.0.256' is not an IPv4 address"));
	assert_non_null(strstr(out, "line 6: error: PXE_OPTION43 'Other Boot'"));
	assert_non_null(strstr(out, "line 7: error: unbalanced quote"));
	static const char none[] = "BOOT_UART=1\n";
	assert_int_equal(eeprom_validate(none, strlen(none), 0, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "Pi 4: error: no BOOT_ORDER applies: the default (0xf41"));
	assert_non_null(strstr(out, "Pi 5: error: no BOOT_ORDER applies: the default (0xf461"));
	static const char toolong[] = "BOOT_ORDER=0x123456789\nBOOT_ORDER=f21\nBOOT_ORDER=0x\n";
	assert_int_equal(eeprom_validate(toolong, strlen(toolong), 0, out, sizeof(out)), 3);
}

static void test_boot_order_explain(void **state)
{
	(void)state;
	char out[1024];
	bool net;
	assert_int_equal(eeprom_boot_order_explain("0xf21", out, sizeof(out), &net), 0);
	assert_true(net);
	/* right to left: SD first, then network, then restart */
	const char *sd = strstr(out, "SD card"), *nw = strstr(out, "NETWORK"), *rs = strstr(out, "RESTART");
	assert_true(sd && nw && rs && sd < nw && nw < rs);
	assert_int_equal(eeprom_boot_order_explain("0xf41", out, sizeof(out), &net), 0);
	assert_false(net);
	assert_int_equal(eeprom_boot_order_explain("0xf8", out, sizeof(out), &net), -EINVAL);
	assert_int_equal(eeprom_boot_order_explain("", out, sizeof(out), &net), -EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	char id[18];
	uint8_t mac[6];
	assert_int_equal(pi_id_normalise("1234ABCD", id), 0);
	assert_string_equal(id, "1234abcd");
	assert_int_equal(pi_id_normalise("DC:A6:32:01:02:03", id), 0);
	assert_string_equal(id, "dc-a6-32-01-02-03");
	static const char *const bad_ids[] = { "", "1234abc", "1234abcde", "1234abcg", "../etc", "dc:a6:32:01:02",
					       "dc:a6:32:01:02:03:04", "dc:a6:32:01:02:0g", " 1234abcd" };
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++)
		assert_int_equal(pi_id_normalise(bad_ids[i], id), -EINVAL);
	assert_int_equal(pi_mac_parse("b8-27-eb-00-00-01", mac), 0);
	assert_int_equal(pi_mac_parse("b8:27:eb:00:00", mac), -EINVAL);
	assert_int_equal(pi_mac_parse("b8:27:eb:00:00:001", mac), -EINVAL);
	assert_true(prov_hostname_ok("node-01"));
	assert_false(prov_hostname_ok("-node"));
	assert_false(prov_hostname_ok("node_1"));
	assert_false(prov_hostname_ok("a.b"));
	assert_false(prov_hostname_ok(""));
	assert_false(prov_hostname_ok("0123456789012345678901234567890123456789012345678901234567890123"));
	assert_true(prov_image_name_ok("raspios-bookworm_2024.11"));
	assert_false(prov_image_name_ok(".hidden"));
	assert_false(prov_image_name_ok("a/b"));
	assert_false(prov_image_name_ok(".."));
	assert_false(prov_image_name_ok(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmdline_variants),
		cmocka_unit_test(test_cmdline_klibc_safe),
		cmocka_unit_test(test_cmdline_bounds),
		cmocka_unit_test(test_fstab),
		cmocka_unit_test(test_boot_generator),
		cmocka_unit_test(test_pi_name),
		cmocka_unit_test(test_mbr_raspios),
		cmocka_unit_test(test_mbr_bad),
		cmocka_unit_test(test_eeprom_validate),
		cmocka_unit_test(test_boot_order_explain),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
