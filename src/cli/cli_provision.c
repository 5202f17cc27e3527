/* cli_provision.c - the provisioning subcommands: init, image, add, remove,
 * list, show, reset, prepare-sd, check-otp, eeprom-config. Argument
 * parsing, messages and exit codes live here; the work is done in
 * src/provision/. Exit status: 0 ok, 1 failure, 2 usage error.
 *
 * Owns: option parsing, messages and exit codes of
 * init/image/add/remove/reset/list/show. Must not touch: client.conf's
 * format (pi/pi_registry.c), the data dir's layout (provision/), the
 * server's insides. */
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

#include "cmds.h"
#include "cli/cli_prov.h"
#include "core/net.h"
#include "pi/pi_discovery.h"
#include "pi/pi_id.h"
#include "pi/pi_registry.h"
#include "fleet/json.h"
#include "provision/copytree.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"
#include "provision/provision.h"


int cli_data_ok(const char *d)
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
	if (!cli_no_more_args("init", argc, argv, optind))
		return 2;
	if (!cli_data_ok(data) || sodium_init() < 0)
		return 1;
	char p[PATH_MAX];
	/* clients/ and images/ hold what the Pis (root in their exports)
	 * made: only root may enter them. */
	static const char *const dirs[] = { "", "/boot", "/clients", "/images", "/state" };
	static const mode_t modes[] = { 0755, 0755, 0700, 0700, 0755 };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		pathf(p, sizeof(p), "%s%s", data, dirs[i]);
		if (mkdir(p, modes[i]) == 0)
			printf("created %s/\n", p);
		else if (errno != EEXIST) {
			fprintf(stderr, "pinetboot init: %s: %s\n", p, strerror(errno));
			return 1;
		}
	}
	/* The NFS server signs its file handles with this key; it must stay
	 * secret (0600) and stable, so an existing key is never replaced. */
	if (provision_secure_tree(data) < 0)
		fprintf(stderr, "pinetboot init: warning: could not make %s/clients and images 0700\n", data);
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
	char def[64];
	clients_load(&reg, data);
	/* The default image is the one DATA/boot was filled from. */
	bool managed = boot_default_get(data, def, sizeof(def)) == 1;
	if (json)
		printf("[");
	else
		printf("%-24s %-8s %-8s %-20s %s\n", "NAME", "DEFAULT", "CLIENTS", "IMPORTED", "SOURCE");
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
		bool is_def = managed && !strcmp(def, de->d_name);
		if (json)
			printf("%s{\"name\":\"%s\",\"default\":%s,\"clients\":%d,\"imported\":\"%s\"}", n ? "," : "",
			       de->d_name, is_def ? "true" : "false", users, when);
		else
			printf("%-24s %-8s %-8d %-20s %s\n", de->d_name, is_def ? "yes" : "-", users, when, src);
		n++;
	}
	if (json)
		printf("]\n");
	else if (!managed)
		printf("(no default: %s/boot is %s)\n", data,
		       boot_default_get(data, def, sizeof(def)) == 0 ? "empty" : "filled by hand");
	if (d)
		closedir(d);
	clients_free(&reg);
	return 0;
}

static void image_usage(FILE *f)
{
	fprintf(f, "usage: pinetboot image import NAME --from SOURCE [--data DIR]\n"
		   "       pinetboot image list [--json] [--data DIR]\n"
		   "       pinetboot image default NAME [--force] [--data DIR]\n"
		   "       pinetboot image rm NAME [--data DIR]\n"
		   "SOURCE: / (this system), a mounted root or directory (debootstrap tree),\n"
		   "        or a Raspberry Pi OS .img / .img.xz\n"
		   "default: fill the shared DATA/boot (what Pis without their own boot files get) from\n"
		   "        image NAME; the first image imported fills an empty DATA/boot by itself.\n"
		   "        --force replaces boot files put there by hand (kept in DATA/boot.old-TIME).\n");
}

