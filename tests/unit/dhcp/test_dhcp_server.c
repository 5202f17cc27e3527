/* test_dhcp_server.c - unit tests for the full-mode server (dhcp_server.c).
 *
 * Every message type and client state of RFC 2131 4.3 against an in-memory
 * lease db: DISCOVER/OFFER/REQUEST/ACK, conflict probes, INIT-REBOOT,
 * RENEWING, REBINDING, NAK, DECLINE quarantine, RELEASE, INFORM, pool
 * exhaustion, fixed and MAC-derived addresses, relays, the Pi 3 ROM's
 * binding OFFER, option 55 order and the maximum message size. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp_lease.h"
#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_server.h"
#include "golden_dhcp.h"

#define NOW 1700000000

static struct dhcp_lease_db db;
static struct dhcp_server srv;
static struct dhcp_msg req, rep;
static struct dhcp_server_out out;
static uint32_t reserved_addr;

static uint32_t ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	uint8_t v[4] = { a, b, c, d };
	uint32_t r;
	memcpy(&r, v, 4);
	return r;
}

#define SERVER ip4(10, 0, 0, 1)
#define MASK ip4(255, 255, 255, 0)

static bool reserved(void *ctx, uint32_t addr, const uint8_t mac[6])
{
	(void)ctx;
	(void)mac;
	return addr == SERVER || (reserved_addr && addr == reserved_addr);
}

static void setup_conf(const char *range, bool probe)
{
	struct dhcp_server_conf c;
	char err[128];
	assert_int_equal(dhcp_server_conf_parse(&c, range, "", "", "10.0.0.53", 3600, err, sizeof(err)), 0);
	c.probe = probe;
	dhcp_lease_db_fini(&db);
	dhcp_lease_db_init(&db);
	dhcp_server_init(&srv, &c, &db, reserved, NULL);
	reserved_addr = 0;
}

static int setup(void **state)
{
	(void)state;
	dhcp_lease_db_init(&db);
	setup_conf("10.0.0.100,10.0.0.199,10.9.0.10,10.9.0.20", false);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dhcp_lease_db_fini(&db);
	return 0;
}

struct mk {
	uint8_t type;
	uint8_t mac_last;
	uint32_t ciaddr, giaddr, req_ip, sid;
	uint16_t flags;
	const uint8_t *params;
	size_t nparams;
	uint16_t maxmsg;
	bool cid;
};

/* Build and parse a request into req. */
static void mk_req(const struct mk *k)
{
	uint8_t buf[DHCP_MAX_LEN];
	struct dhcp_msg h;
	memset(&h, 0, sizeof(h));
	h.op = BOOTREQUEST;
	h.htype = 1;
	h.hlen = 6;
	h.xid = 0x11223344u;
	h.flags = k->flags;
	h.ciaddr = k->ciaddr;
	h.giaddr = k->giaddr;
	uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, k->mac_last };
	memcpy(h.chaddr, mac, 6);
	struct wr w = wr_init(buf, sizeof(buf));
	dhcp_write_header(&w, &h);
	dhcp_write_opt_u8(&w, DHO_MSG_TYPE, k->type);
	if (k->req_ip)
		dhcp_write_opt(&w, DHO_REQUESTED_IP, &k->req_ip, 4);
	if (k->sid)
		dhcp_write_opt(&w, DHO_SERVER_ID, &k->sid, 4);
	if (k->params)
		dhcp_write_opt(&w, DHO_PARAM_LIST, k->params, k->nparams);
	if (k->maxmsg) {
		uint8_t v[2] = { (uint8_t)(k->maxmsg >> 8), (uint8_t)k->maxmsg };
		dhcp_write_opt(&w, DHO_MAX_MSG_SIZE, v, 2);
	}
	if (k->cid) {
		uint8_t cid[7] = { 1, 0x02, 0, 0, 0, 0, k->mac_last };
		dhcp_write_opt(&w, DHO_CLIENT_ID, cid, sizeof(cid));
	}
	dhcp_write_finish(&w);
	assert_false(w.err);
	assert_int_equal(dhcp_msg_parse(&req, buf, w.off), 0);
}

