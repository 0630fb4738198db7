/* tally.c — the report's aggregates, kept in memory while events are stored
 * and written as event_counts, slabs and slab_classes rows with the commits. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* One event_counts row: the events of one (type, class, stage, reason). */
struct count {
    struct hk_slot h;
    int64_t type, cls, stage, reason; /* -1: NULL */
    int64_t n, n_after_empty, arg0_sum, first_seq, last_seq;
};

/* One slabs row: a slab (ss, slab) and what happened to it. */
struct slab {
    struct hk_slot h;
    uint32_t ss, slab;
    int16_t cls;     /* -1: none */
    uint8_t owned;   /* its last acquire/EMPTY was an acquire */
    uint8_t counted; /* in its class_sum */
    uint8_t retire;  /* its SuperSlab was unmapped: write it once more, then forget it */
    uint32_t acquires, empties, releases;
    int32_t final_used, final_capacity; /* -1: not sampled */
    int32_t final_flags;                /* enum hakmem_seg_slab_flag; -1: not sampled */
    int64_t first_seq, last_seq;
};

#define SLAB_COLS 13
#define SLAB_COLUMNS "run_id, ss, slab, class, acquires, empties, releases, owned, first_seq," \
                     " last_seq, final_used, final_capacity, final_flags"
#define SLAB_CHUNK 4096 /* new slabs rows per INSERT ... SELECT FROM hk_slab_batch */

/* The slabs of one class (by the class of each slab's last acquire/EMPTY),
 * kept as slabs change: one slab_classes row. */
struct class_sum {
    int64_t slabs, never_empty, live, ne_used, ne_capacity, ne_sampled;
    int64_t rowid;
    int dirty;
};

/* The run_evidence row: the SuperSlab maps, and what lay unused at the worst
 * of them (from each ss_map's arg1, hakmem_ss_map_evidence). */
struct evidence {
    int64_t maps, maps_while_idle, worst_kib, worst_ss, worst_holding;
    int dirty;
};

struct hk_tally {
    struct hk_table counts, slabs;
    struct evidence ev;
    sqlite3_stmt *ev_upd;
    int64_t first_empty_seq; /* 0 until the first slab_empty */
    struct class_sum cls[HK_MAX_CLASSES + 1]; /* [0]: no class, [c + 1]: class c */
    sqlite3_stmt *cnt_ins, *cnt_upd, *slab_ins, *slab_upd, *cls_ins, *cls_upd;
    sqlite3 *db;             /* the statements belong to it */
    struct hk_batch batch;   /* new slabs rows, for hk_slab_batch */
    int64_t *batch_v;
    uint16_t *batch_nulls;
    struct slab **batch_of;  /* the slab of each row */
};

struct hk_tally *hk_tally_new(void)
{
    struct hk_tally *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    if (hk_table_init(&t->counts, sizeof(struct count)) != 0 ||
        hk_table_init(&t->slabs, sizeof(struct slab)) != 0) {
        hk_tally_free(t);
        return NULL;
    }
    return t;
}

void hk_tally_free(struct hk_tally *t)
{
    if (!t)
        return;
    sqlite3_stmt *st[] = { t->cnt_ins, t->cnt_upd, t->slab_ins, t->slab_upd, t->cls_ins, t->cls_upd,
                           t->ev_upd };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        sqlite3_finalize(st[i]);
    free(t->batch_v);
    free(t->batch_nulls);
    free(t->batch_of);
    hk_table_free(&t->counts);
    hk_table_free(&t->slabs);
    free(t);
}

/* ---- keys */

static int count_same(const void *slot, const void *key)
{
    const struct count *c = slot, *k = key;
    return c->type == k->type && c->cls == k->cls && c->stage == k->stage && c->reason == k->reason;
}

static int slab_same(const void *slot, const void *key)
{
    const struct slab *s = slot, *k = key;
    return s->ss == k->ss && s->slab == k->slab;
}

static uint64_t slab_hash(uint32_t ss, uint32_t slab)
{
    return hk_table_mix((uint64_t)ss << 32 ^ slab);
}

