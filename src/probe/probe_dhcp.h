/* probe_dhcp.h - what a simulated Pi sends and how it judges replies.
 *
 * Pure functions, unit tested against the byte layouts of the protocol
 * reference: DISCOVERs per generation (doc 1.2-1.5), the Pi 4/5 REQUEST,
 * Ethernet+IPv4+UDP framing for a client without an address, and offer
 * judging as the firmware does it (doc 2.2, 3.1). No sockets here.
 *
 * Owns: the probe's DHCP packet and offer types. Must not touch: sockets.
 */
#ifndef PINETBOOT_PROBE_DHCP_H
#define PINETBOOT_PROBE_DHCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp/dhcp_msg.h"
#include "probe/probe.h"

/* Every Pi 3 ROM and bootcode.bin uses this xid (doc 1.2, 1.3, 8.3). */
#define PROBE_PI3_XID 0x26f30339u
#define PROBE_MENU_TEXT "Raspberry Pi Boot"
#define PROBE_VENDOR_CLASS "PXEClient:Arch:00000:UNDI:002001"

enum probe_disc_kind {
	PROBE_DISC_3B_ROM,   /* 3B ROM: 12-item opt 55, GUID 00 + 16 x 'D' (320 bytes) */
	PROBE_DISC_3_ROM,    /* 3B+ ROM: 12-item opt 55, GUID 00 + serial LE x4 (320) */
	PROBE_DISC_BOOTCODE, /* bootcode.bin: opt 55 + 01 03, serial GUID (322) [UNCERTAIN] */
	PROBE_DISC_EEPROM,   /* Pi 4/5: 14-item opt 55, "RPi4"/"RPi5" GUID (322) */
	PROBE_DISC_MAX
};

/* Option 97 value (17 bytes) a generation sends in this stage. */
void probe_guid(enum probe_disc_kind kind, const struct probe_pi *pi, uint8_t out[17]);

/* BOOTP/DHCP payloads. Return the length or -ENOBUFS. */
int probe_build_discover(uint8_t *out, size_t cap, enum probe_disc_kind kind,
			 const struct probe_pi *pi, uint32_t xid);
/* Pi 4/5 REQUEST for an offered address: no option 60 (doc 1.4 [EE#82]).
 * req_ip and server_id in network order. */
int probe_build_request(uint8_t *out, size_t cap, const struct probe_pi *pi, uint32_t xid,
			uint32_t req_ip, uint32_t server_id);

/* One UDP datagram in an Ethernet frame. Addresses in network order,
 * ports in host order. */
struct probe_udp_pkt {
	uint8_t dst_mac[6], src_mac[6];
	uint32_t src_ip, dst_ip;
	uint16_t sport, dport;
	const uint8_t *payload;
	size_t len;
};

#define PROBE_FRAME_HDR (14u + 20u + 8u)

/* Build Ethernet + IPv4 (TTL 128, id 0, no DF, like the bootcode.bin capture
 * in [FW#871]) + UDP with both checksums. Returns the frame length or
 * -ENOBUFS / -EMSGSIZE. */
int probe_frame_build(uint8_t *out, size_t cap, const struct probe_udp_pkt *pkt);
/* Parse a received frame: IPv4 without fragmentation, valid header checksum,
 * UDP. The UDP checksum is not checked (veth offload leaves it partial).
 * payload points into frame. 0 or -EBADMSG / -EPROTO (not IPv4/UDP). */
int probe_frame_parse(const uint8_t *frame, size_t len, struct probe_udp_pkt *ret);
/* RFC 1071 one's complement sum, folded and inverted. */
uint16_t probe_inet_csum(const void *p, size_t n, uint32_t sum);

/* Problems found in a reply (bitmask). */
enum probe_offer_problem {
	PROBE_OP_NOT_REPLY = 1u << 0,   /* op != BOOTREPLY */
	PROBE_OP_XID = 1u << 1,         /* xid not echoed */
	PROBE_OP_CHADDR = 1u << 2,      /* chaddr not echoed */
	PROBE_OP_TYPE = 1u << 3,        /* boot offer without opt 53 = OFFER */
	PROBE_OP_NO_SERVER_ID = 1u << 4,/* boot offer without a 4-byte opt 54 */
	PROBE_OP_OPT43 = 1u << 5,       /* opt 43 sub-options do not parse */
	PROBE_OP_NO_BCAST = 1u << 6,    /* proxy offer (yiaddr 0) without broadcast flag */
	PROBE_OP_OPT66 = 1u << 7,       /* opt 66 is not a dotted-decimal address */
};

struct probe_offer {
	uint8_t type;          /* opt 53, 0 if absent */
	bool is_boot;          /* carries the Raspberry Pi menu */
	char menu[80];         /* escaped: matching menu item, else first item */
	uint32_t src_ip, server_id, yiaddr, tftp_ip; /* network order, 0 = none */
	uint32_t mask;         /* option 1, network order, 0 = none */
	uint32_t router;       /* first address of option 3, 0 = none */
	bool tftp_from_opt66;
	unsigned problems;     /* enum probe_offer_problem */
};

/* Search option 43 for the boot menu. Pi 3 rules: the string anywhere in the
 * option (doc 2.2 [OSUSE], raw non-TLV forms work too). Pi 4/5 rules: inside
 * a PXE_BOOT_MENU (sub-option 9) item text, trailing or surrounding
 * characters tolerated [RN2711] [EE#376]. Returns 1 found, 0 not found,
 * -EBADMSG when Pi 4/5 rules meet sub-options that overrun the option. */
int probe_opt43_find_menu(const uint8_t *p, size_t n, bool pi3_rules, char *menu, size_t menucap);

/* Judge a parsed reply as a Pi of this generation would (doc 2.2, 3.1).
 * TFTP server: opt 66 if present and Pi 4/5, else opt 54, else src_ip. */
void probe_judge_offer(const struct dhcp_msg *m, uint32_t src_ip, bool pi3_rules, uint32_t xid,
		       const uint8_t mac[6], struct probe_offer *ret);
/* "; "-separated description of problems into buf. */
const char *probe_offer_problems_str(unsigned problems, char *buf, size_t cap);

#endif
