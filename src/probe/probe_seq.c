/* probe_seq.c - the TFTP file sequences of each simulated generation.
 *
 * Orders follow doc 4.2 (Pi 3B/3B+: ROM fetches bootcode.bin, which does
 * DHCP again and loads the rest), 4.3 (Pi 4 EEPROM) and 4.4 (Pi 5), plus
 * whatever the downloaded config.txt names. Each request is one call of
 * probe_tftp_fetch() from a fresh port, as the firmware does.
 *
 * Owns: each generation's file order. Must not touch: sockets and packet formats.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_run.h"
#include "probe/probe_tftp.h"
#include "probe/probe_verify.h"

enum need {
	NEED_OPTIONAL,   /* the firmware probes it; absence is normal (doc 4.2-4.4) */
	NEED_EXPECTED,   /* absence is survivable but suspicious: warn */
	NEED_REQUIRED,   /* absence stops a real boot: fail */
};

enum how {
	HOW_GET,         /* download */
	HOW_PROBE,       /* existence probe, aborted with "Early terminate" */
};

#define F_PREFIX_PROBE 1u   /* serial-prefix decision: existence is server policy */
#define F_KEEP 2u           /* keep the content (config.txt and includes) */

struct got {
	bool found;
	uint64_t size;
	char *txt;          /* F_KEEP: content, NUL terminated (malloc) */
	size_t txtlen;
};

struct sink_state {
	struct probe_expect *e;
	struct got *g;
	bool keep_overflow;
};

static void sink(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct sink_state *s = arg;
	probe_expect_feed(s->e, off, p, n);
	if (!s->g || s->keep_overflow)
		return;
	if (off + n > PROBE_TXT_MAX) {
		s->keep_overflow = true;
		return;
	}
	char *nt = realloc(s->g->txt, (size_t)(off + n) + 1);
	if (!nt) {
		s->keep_overflow = true;
		return;
	}
	memcpy(nt + off, p, n);
	nt[off + n] = '\0';
	s->g->txt = nt;
	s->g->txtlen = (size_t)(off + n);
}

