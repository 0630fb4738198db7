/* aligned.c — test workload: the memalign family, run under LD_PRELOAD at
 * each HAKMEM_CHECK level by tests/integration/aligned.sh.
 *
 *   aligned levels   every power-of-two alignment from 16 B to 1 GiB with
 *                    sizes 1 B to 4 MiB through posix_memalign, aligned_alloc
 *                    and memalign: aligned, writable over the whole size,
 *                    usable size >= size and not far beyond, no address
 *                    space kept past the block, free works
 *   aligned lenient  glibc 2.36's answers to odd alignments (the script runs
 *                    it without hakmem too, as the reference)
 *
 * Prints "aligned ok" and exits 0 when every check holds; each failed check
 * is one "FAIL: ..." line, and the exit status is 1. */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                      \
    do {                                      \
        if (!(cond)) {                        \
            printf("FAIL: " __VA_ARGS__);     \
            putchar('\n');                    \
            failures++;                       \
        }                                     \
    } while (0)

/* Hides values from the compiler, which knows what aligned_alloc returns. */
static void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

static size_t opaque_size(size_t n)
{
    __asm__ volatile("" : "+r"(n));
    return n;
}

/* VmSize of this process, in KiB (0 when /proc is missing). */
static long vm_size_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

enum api { POSIX_MEMALIGN, ALIGNED_ALLOC, MEMALIGN };
static const char *const api_name[] = { "posix_memalign", "aligned_alloc", "memalign" };

static void *alloc_with(enum api api, size_t align, size_t n)
{
    void *p = NULL;
    switch (api) {
    case POSIX_MEMALIGN: {
        int rc = posix_memalign(&p, opaque_size(align), opaque_size(n));
        CHECK(rc == 0, "posix_memalign(%zu, %zu): expected 0, got %d", align, n, rc);
        if (rc)
            p = NULL;
        break;
    }
    case ALIGNED_ALLOC:
        p = aligned_alloc(opaque_size(align), opaque_size(n));
        break;
    case MEMALIGN:
        p = memalign(opaque_size(align), opaque_size(n));
        break;
    }
    return opaque(p);
}

/* One block: aligned, writable over all of n, usable >= n, within a chunk
 * (2 MiB) and two pages of n (an alignment up to 64 KiB is had by rounding
 * a small request up to a power of two: that too stays within the bound),
 * and no more than that bound of new address space; free works. */
static void one(enum api api, size_t align, size_t n)
{
    const size_t slack = (2u << 20) + 2 * (size_t)sysconf(_SC_PAGESIZE);
    long vm0 = vm_size_kb();
    unsigned char *p = alloc_with(api, align, n);
    long vm1 = vm_size_kb();
    CHECK(p != NULL, "%s(%zu, %zu): expected a block, got NULL (errno %d)", api_name[api], align, n, errno);
    if (!p)
        return;
    CHECK((uintptr_t)p % align == 0, "%s(%zu, %zu): expected an aligned block, got %p", api_name[api], align, n,
          (void *)p);
    memset(p, 0x5a, n);
    CHECK(p[0] == 0x5a && p[n - 1] == 0x5a, "%s(%zu, %zu): expected the first and last bytes written",
          api_name[api], align, n);
    size_t u = malloc_usable_size(p);
    CHECK(u >= n, "%s(%zu, %zu): expected malloc_usable_size >= %zu, got %zu", api_name[api], align, n, n, u);
    CHECK(u <= n + slack, "%s(%zu, %zu): expected malloc_usable_size <= %zu (size + 2 MiB + 2 pages), got %zu",
          api_name[api], align, n, n + slack, u);
    /* VmSize may also shrink: the allocator may serve the block from a cached
     * mapping fitted to it, unmapping the rest */
    if (vm0 && vm1 > vm0)
        CHECK((size_t)(vm1 - vm0) * 1024 <= n + 2 * slack,
              "%s(%zu, %zu): expected VmSize to grow by <= %zu KiB, got %ld KiB (over-reservation kept)",
              api_name[api], align, n, (n + 2 * slack) / 1024, vm1 - vm0);
    free(p);
}

