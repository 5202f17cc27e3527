/* test_dhcp_lease.c - unit tests for the lease db and journal (dhcp_lease.c).
 *
 * Record round trip, a crash at every byte offset of a journal (truncate,
 * reload: exactly the whole records before the cut survive and appending
 * works again), a flipped byte, a foreign header, compaction and the
 * read-only loader for `pinetboot list`. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "dhcp/dhcp_lease.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_LVL_ERROR);
	snprintf(dir, sizeof(dir), "/tmp/pnb-lease-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static void path_of(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static int teardown(void **state)
{
	(void)state;
	char p[128];
	static const char *const names[] = { DHCP_JOURNAL_NAME, DHCP_JOURNAL_NAME ".corrupt",
					     DHCP_JOURNAL_NAME ".tmp" };
	for (size_t i = 0; i < 3; i++) {
		path_of(p, sizeof(p), names[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

static struct dhcp_lease mk(uint32_t host, uint8_t state, int64_t exp, const char *id)
{
	struct dhcp_lease l;
	memset(&l, 0, sizeof(l));
	l.addr = htonl(0x0a000000u | host);
	l.state = state;
	l.mac[0] = 0x02;
	l.mac[5] = (uint8_t)host;
	l.expires = exp;
	snprintf(l.id, sizeof(l.id), "%s", id);
	if (host % 2) {
		l.cid_len = 3;
		l.cid[0] = 1;
		l.cid[2] = (uint8_t)host;
	}
	return l;
}

static void test_crc32(void **state)
{
	(void)state;
	/* The check value of CRC-32/ISO-HDLC. */
	assert_int_equal(dhcp_crc32("123456789", 9), 0xcbf43926u);
}

static void test_roundtrip(void **state)
{
	(void)state;
	uint8_t buf[4096];
	size_t off = 0, n;
	memcpy(buf, DHCP_JOURNAL_MAGIC, DHCP_JOURNAL_HDR_LEN);
	off = DHCP_JOURNAL_HDR_LEN;
	for (uint32_t i = 1; i <= 5; i++) {
		struct dhcp_lease l = mk(i, LEASE_BOUND, 1000 + i, i == 2 ? "1234abcd" : "");
		int r = dhcp_journal_encode(&l, buf + off, sizeof(buf) - off);
		assert_true(r > 8);
		off += (size_t)r;
	}
	/* A later record for address 3 wins. */
	struct dhcp_lease l3 = mk(3, LEASE_RELEASED, 7, "dc-a6-32-00-00-03");
	off += (size_t)dhcp_journal_encode(&l3, buf + off, sizeof(buf) - off);
	struct dhcp_lease_db db;
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_journal_replay(&db, buf, off, &n), off);
	assert_int_equal(n, 6);
	assert_int_equal(db.n, 5);
	struct dhcp_lease *l = dhcp_lease_find_addr(&db, htonl(0x0a000003u));
	assert_int_equal(l->state, LEASE_RELEASED);
	assert_string_equal(l->id, "dc-a6-32-00-00-03");
	assert_int_equal(l->cid_len, 3);
	l = dhcp_lease_find_addr(&db, htonl(0x0a000002u));
	assert_string_equal(l->id, "1234abcd");
	assert_int_equal(l->expires, 1002);
	dhcp_lease_db_fini(&db);
	/* Bad header: nothing is good. */
	dhcp_lease_db_init(&db);
	buf[0] ^= 1;
	assert_int_equal(dhcp_journal_replay(&db, buf, off, &n), 0);
	dhcp_lease_db_fini(&db);
}

static void write_file(const char *name, const uint8_t *p, size_t len)
{
	char path[128];
	path_of(path, sizeof(path), name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
}

static size_t read_file(const char *name, uint8_t *p, size_t cap)
{
	char path[128];
	path_of(path, sizeof(path), name);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, p, cap);
	close(fd);
	return n < 0 ? 0 : (size_t)n;
}

/* Build a journal of nrec records through the real writer; return the
 * file image and the end offset of every record. */
static size_t make_journal(uint8_t *img, size_t cap, size_t *ends, size_t nrec)
{
	struct dhcp_lease_db db;
	char path[128];
	path_of(path, sizeof(path), DHCP_JOURNAL_NAME);
	unlink(path);
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_lease_db_open(&db, dir), 0);
	for (size_t i = 0; i < nrec; i++) {
		struct dhcp_lease *l = dhcp_lease_get(&db, htonl(0x0a000000u | (uint32_t)(i + 1)));
		*l = mk((uint32_t)(i + 1), LEASE_BOUND, 5000 + (int64_t)i, i % 3 ? "" : "0badf00d");
		dhcp_lease_db_put(&db, l);
		assert_int_equal(dhcp_lease_db_sync(&db), 0);
		ends[i] = (size_t)db.journal_bytes;
	}
	dhcp_lease_db_fini(&db);
	return read_file(DHCP_JOURNAL_NAME, img, cap);
}

