/* fleet_route.c - what an HTTP request asks for, decided from its method
 * and URL path alone (pure, unit-tested without sockets), and the parse of
 * http-listen.
 *
 * Owns: the route table and the id syntax in URLs. Must not touch:
 * libmicrohttpd, the fleet model, the hooks. */
#include <arpa/inet.h>
#include <string.h>

#include "core/net.h"
#include "fleet/fleet_http.h"
#include "pi/pi_id.h"

int fleet_http_parse_listen(const char *s, uint32_t *ret_addr, uint16_t *ret_port, bool *ret_off)
{
	*ret_off = false;
	if (strcmp(s, "off") == 0) {
		*ret_off = true;
		return 0;
	}
	const char *colon = strrchr(s, ':');
	char host[64];
	if (!colon || (size_t)(colon - s) >= sizeof(host) || colon == s)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) != 1)
		return -1;
	uint64_t port;
	if (parse_uint(colon + 1, 65535, &port) < 0 || port == 0)
		return -1;
	*ret_addr = a.s_addr;
	*ret_port = (uint16_t)port;
	return 0;
}

/* An id in canonical form (what pi_id_normalise makes of it): 8 lower
 * case hex digits, or aa-bb-cc-dd-ee-ff. */
bool fleet_valid_id(const char *id)
{
	char norm[18];
	return pi_id_normalise(id, norm) == 0 && strcmp(norm, id) == 0;
}

static const struct {
	const char *prefix;
	bool post;
	bool with_id;
	enum fleet_route route;
} route_tab[] = {
	{ "/api/clients", false, false, RT_CLIENTS },
	{ "/api/client/", false, true, RT_CLIENT },
	{ "/api/events", false, false, RT_EVENTS },
	{ "/api/stats", false, false, RT_STATS },
	{ "/api/discovered", false, false, RT_DISCOVERED },
	{ "/metrics", false, false, RT_METRICS },
	{ "/api/register/", true, true, RT_REGISTER },
	{ "/api/checkin/", true, true, RT_CHECKIN },
};

enum fleet_route fleet_route(const char *method, const char *url, char *ret_id, size_t idlen)
{
	bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	ret_id[0] = '\0';
	for (size_t i = 0; i < sizeof(route_tab) / sizeof(route_tab[0]); i++) {
		size_t pl = strlen(route_tab[i].prefix);
		if (route_tab[i].with_id ? strncmp(url, route_tab[i].prefix, pl) != 0
					 : strcmp(url, route_tab[i].prefix) != 0)
			continue;
		if (route_tab[i].with_id) {
			const char *id = url + pl;
			if (!fleet_valid_id(id) || strlen(id) >= idlen)
				return RT_NOT_FOUND;
			memcpy(ret_id, id, strlen(id) + 1);
		}
		if (route_tab[i].post ? !post : !get)
			return RT_BAD_METHOD;
		return route_tab[i].route;
	}
	size_t len;
	const char *type;
	if (fleet_www_find(url, &len, &type))
		return get ? RT_ASSET : RT_BAD_METHOD;
	return RT_NOT_FOUND;
}

bool fleet_route_mutating(enum fleet_route r)
{
	return r == RT_REGISTER;
}
