/* json.c - JSON writer and reader for the fleet view. The writer escapes
 * control characters, quotes and backslashes, and passes UTF-8 through
 * (invalid bytes become U+FFFD so browsers never reject a document); the
 * reader is a recursive descent parser with a depth cap.
 *
 * Owns: JSON syntax (escaping, nesting, parsing). Must not touch: buffer
 * growth (core/tbuf.c), what the documents mean. */
#include "fleet/json.h"
#include "core/hex.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jb_init(struct jbuf *j, size_t max)
{
	memset(j, 0, sizeof(*j));
	tbuf_init(&j->t, max);
}

void jb_free(struct jbuf *j)
{
	tbuf_free(&j->t);
}

void jb_reset(struct jbuf *j)
{
	j->len = 0;
	j->err = false;
	j->depth = 0;
	j->after_key = false;
	if (j->p)
		j->p[0] = '\0';
}

void jb_append(struct jbuf *j, const char *s, size_t n)
{
	tbuf_append(&j->t, s, n);
}

void jb_printf(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tbuf_vprintf(&j->t, fmt, ap);
	va_end(ap);
}

/* Comma before a value unless it is the first in its container or
 * follows a key. */
static void sep(struct jbuf *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth - 1])
			jb_append(j, ",", 1);
		j->first[j->depth - 1] = false;
	}
}

static void open_c(struct jbuf *j, char c)
{
	sep(j);
	if (j->depth >= JSON_DEPTH_MAX) {
		j->err = true;
		return;
	}
	jb_append(j, &c, 1);
	j->first[j->depth++] = true;
}

static void close_c(struct jbuf *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	jb_append(j, &c, 1);
}

void json_obj_begin(struct jbuf *j) { open_c(j, '{'); }
void json_obj_end(struct jbuf *j) { close_c(j, '}'); }
void json_arr_begin(struct jbuf *j) { open_c(j, '['); }
void json_arr_end(struct jbuf *j) { close_c(j, ']'); }

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t l;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		l = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		l = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		l = 4;
	else
		return 0;
	if (l > n)
		return 0;
	for (size_t i = 1; i < l; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return l;
}

