/* larson.c — a larson-style server simulation: THREADS workers each hold an array
 * of SLOTS blocks; an operation frees a random slot's block and puts a new one of
 * 16..4096 B there; every SWAP operations a worker takes the next array from its
 * inbox and hands its own to the next worker's (a ring, under one mutex), so the
 * blocks one thread allocated are freed by another whatever the scheduling. Each
 * inbox starts with DEPTH arrays, so a worker may run that many periods ahead
 * before it waits. Prints ops/s (one op = one free + one malloc), the share of
 * frees that were cross-thread, peak RSS and, under hakmem, its counters. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include "hkstats.h"

#define USAGE "larson [THREADS] [OPS|SECONDSs] [SEED] [SLOTS] [SWAP]"
#define MIN_SIZE 16
#define MAX_SIZE 4096
#define MAIN_TAG 0xff /* block byte 1 of the blocks the main thread made */

#define DEPTH 2

/* An array of slots; THREADS * (DEPTH + 1) of them exist. */
struct arena {
    unsigned char **slot;
    struct arena *next; /* in an inbox */
};

/* The arrays waiting for a worker, FIFO; under g.lock. */
struct inbox {
    struct arena *head, *tail;
    pthread_cond_t ready;
};

struct worker {
    pthread_t th;
    unsigned idx;
    uint64_t rng;
    uint64_t ops;       /* done */
    uint64_t remote;    /* frees of a block another thread allocated */
    struct arena *mine;
};

