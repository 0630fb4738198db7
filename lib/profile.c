/* profile.c — the heap profiler (HAKMEM_PROFILE): the slow side of each
 * thread's byte countdown, sampled allocations and their alloc/free events.
 *
 * The exported malloc subtracts each request from hk_tls.left and takes its
 * slow path when the result is negative (two instructions, profiling on or
 * off: off, left starts near HK_SAMPLE_MAX and is parked there again when it
 * runs out). left is the countdown of sample.c minus one, so an allocation
 * of n bytes is sampled when the countdown is n or less, as hk_sample_take
 * says; at rate 1 it stays -1 and every allocation is sampled.
 *
 * A sampled allocation is served by the thread's sampled heap (heap.c),
 * whose slabs hold sampled blocks only and are never any thread's fast-path
 * heap: the free fast path's owner test sends each of their frees to
 * free_not_mine, which tells a sampled heap by one flag; a large sampled
 * block carries the flag in its header. So free has no test of its own. */
#include <string.h>
#include "heapcheck.h"
#include "event.h"

bool hk_profile_on;
uint64_t hk_profile_rate = HK_PROFILE_RATE_DEFAULT;

static __thread bool in_profiler;         /* recursion guard: no sample inside */
static __thread uint8_t next_free_reason; /* HAKMEM_FREE_REALLOC for realloc's free */

void hk_profile_init(void)
{
    hk_profile_rate = (uint64_t)hk_opt[HK_OPT_PROFILE_RATE];
    if (!hk_opt[HK_OPT_PROFILE])
        return;
    if (!hk_config_trace || !hk_opt[HK_OPT_TRACE]) {
        hk_log("hakmem: HAKMEM_PROFILE=1 needs HAKMEM_TRACE=1 (or hakmem-trace record --profile); "
               "profiling is off\n");
        return;
    }
    if (hk_check_level >= 2) {
        hk_log("hakmem: HAKMEM_PROFILE=1 is not supported at HAKMEM_CHECK=2; profiling is off\n");
        return;
    }
    hk_stack_program_init();
    hk_profile_on = true;
}

/* A thread's PRNG seed (never 0: 0 means not drawn yet): HAKMEM_PROFILE_SEED
 * plus the thread's rank among the threads that sampled, else the clock, the
 * thread's TLS address and its rank (no gettid: a system call per thread). */
uint64_t hk_profile_seed(void)
{
    static _Atomic uint64_t threads;
    uint64_t rank = atomic_fetch_add_explicit(&threads, 1, memory_order_relaxed);
    uint64_t s = hk_opt[HK_OPT_PROFILE_SEED] ? (uint64_t)hk_opt[HK_OPT_PROFILE_SEED] + rank
                                             : hk_now_ns() ^ ((uint64_t)(uintptr_t)&hk_tls << 16) ^ rank;
    s = hk_sample_rand(&s);
    return s ? s : 1;
}

/* The next countdown as hk_tls.left holds it (minus one); -1 at rate 1. */
static int64_t next_left(struct hk_tls *t)
{
    if (hk_profile_rate <= 1)
        return -1;
    return (int64_t)hk_sample_next(&t->rng, hk_profile_rate) - 1;
}

void hk_profile_hold(bool hold)
{
    in_profiler = hold;
}

bool hk_profile_due(int64_t *left, size_t n)
{
    struct hk_tls *t = &hk_tls;
    if (in_profiler)
        return false; /* left stays: the profiler drew it before it began */
    if (!hk_profile_on)
        return hk_guard_sample_due(left, n); /* sampled guards, or left parked */
    if (HK_UNLIKELY(!t->rng)) { /* the thread's first draw: n is its first allocation */
        t->rng = hk_profile_seed();
        if (hk_sites_slow()) /* every exported malloc to sites_slow, for good */
            t->left = -(int64_t)HK_SAMPLE_MAX;
        *left = next_left(t) - (int64_t)(n > HK_SAMPLE_MAX ? HK_SAMPLE_MAX : n);
        if (*left >= 0)
            return false;
    }
    *left = next_left(t);
    return true;
}

/* hk_profile_malloc's, with the stack id when have_id, else the stack from fp. */
static void *profile_malloc(size_t n, size_t size, size_t align, bool zero, void *fp, bool have_id,
                            uint32_t id)
{
    if (!hk_profile_on) /* hk_profile_due said so for a sampled guard */
        return hk_guard_sample_malloc(n, align, zero);
    in_profiler = true;
    void *p = NULL;
    hk_slab *s = NULL;
    hk_heap *h = hk_heap_of_thread(), *sh = h ? hk_heap_sampled(h) : NULL;
    if (sh && size <= HK_MID_MAX && align <= HK_SLAB_SIZE) {
        p = hk_heap_malloc_slow(sh, hk_size_class(size));
        if (p) {
            s = hk_slab_of(p);
            if (zero)
                memset(p, 0, n);
        }
    } else if (size > HK_MID_MAX || align > HK_SLAB_SIZE) {
        p = hk_large_malloc(n, align, 0, zero);
        if (p)
            hk_large_set_sampled(p);
    }
    if (p) {
        size_t block = s ? hk_class_size[s->cls] : hk_large_usable(p);
        uint64_t weight = hk_sample_weight_fx(n, hk_profile_rate);
        uint32_t stack = have_id ? id : hk_stack_profile_id(fp);
        hk_event_alloc(p, n, block, s, weight, stack);
        hk_profsum_alloc(p, n, weight, stack);
    }
    in_profiler = false;
    return p;
}

void *hk_profile_malloc(size_t n, size_t size, size_t align, bool zero, void *fp)
{
    return profile_malloc(n, size, align, zero, fp, false, 0);
}

void *hk_profile_malloc_id(size_t n, uint32_t stack)
{
    return profile_malloc(n, n, 0, false, NULL, true, stack);
}

void hk_profile_freed(const void *p, hk_slab *s)
{
    hk_event_free(p, s, next_free_reason);
    hk_profsum_free(p);
    next_free_reason = HAKMEM_FREE_FREE;
}

void hk_profile_realloc_next(void)
{
    next_free_reason = HAKMEM_FREE_REALLOC;
}

bool hk_profile_is_sampled(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    unsigned kind = hk_chunk_kind(a);
    if (kind == HK_CHUNK_SS) {
        hk_heap *o = atomic_load_explicit(&hk_slab_of(p)->owner, memory_order_relaxed);
        return o && o->sampled;
    }
    return (kind == HK_CHUNK_LARGE_HEAD || kind == HK_CHUNK_LARGE) && hk_large_sampled(p);
}
