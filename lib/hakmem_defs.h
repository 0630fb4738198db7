/* hakmem_defs.h — the vocabulary shared by libhakmem, libhakmem-reader,
 * hakmem-trace, hakmem-top and the trace schema, each name and number spelled
 * once (as mimalloc-stats.h lists its statistics once). Everything else is
 * expanded from these lists: the enums, struct hakmem_seg_counters and the
 * counters of struct hakmem_stats, their copy, the counter and name tables,
 * the panels' stage rows and the schema's lookup tables.
 *
 * A new event or counter is one line here plus its meaning. The order of
 * HAKMEM_COUNTER_LIST is the layout of both counter structs (an on-disk
 * format and a public ABI): append, never reorder. */
#ifndef HAKMEM_DEFS_H
#define HAKMEM_DEFS_H

/* ---- limits */
#define HAKMEM_NONE 255                 /* hakmem_event.cls or .stage when there is none */
#define HAKMEM_CLASSES_MAX 64           /* size classes a segment or hakmem_stats can hold */
#define HAKMEM_SEG_CLASSES HAKMEM_CLASSES_MAX
#define HAKMEM_MAX_CLASSES HAKMEM_CLASSES_MAX
#define HAKMEM_SEG_SLABS 32             /* slabs per SuperSlab in the occupancy table */
#define HAKMEM_SEG_STACK_DEPTH 32       /* frames per recorded stack */
#define HAKMEM_SEG_MODULES 256          /* executable mappings in the module map */
#define HAKMEM_SEG_PATH_MAX 232         /* bytes of a module's path */
#define HAKMEM_SEG_EXE_MAX 256
#define HAKMEM_SEG_CMDLINE_MAX 1024
#define HAKMEM_WEIGHT_ONE 65536         /* alloc's arg1: the weight of one allocation */
#define HAKMEM_SIZE_SATURATED 0xffffffffu /* alloc's reason when the block is 4 GiB or more */

/* ---- where trace segments are: HAKMEM_SEG_DIR/HAKMEM_SEG_PREFIX<pid> */
#define HAKMEM_SEG_DIR "/dev/shm"
#define HAKMEM_SEG_PREFIX "hakmem."
#define HAKMEM_SEG_PATH_FMT HAKMEM_SEG_DIR "/" HAKMEM_SEG_PREFIX "%d"  /* the pid, an int */

/* ---- event types: X(id, NAME, name, what its fields say). The ids are the
 * ring's and the database's numbers (events.type, event_types). */
