/* tftp_proto.c - TFTP packet codec: RRQ/WRQ, DATA, ACK, ERROR (RFC 1350),
 * OACK and option negotiation (RFC 2347) for blksize (RFC 2348), tsize and
 * timeout (RFC 2349) and windowsize (RFC 7440), plus netascii encoding.
 * Pure: every read goes through struct rd, every write through struct wr;
 * no I/O, no logging, no globals other than const tables.
 * Owns: packet layouts and option ranges. Must not touch: transfer state,
 * sockets, files. */
#include "tftp/tftp_proto.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "core/buf.h"

/* Options we understand. One table drives parsing, OACK building and log
 * formatting, so a new option is one row plus its case in opt_get/opt_set. */
enum tftp_optid { OPT_BLKSIZE, OPT_TSIZE, OPT_TIMEOUT, OPT_WINDOWSIZE, OPT_MAX };

struct tftp_opt_desc {
	const char *name;
	uint64_t min, max;
};

static const struct tftp_opt_desc opt_desc[OPT_MAX] = {
	/* RFC 2348: "valid values range between 8 and 65464 octets". */
	[OPT_BLKSIZE] = { "blksize", TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX },
	/* RFC 2349: 0 in a RRQ, the file size in a WRQ or OACK. */
	[OPT_TSIZE] = { "tsize", 0, UINT64_MAX },
	/* RFC 2349: "valid values range between 1 and 255 seconds". */
	[OPT_TIMEOUT] = { "timeout", TFTP_TIMEOUT_MIN, TFTP_TIMEOUT_MAX },
	/* RFC 7440 section 3: "between 1 and 65535 blocks". */
	[OPT_WINDOWSIZE] = { "windowsize", 1, TFTP_WINDOW_MAX },
};

static const char *const mode_names[] = {
	[TFTP_MODE_OCTET] = "octet",
	[TFTP_MODE_NETASCII] = "netascii",
	[TFTP_MODE_MAIL] = "mail",
};
#define MODE_COUNT (sizeof(mode_names) / sizeof(mode_names[0]))

/* RFC 1350 section 5 error texts; code 8 comes from RFC 2347. */
static const char *const errcode_names[] = {
	[TFTP_EUNDEF] = "Not defined",
	[TFTP_ENOTFOUND] = "File not found",
	[TFTP_EACCESS] = "Access violation",
	[TFTP_ENOSPACE] = "Disk full or allocation exceeded",
	[TFTP_EBADOP] = "Illegal TFTP operation",
	[TFTP_EBADID] = "Unknown transfer ID",
	[TFTP_EEXISTS] = "File already exists",
	[TFTP_ENOUSER] = "No such user",
	[TFTP_EOPTNEG] = "Option negotiation failed",
};
#define ERRCODE_COUNT (sizeof(errcode_names) / sizeof(errcode_names[0]))

/* ASCII-only case-insensitive compare of a counted string against a C
 * string. RFC 2347 and RFC 1350 make names and modes case-insensitive;
 * strncasecmp would depend on the locale. */
static bool name_eq(const uint8_t *s, size_t n, const char *want)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t a = s[i], b = (uint8_t)want[i];

		if (b == 0)
			return false;
		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return want[n] == 0;
}

/* Read one NUL-terminated field. Sets r->err (and returns false) if there
 * is no NUL before the end of the packet. *ret_n excludes the NUL. */
static bool rd_field(struct rd *r, const uint8_t **ret_s, size_t *ret_n)
{
	size_t left = rd_left(r);
	const uint8_t *nul;

	*ret_s = NULL;
	*ret_n = 0;
	if (left == 0 || !(nul = memchr(r->p + r->off, 0, left))) {
		r->err = true;
		return false;
	}
	*ret_n = (size_t)(nul - (r->p + r->off));
	*ret_s = rd_ptr(r, *ret_n + 1);
	return true;
}

/* Strict bounded decimal parser (strtonum in spirit): at least one digit,
 * digits only, no overflow, value within [min, max]. Leading zeros are
 * still decimal and accepted. */
