/* cli_provision.c - the provisioning subcommands: init, image, add, remove,
 * list, show, reset, prepare-sd, check-otp, eeprom-config. Argument
 * parsing, messages and exit codes live here; the work is done in
 * src/provision/. Exit status: 0 ok, 1 failure, 2 usage error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/net.h"
#include "daemon/clients.h"
#include "dhcp/dhcp_pi.h"
#include "fleet/json.h"
#include "provision/copytree.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"
#include "provision/provision.h"

#define DEFAULT_DATA "/srv/pinetboot"

static int data_ok(const char *d)
{
	if (strlen(d) >= PROV_DATA_MAX || !*d) {
		fprintf(stderr, "pinetboot: --data path too long or empty\n");
		return 0;
	}
	return 1;
}

static int need_root(const char *what)
{
	if (geteuid() == 0)
		return 1;
	fprintf(stderr, "pinetboot %s: must run as root (it preserves file owners and mounts filesystems)\n", what);
	return 0;
}

/* Read a whole small file (or stdin for "-"), capped. */
static int slurp(const char *path, size_t max, char **ret, size_t *ret_len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f)
		return -errno;
	char *b = malloc(max + 1);
	if (!b) {
		if (f != stdin)
			fclose(f);
		return -ENOMEM;
	}
	size_t n = fread(b, 1, max + 1, f);
	if (f != stdin)
		fclose(f);
	if (n > max) {
		free(b);
		return -EFBIG;
	}
	b[n] = '\0';
	*ret = b;
	*ret_len = n;
	return 0;
}

/* ------------------------------------------------------------ init */

static const char *detect_iface(void)
{
	static char name[IF_NAMESIZE + 1];
	struct ifaddrs *ifa;
	name[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return NULL;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
		    (i->ifa_flags & IFF_UP)) {
			snprintf(name, sizeof(name), "%s", i->ifa_name);
			break;
		}
	freeifaddrs(ifa);
	return name[0] ? name : NULL;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	const char *data = DEFAULT_DATA;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else {
			fprintf(c == 'h' ? stdout : stderr, "usage: pinetboot init [--data DIR]\n"
				"  creates DIR (default %s), its handle secret and a commented pinetboot.conf;\n"
				"  never overwrites anything that exists\n", DEFAULT_DATA);
			return c == 'h' ? 0 : 2;
		}
	}
	if (!data_ok(data) || sodium_init() < 0)
		return 1;
	char p[PATH_MAX];
	static const char *const dirs[] = { "", "/boot", "/clients", "/images", "/state" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		pathf(p, sizeof(p), "%s%s", data, dirs[i]);
		if (mkdir(p, 0755) == 0)
			printf("created %s/\n", p);
		else if (errno != EEXIST) {
			fprintf(stderr, "pinetboot init: %s: %s\n", p, strerror(errno));
			return 1;
		}
	}
	/* The NFS server signs its file handles with this key; it must stay
	 * secret (0600) and stable, so an existing key is never replaced. */
	pathf(p, sizeof(p), "%s/handle.key", data);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		unsigned char key[32];
		randombytes_buf(key, sizeof(key));
		ssize_t w = write(fd, key, sizeof(key));
		sodium_memzero(key, sizeof(key));
		if (w != (ssize_t)sizeof(key) || fsync(fd) < 0 || close(fd) < 0) {
			fprintf(stderr, "pinetboot init: writing %s failed\n", p);
			unlink(p);
			return 1;
		}
		printf("created %s (32 random bytes, mode 0600)\n", p);
	} else if (errno != EEXIST) {
		fprintf(stderr, "pinetboot init: %s: %s\n", p, strerror(errno));
		return 1;
	} else {
		printf("kept    %s\n", p);
	}
	pathf(p, sizeof(p), "%s/pinetboot.conf", data);
	const char *ifc = detect_iface();
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		FILE *f = fdopen(fd, "w");
		if (!f) {
			close(fd);
			return 1;
		}
		fprintf(f,
			"# pinetboot.conf - every key is also a flag of 'pinetboot serve' (--KEY VALUE);\n"
			"# 'pinetboot serve --help' lists them all with their defaults.\n\n"
			"# Interfaces to serve (comma list). Detected at init: %s.\n"
			"# Leave commented to serve every non-loopback IPv4 interface.\n"
			"%sinterface = %s\n\n"
			"# proxy: answer only the Pis' PXE requests, beside your router's DHCP server\n"
			"# (no router change). off: never answer DHCP (your DHCP server points the Pis here).\n"
			"dhcp = proxy\n\n"
			"# known: only Pis registered with 'pinetboot add'; all: every Pi gets boot/.\n"
			"answer = known\n\n"
			"# CIDRs allowed to read every client's boot files (e.g. 192.168.1.0/24).\n"
			"# admin-networks =\n\n"
			"# error, warn, info or debug\n"
			"log-level = info\n",
			ifc ? ifc : "none found", ifc ? "" : "# ", ifc ? ifc : "eth0");
		if (fclose(f) != 0) {
			fprintf(stderr, "pinetboot init: writing %s failed\n", p);
			return 1;
		}
		printf("created %s (interface %s, dhcp proxy)\n", p, ifc ? ifc : "all");
	} else if (errno == EEXIST) {
		printf("kept    %s\n", p);
	} else {
		fprintf(stderr, "pinetboot init: %s: %s\n", p, strerror(errno));
		return 1;
	}
	printf("\nnext steps:\n"
	       "  1. pinetboot image import NAME --from 2024-11-19-raspios-bookworm-arm64-lite.img.xz%s\n"
	       "     (or --from / to copy this machine, or --from a debootstrap directory)\n"
	       "  2. on each Pi: 'vcgencmd otp_dump | pinetboot check-otp -' (Pi 3) or\n"
	       "     'pinetboot eeprom-config' (Pi 4/5) to enable network boot; note its serial\n"
	       "  3. pinetboot add SERIAL --image NAME --name HOST%s\n"
	       "  4. pinetboot serve%s   (or restart the service), then power the Pi on\n",
	       strcmp(data, DEFAULT_DATA) ? " --data DIR" : "", strcmp(data, DEFAULT_DATA) ? " --data DIR" : "",
	       strcmp(data, DEFAULT_DATA) ? " --data DIR" : "");
	return 0;
}

