/* portmap.c - a minimal portmapper v2 (RFC 1833 §3): NULL, GETPORT, DUMP
 * for the programs pinetboot serves itself (NFS v3, MOUNT v1-3, PMAP v2),
 * so the kernel's nfsroot and klibc nfsmount find port 2049 without a
 * system rpcbind. SET/UNSET from others are refused: we are not a general
 * registry. (port=2049,mountport=2049 in nfsroot= skips the lookup.) The
 * ports come in as values (portmap.h); must not call back into the server
 * or touch its sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/log.h"
#include "nfs/nfs3.h"
#include "nfs/portmap.h"
#include "nfs/xdr.h"

enum { PMAPPROC_NULL, PMAPPROC_SET, PMAPPROC_UNSET, PMAPPROC_GETPORT, PMAPPROC_DUMP };
enum { IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17 };

static const struct {
	uint32_t prog, vers;
	bool pmap;      /* port is the portmapper's, else the NFS port */
} maps[] = {
	{ NFS_PROGRAM, 3, false },
	{ MOUNT_PROGRAM, 1, false },
	{ MOUNT_PROGRAM, 3, false },
	{ PMAP_PROGRAM, 2, true },
};

static uint32_t port_of(const struct portmap_ports *ports, size_t i)
{
	return maps[i].pmap ? ports->pmap : ports->nfs;
}

int portmap_decode_mapping(const uint8_t *p, size_t len, struct pmap_mapping *m)
{
	struct rd r = rd_init(p, len);
	m->prog = xdr_u32(&r);
	m->vers = xdr_u32(&r);
	m->prot = xdr_u32(&r);
	m->port = xdr_u32(&r);
	return r.err ? -EBADMSG : 0;
}

void portmap_handle(const struct portmap_ports *ports, const struct rpc_call *call, struct wr *w)
{
	if (call->vers != PMAP_V2) {
		/* rpcbind v3/v4 callers fall back to v2 on PROG_MISMATCH. */
		rpc_put_prog_mismatch(w, call->xid, 2, 2);
		return;
	}
	switch (call->proc) {
	case PMAPPROC_NULL:
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		break;
	case PMAPPROC_SET:
	case PMAPPROC_UNSET:
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		xdr_put_u32(w, 0);
		break;
	case PMAPPROC_GETPORT: {
		struct pmap_mapping m;
		if (portmap_decode_mapping(call->args, call->args_len, &m) < 0) {
			rpc_put_accepted(w, call->xid, RPC_GARBAGE_ARGS);
			return;
		}
		uint32_t port = 0;
		for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
			if (maps[i].prog == m.prog && maps[i].vers == m.vers &&
			    (m.prot == IPPROTO_TCP_ || m.prot == IPPROTO_UDP_))
				port = port_of(ports, i);
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		xdr_put_u32(w, port);
		break;
	}
	case PMAPPROC_DUMP:
		rpc_put_accepted(w, call->xid, RPC_SUCCESS);
		for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
			for (uint32_t prot = 0; prot < 2; prot++) {
				xdr_put_u32(w, 1);
				xdr_put_u32(w, maps[i].prog);
				xdr_put_u32(w, maps[i].vers);
				xdr_put_u32(w, prot ? IPPROTO_UDP_ : IPPROTO_TCP_);
				xdr_put_u32(w, port_of(ports, i));
			}
		}
		xdr_put_u32(w, 0);
		break;
	default:
		rpc_put_accepted(w, call->xid, RPC_PROC_UNAVAIL);
		break;
	}
}

/* A system rpcbind owns port 111: register our programs with it
 * (PMAPPROC_SET, RFC 1833 §3.2) over UDP on loopback, best effort. */
bool portmap_register(unsigned nfs_port, bool set)
{
	static const uint32_t progs[][2] = { { NFS_PROGRAM, 3 }, { MOUNT_PROGRAM, 1 }, { MOUNT_PROGRAM, 3 } };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct timeval tv = { 0, 300000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(111),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int ok = 0;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		for (uint32_t prot = 6; prot <= 17; prot += 11) {
			uint8_t buf[96], in[64];
			struct wr w = wr_init(buf, sizeof(buf));
			xdr_put_u32(&w, (uint32_t)(i * 2 + prot) ^ 0x706e6200u);
			xdr_put_u32(&w, RPC_CALL);
			xdr_put_u32(&w, RPC_VERSION);
			xdr_put_u32(&w, PMAP_PROGRAM);
			xdr_put_u32(&w, PMAP_V2);
			xdr_put_u32(&w, set ? 1 : 2);
			xdr_put_u32(&w, AUTH_NONE);
			xdr_put_u32(&w, 0);
			xdr_put_u32(&w, AUTH_NONE);
			xdr_put_u32(&w, 0);
			xdr_put_u32(&w, progs[i][0]);
			xdr_put_u32(&w, progs[i][1]);
			xdr_put_u32(&w, prot);
			xdr_put_u32(&w, nfs_port);
			if (sendto(fd, buf, w.off, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
				continue;
			ssize_t n = recv(fd, in, sizeof(in), 0);
			if (n >= 28 && in[27] == 1)
				ok++;
		}
	}
	close(fd);
	if (set)
		log_info("nfs", "port %u is taken (system rpcbind?): registered %d mappings with it", 111u, ok);
	return set;
}