static void test_crash_at_every_offset(void **state)
{
	(void)state;
	enum { NREC = 12 };
	uint8_t img[8192], after[8192];
	size_t ends[NREC];
	size_t len = make_journal(img, sizeof(img), ends, NREC);
	assert_int_equal(len, ends[NREC - 1]);
	for (size_t cut = 0; cut <= len; cut++) {
		write_file(DHCP_JOURNAL_NAME, img, cut);
		struct dhcp_lease_db db;
		dhcp_lease_db_init(&db);
		assert_int_equal(dhcp_lease_db_open(&db, dir), 0);
		/* Whole records before the cut survive, nothing else. */
		size_t whole = 0;
		while (whole < NREC && ends[whole] <= cut)
			whole++;
		assert_int_equal(db.n, whole);
		for (size_t i = 0; i < whole; i++) {
			struct dhcp_lease *l = dhcp_lease_find_addr(&db, htonl(0x0a000000u | (uint32_t)(i + 1)));
			assert_non_null(l);
			assert_int_equal(l->state, LEASE_BOUND);
			assert_int_equal(l->expires, 5000 + (int64_t)i);
		}
		/* Appending after the recovery yields a valid journal. */
		struct dhcp_lease *l = dhcp_lease_get(&db, htonl(0x0a0000ffu));
		*l = mk(0xff, LEASE_BOUND, 9, "");
		dhcp_lease_db_put(&db, l);
		assert_int_equal(dhcp_lease_db_sync(&db), 0);
		dhcp_lease_db_fini(&db);
		size_t alen = read_file(DHCP_JOURNAL_NAME, after, sizeof(after));
		dhcp_lease_db_init(&db);
		size_t nrec;
		assert_int_equal(dhcp_journal_replay(&db, after, alen, &nrec), alen);
		assert_int_equal(db.n, whole + 1);
		dhcp_lease_db_fini(&db);
	}
}

static void test_flipped_byte(void **state)
{
	(void)state;
	enum { NREC = 6 };
	uint8_t img[8192];
	size_t ends[NREC];
	size_t len = make_journal(img, sizeof(img), ends, NREC);
	/* Damage the payload of record 4 (index 3): records 0..2 survive. */
	img[ends[2] + 12] ^= 0x40;
	write_file(DHCP_JOURNAL_NAME, img, len);
	struct dhcp_lease_db db;
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_lease_db_open(&db, dir), 0);
	assert_int_equal(db.n, 3);
	dhcp_lease_db_fini(&db);
	/* An absurd length field is cut the same way. */
	len = make_journal(img, sizeof(img), ends, NREC);
	img[ends[0]] = 0xff;
	write_file(DHCP_JOURNAL_NAME, img, len);
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_lease_db_open(&db, dir), 0);
	assert_int_equal(db.n, 1);
	dhcp_lease_db_fini(&db);
}

static void test_foreign_file(void **state)
{
	(void)state;
	static const uint8_t junk[] = "1700000000 02:00:00:00:00:01 10.0.0.5 host *\n";
	write_file(DHCP_JOURNAL_NAME, junk, sizeof(junk) - 1);
	struct dhcp_lease_db db;
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_lease_db_open(&db, dir), 0);
	assert_int_equal(db.n, 0);
	dhcp_lease_db_fini(&db);
	uint8_t buf[128];
	assert_int_equal(read_file(DHCP_JOURNAL_NAME ".corrupt", buf, sizeof(buf)), sizeof(junk) - 1);
	assert_int_equal(read_file(DHCP_JOURNAL_NAME, buf, sizeof(buf)), DHCP_JOURNAL_HDR_LEN);
}

