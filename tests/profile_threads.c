/* profile_threads.c — the heap profiler across threads: producer threads
 * allocate blocks (small, medium, large) and exit; a consumer frees them
 * long after their owners are gone, while the next producers take over the
 * exited threads' sampled heaps. Every block's contents are checked before
 * its free. `profile_threads ROUNDS` prints "blocks N"; run at
 * HAKMEM_PROFILE_RATE=1, every block has one alloc and one free event. */
#include <pthread.h>
#include <stdlib.h>
#include "stress.h"

#define PRODUCERS 4
#define PER_THREAD 2000

struct batch {
    unsigned char *p[PER_THREAD];
    size_t n[PER_THREAD];
    uint64_t seed;
};

static size_t size_of(uint64_t *rng, unsigned i)
{
    uint64_t r = stress_rnd(rng);
    if (i % 500 == 0)
        return 70000 + r % 200000; /* large */
    if (i % 10 == 0)
        return 1025 + r % 30000;   /* mid */
    return 1 + r % 1024;           /* tiny */
}

static void *produce(void *arg)
{
    struct batch *b = arg;
    uint64_t rng = b->seed;
    for (unsigned i = 0; i < PER_THREAD; i++) {
        b->n[i] = size_of(&rng, i);
        b->p[i] = malloc(b->n[i]);
        if (!b->p[i]) {
            stress_say(1, "profile_threads: malloc(%zu) failed\n", b->n[i]);
            exit(1);
        }
        memset(b->p[i], (int)(i & 0xff), b->n[i]);
        if (i % 3 == 0) { /* some freed by their own thread, some moved by realloc */
            free(b->p[i]);
            b->p[i] = NULL;
        } else if (i % 7 == 0) {
            b->p[i] = realloc(b->p[i], b->n[i] * 2);
            memset(b->p[i], (int)(i & 0xff), b->n[i] * 2);
            b->n[i] *= 2;
        }
    }
    return NULL;
}

static void consume(struct batch *b)
{
    for (unsigned i = 0; i < PER_THREAD; i++) {
        if (!b->p[i])
            continue;
        for (size_t k = 0; k < b->n[i]; k += 97)
            if (b->p[i][k] != (unsigned char)(i & 0xff)) {
                stress_say(1, "profile_threads: block %u byte %zu changed\n", i, k);
                exit(1);
            }
        free(b->p[i]);
    }
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    static struct batch b[PRODUCERS];
    unsigned long blocks = 0;
    for (int r = 0; r < rounds; r++) {
        pthread_t t[PRODUCERS];
        for (int i = 0; i < PRODUCERS; i++) {
            b[i].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(r * PRODUCERS + i + 1);
            if (pthread_create(&t[i], NULL, produce, &b[i]) != 0) {
                stress_say(1, "profile_threads: pthread_create failed\n");
                return 1;
            }
        }
        for (int i = 0; i < PRODUCERS; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < PRODUCERS; i++) /* owners gone: remote frees into orphaned sampled heaps */
            consume(&b[i]);
        blocks += PRODUCERS * PER_THREAD;
    }
    printf("blocks %lu\n", blocks);
    return 0;
}