#define HAKMEM_EVENT_LIST(X)                                                                        \
    X(1, SS_MAP, ss_map, "ss, arg0 bytes, arg1 what lay unused at the map (hakmem_ss_map_evidence), " \
                         "reason 0 new / 1 alignment trim, stack")                                 \
    X(2, SS_UNMAP, ss_unmap, "ss, arg0 bytes, reason 0 count / 1 memory / 2 TTL / 3 trim")            \
    X(3, LARGE_MAP, large_map, "ss_addr the mapping, arg0 bytes")                                     \
    X(4, LARGE_UNMAP, large_unmap, "ss_addr the mapping, arg0 bytes")                                 \
    X(5, LRU_PUSH, lru_push, "ss, arg0 cache size after, arg1 limit")                                 \
    X(6, LRU_POP_HIT, lru_pop_hit, "cls, ss, arg0 cache size after, arg1 limit")                      \
    X(7, LRU_POP_MISS, lru_pop_miss, "cls, arg0 cache size, arg1 limit, stack")                       \
    X(8, LRU_EVICT, lru_evict, "ss, arg0 cache size after, arg1 limit, "                              \
                               "reason 0 count / 1 memory / 2 TTL / 3 trim")                          \
    X(9, SLAB_ACQUIRE, slab_acquire, "cls, the stage that served it, ss, slab; stack at stage 3")     \
    X(10, STAGE_MISS, stage_miss, "cls, the stage that was tried and missed")                         \
    X(11, SLAB_EMPTY, slab_empty, "cls, ss, slab, arg0 capacity: used reached 0")                     \
    X(12, SLAB_RELEASE, slab_release, "cls, ss, slab, reason 0 registry / 1 free slot")              \
    X(13, THREAD_START, thread_start, "arg0 tid")                                                     \
    X(14, THREAD_EXIT, thread_exit, "arg0 tid")                                                       \
    X(15, HEAP_ERROR, heap_error, "cls, ss, slab (none when not in a slab), arg0 the pointer, "       \
                                  "arg1 the kind (HAKMEM_HEAP_ERROR_LIST), stack")                \
    X(16, ALLOC, alloc, "a sampled allocation (HAKMEM_PROFILE): ss_addr the block, cls (none when " \
                        "large), ss, slab, arg0 the requested size, arg1 its weight in "            \
                        "1/65536 allocations, reason the block size, stack")                        \
    X(17, FREE, free, "a sampled block freed: ss_addr the block, cls, ss, slab, "                   \
                      "reason 0 free / 1 realloc")                                                 \
    X(18, SLAB_PIN, slab_pin, "with HAKMEM_PROFILE_SITES, per slab with live blocks and site: cls, "   \
                              "ss, slab, stack the site, arg0 its live blocks in the slab, arg1 the "  \
                              "slab's; reason 0 at a map, in a mostly-free SuperSlab (once per slab "  \
                              "until it empties) / 1 at exit")

/* ---- acquisition stages: X(index, NAME, label, short meaning (hakmem-top's
 * counters panel), meaning (the schema's stages table)). */
#define HAKMEM_STAGE_LIST(X)                                                                        \
    X(0, 0, "0", "the thread's own slabs", "another of the thread's own slabs with free blocks")     \
    X(1, 0_5, "0.5", "EMPTY slab, per-class registry", "an EMPTY slab from the per-class registry")  \
    X(2, 1, "1", "ownerless slab of the class", "the per-class list of ownerless slabs")             \
    X(3, 2, "2", "free slot of a SuperSlab", "a free slot of an existing SuperSlab")                 \
    X(4, 3, "3", "new SuperSlab: LRU, else mmap", "a new SuperSlab: LRU cache pop, else mmap")

/* ---- reason codes (hakmem_event.reason): X(code, NAME, label) per family */
/* ss_map */
#define HAKMEM_MAP_REASON_LIST(X) X(0, NEW, "new") X(1, TRIM, "trim") /* 1: alignment trim */
/* ss_unmap and lru_evict: which bound of the LRU cache evicted it */
#define HAKMEM_EVICT_REASON_LIST(X) \
    X(0, COUNT, "count") X(1, MEMORY, "memory") X(2, TTL, "TTL") X(3, TRIM, "trim")
/* slab_release: where the slab went */
#define HAKMEM_RELEASE_REASON_LIST(X) X(0, REGISTRY, "registry") X(1, FREE_SLOT, "free slot")
/* slab_pin: when the slab's live blocks were counted */
#define HAKMEM_PIN_REASON_LIST(X) X(0, AT_MAP, "at map") X(1, AT_EXIT, "at exit")
/* free: what freed the sampled block */
#define HAKMEM_FREE_REASON_LIST(X) X(0, FREE, "free") X(1, REALLOC, "realloc")

/* ---- heap-error kinds (heap_error's arg1, events.reason): X(kind, NAME, label),
 * the label as the allocator's report and the heap_error_kinds table say it. */
#define HAKMEM_HEAP_ERROR_LIST(X)                                                                   \
    X(0, DOUBLE_FREE, "double free")                                                                \
    X(1, INVALID_FREE, "invalid free")                                                              \
    X(2, CORRUPT, "corrupted free list")                                                            \
    X(3, OVERFLOW, "heap-buffer-overflow")                                                          \
    X(4, UNDERFLOW, "heap-buffer-underflow")                                                        \
    X(5, USE_AFTER_FREE, "write after free")                                                        \
    X(6, MISMATCH, "alloc-dealloc mismatch")                                                        \
    X(7, ACCESS_AFTER_FREE, "use after free") /* caught at the access (guard pages), read or write */

