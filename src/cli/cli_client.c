/* cli_client.c - the subcommands about one client: add, remove, reset,
 * show. Argument checks, confirmations, messages and exit codes live
 * here; the work is done in src/provision/client.c. Exit status: 0 ok,
 * 1 refused or failed, 2 usage error.
 *
 * Owns: the options and messages of add/remove/reset/show, and the "a Pi
 * is one record" check before add. Must not touch: client.conf's format
 * (pi/pi_registry.c), the data dir's layout (provision/), the server's
 * insides. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "cli/cli_prov.h"
#include "pi/pi_id.h"
#include "pi/pi_registry.h"
#include "provision/prov_text.h"
#include "provision/prov_util.h"
#include "privsep/ps_ctl.h"
#include "provision/provision.h"

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

/* add's options into o, data and mac. -1 to go on, else the exit
 * status (usage printed). On -1, argv[optind] is the Pi's id. */
static int add_args(int argc, char **argv, struct add_opts *o, const char **data, const char **mac)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },  { "mac", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },  { "image", required_argument, NULL, 'i' },
		{ "layout", required_argument, NULL, 'l' }, { "server", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },        { "wipe", no_argument, NULL, 'w' },
		{ "tftp-prefix", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },         { 0, 0, 0, 0 }
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:m:n:i:l:s:fwp:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': *data = optarg; break;
		case 'm': *mac = optarg; break;
		case 'n': o->name = optarg; break;
		case 'i': o->image = optarg; break;
		case 'l': o->layout = optarg; break;
		case 's': break; /* documented no-op since the boot generator */
		case 'f': o->force = true; break;
		case 'w': o->wipe = true; break;
		case 'p': o->tftp_prefix = optarg; break;
		default:
			add_usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: pinetboot add ID [options] (pinetboot add --help)\n");
		return 2;
	}
	if (!cli_no_more_args("add", argc, argv, optind + 1) || !cli_data_ok(*data))
		return 2;
	return -1;
}

/* The option values on their own. 0, or 2 (message printed). */
static int add_check_opts(const struct add_opts *o)
{
	if (o->wipe && !o->force) {
		fprintf(stderr, "pinetboot add: --wipe only goes with --force (it deletes what the Pi wrote)\n");
		return 2;
	}
	if (o->name && !prov_hostname_ok(o->name)) {
		fprintf(stderr, "pinetboot add: bad host name '%.64s': 1-63 letters, digits or '-'\n", o->name);
		return 2;
	}
	if (o->tftp_prefix && !tftp_prefix_ok(o->tftp_prefix)) {
		fprintf(stderr, "pinetboot add: bad --tftp-prefix '%.64s': 1-63 letters, digits, '-', '_' or '.', "
			"not an id (8 hex digits or a MAC)\n", o->tftp_prefix);
		return 2;
	}
	if (o->layout && strcmp(o->layout, "overlay") && strcmp(o->layout, "copy")) {
		fprintf(stderr, "pinetboot add: --layout must be overlay or copy\n");
		return 2;
	}
	return 0;
}

/* Without --image: the only image there is. 0, or 1 (message printed). */
static int add_pick_image(const char *data, struct add_opts *o, char *img, size_t imglen)
{
	if (o->image)
		return 0;
	int n = default_image(data, img, imglen);
	if (n != 1) {
		fprintf(stderr, "pinetboot add: %s\n",
			n ? "several images exist: choose one with --image NAME (pinetboot image list)"
			  : "no image yet: pinetboot image import NAME --from SOURCE first");
		return 1;
	}
	o->image = img;
	return 0;
}

/* Ask a running `pinetboot serve` on data (its root process, through
 * DATA/pinetboot.sock) to do op for id. 1 done (said what), 0 no server
 * listens there, -1 it failed (said why). */
