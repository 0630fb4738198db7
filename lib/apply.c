/* apply.c — one event applied to the process counters exactly as the
 * allocator counts it when it emits the event (lib/event.c): the single
 * rule by which readers rebuild counters from recorded events. */
#include "hakmem_reader.h"

#define NSTAGES HAKMEM_STAGES

void hakmem_counters_apply(struct hakmem_seg_counters *c, const struct hakmem_event *e)
{
    switch (e->type) {
    case HAKMEM_EV_SS_MAP: /* reason: the mapping was trimmed to alignment */
        c->ss_maps++;
        c->ss_map_bytes += e->arg0;
        c->ss_trims += e->reason == HAKMEM_MAP_TRIM;
        break;
    case HAKMEM_EV_SS_UNMAP:
        c->ss_unmaps++;
        c->ss_unmap_bytes += e->arg0;
        break;
    case HAKMEM_EV_LARGE_MAP:
        c->large_maps++;
        c->large_map_bytes += e->arg0;
        break;
    case HAKMEM_EV_LARGE_UNMAP:
        c->large_unmaps++;
        c->large_unmap_bytes += e->arg0;
        break;
    case HAKMEM_EV_LRU_PUSH:
        c->lru_push++;
        break;
    case HAKMEM_EV_LRU_POP_HIT:
        c->lru_pop_hit++;
        break;
    case HAKMEM_EV_LRU_POP_MISS:
        c->lru_pop_miss++;
        break;
    case HAKMEM_EV_LRU_EVICT: /* reason 0 count, 1 memory, 2 ttl, 3 trim (no counter of its own) */
        c->lru_evict++;
        c->lru_evict_count += e->reason == HAKMEM_EVICT_COUNT;
        c->lru_evict_memory += e->reason == HAKMEM_EVICT_MEMORY;
        c->lru_evict_ttl += e->reason == HAKMEM_EVICT_TTL;
        break;
    case HAKMEM_EV_SLAB_ACQUIRE: /* stage 0 included: the heap batches it, the event does not */
        if (e->stage < NSTAGES)
            c->stage_hit[e->stage]++;
        break;
    case HAKMEM_EV_STAGE_MISS:
        if (e->stage < NSTAGES)
            c->stage_miss[e->stage]++;
        break;
    case HAKMEM_EV_SLAB_EMPTY:
        c->empty++;
        if (e->cls < HAKMEM_SEG_CLASSES)
            c->class_empty[e->cls]++;
        break;
    case HAKMEM_EV_SLAB_RELEASE:
        c->slab_release++;
        break;
    case HAKMEM_EV_THREAD_START:
        c->threads_started++;
        break;
    case HAKMEM_EV_THREAD_EXIT:
        c->threads_exited++;
        break;
    case HAKMEM_EV_HEAP_ERROR:
        c->heap_errors++;
        break;
    default: /* a type this reader does not know counts nothing */
        break;
    }
}
