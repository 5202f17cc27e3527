/* ps_ctl.c - client side of the running server's control socket. */
#include "privsep/ps_ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int ps_ctl_path(const char *data_dir, char *buf, size_t cap)
{
	struct sockaddr_un sa;
	int n = snprintf(buf, cap, "%s/%s", data_dir, PS_CTL_NAME);
	if (n < 0 || (size_t)n >= cap || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int ps_send(int fd, const struct ps_msg *m)
{
	uint8_t buf[PS_MSG_MAX];
	int n = ps_msg_encode(m, buf, sizeof(buf));
	if (n < 0)
		return n;
	return send(fd, buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n ? 0 : -errno;
}

int ps_ctl_request(const char *data_dir, const struct ps_msg *req, struct ps_msg *reply, int timeout_ms)
{
	struct sockaddr_un sa;
	uint8_t buf[PS_MSG_MAX + 1];
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	int r = ps_ctl_path(data_dir, sa.sun_path, sizeof(sa.sun_path));
	if (r < 0)
		return r;
	int n = ps_msg_encode(req, buf, sizeof(buf));
	if (n < 0)
		return n;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || send(fd, buf, (size_t)n, MSG_NOSIGNAL) != n) {
		r = -errno;
		close(fd);
		return r;
	}
	struct pollfd p = { fd, POLLIN, 0 };
	r = poll(&p, 1, timeout_ms);
	if (r <= 0) {
		close(fd);
		return r == 0 ? -ETIMEDOUT : -errno;
	}
	ssize_t got = recv(fd, buf, sizeof(buf), 0);
	r = got < 0 ? -errno : got == 0 ? -ECONNRESET : 0;
	close(fd);
	if (r < 0)
		return r;
	if (ps_msg_parse(buf, (size_t)got, reply) < 0 || reply->op != PS_REPLY)
		return -EPROTO;
	return 0;
}
