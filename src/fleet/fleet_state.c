/* fleet_state.c - the boot state machine. Which events count as progress
 * follows the real boot orders of the protocol reference (4.2-4.4): the
 * Pi's tsize probes, "Early terminate" aborts and the usual missing files
 * (bootsig.bin, recovery.elf, ...) are noise; a successful file is
 * progress; a DHCP answer after progress starts a new boot.
 *
 * Owns: the stage table (names, colours, meanings) and the transitions.
 * Must not touch: I/O, the clock. */
#include "fleet/fleet_state.h"

#include <stdio.h>
#include <string.h>

/* The one table of boot stages: the API name, the dashboard colour and a
 * plain-language meaning. The dashboard builds its legend and tile colours
 * from it (GET /api/stats, "stages"); nothing else lists the stages. */
static const struct fleet_stage_info stage_tab[FS_MAX] = {
	[FS_NONE] = { "none", "#d9dce1", "never seen booting" },
	[FS_DHCP] = { "dhcp", "#cfe3f7", "boot answer sent" },
	[FS_LEASED] = { "leased", "#a9cdf0", "full DHCP: address acknowledged" },
	[FS_FIRMWARE] = { "firmware", "#ffe29a", "fetching firmware files" },
	[FS_KERNEL] = { "kernel", "#d9c6f2", "kernel fetched" },
	[FS_NFS_ROOT] = { "nfs-root", "#a6e3dc", "root file system mounted over NFS" },
	[FS_INIT] = { "init", "#c8eeb0", "/sbin/init read" },
	[FS_UP] = { "up", "#7fd67f", "checked in at the end of boot" },
};

static const char *const problem_names[FP_MAX] = {
	[FP_NONE] = "", [FP_STALLED] = "stalled", [FP_FAILED] = "failed",
};

const struct fleet_stage_info *fleet_stage_info(enum fleet_stage s)
{
	return (unsigned)s < FS_MAX ? &stage_tab[s] : NULL;
}

const char *fleet_stage_name(enum fleet_stage s)
{
	return (unsigned)s < FS_MAX ? stage_tab[s].name : "?";
}

const char *fleet_problem_name(enum fleet_problem p)
{
	return (unsigned)p < FP_MAX ? problem_names[p] : "?";
}

enum fleet_stage fleet_stage_from_name(const char *name)
{
	for (unsigned i = 0; i < FS_MAX; i++)
		if (strcmp(stage_tab[i].name, name) == 0)
			return (enum fleet_stage)i;
	return FS_MAX;
}

/* Raspberry Pi OS names kernels kernel.img, kernel7.img, kernel7l.img,
 * kernel8.img, kernel_2712.img (4.4); other distributions use Image or
 * vmlinuz. initramfs8 / initramfs_2712 / initrd.img likewise. */
enum fleet_file fleet_classify_file(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (strncmp(base, "initramfs", 9) == 0 || strncmp(base, "initrd", 6) == 0)
		return FF_INITRAMFS;
	if ((strncmp(base, "kernel", 6) == 0 && n > 4 && strcmp(base + n - 4, ".img") == 0) ||
	    strcmp(base, "Image") == 0 || strcmp(base, "zImage") == 0 || strncmp(base, "vmlinuz", 7) == 0)
		return FF_KERNEL;
	return FF_FIRMWARE;
}

/* A refusal names the Pi whose files were asked for, but the address is
 * the asker's, maybe an intruder's: it must not become the Pi's address. */
bool fleet_event_foreign_addr(const struct boot_event *e)
{
	return e->type == BEV_NFS_DENIED ||
	       (e->type == BEV_TFTP_FAILED && strstr(e->detail, "refused") != NULL);
}

bool fleet_stage_final(enum fleet_stage s, bool nfs)
{
	return s == FS_UP || s == FS_INIT || (!nfs && s == FS_KERNEL);
}

static void begin(struct fleet_boot *b, uint64_t t)
{
	if (b->start_ms == 0)
		b->start_ms = t;
}

/* Reach stage s (never backwards). Progress clears a current problem:
 * the Pi went on, so e.g. a missing overlay did not stop it; the text
 * stays in last_problem. */
static enum fleet_result reach(struct fleet_boot *b, enum fleet_stage s, uint64_t t)
{
	begin(b, t);
	b->progress_ms = t;
	b->problem = FP_NONE;
	b->reason[0] = '\0';
	if (s <= b->stage)
		return FR_ACTIVITY;
	b->stage = s;
	b->at_ms[s] = t;
	return FR_PROGRESS;
}

static enum fleet_result fail(struct fleet_boot *b, uint64_t t, const char *prefix, const char *detail)
{
	begin(b, t);
	b->problem = FP_FAILED;
	snprintf(b->reason, sizeof(b->reason), "%s%s", prefix, detail);
	snprintf(b->last_problem, sizeof(b->last_problem), "%s", b->reason);
	return FR_PROBLEM;
}

