/* cli_prov.h - helpers shared by the provisioning command files
 * (cli_provision.c, cli_client.c, cli_list.c, cli_pisetup.c).
 *
 * Owns: cli_data_ok, cli_no_more_args, cli_need_root. Must not touch: daemon/
 * internals. */
#ifndef PINETBOOT_CLI_PROV_H
#define PINETBOOT_CLI_PROV_H

#include <stdbool.h>

#define DEFAULT_DATA "/srv/pinetboot"

/* A usable --data path (not empty, below PROV_DATA_MAX); else a message. */
int cli_data_ok(const char *d);
/* Stray positional arguments: argv[first..argc) must be empty. Prints
 * "pinetboot CMD: unexpected argument 'X'" and returns 0 when not. */
int cli_no_more_args(const char *cmd, int argc, char **argv, int first);
/* Root (file owners are preserved, filesystems mounted)? Else a message
 * naming the command and 0. */
int cli_need_root(const char *what);

#endif