static void run_in(int64_t now, uint32_t fixed, const struct pi_ident *pi, bool boot)
{
	struct dhcp_server_in in = {
		.m = &req, .pi = pi, .if_addr = SERVER, .if_mask = MASK, .fixed_addr = fixed,
		.boot_answer = boot, .id = "", .now = now,
	};
	dhcp_server_handle(&srv, &in, &out);
	if (out.v == DHCP_V_REPLY) {
		assert_int_equal(dhcp_msg_parse(&rep, out.pkt, out.len), 0);
		assert_int_equal(rep.op, BOOTREPLY);
		assert_int_equal(rep.xid, req.xid);
		assert_memory_equal(rep.chaddr, req.chaddr, 16);
	}
}

static void run(int64_t now)
{
	run_in(now, 0, NULL, false);
}

static uint32_t opt32(uint8_t code)
{
	uint32_t v = 0;
	assert_true(dhcp_msg_opt_u32(&rep, code, &v));
	return v;
}

/* DISCOVER -> OFFER -> REQUEST -> ACK, the lease is bound and journaled. */
static uint32_t lease_for(uint8_t mac_last, int64_t now)
{
	struct mk k = { .type = DHCPDISCOVER, .mac_last = mac_last };
	mk_req(&k);
	run(now);
	assert_int_equal(out.v, DHCP_V_REPLY);
	assert_int_equal(out.type, DHCPOFFER);
	uint32_t a = rep.yiaddr;
	struct mk r = { .type = DHCPREQUEST, .mac_last = mac_last, .req_ip = a, .sid = SERVER };
	mk_req(&r);
	run(now);
	assert_int_equal(out.v, DHCP_V_REPLY);
	assert_int_equal(out.type, DHCPACK);
	assert_int_equal(rep.yiaddr, a);
	return a;
}

static void test_discover_offer_request_ack(void **state)
{
	(void)state;
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 1 };
	mk_req(&k);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_REPLY);
	assert_int_equal(out.type, DHCPOFFER);
	assert_false(out.durable);
	assert_int_equal(rep.msg_type, DHCPOFFER);
	assert_int_equal(opt32(DHO_SERVER_ID), SERVER);
	assert_int_equal(ntohl(opt32(DHO_LEASE_TIME)), 3600);
	assert_int_equal(ntohl(opt32(DHO_RENEWAL_TIME)), 1800);
	assert_int_equal(ntohl(opt32(DHO_REBINDING_TIME)), 3150);
	assert_int_equal(opt32(DHO_SUBNET_MASK), MASK);
	assert_int_equal(opt32(DHO_DNS), ip4(10, 0, 0, 53));
	assert_false(dhcp_msg_has_opt(&rep, DHO_ROUTER)); /* isolated switch: none */
	assert_false(dhcp_msg_has_opt(&rep, DHO_VENDOR_ENCAP));
	/* MAC-derived address inside the pool. */
	assert_int_equal(rep.yiaddr, dhcp_server_derived_addr(&srv.conf.pool[0], req.chaddr));
	/* No broadcast flag, no ciaddr: unicast to yiaddr at chaddr. */
	assert_true(out.unicast_hw);
	assert_int_equal(out.dst, rep.yiaddr);
	uint32_t a = rep.yiaddr;
	struct dhcp_lease *l = dhcp_lease_find_addr(&db, a);
	assert_non_null(l);
	assert_int_equal(l->state, LEASE_OFFERED);

	struct mk r = { .type = DHCPREQUEST, .mac_last = 1, .req_ip = a, .sid = SERVER, .flags = 0x8000 };
	mk_req(&r);
	run(NOW);
	assert_int_equal(out.type, DHCPACK);
	assert_true(out.durable);
	assert_true(out.bound);
	assert_true(out.broadcast);
	assert_int_equal(rep.yiaddr, a);
	assert_int_equal(l->state, LEASE_BOUND);
	assert_int_equal(l->expires, NOW + 3600);
	assert_true(dhcp_lease_db_dirty(&db) || db.fd < 0);
}

