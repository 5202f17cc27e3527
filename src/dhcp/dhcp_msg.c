/* dhcp_msg.c - BOOTP/DHCP wire codec.
 *
 * Owns the fixed BOOTP header layout (RFC 951, RFC 2131 section 2), the
 * option walk with overload (option 52, RFC 2131 section 4.1) and
 * concatenation of repeated options (RFC 3396), and the reply writer.
 * Pure: bytes in, struct out, negative errno back; no I/O, no logging.
 * Must not decide anything about a message (the handlers do) or know
 * about Pis (dhcp_pi.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp/dhcp_msg.h"

/* Byte offsets of the variable-size header fields (RFC 2131 figure 1). */
#define SNAME_OFF 44u
#define SNAME_LEN 64u
#define FILE_OFF 108u
#define FILE_LEN 128u
#define CHADDR_LEN 16u

/* Values of option 52 (RFC 2132 section 9.3). */
#define OVERLOAD_FILE 1u
#define OVERLOAD_SNAME 2u

/* State shared by the two passes over the option areas. Pass one only
 * measures (so every code's concatenated length is known and the values
 * can be laid out back to back); pass two copies. */
struct opt_walk {
	struct dhcp_msg *m;
	bool copy;
	uint8_t overload;       /* value of option 52, seen in pass one */
	uint16_t fill[256];     /* pass two: bytes copied so far per code */
};

static void set_present(struct dhcp_msg *m, uint8_t code)
{
	m->present[code >> 3] |= (uint8_t)(1u << (code & 7));
}

/* Walk one option area: the options field, or file/sname when option 52
 * says they carry options. Pad is skipped and END stops the walk; running
 * out of bytes without END is fine (many ROMs pad instead of ending), but
 * an option whose length byte or value runs past the area is not. */
static int walk_area(struct opt_walk *st, const uint8_t *area, size_t len,
		     bool options_field)
{
	struct rd r = rd_init(area, len);
	struct dhcp_msg *m = st->m;

	while (rd_left(&r) > 0) {
		uint8_t code = rd_u8(&r);

		if (code == DHO_PAD)
			continue;
		if (code == DHO_END)
			break;

		uint8_t olen = rd_u8(&r);
		const uint8_t *val = rd_ptr(&r, olen);

		if (r.err)
			return -EBADMSG;

		/* RFC 2131 4.1: option 52 is only meaningful in the options
		 * field itself; a copy inside file/sname cannot extend the
		 * overload further, so it is ignored there. */
		if (code == DHO_OVERLOAD && !options_field)
			continue;

		if (!st->copy) {
			set_present(m, code);
			m->opt_len[code] = (uint16_t)(m->opt_len[code] + olen);
			if (code == DHO_OVERLOAD && olen == 1)
				st->overload = val[0];
			continue;
		}

		memcpy(m->optdata + m->opt_off[code] + st->fill[code], val, olen);
		st->fill[code] = (uint16_t)(st->fill[code] + olen);
	}
	return 0;
}

/* Walk every option area in RFC 3396 order: options field, then file,
 * then sname (RFC 3396 section 7: "... the options field first, then the
 * file field, then the sname field"). */
