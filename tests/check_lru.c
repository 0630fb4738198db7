/* check_lru.c — unit tests of lib/lru.c: the cache of empty SuperSlabs under
 * hk_pool_lock — hits, misses, LIFO order, count, memory and TTL bounds, evict all. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "internal.h"
#include "event.h"

/* The test process allocates through hakmem too, so the LRU may hold its
 * SuperSlabs: tests assert on counter deltas and on the SuperSlabs they push,
 * and drain the cache (under the lock) where they need it empty. No malloc
 * and no hakmem_stats_get (which takes the lock) while the lock is held. */

static long saved[HK_OPT_COUNT];
static struct hakmem_stats st0, st1;

static void setup(void)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        saved[i] = hk_opt[i];
    hk_opt[HK_OPT_SS_LRU_MAX_CACHED] = 256;
    hk_opt[HK_OPT_SS_LRU_MAX_MB] = 512;
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 60;
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_evict_all();
    pthread_mutex_unlock(&hk_pool_lock);
}

static void teardown(void)
{
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_evict_all();
    pthread_mutex_unlock(&hk_pool_lock);
    for (int i = 0; i < HK_OPT_COUNT; i++)
        hk_opt[i] = saved[i];
}

static void snap(struct hakmem_stats *st)
{
    ck_assert_msg(hakmem_stats_get(st) == 0, "hakmem_stats_get: expected 0");
}

#define DELTA(f) ((long long)(st1.f - st0.f))

static hk_superslab *map_one(void)
{
    hk_superslab *ss = hk_ss_map();
    ck_assert_msg(ss != NULL, "hk_ss_map: expected a SuperSlab, got NULL");
    return ss;
}

/* Pushes ss between two snapshots (st0, st1); returns the cache's count. */
static uint32_t push_counted(hk_superslab *ss)
{
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(ss);
    uint32_t count = hk_lru_count();
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    return count;
}

START_TEST(test_pop_empty_misses)
{
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_evict_all();
    uint32_t before = hk_lru_count();
    hk_superslab *got = hk_lru_pop(3);
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(before == 0, "after evict_all: expected count 0, got %u", before);
    ck_assert_msg(got == NULL, "pop on an empty LRU: expected NULL, got %p", (void *)got);
    ck_assert_msg(DELTA(lru_pop_miss) == 1 && DELTA(lru_pop_hit) == 0,
                  "pop on an empty LRU: expected miss +1 hit +0, got miss %+lld hit %+lld",
                  DELTA(lru_pop_miss), DELTA(lru_pop_hit));
}
END_TEST

START_TEST(test_push_then_pop_hits)
{
    hk_superslab *ss = map_one();
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(ss);
    uint32_t count = hk_lru_count();
    uint32_t state = ss->state;
    hk_superslab *got = hk_lru_pop(2);
    uint32_t after = hk_lru_count();
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(count == 1 && state == HK_SS_CACHED,
                  "after push: expected count 1 and state CACHED, got %u and %u", count, state);
    ck_assert_msg(got == ss, "pop after push: expected %p, got %p", (void *)ss, (void *)got);
    ck_assert_msg(after == 0, "after pop: expected count 0, got %u", after);
    ck_assert_msg(DELTA(lru_push) == 1 && DELTA(lru_pop_hit) == 1 && DELTA(lru_pop_miss) == 0,
                  "push+pop: expected push +1 hit +1 miss +0, got %+lld %+lld %+lld",
                  DELTA(lru_push), DELTA(lru_pop_hit), DELTA(lru_pop_miss));
    ck_assert_msg(DELTA(ss_unmaps) == 0 && DELTA(lru_evict) == 0,
                  "push+pop: expected nothing unmapped, got ss_unmaps %+lld evict %+lld",
                  DELTA(ss_unmaps), DELTA(lru_evict));
    ck_assert_msg(ss->magic == HK_SS_MAGIC && hk_chunk_kind((uintptr_t)ss) == HK_CHUNK_SS,
                  "popped SuperSlab: expected still mapped and marked");
    ck_assert_msg(!ss->prev && !ss->next, "popped SuperSlab: expected unlinked");
    hk_ss_unmap(ss, HK_EVICT_TRIM);
}
END_TEST

