/* privsep_child.c - the serving child's end of its socketpair with the
 * root parent (README, "Privileges"). The parent asks: RELOAD (after it
 * mounted what SIGHUP, `add` or `reset` brought), RELEASE id (before it
 * unmounts a client for `reset`/`remove`); the child asks: REGISTER (the
 * API's register, which needs root to mount). Every message passes
 * ps_msg_parse; anything else is logged and dropped.
 *
 * Owns: the child's side of the protocol. Must not touch: mounts,
 * processes (the parent has them). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "privsep/ps_ctl.h"
#include "privsep/ps_msg.h"

static int send_msg(struct daemon *d, const struct ps_msg *m)
{
	return ps_send(d->ps_fd, m);
}

static void handle(struct daemon *d, const struct ps_msg *m)
{
	struct ps_msg r;
	switch (m->op) {
	case PS_RELOAD:
		serve_reload(d);
		ps_msg_reply(&r, 0, "reloaded: %zu registered clients", d->clients.n);
		break;
	case PS_RELEASE:
		serve_release_client(d, m->id);
		ps_msg_reply(&r, 0, "%s released", m->id);
		break;
	case PS_PING:
		ps_msg_reply(&r, 0, "serving %zu registered clients", d->clients.n);
		break;
	case PS_REPLY:
		/* The parent's answer to a REGISTER. */
		if (m->status)
			log_error("serve", "the root process refused: %s (%s)", m->text, strerror((int)m->status));
		return;
	default:
		log_warn("serve", "unexpected %s from the root process; ignored", ps_op_name(m->op));
		return;
	}
	if (send_msg(d, &r) < 0)
		log_warn("serve", "cannot answer the root process: %s", strerror(errno));
}

static void on_parent(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct daemon *d = arg;
	uint8_t buf[PS_MSG_MAX + 1];
	for (int k = 0; k < 16; k++) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* The parent is gone: nobody keeps our mounts or
			 * restarts us. Stop cleanly. */
			log_error("serve", "the root process is gone; stopping");
			ev_io_del(loop, fd);
			ev_loop_stop(loop);
			return;
		}
		struct ps_msg m;
		if (ps_msg_parse(buf, (size_t)n, &m) < 0) {
			log_warn("serve", "malformed message (%zd bytes) from the root process; dropped", n);
			continue;
		}
		handle(d, &m);
	}
}

int privsep_child_start(struct daemon *d)
{
	if (ev_io_add(d->loop, d->ps_fd, EV_READ, on_parent, d) < 0) {
		log_error("serve", "cannot watch the root process's socket: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void privsep_child_ready(struct daemon *d)
{
	struct ps_msg m;
	ps_msg_simple(&m, PS_READY, NULL);
	if (send_msg(d, &m) < 0)
		log_warn("serve", "cannot tell the root process we serve: %s", strerror(errno));
}

int privsep_child_register(struct daemon *d, const char *id, const char *image, const char *name)
{
	struct ps_msg m;
	ps_msg_simple(&m, PS_REGISTER, id);
	snprintf(m.image, sizeof(m.image), "%s", image);
	if (name)
		snprintf(m.name, sizeof(m.name), "%s", name);
	return send_msg(d, &m);
}
