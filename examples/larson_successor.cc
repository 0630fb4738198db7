/* larson_successor.cc — the original larson benchmark (Larson & Krishnan): WORKERS
 * workers each own an array of BLOCKS blocks of 10..1000 B; a thread does OPS
 * random free + new of a block of its array, then starts a successor thread that
 * inherits the array (and the blocks the thread made) and exits; each worker's
 * line of threads runs THREADS threads, so WORKERS are alive at any time. --sized
 * frees with the sized operator delete[] (as C++14 compilers emit). Prints ops/s
 * (one op = one free + one new) and threads/s. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sys/resource.h>
#include <new>
#include "hkstats.h"

#define USAGE "larson_successor [--sized] [WORKERS] [THREADS] [OPS] [BLOCKS] [SEED]"
#define MIN_SIZE 10
#define MAX_SIZE 1000

struct lineage {
    char **block;
    size_t *size;
    uint64_t nblocks, ops, threads_left, rng, done_ops;
};

static bool sized;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static unsigned running;

static void release(char *p, size_t n)
{
    if (sized)
        ::operator delete[](p, n);
    else
        ::operator delete[](p);
}

static char *make(size_t n, uint64_t tag)
{
    char *p = static_cast<char *>(::operator new[](n));
    p[0] = (char)tag;
    p[n - 1] = (char)(tag >> 8);
    return p;
}

static void *worker(void *arg)
{
    lineage *l = static_cast<lineage *>(arg);
    for (uint64_t i = 0; i < l->ops; i++) {
        uint64_t r = hk_rand(&l->rng);
        size_t v = (size_t)(r % l->nblocks);
        char *old = l->block[v];
        size_t on = l->size[v];
        if (old[0] != (char)v || old[on - 1] != (char)(v >> 8)) {
            fprintf(stderr, "larson_successor: block %zu lost its contents\n", v);
            exit(1);
        }
        release(old, on);
        size_t n = MIN_SIZE + (size_t)((r >> 32) % (MAX_SIZE - MIN_SIZE + 1));
        l->block[v] = make(n, v);
        l->size[v] = n;
    }
    l->done_ops += l->ops;
    if (--l->threads_left > 0) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &a, worker, l) != 0) {
            fprintf(stderr, "larson_successor: pthread_create failed\n");
            exit(1);
        }
        pthread_attr_destroy(&a);
        return nullptr;
    }
    pthread_mutex_lock(&lock);
    running--;
    pthread_cond_signal(&finished);
    pthread_mutex_unlock(&lock);
    return nullptr;
}

int main(int argc, char **argv)
{
    uint64_t workers = 2, threads = 200, ops = 20000, nblocks = 5000, seed = 42;
    if (argc > 1 && strcmp(argv[1], "--sized") == 0) {
        sized = true;
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    hk_arg_max(argc, argv, 5, USAGE);
    hk_arg_u64(argc, argv, 1, "WORKERS", 1, 64, &workers);
    hk_arg_u64(argc, argv, 2, "THREADS", 1, UINT64_C(1) << 32, &threads);
    hk_arg_u64(argc, argv, 3, "OPS", 1, UINT64_C(1) << 40, &ops);
    hk_arg_u64(argc, argv, 4, "BLOCKS", 1, UINT64_C(1) << 24, &nblocks);
    hk_arg_u64(argc, argv, 5, "SEED", 0, UINT64_MAX, &seed);

    lineage *ls = new lineage[workers];
    for (uint64_t w = 0; w < workers; w++) {
        lineage &l = ls[w];
        l = lineage{ new char *[nblocks], new size_t[nblocks], nblocks, ops, threads,
                     seed + (w + 1) * 0x9E3779B97F4A7C15ull, 0 };
        for (uint64_t b = 0; b < nblocks; b++) {
            uint64_t r = hk_rand(&l.rng);
            l.size[b] = MIN_SIZE + (size_t)(r % (MAX_SIZE - MIN_SIZE + 1));
            l.block[b] = make(l.size[b], b);
        }
    }
    double t0 = hk_now();
    running = (unsigned)workers;
    for (uint64_t w = 0; w < workers; w++) {
        pthread_t t;
        if (pthread_create(&t, nullptr, worker, &ls[w]) != 0 || pthread_detach(t) != 0) {
            fprintf(stderr, "larson_successor: pthread_create failed\n");
            return 1;
        }
    }
    pthread_mutex_lock(&lock);
    while (running > 0)
        pthread_cond_wait(&finished, &lock);
    pthread_mutex_unlock(&lock);
    double t = hk_now() - t0;
    uint64_t total = 0;
    for (uint64_t w = 0; w < workers; w++) {
        total += ls[w].done_ops;
        for (uint64_t b = 0; b < nblocks; b++)
            release(ls[w].block[b], ls[w].size[b]);
        delete[] ls[w].block;
        delete[] ls[w].size;
    }
    delete[] ls;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("larson_successor: %s workers=%llu threads=%llu ops=%llu blocks=%llu: %.0f ops/s %.0f threads/s"
           " (%.3f s) peak_rss_kb=%ld\n", sized ? "sized" : "unsized", (unsigned long long)workers,
           (unsigned long long)threads, (unsigned long long)ops, (unsigned long long)nblocks,
           t > 0 ? (double)total / t : 0.0, t > 0 ? (double)(workers * threads) / t : 0.0, t, ru.ru_maxrss);
    struct hakmem_stats st;
    if (hk_stats_snap(&st))
        hk_stats_print_line(stdout, &st);
    return 0;
}
