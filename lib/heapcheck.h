/* heapcheck.h — heap-error detection (heapcheck.c): the error kinds, the
 * reports, the free-block key and the inline checks of the fast paths. */
#ifndef HK_HEAPCHECK_H
#define HK_HEAPCHECK_H

#include "internal.h"

enum hk_error_kind { HK_ERR_DOUBLE_FREE = HAKMEM_ERR_DOUBLE_FREE, HK_ERR_INVALID_FREE = HAKMEM_ERR_INVALID_FREE,
                     HK_ERR_CORRUPT = HAKMEM_ERR_CORRUPT, HK_ERR_OVERFLOW = HAKMEM_ERR_OVERFLOW,
                     HK_ERR_UNDERFLOW = HAKMEM_ERR_UNDERFLOW, HK_ERR_USE_AFTER_FREE = HAKMEM_ERR_USE_AFTER_FREE,
                     HK_ERR_MISMATCH = HAKMEM_ERR_MISMATCH, HK_ERR_ACCESS_AFTER_FREE = HAKMEM_ERR_ACCESS_AFTER_FREE };
/* Allocator families, for alloc-dealloc mismatches (level 2). */
enum hk_api { HK_API_MALLOC = 0, HK_API_NEW = 1, HK_API_NEW_ARRAY = 2 };
enum { HK_ON_ERROR_ABORT = 0, HK_ON_ERROR_REPORT = 1, HK_ON_ERROR_EXIT = 2 /* + status */ };

struct hk_heap_error {
    enum hk_error_kind kind;
    const char *op;
    const void *ptr;
    hk_slab *slab;      /* the slab it points into, or NULL */
    size_t offset;      /* bytes into its block, for an interior pointer */
    size_t large_size;  /* for a large block; the requested size of a level-2 block */
    size_t detail_off;  /* level 2: the first bad byte, from the user pointer or its end
                         * (an underflow with a size: bytes before the block) */
    bool rz;            /* a level-2 (redzone) or guarded block */
    bool trap;          /* a faulting access (guard.c): op is "a read" or "a write" */
    unsigned api;       /* HK_ERR_MISMATCH: the family that allocated it */
    uint32_t alloc_stack, free_stack; /* level 2 with HAKMEM_TRACE_STACKS=1 */
    void *const *alloc_ip, *const *free_ip; /* sampled guards: the stacks' frames */
    uint8_t alloc_n, free_n;
};

extern int hk_check_level;

void hk_check_init(void);
void hk_heap_error(const struct hk_heap_error *e);
void hk_report(enum hk_error_kind kind, const char *op, const void *p, hk_slab *s, size_t offset,
               size_t large_size);
bool hk_check_remote_slow(hk_slab *s, const void *p);

/* ---- the block a byte lies in, as the program sees it (level 2: the user
 *      bytes of a redzone block; level 3: a guarded block), for the checked
 *      copies (copycheck.c) and the guard pages' fault handler (guard.c) */
struct hk_span {
    uintptr_t start;    /* the block's first byte */
    size_t size;        /* the bytes the program asked for */
    bool freed;         /* freed, in quarantine */
    uint32_t alloc_stack, free_stack; /* with HAKMEM_TRACE_STACKS=1 */
    void *const *alloc_ip, *const *free_ip; /* sampled guards: the stacks' frames */
    uint8_t alloc_n, free_n;
};
/* redzone.c: the level-2 or guarded block byte p lies in (its header and
 * tail included); false for a byte of no such block. */
bool hk_rz_span(const void *p, struct hk_span *sp);
/* guard.c: the guarded block byte p lies in, or whose guard page it is in
 * (of two, the nearer); false for none. */
bool hk_guard_span(const void *p, struct hk_span *sp);
/* Reports op's access from p on, which leaves span sp or lies in a freed
 * one, as the heap error of its first bad byte (heapcheck.c). */
void hk_report_access(const char *op, const void *p, const struct hk_span *sp, bool trap);

/* ---- the one block validation (heapcheck.c): what a pointer is to hakmem,
 *      for free, realloc, malloc_usable_size and level 2's plain blocks. The
 *      fast paths' inline checks below only decide whether to come here. */