static int image_do_import(const char *data, const char *name, const char *from)
{
	char err[1024];
	if (!from) {
		fprintf(stderr, "usage: pinetboot image import NAME --from SOURCE\n");
		return 2;
	}
	if (!need_root("image import"))
		return 1;
	provision_catch_signals();
	int r = image_import(data, name, from, isatty(2), err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "pinetboot image import: %s%s\n", err,
			r == -ECANCELED || r == -ENOSPC || r == -EFBIG ? "; nothing was kept" : "");
		return r == -ECANCELED ? 130 : 1;
	}
	printf("imported image %s into %s/images/%s\n", name, data, name);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
					       { "from", required_argument, NULL, 'f' },
					       { "json", no_argument, NULL, 'j' },
					       { "force", no_argument, NULL, 'F' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	const char *data = DEFAULT_DATA, *from = NULL;
	bool json = false, force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:f:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'f': from = optarg; break;
		case 'j': json = true; break;
		case 'F': force = true; break;
		default:
			image_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	const char *sub = optind < argc ? argv[optind] : NULL;
	if (!sub || !cli_data_ok(data)) {
		fprintf(stderr, "usage: pinetboot image import|list|default|rm ... (pinetboot image --help)\n");
		return 2;
	}
	bool is_list = strcmp(sub, "list") == 0;
	if (!is_list && strcmp(sub, "import") && strcmp(sub, "rm") && strcmp(sub, "default")) {
		fprintf(stderr, "pinetboot image: unknown subcommand '%.40s' (import, list, default, rm)\n", sub);
		return 2;
	}
	/* list takes no name; the others exactly one. */
	const char *name = !is_list && optind + 1 < argc ? argv[optind + 1] : NULL;
	if (!is_list && !name) {
		fprintf(stderr, "usage: pinetboot image %s NAME (pinetboot image --help)\n", sub);
		return 2;
	}
	if (!cli_no_more_args("image", argc, argv, optind + (is_list ? 1 : 2)))
		return 2;
	char err[1024];
	if (is_list)
		return image_list(data, json);
	if (strcmp(sub, "import") == 0)
		return image_do_import(data, name, from);
	if (strcmp(sub, "default") == 0) {
		if (!need_root("image default"))
			return 1;
		if (boot_default_set(data, name, force, err, sizeof(err)) < 0) {
			fprintf(stderr, "pinetboot image default: %s\n", err);
			return 1;
		}
		printf("%s/boot now holds the boot files of image %s\n", data, name);
		return 0;
	}
	if (image_remove(data, name, err, sizeof(err)) < 0) {
		fprintf(stderr, "pinetboot image rm: %s\n", err);
		return 1;
	}
	printf("removed image %s\n", name);
	char def[64];
	if (boot_default_get(data, def, sizeof(def)) == 1 && !strcmp(def, name))
		printf("note: %s/boot still holds its boot files (pinetboot image default OTHER switches them)\n", data);
	return 0;
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

static void mac_str(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* The positional name and --mac together: one serial and/or one MAC.
 * 0, or 2 (usage error, message printed). */
static int add_names(const char *pos, const char *mac, struct pi_name *pn)
{
	if (prov_pi_name_parse(pos, pn) < 0) {
		fprintf(stderr, "pinetboot add: bad id '%.40s': give the serial (8 hex digits, e.g. 1234abcd, or the 16 "
				"/proc/cpuinfo prints) or the MAC (aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff)\n", pos);
		return 2;
	}
	if (!mac)
		return 0;
	uint8_t m[6];
	char a[18], b[18];
	if (pi_mac_parse(mac, m) < 0) {
		fprintf(stderr, "pinetboot add: bad MAC '%.40s': use aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff\n", mac);
		return 2;
	}
	if (pn->has_mac && memcmp(pn->mac, m, 6) != 0) {
		mac_str(m, a);
		mac_str(pn->mac, b);
		fprintf(stderr, "pinetboot add: --mac %s contradicts the id %s\n", a, b);
		return 2;
	}
	memcpy(pn->mac, m, 6);
	pn->has_mac = true;
	return 0;
}

/* A Pi is one record: its serial or MAC in another client's client.conf
 * is refused. 0, or 1 with the message printed. */
static int add_unique(const char *data, const char *id, const struct pi_name *pn)
{
	struct clients reg;
	char ms[18];
	if (clients_load(&reg, data) < 0) {
		fprintf(stderr, "pinetboot add: cannot read %s/clients\n", data);
		return 1;
	}
	int rc = 0;
	for (size_t i = 0; i < reg.n && !rc; i++) {
		const struct client *c = &reg.v[i];
		if (!strcmp(c->id, id))
			continue;
		if (pn->has_serial && c->has_serial && c->serial == pn->serial) {
			fprintf(stderr, "pinetboot add: serial %08x is already client %s's: a Pi is one record "
					"(pinetboot show %s; remove it first to register the Pi again)\n",
				(unsigned)pn->serial, c->id, c->id);
			rc = 1;
		} else if (pn->has_mac && c->has_mac && !memcmp(c->mac, pn->mac, 6)) {
			mac_str(pn->mac, ms);
			fprintf(stderr, "pinetboot add: MAC %s is already client %s's: a Pi is one record "
					"(pinetboot show %s; remove it first to register the Pi again)\n", ms, c->id, c->id);
			rc = 1;
		} else if (pn->has_mac && !pn->has_serial && !memcmp(pn->mac, "\xb8\x27\xeb", 3) && c->has_serial &&
			   (c->serial & 0xffffff) == ((uint32_t)pn->mac[3] << 16 | pn->mac[4] << 8 | pn->mac[5])) {
			fprintf(stderr, "warning: client %s's serial ends in %06x like this Pi 3 MAC: if it is the same "
					"Pi, register it once: pinetboot add %s --mac ... --force\n",
				c->id, (unsigned)(c->serial & 0xffffff), c->id);
		}
	}
	clients_free(&reg);
	return rc;
}

/* What the owner should know about the names given. */
static void add_notes(const char *pos, const struct pi_name *pn)
{
	if (pn->serial_cut)
		printf("note: %s is the serial as /proc/cpuinfo prints it: using its low 32 bits, %08x (what the "
		       "firmware sends and uses as its TFTP prefix)\n", pos, (unsigned)pn->serial);
	if (pn->has_mac && !memcmp(pn->mac, "\xb8\x27\xeb", 3)) {
		unsigned low = (unsigned)pn->mac[3] << 16 | (unsigned)pn->mac[4] << 8 | pn->mac[5];
		printf("note: b8:27:eb is a Pi 3 (or older) MAC: the low 24 bits of this Pi's serial are %06x\n", low);
		if (pn->has_serial && (pn->serial & 0xffffff) != low)
			fprintf(stderr, "warning: but serial %08x ends in %06x: is the MAC or the serial mistyped?\n",
				(unsigned)pn->serial, (unsigned)(pn->serial & 0xffffff));
	}
}

static void add_usage(FILE *f)
{
	fprintf(f, "usage: pinetboot add ID [--mac MAC] [--name HOST] [--image NAME] [--layout overlay|copy]\n"
		   "                     [--tftp-prefix STR] [--force [--wipe]] [--data DIR]\n"
		   "ID: the Pi's serial (8 hex digits, or the 16 that /proc/cpuinfo prints: the low 32 bits\n"
		   "    are used) or its MAC (aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff); SERIAL --mac MAC gives both.\n"
		   "    The directory is clients/SERIAL, or clients/aa-bb-cc-dd-ee-ff without a serial.\n"
		   "--force   the client exists (or its files were kept by remove --keep-root): register it\n"
		   "          again, keeping what the Pi wrote (its layer, SSH host keys, machine-id)\n"
		   "--wipe    with --force: start again from the image (what the Pi wrote is deleted)\n"
		   "--server  accepted and ignored: the Pi finds the server from its nfsroot= at boot\n"
		   "--tftp-prefix STR  the Pi's EEPROM has TFTP_PREFIX=1 and TFTP_PREFIX_STR=STR: it asks\n"
		   "          for STR/<file> (with TFTP_PREFIX=2 it asks by MAC and needs nothing here)\n"
		   "exit status: 0 added, 1 refused or failed (exists, serial/MAC of another client), 2 usage\n");
}

/* The same rule as client.conf's tftp-prefix key (src/daemon/clients.c),
 * and never something that reads as another Pi's id. */
static bool tftp_prefix_ok(const char *p)
{
	char id[18];
	size_t n = strlen(p);
	if (n == 0 || n > 63 || !strcmp(p, ".") || !strcmp(p, "..") || pi_id_normalise(p, id) == 0)
		return false;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			return false;
	return true;
}

int cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },  { "mac", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },  { "image", required_argument, NULL, 'i' },
		{ "layout", required_argument, NULL, 'l' }, { "server", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },        { "wipe", no_argument, NULL, 'w' },
		{ "tftp-prefix", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },         { 0, 0, 0, 0 }
	};
	struct add_opts o = { 0 };
	const char *data = DEFAULT_DATA, *mac = NULL;
	char id[18], macn[18], img[64];
	struct pi_name pn;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:m:n:i:l:s:fwp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'm': mac = optarg; break;
		case 'n': o.name = optarg; break;
		case 'i': o.image = optarg; break;
		case 'l': o.layout = optarg; break;
		case 's': break; /* documented no-op since the boot generator */
		case 'f': o.force = true; break;
		case 'w': o.wipe = true; break;
		case 'p': o.tftp_prefix = optarg; break;
		default:
			add_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: pinetboot add ID [options] (pinetboot add --help)\n");
		return 2;
	}
	if (!cli_no_more_args("add", argc, argv, optind + 1) || !cli_data_ok(data))
		return 2;
	if ((c = add_names(argv[optind], mac, &pn)) != 0)
		return c;
	if (o.wipe && !o.force) {
		fprintf(stderr, "pinetboot add: --wipe only goes with --force (it deletes what the Pi wrote)\n");
		return 2;
	}
	if (pn.has_serial)
		pi_serial_id(pn.serial, id);
	else
		pi_mac_id(pn.mac, id);
	if (pn.has_mac) {
		mac_str(pn.mac, macn);
		o.mac = macn;
	}
	if (o.name && !prov_hostname_ok(o.name)) {
		fprintf(stderr, "pinetboot add: bad host name '%.64s': 1-63 letters, digits or '-'\n", o.name);
		return 2;
	}
	if (o.tftp_prefix && !tftp_prefix_ok(o.tftp_prefix)) {
		fprintf(stderr, "pinetboot add: bad --tftp-prefix '%.64s': 1-63 letters, digits, '-', '_' or '.', "
			"not an id (8 hex digits or a MAC)\n", o.tftp_prefix);
		return 2;
	}
	if (o.layout && strcmp(o.layout, "overlay") && strcmp(o.layout, "copy")) {
		fprintf(stderr, "pinetboot add: --layout must be overlay or copy\n");
		return 2;
	}
	if (add_unique(data, id, &pn))
		return 1;
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
	if (!need_root("add") || sodium_init() < 0)
		return 1;
	add_notes(argv[optind], &pn);
	o.id = id;
	char cpath[PATH_MAX];
	pathf(cpath, sizeof(cpath), "%s/clients/%s", data, id);
	bool kept = o.force && !o.wipe && access(cpath, F_OK) == 0;
	provision_catch_signals();
	char err[1024];
	int r = client_add(data, &o, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "pinetboot add: %s\n", err);
		return r == -ECANCELED ? 130 : 1;
	}
	printf("%s client %s (image %s%s)\n"
	       "  root %s/clients/%s/root, boot %s/clients/%s/boot\n"
	       "  a running 'pinetboot serve' picks it up on SIGHUP (kill -HUP $(pidof pinetboot))\n",
	       kept ? "registered" : "added", id, o.image, kept ? "; the Pi's own files were kept" : "", data, id,
	       data, id);
	return 0;
}

