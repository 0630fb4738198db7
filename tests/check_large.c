/* check_large.c — unit tests of lib/large.c through malloc/free/realloc above
 * 64 KiB: headers and chunk map, the mapping cache (split, grown, its bound), realloc
 * growth, aligned blocks. */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "event.h"
#include "heapcheck.h"

static long saved[HK_OPT_COUNT];

static void setup(void)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        saved[i] = hk_opt[i];
    hk_opt[HK_OPT_LARGE_CACHE_MB] = 64;
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 600;
}

static void teardown(void)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        hk_opt[i] = saved[i];
}

static struct hakmem_stats st0, st1;

static void snap(struct hakmem_stats *st)
{
    ck_assert_msg(hakmem_stats_get(st) == 0, "hakmem_stats_get: expected 0");
}

#define DELTA(f) ((long long)(st1.f - st0.f))

/* An internal counter that hakmem_stats does not report. */
#define CTR(f) atomic_load_explicit((_Atomic uint64_t *)&hk_ctr->f, memory_order_relaxed)

/* The compiler may not drop a malloc/free pair whose block goes here. */
static void *volatile sink;
/* A memset the compiler cannot drop as a dead store before free. */
static void *(*volatile memset_v)(void *, int, size_t) = memset;

/* Captures what fn wrote on file descriptor 2. */
static void capture_stderr(void (*fn)(void *), void *arg, char *out, size_t cap)
{
    int pfd[2];
    ck_assert_msg(pipe(pfd) == 0, "pipe: expected 0");
    int saved_fd = dup(2);
    dup2(pfd[1], 2);
    fn(arg);
    dup2(saved_fd, 2);
    close(saved_fd);
    close(pfd[1]);
    ssize_t n = read(pfd[0], out, cap - 1);
    close(pfd[0]);
    out[n > 0 ? n : 0] = '\0';
}

static const size_t sizes[] = { 65537, 65536 + 4096, 100000, 1 << 20, (3 << 20) + 1, 10 << 20,
                                (64 << 20) + 12345 };

START_TEST(test_large_blocks)
{
    size_t n = sizes[_i];
    snap(&st0);
    unsigned char *p = malloc(n);
    snap(&st1);
    ck_assert_msg(p != NULL, "malloc(%zu): expected a block, got NULL", n);
    ck_assert_msg((uintptr_t)p % 16 == 0, "malloc(%zu): expected 16-byte alignment, got %p", n,
                  (void *)p);
    size_t u = malloc_usable_size(p);
    ck_assert_msg(u >= n, "malloc(%zu): expected usable size >= %zu, got %zu", n, n, u);
    ck_assert_msg(u - n < (2u << 20), "malloc(%zu): expected less than 2 MiB of slack, got %zu", n,
                  u - n);
    uintptr_t hdr = ((uintptr_t)p - 1) & ~(uintptr_t)HK_SS_MASK;
    ck_assert_msg(hk_chunk_kind(hdr) == HK_CHUNK_LARGE_HEAD,
                  "malloc(%zu): expected the header chunk %p marked LARGE_HEAD, got %u", n,
                  (void *)hdr, hk_chunk_kind(hdr));
    ck_assert_msg(hk_large_owns(p) && hk_large_usable(p) == u,
                  "malloc(%zu): expected hk_large_owns and usable %zu, got %d and %zu", n, u,
                  hk_large_owns(p), hk_large_usable(p));
    if (u > HK_SS_SIZE)
        ck_assert_msg(hk_chunk_kind((uintptr_t)p + u - 1) == HK_CHUNK_LARGE,
                      "malloc(%zu): expected the last chunk marked LARGE, got %u", n,
                      hk_chunk_kind((uintptr_t)p + u - 1));
    ck_assert_msg(st1.large_live == st0.large_live + 1,
                  "malloc(%zu): expected large_live +1, got %llu -> %llu", n,
                  (unsigned long long)st0.large_live, (unsigned long long)st1.large_live);
    memset(p, 0xc3, u);
    ck_assert_msg(p[0] == 0xc3 && p[u - 1] == 0xc3, "malloc(%zu): expected the whole block writable",
                  n);
    volatile uintptr_t addr = (uintptr_t)p;
    snap(&st0);
    free(p);
    snap(&st1);
    ck_assert_msg(st1.large_live == st0.large_live - 1,
                  "free of %zu B: expected large_live -1, got %llu -> %llu", n,
                  (unsigned long long)st0.large_live, (unsigned long long)st1.large_live);
    ck_assert_msg(!hk_large_owns((void *)addr),
                  "after free: expected %p no longer a live large block", (void *)addr);
}
END_TEST

