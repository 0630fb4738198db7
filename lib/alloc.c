/* alloc.c — the exported malloc family: the fast paths (a thread-local
 * free-list pop or push) and the POSIX semantics around them. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "heapcheck.h"

#define HK_ALIGN_MIN 16

/* ---- fast paths */

static HK_NOINLINE void *large_malloc(size_t n, size_t align, bool zero)
{
    if (!hk_ensure_init()) {
        errno = ENOMEM;
        return NULL;
    }
    return hk_large_malloc(n, align, 0, zero);
}

static HK_NOINLINE void *heap_slow(size_t n)
{
    if (n > HK_MID_MAX)
        return large_malloc(n, 0, false);
    return hk_heap_malloc_slow(hk_tls_heap, hk_size_class(n));
}

/* ---- the heap profiler's countdown (profile.c) */

/* The sampled allocation of n bytes (a block for size, aligned to align),
 * when the countdown says this one is sampled; else NULL (also when the
 * sampled heap is out of memory: the caller allocates as usual). fp: the
 * exported function's frame, where the program's stack starts. */
static inline __attribute__((always_inline)) void *sample(size_t n, size_t size, size_t align, bool zero,
                                                          void *fp)
{
    int64_t *left = HK_UNLIKELY(hk_sites_slow()) ? &hk_tls.site_left : &hk_tls.left;
    if (HK_LIKELY((*left -= (int64_t)n) >= 0) || !hk_profile_due(left, n))
        return NULL;
    return hk_profile_malloc(n, size, align, zero, fp);
}

/* With site tags, block p of the exported function whose frame is fp gets
 * the tag of that function's caller. */
static inline void tag(void *p, void *fp)
{
    if (HK_UNLIKELY(hk_sites_on) && p)
        hk_site_tag(p, ((void **)fp)[1]);
}

/* The exported malloc's for a hot slab without a free block: at level 2
 * the request goes to redzone.c. */
static void *plain_slow(size_t n)
{
    if (HK_UNLIKELY(hk_debug))
        return hk_rz_malloc(n, 0, false);
    return heap_slow(n);
}

/* The allocation hk_profile_due chose: the heap profile's, its stack captured
 * here in the slow function's frame fp (two frames fewer to unwind than from
 * inside profile.c), or with profiling off a sampled guard's (which keeps its
 * own stacks). */
static inline __attribute__((always_inline)) void *sampled(size_t n, void *fp)
{
    if (!hk_profile_on)
        return hk_guard_sample_malloc(n, 0, false);
    return hk_profile_malloc_id(n, hk_stack_profile_id(fp));
}

/* The exported malloc's for a countdown below 0. Reached by jumps only
 * (malloc → exported_slow → here), so this frame's return address is the
 * program's, where the sampled stack starts. */
static HK_NOINLINE void *countdown_slow(size_t n)
{
    void *p = hk_profile_due(&hk_tls.left, n) ? sampled(n, __builtin_frame_address(0)) : NULL;
    if (!p)
        p = plain_slow(n);
    if (hk_config_sites && p)
        hk_site_tag(p, __builtin_return_address(0));
    return p;
}



/* Pops a block of n bytes from hot slab s; slow(n) when it has none (a
 * tail call: this frame's return address is the caller's). tagged (a
 * constant): the block gets the site tag of the program's call returning
 * to ra; the slow function tags its own. */
static inline __attribute__((always_inline)) void *pop_or(hk_slab *s, size_t n, void *(*slow)(size_t),
                                                          bool tagged, void *ra)
{
    hk_block *b = s->free;
    if (HK_LIKELY(b != NULL)) {
        hk_block *next = b->next;
        __builtin_prefetch(next, 1); /* the next malloc's block, whose link it reads */
        s->free = next;
        s->used++;
        if (tagged)
            hk_site_tag_slab(s, b, ra);
        return hk_hand_out(b);
    }
    return slow(n);
}

/* n bytes from heap h: the hot slab by table (a tiny request: one load),
 * else slow(n). */
static inline __attribute__((always_inline)) void *malloc_in(hk_heap *h, size_t n, void *(*slow)(size_t),
                                                             bool tagged, void *ra)
{
    if (HK_LIKELY(n <= HK_TINY_MAX))
        return pop_or(h->tiny[(n + 15) >> 4], n, slow, tagged, ra);
    if (HK_LIKELY(n <= HK_MID_MAX))
        return pop_or(h->cur[hk_class_of256[(n + 255) >> 8]], n, slow, tagged, ra);
    return slow(n);
}

static inline void *hk_malloc(size_t n)
{
    return malloc_in(hk_tls_heap, n, heap_slow, false, NULL);
}

