/* check_alloc.c — unit tests of lib/alloc.c: the POSIX/glibc malloc family as
 * exported (errors and errno, realloc semantics, alignment, usable sizes, mallinfo2, stats). */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "internal.h"
#include "event.h"
#include "heapcheck.h"

/* Blocks go here so that the compiler cannot drop a malloc/free pair. */
static void *volatile sink;
/* A memset the compiler cannot drop as a dead store before free. */
static void *(*volatile memset_v)(void *, int, size_t) = memset;
/* Sizes through a volatile so the compiler cannot fold overflowing calls. */
static volatile size_t vbig = SIZE_MAX / 2 + 1, vtwo = 2, vzero = 0;

static hk_slab *slab_of(const void *p)
{
    return &hk_ss_of(p)->slabs[((uintptr_t)p >> HK_SLAB_SHIFT) & (HK_SLABS_PER_SS - 1)];
}

/* Runs fn with file descriptor 2 captured into out. */
static void capture_stderr(void (*fn)(void *), void *arg, char *out, size_t cap)
{
    int fd = memfd_create("stderr", 0);
    ck_assert_msg(fd >= 0, "memfd_create: expected a descriptor, got %d", fd);
    int saved = dup(2);
    dup2(fd, 2);
    fn(arg);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, out, cap - 1, 0);
    close(fd);
    out[n > 0 ? n : 0] = '\0';
}

START_TEST(test_malloc_zero)
{
    void *p = sink = malloc(0), *q = sink = malloc(0);
    ck_assert_msg(p != NULL && q != NULL, "malloc(0): expected non-NULL, got %p and %p", p, q);
    ck_assert_msg(p != q, "two malloc(0): expected distinct blocks, got %p twice", p);
    ck_assert_msg(malloc_usable_size(p) >= 1, "malloc(0): expected a usable block, got usable %zu",
                  malloc_usable_size(p));
    hk_slab *s = slab_of(p);
    uint32_t used = s->used;
    free(p);
    ck_assert_msg(s->used == used - 1, "free(malloc(0)): expected the slab's used %u -> %u, got %u",
                  used, used - 1, s->used);
    free(q);
}
END_TEST

START_TEST(test_calloc_overflow)
{
    errno = 0;
    void *p = calloc(vbig, vtwo);
    ck_assert_msg(p == NULL && errno == ENOMEM,
                  "calloc(SIZE_MAX/2+1, 2): expected NULL and ENOMEM, got %p and errno %d", p, errno);
    errno = 0;
    p = calloc(vtwo, vbig);
    ck_assert_msg(p == NULL && errno == ENOMEM,
                  "calloc(2, SIZE_MAX/2+1): expected NULL and ENOMEM, got %p and errno %d", p, errno);
    errno = 0;
    p = calloc(SIZE_MAX / 4096 + 1, vtwo * 2048);
    ck_assert_msg(p == NULL && errno == ENOMEM,
                  "calloc with product just over SIZE_MAX: expected NULL and ENOMEM, got %p, %d", p,
                  errno);
}
END_TEST

START_TEST(test_calloc_zeroed)
{
    static const size_t sizes[] = { 0, 1, 8, 24, 100, 1000, 4000, 20000, 65536, 70000, 1 << 20 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        /* Dirty a block of the size first so that calloc gets a recycled one. */
        unsigned char *d = malloc(n ? n : 1);
        memset_v(d, 0xee, n ? n : 1);
        free(d);
        unsigned char *p = calloc(1, n);
        ck_assert_msg(p != NULL, "calloc(1, %zu): expected a block", n);
        for (size_t i = 0; i < n; i++)
            if (p[i])
                ck_abort_msg("calloc(1, %zu): expected zero at %zu, got 0x%02x", n, i, p[i]);
        free(p);
    }
    void *z = calloc(vzero, 10);
    ck_assert_msg(z != NULL, "calloc(0, 10): expected a freeable non-NULL block, got NULL");
    free(z);
}
END_TEST

