/* phases.c — fill / free-all / refill rounds of mixed 16..1024 B blocks; per round the
 * new SuperSlab maps, LRU hits, stage 0.5 hits and RSS show whether refills recycle.
 * With IDLE_SEC, it then sleeps without an allocator call and prints its RSS. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <unistd.h>
#include "hkstats.h"

#define USAGE "phases [NBLOCKS] [ROUNDS] [IDLE_SEC]"
#define SEED 0x5EEDull

/* Size of block i of a round: the same deterministic sequence every round. */
static size_t block_size(uint64_t *rng)
{
    return 16 + (size_t)(hk_rand(rng) % 1009);
}

/* Fills v[0..n) with blocks, first and last byte tagged by the index. */
static void fill(void **v, size_t *sz, size_t n)
{
    uint64_t rng = SEED;
    for (size_t i = 0; i < n; i++) {
        size_t size = block_size(&rng);
        unsigned char *p = malloc(size);
        if (p == NULL) {
            fprintf(stderr, "phases: malloc(%zu) #%zu returned NULL, expected a block\n",
                    size, i);
            exit(1);
        }
        p[0] = (unsigned char)i;
        p[size - 1] = (unsigned char)(i >> 8);
        v[i] = p;
        sz[i] = size;
    }
}

/* Checks the tags of v[0..n) and frees them all. */
static void drain(void **v, const size_t *sz, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = v[i];
        if (p[0] != (unsigned char)i || p[sz[i] - 1] != (unsigned char)(i >> 8)) {
            fprintf(stderr, "phases: block #%zu (%zu B) at %p: expected tags 0x%02x 0x%02x,"
                            " got 0x%02x 0x%02x\n", i, sz[i], (void *)p,
                    (unsigned)(i & 0xff), (unsigned)((i >> 8) & 0xff), p[0], p[sz[i] - 1]);
            exit(1);
        }
        free(p);
    }
}

/* One round: fill, measure, free; prints its line and returns its new maps. */
static uint64_t round_run(int r, void **v, size_t *sz, size_t n, int have)
{
    struct hakmem_stats a, b;
    hk_stats_snap(&a);
    double t0 = hk_now();
    fill(v, sz, n);
    long rss_full = hk_status_kb("VmRSS");
    drain(v, sz, n);
    double t = hk_now() - t0;
    hk_stats_snap(&b);
    uint64_t maps = b.ss_maps - a.ss_maps;
    if (have)
        printf("round %d: new_maps=%llu lru_pop_hit=%llu stage0_5_hits=%llu ", r,
               (unsigned long long)maps,
               (unsigned long long)(b.lru_pop_hit - a.lru_pop_hit),
               (unsigned long long)(b.stage_hit[HAKMEM_STAGE_0_5] -
                                    a.stage_hit[HAKMEM_STAGE_0_5]));
    else
        printf("round %d: ", r);
    long rss_freed = hk_status_kb("VmRSS");
    printf("peak_rss_kb=%ld rss_full_kb=%ld rss_freed_kb=%ld (%.3f s)\n",
           hk_status_kb("VmHWM"), rss_full, rss_freed, t);
    return maps;
}

int main(int argc, char **argv)
{
    uint64_t n = 200000, rounds = 3, refill_maps = 0;
    struct hakmem_stats st;

    uint64_t idle = 0;
    hk_arg_max(argc, argv, 3, USAGE);
    hk_arg_u64(argc, argv, 1, "NBLOCKS", 1, UINT64_C(1) << 28, &n);
    hk_arg_u64(argc, argv, 2, "ROUNDS", 1, 1000, &rounds);
    hk_arg_u64(argc, argv, 3, "IDLE_SEC", 0, 3600, &idle);
    void **v = calloc((size_t)n, sizeof *v);
    size_t *sz = calloc((size_t)n, sizeof *sz);
    if (v == NULL || sz == NULL) {
        fprintf(stderr, "phases: calloc of 2 x %llu entries failed\n", (unsigned long long)n);
        return 1;
    }
    int have = hk_stats_snap(&st);
    for (uint64_t r = 1; r <= rounds; r++) {
        uint64_t maps = round_run((int)r, v, sz, (size_t)n, have);
        if (r > 1)
            refill_maps += maps;
    }
    if (have)
        printf("phases: rounds=%llu refill_new_maps=%llu\n", (unsigned long long)rounds,
               (unsigned long long)refill_maps);
    else
        printf("phases: rounds=%llu refill_new_maps=n/a (hakmem not loaded)\n",
               (unsigned long long)rounds);
    free(sz);
    free(v);
    if (idle) {
        /* Idle, no allocator call: cached memory must still go back (TTL). */
        sleep((unsigned)idle);
        printf("idle %llu s: rss_kb=%ld", (unsigned long long)idle, hk_status_kb("VmRSS"));
        if (have && hk_stats_snap(&st))
            printf(" ss_cached=%llu lru_evict_ttl=%llu", (unsigned long long)st.ss_cached,
                   (unsigned long long)st.lru_evict_ttl);
        printf("\n");
    }
    return 0;
}
