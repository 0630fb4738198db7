/* stress_threads.c — 4 threads x 200k ops of malloc/calloc/realloc/aligned allocs with
 * byte patterns, half the blocks freed by another thread after a full content check. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stress.h"

#define NTHREADS 4
#define OPS 200000
#define SLOTS 512            /* live blocks per thread */
#define QCAP 4096            /* exchange queue capacity per receiving thread */
#define DRAIN_BATCH 32

struct blk {
    unsigned char *p;
    size_t size;
    uint32_t tid, idx;       /* the pattern is a function of (tid, idx, size) */
};

struct counts {
    uint64_t allocs, sent, received, reallocs, callocs, aligned, large;
};

struct worker {
    uint32_t tid, next_idx;
    uint64_t rng;
    struct counts n;
    struct blk slot[SLOTS];
};

/* The exchange: one mutex, one inbox ring per receiving thread. */
static struct {
    pthread_mutex_t lock;
    struct blk q[NTHREADS][QCAP];
    size_t head[NTHREADS], len[NTHREADS];
} xq = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

/* Prints the first failure only, then exits 1. */
_Noreturn static void fail(const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&fail_lock);
    fputs("stress_threads: FAIL: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}


static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* Word k of the pattern of block b; byte j of the block is byte j%8 of word j/8. */
static uint64_t pat_seed(const struct blk *b)
{
    return mix(((uint64_t)b->tid << 56) ^ ((uint64_t)b->idx << 24) ^ b->size);
}

static void fill(const struct blk *b)
{
    uint64_t s = pat_seed(b);
    size_t words = b->size / 8, i;
    for (i = 0; i < words; i++) {
        uint64_t w = s + i * 0x9E3779B97F4A7C15ull;
        memcpy(b->p + 8 * i, &w, 8);
    }
    uint64_t w = s + i * 0x9E3779B97F4A7C15ull;
    memcpy(b->p + 8 * i, &w, b->size % 8);
}

/* Checks bytes [0, n) of b against its pattern; fails naming the first bad byte. */
static void verify(const struct blk *b, size_t n, const char *where)
{
    uint64_t s = pat_seed(b);
    for (size_t off = 0; off < n; off += 8) {
        uint64_t w = s + (off / 8) * 0x9E3779B97F4A7C15ull;
        unsigned char want;
        int j = stress_word_diff(b->p + off, w, n - off < 8 ? n - off : 8, &want);
        if (j >= 0)
            fail("%s: block tid=%u idx=%u size=%zu at %p: byte %zu expected 0x%02x, got 0x%02x",
                 where, b->tid, b->idx, b->size, (void *)b->p, off + j, want, b->p[off + j]);
    }
}

static void verify_free(struct blk *b, const char *where)
{
    verify(b, b->size, where);
    free(b->p);
    b->p = NULL;
}

/* Size: mostly small, some up to 64 KiB, about 1 in 4000 of 200 KiB..2 MiB. */
static size_t pick_size(uint64_t r, struct counts *n)
{
    unsigned k = (unsigned)(r % 4000);
    r >>= 12;
    if (k == 0) {
        n->large++;
        return (200u << 10) + (size_t)(r % ((2u << 20) - (200u << 10) + 1));
    }
    if (k < 3200)
        return 8 + (size_t)(r % 1017);
    if (k < 3880)
        return 1024 + (size_t)(r % 7169);
    if (k < 3988)
        return 8192 + (size_t)(r % 24577);
    return 32768 + (size_t)(r % 32769);
}

static void check_zero(const unsigned char *p, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (p[i] != 0)
            fail("calloc(%zu) at %p: byte %zu expected 0x00, got 0x%02x", size,
                 (void *)p, i, p[i]);
}

/* posix_memalign or aligned_alloc with an alignment of 8 B .. 8 KiB, checked. */
static void *alloc_aligned(uint64_t r, size_t size)
{
    size_t align = (size_t)8 << (r % 11);
    void *p = NULL;
    if ((r >> 8) & 1) {
        int rc = posix_memalign(&p, align, size);
        if (rc != 0)
            fail("posix_memalign(align=%zu, %zu): expected 0, got %d", align, size, rc);
    } else {
        size = (size + align - 1) / align * align; /* C11: size a multiple of align */
        p = aligned_alloc(align, size);
    }
    if (p == NULL || ((uintptr_t)p & (align - 1)) != 0)
        fail("aligned allocation of %zu B: expected a %zu-aligned block, got %p", size,
             align, p);
    return p;
}

/* A new block in b, by malloc (80%), calloc (8%) or an aligned call (12%). */
static void alloc_new(struct worker *w, struct blk *b, uint64_t r)
{
    size_t size = pick_size(r, &w->n);
    unsigned how = (unsigned)((r >> 40) % 100);
    if (how < 80) {
        b->p = malloc(size);
    } else if (how < 88) {
        b->p = calloc(1, size);
        if (b->p != NULL)
            check_zero(b->p, size);
        w->n.callocs++;
    } else {
        b->p = alloc_aligned(r >> 48, size);
        w->n.aligned++;
    }
    if (b->p == NULL)
        fail("thread %u: allocation of %zu B returned NULL, expected a block", w->tid, size);
    b->size = size;
    b->tid = w->tid;
    b->idx = w->next_idx++;
    fill(b);
    w->n.allocs++;
}

/* Queues b for another thread; returns 0 when that inbox is full. */
static int send_blk(uint32_t dest, const struct blk *b)
{
    int ok = 0;
    pthread_mutex_lock(&xq.lock);
    if (xq.len[dest] < QCAP) {
        xq.q[dest][(xq.head[dest] + xq.len[dest]) % QCAP] = *b;
        xq.len[dest]++;
        ok = 1;
    }
    pthread_mutex_unlock(&xq.lock);
    return ok;
}

/* Takes up to max blocks from tid's inbox. */
static size_t take_blks(uint32_t tid, struct blk *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&xq.lock);
    while (n < max && xq.len[tid] > 0) {
        out[n++] = xq.q[tid][xq.head[tid]];
        xq.head[tid] = (xq.head[tid] + 1) % QCAP;
        xq.len[tid]--;
    }
    pthread_mutex_unlock(&xq.lock);
    return n;
}

