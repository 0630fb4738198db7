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
 * its slow path. */
#include "heapcheck.h"

#define GRAIN 64 /* bytes: allocations this size and up are sampled alike */

static bool on;
static uint64_t mean;   /* the countdown's mean, bytes: N · GRAIN (0: N = 1) */
static size_t largest;  /* HAKMEM_GUARD_SAMPLE_MAX */

void hk_guard_sample_init(void)
{
    uint64_t n = (uint64_t)hk_opt[HK_OPT_GUARD_SAMPLE];
    HK_ASSERTF(n > 0, "guard sample rate %llu", (unsigned long long)n);
    mean = n > 1 ? n * GRAIN : 0;
    largest = (size_t)hk_opt[HK_OPT_GUARD_SAMPLE_MAX];
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
    if (n > largest)
        return false;
    return !mean || n <= GRAIN || below(t, n) < GRAIN;
}

void *hk_guard_sample_malloc(size_t n, size_t align, bool zero)
{
    return hk_guard_malloc(n, align, zero, HK_API_MALLOC);
}