static void test_compaction(void **state)
{
	(void)state;
	struct dhcp_lease_db db;
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_lease_db_open(&db, dir), 0);
	/* 20 addresses, each rewritten 200 times (renewals). */
	for (int round = 0; round < 200; round++) {
		for (uint32_t i = 1; i <= 20; i++) {
			struct dhcp_lease *l = dhcp_lease_get(&db, htonl(0x0a000000u | i));
			*l = mk(i, LEASE_BOUND, 100000 + round, "");
			dhcp_lease_db_put(&db, l);
		}
		assert_int_equal(dhcp_lease_db_sync(&db), 0);
	}
	/* One released long ago (dropped), one offered (not durable). */
	struct dhcp_lease *l = dhcp_lease_get(&db, htonl(0x0a000063u));
	*l = mk(0x63, LEASE_RELEASED, 10, "");
	dhcp_lease_db_put(&db, l);
	l = dhcp_lease_get(&db, htonl(0x0a000064u));
	*l = mk(0x64, LEASE_OFFERED, 100000, "");
	l = dhcp_lease_get(&db, htonl(0x0a000065u));
	*l = mk(0x65, LEASE_OFFERED, 99999, "");
	assert_true(dhcp_lease_db_should_compact(&db));
	assert_int_equal(dhcp_lease_db_compact(&db, 100000, 3600), 0);
	assert_false(dhcp_lease_db_should_compact(&db));
	assert_int_equal(db.journal_records, 20);
	assert_non_null(dhcp_lease_find_addr(&db, htonl(0x0a000064u))); /* live offer kept in memory */
	assert_null(dhcp_lease_find_addr(&db, htonl(0x0a000063u)));
	assert_null(dhcp_lease_find_addr(&db, htonl(0x0a000065u))); /* lapsed offer dropped */
	assert_non_null(dhcp_lease_find_addr(&db, htonl(0x0a000001u))); /* index rebuilt */
	/* Appends go to the new file. */
	l = dhcp_lease_get(&db, htonl(0x0a000041u));
	*l = mk(0x41, LEASE_BOUND, 5, "");
	dhcp_lease_db_put(&db, l);
	assert_int_equal(dhcp_lease_db_sync(&db), 0);
	dhcp_lease_db_fini(&db);

	struct dhcp_lease *v;
	size_t n;
	assert_int_equal(dhcp_leases_load(dir, &v, &n), 0);
	assert_int_equal(n, 21);
	for (size_t i = 1; i < n; i++)
		assert_true(ntohl(v[i - 1].addr) < ntohl(v[i].addr));
	assert_int_equal(v[0].expires, 100199);
	assert_int_equal(ntohl(v[20].addr), 0x0a000041u);
	free(v);
}

static void test_load_missing(void **state)
{
	(void)state;
	struct dhcp_lease *v = (struct dhcp_lease *)1;
	size_t n = 7;
	assert_int_equal(dhcp_leases_load(dir, &v, &n), 0);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(dhcp_leases_load("/nonexistent/pnb", &v, &n), 0);
}

static void test_cap(void **state)
{
	(void)state;
	struct dhcp_lease_db db;
	dhcp_lease_db_init(&db);
	for (uint32_t i = 0; i < DHCP_LEASE_MAX; i++)
		assert_non_null(dhcp_lease_get(&db, htonl(0x0b000000u + i + 1)));
	assert_null(dhcp_lease_get(&db, htonl(0x0c000001u)));
	assert_non_null(dhcp_lease_find_addr(&db, htonl(0x0b000001u)));
	dhcp_lease_db_fini(&db);

	/* A journal naming one address too many: that record is skipped, the
	 * ones after it (a known address rebound) still apply, nothing is cut. */
	size_t cap = DHCP_JOURNAL_HDR_LEN + (DHCP_LEASE_MAX + 2) * (DHCP_JOURNAL_REC_MAX + 8), off;
	uint8_t *img = malloc(cap);
	assert_non_null(img);
	memcpy(img, DHCP_JOURNAL_MAGIC, DHCP_JOURNAL_HDR_LEN);
	off = DHCP_JOURNAL_HDR_LEN;
	for (uint32_t i = 0; i <= DHCP_LEASE_MAX; i++) {
		struct dhcp_lease l = mk(2, LEASE_RELEASED, 10, "");
		l.addr = htonl(0x0b000000u + i + 1);
		int n = dhcp_journal_encode(&l, img + off, cap - off);
		assert_true(n > 0);
		off += (size_t)n;
	}
	struct dhcp_lease last = mk(2, LEASE_BOUND, 99, "");
	last.addr = htonl(0x0b000001u);
	int n = dhcp_journal_encode(&last, img + off, cap - off);
	assert_true(n > 0);
	off += (size_t)n;
	size_t nrec;
	dhcp_lease_db_init(&db);
	assert_int_equal(dhcp_journal_replay(&db, img, off, &nrec), off);
	assert_int_equal(nrec, DHCP_LEASE_MAX + 1);
	assert_int_equal(db.n, DHCP_LEASE_MAX);
	assert_null(dhcp_lease_find_addr(&db, htonl(0x0b000000u + DHCP_LEASE_MAX + 1)));
	assert_int_equal(dhcp_lease_find_addr(&db, htonl(0x0b000001u))->state, LEASE_BOUND);
	dhcp_lease_db_fini(&db);
	free(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test_setup_teardown(test_crash_at_every_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
		cmocka_unit_test(test_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
