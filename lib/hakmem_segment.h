/* hakmem_segment.h — the layout of a trace segment (/dev/shm/hakmem.<pid>):
 * header, live counters, event ring. The one contract between libhakmem and
 * every reader (hakmem-trace, hakmem-top); described in schema/segment-format.md. */
#ifndef HAKMEM_SEGMENT_H
#define HAKMEM_SEGMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include "hakmem_defs.h"  /* event types, stages, reasons, heap-error kinds, counters, limits */

#define HAKMEM_SEG_MAGIC "HAKMEMSG"      /* 8 bytes, no NUL */
#define HAKMEM_SEG_VERSION 1
/* The bytes at the ring's start that the writer and a drain map at once (one
 * madvise each, MADV_POPULATE_WRITE and _READ) instead of a page fault per page:
 * the first lap's faults cost a recorded program ~10 us a page on a VM. */
#define HAKMEM_SEG_POPULATE_BYTES (2u << 20)

enum hakmem_trace_mode { HAKMEM_TRACE_LOSSLESS = 0, HAKMEM_TRACE_OVERWRITE = 1 };

/* One event: 64 bytes. `seq` is written last (release): a reader that sees
 * seq == ticket + 1 in slot ticket % capacity sees the whole record. */
struct hakmem_event {
    uint64_t seq;      /* ticket + 1; 0 while the slot is being written */
    uint64_t ts_ns;    /* CLOCK_MONOTONIC */
    uint32_t tid;
    uint16_t type;     /* enum hakmem_event_type */
    uint8_t cls;       /* size class, HAKMEM_NONE when none */
    uint8_t stage;     /* enum hakmem_stage; HAKMEM_NONE when none */
    uint32_t ss_id;    /* SuperSlab sequence number, 0 when none */
    uint32_t slab;     /* slab index in the SuperSlab */
    uint64_t ss_addr;  /* SuperSlab (or large mapping) address */
    uint64_t arg0, arg1;
    uint32_t stack_id; /* 0: no stack */
    uint32_t reason;   /* ss_map: enum hakmem_map_reason; ss_unmap, lru_evict: enum
                        * hakmem_evict_reason; slab_release: enum hakmem_release_reason */
};

/* ss_map's arg1: what lay unused while the SuperSlab was mapped — the other
 * SuperSlabs that were mostly free (under half their slab bytes in use), the
 * slabs with live blocks that kept them, and their unused KiB (0 in segments
 * written before it was recorded). */
static inline uint64_t hakmem_ss_map_evidence(uint64_t superslabs, uint64_t holding, uint64_t kib)
{
    return (superslabs > 0xffff ? 0xffff : superslabs) |
           (holding > 0xffff ? 0xffff : holding) << 16 |
           (kib > 0xffffffffu ? 0xffffffffu : kib) << 32;
}
#define HAKMEM_SS_MAP_SUPERSLABS(arg1) ((arg1) & 0xffff)
#define HAKMEM_SS_MAP_HOLDING(arg1) ((arg1) >> 16 & 0xffff)
#define HAKMEM_SS_MAP_UNUSED_KIB(arg1) ((arg1) >> 32)

/* Live counters (the same as hakmem_stats_get()), updated atomically: the
 * SEG and BOTH counters of HAKMEM_COUNTER_LIST, in its order. */
struct hakmem_seg_counters {
    HAKMEM_COUNTER_LIST(HAKMEM_SEG_FIELD)
};
/* The layout is an on-disk format: a reordered list fails here. */
HAKMEM_LAYOUT_ASSERT_(sizeof(struct hakmem_seg_counters) == 776, "hakmem_seg_counters: size");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, ss_trims) == 32, "seg counters: ss_trims");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, large_reuse) == 72, "seg counters: large_reuse");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, lru_push) == 88, "seg counters: lru_push");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, stage_hit) == 160, "seg counters: stage_hit");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, stage_miss) == 200, "seg counters: stage_miss");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, threads_started) == 240,
                      "seg counters: threads_started");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, class_empty) == 256, "seg counters: class_empty");