/* The count of this key, created when new; NULL only when memory ran out. */
static struct count *count_get(struct hk_table *t, int64_t type, const struct hk_row *r)
{
    struct count key = { .type = type, .cls = r->cls, .stage = r->stage, .reason = r->reason };
    uint64_t hash = hk_table_mix((uint64_t)type * 0x9e3779b97f4a7c15ull ^
                        hk_table_mix((uint64_t)r->cls << 32 ^ (uint64_t)r->stage) ^
                        (uint64_t)r->reason * 0xbf58476d1ce4e5b9ull);
    int created = 0;
    struct count *c = hk_table_get(t, hash, count_same, &key, 1, &created);
    if (c && created) {
        c->type = type;
        c->cls = r->cls;
        c->stage = r->stage;
        c->reason = r->reason;
    }
    return c;
}

/* The slab (ss, idx); with create, made when new. */
static struct slab *slab_get(struct hk_table *t, uint32_t ss, uint32_t idx, int create)
{
    struct slab key = { .ss = ss, .slab = idx };
    int created = 0;
    struct slab *s = hk_table_get(t, slab_hash(ss, idx), slab_same, &key, create, &created);
    if (s && created) {
        s->ss = ss;
        s->slab = idx;
        s->cls = -1;
        s->final_used = s->final_capacity = s->final_flags = -1;
    }
    return s;
}

/* ---- counting */

/* Adds (sign 1) or takes back (sign -1) what slab s counts in its class. */
static void class_account(struct hk_tally *t, const struct slab *s, int sign)
{
    if (!s->counted)
        return;
    struct class_sum *c = &t->cls[s->cls >= 0 ? s->cls + 1 : 0];
    int never = s->empties == 0, sampled = never && s->final_capacity >= 0;
    c->slabs += sign;
    c->never_empty += sign * never;
    c->live += sign * s->owned;
    c->ne_sampled += sign * sampled;
    c->ne_used += sampled ? sign * s->final_used : 0;
    c->ne_capacity += sampled ? sign * s->final_capacity : 0;
    c->dirty = 1;
}

/* A SuperSlab map, and what lay unused in mostly-free SuperSlabs meanwhile. */
static void evidence_map(struct evidence *e, uint64_t arg1)
{
    e->maps++;
    e->dirty = 1;
    if (!HAKMEM_SS_MAP_SUPERSLABS(arg1))
        return;
    e->maps_while_idle++;
    if ((int64_t)HAKMEM_SS_MAP_UNUSED_KIB(arg1) > e->worst_kib) {
        e->worst_kib = (int64_t)HAKMEM_SS_MAP_UNUSED_KIB(arg1);
        e->worst_ss = (int64_t)HAKMEM_SS_MAP_SUPERSLABS(arg1);
        e->worst_holding = (int64_t)HAKMEM_SS_MAP_HOLDING(arg1);
    }
}

/* One acquire, EMPTY or release of slab s. */
static void slab_event(struct slab *s, const struct hakmem_event *ev, const struct hk_row *r)
{
    int64_t seq = (int64_t)ev->seq;
    if (!s->first_seq)
        s->first_seq = seq;
    s->last_seq = seq;
    s->h.dirty = 1;
    if (ev->type == HAKMEM_EV_SLAB_RELEASE) {
        s->releases++;
        return;
    }
    s->cls = (int16_t)r->cls;
    s->owned = ev->type == HAKMEM_EV_SLAB_ACQUIRE;
    if (s->owned)
        s->acquires++;
    else
        s->empties++;
}

static void tally_slab(struct hk_tally *t, const struct hakmem_event *ev, const struct hk_row *r)
{
    struct slab *s = slab_get(&t->slabs, ev->ss_id, ev->slab, 1);
    if (!s)
        return;
    class_account(t, s, -1);
    slab_event(s, ev, r);
    s->counted = 1;
    class_account(t, s, 1);
}