/* Growth to 256 MiB in 1000 steps of 256 KiB: contents kept, few system calls. */
START_TEST(test_realloc_growth)
{
    enum { STEPS = 1000 };
    const size_t step = 256 << 10, stride = 64 << 10;
    size_t n = step;
    uint64_t *p = malloc(n);
    ck_assert_msg(p != NULL, "malloc(%zu): expected a block", n);
    for (size_t off = 0; off < n; off += stride)
        p[off / 8] = off ^ 0x5555aaaa5555aaaaull;
    snap(&st0);
    unsigned moves = 0;
    for (int i = 1; i < STEPS; i++) {
        size_t m = n + step;
        uint64_t *q = realloc(p, m);
        ck_assert_msg(q != NULL, "step %d: realloc to %zu: expected a block, got NULL", i, m);
        moves += q != p;
        p = q;
        ck_assert_msg(p[0] == 0x5555aaaa5555aaaaull &&
                          p[(n - stride) / 8] == ((n - stride) ^ 0x5555aaaa5555aaaaull),
                      "step %d: realloc to %zu: expected the first and last old markers kept, got "
                      "0x%llx and 0x%llx",
                      i, m, (unsigned long long)p[0], (unsigned long long)p[(n - stride) / 8]);
        for (size_t off = n; off < m; off += stride)
            p[off / 8] = off ^ 0x5555aaaa5555aaaaull;
        n = m;
    }
    snap(&st1);
    for (size_t off = 0; off < n; off += stride)
        ck_assert_msg(p[off / 8] == (off ^ 0x5555aaaa5555aaaaull),
                      "after growth to %zu: expected the marker at %zu kept, got 0x%llx", n, off,
                      (unsigned long long)p[off / 8]);
    ck_assert_msg(n == (size_t)STEPS * step, "final size: expected %zu, got %zu",
                  (size_t)STEPS * step, n);
    ck_assert_msg(malloc_usable_size(p) >= n, "after growth: expected usable >= %zu, got %zu", n,
                  malloc_usable_size(p));
    free(p);
}
END_TEST

START_TEST(test_realloc_growth_syscalls)
{
    enum { STEPS = 1000 };
    const size_t step = 256 << 10;
    size_t n = step;
    char *p = malloc(n);
    ck_assert_msg(p != NULL, "malloc(%zu): expected a block", n);
    uint64_t remaps0 = CTR(large_remaps);
    snap(&st0);
    for (int i = 1; i < STEPS; i++) {
        n += step;
        p = realloc(p, n);
        ck_assert_msg(p != NULL, "realloc to %zu: expected a block", n);
        p[n - 1] = 1;
    }
    snap(&st1);
    long long remaps = (long long)(CTR(large_remaps) - remaps0);
    long long maps = DELTA(large_maps);
    ck_assert_msg(maps + remaps < 40,
                  "%d reallocs of +256 KiB: expected fewer than 40 maps + remaps, got %lld maps + "
                  "%lld remaps",
                  STEPS, maps, remaps);
    ck_assert_msg(remaps > 0, "growth to 250 MiB: expected some remaps, got 0");
    free(p);
}
END_TEST