/* ------------------------------------------------------------ image */

static int image_list(const char *data, bool json)
{
	char p[PATH_MAX];
	pathf(p, sizeof(p), "%s/images", data);
	DIR *d = opendir(p);
	struct clients reg = { 0 };
	clients_load(&reg, data);
	if (json)
		printf("[");
	else
		printf("%-24s %-8s %-20s %s\n", "NAME", "CLIENTS", "IMPORTED", "SOURCE");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !image_exists(data, de->d_name))
			continue;
		int users = 0;
		for (size_t i = 0; i < reg.n; i++)
			users += strcmp(reg.v[i].image, de->d_name) == 0;
		char src[1024] = "-", when[32] = "-", line[1200];
		pathf(p, sizeof(p), "%s/images/%s/image.conf", data, de->d_name);
		FILE *f = fopen(p, "re");
		while (f && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (strncmp(line, "source = ", 9) == 0)
				snprintf(src, sizeof(src), "%.1000s", line + 9);
			else if (strncmp(line, "imported = ", 11) == 0) {
				time_t t = (time_t)strtoll(line + 11, NULL, 10);
				struct tm tm;
				if (gmtime_r(&t, &tm))
					strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
			}
		}
		if (f)
			fclose(f);
		if (json)
			printf("%s{\"name\":\"%s\",\"clients\":%d,\"imported\":\"%s\"}", n ? "," : "", de->d_name,
			       users, when);
		else
			printf("%-24s %-8d %-20s %s\n", de->d_name, users, when, src);
		n++;
	}
	if (json)
		printf("]\n");
	if (d)
		closedir(d);
	clients_free(&reg);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
					       { "from", required_argument, NULL, 'f' },
					       { "json", no_argument, NULL, 'j' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	const char *data = DEFAULT_DATA, *from = NULL;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'f': from = optarg; break;
		case 'j': json = true; break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: pinetboot image import NAME --from SOURCE [--data DIR]\n"
				"       pinetboot image list [--json] [--data DIR]\n"
				"       pinetboot image rm NAME [--data DIR]\n"
				"SOURCE: / (this system), a mounted root or directory (debootstrap tree),\n"
				"        or a Raspberry Pi OS .img / .img.xz\n");
			return c == 'h' ? 0 : 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : NULL;
	const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (!sub || !data_ok(data)) {
		fprintf(stderr, "usage: pinetboot image import|list|rm ...\n");
		return 2;
	}
	char err[1024];
	if (strcmp(sub, "list") == 0)
		return image_list(data, json);
	if (strcmp(sub, "import") == 0) {
		if (!name || !from) {
			fprintf(stderr, "usage: pinetboot image import NAME --from SOURCE\n");
			return 2;
		}
		if (!need_root("image import"))
			return 1;
		provision_catch_signals();
		int r = image_import(data, name, from, isatty(2), err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "pinetboot image import: %s%s\n", err,
				r == -ECANCELED || r == -ENOSPC ? "; nothing was kept" : "");
			return r == -ECANCELED ? 130 : 1;
		}
		printf("imported image %s into %s/images/%s\n", name, data, name);
		return 0;
	}
	if (strcmp(sub, "rm") == 0) {
		if (!name) {
			fprintf(stderr, "usage: pinetboot image rm NAME\n");
			return 2;
		}
		if (image_remove(data, name, err, sizeof(err)) < 0) {
			fprintf(stderr, "pinetboot image rm: %s\n", err);
			return 1;
		}
		printf("removed image %s\n", name);
		return 0;
	}
	fprintf(stderr, "pinetboot image: unknown subcommand '%s' (import, list, rm)\n", sub);
	return 2;
}

