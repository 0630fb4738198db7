/* counters.c — the process's counters (struct hakmem_seg_counters) as named
 * fields, for run_counters and the report's exact totals. */
#include <stddef.h>
#include <string.h>
#include "cli.h"

/* The counters of the segment (HAKMEM_COUNTER_LIST's SEG and BOTH), in its order. */
#define FIELD(f, what)                                                                       \
    { #f, offsetof(struct hakmem_seg_counters, f),                                           \
      sizeof(((struct hakmem_seg_counters *)0)->f) / sizeof(uint64_t), what },
#define FIELD_SEG(f, what) FIELD(f, what)
#define FIELD_BOTH(f, what) FIELD(f, what)
#define FIELD_STATS(f, what) /* hakmem_stats only */
#define COUNTER(f, kind, where, what) FIELD_##where(f, what)

const struct hk_counter_field hk_counter_fields[] = { HAKMEM_COUNTER_LIST(COUNTER) };
const size_t hk_ncounter_fields = sizeof hk_counter_fields / sizeof hk_counter_fields[0];

uint64_t hk_counter_value(const struct hakmem_seg_counters *c, const struct hk_counter_field *f,
                          unsigned idx)
{
    uint64_t v;
    if (idx >= f->count)
        return 0;
    memcpy(&v, (const char *)c + f->offset + idx * sizeof v, sizeof v);
    return v;
}
