/* types.h — the allocator's types and tunables: blocks, slabs, SuperSlabs,
 * thread heaps, size-class limits and the build configuration constants. */
#ifndef HK_TYPES_H
#define HK_TYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"

/* Build configuration as constants: `if (hk_config_trace)` is type-checked in
 * every build and removed by the optimiser when off. */
#ifdef HK_BENCH_NO_TRACE /* the --disable-trace twin built for make bench */
static const bool hk_config_trace = false;
#else
static const bool hk_config_trace = HK_CONFIG_TRACE;
#endif
static const bool hk_config_debug = HK_CONFIG_DEBUG;
/* The heap-profiling twin, libhakmem-profile.so (hakmem-trace record
 * --profile preloads it): its malloc fast path stores the site tag itself
 * (sites.c), where libhakmem.so takes a slow path for each tag. */
#ifdef HK_SITES_BUILD
static const bool hk_config_sites = true;
#else
static const bool hk_config_sites = false;
#endif

#define HK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HK_NOINLINE __attribute__((noinline))
#define HK_EXPORT __attribute__((visibility("default")))

/* Geometry: a SuperSlab is an aligned 2 MiB region split into 32 slabs of
 * 64 KiB; slab 0 holds the SuperSlab header, so 31 slabs carry blocks. */
#define HK_SS_SHIFT 21
#define HK_SS_SIZE ((size_t)1 << HK_SS_SHIFT)
#define HK_SS_MASK (HK_SS_SIZE - 1)
#define HK_SLAB_SHIFT 16
#define HK_SLAB_SIZE ((size_t)1 << HK_SLAB_SHIFT)
#define HK_SLABS_PER_SS 32
#define HK_FIRST_SLAB 1
#define HK_ADDR_BITS 47
#define HK_CHUNKS ((size_t)1 << (HK_ADDR_BITS - HK_SS_SHIFT))

/* Size classes: 20 tiny classes 16 B..1 KiB (class 1 is 32 B), then 24 mid
 * classes up to 64 KiB, four per doubling. Above that: the large tier.
 * Every block is 16-byte aligned and has a second word (the free key). */
#define HK_TINY_MAX 1024
#define HK_TINY_CLASSES 20
#define HK_MID_MAX 65536
#define HK_CLASSES 44
#define HK_LARGE_HDR 64   /* bytes before a large block's user pointer */

/* How long an empty SuperSlab in the LRU or a mapping in the large cache
 * keeps its pages before the purger gives them back (MADV_DONTNEED): long
 * enough that memory freed and soon reused costs no page faults, short
 * enough that freed memory stops counting as resident well before the TTL. */
#define HK_PURGE_DELAY_NS (200ull * 1000000)

/* What a 2 MiB chunk of the address space holds (hk_chunkmap). */
enum hk_chunk_kind { HK_CHUNK_NONE = 0, HK_CHUNK_SS = 1, HK_CHUNK_LARGE_HEAD = 2, HK_CHUNK_LARGE = 3,
                     HK_CHUNK_ZERO = 4 /* HAKMEM_CHECK=2: zero-size blocks, PROT_NONE */,
                     HK_CHUNK_GUARD = 5 /* guard.c's region: guarded blocks and their guard pages */ };

/* Where a slab is. Invariant: state != HK_SLAB_FREE iff the slot is formatted
 * for slab->cls; ss->live counts the OWNED and ABANDONED slabs. */
enum hk_slab_state {
    HK_SLAB_FREE = 0,      /* unformatted slot: stage 2 can take it */
    HK_SLAB_OWNED = 1,     /* a thread heap allocates from it */
    HK_SLAB_ABANDONED = 2, /* its thread exited with live blocks: stage 1 */
    HK_SLAB_EMPTY = 3      /* used == 0, in the per-class registry: stage 0.5 */
};

/* Which heap list an OWNED slab is on. */
enum hk_slab_list { HK_LIST_NONE = 0, HK_LIST_AVAIL = 1, HK_LIST_FULL = 2,
                   HK_LIST_SPARE = 3 /* empty, kept by its heap (heap.c) */ };

typedef struct hk_block { struct hk_block *next; } hk_block;

struct hk_heap;

/* Slab metadata, two cache lines in the SuperSlab header: the owner's line,
 * written on every malloc and free, and a line the other threads read (and
 * write only to hand blocks back), so that remote frees do not steal the
 * owner's line. Invariant (owner's view): a block counts in `used` from
 * malloc until its owner takes it back on a local free or collects it from
 * the remote list. */
