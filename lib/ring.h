/* ring.h — the event ring's producer side (ring.c) and the HK_TRACE hook the
 * allocator's events use: many threads, never allocating, never blocking
 * (but for HAKMEM_TRACE_WAIT). */
#ifndef HK_RING_H
#define HK_RING_H

#include "segment.h"

/* ---- ring.c */
void hk_ring_write(struct hk_trace *t, const struct hakmem_event *ev);
#define hk_ring_emit(ev) hk_ring_write(&hk_trace, (ev))
/* In a fork()ed child, whose segment is new: forget the parent's tail. */
void hk_ring_atfork_child(void);

/* A hook: one load and one predictable branch when tracing is off; compiled
 * out by --disable-trace. Arguments are evaluated only when on. */
#define HK_TRACE(...)                                                                  \
    do {                                                                               \
        if (hk_config_trace &&                                                         \
            HK_UNLIKELY(atomic_load_explicit(&hk_trace.on, memory_order_relaxed))) {   \
            struct hakmem_event ev_ = { __VA_ARGS__ };                                 \
            hk_ring_emit(&ev_);                                                        \
        }                                                                              \
    } while (0)

#endif
