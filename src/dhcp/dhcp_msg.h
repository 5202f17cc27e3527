/* dhcp_msg.h - BOOTP/DHCP message codec (RFC 951, RFC 2131, RFC 2132,
 * RFC 3396). Pure: bytes in, struct out; no sockets, no logging above debug.
 *
 * Options are parsed once into an index. Option overload (option 52) is
 * honoured and an option that appears several times is concatenated
 * (RFC 3396), so callers always see one contiguous value per code.
 * Owns the wire format only; must not know about Pis, leases or sockets. */
#ifndef PINETBOOT_DHCP_MSG_H
#define PINETBOOT_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define DHCP_HDR_LEN 236u          /* fixed BOOTP header, without the cookie */
#define DHCP_MIN_LEN 240u          /* header + magic cookie */
#define DHCP_BOOTP_MIN_LEN 300u    /* RFC 951 minimum; replies are padded to it */
#define DHCP_MAX_LEN 1500u         /* largest message we accept or build */
#define DHCP_MAGIC 0x63825363u

enum dhcp_op { BOOTREQUEST = 1, BOOTREPLY = 2 };

enum dhcp_type {
	DHCPDISCOVER = 1, DHCPOFFER, DHCPREQUEST, DHCPDECLINE, DHCPACK,
	DHCPNAK, DHCPRELEASE, DHCPINFORM, DHCP_TYPE_MAX
};

enum dhcp_opt_code {
	DHO_PAD = 0, DHO_SUBNET_MASK = 1, DHO_ROUTER = 3, DHO_DNS = 6,
	DHO_HOSTNAME = 12, DHO_DOMAIN = 15, DHO_BROADCAST = 28,
	DHO_VENDOR_ENCAP = 43, DHO_REQUESTED_IP = 50, DHO_LEASE_TIME = 51,
	DHO_OVERLOAD = 52, DHO_MSG_TYPE = 53, DHO_SERVER_ID = 54,
	DHO_PARAM_LIST = 55, DHO_MESSAGE = 56, DHO_MAX_MSG_SIZE = 57,
	DHO_RENEWAL_TIME = 58, DHO_REBINDING_TIME = 59, DHO_VENDOR_CLASS = 60,
	DHO_CLIENT_ID = 61, DHO_TFTP_SERVER = 66, DHO_BOOTFILE = 67,
	DHO_AGENT_INFO = 82,          /* relay agent information, RFC 3046 */
	DHO_CLIENT_ARCH = 93, DHO_CLIENT_NDI = 94, DHO_CLIENT_GUID = 97,
	DHO_END = 255
};

/* A parsed message. Addresses are kept in network byte order (as they sit
 * in struct in_addr) so they can be handed to socket calls unchanged. */
struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;                 /* host order */
	uint16_t secs, flags;         /* host order */
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network order */
	uint8_t chaddr[16];
	char sname[65];               /* NUL terminated copies */
	char file[129];
	uint8_t msg_type;             /* option 53, 0 if absent (plain BOOTP) */

	/* Option index: value of code c is optdata[opt_off[c]] .. +opt_len[c]
	 * when has_opt(c). Concatenated across repeats (RFC 3396). */
	uint8_t present[32];          /* bitmap over 256 codes */
	uint16_t opt_off[256];
	uint16_t opt_len[256];
	uint8_t optdata[DHCP_MAX_LEN];
};

/* Parse a BOOTP/DHCP message. Returns 0, or a negative errno:
 * -EBADMSG for a structurally broken message (short header, bad cookie,
 * option running past its field, bad overload value, hlen > 16, wrong op),
 * -EMSGSIZE when len > DHCP_MAX_LEN. Pad options are skipped; a missing END
 * option is tolerated (many ROMs pad instead). */
int dhcp_msg_parse(struct dhcp_msg *m, const uint8_t *buf, size_t len);

bool dhcp_msg_has_opt(const struct dhcp_msg *m, uint8_t code);
/* Pointer to the (concatenated) value of code, or NULL if absent. */
const uint8_t *dhcp_msg_opt(const struct dhcp_msg *m, uint8_t code, size_t *ret_len);
/* True when the option exists with a length of exactly n (helper for fixed-size options). */
bool dhcp_msg_opt_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *ret_be);

/* Writing a reply: header first (the cookie is appended), then options,
 * then finish (END option + pad to DHCP_BOOTP_MIN_LEN). An option longer
 * than 255 bytes is split into consecutive instances (RFC 3396).
 * Errors are sticky in w->err. */
void dhcp_write_header(struct wr *w, const struct dhcp_msg *hdr);
void dhcp_write_opt(struct wr *w, uint8_t code, const void *val, size_t len);
void dhcp_write_opt_u8(struct wr *w, uint8_t code, uint8_t v);
void dhcp_write_opt_be32(struct wr *w, uint8_t code, uint32_t v_host);
void dhcp_write_finish(struct wr *w);

const char *dhcp_type_name(uint8_t type);  /* "DISCOVER", ... or "?" */
/* "aa:bb:cc:dd:ee:ff" into buf (>= 18 bytes). */
char *dhcp_mac_str(const uint8_t mac[6], char *buf);

#endif
