/* config.h - pinetboot.conf and the matching command-line flags.
 *
 * One table (config.c) describes every key: its type, range and help text.
 * The same table parses the file (through inih), the --KEY VALUE flags,
 * and prints `pinetboot serve --help`, so a key can never exist in one
 * place and not the other. Unknown keys are errors with file:line.
 *
 * Owns: struct config. Must not touch: the running services (serve.c
 * applies a config). */
#ifndef PINETBOOT_DAEMON_CONFIG_H
#define PINETBOOT_DAEMON_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum answer_mode { ANSWER_KNOWN, ANSWER_ALL };
enum dhcp_mode { DHCP_PROXY, DHCP_FULL, DHCP_OFF };

#define CONFIG_ADMIN_NETS_MAX 16

struct config {
	char data_dir[PATH_MAX];
	char config_file[PATH_MAX];
	char interface[256];
	unsigned answer;              /* enum answer_mode */
	unsigned dhcp;                /* enum dhcp_mode */
	char dhcp_range[256];
	char dhcp_netmask[32];        /* dhcp=full: "" = the interface's */
	char dhcp_router[32];         /* "" = none */
	char dhcp_dns[128];           /* comma list, "" = none */
	unsigned dhcp_lease_time;     /* seconds */
	bool dhcp_force;              /* full mode even if another DHCP server answers */
	unsigned dhcp_probe_ms;       /* ARP conflict check wait, 0 = off */
	unsigned dhcp_port;
	unsigned tftp_port;
	bool nfs;
	unsigned nfs_port;
	unsigned portmap_port;
	unsigned nfs_workers;
	unsigned nfs_max_connections;
	char admin_networks[512];
	unsigned log_level;           /* enum log_level */
	unsigned pi3_reply_delay_ms;
	bool pi3_spaced_menu;
	unsigned max_transfers;
	unsigned max_transfers_per_client;
	unsigned tftp_max_blksize;
	unsigned tftp_max_window;
	unsigned tftp_min_rto_ms;
	unsigned tftp_give_up_s;
	unsigned bind_window_s;
	char http_listen[64];         /* fleet view: ADDR:PORT or off */
	char user[33];                /* privilege separation: the serving child's user */
	bool http_read_open;          /* read-only API open beyond localhost */
	unsigned fleet_stall_s;       /* no progress this long = stalled */

	/* derived from admin_networks */
	size_t n_admin;
	uint32_t admin_addr[CONFIG_ADMIN_NETS_MAX], admin_mask[CONFIG_ADMIN_NETS_MAX];
};

void config_defaults(struct config *c);
/* Parse FILE into c. A missing file is not an error when optional is true.
 * Errors are written to err (one line, "file:line: message"). 0 or -1. */
int config_load_file(struct config *c, const char *path, bool optional, char *err, size_t errlen);
/* Set one key from a string (used by the file parser and the flags). */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);
/* Cross-key checks and derived values. */
int config_finish(struct config *c, char *err, size_t errlen);
/* Is this key known (flags parser uses it to report unknown flags)? */
bool config_has_key(const char *key);
void config_print_help(FILE *f);
/* The same table as roff .TP entries for pinetboot.conf(5) and pinetboot(8). */
void config_print_man(FILE *f);
/* Every key commented out at its default, with its help as a comment. */
void config_print_example(FILE *f);
/* Is addr (network order) inside one of the admin networks? */
bool config_is_admin(const struct config *c, uint32_t addr);

#endif
