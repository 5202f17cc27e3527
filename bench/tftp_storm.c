/* tftp_storm.c - boot-storm TFTP client: N simulated Raspberry Pi 4s that all
 * fetch the Pi 4 boot sequence (docs/pi-netboot-protocol.md section 4.3) from
 * one server at once. One process, one epoll loop, one non-blocking UDP
 * socket per transfer (a Pi uses a new ephemeral port for every RRQ), client
 * side packet loss and retransmit timers. Prints one key=value result line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tftp/tftp_proto.h"

/* What a step of the boot sequence expects from the server. */
enum step_kind {
	STEP_MISSING,  /* the file must not exist: ERROR 1 expected */
	STEP_PROBE,    /* tsize probe: RRQ tsize=0, OACK, we send "Early terminate" */
	STEP_GET,      /* full download */
};

struct step {
	char name[TFTP_FILENAME_MAX + 1];  /* without the serial prefix */
	enum step_kind kind;
	bool prefixed;   /* requested as "<serial>/name" */
	int file;        /* index into files[] when --verify knows it, else -1 */
};

/* Pi 4 EEPROM bootloader with a Raspberry Pi OS boot dir and no serial dir
 * (doc section 4.3): serial-prefix probes fail, the prefix is cleared, then
 * self-update probes, the firmware (probed with tsize then fetched), the
 * second-stage files and the kernel ("Early terminate" probe, armstub probe,
 * real download). Overlays are inserted after overlay_map.dtb at run time. */
static const struct {
	const char *name;
	enum step_kind kind;
	bool prefixed;
} pi4_sequence[] = {
	{ "start4.elf", STEP_MISSING, true },
	{ "start.elf", STEP_MISSING, true },
	{ "config.txt", STEP_GET, false },
	{ "vl805.sig", STEP_MISSING, false },
	{ "pieeprom.sig", STEP_MISSING, false },
	{ "recover4.elf", STEP_MISSING, false },
	{ "recovery.elf", STEP_MISSING, false },
	{ "start4.elf", STEP_PROBE, false },
	{ "start4.elf", STEP_GET, false },
	{ "fixup4.dat", STEP_GET, false },
	{ "recovery.elf", STEP_MISSING, false },
	{ "config.txt", STEP_GET, false },
	{ "dt-blob.bin", STEP_MISSING, false },
	{ "config.txt", STEP_GET, false },
	{ "bootcfg.txt", STEP_MISSING, false },
	{ "bcm2711-rpi-4-b.dtb", STEP_GET, false },
	{ "overlays/overlay_map.dtb", STEP_GET, false },
	/* the overlays/ *.dtbo files go here */
	{ "config.txt", STEP_GET, false },
	{ "cmdline.txt", STEP_GET, false },
	{ "kernel8.img", STEP_PROBE, false },
	{ "armstub8-gic.bin", STEP_MISSING, false },
	{ "kernel8.img", STEP_GET, false },
};
#define PI4_SEQ_LEN (sizeof(pi4_sequence) / sizeof(pi4_sequence[0]))
#define OVERLAY_INSERT_AFTER "overlays/overlay_map.dtb"

/* Overlays requested when no --verify directory tells us which exist; the
 * same names tests/integ/lib.sh make_bootset creates. */
static const char *const default_overlays[] = {
	"disable-bt.dtbo", "dwc2.dtbo", "vc4-kms-v3d-pi4.dtbo", "vc4-kms-v3d.dtbo",
};

#define MAX_STEPS 128
#define MAX_OVERLAYS 64
#define MAX_CLIENTS 5000
#define PKT_MAX (TFTP_BLKSIZE_MAX + 4)

enum fail_reason {
	FAIL_TIMEOUT, FAIL_ERROR, FAIL_EXISTS, FAIL_VERIFY, FAIL_SIZE,
	FAIL_BADPKT, FAIL_SOCKET, FAIL_UNFINISHED, FAIL_MAX
};

