/* guardsample.c — sampled guards (HAKMEM_GUARD_SAMPLE): which allocations at
 * HAKMEM_CHECK=1 go to one of guard.c's few guarded slots (GWP-ASan's idea).
 *
 * The decision rides on the heap profiler's byte countdown (profile.c), so
 * malloc's fast path has nothing of its own: with profiling off, hk_tls.left
 * counts down bytes drawn uniformly with mean N · GRAIN instead of parking,
 * and the allocation that takes it below 0 reaches hk_guard_sample_due. An
 * allocation of n bytes holds such a point with odds about n / (N · GRAIN);
 * one above GRAIN bytes is then kept with odds GRAIN / n, so that every
 * allocation of GRAIN to HAKMEM_GUARD_SAMPLE_MAX bytes is sampled with odds
 * 1/N (smaller ones n / (N · GRAIN)). N = 1 keeps the countdown below 0:
 * every allocation up to the largest is sampled while a slot is free.
 * The free of a sampled block needs no test either: the slots' region is a
 * guard chunk, which the free fast path's chunk-map test already sends to
 * its slow path.
 *
 * Each sample costs two system calls (guard.c's: open at the allocation,
 * close at the free, with a TLB shootdown when other threads run), tens of
 * microseconds each on a virtual machine: a program allocating 20 million
 * blocks a second would spend a sixth of its time in them. So samples are
 * at least HAKMEM_GUARD_SAMPLE_GAP apart in the process (1 ms: at most 1000
 * a second), told by the clock only when the draw says sample. */
#include "heapcheck.h"

#define GRAIN 64 /* bytes: allocations this size and up are sampled alike */

static bool on;
static uint64_t mean;   /* the countdown's mean, bytes: N · GRAIN (0: N = 1) */
static size_t largest;  /* HAKMEM_GUARD_SAMPLE_MAX */
static uint64_t gap_ns; /* HAKMEM_GUARD_SAMPLE_GAP; 0 at N = 1 */
static _Atomic uint64_t next_ns; /* the earliest time of the next sample */

void hk_guard_sample_init(void)
{
    uint64_t n = (uint64_t)hk_opt[HK_OPT_GUARD_SAMPLE];
    HK_ASSERTF(n > 0, "guard sample rate %llu", (unsigned long long)n);
    mean = n > 1 ? n * GRAIN : 0;
    largest = (size_t)hk_opt[HK_OPT_GUARD_SAMPLE_MAX];
    gap_ns = n > 1 ? (uint64_t)hk_opt[HK_OPT_GUARD_SAMPLE_GAP] * 1000u : 0;
    on = true;
}

/* A draw below bound (> 0) from the thread's PRNG. */
static uint64_t below(struct hk_tls *t, uint64_t bound)
{
    return (uint64_t)(((unsigned __int128)hk_sample_rand(&t->rng) * bound) >> 64);
}

/* The next countdown as hk_tls.left holds it (minus one): uniform in
 * [0, 2 · mean - 1), whose mean is mean - 1; -1 at N = 1. */
static int64_t next_left(struct hk_tls *t)
{
    return mean ? (int64_t)below(t, 2 * mean - 1) : -1;
}

/* Whether HAKMEM_GUARD_SAMPLE_GAP has passed since the last sample, which
 * this one then is (two threads may both take one: the gap bounds the rate,
 * it need not be exact). */
static bool gap_passed(void)
{
    if (!gap_ns)
        return true;
    uint64_t now = hk_now_ns();
    if (now < atomic_load_explicit(&next_ns, memory_order_relaxed))
        return false;
    atomic_store_explicit(&next_ns, now + gap_ns, memory_order_relaxed);
    return true;
}

bool hk_guard_sample_due(int64_t *left, size_t n)
{
    struct hk_tls *t = &hk_tls;
    if (!on) {
        *left = (int64_t)HK_SAMPLE_MAX;
        return false;
    }
    if (HK_UNLIKELY(!t->rng)) { /* the thread's first draw: n is its first allocation */
        t->rng = hk_profile_seed();
        *left = next_left(t) - (int64_t)(n > HK_SAMPLE_MAX ? HK_SAMPLE_MAX : n);
        if (*left >= 0)
            return false;
    }
    *left = next_left(t);
    if (n > largest || (mean && n > GRAIN && below(t, n) >= GRAIN))
        return false;
    return gap_passed();
}

void *hk_guard_sample_malloc(size_t n, size_t align, bool zero)
{
    return hk_guard_malloc(n, align, zero, HK_API_MALLOC);
}