/* An unmapped SuperSlab's slabs are final: written once more, then forgotten. */
static void retire_superslab(struct hk_tally *t, uint32_t ss)
{
    for (uint32_t i = 0; i < HAKMEM_SEG_SLABS; i++) {
        struct slab *s = slab_get(&t->slabs, ss, i, 0);
        if (s) {
            s->retire = 1;
            s->h.dirty = 1;
        }
    }
}

void hk_tally_add(struct hk_tally *t, const struct hakmem_event *ev, const struct hk_row *r)
{
    int64_t seq = (int64_t)ev->seq;
    struct count *c = count_get(&t->counts, ev->type, r);
    if (c) {
        c->n++;
        c->n_after_empty += t->first_empty_seq != 0;
        c->arg0_sum += (int64_t)ev->arg0;
        if (!c->first_seq)
            c->first_seq = seq;
        c->last_seq = seq;
        c->h.dirty = 1;
    }
    if (ev->type == HAKMEM_EV_SLAB_EMPTY && !t->first_empty_seq)
        t->first_empty_seq = seq ? seq : 1;
    if (ev->type == HAKMEM_EV_SLAB_ACQUIRE || ev->type == HAKMEM_EV_SLAB_EMPTY ||
        ev->type == HAKMEM_EV_SLAB_RELEASE)
        tally_slab(t, ev, r);
    else if (ev->type == HAKMEM_EV_SS_MAP)
        evidence_map(&t->ev, ev->arg1);
    else if (ev->type == HAKMEM_EV_SS_UNMAP && ev->ss_id)
        retire_superslab(t, ev->ss_id);
}

void hk_tally_occupancy(struct hk_tally *t, int64_t ss, int64_t slab, int64_t used, int64_t capacity,
                        unsigned flags)
{
    if (ss < 0 || ss > UINT32_MAX || slab < 0 || slab > UINT32_MAX)
        return;
    struct slab *s = slab_get(&t->slabs, (uint32_t)ss, (uint32_t)slab, 0);
    if (!s)
        return; /* a slab without events: nothing to attach it to */
    class_account(t, s, -1);
    s->final_used = (int32_t)used;
    s->final_capacity = (int32_t)capacity;
    s->final_flags = (int32_t)(flags & 0xffff);
    s->h.dirty = 1;
    class_account(t, s, 1);
}

/* ---- writing */

/* Binds v[0..n) to the parameters 1..n of st; a column whose bit is set in
 * opt is optional: NULL when its value is negative. */
static void bind_row(sqlite3_stmt *st, const int64_t *v, int n, uint32_t opt)
{
    for (int i = 0; i < n; i++) {
        if ((opt >> i & 1) && v[i] < 0)
            sqlite3_bind_null(st, i + 1);
        else
            sqlite3_bind_int64(st, i + 1, v[i]);
    }
}

/* hk_slab_batch, the rows of new slabs to insert. */
static int register_batch(struct hk_tally *t, sqlite3 *db, char *err, size_t errlen)
{
    t->batch_v = malloc(SLAB_CHUNK * SLAB_COLS * sizeof *t->batch_v);
    t->batch_nulls = malloc(SLAB_CHUNK * sizeof *t->batch_nulls);
    t->batch_of = malloc(SLAB_CHUNK * sizeof *t->batch_of);
    if (!t->batch_v || !t->batch_nulls || !t->batch_of)
        return hk_fail(err, errlen, "out of memory");
    t->batch = (struct hk_batch){ .ncols = SLAB_COLS, .columns = SLAB_COLUMNS };
    return hk_batch_register(db, "hk_slab_batch", &t->batch, err, errlen);
}