static bool parse_dec(const uint8_t *s, size_t n, uint64_t min, uint64_t max,
		      uint64_t *ret)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*ret = v;
	return true;
}

static bool opt_get(const struct tftp_opts *o, enum tftp_optid id, uint64_t *ret)
{
	switch (id) {
	case OPT_BLKSIZE:
		*ret = o->blksize;
		return o->has_blksize;
	case OPT_TSIZE:
		*ret = o->tsize;
		return o->has_tsize;
	case OPT_TIMEOUT:
		*ret = o->timeout;
		return o->has_timeout;
	case OPT_WINDOWSIZE:
		*ret = o->windowsize;
		return o->has_windowsize;
	case OPT_MAX:
		break;
	}
	*ret = 0;
	return false;
}

/* v is already within opt_desc[id]'s range, so the narrowing casts are exact. */
static void opt_set(struct tftp_opts *o, enum tftp_optid id, uint64_t v)
{
	switch (id) {
	case OPT_BLKSIZE:
		o->has_blksize = true;
		o->blksize = (uint16_t)v;
		break;
	case OPT_TSIZE:
		o->has_tsize = true;
		o->tsize = v;
		break;
	case OPT_TIMEOUT:
		o->has_timeout = true;
		o->timeout = (uint8_t)v;
		break;
	case OPT_WINDOWSIZE:
		o->has_windowsize = true;
		o->windowsize = (uint16_t)v;
		break;
	case OPT_MAX:
		break;
	}
}

/* True when every remaining byte is NUL. Some clients pad short requests;
 * dnsmasq's next() walker accepts this as empty unknown options, and so
 * do we, but only as trailing padding (see tftp_proto.h). */
static bool rd_only_nuls(const struct rd *r)
{
	size_t i;

	for (i = r->off; i < r->len; i++)
		if (r->p[i] != 0)
			return false;
	return true;
}

/* Walk the name/value pairs of a request or OACK (RFC 2347 section 2:
 * "opt1 0 value1 0 ..."). Malformed structure is -EBADMSG; bad values only
 * drop that option (RFC 2347: the server may ignore options). */
static int parse_opts(struct rd *r, struct tftp_opts *ret)
{
	unsigned seen = 0;

	memset(ret, 0, sizeof(*ret));
	while (rd_left(r) > 0) {
		const uint8_t *name, *val;
		size_t nlen, vlen;
		uint64_t v;
		int id;

		if (rd_only_nuls(r))
			break;
		if (!rd_field(r, &name, &nlen) || !rd_field(r, &val, &vlen))
			return -EBADMSG;
		for (id = 0; id < OPT_MAX; id++)
			if (name_eq(name, nlen, opt_desc[id].name))
				break;
		if (id == OPT_MAX)
			continue;  /* unknown: ignored (RFC 2347) */
		/* Duplicate: the first occurrence decides, valid or not, so a
		 * client cannot smuggle a second value past a logged first one. */
		if (seen & (1u << id))
			continue;
		seen |= 1u << id;
		if (parse_dec(val, vlen, opt_desc[id].min, opt_desc[id].max, &v))
			opt_set(ret, (enum tftp_optid)id, v);
	}
	return r->err ? -EBADMSG : 0;
}

int tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_req *ret)
{
	struct rd r = rd_init(buf, len);
	const uint8_t *name, *mode;
	size_t nlen, mlen, i;
	uint16_t op;
	int rc;

	memset(ret, 0, sizeof(*ret));
	op = rd_be16(&r);
	if (r.err || (op != TFTP_RRQ && op != TFTP_WRQ))
		return -EBADMSG;
	ret->opcode = op;

	/* RFC 1350 section 5: | 01/02 | Filename | 0 | Mode | 0 | */
	if (!rd_field(&r, &name, &nlen) || nlen == 0)
		return -EBADMSG;
	if (nlen > TFTP_FILENAME_MAX)
		return -ENAMETOOLONG;
	memcpy(ret->filename, name, nlen);
	ret->filename[nlen] = '\0';

	if (!rd_field(&r, &mode, &mlen))
		return -EBADMSG;
	/* Structure before semantics: a malformed packet is -EBADMSG even if
	 * its mode is also unknown. */
	rc = parse_opts(&r, &ret->opts);
	if (rc < 0)
		return rc;

	for (i = 0; i < MODE_COUNT; i++) {
		if (name_eq(mode, mlen, mode_names[i])) {
			ret->mode = (enum tftp_mode)i;
			return 0;
		}
	}
	return -EPROTONOSUPPORT;
}

