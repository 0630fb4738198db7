/* evnames.h — the names of the ring's event types: the public vocabulary of
 * the trace and the schema, shared by the allocator and the reader library. */
#ifndef HK_EVNAMES_H
#define HK_EVNAMES_H

#include "hakmem_segment.h"

static const char *const hk_ev_names[HAKMEM_EV_COUNT] = {
    [HAKMEM_EV_SS_MAP] = "ss_map", [HAKMEM_EV_SS_UNMAP] = "ss_unmap",
    [HAKMEM_EV_LARGE_MAP] = "large_map", [HAKMEM_EV_LARGE_UNMAP] = "large_unmap",
    [HAKMEM_EV_LRU_PUSH] = "lru_push", [HAKMEM_EV_LRU_POP_HIT] = "lru_pop_hit",
    [HAKMEM_EV_LRU_POP_MISS] = "lru_pop_miss", [HAKMEM_EV_LRU_EVICT] = "lru_evict",
    [HAKMEM_EV_SLAB_ACQUIRE] = "slab_acquire", [HAKMEM_EV_STAGE_MISS] = "stage_miss",
    [HAKMEM_EV_SLAB_EMPTY] = "slab_empty", [HAKMEM_EV_SLAB_RELEASE] = "slab_release",
    [HAKMEM_EV_THREAD_START] = "thread_start", [HAKMEM_EV_THREAD_EXIT] = "thread_exit",
    [HAKMEM_EV_HEAP_ERROR] = "heap_error",
};

#endif
