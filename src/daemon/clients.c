/* clients.c - loading client.conf files (inih) and keeping the
 * discovered-Pis file. Every value from disk is validated; a bad file is
 * reported with file:line and skipped, never trusted halfway. */
#include "daemon/clients.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/net.h"
#include "dhcp/dhcp_pi.h"

struct parse_ctx {
	struct client *cl;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	char msg[200];
};

static int hex_serial(const char *s, uint32_t *ret)
{
	uint32_t v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 8)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int d = hexval(s[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*ret = v;
	return 0;
}

static int client_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *pc = user;
	struct client *cl = pc->cl;
	const char *why = NULL;
	if (pc->failed)
		return 0;
	if (section && *section) {
		why = "sections are not used";
	} else if (!strcmp(name, "serial")) {
		if (hex_serial(value, &cl->serial) < 0)
			why = "serial must be up to 8 hex digits";
		else
			cl->has_serial = true;
	} else if (!strcmp(name, "mac")) {
		if (pi_mac_parse(value, cl->mac) < 0)
			why = "mac must look like aa:bb:cc:dd:ee:ff";
		else
			cl->has_mac = true;
	} else if (!strcmp(name, "name")) {
		if (strlen(value) >= sizeof(cl->name))
			why = "name too long";
		else
			snprintf(cl->name, sizeof(cl->name), "%s", value);
		for (const char *p = value; !why && *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
				why = "name may only hold letters, digits, '-' and '.'";
	} else if (!strcmp(name, "address")) {
		if (*value && net_aton(value, &cl->address) < 0)
			why = "address must be an IPv4 address";
	} else if (!strcmp(name, "image")) {
		if (strlen(value) >= sizeof(cl->image) || strchr(value, '/'))
			why = "bad image name";
		else
			snprintf(cl->image, sizeof(cl->image), "%s", value);
	} else if (!strcmp(name, "tftp-prefix")) {
		/* One path component the EEPROM puts before every file name
		 * (TFTP_PREFIX=1, TFTP_PREFIX_STR): letters, digits, '-', '_', '.'. */
		size_t n = strlen(value);
		if (n == 0 || n >= sizeof(cl->tftp_prefix) || !strcmp(value, ".") || !strcmp(value, ".."))
			why = "tftp-prefix must be 1 to 63 characters";
		for (const char *p = value; !why && *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '-' || *p == '_' || *p == '.'))
				why = "tftp-prefix may only hold letters, digits, '-', '_' and '.'";
		if (!why)
			snprintf(cl->tftp_prefix, sizeof(cl->tftp_prefix), "%s", value);
	} else if (!strcmp(name, "layout")) {
		if (strcmp(value, "overlay") && strcmp(value, "copy") && *value)
			why = "layout must be overlay or copy";
		else
			snprintf(cl->layout, sizeof(cl->layout), "%s", value);
	} else {
		snprintf(pc->msg, sizeof(pc->msg), "unknown key '%s'", name);
		pc->failed = 1;
		return 0;
	}
	if (why) {
		snprintf(pc->msg, sizeof(pc->msg), "%s", why);
		pc->failed = 1;
		return 0;
	}
	return 1;
}

int client_parse_file(struct client *cl, const char *path, const char *dir_id, char *err, size_t errlen)
{
	char norm[18];
	memset(cl, 0, sizeof(*cl));
	if (pi_id_normalise(dir_id, norm) < 0 || strcmp(norm, dir_id) != 0) {
		snprintf(err, errlen, "%s: directory name is not a client id (8 lowercase hex digits or aa-bb-cc-dd-ee-ff)", path);
		return -1;
	}
	snprintf(cl->id, sizeof(cl->id), "%s", dir_id);
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct parse_ctx pc = { cl, path, err, errlen, 0, "" };
	int r = ini_parse_file(f, client_key, &pc);
	fclose(f);
	if (pc.failed) {
		snprintf(err, errlen, "%s:%d: %s", path, r, pc.msg);
		return -1;
	}
	if (r != 0) {
		snprintf(err, errlen, "%s:%d: syntax error", path, r);
		return -1;
	}
	/* The directory name is the identity; the file may repeat it but must
	 * not contradict it. */
	if (strlen(dir_id) == 8) {
		uint32_t s;
		hex_serial(dir_id, &s);
		if (cl->has_serial && cl->serial != s) {
			snprintf(err, errlen, "%s: serial does not match the directory name", path);
			return -1;
		}
		cl->serial = s;
		cl->has_serial = true;
	} else {
		uint8_t m[6];
		pi_mac_parse(dir_id, m);
		if (cl->has_mac && memcmp(cl->mac, m, 6) != 0) {
			snprintf(err, errlen, "%s: mac does not match the directory name", path);
			return -1;
		}
		memcpy(cl->mac, m, 6);
		cl->has_mac = true;
	}
	return 0;
}

