/* main.c - the pinetboot command: dispatches to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct subcmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct subcmd subcmds[] = {
	{ "serve", cmd_serve, "run the DHCP/TFTP boot server" },
	{ "probe", cmd_probe, "act as a Raspberry Pi and check a boot server" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: pinetboot COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		fprintf(f, "  %-10s %s\n", subcmds[i].name, subcmds[i].help);
	fprintf(f, "\n'pinetboot COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcmds) / sizeof(subcmds[0]); i++)
		if (strcmp(argv[1], subcmds[i].name) == 0)
			return subcmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pinetboot: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
