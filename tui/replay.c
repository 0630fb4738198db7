/* replay.c — a run recorded by hakmem-trace (SQLite, schema/schema.sql) played
 * back as samples: counters (hakmem_counters_apply) and the slab map rebuilt
 * from events, per-class occupancy from the occupancy table, on a clock the
 * keys can pause and speed. The database is read through cli/store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hakmem_reader.h"
#include "store.h"
#include "top.h"

#define REPLAY_KEEP 65536 /* newest events handed to the model per poll */

/* ---- the slab map: SuperSlabs sorted by id, with each slab's owner */

struct top_slabmap {
    struct hakmem_seg_ss *ss;
    uint32_t (*owner)[HAKMEM_SEG_SLABS]; /* tid that acquired each slab */
    size_t n, cap;
};

struct top_slabmap *top_slabmap_new(void)
{
    return calloc(1, sizeof(struct top_slabmap));
}

void top_slabmap_free(struct top_slabmap *m)
{
    if (!m)
        return;
    free(m->ss);
    free(m->owner);
    free(m);
}

/* Index of the first SuperSlab with id >= id. */
static size_t lower_bound(const struct top_slabmap *m, uint32_t id)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ss[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The SuperSlab id, inserted (active, every slab free) when absent; NULL
 * when out of memory. */
static struct hakmem_seg_ss *find_or_add(struct top_slabmap *m, uint32_t id, uint64_t addr)
{
    size_t i = lower_bound(m, id);
    if (i < m->n && m->ss[i].id == id)
        return &m->ss[i];
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct hakmem_seg_ss *ss = realloc(m->ss, cap * sizeof *ss);
        if (!ss)
            return NULL;
        m->ss = ss;
        uint32_t(*owner)[HAKMEM_SEG_SLABS] = realloc(m->owner, cap * sizeof *owner);
        if (!owner)
            return NULL;
        m->owner = owner;
        m->cap = cap;
    }
    memmove(&m->ss[i + 1], &m->ss[i], (m->n - i) * sizeof *m->ss);
    memmove(&m->owner[i + 1], &m->owner[i], (m->n - i) * sizeof *m->owner);
    m->n++;
    memset(&m->ss[i], 0, sizeof m->ss[i]);
    memset(&m->owner[i], 0, sizeof m->owner[i]);
    m->ss[i].id = id;
    m->ss[i].addr = addr;
    m->ss[i].state = HAKMEM_SS_ACTIVE;
    return &m->ss[i];
}

static void remove_ss(struct top_slabmap *m, uint32_t id)
{
    size_t i = lower_bound(m, id);
    if (i >= m->n || m->ss[i].id != id)
        return;
    memmove(&m->ss[i], &m->ss[i + 1], (m->n - i - 1) * sizeof *m->ss);
    memmove(&m->owner[i], &m->owner[i + 1], (m->n - i - 1) * sizeof *m->owner);
    m->n--;
}

static void clear_slabs(struct hakmem_seg_ss *ss)
{
    memset(ss->slab, 0, sizeof ss->slab);
}

/* The map follows the allocator: a mapped or LRU-popped SuperSlab is active
 * with every slab free, a pushed one cached (all free), an evicted or
 * unmapped one gone; an acquired slab is owned by the acquiring thread
 * (abandoned when it exits), an EMPTY one waits in the registry. */