/* ------------------------------------------------------------ add / remove / reset */

/* An only image is the default; with several the user must choose. */
static int default_image(const char *data, char *out, size_t outlen)
{
	char p[PATH_MAX];
	pathf(p, sizeof(p), "%s/images", data);
	DIR *d = opendir(p);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' && image_exists(data, de->d_name)) {
			if (!n)
				snprintf(out, outlen, "%.63s", de->d_name);
			n++;
		}
	if (d)
		closedir(d);
	return n;
}

int cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },  { "mac", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },  { "image", required_argument, NULL, 'i' },
		{ "layout", required_argument, NULL, 'l' }, { "server", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },        { "help", no_argument, NULL, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct add_opts o = { 0 };
	const char *data = DEFAULT_DATA, *mac = NULL;
	char id[18], macn[18], img[64];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:m:n:i:l:s:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'm': mac = optarg; break;
		case 'n': o.name = optarg; break;
		case 'i': o.image = optarg; break;
		case 'l': o.layout = optarg; break;
		case 's': o.server = optarg; break;
		case 'f': o.force = true; break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: pinetboot add ID [--mac MAC] [--name HOST] [--image NAME]\n"
				"                     [--layout overlay|copy] [--server ADDR] [--force] [--data DIR]\n"
				"ID: the Pi's serial (8 hex digits) or its MAC (aa:bb:cc:dd:ee:ff)\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: pinetboot add ID [options]\n");
		return 2;
	}
	if (!data_ok(data))
		return 2;
	if (pi_id_normalise(argv[optind], id) < 0) {
		fprintf(stderr, "pinetboot add: bad id '%.40s': give the serial as 8 hex digits (e.g. 1234abcd) or the MAC "
				"as aa:bb:cc:dd:ee:ff\n", argv[optind]);
		return 2;
	}
	if (mac) {
		uint8_t m[6];
		if (pi_mac_parse(mac, m) < 0) {
			fprintf(stderr, "pinetboot add: bad MAC '%.40s': use aa:bb:cc:dd:ee:ff\n", mac);
			return 2;
		}
		snprintf(macn, sizeof(macn), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
		char as_id[18];
		pi_mac_id(m, as_id);
		/* client.conf must agree with a MAC-named directory. */
		if (strlen(id) != 8 && strcmp(as_id, id) != 0) {
			fprintf(stderr, "pinetboot add: --mac %s contradicts the id %s\n", macn, id);
			return 2;
		}
		o.mac = macn;
	}
	if (o.name && !prov_hostname_ok(o.name)) {
		fprintf(stderr, "pinetboot add: bad host name '%.64s': 1-63 letters, digits or '-'\n", o.name);
		return 2;
	}
	if (o.server) {
		uint32_t a;
		if (net_aton(o.server, &a) < 0) {
			fprintf(stderr, "pinetboot add: --server must be an IPv4 address\n");
			return 2;
		}
	}
	if (!o.image) {
		int n = default_image(data, img, sizeof(img));
		if (n != 1) {
			fprintf(stderr, "pinetboot add: %s\n",
				n ? "several images exist: choose one with --image NAME (pinetboot image list)"
				  : "no image yet: pinetboot image import NAME --from SOURCE first");
			return 1;
		}
		o.image = img;
	}
	if (!o.layout)
		o.layout = provision_have_overlayfs() ? "overlay" : "copy";
	if (strcmp(o.layout, "overlay") && strcmp(o.layout, "copy")) {
		fprintf(stderr, "pinetboot add: --layout must be overlay or copy\n");
		return 2;
	}
	if (!need_root("add") || sodium_init() < 0)
		return 1;
	o.id = id;
	provision_catch_signals();
	char err[1024];
	int r = client_add(data, &o, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "pinetboot add: %s\n", err);
		return r == -ECANCELED ? 130 : 1;
	}
	printf("added client %s (image %s, layout %s)\n"
	       "  root %s/clients/%s/root, boot %s/clients/%s/boot\n"
	       "  a running 'pinetboot serve' picks it up on SIGHUP (kill -HUP $(pidof pinetboot))\n",
	       id, o.image, o.layout, data, id, data, id);
	return 0;
}