/* ---- counters: X(name, kind, where, what bumps it).
 * kind: SCALAR one uint64_t, STAGES one per stage, CLASSES one per size class.
 * where: SEG in struct hakmem_seg_counters only, STATS in struct hakmem_stats
 * only (a gauge the allocator computes when asked), BOTH in both (copied by
 * hakmem_stats_get). Each struct holds its fields in this order. */
#define HAKMEM_COUNTER_LIST(X)                                                                      \
    X(ss_maps, SCALAR, BOTH, "a SuperSlab mmap")                                                    \
    X(ss_unmaps, SCALAR, BOTH, "a SuperSlab munmap")                                                \
    X(ss_map_bytes, SCALAR, BOTH, "the bytes of a SuperSlab mmap")                                  \
    X(ss_unmap_bytes, SCALAR, BOTH, "the bytes of a SuperSlab munmap")                              \
    X(ss_active, SCALAR, STATS, "SuperSlabs now in use")                                            \
    X(ss_cached, SCALAR, STATS, "SuperSlabs now in the LRU cache")                                  \
    X(ss_trims, SCALAR, SEG, "a SuperSlab map that over-mapped and trimmed for alignment")          \
    X(large_maps, SCALAR, BOTH, "a large block's mmap")                                             \
    X(large_unmaps, SCALAR, BOTH, "a large block's munmap")                                         \
    X(large_map_bytes, SCALAR, BOTH, "the bytes of a large mmap")                                   \
    X(large_unmap_bytes, SCALAR, BOTH, "the bytes of a large munmap")                               \
    X(large_live, SCALAR, STATS, "large blocks now allocated")                                      \
    X(large_live_bytes, SCALAR, STATS, "their bytes")                                               \
    X(large_cached_bytes, SCALAR, STATS, "bytes of freed large mappings kept for reuse")            \
    X(large_reuse, SCALAR, SEG, "a large allocation served from the cache of freed mappings")       \
    X(large_remaps, SCALAR, SEG, "a large realloc done by mremap")                                  \
    X(lru_push, SCALAR, BOTH, "an empty SuperSlab pushed on the LRU cache")                         \
    X(lru_pop_hit, SCALAR, BOTH, "a stage-3 LRU pop that found a SuperSlab")                        \
    X(lru_pop_miss, SCALAR, BOTH, "a stage-3 LRU pop that found none (a map follows)")              \
    X(lru_evict, SCALAR, BOTH, "a SuperSlab evicted from the LRU cache")                            \
    X(lru_evict_count, SCALAR, BOTH, "an eviction by the count bound")                              \
    X(lru_evict_memory, SCALAR, BOTH, "an eviction by the memory bound")                            \
    X(lru_evict_ttl, SCALAR, BOTH, "an eviction by the TTL")                                        \
    X(empty, SCALAR, BOTH, "a slab's used reaching 0 (an EMPTY transition)")                        \
    X(slab_release, SCALAR, BOTH, "a slab returned to the pool")                                    \
    X(stage_hit, STAGES, BOTH, "a slab acquisition served by the stage")                            \
    X(stage_miss, STAGES, BOTH, "a stage that was tried and fell through")                          \
    X(threads_started, SCALAR, BOTH, "a thread's first allocation")                                 \
    X(threads_exited, SCALAR, BOTH, "a thread's exit")                                              \
    X(class_empty, CLASSES, SEG, "an EMPTY transition of the class (hakmem_stats: cls[].empty)")    \
    X(heap_errors, SCALAR, BOTH, "a heap error reported (double or invalid free, corruption...)")

