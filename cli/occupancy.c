/* occupancy.c — the occupancy table of a live segment (written by the traced
 * process's sampler) into occupancy rows per class, and each slab's last state. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "hakmem_reader.h"

int hk_occ_init(struct hk_occ_sampler *o, struct hakmem_reader *r, char *err, size_t errlen)
{
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    memset(o, 0, sizeof *o);
    o->start_mono_ns = (int64_t)h->start_mono_ns;
    o->max = (h->occupancy_size - sizeof(struct hakmem_seg_occupancy)) / sizeof(struct hakmem_seg_ss);
    if (o->max > 65536)
        o->max = 65536; /* 17 MiB of copy at most, however big the header says it is */
    o->buf = o->max ? calloc(o->max, sizeof *o->buf) : NULL;
    if (o->max && !o->buf)
        return hk_fail(err, errlen, "out of memory");
    return 0;
}

void hk_occ_free(struct hk_occ_sampler *o)
{
    free(o->buf);
    o->buf = NULL;
}

/* Sums the snapshot's slabs per class into rows; returns how many rows. */
static size_t class_rows(struct hk_occ_sampler *o, size_t n, int64_t ts, struct hk_occ_row *rows)
{
    int64_t slabs[HK_MAX_CLASSES] = { 0 }, used[HK_MAX_CLASSES] = { 0 }, cap[HK_MAX_CLASSES] = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (o->buf[i].state != HAKMEM_SS_ACTIVE)
            continue;
        for (unsigned k = 1; k < HAKMEM_SEG_SLABS; k++) {
            const struct hakmem_seg_slab *sl = &o->buf[i].slab[k];
            if (sl->state == HAKMEM_SLAB_FREE)
                continue;
            slabs[sl->cls]++;
            used[sl->cls] += sl->used;
            cap[sl->cls] += sl->capacity;
        }
    }
    size_t m = 0;
    for (unsigned c = 0; c < HK_MAX_CLASSES; c++) {
        if (!slabs[c] && !o->seen[c])
            continue; /* a class that had slabs gets its zero row too */
        o->seen[c] = slabs[c] != 0 || o->seen[c];
        rows[m++] = (struct hk_occ_row){ .ts_ns = ts, .cls = c, .slabs = slabs[c],
                                         .used = used[c], .capacity = cap[c] };
    }
    return m;
}

/* Each slab's occupancy in the end snapshot, for the slabs table. */
static void slab_finals(const struct hk_occ_sampler *o, size_t n, struct hk_tally *t)
{
    for (size_t i = 0; i < n; i++)
        for (unsigned k = 1; k < HAKMEM_SEG_SLABS; k++) {
            const struct hakmem_seg_slab *sl = &o->buf[i].slab[k];
            if (sl->state != HAKMEM_SLAB_FREE)
                hk_tally_occupancy(t, o->buf[i].id, k, sl->used, sl->capacity,
                                   sl->state == HAKMEM_SLAB_OWNED ? sl->flags : 0);
        }
}

/* ns from the start to when, as the database stores them: 0 when before it
 * (a clock the segment's owner made up), at most INT64_MAX. */
static int64_t since_start(const struct hk_occ_sampler *o, uint64_t when)
{
    uint64_t start = (uint64_t)o->start_mono_ns;
    if (when <= start)
        return 0;
    return when - start > INT64_MAX ? INT64_MAX : (int64_t)(when - start);
}

int hk_occ_sample(struct hk_occ_sampler *o, struct hakmem_reader *r, struct hk_sink *s, int final,
                  char *err, size_t errlen)
{
    hk_sink_counters(s, hakmem_reader_counters(r));
    if (!o->buf)
        return 0;
    struct hakmem_snapshot_info info;
    long n = hakmem_reader_snapshot(r, o->buf, o->max, &info);
    if (hakmem_reader_error(r))
        return hk_fail(err, errlen, "%s", hakmem_reader_error(r));
    uint64_t when = n >= 0 ? info.sampled_ns : 0;
    if (n < 0 || when == 0 || (when == o->last && !final))
        return 0; /* no consistent copy now, none taken yet, or nothing new */
    hk_sink_end(s, since_start(o, when), info.final);
    struct hk_occ_row rows[HK_MAX_CLASSES];
    size_t m = 0;
    if (when != o->last)
        m = class_rows(o, (size_t)n, since_start(o, when), rows);
    o->last = when;
    if (final)
        slab_finals(o, (size_t)n, s->tally);
    return m ? hk_sink_occupancy(s, rows, m, err, errlen) : 0;
}
