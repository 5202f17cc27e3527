/* dhcp_lease.h - the full-mode lease database and its crash-safe journal.
 *
 * One entry per address we ever handed out (owner MAC / client id, state,
 * expiry). Changes are appended to DATA/leases.journal as length + CRC32
 * framed records and made durable with one fdatasync per batch before any
 * ACK of that batch leaves (group commit). Replay keeps the last record per
 * address; a torn or corrupt tail is cut at the last good record.
 * Must not decide who gets an address (dhcp_server.c) or touch sockets. */
#ifndef PINETBOOT_DHCP_LEASE_H
#define PINETBOOT_DHCP_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_LEASE_MAX 65536u        /* entries held at most (cap on client-driven growth) */
#define DHCP_LEASE_CID_MAX 32u       /* client identifier bytes kept (option 61) */
#define DHCP_LEASE_ID_MAX 17u        /* Pi id: 8 hex digits or aa-bb-cc-dd-ee-ff */
#define DHCP_JOURNAL_NAME "leases.journal"
#define DHCP_JOURNAL_MAGIC "PNBLJv1\n"   /* 8-byte file header */
#define DHCP_JOURNAL_HDR_LEN 8u
#define DHCP_JOURNAL_REC_MAX 128u    /* largest valid record payload */

enum dhcp_lease_state {
	LEASE_FREE = 0,      /* no owner (never used, or reclaimed) */
	LEASE_OFFERED,       /* held for an OFFER; not journaled unless bound */
	LEASE_BOUND,         /* acknowledged (or a Pi 3 ROM OFFER, which binds) */
	LEASE_RELEASED,      /* released by its owner; owner kept as a hint */
	LEASE_DECLINED,      /* quarantined after DECLINE or a conflict probe */
	LEASE_STATE_MAX
};

struct dhcp_lease {
	uint32_t addr;                 /* network order */
	uint8_t state;                 /* enum dhcp_lease_state */
	uint8_t mac[6];
	uint8_t cid_len;
	uint8_t cid[DHCP_LEASE_CID_MAX];
	char id[DHCP_LEASE_ID_MAX + 1]; /* Pi id, "" for other clients */
	int64_t expires;               /* wall clock, seconds since the epoch */
	/* runtime only, never journaled */
	bool checked;                  /* conflict probe passed (or not needed) */
};

struct dhcp_lease_db {
	struct dhcp_lease *v;
	size_t n, cap;
	uint32_t *slot;                /* open addressing by addr: index + 1, 0 = empty */
	size_t nslot;
	int fd;                        /* journal, O_APPEND; -1 = memory only */
	int dir_fd;                    /* the data dir, for compaction; -1 if none */
	uint8_t *pend;                 /* encoded records waiting for dhcp_lease_db_sync */
	size_t pend_len, pend_cap;
	uint64_t journal_bytes;        /* size of the journal file */
	size_t journal_records;
	uint64_t syncs;                /* fdatasync calls, for stats */
	bool lost;                     /* a put could not be queued: nothing is durable
					* until dhcp_lease_db_compact rewrites the journal */
};

const char *dhcp_lease_state_name(uint8_t state);

/* An empty in-memory database (fd -1). x_free(NULL) is a no-op. */
int dhcp_lease_db_init(struct dhcp_lease_db *db);
void dhcp_lease_db_fini(struct dhcp_lease_db *db);

/* Open DATA/leases.journal (created if missing), replay it, cut a bad
 * tail (logged at warn), then compact it. 0 or a negative errno. */
int dhcp_lease_db_open(struct dhcp_lease_db *db, const char *data_dir);

struct dhcp_lease *dhcp_lease_find_addr(struct dhcp_lease_db *db, uint32_t addr);
/* Get or create the entry for addr; NULL with the cap reached or no memory. */
struct dhcp_lease *dhcp_lease_get(struct dhcp_lease_db *db, uint32_t addr);

/* Queue the current state of l for the journal (memory only: nothing is
 * durable until dhcp_lease_db_sync). */
void dhcp_lease_db_put(struct dhcp_lease_db *db, const struct dhcp_lease *l);
/* Write queued records and fdatasync. 0 (also when nothing was queued) or
 * a negative errno; on error the records stay queued. -EIO while a record
 * was lost (see lost) until the next compaction. */
int dhcp_lease_db_sync(struct dhcp_lease_db *db);
bool dhcp_lease_db_dirty(const struct dhcp_lease_db *db);
/* Rewrite the journal as one record per entry: new file, fsync, rename,
 * fsync the directory. Entries free for longer than keep_s are dropped. */
int dhcp_lease_db_compact(struct dhcp_lease_db *db, int64_t now, int64_t keep_s);
/* Is the journal big enough, relative to the live entries, to compact? */
bool dhcp_lease_db_should_compact(const struct dhcp_lease_db *db);

/* Journal codec (pure). Encode one record (frame + payload) into out;
 * returns its length or -ENOBUFS. */
int dhcp_journal_encode(const struct dhcp_lease *l, uint8_t *out, size_t cap);
/* Replay a whole journal image into db (which must be initialised).
 * Returns the length of the good prefix (header + whole valid records);
 * *ret_records counts the records applied. A bad header gives 0. Never
 * reads past len; never allocates beyond the db cap (records for further
 * addresses are skipped, not cut). */
size_t dhcp_journal_replay(struct dhcp_lease_db *db, const uint8_t *buf, size_t len, size_t *ret_records);

uint32_t dhcp_crc32(const void *p, size_t len);

/* For `pinetboot list` and other readers: the leases recorded in
 * DATA/leases.journal (read only, no repair, safe while serve runs).
 * *ret is malloc'd (free() it), sorted by address; FREE entries omitted.
 * 0 (also for a missing journal: *n = 0) or a negative errno. */
int dhcp_leases_load(const char *data_dir, struct dhcp_lease **ret, size_t *n);

#endif
