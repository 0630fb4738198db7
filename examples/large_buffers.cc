/* large_buffers.cc — big zeroed buffers: ALLOCS allocations of 5..25 MiB, each
 * zero-filled by the program (new char[n]()), at most LIVE alive; once LIVE are
 * held each new buffer replaces a random one (fixed seed). The shape of the
 * allocator benchmarks' "big buffers" test. Prints allocs/s, the number of
 * allocations (for maps per 1000 allocations) and peak RSS. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/resource.h>
#include <new>
#include "hkstats.h"

#define USAGE "large_buffers [ALLOCS] [LIVE] [SEED]"
#define MIN_MB 5
#define MAX_MB 25

int main(int argc, char **argv)
{
    uint64_t nallocs = 2000, live = 20, seed = 42;
    hk_arg_max(argc, argv, 3, USAGE);
    hk_arg_u64(argc, argv, 1, "ALLOCS", 1, UINT64_C(1) << 32, &nallocs);
    hk_arg_u64(argc, argv, 2, "LIVE", 1, 1000, &live);
    hk_arg_u64(argc, argv, 3, "SEED", 0, UINT64_MAX, &seed);

    char **slot = new char *[live]();
    size_t *size = new size_t[live]();
    uint64_t rng = seed, sum = 0;
    double t0 = hk_now();
    for (uint64_t i = 0; i < nallocs; i++) {
        uint64_t r = hk_rand(&rng);
        size_t k = i < live ? (size_t)i : (size_t)(r % live);
        size_t n = ((size_t)MIN_MB << 20) + (size_t)((r >> 24) % ((size_t)(MAX_MB - MIN_MB) << 20));
        if (slot[k] != nullptr) {
            if (slot[k][0] != 0 || slot[k][size[k] - 1] != (char)k) {
                fprintf(stderr, "large_buffers: buffer %zu lost its contents\n", k);
                return 1;
            }
            delete[] slot[k];
        }
        char *p = new char[n]();
        sum += (unsigned char)p[n / 2]; /* 0: the buffer was zeroed */
        p[n - 1] = (char)k;
        slot[k] = p;
        size[k] = n;
    }
    double t = hk_now() - t0;
    for (size_t k = 0; k < live; k++)
        delete[] slot[k];
    delete[] slot;
    delete[] size;
    if (sum != 0) {
        fprintf(stderr, "large_buffers: a new buffer was not zero-filled\n");
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("large_buffers: allocs=%llu live=%llu seed=%llu: %.1f allocs/s (%.3f s) peak_rss_kb=%ld\n",
           (unsigned long long)nallocs, (unsigned long long)live, (unsigned long long)seed,
           t > 0 ? (double)nallocs / t : 0.0, t, ru.ru_maxrss);
    struct hakmem_stats st;
    if (hk_stats_snap(&st))
        hk_stats_print_line(stdout, &st);
    return 0;
}