static int cmp_client(const void *a, const void *b)
{
	return strcmp(((const struct client *)a)->id, ((const struct client *)b)->id);
}

int clients_load(struct clients *out, const char *data_dir)
{
	char path[4096];
	out->v = NULL;
	out->n = 0;
	snprintf(path, sizeof(path), "%s/clients", data_dir);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char file[4096 + 300], err[512];
		snprintf(file, sizeof(file), "%s/%s/client.conf", path, de->d_name);
		if (access(file, F_OK) < 0)
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 16;
			struct client *n = realloc(out->v, cap * sizeof(*n));
			if (!n) {
				closedir(d);
				return -ENOMEM;
			}
			out->v = n;
		}
		if (client_parse_file(&out->v[out->n], file, de->d_name, err, sizeof(err)) < 0) {
			log_error("clients", "skipping client: %s", err);
			continue;
		}
		out->n++;
	}
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_client);
	return (int)out->n;
}

void clients_carry_state(struct clients *new_reg, const struct clients *old)
{
	for (size_t i = 0; i < new_reg->n; i++) {
		const struct client *o = clients_find_id(old, new_reg->v[i].id);
		struct client *n = &new_reg->v[i];
		if (!o)
			continue;
		n->answered_ms = o->answered_ms;
		memcpy(n->answer_mac, o->answer_mac, 6);
		n->answer_has_serial = o->answer_has_serial;
		n->answer_serial = o->answer_serial;
		memcpy(n->contested_mac, o->contested_mac, 6);
		n->contested = o->contested;
		/* A binding survives the reload only while the MAC it was made
		 * with is still this Pi's MAC. */
		if (o->bound_addr && (!n->has_mac || (o->has_bound_mac && !memcmp(o->bound_mac, n->mac, 6)))) {
			n->bound_addr = o->bound_addr;
			n->has_bound_mac = o->has_bound_mac;
			memcpy(n->bound_mac, o->bound_mac, 6);
			n->verified_ms = o->verified_ms;
		}
	}
}

void clients_free(struct clients *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

struct client *clients_find_id(const struct clients *c, const char *id)
{
	struct client key;
	if (!c->n)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, c->v, c->n, sizeof(*c->v), cmp_client);
}

struct client *clients_find_mac(const struct clients *c, const uint8_t mac[6])
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].has_mac && memcmp(c->v[i].mac, mac, 6) == 0)
			return &c->v[i];
	return NULL;
}

struct client *clients_find_serial(const struct clients *c, uint32_t serial)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].has_serial && c->v[i].serial == serial)
			return &c->v[i];
	return NULL;
}

struct client *clients_find_prefix(const struct clients *c, const char *prefix)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].tftp_prefix[0] && strcmp(c->v[i].tftp_prefix, prefix) == 0)
			return &c->v[i];
	return NULL;
}

bool clients_pi3_mac_fits(const uint8_t mac[6], uint32_t serial)
{
	return mac[0] == 0xb8 && mac[1] == 0x27 && mac[2] == 0xeb &&
	       ((uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5]) == (serial & 0xffffffu);
}

struct client *clients_find_pi3_mac(const struct clients *c, const uint8_t mac[6])
{
	struct client *found = NULL;
	for (size_t i = 0; i < c->n; i++) {
		if (!c->v[i].has_serial || !clients_pi3_mac_fits(mac, c->v[i].serial))
			continue;
		if (found)
			return NULL; /* two serials share the low 24 bits: ambiguous */
		found = &c->v[i];
	}
	return found;
}

