/* ps_priv.h - what the serving child of `pinetboot serve` may do (issue 11,
 * privilege separation): it runs as an unprivileged user with a fixed set
 * of capabilities, no way to regain others, and a seccomp filter that
 * allows only the system calls it makes.
 *
 * Owns: the capability set, dropping to it, the system-call filter. Must
 * not touch: sockets, mounts, the messages (ps_msg.h). */
#ifndef PINETBOOT_PRIVSEP_PS_PRIV_H
#define PINETBOOT_PRIVSEP_PS_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The capabilities the serving child keeps, as capabilities(7) names them
 * in order ("cap_chown,cap_dac_override,..."), and why each is there. */
extern const char PS_CHILD_CAPS[];
struct ps_cap_reason {
	const char *name, *why;
};
extern const struct ps_cap_reason ps_cap_reasons[];
extern const size_t ps_n_cap_reasons;

/* Look up user: 0 with its uid and primary gid, -ENOENT if there is no
 * such user, -EINVAL if it is root (uid 0 is not a separation). */
int ps_user_lookup(const char *user, uid_t *uid, gid_t *gid);

/* In the freshly forked child, while still root and single-threaded:
 * become uid/gid with no supplementary groups, keep exactly
 * PS_CHILD_CAPS (permitted and effective; the bounding set is cut to the
 * same, inheritable and ambient emptied), set no_new_privs, and give the
 * filesystem identity uid 0 (files a Pi's root creates belong to root;
 * switching to a Pi user's fsuid drops the file capabilities, see
 * nfs3_attr.c). 0 or -errno with err filled. */
int ps_drop_privileges(uid_t uid, gid_t gid, char *err, size_t errlen);

/* Install the system-call filter (after ps_drop_privileges). A call
 * outside it stops the whole child with SIGSYS, after one line naming the
 * call on stderr. 0 or -errno with err filled. */
int ps_install_filter(char *err, size_t errlen);

/* This process's effective capabilities in capabilities(7) text form
 * ("=" when none); buf gets "?" when they cannot be read. */
void ps_caps_text(char *buf, size_t cap);

/* Test hook (PINETBOOT_TEST_SYSCALL_ON_USR2=1 in the environment): on
 * SIGUSR2 the child makes a system call outside its filter, so a test can
 * see that the filter stops it and the parent restarts it. */
void ps_test_hook_arm(void);

#endif