uint16_t tftp_opcode(const uint8_t *buf, size_t len)
{
	struct rd r = rd_init(buf, len);
	uint16_t op = rd_be16(&r);

	return r.err ? 0 : op;
}

int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *ret_block)
{
	struct rd r = rd_init(buf, len);
	uint16_t op = rd_be16(&r);
	uint16_t block = rd_be16(&r);

	/* Bytes after the block number are ignored: some clients pad. */
	if (r.err || op != TFTP_ACK)
		return -EBADMSG;
	*ret_block = block;
	return 0;
}

int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *ret_code,
		     char *msg, size_t msgcap)
{
	struct rd r = rd_init(buf, len);
	uint16_t op = rd_be16(&r);
	uint16_t code = rd_be16(&r);
	size_t left, n;
	const uint8_t *s, *nul;

	if (r.err || op != TFTP_ERROR)
		return -EBADMSG;
	*ret_code = code;
	if (msg == NULL || msgcap == 0)
		return 0;
	/* RFC 1350 wants "ErrMsg 0", but a missing NUL is tolerated: the
	 * message is only for the log and the code is already known. */
	left = rd_left(&r);
	s = rd_ptr(&r, left);
	nul = left ? memchr(s, 0, left) : NULL;
	n = nul ? (size_t)(nul - s) : left;
	if (n > msgcap - 1)
		n = msgcap - 1;
	if (n)
		memcpy(msg, s, n);
	msg[n] = '\0';
	return 0;
}

int tftp_parse_data(const uint8_t *buf, size_t len, uint16_t *ret_block,
		    const uint8_t **ret_payload, size_t *ret_plen)
{
	struct rd r = rd_init(buf, len);
	uint16_t op = rd_be16(&r);
	uint16_t block = rd_be16(&r);
	size_t plen;

	if (r.err || op != TFTP_DATA)
		return -EBADMSG;
	/* Payload length is checked against the negotiated blksize by the
	 * transfer, which is the only place that knows it. */
	plen = rd_left(&r);
	*ret_block = block;
	*ret_payload = buf + r.off;
	*ret_plen = plen;
	return 0;
}

int tftp_parse_oack(const uint8_t *buf, size_t len, struct tftp_opts *ret)
{
	struct rd r = rd_init(buf, len);
	uint16_t op = rd_be16(&r);

	memset(ret, 0, sizeof(*ret));
	if (r.err || op != TFTP_OACK)
		return -EBADMSG;
	/* RFC 2347 section 2: | 06 | opt1 | 0 | value1 | 0 | ... */
	return parse_opts(&r, ret);
}

/* Decimal digits of v, without NUL. */
static void wr_dec(struct wr *w, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	wr_bytes(w, tmp + i, sizeof(tmp) - i);
}

/* "name 0 value 0" for every has_* option, in table order. */
static void wr_opts(struct wr *w, const struct tftp_opts *o)
{
	uint64_t v;
	int id;

	for (id = 0; id < OPT_MAX; id++) {
		if (!opt_get(o, (enum tftp_optid)id, &v))
			continue;
		wr_cstr(w, opt_desc[id].name);
		wr_dec(w, v);
		wr_u8(w, 0);
	}
}

static int wr_result(const struct wr *w)
{
	if (w->err || w->off > INT_MAX)
		return -ENOBUFS;
	return (int)w->off;
}

int tftp_build_rrq(uint8_t *out, size_t cap, const char *filename,
		   enum tftp_mode mode, const struct tftp_opts *opts)
{
	struct wr w = wr_init(out, cap);
	size_t nlen = filename ? strnlen(filename, TFTP_FILENAME_MAX + 1) : 0;

