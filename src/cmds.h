/* cmds.h - entry points of the pinetboot subcommands, for main.c's table.
 * Each takes argv with argv[0] = the subcommand name and returns the
 * process exit status. It sits at the top of src/ so that main.c, cli/,
 * daemon/serve.c and probe/ see it without including each other's
 * folders (tools/lint-layers.sh). Declarations only.
 *
 * Owns: the cmd_* prototypes. Must not touch: anything else (stdio.h
 * only, for the man page writers' FILE). */
#ifndef PINETBOOT_CMDS_H
#define PINETBOOT_CMDS_H

#include <stdio.h>

int cmd_serve(int argc, char **argv);   /* src/daemon/serve.c */
/* For the man pages and the example config (src/daemon/serve.c): every
 * pinetboot.conf key as roff, and commented out at its default. */
void serve_man_keys(FILE *f);
void serve_conf_example(FILE *f);
int cmd_probe(int argc, char **argv);   /* src/probe/probe_main.c */
/* provisioning (src/cli/: cli_provision.c, cli_client.c, cli_list.c, cli_pisetup.c) */
int cmd_init(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_reset(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_prepare_sd(int argc, char **argv);
int cmd_check_otp(int argc, char **argv);
int cmd_eeprom_config(int argc, char **argv);

/* fleet view (src/cli/fleet_cli.c) */
int cmd_status(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_log(int argc, char **argv);

#endif
