/* dhcp_lease.c - lease entries, their index by address, and the journal.
 *
 * Durability rule (issue 5): an ACK leaves only after the record that
 * binds it is on disk. Records are framed as be32 length, be32 CRC32 of
 * the payload, payload; a crash can only tear the last record, which the
 * replay detects and cuts. Compaction writes a new file, fsyncs it, renames
 * it over the journal and fsyncs the directory, so there is never a moment
 * when neither the old nor the new journal is complete on disk.
 * Owns the entries, the address index and the journal file; must not
 * decide who gets an address (dhcp_server.c) or touch sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "dhcp/dhcp_lease.h"

#define REC_VERSION 1u
#define JOURNAL_READ_MAX (64u << 20)  /* a compacted journal of 65536 entries is ~6 MB */
#define PEND_MAX (1u << 20)           /* queued bytes between syncs */

static const char *const state_names[LEASE_STATE_MAX] = {
	[LEASE_FREE] = "free", [LEASE_OFFERED] = "offered", [LEASE_BOUND] = "bound",
	[LEASE_RELEASED] = "released", [LEASE_DECLINED] = "declined",
};

const char *dhcp_lease_state_name(uint8_t state)
{
	return state < LEASE_STATE_MAX ? state_names[state] : "?";
}

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), as zlib computes it. The
 * table is built once; 1 KB. */