static int id_cmd(int argc, char **argv, const char *usage, const char **ret_data, char id[18], bool *keep)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
					       { "keep-root", no_argument, NULL, 'k' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:kh", opts, NULL)) != -1) {
		if (c == 'd')
			*ret_data = optarg;
		else if (c == 'k' && keep)
			*keep = true;
		else {
			fprintf(c == 'h' ? stdout : stderr, "usage: %s\n", usage);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	if (!data_ok(*ret_data))
		return 2;
	if (pi_id_normalise(argv[optind], id) < 0) {
		fprintf(stderr, "pinetboot: bad id '%.40s' (8 hex digits or aa:bb:cc:dd:ee:ff)\n", argv[optind]);
		return 2;
	}
	return -1;
}

int cmd_remove(int argc, char **argv)
{
	const char *data = DEFAULT_DATA;
	char id[18], err[1024];
	bool keep = false;
	int r = id_cmd(argc, argv, "pinetboot remove ID [--keep-root] [--data DIR]", &data, id, &keep);
	if (r >= 0)
		return r;
	if (!need_root("remove"))
		return 1;
	if (client_remove(data, id, keep, err, sizeof(err)) < 0) {
		fprintf(stderr, "pinetboot remove: %s\n", err);
		return 1;
	}
	printf("removed client %s%s\n", id, keep ? " (its root and boot files are kept)" : "");
	return 0;
}

int cmd_reset(int argc, char **argv)
{
	const char *data = DEFAULT_DATA;
	char id[18], err[1024];
	int r = id_cmd(argc, argv, "pinetboot reset ID [--data DIR]", &data, id, NULL);
	if (r >= 0)
		return r;
	if (!need_root("reset") || sodium_init() < 0)
		return 1;
	provision_catch_signals();
	if (client_reset(data, id, err, sizeof(err)) < 0) {
		fprintf(stderr, "pinetboot reset: %s\n", err);
		return 1;
	}
	printf("client %s is back to its image (fresh host keys, machine-id and fixups)\n", id);
	return 0;
}

/* ------------------------------------------------------------ list / show */

struct row {
	char id[18], mac[18], name[64], model[32], image[64], layout[16], seen[24], addr[16], stage[24];
	bool registered;
};

static void fmt_time(time_t t, char *out, size_t n)
{
	struct tm tm;
	if (!t || !gmtime_r(&t, &tm)) {
		snprintf(out, n, "-");
		return;
	}
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

static void put_json_str(const char *k, const char *v, bool comma)
{
	printf("\"%s\":\"", k);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	printf("\"%s", comma ? "," : "");
}

static void merge_fleet_state(const char *data, struct row *rows, size_t *n, size_t cap)
{
	char p[PATH_MAX], *txt, err[128];
	size_t len;
	pathf(p, sizeof(p), "%s/state/clients.json", data);
	if (read_file_at(AT_FDCWD, p, 16u << 20, &txt, &len) < 0)
		return;
	struct json_node *root = json_parse(txt, len, err, sizeof(err));
	free(txt);
	if (!root)
		return;
	for (const struct json_node *c = root->type == JSON_ARR ? root->child : NULL; c; c = c->next) {
		const char *id = json_get_str(c, "id", "");
		struct row *r = NULL;
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(rows[i].id, id))
				r = &rows[i];
		if (!r)
			continue; /* only Pis we know from disk: the registry is the truth */
		(void)cap;
		snprintf(r->addr, sizeof(r->addr), "%.15s", json_get_str(c, "address", ""));
		const char *st = json_get_str(c, "stage", "");
		if (*st && strcmp(st, "none"))
			snprintf(r->stage, sizeof(r->stage), "%.23s", st);
		double ms = json_get_num(c, "last_seen", 0);
		if (ms > 1e12) /* wall-clock milliseconds */
			fmt_time((time_t)(ms / 1000), r->seen, sizeof(r->seen));
	}
	json_node_free(root);
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
					       { "json", no_argument, NULL, 'j' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	const char *data = DEFAULT_DATA;
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:jh", opts, NULL)) != -1) {
		if (c == 'd')
			data = optarg;
		else if (c == 'j')
			json = true;
		else {
			fprintf(c == 'h' ? stdout : stderr, "usage: pinetboot list [--json] [--data DIR]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (!data_ok(data))
		return 2;
	struct clients reg;
	struct discovery disc;
	if (clients_load(&reg, data) < 0 || discovery_load(&disc, data) < 0) {
		fprintf(stderr, "pinetboot list: cannot read %s\n", data);
		return 1;
	}
	size_t cap = reg.n + disc.n, n = 0;
	struct row *rows = calloc(cap ? cap : 1, sizeof(*rows));
	if (!rows)
		return 1;
	for (size_t i = 0; i < reg.n; i++) {
		const struct client *cl = &reg.v[i];
		struct row *r = &rows[n++];
		r->registered = true;
		snprintf(r->id, sizeof(r->id), "%s", cl->id);
		if (cl->has_mac)
			snprintf(r->mac, sizeof(r->mac), "%02x:%02x:%02x:%02x:%02x:%02x", cl->mac[0], cl->mac[1],
				 cl->mac[2], cl->mac[3], cl->mac[4], cl->mac[5]);
		snprintf(r->name, sizeof(r->name), "%s", cl->name);
		snprintf(r->image, sizeof(r->image), "%s", cl->image);
		snprintf(r->layout, sizeof(r->layout), "%s", cl->layout);
		snprintf(r->stage, sizeof(r->stage), "registered");
	}
	for (size_t i = 0; i < disc.n; i++) {
		const struct discovered *x = &disc.v[i];
		struct row *r = NULL;
		for (size_t k = 0; k < reg.n; k++)
			if (!strcmp(rows[k].id, x->id))
				r = &rows[k];
		if (!r) {
			r = &rows[n++];
			snprintf(r->id, sizeof(r->id), "%s", x->id);
			snprintf(r->stage, sizeof(r->stage), "discovered");
		}
		if (!r->mac[0])
			snprintf(r->mac, sizeof(r->mac), "%02x:%02x:%02x:%02x:%02x:%02x", x->mac[0], x->mac[1],
				 x->mac[2], x->mac[3], x->mac[4], x->mac[5]);
		snprintf(r->model, sizeof(r->model), "%s", x->model);
		fmt_time(x->last_seen, r->seen, sizeof(r->seen));
	}
	/* Last address and boot stage come from the fleet view's state file
	 * (DATA/state/clients.json, written by a running serve); without it
	 * they stay "-". */
	merge_fleet_state(data, rows, &n, cap);
	if (json)
		printf("[");
	else
		printf("%-17s %-17s %-16s %-14s %-14s %-7s %-16s %-15s %s\n", "ID", "MAC", "NAME", "MODEL", "IMAGE",
		       "LAYOUT", "LAST SEEN", "LAST ADDRESS", "STAGE");
	for (size_t i = 0; i < n; i++) {
		struct row *r = &rows[i];
#define D(x) ((x)[0] ? (x) : "-")
		if (json) {
			printf("%s{", i ? "," : "");
			put_json_str("id", r->id, true);
			put_json_str("mac", r->mac, true);
			put_json_str("name", r->name, true);
			put_json_str("model", r->model, true);
			put_json_str("image", r->image, true);
			put_json_str("layout", r->layout, true);
			put_json_str("last_seen", r->seen, true);
			put_json_str("last_address", r->addr, true);
			put_json_str("stage", r->stage, true);
			printf("\"registered\":%s}", r->registered ? "true" : "false");
		} else {
			printf("%-17s %-17s %-16s %-14s %-14s %-7s %-16s %-15s %s\n", r->id, D(r->mac), D(r->name),
			       D(r->model), D(r->image), D(r->layout), D(r->seen), D(r->addr), D(r->stage));
		}
#undef D
	}
	if (json)
		printf("]\n");
	free(rows);
	clients_free(&reg);
	discovery_free(&disc);
	return 0;
}

int cmd_show(int argc, char **argv)
{
	const char *data = DEFAULT_DATA;
	char id[18], p[PATH_MAX], e[512];
	int r = id_cmd(argc, argv, "pinetboot show ID [--data DIR]", &data, id, NULL);
	if (r >= 0)
		return r;
	struct client cl;
	pathf(p, sizeof(p), "%s/clients/%s/client.conf", data, id);
	if (access(p, F_OK) < 0) {
		fprintf(stderr, "pinetboot show: no client %s (pinetboot list)\n", id);
		return 1;
	}
	if (client_parse_file(&cl, p, id, e, sizeof(e)) < 0) {
		fprintf(stderr, "pinetboot show: %s\n", e);
		return 1;
	}
	printf("id:      %s\n", cl.id);
	if (cl.has_serial)
		printf("serial:  %08x\n", cl.serial);
	if (cl.has_mac)
		printf("mac:     %02x:%02x:%02x:%02x:%02x:%02x\n", cl.mac[0], cl.mac[1], cl.mac[2], cl.mac[3],
		       cl.mac[4], cl.mac[5]);
	printf("name:    %s\nimage:   %s\nlayout:  %s\n", cl.name[0] ? cl.name : "-", cl.image[0] ? cl.image : "-",
	       cl.layout[0] ? cl.layout : "-");
	pathf(p, sizeof(p), "%s/clients/%s/root", data, id);
	printf("root:    %s%s\n", p,
	       !strcmp(cl.layout, "overlay") ? (provision_is_mounted(p) ? " (overlay, mounted)" : " (overlay, not mounted: serve mounts it)") : "");
	pathf(p, sizeof(p), "%s/clients/%s/boot", data, id);
	printf("boot:    %s\n", p);
	pathf(p, sizeof(p), "%s/clients/%s/%s/cmdline.txt", data, id,
	      !strcmp(cl.layout, "overlay") ? "upper/boot" : "boot");
	char *txt;
	size_t len;
	if (read_file_at(AT_FDCWD, p, PROV_CMDLINE_MAX, &txt, &len) == 0) {
		printf("cmdline: %s", txt);
		if (!len || txt[len - 1] != '\n')
			putchar('\n');
		free(txt);
	}
	return 0;
}

/* ------------------------------------------------------------ Pi preparation */

int cmd_prepare_sd(int argc, char **argv)
{
	static const struct option opts[] = { { "bootcode-only", no_argument, NULL, 'b' },
					       { "bootcode", required_argument, NULL, 'c' },
					       { "data", required_argument, NULL, 'd' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	const char *data = DEFAULT_DATA, *bootcode = NULL;
	bool only = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "bc:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': only = true; break;
		case 'c': bootcode = optarg; break;
		case 'd': data = optarg; break;
		default:
			fprintf(c == 'h' ? stdout : stderr,
				"usage: pinetboot prepare-sd BOOT_DIR                       (Pi 3B: enable USB/network boot in OTP)\n"
				"       pinetboot prepare-sd BOOT_DIR --bootcode-only [--bootcode FILE] [--data DIR]\n"
				"BOOT_DIR is a mounted SD card boot partition. The first form adds\n"
				"program_usb_boot_mode=1 to config.txt: boot the Pi once from that card, then check\n"
				"with 'vcgencmd otp_dump | pinetboot check-otp -'. The second writes a card with only\n"
				"bootcode.bin and a 'timeout' file, which netboots Pis whose ROM netboot is unreliable.\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || !data_ok(data)) {
		fprintf(stderr, "usage: pinetboot prepare-sd BOOT_DIR [--bootcode-only]\n");
		return 2;
	}
	const char *dir = argv[optind];
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "pinetboot prepare-sd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	int rc = 0;
	if (only) {
		char src[PATH_MAX], *b = NULL;
		size_t len = 0;
		if (!bootcode)
			pathf(src, sizeof(src), "%s/boot/bootcode.bin", data);
		int r = read_file_at(AT_FDCWD, bootcode ? bootcode : src, 1 << 20, &b, &len);
		if (r < 0) {
			fprintf(stderr, "pinetboot prepare-sd: %s: %s (give --bootcode FILE)\n", bootcode ? bootcode : src,
				strerror(-r));
			close(dfd);
			return 1;
		}
		/* bootcode.bin from the SD card, then network; the empty
		 * "timeout" file makes it retry the network instead of giving up. */
		if ((r = write_file_at(dfd, "bootcode.bin", b, len, 0644)) < 0 ||
		    (r = write_file_at(dfd, "timeout", "", 0, 0644)) < 0) {
			fprintf(stderr, "pinetboot prepare-sd: writing to %s: %s\n", dir, strerror(-r));
			rc = 1;
		} else {
			printf("wrote %s/bootcode.bin (%zu bytes) and %s/timeout\n", dir, len, dir);
		}
		free(b);
		close(dfd);
		return rc;
	}
	char *cfg = NULL;
	size_t len = 0;
	int r = read_file_at(dfd, "config.txt", 1 << 20, &cfg, &len);
	if (r == -ENOENT) {
		cfg = strdup("");
		r = cfg ? 0 : -ENOMEM;
	}
	if (r < 0) {
		fprintf(stderr, "pinetboot prepare-sd: %s/config.txt: %s\n", dir, strerror(-r));
		close(dfd);
		return 1;
	}
	bool have = false;
	for (char *l = cfg; l && *l;) {
		char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
			n--;
		static const char want[] = "program_usb_boot_mode=1";
		if (n == sizeof(want) - 1 && strncmp(l, want, n) == 0)
			have = true;
		l = nl ? nl + 1 : NULL;
	}
	if (have) {
		printf("%s/config.txt already has program_usb_boot_mode=1\n", dir);
	} else {
		static const char add[] = "\n[all]\n# pinetboot: program the OTP for USB/network boot. Boot once, check\n"
					  "# 'vcgencmd otp_dump | grep 17:' shows 17:3020000a, then remove this line.\n"
					  "program_usb_boot_mode=1\n";
		char *n = malloc(len + sizeof(add));
		if (!n || (memcpy(n, cfg, len), memcpy(n + len, add, sizeof(add)),
			   write_file_at(dfd, "config.txt", n, len + sizeof(add) - 1, 0644) < 0)) {
			fprintf(stderr, "pinetboot prepare-sd: writing %s/config.txt failed\n", dir);
			rc = 1;
		} else {
			printf("added program_usb_boot_mode=1 to %s/config.txt\n"
			       "boot the Pi 3B once from this card, then run 'vcgencmd otp_dump | pinetboot check-otp -'\n",
			       dir);
		}
		free(n);
	}
	free(cfg);
	close(dfd);
	return rc;
}

int cmd_check_otp(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
		printf("usage: pinetboot check-otp [FILE|-]\n"
		       "reads the output of 'vcgencmd otp_dump' (stdin by default) and says whether\n"
		       "network boot is enabled. Exit status 0 enabled, 1 not enabled, 2 unreadable.\n");
		return argc > 2 ? 2 : 0;
	}
	char *txt;
	size_t len;
	const char *path = argc == 2 ? argv[1] : "-";
	int r = slurp(path, 1 << 16, &txt, &len);
	if (r < 0) {
		fprintf(stderr, "pinetboot check-otp: %s: %s\n", path, strerror(-r));
		return 2;
	}
	struct otp o;
	r = otp_parse(txt, len, &o);
	free(txt);
	if (r <= 0) {
		fprintf(stderr, "pinetboot check-otp: %s: no 'NN:xxxxxxxx' rows (is this 'vcgencmd otp_dump' output?)\n",
			path);
		return 2;
	}
	char out[4096];
	enum otp_verdict v = otp_report(&o, out, sizeof(out));
	fputs(out, stdout);
	return v == OTP_NETBOOT_DISABLED ? 1 : v == OTP_NETBOOT_UNKNOWN ? 2 : 0;
}

int cmd_eeprom_config(int argc, char **argv)
{
	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))) {
		printf("usage: pinetboot eeprom-config [FILE|-]\n"
		       "without FILE: print the Pi 4/5 bootloader settings for network boot;\n"
		       "with FILE (e.g. 'rpi-eeprom-config > FILE'): validate it.\n");
		return argc > 2 ? 2 : 0;
	}
	if (argc == 2) {
		char *txt, out[16384];
		size_t len;
		int r = slurp(argv[1], 1 << 16, &txt, &len);
		if (r < 0) {
			fprintf(stderr, "pinetboot eeprom-config: %s: %s\n", argv[1], strerror(-r));
			return 2;
		}
		int errs = eeprom_validate(txt, len, out, sizeof(out));
		free(txt);
		fputs(out, stdout);
		printf("%s: %d error%s\n", argv[1], errs, errs == 1 ? "" : "s");
		return errs ? 1 : 0;
	}
	char raw[1024], expl[1200];
	eeprom_boot_order_explain("0xf21", raw, sizeof(raw), NULL);
	/* the explanation goes into the config as comments */
	size_t o = 0;
	for (const char *l = raw; *l && o + 4 < sizeof(expl);) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (o + n + 2 >= sizeof(expl))
			break;
		expl[o++] = '#';
		memcpy(expl + o, l, n);
		o += n;
		l += n;
	}
	expl[o] = '\0';
	printf("# Pi 4 / 400 / CM4 / Pi 5 bootloader settings for network boot with pinetboot.\n"
	       "# Apply on the Pi:  sudo -E rpi-eeprom-config --edit   (takes effect at the next reboot)\n"
	       "# Check:            rpi-eeprom-config   or   vcgencmd bootloader_config\n"
	       "[all]\n"
	       "BOOT_UART=0\n"
	       "# BOOT_ORDER is read right to left, one hex digit per boot mode:\n"
	       "#   1 SD card, 2 NETWORK, 3 RPIBOOT, 4 USB mass storage, 5 BCM-USB-MSD, 6 NVMe,\n"
	       "#   7 HTTP, e STOP, f RESTART (start the list again)\n"
	       "# 0xf21: SD card first (an inserted card wins), then the network, repeat:\n"
	       "%s"
	       "# 0xf12 tries the network first; 0xf2 is network only (loops until a server answers).\n"
	       "BOOT_ORDER=0xf21\n"
	       "# 0 = retry the network forever within one pass of BOOT_ORDER\n"
	       "NET_BOOT_MAX_RETRIES=0\n"
	       "# How long to wait for each file (ms); the default 30000 makes a missing file slow.\n"
	       "TFTP_FILE_TIMEOUT=30000\n"
	       "DHCP_TIMEOUT=45000\n"
	       "DHCP_REQ_TIMEOUT=4000\n"
	       "# TFTP_PREFIX: which directory the Pi asks for:\n"
	       "#   0 = its serial (8 hex digits) - pinetboot's default client id, 'pinetboot add SERIAL'\n"
	       "#   1 = the fixed string TFTP_PREFIX_STR (all Pis share one directory)\n"
	       "#   2 = its MAC as aa-bb-cc-dd-ee-ff - then 'pinetboot add aa:bb:cc:dd:ee:ff'\n"
	       "TFTP_PREFIX=0\n"
	       "# TFTP_IP=192.168.1.10  only if the DHCP answers must be overridden (not needed with pinetboot)\n"
	       "ENABLE_SELF_UPDATE=1\n",
	       expl);
	return 0;
}
