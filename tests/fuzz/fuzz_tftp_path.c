/* fuzz_tftp_path.c - libFuzzer target for TFTP file-name cleaning and the
 * ${placeholder} expander: a cleaned name never contains "..", a control
 * character, a backslash, a leading or doubled slash; expansion never
 * writes out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[600], out[256];
	size_t n = size < sizeof(in) - 1 ? size : sizeof(in) - 1;
	memcpy(in, data, n);
	in[n] = '\0';
	if (tftp_path_clean(in, out, sizeof(out)) == 0) {
		size_t l = strlen(out);
		if (l == 0 || out[0] == '/' || out[l - 1] == '/' || strstr(out, "//"))
			abort();
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)out[i] < 0x20 || out[i] == '\\' || out[i] == 0x7f)
				abort();
		const char *p = out;
		while (p) {
			if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
				abort();
			p = strchr(p, '/');
			if (p)
				p++;
		}
	}
	struct tftp_vars v;
	memset(&v, 0, sizeof(v));
	memcpy(v.server, "10.0.0.1", 9);
	memcpy(v.id, "1234abcd", 9);
	memset(v.name, 'n', sizeof(v.name) - 1);
	uint8_t *exp;
	size_t elen;
	if (tftp_expand(data, size, &v, &exp, &elen) == 0)
		free(exp);
	return 0;
}