void top_slabmap_apply(struct top_slabmap *m, const struct hakmem_event *ev,
                       const uint32_t *class_capacity, uint32_t nclasses)
{
    struct hakmem_seg_ss *ss;
    switch (ev->type) {
    case HAKMEM_EV_SS_MAP:
        if ((ss = find_or_add(m, ev->ss_id, ev->ss_addr)))
            clear_slabs(ss);
        break;
    case HAKMEM_EV_SS_UNMAP:
    case HAKMEM_EV_LRU_EVICT:
        remove_ss(m, ev->ss_id);
        break;
    case HAKMEM_EV_LRU_PUSH:
    case HAKMEM_EV_LRU_POP_HIT:
        if ((ss = find_or_add(m, ev->ss_id, ev->ss_addr))) {
            ss->state = ev->type == HAKMEM_EV_LRU_PUSH ? HAKMEM_SS_CACHED : HAKMEM_SS_ACTIVE;
            clear_slabs(ss);
        }
        break;
    case HAKMEM_EV_SLAB_ACQUIRE:
    case HAKMEM_EV_SLAB_EMPTY:
    case HAKMEM_EV_SLAB_RELEASE: {
        if (!ev->ss_id || ev->slab >= HAKMEM_SEG_SLABS || !(ss = find_or_add(m, ev->ss_id, ev->ss_addr)))
            break;
        struct hakmem_seg_slab *s = &ss->slab[ev->slab];
        if (ev->cls < nclasses) {
            s->cls = ev->cls;
            s->capacity = (uint16_t)class_capacity[ev->cls];
        }
        if (ev->type == HAKMEM_EV_SLAB_ACQUIRE) {
            s->state = HAKMEM_SLAB_OWNED;
            m->owner[ss - m->ss][ev->slab] = ev->tid;
            ss->state = HAKMEM_SS_ACTIVE;
        } else {
            s->used = 0;
            s->state = ev->type == HAKMEM_EV_SLAB_RELEASE && ev->reason ? HAKMEM_SLAB_FREE
                                                                         : HAKMEM_SLAB_EMPTY;
        }
        break;
    }
    case HAKMEM_EV_THREAD_EXIT: {
        uint32_t tid = ev->arg0 ? (uint32_t)ev->arg0 : ev->tid;
        for (size_t i = 0; i < m->n; i++)
            for (unsigned k = 1; k < HAKMEM_SEG_SLABS; k++)
                if (m->ss[i].slab[k].state == HAKMEM_SLAB_OWNED && m->owner[i][k] == tid)
                    m->ss[i].slab[k].state = HAKMEM_SLAB_ABANDONED;
        break;
    }
    default:
        break;
    }
}

const struct hakmem_seg_ss *top_slabmap_ss(struct top_slabmap *m, size_t *n)
{
    *n = m->n;
    return m->ss;
}

/* ---- the recorded run, read through the store (cli/store.h) */

struct top_replay {
    struct hk_store *store;
    struct hk_store_cursor *ev_cur, *occ_cur;
    int64_t run;
    int pid;
    char *exe, *argv;
    uint32_t nclasses, class_size[TOP_CLASSES], class_capacity[TOP_CLASSES];
    uint64_t duration, clock, dropped, ring_capacity, applied;
    uint32_t mode;
    int ev_done, occ_done, have_ev_row, have_occ_row, have_occ;
    struct hakmem_event pend;     /* the next event, read but not applied */
    struct hk_store_occ occ;      /* the pending occupancy row */
    int64_t occ_group;            /* ts_ns of the group in totals */
    struct hakmem_seg_counters ctr;
    struct top_slabmap *map;
    struct top_class_total totals[TOP_CLASSES];
    struct hakmem_event *keep;    /* ring of the newest REPLAY_KEEP events applied */
    uint64_t kept;
    struct hakmem_event *out;     /* them, oldest first, for the sample */
    struct hakmem_seg_ss *ssout;
    size_t ssout_cap;
    /* the heap profile: its blocks' allocs and frees replayed, or its totals */
    struct top_stacks *stacks;        /* NULL: the run has no heap profile */
    struct hk_store_profile prof;
    enum top_stacks_from from;
    struct hk_store_cursor *prof_cur;
    struct hakmem_event ppend;        /* the next alloc or free, read but not fed */
    int have_prow, prof_done;
};

