/* test_otp.c - unit tests for the `vcgencmd otp_dump` decoder
 * (otp_parse / otp_report in src/provision/prov_text.c): programmed and
 * unprogrammed Pi 3B, a 3B+, a Pi 4, malformed rows and missing row 17. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "provision/prov_text.h"

static const char dump_3b_on[] = "08:00000000\n16:00280000\n17:3020000a\n18:3020000a\n28:6a1b3c4d\n"
				 "29:95e4c3b2\n30:00a02082\n";

static void test_3b_enabled(void **state)
{
	(void)state;
	struct otp o;
	char out[4096];
	assert_int_equal(otp_parse(dump_3b_on, strlen(dump_3b_on), &o), 7);
	assert_true(o.have[17]);
	assert_int_equal(o.row[17], 0x3020000a);
	assert_int_equal(otp_report(&o, out, sizeof(out)), OTP_NETBOOT_ENABLED);
	assert_non_null(strstr(out, "serial:         6a1b3c4d"));
	assert_non_null(strstr(out, "Pi 3 Model B"));
	assert_non_null(strstr(out, "bit 29 on "));
	assert_non_null(strstr(out, "bit  1 on "));
	assert_non_null(strstr(out, "bit 28 on "));
	assert_non_null(strstr(out, "ENABLED"));
}

static void test_3b_disabled(void **state)
{
	(void)state;
	static const char d[] = "17:1020000a\r\n28:0000abcd\r\n30:00a22082\r\n";
	struct otp o;
	char out[4096];
	assert_int_equal(otp_parse(d, strlen(d), &o), 3);
	assert_int_equal(otp_report(&o, out, sizeof(out)), OTP_NETBOOT_DISABLED);
	assert_non_null(strstr(out, "NOT enabled"));
	assert_non_null(strstr(out, "program_usb_boot_mode=1"));
	assert_non_null(strstr(out, "bit 29 off"));
	assert_non_null(strstr(out, "bit 28 on "));
}

static void test_other_boards(void **state)
{
	(void)state;
	struct otp o;
	char out[4096];
	static const char bplus[] = "17:1020000a\n30:00a020d3\n";
	assert_int_equal(otp_parse(bplus, strlen(bplus), &o), 2);
	assert_int_equal(otp_report(&o, out, sizeof(out)), OTP_NETBOOT_BUILTIN);
	static const char pi4[] = "17:1020000a\n28:e45f0102\n30:00c03111\n";
	assert_int_equal(otp_parse(pi4, strlen(pi4), &o), 3);
	assert_int_equal(otp_report(&o, out, sizeof(out)), OTP_NETBOOT_EEPROM);
	assert_non_null(strstr(out, "BOOT_ORDER"));
	static const char norow[] = "28:e45f0102\n";
	assert_int_equal(otp_parse(norow, strlen(norow), &o), 1);
	assert_int_equal(otp_report(&o, out, sizeof(out)), OTP_NETBOOT_UNKNOWN);
}

static void test_malformed(void **state)
{
	(void)state;
	struct otp o;
	static const char *const bad[] = { "17:3020000\n", "17:3020000a0\n", "17:302000xa\n", "99:00000000\n",
					   "67:00000000\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(otp_parse(bad[i], strlen(bad[i]), &o), -EINVAL);
	/* noise lines that are not rows are ignored */
	static const char noise[] = "pi@raspberrypi:~ $ vcgencmd otp_dump\n\n  17:3020000a  \nfoo:bar\n";
	assert_int_equal(otp_parse(noise, strlen(noise), &o), 1);
	assert_int_equal(otp_parse("", 0, &o), 0);
	/* tiny output buffer: truncated, not overflowed */
	char small[8];
	assert_int_equal(otp_parse(dump_3b_on, strlen(dump_3b_on), &o), 7);
	otp_report(&o, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_3b_enabled),
		cmocka_unit_test(test_3b_disabled),
		cmocka_unit_test(test_other_boards),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