typedef struct hk_slab {
    hk_block *free;            /* owner only: blocks ready to hand out */
    uint32_t used;             /* owner only; 1 on the FULL list (heap.c) */
    uint32_t full_used;        /* owner only: used, while on the FULL list */
    uint8_t list;              /* enum hk_slab_list, owner only */
    struct hk_slab *prev, *next;  /* heap list (owner), or pool list (pool lock) */
    uint64_t *sites;           /* its site tags (sites.c), one per block; a scratch row
                                * when site tags are off */
    /* ---- the shared line */
    _Alignas(64) uint8_t cls;
    uint8_t idx;               /* slot in the SuperSlab */
    uint8_t state;             /* enum hk_slab_state, under the pool lock */
    uint16_t capacity;         /* blocks per slab of cls */
    uint16_t carved;           /* blocks carved out of the slab so far */
    uint32_t carved_end;       /* carved * block size: the free path's bound */
    uint32_t magic;            /* ceil(2^32 / block size): block index by multiplication */
    _Atomic uint32_t notified; /* 1 while on the owner's remote_slabs list */
    _Atomic(struct hk_heap *) owner;
    _Atomic uintptr_t remote;     /* blocks freed by other threads: chain | count (internal.h) */
    struct hk_slab *remote_next;  /* link on owner->remote_slabs */
} hk_slab;
#define HK_SLAB_META_SHIFT 7
_Static_assert(sizeof(hk_slab) == 1 << HK_SLAB_META_SHIFT, "two cache lines");

enum hk_ss_state { HK_SS_ACTIVE = 1, HK_SS_CACHED = 2 };

#define HK_SS_MAGIC 0x6b616d53536b6168ull /* "hakSSmak" */

/* A SuperSlab starts with the metadata of its 32 slots. Slot 0 is slab 0,
 * which holds this metadata and never blocks: the SuperSlab header lies in
 * its owner's line, and its shared line stays zero (state FREE, no owner),
 * so a pointer into slab 0 fails every test a block must pass. The slab of
 * p is then at its SuperSlab + (slot of p) * 128 (hk_slab_of). */
typedef struct hk_superslab {
    union {
        hk_slab slabs[HK_SLABS_PER_SS]; /* slabs[0]: only its shared line */
        struct {
            uint64_t magic;
            uint32_t id;          /* sequence number of the map, for humans */
            uint32_t live;        /* slabs OWNED or ABANDONED; 0 → SuperSlab empty */
            uint32_t free_mask;   /* bit i: slot i is HK_SLAB_FREE */
            uint16_t state;       /* enum hk_ss_state */
            uint16_t on_free_list;
            uint64_t cached_ns;   /* when it entered the LRU */
            struct hk_superslab *prev, *next;   /* all-active list or LRU */
            struct hk_superslab *fprev, *fnext; /* list of SuperSlabs with free slots */
        };
    };
} hk_superslab;
_Static_assert(offsetof(hk_superslab, fnext) + sizeof(void *) <= offsetof(hk_slab, cls),
               "the header fits in slot 0's owner line");

/* Site tags (sites.c): a SuperSlab's side table holds HK_SITES_STRIDE tags
 * per slot (the most blocks a 64 KiB slab holds: 16-byte blocks), each the
 * return address of the call that allocated the block; its address is kept
 * in slot 0 just past the slab metadata, each slab's row in hk_slab.sites. */
#define HK_SITES_STRIDE (HK_SLAB_SIZE / 16)
#define HK_SITES_BYTES ((size_t)HK_SLABS_PER_SS * HK_SITES_STRIDE * sizeof(uint64_t))
static inline uint64_t **hk_ss_sites(hk_superslab *ss)
{
    return (uint64_t **)((char *)ss + sizeof(hk_slab) * HK_SLABS_PER_SS);
}

/* Blocks a thread freed into slabs of other threads, gathered per slab so
 * that one CAS hands a whole chain over (heap.c). */
#define HK_PENDING_SLOTS 128        /* direct-mapped by slab address */
#define HK_PENDING_MAX 32           /* blocks per chain before it goes */
#define HK_PENDING_BYTES (256 << 10) /* bytes a thread holds back at most (about) */
typedef struct hk_pending {
    hk_slab *slab;          /* NULL: slot unused */
    hk_block *head, *tail;
    uint32_t n;
} hk_pending;

/* Blocks a thread frees into other threads' slabs, up to 4 KiB classes:
 * kept (up to HK_FOREIGN_BYTES a class, at least HK_FOREIGN_MIN blocks) for
 * the thread's own mallocs, as tcmalloc's and jemalloc's thread caches do,
 * instead of going back to their owner (heap.c). */
