/* fleet_http_post.c - the API's two POST calls: register (the daemon's
 * register_client hook starts `pinetboot add`) and the Pi's end-of-boot
 * check-in (an event on the bus).
 *
 * Owns: the register and check-in requests. Must not touch: the registry
 * files (pinetboot add writes them), processes (the hook starts them),
 * routing and the token check for register (fleet_http.c does it). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "fleet/fleet_http_internal.h"

/* register: the same as `pinetboot add ID --image DEFAULT [--name N]`,
 * with the default image (DATA/boot/.pinetboot-image or the only one). */
enum MHD_Result fleet_http_register(struct req *r, const char *id)
{
	struct fleet_http *h = r->h;
	const char *name = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "name");
	if (name) {
		size_t n = strlen(name);
		bool ok = n > 0 && n < 64;
		for (size_t i = 0; ok && i < n; i++)
			ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
			     (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '.';
		if (!ok)
			return fleet_http_send_error(r, 400, "name: 1 to 63 characters of A-Z a-z 0-9 . -");
	}
	if (clients_find_id(h->hk.clients, id))
		return fleet_http_send_error(r, 409, "already registered");
	char image[64];
	h->hk.default_image(h->hk.ctx, image, sizeof(image));
	if (!image[0])
		return fleet_http_send_error(r, 409, "no default image: import one first (pinetboot image import NAME --from SOURCE)");
	int e = h->hk.register_client ? h->hk.register_client(h->hk.ctx, id, image, name) : -ENOSYS;
	if (e < 0)
		return fleet_http_send_error(r, 500, "cannot start pinetboot add");
	log_info("fleet", "%s: registering through the API (pinetboot add %s --image %s)", id, id, image);
	struct jbuf j;
	jb_init(&j, 4096);
	json_obj_begin(&j);
	json_kv_str(&j, "registering", id);
	json_kv_str(&j, "image", image);
	json_obj_end(&j);
	enum MHD_Result ret = fleet_http_send_json(r, 202, &j);
	jb_free(&j);
	return ret;
}

enum MHD_Result fleet_http_checkin(struct req *r, const char *id, uint32_t peer)
{
	char why[160] = "";
	int a = r->h->hk.client_access(r->h->hk.ctx, id, peer, why, sizeof(why));
	if (a == 0)
		return fleet_http_send_error(r, 404, "no such client");
	if (a < 0 && !fleet_http_has_token(r))
		return fleet_http_send_error(r, 403, "check-in is accepted from the client's own address (or with the token)");
	struct boot_event e;
	memset(&e, 0, sizeof(e));
	e.type = BEV_CHECKIN;
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.addr = peer;
	/* The body is free text from the client (e.g. its uptime). */
	snprintf(e.detail, sizeof(e.detail), "%.*s", (int)(r->body_len < 159 ? r->body_len : 159), r->body);
	for (char *p = e.detail; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	events_emit(r->h->hk.bus, &e);
	return fleet_http_send_buf(r, 200, "application/json", "{\"ok\":true}\n", 12);
}
