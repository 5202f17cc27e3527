/* spawn_add.c - POST /api/register's work: `pinetboot add` for a Pi,
 * started from the process that may mount (the root parent under privilege
 * separation, else the server itself), never waited for by the event loop.
 *
 * Owns: starting `pinetboot add`. Must not touch: the registry files
 * (pinetboot add writes them). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/daemon.h"

/* Run `pinetboot add ID --image IMG [--name N] --data DATA` (this very
 * binary) without blocking the loop, then SIGHUP the server so the new Pi
 * is served: a grandchild does it, so nothing here waits or reaps. The
 * result is in the server log. The Pi's MAC is not passed: a discovered
 * MAC is a hint, and the server learns the real one from the Pi's first
 * completed boot. */
int daemon_spawn_add(const char *data_dir, const char *id, const char *image, const char *name, pid_t server)
{
	/* The children of a threaded process call only what is safe after
	 * fork: everything is formatted here, before. */
	char failed[200];
	int flen = snprintf(failed, sizeof(failed),
			    "error fleet: %s: registration through the API failed (pinetboot add, above)\n", id);
	if (flen < 0 || flen >= (int)sizeof(failed))
		flen = 0;
	pid_t a = fork();
	if (a < 0)
		return -errno;
	if (a == 0) {
		if (fork() != 0)
			_exit(0);
		pid_t c = fork();
		if (c == 0) {
			/* `add` gets default signal handling: the root parent of
			 * privilege separation blocks its signals (signalfd). */
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			/* execv wants char *const[]: writable copies, in the child. */
			char w[8][4200];
			const char *src[8] = { "pinetboot", "add", id, "--image", image, "--data", data_dir, NULL };
			char *argv[11];
			int n = 0;
			for (int i = 0; src[i]; i++) {
				snprintf(w[i], sizeof(w[i]), "%s", src[i]);
				argv[n++] = w[i];
			}
			char nk[] = "--name", nv[64];
			if (name) {
				snprintf(nv, sizeof(nv), "%s", name);
				argv[n++] = nk;
				argv[n++] = nv;
			}
			argv[n] = NULL;
			int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if (devnull >= 0)
				dup2(devnull, 0);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		int st = 0;
		if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			kill(server, SIGHUP);
		else if (write(2, failed, (size_t)flen) < 0)
			_exit(1);
		_exit(0);
	}
	int st;
	while (waitpid(a, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}

