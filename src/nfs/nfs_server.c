/* nfs_server.c - the NFS server assembled: opens the ports (NFS, and the
 * portmapper or a registration with the system's rpcbind), loads the
 * handle key, and wires the parts together: transport (nfs_conn.c) ->
 * dispatch (nfs_dispatch.c, with the export table and access rule of
 * nfs_exports.c) -> worker pool (nfs_worker.c) -> transport. Owns the
 * lifetime of all of them and the counters; no protocol logic here. */
#include "nfs/nfs_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "core/net.h"
#include "nfs/fh_cache.h"
#include "nfs/nfs_conn.h"
#include "nfs/nfs_dispatch.h"
#include "nfs/nfs_exports.h"
#include "nfs/nfs_worker.h"
#include "nfs/portmap.h"

struct nfs_server {
	struct ev_loop *loop;
	struct nfs_config cfg;
	struct nfs_stats stats;
	int tcp_fd, udp_fd, pm_tcp_fd, pm_udp_fd;
	bool pmap_registered;
	int dead_fd;             /* what released roots point at (nfs_server_release) */
	struct fh_cache *cache;
	struct nfs_exports x;
	struct nfs_dispatch d;
	struct nfs_pool pool;
	struct nfs_transport t;
};

/* ------------------------------------------------------------ wiring */

static void on_call(void *ctx, const struct nfs_origin *o, uint8_t *msg, size_t len)
{
	struct nfs_server *s = ctx;
	nfs_dispatch_call(&s->d, o, ev_now(s->loop), msg, len);
}

static void io_reply(void *ctx, const struct nfs_origin *o, uint8_t *buf, size_t len)
{
	nfs_transport_reply(o, buf, len);
}

static void io_submit(void *ctx, struct nfs_job *j)
{
	struct nfs_server *s = ctx;
	nfs_transport_job_start(&s->t, &j->o);
	nfs_pool_submit(&s->pool, j);
}

static void io_authorise(void *ctx, const struct nfs_origin *o)
{
	struct nfs_server *s = ctx;
	nfs_transport_authorise(&s->t, o);
}

static void pool_run(void *ctx, struct nfs_job *j)
{
	struct nfs_server *s = ctx;
	nfs_dispatch_run(&s->d, j);
}

static void pool_deliver(void *ctx, struct nfs_job *j)
{
	struct nfs_server *s = ctx;
	nfs_dispatch_done(&s->d, j);
	nfs_transport_job_end(&s->t, &j->o);
	nfs_dispatch_job_put(&s->d, j);
}

static void pool_drop(void *ctx, struct nfs_job *j)
{
	struct nfs_server *s = ctx;
	nfs_transport_job_end(&s->t, &j->o);
	nfs_dispatch_job_put(&s->d, j);
}

/* ------------------------------------------------------------ setup */

void nfs_ports_init(struct nfs_ports *p)
{
	p->tcp = p->udp = p->pm_tcp = p->pm_udp = -1;
	p->pmap_registered = false;
}

void nfs_ports_close(struct nfs_ports *p)
{
	int fds[] = { p->tcp, p->udp, p->pm_tcp, p->pm_udp };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	nfs_ports_init(p);
}

/* Our own portmapper, or (port 111 taken by a system rpcbind) our
 * programs registered with that one (RFC 1833 §3.2 SET), or neither. */
static void open_portmap(const struct nfs_config *cfg, struct nfs_ports *p)
{
	unsigned port = cfg->portmap_port;
	if (!port)
		return;
	p->pm_tcp = nfs_tcp_listen((uint16_t)port);
	p->pm_udp = net_udp_socket(htonl(INADDR_ANY), (uint16_t)port, false);
	if (p->pm_tcp == -EADDRINUSE || p->pm_udp == -EADDRINUSE) {
		if (p->pm_tcp >= 0)
			close(p->pm_tcp);
		if (p->pm_udp >= 0)
			close(p->pm_udp);
		p->pm_tcp = p->pm_udp = -1;
		if (port == 111)
			p->pmap_registered = portmap_register(cfg->nfs_port, true);
	} else if (p->pm_tcp < 0 || p->pm_udp < 0) {
		log_warn("nfs", "no portmapper on port %u: %s; clients need port=%u,mountport=%u", port,
			 strerror(-(p->pm_tcp < 0 ? p->pm_tcp : p->pm_udp)), cfg->nfs_port, cfg->nfs_port);
		if (p->pm_tcp >= 0)
			close(p->pm_tcp);
		if (p->pm_udp >= 0)
			close(p->pm_udp);
		p->pm_tcp = p->pm_udp = -1;
	}
}

int nfs_server_open_ports(const struct nfs_config *cfg, struct nfs_ports *p)
{
	unsigned port = cfg->nfs_port;
	nfs_ports_init(p);
	p->tcp = nfs_tcp_listen((uint16_t)port);
	p->udp = net_udp_socket(htonl(INADDR_ANY), (uint16_t)port, false);
	if (p->tcp < 0 || p->udp < 0) {
		int e = p->tcp < 0 ? p->tcp : p->udp;
		log_error("nfs", "cannot open NFS port %u: %s%s", port, strerror(-e),
			  e == -EADDRINUSE ? " (is nfs-kernel-server running? stop it, or use --nfs off)" : "");
		nfs_ports_close(p);
		return e;
	}
	open_portmap(cfg, p);
	return 0;
}

