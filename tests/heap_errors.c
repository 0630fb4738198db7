/* heap_errors.c — test workload: commits one heap error (KIND) on a block
 * of one size tier (tiny, mid, large), then checks that the heap still
 * works: blocks handed out are distinct and keep their contents. */
#include <alloca.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char static_buf[256];
static void *volatile sink;
static void *remote_ptr;

/* Hides a pointer from the compiler, so that it neither warns about the
 * errors committed on purpose here nor optimises them away. */
static void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

static void *remote_free(void *arg)
{
    (void)arg;
    free(remote_ptr);
    return NULL;
}

static size_t tier_size(const char *tier)
{
    if (strcmp(tier, "tiny") == 0)
        return 32;
    if (strcmp(tier, "mid") == 0)
        return 20000;
    if (strcmp(tier, "large") == 0)
        return 300000;
    return 0;
}

static void do_error(const char *kind, size_t n)
{
    char *p = opaque(malloc(n)), *q = opaque(malloc(n)), *r = opaque(malloc(n));
    memset(p, 1, n);
    if (strcmp(kind, "double") == 0) {
        free(opaque(p));
        free(opaque(p));
    } else if (strcmp(kind, "double_delayed") == 0) {
        free(opaque(p));
        free(opaque(q));
        free(opaque(r));
        free(opaque(p));
        return;
    } else if (strcmp(kind, "double_reused") == 0) {
        free(opaque(p));
        char *again = opaque(malloc(n)); /* the same block, reused */
        free(opaque(again));
        free(opaque(p));
    } else if (strcmp(kind, "double_remote") == 0) {
        remote_ptr = p;
        pthread_t t;
        pthread_create(&t, NULL, remote_free, NULL);
        pthread_join(t, NULL);
        free(opaque(p));
    } else if (strcmp(kind, "invalid_stack") == 0) {
        char local[64];
        sink = local;
        free(opaque(sink));
    } else if (strcmp(kind, "invalid_static") == 0) {
        free(opaque(static_buf));
    } else if (strcmp(kind, "invalid_interior") == 0) {
        free(opaque(p + 16));
    } else if (strcmp(kind, "invalid_unaligned") == 0) {
        free(opaque(p + 1));
    } else if (strcmp(kind, "invalid_far") == 0) {
        free(opaque((void *)(uintptr_t)0x1234567890a0ull));
    } else if (strcmp(kind, "invalid_alloca") == 0) {
        sink = alloca(128);
        free(opaque(sink));
    } else if (strcmp(kind, "realloc_freed") == 0) {
        free(opaque(p));
        sink = realloc(opaque(p), n * 2);
        p = NULL;
    } else if (strcmp(kind, "realloc_interior") == 0) {
        sink = realloc(opaque(p + 16), n * 2);
    } else if (strcmp(kind, "overflow1") == 0) { /* level 2 */
        p[n] = 1;
        free(opaque(p));
    } else if (strcmp(kind, "underflow1") == 0) {
        p[-1] = 1;
        free(opaque(p));
    } else if (strcmp(kind, "write_after_free") == 0) {
        free(opaque(p));
        p[3] = 7;
        for (int i = 0; i < 2100; i++) /* push it out of the quarantine */
            free(opaque(malloc(n)));
    } else if (strcmp(kind, "fresh_pattern") == 0) {
        char *f = opaque(malloc(n));
        printf("fresh byte 0x%02x\n", (unsigned char)f[n / 2]);
        free(opaque(f));
    } else if (strcmp(kind, "zero_size_write") == 0) {
        char *z = opaque(malloc(0));
        fflush(stdout);
        z[0] = 1;
    } else {
        fprintf(stderr, "heap_errors: unknown kind %s\n", kind);
        exit(2);
    }
    free(opaque(q));
    free(opaque(r));
}

/* Many blocks of the tier's size and others, filled and verified: a heap
 * corrupted by the error would hand out a block twice. */
static int heap_consistent(size_t n)
{
    enum { N = 2000 };
    static unsigned char *blk[N];
    static size_t len[N];
    for (int i = 0; i < N; i++) {
        len[i] = i % 3 ? (size_t)(i % 500) + 1 : n;
        blk[i] = malloc(len[i]);
        if (!blk[i])
            return 0;
        memset(blk[i], i & 0xff, len[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t k = 0; k < len[i]; k += 97)
            if (blk[i][k] != (i & 0xff)) {
                fprintf(stderr, "heap_errors: block %d byte %zu: expected 0x%02x, got 0x%02x\n", i, k,
                        i & 0xff, blk[i][k]);
                return 0;
            }
    for (int i = 0; i < N; i++)
        free(blk[i]);
    return 1;
}

int main(int argc, char **argv)
{
    size_t n = argc == 3 ? tier_size(argv[2]) : 0;
    if (!n) {
        fprintf(stderr, "usage: heap_errors KIND tiny|mid|large\n");
        return 2;
    }
    do_error(argv[1], n);
    if (!heap_consistent(n))
        return 1;
    puts("heap consistent");
    return 0;
}