/* Most recently pushed first (its pages are warm). */
START_TEST(test_lifo_order)
{
    hk_superslab *a = map_one(), *b = map_one(), *c = map_one();
    hk_superslab *got[4];
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    hk_lru_push(b);
    hk_lru_push(c);
    uint32_t count = hk_lru_count();
    got[0] = hk_lru_pop(0);
    hk_lru_push(got[0]);
    got[1] = hk_lru_pop(0);
    got[2] = hk_lru_pop(0);
    got[3] = hk_lru_pop(0);
    hk_superslab *none = hk_lru_pop(0);
    pthread_mutex_unlock(&hk_pool_lock);
    ck_assert_msg(count == 3, "three pushes: expected count 3, got %u", count);
    ck_assert_msg(got[0] == c && got[1] == c && got[2] == b && got[3] == a && none == NULL,
                  "pops: expected c, c again after its re-push, b, a, then NULL (c=%p b=%p a=%p); "
                  "got %p %p %p %p then %p",
                  (void *)c, (void *)b, (void *)a, (void *)got[0], (void *)got[1], (void *)got[2],
                  (void *)got[3], (void *)none);
    hk_ss_unmap(a, HK_EVICT_TRIM);
    hk_ss_unmap(b, HK_EVICT_TRIM);
    hk_ss_unmap(c, HK_EVICT_TRIM);
}
END_TEST

START_TEST(test_count_bound_evicts_oldest)
{
    hk_opt[HK_OPT_SS_LRU_MAX_CACHED] = 2;
    hk_superslab *a = map_one(), *b = map_one(), *c = map_one();
    uintptr_t aa = (uintptr_t)a;
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    hk_lru_push(b);
    uint32_t two = hk_lru_count();
    hk_lru_push(c);
    uint32_t count = hk_lru_count();
    unsigned kind_a = hk_chunk_kind(aa);
    hk_superslab *p1 = hk_lru_pop(0), *p2 = hk_lru_pop(0), *p3 = hk_lru_pop(0);
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(two == 2 && count == 2, "max_cached=2: expected count 2 after 2 and 3 pushes, "
                  "got %u and %u", two, count);
    ck_assert_msg(DELTA(lru_evict_count) == 1 && DELTA(lru_evict) == 1,
                  "third push: expected lru_evict_count +1 and lru_evict +1, got %+lld and %+lld",
                  DELTA(lru_evict_count), DELTA(lru_evict));
    ck_assert_msg(DELTA(ss_unmaps) == 1, "third push: expected ss_unmaps +1, got %+lld",
                  DELTA(ss_unmaps));
    ck_assert_msg(kind_a == HK_CHUNK_NONE, "oldest (a=%p): expected unmapped (chunk NONE), got %u",
                  (void *)aa, kind_a);
    ck_assert_msg(p1 == c && p2 == b && p3 == NULL,
                  "pops: expected c then b then NULL, got %p %p %p (b=%p c=%p)", (void *)p1,
                  (void *)p2, (void *)p3, (void *)b, (void *)c);
    hk_ss_unmap(b, HK_EVICT_TRIM);
    hk_ss_unmap(c, HK_EVICT_TRIM);
}
END_TEST

START_TEST(test_memory_bound)
{
    hk_opt[HK_OPT_SS_LRU_MAX_MB] = 4; /* two 2 MiB SuperSlabs */
    hk_superslab *ss[4];
    for (int i = 0; i < 4; i++)
        ss[i] = map_one();
    uint32_t counts[4];
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    for (int i = 0; i < 4; i++) {
        hk_lru_push(ss[i]);
        counts[i] = hk_lru_count();
    }
    hk_superslab *p1 = hk_lru_pop(0), *p2 = hk_lru_pop(0), *p3 = hk_lru_pop(0);
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(counts[0] == 1 && counts[1] == 2 && counts[2] == 2 && counts[3] == 2,
                  "max_mb=4: expected counts 1 2 2 2, got %u %u %u %u", counts[0], counts[1],
                  counts[2], counts[3]);
    ck_assert_msg(DELTA(lru_evict_memory) == 2 && DELTA(lru_evict_count) == 0,
                  "max_mb=4, 4 pushes: expected 2 memory evictions and 0 count evictions, got %lld "
                  "and %lld",
                  DELTA(lru_evict_memory), DELTA(lru_evict_count));
    ck_assert_msg(DELTA(ss_unmaps) == 2, "expected ss_unmaps +2, got %+lld", DELTA(ss_unmaps));
    ck_assert_msg(p1 == ss[3] && p2 == ss[2] && p3 == NULL,
                  "pops: expected the two newest then NULL, got %p %p %p", (void *)p1, (void *)p2,
                  (void *)p3);
    hk_ss_unmap(ss[2], HK_EVICT_TRIM);
    hk_ss_unmap(ss[3], HK_EVICT_TRIM);
}
END_TEST

