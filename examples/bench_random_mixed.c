/* bench_random_mixed.c — the seed's workload: random malloc/free of 16..1040 B
 * over WS slots; prints ops/s and, under hakmem, the SuperSlab/LRU counters. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include "hkstats.h"

#define USAGE "bench_random_mixed [ITERS] [WS] [SEED]"

/* Runs the loop: a random slot is freed when full, else filled with 16..1040 B. */
static void run(void **slots, uint64_t iters, uint64_t ws, uint64_t seed)
{
    uint64_t rng = seed;
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t r = hk_rand(&rng);
        uint64_t slot = r % ws;
        if (slots[slot] != NULL) {
            free(slots[slot]);
            slots[slot] = NULL;
        } else {
            size_t size = 16 + (size_t)((r >> 32) % 1025);
            unsigned char *p = malloc(size);
            if (p == NULL) {
                fprintf(stderr, "bench_random_mixed: malloc(%zu) returned NULL,"
                                " expected a block\n", size);
                exit(1);
            }
            p[0] = (unsigned char)i;
            p[size / 2] = (unsigned char)slot;
            p[size - 1] = (unsigned char)size;
            slots[slot] = p;
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t iters = 1000000, ws = 256, seed = 42;
    struct hakmem_stats st;

    hk_arg_max(argc, argv, 3, USAGE);
    hk_arg_u64(argc, argv, 1, "ITERS", 1, UINT64_C(1) << 40, &iters);
    hk_arg_u64(argc, argv, 2, "WS", 1, UINT64_C(1) << 26, &ws);
    hk_arg_u64(argc, argv, 3, "SEED", 0, UINT64_MAX, &seed);

    void **slots = calloc((size_t)ws, sizeof *slots);
    if (slots == NULL) {
        fprintf(stderr, "bench_random_mixed: calloc of %llu slots failed\n",
                (unsigned long long)ws);
        return 1;
    }
    double t0 = hk_now();
    run(slots, iters, ws, seed);
    double t = hk_now() - t0;
    for (uint64_t i = 0; i < ws; i++)
        free(slots[i]);
    free(slots);

    int have = hk_stats_snap(&st);
    printf("bench_random_mixed: %llu iters ws=%llu seed=%llu: %.0f ops/s (%.3f s)\n",
           (unsigned long long)iters, (unsigned long long)ws, (unsigned long long)seed,
           t > 0 ? (double)iters / t : 0.0, t);
    if (have)
        hk_stats_print_line(stdout, &st);
    fflush(stdout); /* before an exit-time HAKMEM_STATS=1 summary on stderr */
    return 0;
}