static void test_derived_address_stable(void **state)
{
	(void)state;
	uint32_t a = lease_for(7, NOW);
	setup_conf("10.0.0.100,10.0.0.199", false);
	uint32_t b = lease_for(7, NOW);
	assert_int_equal(a, b); /* same MAC, empty db: same address */
	uint32_t c = lease_for(8, NOW);
	assert_int_not_equal(a, c);
}

static void test_same_client_same_address(void **state)
{
	(void)state;
	uint32_t a = lease_for(2, NOW);
	/* Rebooted client (kernel ip=dhcp after the firmware) asks again. */
	uint32_t b = lease_for(2, NOW + 10);
	assert_int_equal(a, b);
	/* A bound lease stays bound while re-offered: never downgraded. */
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 2 };
	mk_req(&k);
	run(NOW + 20);
	assert_int_equal(dhcp_lease_find_addr(&db, a)->state, LEASE_BOUND);
}

static void test_probe_then_offer(void **state)
{
	(void)state;
	setup_conf("10.0.0.100,10.0.0.199", true);
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 3 };
	mk_req(&k);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_PROBE);
	uint32_t a = out.addr;
	/* Asked again while the probe runs: still the same probe. */
	run(NOW);
	assert_int_equal(out.v, DHCP_V_PROBE);
	assert_int_equal(out.addr, a);
	dhcp_server_probe_result(&srv, a, false, NOW);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_REPLY);
	assert_int_equal(rep.yiaddr, a);
}

static void test_probe_conflict_quarantines(void **state)
{
	(void)state;
	setup_conf("10.0.0.100,10.0.0.199", true);
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 4 };
	mk_req(&k);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_PROBE);
	uint32_t a = out.addr;
	dhcp_server_probe_result(&srv, a, true, NOW);
	assert_int_equal(dhcp_lease_find_addr(&db, a)->state, LEASE_DECLINED);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_PROBE);
	assert_int_not_equal(out.addr, a);
}

static void test_select_other_server(void **state)
{
	(void)state;
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 5 };
	mk_req(&k);
	run(NOW);
	uint32_t a = rep.yiaddr;
	struct mk r = { .type = DHCPREQUEST, .mac_last = 5, .req_ip = a, .sid = ip4(10, 0, 0, 2) };
	mk_req(&r);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_DROP);
	assert_int_equal(dhcp_lease_find_addr(&db, a)->state, LEASE_RELEASED);
}

static void test_init_reboot(void **state)
{
	(void)state;
	uint32_t a = lease_for(6, NOW);
	/* INIT-REBOOT: option 50, no server id, ciaddr 0. */
	struct mk r = { .type = DHCPREQUEST, .mac_last = 6, .req_ip = a };
	mk_req(&r);
	run(NOW + 100);
	assert_int_equal(out.type, DHCPACK);
	assert_int_equal(rep.yiaddr, a);
	/* Another client asking for the same address: NAK, broadcast. */
	struct mk o = { .type = DHCPREQUEST, .mac_last = 9, .req_ip = a };
	mk_req(&o);
	run(NOW + 100);
	assert_int_equal(out.type, DHCPNAK);
	assert_true(out.broadcast);
	assert_int_equal(rep.yiaddr, 0);
	assert_false(dhcp_msg_has_opt(&rep, DHO_LEASE_TIME));
	/* Moved to another network: NAK (RFC 2131 4.3.2). */
	struct mk w = { .type = DHCPREQUEST, .mac_last = 6, .req_ip = ip4(192, 168, 1, 5) };
	mk_req(&w);
	run(NOW + 100);
	assert_int_equal(out.type, DHCPNAK);
	/* Unknown but free address in the pool: authoritative ACK. */
	struct mk f = { .type = DHCPREQUEST, .mac_last = 10, .req_ip = ip4(10, 0, 0, 150) };
	mk_req(&f);
	run(NOW + 100);
	assert_int_equal(out.type, DHCPACK);
	/* Outside the pool on our network: NAK. */
	struct mk x = { .type = DHCPREQUEST, .mac_last = 11, .req_ip = ip4(10, 0, 0, 20) };
	mk_req(&x);
	run(NOW + 100);
	assert_int_equal(out.type, DHCPNAK);
}

