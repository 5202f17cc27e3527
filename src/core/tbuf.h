/* tbuf.h - text appended to a bounded buffer with a sticky error: the one
 * "append bytes / printf" routine under the JSON writer (fleet/json.c)
 * and the boot-file text builders (provision/prov_text.c).
 *
 * Owns: bounds and growth. Must not touch: what the text means. */
#ifndef PINETBOOT_CORE_TBUF_H
#define PINETBOOT_CORE_TBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct tbuf {
	char *p;          /* NUL-terminated text (NULL until the first append) */
	size_t len, cap;  /* bytes used (without the NUL), bytes held */
	size_t max;       /* cap never grows past this (the NUL included) */
	bool err;         /* an append did not fit (or memory ran out): sticky */
};

/* A buffer that grows (malloc) up to max bytes; release with tbuf_free. */
void tbuf_init(struct tbuf *t, size_t max);
/* The caller's buf[cap], never grown nor freed; cap 0 is an error. */
void tbuf_init_fixed(struct tbuf *t, char *buf, size_t cap);
void tbuf_free(struct tbuf *t);
void tbuf_append(struct tbuf *t, const char *s, size_t n);
void tbuf_puts(struct tbuf *t, const char *s);
/* One formatted piece of at most 511 bytes (longer sets err). */
void tbuf_printf(struct tbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tbuf_vprintf(struct tbuf *t, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
