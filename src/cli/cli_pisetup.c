/* cli_pisetup.c - the commands that prepare the Pis themselves:
 * prepare-sd (Pi 3B SD card), check-otp (is network boot enabled?),
 * eeprom-config (Pi 4/5 bootloader settings, and checking them). Exit
 * status: 0 ok, 1 failure or refusal, 2 usage error.
 *
 * Owns: the commands' options, messages and exit codes. Must not touch:
 * the text rewriting itself (provision/prov_text.c), a running server's
 * state. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "cli/cli_prov.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"

/* Read a whole small file (or stdin for "-"), capped. */
static int slurp(const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f)
		return -errno;
	char *b = malloc(max + 1);
	if (!b) {
		if (f != stdin)
			fclose(f);
		return -ENOMEM;
	}
	size_t n = fread(b, 1, max + 1, f);
	if (f != stdin)
		fclose(f);
	if (n > max) {
		free(b);
		return -EFBIG;
	}
	b[n] = '\0';
	*ret = b;
	*ret_len = n;
	return 0;
}


/* Is dir the SD card's boot partition? Bookworm mounts it at
 * /boot/firmware and leaves in /boot a config.txt saying so: writing
 * there changes nothing the firmware reads. cfg: its config.txt or NULL.
 * 1 refused (message printed), 0 fine. */
static int sd_refuse(const char *dir, int dfd, const char *cfg, bool force)
{
	struct stat s;
	bool fw = fstatat(dfd, "firmware", &s, 0) == 0 && S_ISDIR(s.st_mode);
	if ((cfg && strstr(cfg, "/boot/firmware")) || (!cfg && fw)) {
		fprintf(stderr, "pinetboot prepare-sd: %s is Bookworm's /boot stub (the boot partition moved to "
				"/boot/firmware): run pinetboot prepare-sd %s/firmware\n", dir, dir);
		return 1;
	}
	if (!cfg && !force) {
		fprintf(stderr, "pinetboot prepare-sd: %s has no config.txt: is it the SD card's boot partition? "
				"(--force creates one)\n", dir);
		return 1;
	}
	return 0;
}

struct sd_args {
	const char *data, *bootcode, *dir;
	bool only, force;
};

/* prepare-sd's options into a. -1 to go on, else the exit status (usage
 * printed). */