uint32_t dhcp_crc32(const void *p, size_t len)
{
	static uint32_t table[256];
	static bool ready;
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;

	if (!ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
		ready = true;
	}
	for (size_t i = 0; i < len; i++)
		c = table[(c ^ b[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

int dhcp_lease_db_init(struct dhcp_lease_db *db)
{
	memset(db, 0, sizeof(*db));
	db->fd = -1;
	db->dir_fd = -1;
	return 0;
}

void dhcp_lease_db_fini(struct dhcp_lease_db *db)
{
	if (!db)
		return;
	if (db->fd >= 0)
		close(db->fd);
	if (db->dir_fd >= 0)
		close(db->dir_fd);
	free(db->v);
	free(db->slot);
	free(db->pend);
	dhcp_lease_db_init(db);
}

static size_t slot_of(uint32_t addr, size_t nslot)
{
	return (size_t)((addr * 2654435761u) & (uint32_t)(nslot - 1));
}

static int rehash(struct dhcp_lease_db *db, size_t nslot)
{
	uint32_t *s = calloc(nslot, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < db->n; i++) {
		size_t k = slot_of(db->v[i].addr, nslot);
		while (s[k])
			k = (k + 1) & (nslot - 1);
		s[k] = (uint32_t)(i + 1);
	}
	free(db->slot);
	db->slot = s;
	db->nslot = nslot;
	return 0;
}

/* Rebuild the index at its current size (n only shrank): no allocation. */
static void reindex(struct dhcp_lease_db *db)
{
	memset(db->slot, 0, db->nslot * sizeof(*db->slot));
	for (size_t i = 0; i < db->n; i++) {
		size_t k = slot_of(db->v[i].addr, db->nslot);
		while (db->slot[k])
			k = (k + 1) & (db->nslot - 1);
		db->slot[k] = (uint32_t)(i + 1);
	}
}

struct dhcp_lease *dhcp_lease_find_addr(struct dhcp_lease_db *db, uint32_t addr)
{
	if (!db->nslot)
		return NULL;
	for (size_t k = slot_of(addr, db->nslot);; k = (k + 1) & (db->nslot - 1)) {
		uint32_t i = db->slot[k];
		if (!i)
			return NULL;
		if (db->v[i - 1].addr == addr)
			return &db->v[i - 1];
	}
}

struct dhcp_lease *dhcp_lease_get(struct dhcp_lease_db *db, uint32_t addr)
{
	struct dhcp_lease *l = dhcp_lease_find_addr(db, addr);
	if (l)
		return l;
	if (db->n >= DHCP_LEASE_MAX)
		return NULL;
	if (db->n == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 256;
		struct dhcp_lease *v = realloc(db->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		db->v = v;
		db->cap = cap;
	}
	/* Keep the table at most half full so probes stay short. */
	if ((db->n + 1) * 2 > db->nslot && rehash(db, db->nslot ? db->nslot * 2 : 512) < 0)
		return NULL;
	l = &db->v[db->n];
	memset(l, 0, sizeof(*l));
	l->addr = addr;
	size_t k = slot_of(addr, db->nslot);
	while (db->slot[k])
		k = (k + 1) & (db->nslot - 1);
	db->slot[k] = (uint32_t)(db->n + 1);
	db->n++;
	return l;
}

int dhcp_journal_encode(const struct dhcp_lease *l, uint8_t *out, size_t cap)
{
	uint8_t payload[DHCP_JOURNAL_REC_MAX];
	struct wr p = wr_init(payload, sizeof(payload));
	size_t idlen = strnlen(l->id, DHCP_LEASE_ID_MAX);
	uint8_t cidlen = l->cid_len > DHCP_LEASE_CID_MAX ? DHCP_LEASE_CID_MAX : l->cid_len;

	wr_u8(&p, REC_VERSION);
	wr_u8(&p, l->state);
	wr_bytes(&p, &l->addr, 4);
	wr_bytes(&p, l->mac, 6);
	wr_be64(&p, (uint64_t)l->expires);
	wr_u8(&p, cidlen);
	wr_bytes(&p, l->cid, cidlen);
	wr_u8(&p, (uint8_t)idlen);
	wr_bytes(&p, l->id, idlen);
	if (p.err)
		return -ENOBUFS;

	struct wr w = wr_init(out, cap);
	wr_be32(&w, (uint32_t)p.off);
	wr_be32(&w, dhcp_crc32(payload, p.off));
	wr_bytes(&w, payload, p.off);
	return w.err ? -ENOBUFS : (int)w.off;
}

/* Decode one payload. The CRC already matched, so a failure here means a
 * record from a future version or a bug; either way replay stops. */
static int decode_payload(const uint8_t *p, size_t len, struct dhcp_lease *l)
{
	struct rd r = rd_init(p, len);

	memset(l, 0, sizeof(*l));
	if (rd_u8(&r) != REC_VERSION)
		return -EBADMSG;
	l->state = rd_u8(&r);
	rd_bytes(&r, &l->addr, 4);
	rd_bytes(&r, l->mac, 6);
	l->expires = (int64_t)rd_be64(&r);
	l->cid_len = rd_u8(&r);
	if (l->cid_len > DHCP_LEASE_CID_MAX)
		return -EBADMSG;
	rd_bytes(&r, l->cid, l->cid_len);
	uint8_t idlen = rd_u8(&r);
	if (idlen > DHCP_LEASE_ID_MAX)
		return -EBADMSG;
	rd_bytes(&r, l->id, idlen);
	l->id[idlen] = '\0';
	if (r.err || rd_left(&r) != 0 || l->state >= LEASE_STATE_MAX || l->addr == 0)
		return -EBADMSG;
	/* Ids are ours (hex digits and dashes); anything else is damage. */
	for (size_t i = 0; i < idlen; i++) {
		char c = l->id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
			return -EBADMSG;
	}
	return 0;
}

size_t dhcp_journal_replay(struct dhcp_lease_db *db, const uint8_t *buf, size_t len, size_t *ret_records)
{
	struct rd r = rd_init(buf, len);
	size_t good, nrec = 0;

	*ret_records = 0;
	if (len < DHCP_JOURNAL_HDR_LEN || memcmp(buf, DHCP_JOURNAL_MAGIC, DHCP_JOURNAL_HDR_LEN) != 0)
		return 0;
	rd_skip(&r, DHCP_JOURNAL_HDR_LEN);
	good = r.off;
	while (rd_left(&r) > 0) {
		uint32_t plen = rd_be32(&r);
		uint32_t crc = rd_be32(&r);
		if (r.err || plen == 0 || plen > DHCP_JOURNAL_REC_MAX)
			break;
		const uint8_t *p = rd_ptr(&r, plen);
		if (!p || dhcp_crc32(p, plen) != crc)
			break;
		struct dhcp_lease rec;
		if (decode_payload(p, plen, &rec) < 0)
			break;
		/* Last record per address wins: the journal is a redo log. A
		 * record for one address too many is skipped, not treated as
		 * damage: cutting there would also cut the newer records of
		 * addresses already known (bound leases). */
		good = r.off;
		struct dhcp_lease *l = dhcp_lease_get(db, rec.addr);
		if (!l)
			continue;
		*l = rec;
		l->checked = true;
		nrec++;
	}
	*ret_records = nrec;
	return good;
}

/* Read a whole file (bounded). *ret is malloc'd. */
static int read_all(int fd, uint8_t **ret, size_t *ret_len)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	size_t want = (size_t)st.st_size;
	if (want > JOURNAL_READ_MAX)
		want = JOURNAL_READ_MAX; /* the rest is cut as a bad tail */
	uint8_t *b = malloc(want ? want : 1);
	if (!b)
		return -ENOMEM;
	size_t off = 0;
	while (off < want) {
		ssize_t n = pread(fd, b + off, want - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			free(b);
			return e;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	*ret = b;
	*ret_len = off;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_pending(struct dhcp_lease_db *db);

void dhcp_lease_db_put(struct dhcp_lease_db *db, const struct dhcp_lease *l)
{
	uint8_t rec[DHCP_JOURNAL_REC_MAX + 8];
	int n = dhcp_journal_encode(l, rec, sizeof(rec));

	if (n < 0 || db->fd < 0)
		return;
	if (db->pend_len + (size_t)n > db->pend_cap) {
		size_t cap = db->pend_cap ? db->pend_cap * 2 : 16384;
		while (cap < db->pend_len + (size_t)n)
			cap *= 2;
		if (cap > PEND_MAX) {
			/* A batch this large cannot come from one loop turn;
			 * flush now rather than grow without bound. */
			if (write_pending(db) < 0) {
				db->lost = true;
				return;
			}
			cap = db->pend_cap ? db->pend_cap : 16384;
		}
		if (cap > db->pend_cap) {
			uint8_t *p = realloc(db->pend, cap);
			if (!p) {
				/* The caller will answer as if this were queued:
				 * hold every reply until compaction rewrites the
				 * journal from memory. */
				db->lost = true;
				return;
			}
			db->pend = p;
			db->pend_cap = cap;
		}
	}
	memcpy(db->pend + db->pend_len, rec, (size_t)n);
	db->pend_len += (size_t)n;
	db->journal_records++;
}

bool dhcp_lease_db_dirty(const struct dhcp_lease_db *db)
{
	return db->pend_len > 0 || db->lost;
}

int dhcp_lease_db_sync(struct dhcp_lease_db *db)
{
	int r = write_pending(db);
	return r < 0 ? r : db->lost ? -EIO : 0;
}

/* dhcp_lease_db_sync without the lost check (compaction repairs that). */
static int write_pending(struct dhcp_lease_db *db)
{
	if (db->fd < 0 || db->pend_len == 0)
		return 0;
	int r = write_all(db->fd, db->pend, db->pend_len);
	if (r == 0 && fdatasync(db->fd) < 0)
		r = -errno;
	if (r < 0) {
		/* Cut whatever part of the batch reached the file, so the next
		 * batch never lands behind a torn record. */
		if (ftruncate(db->fd, (off_t)db->journal_bytes) < 0)
			log_warn("dhcp", "lease journal: cannot cut a failed write: %s", strerror(errno));
		return r;
	}
	db->journal_bytes += db->pend_len;
	db->pend_len = 0;
	db->syncs++;
	return 0;
}

bool dhcp_lease_db_should_compact(const struct dhcp_lease_db *db)
{
	/* Rewrite when dead records outnumber live ones 4:1 and the file is
	 * worth the trouble (64 KB). */
	return db->fd >= 0 && (db->lost || (db->journal_bytes > 65536 && db->journal_records > 4 * (db->n + 16)));
}

static bool keep_entry(const struct dhcp_lease *l, int64_t now, int64_t keep_s)
{
	if (l->state == LEASE_FREE || l->state == LEASE_OFFERED)
		return false;
	/* Released and expired entries remember which MAC had which address
	 * (so a client comes back to its old address) for keep_s. */
	return l->state == LEASE_BOUND || l->expires + keep_s > now;
}

/* The compacted journal image (header + the kept entries) in a fresh
 * buffer *ret_img of *ret_len bytes, *ret_nrec records. 0 or -errno. */
static int compact_image(const struct dhcp_lease_db *db, int64_t now, int64_t keep_s, uint8_t **ret_img,
			 size_t *ret_len, size_t *ret_nrec)
{
	size_t cap = DHCP_JOURNAL_HDR_LEN + db->n * (DHCP_JOURNAL_REC_MAX + 8), off = 0, nrec = 0;
	uint8_t *img = malloc(cap);
	if (!img)
		return -ENOMEM;
	memcpy(img, DHCP_JOURNAL_MAGIC, DHCP_JOURNAL_HDR_LEN);
	off = DHCP_JOURNAL_HDR_LEN;
	for (size_t i = 0; i < db->n; i++) {
		const struct dhcp_lease *l = &db->v[i];
		/* An OFFERED entry may sit on an address whose last durable
		 * state is in the old journal; keep that state by writing the
		 * entry as free only if it was never bound. It was never
		 * acknowledged, so dropping it cannot double-assign. */
		if (!keep_entry(l, now, keep_s))
			continue;
		int n = dhcp_journal_encode(l, img + off, cap - off);
		if (n < 0) {
			free(img);
			return n;
		}
		off += (size_t)n;
		nrec++;
	}
	*ret_img = img;
	*ret_len = off;
	*ret_nrec = nrec;
	return 0;
}

/* Drop the entries that were not kept from memory too, except held
 * offers that are still live (a lapsed one is only a stale hold). The
 * index is rebuilt in place: a failed allocation here would leave it
 * pointing at moved entries. */
static void compact_memory(struct dhcp_lease_db *db, int64_t now, int64_t keep_s)
{
	size_t w = 0;
	for (size_t i = 0; i < db->n; i++)
		if (keep_entry(&db->v[i], now, keep_s) ||
		    (db->v[i].state == LEASE_OFFERED && db->v[i].expires >= now))
			db->v[w++] = db->v[i];
	db->n = w;
	if (db->nslot)
		reindex(db);
}

int dhcp_lease_db_compact(struct dhcp_lease_db *db, int64_t now, int64_t keep_s)
{
	static const char tmpname[] = DHCP_JOURNAL_NAME ".tmp";
	uint8_t *img = NULL;
	size_t off = 0, nrec = 0;
	int r;

	if (db->fd < 0 || db->dir_fd < 0)
		return 0;
	r = write_pending(db);
	if (r < 0)
		return r;
	int fd = openat(db->dir_fd, tmpname, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* Buffer the whole image: one write, one fsync. */
	r = compact_image(db, now, keep_s, &img, &off, &nrec);
	if (r == 0)
		r = write_all(fd, img, off);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0)
		goto fail;
	if (renameat(db->dir_fd, tmpname, db->dir_fd, DHCP_JOURNAL_NAME) < 0) {
		r = -errno;
		goto fail;
	}
	/* The rename is durable only once the directory is. */
	if (fsync(db->dir_fd) < 0)
		log_warn("dhcp", "lease journal: fsync of the data dir failed: %s", strerror(errno));
	free(img);
	close(db->fd);
	/* fd is now the compacted journal; reopen it for appending. */
	if (fcntl(fd, F_SETFL, O_APPEND) < 0) {
		close(fd);
		fd = openat(db->dir_fd, DHCP_JOURNAL_NAME, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	db->fd = fd;
	db->journal_bytes = off;
	db->journal_records = nrec;
	db->lost = false; /* the image was written from memory */
	compact_memory(db, now, keep_s);
	return db->fd < 0 ? -EIO : 0;
fail:
	free(img);
	close(fd);
	unlinkat(db->dir_fd, tmpname, 0);
	return r;
}

int dhcp_lease_db_open(struct dhcp_lease_db *db, const char *data_dir)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0, nrec = 0;
	int r;

	db->dir_fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (db->dir_fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", data_dir, DHCP_JOURNAL_NAME);
	int fd = openat(db->dir_fd, DHCP_JOURNAL_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = read_all(fd, &buf, &len);
	if (r < 0) {
		close(fd);
		return r;
	}
	size_t good = dhcp_journal_replay(db, buf, len, &nrec);
	free(buf);
	if (len > 0 && good == 0) {
		/* Not our header: keep the damaged file for inspection and start
		 * over rather than append behind garbage. */
		char bad[4200];
		snprintf(bad, sizeof(bad), "%s.corrupt", path);
		log_warn("dhcp", "lease journal %s has no valid header (%zu bytes); moved to %s, starting empty",
			 path, len, bad);
		close(fd);
		if (rename(path, bad) < 0)
			return -errno;
		fd = openat(db->dir_fd, DHCP_JOURNAL_NAME, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		len = 0;
	} else if (good < len) {
		log_warn("dhcp", "lease journal %s: %zu bytes after offset %zu are truncated or corrupt; "
			 "recovered %zu records up to the last good one", path, len - good, good, nrec);
		if (ftruncate(fd, (off_t)good) < 0 || fsync(fd) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		len = good;
	}
	if (len == 0) {
		r = write_all(fd, (const uint8_t *)DHCP_JOURNAL_MAGIC, DHCP_JOURNAL_HDR_LEN);
		if (r == 0 && fsync(fd) < 0)
			r = -errno;
		if (r == 0 && fsync(db->dir_fd) < 0)
			r = -errno;
		if (r < 0) {
			close(fd);
			return r;
		}
		len = DHCP_JOURNAL_HDR_LEN;
	}
	if (lseek(fd, 0, SEEK_END) < 0 || fcntl(fd, F_SETFL, O_APPEND) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	db->fd = fd;
	db->journal_bytes = len;
	db->journal_records = nrec;
	log_info("dhcp", "lease journal %s: %zu records, %zu addresses known", path, nrec, db->n);
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct dhcp_lease *)a)->addr);
	uint32_t y = ntohl(((const struct dhcp_lease *)b)->addr);
	return x < y ? -1 : x > y;
}

int dhcp_leases_load(const char *data_dir, struct dhcp_lease **ret, size_t *n)
{
	char path[4096];
	struct dhcp_lease_db db;
	uint8_t *buf = NULL;
	size_t len = 0, nrec = 0;

	*ret = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", data_dir, DHCP_JOURNAL_NAME);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = read_all(fd, &buf, &len);
	close(fd);
	if (r < 0)
		return r;
	dhcp_lease_db_init(&db);
	(void)dhcp_journal_replay(&db, buf, len, &nrec);
	free(buf);
	size_t k = 0;
	for (size_t i = 0; i < db.n; i++)
		if (db.v[i].state != LEASE_FREE)
			db.v[k++] = db.v[i];
	qsort(db.v, k, sizeof(*db.v), cmp_addr);
	if (k == 0) {
		dhcp_lease_db_fini(&db);
		return 0;
	}
	*ret = db.v;
	*n = k;
	db.v = NULL;
	dhcp_lease_db_fini(&db);
	return 0;
}
