/* test_sdnotify.c - the systemd notify protocol (src/core/sdnotify.c) and
 * the journald priority prefixes of the logger (src/core/log.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/sdnotify.h"

static int bound(const char *path, bool abstract)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	memcpy(sa.sun_path, path, n);
	if (abstract)
		sa.sun_path[0] = '\0';
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
	return fd;
}

static void expect_msg(int fd, const char *want)
{
	char buf[256];
	ssize_t r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_string_equal(buf, want);
}

static void t_notify(void **s)
{
	(void)s;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sd_notify_send("READY=1"), 0); /* no manager: a no-op */
	char path[64];
	snprintf(path, sizeof(path), "/tmp/pnb-notify-%d", (int)getpid());
	unlink(path);
	int fd = bound(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(sd_notify_send("READY=1\nSTATUS=serving 3 registered Pis"), 1);
	expect_msg(fd, "READY=1\nSTATUS=serving 3 registered Pis");
	assert_int_equal(sd_notify_reloading(), 1);
	char buf[128];
	ssize_t r = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_memory_equal(buf, "RELOADING=1\nMONOTONIC_USEC=", 27);
	close(fd);
	unlink(path);
	/* systemd's own socket for system services is abstract: "@..." */
	snprintf(path, sizeof(path), "@pnb-notify-%d", (int)getpid());
	fd = bound(path, true);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(sd_notify_send("WATCHDOG=1"), 1);
	expect_msg(fd, "WATCHDOG=1");
	close(fd);
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	assert_int_equal(sd_notify_send("READY=1"), -EINVAL);
	unsetenv("NOTIFY_SOCKET");
}

static void t_watchdog(void **s)
{
	(void)s;
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	assert_int_equal(sd_watchdog_ms(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(sd_watchdog_ms(), 30000);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1); /* meant for another process */
	assert_int_equal(sd_watchdog_ms(), 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(sd_watchdog_ms(), 30000);
	setenv("WATCHDOG_USEC", "30s", 1);
	assert_int_equal(sd_watchdog_ms(), 0);
	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
}

/* With JOURNAL_STREAM naming our stderr, lines carry "<N>" and no time. */
static void t_journal_prefix(void **s)
{
	(void)s;
	int p[2];
	assert_int_equal(pipe(p), 0);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(p[1], 2) >= 0);
	struct stat st;
	assert_int_equal(fstat(2, &st), 0);
	char js[64];
	snprintf(js, sizeof(js), "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_set_timestamps(1);
	log_warn("test", "disk %s", "full");
	log_info("test", "hello");
	log_plain_error("pinetboot serve: %s\n", "bad key");
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	char buf[256];
	ssize_t r = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	assert_true(r > 0);
	buf[r] = '\0';
	assert_string_equal(buf, "<4>warn test: disk full\n<6>info test: hello\n<3>pinetboot serve: bad key\n");
	assert_int_equal(log_to_journal(), 1);
	unsetenv("JOURNAL_STREAM");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_notify),
		cmocka_unit_test(t_watchdog),
		cmocka_unit_test(t_journal_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
