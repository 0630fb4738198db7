/* event.c — every allocator event in one place: it bumps its counter and,
 * under HAKMEM_SS_LRU_DEBUG / HAKMEM_SS_FREE_DEBUG, prints the seed's line. */
#include "event.h"
#include "ring.h"

#define NO_CLASS HAKMEM_NONE
#define NO_STAGE HAKMEM_NONE
#define SS_FIELDS(ss) .ss_id = (ss) ? (ss)->id : 0, .ss_addr = (uintptr_t)(ss)


const char *hk_event_name(unsigned t)
{
    const char *name = hakmem_event_name(t);
    return name ? name : "unknown";
}

void hk_event_ss_map(hk_superslab *ss, bool trimmed)
{
    HK_TRACE(.type = HAKMEM_EV_SS_MAP, .cls = NO_CLASS, .stage = NO_STAGE, SS_FIELDS(ss),
             .arg0 = HK_SS_SIZE, .arg1 = hk_pool_mostly_free(), .reason = trimmed ? HAKMEM_MAP_TRIM : HAKMEM_MAP_NEW,
             .stack_id = hk_stack_id());
    HK_STAT_INC(ss_maps);
    HK_STAT_ADD(ss_map_bytes, HK_SS_SIZE);
    if (trimmed)
        HK_STAT_INC(ss_trims);
}

void hk_event_ss_unmap(hk_superslab *ss, enum hk_evict_reason why)
{
    HK_TRACE(.type = HAKMEM_EV_SS_UNMAP, .cls = NO_CLASS, .stage = NO_STAGE, SS_FIELDS(ss),
             .arg0 = HK_SS_SIZE, .reason = why);
    HK_STAT_INC(ss_unmaps);
    HK_STAT_ADD(ss_unmap_bytes, HK_SS_SIZE);
    if (hk_opt[HK_OPT_SS_FREE_DEBUG])
        hk_log("[SS_FREE] ss=%p id=%u unmap reason=%s\n", (void *)ss, ss->id, hakmem_evict_reason_name(why));
}

void hk_event_large_map(void *p, size_t bytes)
{
    HK_TRACE(.type = HAKMEM_EV_LARGE_MAP, .cls = NO_CLASS, .stage = NO_STAGE,
             .ss_addr = (uintptr_t)p, .arg0 = bytes);
    HK_STAT_INC(large_maps);
    HK_STAT_ADD(large_map_bytes, bytes);
}

void hk_event_large_unmap(void *p, size_t bytes)
{
    HK_TRACE(.type = HAKMEM_EV_LARGE_UNMAP, .cls = NO_CLASS, .stage = NO_STAGE,
             .ss_addr = (uintptr_t)p, .arg0 = bytes);
    HK_STAT_INC(large_unmaps);
    HK_STAT_ADD(large_unmap_bytes, bytes);
}

void hk_event_lru_push(hk_superslab *ss, uint32_t size, uint32_t limit)
{
    HK_TRACE(.type = HAKMEM_EV_LRU_PUSH, .cls = NO_CLASS, .stage = NO_STAGE, SS_FIELDS(ss),
             .arg0 = size, .arg1 = limit);
    HK_STAT_INC(lru_push);
    if (hk_opt[HK_OPT_SS_FREE_DEBUG])
        hk_log("[SS_FREE] ss=%p id=%u to LRU cache\n", (void *)ss, ss->id);
    if (hk_opt[HK_OPT_SS_LRU_DEBUG])
        hk_log("[LRU_PUSH] ss=%p id=%u (cache_size=%u/%u)\n", (void *)ss, ss->id, size, limit);
}

void hk_event_lru_pop(unsigned cls, hk_superslab *hit, uint32_t size, uint32_t limit)
{
    HK_TRACE(.type = hit ? HAKMEM_EV_LRU_POP_HIT : HAKMEM_EV_LRU_POP_MISS, .cls = (uint8_t)cls,
             .stage = HAKMEM_STAGE_3, SS_FIELDS(hit), .arg0 = size, .arg1 = limit,
             .stack_id = hit ? 0 : hk_stack_id());
    if (hit)
        HK_STAT_INC(lru_pop_hit);
    else
        HK_STAT_INC(lru_pop_miss);
    if (hk_opt[HK_OPT_SS_LRU_DEBUG])
        hk_log("[LRU_POP] class=%u (%s) (cache_size=%u/%u)\n", cls, hit ? "hit" : "miss", size, limit);
}

void hk_event_lru_evict(hk_superslab *ss, enum hk_evict_reason why, uint32_t size, uint32_t limit)
{
    HK_TRACE(.type = HAKMEM_EV_LRU_EVICT, .cls = NO_CLASS, .stage = NO_STAGE, SS_FIELDS(ss),
             .arg0 = size, .arg1 = limit, .reason = why);
    HK_STAT_INC(lru_evict);
    if (why == HK_EVICT_COUNT)
        HK_STAT_INC(lru_evict_count);
    else if (why == HK_EVICT_MEMORY)
        HK_STAT_INC(lru_evict_memory);
    else if (why == HK_EVICT_TTL)
        HK_STAT_INC(lru_evict_ttl);
    if (hk_opt[HK_OPT_SS_LRU_DEBUG])
        hk_log("[LRU_EVICT] ss=%p id=%u reason=%s (cache_size=%u/%u)\n", (void *)ss, ss->id,
               hakmem_evict_reason_name(why), size, limit);
}

