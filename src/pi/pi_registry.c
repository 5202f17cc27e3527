/* pi_registry.c - the registry of known Pis: reading every
 * DATA/clients/<id>/client.conf (inih) and the one writer of client.conf
 * (`pinetboot add` creates it, `serve` records a learned serial or MAC).
 * Every value from disk is validated; a bad file is reported with
 * file:line and skipped, never trusted halfway.
 *
 * Owns: struct client's file fields, lookups by id/serial/MAC/prefix, the
 * serial <-> MAC link of a Pi 3 (protocol reference 1.2), client.conf's
 * format. Must not touch: sockets, the clock, the Pis' root and boot
 * files (src/provision), runtime trust decisions (src/pi/pi_access.c). */
#include "pi/pi_registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/net.h"
#include "pi/pi_id.h"

struct parse_ctx {
	struct client *cl;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	char msg[200];
};

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
		if (pi_hex_u32(value, &cl->serial) < 0)
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
		pi_hex_u32(dir_id, &s);
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
		if (faccessat(AT_FDCWD, file, F_OK, AT_EACCESS) < 0) /* AT_EACCESS: the serving child's real uid is _pinetboot; its capabilities count */
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
		n->contested_log_ms = o->contested_log_ms;
		/* A binding survives the reload only while the MAC it was made
		 * with is still this Pi's MAC. */
		if (o->bound_addr && (!n->has_mac || (o->has_bound_mac && !memcmp(o->bound_mac, n->mac, 6)))) {
			n->bound_addr = o->bound_addr;
			n->has_bound_mac = o->has_bound_mac;
			memcpy(n->bound_mac, o->bound_mac, 6);
			/* verified_ms stays 0: the next request is checked against
			 * the new registration (a fixed address, a new MAC) before
			 * the binding's fast path is used again. */
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

/* The one writer of client.conf: text replaces dir/client.conf
 * atomically (temporary file, fsync, rename, fsync of the directory) with
 * mode 0644, so `serve` and `add` never see half a file. */
static int conf_replace(const char *dir, const char *text, size_t len)
{
	char path[4200], tmp[4200];
	if (snprintf(path, sizeof(path), "%s/client.conf", dir) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.client.conf.tmp", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int r = 0;
	for (size_t off = 0; off < len && !r;) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (!r && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r) {
		unlink(tmp);
		return r;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

int client_conf_create(const char *dir, const struct client_conf_new *c)
{
	char buf[640];
	int n = snprintf(buf, sizeof(buf), "# written by pinetboot add\nname = %s\n%s%s%simage = %s\nlayout = %s\n%s%s%s",
			 c->name, c->mac ? "mac = " : "", c->mac ? c->mac : "", c->mac ? "\n" : "", c->image, c->layout,
			 c->tftp_prefix ? "tftp-prefix = " : "", c->tftp_prefix ? c->tftp_prefix : "",
			 c->tftp_prefix ? "\n" : "");
	if (n < 0 || n >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	return conf_replace(dir, buf, (size_t)n);
}

/* Read dir/client.conf (at most 64 KiB: registries are small, a bigger
 * file is not ours to rewrite) into a new buffer; *out = NULL if absent. */
static int conf_read(const char *dir, char **out, size_t *outlen)
{
	char path[4200];
	*out = NULL;
	*outlen = 0;
	snprintf(path, sizeof(path), "%s/client.conf", dir);
	FILE *in = fopen(path, "re");
	if (!in)
		return 0;
	char *old = malloc(65536);
	if (!old) {
		fclose(in);
		return -ENOMEM;
	}
	size_t n = fread(old, 1, 65535, in);
	bool big = !feof(in);
	fclose(in);
	if (big) {
		free(old);
		return -EFBIG;
	}
	old[n] = '\0';
	*out = old;
	*outlen = n;
	return 0;
}

int client_conf_set(const char *data_dir, const char *id, const char *key, const char *value)
{
	char dir[4096];
	char *old;
	size_t oldlen;
	if (snprintf(dir, sizeof(dir), "%s/clients/%s", data_dir, id) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	int r = conf_read(dir, &old, &oldlen);
	if (r < 0)
		return r;
	size_t klen = strlen(key), vlen = strlen(value), cap = oldlen + klen + vlen + 8;
	char *text = malloc(cap), *w = text;
	if (!text) {
		free(old);
		return -ENOMEM;
	}
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
		if (same && written)
			continue;
		if (same) {
			w += snprintf(w, cap - (size_t)(w - text), "%s = %s\n", key, value);
			written = true;
			continue;
		}
		memcpy(w, line, n);
		w += n;
		*w++ = '\n';
	}
	if (!written)
		w += snprintf(w, cap - (size_t)(w - text), "%s = %s\n", key, value);
	free(old);
	r = conf_replace(dir, text, (size_t)(w - text));
	free(text);
	return r;
}

struct client *clients_lookup(const struct clients *c, const char *id, bool has_serial, uint32_t serial,
			      const uint8_t mac[6])
{
	struct client *cl = clients_find_id(c, id);
	if (!cl && has_serial)
		cl = clients_find_serial(c, serial);
	if (!cl)
		cl = clients_find_mac(c, mac);
	/* Pi 3B ROM: only its MAC, which is b8:27:eb + the serial's low 24
	 * bits (protocol reference, identifying a Pi). */
	if (!cl && !has_serial)
		cl = clients_find_pi3_mac(c, mac);
	return cl;
}