START_TEST(test_memory_bound_zero)
{
    hk_opt[HK_OPT_SS_LRU_MAX_MB] = 0;
    hk_superslab *ss = map_one();
    uint32_t count = push_counted(ss);
    ck_assert_msg(count == 0 && DELTA(lru_evict_memory) == 1 && DELTA(ss_unmaps) == 1,
                  "max_mb=0: expected the push evicted at once, got count %u memory evictions "
                  "%+lld unmaps %+lld",
                  count, DELTA(lru_evict_memory), DELTA(ss_unmaps));
}
END_TEST

START_TEST(test_ttl_zero_evicts_at_push)
{
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 0;
    hk_superslab *ss = map_one();
    uintptr_t a = (uintptr_t)ss;
    uint32_t count = push_counted(ss);
    ck_assert_msg(count == 0, "ttl=0: expected count 0 after push, got %u", count);
    ck_assert_msg(DELTA(lru_push) == 1 && DELTA(lru_evict_ttl) == 1 && DELTA(ss_unmaps) == 1,
                  "ttl=0: expected push +1, ttl evict +1, unmaps +1, got %+lld %+lld %+lld",
                  DELTA(lru_push), DELTA(lru_evict_ttl), DELTA(ss_unmaps));
    ck_assert_msg(hk_chunk_kind(a) == HK_CHUNK_NONE, "ttl=0: expected the chunk unmarked, got %u",
                  hk_chunk_kind(a));
}
END_TEST

/* hk_lru_evict_expired(now): evicts exactly what is older than the TTL at now.
 * (Only explicit clocks here: pop and push read the real one.) */
START_TEST(test_evict_expired)
{
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 10;
    hk_superslab *a = map_one(), *b = map_one();
    uintptr_t aa = (uintptr_t)a, bb = (uintptr_t)b;
    size_t none, one, rest;
    uint32_t c1, c2;
    unsigned kind_a, kind_b;
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    uint64_t ta = a->cached_ns;
    hk_lru_push(b);
    b->cached_ns = ta + 5000000000ull; /* as if b was cached 5 s after a */
    none = hk_lru_evict_expired(ta + 9000000000ull);
    one = hk_lru_evict_expired(ta + 10000000000ull);
    c1 = hk_lru_count();
    kind_a = hk_chunk_kind(aa);
    kind_b = hk_chunk_kind(bb);
    rest = hk_lru_evict_expired(ta + 15000000000ull);
    c2 = hk_lru_count();
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(none == 0, "at 9 s of a 10 s TTL: expected 0 evicted, got %zu", none);
    ck_assert_msg(one == 1 && c1 == 1, "at 10 s: expected the older one evicted (1, count 1), got "
                  "%zu, count %u", one, c1);
    ck_assert_msg(kind_a == HK_CHUNK_NONE && kind_b == HK_CHUNK_SS,
                  "at 10 s: expected a unmapped and b kept, got chunk kinds %u and %u", kind_a,
                  kind_b);
    ck_assert_msg(rest == 1 && c2 == 0, "at 15 s: expected b evicted too, got %zu, count %u", rest,
                  c2);
    ck_assert_msg(DELTA(lru_evict_ttl) == 2 && DELTA(ss_unmaps) == 2,
                  "expected 2 ttl evictions and 2 unmaps, got %+lld and %+lld", DELTA(lru_evict_ttl),
                  DELTA(ss_unmaps));
}
END_TEST

/* A pop evicts the expired ones first: it never hands out a SuperSlab past its TTL. */
START_TEST(test_pop_skips_expired)
{
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 1;
    hk_superslab *a = map_one();
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    a->cached_ns -= 2000000000ull; /* cached 2 s ago */
    hk_superslab *got = hk_lru_pop(1);
    uint32_t count = hk_lru_count();
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(got == NULL && count == 0, "pop of an expired SuperSlab: expected NULL and count "
                  "0, got %p and %u", (void *)got, count);
    ck_assert_msg(DELTA(lru_evict_ttl) == 1 && DELTA(lru_pop_miss) == 1,
                  "expected ttl evict +1 and pop miss +1, got %+lld and %+lld", DELTA(lru_evict_ttl),
                  DELTA(lru_pop_miss));
}
END_TEST

