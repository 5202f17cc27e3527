/* fuzz_lease_journal.c - libFuzzer target for the lease journal parser
 * (dhcp_journal_replay), which reads DATA/leases.journal after a crash or
 * a disk error. Properties: no read past the input, the good prefix is a
 * prefix, replaying that prefix gives the same prefix again, and every
 * recovered entry re-encodes into a record that replays to itself. Seeds
 * in tests/fuzz/corpus/fuzz_lease_journal/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp_lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_lease_db db, db2;
	size_t nrec, nrec2;

	dhcp_lease_db_init(&db);
	size_t good = dhcp_journal_replay(&db, data, size, &nrec);
	CHECK(good <= size);
	CHECK(db.n <= nrec);
	CHECK(good == 0 || good >= DHCP_JOURNAL_HDR_LEN);

	dhcp_lease_db_init(&db2);
	CHECK(dhcp_journal_replay(&db2, data, good, &nrec2) == good);
	CHECK(nrec2 == nrec && db2.n == db.n);
	dhcp_lease_db_fini(&db2);

	/* Every entry survives its own encoding. */
	uint8_t img[DHCP_JOURNAL_HDR_LEN + DHCP_JOURNAL_REC_MAX + 8];
	for (size_t i = 0; i < db.n; i++) {
		memcpy(img, DHCP_JOURNAL_MAGIC, DHCP_JOURNAL_HDR_LEN);
		int n = dhcp_journal_encode(&db.v[i], img + DHCP_JOURNAL_HDR_LEN, sizeof(img) - DHCP_JOURNAL_HDR_LEN);
		CHECK(n > 0);
		dhcp_lease_db_init(&db2);
		size_t len = DHCP_JOURNAL_HDR_LEN + (size_t)n;
		CHECK(dhcp_journal_replay(&db2, img, len, &nrec2) == len);
		CHECK(db2.n == 1);
		struct dhcp_lease *l = dhcp_lease_find_addr(&db2, db.v[i].addr);
		CHECK(l && l->state == db.v[i].state && l->expires == db.v[i].expires &&
		      memcmp(l->mac, db.v[i].mac, 6) == 0 && strcmp(l->id, db.v[i].id) == 0);
		dhcp_lease_db_fini(&db2);
	}
	dhcp_lease_db_fini(&db);
	return 0;
}
