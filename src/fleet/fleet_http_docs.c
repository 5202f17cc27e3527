/* fleet_http_docs.c - the read-only API documents made from the server's
 * state rather than the fleet model alone: GET /api/stats (counters, the
 * stage table for the dashboard), GET /api/discovered (unregistered Pis
 * with the command that registers each), and /metrics (the fleet's
 * Prometheus text plus TFTP, NFS and HTTP counters).
 *
 * Owns: the shape of those three documents. Must not touch: routing,
 * access, MHD responses (fleet_http.c), the fleet model's insides. */
#include <stdio.h>
#include <string.h>

#include "fleet/fleet_http_internal.h"
#include "pi/pi_id.h"

void fleet_http_stats_json(struct fleet_http *h, struct jbuf *j)
{
	struct fleet_server_stats st;
	h->hk.stats(h->hk.ctx, &st);
	const struct fleet_server_stats *t = st.tftp ? &st : NULL;
	const struct fleet_totals *ft = fleet_totals(h->f);
	json_obj_begin(j);
	json_kv_uint(j, "uptime_s", (fleet_now_ms() - h->started_ms) / 1000u);
	json_kv_uint(j, "registered", h->hk.clients->n);
	json_kv_uint(j, "discovered", h->hk.disc->n);
	json_kv_uint(j, "tracked", fleet_count(h->f));
	json_key(j, "tftp");
	json_obj_begin(j);
	json_kv_uint(j, "active_transfers", t ? t->active : 0);
	json_kv_uint(j, "peak_transfers", t ? t->peak_active : 0);
	json_kv_uint(j, "requests", t ? t->requests : 0);
	json_kv_uint(j, "files_sent", t ? t->transfers_ok : 0);
	json_kv_uint(j, "failed", t ? t->transfers_failed : 0);
	json_kv_uint(j, "not_found", t ? t->not_found : 0);
	json_kv_uint(j, "refused", t ? t->denied : 0);
	json_kv_uint(j, "bytes_sent", t ? t->bytes_sent : 0);
	json_key(j, "mb_sent");
	json_double(j, t ? (double)t->bytes_sent / 1e6 : 0);
	json_kv_uint(j, "retransmits", t ? t->retransmits : 0);
	json_obj_end(j);
	/* NFS calls per second over the last keepalive period; null when
	 * NFS is off. */
	json_key(j, "nfs_ops_per_s");
	if (st.nfs)
		json_double(j, h->nfs_rate);
	else
		json_null(j);
	json_key(j, "boots");
	json_obj_begin(j);
	json_kv_uint(j, "started", ft->boots);
	json_kv_uint(j, "up", ft->boots_up);
	json_kv_uint(j, "failures", ft->failures);
	json_kv_uint(j, "stalls", ft->stalls);
	json_obj_end(j);
	json_kv_uint(j, "sse_streams", h->n_streams);
	/* The stage table, so the dashboard has no copy of it. */
	json_key(j, "stages");
	json_arr_begin(j);
	for (unsigned s = 0; s < FS_MAX; s++) {
		const struct fleet_stage_info *si = fleet_stage_info((enum fleet_stage)s);
		json_obj_begin(j);
		json_kv_str(j, "name", si->name);
		json_kv_str(j, "color", si->color);
		json_kv_str(j, "help", si->help);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

void fleet_http_discovered_json(struct fleet_http *h, struct jbuf *j)
{
	const struct discovery *disc = h->hk.disc;
	json_arr_begin(j);
	for (size_t i = 0; i < disc->n; i++) {
		const struct discovered *x = &disc->v[i];
		if (clients_find_id(h->hk.clients, x->id))
			continue;
		char mac[18], cmd[800];
		pi_mac_str(x->mac, mac);
		h->hk.register_hint(h->hk.ctx, x->id, cmd, sizeof(cmd));
		json_obj_begin(j);
		json_kv_str(j, "id", x->id);
		json_kv_str(j, "mac", mac);
		json_kv_str(j, "model", x->model);
		json_kv_uint(j, "first_seen", (uint64_t)x->first_seen * 1000u);
		json_kv_uint(j, "last_seen", (uint64_t)x->last_seen * 1000u);
		json_kv_str(j, "register_command", cmd);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void fleet_http_metrics_text(struct fleet_http *h, struct jbuf *j)
{
	fleet_metrics(h->f, j);
	struct fleet_server_stats st;
	h->hk.stats(h->hk.ctx, &st);
	const struct fleet_server_stats *t = st.tftp ? &st : NULL;
	if (t) {
		static const char *const names[] = { "requests", "transfers_ok", "transfers_failed", "not_found",
						     "denied", "bytes_sent", "packets_sent", "retransmits" };
		const uint64_t v[] = { t->requests, t->transfers_ok, t->transfers_failed, t->not_found,
				       t->denied, t->bytes_sent, t->packets_sent, t->retransmits };
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
			jb_printf(j, "# HELP pinetboot_tftp_%s_total TFTP %s.\n# TYPE pinetboot_tftp_%s_total counter\n"
				     "pinetboot_tftp_%s_total %llu\n", names[i], names[i], names[i], names[i],
				  (unsigned long long)v[i]);
		jb_printf(j, "# HELP pinetboot_tftp_active_transfers TFTP transfers in flight.\n"
			     "# TYPE pinetboot_tftp_active_transfers gauge\npinetboot_tftp_active_transfers %u\n",
			  t->active);
	}
	if (st.nfs) {
		jb_printf(j, "# HELP pinetboot_nfs_calls_total NFS and MOUNT calls.\n# TYPE pinetboot_nfs_calls_total counter\n"
			     "pinetboot_nfs_calls_total %llu\n", (unsigned long long)st.nfs_calls);
		jb_printf(j, "# HELP pinetboot_nfs_denied_total NFS calls refused.\n# TYPE pinetboot_nfs_denied_total counter\n"
			     "pinetboot_nfs_denied_total %llu\n", (unsigned long long)st.nfs_denied);
	}
	jb_printf(j, "# HELP pinetboot_clients_registered Registered Pis.\n# TYPE pinetboot_clients_registered gauge\n"
		     "pinetboot_clients_registered %zu\n", h->hk.clients->n);
	jb_printf(j, "# HELP pinetboot_http_requests_total HTTP requests answered, by status class.\n"
		     "# TYPE pinetboot_http_requests_total counter\n");
	static const char *const cls[] = { "other", "1xx", "2xx", "3xx", "4xx", "5xx" };
	for (size_t i = 0; i < 6; i++)
		jb_printf(j, "pinetboot_http_requests_total{code=\"%s\"} %llu\n", cls[i],
			  (unsigned long long)h->requests[i]);
	jb_printf(j, "# HELP pinetboot_http_request_seconds Time to answer an HTTP request.\n"
		     "# TYPE pinetboot_http_request_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t i = 0; i < FLEET_HIST_BUCKETS; i++) {
		cum += h->latency.count[i];
		if (i < FLEET_HIST_BUCKETS - 1)
			jb_printf(j, "pinetboot_http_request_seconds_bucket{le=\"%g\"} %llu\n", fleet_hist_bounds[i],
				  (unsigned long long)cum);
		else
			jb_printf(j, "pinetboot_http_request_seconds_bucket{le=\"+Inf\"} %llu\n",
				  (unsigned long long)cum);
	}
	jb_printf(j, "pinetboot_http_request_seconds_sum %.6f\npinetboot_http_request_seconds_count %llu\n",
		  h->latency.sum, (unsigned long long)h->latency.n);
	jb_printf(j, "# HELP pinetboot_http_event_streams Open server-sent event streams.\n"
		     "# TYPE pinetboot_http_event_streams gauge\npinetboot_http_event_streams %u\n", h->n_streams);
}