#define HK_FOREIGN_CLASSES 28       /* classes 0..27: 16 B..4 KiB */
#define HK_FOREIGN_BYTES 16384
#define HK_FOREIGN_MIN 8

/* EMPTY slabs a heap keeps before the pool gets them (any class: a spare is
 * reformatted for the class that needs a slab). */
#define HK_SPARE_SLABS 2

/* The heap profiler's sampler (sample.c), one per thread: sample points fall
 * on the allocated bytes with mean spacing `rate` (HAKMEM_PROFILE_RATE;
 * 1: every allocation). Invariant: 1 <= left <= HK_SAMPLE_MAX between calls. */
#define HK_PROFILE_RATE_DEFAULT 524288
#define HK_SAMPLE_MAX ((uint64_t)1 << 62) /* the largest countdown */
#define HK_WEIGHT_SHIFT 16                 /* sample weights are Q.16 */
#define HK_WEIGHT_ONE ((uint64_t)1 << HK_WEIGHT_SHIFT)
struct hk_sampler {
    int64_t left;  /* bytes to the next sample point */
    uint64_t rng;  /* hk_sample_rand's state */
    uint64_t rate; /* mean bytes between samples */
};

/* A thread heap. cur[] is the hot slot (stage 0) of each class; tiny[i] is
 * cur[] of the class of a request of 16i bytes or fewer (malloc's one load). */
typedef struct hk_heap {
    uint64_t key;                 /* the free key (heapcheck.h); 0 in the empty heap */
    hk_slab *tiny[HK_TINY_MAX / 16 + 1];
    hk_slab *cur[HK_CLASSES];
    hk_slab *avail[HK_CLASSES];   /* other slabs with free blocks, oldest first */
    hk_slab *avail_tail[HK_CLASSES];
    hk_slab *full[HK_CLASSES];    /* slabs with none (until frees come) */
    uint64_t classes;             /* bit c: cur[c] or c's lists may hold a slab (set where one
                                   * enters from the pool, the spares, a free or the kept
                                   * blocks); the others are as a new heap's, so thread exit
                                   * visits only these */
    _Atomic(hk_slab *) remote_slabs; /* slabs that got remote frees */
    uint32_t tid;
    uint32_t in_use;
    struct hk_heap *next_free;   /* recycled heaps */
    struct hk_heap *next_all;     /* every heap ever made (heap.c) */
    _Atomic uint32_t stage0[2];   /* stage-0 hits, misses not yet in the shared counters */
    uint32_t npending;            /* slots of pending[] in use */
    uint64_t pending_used[HK_PENDING_SLOTS / 64]; /* bit i: pending[i] in use */
    size_t pending_bytes;         /* in their chains */
    hk_pending pending[HK_PENDING_SLOTS];
    /* The kept blocks of each class, as a slab the hot slot can name: the
     * fast path pops its free list and counts in used, so -used is how many
     * it holds (no SuperSlab of its own: its other fields stay unused). */
    hk_slab foreign[HK_FOREIGN_CLASSES];
    hk_slab *spare[HK_SPARE_SLABS]; /* oldest first */
    uint32_t nspare;
    /* The heap profiler (profile.c): a thread's sampled allocations come
     * from the slabs of its sampled heap, which is never a thread's hk_tls
     * heap, so every free of a sampled block misses the free fast path's
     * owner test and reaches free_not_mine, which tells by `sampled`. */
    bool sampled;                 /* this is a sampled heap (it stays one for good) */
    struct hk_heap *sampled_heap; /* a thread heap's sampled heap, NULL until its first sample */
} hk_heap;

/* What the exported malloc reads per call, in one thread-local block (one
 * GOT load for both): the heap of its fast path, and the heap profiler's
 * byte countdown, which the fast path decrements by the requested size and
 * whose sign sends it to the slow path (profile.c); it starts at -1, so a
 * thread's first allocation (even of 0 bytes) draws the first countdown.
 * With profiling off it counts down to the next sampled guard
 * (guardsample.c), or stays near HK_SAMPLE_MAX. */
struct hk_tls {
    struct hk_heap *fast; /* the heap of the exported malloc and free */
    int64_t left;         /* bytes before the next sampled allocation, minus 1; kept below 0
                           * with site tags on, whose countdown is then site_left */
    int64_t site_left;
    uint64_t rng;         /* the countdown's PRNG; 0 until the thread's first draw */
};

#endif
