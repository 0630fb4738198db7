/* lru.c — the LRU cache of empty SuperSlabs, bounded by count, memory and
 * TTL; a SuperSlab is unmapped only when evicted, and its slabs' pages go
 * back (purged) once it has been cached for HK_PURGE_DELAY_NS. Caller holds
 * hk_pool_lock. */
#include "event.h"

/* Invariant: the SuperSlabs older than dirty (towards the tail) are purged;
 * dirty and the newer ones are not. Purging goes in the order of caching, so
 * the purged ones are always the oldest. */
static struct {
    hk_superslab *head, *tail; /* head: most recently pushed */
    hk_superslab *dirty;       /* the oldest not purged, NULL: none */
    uint32_t count;
} lru;

hk_superslab *hk_lru_head(void)
{
    return lru.head;
}

uint64_t hk_lru_oldest_ns(void)
{
    return lru.tail ? lru.tail->cached_ns : 0;
}

uint64_t hk_lru_dirty_ns(void)
{
    return lru.dirty ? lru.dirty->cached_ns : 0;
}

uint32_t hk_lru_count(void)
{
    return lru.count;
}

static uint32_t limit_count(void)
{
    return (uint32_t)hk_opt[HK_OPT_SS_LRU_MAX_CACHED];
}

static bool over_memory(void)
{
    return (uint64_t)lru.count * HK_SS_SIZE > (uint64_t)hk_opt[HK_OPT_SS_LRU_MAX_MB] << 20;
}

static void unlink_ss(hk_superslab *ss)
{
    HK_ASSERT(lru.count > 0 && ss->state == HK_SS_CACHED);
    if (ss == lru.dirty)
        lru.dirty = ss->prev; /* the next newer, not purged either */
    hk_ss_list_remove(&lru.head, &lru.tail, ss);
    lru.count--;
}

static void evict(hk_superslab *ss, enum hk_evict_reason why)
{
    unlink_ss(ss);
    hk_event_lru_evict(ss, why, lru.count, limit_count());
    hk_ss_unmap(ss, why);
}

void hk_lru_init_log(void)
{
    if (hk_opt[HK_OPT_SS_LRU_DEBUG])
        hk_log("[SS_LRU_INIT] max_cached=%ld max_memory_mb=%ld ttl_sec=%ld\n",
               hk_opt[HK_OPT_SS_LRU_MAX_CACHED], hk_opt[HK_OPT_SS_LRU_MAX_MB],
               hk_opt[HK_OPT_SS_LRU_TTL_SEC]);
}

/* Unmaps the cached SuperSlabs older than the TTL (oldest at the tail). */
size_t hk_lru_evict_expired(uint64_t now)
{
    uint64_t ttl = (uint64_t)hk_opt[HK_OPT_SS_LRU_TTL_SEC] * 1000000000ull;
    size_t n = 0;
    while (lru.tail && now - lru.tail->cached_ns >= ttl) {
        evict(lru.tail, HK_EVICT_TTL);
        n++;
    }
    return n;
}

size_t hk_lru_evict_all(void)
{
    size_t n = 0;
    while (lru.tail) {
        evict(lru.tail, HK_EVICT_TRIM);
        n++;
    }
    return n;
}

/* Caches an empty SuperSlab, then evicts from the cold end until the count
 * and memory bounds hold (a limit of 0 unmaps it at once). */
void hk_lru_push(hk_superslab *ss)
{
    HK_ASSERT(ss->magic == HK_SS_MAGIC && ss->live == 0 && !ss->on_free_list && !ss->prev && !ss->next);
    uint64_t now = hk_now_ns();
    ss->state = HK_SS_CACHED;
    ss->cached_ns = now;
    hk_ss_list_push_front(&lru.head, &lru.tail, ss);
    lru.count++;
    bool first_dirty = !lru.dirty;
    if (first_dirty)
        lru.dirty = ss;
    hk_event_lru_push(ss, lru.count, limit_count());
    while (lru.count > limit_count())
        evict(lru.tail, HK_EVICT_COUNT);
    while (lru.count && over_memory())
        evict(lru.tail, HK_EVICT_MEMORY);
    hk_lru_evict_expired(now);
    if (first_dirty && lru.dirty)
        hk_purge_notify(); /* wakes the purger, or asks for one */
}

/* Purges the slabs of up to max SuperSlabs cached HK_PURGE_DELAY_NS or
 * longer, oldest first; returns how many. Their headers stay (slot 0). */
size_t hk_lru_purge(uint64_t now, size_t max)
{
    size_t n = 0;
    while (n < max && lru.dirty && now - lru.dirty->cached_ns >= HK_PURGE_DELAY_NS) {
        hk_ss_purge(lru.dirty);
        lru.dirty = lru.dirty->prev;
        n++;
    }
    return n;
}

/* The most recently cached SuperSlab (warm pages), or NULL: a miss. */
hk_superslab *hk_lru_pop(unsigned cls)
{
    hk_lru_evict_expired(hk_now_ns());
    hk_superslab *ss = lru.head;
    if (ss)
        unlink_ss(ss);
    hk_event_lru_pop(cls, ss, lru.count, limit_count());
    return ss;
}

/* The debug walk (hk_pool_validate): linked both ways, as many as counted,
 * every one CACHED with nothing live, cached no later than the newer ones;
 * dirty on the list. */
void hk_lru_validate(void)
{
    uint32_t n = 0;
    bool dirty_seen = !lru.dirty;
    hk_superslab *prev = NULL;
    for (hk_superslab *ss = lru.head; ss; prev = ss, ss = ss->next) {
        HK_ASSERTF(ss->prev == prev && ss->magic == HK_SS_MAGIC && ss->state == HK_SS_CACHED && ss->live == 0 &&
                       hk_chunk_kind((uintptr_t)ss) == HK_CHUNK_SS,
                   "LRU SuperSlab %u: state %u live %u", ss->id, ss->state, ss->live);
        HK_ASSERT(!prev || prev->cached_ns >= ss->cached_ns);
        dirty_seen |= ss == lru.dirty;
        n++;
    }
    HK_ASSERTF(n == lru.count && lru.tail == prev && dirty_seen, "LRU: %u listed, count %u, dirty %s", n,
               lru.count, dirty_seen ? "listed" : "not listed");
}