/* With site tags (sites.c) in libhakmem.so every exported malloc comes here:
 * the countdown stays below 0, and the sampling countdown is site_left.
 * Reached by jumps only, as countdown_slow. */
static HK_NOINLINE void *sites_sampled(size_t n)
{
    void *fp = __builtin_frame_address(0);
    void *p = hk_profile_due(&hk_tls.site_left, n) ? sampled(n, fp) : NULL;
    if (!p)
        p = hk_malloc(n);
    tag(p, fp);
    return p;
}

/* plain_slow, tagged (sites_slow's, and the twin's malloc's). Reached by
 * jumps only, as sites_slow. */
static HK_NOINLINE void *sites_refill(size_t n)
{
    void *p = plain_slow(n);
    if (p)
        hk_site_tag(p, __builtin_return_address(0));
    return p;
}

static HK_NOINLINE void *sites_slow(size_t n)
{
    struct hk_tls *t = &hk_tls;
    if (HK_UNLIKELY((t->site_left -= (int64_t)n) < 0))
        return sites_sampled(n);
    return malloc_in(t->fast, n, sites_refill, true, __builtin_return_address(0));
}

static HK_NOINLINE void *exported_slow(size_t n)
{
    if (HK_UNLIKELY(hk_tls.left < 0))
        return HK_UNLIKELY(hk_sites_slow()) ? sites_slow(n) : countdown_slow(n);
    return hk_config_sites ? sites_refill(n) : plain_slow(n);
}

void *hk_sites_malloc_at(size_t n, void *ra)
{
    void *p = sample(n, n, 0, false, NULL);
    if (!p)
        p = hk_malloc(n);
    if (p)
        hk_site_tag(p, ra);
    return p;
}

/* The slow paths of free(): rz says the pointer came through the exported
 * free(), so at HAKMEM_CHECK=2 it is a level-2 block (redzone.c) or was
 * handed out before start-up finished. No level-2 user pointer lies at a
 * block boundary (its header precedes it), so the fast path never takes
 * one: testing the level here, and not on the fast path, is enough. */
static HK_NOINLINE void free_other(void *p, bool rz)
{
    unsigned kind = hk_chunk_kind((uintptr_t)p);
    if (rz && hk_debug) {
        hk_rz_free(p);
        return;
    }
    if (!p)
        return;
    if (kind == HK_CHUNK_LARGE_HEAD || kind == HK_CHUNK_LARGE)
        hk_large_free(p);
    else if (kind == HK_CHUNK_GUARD)
        hk_guard_free(p, HK_API_MALLOC, "free"); /* a sampled guard (guardsample.c) */
    else
        hk_report(HK_ERR_INVALID_FREE, "free", p, NULL, 0, 0);
}

/* Pushes p, a block of s, on the owner's free list. The slow path when the
 * slab empties, and when it was on the FULL list (its used is 1 there). */
static inline void push_local(hk_heap *h, hk_slab *s, void *p)
{
    hk_block *b = p;
    b->next = s->free;
    s->free = b;
    if (HK_UNLIKELY(--s->used == 0))
        hk_heap_free_slow(h, s);
}

static HK_NOINLINE void free_local_checked(hk_heap *h, hk_slab *s, void *p, bool rz)
{
    if (rz && hk_debug)
        hk_rz_free(p);
    else if (hk_check_free_slow(s, p))
        push_local(h, s, p);
}

/* A slab a sampled heap owns (profile.c): its blocks are sampled ones. */
static bool sampled_slab(const hk_slab *s)
{
    hk_heap *o = atomic_load_explicit(&s->owner, memory_order_relaxed);
    return o && o->sampled;
}

static HK_NOINLINE void free_not_mine(hk_heap *h, hk_slab *s, void *p, bool rz)
{
    if (rz && hk_debug)
        hk_rz_free(p);
    else if (HK_UNLIKELY(hk_profile_on) && sampled_slab(s))
        hk_heap_free_sampled(h, s, p);
    else
        hk_free_remote(h, s, p);
}

/* Every call in here is a tail call: the fast path saves no register. */
static inline __attribute__((always_inline)) void hk_free(void *p, bool rz)
{
    /* hk_chunk_kind(a) spelled out: its chunk index c gives the SuperSlab
     * below (through the function, gcc spends one more instruction). */
    uintptr_t a = (uintptr_t)p, c = a >> HK_SS_SHIFT;
    if (HK_UNLIKELY(c >= HK_CHUNKS || hk_chunkmap[c] != HK_CHUNK_SS)) {
        free_other(p, rz);
        return;
    }
    /* Opaque registers: the SuperSlab comes from c by one shift (the
     * compiler would mask a again), and the slab stays in one register
     * (else the compiler keeps the SuperSlab and the index live to rebuild
     * it, and runs out of scratch registers). */
    __asm__("" : "+r"(c));
    hk_slab *s = hk_slab_in((hk_superslab *)(c << HK_SS_SHIFT), a);
    __asm__("" : "+r"(s));
    hk_heap *h = rz ? hk_tls.fast : hk_tls_heap;
    if (HK_UNLIKELY(atomic_load_explicit(&s->owner, memory_order_relaxed) != h))
        free_not_mine(h, s, p, rz);
    else if (HK_UNLIKELY(!hk_check_local_free(h->key, s, p)))
        free_local_checked(h, s, p, rz);
    else
        push_local(h, s, p);
}

