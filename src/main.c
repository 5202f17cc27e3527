/* main.c - the pinetboot command: dispatches to subcommands.
 *
 * Owns: the subcommand table and --help/--version. Must not touch: any
 * subcommand's options (each cmd_* parses its own). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"

/* One place for the version: the Makefile passes `git describe --always
 * --dirty`, or the committed VERSION file in a tarball. */
#ifndef PINETBOOT_VERSION
#define PINETBOOT_VERSION "unknown"
#endif

struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct subcmd subcmds[] = {
	{ "serve", cmd_serve, "run the DHCP/TFTP boot server" },
	{ "probe", cmd_probe, "act as a Raspberry Pi and check a boot server" },
	{ "status", cmd_status, "every Pi's boot stage, one line each (fleet view)" },
	{ "watch", cmd_watch, "live view of the Pis' boots" },
	{ "log", cmd_log, "one Pi's boot timeline, last boots" },
	{ "init", cmd_init, "create the data dir, its secret and pinetboot.conf" },
	{ "image", cmd_image, "import, list or remove root filesystem images" },
	{ "add", cmd_add, "register a Pi and build its root and boot files" },
	{ "remove", cmd_remove, "unregister a Pi (and delete its files)" },
	{ "reset", cmd_reset, "drop an overlay Pi's changes, back to its image" },
	{ "list", cmd_list, "registered and discovered Pis" },
	{ "show", cmd_show, "one Pi's registration, paths and cmdline.txt" },
	{ "prepare-sd", cmd_prepare_sd, "prepare a Pi 3B SD card for network boot" },
	{ "check-otp", cmd_check_otp, "decode 'vcgencmd otp_dump': is network boot enabled?" },
	{ "eeprom-config", cmd_eeprom_config, "Pi 4/5 bootloader settings for network boot" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pinetboot COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(f, "  %-14s %s\n", subcmds[i].name, subcmds[i].help);
	fprintf(f, "  %-14s %s\n", "version", "print the version (also --version)");
	fprintf(f, "\n'pinetboot COMMAND --help' for the options of a command.\n");
}

/* ---- man pages, generated from the tables --help prints ---- */

static void roff_text(FILE *f, const char *s, size_t n)
{
	bool bol = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (bol && (c == '.' || c == '\''))
			fputs("\\&", f); /* a line starting with . or ' is a request */
		if (c == '\\')
			fputs("\\e", f);
		else if (c == '-')
			fputs("\\-", f);
		else
			fputc(c, f);
		bol = c == '\n';
	}
}

/* What `pinetboot NAME --help` prints, captured from the command itself. */
static void man_usage_of(FILE *out, const struct subcmd *c)
{
	FILE *tmp = tmpfile();
	if (!tmp)
		return;
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	if (saved < 0 || dup2(fileno(tmp), STDOUT_FILENO) < 0) {
		fclose(tmp);
		return;
	}
	char name[32], flag[] = "--help";
	snprintf(name, sizeof(name), "%s", c->name);
	char *av[] = { name, flag, NULL };
	c->fn(2, av);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(tmp);
	char buf[4096];
	size_t n;
	fputs(".PP\n.nf\n", out);
	while ((n = fread(buf, 1, sizeof(buf), tmp)) > 0)
		roff_text(out, buf, n);
	fputs(".fi\n", out);
	fclose(tmp);
}

static int man_page(int section)
{
	FILE *f = stdout;
	if (section == 5) {
		fprintf(f, ".TH PINETBOOT.CONF 5 \"\" \"pinetboot %s\" \"File Formats\"\n", PINETBOOT_VERSION);
		fputs(".SH NAME\npinetboot.conf \\- configuration of the pinetboot network boot server\n"
		      ".SH SYNOPSIS\n.I DATA\\fB/pinetboot.conf\\fR (default \\fB/srv/pinetboot/pinetboot.conf\\fR)\n"
		      ".SH DESCRIPTION\nLines of \\fIkey\\fR \\fB=\\fR \\fIvalue\\fR; \\fB#\\fR starts a comment. "
		      "Every key is also a flag of \\fBpinetboot serve\\fR (\\fB\\-\\-\\fR\\fIkey value\\fR), and a flag "
		      "wins over the file. An unknown key or a bad value is an error naming \\fIfile\\fB:\\fIline\\fR. "
		      "\\fBpinetboot serve\\fR re-reads the file on SIGHUP (\\fBsystemctl reload pinetboot\\fR); the data dir, "
		      "the ports and the DHCP mode change only on restart.\n.SH KEYS\n", f);
		serve_man_keys(f);
		fputs(".SH FILES\n.TP\n.B DATA/clients/ID/client.conf\n"
		      "One registered Pi: serial, mac, name, address, image, layout, tftp\\-prefix.\n"
		      ".SH SEE ALSO\n.BR pinetboot (8)\n", f);
		return 0;
	}
	fprintf(f, ".TH PINETBOOT 8 \"\" \"pinetboot %s\" \"System Administration\"\n", PINETBOOT_VERSION);
	fputs(".SH NAME\npinetboot \\- network boot server for fleets of Raspberry Pis\n"
	      ".SH SYNOPSIS\n.B pinetboot\n.I COMMAND\n.RI [ options ]\n"
	      ".SH DESCRIPTION\nOne daemon answers the Raspberry Pi boot ROM's PXE DHCP request (proxy DHCP beside "
	      "the LAN's router, or full DHCP on an isolated switch), serves the firmware, kernel and per\\-Pi "
	      "cmdline.txt/config.txt over TFTP and each Pi's root file system over NFSv3. The other commands "
	      "provision those roots from a Raspberry Pi OS image and show where each Pi is in its boot.\n"
	      ".SH COMMANDS\n", f);
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++) {
		fputs(".SS ", f);
		roff_text(f, subcmds[i].name, strlen(subcmds[i].name));
		fputs("\n", f);
		roff_text(f, subcmds[i].help, strlen(subcmds[i].help));
		fputs(".\n", f);
		man_usage_of(f, &subcmds[i]);
	}
	fputs(".SS version\nPrint the version (also \\fB\\-\\-version\\fR).\n"
	      ".SH SERVE OPTIONS\nEvery key of \\fBpinetboot.conf\\fR(5) is also a flag of \\fBserve\\fR:\n", f);
	serve_man_keys(f);
	fputs(".SH FILES\n.TP\n.B /srv/pinetboot\nThe data dir (\\fB\\-\\-data\\fR): pinetboot.conf, boot/, "
	      "clients/, images/, handle.key, api.token, state/, discovered.tsv.\n"
	      ".SH EXIT STATUS\n0 success, 1 refused or failed, 2 usage error.\n"
	      ".SH SEE ALSO\n.BR pinetboot.conf (5),\n.BR systemctl (1),\n.BR journalctl (1)\n", f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0;
	bool version = strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0;
	if ((help || version) && argc > 2) {
		fprintf(stderr, "pinetboot: unexpected argument '%.60s' after %s\n", argv[2], argv[1]);
		return 2;
	}
	if (help) {
		usage(stdout);
		return 0;
	}
	if (version) {
		printf("pinetboot %s\n", PINETBOOT_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "man") == 0) { /* build-time: make man */
		if (argc == 3 && strcmp(argv[2], "conf") == 0) {
			serve_conf_example(stdout);
			return 0;
		}
		if (argc != 3 || (strcmp(argv[2], "5") && strcmp(argv[2], "8"))) {
			fprintf(stderr, "usage: pinetboot man 5|8|conf\n");
			return 2;
		}
		return man_page(argv[2][0] - '0');
	}
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pinetboot: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
