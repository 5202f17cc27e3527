/* probe_run.h - one simulated Pi's run: options shared by all Pis, the
 * per-Pi context, and the phases (DHCP on a packet socket, then TFTP file
 * sequences per generation). probe_main.c owns threads and verdicts. */
#ifndef PINETBOOT_PROBE_RUN_H
#define PINETBOOT_PROBE_RUN_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "probe/probe.h"
#include "probe/probe_addr.h"
#include "probe/probe_config.h"
#include "probe/probe_dhcp.h"
#include "probe/probe_verify.h"

struct probe_opts {
	enum probe_model model;
	bool has_serial, has_mac;
	uint32_t serial;
	uint8_t mac[6];
	uint32_t board_rev;
	enum probe_prefix_mode prefix_mode;   /* Pi 4/5 TFTP_PREFIX */
	char prefix_str[PROBE_PREFIX_STR_MAX + 1];
	char ifname[IF_NAMESIZE];
	int ifindex;
	unsigned count;
	bool has_server;
	struct in_addr server;
	uint16_t dhcp_port, tftp_port;   /* client DHCP port is dhcp_port + 1 */
	uint16_t blksize;                /* 0: generation default */
	unsigned dhcp_retry_ms;          /* 0: generation default */
	unsigned file_timeout_ms;
	const char *verify_dir, *data_dir, *dump_dir;
	unsigned timeout_s;
	bool quiet, verbose, expect_no_answer, dhcp_only;
};

/* Outcome of one DHCP exchange (doc 2, 3.1). */
struct probe_dhcp_result {
	bool boot;                  /* a boot offer was accepted */
	struct probe_offer offer;   /* that offer */
	uint64_t boot_ms;           /* first DISCOVER -> boot offer */
	bool have_addr;
	uint32_t addr, addr_server; /* offered address and its server (network order) */
	uint32_t addr_mask;         /* the address offer's option 1, 0 = none */
	uint32_t addr_router;       /* and its option 3 */
	bool acked;
	unsigned offers, ignored;
};

/* Which firmware is talking TFTP (doc 4.1 table). */
enum probe_stage {
	PROBE_STAGE_ROM,       /* Pi 3 ROM: plain RRQ, 512-byte blocks */
	PROBE_STAGE_BOOTCODE,  /* bootcode.bin: tsize only; probes read DATA 1 */
	PROBE_STAGE_EEPROM,    /* Pi 4/5: tsize + blksize; probes stop at the OACK */
};

struct probe_ctx {
	const struct probe_opts *o;
	struct probe_pi pi;
	struct probe_tl tl;
	uint64_t t0, deadline, t_end;

	bool failed;
	bool stop;                  /* fatal: a real Pi would not get further */
	enum probe_stage stage;
	char reason[320];
	unsigned files;             /* files downloaded */
	uint64_t bytes;
	unsigned dump_n;

	uint32_t tftp_ip;           /* network order */
	char server_str[INET_ADDRSTRLEN];
	uint32_t src_ip;            /* offered address used for TFTP, 0 = any */
	char src_str[INET_ADDRSTRLEN];
	/* The link the Pi uses: the probed interface, or after an address
	 * offer its own macvlan in its own namespace (probe_addr.h). */
	int ifindex;
	const char *ifname;
	struct probe_nic nic;
	char prefix[48];            /* "<id>/", MAC, custom, or "" after the prefix decision */
	bool prefix_kept;
	struct probe_config cfg;
	char mac_str[18], mac_id[18], name[128];
	char dir_id[18]; /* with --data: the registered client directory (serial or MAC id) */
	struct probe_vars vars;
	struct probe_dhcp_result dhcp;
};

/* Record the first failure; later ones are only added to the timeline. */
void probe_fail(struct probe_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Run a DISCOVER/OFFER (and for Pi 4/5 REQUEST/ACK) exchange on the packet
 * socket. Returns 0 when it ran (see res->boot), negative errno when the
 * socket could not be used (probe_fail called). */
int probe_dhcp_phase(struct probe_ctx *c, enum probe_disc_kind kind, struct probe_dhcp_result *res);

/* Use an offered address (res->addr with its mask and router) for TFTP,
 * as a real Pi uses its yiaddr: on the Pi's own NIC (probe_addr.h). 0, or
 * negative errno with the Pi failed and stopped. */
int probe_take_address(struct probe_ctx *c, const struct probe_dhcp_result *res);

/* Everything after DHCP for the context's generation (doc 4.2-4.4). */
void probe_tftp_phase(struct probe_ctx *c);

#endif
