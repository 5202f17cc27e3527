/* cli.h - entry points of the pinetboot subcommands. Each takes argv with
 * argv[0] = the subcommand name and returns the process exit status. */
#ifndef PINETBOOT_CLI_H
#define PINETBOOT_CLI_H

int cmd_serve(int argc, char **argv);
int cmd_probe(int argc, char **argv);

#endif