/* Shrinking keeps the prefix. */
START_TEST(test_realloc_shrink)
{
    size_t n = 8 << 20;
    unsigned char *p = malloc(n);
    ck_assert_msg(p != NULL, "malloc(8 MiB): expected a block");
    for (size_t i = 0; i < n; i += 4096)
        p[i] = (unsigned char)(i >> 12);
    unsigned char *q = realloc(p, 1 << 20);
    ck_assert_msg(q != NULL, "realloc(8 MiB -> 1 MiB): expected a block");
    for (size_t i = 0; i < (1u << 20); i += 4096)
        ck_assert_msg(q[i] == (unsigned char)(i >> 12),
                      "shrink to 1 MiB: expected byte %zu = 0x%02x, got 0x%02x", i,
                      (unsigned char)(i >> 12), q[i]);
    ck_assert_msg(malloc_usable_size(q) >= (1u << 20) && malloc_usable_size(q) < (4u << 20),
                  "shrink to 1 MiB: expected usable in [1 MiB, 4 MiB), got %zu",
                  malloc_usable_size(q));
    unsigned char *r = realloc(q, 1000);
    ck_assert_msg(r != NULL && malloc_usable_size(r) < 65536,
                  "realloc(1 MiB -> 1000): expected a small block, got %p usable %zu", (void *)r,
                  r ? malloc_usable_size(r) : 0);
    for (size_t i = 0; i < 1000; i += 4096)
        ck_assert_msg(r[i] == (unsigned char)(i >> 12), "large -> small: expected the prefix kept");
    free(r);
}
END_TEST

START_TEST(test_cache_reuse)
{
    size_t n = 1 << 20;
    char *p = malloc(n);
    ck_assert_msg(p != NULL, "malloc(1 MiB): expected a block");
    p[0] = 1;
    sink = p;
    free(p);
    uint64_t reuse0 = CTR(large_reuse);
    snap(&st0);
    void *q = sink = malloc(n);
    snap(&st1);
    uint64_t reuse1 = CTR(large_reuse);
    ck_assert_msg(q != NULL, "malloc(1 MiB) again: expected a block");
    ck_assert_msg(DELTA(large_maps) == 0, "malloc after free of the same size: expected no new "
                  "mapping, got large_maps %+lld", DELTA(large_maps));
    ck_assert_msg(reuse1 - reuse0 == 1, "expected large_reuse +1, got %+lld",
                  (long long)(reuse1 - reuse0));
    ck_assert_msg(q == p, "cached mapping: expected the same block %p back, got %p", p, q);
    ck_assert_msg(malloc_usable_size(q) >= n, "reused mapping: expected usable >= %zu, got %zu", n,
                  malloc_usable_size(q));
    free(q);
}
END_TEST

/* A smaller request takes a larger cached mapping fitted to it: its chunks
 * past the request's are cached apart and serve the next request; freed,
 * the pieces merge again. */
START_TEST(test_cache_split_reuse)
{
    char *p = sink = malloc(8 << 20);
    ck_assert_msg(p != NULL, "malloc(8 MiB): expected a block");
    free(p);
    snap(&st0);
    char *q = sink = malloc(1800 << 10);
    char *r = sink = malloc(4 << 20);
    snap(&st1);
    ck_assert_msg(DELTA(large_maps) == 0,
                  "1800 KiB and 4 MiB with an 8 MiB mapping cached: expected no new mapping, got %+lld",
                  DELTA(large_maps));
    ck_assert_msg(q == p, "1800 KiB: expected the cached mapping's block %p, got %p", (void *)p, (void *)q);
    ck_assert_msg(malloc_usable_size(q) < HK_SS_SIZE,
                  "1800 KiB from an 8 MiB mapping: expected it cut to a chunk, got %zu usable",
                  malloc_usable_size(q));
    ck_assert_msg(r == p + HK_SS_SIZE, "4 MiB: expected the cached tail's block %p, got %p",
                  (void *)(p + HK_SS_SIZE), (void *)r);
    ck_assert_msg(hk_chunk_kind((uintptr_t)r - 1) == HK_CHUNK_LARGE_HEAD,
                  "the tail's chunk: expected a large head, got %u", hk_chunk_kind((uintptr_t)r - 1));
    memset_v(q, 1, 1800 << 10);
    memset_v(r, 2, 4 << 20);
    free(q);
    free(r);
    /* freed, head and tail merge again: one 8 MiB mapping serves 7 MiB */
    snap(&st0);
    char *w = sink = malloc(7 << 20);
    snap(&st1);
    ck_assert_msg(w == p && DELTA(large_maps) == 0,
                  "7 MiB after the pieces of the 8 MiB mapping were freed: expected them merged (block %p,"
                  " no new map), got %p and maps %+lld", (void *)p, (void *)w, DELTA(large_maps));
    free(w);
}
END_TEST

/* A larger request grows the largest smaller cached mapping where the
 * address space after it is free, else takes a new mapping: the cached one
 * is never moved (it stays cached at its address, its pages in place). */