static void levels(void)
{
    static const size_t sizes[] = { 1, 100, 4096, 1 << 20, 4 << 20 };
    for (size_t align = 16; align <= ((size_t)1 << 30); align <<= 1)
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
            for (enum api api = POSIX_MEMALIGN; api <= MEMALIGN; api++)
                one(api, align, sizes[k]);
    /* Blocks still live side by side keep their contents. */
    enum { N = 8 };
    unsigned char *blk[N];
    for (int i = 0; i < N; i++) {
        blk[i] = alloc_with(i % 3, (size_t)1 << (21 + i % 4), 100000);
        if (blk[i])
            memset(blk[i], i + 1, 100000);
    }
    for (int i = 0; i < N; i++) {
        if (!blk[i])
            continue;
        size_t bad = 0;
        while (bad < 100000 && blk[i][bad] == i + 1)
            bad++;
        CHECK(bad == 100000, "live aligned block %d: expected 100000 bytes of 0x%02x, got a change at %zu", i,
              i + 1, bad);
        free(blk[i]);
    }
}

/* glibc 2.36 (malloc.c _mid_memalign; aligned_alloc is memalign there): an
 * alignment up to 16 is malloc's, one that is no power of two is rounded up
 * to one, one above SIZE_MAX / 2 + 1 is EINVAL; posix_memalign wants a power
 * of two multiple of sizeof(void *), else EINVAL with *out untouched. */
static void lenient(void)
{
    static const size_t odd[] = { 0, 1, 2, 3, 5, 7, 12, 17, 24, 48, 100, 4097, 65535, 100000 };
    for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
        size_t a = odd[k], want = 16;
        while (want < a)
            want <<= 1;
        for (enum api api = ALIGNED_ALLOC; api <= MEMALIGN; api++) {
            errno = 0;
            unsigned char *p = alloc_with(api, a, 16);
            CHECK(p != NULL, "%s(%zu, 16): expected a block (glibc rounds the alignment up), got NULL, errno %d",
                  api_name[api], a, errno);
            if (!p)
                continue;
            CHECK((uintptr_t)p % want == 0, "%s(%zu, 16): expected %zu-byte alignment, got %p", api_name[api], a,
                  want, (void *)p);
            CHECK(malloc_usable_size(p) >= 16, "%s(%zu, 16): expected usable >= 16, got %zu", api_name[api], a,
                  malloc_usable_size(p));
            memset(p, 1, 16);
            free(p);
        }
        void *p = (void *)0x1234;
        int rc = posix_memalign(&p, opaque_size(a), 16);
        int ok = a >= sizeof(void *) && (a & (a - 1)) == 0;
        CHECK(rc == (ok ? 0 : EINVAL) && (ok || p == (void *)0x1234),
              "posix_memalign(%zu, 16): expected %s, got %d (*out %p)", a, ok ? "0" : "EINVAL and *out untouched",
              rc, p);
        if (rc == 0)
            free(p);
    }
    static const size_t never[] = { ((size_t)1 << 63) + 8, SIZE_MAX };
    for (size_t k = 0; k < sizeof never / sizeof never[0]; k++) {
        for (enum api api = ALIGNED_ALLOC; api <= MEMALIGN; api++) {
            errno = 0;
            void *p = alloc_with(api, never[k], 16);
            CHECK(p == NULL && errno == EINVAL, "%s(%#zx, 16): expected NULL and EINVAL, got %p and errno %d",
                  api_name[api], never[k], p, errno);
        }
        void *p = (void *)0x1234;
        int rc = posix_memalign(&p, opaque_size(never[k]), 16);
        CHECK(rc == EINVAL && p == (void *)0x1234, "posix_memalign(%#zx, 16): expected EINVAL, got %d",
              never[k], rc);
    }
    /* A power of two too big for memory: ENOMEM, in every member. */
    size_t top = (size_t)1 << 63;
    for (enum api api = ALIGNED_ALLOC; api <= MEMALIGN; api++) {
        errno = 0;
        void *p = alloc_with(api, top, 16);
        CHECK(p == NULL && errno == ENOMEM, "%s(2^63, 16): expected NULL and ENOMEM, got %p and errno %d",
              api_name[api], p, errno);
    }
    void *p = (void *)0x1234;
    int rc = posix_memalign(&p, opaque_size(top), 16);
    CHECK(rc == ENOMEM && p == (void *)0x1234, "posix_memalign(2^63, 16): expected ENOMEM, got %d", rc);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2 || (strcmp(argv[1], "levels") && strcmp(argv[1], "lenient"))) {
        fprintf(stderr, "usage: %s levels|lenient\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "levels") == 0)
        levels();
    else
        lenient();
    if (failures)
        return 1;
    puts("aligned ok");
    return 0;
}
