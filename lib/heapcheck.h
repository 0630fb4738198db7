/* heapcheck.h — heap-error detection: the free-block key (for 8-byte blocks a
 * bitmap per slab, in slab 0) and the checks of the fast path. */
#ifndef HK_HEAPCHECK_H
#define HK_HEAPCHECK_H

#include "internal.h"

#define HK_BITMAP_OFF 8192   /* in slab 0, after the SuperSlab header */
#define HK_BITMAP_BYTES 1024 /* 8192 bits: the most blocks a slab holds */
_Static_assert(sizeof(hk_superslab) <= HK_BITMAP_OFF, "header fits before the bitmaps");
_Static_assert(HK_BITMAP_OFF + HK_SLABS_PER_SS * HK_BITMAP_BYTES <= HK_SLAB_SIZE, "bitmaps fit in slab 0");

enum hk_error_kind { HK_ERR_DOUBLE_FREE = HAKMEM_ERR_DOUBLE_FREE, HK_ERR_INVALID_FREE = HAKMEM_ERR_INVALID_FREE,
                     HK_ERR_CORRUPT = HAKMEM_ERR_CORRUPT, HK_ERR_OVERFLOW = HAKMEM_ERR_OVERFLOW,
                     HK_ERR_UNDERFLOW = HAKMEM_ERR_UNDERFLOW, HK_ERR_USE_AFTER_FREE = HAKMEM_ERR_USE_AFTER_FREE,
                     HK_ERR_MISMATCH = HAKMEM_ERR_MISMATCH };
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
    size_t detail_off;  /* level 2: the first bad byte, from the user pointer or its end */
    bool rz;            /* a level-2 (redzone) block */
    unsigned api;       /* HK_ERR_MISMATCH: the family that allocated it */
    uint32_t alloc_stack, free_stack; /* level 2 with HAKMEM_TRACE_STACKS=1 */
};

extern int hk_check_level;
extern uint32_t hk_class_magic[HK_CLASSES];

void hk_check_init(void);
void hk_check_format(hk_slab *s);
void hk_heap_error(const struct hk_heap_error *e);
void hk_report(enum hk_error_kind kind, const char *op, const void *p, hk_slab *s, size_t offset,
               size_t large_size);
bool hk_check_remote_slow(hk_slab *s, const void *p);
bool hk_check_realloc(hk_slab *s, const void *p);

/* ---- redzone.c: HAKMEM_CHECK=2 */
extern bool hk_debug;
void hk_rz_init(void);
void hk_rz_atfork_prepare(void);
void hk_rz_atfork_release(void);
void *hk_rz_malloc(size_t n, size_t align, bool zero);
void hk_rz_free(void *p);
void hk_rz_free_api(void *p, unsigned api, const char *op);
void hk_rz_set_api(void *p, unsigned api);
const char *hk_api_name(unsigned api);
void *hk_rz_realloc(void *p, size_t n);
size_t hk_rz_usable(void *p);

/* ---- alloc.c: the allocator without level-2 wrapping, for redzone.c */
void *hk_plain_malloc(size_t n);
void hk_plain_free(void *p);
size_t hk_plain_usable(const void *p);
bool hk_plain_is_block(const void *p);

static inline uint64_t *hk_bitmap(const hk_slab *s)
{
    return (uint64_t *)((char *)hk_ss_of(s) + HK_BITMAP_OFF + (size_t)s->idx * HK_BITMAP_BYTES);
}

/* The bitmap word and bit of the block at p (slab from p's address). */
static inline uint64_t *hk_bitmap_word(const void *p, uint32_t i)
{
    uintptr_t a = (uintptr_t)p;
    return (uint64_t *)((a & ~(uintptr_t)HK_SS_MASK) + HK_BITMAP_OFF +
                        ((a >> HK_SLAB_SHIFT) & (HK_SLABS_PER_SS - 1)) * HK_BITMAP_BYTES) + (i >> 6);
}

/* Index of the block at byte offset off (< 64 KiB) of a slab of class cls. */
static inline uint32_t hk_block_index(unsigned cls, uintptr_t off)
{
    return (uint32_t)(((uint64_t)off * hk_class_magic[cls]) >> 32);
}