static int prepare_sd_args(int argc, char **argv, struct sd_args *a)
{
	static const struct option opts[] = { { "bootcode-only", no_argument, NULL, 'b' },
					       { "bootcode", required_argument, NULL, 'c' },
					       { "data", required_argument, NULL, 'd' },
					       { "force", no_argument, NULL, 'f' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "bc:d:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': a->only = true; break;
		case 'f': a->force = true; break;
		case 'c': a->bootcode = optarg; break;
		case 'd': a->data = optarg; break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: pinetboot prepare-sd BOOT_DIR                       (Pi 3B: enable USB/network boot in OTP)\n"
				"       pinetboot prepare-sd BOOT_DIR --bootcode-only [--bootcode FILE] [--data DIR]\n"
				"BOOT_DIR is a mounted SD card boot partition. The first form adds\n"
				"program_usb_boot_mode=1 to config.txt: boot the Pi once from that card, then check\n"
				"with 'vcgencmd otp_dump | pinetboot check-otp -'. The second writes a card with only\n"
				"bootcode.bin and a 'timeout' file, which netboots Pis whose ROM netboot is unreliable.\n"
				"Refused: Bookworm's /boot stub (use BOOT_DIR/firmware), and a directory without\n"
				"config.txt unless --force. Exit status: 0 done, 1 refused or failed, 2 usage.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || !cli_data_ok(a->data)) {
		fprintf(stderr, "usage: pinetboot prepare-sd BOOT_DIR [--bootcode-only]\n");
		return 2;
	}
	a->dir = argv[optind];
	return -1;
}

/* --bootcode-only: bootcode.bin (--bootcode FILE, else DATA/boot's) and
 * an empty "timeout" file into the card at dfd. Exit status. */
static int sd_write_bootcode(const struct sd_args *a, int dfd)
{
	char src[PATH_MAX], *b = NULL;
	size_t len = 0;
	if (!a->bootcode)
		pathf(src, sizeof(src), "%s/boot/bootcode.bin", a->data);
	const char *from = a->bootcode ? a->bootcode : src;
	int r = read_file_at(AT_FDCWD, from, 1 << 20, &b, &len);
	if (r < 0) {
		fprintf(stderr, "pinetboot prepare-sd: %s: %s (give --bootcode FILE)\n", from, strerror(-r));
		return 1;
	}
	int rc = 0;
	/* bootcode.bin from the SD card, then network; the empty
	 * "timeout" file makes it retry the network instead of giving up. */
	if ((r = write_file_at(dfd, "bootcode.bin", b, len, 0644)) < 0 ||
	    (r = write_file_at(dfd, "timeout", "", 0, 0644)) < 0) {
		fprintf(stderr, "pinetboot prepare-sd: writing to %s: %s\n", a->dir, strerror(-r));
		rc = 1;
	} else {
		printf("wrote %s/bootcode.bin (%zu bytes) and %s/timeout\n", a->dir, len, a->dir);
	}
	free(b);
	return rc;
}

/* Has config.txt a line "program_usb_boot_mode=1" (trailing blanks and
 * '\r' ignored)? */
static bool cfg_has_usb_boot_mode(const char *cfg)
{
	static const char want[] = "program_usb_boot_mode=1";
	bool have = false;
	for (const char *l = cfg; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
			n--;
		if (n == sizeof(want) - 1 && strncmp(l, want, n) == 0)
			have = true;
		l = nl ? nl + 1 : NULL;
	}
	return have;
}

/* Append program_usb_boot_mode=1 in an [all] section to config.txt
 * (cfg, len bytes). Exit status. */
static int cfg_append_usb_boot_mode(const char *dir, int dfd, const char *cfg, size_t len)
{
	static const char add[] = "\n[all]\n# pinetboot: program the OTP for USB/network boot. Boot once, check\n"
				  "# 'vcgencmd otp_dump | grep 17:' shows 17:3020000a, then remove this line.\n"
				  "program_usb_boot_mode=1\n";
	int rc = 0;
	char *n = malloc(len + sizeof(add));
	if (!n || (memcpy(n, cfg, len), memcpy(n + len, add, sizeof(add)),
		   write_file_at(dfd, "config.txt", n, len + sizeof(add) - 1, 0644) < 0)) {
		fprintf(stderr, "pinetboot prepare-sd: writing %s/config.txt failed\n", dir);
		rc = 1;
	} else {
		printf("added program_usb_boot_mode=1 to %s/config.txt\n"
		       "boot the Pi 3B once from this card, then run 'vcgencmd otp_dump | pinetboot check-otp -'\n",
		       dir);
	}
	free(n);
	return rc;
}

/* The first form: make sure config.txt programs the OTP. Exit status. */
static int sd_enable_usb_boot(const struct sd_args *a, int dfd)
{
	char *cfg = NULL;
	size_t len = 0;
	int r = read_file_at(dfd, "config.txt", 1 << 20, &cfg, &len);
	if ((r == 0 || r == -ENOENT) && sd_refuse(a->dir, dfd, r == 0 ? cfg : NULL, a->force)) {
		free(cfg);
		return 1;
	}
	if (r == -ENOENT) {
		cfg = strdup("");
		r = cfg ? 0 : -ENOMEM;
	}
	if (r < 0) {
		fprintf(stderr, "pinetboot prepare-sd: %s/config.txt: %s\n", a->dir, strerror(-r));
		return 1;
	}
	int rc = 0;
	if (cfg_has_usb_boot_mode(cfg))
		printf("%s/config.txt already has program_usb_boot_mode=1\n", a->dir);
	else
		rc = cfg_append_usb_boot_mode(a->dir, dfd, cfg, len);
	free(cfg);
	return rc;
}

int cmd_prepare_sd(int argc, char **argv)
{
	struct sd_args a = { .data = DEFAULT_DATA };
	int rc = prepare_sd_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	int dfd = open(a.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "pinetboot prepare-sd: %s: %s\n", a.dir, strerror(errno));
		return 1;
	}
	rc = a.only ? sd_write_bootcode(&a, dfd) : sd_enable_usb_boot(&a, dfd);
	close(dfd);
	return rc;
}

int cmd_check_otp(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
		printf("usage: pinetboot check-otp [FILE|-]\n"
		       "reads the output of 'vcgencmd otp_dump' (stdin by default) and says whether\n"
		       "network boot is enabled. Exit status 0 enabled, 1 not enabled, 2 unreadable.\n");
		return argc > 2 ? 2 : 0;
	}
	char *txt;
	size_t len;
	const char *path = argc == 2 ? argv[1] : "-";
	int r = slurp(path, 1 << 16, &txt, &len);
	if (r < 0) {
		fprintf(stderr, "pinetboot check-otp: %s: %s\n", path, strerror(-r));
		return 2;
	}
	struct otp o;
	r = otp_parse(txt, len, &o);
	free(txt);
	if (r <= 0) {
		fprintf(stderr, "pinetboot check-otp: %s: no 'NN:xxxxxxxx' rows (is this 'vcgencmd otp_dump' output?)\n",
			path);
		return 2;
	}
	char out[4096];
	enum otp_verdict v = otp_report(&o, out, sizeof(out));
	fputs(out, stdout);
	return v == OTP_NETBOOT_DISABLED ? 1 : v == OTP_NETBOOT_UNKNOWN ? 2 : 0;
}