START_TEST(test_max_cached_zero_unmaps_at_once)
{
    hk_opt[HK_OPT_SS_LRU_MAX_CACHED] = 0;
    hk_superslab *ss = map_one();
    uintptr_t a = (uintptr_t)ss;
    uint32_t count = push_counted(ss);
    ck_assert_msg(count == 0, "max_cached=0: expected count 0, got %u", count);
    ck_assert_msg(DELTA(lru_evict_count) == 1 && DELTA(ss_unmaps) == 1,
                  "max_cached=0: expected count evict +1 and unmaps +1, got %+lld and %+lld",
                  DELTA(lru_evict_count), DELTA(ss_unmaps));
    ck_assert_msg(hk_chunk_kind(a) == HK_CHUNK_NONE, "max_cached=0: expected the chunk unmarked");
}
END_TEST

START_TEST(test_evict_all)
{
    enum { N = 5 };
    hk_superslab *ss[N];
    uintptr_t addr[N];
    for (int i = 0; i < N; i++) {
        ss[i] = map_one();
        addr[i] = (uintptr_t)ss[i];
    }
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    for (int i = 0; i < N; i++)
        hk_lru_push(ss[i]);
    uint32_t count = hk_lru_count();
    size_t n = hk_lru_evict_all();
    uint32_t after = hk_lru_count();
    hk_superslab *got = hk_lru_pop(0);
    size_t again = hk_lru_evict_all();
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(count == N && n == N && after == 0,
                  "evict_all of %d: expected count %d, %d evicted, count 0; got %u, %zu, %u", N, N,
                  N, count, n, after);
    ck_assert_msg(got == NULL && again == 0, "after evict_all: expected pop NULL and 0 more, got "
                  "%p and %zu", (void *)got, again);
    ck_assert_msg(DELTA(ss_unmaps) == N && DELTA(lru_evict) == N,
                  "evict_all: expected ss_unmaps +%d and lru_evict +%d, got %+lld and %+lld", N, N,
                  DELTA(ss_unmaps), DELTA(lru_evict));
    ck_assert_msg(DELTA(lru_evict_count) == 0 && DELTA(lru_evict_memory) == 0 &&
                      DELTA(lru_evict_ttl) == 0,
                  "evict_all: expected no count/memory/ttl evictions counted, got %+lld %+lld %+lld",
                  DELTA(lru_evict_count), DELTA(lru_evict_memory), DELTA(lru_evict_ttl));
    for (int i = 0; i < N; i++)
        ck_assert_msg(hk_chunk_kind(addr[i]) == HK_CHUNK_NONE,
                      "SuperSlab %d after evict_all: expected the chunk unmarked, got %u", i,
                      hk_chunk_kind(addr[i]));
}
END_TEST

/* The pool's view: hakmem_stats_get reports the cached SuperSlabs. */
START_TEST(test_stats_ss_cached)
{
    hk_superslab *a = map_one(), *b = map_one();
    snap(&st0);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    hk_lru_push(b);
    pthread_mutex_unlock(&hk_pool_lock);
    snap(&st1);
    ck_assert_msg(st0.ss_cached == 0 && st1.ss_cached == 2,
                  "ss_cached: expected 0 then 2, got %llu then %llu",
                  (unsigned long long)st0.ss_cached, (unsigned long long)st1.ss_cached);
}
END_TEST

/* Pages of [p, p+len) resident in memory (mincore; no malloc). */
static size_t resident_pages(const void *p, size_t len)
{
    static unsigned char vec[HK_SS_SIZE / 4096];
    size_t n = len / hk_page_size, in = 0;
    ck_assert_msg(n <= sizeof vec && mincore((void *)p, len, vec) == 0, "mincore(%p, %zu): expected 0", p, len);
    for (size_t i = 0; i < n; i++)
        in += vec[i] & 1;
    return in;
}

/* A SuperSlab cached HK_PURGE_DELAY_NS gives its slabs' pages back, oldest
 * first, and keeps its header (slot 0); one cached since less stays. After
 * a pop and reset its slabs read as zero. */
