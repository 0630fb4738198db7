/* xthread.c — producer/consumer cross-thread free: PRODUCERS threads allocate
 * blocks of 16..1024 B, write a pattern and pass the pointers through lock-free
 * single-producer single-consumer rings (one per producer/consumer pair) to
 * CONSUMERS threads, which check one byte and free them. Every free is a remote
 * free. Prints blocks/s as ops/s (one op = one malloc in a producer and its free
 * in a consumer), peak RSS and, under hakmem, its counters. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include "hkstats.h"

#define USAGE "xthread [PRODUCERS] [CONSUMERS] [BLOCKS] [SEED]"
#define RING 1024        /* entries per ring, a power of two */
#define MIN_SIZE 16
#define MAX_SIZE 1024
#define SPINS 256        /* empty/full polls before sched_yield */

/* One producer → one consumer. The producer owns tail, the consumer head;
 * each caches the other's index and reloads it only when it seems stuck. */
struct ring {
    _Alignas(64) _Atomic size_t tail;
    size_t head_seen;           /* producer's copy of head */
    _Alignas(64) _Atomic size_t head;
    size_t tail_seen;           /* consumer's copy of tail */
    _Alignas(64) unsigned char *slot[RING];
};

struct thread {
    pthread_t th;
    unsigned idx;
    uint64_t n;                 /* producer: blocks to make; consumer: blocks freed */
    uint64_t rng;
};

static struct {
    uint64_t np, nc;
    struct ring *rings;         /* rings[p * nc + c] */
    pthread_barrier_t start;
} g;

static void ring_push(struct ring *r, unsigned char *p)
{
    size_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    for (unsigned spin = 0; t - r->head_seen == RING; spin++) {
        r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
        if (spin >= SPINS && t - r->head_seen == RING)
            sched_yield();
    }
    r->slot[t & (RING - 1)] = p;
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
}

/* Takes the next pointer when there is one: returns 1, else 0. */
static int ring_pop(struct ring *r, unsigned char **out)
{
    size_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (h == r->tail_seen) {
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (h == r->tail_seen)
            return 0;
    }
    *out = r->slot[h & (RING - 1)];
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return 1;
}

/* The pattern: byte 0 is the block's sequence number on its ring (what the
 * consumer checks), bytes 1..8 the size, the last byte its low byte. */
static void *produce(void *arg)
{
    struct thread *t = arg;
    uint64_t seq[64] = { 0 };   /* per consumer, nc <= 64 */
    pthread_barrier_wait(&g.start);
    for (uint64_t i = 0; i < t->n; i++) {
        uint64_t r = hk_rand(&t->rng);
        size_t size = MIN_SIZE + (size_t)((r >> 32) % (MAX_SIZE - MIN_SIZE + 1));
        unsigned char *p = malloc(size);
        if (p == NULL) {
            fprintf(stderr, "xthread: malloc(%zu) returned NULL, expected a block\n", size);
            exit(1);
        }
        uint64_t c = i % g.nc;
        p[0] = (unsigned char)seq[c]++;
        memcpy(p + 1, &size, sizeof size);
        p[size - 1] = (unsigned char)size;
        ring_push(&g.rings[t->idx * g.nc + c], p);
    }
    for (uint64_t c = 0; c < g.nc; c++)
        ring_push(&g.rings[t->idx * g.nc + c], NULL); /* end of stream */
    return NULL;
}

static void *consume(void *arg)
{
    struct thread *t = arg;
    uint64_t seq[64] = { 0 };   /* per producer, np <= 64 */
    unsigned char done[64] = { 0 };
    uint64_t open = g.np, n = 0;
    unsigned idle = 0;
    pthread_barrier_wait(&g.start);
    while (open > 0) {
        int got = 0;
        for (uint64_t p = 0; p < g.np; p++) {
            unsigned char *b;
            if (done[p] || !ring_pop(&g.rings[p * g.nc + t->idx], &b))
                continue;
            got = 1;
            if (b == NULL) {
                done[p] = 1;
                open--;
                continue;
            }
            if (b[0] != (unsigned char)seq[p]) {
                fprintf(stderr, "xthread: block %llu from producer %llu at %p: expected"
                                " byte 0x%02x, got 0x%02x\n", (unsigned long long)seq[p],
                        (unsigned long long)p, (void *)b, (unsigned)(seq[p] & 0xff), b[0]);
                exit(1);
            }
            seq[p]++;
            free(b);
            n++;
        }
        if (got)
            idle = 0;
        else if (++idle >= SPINS)
            sched_yield();
    }
    t->n = n;
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t np = 1, nc = 1, blocks = 20000000, seed = 42;
    struct hakmem_stats st;
    struct rusage ru;

    hk_arg_max(argc, argv, 4, USAGE);
    hk_arg_u64(argc, argv, 1, "PRODUCERS", 1, 64, &np);
    hk_arg_u64(argc, argv, 2, "CONSUMERS", 1, 64, &nc);
    hk_arg_u64(argc, argv, 3, "BLOCKS", 1, UINT64_C(1) << 40, &blocks);
    hk_arg_u64(argc, argv, 4, "SEED", 0, UINT64_MAX, &seed);
    g.np = np;
    g.nc = nc;
    g.rings = aligned_alloc(64, (size_t)(np * nc) * sizeof *g.rings);
    struct thread *t = calloc((size_t)(np + nc), sizeof *t);
    if (g.rings == NULL || t == NULL) {
        fprintf(stderr, "xthread: no memory for %llu rings\n", (unsigned long long)(np * nc));
        return 1;
    }
    memset(g.rings, 0, (size_t)(np * nc) * sizeof *g.rings);
    pthread_barrier_init(&g.start, NULL, (unsigned)(np + nc) + 1);
    for (uint64_t i = 0; i < np + nc; i++) {
        int prod = i < np;
        t[i].idx = (unsigned)(prod ? i : i - np);
        t[i].n = prod ? blocks / np + (i < blocks % np) : 0;
        t[i].rng = seed + (i + 1) * 0x9E3779B97F4A7C15ull; /* deterministic per producer */
        if (pthread_create(&t[i].th, NULL, prod ? produce : consume, &t[i]) != 0) {
            fprintf(stderr, "xthread: pthread_create #%llu failed\n", (unsigned long long)i);
            return 1;
        }
    }
    double t0 = hk_now();
    pthread_barrier_wait(&g.start);
    uint64_t freed = 0;
    for (uint64_t i = 0; i < np + nc; i++) {
        pthread_join(t[i].th, NULL);
        if (i >= np)
            freed += t[i].n;
    }
    double secs = hk_now() - t0;
    if (freed != blocks) {
        fprintf(stderr, "xthread: consumers freed %llu blocks, expected %llu\n",
                (unsigned long long)freed, (unsigned long long)blocks);
        return 1;
    }
    free(t);
    free(g.rings);

    getrusage(RUSAGE_SELF, &ru);
    int have = hk_stats_snap(&st);
    printf("xthread: producers=%llu consumers=%llu blocks=%llu seed=%llu: %.0f ops/s (%.3f s)"
           " peak_rss_kb=%ld\n", (unsigned long long)np, (unsigned long long)nc,
           (unsigned long long)blocks, (unsigned long long)seed,
           secs > 0 ? (double)blocks / secs : 0.0, secs, ru.ru_maxrss);
    if (have)
        hk_stats_print_line(stdout, &st);
    fflush(stdout);
    return 0;
}
