/* stress_short_threads.c — 300 short-lived threads (at most 8 alive) each hand 1000
 * patterned blocks to the main thread, which checks and frees them after the exit. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stress.h"

#define NTHREADS 300
#define WINDOW 8             /* threads alive at once, at most */
#define BLOCKS 1000
#define KEEP_EVERY 16        /* every 16th batch is freed only after all threads ended */

struct blk {
    unsigned char *p;
    size_t size;
};

struct batch {
    uint32_t tid;
    struct blk b[BLOCKS];
};

static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
static struct batch *handoff[NTHREADS];

_Noreturn static void fail(const char *fmt, ...)
{
    va_list ap;
    fputs("stress_short_threads: FAIL: ", stderr);
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

/* Pattern word k of block i of thread tid; byte j is byte j%8 of word j/8. */
static uint64_t pat_word(uint32_t tid, uint32_t i, size_t size, size_t k)
{
    return mix(((uint64_t)tid << 40) ^ ((uint64_t)i << 24) ^ size) + k * 0x9E3779B97F4A7C15ull;
}

/* 16 B .. 2 KiB mostly, 1 in 50 up to 64 KiB, 1 in 1000 up to 512 KiB. */
static size_t pick_size(uint64_t r)
{
    unsigned k = (unsigned)(r % 1000);
    r >>= 10;
    if (k == 0)
        return (64u << 10) + (size_t)(r % (448u << 10));
    if (k < 20)
        return 2048 + (size_t)(r % (62u << 10));
    return 16 + (size_t)(r % 2033);
}

static void fill(struct blk *b, uint32_t tid, uint32_t i)
{
    size_t k;
    for (k = 0; k < b->size / 8; k++) {
        uint64_t w = pat_word(tid, i, b->size, k);
        memcpy(b->p + 8 * k, &w, 8);
    }
    uint64_t w = pat_word(tid, i, b->size, k);
    memcpy(b->p + 8 * k, &w, b->size % 8);
}

/* Checks every byte of block i of thread tid, then frees it. */
static void verify_free(struct blk *b, uint32_t tid, uint32_t i)
{
    for (size_t off = 0; off < b->size; off += 8) {
        unsigned char want;
        uint64_t w = pat_word(tid, i, b->size, off / 8);
        int j = stress_word_diff(b->p + off, w, b->size - off < 8 ? b->size - off : 8, &want);
        if (j >= 0)
            fail("thread %u block %u (%zu B) at %p: byte %zu expected 0x%02x, got 0x%02x", tid,
                 i, b->size, (void *)b->p, off + j, want, b->p[off + j]);
    }
    free(b->p);
}

static void *thread_main(void *arg)
{
    uint32_t tid = (uint32_t)(uintptr_t)arg;
    struct batch *bt = malloc(sizeof *bt);
    if (bt == NULL)
        fail("thread %u: malloc(%zu) for the batch returned NULL", tid, sizeof *bt);
    bt->tid = tid;
    for (uint32_t i = 0; i < BLOCKS; i++) {
        struct blk *b = &bt->b[i];
        b->size = pick_size(mix(((uint64_t)tid << 32) | i));
        b->p = malloc(b->size);
        if (b->p == NULL)
            fail("thread %u: malloc(%zu) returned NULL, expected a block", tid, b->size);
        fill(b, tid, i);
    }
    pthread_mutex_lock(&handoff_lock);
    handoff[tid] = bt;
    pthread_mutex_unlock(&handoff_lock);
    return NULL;
}

/* Checks and frees the batch of thread t, which has exited. */
static void consume(uint32_t t)
{
    pthread_mutex_lock(&handoff_lock);
    struct batch *bt = handoff[t];
    handoff[t] = NULL;
    pthread_mutex_unlock(&handoff_lock);
    if (bt == NULL || bt->tid != t)
        fail("thread %u exited: expected its batch of %d blocks, got %p", t, BLOCKS,
             (void *)bt);
    for (uint32_t i = 0; i < BLOCKS; i++)
        verify_free(&bt->b[i], t, i);
    free(bt);
}

/* Joins thread t; its batch is consumed now unless it is kept for the end. */
static void join_one(pthread_t th, uint32_t t)
{
    int rc = pthread_join(th, NULL);
    if (rc != 0)
        fail("pthread_join of thread %u: expected 0, got %d", t, rc);
    if (t % KEEP_EVERY != 0)
        consume(t);
}

int main(void)
{
    pthread_t win[WINDOW];
    for (uint32_t t = 0; t < NTHREADS; t++) {
        if (t >= WINDOW)
            join_one(win[t % WINDOW], t - WINDOW);
        int rc = pthread_create(&win[t % WINDOW], NULL, thread_main, (void *)(uintptr_t)t);
        if (rc != 0)
            fail("pthread_create of thread %u: expected 0, got %d", t, rc);
    }
    for (uint32_t t = NTHREADS - WINDOW; t < NTHREADS; t++)
        join_one(win[t % WINDOW], t);
    for (uint32_t t = 0; t < NTHREADS; t += KEEP_EVERY)
        consume(t);
    printf("stress_short_threads: %d threads x %d blocks, at most %d alive: ok\n", NTHREADS,
           BLOCKS, WINDOW);
    return 0;
}