/* Level 1 marks free blocks instead of live ones: every block on a free
 * list (local, remote, or just carved) holds hk_free_key, a per-process
 * random secret, in its second word, and malloc clears it — one store each
 * way. A free that finds the key is a double free unless the owner's lists
 * say otherwise (hk_check_free_slow). 8-byte blocks have no second word:
 * class 0 keeps a bitmap of handed-out blocks per slab (in slab 0). */
extern uint64_t hk_free_key;
#define HK_KEY_CLASS_MIN 1 /* classes from here carry the key */

static inline uint64_t *hk_key_of(const void *p)
{
    return (uint64_t *)p + 1;
}

void *hk_check_malloc_tiny(hk_slab *s, void *b); /* returns b */
bool hk_check_free_slow(int level, hk_slab *s, const void *p);
/* Block i of s at p is handed out (racy when another thread owns s). */
bool hk_check_block_live(hk_slab *s, const void *p, uint32_t i);

/* Block b of class cls leaves the free list of s for a program: its key is
 * cleared (harmless at level 0, where it saves testing the level); at level
 * >= 1 an 8-byte block is marked in the bitmap. Returns b. */
static inline __attribute__((always_inline)) void *hk_hand_out(const hk_heap *h, hk_slab *s,
                                                               unsigned cls, void *b)
{
    if (HK_LIKELY(cls >= HK_KEY_CLASS_MIN)) {
        *hk_key_of(b) = 0;
        return b;
    }
    return h->check ? hk_check_malloc_tiny(s, b) : b; /* a tail call: no frame */
}

/* The owner frees p into s. True when the fast path may push p (at level
 * >= 1 p now holds the key); false when hk_check_free_slow must decide: p
 * is inside a block, past the carved ones (checked at every level: either
 * would corrupt the free list), an 8-byte block, or holds the key. */
static inline bool hk_check_local_free(int level, hk_slab *s, const void *p)
{
    unsigned cls = s->cls;
    uint32_t magic = hk_class_magic[cls];
    uint64_t prod = ((uintptr_t)p & (HK_SLAB_SIZE - 1)) * (uint64_t)magic;
    /* The block index is the high half; the offset is a block's start iff
     * the low half is below magic (Lemire's divisibility test; exact for
     * 16-bit offsets and these sizes). */
    if (HK_UNLIKELY((uint32_t)prod >= magic || (uint32_t)(prod >> 32) >= s->carved))
        return false;
    if (!level)
        return true;
    if (HK_UNLIKELY(cls < HK_KEY_CLASS_MIN || *hk_key_of(p) == hk_free_key))
        return false;
    *hk_key_of(p) = hk_free_key;
    return true;
}

/* A free whose slab the caller's thread does not own: true when p is a
 * handed-out block of s as far as the slab's geometry and (racily) its key
 * say, and then marks it free for the remote push; the 8-byte class and
 * anything odd go to hk_check_remote_slow, which reports. */
static inline bool hk_check_remote_free(hk_slab *s, const void *p)
{
    unsigned cls = s->cls;
    uint32_t magic = hk_class_magic[cls];
    uint64_t prod = ((uintptr_t)p & (HK_SLAB_SIZE - 1)) * (uint64_t)magic;
    if (HK_UNLIKELY((unsigned)(s->state - HK_SLAB_OWNED) > HK_SLAB_ABANDONED - HK_SLAB_OWNED ||
                    (uint32_t)prod >= magic || (uint32_t)(prod >> 32) >= s->carved ||
                    cls < HK_KEY_CLASS_MIN))
        return hk_check_remote_slow(s, p);
    if (hk_check_level) {
        if (HK_UNLIKELY(*hk_key_of(p) == hk_free_key))
            return hk_check_remote_slow(s, p);
        *hk_key_of(p) = hk_free_key;
    }
    return true;
}

/* The owner takes a remotely freed 8-byte block back: clears its mark;
 * false (reported) when it was not marked — a double free by other threads. */
static inline bool hk_check_collect(hk_slab *s, const void *p)
{
    uint32_t i = hk_block_index(s->cls, (uintptr_t)p & (HK_SLAB_SIZE - 1));
    uint64_t *w = &hk_bitmap(s)[i >> 6], bit = 1ull << (i & 63);
    if (HK_LIKELY(*w & bit)) {
        *w &= ~bit;
        return true;
    }
    hk_report(HK_ERR_DOUBLE_FREE, "free", p, s, 0, 0);
    return false;
}

#endif
