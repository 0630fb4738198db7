/* purge.c — the purger: a background thread, started when the first SuperSlab
 * is cached, that unmaps cached SuperSlabs when their TTL is up even while the
 * program makes no allocator call (an idle program's memory goes back). */
#include <time.h>
#include "internal.h"

enum { PURGE_NONE = 0, PURGE_WANTED = 1, PURGE_RUNNING = 2 };
static _Atomic int purge_state;
static pthread_cond_t purge_cond; /* waited on with hk_pool_lock */

#define PURGE_MIN_NS 10000000ull /* 10 ms: the shortest nap */

static void cond_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&purge_cond, &a);
    pthread_condattr_destroy(&a);
}

/* Sleeps until the oldest cached SuperSlab expires; with none cached, an
 * eighth of the TTL (a push into the empty cache wakes it at once). */
static void *purger(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&hk_pool_lock);
    for (;;) {
        uint64_t ttl = (uint64_t)hk_opt[HK_OPT_SS_LRU_TTL_SEC] * 1000000000ull;
        uint64_t now = hk_now_ns();
        hk_lru_evict_expired(now);
        uint64_t wait = ttl / 8, oldest = hk_lru_oldest_ns();
        if (oldest)
            wait = oldest + ttl > now ? oldest + ttl - now : 0;
        if (wait < PURGE_MIN_NS)
            wait = PURGE_MIN_NS;
        uint64_t at = now + wait;
        struct timespec ts = { .tv_sec = (time_t)(at / 1000000000ull), .tv_nsec = (long)(at % 1000000000ull) };
        pthread_cond_timedwait(&purge_cond, &hk_pool_lock, &ts);
    }
    return NULL;
}

void hk_purge_init(void)
{
    cond_init();
}

/* hk_lru_push, pool lock held: the cache went from empty to not empty. */
void hk_purge_notify(void)
{
    int none = PURGE_NONE;
    if (!atomic_compare_exchange_strong(&purge_state, &none, PURGE_WANTED))
        pthread_cond_signal(&purge_cond);
}

/* After the pool lock is released: starts the purger once it is wanted
 * (pthread_create may call malloc, which must not find the lock held). */
void hk_purge_poll(void)
{
    int wanted = PURGE_WANTED;
    if (HK_LIKELY(atomic_load_explicit(&purge_state, memory_order_relaxed) != PURGE_WANTED) ||
        !atomic_compare_exchange_strong(&purge_state, &wanted, PURGE_RUNNING))
        return;
    if (!hk_os_thread(purger))
        hk_log("hakmem: cannot start the purger thread; cached SuperSlabs expire on the next allocator call\n");
}

/* The child of fork has no purger: the next cache push starts one. */
void hk_purge_atfork_child(void)
{
    cond_init();
    atomic_store(&purge_state, PURGE_NONE);
}