START_TEST(test_reallocarray_overflow)
{
    void *p = malloc(16);
    errno = 0;
    void *q = reallocarray(p, vbig, vtwo);
    ck_assert_msg(q == NULL && errno == ENOMEM,
                  "reallocarray overflow: expected NULL and ENOMEM, got %p and errno %d", q, errno);
    ck_assert_msg(malloc_usable_size(p) >= 16, "reallocarray overflow: expected p kept alive");
    q = reallocarray(p, 10, 100);
    ck_assert_msg(q != NULL && malloc_usable_size(q) >= 1000,
                  "reallocarray(p, 10, 100): expected >= 1000 usable bytes, got %zu",
                  q ? malloc_usable_size(q) : 0);
    free(q);
    q = reallocarray(NULL, 4, 8);
    ck_assert_msg(q != NULL && malloc_usable_size(q) >= 32,
                  "reallocarray(NULL, 4, 8): expected a block of >= 32, got %p", q);
    free(q);
}
END_TEST

START_TEST(test_realloc_null_is_malloc)
{
    static const size_t sizes[] = { 0, 1, 100, 5000, 65536, 100000, 3 << 20 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        void *p = sink = realloc(NULL, sizes[k]);
        ck_assert_msg(p != NULL && malloc_usable_size(p) >= sizes[k],
                      "realloc(NULL, %zu): expected a block of that size, got %p usable %zu",
                      sizes[k], p, p ? malloc_usable_size(p) : 0);
        ck_assert_msg((uintptr_t)p % (sizes[k] >= 16 ? 16 : 8) == 0,
                      "realloc(NULL, %zu): expected malloc's alignment, got %p", sizes[k], p);
        free(p);
    }
}
END_TEST

START_TEST(test_realloc_zero_frees)
{
    /* A small block: its slab's used count drops. */
    void *p = sink = malloc(200);
    hk_slab *s = slab_of(p);
    uint32_t used = s->used;
    errno = 0;
    void *q = realloc(p, 0);
    ck_assert_msg(q == NULL, "realloc(p, 0): expected NULL, got %p", q);
    ck_assert_msg(s->used == used - 1, "realloc(p, 0): expected the block freed (used %u -> %u), "
                  "got used %u", used, used - 1, s->used);
    /* A large block: the live count drops. */
    struct hakmem_stats a, b;
    p = sink = malloc(1 << 20);
    hakmem_stats_get(&a);
    q = realloc(p, 0);
    hakmem_stats_get(&b);
    ck_assert_msg(q == NULL && b.large_live == a.large_live - 1,
                  "realloc(large, 0): expected NULL and large_live -1, got %p and %+lld", q,
                  (long long)(b.large_live - a.large_live));
}
END_TEST

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed);
}

static void expect_fill(const unsigned char *p, size_t n, unsigned seed, const char *what)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (unsigned char)(i * 31 + seed))
            ck_abort_msg("%s: expected byte %zu = 0x%02x, got 0x%02x", what, i,
                         (unsigned char)(i * 31 + seed), p[i]);
}

START_TEST(test_realloc_keeps_contents_across_tiers)
{
    static const size_t path[] = { 24, 100, 1000, 5000, 60000, 300000, 5 << 20, 70000, 50000, 900,
                                   40, 8 };
    unsigned char *p = malloc(path[0]);
    fill(p, path[0], 7);
    size_t have = path[0];
    for (size_t k = 1; k < sizeof path / sizeof path[0]; k++) {
        size_t n = path[k];
        p = realloc(p, n);
        ck_assert_msg(p != NULL, "realloc(%zu -> %zu): expected a block", have, n);
        ck_assert_msg(malloc_usable_size(p) >= n, "realloc(-> %zu): expected usable >= %zu, got %zu",
                      n, n, malloc_usable_size(p));
        size_t keep = have < n ? have : n;
        char what[64];
        snprintf(what, sizeof what, "realloc %zu -> %zu", have, n);
        expect_fill(p, keep, 7, what);
        fill(p, n, 7);
        have = n;
    }
    free(p);
}
END_TEST

