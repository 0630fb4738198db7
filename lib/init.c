/* init.c — start-up exactly once (lazily from the first allocation or from
 * the constructor, never recursing), fork handlers and the exit summary. */
#include <sched.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include "heapcheck.h"
#include "ring.h"
#include "segment.h"

extern char **environ;

_Atomic int hk_init_state;
static __thread int in_init;

static void atfork_prepare(void)
{
    hk_guard_atfork_prepare();
    hk_segv_atfork_prepare();
    hk_rz_atfork_prepare();
    hk_heap_atfork_prepare();
    pthread_mutex_lock(&hk_large_lock);
    pthread_mutex_lock(&hk_pool_lock);
    hk_stack_atfork_prepare();
}

static void atfork_parent(void)
{
    hk_stack_atfork_release();
    pthread_mutex_unlock(&hk_pool_lock);
    pthread_mutex_unlock(&hk_large_lock);
    hk_heap_atfork_parent();
    hk_rz_atfork_release();
    hk_segv_atfork_release();
    hk_guard_atfork_release();
}

static void atfork_child(void)
{
    hk_stack_atfork_release();
    pthread_mutex_unlock(&hk_pool_lock);
    pthread_mutex_unlock(&hk_large_lock);
    hk_heap_atfork_child();
    hk_rz_atfork_release();
    hk_segv_atfork_release();
    hk_guard_atfork_release();
    hk_ring_atfork_child();
    hk_stack_cache_atfork_child();
    hk_segment_atfork_child();
    hk_purge_atfork_child();
}

/* Runs the start-up; false only for a recursive call from inside it (which
 * the allocator then answers with NULL/ENOMEM instead of deadlocking). */
bool hk_init_slow(void)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&hk_init_state, &expected, 1)) {
        in_init = 1;
        unsigned long ps = getauxval(AT_PAGESZ);
        if (ps)
            hk_page_size = ps;
        hk_copycheck_init();
        hk_stack_init();
        hk_options_init(environ);
        hk_check_init();
        hk_guard_init();
        hk_lru_init_log();
        hk_profile_init();
        hk_segment_init();
        if (!hk_trace.seg)
            hk_profile_on = false; /* nowhere to record */
        hk_sites_init();
        hk_profsum_init(hk_trace.stacks ? hk_trace.stacks->capacity : 0);
        if (hk_check_level >= 2)
            hk_stack_blocks_init();
        hk_heap_global_init();
        hk_purge_init();
        atomic_store_explicit(&hk_init_state, 2, memory_order_release);
        in_init = 0;
        pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
        return true;
    }
    if (in_init)
        return false;
    while (atomic_load_explicit(&hk_init_state, memory_order_acquire) != 2)
        sched_yield();
    return true;
}

/* The end of the run as the segment's readers see it: counters complete
 * and the final occupancy snapshot. */
static void end_of_run(void)
{
    static atomic_flag pins_done = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&pins_done))
        hk_sites_at_exit();
    hk_heap_flush_stage0(hk_tls_heap);
    if (hk_trace.stacks)
        hk_stack_load_modules(hk_trace.stacks); /* libraries loaded since the last read */
    hk_occupancy_final();
}

__attribute__((constructor)) static void hk_constructor(void)
{
    if (hk_ensure_init()) {
        hk_occupancy_start();
        /* Registered first, so it runs after the program's own atexit
         * handlers; the destructor writes the snapshot again later. */
        if (hk_config_trace && hk_trace.seg)
            atexit(end_of_run);
    }
}

__attribute__((destructor)) static void hk_destructor(void)
{
    if (atomic_load(&hk_init_state) != 2)
        return;
    end_of_run();
    if (hk_opt[HK_OPT_STATS]) {
        hk_stats_at_exit();
        hk_profsum_at_exit();
    }
    hk_segment_exit();
}