START_TEST(test_cache_grow_reuse)
{
    unsigned char *p = sink = malloc(4 << 20);
    ck_assert_msg(p != NULL, "malloc(4 MiB): expected a block");
    memset_v(p, 0xcd, 4 << 20);
    free(p);
    uint64_t reuse0 = CTR(large_reuse);
    snap(&st0);
    unsigned char *q = sink = calloc(1, 9 << 20);
    snap(&st1);
    ck_assert_msg(q != NULL, "calloc(9 MiB): expected a block");
    struct hk_block_info bi;
    if (q == p)
        ck_assert_msg(DELTA(large_maps) == 0 && CTR(large_reuse) - reuse0 == 1,
                      "9 MiB grown from the 4 MiB mapping: expected no new map and one reuse, got maps %+lld"
                      " reuse %+lld", DELTA(large_maps), (long long)(CTR(large_reuse) - reuse0));
    else
        ck_assert_msg(DELTA(large_maps) == 1 && hk_large_check(p, &bi) == HK_BLOCK_FREED &&
                          st1.large_cached_bytes == st0.large_cached_bytes,
                      "9 MiB not grown in place: expected a new map and the 4 MiB mapping still cached"
                      " where it was, got maps %+lld, verdict %d, cached %llu -> %llu", DELTA(large_maps),
                      hk_large_check(p, &bi), (unsigned long long)st0.large_cached_bytes,
                      (unsigned long long)st1.large_cached_bytes);
    for (size_t i = 0; i < (9u << 20); i += 512)
        if (q[i] != 0)
            ck_abort_msg("calloc of a grown dirty mapping: expected zero at %zu, got 0x%02x", i, q[i]);
    free(q);
}
END_TEST

/* Adjacent mappings, freed, merge in the cache in place: a request as large
 * as both together takes them without a new mapping. */
START_TEST(test_cache_adjacent_merge)
{
    malloc_trim(0); /* both fresh: none cut from what the cache holds */
    char *p = sink = malloc(6 << 20), *q = sink = malloc(6 << 20);
    ck_assert_msg(p && q, "malloc(6 MiB) twice: expected blocks");
    char *lo = p < q ? p : q, *hi = p < q ? q : p;
    size_t span = (size_t)(hi - lo) + malloc_usable_size(hi), lo_usable = malloc_usable_size(lo);
    ck_assert_msg(hi == lo + lo_usable + HK_LARGE_HDR,
                  "two 6 MiB blocks: expected their mappings side by side (os.c maps below the last, whole"
                  " chunks), got %p (%zu usable) and %p", (void *)lo, lo_usable, (void *)hi);
    memset_v(p, 1, 6 << 20);
    memset_v(q, 2, 6 << 20);
    free(p);
    free(q);
    snap(&st0);
    char *w = sink = malloc(span - HK_SS_SIZE);
    snap(&st1);
    ck_assert_msg(w == lo && DELTA(large_maps) == 0,
                      "%zu bytes after two adjacent mappings were freed: expected them merged (block %p, no new"
                      " map), got %p and maps %+lld", span - HK_SS_SIZE, (void *)lo, (void *)w, DELTA(large_maps));
    free(w);
}
END_TEST

/* A freed block merged into the cached mapping before it is still known
 * as freed: a second free of it is a double free, not a foreign pointer. */
START_TEST(test_merged_block_still_freed)
{
    malloc_trim(0);
    char *p = sink = malloc(6 << 20), *q = sink = malloc(6 << 20);
    char *lo = p < q ? p : q, *hi = p < q ? q : p;
    ck_assert_msg(hi == lo + malloc_usable_size(lo) + HK_LARGE_HDR,
                  "two 6 MiB blocks: expected them side by side, got %p and %p", (void *)lo, (void *)hi);
    free(hi);
    free(lo);
    struct hk_block_info bi;
    ck_assert_msg(hk_large_check(lo, &bi) == HK_BLOCK_FREED && hk_large_check(hi, &bi) == HK_BLOCK_FREED,
                  "both freed and merged: expected both verdicts freed, got %d and %d",
                  hk_large_check(lo, &bi), hk_large_check(hi, &bi));
    ck_assert_msg(bi.large_size >= (6u << 20), "the merged block: expected its own size (>= 6 MiB), got %zu",
                  bi.large_size);
    ck_assert_msg(hk_large_check(hi + 16, &bi) == HK_BLOCK_FOREIGN,
                  "16 bytes into the merged block: expected none of the tier's, got %d", hk_large_check(hi + 16, &bi));
}
END_TEST