/* A small block shrunk a little stays in place; grown past its class it moves. */
START_TEST(test_realloc_in_place)
{
    char *p = malloc(1000);
    size_t u = malloc_usable_size(p);
    char *q = realloc(p, 600);
    ck_assert_msg(q == p, "realloc(1000 -> 600) in a %zu B block: expected in place, got %p -> %p",
                  u, (void *)p, (void *)q);
    q = realloc(q, u);
    ck_assert_msg(q == p, "realloc(-> usable %zu): expected in place, got %p -> %p", u, (void *)p,
                  (void *)q);
    memset(q, 0x61, u);
    char *r = realloc(q, 10);
    ck_assert_msg(r != NULL && malloc_usable_size(r) < 64 && r[9] == 0x61,
                  "realloc(%zu B block -> 10): expected a small block with the prefix, got usable %zu",
                  u, r ? malloc_usable_size(r) : 0);
    free(r);
}
END_TEST

START_TEST(test_posix_memalign_einval)
{
    static const size_t bad[] = { 0, 1, 2, 3, 4, 12, 24, 48, 4097, (size_t)1 << 63 | 8 };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        void *p = (void *)0x1234;
        int rc = posix_memalign(&p, bad[k], 64);
        ck_assert_msg(rc == EINVAL, "posix_memalign(align %zu): expected EINVAL (%d), got %d", bad[k],
                      EINVAL, rc);
        ck_assert_msg(p == (void *)0x1234, "posix_memalign(align %zu) failing: expected *out untouched",
                      bad[k]);
    }
}
END_TEST

START_TEST(test_posix_memalign_ok)
{
    static const size_t sizes[] = { 0, 1, 17, 100, 4000, 70000 };
    for (size_t al = sizeof(void *); al <= ((size_t)1 << 22); al <<= 1) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            void *p = NULL;
            errno = 4321;
            int rc = posix_memalign(&p, al, sizes[k]);
            ck_assert_msg(rc == 0 && p != NULL, "posix_memalign(%zu, %zu): expected 0, got %d", al,
                          sizes[k], rc);
            ck_assert_msg(errno == 4321, "posix_memalign success: expected errno kept, got %d",
                          errno);
            ck_assert_msg((uintptr_t)p % al == 0, "posix_memalign(%zu, %zu): expected aligned, got %p",
                          al, sizes[k], p);
            ck_assert_msg(malloc_usable_size(p) >= sizes[k],
                          "posix_memalign(%zu, %zu): expected usable >= size, got %zu", al, sizes[k],
                          malloc_usable_size(p));
            memset(p, 0x3c, sizes[k]);
            free(p);
        }
    }
}
END_TEST