void json_escape(struct jbuf *j, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && !j->err) {
		unsigned char c = u[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			jb_append(j, e, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			jb_printf(j, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			jb_append(j, (const char *)&u[i], 1);
			i++;
		} else {
			size_t l = utf8_len(u + i, n - i);
			if (l == 0) {
				jb_append(j, "\\ufffd", 6);
				i++;
			} else {
				jb_append(j, (const char *)&u[i], l);
				i += l;
			}
		}
	}
}

void json_strn(struct jbuf *j, const char *s, size_t n)
{
	sep(j);
	jb_append(j, "\"", 1);
	json_escape(j, s, n);
	jb_append(j, "\"", 1);
}

void json_str(struct jbuf *j, const char *s)
{
	json_strn(j, s ? s : "", s ? strlen(s) : 0);
}

void json_key(struct jbuf *j, const char *k)
{
	json_str(j, k);
	jb_append(j, ":", 1);
	j->after_key = true;
}

void json_uint(struct jbuf *j, uint64_t v)
{
	sep(j);
	jb_printf(j, "%llu", (unsigned long long)v);
}

void json_double(struct jbuf *j, double v)
{
	sep(j);
	if (!isfinite(v))
		v = 0;
	jb_printf(j, "%.3f", v);
}

void json_bool(struct jbuf *j, bool v)
{
	sep(j);
	jb_append(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct jbuf *j)
{
	sep(j);
	jb_append(j, "null", 4);
}

void json_kv_str(struct jbuf *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}

void json_kv_uint(struct jbuf *j, const char *k, uint64_t v)
{
	json_key(j, k);
	json_uint(j, v);
}

/* ------------------------------------------------------------ reader */

struct jp {
	const char *s;
	size_t len, off;
	char *err;
	size_t errlen;
	bool failed;
};

static void jp_fail(struct jp *p, const char *why)
{
	if (!p->failed)
		snprintf(p->err, p->errlen, "JSON: %s at offset %zu", why, p->off);
	p->failed = true;
}

static void ws(struct jp *p)
{
	while (p->off < p->len && (p->s[p->off] == ' ' || p->s[p->off] == '\t' ||
				   p->s[p->off] == '\n' || p->s[p->off] == '\r'))
		p->off++;
}

static void put_utf8(char *o, size_t *k, unsigned cp)
{
	if (cp < 0x80) {
		o[(*k)++] = (char)cp;
	} else if (cp < 0x800) {
		o[(*k)++] = (char)(0xc0 | (cp >> 6));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		o[(*k)++] = (char)(0xe0 | (cp >> 12));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		o[(*k)++] = (char)(0xf0 | (cp >> 18));
		o[(*k)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		o[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[(*k)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* A decoded string is never longer than its escaped form. */
static char *parse_string(struct jp *p)
{
	if (p->off >= p->len || p->s[p->off] != '"') {
		jp_fail(p, "expected string");
		return NULL;
	}
	p->off++;
	/* Size the copy to this string, not to the rest of the document:
	 * a document of many strings must not cost strings x length. */
	size_t end = p->off;
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	char *o = malloc((end < p->len ? end : p->len) - p->off + 1);
	size_t k = 0;
	if (!o) {
		jp_fail(p, "out of memory");
		return NULL;
	}
	while (p->off < p->len) {
		unsigned char c = (unsigned char)p->s[p->off++];
		if (c == '"') {
			o[k] = '\0';
			return o;
		}
		if (c < 0x20)
			break;
		if (c != '\\') {
			o[k++] = (char)c;
			continue;
		}
		if (p->off >= p->len)
			break;
		char e = p->s[p->off++];
		const char *map = "\"\"\\\\//b\bf\fn\nr\rt\t";
		const char *m = strchr(map, e);
		if (e && m && ((m - map) % 2) == 0) {
			o[k++] = m[1];
			continue;
		}
		if (e != 'u' || p->off + 4 > p->len)
			break;
		unsigned cp = 0;
		for (int i = 0; i < 4; i++) {
			int h = hexval(p->s[p->off + (size_t)i]);
			if (h < 0) {
				free(o);
				jp_fail(p, "bad \\u escape");
				return NULL;
			}
			cp = cp << 4 | (unsigned)h;
		}
		p->off += 4;
		/* \u0000 would truncate C strings; surrogates are not needed
		 * by anything we read, so they decode to U+FFFD. */
		if (cp == 0)
			break;
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		put_utf8(o, &k, cp);
	}
	free(o);
	jp_fail(p, "bad string");
	return NULL;
}

static struct json_node *parse_value(struct jp *p, int depth);

static struct json_node *new_node(struct jp *p, enum json_type t)
{
	struct json_node *n = calloc(1, sizeof(*n));
	if (!n)
		jp_fail(p, "out of memory");
	else
		n->type = t;
	return n;
}

static struct json_node *parse_container(struct jp *p, int depth, bool obj)
{
	struct json_node *n = new_node(p, obj ? JSON_OBJ : JSON_ARR), **tail;
	if (!n)
		return NULL;
	tail = &n->child;
	p->off++;
	ws(p);
	if (p->off < p->len && p->s[p->off] == (obj ? '}' : ']')) {
		p->off++;
		return n;
	}
	for (;;) {
		char *key = NULL;
		ws(p);
		if (obj) {
			key = parse_string(p);
			ws(p);
			if (!key || p->off >= p->len || p->s[p->off] != ':') {
				free(key);
				jp_fail(p, "expected ':'");
				break;
			}
			p->off++;
		}
		struct json_node *v = parse_value(p, depth + 1);
		if (!v) {
			free(key);
			break;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		ws(p);
		if (p->off < p->len && p->s[p->off] == ',') {
			p->off++;
			continue;
		}
		if (p->off < p->len && p->s[p->off] == (obj ? '}' : ']')) {
			p->off++;
			return n;
		}
		jp_fail(p, "expected ',' or end of container");
		break;
	}
	json_node_free(n);
	return NULL;
}

static struct json_node *parse_value(struct jp *p, int depth)
{
	ws(p);
	if (depth > JSON_DEPTH_MAX) {
		jp_fail(p, "nested too deeply");
		return NULL;
	}
	if (p->off >= p->len) {
		jp_fail(p, "unexpected end");
		return NULL;
	}
	char c = p->s[p->off];
	if (c == '{' || c == '[')
		return parse_container(p, depth, c == '{');
	if (c == '"') {
		char *s = parse_string(p);
		struct json_node *n = s ? new_node(p, JSON_STR) : NULL;
		if (!n) {
			free(s);
			return NULL;
		}
		n->str = s;
		return n;
	}
	static const struct { const char *w; enum json_type t; bool b; } lits[] = {
		{ "true", JSON_BOOL, true }, { "false", JSON_BOOL, false }, { "null", JSON_NULL, false },
	};
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(lits[i].w);
		if (p->len - p->off >= l && memcmp(p->s + p->off, lits[i].w, l) == 0) {
			p->off += l;
			struct json_node *n = new_node(p, lits[i].t);
			if (n)
				n->b = lits[i].b;
			return n;
		}
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		char tmp[64];
		size_t k = 0;
		while (p->off < p->len && k < sizeof(tmp) - 1 && strchr("+-0123456789.eE", p->s[p->off]))
			tmp[k++] = p->s[p->off++];
		tmp[k] = '\0';
		char *end;
		errno = 0;
		double v = strtod(tmp, &end);
		if (*end || errno) {
			jp_fail(p, "bad number");
			return NULL;
		}
		struct json_node *n = new_node(p, JSON_NUM);
		if (n)
			n->num = v;
		return n;
	}
	jp_fail(p, "unexpected character");
	return NULL;
}

struct json_node *json_parse(const char *s, size_t len, char *err, size_t errlen)
{
	struct jp p = { s, len, 0, err, errlen, false };
	struct json_node *n = parse_value(&p, 0);
	if (!n)
		return NULL;
	ws(&p);
	if (p.off != p.len) {
		jp_fail(&p, "trailing data");
		json_node_free(n);
		return NULL;
	}
	return n;
}

void json_node_free(struct json_node *n)
{
	while (n) {
		struct json_node *next = n->next;
		json_node_free(n->child);
		free(n->key);
		free(n->str);
		free(n);
		n = next;
	}
}

const struct json_node *json_get(const struct json_node *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJ)
		return NULL;
	for (const struct json_node *c = obj->child; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const char *json_get_str(const struct json_node *obj, const char *key, const char *def)
{
	const struct json_node *n = json_get(obj, key);
	return n && n->type == JSON_STR ? n->str : def;
}

double json_get_num(const struct json_node *obj, const char *key, double def)
{
	const struct json_node *n = json_get(obj, key);
	return n && n->type == JSON_NUM ? n->num : def;
}