/* "1, 2, 3": the first runs of the store, "none" without any. */
static const char *run_list(struct top_replay *rp, char *buf, size_t len)
{
    int64_t ids[20];
    char err[8];
    long n = hk_store_list_runs(rp->store, ids, sizeof ids / sizeof ids[0], err, sizeof err);
    size_t k = 0;
    buf[0] = '\0';
    for (long i = 0; i < n && k < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%lld", i ? ", " : "", (long long)ids[i]);
    return buf[0] ? buf : "none";
}

static int load_run(struct top_replay *rp, const char *path, char *err, size_t errlen)
{
    struct hk_store_run r;
    int found = hk_store_run(rp->store, rp->run, &r, err, errlen);
    if (found < 0)
        return -1;
    if (!found) {
        char runs[128];
        snprintf(err, errlen, "%s: no run %lld in it (its runs: %s)", path, (long long)rp->run,
                 run_list(rp, runs, sizeof runs));
        return -1;
    }
    rp->pid = (int)r.pid;
    rp->exe = r.exe;
    rp->argv = r.argv;
    rp->duration = r.duration_ns;
    rp->dropped = r.dropped;
    rp->mode = r.mode;
    rp->ring_capacity = r.ring_capacity;
    rp->nclasses = r.nclasses;
    memcpy(rp->class_size, r.class_size, sizeof rp->class_size);
    memcpy(rp->class_capacity, r.class_capacity, sizeof rp->class_capacity);
    rp->have_occ = r.occupancy_rows > 0;
    if (r.last_event_ns > rp->duration)
        rp->duration = r.last_event_ns;
    if (r.last_occupancy_ns > rp->duration)
        rp->duration = r.last_occupancy_ns;
    return 0;
}

static int open_streams(struct top_replay *rp, char *err, size_t errlen)
{
    if (!(rp->ev_cur = hk_store_events(rp->store, rp->run, err, errlen)))
        return -1;
    char ignored[8];
    if (rp->have_occ && !(rp->occ_cur = hk_store_occupancy(rp->store, rp->run, ignored,
                                                           sizeof ignored)))
        rp->have_occ = 0;
    rp->occ_done = !rp->have_occ;
    rp->occ_group = -1;
    return 0;
}

static long replay_frames(void *ctx, uint32_t id, struct hk_store_frame *out, size_t max)
{
    struct top_replay *rp = ctx;
    char ignored[8];
    long n = hk_store_frames(rp->store, rp->run, id, out, max, ignored, sizeof ignored);
    return n > 0 ? n : 0;
}

/* The end-of-run figures of every profiled stack (a run without blocks). */
static int load_totals(struct top_replay *rp, char *err, size_t errlen)
{
    struct hk_store_cursor *c = hk_store_profile_stacks(rp->store, rp->run, err, errlen);
    if (!c)
        return -1;
    struct hk_store_pstack p;
    double secs = (double)rp->duration / 1e9;
    while (hk_store_next_pstack(c, &p)) {
        struct top_stack_row r = {
            .stack_id = p.stack_id, .allocs = p.allocs, .alloc_weight = p.alloc_weight,
            .bytes = p.bytes, .live = p.live, .in_use = p.in_use > 0 ? (uint64_t)p.in_use : 0,
            .per_s = secs > 0 ? (double)p.alloc_weight / HAKMEM_WEIGHT_ONE / secs : 0 };
        r.leaked = r.in_use; /* in use at the end */
        top_stacks_set_site(rp->stacks, &r);
    }
    hk_store_cursor_close(c);
    return 0;
}

/* The run's heap profile, when it has one: its blocks to replay (record
 * --all-blocks), else its totals. */
static int open_profile(struct top_replay *rp, char *err, size_t errlen)
{
    int has = hk_store_profile(rp->store, rp->run, &rp->prof, err, errlen);
    rp->prof_done = 1; /* until there are blocks to replay */
    if (has <= 0)
        return has;
    if (!(rp->stacks = top_stacks_new(0, replay_frames, rp))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!rp->prof.blocks) {
        rp->from = TOP_STACKS_TOTALS;
        return load_totals(rp, err, errlen);
    }
    rp->from = TOP_STACKS_BLOCKS;
    rp->prof_done = 0;
    return (rp->prof_cur = hk_store_profile_events(rp->store, rp->run, err, errlen)) ? 0 : -1;
}

/* Feeds the profile's allocs and frees up to the clock. */
static void apply_profile(struct top_replay *rp)
{
    while (!rp->prof_done) {
        if (!rp->have_prow) {
            if (!hk_store_next_event(rp->prof_cur, &rp->ppend)) {
                rp->prof_done = 1;
                break;
            }
            rp->have_prow = 1;
        }
        if (rp->ppend.ts_ns > rp->clock)
            break;
        top_stacks_feed(rp->stacks, &rp->ppend, 1);
        rp->have_prow = 0;
    }
}

struct top_replay *top_replay_open(const char *path, long run, char *err, size_t errlen)
{
    struct top_replay *rp = calloc(1, sizeof *rp);
    if (!rp || !(rp->map = top_slabmap_new()) ||
        !(rp->keep = calloc(REPLAY_KEEP, sizeof *rp->keep)) ||
        !(rp->out = calloc(REPLAY_KEEP, sizeof *rp->out))) {
        snprintf(err, errlen, "out of memory");
        top_replay_close(rp);
        return NULL;
    }
    if (!(rp->store = hk_store_open(path, HK_STORE_REPLAY, err, errlen))) {
        top_replay_close(rp);
        return NULL;
    }
    int64_t last = 0;
    if (run > 0)
        rp->run = run;
    else if (hk_store_last_run(rp->store, &last, err, errlen) != 0 || last <= 0) {
        snprintf(err, errlen, "%s holds no recorded run", path);
        top_replay_close(rp);
        return NULL;
    } else
        rp->run = last;
    if (load_run(rp, path, err, errlen) || open_streams(rp, err, errlen) ||
        open_profile(rp, err, errlen) < 0) {
        top_replay_close(rp);
        return NULL;
    }
    return rp;
}

void top_replay_close(struct top_replay *rp)
{
    if (!rp)
        return;
    hk_store_cursor_close(rp->ev_cur);
    hk_store_cursor_close(rp->occ_cur);
    hk_store_cursor_close(rp->prof_cur);
    top_stacks_free(rp->stacks);
    hk_store_close(rp->store);
    top_slabmap_free(rp->map);
    free(rp->exe);
    free(rp->argv);
    free(rp->keep);
    free(rp->out);
    free(rp->ssout);
    free(rp);
}

/* Reads the next event into rp->pend; 0 at the end. */
static int next_event(struct top_replay *rp)
{
    if (rp->ev_done)
        return 0;
    if (!hk_store_next_event(rp->ev_cur, &rp->pend)) {
        rp->ev_done = 1;
        return 0;
    }
    return 1;
}

/* Applies the occupancy rows up to the clock: each ts_ns is one sample of
 * every class that had slabs then. */
static void apply_occupancy(struct top_replay *rp)
{
    while (!rp->occ_done) {
        if (!rp->have_occ_row) {
            if (!hk_store_next_occupancy(rp->occ_cur, &rp->occ)) {
                rp->occ_done = 1;
                break;
            }
            rp->have_occ_row = 1;
        }
        if (rp->occ.ts_ns > (int64_t)rp->clock)
            break;
        if (rp->occ.ts_ns != rp->occ_group) {
            memset(rp->totals, 0, sizeof rp->totals);
            rp->occ_group = rp->occ.ts_ns;
        }
        if (rp->occ.cls < TOP_CLASSES)
            rp->totals[rp->occ.cls] = (struct top_class_total){
                .slabs = rp->occ.slabs, .used = rp->occ.used, .capacity = rp->occ.capacity };
        rp->have_occ_row = 0;
    }
}

/* The map for the sample: each live slab's used is its class's average. */
static const struct hakmem_seg_ss *estimate(struct top_replay *rp, size_t *n)
{
    const struct hakmem_seg_ss *ss = top_slabmap_ss(rp->map, n);
    if (!rp->have_occ || rp->occ_group < 0)
        return ss;
    if (*n > rp->ssout_cap) {
        struct hakmem_seg_ss *p = realloc(rp->ssout, *n * sizeof *p);
        if (!p)
            return ss;
        rp->ssout = p;
        rp->ssout_cap = *n;
    }
    uint64_t live[TOP_CLASSES] = { 0 };
    for (size_t i = 0; i < *n; i++)
        for (unsigned k = 1; k < HAKMEM_SEG_SLABS; k++)
            if ((ss[i].slab[k].state == HAKMEM_SLAB_OWNED ||
                 ss[i].slab[k].state == HAKMEM_SLAB_ABANDONED) && ss[i].slab[k].cls < TOP_CLASSES)
                live[ss[i].slab[k].cls]++;
    if (*n)
        memcpy(rp->ssout, ss, *n * sizeof *ss); /* ssout is NULL until a map has SuperSlabs */
    for (size_t i = 0; i < *n; i++)
        for (unsigned k = 1; k < HAKMEM_SEG_SLABS; k++) {
            struct hakmem_seg_slab *s = &rp->ssout[i].slab[k];
            if ((s->state != HAKMEM_SLAB_OWNED && s->state != HAKMEM_SLAB_ABANDONED) ||
                s->cls >= TOP_CLASSES)
                continue;
            uint64_t u = rp->totals[s->cls].used / live[s->cls];
            s->used = (uint16_t)(u < s->capacity ? u : s->capacity);
        }
    return rp->ssout;
}

int top_replay_poll(struct top_replay *rp, uint64_t dt_ns, struct top_sample *s)
{
    rp->clock = dt_ns > rp->duration - rp->clock ? rp->duration : rp->clock + dt_ns;
    uint64_t first = rp->kept;
    if (!rp->have_ev_row)
        rp->have_ev_row = next_event(rp);
    while (rp->have_ev_row && rp->pend.ts_ns <= rp->clock) {
        hakmem_counters_apply(&rp->ctr, &rp->pend);
        top_slabmap_apply(rp->map, &rp->pend, rp->class_capacity, rp->nclasses);
        rp->keep[rp->kept++ % REPLAY_KEEP] = rp->pend;
        rp->applied++;
        rp->have_ev_row = next_event(rp);
    }
    apply_occupancy(rp);
    apply_profile(rp);
    uint64_t fresh = rp->kept - first;
    if (fresh > REPLAY_KEEP)
        fresh = REPLAY_KEEP;
    for (uint64_t i = 0; i < fresh; i++)
        rp->out[i] = rp->keep[(rp->kept - fresh + i) % REPLAY_KEEP];

    memset(s, 0, sizeof *s);
    s->pid = rp->pid;
    s->exe = rp->exe;
    s->cmdline = rp->argv;
    s->now_ns = rp->clock;
    s->start_ns = 0;
    s->state = rp->clock >= rp->duration && !rp->have_ev_row ? TOP_REPLAY_END : TOP_REPLAY;
    s->nclasses = rp->nclasses;
    s->class_size = rp->class_size;
    s->class_capacity = rp->class_capacity;
    s->ctr = rp->ctr;
    s->head = rp->applied;
    s->dropped = rp->dropped;
    s->ring_capacity = rp->ring_capacity;
    s->mode = rp->mode;
    s->ss = estimate(rp, &s->nss);
    s->occ = !rp->have_occ ? TOP_OCC_NONE : TOP_OCC_CLASS;
    s->totals = rp->have_occ ? rp->totals : NULL;
    s->have_used = rp->have_occ;
    s->ev = rp->out;
    s->nev = (size_t)fresh;
    s->duration_ns = rp->duration;
    if (rp->stacks)
        top_stacks_update(rp->stacks, rp->clock, s->state == TOP_REPLAY_END);
    s->stacks = rp->stacks;
    s->profile_rate = rp->prof.rate > 0 ? (uint64_t)rp->prof.rate : 0;
    s->stacks_from = rp->from;
    s->profile_blocks = rp->prof.blocks;
    return 0;
}