START_TEST(test_aligned_alloc_and_memalign)
{
    /* glibc 2.36: an odd alignment is rounded up to a power of two (one up
     * to 16 is malloc's); only one above SIZE_MAX / 2 + 1 is EINVAL. */
    static const size_t odd[] = { 0, 3, 24, 100, 65535 }, rounded[] = { 16, 16, 32, 128, 65536 };
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        errno = 0;
        void *p = sink = aligned_alloc(odd[k], 64);
        ck_assert_msg(p != NULL && (uintptr_t)p % rounded[k] == 0 && malloc_usable_size(p) >= 64,
                      "aligned_alloc(%zu, 64): expected a %zu-aligned block as glibc's, got %p (errno %d)",
                      odd[k], rounded[k], p, errno);
        free(p);
        p = sink = memalign(odd[k], 64);
        ck_assert_msg(p != NULL && (uintptr_t)p % rounded[k] == 0 && malloc_usable_size(p) >= 64,
                      "memalign(%zu, 64): expected a %zu-aligned block as glibc's, got %p (errno %d)", odd[k],
                      rounded[k], p, errno);
        free(p);
    }
    errno = 0;
    void *none = aligned_alloc(SIZE_MAX / 2 + 9, 64);
    ck_assert_msg(none == NULL && errno == EINVAL,
                  "aligned_alloc(SIZE_MAX/2 + 9): expected NULL and EINVAL, got %p and %d", none, errno);
    errno = 0;
    none = memalign(SIZE_MAX, 64);
    ck_assert_msg(none == NULL && errno == EINVAL, "memalign(SIZE_MAX): expected NULL and EINVAL, got %p and %d",
                  none, errno);
    for (size_t al = 1; al <= ((size_t)1 << 21); al <<= 1) {
        void *p = sink = aligned_alloc(al, 3 * al);
        ck_assert_msg(p != NULL && (uintptr_t)p % al == 0,
                      "aligned_alloc(%zu, %zu): expected an aligned block, got %p", al, 3 * al, p);
        ck_assert_msg(malloc_usable_size(p) >= 3 * al, "aligned_alloc(%zu): expected usable >= %zu",
                      al, 3 * al);
        free(p);
        p = sink = memalign(al, 10);
        ck_assert_msg(p != NULL && (uintptr_t)p % al == 0,
                      "memalign(%zu, 10): expected an aligned block, got %p", al, p);
        free(p);
    }
}
END_TEST

START_TEST(test_valloc_pvalloc)
{
    long page = sysconf(_SC_PAGESIZE);
    static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 50000, 300000 };
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        void *p = sink = valloc(n);
        ck_assert_msg(p != NULL && (uintptr_t)p % (size_t)page == 0,
                      "valloc(%zu): expected a page-aligned block, got %p", n, p);
        ck_assert_msg(malloc_usable_size(p) >= n, "valloc(%zu): expected usable >= n", n);
        free(p);
        p = sink = pvalloc(n);
        size_t rounded = n ? (n + (size_t)page - 1) / (size_t)page * (size_t)page : (size_t)page;
        ck_assert_msg(p != NULL && (uintptr_t)p % (size_t)page == 0,
                      "pvalloc(%zu): expected a page-aligned block, got %p", n, p);
        ck_assert_msg(malloc_usable_size(p) >= rounded,
                      "pvalloc(%zu): expected usable >= %zu (whole pages), got %zu", n, rounded,
                      malloc_usable_size(p));
        memset(p, 1, rounded);
        free(p);
    }
    errno = 0;
    void *p = pvalloc(SIZE_MAX - 10);
    ck_assert_msg(p == NULL && errno == ENOMEM,
                  "pvalloc(SIZE_MAX-10): expected NULL and ENOMEM, got %p and %d", p, errno);
}
END_TEST

START_TEST(test_usable_size)
{
    ck_assert_msg(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL): expected 0, got %zu",
                  malloc_usable_size(NULL));
    int local;
    ck_assert_msg(malloc_usable_size(&local) == 0,
                  "malloc_usable_size(stack address): expected 0, got %zu",
                  malloc_usable_size(&local));
    for (size_t n = 0; n <= 70000; n += n < 2048 ? 1 : 97) {
        void *p = sink = malloc(n);
        size_t u = malloc_usable_size(p);
        ck_assert_msg(u >= n, "malloc_usable_size(malloc(%zu)): expected >= %zu, got %zu", n, n, u);
        if (n <= HK_MID_MAX)
            ck_assert_msg(u == hk_class_size[hk_size_class(n)],
                          "malloc_usable_size(malloc(%zu)): expected the class size %u, got %zu", n,
                          hk_class_size[hk_size_class(n)], u);
        memset(p, 0x42, u);
        free(p);
    }
}
END_TEST

