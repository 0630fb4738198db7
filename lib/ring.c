/* ring.c — the producer side of the event ring: a ticket per event, lossless
 * (drop and count when the reader is a full ring behind, or first wait for it
 * with HAKMEM_TRACE_WAIT) or overwrite. */
#include <time.h>
#include "ring.h"

#define A64(p) ((_Atomic uint64_t *)(p))

static __thread uint32_t tls_tid;
static __thread int tls_in_emit; /* nesting guard */
static __thread uint64_t tls_tail; /* the reader's tail as this thread last read it */

/* A full ring under HAKMEM_TRACE_WAIT: the writer sleeps until the reader has
 * drained a quarter of it (one slot at a time would wake it for every event
 * while the recorder, which needs the CPU, is just behind), waiting up to the
 * wait since the reader's tail last moved; a reader that let it pass is stalled
 * (stopped, killed, or gone) and later writers drop at once until its tail
 * moves again. Returns the tail read last. */
static _Atomic uint64_t stalled_tail = UINT64_MAX;

/* Slots ahead of its own that a writer claims for writing: the reader on another
 * core read each slot last, so its line is there; fetching it early keeps the
 * next ticket's locked instruction from waiting on that miss. */
#define PREFETCH_AHEAD 16

static inline void prefetch_for_write(const void *p)
{
#if defined(__x86_64__)
    __asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p, 1, 3);
#endif
}

static uint64_t wait_for_room(struct hakmem_seg_header *h, uint64_t cap, uint64_t t, uint64_t tail)
{
    uint64_t wait_ns = (uint64_t)hk_opt[HK_OPT_TRACE_WAIT] * 1000000u;
    if (!wait_ns || tail == atomic_load_explicit(&stalled_tail, memory_order_relaxed))
        return tail;
    uint64_t since = hk_now_ns();
    while (t - tail > cap - cap / 4) {
        struct timespec ts = { 0, 100000 };
        nanosleep(&ts, NULL);
        uint64_t now_tail = atomic_load_explicit(A64(&h->tail), memory_order_acquire);
        uint64_t now = hk_now_ns();
        if (now_tail != tail) {
            tail = now_tail;
            since = now;
        } else if (now - since > wait_ns) {
            atomic_store_explicit(&stalled_tail, tail, memory_order_relaxed);
            break;
        }
    }
    return tail;
}

/* Lossless: take ticket `head` only while head - tail < capacity, so an
 * unread event is never overwritten; otherwise wait (HAKMEM_TRACE_WAIT) or count
 * a drop. Invariant: produced = head + dropped, and head = delivered + (events
 * in the ring). The tail only grows, so a thread's last reading of it is a safe
 * bound and the reader's line is read again only when that bound says full (a
 * stale reading from another segment, after fork, says full too). */
static bool take_lossless(struct hakmem_seg_header *h, uint64_t cap, uint64_t *ticket)
{
    uint64_t t = atomic_load_explicit(A64(&h->head), memory_order_relaxed);
    for (;;) {
        if (t - tls_tail >= cap)
            tls_tail = atomic_load_explicit(A64(&h->tail), memory_order_acquire);
        if (t - tls_tail >= cap) {
            tls_tail = wait_for_room(h, cap, t, tls_tail);
            t = atomic_load_explicit(A64(&h->head), memory_order_relaxed);
        }
        if (t - tls_tail >= cap) {
            atomic_fetch_add_explicit(A64(&h->dropped), 1, memory_order_relaxed);
            return false;
        }
        if (atomic_compare_exchange_weak_explicit(A64(&h->head), &t, t + 1, memory_order_acq_rel,
                                                  memory_order_relaxed)) {
            *ticket = t;
            return true;
        }
    }
}

void hk_ring_atfork_child(void)
{
    tls_tail = 0;
    hk_tsc_atfork_child();
}

/* Writes one event (its seq, ts_ns and tid are filled in here) into t. */
void hk_ring_write(struct hk_trace *tr, const struct hakmem_event *ev)
{
    struct hakmem_seg_header *h = tr->seg;
    if (!h || tls_in_emit)
        return;
    tls_in_emit = 1;
    if (!tls_tid)
        tls_tid = hk_gettid();
    uint64_t t;
    bool ok = true;
    if (tr->mode == HAKMEM_TRACE_OVERWRITE)
        t = atomic_fetch_add_explicit(A64(&h->head), 1, memory_order_acq_rel);
    else
        ok = take_lossless(h, tr->mask + 1, &t);
    if (ok) {
        struct hakmem_event *slot = &tr->ring[t & tr->mask];
        prefetch_for_write(&tr->ring[(t + PREFETCH_AHEAD) & tr->mask]);
        uint64_t now = hk_tsc_ns();
        atomic_store_explicit(A64(&slot->seq), 0, memory_order_relaxed);
        atomic_thread_fence(memory_order_release);
        /* Copy all but seq straight into the slot, stamp it, then publish
         * seq last. */
        __builtin_memcpy((char *)slot + sizeof slot->seq, (const char *)ev + sizeof ev->seq,
                         sizeof *ev - sizeof ev->seq);
        slot->ts_ns = now;
        slot->tid = tls_tid;
        atomic_store_explicit(A64(&slot->seq), t + 1, memory_order_release);
    }
    tls_in_emit = 0;
}