/* ---- expansions */
#ifdef __cplusplus
#define HAKMEM_LAYOUT_ASSERT_ static_assert
#else
#define HAKMEM_LAYOUT_ASSERT_ _Static_assert
#endif
#define HAKMEM_PLUS_ONE_(...) +1
#define HAKMEM_STAGES (0 HAKMEM_STAGE_LIST(HAKMEM_PLUS_ONE_))
#define HAKMEM_HEAP_ERROR_KINDS (0 HAKMEM_HEAP_ERROR_LIST(HAKMEM_PLUS_ONE_))

/* One counter's storage, by kind. */
#define HAKMEM_FIELD_SCALAR(name) uint64_t name;
#define HAKMEM_FIELD_STAGES(name) uint64_t name[HAKMEM_STAGES];
#define HAKMEM_FIELD_CLASSES(name) uint64_t name[HAKMEM_CLASSES_MAX];
/* The fields of struct hakmem_seg_counters and the counters of struct hakmem_stats. */
#define HAKMEM_SEG_FIELD_SEG(name, kind) HAKMEM_FIELD_##kind(name)
#define HAKMEM_SEG_FIELD_BOTH(name, kind) HAKMEM_FIELD_##kind(name)
#define HAKMEM_SEG_FIELD_STATS(name, kind)
#define HAKMEM_SEG_FIELD(name, kind, where, what) HAKMEM_SEG_FIELD_##where(name, kind)
#define HAKMEM_STATS_FIELD_SEG(name, kind)
#define HAKMEM_STATS_FIELD_BOTH(name, kind) HAKMEM_FIELD_##kind(name)
#define HAKMEM_STATS_FIELD_STATS(name, kind) HAKMEM_FIELD_##kind(name)
#define HAKMEM_STATS_FIELD(name, kind, where, what) HAKMEM_STATS_FIELD_##where(name, kind)

#define HAKMEM_EV_ENUM_(id, NAME, name, meaning) HAKMEM_EV_##NAME = id,
#define HAKMEM_STAGE_ENUM_(i, NAME, label, brief, meaning) HAKMEM_STAGE_##NAME = i,
#define HAKMEM_MAP_ENUM_(code, NAME, label) HAKMEM_MAP_##NAME = code,
#define HAKMEM_EVICT_ENUM_(code, NAME, label) HAKMEM_EVICT_##NAME = code,
#define HAKMEM_RELEASE_ENUM_(code, NAME, label) HAKMEM_RELEASE_##NAME = code,
#define HAKMEM_FREE_ENUM_(code, NAME, label) HAKMEM_FREE_##NAME = code,
#define HAKMEM_PIN_ENUM_(code, NAME, label) HAKMEM_PIN_##NAME = code,
#define HAKMEM_ERR_ENUM_(kind, NAME, label) HAKMEM_ERR_##NAME = kind,

/* Event types: the public vocabulary of the trace and of the SQL schema. */
enum hakmem_event_type { HAKMEM_EVENT_LIST(HAKMEM_EV_ENUM_) HAKMEM_EV_COUNT };
/* Index of each acquisition stage (hakmem_event.stage, hakmem_stats.stage_hit/miss). */
enum hakmem_stage { HAKMEM_STAGE_LIST(HAKMEM_STAGE_ENUM_) };
enum hakmem_map_reason { HAKMEM_MAP_REASON_LIST(HAKMEM_MAP_ENUM_) };
enum hakmem_evict_reason { HAKMEM_EVICT_REASON_LIST(HAKMEM_EVICT_ENUM_) };
enum hakmem_release_reason { HAKMEM_RELEASE_REASON_LIST(HAKMEM_RELEASE_ENUM_) };
enum hakmem_free_reason { HAKMEM_FREE_REASON_LIST(HAKMEM_FREE_ENUM_) };
enum hakmem_pin_reason { HAKMEM_PIN_REASON_LIST(HAKMEM_PIN_ENUM_) };
/* heap_error events: arg0 is the pointer, arg1 one of these kinds. */
enum hakmem_heap_error_kind { HAKMEM_HEAP_ERROR_LIST(HAKMEM_ERR_ENUM_) };

