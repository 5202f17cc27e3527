/* cli.h - entry points of the pinetboot subcommands. Each takes argv with
 * argv[0] = the subcommand name and returns the process exit status. */
#ifndef PINETBOOT_CLI_H
#define PINETBOOT_CLI_H

int cmd_serve(int argc, char **argv);
/* Every pinetboot.conf key as roff, for the man pages (serve.c). */
#include <stdio.h>
void serve_man_keys(FILE *f);
/* An example pinetboot.conf: every key, commented out at its default. */
void serve_conf_example(FILE *f);
int cmd_probe(int argc, char **argv);
/* provisioning (src/cli/cli_provision.c) */
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
