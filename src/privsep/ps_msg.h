/* ps_msg.h - the messages between pinetboot's root parent, its
 * unprivileged serving child and the CLI (privilege separation, issue 11).
 *
 * One message is one SOCK_SEQPACKET datagram:
 *
 *   byte 0    version (PS_VERSION)
 *   byte 1    op (enum ps_op)
 *   byte 2-3  argument length n, big-endian, 0..PS_ARG_MAX
 *   byte 4..  n bytes of argument, no NUL inside except as a field
 *             separator where the op says so; the datagram is exactly
 *             4 + n bytes
 *
 * Arguments by op:
 *   PS_RELOAD, PS_PING,     none
 *   PS_READY
 *   PS_MOUNT, PS_RELEASE    a Pi id (pi_id_normalise form)
 *   PS_REGISTER             id NUL image [NUL name]   (image: an image
 *                           name, name: 1-63 of A-Z a-z 0-9 . -)
 *   PS_REPLY                4-byte big-endian status (0 or a positive
 *                           errno), then up to PS_TEXT_MAX bytes of text
 *
 * Owns: encoding and validation. Must not touch: sockets, files, mounts. */
#ifndef PINETBOOT_PRIVSEP_PS_MSG_H
#define PINETBOOT_PRIVSEP_PS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define PS_VERSION 1
#define PS_HDR 4
#define PS_ARG_MAX 252
#define PS_MSG_MAX (PS_HDR + PS_ARG_MAX)
#define PS_TEXT_MAX 200

enum ps_op {
	PS_RELOAD = 1,   /* parent -> child: re-read config and clients; CLI -> parent: mount new clients, then that */
	PS_MOUNT = 2,    /* CLI -> parent: mount this client's overlays, then reload the child */
	PS_RELEASE = 3,  /* CLI -> parent -> child: stop serving this client and close its files; parent unmounts */
	PS_REGISTER = 4, /* child -> parent: run `pinetboot add ID --image IMAGE [--name NAME]` */
	PS_PING = 5,     /* anyone: is the other side alive */
	PS_REPLY = 6,    /* the answer to any of the above */
	PS_READY = 7,    /* child -> parent: every service is up (no answer) */
	PS_OP_MAX
};

struct ps_msg {
	enum ps_op op;
	char id[18];       /* MOUNT, RELEASE, REGISTER */
	char image[64];    /* REGISTER */
	char name[64];     /* REGISTER, optional ("" if absent) */
	uint32_t status;   /* REPLY */
	char text[PS_TEXT_MAX + 1]; /* REPLY */
};

/* Parse one datagram; 0, or -EINVAL/-EPROTO (wrong version) with out
 * untouched beyond what it had. */
int ps_msg_parse(const uint8_t *buf, size_t len, struct ps_msg *out);
/* Encode m into buf (PS_MSG_MAX bytes); the length, or -EINVAL if m
 * would not parse back (a bad id, image or name, an unknown op). */
int ps_msg_encode(const struct ps_msg *m, uint8_t *buf, size_t cap);
/* Constructors for the common cases. */
void ps_msg_simple(struct ps_msg *m, enum ps_op op, const char *id);
void ps_msg_reply(struct ps_msg *m, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *ps_op_name(enum ps_op op);

#endif
