/* reclaim.c — test workload: memory the program freed goes back to the
 * system, run under LD_PRELOAD by tests/integration/reclaim.sh.
 *
 *   reclaim enomem  6400 blocks of 32 KiB allocated and freed, then one
 *                   malloc of 150 MiB (and with a second argument the
 *                   churn again and 100 MiB aligned to 64 MiB): the script
 *                   sets ulimit -v, so only memory the allocator gave back
 *                   fits
 *   reclaim enomem_small  2 MiB blocks until malloc fails (under the
 *                   script's ulimit -v), the last 20 freed (into the large
 *                   cache), then 30 MiB in 32 KiB blocks: new SuperSlabs
 *                   that fit only once the cached mappings go back
 *   reclaim enomem_class  32 KiB blocks until malloc fails, every other
 *                   slab's freed, then 1000 blocks of 1 KiB: with
 *                   HAKMEM_SS_EMPTY_REUSE=0 too, an EMPTY slab of another
 *                   class is reformatted rather than malloc failing
 *   reclaim rss     200 MiB in 32 KiB blocks (written), freed: VmRSS must
 *                   drop to within a bound of what it was before, within
 *                   1 s (no malloc_trim)
 *   reclaim rss_large  the same with 48 blocks of 1 MiB (the large cache)
 *
 * Prints one line of figures, then "reclaim ok", and exits 0 when the check
 * holds; "FAIL: ..." and exit status 1 otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BLOCK = 32 << 10, COUNT = 6400 }; /* 200 MiB */
static void *blk[COUNT];

/* A memset the compiler cannot drop as a dead store before free. */
static void *(*volatile memset_v)(void *, int, size_t) = memset;

/* VmRSS of this process in KiB, or -1. */
static long vm_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Allocates and writes COUNT blocks, then frees them all; false when a
 * malloc failed. */
static int churn(void)
{
    for (int i = 0; i < COUNT; i++) {
        if (!(blk[i] = malloc(BLOCK))) {
            printf("FAIL: malloc(%d) number %d: expected a block, got NULL (errno %d)\n", BLOCK, i, errno);
            return 0;
        }
        memset_v(blk[i], i & 0xff, BLOCK);
    }
    for (int i = 0; i < COUNT; i++)
        free(blk[i]);
    return 1;
}

static int enomem(int huge_aligned)
{
    if (!churn())
        return 1;
    errno = 0;
    char *big = malloc(150 << 20);
    if (!big) {
        printf("FAIL: malloc(150 MiB) after freeing 200 MiB: expected a block, got NULL (errno %d)\n", errno);
        return 1;
    }
    memset_v(big, 1, 150 << 20);
    free(big);
    printf("malloc(150 MiB) after freeing %d x %d B: ok\n", COUNT, BLOCK);
    if (huge_aligned) {
        /* The aligned block over-maps by its alignment: it fits only once
         * the SuperSlabs cached by the churn go back. */
        if (!churn())
            return 1;
        void *p = NULL;
        int rc = posix_memalign(&p, 64 << 20, 100 << 20);
        if (rc) {
            printf("FAIL: posix_memalign(64 MiB, 100 MiB) after freeing: expected 0, got %d\n", rc);
            return 1;
        }
        memset_v(p, 2, 100 << 20);
        free(p);
        printf("posix_memalign(64 MiB, 100 MiB) after freeing: ok\n");
    }
    return 0;
}

static int enomem_small(void)
{
    enum { MAXL = 4096, FREED = 20, SMALL = 960 };
    static void *large[MAXL];
    int n = 0;
    while (n < MAXL && (large[n] = malloc(2 << 20)))
        n++;
    if (n < 2 * FREED || n == MAXL) {
        printf("FAIL: 2 MiB blocks until malloc fails: expected 40 to %d under ulimit -v, got %d\n", MAXL - 1, n);
        return 1;
    }
    for (int i = n - FREED; i < n; i++)
        free(large[i]);
    int got = 0;
    while (got < SMALL && (blk[got] = malloc(BLOCK)))
        memset_v(blk[got++], 3, BLOCK);
    int err = errno;
    for (int i = 0; i < got; i++)
        free(blk[i]);
    for (int i = 0; i < n - FREED; i++)
        free(large[i]);
    if (got < SMALL) {
        printf("FAIL: %d x %d B after freeing %d of %d 2 MiB blocks: expected every malloc to succeed, "
               "got NULL at %d (errno %d)\n", SMALL, BLOCK, FREED, n, got, err);
        return 1;
    }
    printf("%d x %d B after filling the address space with %d x 2 MiB and freeing %d: ok\n", SMALL, BLOCK, n,
           FREED);
    return 0;
}

