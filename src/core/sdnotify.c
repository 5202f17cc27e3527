/* sdnotify.c - see sdnotify.h. The socket path may be abstract ("@..."),
 * as systemd's is for system services; the message is sent in one
 * sendto(2) on a fresh SOCK_DGRAM socket, as sd_notify(3) does.
 *
 * Owns: the sd_notify datagram. Must not touch: anything else.
 */
#include "core/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int sd_notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	size_t n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	ssize_t w = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	int e = errno;
	close(fd);
	return w < 0 ? -e : 1;
}

uint64_t sd_watchdog_ms(void)
{
	const char *u = getenv("WATCHDOG_USEC"), *p = getenv("WATCHDOG_PID");
	if (!u)
		return 0;
	if (p && strtol(p, NULL, 10) != (long)getpid())
		return 0;
	char *end;
	unsigned long long usec = strtoull(u, &end, 10);
	if (*end || usec == 0)
		return 0;
	return usec / 1000u ? usec / 1000u : 1;
}

int sd_notify_reloading(void)
{
	struct timespec ts;
	char msg[64];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u);
	return sd_notify_send(msg);
}
