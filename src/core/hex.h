/* hex.h - the value of one hexadecimal digit, for every parser that reads
 * serials, MACs, board revisions, OTP rows or JSON escapes.
 *
 * Owns: hex digit values. Must not touch: anything else.
 */
#ifndef PINETBOOT_CORE_HEX_H
#define PINETBOOT_CORE_HEX_H

/* 0..15, or -1 when c is not a hex digit (either case). */
static inline int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