/* Every size from 16 B to 1 MiB gets a 16-byte aligned block. */
START_TEST(test_alignment_every_size)
{
    for (size_t n = 16; n <= ((size_t)1 << 20); n++) {
        void *p = sink = malloc(n);
        if (!p || (uintptr_t)p % 16)
            ck_abort_msg("malloc(%zu): expected a 16-byte aligned block, got %p", n, p);
        free(p);
    }
}
END_TEST

/* Many live blocks of one size: 16-byte aligned and disjoint. */
START_TEST(test_live_blocks_disjoint)
{
    enum { N = 3000 };
    static unsigned char *blk[N];
    for (int i = 0; i < N; i++) {
        size_t n = 16 + (size_t)(i % 97) * 24;
        blk[i] = malloc(n);
        ck_assert_msg(blk[i] && (uintptr_t)blk[i] % 16 == 0, "malloc(%zu): expected aligned block",
                      n);
        memset(blk[i], i & 0xff, n);
    }
    for (int i = 0; i < N; i++) {
        size_t n = 16 + (size_t)(i % 97) * 24;
        for (size_t j = 0; j < n; j++)
            if (blk[i][j] != (i & 0xff))
                ck_abort_msg("block %d (%zu B): expected byte %zu = 0x%02x, got 0x%02x (overlap)", i,
                             n, j, i & 0xff, blk[i][j]);
        free(blk[i]);
    }
}
END_TEST

START_TEST(test_mallinfo2)
{
    enum { N = 1000, SZ = 10240 };
    static void *blk[N];
    struct mallinfo2 m0 = mallinfo2();
    for (int i = 0; i < N; i++) {
        blk[i] = malloc(SZ);
        memset(blk[i], 1, SZ);
    }
    struct mallinfo2 m1 = mallinfo2();
    for (int i = 0; i < N; i++)
        free(blk[i]);
    struct mallinfo2 m2 = mallinfo2();
    ck_assert_msg(m1.uordblks >= m0.uordblks + (size_t)N * SZ,
                  "after allocating %d x %d B: expected uordblks to grow by >= %d, got %zu -> %zu", N,
                  SZ, N * SZ, m0.uordblks, m1.uordblks);
    ck_assert_msg(m2.uordblks + (size_t)N * SZ * 9 / 10 <= m1.uordblks,
                  "after freeing them: expected uordblks to shrink by >= 90%% of %d, got %zu -> %zu",
                  N * SZ, m1.uordblks, m2.uordblks);
    ck_assert_msg(m1.arena >= (size_t)N * SZ, "after allocating 10 MB: expected arena >= 10 MB, got %zu",
                  m1.arena);
}
END_TEST

START_TEST(test_mallinfo2_large)
{
    /* The first mapping cached starts the purger thread, whose start
     * allocates: before the figures are taken. */
    free(sink = malloc(10 << 20));
    struct mallinfo2 m0 = mallinfo2();
    void *p = sink = malloc(10 << 20);
    struct mallinfo2 m1 = mallinfo2();
    free(p);
    struct mallinfo2 m2 = mallinfo2();
    ck_assert_msg(m1.uordblks >= m0.uordblks + (10u << 20) && m1.hblks == m0.hblks + 1,
                  "after a 10 MiB malloc: expected uordblks +10 MiB and hblks +1, got %zu -> %zu, "
                  "hblks %zu -> %zu",
                  m0.uordblks, m1.uordblks, m0.hblks, m1.hblks);
    ck_assert_msg(m2.uordblks == m0.uordblks && m2.hblks == m0.hblks,
                  "after freeing it: expected uordblks and hblks back, got %zu (was %zu), %zu (was "
                  "%zu)",
                  m2.uordblks, m0.uordblks, m2.hblks, m0.hblks);
}
END_TEST