/* calloc zeroes what a reuse may hold of old contents, in the head and in
 * the tail cut from the same dirty mapping. */
START_TEST(test_calloc_split_dirty_zeroed)
{
    unsigned char *p = malloc(12 << 20);
    ck_assert_msg(p != NULL, "malloc(12 MiB): expected a block");
    memset_v(p, 0xab, malloc_usable_size(p));
    free(p);
    unsigned char *q = calloc(1, 3 << 20), *r = calloc(1, 6 << 20);
    ck_assert_msg(q == p && r != NULL, "calloc(3 MiB) then (6 MiB): expected the cached mapping %p, got %p, %p",
                  (void *)p, (void *)q, (void *)r);
    for (size_t i = 0; i < (3u << 20); i++)
        if (q[i] != 0)
            ck_abort_msg("calloc of a reused head: expected zero at %zu, got 0x%02x", i, q[i]);
    for (size_t i = 0; i < (6u << 20); i++)
        if (r[i] != 0)
            ck_abort_msg("calloc of a reused tail: expected zero at %zu, got 0x%02x", i, r[i]);
    free(q);
    free(r);
}
END_TEST

/* The cache's bound follows the recent peak of large frees, within
 * HAKMEM_LARGE_CACHE_MB: 160 MiB freed at once stay cached under a 1 GiB cap. */
START_TEST(test_cache_limit_adapts)
{
    enum { N = 10 };
    void *b[N];
    hk_opt[HK_OPT_LARGE_CACHE_MB] = 1024;
    ck_assert_msg(hk_large_cache_limit() == (64u << 20),
                  "no large frees yet: expected the 64 MiB floor, got %zu", hk_large_cache_limit());
    for (int i = 0; i < N; i++)
        b[i] = sink = malloc(16 << 20);
    snap(&st0);
    for (int i = 0; i < N; i++)
        free(b[i]);
    snap(&st1);
    ck_assert_msg(DELTA(large_unmaps) == 0 && st1.large_cached_bytes >= (size_t)N * (16 << 20),
                  "160 MiB freed under a 1 GiB cap: expected all cached, got unmaps %+lld, %llu cached",
                  DELTA(large_unmaps), (unsigned long long)st1.large_cached_bytes);
    ck_assert_msg(hk_large_cache_limit() >= (size_t)N * (16 << 20),
                  "after 160 MiB of frees: expected a bound of 160 MiB or more, got %zu", hk_large_cache_limit());
    hk_opt[HK_OPT_LARGE_CACHE_MB] = 32;
    ck_assert_msg(hk_large_cache_limit() == (32u << 20),
                  "HAKMEM_LARGE_CACHE_MB=32: expected the bound capped at 32 MiB, got %zu", hk_large_cache_limit());
}
END_TEST

START_TEST(test_calloc_reused_zeroed)
{
    size_t n = 1 << 20;
    unsigned char *p = malloc(n);
    ck_assert_msg(p != NULL, "malloc(1 MiB): expected a block");
    memset_v(p, 0xab, malloc_usable_size(p));
    free(p);
    snap(&st0);
    unsigned char *q = calloc(1, n);
    snap(&st1);
    ck_assert_msg(q != NULL, "calloc(1 MiB): expected a block");
    ck_assert_msg(DELTA(large_maps) == 0,
                  "calloc after free of the same size: expected the cached mapping, got maps %+lld",
                  DELTA(large_maps));
    for (size_t i = 0; i < n; i++)
        if (q[i] != 0)
            ck_abort_msg("calloc of a reused mapping: expected zero at %zu, got 0x%02x", i, q[i]);
    free(q);
}
END_TEST

static const size_t aligns[] = { 128, 4096, 1 << 20, 4 << 20, 64 << 20, 1 << 30 };