static int prepare_all(struct hk_tally *t, sqlite3 *db, char *err, size_t errlen)
{
    if (t->db == db && t->cls_upd)
        return 0;
    if (t->db)
        return hk_fail(err, errlen, "the event counts belong to another database");
    t->db = db;
    return (t->cnt_ins = hk_db_prepare(db,
                "INSERT INTO event_counts (run_id, type, class, stage, reason, n, n_after_empty,"
                " arg0_sum, first_seq, last_seq) VALUES (?,?,?,?,?,?,?,?,?,?)", err, errlen)) &&
           (t->cnt_upd = hk_db_prepare(db,
                "UPDATE event_counts SET n = ?, n_after_empty = ?, arg0_sum = ?, last_seq = ?"
                " WHERE rowid = ?", err, errlen)) &&
           register_batch(t, db, err, errlen) == 0 &&
           (t->slab_ins = hk_db_prepare(db, "INSERT INTO slabs (" SLAB_COLUMNS ")"
                                            " SELECT * FROM hk_slab_batch", err, errlen)) &&
           (t->slab_upd = hk_db_prepare(db,
                "UPDATE slabs SET class = ?, acquires = ?, empties = ?, releases = ?, owned = ?,"
                " last_seq = ?, final_used = ?, final_capacity = ?, final_flags = ? WHERE rowid = ?",
                err, errlen)) &&
           (t->ev_upd = hk_db_prepare(db,
                "INSERT OR REPLACE INTO run_evidence (run_id, maps, maps_while_idle, unused_kib,"
                " idle_superslabs, holding_slabs) VALUES (?,?,?,?,?,?)", err, errlen)) &&
           (t->cls_ins = hk_db_prepare(db,
                "INSERT INTO slab_classes (slabs, never_empty, live_at_end, never_empty_used,"
                " never_empty_capacity, run_id, class) VALUES (?,?,?,?,?,?,?)", err, errlen)) &&
           (t->cls_upd = hk_db_prepare(db,
                "UPDATE slab_classes SET slabs = ?, never_empty = ?, live_at_end = ?,"
                " never_empty_used = ?, never_empty_capacity = ? WHERE rowid = ?", err, errlen))
               ? 0 : -1;
}

static int step(sqlite3 *db, sqlite3_stmt *st, int64_t *rowid, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return hk_fail(err, errlen, "cannot store the event counts: %s", sqlite3_errmsg(db));
    if (rowid && !*rowid)
        *rowid = sqlite3_last_insert_rowid(db);
    return 0;
}

static int flush_count(struct hk_tally *t, struct count *c, int64_t run, char *err, size_t errlen)
{
    if (c->h.rowid) {
        const int64_t v[] = { c->n, c->n_after_empty, c->arg0_sum, c->last_seq, c->h.rowid };
        bind_row(t->cnt_upd, v, 5, 0);
    } else {
        const int64_t v[] = { run, c->type, c->cls, c->stage, c->reason, c->n, c->n_after_empty,
                              c->arg0_sum, c->first_seq, c->last_seq };
        bind_row(t->cnt_ins, v, 10, 1u << 2 | 1u << 3 | 1u << 4); /* class, stage, reason */
    }
    sqlite3_stmt *st = c->h.rowid ? t->cnt_upd : t->cnt_ins;
    return step(t->db, st, &c->h.rowid, err, errlen);
}

/* Slab s as row k of the batch. */
static void slab_row(struct hk_tally *t, size_t k, struct slab *s, int64_t run)
{
    const int64_t v[SLAB_COLS] = { run, s->ss, s->slab, s->cls, s->acquires, s->empties,
                                   s->releases, s->owned, s->first_seq, s->last_seq,
                                   s->final_used, s->final_capacity, s->final_flags };
    memcpy(&t->batch_v[k * SLAB_COLS], v, sizeof v);
    t->batch_nulls[k] = (uint16_t)((s->cls < 0) << 3 | (s->final_used < 0) << 10 |
                                   (s->final_capacity < 0) << 11 | (s->final_flags < 0) << 12);
    t->batch_of[k] = s;
}

static int update_slab(struct hk_tally *t, struct slab *s, char *err, size_t errlen)
{
    sqlite3_stmt *st = t->slab_upd;
    const int64_t v[] = { s->cls, s->acquires, s->empties, s->releases, s->owned,
                          s->last_seq, s->final_used, s->final_capacity, s->final_flags,
                          s->h.rowid };
    bind_row(st, v, 10, 1u << 0 | 1u << 6 | 1u << 7 | 1u << 8); /* class, final_* */
    return step(t->db, st, NULL, err, errlen);
}

