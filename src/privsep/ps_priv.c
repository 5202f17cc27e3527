/* ps_priv.c - drop to the serving child's privileges (libcap) and install
 * its system-call filter (libseccomp). See ps_priv.h; the README's
 * "Privileges" section lists the same set with the same reasons. */
#include "privsep/ps_priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sched.h>

#include "core/log.h"


const char PS_CHILD_CAPS[] =
	"cap_chown,cap_dac_override,cap_dac_read_search,cap_fowner,cap_fsetid,cap_setgid,cap_setuid,cap_mknod";

const struct ps_cap_reason ps_cap_reasons[] = {
	{ "cap_chown", "NFS SETATTR/CREATE as a Pi's root: give files to any owner in its own root" },
	{ "cap_dac_override", "NFS as a Pi's root: read and write any file of its own root (no_root_squash)" },
	{ "cap_dac_read_search", "open_by_handle_at (every NFS file handle) and reading root-only files" },
	{ "cap_fowner", "NFS SETATTR as a Pi's root: chmod, utimes and sticky-dir removes of others' files" },
	{ "cap_fsetid", "NFS WRITE/SETATTR as a Pi's root: keep setuid/setgid bits the Pi set" },
	{ "cap_setgid", "setfsgid and setgroups per NFS call: act as the calling Pi user's groups" },
	{ "cap_setuid", "setfsuid per NFS call: act as the calling Pi user" },
	{ "cap_mknod", "NFS MKNOD as a Pi's root: device nodes in its own root (mounted nodev on the server)" },
};
const size_t ps_n_cap_reasons = sizeof(ps_cap_reasons) / sizeof(ps_cap_reasons[0]);

static int fail(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -e;
}

int ps_user_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (r != 0 || !res)
		return -ENOENT;
	if (res->pw_uid == 0)
		return -EINVAL;
	*uid = res->pw_uid;
	*gid = res->pw_gid;
	return 0;
}

int ps_drop_privileges(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char text[sizeof(PS_CHILD_CAPS) + 4];
	snprintf(text, sizeof(text), "%s=ep", PS_CHILD_CAPS);
	cap_t want = cap_from_text(text);
	if (!want)
		return fail(err, errlen, errno, "cap_from_text");
	/* The bounding set first, while we still have CAP_SETPCAP. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		cap_flag_value_t keep = CAP_CLEAR;
		cap_get_flag(want, c, CAP_PERMITTED, &keep);
		if (keep == CAP_SET || prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			int e = errno;
			cap_free(want);
			return fail(err, errlen, e, "dropping capability %d from the bounding set", (int)c);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		cap_free(want);
		return fail(err, errlen, errno, "clearing ambient capabilities");
	}
	int r = 0;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		r = fail(err, errlen, errno, "PR_SET_KEEPCAPS");
	else if (setgroups(0, NULL) < 0)
		r = fail(err, errlen, errno, "setgroups");
	else if (setresgid(gid, gid, gid) < 0)
		r = fail(err, errlen, errno, "setresgid(%u)", (unsigned)gid);
	else if (setresuid(uid, uid, uid) < 0)
		r = fail(err, errlen, errno, "setresuid(%u)", (unsigned)uid);
	else if (cap_set_proc(want) < 0)
		r = fail(err, errlen, errno, "cap_set_proc(%s)", PS_CHILD_CAPS);
	else if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		r = fail(err, errlen, errno, "PR_SET_KEEPCAPS");
	else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		r = fail(err, errlen, errno, "PR_SET_NO_NEW_PRIVS");
	cap_free(want);
	if (r < 0)
		return r;
	/* The filesystem identity of a Pi's root: uid 0 (CAP_SETUID). */
	setfsuid(0);
	setfsgid(0);
	if (setfsuid((uid_t)-1) != 0 || setfsgid((gid_t)-1) != 0)
		return fail(err, errlen, EPERM, "setfsuid(0)");
	/* A child whose parent is gone must not serve on its own: nobody
	 * keeps its mounts or restarts it. (Set after the uid change, which
	 * clears it.) */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		return fail(err, errlen, errno, "PR_SET_PDEATHSIG");
	/* No way back: the real, effective and saved ids are all uid. */
	uid_t ru, eu, su;
	if (getresuid(&ru, &eu, &su) < 0 || ru != uid || eu != uid || su != uid)
		return fail(err, errlen, EPERM, "still root after setresuid");
	return 0;
}

/* ------------------------------------------------------------ the filter */

/* The system calls of the serving child: glibc and its threads, the
 * event loop, sockets it was given, file work in the Pis' roots, the
 * identity switches of NFS calls, libsodium, libmicrohttpd, and (in test
 * builds) AddressSanitizer's runtime. Not here, among others: execve,
 * fork (clone without CLONE_THREAD), mount, umount2, ptrace, setuid and
 * friends, unshare, setns, bpf, kexec, module loading, reboot. */
