/* dhcp_registry.h - what DHCP may ask of the Pi registry, as callbacks.
 *
 * Owns only the shape of the view: the proxy handler (dhcp_proxy.c) and
 * the full-mode responder look a Pi up, claim it for a MAC and note an
 * unknown one through it, so src/dhcp never includes the daemon. The
 * daemon fills it (daemon/dhcp_registry.c); tests fill it with fakes. */
#ifndef PINETBOOT_DHCP_REGISTRY_H
#define PINETBOOT_DHCP_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp/dhcp_pi.h"

/* A registered Pi as DHCP sees it. The strings belong to the registry and
 * stay valid until the handler returns. */
struct dhcp_known {
	void *ref;              /* the registry's handle, passed back to claim() */
	const char *id;         /* its id (serial or MAC form) */
	const char *name;       /* "" when it has none */
	uint32_t fixed_addr;    /* client.conf address, network order; 0 = none */
};

struct dhcp_registry {
	void *ctx;
	/* The registered Pi this DISCOVER names: true with *ret filled. */
	bool (*lookup)(void *ctx, const struct pi_ident *pi, struct dhcp_known *ret);
	/* A boot answer is about to go to mac for k: false when the Pi is
	 * contested (another known MAC or serial; the registry logs it). */
	bool (*claim)(void *ctx, const struct dhcp_known *k, const uint8_t mac[6], const struct pi_ident *pi);
	/* An unregistered Pi asked at now (wall seconds). */
	void (*note_unknown)(void *ctx, const struct pi_ident *pi, int64_t now);
};

#endif
