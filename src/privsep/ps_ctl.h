/* ps_ctl.h - the control socket of a running `pinetboot serve`:
 * DATA/pinetboot.sock, a SOCK_SEQPACKET socket owned by root, mode 0600,
 * served by the root parent. `add`, `reset` and `remove` use it to have
 * the running server mount or let go of a client's root; one request and
 * one PS_REPLY per connection (ps_msg.h).
 *
 * Owns: the socket's path and the client side. Must not touch: what the
 * requests do (daemon/privsep_parent.c). */
#ifndef PINETBOOT_PRIVSEP_PS_CTL_H
#define PINETBOOT_PRIVSEP_PS_CTL_H

#include <stddef.h>

#include "privsep/ps_msg.h"

#define PS_CTL_NAME "pinetboot.sock"

/* DATA/pinetboot.sock into buf; -ENAMETOOLONG if it does not fit a
 * sockaddr_un. */
int ps_ctl_path(const char *data_dir, char *buf, size_t cap);
/* Encode m and send it on fd (a SOCK_SEQPACKET socket) without blocking
 * and without SIGPIPE: 0 or -errno (-EINVAL: m would not parse). */
int ps_send(int fd, const struct ps_msg *m);
/* Send req to the server of data_dir and wait up to timeout_ms for its
 * reply. 0 (reply filled; its status may be an error), -ENOENT or
 * -ECONNREFUSED (no server with privilege separation runs there), or
 * another -errno. */
int ps_ctl_request(const char *data_dir, const struct ps_msg *req, struct ps_msg *reply, int timeout_ms);

#endif
