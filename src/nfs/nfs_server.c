/* nfs_server.c - sockets, connections and the worker pool of the NFS
 * server. The event loop thread owns every socket, parses RPC headers,
 * runs the access rule and answers MOUNT/portmap itself; NFS procedures go
 * to worker threads (blocking file I/O never stalls the loop) and their
 * replies come back through an eventfd, in completion order: a TCP
 * connection may get replies out of order, as RFC 5531 allows. */
#include "nfs/nfs_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "nfs/fh_cache.h"
#include "nfs/nfs3.h"
#include "nfs/xdr.h"

#define CONN_MAX_INFLIGHT 32          /* requests per connection on workers */
#define CONN_MAX_OUT (8u << 20)       /* queued reply bytes before we stop reading */
/* Server-wide bounds: a client that sends READs and never reads the
 * replies is stopped by the per-connection bounds; many such clients by
 * these. A connection with nothing queued may always send one more call. */
#define SERVER_MAX_OUT (256u << 20)
#define SERVER_MAX_JOBS 4096
#define ACCESS_CACHE_MS 2000
#define ACCESS_CACHE_N 4
#define EXPORTS_MAX 8192
#define MOUNTS_MAX 512
#define SYNC_REPLY_MAX 65536
#define READ_CHUNK (256u << 10)
/* Connections that have not passed an access check yet (issue 9): their
 * own small pool, so a flood of them only ever pushes out each other and
 * never a Pi that is working. */
#define UNAUTH_MAX 32

struct outbuf {
	struct outbuf *next;
	uint8_t *data;
	size_t len, off;
};

struct access_entry {
	const struct nfs_export *ex;
	int result;
	uint64_t until;
};

struct nfs_conn {
	struct nfs_server *s;
	int fd;
	uint32_t addr;
	struct rpc_rec rec;
	struct outbuf *out_head, *out_tail;
	size_t out_bytes;
	unsigned inflight;
	int refs;                 /* the socket + each job in flight */
	bool dead;
	bool authed;              /* a call passed the access rule (or MNT did) */
	unsigned events;          /* what we currently poll for */
	struct nfs_conn *prev, *next; /* in its LRU list: head is the least recently active */
	uint64_t last_ms;
	struct access_entry ac[ACCESS_CACHE_N];
};

struct nfs_job {
	struct nfs_job *next;
	struct nfs_conn *conn;    /* NULL for UDP */
	int udp_fd;
	struct sockaddr_in peer;
	struct net_pkt_info pi;
	struct rpc_call call;
	uint8_t *msg;             /* the whole call record, owned */
	const struct nfs_export *ex;
	uint8_t *reply;           /* 4 bytes of record mark, then the reply */
	size_t reply_len;
	int init_read;
};

/* Connections of one class, least recently active first. */
struct conn_list {
	struct nfs_conn *head, *tail;
	size_t n;
};

struct mount_entry {
	uint32_t addr;
	char path[40];
};

struct nfs_server {
	struct ev_loop *loop;
	struct event_bus *bus;
	struct nfs_hooks hooks;
	struct nfs_config cfg;
	struct nfs_stats stats;
	int data_fd, clients_fd;
	int tcp_fd, udp_fd, pm_tcp_fd, pm_udp_fd, efd;
	bool pmap_registered;
	uint8_t key[FH_KEY_LEN];
	uint8_t verf[8];

	struct nfs_export **ex;
	size_t nex;
	int *old_roots;
	size_t nold;

	struct conn_list authed;  /* up to cfg.max_conns */
	struct conn_list unauth;  /* up to UNAUTH_MAX */
	size_t out_total;         /* reply bytes queued on all connections */
	uint64_t deny_log_ms;     /* refusal log/event rate limit */
	unsigned deny_quiet;      /* refusals not logged since */
	size_t jobs_total;        /* calls on the workers (loop's count) */

	struct mount_entry mounts[MOUNTS_MAX];
	size_t nmounts;

	pthread_t *thr;
	size_t nthr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct nfs_job *q_head, *q_tail;
	struct nfs_job *done;
	bool stop;

	struct fh_cache *cache;
	struct nfs3_args inline_args;   /* loop thread only */
	uint8_t rbuf[READ_CHUNK];
};

/* ------------------------------------------------------------ exports */

static void export_find_init(struct nfs_export *ex)
{
	static const char *const init_paths[2] = { "sbin/init", "lib/systemd/systemd" };
	for (int i = 0; i < 2; i++) {
		/* RESOLVE_IN_ROOT: the root's absolute symlinks (sbin -> /usr/sbin,
		 * init -> /lib/systemd/systemd) resolve inside the export. */
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
		int fd = (int)syscall(SYS_openat2, ex->root_fd, init_paths[i], &how, sizeof(how));
		struct stat st;
		ex->init_ino[i] = 0;
		if (fd >= 0 && fstat(fd, &st) == 0) {
			ex->init_dev[i] = st.st_dev;
			ex->init_ino[i] = st.st_ino;
		}
		if (fd >= 0)
			close(fd);
	}
	atomic_store(&ex->init_pending, true);
}