	if (nlen == 0 || nlen > TFTP_FILENAME_MAX || (unsigned)mode >= MODE_COUNT)
		return -EINVAL;
	wr_be16(&w, TFTP_RRQ);
	wr_cstr(&w, filename);
	wr_cstr(&w, mode_names[mode]);
	if (opts)
		wr_opts(&w, opts);
	return wr_result(&w);
}

int tftp_build_oack(uint8_t *out, size_t cap, const struct tftp_opts *opts)
{
	struct wr w = wr_init(out, cap);

	wr_be16(&w, TFTP_OACK);
	wr_opts(&w, opts);
	return wr_result(&w);
}

int tftp_build_ack(uint8_t *out, size_t cap, uint16_t block)
{
	struct wr w = wr_init(out, cap);

	wr_be16(&w, TFTP_ACK);
	wr_be16(&w, block);
	return wr_result(&w);
}

int tftp_build_error(uint8_t *out, size_t cap, uint16_t code, const char *msg)
{
	struct wr w = wr_init(out, cap);

	wr_be16(&w, TFTP_ERROR);
	wr_be16(&w, code);
	wr_cstr(&w, msg ? msg : tftp_errcode_str(code));
	return wr_result(&w);
}

int tftp_build_data_hdr(uint8_t *out, size_t cap, uint16_t block)
{
	struct wr w = wr_init(out, cap);

	wr_be16(&w, TFTP_DATA);
	wr_be16(&w, block);
	return wr_result(&w);
}

const char *tftp_errcode_str(uint16_t code)
{
	if (code >= ERRCODE_COUNT)
		return "Unknown error";
	return errcode_names[code];
}

const char *tftp_mode_name(enum tftp_mode m)
{
	if ((unsigned)m >= MODE_COUNT)
		return "unknown";
	return mode_names[m];
}

/* RFC 764 (NVT ASCII, used by RFC 1350 netascii): end of line is CR LF and
 * a bare CR is sent as CR NUL. The output is a byte stream: the caller cuts
 * it into blocks anywhere, so a CR LF pair may straddle two blocks. */
size_t tftp_netascii_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t dstcap)
{
	size_t i, need = 0;

	for (i = 0; i < n; i++) {
		uint8_t a = src[i], b;
		bool two = true;

		if (a == '\n') {
			a = '\r';
			b = '\n';
		} else if (a == '\r') {
			b = '\0';
		} else {
			b = 0;
			two = false;
		}
		if (need < dstcap)
			dst[need] = a;
		need++;
		if (two) {
			if (need < dstcap)
				dst[need] = b;
			need++;
		}
	}
	return need;
}

size_t tftp_netascii_step(struct tftp_netascii *st, const uint8_t *src, size_t n, size_t *used,
			  uint8_t *dst, size_t cap)
{
	size_t i = 0, w = 0;

	while (w < cap) {
		if (st->owed) {
			dst[w++] = st->byte;
			st->owed = false;
			continue;
		}
		if (i == n)
			break;
		uint8_t c = src[i++];
		if (c == '\n' || c == '\r') {
			dst[w++] = '\r';
			st->owed = true;
			st->byte = c == '\n' ? '\n' : '\0';
		} else {
			dst[w++] = c;
		}
	}
	*used = i;
	return w;
}

int tftp_opts_str(const struct tftp_opts *o, char *buf, size_t cap)
{
	struct wr w;
	uint64_t v;
	int id;

	if (cap == 0)
		return -ENOBUFS;
	/* Keep one byte for the NUL the writer does not add. */
	w = wr_init(buf, cap - 1);
	for (id = 0; id < OPT_MAX; id++) {
		if (!opt_get(o, (enum tftp_optid)id, &v))
			continue;
		if (w.off > 0)
			wr_u8(&w, ' ');
		wr_bytes(&w, opt_desc[id].name, strlen(opt_desc[id].name));
		wr_u8(&w, '=');
		wr_dec(&w, v);
	}
	buf[w.off] = '\0';
	return wr_result(&w);
}