/* Usable bytes of a block, 0 for a pointer hakmem does not own. */
static size_t usable_size(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    unsigned kind = hk_chunk_kind(a);
    if (kind == HK_CHUNK_SS) {
        hk_slab *s = hk_slab_of(p);
        return hk_slab_formatted(s) ? hk_class_size[s->cls] : 0;
    }
    if (kind == HK_CHUNK_GUARD) {
        size_t n;
        return hk_guard_live(p, &n) ? n : 0;
    }
    return kind ? hk_large_usable(p) : 0;
}

/* ---- aligned allocation */

static bool pow2(size_t x)
{
    return x && !(x & (x - 1));
}

/* Power-of-two classes are naturally aligned inside a 64 KiB slab, so an
 * alignment up to 64 KiB is a class of max(n, align) rounded up to a power
 * of two; beyond that the large tier aligns the mapping. fp: the exported
 * function's frame (the heap profiler's stack starts there). */
static void *aligned(size_t align, size_t n, void *fp)
{
    if (HK_UNLIKELY(hk_debug))
        return hk_rz_malloc(n, align, false);
    size_t m = n < align ? align : n, size = m;
    if (align > HK_ALIGN_MIN && m <= HK_MID_MAX)
        size = (size_t)1 << (64 - __builtin_clzll((unsigned long long)m - 1));
    void *p = sample(n, size, align > HK_ALIGN_MIN ? align : 0, false, fp);
    if (!p)
        p = align <= HK_ALIGN_MIN || m <= HK_MID_MAX ? hk_malloc(size) : large_malloc(n, align, false);
    tag(p, fp);
    return p;
}

/* malloc(n) with the countdown, for calloc's and realloc's new blocks. */
static void *counted(size_t n, bool zero, void *fp)
{
    void *p = sample(n, n, 0, zero, fp);
    if (!p && zero && n > HK_MID_MAX)
        p = large_malloc(n, 0, true);
    else if (!p && (p = hk_malloc(n)) && zero)
        memset(p, 0, n);
    tag(p, fp);
    return p;
}

/* ---- the allocator without level-2 wrapping, for redzone.c */

void *hk_plain_malloc(size_t n)
{
    return hk_malloc(n);
}

void hk_plain_free(void *p)
{
    hk_free(p, false);
}

size_t hk_plain_usable(const void *p)
{
    return usable_size(p);
}

/* p is the start of a live block (not a level-2 user pointer). */
bool hk_plain_is_block(const void *p)
{
    struct hk_block_info b;
    return hk_block_check(p, &b) == HK_BLOCK_LIVE;
}

/* ---- the exported API (HAKMEM_CHECK=2 goes through redzone.c) */

/* The countdown first: one subtraction and one branch (profile.c); in the
 * profiling twin, the site tag (one store) too. */
HK_EXPORT void *malloc(size_t n)
{
    struct hk_tls *t = &hk_tls;
    if (HK_UNLIKELY((t->left -= (int64_t)n) < 0))
        return exported_slow(n);
    return malloc_in(t->fast, n, exported_slow, hk_config_sites, __builtin_return_address(0));
}

HK_EXPORT void free(void *p)
{
    hk_free(p, true);
}

HK_EXPORT void *calloc(size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    if (HK_UNLIKELY(hk_debug))
        return hk_rz_malloc(n, 0, true);
    return counted(n, true, __builtin_frame_address(0));
}

