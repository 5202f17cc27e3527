/* cli_provision.c - the data-dir subcommands: init and image, and the
 * argument helpers every provisioning command shares (cli_prov.h). The
 * commands about one client are in cli_client.c, list in cli_list.c, the
 * Pi-side setup (prepare-sd, check-otp, eeprom-config) in cli_pisetup.c.
 * Exit status: 0 ok, 1 failure, 2 usage error.
 *
 * Owns: option parsing, messages and exit codes of init/image; the shared
 * --data, stray-argument and root checks. Must not touch: client.conf's
 * format (pi/pi_registry.c), the data dir's layout (provision/), the
 * server's insides. */
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
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
#include "pi/pi_registry.h"
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

int cli_no_more_args(const char *cmd, int argc, char **argv, int first)
{
	if (first >= argc)
		return 1;
	fprintf(stderr, "pinetboot %s: unexpected argument '%.60s' (pinetboot %s --help)\n", cmd, argv[first], cmd);
	return 0;
}

int cli_need_root(const char *what)
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

/* The data dir and its subdirectories; existing ones are kept. 0 or 1
 * (message printed). */
static int init_dirs(const char *data)
{
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
	return 0;
}

/* The NFS server signs its file handles with this key; it must stay
 * secret (0600) and stable, so an existing key is never replaced. 0 or 1
 * (message printed). */
static int init_handle_key(const char *data)
{
	char p[PATH_MAX];
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
	return 0;
}

/* A commented pinetboot.conf naming the interface found (if any); an
 * existing one is kept. 0 or 1 (message printed). */
static int init_conf(const char *data)
{
	char p[PATH_MAX];
	pathf(p, sizeof(p), "%s/pinetboot.conf", data);
	const char *ifc = detect_iface();
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST) {
		printf("kept    %s\n", p);
		return 0;
	}
	if (fd < 0) {
		fprintf(stderr, "pinetboot init: %s: %s\n", p, strerror(errno));
		return 1;
	}
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
	return 0;
}

static void init_next_steps(const char *data)
{
	const char *dd = strcmp(data, DEFAULT_DATA) ? " --data DIR" : "";
	printf("\nnext steps:\n"
	       "  1. pinetboot image import NAME --from 2024-11-19-raspios-bookworm-arm64-lite.img.xz%s\n"
	       "     (or --from / to copy this machine, or --from a debootstrap directory)\n"
	       "  2. on each Pi: 'vcgencmd otp_dump | pinetboot check-otp -' (Pi 3) or\n"
	       "     'pinetboot eeprom-config' (Pi 4/5) to enable network boot; note its serial\n"
	       "  3. pinetboot add SERIAL --image NAME --name HOST%s\n"
	       "  4. pinetboot serve%s   (or restart the service), then power the Pi on\n",
	       dd, dd, dd);
}

/* The serving process of `serve` runs as _pinetboot (README,
 * "Privileges"): make that system user when it is missing, as the Debian
 * package's postinst does. */
#define PINETBOOT_USER "_pinetboot"
extern char **environ;

static void init_user(void)
{
	struct passwd *pw = getpwnam(PINETBOOT_USER);
	if (pw || geteuid() != 0)
		return;
	char *const argv[] = { (char *)"useradd", (char *)"--system", (char *)"--user-group",
			       (char *)"--no-create-home", (char *)"--home-dir", (char *)"/nonexistent",
			       (char *)"--shell", (char *)"/usr/sbin/nologin", (char *)"--comment",
			       (char *)"pinetboot serving process", (char *)PINETBOOT_USER, NULL };
	pid_t pid;
	int st = 0;
	if (posix_spawnp(&pid, "useradd", NULL, NULL, argv, environ) != 0 || waitpid(pid, &st, 0) != pid ||
	    !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "pinetboot init: warning: could not create the system user %s (useradd); serve "
			"will run everything as root\n", PINETBOOT_USER);
		return;
	}
	printf("created system user %s: serve's network-facing process runs as it\n", PINETBOOT_USER);
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
	if (init_dirs(data))
		return 1;
	if (provision_secure_tree(data) < 0)
		fprintf(stderr, "pinetboot init: warning: could not make %s/clients and images 0700\n", data);
	if (init_handle_key(data) || init_conf(data))
		return 1;
	init_user();
	init_next_steps(data);
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
	if (!cli_need_root("image import"))
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
		if (!cli_need_root("image default"))
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