static const char *const fail_names[FAIL_MAX] = {
	[FAIL_TIMEOUT] = "file_timeout",
	[FAIL_ERROR] = "unexpected_error",
	[FAIL_EXISTS] = "missing_file_exists",
	[FAIL_VERIFY] = "content_mismatch",
	[FAIL_SIZE] = "size_mismatch",
	[FAIL_BADPKT] = "bad_packet",
	[FAIL_SOCKET] = "socket",
	[FAIL_UNFINISHED] = "unfinished_at_max_seconds",
};

struct file_data {
	char name[TFTP_FILENAME_MAX + 1];
	uint8_t *data;
	size_t size;
};

/* One transfer = one RRQ and its socket. */
struct xfer {
	int fd;                      /* -1 when idle */
	bool have_peer;              /* server TID learned from the first reply */
	struct sockaddr_in peer;
	bool started;                /* first DATA/OACK seen */
	uint16_t blksize, window;
	uint64_t blocks;             /* in-order blocks received */
	uint64_t bytes;
	unsigned since_ack;          /* in-order blocks since our last ACK */
	bool gap_acked;              /* RFC 7440 gap already answered */
	uint8_t last_pkt[TFTP_FILENAME_MAX + 128];  /* RRQ or last ACK, for resend */
	size_t last_len;
	bool last_is_ack;
	uint64_t t_start_ns, t_deadline_ns;
};

struct client {
	unsigned idx;
	char serial[9];
	unsigned step;
	bool running, done;
	uint64_t t_start_ns, t_done_ns;
	uint64_t rng;
	struct in_addr src;
	struct xfer x;
};

struct config {
	struct in_addr server;
	uint16_t port;
	unsigned clients;
	unsigned blksize;       /* 0: do not ask */
	unsigned window;        /* 1: lock-step, no option */
	double loss;
	unsigned timeout_ms;
	unsigned file_timeout_s;
	const char *verify_dir;
	double max_seconds;
	unsigned ramp_ms;
	uint64_t seed;
	struct in_addr src_base;
	unsigned src_count;     /* 0: let the kernel pick the source address */
	bool verbose;
};

struct stats {
	uint64_t files, bytes, retransmits, failures, missing_ok, probes;
	uint64_t dup_data, stray;
	uint64_t fail_by[FAIL_MAX];
	unsigned fail_printed;
};

static struct config cfg;
static struct stats st;
static struct step steps[MAX_STEPS];
static unsigned nsteps;
static struct file_data files[MAX_STEPS];
static unsigned nfiles;
static struct client *clients;
static int epfd = -1;
static unsigned active;  /* clients started and not done */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: tiny, seedable, per client so loss decisions do not depend
 * on how the clients interleave. */
static double rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static bool lose(struct client *c)
{
	return cfg.loss > 0 && rng_next(&c->rng) < cfg.loss;
}

/* ------------------------------------------------------------ options */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tftp_storm --server IP [--port 69] [--clients N] [--blksize B]\n"
		"         [--window W] [--loss FRACTION] [--timeout-ms MS]\n"
		"         [--file-timeout-s S] [--verify DIR] [--max-seconds S]\n"
		"         [--ramp-ms MS] [--seed N] [--src-base IP --src-count K] [-v]\n"
		"Simulates N Raspberry Pi 4s booting at once over TFTP and prints one\n"
		"line: clients files bytes wall_s mbps p50_s p99_s client_retransmits failures.\n"
		"  --blksize 0      do not ask for blksize (512-byte blocks)\n"
		"  --window W       RFC 7440 windowsize (1 = lock-step like a real Pi)\n"
		"  --loss F         drop this fraction of received DATA/OACK and sent ACKs\n"
		"  --verify DIR     compare every byte with DIR (the server's TFTP root)\n"
		"  --src-base IP    client i sends from IP + (i %% K), K = --src-count\n");
}

