/* occupancy.c — the sampler thread of a traced process: every 50 ms it copies
 * each SuperSlab's slab classes and used counts into the segment (seqlock). */
#include <time.h>
#include "ring.h"

#define HK_SAMPLE_NS 50000000L /* readers see data at most ~50 ms old */

struct walk {
    struct hakmem_seg_occupancy *occ;
    uint32_t n;
};

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
        d->cls = d->state == HAKMEM_SLAB_FREE ? 0 : s->cls;
        /* used is the owner's; a racy read is fine for a 50 ms snapshot */
        d->used = d->state == HAKMEM_SLAB_FREE ? 0 : (uint16_t)hk_slab_used(s);
        d->capacity = d->state == HAKMEM_SLAB_FREE ? 0 : s->capacity;
    }
}

/* One consistent snapshot: seq odd while writing, even when done. */
void hk_occupancy_sample(struct hakmem_seg_occupancy *occ)
{
    _Atomic uint64_t *seq = (_Atomic uint64_t *)&occ->seq;
    atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    struct walk w = { occ, 0 };
    occ->truncated = 0;
    hk_pool_foreach_ss(copy_ss, &w);
    occ->count = w.n;
    occ->sampled_ns = hk_now_ns();
    atomic_store_explicit(seq, atomic_load_explicit(seq, memory_order_relaxed) + 1, memory_order_release);
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