static int open_export_root(struct nfs_server *s, const char *id, int kind, struct stat *st)
{
	char rel[40];
	snprintf(rel, sizeof(rel), "%s/%s", id, kind == FH_KIND_BOOT ? "boot" : "root");
	/* open_by_handle_at refuses an O_PATH mount fd (EBADF). */
	int fd = openat(s->clients_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, st) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

struct nfs_export *nfs_server_export(struct nfs_server *s, const char *id, int kind, bool refresh)
{
	uint8_t eid[FH_EID_LEN];
	struct stat st;
	if (fh_export_id(id, kind, eid) < 0)
		return NULL;
	for (size_t i = 0; i < s->nex; i++) {
		struct nfs_export *ex = s->ex[i];
		if (memcmp(ex->eid, eid, FH_EID_LEN) != 0)
			continue;
		if (refresh) {
			int fd = open_export_root(s, id, kind, &st);
			if (fd < 0)
				return NULL;
			if (st.st_dev == ex->dev && st.st_ino == ex->ino) {
				close(fd);
			} else {
				/* Re-provisioned: workers may still use the old fd,
				 * so keep it open until the server goes away. */
				int *n = realloc(s->old_roots, (s->nold + 1) * sizeof(*n));
				if (!n) {
					close(fd);
					return NULL;
				}
				s->old_roots = n;
				s->old_roots[s->nold++] = ex->root_fd;
				ex->root_fd = fd;
				ex->dev = st.st_dev;
				ex->ino = st.st_ino;
			}
			export_find_init(ex);
		}
		return ex;
	}
	if (s->nex >= EXPORTS_MAX)
		return NULL;
	int fd = open_export_root(s, id, kind, &st);
	if (fd < 0)
		return NULL;
	struct nfs_export **v = realloc(s->ex, (s->nex + 1) * sizeof(*v));
	struct nfs_export *ex = calloc(1, sizeof(*ex));
	if (v)
		s->ex = v;
	if (!v || !ex) {
		free(ex);
		close(fd);
		return NULL;
	}
	snprintf(ex->id, sizeof(ex->id), "%s", id);
	ex->kind = kind;
	memcpy(ex->eid, eid, FH_EID_LEN);
	snprintf(ex->path, sizeof(ex->path), "%s/%s", kind == FH_KIND_BOOT ? "/boot" : "/clients", id);
	ex->root_fd = fd;
	ex->dev = st.st_dev;
	ex->ino = st.st_ino;
	export_find_init(ex);
	if (!refresh)
		atomic_store(&ex->init_pending, false);
	s->ex[s->nex++] = ex;
	return ex;
}

const uint8_t *nfs_server_key(const struct nfs_server *s)
{
	return s->key;
}

uint16_t nfs_server_port(const struct nfs_server *s)
{
	return (uint16_t)s->cfg.nfs_port;
}

uint16_t nfs_server_pmap_port(const struct nfs_server *s)
{
	return (uint16_t)s->cfg.portmap_port;
}

size_t nfs_server_ids(struct nfs_server *s, uint32_t addr, char (*ids)[18], size_t max)
{
	/* 0.0.0.0 is nobody's address (a forged UDP source could carry it,
	 * and a Pi with no binding has bound address 0). */
	if (addr == 0 || !s->hooks.ids_for_addr)
		return 0;
	return s->hooks.ids_for_addr(s->hooks.ctx, addr, ids, max);
}

bool nfs_server_is_admin(struct nfs_server *s, uint32_t addr)
{
	return addr != 0 && s->hooks.is_admin && s->hooks.is_admin(s->hooks.ctx, addr);
}

void nfs_server_emit(struct nfs_server *s, int type, const char *id, uint32_t addr, const char *file,
		     const char *detail)
{
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = (enum boot_event_type)type;
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.addr = addr;
	snprintf(e.file, sizeof(e.file), "%s", file);
	snprintf(e.detail, sizeof(e.detail), "%s", detail);
	events_emit(s->bus, &e);
}

int nfs_server_check(struct nfs_server *s, const char *id, uint32_t addr, const char *what)
{
	char why[160] = "";
	int r = s->hooks.access ? s->hooks.access(s->hooks.ctx, id, addr, why, sizeof(why)) : -1;
	if (r < 0) {
		char a[16];
		uint64_t now = ev_now(s->loop);
		s->stats.denied++;
		/* At most ten lines a second: a flood of refused UDP calls
		 * must not flood the log or the fleet view. */
		if (now - s->deny_log_ms < 100 && s->deny_log_ms) {
			s->deny_quiet++;
			return r;
		}
		s->deny_log_ms = now;
		log_warn("nfs", "%s: refused %s: %s%s", id, what, why[0] ? why : net_ntoa(addr, a),
			 s->deny_quiet ? " (and more refusals not logged)" : "");
		s->deny_quiet = 0;
		nfs_server_emit(s, BEV_NFS_DENIED, id, addr, what, why);
	}
	return r;
}

void nfs_server_mount_note(struct nfs_server *s, uint32_t addr, const char *path, bool add)
{
	for (size_t i = 0; i < s->nmounts;) {
		if (s->mounts[i].addr == addr && (!path || !strcmp(s->mounts[i].path, path)))
			s->mounts[i] = s->mounts[--s->nmounts];
		else
			i++;
	}
	if (add && path && s->nmounts < MOUNTS_MAX) {
		s->mounts[s->nmounts].addr = addr;
		snprintf(s->mounts[s->nmounts].path, sizeof(s->mounts[0].path), "%s", path);
		s->nmounts++;
	}
}

size_t nfs_server_mount_list(struct nfs_server *s, size_t i, uint32_t *addr, const char **path)
{
	if (i >= s->nmounts)
		return 0;
	*addr = s->mounts[i].addr;
	*path = s->mounts[i].path;
	return 1;
}

/* ------------------------------------------------------------ workers */

static void job_free(struct nfs_job *j)
{
	if (!j)
		return;
	free(j->msg);
	free(j->reply);
	free(j);
}

/* Run one NFS call on a worker thread: decode, execute, encode. */
static void job_run(struct nfs_server *s, struct nfs_job *j)
{
	struct nfs3_args *a = malloc(sizeof(*a));
	size_t cap = 4 + RPC_REPLY_HDR + 64;
	bool ok = a && nfs3_decode(j->call.proc, j->call.args, j->call.args_len, a) == 0;
	if (ok)
		cap += nfs3_reply_cap(j->call.proc, a, j->conn == NULL);
	j->reply = malloc(cap);
	if (!j->reply) {
		free(a);
		return;
	}
	struct wr w = wr_init(j->reply + 4, cap - 4);
	if (!ok) {
		rpc_put_accepted(&w, j->call.xid, RPC_GARBAGE_ARGS);
	} else {
		struct nfs3_ctx c = {
			.ex = j->ex, .cache = s->cache, .key = s->key, .write_verf = s->verf,
			.cred = j->call.cred, .udp = j->conn == NULL,
		};
		rpc_put_accepted(&w, j->call.xid, RPC_SUCCESS);
		if (nfs3_exec(&c, j->call.proc, a, &w) < 0) {
			w = wr_init(j->reply + 4, cap - 4);
			rpc_put_accepted(&w, j->call.xid, RPC_SYSTEM_ERR);
		}
		j->init_read = c.init_read;
	}
	j->reply_len = w.off;
	free(a);
	/* The call (and a WRITE's megabyte) is no longer needed. */
	free(j->msg);
	j->msg = NULL;
}

static void *worker_main(void *arg)
{
	struct nfs_server *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->q_head && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stop)
			break;
		struct nfs_job *j = s->q_head;
		s->q_head = j->next;
		if (!s->q_head)
			s->q_tail = NULL;
		pthread_mutex_unlock(&s->mu);
		job_run(s, j);
		pthread_mutex_lock(&s->mu);
		/* Wake the loop only when the list goes from empty to not
		 * empty: it takes the whole list at once. */
		bool wake = s->done == NULL;
		j->next = s->done;
		s->done = j;
		uint64_t one = 1;
		if (wake && write(s->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; nothing to do */
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void job_submit(struct nfs_server *s, struct nfs_job *j)
{
	pthread_mutex_lock(&s->mu);
	j->next = NULL;
	if (s->q_tail)
		s->q_tail->next = j;
	else
		s->q_head = j;
	s->q_tail = j;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* ------------------------------------------------------------ connections */

static void conn_update_events(struct nfs_conn *c);

static struct conn_list *list_of(struct nfs_server *s, const struct nfs_conn *c)
{
	return c->authed ? &s->authed : &s->unauth;
}

static void lru_unlink(struct nfs_server *s, struct nfs_conn *c)
{
	struct conn_list *l = list_of(s, c);
	if (c->prev)
		c->prev->next = c->next;
	else if (l->head == c)
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else if (l->tail == c)
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static void lru_push(struct nfs_server *s, struct nfs_conn *c)
{
	struct conn_list *l = list_of(s, c);
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

static void conn_unref(struct nfs_conn *c)
{
	if (--c->refs > 0)
		return;
	rpc_rec_free(&c->rec);
	free(c);
}

static void conn_close(struct nfs_conn *c)
{
	struct nfs_server *s = c->s;
	if (c->dead)
		return;
	c->dead = true;
	ev_io_del(s->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	lru_unlink(s, c);
	while (c->out_head) {
		struct outbuf *o = c->out_head;
		c->out_head = o->next;
		free(o->data);
		free(o);
	}
	c->out_tail = NULL;
	s->out_total -= c->out_bytes;
	c->out_bytes = 0;
	rpc_rec_free(&c->rec);
	conn_unref(c);
}

/* Write queued replies; returns false when the connection was closed. */
static bool conn_flush(struct nfs_conn *c)
{
	while (c->out_head) {
		struct iovec iov[64];
		int n = 0;
		for (struct outbuf *o = c->out_head; o && n < 64; o = o->next, n++) {
			iov[n].iov_base = o->data + o->off;
			iov[n].iov_len = o->len - o->off;
		}
		ssize_t w = writev(c->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return false;
		}
		c->out_bytes -= (size_t)w;
		c->s->out_total -= (size_t)w;
		while (w > 0) {
			struct outbuf *o = c->out_head;
			size_t left = o->len - o->off;
			if ((size_t)w < left) {
				o->off += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			c->out_head = o->next;
			free(o->data);
			free(o);
		}
		if (!c->out_head)
			c->out_tail = NULL;
	}
	conn_update_events(c);
	return true;
}

/* Queue a reply whose first 4 bytes are reserved for the record mark;
 * takes ownership of buf. */
static void conn_send(struct nfs_conn *c, uint8_t *buf, size_t len)
{
	struct outbuf *o = malloc(sizeof(*o));
	if (!o || c->dead) {
		free(o);
		free(buf);
		return;
	}
	uint32_t mark = 0x80000000u | (uint32_t)(len - 4);
	buf[0] = (uint8_t)(mark >> 24);
	buf[1] = (uint8_t)(mark >> 16);
	buf[2] = (uint8_t)(mark >> 8);
	buf[3] = (uint8_t)mark;
	o->data = buf;
	o->len = len;
	o->off = 0;
	o->next = NULL;
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += len;
	c->s->out_total += len;
	conn_flush(c);
}

static void on_conn(struct ev_loop *loop, int fd, unsigned events, void *arg);

/* Read while the connection is not saturated; write when replies wait. */
static void conn_update_events(struct nfs_conn *c)
{
	if (c->dead)
		return;
	struct nfs_server *s = c->s;
	unsigned ev = 0;
	if (c->inflight < CONN_MAX_INFLIGHT && c->out_bytes < CONN_MAX_OUT &&
	    (s->out_total < SERVER_MAX_OUT || c->out_bytes == 0) &&
	    (s->jobs_total < SERVER_MAX_JOBS || c->inflight == 0))
		ev |= EV_READ;
	if (c->out_head)
		ev |= EV_WRITE;
	if (ev != c->events) {
		ev_io_mod(c->s->loop, c->fd, ev);
		c->events = ev;
	}
}

/* Make room in list l by closing its least recently active connection,
 * preferring one with nothing in flight among the oldest few. */
static void conn_evict_from(struct nfs_server *s, struct conn_list *l)
{
	struct nfs_conn *v = l->head;
	int i = 0;
	for (struct nfs_conn *x = l->head; x && i < 16; x = x->next, i++)
		if (x->inflight == 0) {
			v = x;
			break;
		}
	if (v) {
		s->stats.evicted++;
		conn_close(v);
	}
}

/* The connection carried a call the access rule allowed: it leaves the
 * small pool of unchecked connections for the Pis' pool, where only
 * another authorised connection can push it out. */
static void conn_authorise(struct nfs_server *s, struct nfs_conn *c)
{
	if (!c || c->authed || c->dead)
		return;
	lru_unlink(s, c);
	if (s->authed.n >= s->cfg.max_conns)
		conn_evict_from(s, &s->authed);
	c->authed = true;
	lru_push(s, c);
}

/* ------------------------------------------------------------ dispatch */

/* Words of zeros after the status in a failure reply of each procedure
 * (post_op_attr = 1, wcc_data = 2), so the loop can refuse a call in the
 * right shape without running it. */
static const uint8_t fail_words[NFS3_PROC_MAX] = {
	[NFS3_GETATTR] = 0, [NFS3_SETATTR] = 2, [NFS3_LOOKUP] = 1, [NFS3_ACCESS] = 1,
	[NFS3_READLINK] = 1, [NFS3_READ] = 1, [NFS3_WRITE] = 2, [NFS3_CREATE] = 2,
	[NFS3_MKDIR] = 2, [NFS3_SYMLINK] = 2, [NFS3_MKNOD] = 2, [NFS3_REMOVE] = 2,
	[NFS3_RMDIR] = 2, [NFS3_RENAME] = 4, [NFS3_LINK] = 3, [NFS3_READDIR] = 1,
	[NFS3_READDIRPLUS] = 1, [NFS3_FSSTAT] = 1, [NFS3_FSINFO] = 1, [NFS3_PATHCONF] = 1,
	[NFS3_COMMIT] = 2,
};

static void put_nfs_fail(struct wr *w, uint32_t xid, uint32_t proc, uint32_t stat)
{
	rpc_put_accepted(w, xid, RPC_SUCCESS);
	xdr_put_u32(w, stat);
	for (unsigned i = 0; i < fail_words[proc]; i++)
		xdr_put_u32(w, 0);
}

/* Which export does the call's first handle claim, and may the caller use
 * it? Returns NFS3_OK with *ret_ex set, or the status to refuse with. A
 * structurally broken handle passes with *ret_ex NULL: the worker answers
 * BADHANDLE in the procedure's own reply shape. */
static uint32_t check_call(struct nfs_server *s, struct nfs_conn *c, const struct rpc_call *call,
			   uint32_t addr, const struct nfs_export **ret_ex)
{
	struct rd r = rd_init(call->args, call->args_len);
	uint32_t len;
	uint8_t eid[FH_EID_LEN];
	char id[18];
	int kind;
	*ret_ex = NULL;
	const uint8_t *fh = xdr_opaque(&r, FH_MAX, &len);
	if (!fh || fh_peek_export(fh, len, eid) < 0)
		return NFS3_OK;
	if (fh_export_str(eid, id, &kind) < 0)
		return NFS3ERR_BADHANDLE;
	uint64_t now = ev_now(s->loop);
	struct nfs_export *ex = NULL;
	for (size_t i = 0; i < s->nex && !ex; i++)
		if (!memcmp(s->ex[i]->eid, eid, FH_EID_LEN))
			ex = s->ex[i];
	if (c && ex) {
		for (int i = 0; i < ACCESS_CACHE_N; i++) {
			struct access_entry *e = &c->ac[i];
			if (e->ex == ex && e->until > now) {
				*ret_ex = ex;
				return e->result > 0 ? NFS3_OK : e->result == 0 ? NFS3ERR_STALE : NFS3ERR_ACCES;
			}
		}
	}
	char what[64];
	snprintf(what, sizeof(what), "NFS %s on %s", nfs3_proc_name(call->proc),
		 kind == FH_KIND_BOOT ? "/boot" : "/clients");
	int res = nfs_server_check(s, id, addr, what);
	if (res > 0 && !ex)
		ex = nfs_server_export(s, id, kind, false);
	if (res > 0 && !ex)
		res = 0;
	if (c && ex) {
		/* Replace the entry that expires first. */
		struct access_entry *e = &c->ac[0];
		for (int i = 1; i < ACCESS_CACHE_N; i++)
			if (c->ac[i].until < e->until)
				e = &c->ac[i];
		e->ex = ex;
		e->result = res;
		e->until = now + ACCESS_CACHE_MS;
	}
	*ret_ex = ex;
	return res > 0 ? NFS3_OK : res == 0 ? NFS3ERR_STALE : NFS3ERR_ACCES;
}

static void send_udp(struct nfs_server *s, int fd, const struct sockaddr_in *peer, const struct net_pkt_info *pi,
		     const uint8_t *p, size_t len)
{
	ssize_t r = net_send(fd, p, len, peer, pi->ifindex, pi->local_addr);
	if (r < 0)
		log_debug("nfs", "udp reply: %s", strerror((int)-r));
}

/* Procedures the loop may answer itself when everything they need is in
 * memory (a cached handle, a cached dentry): the common GETATTR/LOOKUP of
 * a booting Pi then costs no thread hand-off at all. */
static const bool inline_procs[NFS3_PROC_MAX] = {
	[NFS3_GETATTR] = true, [NFS3_ACCESS] = true, [NFS3_LOOKUP] = true,
	[NFS3_FSINFO] = true,  [NFS3_PATHCONF] = true, [NFS3_READ] = true,
};

static void emit_init_read(struct nfs_server *s, const struct nfs_export *ex, uint32_t addr, int which)
{
	static const char *const names[2] = { "/sbin/init", "/lib/systemd/systemd" };
	char a[16];
	log_info("nfs", "%s: %s reads %s", ex->id, net_ntoa(addr, a), names[which - 1]);
	nfs_server_emit(s, BEV_NFS_INIT_READ, ex->id, addr, names[which - 1], ex->path);
}

static bool try_inline(struct nfs_server *s, struct nfs_conn *c, int udp_fd, const struct sockaddr_in *peer,
		       const struct net_pkt_info *pi, const struct rpc_call *call, const struct nfs_export *ex)
{
	struct nfs3_args *a = &s->inline_args;
	if (!ex || nfs3_decode(call->proc, call->args, call->args_len, a) < 0)
		return false;
	size_t cap = 4 + RPC_REPLY_HDR + 64 + nfs3_reply_cap(call->proc, a, c == NULL);
	uint8_t *buf = malloc(cap);
	if (!buf)
		return false;
	struct wr w = wr_init(buf + 4, cap - 4);
	struct nfs3_ctx x = {
		.ex = ex, .cache = s->cache, .key = s->key, .write_verf = s->verf, .cred = call->cred,
		.udp = c == NULL, .nonblock = true,
	};
	rpc_put_accepted(&w, call->xid, RPC_SUCCESS);
	if (nfs3_exec(&x, call->proc, a, &w) < 0 || x.would_block) {
		free(buf);
		return false;
	}
	if (x.init_read)
		emit_init_read(s, ex, peer->sin_addr.s_addr, x.init_read);
	if (c) {
		conn_send(c, buf, w.off + 4);
	} else {
		send_udp(s, udp_fd, peer, pi, buf + 4, w.off);
		free(buf);
	}
	return true;
}

/* Handle one call record; takes ownership of msg. conn is NULL for UDP. */
static void handle_call(struct nfs_server *s, struct nfs_conn *c, int udp_fd, const struct sockaddr_in *peer,
			const struct net_pkt_info *pi, uint8_t *msg, size_t len)
{
	struct rpc_call call;
	uint32_t addr = peer->sin_addr.s_addr;
	int r = rpc_parse_call(msg, len, &call);
	if (r == -EBADMSG) {
		s->stats.garbage++;
		free(msg);
		return;
	}
	s->stats.calls++;
	if (r == 0 && call.prog == NFS_PROGRAM && call.vers == NFS_V3 && call.proc > NFS3_NULL &&
	    call.proc < NFS3_PROC_MAX) {
		const struct nfs_export *ex;
		uint32_t st = check_call(s, c, &call, addr, &ex);
		if (st == NFS3_OK && ex)
			conn_authorise(s, c);
		if (st == NFS3_OK && inline_procs[call.proc] && try_inline(s, c, udp_fd, peer, pi, &call, ex)) {
			free(msg);
			return;
		}
		if (st == NFS3_OK) {
			struct nfs_job *j = calloc(1, sizeof(*j));
			if (!j) {
				free(msg);
				return;
			}
			j->conn = c;
			j->udp_fd = udp_fd;
			j->peer = *peer;
			if (pi)
				j->pi = *pi;
			j->call = call;
			j->msg = msg;
			j->ex = ex;
			if (c) {
				c->refs++;
				c->inflight++;
				conn_update_events(c);
			}
			s->jobs_total++;
			job_submit(s, j);
			return;
		}
		uint8_t buf[128];
		struct wr w = wr_init(buf + 4, sizeof(buf) - 4);
		put_nfs_fail(&w, call.xid, call.proc, st);
		free(msg);
		if (c) {
			uint8_t *o = malloc(w.off + 4);
			if (o) {
				memcpy(o, buf, w.off + 4);
				conn_send(c, o, w.off + 4);
			}
		} else {
			send_udp(s, udp_fd, peer, pi, buf + 4, w.off);
		}
		return;
	}
	/* Everything else is answered here, synchronously. */
	uint8_t *out = malloc(SYNC_REPLY_MAX);
	if (!out) {
		free(msg);
		return;
	}
	struct wr w = wr_init(out + 4, SYNC_REPLY_MAX - 4);
	if (r == -EPROTO) {
		rpc_put_rpc_mismatch(&w, call.xid);
	} else if (r == -EACCES) {
		rpc_put_auth_error(&w, call.xid, AUTH_BADCRED);
	} else if (call.prog == NFS_PROGRAM) {
		if (call.vers != NFS_V3)
			rpc_put_prog_mismatch(&w, call.xid, NFS_V3, NFS_V3);
		else if (call.proc == NFS3_NULL)
			rpc_put_accepted(&w, call.xid, RPC_SUCCESS);
		else
			rpc_put_accepted(&w, call.xid, RPC_PROC_UNAVAIL);
	} else if (call.prog == MOUNT_PROGRAM) {
		if (mount3_handle(s, &call, addr, &w))
			conn_authorise(s, c);
	} else if (call.prog == PMAP_PROGRAM) {
		portmap_handle(s, &call, &w);
	} else {
		/* NFSACL (100227) is pinged by the kernel during mount and
		 * must hear PROG_UNAVAIL, not silence; so must anything else. */
		rpc_put_accepted(&w, call.xid, RPC_PROG_UNAVAIL);
	}
	free(msg);
	if (w.err) {
		w = wr_init(out + 4, SYNC_REPLY_MAX - 4);
		rpc_put_accepted(&w, call.xid, RPC_SYSTEM_ERR);
	}
	if (c) {
		uint8_t *shrunk = realloc(out, w.off + 4);
		conn_send(c, shrunk ? shrunk : out, w.off + 4);
	} else {
		send_udp(s, udp_fd, peer, pi, out + 4, w.off);
		free(out);
	}
}

static void on_done(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_server *s = arg;
	uint64_t v;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("nfs", "eventfd: %s", strerror(errno));
	pthread_mutex_lock(&s->mu);
	struct nfs_job *list = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->mu);
	while (list) {
		struct nfs_job *j = list;
		list = j->next;
		s->jobs_total--;
		if (j->init_read && j->ex)
			emit_init_read(s, j->ex, j->peer.sin_addr.s_addr, j->init_read);
		if (j->conn) {
			struct nfs_conn *c = j->conn;
			c->inflight--;
			if (j->reply && !c->dead) {
				conn_send(c, j->reply, j->reply_len + 4);
				j->reply = NULL;
			}
			conn_update_events(c);
			conn_unref(c);
		} else if (j->reply) {
			send_udp(s, j->udp_fd, &j->peer, &j->pi, j->reply + 4, j->reply_len);
		}
		job_free(j);
	}
}

static void on_conn(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_conn *c = arg;
	struct nfs_server *s = c->s;
	if ((events & EV_WRITE) && !conn_flush(c))
		return;
	if (!(events & EV_READ) || c->dead)
		return;
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = c->addr };
	size_t want;
	uint8_t *direct = rpc_rec_space(&c->rec, &want);
	if (direct && want >= 4096) {
		/* The body of a big fragment (a WRITE): straight into the
		 * record, no copy through rbuf. */
		ssize_t k = read(fd, direct, want);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (k < 0)
			return;
		c->last_ms = ev_now(loop);
		lru_unlink(s, c);
		lru_push(s, c);
		if (rpc_rec_advance(&c->rec, (size_t)k) == 1) {
			size_t len;
			uint8_t *msg = rpc_rec_take(&c->rec, &len);
			c->refs++;
			handle_call(s, c, -1, &peer, NULL, msg, len);
			conn_unref(c);
		}
		return;
	}
	ssize_t n = read(fd, s->rbuf, sizeof(s->rbuf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->last_ms = ev_now(loop);
	lru_unlink(s, c);
	lru_push(s, c);
	size_t off = 0;
	c->refs++; /* keep c alive while records are handled */
	while (off < (size_t)n && !c->dead) {
		size_t used;
		int r = rpc_rec_feed(&c->rec, s->rbuf + off, (size_t)n - off, &used);
		off += used;
		if (r < 0) {
			char a[16];
			log_info("nfs", "%s: closing connection: %s", net_ntoa(c->addr, a),
				 r == -EMSGSIZE ? "record larger than the limit" : strerror(-r));
			conn_close(c);
			break;
		}
		if (r == 1) {
			size_t len;
			uint8_t *msg = rpc_rec_take(&c->rec, &len);
			handle_call(s, c, -1, &peer, NULL, msg, len);
		}
	}
	conn_unref(c);
}

static void on_accept(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_server *s = arg;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		int cfd = accept4(fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		/* A new connection is unchecked: it may only push out the
		 * oldest unchecked one, never an authorised Pi's. */
		if (s->unauth.n >= UNAUTH_MAX)
			conn_evict_from(s, &s->unauth);
		struct nfs_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(cfd);
			continue;
		}
		int one = 1;
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->s = s;
		c->fd = cfd;
		c->addr = peer.sin_addr.s_addr;
		c->refs = 1;
		c->events = EV_READ;
		c->last_ms = ev_now(loop);
		rpc_rec_init(&c->rec, NFS_RECORD_MAX);
		if (ev_io_add(loop, cfd, EV_READ, on_conn, c) < 0) {
			close(cfd);
			free(c);
			continue;
		}
		lru_push(s, c);
	}
}

static void on_udp(struct ev_loop *loop, int fd, unsigned events, void *arg)
{
	struct nfs_server *s = arg;
	for (int k = 0; k < 64; k++) {
		struct sockaddr_in peer;
		struct net_pkt_info pi;
		ssize_t n = net_recv(fd, s->rbuf, 65536, &peer, &pi);
		if (n < 0)
			return;
		uint8_t *msg = malloc((size_t)n ? (size_t)n : 1);
		if (!msg)
			return;
		memcpy(msg, s->rbuf, (size_t)n);
		handle_call(s, NULL, fd, &peer, &pi, msg, (size_t)n);
	}
}

/* ------------------------------------------------------------ setup */

static int tcp_listen(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

const struct nfs_stats *nfs_server_stats(const struct nfs_server *s)
{
	return &s->stats;
}

struct nfs_server *nfs_server_new(struct ev_loop *loop, int data_fd, int clients_fd,
				  const struct nfs_config *cfg, const struct nfs_hooks *hooks,
				  struct event_bus *bus)
{
	struct nfs_server *s = calloc(1, sizeof(*s));
	if (!s) {
		log_error("nfs", "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->bus = bus;
	s->hooks = *hooks;
	s->cfg = *cfg;
	if (s->cfg.workers < 1)
		s->cfg.workers = 1;
	if (s->cfg.max_conns < 1)
		s->cfg.max_conns = 1;
	s->data_fd = data_fd;
	s->clients_fd = clients_fd;
	s->tcp_fd = s->udp_fd = s->pm_tcp_fd = s->pm_udp_fd = s->efd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	int r = fh_key_load(data_fd, s->key);
	if (r < 0) {
		log_error("nfs", "cannot read or create the handle key (DATA/handle.key): %s", strerror(-r));
		goto fail;
	}
	/* RFC 1813 §3.3.7: a new verifier on every start makes clients
	 * resend UNSTABLE data that a crash may have lost. */
	randombytes_buf(s->verf, sizeof(s->verf));

	s->tcp_fd = tcp_listen((uint16_t)cfg->nfs_port);
	s->udp_fd = net_udp_socket(htonl(INADDR_ANY), (uint16_t)cfg->nfs_port, false);
	if (s->tcp_fd < 0 || s->udp_fd < 0) {
		int e = s->tcp_fd < 0 ? s->tcp_fd : s->udp_fd;
		log_error("nfs", "cannot open NFS port %u: %s%s", cfg->nfs_port, strerror(-e),
			  e == -EADDRINUSE ? " (is nfs-kernel-server running? stop it, or use --nfs off)" : "");
		goto fail;
	}
	if (cfg->portmap_port) {
		s->pm_tcp_fd = tcp_listen((uint16_t)cfg->portmap_port);
		s->pm_udp_fd = net_udp_socket(htonl(INADDR_ANY), (uint16_t)cfg->portmap_port, false);
		if (s->pm_tcp_fd == -EADDRINUSE || s->pm_udp_fd == -EADDRINUSE) {
			if (s->pm_tcp_fd >= 0)
				close(s->pm_tcp_fd);
			if (s->pm_udp_fd >= 0)
				close(s->pm_udp_fd);
			s->pm_tcp_fd = s->pm_udp_fd = -1;
			if (cfg->portmap_port == 111)
				s->pmap_registered = portmap_register(s->cfg.nfs_port, true);
		} else if (s->pm_tcp_fd < 0 || s->pm_udp_fd < 0) {
			log_warn("nfs", "no portmapper on port %u: %s; clients need port=%u,mountport=%u",
				 cfg->portmap_port, strerror(-(s->pm_tcp_fd < 0 ? s->pm_tcp_fd : s->pm_udp_fd)),
				 cfg->nfs_port, cfg->nfs_port);
		}
	}
	/* Connections plus cached handles need more descriptors than the
	 * usual soft limit of 1024: take the hard limit. */
	struct rlimit rl;
	size_t slots = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		rlim_t spare = rl.rlim_cur > (rlim_t)s->cfg.max_conns + UNAUTH_MAX + 512
				     ? rl.rlim_cur - s->cfg.max_conns - UNAUTH_MAX - 512 : 0;
		if (spare < slots)
			slots = spare > 64 ? (size_t)spare : 64;
	}
	s->cache = fh_cache_new(slots);
	if (!s->cache)
		goto fail;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0)
		goto fail;
	int fds[] = { s->tcp_fd, s->pm_tcp_fd };
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0 && ev_io_add(loop, fds[i], EV_READ, on_accept, s) < 0)
			goto fail;
	int ufds[] = { s->udp_fd, s->pm_udp_fd };
	for (int i = 0; i < 2; i++)
		if (ufds[i] >= 0 && ev_io_add(loop, ufds[i], EV_READ, on_udp, s) < 0)
			goto fail;
	if (ev_io_add(loop, s->efd, EV_READ, on_done, s) < 0)
		goto fail;

	/* Workers never take signals: the loop gets them through signalfd. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	s->thr = calloc(s->cfg.workers, sizeof(*s->thr));
	for (unsigned i = 0; s->thr && i < s->cfg.workers; i++) {
		if (pthread_create(&s->thr[i], NULL, worker_main, s) != 0)
			break;
		s->nthr++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (s->nthr == 0) {
		log_error("nfs", "cannot start worker threads");
		goto fail;
	}
	log_info("nfs", "NFSv3 on port %u (tcp+udp), portmapper %s, %zu workers, up to %u connections "
		 "(+%u not yet authorised)",
		 cfg->nfs_port, s->pm_tcp_fd >= 0 ? "on" : s->pmap_registered ? "registered with rpcbind" : "off",
		 s->nthr, s->cfg.max_conns, UNAUTH_MAX);
	return s;
fail:
	nfs_server_free(s);
	return NULL;
}

void nfs_server_free(struct nfs_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < s->nthr; i++)
		pthread_join(s->thr[i], NULL);
	free(s->thr);
	/* Jobs never run or never delivered. */
	struct nfs_job *lists[2] = { s->q_head, s->done };
	for (int k = 0; k < 2; k++) {
		while (lists[k]) {
			struct nfs_job *j = lists[k];
			lists[k] = j->next;
			if (j->conn) {
				j->conn->inflight--;
				conn_unref(j->conn);
			}
			job_free(j);
		}
	}
	while (s->authed.head)
		conn_close(s->authed.head);
	while (s->unauth.head)
		conn_close(s->unauth.head);
	if (s->pmap_registered)
		portmap_register(s->cfg.nfs_port, false);
	int fds[] = { s->tcp_fd, s->udp_fd, s->pm_tcp_fd, s->pm_udp_fd, s->efd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] >= 0) {
			ev_io_del(s->loop, fds[i]);
			close(fds[i]);
		}
	}
	fh_cache_free(s->cache);
	for (size_t i = 0; i < s->nex; i++) {
		close(s->ex[i]->root_fd);
		free(s->ex[i]);
	}
	free(s->ex);
	for (size_t i = 0; i < s->nold; i++)
		close(s->old_roots[i]);
	free(s->old_roots);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	sodium_memzero(s->key, sizeof(s->key));
	free(s);
}
