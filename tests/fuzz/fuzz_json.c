/* fuzz_json.c - libFuzzer target for the JSON reader (src/fleet/json.c
 * json_parse), which the fleet CLI runs on the server's answers, and for
 * the writer's escaping. Properties: the reader never reads past the
 * input; a parsed string is NUL-terminated at its length; a tree written
 * back with the writer (json_key/json_strn/containers) parses again to the
 * same shape, the same ASCII strings and the same numbers (to the writer's
 * 3 decimals); from then on writing and reading is exact (the writer's
 * U+FFFD for invalid UTF-8 is a fixed point) and the bytes written are
 * the same; a tree nested deeper than the writer allows is refused by the
 * writer, not mangled; any NUL-free bytes passed through json_strn read
 * back as a string, ASCII unchanged. Seeds in
 * tests/fuzz/corpus/fuzz_json/. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static int tree_depth(const struct json_node *n)
{
	int d = 0;
	for (const struct json_node *c = n->child; c; c = c->next) {
		int cd = tree_depth(c);
		if (cd > d)
			d = cd;
	}
	return n->type == JSON_ARR || n->type == JSON_OBJ ? d + 1 : 0;
}

static void write_tree(struct jbuf *j, const struct json_node *n)
{
	if (n->key)
		json_key(j, n->key);
	switch (n->type) {
	case JSON_NULL:
		json_null(j);
		break;
	case JSON_BOOL:
		json_bool(j, n->b);
		break;
	case JSON_NUM:
		/* The writer prints %.3f; huge values would not fit the
		 * reader's number length, so they are written as 0. */
		json_double(j, fabs(n->num) < 1e15 ? n->num : 0);
		break;
	case JSON_STR:
		json_str(j, n->str);
		break;
	case JSON_ARR:
	case JSON_OBJ:
		if (n->type == JSON_OBJ)
			json_obj_begin(j);
		else
			json_arr_begin(j);
		for (const struct json_node *c = n->child; c; c = c->next)
			write_tree(j, c);
		if (n->type == JSON_OBJ)
			json_obj_end(j);
		else
			json_arr_end(j);
		break;
	}
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* a: a tree, b: a written and read back. strict: a was itself read from
 * the writer's output, so every string must come back byte for byte;
 * otherwise only ASCII strings must (invalid UTF-8 becomes U+FFFD). */
static void same_tree(const struct json_node *a, const struct json_node *b, int strict)
{
	for (; a; a = a->next, b = b->next) {
		check(b != NULL && a->type == b->type);
		check(!a->key == !b->key);
		if (a->key && (strict || is_ascii(a->key)))
			check(strcmp(a->key, b->key) == 0);
		if (a->type == JSON_BOOL)
			check(a->b == b->b);
		if (a->type == JSON_STR && (strict || is_ascii(a->str)))
			check(strcmp(a->str, b->str) == 0);
		if (a->type == JSON_NUM && fabs(a->num) < 1e15)
			check(strict ? a->num == b->num : fabs(a->num - b->num) <= 0.0006 + fabs(a->num) * 1e-15);
		same_tree(a->child, b->child, strict);
	}
	check(b == NULL);
}

static void walk(const struct json_node *n)
{
	for (; n; n = n->next) {
		if (n->type == JSON_STR)
			check(n->str != NULL);
		else
			check(n->str == NULL);
		if (n->key)
			(void)strlen(n->key);
		if (n->type == JSON_STR)
			(void)strlen(n->str);
		if (n->type != JSON_ARR && n->type != JSON_OBJ)
			check(n->child == NULL);
		if (n->type == JSON_OBJ)
			for (const struct json_node *c = n->child; c; c = c->next)
				check(c->key != NULL);
		if (n->type == JSON_ARR)
			for (const struct json_node *c = n->child; c; c = c->next)
				check(c->key == NULL);
		walk(n->child);
	}
}

/* Write n with the writer and read it back; NULL if the writer refused. */
static struct json_node *rewrite(const struct json_node *n, struct jbuf *j)
{
	jb_init(j, 1u << 22);
	write_tree(j, n);
	if (j->err)
		return NULL;
	check(j->depth == 0);
	char err[128];
	struct json_node *back = json_parse(j->p, j->len, err, sizeof(err));
	check(back != NULL);
	return back;
}

static void round_trip(const struct json_node *root)
{
	struct jbuf j1, j2, j3;
	struct json_node *t1 = rewrite(root, &j1);
	if (tree_depth(root) > JSON_DEPTH_MAX) {
		/* One level deeper than the writer nests: it must refuse. */
		check(t1 == NULL);
		jb_free(&j1);
		return;
	}
	check(t1 != NULL);
	same_tree(root, t1, 0);
	struct json_node *t2 = rewrite(t1, &j2);
	check(t2 != NULL);
	same_tree(t1, t2, 1);
	struct json_node *t3 = rewrite(t2, &j3);
	check(t3 != NULL && j3.len == j2.len && memcmp(j3.p, j2.p, j2.len) == 0);
	json_node_free(t3);
	json_node_free(t2);
	json_node_free(t1);
	jb_free(&j3);
	jb_free(&j2);
	jb_free(&j1);
}

/* The writer's escaping of raw bytes always gives a readable string, and
 * ASCII comes back unchanged. */
static void escape_reads_back(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n = nul ? (size_t)(nul - data) : size;
	char *raw = malloc(n + 1);
	if (!raw)
		return;
	memcpy(raw, data, n);
	raw[n] = '\0';
	struct jbuf j;
	jb_init(&j, 1u << 22);
	json_strn(&j, raw, n);
	check(!j.err);
	char err[128];
	struct json_node *s = json_parse(j.p, j.len, err, sizeof(err));
	check(s && s->type == JSON_STR);
	if (is_ascii(raw))
		check(strcmp(s->str, raw) == 0);
	json_node_free(s);
	jb_free(&j);
	free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	/* An exact-size heap copy, so ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	err[0] = '\0';
	struct json_node *root = json_parse(buf, size, err, sizeof(err));
	if (!root) {
		check(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
	} else {
		walk(root);
		(void)json_get_str(root, "id", NULL);
		(void)json_get_num(root, "seq", 0);
		round_trip(root);
		json_node_free(root);
	}
	free(buf);
	escape_reads_back(data, size);
	return 0;
}
