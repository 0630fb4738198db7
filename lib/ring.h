/* ring.h — the event ring inside the trace segment: the producer side used
 * by the allocator's hooks (many threads, never blocking, never allocating). */
#ifndef HK_RING_H
#define HK_RING_H

#include <sys/types.h>
#include "internal.h"
#include "hakmem_segment.h"

struct hk_trace {
    _Atomic bool on;                  /* the one load of a hook when off */
    unsigned mode;                    /* enum hakmem_trace_mode */
    uint64_t mask;                    /* ring_capacity - 1 */
    struct hakmem_seg_header *seg;
    struct hakmem_event *ring;
    struct hakmem_seg_counters *counters;
    struct hakmem_seg_occupancy *occupancy;
    struct hakmem_seg_stacks *stacks;     /* NULL unless HAKMEM_TRACE_STACKS=1 */
    size_t size;
    char path[256];
    /* The file as created: its directory (opened then, on a high fd, -1 when
     * none), its name in it, its device and inode; removed through them only. */
    int dirfd;
    char base[256];
    dev_t dev;
    ino_t ino;
};
extern struct hk_trace hk_trace;

#define HK_OCCUPANCY_MAX 4096 /* SuperSlabs in the occupancy table (8 GiB) */
#define HK_STACKS_MAX 4096    /* distinct stacks in the stack table */

/* ---- segment.c */
int hk_segment_create(struct hk_trace *t, const char *path, uint64_t cap, unsigned mode, bool stacks);
void hk_segment_close(struct hk_trace *t, bool keep);
void hk_segment_init(void);
void hk_segment_exit(void);
void hk_segment_atfork_child(void);

/* ---- occupancy.c: the sampler thread */
void hk_occupancy_start(void);
void hk_occupancy_sample(struct hakmem_seg_occupancy *occ);
void hk_occupancy_final(void);
void hk_occupancy_atfork_child(void);

/* ---- stack.c: libunwind capture and the stack table */
void hk_stack_load_modules(struct hakmem_seg_stacks *st);
void hk_stack_begin(void);
uint32_t hk_stack_id(void);
void hk_stack_end(void);
void hk_stack_blocks_init(void);
uint32_t hk_stack_here(void);
int hk_stack_frames(uint32_t id, uint64_t *ip, int max);
int hk_stack_capture(void **ip, int max);
uint32_t hk_stack_intern_trace(void *const *ip, int n);
void hk_stack_atfork_prepare(void);
void hk_stack_atfork_release(void);

/* ---- ring.c */
void hk_ring_write(struct hk_trace *t, const struct hakmem_event *ev);
#define hk_ring_emit(ev) hk_ring_write(&hk_trace, (ev))

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