START_TEST(test_purge_after_delay)
{
    const size_t slabs = (size_t)HK_FIRST_SLAB * HK_SLAB_SIZE, len = HK_SS_SIZE - slabs;
    hk_superslab *a = map_one(), *b = map_one();
    memset((char *)a + slabs, 0x11, len);
    memset((char *)b + slabs, 0x22, len);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    hk_lru_push(b);
    uint64_t now = hk_now_ns();
    size_t early = hk_lru_purge(now, 16); /* nothing cached long enough */
    a->cached_ns = now - HK_PURGE_DELAY_NS - 1; /* a: cached a delay ago, b: just now */
    size_t purged = hk_lru_purge(now, 16), again = hk_lru_purge(now, 16);
    uint64_t dirty = hk_lru_dirty_ns(), b_ns = b->cached_ns;
    size_t a_in = resident_pages((char *)a + slabs, len), b_in = resident_pages((char *)b + slabs, len);
    size_t hdr_in = resident_pages(a, hk_page_size);
    uint64_t magic = a->magic;
    unsigned state = a->state;
    hk_superslab *first = hk_lru_pop(0), *second = hk_lru_pop(0);
    uint64_t dirty_after = hk_lru_dirty_ns();
    pthread_mutex_unlock(&hk_pool_lock);
    ck_assert_msg(early == 0, "purge at once: expected none purged (delay %llu ns), got %zu",
                  (unsigned long long)HK_PURGE_DELAY_NS, early);
    ck_assert_msg(purged == 1 && again == 0, "purge with a due: expected 1 then 0 purged, got %zu then %zu", purged,
                  again);
    ck_assert_msg(a_in == 0, "purged SuperSlab: expected none of its %zu slab pages resident, got %zu",
                  len / hk_page_size, a_in);
    ck_assert_msg(b_in == len / hk_page_size, "SuperSlab cached just now: expected all %zu slab pages resident, got %zu",
                  len / hk_page_size, b_in);
    ck_assert_msg(hdr_in == 1 && magic == HK_SS_MAGIC && state == HK_SS_CACHED,
                  "purged SuperSlab: expected its header kept (resident, magic, CACHED), got %zu, %#llx, %u", hdr_in,
                  (unsigned long long)magic, state);
    ck_assert_msg(dirty == b_ns && dirty_after == 0,
                  "dirty cursor: expected b's time and then none after both pops, got %llu (b %llu), %llu",
                  (unsigned long long)dirty, (unsigned long long)b_ns, (unsigned long long)dirty_after);
    ck_assert_msg(first == b && second == a, "pops: expected b then a, got %p %p", (void *)first, (void *)second);
    hk_ss_reset(a);
    const unsigned char *z = (const unsigned char *)a + slabs;
    for (size_t i = 0; i < len; i += 512)
        ck_assert_msg(z[i] == 0, "purged SuperSlab after pop: expected its slabs zero, byte %zu is 0x%02x", i, z[i]);
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    hk_lru_push(b);
    pthread_mutex_unlock(&hk_pool_lock);
}
END_TEST

/* Evicting or popping the oldest unpurged SuperSlab moves the cursor on. */
START_TEST(test_purge_cursor_follows_unlinks)
{
    hk_superslab *a = map_one(), *b = map_one(), *c = map_one();
    pthread_mutex_lock(&hk_pool_lock);
    hk_lru_push(a);
    hk_lru_push(b);
    hk_lru_push(c);
    uint64_t now = hk_now_ns();
    a->cached_ns = b->cached_ns = now - HK_PURGE_DELAY_NS - 1;
    size_t one = hk_lru_purge(now, 1); /* a only: the batch bound */
    uint64_t d1 = hk_lru_dirty_ns(), b_ns = b->cached_ns, c_ns = c->cached_ns;
    hk_lru_evict_expired(now + 3600ull * 1000000000ull * 24 * 365 * 100); /* a, b and c go */
    uint64_t d2 = hk_lru_dirty_ns();
    uint32_t left = hk_lru_count();
    pthread_mutex_unlock(&hk_pool_lock);
    ck_assert_msg(one == 1 && d1 == b_ns, "purge of 1: expected a purged and b next, got %zu and %llu (b %llu c %llu)",
                  one, (unsigned long long)d1, (unsigned long long)b_ns, (unsigned long long)c_ns);
    ck_assert_msg(left == 0 && d2 == 0, "after evicting all: expected no cursor, got count %u, %llu", left,
                  (unsigned long long)d2);
}
END_TEST

static Suite *lru_suite(void)
{
    Suite *s = suite_create("lru");
    TCase *tc = tcase_create("lru");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pop_empty_misses);
    tcase_add_test(tc, test_push_then_pop_hits);
    tcase_add_test(tc, test_lifo_order);
    tcase_add_test(tc, test_count_bound_evicts_oldest);
    tcase_add_test(tc, test_memory_bound);
    tcase_add_test(tc, test_memory_bound_zero);
    tcase_add_test(tc, test_ttl_zero_evicts_at_push);
    tcase_add_test(tc, test_evict_expired);
    tcase_add_test(tc, test_pop_skips_expired);
    tcase_add_test(tc, test_max_cached_zero_unmaps_at_once);
    tcase_add_test(tc, test_evict_all);
    tcase_add_test(tc, test_stats_ss_cached);
    tcase_add_test(tc, test_purge_after_delay);
    tcase_add_test(tc, test_purge_cursor_follows_unlinks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lru_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