START_TEST(test_aligned_large)
{
    size_t al = aligns[_i];
    size_t n = (3 << 20) + 100;
    void *p = NULL;
    snap(&st0);
    int rc = posix_memalign(&p, al, n);
    ck_assert_msg(rc == 0 && p != NULL, "posix_memalign(%zu, %zu): expected 0, got %d", al, n, rc);
    ck_assert_msg((uintptr_t)p % al == 0, "posix_memalign(%zu): expected an aligned address, got %p",
                  al, p);
    ck_assert_msg(malloc_usable_size(p) >= n, "posix_memalign(%zu, %zu): expected usable >= n, got "
                  "%zu", al, n, malloc_usable_size(p));
    /* The over-reservation an alignment costs is unmapped, not handed out. */
    ck_assert_msg(malloc_usable_size(p) <= n + (2u << 20) + 2 * hk_page_size,
                  "posix_memalign(%zu, %zu): expected usable <= size + 2 MiB + 2 pages, got %zu", al, n,
                  malloc_usable_size(p));
    uintptr_t hdr = ((uintptr_t)p - 1) & ~(uintptr_t)HK_SS_MASK;
    unsigned want = al >= HK_SS_SIZE ? HK_CHUNK_LARGE : HK_CHUNK_LARGE_HEAD;
    ck_assert_msg(hk_chunk_kind(hdr) == HK_CHUNK_LARGE_HEAD && hk_chunk_kind((uintptr_t)p) == want,
                  "posix_memalign(%zu, %zu): expected the header's chunk LARGE_HEAD and the block's %u, "
                  "got %u and %u", al, n, want, hk_chunk_kind(hdr), hk_chunk_kind((uintptr_t)p));
    memset(p, 0x77, n);
    volatile uintptr_t addr = (uintptr_t)p;
    free(p);
    snap(&st1);
    ck_assert_msg(st1.large_live == st0.large_live,
                  "aligned alloc and free: expected large_live back to %llu, got %llu",
                  (unsigned long long)st0.large_live, (unsigned long long)st1.large_live);
    ck_assert_msg(!hk_large_owns((void *)addr), "after free: expected %p no longer owned",
                  (void *)addr);
}
END_TEST

/* realloc of an aligned large block keeps its contents. */
START_TEST(test_aligned_large_realloc_keeps_contents)
{
    size_t al = aligns[_i];
    size_t n = 200000;
    unsigned char *p = NULL;
    int rc = posix_memalign((void **)&p, al, n);
    ck_assert_msg(rc == 0 && (uintptr_t)p % al == 0, "posix_memalign(%zu, %zu): expected an aligned "
                  "block, got rc %d %p", al, n, rc, (void *)p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 1);
    unsigned char *q = realloc(p, 6 << 20);
    ck_assert_msg(q != NULL, "realloc of an aligned block to 6 MiB: expected a block");
    for (size_t i = 0; i < n; i++)
        if (q[i] != (unsigned char)(i * 7 + 1))
            ck_abort_msg("realloc of a %zu-aligned block (%p -> %p): expected byte %zu = 0x%02x, "
                         "got 0x%02x", al, (void *)p, (void *)q, i, (unsigned char)(i * 7 + 1), q[i]);
    free(q);
}
END_TEST

START_TEST(test_trim_releases_cache)
{
    char *p = malloc(2 << 20), *q = malloc(5 << 20);
    ck_assert_msg(p && q, "malloc: expected blocks");
    p[0] = q[0] = 1;
    volatile uintptr_t addr = (uintptr_t)p;
    free(p);
    free(q);
    snap(&st0);
    int r = malloc_trim(0);
    snap(&st1);
    ck_assert_msg(st0.large_cached_bytes >= (7u << 20),
                  "two freed mappings: expected >= 7 MiB cached, got %llu",
                  (unsigned long long)st0.large_cached_bytes);
    ck_assert_msg(DELTA(large_unmaps) >= 1, "malloc_trim: expected the cache unmapped, got %+lld large unmaps",
                  DELTA(large_unmaps));
    ck_assert_msg(st1.large_cached_bytes == 0, "after malloc_trim: expected 0 cached, got %llu",
                  (unsigned long long)st1.large_cached_bytes);
    ck_assert_msg(r == 1, "malloc_trim with a cache: expected 1, got %d", r);
    ck_assert_msg(hk_chunk_kind(addr - 1) == HK_CHUNK_NONE,
                  "trimmed mapping: expected its chunk unmarked, got %u", hk_chunk_kind(addr - 1));
}
END_TEST