HAKMEM_LAYOUT_ASSERT_(offsetof(struct hakmem_seg_counters, heap_errors) == 768, "seg counters: heap_errors");

/* Occupancy: every SuperSlab (active or cached in the LRU) and each of its
 * slabs (HAKMEM_SEG_SLABS), copied by a sampler thread in the traced process every 50 ms. */
enum hakmem_seg_ss_state { HAKMEM_SS_ACTIVE = 1, HAKMEM_SS_CACHED = 2 };
enum hakmem_seg_slab_state { HAKMEM_SLAB_FREE = 0, HAKMEM_SLAB_OWNED = 1, HAKMEM_SLAB_ABANDONED = 2,
                             HAKMEM_SLAB_EMPTY = 3 };
/* hakmem_seg_slab.flags of an OWNED slab (0 in segments written before them). */
enum hakmem_seg_slab_flag {
    HAKMEM_SLAB_HOT = 1,   /* its owner's hot slot: kept on purpose, even at 0 blocks used */
    HAKMEM_SLAB_SPARE = 2, /* empty, kept by its thread as a spare for its next slab */
};
struct hakmem_seg_slab {
    uint8_t cls;       /* size class (meaningless when FREE) */
    uint8_t state;     /* enum hakmem_seg_slab_state */
    uint16_t used;     /* blocks handed out */
    uint16_t capacity; /* blocks per slab of cls */
    uint16_t flags;    /* enum hakmem_seg_slab_flag */
};
struct hakmem_seg_ss {
    uint64_t addr;
    uint32_t id;
    uint32_t state;    /* enum hakmem_seg_ss_state */
    struct hakmem_seg_slab slab[HAKMEM_SEG_SLABS]; /* slab 0 holds the header */
};
/* A snapshot is consistent when seq is even and equal before and after
 * reading it (a seqlock: the sampler makes seq odd while writing). The
 * process writes a last one as it exits (atexit and its destructor), with
 * final set: the exact end-of-run state. A process that _exits or is killed
 * leaves the last periodic one (final 0). */
struct hakmem_seg_occupancy {
    volatile uint64_t seq;
    volatile uint64_t sampled_ns;  /* CLOCK_MONOTONIC of the snapshot */
    volatile uint32_t count;       /* entries in ss[] */
    volatile uint32_t truncated;   /* 1 when more SuperSlabs existed than max */
    uint32_t max;
    volatile uint32_t final;       /* 1: the snapshot written at exit */
    struct hakmem_seg_ss ss[];
};

/* Stacks (HAKMEM_TRACE_STACKS=1): interned once, referred to by id from
 * events; `id` is written last, so a slot with id != 0 is complete. The
 * module map holds the executable mappings (as in /proc/PID/maps) so a
 * reader can symbolise after the process is gone. In a segment flagged
 * HAKMEM_SEG_STACKS_DENSE, stack id i is in stack[i - 1] (so the first
 * `count` slots hold them all), and the writer's hash index, uint32_t ids
 * in 2 * capacity slots, follows stack[capacity]. */
struct hakmem_seg_stack {
    volatile uint32_t id;  /* 1.., 0 while empty or being written */
    uint32_t depth;        /* frames in ip[], innermost first */
    uint64_t hash;
    uint64_t ip[HAKMEM_SEG_STACK_DEPTH];
};
struct hakmem_seg_module {
    uint64_t start, end;   /* an executable mapping */
    uint64_t offset;       /* file offset of start */
    char path[HAKMEM_SEG_PATH_MAX];
};
struct hakmem_seg_stacks {
    uint32_t capacity;            /* slots in stack[], a power of two */
    volatile uint32_t count;      /* stacks interned */
    volatile uint32_t dropped;    /* stacks not interned: the table was full */
    volatile uint32_t nmodules;
    struct hakmem_seg_module module[HAKMEM_SEG_MODULES];
    struct hakmem_seg_stack stack[];
};
/* Bytes of a dense stack table of cap slots, its index included. */
#define HAKMEM_SEG_STACKS_BYTES(cap)                                                    \
    (sizeof(struct hakmem_seg_stacks) + (size_t)(cap) * sizeof(struct hakmem_seg_stack) + \
     2 * (size_t)(cap) * sizeof(uint32_t))