void hk_event_slab_acquire(hk_slab *s, unsigned stage)
{
    HK_TRACE(.type = HAKMEM_EV_SLAB_ACQUIRE, .cls = s->cls, .stage = (uint8_t)stage,
             SS_FIELDS(hk_ss_of_slab(s)), .slab = s->idx,
             .stack_id = stage == HAKMEM_STAGE_3 ? hk_stack_id() : 0);
    if (stage == HAKMEM_STAGE_0)
        hk_heap_count_stage0(0);
    else
        HK_STAT_INC_LOCKED(stage_hit[stage]); /* own(), under the pool lock */
}

void hk_event_stage_miss(unsigned cls, unsigned stage)
{
    HK_TRACE(.type = HAKMEM_EV_STAGE_MISS, .cls = (uint8_t)cls, .stage = (uint8_t)stage);
    if (stage == HAKMEM_STAGE_0)
        hk_heap_count_stage0(1);
    else
        HK_STAT_INC_LOCKED(stage_miss[stage]); /* acquire_locked() */
}

void hk_event_slab_empty(hk_slab *s)
{
    HK_TRACE(.type = HAKMEM_EV_SLAB_EMPTY, .cls = s->cls, .stage = NO_STAGE,
             SS_FIELDS(hk_ss_of_slab(s)), .slab = s->idx, .arg0 = s->capacity);
    HK_STAT_INC_LOCKED(empty); /* the pool's release and reap, under its lock */
    HK_STAT_INC_LOCKED(class_empty[s->cls]);
    if (hk_opt[HK_OPT_SS_FREE_DEBUG])
        hk_log("[EMPTY detected] class=%u ss=%p slab=%u\n", s->cls, (void *)hk_ss_of_slab(s), s->idx);
}

void hk_event_slab_release(hk_slab *s, enum hk_release_to where)
{
    HK_TRACE(.type = HAKMEM_EV_SLAB_RELEASE, .cls = s->cls, .stage = NO_STAGE,
             SS_FIELDS(hk_ss_of_slab(s)), .slab = s->idx, .reason = where);
    HK_STAT_INC_LOCKED(slab_release);
}

void hk_event_thread(bool start, uint32_t tid)
{
    HK_TRACE(.type = start ? HAKMEM_EV_THREAD_START : HAKMEM_EV_THREAD_EXIT, .cls = NO_CLASS,
             .stage = NO_STAGE, .arg0 = tid);
    if (start)
        HK_STAT_INC(threads_started);
    else
        HK_STAT_INC(threads_exited);
}

/* A heap error of kind (enum hk_error_kind) on p, in slab s or none, where
 * stack_id (0: none) is the stack that committed it. */
void hk_event_heap_error(unsigned kind, hk_slab *s, const void *p, uint32_t stack_id)
{
    hk_superslab *ss = s ? hk_ss_of_slab(s) : NULL;
    HK_TRACE(.type = HAKMEM_EV_HEAP_ERROR, .cls = s ? s->cls : NO_CLASS, .stage = NO_STAGE,
             SS_FIELDS(ss), .slab = s ? s->idx : 0, .arg0 = (uintptr_t)p, .arg1 = kind,
             .stack_id = stack_id);
    HK_STAT_INC(heap_errors);
}

/* The heap profiler's sampled allocation of n bytes at p: a block of
 * `block` bytes in slab s (NULL: a large block), standing for weight
 * allocations in HAKMEM_WEIGHT_ONE units, made at stack stack_id. */
void hk_event_alloc(const void *p, size_t n, size_t block, hk_slab *s, uint64_t weight, uint32_t stack_id)
{
    HK_TRACE(.type = HAKMEM_EV_ALLOC, .cls = s ? s->cls : NO_CLASS, .stage = NO_STAGE,
             .ss_id = s ? hk_ss_of_slab(s)->id : 0, .slab = s ? s->idx : 0, .ss_addr = (uintptr_t)p,
             .arg0 = n, .arg1 = weight,
             .reason = block >= HAKMEM_SIZE_SATURATED ? HAKMEM_SIZE_SATURATED : (uint32_t)block,
             .stack_id = stack_id);
}

/* A sampled block freed (reason: enum hakmem_free_reason). */
void hk_event_free(const void *p, hk_slab *s, unsigned reason)
{
    HK_TRACE(.type = HAKMEM_EV_FREE, .cls = s ? s->cls : NO_CLASS, .stage = NO_STAGE,
             .ss_id = s ? hk_ss_of_slab(s)->id : 0, .slab = s ? s->idx : 0, .ss_addr = (uintptr_t)p,
             .reason = reason);
}

/* `blocks` of slab s's `live` blocks were allocated at site (a stack id),
 * counted when (enum hakmem_pin_reason). */
void hk_event_slab_pin(hk_superslab *ss, hk_slab *s, uint32_t site, uint32_t blocks, uint32_t live,
                       unsigned when)
{
    HK_TRACE(.type = HAKMEM_EV_SLAB_PIN, .cls = s->cls, .stage = NO_STAGE, SS_FIELDS(ss), .slab = s->idx,
             .arg0 = blocks, .arg1 = live, .stack_id = site, .reason = when);
}
