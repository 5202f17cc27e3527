/* pi_access.c - the trust rule for a Pi's files (see pi_access.h).
 *
 * The LAN is not trusted. A Pi's boot files and root go only to
 *   1. its fixed address (client.conf `address =`),
 *   2. an address inside admin-networks,
 *   3. the address whose MAC in the kernel's neighbour table is the Pi's
 *      known MAC (client.conf `mac =`, given or learned from a boot that
 *      completed), or
 *   4. with no known MAC yet: the address whose neighbour MAC is the MAC
 *      that received this Pi's boot answer within the bind window; that
 *      completed boot teaches the Pi's MAC (learn_mac).
 * With dhcp = off there are no boot answers: the first address to ask is
 * bound together with its MAC (trust on first use) and keeps it.
 * Taking a Pi's files therefore needs its MAC and its IP address, which is
 * what a kernel NFS server with IP exports asks too.
 *
 * Owns: the decision (allow/deny, bind, learn) and its reason text. Must
 * not touch: the network, files, the clock (now is passed in). */
#include "pi/pi_access.h"

#include <stdio.h>
#include <string.h>

#include "pi/pi_id.h"

static void ntoa(uint32_t a, char out[16])
{
	const uint8_t *b = (const uint8_t *)&a;
	snprintf(out, 16, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
}

static void deny(struct pi_access_out *out, const char *fmt_reason)
{
	out->v = PI_DENY;
	snprintf(out->why, sizeof(out->why), "%s", fmt_reason);
}

void pi_access_decide(const struct pi_access_in *in, struct pi_access_out *out)
{
	char a[16], b[16], m1[18], m2[18], why[160];
	memset(out, 0, sizeof(*out));
	ntoa(in->addr, a);
	if (in->fixed_addr && in->fixed_addr == in->addr) {
		out->v = PI_ALLOW_FIXED;
		return;
	}
	if (in->admin) {
		out->v = PI_ALLOW_ADMIN;
		return;
	}
	if (in->fixed_addr) {
		ntoa(in->fixed_addr, b);
		snprintf(why, sizeof(why), "request from %s, client.conf says %s", a, b);
		deny(out, why);
		return;
	}
	if (!in->has_neigh) {
		snprintf(why, sizeof(why), "request from %s, which has no neighbour (ARP) entry: not on a served link", a);
		deny(out, why);
		return;
	}
	pi_mac_str(in->neigh_mac, m1);
	if (in->has_known_mac) {
		if (memcmp(in->neigh_mac, in->known_mac, 6) == 0) {
			out->v = PI_ALLOW_MAC;
			out->bind = in->bound_addr != in->addr;
			return;
		}
		pi_mac_str(in->known_mac, m2);
		snprintf(why, sizeof(why), "request from %s (MAC %s), this Pi's MAC is %s", a, m1, m2);
		deny(out, why);
		return;
	}
	bool fresh = in->has_answer && in->now_ms >= in->answer_ms && in->now_ms - in->answer_ms < in->window_ms;
	if (fresh && memcmp(in->neigh_mac, in->answer_mac, 6) == 0) {
		out->v = PI_ALLOW_ANSWER;
		out->bind = true;
		out->learn_mac = true;
		return;
	}
	if (in->tofu) {
		if (!in->bound_addr) {
			out->v = PI_ALLOW_TOFU;
			out->bind = true;
			return;
		}
		if (in->bound_addr == in->addr && in->has_bound_mac && memcmp(in->bound_mac, in->neigh_mac, 6) == 0) {
			out->v = PI_ALLOW_TOFU;
			return;
		}
		ntoa(in->bound_addr, b);
		snprintf(why, sizeof(why), "request from %s (MAC %s), client booted from %s", a, m1, b);
		deny(out, why);
		return;
	}
	if (fresh) {
		pi_mac_str(in->answer_mac, m2);
		snprintf(why, sizeof(why), "request from %s (MAC %s), the boot answer went to MAC %s", a, m1, m2);
	} else if (in->bound_addr) {
		ntoa(in->bound_addr, b);
		snprintf(why, sizeof(why), "request from %s (MAC %s), client booted from %s", a, m1, b);
	} else {
		snprintf(why, sizeof(why), "request from %s (MAC %s), no recent boot answer for this Pi", a, m1);
	}
	deny(out, why);
}

const char *pi_access_verdict_name(enum pi_access_verdict v)
{
	static const char *const names[] = { "denied", "fixed address", "admin network",
					     "its MAC", "its boot answer", "first to ask (dhcp = off)" };
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}