START_TEST(test_malloc_trim)
{
    void *p = sink = malloc(1 << 20);
    free(p);
    int r = malloc_trim(0);
    ck_assert_msg(r == 0 || r == 1, "malloc_trim: expected 0 or 1, got %d", r);
    r = malloc_trim(0);
    ck_assert_msg(r == 0, "second malloc_trim with nothing cached: expected 0, got %d", r);
    p = sink = malloc(100);
    ck_assert_msg(p != NULL, "malloc after malloc_trim: expected a block");
    free(p);
}
END_TEST

static void call_malloc_stats(void *arg)
{
    (void)arg;
    malloc_stats();
}

START_TEST(test_malloc_stats)
{
    static char out[16384];
    capture_stderr(call_malloc_stats, NULL, out, sizeof out);
    ck_assert_msg(strstr(out, "SuperSlab") != NULL,
                  "malloc_stats: expected a table mentioning SuperSlab on stderr, got \"%.200s\"", out);
    ck_assert_msg(strstr(out, "stage") != NULL && strstr(out, "LRU") != NULL,
                  "malloc_stats: expected the stage and LRU lines, got \"%.200s\"", out);
}
END_TEST

START_TEST(test_stats_get_null)
{
    ck_assert_msg(hakmem_stats_get(NULL) == -1, "hakmem_stats_get(NULL): expected -1, got %d",
                  hakmem_stats_get(NULL));
    struct hakmem_stats st;
    ck_assert_msg(hakmem_stats_get(&st) == 0 && st.nclasses == HK_CLASSES,
                  "hakmem_stats_get: expected 0 and %d classes, got %u", HK_CLASSES, st.nclasses);
    ck_assert_msg(strcmp(hakmem_stage_name(HAKMEM_STAGE_0_5), "0.5") == 0 &&
                      strcmp(hakmem_stage_name(99), "?") == 0,
                  "hakmem_stage_name: expected \"0.5\" and \"?\", got \"%s\" and \"%s\"",
                  hakmem_stage_name(HAKMEM_STAGE_0_5), hakmem_stage_name(99));
}
END_TEST

static void free_arg(void *p)
{
    free(p);
}

/* Pointers hakmem did not hand out are refused, not trusted. */
START_TEST(test_free_foreign_refused)
{
    hk_opt[HK_OPT_ON_ERROR] = HK_ON_ERROR_REPORT; /* report, then go on */
    char out[1024];
    capture_stderr(free_arg, NULL, out, sizeof out);
    ck_assert_msg(out[0] == '\0', "free(NULL): expected silence, got \"%s\"", out);
    int local;
    capture_stderr(free_arg, &local, out, sizeof out);
    ck_assert_msg(strstr(out, "hakmem: ERROR: invalid free of"), "free(stack address): expected a complaint, got \"%s\"",
                  out);
    /* Inside a SuperSlab header (slab 0). */
    char *p = sink = malloc(64);
    void *hdr = (char *)hk_ss_of(p) + 256;
    capture_stderr(free_arg, hdr, out, sizeof out);
    ck_assert_msg(strstr(out, "hakmem: ERROR: invalid free of"),
                  "free(pointer into a SuperSlab header): expected a complaint, got \"%s\"", out);
    free(p);
}
END_TEST

/* A thread allocates three 24 KiB blocks (two per slab) and frees them all. */
static void *three_blocks(void *arg)
{
    void **blk = arg;
    for (int i = 0; i < 3; i++)
        blk[i] = malloc(24576);
    for (int i = 0; i < 3; i++)
        free(blk[i]);
    return NULL;
}

