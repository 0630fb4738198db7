/* stress_successor.c — larson's successor threads: LINES lines of GENS threads
 * each; a thread checks every block of the array it inherited (made by its
 * predecessors, freed and remade by it), does OPS random free + malloc of 10..1000
 * B with patterned contents, then starts its successor and exits. Deterministic
 * (a seed per line); the main thread checks and frees what the last ones left. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdlib.h>
#include "stress.h"

#define LINES 3
#define GENS 60
#define BLOCKS 2000
#define OPS 4000
#define MIN_SIZE 10
#define MAX_SIZE 1000

struct line {
    unsigned idx;
    unsigned gen;          /* threads of this line started so far */
    uint64_t rng, serial;
    unsigned char *p[BLOCKS];
    size_t size[BLOCKS];
    uint64_t tag[BLOCKS];  /* the pattern word of block i */
};

static struct line lines[LINES];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static unsigned running = LINES;

static void fill(unsigned char *p, size_t n, uint64_t w)
{
    for (size_t o = 0; o < n; o += 8)
        memcpy(p + o, &w, n - o < 8 ? n - o : 8);
}

static void check(const struct line *l, unsigned i, const char *when)
{
    const unsigned char *p = l->p[i];
    for (size_t o = 0; o < l->size[i]; o += 8) {
        size_t len = l->size[i] - o < 8 ? l->size[i] - o : 8;
        unsigned char want;
        int j = stress_word_diff(p + o, l->tag[i], len, &want);
        if (j >= 0) {
            stress_say(1, "stress_successor: FAIL: line %u generation %u, block %u (%zu B) %s: byte %zu"
                          " expected 0x%02x, got 0x%02x\n", l->idx, l->gen, i, l->size[i], when, o + (size_t)j,
                       want, p[o + (size_t)j]);
            exit(1);
        }
    }
}

static void make(struct line *l, unsigned i)
{
    size_t n = MIN_SIZE + (size_t)(stress_rnd(&l->rng) % (MAX_SIZE - MIN_SIZE + 1));
    unsigned char *p = malloc(n);
    if (!p) {
        stress_say(1, "stress_successor: FAIL: malloc(%zu) returned NULL, expected a block\n", n);
        exit(1);
    }
    l->tag[i] = ((uint64_t)l->idx << 56) ^ ((uint64_t)i << 32) ^ ++l->serial;
    l->p[i] = p;
    l->size[i] = n;
    fill(p, n, l->tag[i]);
}

static void *worker(void *arg)
{
    struct line *l = arg;
    for (unsigned i = 0; i < BLOCKS; i++)
        check(l, i, "inherited");
    for (unsigned k = 0; k < OPS; k++) {
        unsigned i = (unsigned)(stress_rnd(&l->rng) % BLOCKS);
        check(l, i, "before its free");
        free(l->p[i]);
        make(l, i);
    }
    if (++l->gen < GENS) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &a, worker, l) != 0) {
            stress_say(1, "stress_successor: FAIL: pthread_create of generation %u failed\n", l->gen);
            exit(1);
        }
        pthread_attr_destroy(&a);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    running--;
    pthread_cond_signal(&done_cv);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    for (unsigned w = 0; w < LINES; w++) {
        struct line *l = &lines[w];
        l->idx = w;
        l->rng = 0x9E3779B97F4A7C15ull * (w + 1);
        for (unsigned i = 0; i < BLOCKS; i++)
            make(l, i);
    }
    for (unsigned w = 0; w < LINES; w++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, &lines[w]) != 0 || pthread_detach(t) != 0) {
            stress_say(1, "stress_successor: FAIL: pthread_create failed\n");
            return 1;
        }
    }
    pthread_mutex_lock(&lock);
    while (running)
        pthread_cond_wait(&done_cv, &lock);
    pthread_mutex_unlock(&lock);
    for (unsigned w = 0; w < LINES; w++) {
        for (unsigned i = 0; i < BLOCKS; i++) {
            check(&lines[w], i, "after the last generation");
            free(lines[w].p[i]);
        }
        if (lines[w].gen != GENS) {
            stress_say(1, "stress_successor: FAIL: line %u ran %u generations, expected %u\n", w, lines[w].gen, GENS);
            return 1;
        }
    }
    printf("stress_successor: ok: %u lines of %u threads, %u blocks each, %u ops a thread\n", LINES, GENS, BLOCKS,
           OPS);
    return 0;
}