/* Inserts the k slabs of the batch with one statement (their rowids are
 * consecutive: each new rowid is max(rowid) + 1); forgets the retired ones. */
static int insert_slabs(struct hk_tally *t, size_t k, char *err, size_t errlen)
{
    t->batch.v = t->batch_v;
    t->batch.nulls = t->batch_nulls;
    t->batch.n = k;
    int64_t last = 0;
    int rc = step(t->db, t->slab_ins, &last, err, errlen);
    t->batch.v = NULL;
    if (rc != 0)
        return -1;
    for (size_t r = 0; r < k; r++) {
        t->batch_of[r]->h.rowid = last - (int64_t)(k - 1 - r);
        if (t->batch_of[r]->retire)
            hk_table_delete(&t->slabs, t->batch_of[r]);
    }
    return 0;
}

/* Writes the changed slabs (all, or those to retire): updates in place, new
 * ones in chunks. */
static int flush_slabs(struct hk_tally *t, int64_t run, int all, char *err, size_t errlen)
{
    size_t k = 0;
    for (size_t i = 0; i < t->slabs.cap; i++) {
        struct slab *s = hk_table_slot(&t->slabs, i);
        if (!hk_table_live(s) || !s->h.dirty || (!all && !s->retire))
            continue;
        s->h.dirty = 0;
        if (s->h.rowid) {
            if (update_slab(t, s, err, errlen) != 0)
                return -1;
            if (s->retire)
                hk_table_delete(&t->slabs, s);
            continue;
        }
        slab_row(t, k++, s, run);
        if (k == SLAB_CHUNK) {
            if (insert_slabs(t, k, err, errlen) != 0)
                return -1;
            k = 0;
        }
    }
    return k ? insert_slabs(t, k, err, errlen) : 0;
}

/* Writes the per-class slab sums that changed. */
static int flush_classes(struct hk_tally *t, int64_t run, char *err, size_t errlen)
{
    for (int k = 0; k <= HK_MAX_CLASSES; k++) {
        struct class_sum *c = &t->cls[k];
        if (!c->dirty)
            continue;
        c->dirty = 0;
        sqlite3_stmt *st = c->rowid ? t->cls_upd : t->cls_ins;
        const int64_t v[] = { c->slabs, c->never_empty, c->live, c->ne_sampled ? c->ne_used : -1,
                              c->ne_sampled ? c->ne_capacity : -1, c->rowid ? c->rowid : run, k - 1 };
        bind_row(st, v, c->rowid ? 6 : 7, 1u << 3 | 1u << 4 | 1u << 6); /* the never-EMPTY sample, class */
        if (step(t->db, st, &c->rowid, err, errlen) != 0)
            return -1;
    }
    return 0;
}

int hk_tally_flush(struct hk_tally *t, sqlite3 *db, int64_t run_id, int slabs, char *err,
                   size_t errlen)
{
    if (prepare_all(t, db, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < t->counts.cap; i++) {
        struct count *c = hk_table_slot(&t->counts, i);
        if (hk_table_live(c) && c->h.dirty) {
            if (flush_count(t, c, run_id, err, errlen) != 0)
                return -1;
            c->h.dirty = 0;
        }
    }
    if (flush_slabs(t, run_id, slabs, err, errlen) != 0)
        return -1;
    if (t->ev.dirty) {
        const int64_t v[] = { run_id, t->ev.maps, t->ev.maps_while_idle, t->ev.worst_kib,
                              t->ev.worst_ss, t->ev.worst_holding };
        bind_row(t->ev_upd, v, 6, 0);
        if (step(t->db, t->ev_upd, NULL, err, errlen) != 0)
            return -1;
        t->ev.dirty = 0;
    }
    return slabs ? flush_classes(t, run_id, err, errlen) : 0;
}