static void test_renew_rebind(void **state)
{
	(void)state;
	uint32_t a = lease_for(12, NOW);
	/* RENEWING: unicast, ciaddr set, no 50/54. Reply to ciaddr. */
	struct mk r = { .type = DHCPREQUEST, .mac_last = 12, .ciaddr = a };
	mk_req(&r);
	run(NOW + 1800);
	assert_int_equal(out.type, DHCPACK);
	assert_int_equal(rep.ciaddr, a);
	assert_int_equal(rep.yiaddr, a);
	assert_int_equal(out.dst, a);
	assert_false(out.broadcast);
	assert_int_equal(dhcp_lease_find_addr(&db, a)->expires, NOW + 1800 + 3600);
	/* REBINDING: the same on the wire, broadcast; same answer. */
	run(NOW + 3200);
	assert_int_equal(out.type, DHCPACK);
	assert_int_equal(dhcp_lease_find_addr(&db, a)->expires, NOW + 3200 + 3600);
	/* Renewing someone else's address: NAK. */
	struct mk o = { .type = DHCPREQUEST, .mac_last = 13, .ciaddr = a };
	mk_req(&o);
	run(NOW + 3200);
	assert_int_equal(out.type, DHCPNAK);
}

/* The same REQUEST again in the same second changes nothing and queues
 * no journal record (no fdatasync per repeated packet); a later one does. */
static void test_repeat_request_no_record(void **state)
{
	(void)state;
	db.fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(db.fd >= 0);
	uint32_t a = lease_for(14, NOW);
	size_t queued = db.pend_len;
	assert_true(queued > 0);
	struct mk r = { .type = DHCPREQUEST, .mac_last = 14, .ciaddr = a };
	mk_req(&r);
	run(NOW);
	assert_int_equal(out.type, DHCPACK);
	assert_true(out.durable);
	assert_int_equal(db.pend_len, queued);
	run(NOW + 1);
	assert_int_equal(out.type, DHCPACK);
	assert_true(db.pend_len > queued);
	assert_int_equal(dhcp_lease_find_addr(&db, a)->expires, NOW + 1 + 3600);
}

static void test_decline_quarantine(void **state)
{
	(void)state;
	setup_conf("10.0.0.100,10.0.0.101", false);
	uint32_t a = lease_for(14, NOW);
	struct mk d = { .type = DHCPDECLINE, .mac_last = 14, .req_ip = a, .sid = SERVER };
	mk_req(&d);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_DROP);
	struct dhcp_lease *l = dhcp_lease_find_addr(&db, a);
	assert_int_equal(l->state, LEASE_DECLINED);
	/* Neither the decliner nor anyone else gets it during quarantine. */
	uint32_t b = lease_for(14, NOW + 1);
	assert_int_not_equal(a, b);
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 15 };
	mk_req(&k);
	run(NOW + 2);
	assert_int_equal(out.v, DHCP_V_DROP); /* only a and b exist */
	assert_string_equal(out.why, "address pool exhausted");
	/* After the quarantine it is offered again. */
	run(NOW + 601);
	if (out.v != DHCP_V_REPLY)
		print_message("why: %s\n", out.why ? out.why : "-");
	assert_int_equal(out.type, DHCPOFFER);
	assert_int_equal(rep.yiaddr, a);
	/* A DECLINE from a client that does not hold it is ignored. */
	struct mk d2 = { .type = DHCPDECLINE, .mac_last = 16, .req_ip = b };
	mk_req(&d2);
	run(NOW + 602);
	assert_int_equal(dhcp_lease_find_addr(&db, b)->state, LEASE_BOUND);
}

