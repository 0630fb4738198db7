/* hakmem.h — public API of libhakmem: statistics of the allocator.
 * The malloc family itself is the standard one (<stdlib.h>, <malloc.h>). */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HAKMEM_MAX_CLASSES 64   /* upper bound of hakmem_stats.nclasses */
#define HAKMEM_STAGES 5         /* 0, 0.5, 1, 2, 3 */

/* Index of each acquisition stage in hakmem_stats.stage_hit/stage_miss. */
enum hakmem_stage {
    HAKMEM_STAGE_0 = 0,   /* another of the thread's own slabs with free blocks */
    HAKMEM_STAGE_0_5 = 1, /* an EMPTY slab from the per-class registry */
    HAKMEM_STAGE_1 = 2,   /* the per-class list of ownerless slabs */
    HAKMEM_STAGE_2 = 3,   /* a free slot of an existing SuperSlab */
    HAKMEM_STAGE_3 = 4    /* a new SuperSlab: LRU pop, else map */
};

struct hakmem_class_stats {
    uint32_t block_size;      /* bytes per block */
    uint32_t blocks_per_slab; /* capacity of one slab */
    uint64_t slabs;           /* slabs formatted for the class now */
    uint64_t used;            /* blocks handed out (approximate while threads run) */
    uint64_t capacity;        /* slabs * blocks_per_slab */
    uint64_t empty;           /* EMPTY transitions (used reached 0) */
};

struct hakmem_stats {
    uint64_t ss_maps, ss_unmaps;          /* SuperSlab mmap / munmap calls */
    uint64_t ss_map_bytes, ss_unmap_bytes;
    uint64_t ss_active, ss_cached;        /* SuperSlabs now in use / in the LRU */
    uint64_t large_maps, large_unmaps;
    uint64_t large_map_bytes, large_unmap_bytes;
    uint64_t large_live, large_live_bytes, large_cached_bytes;
    uint64_t lru_push, lru_pop_hit, lru_pop_miss, lru_evict;
    uint64_t lru_evict_count, lru_evict_memory, lru_evict_ttl;
    uint64_t empty;                       /* all EMPTY transitions */
    uint64_t slab_release;                /* slabs returned to the pool */
    uint64_t stage_hit[HAKMEM_STAGES];
    uint64_t stage_miss[HAKMEM_STAGES];
    uint64_t threads_started, threads_exited;
    uint64_t heap_errors;                 /* double/invalid frees reported */
    uint32_t nclasses;
    struct hakmem_class_stats cls[HAKMEM_MAX_CLASSES];
};

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