/* The segment starts with this header; ring at ring_offset. All offsets in
 * bytes from the start of the segment. Fields marked live change while the
 * process runs; the rest are written once before `ready` is set. */
struct hakmem_seg_header {
    char magic[8];
    uint32_t version;
    uint32_t header_size;          /* sizeof(struct hakmem_seg_header) */
    uint64_t seg_size;
    int32_t pid;
    uint32_t page_size;
    uint64_t start_mono_ns, start_real_ns;
    char exe[HAKMEM_SEG_EXE_MAX];
    char cmdline[HAKMEM_SEG_CMDLINE_MAX];   /* arguments separated by spaces, each quoted as
                                             * sh needs it ('a b', 'it'\''s'); cut at the end */
    uint32_t nclasses;
    uint32_t class_size[HAKMEM_SEG_CLASSES];
    uint32_t class_capacity[HAKMEM_SEG_CLASSES];
    uint32_t mode;                 /* enum hakmem_trace_mode */
    uint32_t event_size;           /* sizeof(struct hakmem_event) */
    uint64_t ring_capacity;        /* events, a power of two */
    uint64_t ring_offset;
    uint64_t counters_offset;      /* struct hakmem_seg_counters */
    uint64_t occupancy_offset;     /* struct hakmem_seg_occupancy */
    uint64_t occupancy_size;
    uint64_t stacks_offset;        /* struct hakmem_seg_stacks, 0 when stacks are off */
    uint64_t stacks_size;
    /* live */
    volatile uint32_t ready;       /* 1 once the fields above are written */
    volatile uint32_t exited;      /* 1 once the process has exited */
    volatile uint64_t exit_mono_ns;
    volatile uint64_t head;        /* tickets taken: events written to the ring */
    volatile uint64_t dropped;     /* events not written (lossless ring full) */
    volatile uint64_t tail;        /* events consumed by the draining reader */
    volatile int32_t reader_pid;   /* the draining reader, 0 when none */
    int32_t ppid;                  /* the parent process when the image started (was pad:
                                    * 0 in segments of older writers) */
    /* Beyond header_size: added after format version 1 without changing it, so
     * version-1 readers, which check header_size, read these segments unchanged.
     * Older writers leave these zero (the rest of the header's page is). */
    int32_t recorder_pid;          /* the hakmem-trace record tracing this process tree
                                    * (HAKMEM_TRACE_RECORDER), 0 when none */
    uint32_t flags;                /* HAKMEM_SEG_FORKED */
    uint64_t profile_rate;         /* HAKMEM_PROFILE: mean bytes between sampled allocations
                                    * (1: every allocation); 0 when profiling is off */
};
/* What header_size says: the header up to ppid (the version-1 size). */
#define HAKMEM_SEG_HEADER_SIZE offsetof(struct hakmem_seg_header, recorder_pid)
/* flags: the image is a fork()ed copy of its parent's (no exec yet); its
 * counters started as the parent's at the fork. */
#define HAKMEM_SEG_FORKED 1u
/* flags: the stack table is dense (stack id i in slot i - 1). */
#define HAKMEM_SEG_STACKS_DENSE 2u

/* Maps the first HAKMEM_SEG_POPULATE_BYTES of the ring (len bytes at ring) at
 * once, with advice MADV_POPULATE_WRITE or _READ: a hint (kernels before 5.14
 * refuse it, and the pages then fault in one at a time). */
static inline void hakmem_seg_populate(const void *ring, size_t len, int advice)
{
    uintptr_t start = (uintptr_t)ring & ~(uintptr_t)4095; /* madvise wants a page */
    size_t n = len < HAKMEM_SEG_POPULATE_BYTES ? len : HAKMEM_SEG_POPULATE_BYTES;
    (void)madvise((void *)start, n + ((uintptr_t)ring - start), advice);
}

#endif
