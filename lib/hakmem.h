/* hakmem.h — public API of libhakmem: statistics of the allocator.
 * The malloc family itself is the standard one (<stdlib.h>, <malloc.h>). */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <stddef.h>
#include <stdint.h>
/* HAKMEM_MAX_CLASSES (upper bound of hakmem_stats.nclasses), HAKMEM_STAGES
 * and enum hakmem_stage (0, 0.5, 1, 2, 3: the index in stage_hit/stage_miss),
 * the counters (HAKMEM_COUNTER_LIST) */
#include "hakmem_defs.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hakmem_class_stats {
    uint32_t block_size;      /* bytes per block */
    uint32_t blocks_per_slab; /* capacity of one slab */
    uint64_t slabs;           /* slabs formatted for the class now */
    uint64_t used;            /* blocks handed out (approximate while threads run) */
    uint64_t capacity;        /* slabs * blocks_per_slab */
    uint64_t empty;           /* EMPTY transitions (used reached 0) */
};

struct hakmem_stats {
    /* the BOTH and STATS counters of HAKMEM_COUNTER_LIST (hakmem_defs.h), in
     * its order: ss_maps, ss_unmaps, ss_map_bytes, ss_unmap_bytes, ss_active,
     * ss_cached, large_maps ... heap_errors, each described there */
    HAKMEM_COUNTER_LIST(HAKMEM_STATS_FIELD)
    uint32_t nclasses;
    struct hakmem_class_stats cls[HAKMEM_MAX_CLASSES];
};
/* The layout is public ABI: a reordered list fails here. */
HAKMEM_LAYOUT_ASSERT_(sizeof(struct hakmem_stats) == 2848, "hakmem_stats: size");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_stats, ss_active) == 32, "hakmem_stats: ss_active");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_stats, large_live) == 80, "hakmem_stats: large_live");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_stats, lru_push) == 104, "hakmem_stats: lru_push");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_stats, stage_hit) == 176, "hakmem_stats: stage_hit");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_stats, stage_miss) == 216, "hakmem_stats: stage_miss");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_stats, heap_errors) == 272, "hakmem_stats: heap_errors");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_stats, cls) == 288, "hakmem_stats: cls");

/* Fills *st with a snapshot of the counters. Returns 0, or -1 when st is NULL. */
int hakmem_stats_get(struct hakmem_stats *st);

/* Writes the HAKMEM_STATS=1 summary table to file descriptor fd. */
void hakmem_stats_print(int fd);

/* Name of a stage for printing: "0", "0.5", "1", "2", "3". */
const char *hakmem_stage_name(int stage);

#ifdef __cplusplus
}
#endif
#endif
