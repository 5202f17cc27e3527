/* probe_config.h - the parts of config.txt that decide which files a Pi
 * fetches next: kernel=, initramfs, ramfsfile=, auto_initramfs=,
 * device_tree=, dtoverlay=, include, os_prefix=, overlay_prefix=, cmdline=,
 * start_file=, fixup_file=, arm_64bit=. Conditional sections ([pi4], [all],
 * [pi400], [cm4], [board-type=0x13], [0x<serial>], ...) are applied for the simulated board. Pure.
 *
 * Owns: the config.txt subset probe reads. Must not touch: the network.
 */
#ifndef PINETBOOT_PROBE_CONFIG_H
#define PINETBOOT_PROBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"

#define PROBE_CFG_NAME_MAX 128
#define PROBE_CFG_OVERLAYS_MAX 32
#define PROBE_CFG_INCLUDES_MAX 8

struct probe_config {
	char kernel[PROBE_CFG_NAME_MAX];       /* "" = generation default */
	char initramfs[PROBE_CFG_NAME_MAX];    /* "" = none named */
	bool auto_initramfs;
	bool has_device_tree;                  /* device_tree= seen ("" = no DT) */
	char device_tree[PROBE_CFG_NAME_MAX];
	char os_prefix[PROBE_CFG_NAME_MAX];
	char overlay_prefix[PROBE_CFG_NAME_MAX]; /* default "overlays/" */
	char cmdline[PROBE_CFG_NAME_MAX];      /* default "cmdline.txt" */
	char start_file[PROBE_CFG_NAME_MAX];   /* "" = generation default */
	char fixup_file[PROBE_CFG_NAME_MAX];
	int arm_64bit;                         /* -1 unset, 0, 1 */
	unsigned n_overlays;
	char overlays[PROBE_CFG_OVERLAYS_MAX][64];
	unsigned n_includes;
	char includes[PROBE_CFG_INCLUDES_MAX][PROBE_CFG_NAME_MAX];
	unsigned dropped;                      /* entries that did not fit */
};

/* Which conditional sections apply. */
struct probe_cfg_board {
	enum probe_model model;
	uint32_t serial;
	uint32_t board_rev;   /* for [board-type=]; 0 = unknown */
};

void probe_config_init(struct probe_config *c);
/* Parse one file into c; later settings override earlier ones, so the
 * caller parses included files after their parent (see probe_seq.c). */
void probe_config_parse(struct probe_config *c, const struct probe_cfg_board *b,
			const char *text, size_t len);

#endif
