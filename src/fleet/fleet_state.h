/* fleet_state.h - the per-Pi boot state machine: one enum of stages, its
 * name table and one transition function fed by boot events (core/events.h).
 * Pure: no I/O, no clock; the caller passes the event time in ms, so unit
 * tests replay real boot orders (protocol reference 4.2-4.4) exactly.
 *
 * Owns: enum fleet_stage and struct fleet_boot. Must not touch: I/O. */
#ifndef PINETBOOT_FLEET_STATE_H
#define PINETBOOT_FLEET_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/events.h"

/* Milestones of one boot, in the order a Pi reaches them. A boot's stage
 * is the last milestone reached; a problem (stall or failure) is kept
 * beside it so "stalled at kernel" stays readable. */
enum fleet_stage {
	FS_NONE,       /* never seen booting */
	FS_DHCP,       /* boot answer sent */
	FS_LEASED,     /* full DHCP: address acknowledged */
	FS_FIRMWARE,   /* firmware files being fetched (first one done) */
	FS_KERNEL,     /* kernel (and initramfs) fetched */
	FS_NFS_ROOT,   /* root file system mounted over NFS */
	FS_INIT,       /* /sbin/init read */
	FS_UP,         /* checked in at the end of boot */
	FS_MAX
};

enum fleet_problem { FP_NONE, FP_STALLED, FP_FAILED, FP_MAX };

/* What a TFTP file means for the boot. */
enum fleet_file { FF_FIRMWARE, FF_KERNEL, FF_INITRAMFS };

#define FLEET_REASON_LEN 200

struct fleet_boot {
	uint64_t start_ms;            /* wall ms of the first event of this boot */
	uint64_t at_ms[FS_MAX];       /* wall ms each stage was reached, 0 = not */
	uint64_t progress_ms;         /* last progress (stall clock) */
	uint64_t last_ms;             /* last event of any kind */
	uint64_t bytes;               /* TFTP bytes sent in this boot */
	uint32_t files;               /* TFTP files sent */
	uint32_t addr;                /* last known address, network order */
	bool initramfs;               /* an initramfs was fetched */
	char last_file[64];           /* last TFTP file sent, for stall reasons */
	enum fleet_stage stage;
	enum fleet_problem problem;
	char reason[FLEET_REASON_LEN]; /* current problem, plain language */
	char last_problem[FLEET_REASON_LEN]; /* most recent problem, kept after recovery */
};

/* What fleet_transition did, for the caller's bookkeeping. */
enum fleet_result {
	FR_IGNORED,      /* expected noise (probes, usual missing files) */
	FR_ACTIVITY,     /* seen, no stage change */
	FR_PROGRESS,     /* stage advanced */
	FR_NEW_BOOT,     /* caller must start a fresh boot record and retry */
	FR_PROBLEM,      /* a failure was recorded */
};

/* One row of the stage table (fleet_state.c): the API name, the
 * dashboard colour (#rrggbb) and what the stage means. NULL if s is out
 * of range. */
struct fleet_stage_info {
	const char *name, *color, *help;
};
const struct fleet_stage_info *fleet_stage_info(enum fleet_stage s);
const char *fleet_stage_name(enum fleet_stage s);
const char *fleet_problem_name(enum fleet_problem p);
/* Stage by name, FS_MAX if unknown. */
enum fleet_stage fleet_stage_from_name(const char *name);
enum fleet_file fleet_classify_file(const char *path);
/* Does e carry someone else's address (a refused request)? */
bool fleet_event_foreign_addr(const struct boot_event *e);

/* Apply one event at wall time t_ms to boot b. FR_NEW_BOOT leaves b
 * untouched: the caller archives b, zeroes a new record and calls again
 * (a fresh record never asks for a new boot). */
enum fleet_result fleet_transition(struct fleet_boot *b, const struct boot_event *e, uint64_t t_ms);

/* Stage at which a boot is finished from our point of view (no stall
 * timer): FS_UP, FS_INIT (the check-in is optional) and, without NFS,
 * FS_KERNEL. */
bool fleet_stage_final(enum fleet_stage s, bool nfs);
/* Mark b stalled if it made no progress for stall_ms. Returns true when
 * it became stalled just now. */
bool fleet_check_stall(struct fleet_boot *b, uint64_t now_ms, uint64_t stall_ms, bool nfs);

#endif
