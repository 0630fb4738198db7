/* pinned.c — the seed's pathology made deterministic: one live 32 B block pins each
 * SuperSlab; then a 256 B phase shows whether EMPTY slabs are reused or new maps made. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include "hkstats.h"

#define USAGE "pinned [NSS]"
#define SS_BYTES (2u << 20)                 /* one SuperSlab: 2 MiB */
#define SLAB_BYTES (64u << 10)              /* one slab: 64 KiB */
#define SLABS_PER_SS (SS_BYTES / SLAB_BYTES) /* 32 */
#define SMALL 32                            /* phase 1 block size (class 1) */
#define BIG 256                             /* phase 2 block size */
#define BLOCKS_PER_SS 65536u                /* 32 B blocks in a SuperSlab: 2 MiB / 32 B */
#define BIG_PER_SLAB (SLAB_BYTES / BIG)     /* 256 */

/* Allocates n blocks of size bytes into v, tagging each with its index. */
static void alloc_all(void **v, size_t n, size_t size)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = malloc(size);
        if (p == NULL) {
            fprintf(stderr, "pinned: malloc(%zu) #%zu returned NULL, expected a block\n",
                    size, i);
            exit(1);
        }
        memset(p, (int)(i & 0xff), size);
        memcpy(p, &i, sizeof i);
        v[i] = p;
    }
}

/* Checks the tag written by alloc_all, then frees v[i]. */
static void check_free(void **v, size_t i, size_t size)
{
    size_t tag;
    unsigned char *p = v[i];
    memcpy(&tag, p, sizeof tag);
    if (tag != i || p[size - 1] != (unsigned char)(i & 0xff)) {
        fprintf(stderr, "pinned: block #%zu of %zu B at %p: expected tag %zu/0x%02zx,"
                        " got %zu/0x%02x\n", i, size, (void *)p, i, i & 0xff, tag,
                p[size - 1]);
        exit(1);
    }
    free(p);
    v[i] = NULL;
}

/* Phase 1: fill nss SuperSlabs of 32 B blocks, keep the first of each group. */
static void phase1(void **small, size_t nsmall)
{
    alloc_all(small, nsmall, SMALL);
    for (size_t i = 0; i < nsmall; i++)
        if (i % BLOCKS_PER_SS != 0)
            check_free(small, i, SMALL);
}

int main(int argc, char **argv)
{
    uint64_t nss = 4;
    struct hakmem_stats s0, s1, s2;

    hk_arg_max(argc, argv, 1, USAGE);
    hk_arg_u64(argc, argv, 1, "NSS", 1, 1024, &nss);
    size_t nsmall = (size_t)nss * BLOCKS_PER_SS;
    size_t nbig = (size_t)nss * (SLABS_PER_SS / 2) * BIG_PER_SLAB;
    void **small = calloc(nsmall, sizeof *small);
    void **big = calloc(nbig, sizeof *big);
    if (small == NULL || big == NULL) {
        fprintf(stderr, "pinned: calloc of %zu + %zu pointers failed\n", nsmall, nbig);
        return 1;
    }

    int have = hk_stats_snap(&s0);
    double t0 = hk_now();
    phase1(small, nsmall);
    double t1 = hk_now();
    hk_stats_snap(&s1);
    alloc_all(big, nbig, BIG);
    double t2 = hk_now();
    hk_stats_snap(&s2);

    /* maps=A is the total after phase 1; new_maps and stage0_5_hits are phase 2 deltas */
    if (have)
        printf("pinned: phase1 maps=%llu phase2 new_maps=%llu stage0_5_hits=%llu\n",
               (unsigned long long)s1.ss_maps,
               (unsigned long long)(s2.ss_maps - s1.ss_maps),
               (unsigned long long)(s2.stage_hit[HAKMEM_STAGE_0_5] -
                                    s1.stage_hit[HAKMEM_STAGE_0_5]));
    else
        printf("pinned: hakmem not loaded\n");
    printf("pinned: nss=%llu phase1 %zu x %d B (%.3f s) phase2 %zu x %d B (%.3f s)\n",
           (unsigned long long)nss, nsmall, SMALL, t1 - t0, nbig, BIG, t2 - t1);

    for (size_t i = 0; i < nbig; i++)
        check_free(big, i, BIG);
    for (size_t i = 0; i < nsmall; i += BLOCKS_PER_SS)
        check_free(small, i, SMALL);
    free(big);
    free(small);
    return 0;
}
