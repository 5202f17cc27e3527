/* probe_verify.c - reference files for downloads and streaming comparison.
 *
 * The reference is opened once per transfer and compared as blocks arrive,
 * so a 500-Pi run never holds kernels in memory; only *.txt files of a data
 * dir are loaded, to expand their ${...} placeholders first.
 *
 * Owns: the reference of each download and the byte comparison. Must not touch: the network.
 */
#include "probe/probe_verify.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

size_t probe_expand_vars(const char *in, size_t n, const struct probe_vars *v, char *out, size_t cap)
{
	const struct {
		const char *name;
		const char *val;
	} tab[] = {
		{ "server", v->server }, { "id", v->id }, { "serial", v->serial },
		{ "mac", v->mac }, { "name", v->name },
	};
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		const char *val = NULL;
		size_t used = 0;
		if (in[i] == '$' && i + 1 < n && in[i + 1] == '{') {
			for (size_t t = 0; t < sizeof(tab) / sizeof(tab[0]); t++) {
				size_t l = strlen(tab[t].name);
				if (i + 3 + l <= n && memcmp(in + i + 2, tab[t].name, l) == 0 &&
				    in[i + 2 + l] == '}') {
					val = tab[t].val ? tab[t].val : "";
					used = l + 3;
					break;
				}
			}
		}
		if (val) {
			for (size_t k = 0; val[k]; k++, o++)
				if (o < cap)
					out[o] = val[k];
			i += used;
		} else {
			if (o < cap)
				out[o] = in[i];
			o++;
			i++;
		}
	}
	return o;
}

void probe_client_name(const char *data_dir, const char *id, char *out, size_t cap)
{
	char path[512], line[512];
	if (cap)
		out[0] = '\0';
	snprintf(path, sizeof(path), "%s/clients/%s/client.conf", data_dir, id);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "name", 4) != 0)
			continue;
		p += 4;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strlen(p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		/* Tolerate a quoted value, as inih users often write one. */
		if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
			p++;
			n -= 2;
		}
		snprintf(out, cap, "%.*s", (int)n, p);
		break;
	}
	fclose(f);
}

int probe_norm_path(const char *path, const char *strip_prefix, char *out, size_t cap)
{
	size_t o = 0;
	const char *p = path;
	if (strip_prefix && *strip_prefix) {
		size_t l = strlen(strip_prefix);
		if (strncmp(p, strip_prefix, l) == 0)
			p += l;
	}
	while (*p) {
		while (*p == '/')
			p++;  /* collapses "//" (Pi 5 style) and drops a leading '/' */
		if (!*p)
			break;
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);
		if ((l == 2 && p[0] == '.' && p[1] == '.') || (l == 1 && p[0] == '.'))
			return -EINVAL;
		if (o + l + 2 > cap)
			return -ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, l);
		o += l;
		p += l;
	}
	if (o == 0)
		return -EINVAL;
	out[o] = '\0';
	return 0;
}

static bool is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ends_with_txt(const char *s)
{
	size_t n = strlen(s);
	return n >= 4 && strcmp(s + n - 4, ".txt") == 0;
}

static void load_expanded(struct probe_expect *e, const struct probe_vars *vars)
{
	int fd = open(e->where, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (off_t)PROBE_TXT_MAX) {
		if (fd >= 0)
			close(fd);
		e->active = false;
		return;
	}
	size_t n = (size_t)st.st_size;
	char *raw = malloc(n + 1);
	ssize_t got = raw ? read(fd, raw, n) : -1;
	close(fd);
	if (got != (ssize_t)n) {
		free(raw);
		e->active = false;
		return;
	}
	size_t need = probe_expand_vars(raw, n, vars, NULL, 0);
	e->mem = malloc(need + 1);
	if (e->mem)
		probe_expand_vars(raw, n, vars, (char *)e->mem, need);
	free(raw);
	if (!e->mem) {
		e->active = false;
		return;
	}
	e->memlen = need;
	e->size = need;
}

void probe_expect_open(struct probe_expect *e, const struct probe_verify_src *src, const char *path)
{
	char rel[300];
	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (src->verify_dir) {
		/* The served tree is the reference: the prefix is part of the path. */
		if (probe_norm_path(path, NULL, rel, sizeof(rel)) < 0)
			return;
		snprintf(e->where, sizeof(e->where), "%s/%s", src->verify_dir, rel);
	} else if (src->data_dir) {
		if (probe_norm_path(path, src->prefix, rel, sizeof(rel)) < 0)
			return;
		bool found = false;
		for (int i = 0; i < 2 && !found; i++) {
			if (!src->ids[i])
				continue;
			snprintf(e->where, sizeof(e->where), "%s/clients/%s/boot/%s", src->data_dir,
				 src->ids[i], rel);
			found = is_regular(e->where);
		}
		if (!found)
			snprintf(e->where, sizeof(e->where), "%s/boot/%s", src->data_dir, rel);
	} else {
		return;
	}
	e->active = true;
	if (!is_regular(e->where))
		return;
	e->exists = true;
	if (src->data_dir && ends_with_txt(rel)) {
		load_expanded(e, src->vars);
		return;
	}
	e->fd = open(e->where, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (e->fd < 0 || fstat(e->fd, &st) < 0) {
		e->active = false;
		return;
	}
	e->size = (uint64_t)st.st_size;
}

void probe_expect_feed(struct probe_expect *e, uint64_t off, const uint8_t *p, size_t n)
{
	if (!e->active || !e->exists || e->mismatch)
		return;
	/* Compare the part the reference has; anything past its end differs. */
	size_t have = off >= e->size ? 0 : (e->size - off < n ? (size_t)(e->size - off) : n);
	uint8_t ref[2048];
	for (size_t done = 0; done < have;) {
		size_t k = have - done < sizeof(ref) ? have - done : sizeof(ref);
		const uint8_t *r = ref;
		if (e->mem)
			r = e->mem + off + done;
		else if (pread(e->fd, ref, k, (off_t)(off + done)) != (ssize_t)k)
			k = 0;  /* reference shrank under us: report a mismatch here */
		size_t i = 0;
		while (i < k && r[i] == p[done + i])
			i++;
		if (i < k || k == 0) {
			e->mismatch = true;
			e->mismatch_off = off + done + i;
			return;
		}
		done += k;
	}
	if (have < n) {
		e->mismatch = true;
		e->mismatch_off = off + have;
	}
}

bool probe_expect_check(const struct probe_expect *e, uint64_t total, char *why, size_t cap)
{
	if (!e->active)
		return true;
	if (!e->exists) {
		snprintf(why, cap, "served, but the reference %s does not exist", e->where);
		return false;
	}
	if (e->mismatch) {
		snprintf(why, cap, "content differs from %s at byte %llu", e->where,
			 (unsigned long long)e->mismatch_off);
		return false;
	}
	if (total != e->size) {
		snprintf(why, cap, "%llu bytes received, %s has %llu", (unsigned long long)total, e->where,
			 (unsigned long long)e->size);
		return false;
	}
	return true;
}

void probe_expect_close(struct probe_expect *e)
{
	if (e->fd >= 0)
		close(e->fd);
	e->fd = -1;
	free(e->mem);
	e->mem = NULL;
}