HK_EXPORT void *realloc(void *p, size_t n)
{
    if (HK_UNLIKELY(hk_debug))
        return hk_rz_realloc(p, n);
    void *fp = __builtin_frame_address(0);
    if (!p)
        return counted(n, false, fp);
    if (n == 0) {
        hk_free(p, false);
        return NULL;
    }
    struct hk_block_info b;
    enum hk_block_verdict v = hk_block_check(p, &b);
    if (v != HK_BLOCK_LIVE) {
        hk_block_report(v, "realloc", p, &b);
        errno = EINVAL;
        return NULL;
    }
    size_t old = b.usable;
    /* a sampled block moves: its free event, then the new block's countdown;
     * so does a sampled guard, whose end must stay against its guard page */
    bool sampled = HK_UNLIKELY(hk_profile_on) && hk_profile_is_sampled(p);
    bool moves = sampled || HK_UNLIKELY(hk_chunk_kind((uintptr_t)p) == HK_CHUNK_GUARD);
    if (!moves && old > HK_MID_MAX) {
        void *q = hk_large_realloc(p, n);
        if (q)
            return q;
    } else if (!moves && n <= old && (n > old / 2 || old <= 16)) {
        return p;
    }
    void *q = counted(n, false, fp);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    if (sampled)
        hk_profile_realloc_next();
    hk_free(p, false);
    return q;
}

HK_EXPORT void *reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, n);
}

HK_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (!pow2(align) || align % sizeof(void *))
        return EINVAL;
    int saved = errno;
    void *p = aligned(align, n, __builtin_frame_address(0));
    if (!p)
        return ENOMEM;
    errno = saved;
    *out = p;
    return 0;
}

/* glibc 2.36's memalign, which is its aligned_alloc too (malloc.c,
 * _mid_memalign): an alignment up to 16 is malloc's, one that is no power
 * of two is rounded up to the next, and only one above SIZE_MAX / 2 + 1 (no
 * power of two is) fails, with EINVAL. posix_memalign is the strict one. */
static HK_NOINLINE void *memalign_lenient(size_t align, size_t n)
{
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align > HK_ALIGN_MIN && !pow2(align))
        align = (size_t)1 << (64 - __builtin_clzll((unsigned long long)align));
    return aligned(align, n, __builtin_frame_address(0));
}

HK_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    return memalign_lenient(align, n);
}

HK_EXPORT void *memalign(size_t align, size_t n)
{
    return memalign_lenient(align, n);
}

HK_EXPORT void *valloc(size_t n)
{
    return aligned(hk_page_size, n, __builtin_frame_address(0));
}

HK_EXPORT void *pvalloc(size_t n)
{
    size_t r = (n + hk_page_size - 1) & ~(hk_page_size - 1);
    if (r < n) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned(hk_page_size, r ? r : hk_page_size, __builtin_frame_address(0));
}

HK_EXPORT size_t malloc_usable_size(void *p)
{
    if (HK_UNLIKELY(hk_debug))
        return hk_rz_usable(p);
    return p ? usable_size(p) : 0;
}

size_t hk_trim(void)
{
    hk_heap_flush_pending(hk_tls_heap);
    hk_heap_release_spares(hk_tls_heap);
    return hk_pool_trim() + hk_large_trim();
}

HK_EXPORT int malloc_trim(size_t pad)
{
    (void)pad;
    if (!hk_ensure_init())
        return 0;
    if (hk_config_debug)
        hk_heap_validate(hk_tls_heap);
    size_t n = hk_trim();
    if (hk_config_debug)
        hk_heap_validate(hk_tls_heap);
    return n > 0;
}

HK_EXPORT struct mallinfo2 mallinfo2(void)
{
    struct hakmem_stats st;
    struct mallinfo2 mi;
    memset(&mi, 0, sizeof mi);
    hakmem_stats_get(&st);
    uint64_t used = 0, cap = 0;
    for (uint32_t c = 0; c < st.nclasses; c++) {
        used += st.cls[c].used * st.cls[c].block_size;
        cap += st.cls[c].capacity * st.cls[c].block_size;
    }
    mi.arena = (st.ss_active + st.ss_cached) * HK_SS_SIZE; /* bytes from mmap for slabs */
    mi.ordblks = st.ss_active;
    mi.smblks = st.ss_cached;
    mi.hblks = st.large_live;
    mi.hblkhd = st.large_live_bytes + st.large_cached_bytes;
    mi.uordblks = used + st.large_live_bytes;
    mi.fordblks = cap - used + st.ss_cached * HK_SS_SIZE + st.large_cached_bytes;
    mi.keepcost = st.ss_cached * HK_SS_SIZE + st.large_cached_bytes;
    return mi;
}

HK_EXPORT struct mallinfo mallinfo(void)
{
    struct mallinfo2 m2 = mallinfo2();
    struct mallinfo mi = {
        .arena = (int)m2.arena, .ordblks = (int)m2.ordblks, .smblks = (int)m2.smblks,
        .hblks = (int)m2.hblks, .hblkhd = (int)m2.hblkhd, .uordblks = (int)m2.uordblks,
        .fordblks = (int)m2.fordblks, .keepcost = (int)m2.keepcost,
    };
    return mi;
}

HK_EXPORT void malloc_stats(void)
{
    hakmem_stats_print(2);
}
