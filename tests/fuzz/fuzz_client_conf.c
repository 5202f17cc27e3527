/* fuzz_client_conf.c - libFuzzer target for the client.conf reader
 * (src/daemon/clients.c client_parse_file through inih), which the daemon
 * runs on every DATA/clients/<id>/client.conf at start and on SIGHUP. The
 * input's first byte picks the directory name (a serial, a MAC id, or one
 * that is not an id); the rest is the file, handed over as a memfd
 * (/proc/self/fd/N, no disk). Properties: a refused file has an error
 * message; an accepted one has the directory's id and the identity from
 * it (serial or MAC matching the name), a name and tftp-prefix of the
 * allowed characters, an image without '/', a layout of "", overlay or
 * copy. Seeds in tests/fuzz/corpus/fuzz_client_conf/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/clients.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

static int only(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(extra, *s)))
			return 0;
	return 1;
}

static void check_client(const struct client *cl, const char *dir_id)
{
	static const uint8_t mac[6] = { 0xdc, 0xa6, 0x32, 0x01, 0x02, 0x03 };
	check(strcmp(cl->id, dir_id) == 0);
	if (strlen(dir_id) == 8)
		check(cl->has_serial && cl->serial == 0x1234abcd);
	else
		check(cl->has_mac && memcmp(cl->mac, mac, 6) == 0);
	check(memchr(cl->name, 0, sizeof(cl->name)) && only(cl->name, "-."));
	check(memchr(cl->tftp_prefix, 0, sizeof(cl->tftp_prefix)) && only(cl->tftp_prefix, "-_."));
	check(strcmp(cl->tftp_prefix, ".") != 0 && strcmp(cl->tftp_prefix, "..") != 0);
	check(memchr(cl->image, 0, sizeof(cl->image)) && !strchr(cl->image, '/'));
	check(!cl->layout[0] || !strcmp(cl->layout, "overlay") || !strcmp(cl->layout, "copy"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[] = { "1234abcd", "dc-a6-32-01-02-03", "1234ABCD", "dc:a6:32:01:02:03" };
	static int fd = -1;
	if (size == 0)
		return 0;
	const char *dir_id = ids[data[0] % 4];
	if (fd < 0)
		fd = memfd_create("client.conf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		return 0;
	char path[64], err[512];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct client cl;
	err[0] = '\0';
	if (client_parse_file(&cl, path, dir_id, err, sizeof(err)) < 0) {
		check(err[0] != '\0');
		return 0;
	}
	/* Only normalised ids name a client directory. */
	check(data[0] % 4 < 2);
	check_client(&cl, dir_id);
	return 0;
}
