/* test_ps_msg.c - the parent/child/CLI message codec (src/privsep/ps_msg.c):
 * every op round-trips; every malformed shape is refused; and the
 * capability set the child keeps is the documented one. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "privsep/ps_msg.h"
#include "privsep/ps_priv.h"

static int enc(const struct ps_msg *m, uint8_t *buf)
{
	return ps_msg_encode(m, buf, PS_MSG_MAX);
}

static void t_roundtrip(void **state)
{
	(void)state;
	uint8_t buf[PS_MSG_MAX];
	struct ps_msg m, back;
	static const enum ps_op simple[] = { PS_RELOAD, PS_PING, PS_READY };
	for (size_t i = 0; i < 3; i++) {
		ps_msg_simple(&m, simple[i], NULL);
		int n = enc(&m, buf);
		assert_int_equal(n, PS_HDR);
		assert_int_equal(ps_msg_parse(buf, (size_t)n, &back), 0);
		assert_int_equal(back.op, simple[i]);
	}
	ps_msg_simple(&m, PS_MOUNT, "1234abcd");
	int n = enc(&m, buf);
	assert_int_equal(n, PS_HDR + 8);
	assert_int_equal(ps_msg_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.op, PS_MOUNT);
	assert_string_equal(back.id, "1234abcd");
	ps_msg_simple(&m, PS_RELEASE, "dc-a6-32-01-02-03");
	n = enc(&m, buf);
	assert_true(n > 0);
	assert_int_equal(ps_msg_parse(buf, (size_t)n, &back), 0);
	assert_string_equal(back.id, "dc-a6-32-01-02-03");
	ps_msg_simple(&m, PS_REGISTER, "1234abcd");
	snprintf(m.image, sizeof(m.image), "bookworm_2024.11");
	n = enc(&m, buf);
	assert_true(n > 0);
	assert_int_equal(ps_msg_parse(buf, (size_t)n, &back), 0);
	assert_string_equal(back.image, "bookworm_2024.11");
	assert_string_equal(back.name, "");
	snprintf(m.name, sizeof(m.name), "rack1-node07");
	n = enc(&m, buf);
	assert_int_equal(ps_msg_parse(buf, (size_t)n, &back), 0);
	assert_string_equal(back.name, "rack1-node07");
	ps_msg_reply(&m, -ENOENT, "no client %s\n(second line)", "1234abcd");
	n = enc(&m, buf);
	assert_int_equal(ps_msg_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.op, PS_REPLY);
	assert_int_equal(back.status, ENOENT);
	assert_string_equal(back.text, "no client 1234abcd (second line)"); /* control chars flattened */
}

static void t_encode_refuses(void **state)
{
	(void)state;
	uint8_t buf[PS_MSG_MAX];
	struct ps_msg m;
	static const char *const bad_ids[] = { "", "1234ABCD", "1234abc", "../etc", "dc:a6:32:01:02:03",
					       "1234abcd/x", "12345678901234567" };
	for (size_t i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		ps_msg_simple(&m, PS_MOUNT, bad_ids[i]);
		assert_int_equal(enc(&m, buf), -EINVAL);
	}
	static const char *const bad_images[] = { "", "..", ".hidden", "-x", "a/b", "a b", "a,b" };
	for (size_t i = 0; i < sizeof(bad_images) / sizeof(bad_images[0]); i++) {
		ps_msg_simple(&m, PS_REGISTER, "1234abcd");
		snprintf(m.image, sizeof(m.image), "%s", bad_images[i]);
		assert_int_equal(enc(&m, buf), -EINVAL);
	}
	ps_msg_simple(&m, PS_REGISTER, "1234abcd");
	snprintf(m.image, sizeof(m.image), "base");
	snprintf(m.name, sizeof(m.name), "under_score"); /* not a host name */
	assert_int_equal(enc(&m, buf), -EINVAL);
	ps_msg_simple(&m, (enum ps_op)0, NULL);
	assert_int_equal(enc(&m, buf), -EINVAL);
	ps_msg_simple(&m, PS_OP_MAX, NULL);
	assert_int_equal(enc(&m, buf), -EINVAL);
	ps_msg_simple(&m, PS_PING, NULL);
	assert_int_equal(ps_msg_encode(&m, buf, 3), -EINVAL);
}

static size_t mk(uint8_t *buf, uint8_t ver, uint8_t op, const void *arg, size_t n, size_t claimed)
{
	buf[0] = ver;
	buf[1] = op;
	buf[2] = (uint8_t)(claimed >> 8);
	buf[3] = (uint8_t)claimed;
	memcpy(buf + 4, arg, n);
	return 4 + n;
}

static void t_parse_refuses(void **state)
{
	(void)state;
	uint8_t buf[PS_MSG_MAX + 64];
	struct ps_msg m;
	memset(buf, 0, sizeof(buf));
	memset(&m, 0x5a, sizeof(m));
	struct ps_msg before = m;
	assert_int_equal(ps_msg_parse(buf, 0, &m), -EINVAL);
	assert_int_equal(ps_msg_parse(buf, 3, &m), -EINVAL);
	size_t n = mk(buf, 2, PS_PING, "", 0, 0);
	assert_int_equal(ps_msg_parse(buf, n, &m), -EPROTO);
	n = mk(buf, 1, 0, "", 0, 0);
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_OP_MAX, "", 0, 0);
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_PING, "x", 1, 1); /* PING has no argument */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_MOUNT, "1234abcd", 8, 9); /* length says more than there is */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_MOUNT, "1234abcd", 8, 7); /* ... or less */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_MOUNT, "1234abc\0", 8, 8); /* NUL inside */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_MOUNT, "../../x", 7, 7);
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_REGISTER, "1234abcd", 8, 8); /* no image */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_REGISTER, "1234abcd\0..", 11, 11);
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_REGISTER, "1234abcd\0base\0n\0x", 18, 18); /* four fields */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_REGISTER, "1234abcd\0base\0", 14, 14); /* empty name */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_REPLY, "\0\0\0", 3, 3); /* short status */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	n = mk(buf, 1, PS_REPLY, "\0\0\x10\0ok", 6, 6); /* status 4096 */
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	uint8_t big[PS_ARG_MAX + 1];
	memset(big, 'a', sizeof(big));
	n = mk(buf, 1, PS_REPLY, big, sizeof(big), sizeof(big));
	assert_int_equal(ps_msg_parse(buf, n, &m), -EINVAL);
	assert_memory_equal(&m, &before, sizeof(m)); /* untouched on every refusal */
	n = mk(buf, 1, PS_REGISTER, "1234abcd\0base\0node-1", 20, 20);
	assert_int_equal(ps_msg_parse(buf, n, &m), 0);
	assert_string_equal(m.name, "node-1");
}

static void t_caps_documented(void **state)
{
	(void)state;
	/* Every capability the child keeps has its reason, in the same order. */
	char list[512] = "";
	for (size_t i = 0; i < ps_n_cap_reasons; i++) {
		if (i)
			strcat(list, ",");
		strcat(list, ps_cap_reasons[i].name);
		assert_true(strlen(ps_cap_reasons[i].why) > 20);
	}
	assert_string_equal(list, PS_CHILD_CAPS);
	assert_null(strstr(PS_CHILD_CAPS, "cap_sys_admin"));
	assert_null(strstr(PS_CHILD_CAPS, "cap_net"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_roundtrip),
		cmocka_unit_test(t_encode_refuses),
		cmocka_unit_test(t_parse_refuses),
		cmocka_unit_test(t_caps_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
