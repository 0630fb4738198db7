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
    char *p = malloc(n), *q = malloc(n), *r = malloc(n);
    memset(p, 1, n);
    if (strcmp(kind, "double") == 0) {
        free(p);
        free(p);
    } else if (strcmp(kind, "double_delayed") == 0) {
        free(p);
        free(q);
        free(r);
        free(p);
        return;
    } else if (strcmp(kind, "double_reused") == 0) {
        free(p);
        char *again = malloc(n); /* the same block, reused */
        free(again);
        free(p);
    } else if (strcmp(kind, "double_remote") == 0) {
        remote_ptr = p;
        pthread_t t;
        pthread_create(&t, NULL, remote_free, NULL);
        pthread_join(t, NULL);
        free(p);
    } else if (strcmp(kind, "invalid_stack") == 0) {
        char local[64];
        sink = local;
        free(sink);
    } else if (strcmp(kind, "invalid_static") == 0) {
        free(static_buf);
    } else if (strcmp(kind, "invalid_interior") == 0) {
        free(p + 16);
    } else if (strcmp(kind, "invalid_unaligned") == 0) {
        free(p + 1);
    } else if (strcmp(kind, "invalid_far") == 0) {
        free((void *)(uintptr_t)0x1234567890a0ull);
    } else if (strcmp(kind, "invalid_alloca") == 0) {
        sink = alloca(128);
        free(sink);
    } else if (strcmp(kind, "realloc_freed") == 0) {
        free(p);
        sink = realloc(p, n * 2);
        p = NULL;
    } else if (strcmp(kind, "realloc_interior") == 0) {
        sink = realloc(p + 16, n * 2);
    } else {
        fprintf(stderr, "heap_errors: unknown kind %s\n", kind);
        exit(2);
    }
    free(q);
    free(r);
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
