/* json.h - a small JSON writer (growable, capped buffer; every string is
 * escaped, so client-supplied names cannot break the document) and a small
 * bounded reader used by the fleet CLI to read the server's answers.
 *
 * Owns: struct jbuf and struct json_node. Must not touch: I/O. */
#ifndef PINETBOOT_FLEET_JSON_H
#define PINETBOOT_FLEET_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tbuf.h"

#define JSON_DEPTH_MAX 32

/* Output buffer. Any failure (allocation, over max) sets err and makes
 * every later write a no-op: callers check once at the end. */
/* The text part is a struct tbuf (core/tbuf.h), shared with other
 * writers; its fields stay readable as j.p, j.len, j.err. */
struct jbuf {
	union {
		struct tbuf t;
		struct {
			char *p;
			size_t len, cap, max;
			bool err;
		};
	};
	int depth;
	bool first[JSON_DEPTH_MAX];
	bool after_key;
};

void jb_init(struct jbuf *j, size_t max);
void jb_free(struct jbuf *j);
void jb_reset(struct jbuf *j);
void jb_append(struct jbuf *j, const char *s, size_t n);
void jb_printf(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void json_obj_begin(struct jbuf *j);
void json_obj_end(struct jbuf *j);
void json_arr_begin(struct jbuf *j);
void json_arr_end(struct jbuf *j);
void json_key(struct jbuf *j, const char *k);
void json_str(struct jbuf *j, const char *s);
void json_strn(struct jbuf *j, const char *s, size_t n);
void json_uint(struct jbuf *j, uint64_t v);
void json_double(struct jbuf *j, double v);
void json_bool(struct jbuf *j, bool v);
void json_null(struct jbuf *j);
void json_kv_str(struct jbuf *j, const char *k, const char *v);
void json_kv_uint(struct jbuf *j, const char *k, uint64_t v);
/* Escape s as the inside of a JSON string (no quotes). */
void json_escape(struct jbuf *j, const char *s, size_t n);

/* --- reader --- */
enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json_node {
	enum json_type type;
	char *key;              /* member name inside an object, else NULL */
	char *str;              /* JSON_STR: decoded, NUL-terminated */
	double num;
	bool b;
	struct json_node *child, *next;
};

/* Parse len bytes. NULL on error (err filled). Depth is capped at
 * JSON_DEPTH_MAX; strings with \u0000 are refused. */
struct json_node *json_parse(const char *s, size_t len, char *err, size_t errlen);
void json_node_free(struct json_node *n);
const struct json_node *json_get(const struct json_node *obj, const char *key);
const char *json_get_str(const struct json_node *obj, const char *key, const char *def);
double json_get_num(const struct json_node *obj, const char *key, double def);

#endif
