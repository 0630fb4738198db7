/* event.c — every allocator event in one place: it bumps its counter and,
 * under HAKMEM_SS_LRU_DEBUG / HAKMEM_SS_FREE_DEBUG, prints the seed's line. */
#include "event.h"

static const char *const names[HK_EV_COUNT] = {
    [HK_EV_SS_MAP] = "ss_map", [HK_EV_SS_UNMAP] = "ss_unmap",
    [HK_EV_LARGE_MAP] = "large_map", [HK_EV_LARGE_UNMAP] = "large_unmap",
    [HK_EV_LRU_PUSH] = "lru_push", [HK_EV_LRU_POP_HIT] = "lru_pop_hit",
    [HK_EV_LRU_POP_MISS] = "lru_pop_miss", [HK_EV_LRU_EVICT] = "lru_evict",
    [HK_EV_SLAB_ACQUIRE] = "slab_acquire", [HK_EV_STAGE_MISS] = "stage_miss",
    [HK_EV_SLAB_EMPTY] = "slab_empty", [HK_EV_SLAB_RELEASE] = "slab_release",
    [HK_EV_THREAD_START] = "thread_start", [HK_EV_THREAD_EXIT] = "thread_exit",
};

const char *hk_event_name(enum hk_event_type t)
{
    return t > 0 && t < HK_EV_COUNT ? names[t] : "unknown";
}

static const char *const evict_names[] = { "count", "memory", "ttl", "trim" };

void hk_event_ss_map(hk_superslab *ss, bool trimmed)
{
    (void)ss;
    HK_STAT_INC(ss_maps);
    HK_STAT_ADD(ss_map_bytes, HK_SS_SIZE);
    if (trimmed)
        HK_STAT_INC(ss_trims);
}

void hk_event_ss_unmap(hk_superslab *ss, enum hk_evict_reason why)
{
    HK_STAT_INC(ss_unmaps);
    HK_STAT_ADD(ss_unmap_bytes, HK_SS_SIZE);
    if (hk_opt[HK_OPT_SS_FREE_DEBUG])
        hk_log("[SS_FREE] ss=%p id=%u unmap reason=%s\n", (void *)ss, ss->id, evict_names[why]);
}

void hk_event_large_map(void *p, size_t bytes)
{
    (void)p;
    HK_STAT_INC(large_maps);
    HK_STAT_ADD(large_map_bytes, bytes);
}

void hk_event_large_unmap(void *p, size_t bytes)
{
    (void)p;
    HK_STAT_INC(large_unmaps);
    HK_STAT_ADD(large_unmap_bytes, bytes);
}

void hk_event_lru_push(hk_superslab *ss, uint32_t size, uint32_t limit)
{
    HK_STAT_INC(lru_push);
    if (hk_opt[HK_OPT_SS_FREE_DEBUG])
        hk_log("[SS_FREE] ss=%p id=%u to LRU cache\n", (void *)ss, ss->id);
    if (hk_opt[HK_OPT_SS_LRU_DEBUG])
        hk_log("[LRU_PUSH] ss=%p id=%u (cache_size=%u/%u)\n", (void *)ss, ss->id, size, limit);
}

void hk_event_lru_pop(unsigned cls, hk_superslab *hit, uint32_t size, uint32_t limit)
{
    if (hit)
        HK_STAT_INC(lru_pop_hit);
    else
        HK_STAT_INC(lru_pop_miss);
    if (hk_opt[HK_OPT_SS_LRU_DEBUG])
        hk_log("[LRU_POP] class=%u (%s) (cache_size=%u/%u)\n", cls, hit ? "hit" : "miss", size, limit);
}

void hk_event_lru_evict(hk_superslab *ss, enum hk_evict_reason why, uint32_t size, uint32_t limit)
{
    HK_STAT_INC(lru_evict);
    if (why == HK_EVICT_COUNT)
        HK_STAT_INC(lru_evict_count);
    else if (why == HK_EVICT_MEMORY)
        HK_STAT_INC(lru_evict_memory);
    else if (why == HK_EVICT_TTL)
        HK_STAT_INC(lru_evict_ttl);
    if (hk_opt[HK_OPT_SS_LRU_DEBUG])
        hk_log("[LRU_EVICT] ss=%p id=%u reason=%s (cache_size=%u/%u)\n", (void *)ss, ss->id,
               evict_names[why], size, limit);
}

void hk_event_slab_acquire(hk_slab *s, unsigned stage)
{
    (void)s;
    HK_STAT_INC(stage_hit[stage]);
}

void hk_event_stage_miss(unsigned cls, unsigned stage)
{
    (void)cls;
    HK_STAT_INC(stage_miss[stage]);
}

void hk_event_slab_empty(hk_slab *s)
{
    HK_STAT_INC(empty);
    HK_STAT_INC(class_empty[s->cls]);
    if (hk_opt[HK_OPT_SS_FREE_DEBUG])
        hk_log("[EMPTY detected] class=%u ss=%p slab=%u\n", s->cls, (void *)hk_ss_of_slab(s), s->idx);
}

void hk_event_slab_release(hk_slab *s, enum hk_release_to where)
{
    (void)s;
    (void)where;
    HK_STAT_INC(slab_release);
}

void hk_event_thread(bool start, uint32_t tid)
{
    (void)tid;
    if (start)
        HK_STAT_INC(threads_started);
    else
        HK_STAT_INC(threads_exited);
}
