/* short_threads.c — short-lived threads: ROUNDS times, THREADS threads start
 * together; each allocates one 128-byte zeroed block, swaps it into a shared
 * array (its slot) and frees the block it got back (the previous round's, made
 * by a thread that has exited), then exits. Prints threads/s. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include "hkstats.h"

#define USAGE "short_threads [ROUNDS] [THREADS]"
#define BLOCK 128
#define MAX_THREADS 256

static _Atomic(unsigned char *) shared[MAX_THREADS];

static void *work(void *arg)
{
    size_t k = (size_t)(uintptr_t)arg;
    unsigned char *p = calloc(1, BLOCK);
    if (p == NULL || p[BLOCK - 1] != 0) {
        fprintf(stderr, "short_threads: calloc(1, %d) gave %s\n", BLOCK, p ? "a dirty block" : "NULL");
        exit(1);
    }
    p[0] = (unsigned char)k;
    unsigned char *old = atomic_exchange(&shared[k], p);
    if (old != NULL && old[0] != (unsigned char)k) {
        fprintf(stderr, "short_threads: slot %zu held a block tagged %u\n", k, old[0]);
        exit(1);
    }
    free(old);
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t rounds = 1000, nthreads = 10;
    pthread_t th[MAX_THREADS];
    hk_arg_max(argc, argv, 2, USAGE);
    hk_arg_u64(argc, argv, 1, "ROUNDS", 1, UINT64_C(1) << 32, &rounds);
    hk_arg_u64(argc, argv, 2, "THREADS", 1, MAX_THREADS, &nthreads);

    double t0 = hk_now();
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < nthreads; i++)
            if (pthread_create(&th[i], NULL, work, (void *)(uintptr_t)i) != 0) {
                fprintf(stderr, "short_threads: pthread_create failed in round %llu\n", (unsigned long long)r);
                return 1;
            }
        for (uint64_t i = 0; i < nthreads; i++)
            pthread_join(th[i], NULL);
    }
    double t = hk_now() - t0;
    for (uint64_t i = 0; i < nthreads; i++)
        free(atomic_exchange(&shared[i], NULL));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("short_threads: rounds=%llu threads=%llu: %.0f threads/s (%.3f s) peak_rss_kb=%ld\n",
           (unsigned long long)rounds, (unsigned long long)nthreads,
           t > 0 ? (double)(rounds * nthreads) / t : 0.0, t, ru.ru_maxrss);
    struct hakmem_stats st;
    if (hk_stats_snap(&st))
        hk_stats_print_line(stdout, &st);
    return 0;
}
