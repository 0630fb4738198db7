/* midmix.c — bench_random_mixed's loop on mid sizes: a random slot of WS is freed
 * when full, else filled with a block of 1 B..64 KiB (uniform), written once per
 * 4 KiB and at its last byte (so peak RSS counts every page a block spans, as
 * in a program that uses what it asks for). Prints ops/s (one op = one malloc or one free),
 * peak RSS and, under hakmem, its counters. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <sys/resource.h>
#include "hkstats.h"

#define USAGE "midmix [ITERS] [WS] [SEED]"
#define MAX_SIZE 65536

static void run(unsigned char **slots, uint64_t iters, uint64_t ws, uint64_t seed)
{
    uint64_t rng = seed;
    for (uint64_t i = 0; i < iters; i++) {
        uint64_t r = hk_rand(&rng);
        uint64_t slot = r % ws;
        unsigned char *p = slots[slot];
        if (p != NULL) {
            if (p[0] != (unsigned char)slot) {
                fprintf(stderr, "midmix: slot %llu at %p: expected tag 0x%02x, got 0x%02x\n",
                        (unsigned long long)slot, (void *)p, (unsigned)(slot & 0xff), p[0]);
                exit(1);
            }
            free(p);
            slots[slot] = NULL;
        } else {
            size_t size = 1 + (size_t)((r >> 32) % MAX_SIZE);
            p = malloc(size);
            if (p == NULL) {
                fprintf(stderr, "midmix: malloc(%zu) returned NULL, expected a block\n", size);
                exit(1);
            }
            for (size_t off = 4096; off < size; off += 4096)
                p[off] = (unsigned char)i;
            p[size - 1] = (unsigned char)size;
            p[0] = (unsigned char)slot;
            slots[slot] = p;
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t iters = 10000000, ws = 2048, seed = 42;
    struct hakmem_stats st;
    struct rusage ru;

    hk_arg_max(argc, argv, 3, USAGE);
    hk_arg_u64(argc, argv, 1, "ITERS", 1, UINT64_C(1) << 40, &iters);
    hk_arg_u64(argc, argv, 2, "WS", 1, UINT64_C(1) << 26, &ws);
    hk_arg_u64(argc, argv, 3, "SEED", 0, UINT64_MAX, &seed);

    unsigned char **slots = calloc((size_t)ws, sizeof *slots);
    if (slots == NULL) {
        fprintf(stderr, "midmix: calloc of %llu slots failed\n", (unsigned long long)ws);
        return 1;
    }
    double t0 = hk_now();
    run(slots, iters, ws, seed);
    double t = hk_now() - t0;
    for (uint64_t i = 0; i < ws; i++)
        free(slots[i]);
    free(slots);

    getrusage(RUSAGE_SELF, &ru);
    int have = hk_stats_snap(&st);
    printf("midmix: %llu iters ws=%llu seed=%llu: %.0f ops/s (%.3f s) peak_rss_kb=%ld\n",
           (unsigned long long)iters, (unsigned long long)ws, (unsigned long long)seed,
           t > 0 ? (double)iters / t : 0.0, t, ru.ru_maxrss);
    if (have)
        hk_stats_print_line(stdout, &st);
    fflush(stdout);
    return 0;
}