static struct {
    uint64_t ops;       /* per thread, when seconds == 0 */
    double seconds;     /* run for this long instead, when > 0 */
    uint64_t slots;
    uint64_t swap;
    uint64_t nthreads;
    double t0;
    pthread_barrier_t start;
    pthread_mutex_t lock;
    _Atomic int stopping; /* a worker finished: nobody waits any more */
    struct inbox *inbox;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void inbox_put(struct inbox *q, struct arena *a)
{
    a->next = NULL;
    if (q->tail)
        q->tail->next = a;
    else
        q->head = a;
    q->tail = a;
}

static struct arena *inbox_take(struct inbox *q)
{
    struct arena *a = q->head;
    if (a && !(q->head = a->next))
        q->tail = NULL;
    return a;
}

/* The handoff: the next array from w's inbox, then a to the next worker's.
 * Returns a itself when the run is stopping and the inbox is empty. */
static struct arena *handoff(struct worker *w, struct arena *a)
{
    struct inbox *in = &g.inbox[w->idx], *out = &g.inbox[(w->idx + 1) % g.nthreads];
    pthread_mutex_lock(&g.lock);
    while (!in->head && !g.stopping)
        pthread_cond_wait(&in->ready, &g.lock);
    struct arena *t = inbox_take(in);
    if (t) {
        inbox_put(out, a);
        pthread_cond_signal(&out->ready);
        a = t;
    }
    pthread_mutex_unlock(&g.lock);
    return a;
}

/* A worker is done: wake every waiting one, which then stops at its handoff. */
static void stop_all(void)
{
    pthread_mutex_lock(&g.lock);
    g.stopping = 1;
    for (uint64_t i = 0; i < g.nthreads; i++)
        pthread_cond_broadcast(&g.inbox[i].ready);
    pthread_mutex_unlock(&g.lock);
}

/* A block of a random size, tagged: byte 0 the low size byte, byte 1 the
 * allocating thread, the last byte the index of the slot. */
static unsigned char *new_block(uint64_t r, unsigned tag, uint64_t slot)
{
    size_t size = MIN_SIZE + (size_t)((r >> 32) % (MAX_SIZE - MIN_SIZE + 1));
    unsigned char *p = malloc(size);
    if (p == NULL) {
        fprintf(stderr, "larson: malloc(%zu) returned NULL, expected a block\n", size);
        exit(1);
    }
    p[0] = (unsigned char)size;
    p[1] = (unsigned char)tag;
    p[size - 1] = (unsigned char)slot;
    return p;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    struct arena *a = w->mine;
    uint64_t n = 0, remote = 0;
    pthread_barrier_wait(&g.start);
    for (;;) {
        for (uint64_t k = 0; k < g.swap; k++) {
            uint64_t r = hk_rand(&w->rng);
            uint64_t s = r % g.slots;
            unsigned char *p = a->slot[s];
            remote += p[1] != w->idx;
            free(p);
            a->slot[s] = new_block(r, w->idx, s);
        }
        n += g.swap;
        if (g.seconds > 0 ? hk_now() - g.t0 >= g.seconds : n >= g.ops)
            break;
        a = handoff(w, a);
        if (g.stopping && g.seconds > 0)
            break;
    }
    if (g.seconds > 0)
        stop_all();
    w->ops = n;
    w->remote = remote;
    w->mine = a;
    return NULL;
}

/* "12" → 12 operations per thread; "3s" → run for 3 seconds. */
static void parse_amount(int argc, char **argv)
{
    if (argc <= 2)
        return;
    char buf[32];
    size_t len = strlen(argv[2]);
    if (len > 1 && len < sizeof buf && argv[2][len - 1] == 's') {
        uint64_t sec;
        memcpy(buf, argv[2], len - 1);
        buf[len - 1] = '\0';
        if (hk_parse_u64(buf, 1, 3600, &sec) != 0) {
            fprintf(stderr, "larson: bad SECONDS '%s': expected 1s..3600s\n", argv[2]);
            exit(2);
        }
        g.seconds = (double)sec;
        return;
    }
    hk_arg_u64(argc, argv, 2, "OPS", 1, UINT64_C(1) << 40, &g.ops);
}

static struct arena *arena_new(uint64_t *rng)
{
    struct arena *a = malloc(sizeof *a);
    if (a == NULL || (a->slot = malloc(g.slots * sizeof *a->slot)) == NULL) {
        fprintf(stderr, "larson: no memory for an array of %llu slots\n",
                (unsigned long long)g.slots);
        exit(1);
    }
    for (uint64_t s = 0; s < g.slots; s++)
        a->slot[s] = new_block(hk_rand(rng), MAIN_TAG, s);
    return a;
}

static void arena_free(struct arena *a)
{
    for (uint64_t s = 0; s < g.slots; s++)
        free(a->slot[s]);
    free(a->slot);
    free(a);
}

int main(int argc, char **argv)
{
    uint64_t nthreads = 2, seed = 42;
    struct hakmem_stats st;
    struct rusage ru;

    g.ops = 5000000;
    g.slots = 1000;
    g.swap = 1000;
    hk_arg_max(argc, argv, 5, USAGE);
    hk_arg_u64(argc, argv, 1, "THREADS", 1, 1024, &nthreads);
    parse_amount(argc, argv);
    hk_arg_u64(argc, argv, 3, "SEED", 0, UINT64_MAX, &seed);
    hk_arg_u64(argc, argv, 4, "SLOTS", 1, UINT64_C(1) << 24, &g.slots);
    hk_arg_u64(argc, argv, 5, "SWAP", 1, UINT64_C(1) << 32, &g.swap);
    if (g.seconds == 0 && g.ops % g.swap)
        g.ops += g.swap - g.ops % g.swap; /* whole handoff periods */

    g.nthreads = nthreads;
    struct worker *w = calloc((size_t)nthreads, sizeof *w);
    g.inbox = calloc((size_t)nthreads, sizeof *g.inbox);
    if (w == NULL || g.inbox == NULL) {
        fprintf(stderr, "larson: calloc of %llu workers failed\n", (unsigned long long)nthreads);
        return 1;
    }
    uint64_t mrng = seed ^ 0xA5A5A5A5A5A5A5A5ull;
    for (uint64_t i = 0; i < nthreads; i++) {
        pthread_cond_init(&g.inbox[i].ready, NULL);
        for (int d = 0; d < DEPTH; d++)
            inbox_put(&g.inbox[i], arena_new(&mrng));
    }
    pthread_barrier_init(&g.start, NULL, (unsigned)nthreads + 1);
    for (uint64_t i = 0; i < nthreads; i++) {
        w[i].idx = (unsigned)i;
        w[i].rng = seed + (i + 1) * 0x9E3779B97F4A7C15ull; /* deterministic per thread */
        w[i].mine = arena_new(&mrng);
        if (pthread_create(&w[i].th, NULL, work, &w[i]) != 0) {
            fprintf(stderr, "larson: pthread_create #%llu failed\n", (unsigned long long)i);
            return 1;
        }
    }
    g.t0 = hk_now();
    pthread_barrier_wait(&g.start);
    uint64_t ops = 0, remote = 0;
    for (uint64_t i = 0; i < nthreads; i++) {
        pthread_join(w[i].th, NULL);
        ops += w[i].ops;
        remote += w[i].remote;
    }
    double t = hk_now() - g.t0;
    for (uint64_t i = 0; i < nthreads; i++) {
        struct arena *a;
        arena_free(w[i].mine);
        while ((a = inbox_take(&g.inbox[i])))
            arena_free(a);
    }
    free(g.inbox);
    free(w);

    getrusage(RUSAGE_SELF, &ru);
    int have = hk_stats_snap(&st);
    printf("larson: threads=%llu ops=%llu seed=%llu slots=%llu swap=%llu: %.0f ops/s (%.3f s)"
           " cross_thread_frees=%.1f%% peak_rss_kb=%ld\n",
           (unsigned long long)nthreads, (unsigned long long)ops, (unsigned long long)seed,
           (unsigned long long)g.slots, (unsigned long long)g.swap,
           t > 0 ? (double)ops / t : 0.0, t, ops ? 100.0 * (double)remote / (double)ops : 0.0,
           ru.ru_maxrss);
    if (have)
        hk_stats_print_line(stdout, &st);
    fflush(stdout);
    return 0;
}