static void test_release(void **state)
{
	(void)state;
	uint32_t a = lease_for(17, NOW);
	struct mk r = { .type = DHCPRELEASE, .mac_last = 17, .ciaddr = a, .sid = SERVER };
	mk_req(&r);
	run(NOW + 5);
	assert_int_equal(out.v, DHCP_V_DROP);
	assert_int_equal(dhcp_lease_find_addr(&db, a)->state, LEASE_RELEASED);
	/* Only the owner may release. */
	uint32_t b = lease_for(18, NOW);
	struct mk o = { .type = DHCPRELEASE, .mac_last = 19, .ciaddr = b };
	mk_req(&o);
	run(NOW + 5);
	assert_int_equal(dhcp_lease_find_addr(&db, b)->state, LEASE_BOUND);
	/* The releasing client comes back to its address. */
	assert_int_equal(lease_for(17, NOW + 10), a);
}

static void test_inform(void **state)
{
	(void)state;
	struct mk k = { .type = DHCPINFORM, .mac_last = 20, .ciaddr = ip4(10, 0, 0, 7) };
	mk_req(&k);
	run(NOW);
	assert_int_equal(out.type, DHCPACK);
	assert_int_equal(rep.yiaddr, 0);
	assert_int_equal(rep.ciaddr, ip4(10, 0, 0, 7));
	assert_false(dhcp_msg_has_opt(&rep, DHO_LEASE_TIME));
	assert_true(dhcp_msg_has_opt(&rep, DHO_SUBNET_MASK));
	assert_int_equal(out.dst, ip4(10, 0, 0, 7));
	assert_false(out.bound);
	assert_null(dhcp_lease_find_addr(&db, ip4(10, 0, 0, 7)));
}

static void test_pool_exhaustion(void **state)
{
	(void)state;
	setup_conf("10.0.0.100,10.0.0.102", false);
	for (uint8_t i = 0; i < 3; i++)
		lease_for((uint8_t)(30 + i), NOW);
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 40 };
	mk_req(&k);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_DROP);
	assert_string_equal(out.why, "address pool exhausted");
	/* Once a lease expires its address is reused. */
	run(NOW + 3601);
	assert_int_equal(out.type, DHCPOFFER);
}

static void test_fixed_address(void **state)
{
	(void)state;
	setup_conf("10.0.0.100,10.0.0.101", true);
	uint32_t fixed = ip4(10, 0, 0, 50);
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 41 };
	mk_req(&k);
	run_in(NOW, fixed, NULL, false);
	assert_int_equal(out.v, DHCP_V_REPLY); /* no probe: the admin chose it */
	assert_int_equal(rep.yiaddr, fixed);
	struct mk r = { .type = DHCPREQUEST, .mac_last = 41, .req_ip = fixed, .sid = SERVER };
	mk_req(&r);
	run_in(NOW, fixed, NULL, false);
	assert_int_equal(out.type, DHCPACK);
	/* Asking for another address than its fixed one: NAK. */
	struct mk w = { .type = DHCPREQUEST, .mac_last = 41, .req_ip = ip4(10, 0, 0, 100) };
	mk_req(&w);
	run_in(NOW, fixed, NULL, false);
	assert_int_equal(out.type, DHCPNAK);
	/* A fixed address reserved for someone else is never handed out. */
	setup_conf("10.0.0.100,10.0.0.100", false);
	reserved_addr = ip4(10, 0, 0, 100);
	struct mk o = { .type = DHCPDISCOVER, .mac_last = 42 };
	mk_req(&o);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_DROP);
}