/* A mapping larger than HAKMEM_LARGE_CACHE_MB is unmapped at free. */
START_TEST(test_over_cache_limit_unmapped)
{
    hk_opt[HK_OPT_LARGE_CACHE_MB] = 4;
    void *p = sink = malloc(6 << 20);
    ck_assert_msg(p != NULL, "malloc(6 MiB): expected a block");
    snap(&st0);
    free(p);
    snap(&st1);
    ck_assert_msg(DELTA(large_unmaps) == 1 && st1.large_cached_bytes == st0.large_cached_bytes,
                  "free of 6 MiB with a 4 MiB cache: expected an unmap and nothing cached, got "
                  "unmaps %+lld cached %llu -> %llu",
                  DELTA(large_unmaps), (unsigned long long)st0.large_cached_bytes,
                  (unsigned long long)st1.large_cached_bytes);
}
END_TEST

static void free_it(void *p)
{
    free(p);
}

START_TEST(test_invalid_free_refused)
{
    hk_opt[HK_OPT_ON_ERROR] = HK_ON_ERROR_REPORT; /* report, then go on */
    char msg[2048];
    unsigned char *p = malloc(1 << 20);
    ck_assert_msg(p != NULL, "malloc(1 MiB): expected a block");
    memset(p, 0x11, 1 << 20);
    int local = 0;
    snap(&st0);
    capture_stderr(free_it, &local, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "hakmem: ERROR: invalid free of") != NULL,
                  "free(stack address): expected a complaint on stderr, got \"%s\"", msg);
    capture_stderr(free_it, p + 4096, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "hakmem: ERROR: invalid free of") != NULL,
                  "free(interior pointer of a large block): expected a complaint, got \"%s\"", msg);
    capture_stderr(free_it, p + (1 << 19) + 64, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "hakmem: ERROR: invalid free of") != NULL,
                  "free(pointer 512 KiB inside): expected a complaint, got \"%s\"", msg);
    snap(&st1);
    ck_assert_msg(st1.large_live == st0.large_live && DELTA(large_unmaps) == 0,
                  "refused frees: expected large_live and unmaps unchanged, got %+lld and %+lld",
                  (long long)(st1.large_live - st0.large_live), DELTA(large_unmaps));
    ck_assert_msg(malloc_usable_size(p) >= (1u << 20) && p[12345] == 0x11,
                  "after refused frees: expected the block intact");
    void *volatile dangling = p;
    free(p);
    capture_stderr(free_it, dangling, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "hakmem: ERROR: double free of") != NULL,
                  "second free of a large block: expected a double-free report, got \"%s\"", msg);
    snap(&st0);
    void *q = sink = malloc(1 << 20);
    void *r = sink = malloc(1 << 20);
    snap(&st1);
    ck_assert_msg(q != r, "after a refused double free: expected two distinct blocks, got %p twice",
                  q);
    free(q);
    free(r);
}
END_TEST

START_TEST(test_realloc_invalid_refused)
{
    hk_opt[HK_OPT_ON_ERROR] = HK_ON_ERROR_REPORT; /* report, then go on */
    char msg[1024];
    unsigned char *p = malloc(1 << 20);
    ck_assert_msg(p != NULL, "malloc: expected a block");
    struct { void *volatile p; void *r; int err; } a = { p + 64, (void *)1, 0 };
    int pfd[2];
    ck_assert_msg(pipe(pfd) == 0, "pipe");
    int saved_fd = dup(2);
    dup2(pfd[1], 2);
    errno = 0;
    a.r = realloc(a.p, 2 << 20);
    a.err = errno;
    dup2(saved_fd, 2);
    close(saved_fd);
    close(pfd[1]);
    ssize_t n = read(pfd[0], msg, sizeof msg - 1);
    close(pfd[0]);
    msg[n > 0 ? n : 0] = '\0';
    ck_assert_msg(a.r == NULL && a.err == EINVAL,
                  "realloc(interior pointer): expected NULL and EINVAL, got %p and %d", a.r, a.err);
    ck_assert_msg(strstr(msg, "hakmem: ERROR: invalid free of") && strstr(msg, "interior pointer 64 bytes") &&
                      strstr(msg, "in realloc()"),
                  "realloc(interior pointer): expected a complaint on stderr, got \"%s\"", msg);
    free(p);
}
END_TEST

