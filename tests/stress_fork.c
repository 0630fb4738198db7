/* stress_fork.c — fork() 20 times while 4 threads allocate; each child frees inherited
 * blocks, allocates with content checks, starts a thread, and must exit 0. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "stress.h"

#define NTHREADS 4
#define NFORKS 20
#define SLOTS 256
#define INHERITED 64         /* blocks the parent allocates before each fork */
#define CHILD_BLOCKS 3000
#define CHILD_THREAD_BLOCKS 1000

enum { CHILD_OK = 0, CHILD_MISMATCH = 1, CHILD_NOTHREAD = 2, CHILD_WATCHDOG = 3 };

struct blk {
    unsigned char *p;
    size_t size;
    unsigned char v;         /* every byte of the block holds v */
};

static atomic_int stop;
static atomic_ullong worker_ops;

#define say(...) stress_say(CHILD_MISMATCH, __VA_ARGS__)

static void on_alarm(int sig)
{
    static const char msg[] = "stress_fork: FAIL: watchdog: expected to finish within"
                              " 60 s, still running (deadlock?)\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(1);
    _exit(1);
}

static void on_child_alarm(int sig)
{
    static const char msg[] = "stress_fork: child watchdog: expected to finish within"
                              " 20 s, still running (deadlock after fork?)\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0)
        _exit(CHILD_WATCHDOG);
    _exit(CHILD_WATCHDOG);
}


/* 8 B .. 4 KiB mostly, 1 in 64 up to 256 KiB. */
static size_t pick_size(uint64_t r)
{
    if (r % 64 == 0)
        return 4096 + (size_t)((r >> 8) % (252u << 10));
    return 8 + (size_t)((r >> 8) % 4089);
}

/* Allocates and fills b; returns 0, or -1 when malloc returned NULL. */
static int blk_new(struct blk *b, uint64_t r)
{
    b->size = pick_size(r);
    b->v = (unsigned char)(r >> 40);
    b->p = malloc(b->size);
    if (b->p == NULL) {
        say("stress_fork: FAIL: malloc(%zu) returned NULL, expected a block\n", b->size);
        return -1;
    }
    memset(b->p, b->v, b->size);
    return 0;
}

/* Checks and frees b; returns 0, or -1 (with a message) on the first bad byte. */
static int blk_free(struct blk *b, const char *who)
{
    for (size_t i = 0; i < b->size; i++) {
        if (b->p[i] != b->v) {
            say("stress_fork: FAIL: %s: block %p (%zu B) byte %zu expected 0x%02x,"
                " got 0x%02x\n", who, (void *)b->p, b->size, i, b->v, b->p[i]);
            return -1;
        }
    }
    free(b->p);
    b->p = NULL;
    return 0;
}

static void *worker(void *arg)
{
    struct blk slot[SLOTS] = { { 0 } };
    uint64_t rng = 0xF0F0ull + (uintptr_t)arg * 0x9E3779B97F4A7C15ull;
    unsigned long long ops = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        uint64_t r = stress_rnd(&rng);
        struct blk *b = &slot[r % SLOTS];
        if (b->p != NULL ? blk_free(b, "worker") : blk_new(b, r >> 8))
            exit(1);
        ops++;
    }
    for (int i = 0; i < SLOTS; i++)
        if (slot[i].p != NULL && blk_free(&slot[i], "worker at exit"))
            exit(1);
    atomic_fetch_add(&worker_ops, ops);
    return NULL;
}

/* n blocks allocated, checked and freed; returns 0 or -1. */
static int churn(int n, uint64_t seed, const char *who)
{
    struct blk b;
    for (int i = 0; i < n; i++) {
        if (blk_new(&b, stress_rnd(&seed)) || blk_free(&b, who))
            return -1;
    }
    return 0;
}

static void *child_thread(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)churn(CHILD_THREAD_BLOCKS, 0xC411Dull, "child thread");
}

/* The child: free what the parent left, churn, churn again in a new thread. */
static void child_main(struct blk *inh, int fork_no)
{
    pthread_t th;
    void *res;
    signal(SIGALRM, on_child_alarm);
    alarm(20);
    for (int i = 0; i < INHERITED; i++)
        if (blk_free(&inh[i], "child freeing inherited block"))
            _exit(CHILD_MISMATCH);
    if (churn(CHILD_BLOCKS, 0xABCull + (uint64_t)fork_no, "child"))
        _exit(CHILD_MISMATCH);
    int rc = pthread_create(&th, NULL, child_thread, NULL);
    if (rc != 0) {
        say("stress_fork: FAIL: pthread_create in child: expected 0, got %d\n", rc);
        _exit(CHILD_NOTHREAD);
    }
    pthread_join(th, &res);
    _exit(res == NULL ? CHILD_OK : CHILD_MISMATCH);
}

/* Returns 0 when the child exited with status 0, else prints what it got. */
static int reap(pid_t pid, int fork_no)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            say("stress_fork: FAIL: waitpid(fork #%d): %s\n", fork_no, strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st))
        say("stress_fork: FAIL: fork #%d: child expected exit 0, got exit %d\n", fork_no,
            WEXITSTATUS(st));
    else
        say("stress_fork: FAIL: fork #%d: child expected exit 0, got signal %d (%s)\n",
            fork_no, WTERMSIG(st), strsignal(WTERMSIG(st)));
    return -1;
}

/* One fork: parent allocates INHERITED blocks, forks, reaps, checks them. */
static int fork_once(int fork_no, uint64_t *rng)
{
    struct blk inh[INHERITED];
    for (int i = 0; i < INHERITED; i++)
        if (blk_new(&inh[i], stress_rnd(rng)))
            return -1;
    pid_t pid = fork();
    if (pid < 0) {
        say("stress_fork: FAIL: fork #%d: %s\n", fork_no, strerror(errno));
        return -1;
    }
    if (pid == 0)
        child_main(inh, fork_no);
    int rc = reap(pid, fork_no);
    for (int i = 0; i < INHERITED; i++)
        if (blk_free(&inh[i], "parent after fork"))
            return -1;
    usleep(2000); /* let the workers move between forks */
    return rc;
}

int main(void)
{
    pthread_t th[NTHREADS];
    uint64_t rng = 0x5EEDull;
    int failed = 0;

    signal(SIGALRM, on_alarm);
    alarm(60);
    for (intptr_t t = 0; t < NTHREADS; t++) {
        int rc = pthread_create(&th[t], NULL, worker, (void *)t);
        if (rc != 0) {
            say("stress_fork: FAIL: pthread_create: expected 0, got %d\n", rc);
            return 1;
        }
    }
    for (int i = 0; i < NFORKS && !failed; i++)
        failed = fork_once(i, &rng) != 0;
    atomic_store(&stop, 1);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
    if (failed)
        return 1;
    printf("stress_fork: %d forks with %d threads running (%llu worker ops): ok\n", NFORKS,
           NTHREADS, (unsigned long long)atomic_load(&worker_ops));
    return 0;
}
