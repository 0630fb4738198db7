/* purge.c — the purger: a background thread, started when the first SuperSlab
 * or large mapping is cached, that gives the pages of cached memory back
 * (MADV_DONTNEED) once it has been cached for HK_PURGE_DELAY_NS, and unmaps
 * it when its TTL is up, even while the program makes no allocator call (an
 * idle program's memory goes back). */
#include <time.h>
#include "internal.h"

enum { PURGE_NONE = 0, PURGE_WANTED = 1, PURGE_RUNNING = 2 };
static _Atomic int purge_state;
static pthread_cond_t purge_cond; /* waited on with hk_pool_lock */

#define PURGE_MIN_NS 10000000ull /* 10 ms: the shortest nap */
#define PURGE_BATCH 16           /* SuperSlabs purged per hold of the pool lock */

/* When the purger wakes next: UINT64_MAX while it is awake and may have
 * looked at the large cache already (a new entry must kick it). Written
 * under hk_pool_lock, read without it by hk_purge_kick. */
static _Atomic uint64_t purge_at = UINT64_MAX;
static bool purge_kicked; /* under hk_pool_lock: a kick came while awake */

static void cond_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&purge_cond, &a);
    pthread_condattr_destroy(&a);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* Sleeps until the next deadline: a cached SuperSlab's or large mapping's
 * pages due for purging, or the coldest one's TTL; with nothing cached, an
 * eighth of the TTL (a push wakes it). The large cache is looked at with
 * the pool lock released (its lock is never taken under the pool's). After
 * a kick it naps at most HK_PURGE_DELAY_NS once, so that a program whose
 * large block goes in and out of the cache kicks it at most once a delay. */
static void *purger(void *arg)
{
    (void)arg;
    bool short_nap = false;
    pthread_mutex_lock(&hk_pool_lock);
    for (;;) {
        atomic_store(&purge_at, UINT64_MAX);
        pthread_mutex_unlock(&hk_pool_lock);
        uint64_t next = hk_large_purge();
        pthread_mutex_lock(&hk_pool_lock);
        uint64_t ttl = (uint64_t)hk_opt[HK_OPT_SS_LRU_TTL_SEC] * 1000000000ull;
        uint64_t now = hk_now_ns();
        hk_lru_evict_expired(now);
        if (hk_lru_purge(now, PURGE_BATCH) == PURGE_BATCH) {
            pthread_mutex_unlock(&hk_pool_lock); /* let the allocator in between batches */
            pthread_mutex_lock(&hk_pool_lock);
            continue;
        }
        uint64_t oldest = hk_lru_oldest_ns(), dirty = hk_lru_dirty_ns();
        next = earliest(next, oldest ? oldest + ttl : 0);
        next = earliest(next, dirty ? dirty + HK_PURGE_DELAY_NS : 0);
        uint64_t at = next ? next : now + ttl / 8;
        if (purge_kicked) {
            purge_kicked = false;
            short_nap = true;
            continue;
        }
        if (short_nap && at > now + HK_PURGE_DELAY_NS)
            at = now + HK_PURGE_DELAY_NS;
        short_nap = false;
        if (at < now + PURGE_MIN_NS)
            at = now + PURGE_MIN_NS;
        atomic_store(&purge_at, at);
        struct timespec ts = { .tv_sec = (time_t)(at / 1000000000ull), .tv_nsec = (long)(at % 1000000000ull) };
        pthread_cond_timedwait(&purge_cond, &hk_pool_lock, &ts);
    }
    return NULL;
}

void hk_purge_init(void)
{
    cond_init();
}

/* Pool lock held: something was cached that the purger must see within
 * HK_PURGE_DELAY_NS (a SuperSlab into an LRU with no page left to purge).
 * Wakes it when it would sleep longer, or asks for one. */
void hk_purge_notify(void)
{
    int none = PURGE_NONE;
    if (atomic_compare_exchange_strong(&purge_state, &none, PURGE_WANTED))
        return;
    if (atomic_load(&purge_at) > hk_now_ns() + HK_PURGE_DELAY_NS) {
        purge_kicked = true;
        pthread_cond_signal(&purge_cond);
    }
}

/* No lock held, now the time it was cached: the large cache got a mapping whose pages are to be purged
 * and that the purger has not seen. A relaxed load when the purger wakes
 * soon anyway; else under the pool lock, a signal, or a flag it reads
 * before it sleeps again. */
void hk_purge_kick(uint64_t now)
{
    if (atomic_load_explicit(&purge_at, memory_order_relaxed) <= now + HK_PURGE_DELAY_NS)
        return;
    pthread_mutex_lock(&hk_pool_lock);
    hk_purge_notify();
    pthread_mutex_unlock(&hk_pool_lock);
    hk_purge_poll();
}

/* After the pool lock is released: starts the purger once it is wanted
 * (pthread_create may call malloc, which must not find the lock held). */
void hk_purge_poll(void)
{
    int wanted = PURGE_WANTED;
    if (HK_LIKELY(atomic_load_explicit(&purge_state, memory_order_relaxed) != PURGE_WANTED) ||
        !atomic_compare_exchange_strong(&purge_state, &wanted, PURGE_RUNNING))
        return;
    if (hk_os_thread(purger))
        return;
    atomic_store(&purge_at, 0); /* nobody to kick */
    hk_log("hakmem: cannot start the purger thread; cached memory is purged and expires on the next allocator call\n");
}

/* The child of fork has no purger: the next cache push starts one. */
void hk_purge_atfork_child(void)
{
    cond_init();
    atomic_store(&purge_at, UINT64_MAX);
    purge_kicked = false;
    atomic_store(&purge_state, PURGE_NONE);
}
