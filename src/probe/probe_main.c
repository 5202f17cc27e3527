/* probe_main.c - `pinetboot probe`: simulate one or many Raspberry Pis
 * netbooting against a server and print a timeline and a verdict per Pi.
 *
 * Option parsing, identities of the simulated boards, one thread per Pi,
 * and the verdict lines. The phases themselves live in probe_dhcp_io.c and
 * probe_seq.c. Exit status: 0 all passed, 1 some failed, 2 usage error.
 *
 * Owns: the probe command line, threads and verdicts. Must not touch: packet formats (probe_dhcp.c, probe_tftp.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "cmds.h"
#include "dhcp/dhcp_pi.h"
#include "probe/probe_run.h"

#define PROBE_COUNT_MAX 1000u
#define THREAD_STACK (512u * 1024u)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pinetboot probe --model 3b|3b+|4|400|cm4|5 (--interface IF | --server IP) [options]\n"
		"\n"
		"Act as a Raspberry Pi netbooting: DHCP DISCOVER as the generation's boot\n"
		"firmware sends it, then the firmware's TFTP file sequence.\n"
		"\n"
		"  --model M            3b, 3b+, 4, 400, cm4 or 5 (required)\n"
		"  --serial HEX8        board serial (default: from the MAC, or random)\n"
		"  --mac MAC            board MAC (default: generation OUI + low 24 bits of serial)\n"
		"  --board-rev HEX      revision code in the Pi 4/5 GUID (default a03111, c03130,\n"
		"                       a03140, d04170)\n"
		"  --tftp-prefix P      Pi 4/5 EEPROM TFTP_PREFIX: serial (0, default), mac (2),\n"
		"                       none, or a TFTP_PREFIX_STR such as tftp_test/ (1)\n"
		"  --interface IF       link to send DHCP on (required unless --server)\n"
		"  --count N            simulate N Pis at once, consecutive serials and MACs\n"
		"  --server IP          skip DHCP, use this TFTP server (like EEPROM TFTP_IP)\n"
		"  --dhcp-port N        server DHCP port (default 67; client port is N+1)\n"
		"  --tftp-port N        TFTP port (default 69)\n"
		"  --blksize N          TFTP blksize to ask (default: Pi 4/5 1468, Pi 3 none)\n"
		"  --dhcp-retry-ms N    DISCOVER interval (default 3B/3B+ 5000, Pi 4/5 4000)\n"
		"  --file-timeout-ms N  whole-file TFTP limit (default 30000)\n"
		"  --verify-dir DIR     compare each file with DIR/<requested path>\n"
		"  --data DIR           compare with a pinetboot data dir (placeholders expanded)\n"
		"  --timeout S          overall limit in seconds (default 60)\n"
		"  --dump-offers DIR    write each DHCP reply to DIR/<id>-<n>-<server>.bin\n"
		"  --expect-no-answer   pass iff no boot offer arrives during the DHCP phase\n"
		"  --dhcp-only          stop after the DHCP phase\n"
		"  --quiet              only verdict lines\n"
		"  --verbose            timelines of every Pi, also with --count\n");
}

enum {
	OPT_MODEL = 256, OPT_SERIAL, OPT_MAC, OPT_BOARD_REV, OPT_INTERFACE, OPT_COUNT, OPT_SERVER,
	OPT_DHCP_PORT, OPT_TFTP_PORT, OPT_BLKSIZE, OPT_RETRY, OPT_FILE_TIMEOUT, OPT_VERIFY, OPT_DATA,
	OPT_TIMEOUT, OPT_DUMP, OPT_NO_ANSWER, OPT_DHCP_ONLY, OPT_QUIET, OPT_VERBOSE, OPT_HELP, OPT_PREFIX,
};

static const struct option longopts[] = {
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "board-rev", required_argument, NULL, OPT_BOARD_REV },
	{ "tftp-prefix", required_argument, NULL, OPT_PREFIX },
	{ "interface", required_argument, NULL, OPT_INTERFACE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "dhcp-port", required_argument, NULL, OPT_DHCP_PORT },
	{ "tftp-port", required_argument, NULL, OPT_TFTP_PORT },
	{ "blksize", required_argument, NULL, OPT_BLKSIZE },
	{ "dhcp-retry-ms", required_argument, NULL, OPT_RETRY },
	{ "file-timeout-ms", required_argument, NULL, OPT_FILE_TIMEOUT },
	{ "verify-dir", required_argument, NULL, OPT_VERIFY },
	{ "data", required_argument, NULL, OPT_DATA },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "dump-offers", required_argument, NULL, OPT_DUMP },
	{ "expect-no-answer", no_argument, NULL, OPT_NO_ANSWER },
	{ "dhcp-only", no_argument, NULL, OPT_DHCP_ONLY },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *opt, const char *val, const char *what)
{
	fprintf(stderr, "pinetboot probe: invalid %s '%s': %s\n", opt, val, what);
	return 2;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int num_opt(const char *name, const char *val, unsigned long min, unsigned long max,
		   unsigned long *ret)
{
	if (probe_parse_uint(val, max, ret) < 0 || *ret < min) {
		char what[64];
		snprintf(what, sizeof(what), "expected a number in %lu..%lu", min, max);
		return bad(name, val, what);
	}
	return 0;
}

/* Parse argv into o. 0, 2 for a usage error, or 1 for --help (exit 0). */
static int parse_args(int argc, char **argv, struct probe_opts *o)
{
	unsigned long v;
	bool have_model = false, have_rev = false, have_prefix = false;
	memset(o, 0, sizeof(*o));
	o->count = 1;
	o->dhcp_port = 67;
	o->tftp_port = 69;
	o->timeout_s = 60;
	optind = 1;
	opterr = 0;
	for (;;) {
		int ch = getopt_long(argc, argv, "", longopts, NULL);
		if (ch == -1)
			break;
		const char *a = optarg;
		switch (ch) {
		case OPT_MODEL:
			if (probe_model_parse(a, &o->model) < 0)
				return bad("--model", a, "expected 3b, 3b+, 4, 400, cm4 or 5");
			have_model = true;
			break;
		case OPT_SERIAL:
			if (strlen(a) != 8 || probe_parse_hex32(a, &o->serial) < 0)
				return bad("--serial", a, "expected 8 hex digits");
			o->has_serial = true;
			break;
		case OPT_MAC:
			if (pi_mac_parse(a, o->mac) < 0)
				return bad("--mac", a, "expected aa:bb:cc:dd:ee:ff");
			o->has_mac = true;
			break;
		case OPT_BOARD_REV:
			if (probe_parse_hex32(a, &o->board_rev) < 0)
				return bad("--board-rev", a, "expected a hex revision code");
			have_rev = true;
			break;
		case OPT_PREFIX:
			if (probe_prefix_parse(a, &o->prefix_mode, o->prefix_str) < 0)
				return bad("--tftp-prefix", a, "expected serial, mac, none or 1-32 printable "
							  "characters without spaces");
			have_prefix = true;
			break;
		case OPT_INTERFACE:
			if (strlen(a) >= sizeof(o->ifname) || !a[0])
				return bad("--interface", a, "name too long");
			snprintf(o->ifname, sizeof(o->ifname), "%s", a);
			break;
		case OPT_COUNT:
			if (num_opt("--count", a, 1, PROBE_COUNT_MAX, &v))
				return 2;
			o->count = (unsigned)v;
			break;
		case OPT_SERVER:
			if (inet_pton(AF_INET, a, &o->server) != 1)
				return bad("--server", a, "expected a dotted-decimal IPv4 address");
			o->has_server = true;
			break;
		case OPT_DHCP_PORT:
			if (num_opt("--dhcp-port", a, 1, 65534, &v))
				return 2;
			o->dhcp_port = (uint16_t)v;
			break;
		case OPT_TFTP_PORT:
			if (num_opt("--tftp-port", a, 1, 65535, &v))
				return 2;
			o->tftp_port = (uint16_t)v;
			break;
		case OPT_BLKSIZE:
			if (num_opt("--blksize", a, 8, 65464, &v))
				return 2;
			o->blksize = (uint16_t)v;
			break;
		case OPT_RETRY:
			if (num_opt("--dhcp-retry-ms", a, 50, 60000, &v))
				return 2;
			o->dhcp_retry_ms = (unsigned)v;
			break;
		case OPT_FILE_TIMEOUT:
			if (num_opt("--file-timeout-ms", a, 100, 600000, &v))
				return 2;
			o->file_timeout_ms = (unsigned)v;
			break;
		case OPT_VERIFY:
		case OPT_DATA:
		case OPT_DUMP:
			if (!is_dir(a))
				return bad(ch == OPT_VERIFY ? "--verify-dir" : ch == OPT_DATA ? "--data" : "--dump-offers",
					   a, "not a directory");
			if (ch == OPT_VERIFY)
				o->verify_dir = a;
			else if (ch == OPT_DATA)
				o->data_dir = a;
			else
				o->dump_dir = a;
			break;
		case OPT_TIMEOUT:
			if (num_opt("--timeout", a, 1, 86400, &v))
				return 2;
			o->timeout_s = (unsigned)v;
			break;
		case OPT_NO_ANSWER:
			o->expect_no_answer = true;
			break;
		case OPT_DHCP_ONLY:
			o->dhcp_only = true;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_HELP:
			return 1;
		default:
			fprintf(stderr, "pinetboot probe: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pinetboot probe: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!have_model) {
		fprintf(stderr, "pinetboot probe: --model is required\n");
		return 2;
	}
	if (!o->has_server && !o->ifname[0]) {
		fprintf(stderr, "pinetboot probe: --interface is required unless --server is given\n");
		return 2;
	}
	if (o->has_server && (o->expect_no_answer || o->dhcp_only || o->dump_dir)) {
		fprintf(stderr, "pinetboot probe: --server skips DHCP; it cannot be combined with "
				"--expect-no-answer, --dhcp-only or --dump-offers\n");
		return 2;
	}
	if (have_prefix && probe_model_is_pi3(o->model) && o->prefix_mode != PROBE_PREFIX_SERIAL) {
		fprintf(stderr, "pinetboot probe: --tftp-prefix is a Pi 4/5 EEPROM setting; "
				"the Pi 3's bootcode.bin always asks <serial>/\n");
		return 2;
	}
	if (o->verify_dir && o->data_dir) {
		fprintf(stderr, "pinetboot probe: use either --verify-dir or --data\n");
		return 2;
	}
	if (o->ifname[0]) {
		o->ifindex = (int)if_nametoindex(o->ifname);
		if (o->ifindex == 0)
			return bad("--interface", o->ifname, strerror(errno));
	}
	if (!have_rev)
		o->board_rev = probe_model_board_rev(o->model);
	return 0;
}

static void setup_ctx(struct probe_ctx *c, const struct probe_opts *o, uint64_t t0, FILE *live)
{
	c->o = o;
	c->t0 = t0;
	c->ifindex = o->ifindex;
	c->ifname = o->ifname;
	c->nic.home_fd = -1;
	c->deadline = t0 + (uint64_t)o->timeout_s * 1000u;
	probe_tl_init(&c->tl, t0, live);
	probe_config_init(&c->cfg);
	probe_mac_fmt(c->pi.mac, c->mac_str);
	pi_mac_id(c->pi.mac, c->mac_id);
	/* ${id} is the Pi's directory: its serial, or its MAC for a Pi
	 * registered by MAC (the server links the two names). */
	snprintf(c->dir_id, sizeof(c->dir_id), "%s", c->pi.id);
	if (o->data_dir) {
		probe_client_name(o->data_dir, c->pi.id, c->name, sizeof(c->name));
		if (!c->name[0]) {
			probe_client_name(o->data_dir, c->mac_id, c->name, sizeof(c->name));
			if (c->name[0])
				snprintf(c->dir_id, sizeof(c->dir_id), "%s", c->mac_id);
		}
	}
	c->vars = (struct probe_vars){
		.server = c->server_str, .id = c->dir_id, .serial = c->pi.id, .mac = c->mac_str, .name = c->name,
	};
}

static void use_server(struct probe_ctx *c, uint32_t ip)
{
	c->tftp_ip = ip;
	inet_ntop(AF_INET, &ip, c->server_str, sizeof(c->server_str));
}

static void run_pi(struct probe_ctx *c)
{
	const struct probe_opts *o = c->o;
	char why[256];
	probe_tl_add(&c->tl, "pi", "%s serial %s mac %s board-rev %06x", probe_model_tag(c->pi.model),
		     c->pi.id, c->mac_str, c->pi.board_rev);
	if (probe_model_is_pi3(c->pi.model) && (c->pi.serial & 0xffffffu) !=
	    ((uint32_t)c->pi.mac[3] << 16 | (uint32_t)c->pi.mac[4] << 8 | c->pi.mac[5]))
		probe_tl_add(&c->tl, "pi", "note: on a real Pi 3 the MAC's low 24 bits are the serial's "
					   "(doc 1.1); this pair cannot exist");
	if (o->has_server) {
		use_server(c, o->server.s_addr);
		probe_tl_add(&c->tl, "pi", "TFTP server %s given, DHCP skipped", c->server_str);
		probe_tftp_phase(c);
		return;
	}
	enum probe_disc_kind kind = c->pi.model == PROBE_MODEL_3B ? PROBE_DISC_3B_ROM
				  : c->pi.model == PROBE_MODEL_3BPLUS ? PROBE_DISC_3_ROM
								      : PROBE_DISC_EEPROM;
	if (probe_dhcp_phase(c, kind, &c->dhcp) < 0)
		return;
	const struct probe_offer *off = &c->dhcp.offer;
	if (o->expect_no_answer) {
		if (c->dhcp.boot) {
			char a[INET_ADDRSTRLEN];
			probe_fail(c, "unexpected boot offer from %s",
				   inet_ntop(AF_INET, &off->src_ip, a, sizeof(a)));
		}
		return;
	}
	if (!c->dhcp.boot) {
		probe_fail(c, "no boot offer (%u replies seen)", c->dhcp.offers);
		return;
	}
	if (off->problems) {
		char a[INET_ADDRSTRLEN];
		probe_fail(c, "boot offer from %s: %s", inet_ntop(AF_INET, &off->src_ip, a, sizeof(a)),
			   probe_offer_problems_str(off->problems, why, sizeof(why)));
	}
	if (c->pi.model == PROBE_MODEL_3B)
		probe_tl_add(&c->tl, "dhcp", "note: boot offer %llu ms after its DISCOVER; the 3B ROM "
					     "needs a reply delay of ~1 s (doc 2.4)%s",
			     (unsigned long long)c->dhcp.boot_ms,
			     c->dhcp.boot_ms < 1000 ? ": this one may be missed by real boards" : "");
	use_server(c, off->tftp_ip);
	if (o->dhcp_only)
		return;
	if (c->dhcp.have_addr) {
		if (probe_take_address(c, &c->dhcp) < 0)
			return;
	} else if (!probe_iface_has_ipv4(o->ifindex)) {
		probe_fail(c, "no offer gave an address (proxy answer only: is the LAN's DHCP server up?) "
			      "and %s has none: a real Pi could not talk TFTP", o->ifname);
		return;
	} else {
		probe_tl_add(&c->tl, "addr", "no address offered: TFTP from %s's own address", o->ifname);
	}
	probe_tftp_phase(c);
}

static void *pi_thread(void *arg)
{
	struct probe_ctx *c = arg;
	run_pi(c);
	c->t_end = probe_now_ms();
	/* Back to the host's namespace: the Pi's own one ends with its link. */
	probe_nic_leave(&c->nic);
	return NULL;
}

static void print_verdict(const struct probe_ctx *c)
{
	const char *tag = probe_model_tag(c->pi.model);
	double secs = (double)(c->t_end - c->t0) / 1000.0;
	char a[INET_ADDRSTRLEN];
	if (c->failed) {
		printf("FAIL %s %s: %s\n", tag, c->pi.id, c->reason);
	} else if (c->o->expect_no_answer) {
		printf("PASS %s %s: no boot offer in %.1f s (as expected)\n", tag, c->pi.id, secs);
	} else if (c->o->dhcp_only) {
		printf("PASS %s %s: boot offer from %s after %llu ms (dhcp only)\n", tag, c->pi.id,
		       inet_ntop(AF_INET, &c->dhcp.offer.src_ip, a, sizeof(a)),
		       (unsigned long long)c->dhcp.boot_ms);
	} else {
		printf("PASS %s %s: %u files, %llu bytes in %.1f s%s%s\n", tag, c->pi.id, c->files,
		       (unsigned long long)c->bytes, secs, c->src_ip ? " from " : "", c->src_ip ? c->src_str : "");
	}
}

static void raise_fd_limit(unsigned count)
{
	/* Each Pi holds a packet socket and a UDP socket at a time. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 2u * count + 64u && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int cmd_probe(int argc, char **argv)
{
	struct probe_opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc == 1) {
		usage(stdout);
		return 0;
	}
	if (rc) {
		usage(stderr);
		return 2;
	}
	uint32_t base_serial = o.serial;
	if (!o.has_serial && !o.has_mac && getrandom(&base_serial, sizeof(base_serial), 0) != sizeof(base_serial))
		base_serial = (uint32_t)probe_now_ms();
	struct probe_ctx *ctx = calloc(o.count, sizeof(*ctx));
	pthread_t *th = calloc(o.count, sizeof(*th));
	bool *started = calloc(o.count, sizeof(*started));
	if (!ctx || !th || !started) {
		fprintf(stderr, "pinetboot probe: out of memory\n");
		free(ctx);
		free(th);
		free(started);
		return 1;
	}
	raise_fd_limit(o.count);
	setvbuf(stdout, NULL, _IOLBF, 0);
	FILE *live = (o.count == 1 && !o.quiet) ? stdout : NULL;
	uint64_t t0 = probe_now_ms();
	for (unsigned i = 0; i < o.count; i++) {
		probe_pi_identity(&ctx[i].pi, o.model, o.board_rev, o.has_serial, base_serial, o.has_mac, o.mac, i);
		setup_ctx(&ctx[i], &o, t0, live);
	}
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	for (unsigned i = 0; i < o.count; i++)
		started[i] = pthread_create(&th[i], &attr, pi_thread, &ctx[i]) == 0;
	pthread_attr_destroy(&attr);
	/* A Pi whose thread could not start runs here, after the others began. */
	for (unsigned i = 0; i < o.count; i++)
		if (!started[i])
			pi_thread(&ctx[i]);
	unsigned pass = 0, fail = 0;
	for (unsigned i = 0; i < o.count; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		struct probe_ctx *c = &ctx[i];
		if (!live && !o.quiet && (o.verbose || (c->failed && o.count > 1) || o.count == 1)) {
			printf("--- %s %s (%s)\n", probe_model_tag(c->pi.model), c->pi.id, c->mac_str);
			probe_tl_print(&c->tl, stdout);
		}
		print_verdict(c);
		if (c->failed)
			fail++;
		else
			pass++;
		probe_tl_free(&c->tl);
	}
	if (o.count > 1)
		printf("probe: %u passed, %u failed\n", pass, fail);
	free(ctx);
	free(th);
	free(started);
	return fail ? 1 : 0;
}