static int enomem_class(void)
{
    enum { MAXB = 1 << 15, SMALL = 1000 };
    static void *b[MAXB], *small[SMALL];
    int n = 0;
    while (n < MAXB && (b[n] = malloc(BLOCK)))
        n++;
    if (n < 1000 || n == MAXB) {
        printf("FAIL: 32 KiB blocks until malloc fails: expected 1000 to %d under ulimit -v, got %d\n", MAXB - 1, n);
        return 1;
    }
    for (int i = 0; i < n; i++) /* two blocks a slab: every other slab EMPTY */
        if ((i / 2) % 2) {
            free(b[i]);
            b[i] = NULL;
        }
    int got = 0;
    while (got < SMALL && (small[got] = malloc(1000)))
        memset_v(small[got++], 4, 1000);
    int err = errno;
    for (int i = 0; i < got; i++)
        free(small[i]);
    for (int i = 0; i < n; i++)
        free(b[i]);
    if (got < SMALL) {
        printf("FAIL: %d x 1000 B with the address space full of 32 KiB slabs, half of them EMPTY: expected "
               "every malloc to succeed, got NULL at %d (errno %d)\n", SMALL, got, err);
        return 1;
    }
    printf("%d x 1000 B after %d x 32 KiB filled the address space and half were freed: ok\n", SMALL, n);
    return 0;
}

/* count blocks of size bytes, written, then freed: VmRSS must come back to
 * within bound_kb of where it was, within 1 s. */
static int rss(size_t size, int count, long bound_kb)
{
    long before = vm_rss_kb();
    for (int i = 0; i < count; i++) {
        if (!(blk[i] = malloc(size))) {
            printf("FAIL: malloc(%zu): expected a block, got NULL\n", size);
            return 1;
        }
        memset_v(blk[i], i & 0xff, size);
    }
    long peak = vm_rss_kb();
    for (int i = 0; i < count; i++)
        free(blk[i]);
    long after = vm_rss_kb(), settled = after;
    int waited_ms = 0, within_ms = after - before <= bound_kb ? 0 : -1;
    struct timespec tick = { 0, 50 * 1000000 };
    while (waited_ms < 1000) {
        nanosleep(&tick, NULL);
        waited_ms += 50;
        settled = vm_rss_kb();
        if (within_ms < 0 && settled - before <= bound_kb)
            within_ms = waited_ms;
    }
    printf("%d x %zu B: VmRSS before %ld kB, allocated %ld kB, just freed %ld kB, within the bound after %d ms, "
           "%ld kB after 1 s (bound: before + %ld kB)\n", count, size, before, peak, after, within_ms, settled,
           bound_kb);
    if (before < 0 || settled - before > bound_kb) {
        printf("FAIL: VmRSS 1 s after freeing %zu MiB: expected <= %ld kB, got %ld kB\n",
               (size_t)count * size >> 20, before + bound_kb, settled);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc;
    if (argc >= 2 && strcmp(argv[1], "enomem") == 0)
        rc = enomem(argc > 2);
    else if (argc >= 2 && strcmp(argv[1], "enomem_small") == 0)
        rc = enomem_small();
    else if (argc >= 2 && strcmp(argv[1], "enomem_class") == 0)
        rc = enomem_class();
    else if (argc >= 2 && strcmp(argv[1], "rss") == 0)
        rc = rss(BLOCK, COUNT, argc > 2 ? atol(argv[2]) : 16384);
    else if (argc >= 2 && strcmp(argv[1], "rss_large") == 0) /* within the large cache's 64 MiB */
        rc = rss(1 << 20, 48, argc > 2 ? atol(argv[2]) : 8192);
    else {
        fprintf(stderr, "usage: %s enomem [aligned] | enomem_small | enomem_class | rss [BOUND_KB] | rss_large [BOUND_KB]\n", argv[0]);
        return 2;
    }
    if (!rc)
        puts("reclaim ok");
    return rc;
}
