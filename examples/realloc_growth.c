/* realloc_growth.c — grow NBUF buffers side by side from nothing to MAX_MB by
 * STEP_KB with realloc, then one buffer to BIG_MB, touching every new byte and
 * checking that what was written survived each move; ROUNDS times. Interleaving
 * the buffers keeps an allocator from always extending in place. Prints the
 * seconds, the reallocs per second, peak RSS and, under hakmem, its counters. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <sys/resource.h>
#include "hkstats.h"

#define USAGE "realloc_growth [NBUF] [MAX_MB] [BIG_MB] [STEP_KB] [ROUNDS]"
#define MAX_BUF 64

/* The byte written at offset off of buffer b: checkable after any move. */
static unsigned char tag(size_t b, size_t off)
{
    return (unsigned char)(b * 131 + (off >> 12) * 7 + 1);
}

/* Grows buffer b from *len to len + step: realloc, check the old tail's
 * page tags moved with it, fill the new bytes. */
static unsigned char *grow(unsigned char *p, size_t b, size_t *len, size_t step)
{
    size_t old = *len, n = old + step;
    unsigned char *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "realloc_growth: realloc(%p, %zu) returned NULL, expected a block\n",
                (void *)p, n);
        exit(1);
    }
    if (old > 0 && (q[0] != tag(b, 0) || q[old - 1] != tag(b, old - 1))) {
        fprintf(stderr, "realloc_growth: buffer %zu lost its contents growing %zu → %zu B"
                        " (expected 0x%02x/0x%02x, got 0x%02x/0x%02x)\n", b, old, n,
                tag(b, 0), tag(b, old - 1), q[0], q[old - 1]);
        exit(1);
    }
    /* One memset per 4 KiB page of new bytes, each with that page's tag. */
    for (size_t off = old; off < n;) {
        size_t end = (off | 4095) + 1;
        if (end > n)
            end = n;
        memset(q + off, tag(b, off), end - off);
        off = end;
    }
    *len = n;
    return q;
}

/* Checks every page's tag of buffer b of len bytes. */
static void check(const unsigned char *p, size_t b, size_t len)
{
    for (size_t off = 0; off < len; off += 4096) {
        if (p[off] != tag(b, off)) {
            fprintf(stderr, "realloc_growth: buffer %zu byte %zu: expected 0x%02x, got 0x%02x\n",
                    b, off, tag(b, off), p[off]);
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    uint64_t nbuf = 4, max_mb = 64, big_mb = 512, step_kb = 4, rounds = 1, reallocs = 0;
    unsigned char *buf[MAX_BUF] = { 0 };
    size_t len[MAX_BUF] = { 0 };
    struct hakmem_stats st;
    struct rusage ru;

    hk_arg_max(argc, argv, 5, USAGE);
    hk_arg_u64(argc, argv, 1, "NBUF", 0, MAX_BUF, &nbuf);
    hk_arg_u64(argc, argv, 2, "MAX_MB", 1, 1 << 16, &max_mb);
    hk_arg_u64(argc, argv, 3, "BIG_MB", 0, 1 << 16, &big_mb);
    hk_arg_u64(argc, argv, 4, "STEP_KB", 1, 1 << 20, &step_kb);
    hk_arg_u64(argc, argv, 5, "ROUNDS", 1, 1000, &rounds);
    size_t step = (size_t)step_kb << 10, max = (size_t)max_mb << 20, big = (size_t)big_mb << 20;

    double t0 = hk_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (size_t target = step; target <= max; target += step) {
            for (size_t b = 0; b < nbuf; b++) {
                buf[b] = grow(buf[b], b, &len[b], step);
                reallocs++;
            }
        }
        for (size_t b = 0; b < nbuf; b++) {
            check(buf[b], b, len[b]);
            free(buf[b]);
            buf[b] = NULL;
            len[b] = 0;
        }
        if (big > 0) {
            unsigned char *p = NULL;
            size_t n = 0;
            while (n + step <= big) {
                p = grow(p, MAX_BUF, &n, step);
                reallocs++;
            }
            check(p, MAX_BUF, n);
            free(p);
        }
    }
    double t = hk_now() - t0;

    getrusage(RUSAGE_SELF, &ru);
    int have = hk_stats_snap(&st);
    printf("realloc_growth: nbuf=%llu max_mb=%llu big_mb=%llu step_kb=%llu rounds=%llu:"
           " %.0f reallocs/s (%.3f s) peak_rss_kb=%ld\n",
           (unsigned long long)nbuf, (unsigned long long)max_mb, (unsigned long long)big_mb,
           (unsigned long long)step_kb, (unsigned long long)rounds,
           t > 0 ? (double)reallocs / t : 0.0, t, ru.ru_maxrss);
    if (have)
        hk_stats_print_line(stdout, &st);
    fflush(stdout);
    return 0;
}