int cli_no_more_args(const char *cmd, int argc, char **argv, int first)
{
	if (first >= argc)
		return 1;
	fprintf(stderr, "pinetboot %s: unexpected argument '%.60s' (pinetboot %s --help)\n", cmd, argv[first], cmd);
	return 0;
}

struct id_flags {
	bool *keep; /* --keep-root accepted when set */
	bool *yes;  /* --yes accepted when set */
};

static int id_cmd(int argc, char **argv, const char *usage, const char **ret_data, char id[18],
		  const struct id_flags *fl)
{
	static const struct option opts[] = { { "data", required_argument, NULL, 'd' },
					       { "keep-root", no_argument, NULL, 'k' },
					       { "yes", no_argument, NULL, 'y' },
					       { "help", no_argument, NULL, 'h' },
					       { 0, 0, 0, 0 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:kyh", opts, NULL)) != -1) {
		if (c == 'd')
			*ret_data = optarg;
		else if (c == 'k' && fl && fl->keep)
			*fl->keep = true;
		else if (c == 'y' && fl && fl->yes)
			*fl->yes = true;
		else {
			fprintf(c == 'h' ? stdout : stderr, "usage: %s\n", usage);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	if (!cli_no_more_args(argv[0], argc, argv, optind + 1) || !cli_data_ok(*ret_data))
		return 2;
	if (pi_id_normalise(argv[optind], id) < 0) {
		fprintf(stderr, "pinetboot: bad id '%.40s' (8 hex digits or aa:bb:cc:dd:ee:ff)\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* Deleting what a Pi wrote needs a yes: --yes, or the id typed back on a
 * terminal. 1 confirmed, 0 refused (message printed). */
static int confirm(const char *cmd, const char *id, bool yes, const char *what)
{
	if (yes)
		return 1;
	if (!isatty(0)) {
		fprintf(stderr, "pinetboot %s: this deletes %s; stdin is not a terminal to confirm on: "
				"add --yes\n", cmd, what);
		return 0;
	}
	char line[64];
	fprintf(stderr, "pinetboot %s: this deletes %s.\ntype the id (%s) to confirm: ", cmd, what, id);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin)) {
		fprintf(stderr, "\npinetboot %s: not confirmed, nothing changed\n", cmd);
		return 0;
	}
	line[strcspn(line, "\r\n")] = '\0';
	char typed[18];
	if (pi_id_normalise(line, typed) < 0 || strcmp(typed, id) != 0) {
		fprintf(stderr, "pinetboot %s: not confirmed, nothing changed\n", cmd);
		return 0;
	}
	return 1;
}

int cmd_remove(int argc, char **argv)
{
	const char *data = DEFAULT_DATA;
	char id[18], err[1024], what[160];
	bool keep = false, yes = false;
	struct id_flags fl = { &keep, &yes };
	int r = id_cmd(argc, argv,
		       "pinetboot remove ID [--keep-root | --yes] [--data DIR]\n"
		       "  --keep-root  unregister only: the Pi's files stay, add --force registers it again with them\n"
		       "  --yes        delete its files too without asking (needed when stdin is not a terminal)\n"
		       "  exit status: 0 done, 1 refused or failed, 2 usage",
		       &data, id, &fl);
	if (r >= 0)
		return r;
	if (!need_root("remove"))
		return 1;
	snprintf(what, sizeof(what), "client %s's root and boot files, with everything the Pi wrote (--keep-root "
				     "keeps them)", id);
	if (!keep && !confirm("remove", id, yes, what))
		return 1;
	if (client_remove(data, id, keep, err, sizeof(err)) < 0) {
		fprintf(stderr, "pinetboot remove: %s\n", err);
		return 1;
	}
	printf("removed client %s%s\n", id, keep ? " (its root and boot files are kept: add --force "
						   "registers it again with them)" : "");
	return 0;
}

int cmd_reset(int argc, char **argv)
{
	const char *data = DEFAULT_DATA;
	char id[18], err[1024], what[160];
	bool yes = false;
	struct id_flags fl = { NULL, &yes };
	int r = id_cmd(argc, argv,
		       "pinetboot reset ID [--yes] [--data DIR]\n"
		       "  drops everything an overlay Pi wrote: back to its image with fresh host keys\n"
		       "  --yes  do not ask (needed when stdin is not a terminal)\n"
		       "  exit status: 0 done, 1 refused or failed, 2 usage",
		       &data, id, &fl);
	if (r >= 0)
		return r;
	if (!need_root("reset") || sodium_init() < 0)
		return 1;
	snprintf(what, sizeof(what), "everything client %s wrote to its root and boot files", id);
	if (!confirm("reset", id, yes, what))
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
	if (!cli_no_more_args("list", argc, argv, optind) || !cli_data_ok(data))
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

