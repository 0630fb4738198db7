/* replay.c — a run recorded by hakmem-trace (SQLite, schema/schema.sql) played
 * back as samples: counters and the slab map rebuilt from events, per-class
 * occupancy from the occupancy table, on a clock the keys can pause and speed. */
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include "top.h"

#define REPLAY_SCHEMA_VERSION 2 /* reads the tables of versions 1 and 2 alike */
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

/* ---- the database */

struct top_replay {
    sqlite3 *db;
    sqlite3_stmt *ev_stmt, *occ_stmt;
    int64_t run;
    int pid;
    char *exe, *argv;
    uint32_t nclasses, class_size[TOP_CLASSES], class_capacity[TOP_CLASSES];
    uint64_t duration, clock, dropped, ring_capacity, applied;
    uint32_t mode;
    int ev_done, occ_done, have_ev_row, have_occ_row, have_occ;
    struct hakmem_event pend;     /* the next event, read but not applied */
    int64_t occ_ts;               /* the pending occupancy row */
    struct top_class_total occ_row;
    unsigned occ_cls;
    int64_t occ_group;            /* ts_ns of the group in totals */
    struct hakmem_seg_counters ctr;
    struct top_slabmap *map;
    struct top_class_total totals[TOP_CLASSES];
    struct hakmem_event *keep;    /* ring of the newest REPLAY_KEEP events applied */
    uint64_t kept;
    struct hakmem_event *out;     /* them, oldest first, for the sample */
    struct hakmem_seg_ss *ssout;
    size_t ssout_cap;
};

static int fail(char *err, size_t errlen, const char *what, const char *path, sqlite3 *db)
{
    snprintf(err, errlen, "%s: %s%s%s", path, what, db ? ": " : "", db ? sqlite3_errmsg(db) : "");
    return -1;
}

/* One integer from sql (bound to run when it has a ?), def without a row. */
static int query_int(sqlite3 *db, const char *sql, int64_t run, int64_t def, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, run);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0)
                                                                         : def;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static char *column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

