/* test_fleet.c - the fleet view: the boot state machine fed with the real
 * boot orders of a Pi 3B+, 4 and 5 (protocol reference 4.2-4.4) as the
 * TFTP server reports them, a Pi stalling at each step, plain failure
 * reasons, bounded history, attribution by address, persistence, the
 * JSON writer/reader and the HTTP route table. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleet/fleet.h"
#include "fleet/fleet_http.h"
#include "fleet/fleet_state.h"
#include "fleet/json.h"

#define T0 1700000000000ull

/* One scripted event: type, id, file, expected, detail. */
struct step {
	enum boot_event_type type;
	const char *id;
	const char *file;
	bool expected;
	const char *detail;
};

static struct boot_event mk(const struct step *s, uint32_t addr)
{
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = s->type;
	snprintf(e.id, sizeof(e.id), "%s", s->id ? s->id : "");
	snprintf(e.file, sizeof(e.file), "%s", s->file ? s->file : "");
	snprintf(e.detail, sizeof(e.detail), "%s", s->detail ? s->detail : "");
	e.expected = s->expected;
	e.addr = s->type == BEV_DHCP_ANSWER ? 0 : addr;
	e.bytes = s->type == BEV_TFTP_DONE ? 1000 : 0;
	e.dur_ms = 5;
	return e;
}

/* Feed n steps to the fleet, 100 ms apart; returns the time after. */
static uint64_t feed(struct fleet *f, const struct step *v, size_t n, uint32_t addr, uint64_t t)
{
	for (size_t i = 0; i < n; i++, t += 100) {
		struct boot_event e = mk(&v[i], addr);
		fleet_apply(f, &e, t);
	}
	return t;
}

#define A(x) htonl(0x0a000000u | (x))
#define ANSWER(id) { BEV_DHCP_ANSWER, id, NULL, false, "Pi" }
#define DONE(id, f) { BEV_TFTP_DONE, id, f, false, NULL }
#define PROBE(id, f) { BEV_TFTP_PROBE, id, f, true, "Early terminate" }
#define MISSING(id, f) { BEV_TFTP_NOT_FOUND, id, f, true, f " not found in boot dir" }

/* 4.2: Pi 3B+ with bootcode.bin and a serial directory. bootcode.bin and
 * bootsig.bin come without a prefix, before the Pi showed its address
 * under its serial: the fleet attributes them to the one pending Pi. */
static const struct step pi3bplus[] = {
	ANSWER("00112233"),
	DONE("", "bootcode.bin"),
	MISSING("", "bootsig.bin"),
	PROBE("00112233", "00112233/start.elf"),
	PROBE("00112233", "00112233/start.elf"),
	MISSING("00112233", "00112233/autoboot.txt"),
	DONE("00112233", "00112233/config.txt"),
	MISSING("00112233", "00112233/recovery.elf"),
	DONE("00112233", "00112233/start.elf"),
	DONE("00112233", "00112233/fixup.dat"),
	MISSING("00112233", "00112233/recovery.elf"),
	DONE("00112233", "00112233/config.txt"),
	DONE("00112233", "00112233/config.txt"),
	MISSING("00112233", "00112233/dt-blob.bin"),
	MISSING("00112233", "00112233/bootcfg.txt"),
	DONE("00112233", "00112233/bcm2710-rpi-3-b-plus.dtb"),
	DONE("00112233", "00112233/bcm2710-rpi-3-b-plus.dtb"),
	DONE("00112233", "00112233/overlays/overlay_map.dtb"),
	DONE("00112233", "00112233/config.txt"),
	DONE("00112233", "00112233/overlays/vc4-kms-v3d.dtbo"),
	DONE("00112233", "00112233/cmdline.txt"),
	DONE("00112233", "00112233/cmdline.txt"),
	PROBE("00112233", "00112233/kernel8.img"),
	MISSING("00112233", "00112233/kernel8-32.img"),
	MISSING("00112233", "00112233/armstub8-32.bin"),
	DONE("00112233", "00112233/kernel8.img"),
};