static void test_relay(void **state)
{
	(void)state;
	uint32_t gi = ip4(10, 9, 0, 1);
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 43, .giaddr = gi };
	mk_req(&k);
	run(NOW);
	assert_int_equal(out.type, DHCPOFFER);
	uint32_t a = ntohl(rep.yiaddr);
	assert_true(a >= ntohl(ip4(10, 9, 0, 10)) && a <= ntohl(ip4(10, 9, 0, 20)));
	assert_int_equal(out.dst, gi);
	assert_true(out.to_server_port);
	assert_int_equal(rep.giaddr, gi);
	assert_int_equal(opt32(DHO_ROUTER), gi);
	assert_int_equal(opt32(DHO_SUBNET_MASK), ip4(255, 255, 255, 0));
	struct mk r = { .type = DHCPREQUEST, .mac_last = 43, .giaddr = gi, .req_ip = rep.yiaddr, .sid = SERVER };
	mk_req(&r);
	run(NOW);
	assert_int_equal(out.type, DHCPACK);
	assert_int_equal(out.dst, gi);
	/* A NAK through a relay carries the broadcast bit. */
	struct mk n = { .type = DHCPREQUEST, .mac_last = 44, .giaddr = gi, .req_ip = ip4(10, 0, 0, 150) };
	mk_req(&n);
	run(NOW);
	assert_int_equal(out.type, DHCPNAK);
	assert_true(rep.flags & 0x8000);
	/* A relay from a network without a pool is not answered. */
	struct mk x = { .type = DHCPDISCOVER, .mac_last = 45, .giaddr = ip4(172, 16, 0, 1) };
	mk_req(&x);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_DROP);
}

static void test_pi3_rom_offer_binds(void **state)
{
	(void)state;
	struct pi_ident pi;
	assert_int_equal(dhcp_msg_parse(&req, golden_pi3b_rom, sizeof(golden_pi3b_rom)), 0);
	pi_identify(&req, &pi);
	assert_true(pi.is_pi);
	run_in(NOW, 0, &pi, true);
	assert_int_equal(out.type, DHCPOFFER);
	assert_true(out.durable);
	assert_true(out.bound);
	struct dhcp_lease *l = dhcp_lease_find_addr(&db, rep.yiaddr);
	assert_int_equal(l->state, LEASE_BOUND);
	/* The boot answer rides along: 43, 60, 97, siaddr = us. */
	assert_true(dhcp_msg_has_opt(&rep, DHO_VENDOR_ENCAP));
	assert_true(dhcp_msg_has_opt(&rep, DHO_VENDOR_CLASS));
	assert_true(dhcp_msg_has_opt(&rep, DHO_CLIENT_GUID));
	assert_int_equal(rep.siaddr, SERVER);
	/* The next DISCOVER (the Pi rebooting) gets the same address. */
	uint32_t a = rep.yiaddr;
	run_in(NOW + 60, 0, &pi, true);
	assert_int_equal(rep.yiaddr, a);
}

static void test_pi4_and_kernel_same_address(void **state)
{
	(void)state;
	struct pi_ident pi;
	assert_int_equal(dhcp_msg_parse(&req, golden_pi4, sizeof(golden_pi4)), 0);
	pi_identify(&req, &pi);
	run_in(NOW, 0, &pi, true);
	assert_int_equal(out.type, DHCPOFFER);
	assert_false(out.durable); /* the Pi 4 sends a REQUEST */
	assert_true(dhcp_msg_has_opt(&rep, DHO_VENDOR_ENCAP));
	uint32_t a = rep.yiaddr;
	/* Option 55 of the EEPROM (1,3,43,...) is honoured: mask first. */
	assert_int_equal(rep.optdata[rep.opt_off[DHO_SUBNET_MASK]], 255);
	assert_int_equal(dhcp_msg_parse(&req, golden_kernel, sizeof(golden_kernel)), 0);
	run(NOW + 30);
	assert_int_equal(out.type, DHCPOFFER);
	assert_int_equal(rep.yiaddr, a);
	assert_false(dhcp_msg_has_opt(&rep, DHO_VENDOR_ENCAP));
}

/* Position of option code in the reply's option area, or -1. */
static int opt_pos(const uint8_t *pkt, size_t len, uint8_t code)
{
	size_t i = DHCP_MIN_LEN;
	while (i < len && pkt[i] != DHO_END) {
		if (pkt[i] == DHO_PAD) {
			i++;
			continue;
		}
		if (pkt[i] == code)
			return (int)i;
		if (i + 1 >= len)
			break;
		i += 2u + pkt[i + 1];
	}
	return -1;
}

