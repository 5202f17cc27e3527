/* dir_cache.c - READDIRPLUS listings kept as encoded bytes (one blob per
 * directory plus an index of entry offsets and cookies), at most
 * DIR_CACHE_SLOTS directories and max_bytes in all, the least recently
 * used dropped first. A listing is immutable once put, so serving it is a
 * bounded memcpy under the mutex. */
#include "nfs/dir_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define DIR_CACHE_SLOTS 256

struct dir_ent {
	uint32_t off, len, esz;
	uint64_t cookie;
};

struct dir_snap {
	uint8_t *blob;
	size_t blob_len, blob_cap;
	struct dir_ent *ents;
	size_t n, cap;
	bool sorted;            /* cookies strictly increasing (ext4, overlayfs) */
	size_t hint;            /* where the last reply ended */
	/* in the cache */
	struct dir_key key;
	uint64_t born_ms, used;
};

struct dir_cache {
	pthread_mutex_t mu;
	size_t max_bytes, bytes;
	uint32_t ttl_ms;
	uint64_t clock;         /* use counter for LRU */
	struct dir_snap *slot[DIR_CACHE_SLOTS];
};

struct dir_snap *dir_snap_new(void)
{
	struct dir_snap *s = calloc(1, sizeof(*s));
	if (s)
		s->sorted = true;
	return s;
}

void dir_snap_free(struct dir_snap *s)
{
	if (!s)
		return;
	free(s->blob);
	free(s->ents);
	free(s);
}

static size_t snap_bytes(const struct dir_snap *s)
{
	return sizeof(*s) + s->blob_cap + s->cap * sizeof(s->ents[0]);
}