/* Resident pages of [p, p+len), p page-aligned. */
static size_t resident_pages(const void *p, size_t len)
{
    static unsigned char vec[(4 << 20) / 4096];
    size_t n = (len + hk_page_size - 1) / hk_page_size, in = 0;
    ck_assert_msg(n <= sizeof vec && mincore((void *)p, len, vec) == 0, "mincore(%p, %zu): expected 0", p, len);
    for (size_t i = 0; i < n; i++)
        in += vec[i] & 1;
    return in;
}

/* A cached mapping gives its pages back (all but its header's) once cached
 * for HK_PURGE_DELAY_NS, by the purger or hk_large_purge; reused after
 * that, calloc still zeroes it and malloc hands it out writable. */
START_TEST(test_cache_purged_after_delay)
{
    const size_t n = 1 << 20;
    unsigned char *p = malloc(n);
    ck_assert_msg(p != NULL, "malloc(1 MiB): expected a block");
    memset_v(p, 0x5c, n);
    uintptr_t first = ((uintptr_t)p + hk_page_size) & ~(uintptr_t)(hk_page_size - 1);
    size_t len = (uintptr_t)p + n - first;
    len &= ~(hk_page_size - 1);
    free(p);
    size_t in_now = resident_pages((void *)first, len);
    uint64_t next = hk_large_purge();
    uint64_t now = hk_now_ns();
    struct timespec nap = { 0, (long)HK_PURGE_DELAY_NS + 50000000 };
    nanosleep(&nap, NULL);
    hk_large_purge(); /* the purger may have done it already */
    size_t in_later = resident_pages((void *)first, len);
    ck_assert_msg(in_now == len / hk_page_size,
                  "freed 1 MiB block in the cache: expected its %zu pages resident at first, got %zu",
                  len / hk_page_size, in_now);
    ck_assert_msg(next > now && next <= now + HK_PURGE_DELAY_NS,
                  "hk_large_purge right after the free: expected the next deadline within the delay, got %+lld ns",
                  (long long)(next - now));
    ck_assert_msg(in_later == 0, "cached mapping after the purge delay: expected no page resident, got %zu of %zu",
                  in_later, len / hk_page_size);
    unsigned char *q = calloc(1, n);
    ck_assert_msg(q == p, "calloc(1 MiB) after the purge: expected the cached mapping %p, got %p", (void *)p,
                  (void *)q);
    for (size_t i = 0; i < n; i += 1024)
        ck_assert_msg(q[i] == 0, "calloc of a purged mapping: expected zero at %zu, got 0x%02x", i, q[i]);
    memset_v(q, 0x3a, n);
    free(q);
}
END_TEST

static Suite *large_suite(void)
{
    Suite *s = suite_create("large");
    TCase *tc = tcase_create("large");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_large_blocks, 0, (int)(sizeof sizes / sizeof sizes[0]));
    tcase_add_test(tc, test_realloc_growth);
    tcase_add_test(tc, test_realloc_growth_syscalls);
    tcase_add_test(tc, test_realloc_shrink);
    tcase_add_test(tc, test_cache_reuse);
    tcase_add_test(tc, test_cache_split_reuse);
    tcase_add_test(tc, test_cache_grow_reuse);
    tcase_add_test(tc, test_cache_adjacent_merge);
    tcase_add_test(tc, test_merged_block_still_freed);
    tcase_add_test(tc, test_calloc_split_dirty_zeroed);
    tcase_add_test(tc, test_cache_limit_adapts);
    tcase_add_test(tc, test_calloc_reused_zeroed);
    tcase_add_loop_test(tc, test_aligned_large, 0, (int)(sizeof aligns / sizeof aligns[0]));
    tcase_add_loop_test(tc, test_aligned_large_realloc_keeps_contents, 0,
                        (int)(sizeof aligns / sizeof aligns[0]));
    tcase_add_test(tc, test_trim_releases_cache);
    tcase_add_test(tc, test_over_cache_limit_unmapped);
    tcase_add_test(tc, test_invalid_free_refused);
    tcase_add_test(tc, test_realloc_invalid_refused);
    tcase_add_test(tc, test_cache_purged_after_delay);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(large_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
