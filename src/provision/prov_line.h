/* prov_line.h - the line reader the provisioning text parsers share
 * (prov_text.c: fstab, OTP dump; prov_eeprom.c: bootloader config).
 *
 * Owns: splitting text into lines. Must not touch: what a line means. */
#ifndef PINETBOOT_PROVISION_PROV_LINE_H
#define PINETBOOT_PROVISION_PROV_LINE_H

#include <stdbool.h>
#include <stddef.h>

/* The next line of text[0..len) from *pos: [*ret_s, *ret_e) without its
 * '\n', and with surrounding blanks (and a '\r') cut when trim is set.
 * Advances *pos past the line; false at the end of the text. */
static inline bool prov_next_line(const char *text, size_t len, size_t *pos, bool trim, size_t *ret_s, size_t *ret_e)
{
	size_t i = *pos;
	if (i >= len)
		return false;
	size_t s = i;
	while (i < len && text[i] != '\n')
		i++;
	size_t e = i;
	*pos = i < len ? i + 1 : i;
	if (trim) {
		while (s < e && (text[s] == ' ' || text[s] == '\t'))
			s++;
		while (e > s && (text[e - 1] == '\r' || text[e - 1] == ' ' || text[e - 1] == '\t'))
			e--;
	}
	*ret_s = s;
	*ret_e = e;
	return true;
}

#endif