/* Connections plus cached handles need more descriptors than the usual
 * soft limit of 1024: take the hard limit. Returns the handle cache's
 * share of it. */
static size_t raise_fd_limit(const struct nfs_server *s)
{
	struct rlimit rl;
	size_t slots = 4096;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		rlim_t other = (rlim_t)s->cfg.max_conns + NFS_UNAUTH_MAX + 512;
		rlim_t spare = rl.rlim_cur > other ? rl.rlim_cur - other : 0;
		if (spare < slots)
			slots = spare > 64 ? (size_t)spare : 64;
	}
	return slots;
}

static int start_serving(struct nfs_server *s)
{
	nfs_transport_init(&s->t, s->loop, s->cfg.max_conns, &s->stats, on_call, s);
	nfs_dispatch_init(&s->d);
	s->d.x = &s->x;
	s->d.ports.nfs = (uint16_t)s->cfg.nfs_port;
	s->d.ports.pmap = (uint16_t)s->cfg.portmap_port;
	s->d.cache = s->cache;
	s->d.stats = &s->stats;
	s->d.io = (struct nfs_dispatch_io){ io_reply, io_submit, io_authorise, s };
	/* RFC 1813 §3.3.7: a new verifier on every start makes clients
	 * resend UNSTABLE data that a crash may have lost. */
	randombytes_buf(s->d.verf, sizeof(s->d.verf));
	int tfds[] = { s->tcp_fd, s->pm_tcp_fd }, ufds[] = { s->udp_fd, s->pm_udp_fd };
	for (int i = 0; i < 2; i++) {
		if (tfds[i] >= 0 && nfs_transport_listen(&s->t, tfds[i]) < 0)
			return -EIO;
		if (ufds[i] >= 0 && nfs_transport_udp(&s->t, ufds[i]) < 0)
			return -EIO;
	}
	return nfs_pool_start(&s->pool, s->loop, s->cfg.workers, pool_run, pool_deliver, s);
}

const struct nfs_stats *nfs_server_stats(const struct nfs_server *s)
{
	return &s->stats;
}

struct nfs_server *nfs_server_new(struct ev_loop *loop, int data_fd, int clients_fd,
				  const struct nfs_config *cfg, const struct nfs_ports *ports,
				  const struct nfs_hooks *hooks, struct event_bus *bus)
{
	struct nfs_server *s = calloc(1, sizeof(*s));
	if (!s) {
		struct nfs_ports p = *ports;
		nfs_ports_close(&p);
		log_error("nfs", "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->cfg = *cfg;
	if (s->cfg.workers < 1)
		s->cfg.workers = 1;
	if (s->cfg.max_conns < 1)
		s->cfg.max_conns = 1;
	s->tcp_fd = ports->tcp;
	s->udp_fd = ports->udp;
	s->pm_tcp_fd = ports->pm_tcp;
	s->pm_udp_fd = ports->pm_udp;
	s->pmap_registered = ports->pmap_registered;
	s->dead_fd = eventfd(0, EFD_CLOEXEC);
	uint8_t key[FH_KEY_LEN];
	int r = fh_key_load(data_fd, key);
	if (r < 0) {
		log_error("nfs", "cannot read or create the handle key (DATA/handle.key): %s", strerror(-r));
		goto fail;
	}
	nfs_exports_init(&s->x, clients_fd, hooks, bus, &s->stats, key);
	sodium_memzero(key, sizeof(key));
	if (s->dead_fd < 0) {
		log_error("nfs", "eventfd: %s", strerror(errno));
		goto fail;
	}
	s->cache = fh_cache_new(raise_fd_limit(s));
	if (!s->cache || start_serving(s) < 0)
		goto fail;
	log_info("nfs", "NFSv3 on port %u (tcp+udp), portmapper %s, %zu workers, up to %u connections "
		 "(+%u not yet authorised)",
		 cfg->nfs_port, s->pm_tcp_fd >= 0 ? "on" : s->pmap_registered ? "registered with rpcbind" : "off",
		 s->pool.nthr, s->cfg.max_conns, NFS_UNAUTH_MAX);
	return s;
fail:
	nfs_server_free(s);
	return NULL;
}

void nfs_server_free(struct nfs_server *s)
{
	if (!s)
		return;
	nfs_pool_stop(&s->pool, pool_drop);
	nfs_transport_fini(&s->t);
	if (s->pmap_registered)
		portmap_register(s->cfg.nfs_port, false);
	int fds[] = { s->tcp_fd, s->udp_fd, s->pm_tcp_fd, s->pm_udp_fd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] >= 0) {
			ev_io_del(s->loop, fds[i]);
			close(fds[i]);
		}
	}
	fh_cache_free(s->cache);
	nfs_exports_fini(&s->x);
	if (s->dead_fd >= 0)
		close(s->dead_fd);
	nfs_dispatch_fini(&s->d);
	free(s);
}

void nfs_server_release(struct nfs_server *s, const char *id)
{
	struct nfs_export *ex[2];
	if (!s)
		return;
	size_t n = nfs_exports_release(&s->x, id, s->dead_fd, ex);
	for (size_t i = 0; i < n; i++)
		fh_cache_purge_export(s->cache, ex[i]);
	log_info("nfs", "%s: released (%zu export%s, cached handles closed)", id, n, n == 1 ? "" : "s");
}