int dir_snap_add(struct dir_snap *s, const uint8_t *entry, size_t len, size_t esz, uint64_t cookie)
{
	if (s->n >= DIR_SNAP_MAX_ENTRIES || s->blob_len + len > DIR_SNAP_MAX_BYTES || esz > len)
		return -E2BIG;
	if (s->blob_len + len > s->blob_cap) {
		size_t cap = s->blob_cap ? s->blob_cap * 2 : 4096;
		while (cap < s->blob_len + len)
			cap *= 2;
		uint8_t *b = realloc(s->blob, cap);
		if (!b)
			return -ENOMEM;
		s->blob = b;
		s->blob_cap = cap;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct dir_ent *e = realloc(s->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->ents = e;
		s->cap = cap;
	}
	if (s->n > 0 && cookie <= s->ents[s->n - 1].cookie)
		s->sorted = false;
	memcpy(s->blob + s->blob_len, entry, len);
	s->ents[s->n] = (struct dir_ent){ .off = (uint32_t)s->blob_len, .len = (uint32_t)len,
					  .esz = (uint32_t)esz, .cookie = cookie };
	s->blob_len += len;
	s->n++;
	return 0;
}

/* Index of the first entry after cookie, or -1. */
static long snap_find(const struct dir_snap *s, uint64_t cookie)
{
	if (cookie == 0)
		return 0;
	if (s->hint > 0 && s->hint <= s->n && s->ents[s->hint - 1].cookie == cookie)
		return (long)s->hint;
	if (s->sorted) {
		size_t lo = 0, hi = s->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (s->ents[mid].cookie < cookie)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo < s->n && s->ents[lo].cookie == cookie ? (long)lo + 1 : -1;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->ents[i].cookie == cookie)
			return (long)i + 1;
	return -1;
}

int dir_snap_serve(struct dir_snap *s, uint64_t cookie, struct wr *w, size_t limit, size_t dircount,
		   size_t *ret_n, bool *ret_eof)
{
	long first = snap_find(s, cookie);
	*ret_n = 0;
	*ret_eof = false;
	if (first < 0)
		return -ESRCH;
	size_t i = (size_t)first, dirbytes = 0;
	/* The same budget as an uncached listing: the whole entry within
	 * limit, and the dircount bytes (name, cookie, fileid) within
	 * dircount once one entry is in. */
	for (; i < s->n; i++) {
		const struct dir_ent *e = &s->ents[i];
		if (w->off + e->len > limit || w->off + e->len > w->cap || (dirbytes + e->esz > dircount && i > (size_t)first))
			break;
		memcpy(w->p + w->off, s->blob + e->off, e->len);
		w->off += e->len;
		dirbytes += e->esz;
	}
	*ret_n = i - (size_t)first;
	*ret_eof = i == s->n;
	s->hint = i;
	return 0;
}

struct dir_cache *dir_cache_new(size_t max_bytes, uint32_t ttl_ms)
{
	struct dir_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->max_bytes = max_bytes;
	c->ttl_ms = ttl_ms;
	pthread_mutex_init(&c->mu, NULL);
	return c;
}

void dir_cache_free(struct dir_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < DIR_CACHE_SLOTS; i++)
		dir_snap_free(c->slot[i]);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static bool same_key(const struct dir_key *a, const struct dir_key *b)
{
	return a->ex == b->ex && !memcmp(a->eid, b->eid, sizeof(a->eid)) && a->dev == b->dev && a->ino == b->ino &&
	       a->mtime_s == b->mtime_s &&
	       a->mtime_ns == b->mtime_ns && a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns &&
	       a->gen == b->gen;
}

/* Same directory of the same export, whatever its state. */
static bool same_dir(const struct dir_key *a, const struct dir_key *b)
{
	return a->ex == b->ex && !memcmp(a->eid, b->eid, sizeof(a->eid)) && a->dev == b->dev && a->ino == b->ino;
}

static void drop(struct dir_cache *c, size_t i)
{
	c->bytes -= snap_bytes(c->slot[i]);
	dir_snap_free(c->slot[i]);
	c->slot[i] = NULL;
}

void dir_cache_put(struct dir_cache *c, const struct dir_key *k, struct dir_snap *s, uint64_t now_ms)
{
	if (!c || !s) {
		dir_snap_free(s);
		return;
	}
	size_t need = snap_bytes(s);
	if (need > c->max_bytes) {
		dir_snap_free(s);
		return;
	}
	s->key = *k;
	s->born_ms = now_ms;
	s->hint = 0;
	pthread_mutex_lock(&c->mu);
	s->used = ++c->clock;
	/* An older listing of the same directory goes first. */
	for (size_t i = 0; i < DIR_CACHE_SLOTS; i++)
		if (c->slot[i] && same_dir(&c->slot[i]->key, k))
			drop(c, i);
	for (;;) {
		size_t free_slot = DIR_CACHE_SLOTS, lru = DIR_CACHE_SLOTS;
		for (size_t i = 0; i < DIR_CACHE_SLOTS; i++) {
			if (!c->slot[i]) {
				if (free_slot == DIR_CACHE_SLOTS)
					free_slot = i;
			} else if (lru == DIR_CACHE_SLOTS || c->slot[i]->used < c->slot[lru]->used) {
				lru = i;
			}
		}
		if (free_slot < DIR_CACHE_SLOTS && c->bytes + need <= c->max_bytes) {
			c->slot[free_slot] = s;
			c->bytes += need;
			break;
		}
		drop(c, lru); /* there is one: need <= max_bytes */
	}
	pthread_mutex_unlock(&c->mu);
}

int dir_cache_serve(struct dir_cache *c, const struct dir_key *k, uint64_t now_ms, uint64_t cookie,
		    struct wr *w, size_t limit, size_t dircount, size_t *ret_n, bool *ret_eof)
{
	int r = -ENOENT;
	*ret_n = 0;
	*ret_eof = false;
	if (!c)
		return r;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < DIR_CACHE_SLOTS; i++) {
		struct dir_snap *s = c->slot[i];
		if (!s || !same_dir(&s->key, k))
			continue;
		if (!same_key(&s->key, k) || now_ms - s->born_ms >= c->ttl_ms || now_ms < s->born_ms) {
			drop(c, i);
			break;
		}
		s->used = ++c->clock;
		r = dir_snap_serve(s, cookie, w, limit, dircount, ret_n, ret_eof);
		break;
	}
	pthread_mutex_unlock(&c->mu);
	return r;
}

void dir_cache_usage(struct dir_cache *c, size_t *ret_lists, size_t *ret_bytes)
{
	size_t n = 0;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < DIR_CACHE_SLOTS; i++)
		n += c->slot[i] != NULL;
	*ret_bytes = c->bytes;
	pthread_mutex_unlock(&c->mu);
	*ret_lists = n;
}
