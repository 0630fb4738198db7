/* occupancy.c — the sampler thread of a traced process: every 50 ms it copies
 * each SuperSlab's slab classes and used counts into the segment (seqlock),
 * and the exact end-of-run snapshot as the process exits. */
#include <sched.h>
#include <time.h>
#include "segment.h"

#define HK_SAMPLE_NS 50000000L /* readers see data at most ~50 ms old */
#define HK_FINAL_WAIT 100000   /* tries (about 100 ms) the exit snapshot waits for the sampler */

/* One writer at a time: the sampler thread or the exit snapshot. A try-flag
 * rather than a mutex, so a fork or an exit in the middle of a sample can
 * never leave anyone blocked. */
static _Atomic int writing;

struct walk {
    struct hakmem_seg_occupancy *occ;
    uint32_t n;
};

/* HAKMEM_SLAB_HOT / _SPARE of an owned slab. Heaps are never freed (only
 * recycled), so reading the owner's hot slot is safe; racy, as used is. */
static uint16_t slab_flags(const hk_slab *s)
{
    const hk_heap *o = atomic_load_explicit(&s->owner, memory_order_relaxed);
    if (s->state != HK_SLAB_OWNED || !o)
        return 0;
    if (s->list == HK_LIST_SPARE)
        return HAKMEM_SLAB_SPARE;
    return s->cls < HK_CLASSES && o->cur[s->cls] == s ? HAKMEM_SLAB_HOT : 0;
}

static void copy_ss(hk_superslab *ss, void *arg)
{
    struct walk *w = arg;
    if (w->n >= w->occ->max) {
        w->occ->truncated = 1;
        return;
    }
    struct hakmem_seg_ss *e = &w->occ->ss[w->n++];
    e->addr = (uintptr_t)ss;
    e->id = ss->id;
    e->state = ss->state == HK_SS_CACHED ? HAKMEM_SS_CACHED : HAKMEM_SS_ACTIVE;
    for (unsigned i = 0; i < HK_SLABS_PER_SS; i++) {
        const hk_slab *s = &ss->slabs[i];
        struct hakmem_seg_slab *d = &e->slab[i];
        d->state = i < HK_FIRST_SLAB ? HAKMEM_SLAB_FREE : s->state;
        bool free = d->state == HAKMEM_SLAB_FREE;
        d->cls = free ? 0 : s->cls;
        /* used is the owner's; a racy read is fine for a 50 ms snapshot */
        d->used = free ? 0 : (uint16_t)hk_slab_used(s);
        d->capacity = free ? 0 : s->capacity;
        d->flags = free ? 0 : slab_flags(s);
    }
}

/* One consistent snapshot: seq odd while writing, even when done. */
static void sample(struct hakmem_seg_occupancy *occ, bool final)
{
    _Atomic uint64_t *seq = (_Atomic uint64_t *)&occ->seq;
    atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    struct walk w = { occ, 0 };
    occ->truncated = 0;
    hk_pool_foreach_ss(copy_ss, &w);
    occ->count = w.n;
    occ->sampled_ns = hk_now_ns();
    occ->final = final;
    atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) + 1, memory_order_release);
}

static bool try_begin(void)
{
    int idle = 0;
    return atomic_compare_exchange_strong_explicit(&writing, &idle, 1, memory_order_acquire,
                                                   memory_order_relaxed);
}

static void end(void)
{
    atomic_store_explicit(&writing, 0, memory_order_release);
}

/* A forked child has one thread: a sample the parent's sampler was writing
 * at the fork will never end there. */
void hk_occupancy_atfork_child(void)
{
    atomic_store_explicit(&writing, 0, memory_order_relaxed);
}

/* A periodic snapshot; none once the exit snapshot is written. */
void hk_occupancy_sample(struct hakmem_seg_occupancy *occ)
{
    if (!try_begin())
        return;
    if (!occ->final)
        sample(occ, false);
    end();
}

/* The end-of-run snapshot, from atexit and from the destructor (the later
 * one wins: destructors of other libraries may still free). It waits for a
 * sample in progress, and takes over after HK_FINAL_WAIT tries: the sampler
 * may have been frozen by a fork or a signal. */
void hk_occupancy_final(void)
{
    struct hakmem_seg_occupancy *occ = hk_trace.occupancy;
    if (!hk_config_trace || !occ || !hk_trace.seg)
        return;
    int tries = 0;
    while (!try_begin() && ++tries < HK_FINAL_WAIT)
        sched_yield();
    sample(occ, true);
    end();
}

static void *sampler(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, HK_SAMPLE_NS };
    while (atomic_load_explicit(&hk_trace.on, memory_order_relaxed)) {
        struct hakmem_seg_occupancy *occ = hk_trace.occupancy;
        if (occ)
            hk_occupancy_sample(occ);
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* Starts the sampler when tracing is on (from the constructor: libc is
 * ready there). It blocks every signal so the program's handlers never run
 * on it, and never allocates from hakmem's heaps. */
void hk_occupancy_start(void)
{
    if (!hk_config_trace || !hk_trace.occupancy)
        return;
    hk_occupancy_sample(hk_trace.occupancy);
    if (!hk_os_thread(sampler))
        hk_log("hakmem: cannot start the occupancy sampler; occupancy will not be live\n");
}
