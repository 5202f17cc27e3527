/* privsep_parent.c - `pinetboot serve` as root, OpenBSD style (README,
 * "Privileges"): this small parent opens the sockets, keeps the Pis'
 * overlay roots mounted and runs `pinetboot add` for the API; everything
 * that reads a packet runs in a child as the `user` of pinetboot.conf
 * (default _pinetboot) with PS_CHILD_CAPS and a seccomp filter. The
 * parent holds no network socket while the child runs (it re-opens them
 * to restart a child that died), and parses only ps_msg messages: from
 * its child over a socketpair, from root's CLI over DATA/pinetboot.sock.
 *
 * Owns: the child's life (start, restart with back-off, stop), mounts on
 * behalf of the child and the CLI. Must not touch: packets, the services. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sdnotify.h"
#include "daemon/daemon.h"
#include "privsep/ps_ctl.h"
#include "privsep/ps_msg.h"
#include "privsep/ps_priv.h"
#include "provision/provision.h"

#define RESTART_MIN_MS 1000u
#define RESTART_MAX_MS 30000u
#define STABLE_MS 30000u      /* a child that lived this long restarts at once */
#define STOP_WAIT_MS 20000u   /* SIGTERM -> SIGKILL */
#define ASK_MS 10000          /* the child's answer to RELOAD/RELEASE */

