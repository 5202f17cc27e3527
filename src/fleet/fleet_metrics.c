/* fleet_metrics.c - Prometheus-style histograms (fixed bounds, seconds)
 * and the fleet model's counters, histograms and per-stage gauges as
 * Prometheus text for /metrics.
 *
 * Owns: the histogram bounds and the fleet's metric names. Must not
 * touch: the model's state (read only), HTTP (fleet_http_docs.c adds the
 * server's own counters). */
#include <stdio.h>
#include <string.h>

#include "fleet/fleet_internal.h"

const double fleet_hist_bounds[FLEET_HIST_BUCKETS - 1] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
};

void fleet_hist_add(struct fleet_hist *h, double v)
{
	size_t i = 0;
	while (i < FLEET_HIST_BUCKETS - 1 && v > fleet_hist_bounds[i])
		i++;
	h->count[i]++;
	h->n++;
	h->sum += v;
}

static void hist_text(struct jbuf *j, const char *name, const char *labels, const struct fleet_hist *h)
{
	uint64_t cum = 0;
	const char *comma = labels[0] ? "," : "";
	for (size_t i = 0; i < FLEET_HIST_BUCKETS; i++) {
		cum += h->count[i];
		if (i < FLEET_HIST_BUCKETS - 1)
			jb_printf(j, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, comma, fleet_hist_bounds[i],
				  (unsigned long long)cum);
		else
			jb_printf(j, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, comma,
				  (unsigned long long)cum);
	}
	if (labels[0]) {
		jb_printf(j, "%s_sum{%s} %.6f\n", name, labels, h->sum);
		jb_printf(j, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->n);
	} else {
		jb_printf(j, "%s_sum %.6f\n", name, h->sum);
		jb_printf(j, "%s_count %llu\n", name, (unsigned long long)h->n);
	}
}

void fleet_metrics(const struct fleet *f, struct jbuf *j)
{
	const struct fleet_totals *t = &f->tot;
	jb_printf(j, "# HELP pinetboot_boot_events_total Boot events seen, by protocol and type.\n"
		     "# TYPE pinetboot_boot_events_total counter\n");
	for (unsigned i = 0; i < BEV_MAX; i++) {
		const char *n = events_type_name((enum boot_event_type)i);
		size_t pl = strcspn(n, "-");
		jb_printf(j, "pinetboot_boot_events_total{protocol=\"%.*s\",type=\"%s\"} %llu\n", (int)pl, n, n,
			  (unsigned long long)t->events[i]);
	}
	jb_printf(j, "# HELP pinetboot_boots_total Boots started.\n# TYPE pinetboot_boots_total counter\n"
		     "pinetboot_boots_total %llu\n", (unsigned long long)t->boots);
	jb_printf(j, "# HELP pinetboot_boots_up_total Boots that checked in.\n# TYPE pinetboot_boots_up_total counter\n"
		     "pinetboot_boots_up_total %llu\n", (unsigned long long)t->boots_up);
	jb_printf(j, "# HELP pinetboot_boot_failures_total Boot failures (not found, timeout, refused).\n"
		     "# TYPE pinetboot_boot_failures_total counter\npinetboot_boot_failures_total %llu\n",
		  (unsigned long long)t->failures);
	jb_printf(j, "# HELP pinetboot_boot_stalls_total Boots stalled in a stage.\n"
		     "# TYPE pinetboot_boot_stalls_total counter\npinetboot_boot_stalls_total %llu\n",
		  (unsigned long long)t->stalls);
	jb_printf(j, "# HELP pinetboot_tftp_transfer_seconds Duration of complete TFTP transfers.\n"
		     "# TYPE pinetboot_tftp_transfer_seconds histogram\n");
	hist_text(j, "pinetboot_tftp_transfer_seconds", "", &t->tftp_file_s);
	jb_printf(j, "# HELP pinetboot_boot_stage_seconds Time from the start of a boot to each stage.\n"
		     "# TYPE pinetboot_boot_stage_seconds histogram\n");
	for (unsigned s = FS_DHCP; s < FS_MAX; s++) {
		char l[40];
		snprintf(l, sizeof(l), "stage=\"%s\"", fleet_stage_name((enum fleet_stage)s));
		hist_text(j, "pinetboot_boot_stage_seconds", l, &t->stage_s[s]);
	}
	/* Current stage of every Pi, as a gauge per stage. */
	unsigned per[FS_MAX + FP_MAX] = { 0 };
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_client *c = &f->c[i];
		const struct fleet_boot *b = fleet_last_boot(c);
		per[b ? b->stage : FS_NONE]++;
		if (b && b->problem)
			per[FS_MAX + b->problem]++;
	}
	jb_printf(j, "# HELP pinetboot_clients Pis by current boot stage.\n# TYPE pinetboot_clients gauge\n");
	for (unsigned s = 0; s < FS_MAX; s++)
		jb_printf(j, "pinetboot_clients{stage=\"%s\"} %u\n", fleet_stage_name((enum fleet_stage)s), per[s]);
	jb_printf(j, "# HELP pinetboot_clients_problem Pis whose current boot has a problem.\n"
		     "# TYPE pinetboot_clients_problem gauge\n");
	for (unsigned p = FP_STALLED; p < FP_MAX; p++)
		jb_printf(j, "pinetboot_clients_problem{problem=\"%s\"} %u\n",
			  fleet_problem_name((enum fleet_problem)p), per[FS_MAX + p]);
}