static int walk_all(struct opt_walk *st, const uint8_t *buf, size_t len)
{
	int rc;

	rc = walk_area(st, buf + DHCP_MIN_LEN, len - DHCP_MIN_LEN, true);
	if (rc < 0)
		return rc;

	if (!st->copy && dhcp_msg_has_opt(st->m, DHO_OVERLOAD)) {
		/* RFC 2132 9.3: length 1, value 1, 2 or 3. Anything else
		 * (including two concatenated instances) is broken. */
		if (st->m->opt_len[DHO_OVERLOAD] != 1 || st->overload < 1 ||
		    st->overload > 3)
			return -EBADMSG;
	}

	if (st->overload & OVERLOAD_FILE) {
		rc = walk_area(st, buf + FILE_OFF, FILE_LEN, false);
		if (rc < 0)
			return rc;
	}
	if (st->overload & OVERLOAD_SNAME) {
		rc = walk_area(st, buf + SNAME_OFF, SNAME_LEN, false);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The fixed BOOTP header and the cookie (RFC 2131 2, figure 1), read
 * with the bounded cursor. 0 or -EBADMSG. */
static int parse_header(struct dhcp_msg *m, const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len);
	m->op = rd_u8(&r);
	m->htype = rd_u8(&r);
	m->hlen = rd_u8(&r);
	m->hops = rd_u8(&r);
	m->xid = rd_be32(&r);
	m->secs = rd_be16(&r);
	m->flags = rd_be16(&r);
	/* Addresses stay in network order: copy the bytes as they are. */
	rd_bytes(&r, &m->ciaddr, 4);
	rd_bytes(&r, &m->yiaddr, 4);
	rd_bytes(&r, &m->siaddr, 4);
	rd_bytes(&r, &m->giaddr, 4);
	rd_bytes(&r, m->chaddr, CHADDR_LEN);
	rd_skip(&r, SNAME_LEN + FILE_LEN);
	uint32_t cookie = rd_be32(&r);

	if (r.err)
		return -EBADMSG;
	/* Only the two BOOTP op codes exist (RFC 951). */
	if (m->op != BOOTREQUEST && m->op != BOOTREPLY)
		return -EBADMSG;
	/* chaddr is 16 bytes; a longer hlen would make every user of it read
	 * past the field. dnsmasq drops these too. */
	if (m->hlen > CHADDR_LEN)
		return -EBADMSG;
	/* We speak DHCP only; a BOOTP vendor area without the RFC 1497
	 * cookie carries nothing we could use. */
	if (cookie != DHCP_MAGIC)
		return -EBADMSG;
	return 0;
}

int dhcp_msg_parse(struct dhcp_msg *m, const uint8_t *buf, size_t len)
{
	struct opt_walk st;
	size_t off;
	int rc;

	if (!m || (!buf && len))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (len > DHCP_MAX_LEN)
		return -EMSGSIZE;
	if (len < DHCP_MIN_LEN)
		return -EBADMSG;
	rc = parse_header(m, buf, len);
	if (rc < 0)
		return rc;

	memset(&st, 0, sizeof(st));
	st.m = m;
	rc = walk_all(&st, buf, len);
	if (rc < 0)
		goto fail;

	/* Lay the concatenated values out back to back. The total is bounded
	 * by the bytes of the three areas, well under sizeof(optdata). */
	off = 0;
	for (unsigned c = 0; c < 256; c++) {
		if (!dhcp_msg_has_opt(m, (uint8_t)c))
			continue;
		m->opt_off[c] = (uint16_t)off;
		off += m->opt_len[c];
	}
	if (off > sizeof(m->optdata)) {
		rc = -EBADMSG;
		goto fail;
	}

	st.copy = true;
	rc = walk_all(&st, buf, len);
	if (rc < 0)
		goto fail;

	/* file and sname are strings only when they do not carry options. */
	if (!(st.overload & OVERLOAD_SNAME))
		memcpy(m->sname, buf + SNAME_OFF, SNAME_LEN);
	if (!(st.overload & OVERLOAD_FILE))
		memcpy(m->file, buf + FILE_OFF, FILE_LEN);
	m->sname[SNAME_LEN] = '\0';
	m->file[FILE_LEN] = '\0';

	if (dhcp_msg_has_opt(m, DHO_MSG_TYPE)) {
		/* RFC 2132 9.6: exactly one byte. */
		if (m->opt_len[DHO_MSG_TYPE] != 1) {
			rc = -EBADMSG;
			goto fail;
		}
		m->msg_type = m->optdata[m->opt_off[DHO_MSG_TYPE]];
	}
	return 0;

fail:
	/* Leave no half-built index behind for a caller that ignores rc. */
	memset(m, 0, sizeof(*m));
	return rc;
}

bool dhcp_msg_has_opt(const struct dhcp_msg *m, uint8_t code)
{
	return (m->present[code >> 3] >> (code & 7)) & 1u;
}

const uint8_t *dhcp_msg_opt(const struct dhcp_msg *m, uint8_t code, size_t *ret_len)
{
	if (!dhcp_msg_has_opt(m, code)) {
		if (ret_len)
			*ret_len = 0;
		return NULL;
	}
	if (ret_len)
		*ret_len = m->opt_len[code];
	return m->optdata + m->opt_off[code];
}

/* The four bytes are copied as they are on the wire, so *ret_be is in
 * network order (ready for struct in_addr; ntohl() for numbers). */
bool dhcp_msg_opt_u32(const struct dhcp_msg *m, uint8_t code, uint32_t *ret_be)
{
	size_t len;
	const uint8_t *v = dhcp_msg_opt(m, code, &len);

	if (!v || len != 4)
		return false;
	if (ret_be)
		memcpy(ret_be, v, 4);
	return true;
}

/* A NUL-terminated header string into its fixed-size, zero-filled field. */
static void write_field_str(struct wr *w, const char *s, size_t field)
{
	size_t n = strnlen(s, field);

	wr_bytes(w, s, n);
	wr_zero(w, field - n);
}

void dhcp_write_header(struct wr *w, const struct dhcp_msg *hdr)
{
	wr_u8(w, hdr->op);
	wr_u8(w, hdr->htype);
	wr_u8(w, hdr->hlen);
	wr_u8(w, hdr->hops);
	wr_be32(w, hdr->xid);
	wr_be16(w, hdr->secs);
	wr_be16(w, hdr->flags);
	wr_bytes(w, &hdr->ciaddr, 4);
	wr_bytes(w, &hdr->yiaddr, 4);
	wr_bytes(w, &hdr->siaddr, 4);
	wr_bytes(w, &hdr->giaddr, 4);
	wr_bytes(w, hdr->chaddr, CHADDR_LEN);
	write_field_str(w, hdr->sname, SNAME_LEN);
	write_field_str(w, hdr->file, FILE_LEN);
	wr_be32(w, DHCP_MAGIC);
}

/* RFC 3396 section 5: a value longer than 255 bytes goes out as several
 * consecutive instances of the same code, which the receiver joins. */
void dhcp_write_opt(struct wr *w, uint8_t code, const void *val, size_t len)
{
	const uint8_t *p = val;

	/* Pad and END have no length byte; writing them here is a bug. */
	if (code == DHO_PAD || code == DHO_END || (!val && len)) {
		w->err = true;
		return;
	}
	do {
		size_t n = len > 255 ? 255 : len;

		wr_u8(w, code);
		wr_u8(w, (uint8_t)n);
		wr_bytes(w, p, n);
		p += n;
		len -= n;
	} while (len > 0);
}

void dhcp_write_opt_u8(struct wr *w, uint8_t code, uint8_t v)
{
	dhcp_write_opt(w, code, &v, 1);
}

void dhcp_write_opt_be32(struct wr *w, uint8_t code, uint32_t v_host)
{
	uint8_t b[4] = {
		(uint8_t)(v_host >> 24), (uint8_t)(v_host >> 16),
		(uint8_t)(v_host >> 8), (uint8_t)v_host,
	};

	dhcp_write_opt(w, code, b, sizeof(b));
}

/* END, then zeros up to the 300-byte BOOTP minimum (RFC 951 message
 * size; dnsmasq pads the same way in dhcp_packet_size(), protocol
 * reference 2.1). */
void dhcp_write_finish(struct wr *w)
{
	wr_u8(w, DHO_END);
	if (!w->err && w->off < DHCP_BOOTP_MIN_LEN)
		wr_zero(w, DHCP_BOOTP_MIN_LEN - w->off);
}

const char *dhcp_type_name(uint8_t type)
{
	static const char *const names[DHCP_TYPE_MAX] = {
		[DHCPDISCOVER] = "DISCOVER", [DHCPOFFER] = "OFFER",
		[DHCPREQUEST] = "REQUEST",   [DHCPDECLINE] = "DECLINE",
		[DHCPACK] = "ACK",           [DHCPNAK] = "NAK",
		[DHCPRELEASE] = "RELEASE",   [DHCPINFORM] = "INFORM",
	};

	if (type >= DHCP_TYPE_MAX || !names[type])
		return "?";
	return names[type];
}

char *dhcp_mac_str(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}