struct parent {
	struct daemon *d;
	uid_t uid;
	gid_t gid;
	sigset_t oldmask;
	int sigfd, ctl_fd, ps_fd;
	pid_t self, child;
	bool child_ready, ever_ready, stopping;
	int rc;
	uint64_t started_ms, restart_at_ms, kill_at_ms;
	unsigned backoff_ms;
	char ctl_path[108];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ the child */

static void run_child(struct parent *p, int fd) __attribute__((noreturn));
static void run_child(struct parent *p, int fd)
{
	struct daemon *d = p->d;
	char err[256], caps[256];
	close(p->sigfd);
	if (p->ctl_fd >= 0)
		close(p->ctl_fd);
	sigprocmask(SIG_SETMASK, &p->oldmask, NULL);
	/* systemd's watchdog is fed from the child's event loop. */
	const char *wp = getenv("WATCHDOG_PID");
	if (wp && strtol(wp, NULL, 10) == (long)getppid()) {
		char me[24];
		snprintf(me, sizeof(me), "%ld", (long)getpid());
		setenv("WATCHDOG_PID", me, 1);
	}
	d->ps_fd = fd;
	d->mounts_managed = true;
	if (ps_drop_privileges(p->uid, p->gid, err, sizeof(err)) < 0 || ps_install_filter(err, sizeof(err)) < 0) {
		log_error("serve", "cannot drop privileges: %s", err);
		_exit(1);
	}
	if (getppid() != p->self) /* died before PR_SET_PDEATHSIG was set */
		_exit(1);
	ps_test_hook_arm();
	ps_caps_text(caps, sizeof(caps));
	log_info("serve", "serving as %s (uid %u, gid %u), capabilities %s, system-call filter on", d->cfg.user,
		 (unsigned)p->uid, (unsigned)p->gid, caps);
	int rc = serve_run(d);
	/* _exit: atexit handlers are the parent's business (in sanitizer
	 * builds the leak check would need ptrace, outside the filter). */
	fflush(NULL);
	_exit(rc);
}

static int start_child(struct parent *p)
{
	int sv[2];
	if (serve_open_socks(p->d) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		log_error("serve", "socketpair: %s", strerror(errno));
		serve_socks_close(&p->d->socks);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_error("serve", "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		serve_socks_close(&p->d->socks);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		run_child(p, sv[1]);
	}
	close(sv[1]);
	/* The ports are the child's alone. */
	serve_socks_close(&p->d->socks);
	p->ps_fd = sv[0];
	p->child = pid;
	p->child_ready = false;
	p->started_ms = now_ms();
	log_info("serve", "root process %ld keeps the mounts; serving process %ld started", (long)getpid(),
		 (long)pid);
	return 0;
}

static void child_exited(struct parent *p, int st)
{
	char how[96];
	if (WIFEXITED(st))
		snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(st));
	else
		snprintf(how, sizeof(how), "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	pid_t pid = p->child;
	p->child = 0;
	if (p->ps_fd >= 0)
		close(p->ps_fd);
	p->ps_fd = -1;
	if (p->stopping) {
		log_info("serve", "serving process %ld %s", (long)pid, how);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			p->rc = 1;
		return;
	}
	if (!p->ever_ready || (WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		/* It never served (a configuration it refuses), or it was
		 * stopped on purpose: so do we. */
		if (p->ever_ready)
			log_info("serve", "serving process %ld %s; stopping", (long)pid, how);
		else
			log_error("serve", "serving process %ld %s before it served; stopping", (long)pid, how);
		p->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
		p->stopping = true;
		return;
	}
	uint64_t lived = now_ms() - p->started_ms;
	p->backoff_ms = lived >= STABLE_MS ? RESTART_MIN_MS
		      : p->backoff_ms * 2 > RESTART_MAX_MS ? RESTART_MAX_MS : p->backoff_ms * 2;
	if (p->backoff_ms < RESTART_MIN_MS)
		p->backoff_ms = RESTART_MIN_MS / 2; /* doubled before the first restart */
	p->restart_at_ms = now_ms() + p->backoff_ms;
	log_error("serve", "serving process %ld %s after %llu s; restarting it in %u ms (Pis' NFS mounts retry)",
		  (long)pid, how, (unsigned long long)(lived / 1000), p->backoff_ms);
	sd_notify_send("STATUS=restarting the serving process");
}

/* ------------------------------------------------------------ messages */

static int send_to(int fd, const struct ps_msg *m)
{
	return ps_send(fd, m);
}

static void child_message(struct parent *p, const struct ps_msg *m)
{
	struct ps_msg r;
	switch (m->op) {
	case PS_READY:
		p->child_ready = p->ever_ready = true;
		return;
	case PS_REGISTER: {
		int e = daemon_spawn_add(p->d->cfg.data_dir, m->id, m->image, m->name[0] ? m->name : NULL, getpid());
		ps_msg_reply(&r, e, e < 0 ? "cannot start pinetboot add %s" : "pinetboot add %s started", m->id);
		break;
	}
	case PS_REPLY:
		if (m->status)
			log_warn("serve", "serving process: %s (%s)", m->text, strerror((int)m->status));
		return;
	default:
		log_warn("serve", "serving process sent %s, which it may not; ignored", ps_op_name(m->op));
		return;
	}
	if (p->ps_fd >= 0 && send_to(p->ps_fd, &r) < 0)
		log_warn("serve", "cannot answer the serving process: %s", strerror(errno));
}

/* One datagram from the child: 1 handled, 0 nothing there, -1 gone. */
static int read_child(struct parent *p, struct ps_msg *out)
{
	uint8_t buf[PS_MSG_MAX + 1];
	ssize_t n = recv(p->ps_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	if (ps_msg_parse(buf, (size_t)n, out) < 0) {
		log_warn("serve", "malformed message (%zd bytes) from the serving process; dropped", n);
		out->op = 0;
	}
	return 1;
}

static void on_child_readable(struct parent *p)
{
	struct ps_msg m;
	for (int k = 0; k < 16; k++) {
		int r = read_child(p, &m);
		if (r < 0) {
			close(p->ps_fd); /* it is exiting: SIGCHLD follows */
			p->ps_fd = -1;
			return;
		}
		if (r == 0)
			return;
		if (m.op)
			child_message(p, &m);
	}
}

/* Ask the child and wait for its REPLY (other messages are handled as
 * they come). 0 with reply, or -errno. */
static int ask_child(struct parent *p, const struct ps_msg *req, struct ps_msg *reply)
{
	if (!p->child || p->ps_fd < 0 || !p->child_ready)
		return -ESRCH;
	int r = send_to(p->ps_fd, req);
	if (r < 0)
		return r;
	uint64_t end = now_ms() + ASK_MS;
	while (p->ps_fd >= 0) {
		uint64_t now = now_ms();
		if (now >= end)
			return -ETIMEDOUT;
		struct pollfd pf = { p->ps_fd, POLLIN, 0 };
		if (poll(&pf, 1, (int)(end - now)) <= 0)
			continue;
		r = read_child(p, reply);
		if (r < 0) {
			close(p->ps_fd);
			p->ps_fd = -1;
			return -EPIPE;
		}
		if (r == 0 || !reply->op)
			continue;
		if (reply->op == PS_REPLY)
			return 0;
		child_message(p, reply);
	}
	return -EPIPE;
}

/* SIGHUP or a CLI RELOAD: mount what was added, then the child re-reads. */
static int reload_all(struct parent *p, struct ps_msg *reply)
{
	struct ps_msg req, r;
	provision_mount_all(p->d->cfg.data_dir);
	ps_msg_simple(&req, PS_RELOAD, NULL);
	int e = ask_child(p, &req, &r);
	if (e < 0)
		log_warn("serve", "reload: the serving process did not answer: %s", strerror(-e));
	if (reply)
		*reply = r;
	return e;
}

/* ------------------------------------------------------------ control socket */

static int open_control(struct parent *p)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (ps_ctl_path(p->d->cfg.data_dir, sa.sun_path, sizeof(sa.sun_path)) < 0) {
		log_warn("serve", "data dir path too long for %s: add/reset/remove will ask for a SIGHUP instead",
			 PS_CTL_NAME);
		return -1;
	}
	struct ps_msg ping, r;
	ps_msg_simple(&ping, PS_PING, NULL);
	if (ps_ctl_request(p->d->cfg.data_dir, &ping, &r, 2000) == 0) {
		log_error("serve", "another pinetboot serve is running on %s (%s)", p->d->cfg.data_dir, r.text);
		return -2;
	}
	unlink(sa.sun_path);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old = umask(077);
	int ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && chmod(sa.sun_path, 0600) == 0 &&
		 listen(fd, 8) == 0;
	umask(old);
	if (!ok) {
		log_warn("serve", "control socket %s: %s", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(p->ctl_path, sizeof(p->ctl_path), "%s", sa.sun_path);
	return fd;
}

static void control_request(struct parent *p, const struct ps_msg *m, struct ps_msg *r)
{
	char err[512] = "";
	struct ps_msg req;
	int e;
	switch (m->op) {
	case PS_PING:
		ps_msg_reply(r, 0, "root process %ld, serving process %ld", (long)getpid(), (long)p->child);
		return;
	case PS_RELOAD:
		e = reload_all(p, r);
		if (e < 0)
			ps_msg_reply(r, e, "mounted; the serving process did not reload");
		return;
	case PS_MOUNT:
		e = provision_mount_client(p->d->cfg.data_dir, m->id, err, sizeof(err));
		if (e < 0) {
			log_error("serve", "%s: %s", m->id, err);
			ps_msg_reply(r, e, "%s", err);
			return;
		}
		ps_msg_simple(&req, PS_RELOAD, NULL);
		e = ask_child(p, &req, r);
		if (e < 0)
			ps_msg_reply(r, e, "%s mounted; the serving process did not reload", m->id);
		else
			ps_msg_reply(r, 0, "%s mounted and served", m->id);
		log_info("serve", "%s: %s (asked by pinetboot on this host)", m->id, r->text);
		return;
	case PS_RELEASE:
		ps_msg_simple(&req, PS_RELEASE, m->id);
		e = ask_child(p, &req, r);
		if (e < 0 && e != -ESRCH) {
			ps_msg_reply(r, e, "the serving process did not let go of %s", m->id);
			return;
		}
		e = provision_unmount_client(p->d->cfg.data_dir, m->id);
		if (e < 0)
			ps_msg_reply(r, e, "%s is still mounted", m->id);
		else if (e == 1) /* not an error: the Pi's own files are gone from view */
			ps_msg_reply(r, 0, "%s released; its root was busy and is detached lazily", m->id);
		else
			ps_msg_reply(r, 0, "%s released and unmounted", m->id);
		log_info("serve", "%s: %s (asked by pinetboot on this host)", m->id, r->text);
		return;
	default:
		ps_msg_reply(r, EINVAL, "%s is not a control request", ps_op_name(m->op));
		return;
	}
}

static void on_control(struct parent *p)
{
	int fd = accept4(p->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct ucred cr = { 0, (uid_t)-1, (gid_t)-1 };
	socklen_t cl = sizeof(cr);
	struct ps_msg m, r;
	uint8_t buf[PS_MSG_MAX + 1];
	struct pollfd pf = { fd, POLLIN, 0 };
	/* The request is read in every case, so a refusal reaches its
	 * sender instead of a connection reset. */
	if (poll(&pf, 1, 2000) <= 0) {
		close(fd);
		return;
	}
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.uid != 0) {
		log_warn("serve", "control request from uid %ld refused: only root may control the server",
			 (long)cr.uid);
		ps_msg_reply(&r, EPERM, "only root may control the server");
	} else {
		if (n <= 0 || ps_msg_parse(buf, (size_t)n, &m) < 0) {
			log_warn("serve", "malformed control request (%zd bytes); refused", n);
			ps_msg_reply(&r, EINVAL, "malformed request");
		} else {
			control_request(p, &m, &r);
		}
	}
	send_to(fd, &r);
	close(fd);
}

/* ------------------------------------------------------------ the loop */

static void on_signal(struct parent *p)
{
	struct signalfd_siginfo si;
	while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			int st;
			pid_t pid;
			while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
				if (pid == p->child)
					child_exited(p, st);
		} else if (si.ssi_signo == SIGHUP) {
			if (p->child)
				reload_all(p, NULL);
		} else if (!p->stopping) {
			log_info("serve", "stopping (signal %u)", si.ssi_signo);
			sd_notify_send("STOPPING=1");
			p->stopping = true;
			if (p->child) {
				kill(p->child, SIGTERM);
				p->kill_at_ms = now_ms() + STOP_WAIT_MS;
			}
		}
	}
}

static void loop(struct parent *p)
{
	while (!(p->stopping && !p->child)) {
		int timeout = -1;
		uint64_t now = now_ms();
		if (!p->child && !p->stopping)
			timeout = p->restart_at_ms > now ? (int)(p->restart_at_ms - now) : 0;
		if (p->stopping && p->child)
			timeout = p->kill_at_ms > now ? (int)(p->kill_at_ms - now) : 0;
		struct pollfd pf[3] = { { p->sigfd, POLLIN, 0 }, { p->ps_fd, POLLIN, 0 }, { p->ctl_fd, POLLIN, 0 } };
		int r = poll(pf, 3, timeout);
		if (r < 0 && errno != EINTR) {
			log_error("serve", "poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pf[0].revents & POLLIN))
			on_signal(p);
		if (r > 0 && p->ps_fd >= 0 && pf[1].fd == p->ps_fd && (pf[1].revents & (POLLIN | POLLHUP)))
			on_child_readable(p);
		if (r > 0 && p->ctl_fd >= 0 && (pf[2].revents & POLLIN))
			on_control(p);
		now = now_ms();
		if (p->stopping && p->child && now >= p->kill_at_ms) {
			log_warn("serve", "serving process %ld did not stop; killing it", (long)p->child);
			kill(p->child, SIGKILL);
			p->kill_at_ms = now + STOP_WAIT_MS;
		}
		if (!p->child && !p->stopping && now >= p->restart_at_ms && start_child(p) < 0) {
			p->backoff_ms = p->backoff_ms * 2 > RESTART_MAX_MS ? RESTART_MAX_MS : p->backoff_ms * 2;
			p->restart_at_ms = now + p->backoff_ms;
			log_error("serve", "cannot restart the serving process; trying again in %u ms", p->backoff_ms);
		}
	}
}

int privsep_serve(struct daemon *d, uid_t uid, gid_t gid)
{
	struct parent pp, *p = &pp;
	memset(p, 0, sizeof(*p));
	p->d = d;
	p->uid = uid;
	p->gid = gid;
	p->ps_fd = -1;
	p->self = getpid();
	p->backoff_ms = RESTART_MIN_MS / 2; /* doubled before the first restart */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &p->oldmask) < 0 ||
	    (p->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		log_error("serve", "signalfd: %s", strerror(errno));
		return 1;
	}
	p->ctl_fd = open_control(p);
	if (p->ctl_fd == -2) {
		close(p->sigfd);
		return 1;
	}
	d->mounts_managed = true;
	serve_mount_roots(d);
	if (start_child(p) < 0) {
		p->rc = 1;
	} else {
		loop(p);
	}
	provision_unmount_all(d->cfg.data_dir);
	if (p->ctl_fd >= 0) {
		close(p->ctl_fd);
		unlink(p->ctl_path);
	}
	close(p->sigfd);
	return p->rc;
}
