/* thread_churn.c — many short threads: THREADS threads run one after another, at
 * most 2 alive at once; each makes OPS random malloc/free of 16..2048 B over 64
 * slots, frees what it holds except up to KEEP blocks, which it leaves to the next
 * thread to free (blocks that outlive the thread that made them). Prints threads/s,
 * ops/s (one op = one malloc or one free), peak RSS and, under hakmem, its counters. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <sys/resource.h>
#include "hkstats.h"

#define USAGE "thread_churn [THREADS] [OPS] [SEED]"
#define WS 64
#define KEEP 16
#define MIN_SIZE 16
#define MAX_SIZE 2048

struct job {
    uint64_t idx, ops, seed;
};

/* Blocks left by finished threads for a later one; under lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *left[KEEP];
static size_t nleft;

static void take_left(void)
{
    unsigned char *mine[KEEP];
    size_t n;
    pthread_mutex_lock(&lock);
    n = nleft;
    memcpy(mine, left, n * sizeof *mine);
    nleft = 0;
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n; i++)
        free(mine[i]);
}

static void *work(void *arg)
{
    const struct job *j = arg;
    unsigned char *slot[WS] = { 0 };
    uint64_t rng = j->seed + (j->idx + 1) * 0x9E3779B97F4A7C15ull; /* deterministic per thread */
    take_left();
    for (uint64_t i = 0; i < j->ops; i++) {
        uint64_t r = hk_rand(&rng);
        unsigned s = (unsigned)(r % WS);
        if (slot[s] != NULL) {
            if (slot[s][0] != (unsigned char)s) {
                fprintf(stderr, "thread_churn: thread %llu slot %u: expected tag 0x%02x,"
                                " got 0x%02x\n", (unsigned long long)j->idx, s, s, slot[s][0]);
                exit(1);
            }
            free(slot[s]);
            slot[s] = NULL;
        } else {
            size_t size = MIN_SIZE + (size_t)((r >> 32) % (MAX_SIZE - MIN_SIZE + 1));
            unsigned char *p = malloc(size);
            if (p == NULL) {
                fprintf(stderr, "thread_churn: malloc(%zu) returned NULL, expected a block\n",
                        size);
                exit(1);
            }
            p[0] = (unsigned char)s;
            p[size - 1] = (unsigned char)i;
            slot[s] = p;
        }
    }
    pthread_mutex_lock(&lock);
    for (unsigned s = 0; s < WS; s++) {
        if (slot[s] != NULL && nleft < KEEP) {
            left[nleft++] = slot[s];
            slot[s] = NULL;
        }
    }
    pthread_mutex_unlock(&lock);
    for (unsigned s = 0; s < WS; s++)
        free(slot[s]);
    return NULL;
}

int main(int argc, char **argv)
{
    uint64_t nthreads = 4000, ops = 2000, seed = 42;
    struct hakmem_stats st;
    struct rusage ru;
    pthread_t th[2];
    struct job job[2];

    hk_arg_max(argc, argv, 3, USAGE);
    hk_arg_u64(argc, argv, 1, "THREADS", 1, UINT64_C(1) << 32, &nthreads);
    hk_arg_u64(argc, argv, 2, "OPS", 0, UINT64_C(1) << 32, &ops);
    hk_arg_u64(argc, argv, 3, "SEED", 0, UINT64_MAX, &seed);

    double t0 = hk_now();
    for (uint64_t i = 0; i < nthreads; i++) {
        unsigned k = (unsigned)(i % 2); /* the window: thread i waits for thread i - 2 */
        if (i >= 2)
            pthread_join(th[k], NULL);
        job[k] = (struct job){ .idx = i, .ops = ops, .seed = seed };
        if (pthread_create(&th[k], NULL, work, &job[k]) != 0) {
            fprintf(stderr, "thread_churn: pthread_create #%llu failed\n", (unsigned long long)i);
            return 1;
        }
    }
    for (uint64_t i = nthreads > 2 ? nthreads - 2 : 0; i < nthreads; i++)
        pthread_join(th[i % 2], NULL);
    double t = hk_now() - t0;
    take_left();

    getrusage(RUSAGE_SELF, &ru);
    int have = hk_stats_snap(&st);
    printf("thread_churn: threads=%llu ops=%llu seed=%llu: %.0f threads/s %.0f ops/s (%.3f s)"
           " peak_rss_kb=%ld\n", (unsigned long long)nthreads, (unsigned long long)ops,
           (unsigned long long)seed, t > 0 ? (double)nthreads / t : 0.0,
           t > 0 ? (double)(nthreads * ops) / t : 0.0, t, ru.ru_maxrss);
    if (have)
        hk_stats_print_line(stdout, &st);
    fflush(stdout);
    return 0;
}