/* 4.3: Pi 4, no serial dir: the firmware clears its prefix, and the
 * server names the Pi by its bound address (id filled) from then on. */
static const struct step pi4[] = {
	ANSWER("1234abcd"),
	MISSING("1234abcd", "1234abcd/start4.elf"),
	MISSING("1234abcd", "1234abcd/start.elf"),
	DONE("1234abcd", "config.txt"),
	MISSING("1234abcd", "vl805.sig"),
	MISSING("1234abcd", "pieeprom.sig"),
	MISSING("1234abcd", "recover4.elf"),
	MISSING("1234abcd", "recovery.elf"),
	DONE("1234abcd", "start4.elf"),
	DONE("1234abcd", "fixup4.dat"),
	MISSING("1234abcd", "recovery.elf"),
	DONE("1234abcd", "config.txt"),
	MISSING("1234abcd", "dt-blob.bin"),
	DONE("1234abcd", "config.txt"),
	MISSING("1234abcd", "bootcfg.txt"),
	DONE("1234abcd", "initramfs8"),
	DONE("1234abcd", "bcm2711-rpi-4-b.dtb"),
	DONE("1234abcd", "overlays/overlay_map.dtb"),
	DONE("1234abcd", "overlays/vc4-kms-v3d-pi4.dtbo"),
	DONE("1234abcd", "config.txt"),
	DONE("1234abcd", "cmdline.txt"),
	PROBE("1234abcd", "kernel8.img"),
	MISSING("1234abcd", "armstub8-gic.bin"),
	DONE("1234abcd", "kernel8.img"),
};

/* 4.4: Pi 5, firmware in EEPROM; ids here come with no prefix and no id
 * (address attribution from the first prefixed request). */
static const struct step pi5[] = {
	ANSWER("5555abcd"),
	DONE("5555abcd", "5555abcd/config.txt"),
	MISSING("", "pieeprom.sig"),
	DONE("", "overlays/overlay_map.dtb"),
	MISSING("", "armstub8-2712.bin"),
	DONE("", "bcm2712-rpi-5-b.dtb"),
	DONE("", "overlays/vc4-kms-v3d-pi5.dtbo"),
	DONE("", "cmdline.txt"),
	DONE("", "kernel_2712.img"),
	DONE("", "initramfs_2712"),
};

static const struct step os_boot[] = {
	{ BEV_NFS_MOUNT, NULL, "/clients/x", false, NULL },
	{ BEV_NFS_INIT_READ, NULL, "/sbin/init", false, NULL },
	{ BEV_CHECKIN, NULL, NULL, false, "uptime 9" },
};

static struct fleet *mkfleet(bool nfs)
{
	struct fleet_opts o = { .data_dir = NULL, .stall_s = 30, .nfs = nfs };
	struct fleet *f = fleet_new(NULL, &o);
	assert_non_null(f);
	return f;
}

static void check_order(const struct fleet_boot *b)
{
	uint64_t prev = b->start_ms;
	for (unsigned s = FS_DHCP; s <= (unsigned)b->stage; s++) {
		if (!b->at_ms[s])
			continue;
		assert_true(b->at_ms[s] >= prev);
		prev = b->at_ms[s];
	}
}

static void os_steps(struct fleet *f, const char *id, uint32_t addr, uint64_t t)
{
	struct step v[3];
	memcpy(v, os_boot, sizeof(v));
	for (int i = 0; i < 3; i++)
		v[i].id = id;
	feed(f, v, 3, addr, t);
}

static void t_pi3bplus(void **state)
{
	(void)state;
	struct fleet *f = mkfleet(true);
	uint64_t t = feed(f, pi3bplus, sizeof(pi3bplus) / sizeof(pi3bplus[0]), A(57), T0);
	const struct fleet_boot *b = fleet_current(f, "00112233");
	assert_non_null(b);
	assert_int_equal(b->stage, FS_KERNEL);
	assert_int_equal(b->problem, FP_NONE);
	assert_string_equal(b->last_problem, ""); /* the usual probes are no problem */
	assert_int_equal(b->files, 14);          /* bootcode.bin attributed too */
	assert_int_equal(b->at_ms[FS_DHCP], T0);
	assert_int_equal(b->at_ms[FS_FIRMWARE], T0 + 100);
	assert_true(b->at_ms[FS_KERNEL] > b->at_ms[FS_FIRMWARE]);
	check_order(b);
	assert_int_equal(fleet_totals(f)->unattributed, 0);
	os_steps(f, "00112233", A(57), t);
	b = fleet_current(f, "00112233");
	assert_int_equal(b->stage, FS_UP);
	check_order(b);
	fleet_free(f);
}

