/* fuzz_ps_msg.c - libFuzzer target for the privilege-separation messages
 * (src/privsep/ps_msg.c), the only thing the root parent parses from its
 * unprivileged child and from the control socket. Whatever parses must
 * hold only valid fields and encode back to the very same bytes. */
#include <stdint.h>
#include <string.h>

#include "privsep/ps_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_msg m;
	uint8_t out[PS_MSG_MAX];
	if (ps_msg_parse(data, size, &m) < 0)
		return 0;
	check(m.op > 0 && m.op < PS_OP_MAX);
	check(memchr(m.id, '\0', sizeof(m.id)) != NULL);
	check(strstr(m.id, "..") == NULL && strchr(m.id, '/') == NULL);
	check(strchr(m.image, '/') == NULL && m.image[0] != '.');
	int n = ps_msg_encode(&m, out, sizeof(out));
	check(n == (int)size && memcmp(out, data, size) == 0);
	return 0;
}
