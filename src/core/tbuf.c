/* tbuf.c - bounded text buffer with a sticky error (see tbuf.h).
 *
 * Owns: the bounded text buffer. Must not touch: any protocol.
 */
#include "core/tbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tbuf_init(struct tbuf *t, size_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

void tbuf_init_fixed(struct tbuf *t, char *buf, size_t cap)
{
	t->p = buf;
	t->len = 0;
	t->cap = t->max = cap;
	t->err = cap == 0;
	if (cap)
		buf[0] = '\0';
}

void tbuf_free(struct tbuf *t)
{
	free(t->p);
	t->p = NULL;
	t->len = t->cap = 0;
}

/* Room for n more bytes and the NUL, growing (doubling) up to max. */
static bool reserve(struct tbuf *t, size_t n)
{
	if (t->err)
		return false;
	if (n > t->max || t->len + n + 1 > t->max) {
		t->err = true;
		return false;
	}
	if (t->len + n + 1 <= t->cap)
		return true;
	size_t nc = t->cap ? t->cap : 1024;
	while (nc < t->len + n + 1)
		nc *= 2;
	if (nc > t->max)
		nc = t->max;
	char *np = realloc(t->p, nc);
	if (!np) {
		t->err = true;
		return false;
	}
	t->p = np;
	t->cap = nc;
	return true;
}

void tbuf_append(struct tbuf *t, const char *s, size_t n)
{
	if (!reserve(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

void tbuf_puts(struct tbuf *t, const char *s)
{
	tbuf_append(t, s, strlen(s));
}

void tbuf_vprintf(struct tbuf *t, const char *fmt, va_list ap)
{
	char tmp[512];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		t->err = true;
		return;
	}
	tbuf_append(t, tmp, (size_t)n);
}

void tbuf_printf(struct tbuf *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tbuf_vprintf(t, fmt, ap);
	va_end(ap);
}