/* Verifies and frees up to max blocks other threads sent to tid; returns the count. */
static size_t drain_inbox(uint32_t tid, size_t max)
{
    struct blk in[DRAIN_BATCH];
    size_t total = 0, n;
    do {
        n = take_blks(tid, in, max - total < DRAIN_BATCH ? max - total : DRAIN_BATCH);
        for (size_t i = 0; i < n; i++)
            verify_free(&in[i], "received block");
        total += n;
    } while (n > 0 && total < max);
    return total;
}

/* Ends the life of a slot's block: half go to another thread, the rest freed here. */
static void release(struct worker *w, struct blk *b, uint64_t r)
{
    if (r & 1) {
        uint32_t dest = (w->tid + 1 + (uint32_t)((r >> 1) % (NTHREADS - 1))) % NTHREADS;
        if (send_blk(dest, b)) {
            w->n.sent++;
            b->p = NULL;
            return;
        }
    }
    verify_free(b, "own block");
}

/* realloc to a new size: the common prefix must survive, then the block is refilled. */
static void do_realloc(struct worker *w, struct blk *b, uint64_t r)
{
    struct blk old = *b;
    size_t size = pick_size(r, &w->n);
    unsigned char *p = realloc(b->p, size);
    if (p == NULL)
        fail("thread %u: realloc(%p, %zu) returned NULL, expected a block", w->tid,
             (void *)b->p, size);
    if (old.p != NULL) {
        old.p = p;
        verify(&old, old.size < size ? old.size : size, "realloc kept prefix");
    }
    b->p = p;
    b->size = size;
    b->tid = w->tid;
    b->idx = w->next_idx++;
    fill(b);
    w->n.reallocs++;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < OPS; i++) {
        uint64_t r = stress_rnd(&w->rng);
        struct blk *b = &w->slot[r % SLOTS];
        unsigned action = (unsigned)((r >> 16) % 100);
        if (action < 70) {
            if (b->p != NULL)
                release(w, b, r >> 24);
            alloc_new(w, b, stress_rnd(&w->rng));
        } else if (action < 85) {
            do_realloc(w, b, stress_rnd(&w->rng));
        } else {
            w->n.received += drain_inbox(w->tid, DRAIN_BATCH);
        }
    }
    for (int s = 0; s < SLOTS; s++)
        if (w->slot[s].p != NULL)
            verify_free(&w->slot[s], "own block at exit");
    w->n.received += drain_inbox(w->tid, SIZE_MAX);
    return NULL;
}

/* Requests that cannot be met must fail cleanly with NULL. */
static void edge_checks(void)
{
    volatile size_t huge = SIZE_MAX / 16 + 1; /* volatile: no compile-time size warning */
    void *p = calloc(huge, 32);
    if (p != NULL)
        fail("calloc(SIZE_MAX/16+1, 32) overflows: expected NULL, got %p", p);
    p = malloc(huge * 15);
    if (p != NULL)
        fail("malloc(15/16 of SIZE_MAX): expected NULL, got %p", p);
    free(NULL);
}

int main(void)
{
    static struct worker w[NTHREADS];
    pthread_t th[NTHREADS];
    struct timespec t0, t1;
    struct counts sum = { 0 };

    clock_gettime(CLOCK_MONOTONIC, &t0);
    edge_checks();
    for (uint32_t t = 0; t < NTHREADS; t++) {
        w[t].tid = t;
        w[t].rng = 0x1234567ull + (t + 1) * 0x9E3779B97F4A7C15ull;
        int rc = pthread_create(&th[t], NULL, worker_main, &w[t]);
        if (rc != 0)
            fail("pthread_create #%u: expected 0, got %d (%s)", t, rc, strerror(rc));
    }
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    for (uint32_t t = 0; t < NTHREADS; t++) {
        w[t].n.received += drain_inbox(t, SIZE_MAX);
        sum.allocs += w[t].n.allocs;
        sum.sent += w[t].n.sent;
        sum.received += w[t].n.received;
        sum.reallocs += w[t].n.reallocs;
        sum.callocs += w[t].n.callocs;
        sum.aligned += w[t].n.aligned;
        sum.large += w[t].n.large;
    }
    if (sum.sent != sum.received)
        fail("blocks handed over: expected %llu received, got %llu",
             (unsigned long long)sum.sent, (unsigned long long)sum.received);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("stress_threads: %d threads x %d ops: %llu allocs, %llu handed over, "
           "%llu reallocs, %llu callocs, %llu aligned, %llu large: ok (%.2f s)\n",
           NTHREADS, OPS, (unsigned long long)sum.allocs, (unsigned long long)sum.sent,
           (unsigned long long)sum.reallocs, (unsigned long long)sum.callocs,
           (unsigned long long)sum.aligned, (unsigned long long)sum.large,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
    return 0;
}