static int load_run(struct top_replay *rp, const char *path, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(rp->db,
                           "SELECT pid, exe, argv, coalesce(ended_ns - started_ns, 0), dropped, "
                           "mode, coalesce(ring_capacity, 0) FROM runs WHERE run_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(err, errlen, "cannot read its runs table", path, rp->db);
    sqlite3_bind_int64(st, 1, rp->run);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        char runs[128] = "";
        if (sqlite3_prepare_v2(rp->db, "SELECT group_concat(run_id, ', ') FROM "
                                       "(SELECT run_id FROM runs ORDER BY run_id LIMIT 20)",
                               -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                snprintf(runs, sizeof runs, "%s", (const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
        snprintf(err, errlen, "%s: no run %lld in it (its runs: %s)", path, (long long)rp->run,
                 runs[0] ? runs : "none");
        return -1;
    }
    rp->pid = sqlite3_column_int(st, 0);
    rp->exe = column_text(st, 1);
    rp->argv = column_text(st, 2);
    int64_t len = sqlite3_column_int64(st, 3);
    rp->duration = len > 0 ? (uint64_t)len : 0;
    rp->dropped = (uint64_t)sqlite3_column_int64(st, 4);
    const unsigned char *mode = sqlite3_column_text(st, 5);
    rp->mode = mode && strcmp((const char *)mode, "overwrite") == 0 ? HAKMEM_TRACE_OVERWRITE
                                                                      : HAKMEM_TRACE_LOSSLESS;
    rp->ring_capacity = (uint64_t)sqlite3_column_int64(st, 6);
    sqlite3_finalize(st);

    if (sqlite3_prepare_v2(rp->db,
                           "SELECT class, block_size, blocks_per_slab FROM classes WHERE run_id = ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, rp->run);
        while (sqlite3_step(st) == SQLITE_ROW) {
            int c = sqlite3_column_int(st, 0);
            if (c < 0 || c >= TOP_CLASSES)
                continue;
            rp->class_size[c] = (uint32_t)sqlite3_column_int(st, 1);
            rp->class_capacity[c] = (uint32_t)sqlite3_column_int(st, 2);
            if ((uint32_t)c + 1 > rp->nclasses)
                rp->nclasses = (uint32_t)c + 1;
        }
        sqlite3_finalize(st);
    }
    int64_t ev_end = 0, occ_end = 0, nocc = 0;
    query_int(rp->db, "SELECT max(ts_ns) FROM events WHERE run_id = ?", rp->run, 0, &ev_end);
    if (query_int(rp->db, "SELECT max(ts_ns) FROM occupancy WHERE run_id = ?", rp->run, 0, &occ_end))
        occ_end = 0;
    if (query_int(rp->db, "SELECT count(*) FROM occupancy WHERE run_id = ?", rp->run, 0, &nocc))
        nocc = 0;
    rp->have_occ = nocc > 0;
    if ((uint64_t)ev_end > rp->duration)
        rp->duration = (uint64_t)ev_end;
    if ((uint64_t)occ_end > rp->duration)
        rp->duration = (uint64_t)occ_end;
    return 0;
}

static int prepare_streams(struct top_replay *rp, const char *path, char *err, size_t errlen)
{
    if (sqlite3_prepare_v2(rp->db,
                           "SELECT seq, ts_ns, tid, type, class, ss, slab, stage, arg0, arg1, "
                           "stack_id, reason, ss_addr FROM events WHERE run_id = ? ORDER BY seq",
                           -1, &rp->ev_stmt, NULL) != SQLITE_OK)
        return fail(err, errlen, "cannot read its events table", path, rp->db);
    sqlite3_bind_int64(rp->ev_stmt, 1, rp->run);
    if (rp->have_occ &&
        sqlite3_prepare_v2(rp->db,
                           "SELECT ts_ns, class, slabs, used, capacity FROM occupancy "
                           "WHERE run_id = ? ORDER BY ts_ns, class",
                           -1, &rp->occ_stmt, NULL) == SQLITE_OK)
        sqlite3_bind_int64(rp->occ_stmt, 1, rp->run);
    else
        rp->have_occ = 0;
    rp->occ_done = !rp->have_occ;
    rp->occ_group = -1;
    return 0;
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
    struct stat st; /* SQLite would block on a FIFO */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        top_replay_close(rp);
        return NULL;
    }
    if (sqlite3_open_v2(path, &rp->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fail(err, errlen, "cannot open it", path, rp->db);
        top_replay_close(rp);
        return NULL;
    }
    int64_t version = 0, tables = 0, last = 0;
    if (query_int(rp->db, "PRAGMA user_version", 0, 0, &version) ||
        query_int(rp->db,
                  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                  "name IN ('runs', 'events')", 0, 0, &tables)) {
        fail(err, errlen, "is not a hakmem trace database", path, rp->db);
        top_replay_close(rp);
        return NULL;
    }
    if (tables != 2) {
        snprintf(err, errlen, "%s is not a hakmem trace database (no runs and events tables)", path);
        top_replay_close(rp);
        return NULL;
    }
    if (version > REPLAY_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s has trace schema version %lld; this hakmem-top reads version %d",
                 path, (long long)version, REPLAY_SCHEMA_VERSION);
        top_replay_close(rp);
        return NULL;
    }
    if (run > 0)
        rp->run = run;
    else if (query_int(rp->db, "SELECT max(run_id) FROM runs", 0, 0, &last) || last <= 0) {
        snprintf(err, errlen, "%s holds no recorded run", path);
        top_replay_close(rp);
        return NULL;
    } else
        rp->run = last;
    if (load_run(rp, path, err, errlen) || prepare_streams(rp, path, err, errlen)) {
        top_replay_close(rp);
        return NULL;
    }
    return rp;
}

void top_replay_close(struct top_replay *rp)
{
    if (!rp)
        return;
    sqlite3_finalize(rp->ev_stmt);
    sqlite3_finalize(rp->occ_stmt);
    sqlite3_close(rp->db);
    top_slabmap_free(rp->map);
    free(rp->exe);
    free(rp->argv);
    free(rp->keep);
    free(rp->out);
    free(rp->ssout);
    free(rp);
}

static uint64_t col_u64(sqlite3_stmt *st, int i, uint64_t null)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? null : (uint64_t)sqlite3_column_int64(st, i);
}

/* Reads the next event row into rp->pend; 0 at the end. */
static int next_event(struct top_replay *rp)
{
    if (rp->ev_done)
        return 0;
    if (sqlite3_step(rp->ev_stmt) != SQLITE_ROW) {
        rp->ev_done = 1;
        return 0;
    }
    sqlite3_stmt *st = rp->ev_stmt;
    struct hakmem_event *e = &rp->pend;
    memset(e, 0, sizeof *e);
    e->seq = col_u64(st, 0, 0);
    e->ts_ns = col_u64(st, 1, 0);
    e->tid = (uint32_t)col_u64(st, 2, 0);
    e->type = (uint16_t)col_u64(st, 3, 0);
    e->cls = (uint8_t)col_u64(st, 4, HAKMEM_NONE);
    e->ss_id = (uint32_t)col_u64(st, 5, 0);
    e->slab = (uint32_t)col_u64(st, 6, 0);
    e->stage = (uint8_t)col_u64(st, 7, HAKMEM_NONE);
    e->arg0 = col_u64(st, 8, 0);
    e->arg1 = col_u64(st, 9, 0);
    e->stack_id = (uint32_t)col_u64(st, 10, 0);
    e->reason = (uint32_t)col_u64(st, 11, 0);
    e->ss_addr = col_u64(st, 12, 0);
    return 1;
}

/* The counters as the allocator would have counted these events. */
static void count(struct hakmem_seg_counters *c, const struct hakmem_event *e)
{
    switch (e->type) {
    case HAKMEM_EV_SS_MAP:
        c->ss_maps++;
        c->ss_map_bytes += e->arg0;
        c->ss_trims += e->reason == 1;
        break;
    case HAKMEM_EV_SS_UNMAP:
        c->ss_unmaps++;
        c->ss_unmap_bytes += e->arg0;
        break;
    case HAKMEM_EV_LARGE_MAP:
        c->large_maps++;
        c->large_map_bytes += e->arg0;
        break;
    case HAKMEM_EV_LARGE_UNMAP:
        c->large_unmaps++;
        c->large_unmap_bytes += e->arg0;
        break;
    case HAKMEM_EV_LRU_PUSH:
        c->lru_push++;
        break;
    case HAKMEM_EV_LRU_POP_HIT:
        c->lru_pop_hit++;
        break;
    case HAKMEM_EV_LRU_POP_MISS:
        c->lru_pop_miss++;
        break;
    case HAKMEM_EV_LRU_EVICT:
        c->lru_evict++;
        c->lru_evict_count += e->reason == 0;
        c->lru_evict_memory += e->reason == 1;
        c->lru_evict_ttl += e->reason == 2;
        break;
    case HAKMEM_EV_SLAB_ACQUIRE:
        if (e->stage < TOP_STAGES)
            c->stage_hit[e->stage]++;
        break;
    case HAKMEM_EV_STAGE_MISS:
        if (e->stage < TOP_STAGES)
            c->stage_miss[e->stage]++;
        break;
    case HAKMEM_EV_SLAB_EMPTY:
        c->empty++;
        if (e->cls < TOP_CLASSES)
            c->class_empty[e->cls]++;
        break;
    case HAKMEM_EV_SLAB_RELEASE:
        c->slab_release++;
        break;
    case HAKMEM_EV_THREAD_START:
        c->threads_started++;
        break;
    case HAKMEM_EV_THREAD_EXIT:
        c->threads_exited++;
        break;
    default:
        break;
    }
}

/* Applies the occupancy rows up to the clock: each ts_ns is one sample of
 * every class that had slabs then. */
static void apply_occupancy(struct top_replay *rp)
{
    while (!rp->occ_done) {
        if (!rp->have_occ_row) {
            if (sqlite3_step(rp->occ_stmt) != SQLITE_ROW) {
                rp->occ_done = 1;
                break;
            }
            sqlite3_stmt *st = rp->occ_stmt;
            rp->occ_ts = sqlite3_column_int64(st, 0);
            rp->occ_cls = (unsigned)sqlite3_column_int(st, 1);
            rp->occ_row.slabs = col_u64(st, 2, 0);
            rp->occ_row.used = col_u64(st, 3, 0);
            rp->occ_row.capacity = col_u64(st, 4, 0);
            rp->have_occ_row = 1;
        }
        if (rp->occ_ts > (int64_t)rp->clock)
            break;
        if (rp->occ_ts != rp->occ_group) {
            memset(rp->totals, 0, sizeof rp->totals);
            rp->occ_group = rp->occ_ts;
        }
        if (rp->occ_cls < TOP_CLASSES)
            rp->totals[rp->occ_cls] = rp->occ_row;
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
        count(&rp->ctr, &rp->pend);
        top_slabmap_apply(rp->map, &rp->pend, rp->class_capacity, rp->nclasses);
        rp->keep[rp->kept++ % REPLAY_KEEP] = rp->pend;
        rp->applied++;
        rp->have_ev_row = next_event(rp);
    }
    apply_occupancy(rp);
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
    return 0;
}
