/* segment.h — the trace segment of this process (segment.c): its file,
 * mapping and parts (struct hk_trace), created at start-up, removed at exit. */
#ifndef HK_SEGMENT_H
#define HK_SEGMENT_H

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
#define HK_STACKS_MAX_PROFILE 65536 /* the same with a heap profile (HAKMEM_PROFILE) */

int hk_segment_create(struct hk_trace *t, const char *path, uint64_t cap, unsigned mode, bool stacks);
void hk_segment_close(struct hk_trace *t, bool keep);
void hk_segment_init(void);
void hk_segment_exit(void);
void hk_segment_atfork_child(void);

#endif
