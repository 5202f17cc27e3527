/* config.c - the key table and its parsers (file via inih, flags, help).
 * Every key has one entry here; values are range-checked, never atoi'd.
 *
 * Owns: pinetboot.conf's keys, defaults and ranges. Must not touch:
 * sockets, the registry. */
#include "daemon/config.h"

#include <errno.h>
#include <stdio.h>
#include <ini.h>
#include <stddef.h>
#include <string.h>

#include "core/log.h"
#include "core/net.h"
#include "dhcp/dhcp_server.h"

enum key_type { K_STR, K_UINT, K_BOOL, K_ENUM };

struct key_desc {
	const char *name;
	enum key_type type;
	size_t off;
	size_t size;            /* K_STR: buffer size */
	uint64_t min, max;      /* K_UINT */
	const char *const *names; /* K_ENUM: NULL-terminated value names */
	const char *def;        /* default, as text */
	const char *help;
};

static const char *const answer_names[] = { "known", "all", NULL };
static const char *const dhcp_names[] = { "proxy", "full", "off", NULL };
static const char *const level_names[] = { "error", "warn", "info", "debug", NULL };

#define STR(f, d, h) { #f, K_STR, offsetof(struct config, f), sizeof(((struct config *)0)->f), 0, 0, NULL, d, h }

