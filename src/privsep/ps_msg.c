/* ps_msg.c - encode and validate privilege-separation messages (ps_msg.h).
 * Everything that reaches the root parent passes ps_msg_parse first, so it
 * accepts only the exact shapes: known op, exact length, a normalised Pi
 * id, an image name that cannot name another directory. */
#include "privsep/ps_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pi/pi_id.h"

static bool name_char(char c, bool underscore)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
	       (underscore && c == '_');
}

/* An image name (the directory under DATA/images): 1-63 of A-Z a-z 0-9
 * . _ -, not starting with '.' or '-'. A host name: 1-63 of A-Z a-z 0-9 . -. */
static bool field_ok(const char *s, size_t n, bool image)
{
	if (n == 0 || n > 63 || s[0] == '.' || (image && s[0] == '-'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!name_char(s[i], image))
			return false;
	return true;
}

/* The argument is a Pi id exactly as the data dir names it. */
static bool id_ok(const char *s, size_t n, char out[18])
{
	char tmp[32], norm[18];
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (pi_id_normalise(tmp, norm) < 0 || strcmp(norm, tmp) != 0)
		return false;
	memcpy(out, norm, sizeof(norm));
	return true;
}

static int parse_register(const char *a, size_t n, struct ps_msg *m)
{
	const char *f[3] = { a, NULL, NULL };
	size_t len[3] = { 0, 0, 0 };
	int nf = 1;
	for (size_t i = 0; i < n; i++) {
		if (a[i] != '\0') {
			len[nf - 1]++;
			continue;
		}
		if (nf == 3)
			return -EINVAL;
		f[nf++] = a + i + 1;
	}
	if (nf < 2 || !id_ok(f[0], len[0], m->id) || !field_ok(f[1], len[1], true))
		return -EINVAL;
	memcpy(m->image, f[1], len[1]);
	m->image[len[1]] = '\0';
	m->name[0] = '\0';
	if (nf == 3) {
		if (!field_ok(f[2], len[2], false))
			return -EINVAL;
		memcpy(m->name, f[2], len[2]);
		m->name[len[2]] = '\0';
	}
	return 0;
}

int ps_msg_parse(const uint8_t *buf, size_t len, struct ps_msg *out)
{
	struct ps_msg m;
	if (len < PS_HDR || len > PS_MSG_MAX)
		return -EINVAL;
	if (buf[0] != PS_VERSION)
		return -EPROTO;
	size_t n = (size_t)buf[2] << 8 | buf[3];
	if (n > PS_ARG_MAX || len != PS_HDR + n || buf[1] == 0 || buf[1] >= PS_OP_MAX)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.op = (enum ps_op)buf[1];
	const char *a = (const char *)buf + PS_HDR;
	switch (m.op) {
	case PS_RELOAD:
	case PS_PING:
	case PS_READY:
		if (n != 0)
			return -EINVAL;
		break;
	case PS_MOUNT:
	case PS_RELEASE:
		if (memchr(a, '\0', n) || !id_ok(a, n, m.id))
			return -EINVAL;
		break;
	case PS_REGISTER:
		if (parse_register(a, n, &m) < 0)
			return -EINVAL;
		break;
	case PS_REPLY:
		if (n < 4 || n - 4 > PS_TEXT_MAX || memchr(a + 4, '\0', n - 4))
			return -EINVAL;
		m.status = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
		if (m.status > 4095)
			return -EINVAL;
		memcpy(m.text, a + 4, n - 4);
		m.text[n - 4] = '\0';
		break;
	default:
		return -EINVAL;
	}
	*out = m;
	return 0;
}

static int put(uint8_t *buf, size_t cap, size_t *at, const void *p, size_t n)
{
	if (*at + n > cap || *at + n > PS_MSG_MAX)
		return -EINVAL;
	memcpy(buf + *at, p, n);
	*at += n;
	return 0;
}

int ps_msg_encode(const struct ps_msg *m, uint8_t *buf, size_t cap)
{
	size_t at = PS_HDR;
	int r = 0;
	if (cap < PS_HDR || m->op <= 0 || m->op >= PS_OP_MAX)
		return -EINVAL;
	switch (m->op) {
	case PS_RELOAD:
	case PS_PING:
	case PS_READY:
		break;
	case PS_MOUNT:
	case PS_RELEASE:
		r = put(buf, cap, &at, m->id, strnlen(m->id, sizeof(m->id)));
		break;
	case PS_REGISTER:
		r = put(buf, cap, &at, m->id, strnlen(m->id, sizeof(m->id)));
		if (!r)
			r = put(buf, cap, &at, "", 1);
		if (!r)
			r = put(buf, cap, &at, m->image, strnlen(m->image, sizeof(m->image)));
		if (!r && m->name[0]) {
			r = put(buf, cap, &at, "", 1);
			if (!r)
				r = put(buf, cap, &at, m->name, strnlen(m->name, sizeof(m->name)));
		}
		break;
	case PS_REPLY: {
		uint8_t st[4] = { (uint8_t)(m->status >> 24), (uint8_t)(m->status >> 16), (uint8_t)(m->status >> 8),
				  (uint8_t)m->status };
		r = put(buf, cap, &at, st, 4);
		if (!r)
			r = put(buf, cap, &at, m->text, strnlen(m->text, PS_TEXT_MAX));
		break;
	}
	default:
		return -EINVAL;
	}
	if (r < 0)
		return r;
	size_t n = at - PS_HDR;
	buf[0] = PS_VERSION;
	buf[1] = (uint8_t)m->op;
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	/* Only what the other side will accept leaves. */
	struct ps_msg back;
	if (ps_msg_parse(buf, at, &back) < 0)
		return -EINVAL;
	return (int)at;
}

void ps_msg_simple(struct ps_msg *m, enum ps_op op, const char *id)
{
	memset(m, 0, sizeof(*m));
	m->op = op;
	if (id)
		snprintf(m->id, sizeof(m->id), "%s", id);
}

void ps_msg_reply(struct ps_msg *m, int status, const char *fmt, ...)
{
	memset(m, 0, sizeof(*m));
	m->op = PS_REPLY;
	m->status = status < 0 ? (uint32_t)-status : (uint32_t)status;
	if (m->status > 4095)
		m->status = EIO;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
	for (char *p = m->text; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

const char *ps_op_name(enum ps_op op)
{
	static const char *const names[PS_OP_MAX] = { "?", "reload", "mount", "release", "register", "ping", "reply", "ready" };
	return op > 0 && op < PS_OP_MAX ? names[op] : "?";
}