void probe_fail(struct probe_ctx *c, const char *fmt, ...)
{
	char buf[sizeof(c->reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	probe_tl_add(&c->tl, "FAIL", "%s", buf);
	if (!c->failed) {
		c->failed = true;
		snprintf(c->reason, sizeof(c->reason), "%s", buf);
	}
}

static void fail_stop(struct probe_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_stop(struct probe_ctx *c, const char *fmt, ...)
{
	char buf[sizeof(c->reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	probe_fail(c, "%s", buf);
	c->stop = true;
}

static void tftp_params(const struct probe_ctx *c, struct probe_tftp_req *rq, enum how how)
{
	const struct probe_opts *o = c->o;
	switch (c->stage) {
	case PROBE_STAGE_ROM:
		/* ROM: "bootcode.bin" octet, no options, 512 (doc 4.1). */
		rq->mode = PROBE_TFTP_GET;
		break;
	case PROBE_STAGE_BOOTCODE:
		rq->opt_tsize = true;
		rq->blksize = o->blksize;  /* bootcode.bin asks tsize only */
		rq->mode = how == HOW_PROBE ? PROBE_TFTP_PROBE_DATA1 : PROBE_TFTP_GET;
		break;
	case PROBE_STAGE_EEPROM:
		/* 1468 since the 2022-10-03 EEPROM (older ones 1024) [RN2711]. */
		rq->opt_tsize = true;
		rq->blksize = o->blksize ? o->blksize : 1468;
		rq->mode = how == HOW_PROBE ? PROBE_TFTP_PROBE_OACK : PROBE_TFTP_GET;
		break;
	}
}

/* One request. Returns 1 found, 0 missing, -1 when the run must stop. */
static int fetch(struct probe_ctx *c, const char *path, enum how how, enum need need, unsigned flags,
		 struct got *g)
{
	const struct probe_opts *o = c->o;
	struct got local = { 0 };
	if (!g)
		g = &local;
	memset(g, 0, sizeof(*g));
	if (c->stop)
		return -1;
	if (probe_now_ms() >= c->deadline) {
		fail_stop(c, "overall timeout (%u s) before %s", o->timeout_s, path);
		return -1;
	}
	const char *ids[2] = { c->pi.id, c->mac_id };
	struct probe_verify_src vs = {
		.verify_dir = o->verify_dir, .data_dir = o->data_dir,
		.ids = { ids[0], ids[1] }, .prefix = c->prefix_kept ? c->prefix : NULL, .vars = &c->vars,
	};
	struct probe_expect e;
	probe_expect_open(&e, &vs, path);
	struct sink_state ss = { .e = &e, .g = (flags & F_KEEP) ? g : NULL };
	struct probe_tftp_req rq = {
		.path = path, .server_ip = c->tftp_ip, .src_ip = c->src_ip, .port = o->tftp_port, .ifname = c->ifname,
		.deadline = c->deadline, .file_timeout_ms = o->file_timeout_ms,
		.sink = sink, .sink_arg = &ss,
	};
	tftp_params(c, &rq, how);
	struct probe_tftp_res r;
	probe_tftp_fetch(&rq, &r);
	char why[400], sz[32];
	int ret = -1;
	/* With --data the prefix decision is the server's policy, so only
	 * --verify-dir (an exact copy of the served tree) checks those probes. */
	bool exist_check = !(flags & F_PREFIX_PROBE) || o->verify_dir;
	switch (r.status) {
	case PROBE_TFTP_OK:
		ret = 1;
		if (r.no_oack)
			probe_tl_add(&c->tl, "tftp", "warning: %s: DATA without OACK to our options "
				     "(server ignores options, or stale data hit our port %u)", path, r.local_port);
		g->found = true;
		g->size = r.has_tsize ? r.tsize : r.bytes;
		if (how == HOW_PROBE) {
			probe_tl_add(&c->tl, "tftp", "%s exists%s%s (probe, Early terminate)", path,
				     r.has_tsize ? ", tsize " : "",
				     r.has_tsize ? probe_fmt_size(r.tsize, sz, sizeof(sz)) : "");
			if (e.active && !e.exists && exist_check)
				probe_fail(c, "%s exists on the server but not in the reference (%s)", path, e.where);
			else if (e.active && e.exists && r.has_tsize && r.tsize != e.size)
				probe_fail(c, "%s: tsize %llu but %s has %llu bytes", path,
					   (unsigned long long)r.tsize, e.where, (unsigned long long)e.size);
			break;
		}
		c->files++;
		c->bytes += r.bytes;
		double secs = (double)r.us / 1e6;
		char took[64];
		if (r.us < 10000)
			snprintf(took, sizeof(took), "%.1f ms", (double)r.us / 1000.0);
		else
			snprintf(took, sizeof(took), "%.2f s (%.1f MB/s)", secs, (double)r.bytes / 1e6 / secs);
		probe_tl_add(&c->tl, "tftp", "%s %s in %s, blksize %u%s", path,
			     probe_fmt_size(r.bytes, sz, sizeof(sz)), took, r.blksize,
			     r.acks_resent || r.rrq_sent > 1 ? ", with retransmits" : "");
		if (!probe_expect_check(&e, r.bytes, why, sizeof(why)))
			probe_fail(c, "%s: %s", path, why);
		break;
	case PROBE_TFTP_NOTFOUND:
		ret = 0;
		probe_tl_add(&c->tl, "tftp", "%s not found%s", path,
			     r.ms > 1000 ? " (slowly: the firmware expects an immediate ERROR 1)" : "");
		if (r.ms > 1000 && need != NEED_OPTIONAL)
			probe_tl_add(&c->tl, "tftp", "warning: not-found took %.1f s", (double)r.ms / 1000.0);
		if (e.active && e.exists && exist_check)
			probe_fail(c, "%s: server says not found but %s exists", path, e.where);
		if (need == NEED_REQUIRED)
			fail_stop(c, "required file %s not found", path);
		else if (need == NEED_EXPECTED)
			probe_tl_add(&c->tl, "tftp", "warning: %s missing (the firmware expects it)", path);
		break;
	case PROBE_TFTP_EREMOTE:
		fail_stop(c, "%s: server sent ERROR %u '%s'", path, r.err_code, r.err_msg);
		break;
	default:
		fail_stop(c, "%s: %s: %s", path, probe_tftp_status_name(r.status), r.problem);
		break;
	}
	probe_expect_close(&e);
	if (ret < 0 || !(flags & F_KEEP)) {
		free(g->txt);
		g->txt = NULL;
	}
	return ret;
}

static void got_free(struct got *g)
{
	free(g->txt);
	g->txt = NULL;
}

/* "<prefix><name>" into buf. A path that does not fit becomes "", which
 * the RRQ builder rejects, so the request fails loudly instead of asking
 * for a truncated name. */
static const char *P(const struct probe_ctx *c, const char *name, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s%s", c->prefix, name);
	if (n < 0 || (size_t)n >= cap)
		buf[0] = '\0';
	return buf;
}

/* OS files also take os_prefix (config.txt documentation). */
static const char *OSP(const struct probe_ctx *c, const char *name, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s%s%s", c->prefix, c->cfg.os_prefix, name);
	if (n < 0 || (size_t)n >= cap)
		buf[0] = '\0';
	return buf;
}

/* Read config.txt (and, for the firmware stage that applies it, its
 * includes) and rebuild c->cfg from it. */
static int read_config(struct probe_ctx *c, enum need need, bool includes)
{
	char path[300];
	struct got g;
	int r = fetch(c, P(c, "config.txt", path, sizeof(path)), HOW_GET, need, F_KEEP, &g);
	/* No config.txt: the firmware goes on with its defaults. */
	probe_config_init(&c->cfg);
	if (r <= 0)
		return r;
	struct probe_cfg_board b = { c->pi.model, c->pi.serial, c->pi.board_rev };
	probe_config_parse(&c->cfg, &b, g.txt ? g.txt : "", g.txtlen);
	got_free(&g);
	/* Included files are parsed after their parent, so a setting after an
	 * include line cannot override the included one here (limitation). */
	for (unsigned i = 0; includes && i < c->cfg.n_includes && i < PROBE_CFG_INCLUDES_MAX; i++) {
		char name[PROBE_CFG_NAME_MAX];
		snprintf(name, sizeof(name), "%s", c->cfg.includes[i]);
		r = fetch(c, P(c, name, path, sizeof(path)), HOW_GET, NEED_OPTIONAL, F_KEEP, &g);
		if (r < 0)
			return r;
		if (r == 1)
			probe_config_parse(&c->cfg, &b, g.txt ? g.txt : "", g.txtlen);
		got_free(&g);
	}
	if (c->cfg.dropped)
		probe_tl_add(&c->tl, "cfg", "warning: %u config entries too long or too many", c->cfg.dropped);
	return 1;
}

static const char *default_dtb(const struct probe_ctx *c)
{
	return probe_model_dtb(c->pi.model);
}

static bool is_2711(const struct probe_ctx *c)
{
	return probe_model_soc(c->pi.model) == PROBE_SOC_2711;
}

/* Candidate kernels when config.txt has no kernel= (arm_64bit rules of
 * the config.txt documentation; the Pi 3 log in [FW#1605] shows
 * kernel8.img then kernel7.img probed). NULL terminated. */
static void kernel_candidates(const struct probe_ctx *c, const char *out[4])
{
	int a64 = c->cfg.arm_64bit;
	memset(out, 0, 4 * sizeof(out[0]));
	switch (probe_model_soc(c->pi.model)) {
	case PROBE_SOC_2837:
		if (a64 == 0) {
			out[0] = "kernel7.img";
			out[1] = "kernel.img";
		} else {
			out[0] = "kernel8.img";
			if (a64 < 0) {
				out[1] = "kernel7.img";
				out[2] = "kernel.img";
			}
		}
		break;
	case PROBE_SOC_2711:
		if (a64 == 0) {
			out[0] = "kernel7l.img";
			out[1] = "kernel7.img";
		} else {
			out[0] = "kernel8.img";
			if (a64 < 0)
				out[1] = "kernel7l.img";
		}
		break;
	default:
		out[0] = "kernel_2712.img";
		out[1] = "kernel8.img";
		break;
	}
}

/* auto_initramfs: kernel8.img -> initramfs8, kernel_2712.img -> initramfs_2712. */
static bool auto_initramfs_name(const char *kernel, char *out, size_t cap)
{
	size_t n = strlen(kernel);
	if (strncmp(kernel, "kernel", 6) != 0 || n < 10 || strcmp(kernel + n - 4, ".img") != 0)
		return false;
	snprintf(out, cap, "initramfs%.*s", (int)(n - 10), kernel + 6);
	return true;
}

/* Each load_* step returns 0 to go on, -1 when the sequence stops there
 * (a required file missing, or fetch already ended the run). */

/* The device tree (config.txt device_tree=, else the model's), probed
 * first on the Pi 3. */
static int load_device_tree(struct probe_ctx *c, bool probe_first)
{
	const struct probe_config *cfg = &c->cfg;
	char path[300];
	if (cfg->has_device_tree && !cfg->device_tree[0]) {
		probe_tl_add(&c->tl, "cfg", "device_tree= is empty: no device tree loaded");
		return 0;
	}
	const char *dtb = cfg->has_device_tree ? cfg->device_tree : default_dtb(c);
	OSP(c, dtb, path, sizeof(path));
	if (probe_first && fetch(c, path, HOW_PROBE, NEED_REQUIRED, 0, NULL) <= 0)
		return -1;
	if (fetch(c, path, HOW_GET, NEED_REQUIRED, 0, NULL) <= 0)
		return -1;
	return 0;
}

/* overlay_map.dtb, then each dtoverlay= of config.txt. */
static int load_overlays(struct probe_ctx *c)
{
	const struct probe_config *cfg = &c->cfg;
	char path[300], name[300];
	snprintf(name, sizeof(name), "%soverlay_map.dtb", cfg->overlay_prefix);
	if (fetch(c, OSP(c, name, path, sizeof(path)), HOW_GET, NEED_OPTIONAL, 0, NULL) < 0)
		return -1;
	for (unsigned i = 0; i < cfg->n_overlays; i++) {
		snprintf(name, sizeof(name), "%s%s.dtbo", cfg->overlay_prefix, cfg->overlays[i]);
		if (fetch(c, OSP(c, name, path, sizeof(path)), HOW_GET, NEED_EXPECTED, 0, NULL) < 0)
			return -1;
	}
	return 0;
}

static int load_cmdline(struct probe_ctx *c, bool probe_first, bool pi5_slash)
{
	const struct probe_config *cfg = &c->cfg;
	char path[300];
	/* The Pi 5 is said to send "//" paths when a prefix is set; no
	 * capture confirms it, so exactly one file (cmdline.txt) is requested
	 * that way to check the server copes [UNCERTAIN, see the report]. */
	if (pi5_slash && c->prefix_kept) {
		int n = snprintf(path, sizeof(path), "%s/%s%s", c->prefix, cfg->os_prefix, cfg->cmdline);
		if (n < 0 || (size_t)n >= sizeof(path))
			path[0] = '\0';  /* rejected by the RRQ builder, as in P() */
	} else
		OSP(c, cfg->cmdline, path, sizeof(path));
	if (probe_first && fetch(c, path, HOW_PROBE, NEED_REQUIRED, 0, NULL) <= 0)
		return -1;
	if (fetch(c, path, HOW_GET, NEED_REQUIRED, 0, NULL) <= 0)
		return -1;
	return 0;
}

/* Kernel: existence probe ("Early terminate") of kernel= or of each
 * candidate, armstub probe on the Pi 4, then the real download (doc
 * 4.3). The kernel found is left in kernel. */
static int load_kernel(struct probe_ctx *c, char *kernel, size_t cap)
{
	const struct probe_config *cfg = &c->cfg;
	char path[300];
	const char *cands[4];
	kernel[0] = '\0';
	if (cfg->kernel[0]) {
		cands[0] = cfg->kernel;
		cands[1] = NULL;
	} else {
		kernel_candidates(c, cands);
	}
	for (int i = 0; i < 4 && cands[i] && !kernel[0]; i++) {
		int r = fetch(c, OSP(c, cands[i], path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, 0, NULL);
		if (r < 0)
			return -1;
		if (r == 1)
			snprintf(kernel, cap, "%s", cands[i]);
	}
	if (!kernel[0]) {
		fail_stop(c, "required kernel not found (tried %s%s%s%s%s)", cands[0],
			  cands[1] ? ", " : "", cands[1] ? cands[1] : "", cands[2] ? ", " : "",
			  cands[2] ? cands[2] : "");
		return -1;
	}
	if (is_2711(c) &&
	    fetch(c, P(c, "armstub8-gic.bin", path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, 0, NULL) < 0)
		return -1;
	if (fetch(c, OSP(c, kernel, path, sizeof(path)), HOW_GET, NEED_REQUIRED, 0, NULL) <= 0)
		return -1;
	return 0;
}

/* Device tree, overlays, cmdline, kernel, initramfs: the part of the
 * sequence start*.elf (Pi 3/4) or the Pi 5 EEPROM runs (doc 4.2-4.4). */
static void load_os(struct probe_ctx *c, bool probe_first, bool pi5_slash)
{
	char path[300];
	const struct probe_config *cfg = &c->cfg;
	char initrd[PROBE_CFG_NAME_MAX] = "";
	bool initrd_required = cfg->initramfs[0] != 0;
	snprintf(initrd, sizeof(initrd), "%s", cfg->initramfs);

	/* Pi 4 loads a named initramfs before the DTB (doc 4.3). */
	if (initrd_required && is_2711(c) &&
	    fetch(c, OSP(c, initrd, path, sizeof(path)), HOW_GET, NEED_REQUIRED, 0, NULL) < 0)
		return;
	if (load_device_tree(c, probe_first) < 0 || load_overlays(c) < 0)
		return;
	if (is_2711(c) && read_config(c, NEED_OPTIONAL, false) < 0)
		return;
	char kernel[PROBE_CFG_NAME_MAX];
	if (load_cmdline(c, probe_first, pi5_slash) < 0 || load_kernel(c, kernel, sizeof(kernel)) < 0)
		return;
	if (!initrd_required && cfg->auto_initramfs)
		auto_initramfs_name(kernel, initrd, sizeof(initrd));
	if (initrd[0] && !(initrd_required && is_2711(c)))
		fetch(c, OSP(c, initrd, path, sizeof(path)), HOW_GET,
		      initrd_required ? NEED_REQUIRED : NEED_OPTIONAL, 0, NULL);
}

static void set_prefix(struct probe_ctx *c, bool keep, const char *why)
{
	if (keep) {
		c->prefix_kept = true;
		probe_tl_add(&c->tl, "tftp", "prefix %s kept (%s)", c->prefix, why);
	} else {
		probe_tl_add(&c->tl, "tftp", "%s -> prefix cleared", why);
		c->prefix[0] = '\0';
		c->prefix_kept = false;
	}
}

/* Warn about files whose presence changes what a real Pi does. */
static void probe_diversion(struct probe_ctx *c, const char *name, const char *effect)
{
	char path[300];
	if (fetch(c, P(c, name, path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, 0, NULL) == 1)
		probe_tl_add(&c->tl, "tftp", "warning: %s present: %s", path, effect);
}

/* The GPU firmware stage shared by bootcode.bin (Pi 3) and the Pi 4
 * EEPROM: fetch start*.elf and fixup*.dat (config.txt may rename them),
 * then start*.elf reads config.txt again, with includes, probes dt-blob.bin
 * and bootcfg.txt, and loads the OS. */
static void run_start_elf(struct probe_ctx *c, const char *def_start, const char *def_fixup, bool pi3)
{
	char path[300];
	const char *start = c->cfg.start_file[0] ? c->cfg.start_file : def_start;
	const char *fixup = c->cfg.fixup_file[0] ? c->cfg.fixup_file : def_fixup;
	if (fetch(c, P(c, start, path, sizeof(path)), HOW_GET, NEED_REQUIRED, 0, NULL) <= 0 ||
	    fetch(c, P(c, fixup, path, sizeof(path)), HOW_GET, NEED_EXPECTED, 0, NULL) < 0)
		return;
	if (read_config(c, NEED_OPTIONAL, true) < 0 ||
	    fetch(c, P(c, "dt-blob.bin", path, sizeof(path)), HOW_GET, NEED_OPTIONAL, 0, NULL) < 0 ||
	    fetch(c, P(c, "bootcfg.txt", path, sizeof(path)), HOW_GET, NEED_OPTIONAL, 0, NULL) < 0)
		return;
	load_os(c, pi3, false);
}

/* Pi 3B/3B+ after the bootcode.bin DHCP (doc 4.2). */
static void seq_bootcode(struct probe_ctx *c)
{
	char path[300];
	c->stage = PROBE_STAGE_BOOTCODE;
	snprintf(c->prefix, sizeof(c->prefix), "%s/", c->pi.id);
	/* bootcode.bin probes <s>/start.elf twice [PAGE-PEXMOR]. */
	int r = fetch(c, P(c, "start.elf", path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, F_PREFIX_PROBE, NULL);
	if (r < 0 || fetch(c, path, HOW_PROBE, NEED_OPTIONAL, F_PREFIX_PROBE, NULL) < 0)
		return;
	char why[128];
	snprintf(why, sizeof(why), r ? "start.elf found" : "%sstart.elf not found", c->prefix);
	set_prefix(c, r == 1, why);
	if (fetch(c, P(c, "autoboot.txt", path, sizeof(path)), HOW_GET, NEED_OPTIONAL, 0, NULL) < 0 ||
	    read_config(c, NEED_OPTIONAL, false) < 0)
		return;
	probe_diversion(c, "recovery.elf", "a real Pi would run the recovery image");
	run_start_elf(c, "start.elf", "fixup.dat", true);
}

static void set_server(struct probe_ctx *c, uint32_t ip)
{
	c->tftp_ip = ip;
	inet_ntop(AF_INET, &ip, c->server_str, sizeof(c->server_str));
}

/* Pi 3B/3B+ ROM: bootcode.bin and bootsig.bin, then bootcode.bin's own
 * DHCP with the serial GUID (doc 1.3, 4.1, [FW#1605]). */
static void seq_pi3(struct probe_ctx *c)
{
	c->stage = PROBE_STAGE_ROM;
	if (fetch(c, "bootcode.bin", HOW_GET, NEED_REQUIRED, 0, NULL) <= 0 ||
	    fetch(c, "bootsig.bin", HOW_GET, NEED_OPTIONAL, 0, NULL) < 0)
		return;
	if (!c->o->has_server) {
		struct probe_dhcp_result res;
		if (probe_dhcp_phase(c, PROBE_DISC_BOOTCODE, &res) < 0)
			return;
		if (!res.boot) {
			fail_stop(c, "bootcode.bin stage: no boot offer");
			return;
		}
		if (res.offer.problems & ~(unsigned)PROBE_OP_OPT66) {
			char why[256];
			fail_stop(c, "bootcode.bin stage boot offer: %s",
				  probe_offer_problems_str(res.offer.problems, why, sizeof(why)));
			return;
		}
		if (res.offer.tftp_ip != c->tftp_ip)
			probe_tl_add(&c->tl, "dhcp", "note: bootcode.bin stage uses another TFTP server");
		set_server(c, res.offer.tftp_ip);
		/* bootcode.bin, too, talks from the address it was offered. */
		if (res.have_addr && res.addr != c->src_ip && probe_take_address(c, &res) < 0)
			return;
	}
	seq_bootcode(c);
}

/* The Pi 4/5 EEPROM's TFTP_PREFIX (doc 3.2) into c->prefix. false when it
 * is empty: then there is no prefix to probe or clear. */
static bool eeprom_prefix(struct probe_ctx *c)
{
	const struct probe_opts *o = c->o;
	if (probe_tftp_prefix(&c->pi, o->prefix_mode, o->prefix_str, c->prefix, sizeof(c->prefix)) < 0)
		c->prefix[0] = '\0';
	c->prefix_kept = false;
	if (!c->prefix[0])
		probe_tl_add(&c->tl, "tftp", "no TFTP prefix (TFTP_PREFIX=1 with an empty TFTP_PREFIX_STR)");
	return c->prefix[0] != '\0';
}

/* Pi 4: "If neither start4.elf nor start.elf are found in the prefixed
 * directory then the prefix is cleared" [DOC-EEPROM], whichever
 * TFTP_PREFIX made it. Returns -1 when the run must stop. */
static int pi4_prefix(struct probe_ctx *c)
{
	char path[300], why[128];
	int r4 = fetch(c, P(c, "start4.elf", path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, F_PREFIX_PROBE, NULL);
	if (r4 < 0)
		return -1;
	int r = fetch(c, P(c, "start.elf", path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, F_PREFIX_PROBE, NULL);
	if (r < 0)
		return -1;
	if (r4 == 1 || r == 1)
		snprintf(why, sizeof(why), "%s found", r4 == 1 ? "start4.elf" : "start.elf");
	else
		snprintf(why, sizeof(why), "%sstart4.elf, start.elf not found", c->prefix);
	set_prefix(c, r4 == 1 || r == 1, why);
	return 0;
}

/* Pi 4/400/CM4 EEPROM (doc 4.3; order of [GUIDE-U20] and [EE#74]). */
static void seq_pi4(struct probe_ctx *c)
{
	c->stage = PROBE_STAGE_EEPROM;
	if (eeprom_prefix(c) && pi4_prefix(c) < 0)
		return;
	if (read_config(c, NEED_OPTIONAL, false) < 0)
		return;
	probe_diversion(c, "pieeprom.sig", "a real Pi 4 (ENABLE_SELF_UPDATE=1) would update its EEPROM");
	probe_diversion(c, "recover4.elf", "a real Pi would run the recovery image");
	probe_diversion(c, "recovery.elf", "a real Pi would run the recovery image");
	run_start_elf(c, "start4.elf", "fixup4.dat", false);
}

/* Pi 5: the prefix is kept when the prefixed dir looks bootable:
 * config.txt and a device tree (doc 3.2 [TINK] [DOC-EEPROM]). */
static int pi5_prefix(struct probe_ctx *c)
{
	char path[300], why[128];
	int r = fetch(c, P(c, "config.txt", path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, F_PREFIX_PROBE, NULL);
	if (r < 0)
		return -1;
	int rd = 0;
	if (r == 1 &&
	    (rd = fetch(c, P(c, default_dtb(c), path, sizeof(path)), HOW_PROBE, NEED_OPTIONAL, F_PREFIX_PROBE, NULL)) < 0)
		return -1;
	if (r == 1 && rd == 1)
		snprintf(why, sizeof(why), "config.txt and %s found", default_dtb(c));
	else
		snprintf(why, sizeof(why), "%s%s not found", c->prefix, r == 1 ? default_dtb(c) : "config.txt");
	set_prefix(c, r == 1 && rd == 1, why);
	return 0;
}

/* Pi 5: firmware in the EEPROM, no start*.elf (doc 4.4, order [UNCERTAIN]). */
static void seq_pi5(struct probe_ctx *c)
{
	char path[300];
	c->stage = PROBE_STAGE_EEPROM;
	if (eeprom_prefix(c) && pi5_prefix(c) < 0)
		return;
	probe_diversion(c, "pieeprom.sig", "a real Pi 5 (ENABLE_SELF_UPDATE=1) would update its EEPROM");
	if (read_config(c, NEED_REQUIRED, true) <= 0 ||
	    fetch(c, P(c, "armstub8-2712.bin", path, sizeof(path)), HOW_GET, NEED_OPTIONAL, 0, NULL) < 0)
		return;
	load_os(c, false, true);
}

void probe_tftp_phase(struct probe_ctx *c)
{
	switch (probe_model_soc(c->pi.model)) {
	case PROBE_SOC_2837:
		seq_pi3(c);
		break;
	case PROBE_SOC_2711:
		seq_pi4(c);
		break;
	default:
		seq_pi5(c);
		break;
	}
}