enum hk_block_verdict {
    HK_BLOCK_LIVE = 0,  /* the start of a handed-out block */
    HK_BLOCK_FOREIGN,   /* in no formatted slab nor live or cached large mapping of hakmem's */
    HK_BLOCK_INTERIOR,  /* inside a block, or a slab's block not carved yet */
    HK_BLOCK_FREED      /* a block's start, not handed out: EMPTY slab, free key, cached mapping */
};
struct hk_block_info {
    hk_slab *slab;      /* the slab p points into (not FOREIGN), else NULL */
    size_t offset;      /* INTERIOR: bytes into the block (0 past the carved ones) */
    size_t large_size;  /* a large block: its size, as the report names it */
    size_t usable;      /* LIVE: the block's usable bytes */
};
/* Any pointer, by its chunk: a slab's (hk_block_check_slab) or a large
 * mapping's (hk_large_check). */
enum hk_block_verdict hk_block_check(const void *p, struct hk_block_info *b);
/* p, a pointer into formatted-or-not slot s of a SuperSlab. */
enum hk_block_verdict hk_block_check_slab(hk_slab *s, const void *p, struct hk_block_info *b);
/* The heap error of a verdict other than LIVE, as op's (free, realloc…). */
void hk_block_report(enum hk_block_verdict v, const char *op, const void *p, const struct hk_block_info *b);
/* Slot s holds blocks: a slab formatted for a class (not slot 0, the header). */
static inline bool hk_slab_formatted(const hk_slab *s)
{
    return s->idx >= HK_FIRST_SLAB && s->state != HK_SLAB_FREE;
}

/* ---- large.c: the large tier's part of hk_block_check (the header check) */
enum hk_block_verdict hk_large_check(const void *p, struct hk_block_info *b);
/* ---- guard.c: a guard region's part (a guarded slot's user pointer) */
enum hk_block_verdict hk_guard_check(const void *p, struct hk_block_info *b);

/* Index of the block at byte offset off (< 64 KiB) of slab s. */
static inline uint32_t hk_block_index(const hk_slab *s, uintptr_t off)
{
    return (uint32_t)(((uint64_t)off * s->magic) >> 32);
}

/* p is the start of a block of s carved so far: its offset is below the
 * carved end and a multiple of the block size, which holds iff the low half
 * of off * magic is below magic (Lemire's divisibility test; exact for
 * 16-bit offsets and these sizes). */
static inline bool hk_carved_block(const hk_slab *s, const void *p)
{
    uint32_t magic = s->magic, off = (uint32_t)((uintptr_t)p & (HK_SLAB_SIZE - 1));
    return off < s->carved_end && off * magic < magic;
}

/* Level 1 marks free blocks instead of live ones: every block on a free
 * list (local, remote, or just carved) holds hk_free_key, a per-process
 * random secret, in its second word, and malloc clears it — one store each
 * way. A free that finds the key is a double free (a program's data equals
 * the key with odds of 2^-64). Each heap keeps the key (at level 0 too), so
 * the free path loads the key without testing the level. */
extern uint64_t hk_free_key;

static inline uint64_t *hk_key_of(const void *p)
{
    return (uint64_t *)p + 1;
}

bool hk_check_free_slow(hk_slab *s, const void *p);

/* Block b leaves a free list for a program: its key is cleared (harmless at
 * level 0, where it saves testing the level). Returns b. */
static inline void *hk_hand_out(void *b)
{
    *hk_key_of(b) = 0;
    return b;
}

/* The owner, whose heap holds key, frees p into s. True when the fast path
 * may push p (p now holds the key); false when hk_check_free_slow must
 * decide: p is inside a block or past the carved ones (checked at every
 * level: either would corrupt the free list), or holds the key. Level 0
 * keeps the key too, and only its slow path trusts the block instead: one
 * test fewer here than a level test would cost (it pays for the heap
 * profiler's countdown on malloc's fast path). */
static inline bool hk_check_local_free(uint64_t key, hk_slab *s, const void *p)
{
    if (HK_UNLIKELY(!hk_carved_block(s, p)))
        return false;
    if (HK_UNLIKELY(*hk_key_of(p) == key))
        return false;
    *hk_key_of(p) = key;
    return true;
}

/* A free whose slab the caller's thread does not own: true when p is a
 * handed-out block of s as far as the slab's geometry and (racily) its key
 * say, and then marks it free for the remote push; anything odd goes to
 * hk_check_remote_slow, which reports. */
static inline bool hk_check_remote_free(hk_slab *s, const void *p)
{
    if (HK_UNLIKELY((unsigned)(s->state - HK_SLAB_OWNED) > HK_SLAB_ABANDONED - HK_SLAB_OWNED ||
                    !hk_carved_block(s, p)))
        return hk_check_remote_slow(s, p);
    if (hk_check_level) {
        if (HK_UNLIKELY(*hk_key_of(p) == hk_free_key))
            return hk_check_remote_slow(s, p);
        *hk_key_of(p) = hk_free_key;
    }
    return true;
}

#endif