static void t_pi4(void **state)
{
	(void)state;
	struct fleet *f = mkfleet(false);
	feed(f, pi4, sizeof(pi4) / sizeof(pi4[0]), A(42), T0);
	const struct fleet_boot *b = fleet_current(f, "1234abcd");
	assert_int_equal(b->stage, FS_KERNEL);
	assert_int_equal(b->problem, FP_NONE);
	assert_true(b->initramfs);
	/* initramfs came before the kernel (4.3): still the firmware stage */
	assert_int_equal(b->at_ms[FS_KERNEL], T0 + 100 * 23);
	assert_int_equal(b->addr, A(42));
	/* Without NFS the kernel stage is final: never "stalled". */
	fleet_tick(f, T0 + 3600 * 1000);
	assert_int_equal(fleet_current(f, "1234abcd")->problem, FP_NONE);
	fleet_free(f);
}

static void t_pi5(void **state)
{
	(void)state;
	struct fleet *f = mkfleet(true);
	feed(f, pi5, sizeof(pi5) / sizeof(pi5[0]), A(50), T0);
	const struct fleet_boot *b = fleet_current(f, "5555abcd");
	assert_int_equal(b->stage, FS_KERNEL);
	assert_true(b->initramfs);
	assert_int_equal(b->files, 7);
	assert_int_equal(fleet_totals(f)->unattributed, 0);
	fleet_free(f);
}

/* A Pi that stops after each step in turn: stalled after 30 s, with a
 * reason naming the step, and not before. */