/* Names, for printing and the schema's tables: NULL for a number not in the list. */
#define HAKMEM_CASE_NAME_(id, NAME, name, meaning) case id: return #name;
#define HAKMEM_CASE_MEANING_(id, NAME, name, meaning) case id: return meaning;
#define HAKMEM_CASE_LABEL_(code, NAME, label) case code: return label;
#define HAKMEM_CASE_STAGE_LABEL_(i, NAME, label, brief, meaning) case i: return label;
#define HAKMEM_CASE_BRIEF_(i, NAME, label, brief, meaning) case i: return brief;
#define HAKMEM_CASE_STAGE_MEANING_(i, NAME, label, brief, meaning) case i: return meaning;

/* One lookup function: fn(number) says what list's entry `number` is, by CASE. */
#define HAKMEM_LOOKUP_(fn, list, CASE)                                                              \
    static inline const char *fn(unsigned number)                                                   \
    {                                                                                               \
        switch (number) { list(CASE) default: return (const char *)0; }                             \
    }
/* "ss_map", ... (libhakmem-reader's hakmem_event_type_name says "unknown" instead of NULL) */
HAKMEM_LOOKUP_(hakmem_event_name, HAKMEM_EVENT_LIST, HAKMEM_CASE_NAME_)
/* what an event's fields say */
HAKMEM_LOOKUP_(hakmem_event_meaning, HAKMEM_EVENT_LIST, HAKMEM_CASE_MEANING_)
/* "0", "0.5", "1", "2", "3" */
HAKMEM_LOOKUP_(hakmem_stage_label, HAKMEM_STAGE_LIST, HAKMEM_CASE_STAGE_LABEL_)
HAKMEM_LOOKUP_(hakmem_stage_brief, HAKMEM_STAGE_LIST, HAKMEM_CASE_BRIEF_)
HAKMEM_LOOKUP_(hakmem_stage_meaning, HAKMEM_STAGE_LIST, HAKMEM_CASE_STAGE_MEANING_)
HAKMEM_LOOKUP_(hakmem_map_reason_name, HAKMEM_MAP_REASON_LIST, HAKMEM_CASE_LABEL_)
HAKMEM_LOOKUP_(hakmem_evict_reason_name, HAKMEM_EVICT_REASON_LIST, HAKMEM_CASE_LABEL_)
HAKMEM_LOOKUP_(hakmem_release_reason_name, HAKMEM_RELEASE_REASON_LIST, HAKMEM_CASE_LABEL_)
HAKMEM_LOOKUP_(hakmem_free_reason_name, HAKMEM_FREE_REASON_LIST, HAKMEM_CASE_LABEL_)
HAKMEM_LOOKUP_(hakmem_pin_reason_name, HAKMEM_PIN_REASON_LIST, HAKMEM_CASE_LABEL_)
/* "double free", ... as the allocator reports it */
HAKMEM_LOOKUP_(hakmem_heap_error_name, HAKMEM_HEAP_ERROR_LIST, HAKMEM_CASE_LABEL_)

/* The label of an event's reason code ("new", "TTL", "free slot"); NULL when
 * the type has no reasons or the code is not one of them. */
static inline const char *hakmem_reason_name(unsigned type, unsigned reason)
{
    switch (type) {
    case HAKMEM_EV_SS_MAP:
        return hakmem_map_reason_name(reason);
    case HAKMEM_EV_SS_UNMAP:
    case HAKMEM_EV_LRU_EVICT:
        return hakmem_evict_reason_name(reason);
    case HAKMEM_EV_SLAB_RELEASE:
        return hakmem_release_reason_name(reason);
    case HAKMEM_EV_FREE:
        return hakmem_free_reason_name(reason);
    case HAKMEM_EV_SLAB_PIN:
        return hakmem_pin_reason_name(reason);
    default:
        return (const char *)0;
    }
}

#endif
