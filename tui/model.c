/* model.c — the numbers of a hakmem-top frame: header figures, per-class rows
 * and their order, the recent stage mix and the event tail, from samples. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hakmem_reader.h"
#include "top.h"

const struct top_sort_key top_sort_keys[TOP_SORT_COUNT] = {
    [TOP_SORT_CLASS] = { .key = 'c', .name = "class" },
    [TOP_SORT_SLABS] = { .key = 'l', .name = "slabs" },
    [TOP_SORT_USED] = { .key = 'u', .name = "used" },
    [TOP_SORT_OCC] = { .key = 'o', .name = "occupancy" },
    [TOP_SORT_EMPTY] = { .key = 'e', .name = "EMPTY" },
};

void top_model_init(struct top_model *m)
{
    memset(m, 0, sizeof *m);
    m->lru_hit_pm = UINT32_MAX;
}

int top_occ_level(uint64_t used, uint64_t capacity)
{
    if (!used || !capacity)
        return 0;
    if (used * 4 < capacity)
        return 1;
    if (used * 4 < capacity * 3)
        return 2;
    return 3;
}

/* Invariant: mix[c].stage[i % TOP_MIX] holds the stage of acquisition i of
 * class c for the last min(n, TOP_MIX) acquisitions; tail likewise. */
void top_model_feed(struct top_model *m, const struct hakmem_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct hakmem_event *e = &ev[i];
        if (e->type == HAKMEM_EV_SLAB_ACQUIRE && e->cls < TOP_CLASSES && e->stage < TOP_STAGES) {
            struct top_mix_ring *r = &m->mix[e->cls];
            r->stage[r->n++ % TOP_MIX] = e->stage;
        }
        if (e->type > 0 && e->type < HAKMEM_EV_COUNT) {
            struct top_tail_ring *t = &m->tail[e->type];
            t->ev[t->n++ % TOP_TAIL] = *e;
        }
    }
}

/* The value a row is sorted by: higher first, except the class. */
static uint64_t sort_value(const struct top_row *r, enum top_sort k)
{
    switch (k) {
    case TOP_SORT_SLABS:
        return r->slabs;
    case TOP_SORT_USED:
        return r->used;
    case TOP_SORT_OCC:
        return r->occ_pm;
    case TOP_SORT_EMPTY:
        return r->empties;
    default:
        return r->cls;
    }
}

/* Whether a goes before b: by the key (descending, the class ascending),
 * ties by class; `reverse` turns the whole order round. */
static int before(const struct top_row *a, const struct top_row *b, enum top_sort k, int reverse)
{
    uint64_t va = sort_value(a, k), vb = sort_value(b, k);
    int lt;
    if (va != vb)
        lt = k == TOP_SORT_CLASS ? va < vb : va > vb;
    else
        lt = a->cls < b->cls;
    return reverse ? !lt : lt;
}

void top_model_sort(struct top_model *m)
{
    for (unsigned i = 1; i < m->nrows; i++) { /* insertion sort: at most 64 rows, stable */
        struct top_row r = m->rows[i];
        unsigned j = i;
        while (j > 0 && before(&r, &m->rows[j - 1], m->sort, m->reverse)) {
            m->rows[j] = m->rows[j - 1];
            j--;
        }
        m->rows[j] = r;
    }
}

int top_sort_find(const struct top_sort_key *keys, int n, int k)
{
    for (int i = 0; i < n; i++)
        if (keys[i].key == k)
            return i;
    return -1;
}

int top_model_sort_by_key(struct top_model *m, int k)
{
    int i = top_sort_find(top_sort_keys, TOP_SORT_COUNT, k);
    if (i < 0)
        return 0;
    m->sort = (enum top_sort)i;
    top_model_sort(m);
    return 1;
}

/* Header figures and per-class slab states from the SuperSlab table. */
static void count_superslabs(struct top_model *m, const struct top_sample *s,
                             struct top_class_total *tot, uint64_t *empty)
{
    m->ss_active = m->ss_cached = 0;
    m->sparse_slabs = m->empty_slabs = m->owned_slabs = m->free_slabs = 0;
    for (size_t i = 0; i < s->nss; i++) {
        const struct hakmem_seg_ss *ss = &s->ss[i];
        if (ss->state == HAKMEM_SS_CACHED)
            m->ss_cached++;
        else
            m->ss_active++;
        for (unsigned k = 1; k < HAKMEM_SEG_SLABS; k++) {
            const struct hakmem_seg_slab *sl = &ss->slab[k];
            if (sl->state == HAKMEM_SLAB_FREE || sl->cls >= TOP_CLASSES) {
                m->free_slabs++;
                continue;
            }
            tot[sl->cls].slabs++;
            tot[sl->cls].used += sl->used;
            tot[sl->cls].capacity += sl->capacity;
            if (sl->state == HAKMEM_SLAB_EMPTY) {
                empty[sl->cls]++;
                m->empty_slabs++;
            } else {
                m->owned_slabs++;
                if (s->occ == TOP_OCC_SLAB && top_occ_level(sl->used, sl->capacity) <= 1)
                    m->sparse_slabs++;
            }
        }
    }
}