int client_conf_set(const char *data_dir, const char *id, const char *key, const char *value)
{
	char dir[4096], path[4200], tmp[4200];
	char *old = NULL;
	size_t oldlen = 0;
	if (snprintf(dir, sizeof(dir), "%s/clients/%s", data_dir, id) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), "%s/client.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s/.client.conf.tmp", dir);
	FILE *in = fopen(path, "re");
	if (in) {
		/* Registries are small; a bigger file is not ours to rewrite. */
		old = malloc(65536);
		if (!old) {
			fclose(in);
			return -ENOMEM;
		}
		oldlen = fread(old, 1, 65535, in);
		bool big = !feof(in);
		fclose(in);
		if (big) {
			free(old);
			return -EFBIG;
		}
		old[oldlen] = '\0';
	}
	FILE *out = fopen(tmp, "we");
	if (!out) {
		int e = errno;
		free(old);
		return -e;
	}
	size_t klen = strlen(key);
	bool written = false;
	for (char *line = old, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		size_t n = next ? (size_t)(next - line) : strlen(line);
		if (next)
			next++;
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		bool same = !strncmp(p, key, klen) && (p[klen] == ' ' || p[klen] == '\t' || p[klen] == '=');
		if (same) {
			if (!written)
				fprintf(out, "%s = %s\n", key, value);
			written = true;
			continue;
		}
		fwrite(line, 1, n, out);
		fputc('\n', out);
	}
	if (!written)
		fprintf(out, "%s = %s\n", key, value);
	free(old);
	int bad = ferror(out);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0)
		bad = 1;
	if (fclose(out) != 0)
		bad = 1;
	if (bad || rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return -e;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

/* --- discovered.tsv: "id mac serial board_rev model first last" --- */

static const char disc_header[] = "# id\tmac\tserial\tboard_rev\tmodel\tfirst_seen\tlast_seen\n";

int discovery_parse_line(const char *line, struct discovered *x)
{
	char id[32], mac[32], serial[16], rev[16], model[32];
	long long first, last;
	memset(x, 0, sizeof(*x));
	if (sscanf(line, "%31s\t%31s\t%15s\t%15s\t%31[^\t]\t%lld\t%lld", id, mac, serial, rev, model,
		   &first, &last) != 7 ||
	    pi_id_normalise(id, x->id) < 0 || pi_mac_parse(mac, x->mac) < 0)
		return -1;
	x->has_serial = strcmp(serial, "-") != 0 && hex_serial(serial, &x->serial) == 0;
	if (strcmp(rev, "-") != 0)
		hex_serial(rev, &x->board_rev);
	snprintf(x->model, sizeof(x->model), "%.31s", model);
	x->first_seen = (time_t)first;
	x->last_seen = (time_t)last;
	return 0;
}

int discovery_load(struct discovery *d, const char *data_dir)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s/discovered.tsv", data_dir);
	FILE *f = fopen(d->path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	char line[512];
	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		struct discovered x;
		if (discovery_parse_line(line, &x) < 0) {
			log_warn("clients", "%s:%d: ignoring malformed line", d->path, lineno);
			continue;
		}
		if (discovery_note(d, &x) < 0)
			break;
	}
	fclose(f);
	d->dirty = false;
	return 0;
}

int discovery_note(struct discovery *d, const struct discovered *seen)
{
	for (size_t i = 0; i < d->n; i++) {
		struct discovered *x = &d->v[i];
		if (strcmp(x->id, seen->id) == 0) {
			/* last_seen is written at most once a minute per Pi: a Pi
			 * retrying its DISCOVER every few seconds must not turn
			 * into a disk write every few seconds. (Unsigned: a
			 * time read from the file may be near the limits.) */
			if (seen->last_seen > x->last_seen &&
			    (uint64_t)seen->last_seen - (uint64_t)x->last_seen >= 60) {
				x->last_seen = seen->last_seen;
				d->dirty = true;
			}
			if (seen->board_rev && !x->board_rev) {
				x->board_rev = seen->board_rev;
				snprintf(x->model, sizeof(x->model), "%s", seen->model);
				d->dirty = true;
			}
			return 0;
		}
	}
	if (d->n == DISCOVERY_MAX)
		return -ENOSPC;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct discovered *n = realloc(d->v, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		d->v = n;
		d->cap = cap;
	}
	d->v[d->n++] = *seen;
	d->dirty = true;
	return 1;
}

int discovery_note_limited(struct discovery *d, const struct discovered *seen, time_t now)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].id, seen->id) == 0)
			return discovery_note(d, seen);
	if (now / 60 != d->rate_minute) {
		d->rate_minute = now / 60;
		d->rate_new = 0;
		d->rate_logged = false;
	}
	if (d->rate_new >= DISCOVERY_NEW_PER_MIN)
		return -EAGAIN;
	int r = discovery_note(d, seen);
	if (r == 1)
		d->rate_new++;
	return r;
}

int discovery_flush(struct discovery *d)
{
	if (!d->dirty)
		return 0;
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fputs(disc_header, f);
	for (size_t i = 0; i < d->n; i++) {
		const struct discovered *x = &d->v[i];
		char mac[18], serial[9] = "-", rev[9] = "-";
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", x->mac[0], x->mac[1],
			 x->mac[2], x->mac[3], x->mac[4], x->mac[5]);
		if (x->has_serial)
			snprintf(serial, sizeof(serial), "%08x", x->serial);
		if (x->board_rev)
			snprintf(rev, sizeof(rev), "%x", x->board_rev);
		fprintf(f, "%s\t%s\t%s\t%s\t%s\t%lld\t%lld\n", x->id, mac, serial, rev,
			x->model[0] ? x->model : "-", (long long)x->first_seen, (long long)x->last_seen);
	}
	int bad = ferror(f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		bad = 1;
	if (fclose(f) != 0)
		bad = 1;
	if (bad || rename(tmp, d->path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return -e;
	}
	d->dirty = false;
	return 0;
}

void discovery_free(struct discovery *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
