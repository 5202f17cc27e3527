/* tftp_server.h - the TFTP server: requests on the listening port, every
 * transfer's DATA/ACK traffic on one shared data socket (one server TID
 * for all transfers, a distinct client port per transfer), batched with
 * recvmmsg/sendmmsg, driven by the event loop. Read-only. The protocol of
 * one transfer is tftp_xfer.h; this is its socket shell.
 *
 * Owns: the TFTP server's interface to the daemon. Must not touch: the daemon's registry (hooks only).
 */
#ifndef PINETBOOT_TFTP_SERVER_H
#define PINETBOOT_TFTP_SERVER_H

#include <stdint.h>

#include "core/ev.h"
#include "core/events.h"
#include "core/net.h"
#include "tftp/tftp_fs.h"

struct tftp_limits {
	unsigned max_transfers;
	unsigned max_per_client;
	unsigned max_blksize;
	unsigned max_window;
	unsigned min_rto_ms;
	unsigned give_up_s;
};

struct tftp_stats {
	uint64_t requests, transfers_ok, transfers_failed, not_found, denied;
	uint64_t bytes_sent, packets_sent, retransmits;
	unsigned active, peak_active;
};

struct tftp_server;

/* listen_fd: bound to the TFTP port; data_fd: bound to an ephemeral port;
 * both with IP_PKTINFO. boot_fd / clients_fd: directory fds (O_PATH is
 * fine) of DATA/boot and DATA/clients (-1 if absent). The server owns
 * none of the fds. bus (may be NULL) receives boot events. ifs is consulted on every request (only listed
 * interfaces are served) and must outlive the server. */
struct tftp_server *tftp_server_new(struct ev_loop *loop, int listen_fd, int data_fd,
				    int boot_fd, int clients_fd, const struct net_ifaces *ifs,
				    const struct tftp_limits *lim, const struct tftp_hooks *hooks,
				    struct event_bus *bus);
void tftp_server_set_limits(struct tftp_server *s, const struct tftp_limits *lim);
const struct tftp_stats *tftp_server_stats(const struct tftp_server *s);
/* Abort every transfer and free the server. NULL is a no-op. */
void tftp_server_free(struct tftp_server *s);

#endif
