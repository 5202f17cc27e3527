/* tftp_proto.h - TFTP packet codec (RFC 1350, 2347, 2348, 2349, 7440).
 * Pure: bytes in, struct out, negative errno back; no I/O, no logging.
 * Used by the server (requests, ACK, ERROR) and by `pinetboot probe` and the
 * benchmark client (DATA, OACK, ERROR).
 *
 * Owns: the TFTP wire format. Must not touch: sockets, files, logging.
 */
#ifndef PINETBOOT_TFTP_PROTO_H
#define PINETBOOT_TFTP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tftp_opcode {
	TFTP_RRQ = 1, TFTP_WRQ = 2, TFTP_DATA = 3, TFTP_ACK = 4,
	TFTP_ERROR = 5, TFTP_OACK = 6
};

enum tftp_errcode {
	TFTP_EUNDEF = 0, TFTP_ENOTFOUND = 1, TFTP_EACCESS = 2, TFTP_ENOSPACE = 3,
	TFTP_EBADOP = 4, TFTP_EBADID = 5, TFTP_EEXISTS = 6, TFTP_ENOUSER = 7,
	TFTP_EOPTNEG = 8
};

enum tftp_mode { TFTP_MODE_OCTET, TFTP_MODE_NETASCII, TFTP_MODE_MAIL };

#define TFTP_FILENAME_MAX 255     /* longest accepted file name (bytes) */
#define TFTP_BLKSIZE_DEFAULT 512
#define TFTP_BLKSIZE_MIN 8        /* RFC 2348 */
#define TFTP_BLKSIZE_MAX 65464    /* RFC 2348 */
#define TFTP_WINDOW_MAX 65535     /* RFC 7440 */
#define TFTP_TIMEOUT_MIN 1        /* RFC 2349, seconds */
#define TFTP_TIMEOUT_MAX 255

/* Options a request asked for. Values are as the client sent them but
 * already range-checked: an option whose value is out of its RFC range or
 * not a decimal number is treated as not sent (RFC 2347: the server may
 * ignore options it does not accept). Unknown options are ignored. Names
 * are case-insensitive; numbers are plain decimal (digits only: no sign, no
 * spaces, no hex, no overflow). If an option appears more than once the
 * first occurrence wins, even when its value was rejected: later copies
 * cannot override it. */
struct tftp_opts {
	bool has_blksize, has_tsize, has_timeout, has_windowsize;
	uint16_t blksize;     /* 8..65464 */
	uint64_t tsize;       /* as sent (0 in a read request) */
	uint8_t timeout;      /* 1..255 seconds */
	uint16_t windowsize;  /* 1..65535 */
};

struct tftp_req {
	uint16_t opcode;                       /* TFTP_RRQ or TFTP_WRQ */
	char filename[TFTP_FILENAME_MAX + 1];  /* NUL terminated, raw bytes */
	enum tftp_mode mode;
	struct tftp_opts opts;
};

/* Parse an RRQ or WRQ. Trailing NUL padding after the last field is
 * ignored. Returns 0 or:
 * -EBADMSG: not RRQ/WRQ, missing NUL terminators, empty file name,
 *           option name without value;
 * -ENAMETOOLONG: file name longer than TFTP_FILENAME_MAX;
 * -EPROTONOSUPPORT: unknown transfer mode (mode is compared case-insensitively). */
int tftp_parse_request(const uint8_t *buf, size_t len, struct tftp_req *ret);

/* Opcode of a packet, 0 if shorter than 2 bytes. */
uint16_t tftp_opcode(const uint8_t *buf, size_t len);

/* ACK: 4 bytes exactly (longer is tolerated: some clients pad). 0 / -EBADMSG. */
int tftp_parse_ack(const uint8_t *buf, size_t len, uint16_t *ret_block);

/* ERROR: code and message (message escaped by caller if logged). The
 * message may lack its NUL terminator (tolerated; copied up to msgcap-1). */
int tftp_parse_error(const uint8_t *buf, size_t len, uint16_t *ret_code,
		     char *msg, size_t msgcap);

/* DATA: block number and a pointer into buf for the payload. */
int tftp_parse_data(const uint8_t *buf, size_t len, uint16_t *ret_block,
		    const uint8_t **ret_payload, size_t *ret_plen);

/* OACK: options the server acknowledged (same validation as requests). */
int tftp_parse_oack(const uint8_t *buf, size_t len, struct tftp_opts *ret);

/* Builders return the packet length, or -ENOBUFS if cap is too small.
 * tftp_build_rrq also returns -EINVAL for an empty file name or one longer
 * than TFTP_FILENAME_MAX, and for an unknown mode. */
int tftp_build_rrq(uint8_t *out, size_t cap, const char *filename,
		   enum tftp_mode mode, const struct tftp_opts *opts);
/* OACK with only the has_* options of opts (tsize written as given). */
int tftp_build_oack(uint8_t *out, size_t cap, const struct tftp_opts *opts);
int tftp_build_ack(uint8_t *out, size_t cap, uint16_t block);
/* msg NULL: the RFC 1350 text for code (tftp_errcode_str). */
int tftp_build_error(uint8_t *out, size_t cap, uint16_t code, const char *msg);
/* DATA header only (4 bytes); the payload follows at out + 4. */
int tftp_build_data_hdr(uint8_t *out, size_t cap, uint16_t block);

const char *tftp_errcode_str(uint16_t code);  /* RFC 1350 default message */
const char *tftp_mode_name(enum tftp_mode m);

/* Netascii (RFC 764 as used by RFC 1350): LF -> CR LF, CR -> CR NUL.
 * Converts src into dst; returns the number of bytes the conversion of
 * all of src needs (may exceed dstcap: then dst holds the first dstcap
 * bytes of the conversion, which may end with the CR of a split pair).
 * dst may be NULL when dstcap is 0 (size query). */
size_t tftp_netascii_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t dstcap);

/* The same conversion as a stream, for a sender that converts block by
 * block with a bounded buffer. The state carries the second byte of a
 * pair that did not fit (zeroed = nothing owed). */
struct tftp_netascii {
	bool owed;
	uint8_t byte;
};
/* Emit the owed byte, then convert src[0..n) while dst[0..cap) has room.
 * Returns the bytes written; *used says how many of src were consumed (a
 * pair that fits only by half consumes its source byte and owes the rest).
 * Feeding a stream in any pieces gives the same output as one call of
 * tftp_netascii_encode; with n == 0 it only pays what is owed. */
size_t tftp_netascii_step(struct tftp_netascii *st, const uint8_t *src, size_t n, size_t *used,
			  uint8_t *dst, size_t cap);

/* Format the has_* options of o for a log line, e.g. "blksize=1468 tsize=0"
 * (RFC names, fixed order, "" when none). buf is always NUL terminated when
 * cap > 0. Returns the string length, or -ENOBUFS if it did not fit (buf
 * then holds a truncated prefix). */
int tftp_opts_str(const struct tftp_opts *o, char *buf, size_t cap);

#endif
