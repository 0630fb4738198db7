/* counters.c — the process's counters (struct hakmem_seg_counters) as named
 * fields, for run_counters and the report's exact totals. */
#include <stddef.h>
#include <string.h>
#include "cli.h"

#define ONE(f) { #f, offsetof(struct hakmem_seg_counters, f), 1 }
#define ARRAY(f)                                                                             \
    { #f, offsetof(struct hakmem_seg_counters, f),                                           \
      sizeof(((struct hakmem_seg_counters *)0)->f) / sizeof(uint64_t) }

const struct hk_counter_field hk_counter_fields[] = {
    ONE(ss_maps),         ONE(ss_unmaps),        ONE(ss_map_bytes),      ONE(ss_unmap_bytes),
    ONE(ss_trims),        ONE(large_maps),       ONE(large_unmaps),      ONE(large_map_bytes),
    ONE(large_unmap_bytes), ONE(large_reuse),    ONE(large_remaps),      ONE(lru_push),
    ONE(lru_pop_hit),     ONE(lru_pop_miss),     ONE(lru_evict),         ONE(lru_evict_count),
    ONE(lru_evict_memory), ONE(lru_evict_ttl),   ONE(empty),             ONE(slab_release),
    ARRAY(stage_hit),     ARRAY(stage_miss),     ONE(threads_started),   ONE(threads_exited),
    ARRAY(class_empty),   ONE(heap_errors),
};
const size_t hk_ncounter_fields = sizeof hk_counter_fields / sizeof hk_counter_fields[0];

uint64_t hk_counter_value(const struct hakmem_seg_counters *c, const struct hk_counter_field *f,
                          unsigned idx)
{
    uint64_t v;
    if (idx >= f->count)
        return 0;
    memcpy(&v, (const char *)c + f->offset + idx * sizeof v, sizeof v);
    return v;
}