/* eeprom-config FILE: check a bootloader config. Exit status. */
static int eeprom_check_file(const char *path, int model)
{
	char *txt, out[16384];
	size_t len;
	int r = slurp(path, 1 << 16, &txt, &len);
	if (r < 0) {
		fprintf(stderr, "pinetboot eeprom-config: %s: %s\n", path, strerror(-r));
		return 2;
	}
	int errs = eeprom_validate(txt, len, model, out, sizeof(out));
	free(txt);
	fputs(out, stdout);
	printf("%s: %d error%s\n", path, errs, errs == 1 ? "" : "s");
	return errs ? 1 : 0;
}

/* Each line of text as a config comment ('#' before it) into out; lines
 * that do not fit are left out. */
static void as_comments(const char *text, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *l = text; *l && o + 4 < outlen;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (o + n + 2 >= outlen)
			break;
		out[o++] = '#';
		memcpy(out + o, l, n);
		o += n;
		l += n;
	}
	out[o] = '\0';
}

/* eeprom-config without FILE: the settings to apply, commented. */
static void eeprom_print_template(void)
{
	char raw[1024], expl[1200];
	eeprom_boot_order_explain("0xf21", raw, sizeof(raw), NULL);
	/* the explanation goes into the config as comments */
	as_comments(raw, expl, sizeof(expl));
	printf("# Pi 4 / 400 / CM4 / Pi 5 bootloader settings for network boot with pinetboot.\n"
	       "# Apply on the Pi:  sudo -E rpi-eeprom-config --edit   (takes effect at the next reboot)\n"
	       "# Check:            rpi-eeprom-config   or   vcgencmd bootloader_config\n"
	       "[all]\n"
	       "BOOT_UART=0\n"
	       "# BOOT_ORDER is read right to left, one hex digit per boot mode:\n"
	       "#   1 SD card, 2 NETWORK, 3 RPIBOOT, 4 USB mass storage, 5 BCM-USB-MSD, 6 NVMe,\n"
	       "#   7 HTTP, e STOP, f RESTART (start the list again)\n"
	       "# 0xf21: SD card first (an inserted card wins), then the network, repeat:\n"
	       "%s"
	       "# 0xf12 tries the network first; 0xf2 is network only (loops until a server answers).\n"
	       "BOOT_ORDER=0xf21\n"
	       "# 0 = retry the network forever within one pass of BOOT_ORDER\n"
	       "NET_BOOT_MAX_RETRIES=0\n"
	       "# How long to wait for each file (ms); the default 30000 makes a missing file slow.\n"
	       "TFTP_FILE_TIMEOUT=30000\n"
	       "DHCP_TIMEOUT=45000\n"
	       "DHCP_REQ_TIMEOUT=4000\n"
	       "# TFTP_PREFIX: which directory the Pi asks for:\n"
	       "#   0 = its serial (8 hex digits) - pinetboot's default client id, 'pinetboot add SERIAL'\n"
	       "#   1 = the fixed string TFTP_PREFIX_STR (all Pis share one directory)\n"
	       "#   2 = its MAC as aa-bb-cc-dd-ee-ff - then 'pinetboot add aa:bb:cc:dd:ee:ff'\n"
	       "TFTP_PREFIX=0\n"
	       "# TFTP_IP=192.168.1.10  only if the DHCP answers must be overridden (not needed with pinetboot)\n"
	       "ENABLE_SELF_UPDATE=1\n",
	       expl);
}

int cmd_eeprom_config(int argc, char **argv)
{
	static const struct option opts[] = { { "model", required_argument, NULL, 'm' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	int c, model = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		if (c == 'm' && (!strcmp(optarg, "4") || !strcmp(optarg, "5"))) {
			model = optarg[0] - '0';
			continue;
		}
		fprintf(c == 'h' ? stdout : stderr,
			"usage: pinetboot eeprom-config [FILE|- [--model 4|5]]\n"
			"without FILE: print the Pi 4/5 bootloader settings for network boot;\n"
			"with FILE (e.g. 'rpi-eeprom-config > FILE'): check it for network boot with pinetboot:\n"
			"keys, numbers, the documented minimums (DHCP_TIMEOUT >= 5000, DHCP_REQ_TIMEOUT >= 500,\n"
			"TFTP_FILE_TIMEOUT >= 5000 ms), TFTP_IP, PXE_OPTION43, and the BOOT_ORDER each model gets\n"
			"from [all]/[pi4]/[pi5] sections (both models unless --model).\n"
			"exit status: 0 fine, 1 errors found, 2 unreadable or usage\n");
		return c == 'h' ? 0 : 2;
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "pinetboot eeprom-config: unexpected argument '%.60s'\n", argv[optind + 1]);
		return 2;
	}
	if (optind < argc)
		return eeprom_check_file(argv[optind], model);
	if (model) {
		fprintf(stderr, "pinetboot eeprom-config: --model goes with a FILE to check\n");
		return 2;
	}
	eeprom_print_template();
	return 0;
}