/* A second free of a block whose slab went back to the pool is refused. */
START_TEST(test_double_free_of_released_slab_refused)
{
    hk_opt[HK_OPT_ON_ERROR] = HK_ON_ERROR_REPORT; /* report, then go on */
    void *blk[3];
    pthread_t t;
    ck_assert_msg(pthread_create(&t, NULL, three_blocks, blk) == 0, "pthread_create");
    pthread_join(t, NULL);
    hk_slab *s = slab_of(blk[0]);
    ck_assert_msg(s->state == HK_SLAB_EMPTY || s->state == HK_SLAB_FREE,
                  "slab of a freed block after its thread exited: expected EMPTY or FREE, got %u",
                  s->state);
    char out[1024];
    capture_stderr(free_arg, blk[0], out, sizeof out);
    ck_assert_msg(strstr(out, "hakmem: ERROR: double free of"),
                  "double free into a released slab: expected a complaint, got \"%s\"", out);
    ck_assert_msg(atomic_load(&s->remote) == 0,
                  "refused double free: expected nothing pushed on the slab's remote list");
}
END_TEST

/* The owner frees a block that another thread freed first, which that
 * thread still keeps for its own mallocs: the key says free, and the
 * owner believes it (the block is on none of the owner's lists). */
struct kept_case {
    void *p;
    pthread_barrier_t freed, checked;
};

static void *free_and_keep(void *arg)
{
    struct kept_case *kc = arg;
    void *volatile own = malloc(16); /* a heap: the block is kept, not handed back */
    free(own);
    free(kc->p);
    pthread_barrier_wait(&kc->freed);
    pthread_barrier_wait(&kc->checked);
    return NULL;
}

START_TEST(test_double_free_of_kept_block_reported)
{
    hk_opt[HK_OPT_ON_ERROR] = HK_ON_ERROR_REPORT;
    struct kept_case kc = { .p = malloc(64) };
    hk_slab *s = slab_of(kc.p);
    pthread_barrier_init(&kc.freed, NULL, 2);
    pthread_barrier_init(&kc.checked, NULL, 2);
    pthread_t t;
    ck_assert_msg(pthread_create(&t, NULL, free_and_keep, &kc) == 0, "pthread_create");
    pthread_barrier_wait(&kc.freed);
    uint32_t used = s->used;
    char out[1024];
    capture_stderr(free_arg, kc.p, out, sizeof out);
    uint32_t used_after = s->used; /* before the thread exits and hands its blocks back */
    pthread_barrier_wait(&kc.checked);
    pthread_join(t, NULL);
    ck_assert_msg(strstr(out, "hakmem: ERROR: double free of"),
                  "owner's free of a block another thread freed and keeps: expected a complaint, got \"%s\"",
                  out);
    ck_assert_msg(used_after == used, "refused double free: expected used %u unchanged, got %u", used,
                  used_after);
}
END_TEST

static Suite *alloc_suite(void)
{
    Suite *s = suite_create("alloc");
    TCase *tc = tcase_create("posix");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_malloc_zero);
    tcase_add_test(tc, test_double_free_of_kept_block_reported);
    tcase_add_test(tc, test_calloc_overflow);
    tcase_add_test(tc, test_calloc_zeroed);
    tcase_add_test(tc, test_reallocarray_overflow);
    tcase_add_test(tc, test_realloc_null_is_malloc);
    tcase_add_test(tc, test_realloc_zero_frees);
    tcase_add_test(tc, test_realloc_keeps_contents_across_tiers);
    tcase_add_test(tc, test_realloc_in_place);
    tcase_add_test(tc, test_posix_memalign_einval);
    tcase_add_test(tc, test_posix_memalign_ok);
    tcase_add_test(tc, test_aligned_alloc_and_memalign);
    tcase_add_test(tc, test_valloc_pvalloc);
    tcase_add_test(tc, test_usable_size);
    tcase_add_test(tc, test_alignment_every_size);
    tcase_add_test(tc, test_live_blocks_disjoint);
    tcase_add_test(tc, test_mallinfo2);
    tcase_add_test(tc, test_mallinfo2_large);
    tcase_add_test(tc, test_malloc_trim);
    tcase_add_test(tc, test_malloc_stats);
    tcase_add_test(tc, test_stats_get_null);
    tcase_add_test(tc, test_free_foreign_refused);
    tcase_add_test(tc, test_double_free_of_released_slab_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alloc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
