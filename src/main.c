/* main.c - the pinetboot command: dispatches to subcommands.
 *
 * Owns: the subcommand table and --help/--version. Must not touch: any
 * subcommand's options (each cmd_* parses its own). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pinetboot: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