static bool parse_ulong(const char *s, unsigned long min, unsigned long max,
			unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static bool parse_double(const char *s, double min, double max, double *ret)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= min && v <= max))
		return false;
	*ret = v;
	return true;
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "clients", required_argument, NULL, 'n' },
		{ "blksize", required_argument, NULL, 'b' },
		{ "window", required_argument, NULL, 'w' },
		{ "loss", required_argument, NULL, 'l' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "file-timeout-s", required_argument, NULL, 'f' },
		{ "verify", required_argument, NULL, 'V' },
		{ "max-seconds", required_argument, NULL, 'm' },
		{ "ramp-ms", required_argument, NULL, 'r' },
		{ "seed", required_argument, NULL, 'S' },
		{ "src-base", required_argument, NULL, 'B' },
		{ "src-count", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	bool have_server = false;
	int o;

	cfg.port = 69;
	cfg.clients = 1;
	cfg.blksize = 1468;
	cfg.window = 1;
	cfg.timeout_ms = 1000;
	cfg.file_timeout_s = 30;
	cfg.max_seconds = 300;
	cfg.seed = 1;
	while ((o = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		bool good = true;

		switch (o) {
		case 's':
			good = have_server = inet_pton(AF_INET, optarg, &cfg.server) == 1;
			break;
		case 'p':
			good = parse_ulong(optarg, 1, 65535, &v);
			cfg.port = (uint16_t)v;
			break;
		case 'n':
			good = parse_ulong(optarg, 1, MAX_CLIENTS, &v);
			cfg.clients = (unsigned)v;
			break;
		case 'b':
			good = parse_ulong(optarg, 0, TFTP_BLKSIZE_MAX, &v) &&
			       (v == 0 || v >= TFTP_BLKSIZE_MIN);
			cfg.blksize = (unsigned)v;
			break;
		case 'w':
			good = parse_ulong(optarg, 1, TFTP_WINDOW_MAX, &v);
			cfg.window = (unsigned)v;
			break;
		case 'l':
			good = parse_double(optarg, 0, 0.5, &cfg.loss);
			break;
		case 't':
			good = parse_ulong(optarg, 10, 60000, &v);
			cfg.timeout_ms = (unsigned)v;
			break;
		case 'f':
			good = parse_ulong(optarg, 1, 3600, &v);
			cfg.file_timeout_s = (unsigned)v;
			break;
		case 'V':
			cfg.verify_dir = optarg;
			break;
		case 'm':
			good = parse_double(optarg, 0.1, 86400, &cfg.max_seconds);
			break;
		case 'r':
			good = parse_ulong(optarg, 0, 3600000, &v);
			cfg.ramp_ms = (unsigned)v;
			break;
		case 'S':
			good = parse_ulong(optarg, 0, ULONG_MAX, &v);
			cfg.seed = v;
			break;
		case 'B':
			good = inet_pton(AF_INET, optarg, &cfg.src_base) == 1;
			break;
		case 'C':
			good = parse_ulong(optarg, 1, 65535, &v);
			cfg.src_count = (unsigned)v;
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
		if (!good) {
			fprintf(stderr, "tftp_storm: bad value: %s\n", optarg);
			return -1;
		}
	}
	if (!have_server || optind != argc) {
		usage(stderr);
		return -1;
	}
	if (cfg.src_count && cfg.src_base.s_addr == 0) {
		fprintf(stderr, "tftp_storm: --src-count needs --src-base\n");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ sequence */

static int load_file(const char *name)
{
	char path[4096];
	struct stat sb;
	struct file_data *f;
	size_t off = 0;
	int fd, n;
	unsigned i;

	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i].name, name) == 0)
			return (int)i;
	n = snprintf(path, sizeof(path), "%s/%s", cfg.verify_dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || nfiles >= MAX_STEPS) {
		close(fd);
		return -1;
	}
	f = &files[nfiles];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->size = (size_t)sb.st_size;
	f->data = malloc(f->size ? f->size : 1);
	if (!f->data) {
		close(fd);
		return -1;
	}
	while (off < f->size) {
		ssize_t r = read(fd, f->data + off, f->size - off);

		if (r <= 0) {
			free(f->data);
			close(fd);
			return -1;
		}
		off += (size_t)r;
	}
	close(fd);
	return (int)nfiles++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Overlay names: every *.dtbo in DIR/overlays with --verify (sorted, so
 * runs are comparable), else the default list. */
static unsigned list_overlays(char **names, unsigned cap)
{
	char path[4096];
	struct dirent *de;
	unsigned n = 0, i;
	DIR *d;

	if (!cfg.verify_dir) {
		for (i = 0; i < sizeof(default_overlays) / sizeof(default_overlays[0]) && n < cap; i++)
			names[n++] = strdup(default_overlays[i]);
		return n;
	}
	snprintf(path, sizeof(path), "%s/overlays", cfg.verify_dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL && n < cap) {
		size_t len = strlen(de->d_name);

		if (len > 5 && strcmp(de->d_name + len - 5, ".dtbo") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	return n;
}

static int add_step(const char *name, enum step_kind kind, bool prefixed)
{
	struct step *s;

	if (nsteps >= MAX_STEPS || strlen(name) + 10 > TFTP_FILENAME_MAX)
		return -1;
	s = &steps[nsteps++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->kind = kind;
	s->prefixed = prefixed;
	s->file = -1;
	if (!cfg.verify_dir || prefixed)
		return 0;
	s->file = load_file(name);
	if (kind == STEP_MISSING && s->file >= 0)
		fprintf(stderr, "tftp_storm: warning: %s exists in %s but a Pi expects it missing\n",
			name, cfg.verify_dir);
	if (kind != STEP_MISSING && s->file < 0) {
		fprintf(stderr, "tftp_storm: %s/%s is not a readable file\n", cfg.verify_dir, name);
		return -1;
	}
	return 0;
}

static int build_sequence(void)
{
	char *ov[MAX_OVERLAYS];
	unsigned nov = list_overlays(ov, MAX_OVERLAYS), i, j;
	int rc = 0;

	for (i = 0; i < PI4_SEQ_LEN && rc == 0; i++) {
		rc = add_step(pi4_sequence[i].name, pi4_sequence[i].kind, pi4_sequence[i].prefixed);
		if (rc == 0 && strcmp(pi4_sequence[i].name, OVERLAY_INSERT_AFTER) == 0) {
			for (j = 0; j < nov && rc == 0; j++) {
				char name[TFTP_FILENAME_MAX + 1];

				snprintf(name, sizeof(name), "overlays/%s", ov[j]);
				rc = add_step(name, STEP_GET, false);
			}
		}
	}
	for (j = 0; j < nov; j++)
		free(ov[j]);
	return rc;
}

/* ------------------------------------------------------------ transfers */

static void step_fail(struct client *c, enum fail_reason why, const char *detail)
{
	st.failures++;
	st.fail_by[why]++;
	if (cfg.verbose || st.fail_printed < 20) {
		st.fail_printed++;
		fprintf(stderr, "tftp_storm: client %u (%s) step %u %s%s%s: %s%s%s\n",
			c->idx, c->serial, c->step,
			steps[c->step].prefixed ? c->serial : "",
			steps[c->step].prefixed ? "/" : "", steps[c->step].name,
			fail_names[why], detail ? ": " : "", detail ? detail : "");
	}
}

static void send_pkt(struct client *c, const uint8_t *p, size_t len,
		     const struct sockaddr_in *to)
{
	/* A full socket buffer is just another lost packet: the retransmit
	 * timer recovers, as it would on a real network. */
	(void)sendto(c->x.fd, p, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to));
}

static void send_early_terminate(struct client *c)
{
	uint8_t pkt[64];
	int n;

	if (!c->x.have_peer)
		return;
	/* The exact bytes of a Pi 4 probe abort (doc section 4.1). */
	n = tftp_build_error(pkt, sizeof(pkt), TFTP_EUNDEF, "Early terminate");
	if (n > 0)
		send_pkt(c, pkt, (size_t)n, &c->x.peer);
}

static void xfer_close(struct client *c)
{
	if (c->x.fd >= 0)
		close(c->x.fd);  /* also leaves the epoll set */
	c->x.fd = -1;
}

static void client_start_step(struct client *c);

static void step_next(struct client *c)
{
	xfer_close(c);
	c->step++;
	if (c->step >= nsteps) {
		c->done = true;
		c->t_done_ns = now_ns();
		active--;
		return;
	}
	client_start_step(c);
}

static void arm_timer(struct client *c)
{
	c->x.t_deadline_ns = now_ns() + (uint64_t)cfg.timeout_ms * 1000000u;
}

static void send_ack(struct client *c, uint16_t block)
{
	int n = tftp_build_ack(c->x.last_pkt, sizeof(c->x.last_pkt), block);

	c->x.last_len = n > 0 ? (size_t)n : 0;
	c->x.last_is_ack = true;
	c->x.since_ack = 0;
	if (!lose(c))
		send_pkt(c, c->x.last_pkt, c->x.last_len, &c->x.peer);
	arm_timer(c);
}

static void client_start_step(struct client *c)
{
	const struct step *s = &steps[c->step];
	struct tftp_opts o;
	struct sockaddr_in src, dst;
	struct epoll_event ev;
	char name[TFTP_FILENAME_MAX + 1];
	int n;

	memset(&c->x, 0, sizeof(c->x));
	c->x.fd = -1;
	c->x.t_start_ns = now_ns();
	c->x.blksize = TFTP_BLKSIZE_DEFAULT;
	c->x.window = 1;

	/* Pi 4 EEPROM requests carry tsize 0 (and blksize) on every RRQ. */
	memset(&o, 0, sizeof(o));
	o.has_tsize = true;
	o.tsize = 0;
	if (cfg.blksize) {
		o.has_blksize = true;
		o.blksize = (uint16_t)cfg.blksize;
	}
	if (cfg.window > 1) {
		o.has_windowsize = true;
		o.windowsize = (uint16_t)cfg.window;
	}
	snprintf(name, sizeof(name), "%s%s%s", s->prefixed ? c->serial : "",
		 s->prefixed ? "/" : "", s->name);
	n = tftp_build_rrq(c->x.last_pkt, sizeof(c->x.last_pkt), name, TFTP_MODE_OCTET, &o);
	if (n < 0) {
		step_fail(c, FAIL_SOCKET, "cannot build RRQ");
		step_next(c);
		return;
	}
	c->x.last_len = (size_t)n;

	c->x.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->x.fd < 0)
		goto sock_fail;
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr = c->src;
	if (bind(c->x.fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		goto sock_fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->x.fd, &ev) < 0)
		goto sock_fail;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_addr = cfg.server;
	dst.sin_port = htons(cfg.port);
	send_pkt(c, c->x.last_pkt, c->x.last_len, &dst);
	arm_timer(c);
	return;

sock_fail:
	step_fail(c, FAIL_SOCKET, strerror(errno));
	step_next(c);
}

static bool verify_block(struct client *c, const uint8_t *p, size_t n)
{
	const struct step *s = &steps[c->step];
	const struct file_data *f;
	uint64_t off = c->x.bytes;

	if (s->file < 0)
		return true;
	f = &files[s->file];
	if (off + n > f->size || memcmp(f->data + off, p, n) != 0) {
		char d[96];

		snprintf(d, sizeof(d), "block %llu (offset %llu, %zu bytes)",
			 (unsigned long long)(c->x.blocks + 1), (unsigned long long)off, n);
		step_fail(c, FAIL_VERIFY, d);
		return false;
	}
	return true;
}

/* First reply (OACK or DATA 1 or ERROR) decides what the transfer is. */
static void on_oack(struct client *c, const uint8_t *p, size_t len)
{
	const struct step *s = &steps[c->step];
	struct tftp_opts o;

	if (c->x.started) {
		/* A resent OACK: our ACK 0 was lost. Answer it like a
		 * duplicate DATA block, once data flows it is stale. */
		if (c->x.blocks == 0)
			send_ack(c, 0);
		return;
	}
	if (tftp_parse_oack(p, len, &o) < 0) {
		step_fail(c, FAIL_BADPKT, "unparsable OACK");
		send_early_terminate(c);
		step_next(c);
		return;
	}
	if (s->kind == STEP_MISSING) {
		step_fail(c, FAIL_EXISTS, "OACK");
		send_early_terminate(c);
		step_next(c);
		return;
	}
	if (o.has_tsize && s->file >= 0 && o.tsize != files[s->file].size) {
		char d[80];

		snprintf(d, sizeof(d), "tsize %llu, file has %zu",
			 (unsigned long long)o.tsize, files[s->file].size);
		step_fail(c, FAIL_SIZE, d);
		send_early_terminate(c);
		step_next(c);
		return;
	}
	if (s->kind == STEP_PROBE) {
		st.probes++;
		send_early_terminate(c);
		step_next(c);
		return;
	}
	/* RFC 2347: an option absent from the OACK was refused. */
	c->x.blksize = o.has_blksize ? o.blksize : TFTP_BLKSIZE_DEFAULT;
	c->x.window = o.has_windowsize ? o.windowsize : 1;
	if ((cfg.blksize && c->x.blksize > cfg.blksize) || (!cfg.blksize && o.has_blksize) ||
	    c->x.window > cfg.window) {
		step_fail(c, FAIL_BADPKT, "OACK grants more than asked");
		send_early_terminate(c);
		step_next(c);
		return;
	}
	c->x.started = true;
	send_ack(c, 0);
}

static void on_data(struct client *c, const uint8_t *p, size_t len)
{
	const struct step *s = &steps[c->step];
	const uint8_t *payload;
	uint16_t block, expect, ahead;
	size_t plen;

	if (tftp_parse_data(p, len, &block, &payload, &plen) < 0)
		return;
	if (!c->x.started) {
		if (s->kind == STEP_MISSING) {
			step_fail(c, FAIL_EXISTS, "DATA");
			send_early_terminate(c);
			step_next(c);
			return;
		}
		if (s->kind == STEP_PROBE) {
			/* The server ignored our options: no OACK, so the
			 * probe ends on DATA 1, as a Pi's would. */
			st.probes++;
			send_early_terminate(c);
			step_next(c);
			return;
		}
		if (block != 1)
			return;
		/* RFC 2347: DATA instead of OACK means no options at all. */
		c->x.started = true;
		c->x.blksize = TFTP_BLKSIZE_DEFAULT;
		c->x.window = 1;
	}
	expect = (uint16_t)(c->x.blocks + 1);  /* wraps 65535 -> 0 */
	if (block != expect) {
		ahead = (uint16_t)(block - expect);
		if (ahead < 0x8000) {
			/* RFC 7440 section 4: a gap; ACK the last block we
			 * have so the sender restarts there, once per gap. */
			if (!c->x.gap_acked) {
				c->x.gap_acked = true;
				send_ack(c, (uint16_t)c->x.blocks);
			}
		} else {
			st.dup_data++;
			/* A resent copy of the block we ACKed last means
			 * that ACK was lost: re-ACK it (Pi 4 EEPROM >=
			 * 2021-02 does). Older duplicates are ignored so a
			 * resent window costs one ACK, not W. */
			if (block == (uint16_t)c->x.blocks)
				send_ack(c, block);
		}
		return;
	}
	if (plen > c->x.blksize) {
		step_fail(c, FAIL_BADPKT, "DATA larger than blksize");
		send_early_terminate(c);
		step_next(c);
		return;
	}
	if (!verify_block(c, payload, plen)) {
		send_early_terminate(c);
		step_next(c);
		return;
	}
	c->x.blocks++;
	c->x.bytes += plen;
	st.bytes += plen;
	c->x.since_ack++;
	c->x.gap_acked = false;
	arm_timer(c);
	if (plen < c->x.blksize) {
		/* Last block. The ACK may be "lost" too: the server then
		 * retransmits into a closed port, as with a real Pi. */
		send_ack(c, block);
		if (s->file >= 0 && c->x.bytes != files[s->file].size) {
			char d[80];

			snprintf(d, sizeof(d), "got %llu bytes, file has %zu",
				 (unsigned long long)c->x.bytes, files[s->file].size);
			step_fail(c, FAIL_SIZE, d);
		} else {
			st.files++;
		}
		step_next(c);
		return;
	}
	if (c->x.since_ack >= c->x.window)
		send_ack(c, block);
}

static void on_error(struct client *c, const uint8_t *p, size_t len)
{
	const struct step *s = &steps[c->step];
	uint16_t code = 0;
	char msg[128], d[192];

	if (tftp_parse_error(p, len, &code, msg, sizeof(msg)) < 0)
		snprintf(msg, sizeof(msg), "(unparsable)");
	if (s->kind == STEP_MISSING && !c->x.started && code == TFTP_ENOTFOUND) {
		st.missing_ok++;
		step_next(c);
		return;
	}
	for (char *q = msg; *q; q++)
		if (*q < 0x20 || *q > 0x7e)
			*q = '?';
	snprintf(d, sizeof(d), "ERROR %u \"%s\"", code, msg);
	step_fail(c, FAIL_ERROR, d);
	step_next(c);
}

static void client_readable(struct client *c)
{
	uint8_t buf[PKT_MAX + 16];
	struct sockaddr_in from;
	socklen_t flen;
	ssize_t n;
	unsigned budget = 64;  /* fairness between sockets */

	while (budget-- && c->x.fd >= 0) {
		uint16_t op;
		int fd = c->x.fd;

		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;  /* EAGAIN, or an ICMP error: the timer decides */
		if (from.sin_addr.s_addr != cfg.server.s_addr)
			continue;
		if (!c->x.have_peer) {
			c->x.have_peer = true;
			c->x.peer = from;
		} else if (from.sin_port != c->x.peer.sin_port) {
			/* RFC 1350 section 4: a packet from a foreign TID
			 * (e.g. a second transfer the server started for our
			 * resent RRQ) gets ERROR 5; ours goes on. */
			uint8_t e[64];
			int el = tftp_build_error(e, sizeof(e), TFTP_EBADID, NULL);

			st.stray++;
			if (el > 0)
				send_pkt(c, e, (size_t)el, &from);
			continue;
		}
		op = tftp_opcode(buf, (size_t)n);
		if ((op == TFTP_DATA || op == TFTP_OACK) && lose(c))
			continue;
		switch (op) {
		case TFTP_OACK:
			on_oack(c, buf, (size_t)n);
			break;
		case TFTP_DATA:
			on_data(c, buf, (size_t)n);
			break;
		case TFTP_ERROR:
			on_error(c, buf, (size_t)n);
			break;
		default:
			break;
		}
		if (c->x.fd != fd)
			return;  /* the step ended: that socket is gone */
	}
}

static void client_timer(struct client *c, uint64_t now)
{
	if (now - c->x.t_start_ns >= (uint64_t)cfg.file_timeout_s * 1000000000u) {
		/* TFTP_FILE_TIMEOUT: a Pi gives up on the whole file and
		 * says so with "Early terminate" (doc section 4.1). */
		step_fail(c, FAIL_TIMEOUT, NULL);
		send_early_terminate(c);
		step_next(c);
		return;
	}
	if (now < c->x.t_deadline_ns)
		return;
	st.retransmits++;
	if (c->x.last_is_ack) {
		if (!lose(c))
			send_pkt(c, c->x.last_pkt, c->x.last_len, &c->x.peer);
	} else {
		/* Resend the RRQ from the same port, as a Pi 4 does. */
		struct sockaddr_in dst;

		memset(&dst, 0, sizeof(dst));
		dst.sin_family = AF_INET;
		dst.sin_addr = cfg.server;
		dst.sin_port = htons(cfg.port);
		send_pkt(c, c->x.last_pkt, c->x.last_len, &dst);
	}
	arm_timer(c);
}

/* ------------------------------------------------------------ main */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *sorted, unsigned n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	/* Nearest rank: the smallest value with at least q of the samples
	 * at or below it. */
	i = (size_t)ceil(q * n);
	if (i < 1)
		i = 1;
	return sorted[i - 1];
}

int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	uint64_t t0, now, stop_at, next_scan = 0;
	unsigned started = 0, i;
	double *times, wall, cpu = 0;
	struct rusage ru;

	if (parse_args(argc, argv) < 0)
		return 2;
	if (build_sequence() < 0)
		return 2;
	clients = calloc(cfg.clients, sizeof(*clients));
	times = calloc(cfg.clients, sizeof(*times));
	if (!clients || !times) {
		perror("tftp_storm: calloc");
		return 2;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		perror("tftp_storm: epoll_create1");
		return 2;
	}
	for (i = 0; i < cfg.clients; i++) {
		struct client *c = &clients[i];

		c->idx = i;
		/* Serial-like prefix: 8 lowercase hex digits (doc 3.2). */
		snprintf(c->serial, sizeof(c->serial), "%08x", 0xd9780000u + i);
		c->rng = (cfg.seed + 1) * 0x9E3779B97F4A7C15ULL ^ (i + 1) * 0xBF58476D1CE4E5B9ULL;
		if (c->rng == 0)
			c->rng = 1;
		c->x.fd = -1;
		if (cfg.src_count)
			c->src.s_addr = htonl(ntohl(cfg.src_base.s_addr) + i % cfg.src_count);
	}

	t0 = now_ns();
	stop_at = t0 + (uint64_t)(cfg.max_seconds * 1e9);
	for (;;) {
		int n, k;

		now = now_ns();
		/* Start clients: all at once, or spread over --ramp-ms. */
		while (started < cfg.clients &&
		       (cfg.ramp_ms == 0 ||
			now - t0 >= (uint64_t)cfg.ramp_ms * 1000000u * started / cfg.clients)) {
			struct client *c = &clients[started++];

			c->running = true;
			c->t_start_ns = now;
			active++;
			client_start_step(c);
		}
		if (active == 0 && started == cfg.clients)
			break;
		if (now >= stop_at)
			break;
		/* Timers are scanned every 5 ms: at a 1 s retransmit timer
		 * that jitter is noise, and it keeps the loop O(events). */
		n = epoll_wait(epfd, evs, 256, 5);
		for (k = 0; k < n; k++)
			client_readable(evs[k].data.ptr);
		now = now_ns();
		if (now >= next_scan) {
			next_scan = now + 5000000u;
			for (i = 0; i < started; i++)
				if (clients[i].running && !clients[i].done)
					client_timer(&clients[i], now);
		}
	}
	now = now_ns();
	wall = (double)(now - t0) / 1e9;
	for (i = 0; i < cfg.clients; i++) {
		struct client *c = &clients[i];

		if (!c->done) {
			/* Cut off by --max-seconds (or never started). */
			st.failures++;
			st.fail_by[FAIL_UNFINISHED]++;
			xfer_close(c);
			times[i] = c->running ? (double)(now - c->t_start_ns) / 1e9 : wall;
		} else {
			times[i] = (double)(c->t_done_ns - c->t_start_ns) / 1e9;
		}
	}
	qsort(times, cfg.clients, sizeof(times[0]), cmp_double);
	/* Our own CPU: when it nears wall_s the client, not the server, is
	 * the bottleneck and the run says little about the server. */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (st.failures) {
		fprintf(stderr, "tftp_storm: failures:");
		for (i = 0; i < FAIL_MAX; i++)
			if (st.fail_by[i])
				fprintf(stderr, " %s=%llu", fail_names[i],
					(unsigned long long)st.fail_by[i]);
		fprintf(stderr, "\n");
	}
	printf("clients=%u files=%llu bytes=%llu wall_s=%.3f mbps=%.2f p50_s=%.3f "
	       "p99_s=%.3f client_retransmits=%llu failures=%llu steps_per_client=%u "
	       "missing_ok=%llu probes=%llu dup_data=%llu stray=%llu client_cpu_s=%.2f\n",
	       cfg.clients, (unsigned long long)st.files, (unsigned long long)st.bytes,
	       wall, wall > 0 ? (double)st.bytes / 1e6 / wall : 0,
	       percentile(times, cfg.clients, 0.50), percentile(times, cfg.clients, 0.99),
	       (unsigned long long)st.retransmits, (unsigned long long)st.failures, nsteps,
	       (unsigned long long)st.missing_ok, (unsigned long long)st.probes,
	       (unsigned long long)st.dup_data, (unsigned long long)st.stray, cpu);
	for (i = 0; i < nfiles; i++)
		free(files[i].data);
	free(clients);
	free(times);
	close(epfd);
	return st.failures ? 1 : 0;
}