static void test_param_order_and_maxmsg(void **state)
{
	(void)state;
	static const uint8_t params[] = { DHO_DNS, DHO_SUBNET_MASK, DHO_DNS };
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 46, .params = params, .nparams = sizeof(params) };
	mk_req(&k);
	run(NOW);
	int dns = opt_pos(out.pkt, out.len, DHO_DNS), mask = opt_pos(out.pkt, out.len, DHO_SUBNET_MASK);
	assert_true(dns > 0 && mask > 0 && dns < mask);
	assert_int_equal(opt_pos(out.pkt, out.len, DHO_BROADCAST), -1); /* not asked for */
	/* Maximum message size below 576 is clamped to 576; replies fit. */
	struct mk m = { .type = DHCPDISCOVER, .mac_last = 47, .maxmsg = 300 };
	mk_req(&m);
	run(NOW);
	assert_int_equal(out.v, DHCP_V_REPLY);
	assert_true(out.len <= 576 - 28);
}

static void test_client_id(void **state)
{
	(void)state;
	/* With option 61 the client id, not chaddr, names the client. */
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 48, .cid = true };
	mk_req(&k);
	run(NOW);
	uint32_t a = rep.yiaddr;
	struct mk r = { .type = DHCPREQUEST, .mac_last = 48, .cid = true, .req_ip = a, .sid = SERVER };
	mk_req(&r);
	run(NOW);
	assert_int_equal(out.type, DHCPACK);
	struct dhcp_lease *l = dhcp_lease_find_addr(&db, a);
	assert_int_equal(l->cid_len, 7);
}

static void test_conf_parse(void **state)
{
	(void)state;
	struct dhcp_server_conf c;
	char err[128];
	assert_int_equal(dhcp_server_conf_parse(&c, "", "", "", "", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.9,10.0.0.1", "", "", "", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1", "", "", "", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1,10.0.0.2", "255.0.255.0", "", "", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1,10.0.0.2", "", "x", "", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1,10.0.0.2", "", "", "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5", 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1,10.2.0.2", "", "", "", 0, err, sizeof(err)), -EINVAL);
	/* Each pool fits, together they exceed the lease table. */
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1,10.0.255.255,10.1.0.1,10.1.0.2", "", "", "", 0, err,
						sizeof(err)), -EINVAL);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1,10.0.255.255,10.1.0.1,10.1.0.1", "", "", "", 0, err,
						sizeof(err)), 0);
	assert_int_equal(dhcp_server_conf_parse(&c, "10.0.0.1, 10.0.0.20", "255.255.255.0", "10.0.0.254",
						"10.0.0.53, 9.9.9.9", 0, err, sizeof(err)), 0);
	assert_int_equal(c.npool, 1);
	assert_int_equal(c.ndns, 2);
	assert_int_equal(c.lease_time, 3600);
}

static void test_not_ethernet(void **state)
{
	(void)state;
	struct mk k = { .type = DHCPDISCOVER, .mac_last = 49 };
	mk_req(&k);
	req.hlen = 16;
	run(NOW);
	assert_int_equal(out.v, DHCP_V_DROP);
	mk_req(&k);
	req.msg_type = DHCPOFFER;
	run(NOW);
	assert_int_equal(out.v, DHCP_V_DROP);
	/* A giaddr that is no relay's unicast address: no reflected reply. */
	const uint32_t bad_gi[] = { ip4(255, 255, 255, 255), ip4(224, 0, 0, 1), ip4(127, 0, 0, 1), ip4(0, 0, 0, 5) };
	for (size_t i = 0; i < sizeof(bad_gi) / sizeof(bad_gi[0]); i++) {
		struct mk g = { .type = DHCPDISCOVER, .mac_last = 49, .giaddr = bad_gi[i] };
		mk_req(&g);
		run(NOW);
		assert_int_equal(out.v, DHCP_V_DROP);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_discover_offer_request_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_derived_address_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_client_same_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_then_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_conflict_quarantines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_other_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew_rebind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline_quarantine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_exhaustion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pi3_rom_offer_binds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pi4_and_kernel_same_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_param_order_and_maxmsg, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_repeat_request_no_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conf_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ethernet, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
