/* fleet_sse.c - GET /api/events as server-sent events. A stream replays
 * from the event ring (?since=N or Last-Event-ID), then suspends its MHD
 * connection while there is nothing to send; fleet_sse_wake_all resumes
 * it on a new event or the keepalive tick. Each event is rendered once
 * into a frame shared by every stream.
 *
 * Owns: struct sse, the frames cache, the keepalive comment. Must not
 * touch: routing and access (fleet_http.c), the fleet model's insides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/net.h"
#include "fleet/fleet_http_internal.h"

struct sse {
	struct sse *next, **pprev;
	struct fleet_http *h;
	struct MHD_Connection *conn;
	uint64_t next_seq;
	uint64_t last_send_ms;
	bool suspended;
	char buf[SSE_BUF];
	size_t len, off;
};

static void sse_resume(struct sse *s)
{
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
}

void fleet_sse_wake_all(struct fleet_http *h)
{
	for (struct sse *s = h->streams; s; s = s->next)
		sse_resume(s);
}

void fleet_sse_free_frames(struct fleet_http *h)
{
	for (size_t i = 0; i < SSE_FRAMES; i++)
		free(h->frames[i].p);
}

/* The frame of event seq, rendered on first use: with many streams an
 * event is formatted once, not once per stream (its "client" part is the
 * Pi as it was then, for every stream). NULL if the event is gone
 * or does not fit a stream's buffer. */
static const struct sse_frame *sse_frame(struct fleet_http *h, uint64_t seq)
{
	struct sse_frame *fr = &h->frames[seq % SSE_FRAMES];
	if (fr->p && fr->seq == seq)
		return fr;
	const struct fleet_event *fe = fleet_event_at(h->f, seq);
	if (!fe)
		return NULL;
	struct jbuf j;
	jb_init(&j, SSE_BUF);
	jb_printf(&j, "id: %llu\nevent: boot\ndata: ", (unsigned long long)seq);
	fleet_json_event(h->f, fe, &j);
	jb_append(&j, "\n\n", 2);
	if (j.err) {
		jb_free(&j);
		return NULL;
	}
	free(fr->p);
	fr->seq = seq;
	fr->p = j.p; /* the frame keeps the buffer */
	fr->len = j.len;
	return fr;
}

static void sse_fill(struct sse *s)
{
	struct fleet_http *h = s->h;
	uint64_t first = fleet_first_seq(h->f);
	s->len = s->off = 0;
	if (s->next_seq < first)
		s->next_seq = first; /* fell behind the ring: skip what is gone */
	while (s->next_seq <= fleet_last_seq(h->f)) {
		const struct sse_frame *fr = sse_frame(h, s->next_seq);
		if (fr) {
			if (s->len + fr->len > sizeof(s->buf))
				break; /* the rest next time (a frame always fits an empty buffer) */
			memcpy(s->buf + s->len, fr->p, fr->len);
			s->len += fr->len;
		}
		s->next_seq++;
	}
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	struct fleet_http *h = s->h;
	if (h->stopping)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (s->off == s->len)
		sse_fill(s);
	uint64_t now = ev_now(h->hk.loop);
	if (s->off == s->len && now - s->last_send_ms >= SSE_KEEPALIVE_MS) {
		/* A comment line: keeps proxies and our idle timeout from
		 * closing a quiet stream, and finds dead peers. */
		s->len = (size_t)snprintf(s->buf, sizeof(s->buf), ": keepalive\n\n");
		s->off = 0;
	}
	if (s->off == s->len) {
		/* Nothing to send: returning 0 alone would make MHD poll us
		 * in a busy loop; suspend until an event or the keepalive. */
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		return 0;
	}
	size_t n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	s->last_send_ms = now;
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse *s = cls;
	if (s->next)
		s->next->pprev = s->pprev;
	*s->pprev = s->next;
	s->h->n_streams--;
	free(s);
}

enum MHD_Result fleet_sse_start(struct req *r)
{
	struct fleet_http *h = r->h;
	if (h->n_streams >= FLEET_HTTP_MAX_SSE)
		return fleet_http_send_error(r, 503, "too many event streams");
	struct sse *s = calloc(1, sizeof(*s));
	if (!s)
		return fleet_http_send_error(r, 503, "out of memory");
	s->h = h;
	s->conn = r->conn;
	s->next_seq = fleet_last_seq(h->f) + 1;
	/* ?since=N or Last-Event-ID: replay from the ring first. */
	const char *since = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "since");
	const char *last = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Last-Event-ID");
	const char *from = since ? since : last;
	uint64_t v;
	/* Digits only (no sign or blanks), and never past the next event:
	 * a far-future id must not leave the stream silent for ever. */
	if (from && parse_uint(from, UINT64_MAX - 1, &v) == 0 && (since ? v : v + 1) < s->next_seq)
		s->next_seq = since ? v : v + 1;
	s->last_send_ms = 0; /* first call sends a keepalive comment right away */
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, sse_read, s, sse_free);
	if (!resp) {
		free(s);
		return MHD_NO;
	}
	s->next = h->streams;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &h->streams;
	h->streams = s;
	h->n_streams++;
	MHD_add_response_header(resp, "Content-Type", "text/event-stream");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	enum MHD_Result ret = MHD_queue_response(r->conn, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}
