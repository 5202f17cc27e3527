/* fuzz_dhcp_msg.c - libFuzzer target for the DHCP request path: what the
 * daemon does with an untrusted datagram (parse, pi_identify, and for an
 * answered request a proxy reply that must parse back), plus an RFC 3396
 * re-encode round trip of every option. Seeds: golden Pi packets and
 * hostile ones in tests/fuzz/corpus/fuzz_dhcp_msg/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp_msg.h"
#include "dhcp/dhcp_pi.h"
#include "dhcp/dhcp_proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large objects are static: libFuzzer runs inputs one at a time. */
static struct dhcp_msg m, m2;
static uint8_t out[DHCP_MAX_LEN];

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

static void check_index(const struct dhcp_msg *p)
{
	for (unsigned c = 0; c < 256; c++) {
		size_t len;
		const uint8_t *v = dhcp_msg_opt(p, (uint8_t)c, &len);

		if (!v)
			continue;
		CHECK(c != DHO_PAD && c != DHO_END);
		CHECK(v >= p->optdata && v + len <= p->optdata + sizeof(p->optdata));
	}
	CHECK(memchr(p->sname, 0, sizeof(p->sname)) != NULL);
	CHECK(memchr(p->file, 0, sizeof(p->file)) != NULL);
	CHECK(p->hlen <= 16);
}

/* Every option written back out (split as needed) joins to the same value. */
static void check_reencode(const struct dhcp_msg *p)
{
	struct wr w = wr_init(out, sizeof(out));

	dhcp_write_header(&w, p);
	for (unsigned c = 1; c < 255; c++) {
		size_t len;
		const uint8_t *v = dhcp_msg_opt(p, (uint8_t)c, &len);

		/* Overload is a framing detail; the rebuilt message has the
		 * options in the options field only. */
		if (v && c != DHO_OVERLOAD)
			dhcp_write_opt(&w, (uint8_t)c, v, len);
	}
	dhcp_write_finish(&w);
	if (w.err)
		return; /* more than 1500 bytes once split: fine to skip */

	CHECK(dhcp_msg_parse(&m2, out, w.off) == 0);
	CHECK(m2.xid == p->xid && m2.op == p->op && m2.msg_type == p->msg_type);
	for (unsigned c = 1; c < 255; c++) {
		size_t a, b;
		const uint8_t *va = dhcp_msg_opt(p, (uint8_t)c, &a);
		const uint8_t *vb = dhcp_msg_opt(&m2, (uint8_t)c, &b);

		if (c == DHO_OVERLOAD)
			continue;
		CHECK(!va == !vb);
		CHECK(a == b);
		CHECK(a == 0 || memcmp(va, vb, a) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pi_ident pi;
	char id[18];

	if (dhcp_msg_parse(&m, data, size) != 0)
		return 0;
	check_index(&m);
	check_reencode(&m);

	pi_identify(&m, &pi);
	CHECK(memchr(pi.id, 0, sizeof(pi.id)) != NULL);
	/* Whatever id we derive must survive the user-facing normaliser. */
	CHECK(pi_id_normalise(pi.id, id) == 0 && strcmp(id, pi.id) == 0);
	CHECK(!pi.is_pi || pi.is_pxe);
	(void)pi_gen_name(pi.gen);
	(void)pi_board_model(pi.board_rev);
	(void)dhcp_proxy_delay_ms(&pi, 1000);

	if (!dhcp_proxy_wants(&m, &pi))
		return 0;
	for (int spaced = 0; spaced < 2; spaced++) {
		int n = dhcp_proxy_build(&m, 0x0301a8c0u, spaced, out, sizeof(out));

		CHECK(n >= (int)DHCP_BOOTP_MIN_LEN && n <= (int)sizeof(out));
		CHECK(dhcp_msg_parse(&m2, out, (size_t)n) == 0);
		CHECK(m2.op == BOOTREPLY && m2.msg_type == DHCPOFFER);
		CHECK(m2.xid == m.xid && m2.giaddr == m.giaddr);
		CHECK(memcmp(m2.chaddr, m.chaddr, 16) == 0);
		CHECK(dhcp_msg_has_opt(&m2, DHO_VENDOR_ENCAP));
		CHECK((m2.flags & 0x8000) != 0);
	}
	return 0;
}