static int ask_server(const char *cmd, const char *data, enum ps_op op, const char *id)
{
	struct ps_msg req, r;
	ps_msg_simple(&req, op, id);
	int e = ps_ctl_request(data, &req, &r, 30000);
	if (e == -ENOENT || e == -ECONNREFUSED)
		return 0;
	if (e < 0) {
		fprintf(stderr, "pinetboot %s: the running server did not answer: %s\n", cmd, strerror(-e));
		return -1;
	}
	if (r.status) {
		fprintf(stderr, "pinetboot %s: the running server: %s (%s)\n", cmd, r.text, strerror((int)r.status));
		return -1;
	}
	printf("  running server: %s\n", r.text);
	return 1;
}


/* Everything checked: make (or re-register) the client and say so. */
static int add_run(const char *data, const struct add_opts *o)
{
	char cpath[PATH_MAX];
	pathf(cpath, sizeof(cpath), "%s/clients/%s", data, o->id);
	bool kept = o->force && !o->wipe && access(cpath, F_OK) == 0;
	provision_catch_signals();
	char err[1024];
	int r = client_add(data, o, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "pinetboot add: %s\n", err);
		return r == -ECANCELED ? 130 : 1;
	}
	printf("%s client %s (image %s%s)\n"
	       "  root %s/clients/%s/root, boot %s/clients/%s/boot\n",
	       kept ? "registered" : "added", o->id, o->image, kept ? "; the Pi's own files were kept" : "", data,
	       o->id, data, o->id);
	if (ask_server("add", data, PS_MOUNT, o->id) == 0)
		printf("  a running 'pinetboot serve' picks it up on SIGHUP (sudo kill -HUP <pid of pinetboot serve>)\n");
	return 0;
}

int cmd_add(int argc, char **argv)
{
	struct add_opts o = { 0 };
	const char *data = DEFAULT_DATA, *mac = NULL;
	char id[18], macn[18], img[64];
	struct pi_name pn;
	int r = add_args(argc, argv, &o, &data, &mac);
	if (r >= 0)
		return r;
	if ((r = add_names(argv[optind], mac, &pn)) != 0 || (r = add_check_opts(&o)) != 0)
		return r;
	if (pn.has_serial)
		pi_serial_id(pn.serial, id);
	else
		pi_mac_id(pn.mac, id);
	if (pn.has_mac) {
		mac_str(pn.mac, macn);
		o.mac = macn;
	}
	if (add_unique(data, id, &pn) || add_pick_image(data, &o, img, sizeof(img)))
		return 1;
	if (!cli_need_root("add") || sodium_init() < 0)
		return 1;
	add_notes(argv[optind], &pn);
	o.id = id;
	return add_run(data, &o);
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
	if (!cli_need_root("remove"))
		return 1;
	snprintf(what, sizeof(what), "client %s's root and boot files, with everything the Pi wrote (--keep-root "
				     "keeps them)", id);
	if (!keep && !confirm("remove", id, yes, what))
		return 1;
	/* A running server lets go of the Pi's files and unmounts its root
	 * first (its mounts may live in a namespace we cannot see). */
	if (ask_server("remove", data, PS_RELEASE, id) < 0)
		return 1;
	if (client_remove(data, id, keep, err, sizeof(err)) < 0) {
		fprintf(stderr, "pinetboot remove: %s\n", err);
		return 1;
	}
	ask_server("remove", data, PS_RELOAD, NULL);
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
	if (!cli_need_root("reset") || sodium_init() < 0)
		return 1;
	snprintf(what, sizeof(what), "everything client %s wrote to its root and boot files", id);
	if (!confirm("reset", id, yes, what))
		return 1;
	provision_catch_signals();
	int served = ask_server("reset", data, PS_RELEASE, id);
	if (served < 0)
		return 1;
	if (client_reset(data, id, err, sizeof(err)) < 0) {
		fprintf(stderr, "pinetboot reset: %s\n", err);
		if (served)
			ask_server("reset", data, PS_MOUNT, id);
		return 1;
	}
	printf("client %s is back to its image (fresh host keys, machine-id and fixups)\n", id);
	if (served)
		ask_server("reset", data, PS_MOUNT, id);
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
