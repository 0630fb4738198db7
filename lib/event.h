/* event.h — the allocator's events (event.c), one function each: counted in
 * the stats, traced, and printed as the seed's debug lines when asked. */
#ifndef HK_EVENT_H
#define HK_EVENT_H

#include "internal.h"
#include "hakmem_segment.h"


/* The reason codes of hakmem_defs.h under the allocator's names. */
enum hk_evict_reason { HK_EVICT_COUNT = HAKMEM_EVICT_COUNT, HK_EVICT_MEMORY = HAKMEM_EVICT_MEMORY,
                       HK_EVICT_TTL = HAKMEM_EVICT_TTL, HK_EVICT_TRIM = HAKMEM_EVICT_TRIM };
enum hk_release_to { HK_RELEASE_REGISTRY = HAKMEM_RELEASE_REGISTRY,
                     HK_RELEASE_FREE_SLOT = HAKMEM_RELEASE_FREE_SLOT };

const char *hk_event_name(unsigned t);

void hk_event_ss_map(hk_superslab *ss, bool trimmed);
void hk_event_ss_unmap(hk_superslab *ss, enum hk_evict_reason why);
void hk_event_large_map(void *p, size_t bytes);
void hk_event_large_unmap(void *p, size_t bytes);
void hk_event_lru_push(hk_superslab *ss, uint32_t size, uint32_t limit);
void hk_event_lru_pop(unsigned cls, hk_superslab *hit, uint32_t size, uint32_t limit);
void hk_event_lru_evict(hk_superslab *ss, enum hk_evict_reason why, uint32_t size, uint32_t limit);
void hk_event_slab_acquire(hk_slab *s, unsigned stage);
void hk_event_stage_miss(unsigned cls, unsigned stage);
void hk_event_slab_empty(hk_slab *s);
void hk_event_slab_release(hk_slab *s, enum hk_release_to where);
void hk_event_thread(bool start, uint32_t tid);
void hk_event_heap_error(unsigned kind, hk_slab *s, const void *p, uint32_t stack_id);
void hk_event_alloc(const void *p, size_t n, size_t block, hk_slab *s, uint64_t weight, uint32_t stack_id);
void hk_event_free(const void *p, hk_slab *s, unsigned reason);
void hk_event_slab_pin(hk_superslab *ss, hk_slab *s, uint32_t site, uint32_t blocks, uint32_t live,
                       unsigned when);

#endif