static void t_stall_each_step(void **state)
{
	(void)state;
	/* prefix lengths of the Pi 4 order ending at: answer, a firmware
	 * file, the kernel; then the NFS mount. */
	static const struct {
		size_t n;
		bool mount;
		enum fleet_stage stage;
		const char *reason;
	} cases[] = {
		{ 1, false, FS_DHCP, "no TFTP file fetched 30 s after the boot answer" },
		{ 9, false, FS_FIRMWARE, "no progress for 30 s while fetching firmware (last file start4.elf)" },
		{ 24, false, FS_KERNEL, "no NFS mount 30 s after the kernel was fetched" },
		{ 24, true, FS_NFS_ROOT, "init not read 30 s after the root was mounted" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fleet *f = mkfleet(true);
		uint64_t t = feed(f, pi4, cases[i].n, A(42), T0);
		if (cases[i].mount) {
			struct step m = { BEV_NFS_MOUNT, "1234abcd", "/clients/1234abcd", false, NULL };
			t = feed(f, &m, 1, A(42), t);
		}
		const struct fleet_boot *b = fleet_current(f, "1234abcd");
		assert_int_equal(b->stage, cases[i].stage);
		fleet_tick(f, t + 29000);
		assert_int_equal(b->problem, FP_NONE);
		fleet_tick(f, t + 31000);
		assert_int_equal(b->problem, FP_STALLED);
		assert_string_equal(b->reason, cases[i].reason);
		assert_int_equal(fleet_totals(f)->stalls, 1);
		fleet_tick(f, t + 60000); /* reported once */
		assert_int_equal(fleet_totals(f)->stalls, 1);
		/* Progress clears it; the reason stays as the last problem. */
		os_steps(f, "1234abcd", A(42), t + 61000);
		assert_int_equal(b->problem, FP_NONE);
		assert_int_equal(b->stage, FS_UP);
		assert_string_equal(b->last_problem, cases[i].reason);
		fleet_tick(f, t + 999000); /* up is final */
		assert_int_equal(b->problem, FP_NONE);
		fleet_free(f);
	}
}

static void t_failures(void **state)
{
	(void)state;
	struct fleet *f = mkfleet(true);
	uint64_t t = feed(f, pi4, 21, A(42), T0);
	struct step nf = { BEV_TFTP_NOT_FOUND, "1234abcd", "kernel8.img", false, "kernel8.img not found in boot dir" };
	t = feed(f, &nf, 1, A(42), t);
	const struct fleet_boot *b = fleet_current(f, "1234abcd");
	assert_int_equal(b->problem, FP_FAILED);
	assert_string_equal(b->reason, "kernel8.img not found in boot dir");
	fleet_tick(f, t + 100000); /* a failure is not turned into a stall */
	assert_int_equal(b->problem, FP_FAILED);
	/* The Pi tries again: a new boot, the failed one kept. */
	struct step timeout = { BEV_TFTP_FAILED, "1234abcd", "start4.elf", false, "TFTP timeout after 30 s on start4.elf" };
	t = feed(f, pi4, 4, A(42), t + 200000);
	t = feed(f, &timeout, 1, A(42), t);
	b = fleet_current(f, "1234abcd");
	assert_int_equal(b->stage, FS_FIRMWARE);
	assert_string_equal(b->reason, "TFTP timeout after 30 s on start4.elf");
	struct step denied = { BEV_NFS_DENIED, "1234abcd", "/clients/1234abcd", false,
			       "request from 10.0.0.57, client booted from 10.0.0.42" };
	t = feed(f, pi4, sizeof(pi4) / sizeof(pi4[0]), A(42), t);
	feed(f, &denied, 1, A(57), t); /* by id: the address is the intruder's */
	b = fleet_current(f, "1234abcd");
	assert_int_equal(b->stage, FS_KERNEL);
	assert_string_equal(b->reason, "NFS mount refused: request from 10.0.0.57, client booted from 10.0.0.42");
	assert_int_equal(b->addr, A(42)); /* the intruder's address is not the Pi's */
	assert_int_equal(fleet_totals(f)->failures, 3);
	assert_int_equal(fleet_totals(f)->boots, 3);
	struct jbuf j;
	jb_init(&j, 1 << 20);
	assert_true(fleet_json_client(f, "1234abcd", &j));
	char err[100];
	struct json_node *n = json_parse(j.p, j.len, err, sizeof(err));
	assert_non_null(n);
	const struct json_node *tl = json_get(n, "timeline");
	assert_non_null(tl);
	assert_string_equal(json_get_str(tl->child, "problem", ""), "failed");
	assert_string_equal(json_get_str(tl->child->next->next, "reason", ""), "kernel8.img not found in boot dir");
	json_node_free(n);
	jb_free(&j);
	fleet_free(f);
}

static void t_bounded_boots(void **state)
{
	(void)state;
	struct fleet *f = mkfleet(false);
	uint64_t t = T0;
	for (int i = 0; i < 20; i++)
		t = feed(f, pi4, sizeof(pi4) / sizeof(pi4[0]), A(42), t + 1000);
	struct jbuf j;
	jb_init(&j, 1 << 20);
	assert_true(fleet_json_client(f, "1234abcd", &j));
	char err[100];
	struct json_node *n = json_parse(j.p, j.len, err, sizeof(err));
	assert_non_null(n);
	assert_int_equal((int)json_get_num(n, "boots", 0), 20);
	int k = 0;
	for (const struct json_node *b = json_get(n, "timeline")->child; b; b = b->next)
		k++;
	assert_int_equal(k, FLEET_BOOTS_MAX);
	json_node_free(n);
	jb_free(&j);
	/* The ring stays bounded too. */
	for (int i = 0; i < FLEET_HISTORY; i++)
		feed(f, pi4 + 3, 1, A(42), t + (uint64_t)i);
	assert_true(fleet_last_seq(f) - fleet_first_seq(f) + 1 == FLEET_HISTORY);
	assert_null(fleet_event_at(f, 1));
	fleet_free(f);
}

/* Two Pis answered at once: an id-less request cannot be attributed by
 * guess; after each showed its address, id-less ones are. */
static void t_attribution(void **state)
{
	(void)state;
	struct fleet *f = mkfleet(false);
	struct step a1 = ANSWER("aaaaaaaa"), a2 = ANSWER("bbbbbbbb");
	struct step anon = DONE("", "config.txt");
	feed(f, &a1, 1, 0, T0);
	feed(f, &a2, 1, 0, T0);
	feed(f, &anon, 1, A(1), T0 + 10);
	assert_int_equal(fleet_totals(f)->unattributed, 1);
	struct step p1 = DONE("aaaaaaaa", "aaaaaaaa/start4.elf"), p2 = DONE("bbbbbbbb", "bbbbbbbb/start4.elf");
	feed(f, &p1, 1, A(1), T0 + 20);
	feed(f, &p2, 1, A(2), T0 + 20);
	struct step k = DONE("", "kernel8.img");
	feed(f, &k, 1, A(2), T0 + 30);
	assert_int_equal(fleet_current(f, "bbbbbbbb")->stage, FS_KERNEL);
	assert_int_equal(fleet_current(f, "aaaaaaaa")->stage, FS_FIRMWARE);
	fleet_free(f);
}

static void t_classify(void **state)
{
	(void)state;
	assert_int_equal(fleet_classify_file("kernel8.img"), FF_KERNEL);
	assert_int_equal(fleet_classify_file("1234abcd/kernel_2712.img"), FF_KERNEL);
	assert_int_equal(fleet_classify_file("kernel7l.img"), FF_KERNEL);
	assert_int_equal(fleet_classify_file("Image"), FF_KERNEL);
	assert_int_equal(fleet_classify_file("initramfs8"), FF_INITRAMFS);
	assert_int_equal(fleet_classify_file("initramfs_2712"), FF_INITRAMFS);
	assert_int_equal(fleet_classify_file("start4.elf"), FF_FIRMWARE);
	assert_int_equal(fleet_classify_file("overlays/kernel.dtbo"), FF_FIRMWARE);
	for (unsigned s = 0; s < FS_MAX; s++)
		assert_int_equal(fleet_stage_from_name(fleet_stage_name((enum fleet_stage)s)), s);
	assert_int_equal(fleet_stage_from_name("nope"), FS_MAX);
	/* A repeated answer in the DHCP stage is the same boot. */
	struct fleet_boot b;
	memset(&b, 0, sizeof(b));
	struct step a = ANSWER("1234abcd");
	struct boot_event e = mk(&a, 0);
	assert_int_equal(fleet_transition(&b, &e, T0), FR_PROGRESS);
	assert_int_equal(fleet_transition(&b, &e, T0 + 1), FR_ACTIVITY);
	/* The kernel's own lease after boot is not a new boot. */
	b.stage = FS_NFS_ROOT;
	e.type = BEV_DHCP_LEASE;
	assert_int_equal(fleet_transition(&b, &e, T0 + 2), FR_ACTIVITY);
	/* Full mode: a lease with a boot answer after the kernel is a reboot. */
	snprintf(e.detail, sizeof(e.detail), "ACK with boot answer");
	assert_int_equal(fleet_transition(&b, &e, T0 + 3), FR_NEW_BOOT);
	e.type = BEV_DHCP_ANSWER;
	assert_int_equal(fleet_transition(&b, &e, T0 + 3), FR_NEW_BOOT);
	/* Full mode from a fresh record: leased, then the answer is no step back. */
	memset(&b, 0, sizeof(b));
	e.type = BEV_DHCP_LEASE;
	assert_int_equal(fleet_transition(&b, &e, T0), FR_PROGRESS);
	assert_int_equal(b.stage, FS_LEASED);
	e.type = BEV_DHCP_ANSWER;
	assert_int_equal(fleet_transition(&b, &e, T0 + 1), FR_ACTIVITY);
	assert_int_equal(b.stage, FS_LEASED);
}

static void t_persist(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_fleet_XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct fleet_opts o = { .data_dir = dir, .stall_s = 30, .nfs = true };
	struct fleet *f = fleet_new(NULL, &o);
	assert_non_null(f);
	uint64_t t = feed(f, pi4, 21, A(42), T0);
	struct step odd = { BEV_TFTP_FAILED, "1234abcd", "a\tb\nc", false, "tab\there \\ newline\nend" };
	t = feed(f, &odd, 1, A(42), t);
	t = feed(f, pi4 + 21, 3, A(42), t);
	fleet_tick(f, t + 40000); /* stall at the kernel */
	fleet_free(f);
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/state/clients.json", dir);
	assert_int_equal(stat(path, &st), 0);
	f = fleet_new(NULL, &o);
	assert_true(fleet_load_history(f) >= 10);
	const struct fleet_boot *b = fleet_current(f, "1234abcd");
	assert_non_null(b);
	assert_int_equal(b->stage, FS_KERNEL);
	assert_int_equal(b->problem, FP_STALLED);
	assert_string_equal(b->last_problem, "no NFS mount 30 s after the kernel was fetched");
	const struct fleet_event *fe = fleet_event_at(f, fleet_last_seq(f) - 2);
	assert_non_null(fe);
	assert_string_equal(fe->e.detail, "tab\there \\ newline\nend");
	/* Rotation: past 1 MiB the log moves to events.log.1. */
	for (int i = 0; i < 20000; i++)
		feed(f, pi4 + 3, 1, A(42), t + 50000 + (uint64_t)i);
	fleet_tick(f, t + 60000);
	fleet_free(f);
	snprintf(path, sizeof(path), "%s/state/events.log.1", dir);
	assert_int_equal(stat(path, &st), 0);
	/* A damaged log: an over-long line (whose tail looks like an event)
	 * and a signed number are skipped whole; the good line is replayed. */
	assert_int_equal(unlink(path), 0);
	snprintf(path, sizeof(path), "%s/state/events.log", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 1100; i++)
		fputc('x', fp);
	fprintf(fp, "1000\t0\t%u\t0\tdeadbeef\tf\t0\t0\t0\td\n", (unsigned)BEV_TFTP_DONE);
	fprintf(fp, "-1\t0\t%u\t0\tdeadbeef\tf\t0\t0\t0\td\n", (unsigned)BEV_TFTP_DONE);
	fprintf(fp, "1000\t0\t%u\t0\t0badf00d\tf\t0\t0\t0\td\n", (unsigned)BEV_TFTP_DONE);
	assert_int_equal(fclose(fp), 0);
	f = fleet_new(NULL, &o);
	assert_int_equal(fleet_load_history(f), 1);
	assert_null(fleet_current(f, "deadbeef"));
	assert_non_null(fleet_current(f, "0badf00d"));
	fleet_free(f);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void t_json(void **state)
{
	(void)state;
	struct jbuf j;
	jb_init(&j, 4096);
	json_obj_begin(&j);
	json_kv_str(&j, "q", "a\"b\\c\n\x01\x7f");
	json_kv_str(&j, "bad", "\xff\xfe ok \xc3\xa9");
	json_key(&j, "a");
	json_arr_begin(&j);
	json_uint(&j, 1);
	json_bool(&j, true);
	json_null(&j);
	json_double(&j, 1.5);
	json_arr_end(&j);
	json_obj_end(&j);
	assert_false(j.err);
	assert_string_equal(j.p, "{\"q\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\",\"bad\":\"\\ufffd\\ufffd ok \xc3\xa9\","
				 "\"a\":[1,true,null,1.500]}");
	char err[100];
	struct json_node *n = json_parse(j.p, j.len, err, sizeof(err));
	assert_non_null(n);
	assert_string_equal(json_get_str(n, "q", ""), "a\"b\\c\n\x01\x7f");
	assert_string_equal(json_get_str(n, "bad", ""), "\xef\xbf\xbd\xef\xbf\xbd ok \xc3\xa9");
	json_node_free(n);
	/* Every truncation fails cleanly. */
	for (size_t l = 0; l < j.len; l++) {
		n = json_parse(j.p, l, err, sizeof(err));
		assert_null(n);
	}
	jb_free(&j);
	/* Over the cap: sticky error, no overflow. */
	jb_init(&j, 16);
	json_str(&j, "0123456789abcdefghij");
	assert_true(j.err);
	jb_free(&j);
	char deep[200];
	memset(deep, '[', sizeof(deep));
	assert_null(json_parse(deep, sizeof(deep), err, sizeof(err)));
	assert_null(json_parse("{\"a\":1} x", 9, err, sizeof(err)));
	assert_null(json_parse("\"\\u0000\"", 8, err, sizeof(err)));
	assert_null(json_parse("{\"a\" 1}", 7, err, sizeof(err)));
	assert_null(json_parse("\"ab\\", 4, err, sizeof(err)));
	assert_null(json_parse("\"\\u12\"", 6, err, sizeof(err)));
	/* Many strings: each decoded into its own small copy. */
	jb_init(&j, 1 << 20);
	json_arr_begin(&j);
	for (int i = 0; i < 2000; i++)
		json_str(&j, i % 2 ? "\xc3\xa9\"x" : "ab");
	json_arr_end(&j);
	n = json_parse(j.p, j.len, err, sizeof(err));
	assert_non_null(n);
	assert_string_equal(n->child->str, "ab");
	assert_string_equal(n->child->next->str, "\xc3\xa9\"x");
	json_node_free(n);
	jb_free(&j);
}

static void t_routes(void **state)
{
	(void)state;
	char id[18];
	assert_int_equal(fleet_route("GET", "/", id, sizeof(id)), RT_ASSET);
	assert_int_equal(fleet_route("GET", "/app.js", id, sizeof(id)), RT_ASSET);
	assert_int_equal(fleet_route("GET", "/api/clients", id, sizeof(id)), RT_CLIENTS);
	assert_int_equal(fleet_route("GET", "/api/client/1234abcd", id, sizeof(id)), RT_CLIENT);
	assert_string_equal(id, "1234abcd");
	assert_int_equal(fleet_route("GET", "/api/client/b8-27-eb-11-22-33", id, sizeof(id)), RT_CLIENT);
	assert_int_equal(fleet_route("GET", "/api/events", id, sizeof(id)), RT_EVENTS);
	assert_int_equal(fleet_route("GET", "/metrics", id, sizeof(id)), RT_METRICS);
	assert_int_equal(fleet_route("POST", "/api/register/0badf00d", id, sizeof(id)), RT_REGISTER);
	assert_int_equal(fleet_route("GET", "/api/register/0badf00d", id, sizeof(id)), RT_BAD_METHOD);
	assert_int_equal(fleet_route("POST", "/api/clients", id, sizeof(id)), RT_BAD_METHOD);
	assert_int_equal(fleet_route("POST", "/api/checkin/0badf00d", id, sizeof(id)), RT_CHECKIN);
	assert_true(fleet_route_mutating(RT_REGISTER));
	assert_false(fleet_route_mutating(RT_CHECKIN));
	static const char *const bad[] = {
		"/../etc/passwd", "/app.js/../../etc/passwd", "//app.js", "/%2e%2e/etc/passwd", "/index.html/",
		"/api/client/../../x", "/api/client/1234ABCD", "/api/client/1234abc", "/api/client/1234abcd/x",
		"/api/client/", "/api/clientsx", "/style.css?x", "/etc/passwd", "",
		"/api/client/b8:27:eb:11:22:33", "/api/client/B8-27-EB-11-22-33", "/api/client/b8-27-eb-11-22-33x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(fleet_route("GET", bad[i], id, sizeof(id)), RT_NOT_FOUND);
	uint32_t a;
	uint16_t p;
	bool off;
	assert_int_equal(fleet_http_parse_listen("127.0.0.1:8466", &a, &p, &off), 0);
	assert_int_equal(p, 8466);
	assert_false(off);
	assert_int_equal(fleet_http_parse_listen("off", &a, &p, &off), 0);
	assert_true(off);
	static const char *const badl[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", ":80",
					    "host:80", "127.0.0.1:8x", "1.2.3.4.5:80", "127.0.0.1:+80", "127.0.0.1:-1",
					    "127.0.0.1: 80", "127.0.0.1:99999999999999999999999" };
	for (size_t i = 0; i < sizeof(badl) / sizeof(badl[0]); i++)
		assert_int_equal(fleet_http_parse_listen(badl[i], &a, &p, &off), -1);
}

static void t_metrics(void **state)
{
	(void)state;
	struct fleet *f = mkfleet(false);
	feed(f, pi4, sizeof(pi4) / sizeof(pi4[0]), A(42), T0);
	struct jbuf j;
	jb_init(&j, 1 << 20);
	fleet_metrics(f, &j);
	assert_false(j.err);
	assert_non_null(strstr(j.p, "pinetboot_boot_stage_seconds_bucket{stage=\"kernel\",le=\"2.5\"} 1\n"));
	assert_non_null(strstr(j.p, "pinetboot_boot_stage_seconds_count{stage=\"kernel\"} 1\n"));
	assert_non_null(strstr(j.p, "pinetboot_clients{stage=\"kernel\"} 1\n"));
	assert_non_null(strstr(j.p, "pinetboot_boot_events_total{protocol=\"tftp\",type=\"tftp-done\"} 12\n"));
	jb_free(&j);
	fleet_free(f);
}

/* Issue 13 item 10 and issue 9: an admin fetching a Pi's cmdline.txt is
 * not a boot of that Pi; a contested DISCOVER is shown, not booted. */
static bool admin_is_99(void *arg, const char *id, uint32_t addr)
{
	(void)arg;
	(void)id;
	return addr == A(99);
}

static void t_not_a_boot(void **state)
{
	(void)state;
	struct fleet_opts o = { .stall_s = 30, .nfs = true, .not_a_boot = admin_is_99 };
	struct fleet *f = fleet_new(NULL, &o);
	assert_non_null(f);
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = BEV_TFTP_DONE;
	snprintf(e.id, sizeof(e.id), "4444abcd");
	snprintf(e.file, sizeof(e.file), "4444abcd/cmdline.txt");
	e.addr = A(99);
	e.bytes = 100;
	fleet_on_event(&e, f);
	assert_null(fleet_current(f, "4444abcd")); /* no boot recorded */
	/* The Pi's own fetch from its address is. */
	e.addr = A(50);
	fleet_on_event(&e, f);
	assert_non_null(fleet_current(f, "4444abcd"));
	assert_int_equal(fleet_current(f, "4444abcd")->files, 1);
	/* The admin again, during the boot: no file counted, no stage. */
	e.addr = A(99);
	fleet_on_event(&e, f);
	assert_int_equal(fleet_current(f, "4444abcd")->files, 1);
	assert_int_equal(fleet_totals(f)->boots, 1);
	/* A contested claim starts no boot and is shown. */
	memset(&e, 0, sizeof(e));
	e.type = BEV_DHCP_CONTESTED;
	snprintf(e.id, sizeof(e.id), "5555abcd");
	e.has_mac = true;
	e.mac[0] = 0x02;
	snprintf(e.detail, sizeof(e.detail), "DISCOVER from MAC 02:00:00:00:00:00, this Pi's MAC is dc:a6:32:55:ab:cd");
	fleet_on_event(&e, f);
	assert_null(fleet_current(f, "5555abcd"));
	struct jbuf j;
	jb_init(&j, 1 << 16);
	fleet_json_clients(f, &j);
	assert_non_null(strstr(j.p, "\"contested\":\"DISCOVER from MAC 02:00:00:00:00:00"));
	jb_free(&j);
	fleet_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_pi3bplus),     cmocka_unit_test(t_pi4),   cmocka_unit_test(t_not_a_boot),
		cmocka_unit_test(t_pi5),          cmocka_unit_test(t_stall_each_step),
		cmocka_unit_test(t_failures),     cmocka_unit_test(t_bounded_boots),
		cmocka_unit_test(t_attribution),  cmocka_unit_test(t_classify),
		cmocka_unit_test(t_persist),      cmocka_unit_test(t_json),
		cmocka_unit_test(t_routes),       cmocka_unit_test(t_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