static const int allowed[] = {
	/* memory, threads, time, signals */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
	SCMP_SYS(madvise), SCMP_SYS(mincore), SCMP_SYS(futex), SCMP_SYS(set_robust_list),
	SCMP_SYS(get_robust_list), SCMP_SYS(rseq), SCMP_SYS(set_tid_address), SCMP_SYS(gettid),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(tgkill), SCMP_SYS(tkill), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(getcpu),
	SCMP_SYS(prlimit64), SCMP_SYS(getrlimit), SCMP_SYS(setrlimit), SCMP_SYS(getrusage),
	SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(getrandom),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall), SCMP_SYS(arch_prctl), SCMP_SYS(prctl), SCMP_SYS(membarrier),
	/* the event loop */
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_pwait2), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(eventfd2), SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
	SCMP_SYS(signalfd4), SCMP_SYS(pipe2),
	/* sockets (socket() itself is filtered by family below) */
	SCMP_SYS(bind), SCMP_SYS(connect), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(listen),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(shutdown),
	/* descriptors and files */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(preadv2), SCMP_SYS(pwritev2),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(close_range), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3),
	SCMP_SYS(fcntl), SCMP_SYS(ioctl), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(lstat), SCMP_SYS(stat), SCMP_SYS(access),
	SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2),
	SCMP_SYS(open_by_handle_at), SCMP_SYS(name_to_handle_at), SCMP_SYS(getdents64),
	SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(mknodat),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rmdir), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat),
	SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(chmod), SCMP_SYS(fchown), SCMP_SYS(fchownat),
	SCMP_SYS(lchown), SCMP_SYS(chown), SCMP_SYS(utimensat), SCMP_SYS(ftruncate), SCMP_SYS(truncate),
	SCMP_SYS(fallocate), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(sync_file_range),
	SCMP_SYS(copy_file_range), SCMP_SYS(sendfile), SCMP_SYS(fadvise64), SCMP_SYS(readahead),
	SCMP_SYS(fgetxattr), SCMP_SYS(flistxattr), SCMP_SYS(getxattr), SCMP_SYS(lgetxattr),
	SCMP_SYS(listxattr), SCMP_SYS(llistxattr), SCMP_SYS(umask), SCMP_SYS(getcwd), SCMP_SYS(fchdir),
	SCMP_SYS(chdir), SCMP_SYS(memfd_create),
	/* identities: NFS calls switch only the filesystem ids, per thread */
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(getresuid),
	SCMP_SYS(getresgid), SCMP_SYS(getgroups), SCMP_SYS(setfsuid), SCMP_SYS(setfsgid),
	SCMP_SYS(setgroups), SCMP_SYS(capget), SCMP_SYS(capset),
	/* signals to ourselves (raise, the filter's own SIGSYS report) */
	SCMP_SYS(kill), SCMP_SYS(rt_sigqueueinfo), SCMP_SYS(rt_tgsigqueueinfo),
};

static const char *sigsys_prefix = "error serve: ";

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char msg[200];
	int nr = si->si_syscall;
	int n = snprintf(msg, sizeof(msg),
			 "%sthe serving process made system call %d, which its seccomp filter does not allow: "
			 "stopping it (the parent restarts it)\n", sigsys_prefix, nr);
	if (n > 0 && write(2, msg, (size_t)n) < 0) {
		/* nothing left to tell */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static struct scmp_arg_cmp arg0(enum scmp_compare op, scmp_datum_t a, scmp_datum_t b)
{
	struct scmp_arg_cmp c = { .arg = 0, .op = op, .datum_a = a, .datum_b = b };
	return c;
}

int ps_install_filter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int r = 0;
	if (!ctx)
		return fail(err, errlen, ENOMEM, "seccomp_init");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && r == 0; i++)
		if (allowed[i] >= 0)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* Threads only: a clone without CLONE_THREAD would be a fork. clone3
	 * hides its flags in memory the filter cannot read: ENOSYS makes
	 * glibc fall back to clone. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				     arg0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* Sockets: the local ones of sd_notify and rpcbind registration,
	 * netlink for interface and neighbour lookups. No packet sockets. */
	static const int families[] = { AF_UNIX, AF_INET, AF_NETLINK };
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     arg0(SCMP_CMP_EQ, (scmp_datum_t)families[i], 0));
	/* Families a library may try and do without (glibc's __opensock
	 * falls back through them): an error, not a stop. Any other family
	 * stops the child like any call outside the filter. */
	static const int refused[] = { AF_INET6, AF_PACKET };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
				     arg0(SCMP_CMP_EQ, (scmp_datum_t)refused[i], 0));
	if (r < 0) {
		seccomp_release(ctx);
		return fail(err, errlen, -r, "seccomp_rule_add");
	}
	if (log_to_journal())
		sigsys_prefix = "<2>serve: ";
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return fail(err, errlen, -r, "seccomp_load");
	return 0;
}

void ps_caps_text(char *buf, size_t cap)
{
	cap_t c = cap_get_proc();
	char *t = c ? cap_to_text(c, NULL) : NULL;
	snprintf(buf, cap, "%s", t ? t : "?");
	if (t)
		cap_free(t);
	if (c)
		cap_free(c);
}

static void on_usr2(int sig)
{
	(void)sig;
	/* Outside the filter (and harmless if it were not): the child must
	 * stop here. */
	syscall(SYS_unshare, 0);
}

void ps_test_hook_arm(void)
{
	const char *e = getenv("PINETBOOT_TEST_SYSCALL_ON_USR2");
	if (e && !strcmp(e, "1"))
		signal(SIGUSR2, on_usr2);
}