static enum fleet_result on_tftp_done(struct fleet_boot *b, const struct boot_event *e, uint64_t t)
{
	enum fleet_file kind = fleet_classify_file(e->file);
	/* Firmware again after the kernel: the Pi rebooted without a boot
	 * answer we saw (dhcp = off, or the answer came from elsewhere). */
	if (kind == FF_FIRMWARE && b->stage >= FS_KERNEL)
		return FR_NEW_BOOT;
	b->files++;
	b->bytes += e->bytes;
	const char *base = strrchr(e->file, '/');
	snprintf(b->last_file, sizeof(b->last_file), "%.63s", base ? base + 1 : e->file);
	if (kind == FF_INITRAMFS)
		b->initramfs = true;
	/* Pi 4 fetches the initramfs before the kernel (4.3): it is
	 * firmware-stage progress until the kernel itself arrives. */
	return reach(b, kind == FF_KERNEL ? FS_KERNEL : FS_FIRMWARE, t);
}

enum fleet_result fleet_transition(struct fleet_boot *b, const struct boot_event *e, uint64_t t)
{
	b->last_ms = t;
	if (e->addr && !fleet_event_foreign_addr(e))
		b->addr = e->addr;
	switch (e->type) {
	case BEV_DHCP_ANSWER:
		/* The firmware repeats DISCOVER until it likes an offer; only
		 * an answer after real progress or a problem is a new boot. */
		if (b->stage > FS_LEASED || b->problem != FP_NONE)
			return FR_NEW_BOOT;
		return reach(b, FS_DHCP, t);
	case BEV_DHCP_LEASE:
		/* After the kernel, this is the kernel's own ip=dhcp lease,
		 * unless it came with a boot answer (full mode says so in the
		 * detail, dhcp_full.c): then the Pi rebooted. */
		if (b->stage >= FS_KERNEL)
			return strstr(e->detail, "boot answer") ? FR_NEW_BOOT : FR_ACTIVITY;
		if (b->stage > FS_LEASED || b->problem != FP_NONE)
			return FR_NEW_BOOT;
		return reach(b, FS_LEASED, t);
	case BEV_TFTP_DONE:
		return on_tftp_done(b, e, t);
	case BEV_TFTP_PROBE:
		return FR_IGNORED;
	case BEV_TFTP_NOT_FOUND:
		if (e->expected)
			return FR_IGNORED;
		return fail(b, t, "", e->detail[0] ? e->detail : "file not found");
	case BEV_TFTP_FAILED:
		return fail(b, t, "", e->detail[0] ? e->detail : "TFTP transfer failed");
	case BEV_NFS_MOUNT:
		return reach(b, FS_NFS_ROOT, t);
	case BEV_NFS_DENIED:
		return fail(b, t, "NFS mount refused: ", e->detail[0] ? e->detail : "access denied");
	case BEV_NFS_INIT_READ:
		return reach(b, FS_INIT, t);
	case BEV_CHECKIN:
		return reach(b, FS_UP, t);
	case BEV_DHCP_UNKNOWN:
	case BEV_DHCP_CONTESTED:
	case BEV_MAX:
		break;
	}
	return FR_IGNORED;
}

bool fleet_check_stall(struct fleet_boot *b, uint64_t now, uint64_t stall_ms, bool nfs)
{
	if (b->stage == FS_NONE || b->problem != FP_NONE || fleet_stage_final(b->stage, nfs))
		return false;
	if (now < b->progress_ms || now - b->progress_ms < stall_ms)
		return false;
	unsigned s = (unsigned)(stall_ms / 1000u);
	switch (b->stage) {
	case FS_DHCP:
	case FS_LEASED:
		snprintf(b->reason, sizeof(b->reason), "no TFTP file fetched %u s after the boot answer", s);
		break;
	case FS_FIRMWARE:
		snprintf(b->reason, sizeof(b->reason), "no progress for %u s while fetching firmware (last file %s)",
			 s, b->last_file[0] ? b->last_file : "?");
		break;
	case FS_KERNEL:
		snprintf(b->reason, sizeof(b->reason), "no NFS mount %u s after the kernel was fetched", s);
		break;
	case FS_NFS_ROOT:
		snprintf(b->reason, sizeof(b->reason), "init not read %u s after the root was mounted", s);
		break;
	default:
		snprintf(b->reason, sizeof(b->reason), "no progress for %u s", s);
		break;
	}
	b->problem = FP_STALLED;
	snprintf(b->last_problem, sizeof(b->last_problem), "%s", b->reason);
	return true;
}