static void make_rows(struct top_model *m, const struct top_sample *s,
                      const struct top_class_total *tot, const uint64_t *empty)
{
    m->nrows = 0;
    m->slabs = m->used = m->capacity = 0;
    uint32_t n = s->nclasses < TOP_CLASSES ? s->nclasses : TOP_CLASSES;
    for (unsigned c = 0; c < n; c++) {
        const struct top_class_total *t = &tot[c];
        const struct top_mix_ring *mx = &m->mix[c];
        if (!t->slabs && !s->ctr.class_empty[c] && !mx->n)
            continue;
        struct top_row *r = &m->rows[m->nrows++];
        memset(r, 0, sizeof *r);
        r->cls = c;
        r->size = s->class_size ? s->class_size[c] : 0;
        r->slabs = t->slabs;
        r->used = t->used;
        r->capacity = t->capacity;
        r->empty_slabs = empty[c];
        r->empties = s->ctr.class_empty[c];
        r->occ_pm = t->capacity ? (unsigned)(t->used * 1000 / t->capacity) : 0;
        r->mix_n = mx->n < TOP_MIX ? (unsigned)mx->n : TOP_MIX;
        for (unsigned i = 0; i < r->mix_n; i++)
            r->mix[mx->stage[i]]++;
        m->slabs += t->slabs;
        m->used += t->used;
        m->capacity += t->capacity;
    }
}

void top_model_update(struct top_model *m, const struct top_sample *s)
{
    top_model_feed(m, s->ev, s->nev);
    struct top_class_total tot[TOP_CLASSES];
    uint64_t empty[TOP_CLASSES];
    memset(tot, 0, sizeof tot);
    memset(empty, 0, sizeof empty);
    count_superslabs(m, s, tot, empty);
    if (s->totals)
        memcpy(tot, s->totals, sizeof tot);
    make_rows(m, s, tot, empty);

    const struct hakmem_seg_counters *c = &s->ctr;
    m->bytes_mapped = c->ss_map_bytes >= c->ss_unmap_bytes ? c->ss_map_bytes - c->ss_unmap_bytes : 0;
    uint64_t pops = c->lru_pop_hit + c->lru_pop_miss;
    m->lru_hit_pm = pops ? (unsigned)(c->lru_pop_hit * 1000 / pops) : UINT32_MAX;
    if (m->have_sample)
        m->prev_ctr = m->s.ctr;
    else
        m->prev_ctr = s->ctr;
    if (m->have_prev && s->now_ns > m->prev_now_ns && s->head >= m->prev_head &&
        s->dropped >= m->prev_dropped) {
        double dt = (double)(s->now_ns - m->prev_now_ns) / 1e9;
        m->ev_per_s = (double)(s->head - m->prev_head) / dt;
        m->drop_per_s = (double)(s->dropped - m->prev_dropped) / dt;
        m->ring_stalled = s->head == m->prev_head && s->dropped > m->prev_dropped;
    } else if (!m->have_prev) {
        m->ev_per_s = s->now_ns ? (double)s->head * 1e9 / (double)s->now_ns : 0;
        m->drop_per_s = 0;
        m->ring_stalled = 0;
    }
    if (!m->have_prev || s->now_ns != m->prev_now_ns) {
        m->prev_head = s->head;
        m->prev_dropped = s->dropped;
        m->prev_now_ns = s->now_ns;
        m->have_prev = 1;
    }
    m->s = *s;
    m->s.ev = NULL; /* fed already; not valid after the next poll */
    m->s.nev = 0;
    m->have_sample = 1;
    top_model_sort(m);
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const struct hakmem_event *)a)->seq, y = ((const struct hakmem_event *)b)->seq;
    return x < y ? -1 : x > y;
}

size_t top_model_tail(const struct top_model *m, const char *filter, struct hakmem_event *out,
                      size_t max)
{
    static struct hakmem_event all[HAKMEM_EV_COUNT * TOP_TAIL];
    size_t n = 0;
    if (!max)
        return 0;
    for (unsigned t = 1; t < HAKMEM_EV_COUNT; t++) {
        if (filter && *filter && !strstr(hakmem_event_type_name(t), filter))
            continue;
        const struct top_tail_ring *r = &m->tail[t];
        uint64_t have = r->n < TOP_TAIL ? r->n : TOP_TAIL;
        if (have > max)
            have = max;
        for (uint64_t i = r->n - have; i < r->n; i++)
            all[n++] = r->ev[i % TOP_TAIL];
    }
    qsort(all, n, sizeof *all, by_seq);
    size_t from = n > max ? n - max : 0;
    memcpy(out, all + from, (n - from) * sizeof *out);
    return n - from;
}