static const struct key_desc keys[] = {
	{ "interface", K_STR, offsetof(struct config, interface), sizeof(((struct config *)0)->interface),
	  0, 0, NULL, "", "comma list of interfaces to serve (default: every non-loopback IPv4 interface)" },
	{ "answer", K_ENUM, offsetof(struct config, answer), 0, 0, 0, answer_names, "known",
	  "which Pis get a boot answer: known (registered in clients/) or all" },
	{ "dhcp", K_ENUM, offsetof(struct config, dhcp), 0, 0, 0, dhcp_names, "proxy",
	  "DHCP role: proxy (beside the LAN's DHCP server), full (be the DHCP server), off" },
	{ "dhcp-range", K_STR, offsetof(struct config, dhcp_range), sizeof(((struct config *)0)->dhcp_range),
	  0, 0, NULL, "", "address pool for dhcp=full, as FIRST,LAST (more pairs: more pools, e.g. for relays)" },
	{ "dhcp-netmask", K_STR, offsetof(struct config, dhcp_netmask), sizeof(((struct config *)0)->dhcp_netmask),
	  0, 0, NULL, "", "dhcp=full: netmask given to clients (default: the interface's)" },
	{ "dhcp-router", K_STR, offsetof(struct config, dhcp_router), sizeof(((struct config *)0)->dhcp_router),
	  0, 0, NULL, "", "dhcp=full: router given to clients (default: none, an isolated switch)" },
	{ "dhcp-dns", K_STR, offsetof(struct config, dhcp_dns), sizeof(((struct config *)0)->dhcp_dns),
	  0, 0, NULL, "", "dhcp=full: comma list of DNS servers given to clients (default: none)" },
	{ "dhcp-lease-time", K_UINT, offsetof(struct config, dhcp_lease_time), 0, 60, 31536000, NULL, "3600",
	  "dhcp=full: lease time in seconds" },
	{ "dhcp-force", K_BOOL, offsetof(struct config, dhcp_force), 0, 0, 0, NULL, "off",
	  "dhcp=full: start even when another DHCP server answers on the interface" },
	{ "dhcp-probe-ms", K_UINT, offsetof(struct config, dhcp_probe_ms), 0, 0, 2000, NULL, "300",
	  "dhcp=full: ARP wait before offering an address new to the lease file (0 = no check)" },
	{ "dhcp-port", K_UINT, offsetof(struct config, dhcp_port), 0, 1, 65534, NULL, "67",
	  "UDP port of the DHCP server (clients answer on this port + 1)" },
	{ "tftp-port", K_UINT, offsetof(struct config, tftp_port), 0, 1, 65535, NULL, "69",
	  "UDP port of the TFTP server" },
	{ "nfs", K_BOOL, offsetof(struct config, nfs), 0, 0, 0, NULL, "on",
	  "serve client roots over NFSv3 (on|off)" },
	{ "nfs-port", K_UINT, offsetof(struct config, nfs_port), 0, 1, 65535, NULL, "2049",
	  "TCP and UDP port of the NFSv3 and MOUNT server" },
	{ "portmap-port", K_UINT, offsetof(struct config, portmap_port), 0, 0, 65535, NULL, "111",
	  "TCP and UDP port of the portmapper (0 = none; if a system rpcbind has 111, register with it)" },
	{ "nfs-workers", K_UINT, offsetof(struct config, nfs_workers), 0, 1, 256, NULL, "4",
	  "threads doing NFS file I/O" },
	{ "nfs-max-connections", K_UINT, offsetof(struct config, nfs_max_connections), 0, 1, 1000000, NULL, "1024",
	  "TCP connections of Pis that passed an access check (256 more wait for their first check; only an authorised connection displaces one)" },
	{ "admin-networks", K_STR, offsetof(struct config, admin_networks), sizeof(((struct config *)0)->admin_networks),
	  0, 0, NULL, "", "comma list of CIDRs allowed to read any client's files and exports" },
	{ "log-level", K_ENUM, offsetof(struct config, log_level), 0, 0, 0, level_names, "info",
	  "error, warn, info or debug" },
	{ "pi3-reply-delay-ms", K_UINT, offsetof(struct config, pi3_reply_delay_ms), 0, 0, 5000, NULL, "1000",
	  "delay of the proxy answer to Pi 3 boot ROMs, which ignore an immediate one" },
	{ "pi3-spaced-menu", K_BOOL, offsetof(struct config, pi3_spaced_menu), 0, 0, 0, NULL, "off",
	  "send \"Raspberry Pi Boot   \" (3 spaces) to Pi 3B ROMs with the constant GUID" },
	{ "max-transfers", K_UINT, offsetof(struct config, max_transfers), 0, 1, 100000, NULL, "2000",
	  "TFTP transfers in flight at most" },
	{ "max-transfers-per-client", K_UINT, offsetof(struct config, max_transfers_per_client), 0, 1, 100000, NULL, "64",
	  "TFTP transfers in flight at most per client address" },
	{ "tftp-max-blksize", K_UINT, offsetof(struct config, tftp_max_blksize), 0, 512, 65464, NULL, "65464",
	  "largest TFTP block size granted (also clamped to the interface MTU)" },
	{ "tftp-max-window", K_UINT, offsetof(struct config, tftp_max_window), 0, 1, 256, NULL, "64",
	  "largest RFC 7440 windowsize granted" },
	{ "tftp-min-rto-ms", K_UINT, offsetof(struct config, tftp_min_rto_ms), 0, 5, 10000, NULL, "20",
	  "shortest TFTP retransmission timeout (it adapts to the measured round trip)" },
	{ "tftp-give-up-s", K_UINT, offsetof(struct config, tftp_give_up_s), 0, 1, 3600, NULL, "30",
	  "drop a TFTP transfer after this long without progress" },
	{ "bind-window-s", K_UINT, offsetof(struct config, bind_window_s), 0, 1, 3600, NULL, "300",
	  "after a boot answer, how long the address whose MAC received it may claim that Pi's files (its first completed boot)" },
	{ "http-listen", K_STR, offsetof(struct config, http_listen), sizeof(((struct config *)0)->http_listen),
	  0, 0, NULL, "127.0.0.1:8466", "fleet dashboard and API: IPv4 ADDRESS:PORT, or off" },
	{ "http-read-open", K_BOOL, offsetof(struct config, http_read_open), 0, 0, 0, NULL, "off",
	  "serve the read-only API and dashboard beyond localhost without the token (on|off)" },
	{ "user", K_STR, offsetof(struct config, user), sizeof(((struct config *)0)->user), 0, 0, NULL, "_pinetboot",
	  "run the network-facing work as this user, with a few capabilities and a system-call filter, while a small root process keeps the mounts (root = all in one root process)" },
	{ "fleet-stall-s", K_UINT, offsetof(struct config, fleet_stall_s), 0, 2, 3600, NULL, "30",
	  "a boot with no progress for this long in one stage is shown as stalled" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key_desc *find_key(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

bool config_has_key(const char *key)
{
	return find_key(key) != NULL;
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	const struct key_desc *k = find_key(key);
	char *base = (char *)c;
	if (!k) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	switch (k->type) {
	case K_STR:
		if (strlen(value) >= k->size) {
			snprintf(err, errlen, "%s: value too long (max %zu)", key, k->size - 1);
			return -1;
		}
		memcpy(base + k->off, value, strlen(value) + 1);
		return 0;
	case K_UINT: {
		uint64_t v;
		if (parse_uint(value, k->max, &v) < 0 || v < k->min) {
			snprintf(err, errlen, "%s: '%s' is not a number from %llu to %llu", key, value,
				 (unsigned long long)k->min, (unsigned long long)k->max);
			return -1;
		}
		unsigned u = (unsigned)v;
		memcpy(base + k->off, &u, sizeof(u));
		return 0;
	}
	case K_BOOL: {
		bool b;
		if (!strcmp(value, "on") || !strcmp(value, "yes") || !strcmp(value, "true") || !strcmp(value, "1"))
			b = true;
		else if (!strcmp(value, "off") || !strcmp(value, "no") || !strcmp(value, "false") || !strcmp(value, "0"))
			b = false;
		else {
			snprintf(err, errlen, "%s: '%s' is not on or off", key, value);
			return -1;
		}
		memcpy(base + k->off, &b, sizeof(b));
		return 0;
	}
	case K_ENUM:
		for (unsigned i = 0; k->names[i]; i++) {
			if (strcmp(k->names[i], value) == 0) {
				memcpy(base + k->off, &i, sizeof(i));
				return 0;
			}
		}
		snprintf(err, errlen, "%s: '%s' is not one of the accepted values", key, value);
		return -1;
	}
	return -1;
}

void config_defaults(struct config *c)
{
	char err[128];
	memset(c, 0, sizeof(*c));
	snprintf(c->data_dir, sizeof(c->data_dir), "/srv/pinetboot");
	for (size_t i = 0; i < NKEYS; i++)
		if (config_set(c, keys[i].name, keys[i].def, err, sizeof(err)) < 0)
			log_error("config", "bad built-in default: %s", err);
}

struct load_ctx {
	struct config *c;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	char msg[300];
};

/* inih (as packaged by Debian) does not pass line numbers to handlers;
 * a handler returning 0 makes ini_parse_file() return the line of the
 * first error, which is where the message is attached. */
static int conf_key(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	char e[256];
	if (lc->failed)
		return 0;
	if (section && *section) {
		snprintf(lc->msg, sizeof(lc->msg), "sections are not used ([%s])", section);
		lc->failed = 1;
		return 0;
	}
	if (config_set(lc->c, name, value, e, sizeof(e)) < 0) {
		snprintf(lc->msg, sizeof(lc->msg), "%s", e);
		lc->failed = 1;
		return 0;
	}
	return 1;
}

int config_load_file(struct config *c, const char *path, bool optional, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		if (optional && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct load_ctx lc = { c, path, err, errlen, 0, "" };
	int r = ini_parse_file(f, conf_key, &lc);
	fclose(f);
	if (lc.failed) {
		snprintf(err, errlen, "%s:%d: %s", path, r, lc.msg);
		return -1;
	}
	if (r != 0) {
		snprintf(err, errlen, "%s:%d: syntax error (expected key = value)", path, r);
		return -1;
	}
	return 0;
}

int config_finish(struct config *c, char *err, size_t errlen)
{
	c->n_admin = 0;
	const char *p = c->admin_networks;
	while (*p) {
		while (*p == ',' || *p == ' ')
			p++;
		if (!*p)
			break;
		char item[64];
		size_t n = strcspn(p, ", ");
		if (n >= sizeof(item) || c->n_admin == CONFIG_ADMIN_NETS_MAX) {
			snprintf(err, errlen, "admin-networks: too many or too long entries");
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (net_parse_cidr(item, &c->admin_addr[c->n_admin], &c->admin_mask[c->n_admin]) < 0) {
			snprintf(err, errlen, "admin-networks: '%s' is not an IPv4 CIDR", item);
			return -1;
		}
		c->n_admin++;
		p += n;
	}
	if (c->dhcp == DHCP_FULL) {
		struct dhcp_server_conf sc;
		if (dhcp_server_conf_parse(&sc, c->dhcp_range, c->dhcp_netmask, c->dhcp_router, c->dhcp_dns,
					   c->dhcp_lease_time, err, errlen) < 0)
			return -1;
	}
	return 0;
}

bool config_is_admin(const struct config *c, uint32_t addr)
{
	for (size_t i = 0; i < c->n_admin; i++)
		if ((addr & c->admin_mask[i]) == c->admin_addr[i])
			return true;
	return false;
}

/* roff text: backslashes doubled, '-' escaped so man(1) keeps it as a
 * hyphen-minus (flags must be copy-pasteable). */
static void roff(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

void config_print_man(FILE *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_desc *k = &keys[i];
		fputs(".TP\n.B ", f);
		roff(f, k->name);
		fputc('\n', f);
		roff(f, k->help);
		if (k->type == K_ENUM) {
			fputs(" (", f);
			for (const char *const *n = k->names; *n; n++) {
				roff(f, *n);
				fputs(n[1] ? ", " : ")", f);
			}
		}
		fputs(".\nDefault: ", f);
		roff(f, k->def && *k->def ? k->def : "none");
		fputs(". Flag: \\fB\\-\\-", f);
		roff(f, k->name);
		fputs("\\fR.\n", f);
	}
}

void config_print_example(FILE *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_desc *k = &keys[i];
		fprintf(f, "# %s\n#%s = %s\n\n", k->help, k->name, k->def ? k->def : "");
	}
}

void config_print_help(FILE *f)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key_desc *k = &keys[i];
		fprintf(f, "  --%-26s %s", k->name, k->help);
		if (k->def && *k->def)
			fprintf(f, " [%s]", k->def);
		fputc('\n', f);
	}
}
