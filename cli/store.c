/* store.c — recorded runs read back from a trace database: opening with the
 * one version check, runs, a run's metadata, events, occupancy, counters,
 * stacks' frames and the heap profile. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

struct hk_store {
    sqlite3 *db;
    char *path; /* as given: messages name it */
};

struct hk_store_cursor {
    sqlite3_stmt *st;
};

int hk_store_check_version(const char *name, int64_t version, enum hk_store_mode mode, char *err,
                           size_t errlen)
{
    if (version > HK_SCHEMA_VERSION)
        return mode == HK_STORE_REPLAY
                   ? hk_fail(err, errlen, "%s has trace schema version %lld; this hakmem-top "
                                          "reads version %d",
                             name, (long long)version, HK_SCHEMA_VERSION)
                   : hk_fail(err, errlen, "%s has trace schema version %lld, newer than this "
                                          "hakmem-trace reads (%d): use a newer hakmem-trace",
                             name, (long long)version, HK_SCHEMA_VERSION);
    if (version != 0 && version < HK_SCHEMA_OLDEST)
        return hk_fail(err, errlen, "%s has trace schema version %lld, older than %d: not supported",
                       name, (long long)version, HK_SCHEMA_OLDEST);
    return 0;
}

/* "path: what: SQLite's message"; returns -1. */
static int store_fail(const struct hk_store *s, const char *what, char *err, size_t errlen)
{
    return hk_fail(err, errlen, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

/* One integer from sql with ?1 = run (when it has a parameter); def without a row. */
static int store_int(struct hk_store *s, const char *sql, int64_t run, int64_t def, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, run);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ? sqlite3_column_int64(st, 0)
                                                                         : def;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The replay's reading: any SQLite file with the runs and events tables, of
 * a version it reads. */
static int open_replay(struct hk_store *s, char *err, size_t errlen)
{
    struct stat st; /* SQLite would block on a FIFO */
    if (stat(s->path, &st) == 0 && !S_ISREG(st.st_mode))
        return hk_fail(err, errlen, "%s is not a regular file", s->path);
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return s->db ? store_fail(s, "cannot open it", err, errlen)
                     : hk_fail(err, errlen, "%s: cannot open it", s->path);
    int64_t version = 0, tables = 0;
    if (store_int(s, "PRAGMA user_version", 0, 0, &version) ||
        store_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                     "name IN ('runs', 'events')", 0, 0, &tables))
        return store_fail(s, "is not a hakmem trace database", err, errlen);
    if (tables != 2)
        return hk_fail(err, errlen, "%s is not a hakmem trace database (no runs and events tables)",
                       s->path);
    return hk_store_check_version(s->path, version, HK_STORE_REPLAY, err, errlen);
}

struct hk_store *hk_store_open(const char *path, enum hk_store_mode mode, char *err, size_t errlen)
{
    struct hk_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        hk_fail(err, errlen, "out of memory");
        return NULL;
    }
    int rc;
    if (mode == HK_STORE_REPLAY)
        rc = open_replay(s, err, errlen);
    else
        rc = (s->db = hk_db_open_read(path, err, errlen)) ? 0 : -1;
    if (rc != 0) {
        hk_store_close(s);
        return NULL;
    }
    return s;
}

void hk_store_close(struct hk_store *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

struct sqlite3 *hk_store_db(struct hk_store *s)
{
    return s->db;
}

int hk_store_last_run(struct hk_store *s, int64_t *run, char *err, size_t errlen)
{
    if (store_int(s, "SELECT max(run_id) FROM runs", 0, 0, run) != 0)
        return store_fail(s, "cannot read its runs table", err, errlen);
    return 0;
}

long hk_store_list_runs(struct hk_store *s, int64_t *ids, size_t max, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM runs ORDER BY run_id LIMIT ?", -1, &st,
                           NULL) != SQLITE_OK)
        return store_fail(s, "cannot read its runs table", err, errlen);
    sqlite3_bind_int64(st, 1, (int64_t)(max < INT64_MAX ? max : INT64_MAX));
    long n = 0;
    while ((size_t)n < max && sqlite3_step(st) == SQLITE_ROW)
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static uint64_t col_u64(sqlite3_stmt *st, int i, uint64_t null)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? null : (uint64_t)sqlite3_column_int64(st, i);
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t ? (const char *)t : "");
}

/* block_size and blocks_per_slab of each class below HAKMEM_SEG_CLASSES. */
static void load_classes(struct hk_store *s, struct hk_store_run *r)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT class, block_size, blocks_per_slab FROM classes "
                                  "WHERE run_id = ?", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, r->run_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int c = sqlite3_column_int(st, 0);
        if (c < 0 || c >= HAKMEM_SEG_CLASSES)
            continue;
        r->class_size[c] = (uint32_t)sqlite3_column_int(st, 1);
        r->class_capacity[c] = (uint32_t)sqlite3_column_int(st, 2);
        if ((uint32_t)c + 1 > r->nclasses)
            r->nclasses = (uint32_t)c + 1;
    }
    sqlite3_finalize(st);
}

int hk_store_run(struct hk_store *s, int64_t run, struct hk_store_run *out, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT pid, exe, argv, coalesce(ended_ns - started_ns, 0), dropped, "
                           "mode, coalesce(ring_capacity, 0) FROM runs WHERE run_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, "cannot read its runs table", err, errlen);
    sqlite3_bind_int64(st, 1, run);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return 0;
    }
    out->run_id = run;
    out->pid = sqlite3_column_int(st, 0);
    out->exe = col_text(st, 1);
    out->argv = col_text(st, 2);
    int64_t len = sqlite3_column_int64(st, 3);
    out->duration_ns = len > 0 ? (uint64_t)len : 0;
    out->dropped = (uint64_t)sqlite3_column_int64(st, 4);
    const unsigned char *mode = sqlite3_column_text(st, 5);
    out->mode = mode && strcmp((const char *)mode, "overwrite") == 0 ? HAKMEM_TRACE_OVERWRITE
                                                                       : HAKMEM_TRACE_LOSSLESS;
    out->ring_capacity = (uint64_t)sqlite3_column_int64(st, 6);
    sqlite3_finalize(st);
    load_classes(s, out);
    int64_t ev_end = 0, occ_end = 0, nocc = 0;
    store_int(s, "SELECT max(ts_ns) FROM events WHERE run_id = ?", run, 0, &ev_end);
    if (store_int(s, "SELECT max(ts_ns) FROM occupancy WHERE run_id = ?", run, 0, &occ_end))
        occ_end = 0;
    if (store_int(s, "SELECT count(*) FROM occupancy WHERE run_id = ?", run, 0, &nocc))
        nocc = 0;
    out->last_event_ns = ev_end > 0 ? (uint64_t)ev_end : 0;
    out->last_occupancy_ns = occ_end > 0 ? (uint64_t)occ_end : 0;
    out->occupancy_rows = nocc > 0 ? (uint64_t)nocc : 0;
    return 1;
}

void hk_store_run_free(struct hk_store_run *r)
{
    free(r->exe);
    free(r->argv);
    r->exe = r->argv = NULL;
}

int hk_store_counters(struct hk_store *s, int64_t run, struct hakmem_seg_counters *c, char *err,
                      size_t errlen)
{
    memset(c, 0, sizeof *c);
    int64_t has = 0;
    if (store_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                     "name = 'run_counters'", 0, 0, &has) != 0)
        return store_fail(s, "cannot read its schema", err, errlen);
    if (!has)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT counter, idx, value FROM run_counters WHERE run_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, "cannot read its run_counters table", err, errlen);
    sqlite3_bind_int64(st, 1, run);
    int rc, found = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int64_t idx = sqlite3_column_int64(st, 1);
        uint64_t v = (uint64_t)sqlite3_column_int64(st, 2);
        found = 1;
        for (size_t i = 0; name && i < hk_ncounter_fields; i++) {
            const struct hk_counter_field *f = &hk_counter_fields[i];
            if (strcmp(name, f->name) == 0 && idx >= 0 && idx < (int64_t)f->count)
                memcpy((char *)c + f->offset + (size_t)idx * sizeof v, &v, sizeof v);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return store_fail(s, "cannot read its run_counters table", err, errlen);
    return found;
}

static struct hk_store_cursor *cursor(struct hk_store *s, const char *sql, int64_t run,
                                      const char *what, char *err, size_t errlen)
{
    struct hk_store_cursor *c = calloc(1, sizeof *c);
    if (!c) {
        hk_fail(err, errlen, "out of memory");
        return NULL;
    }
    if (sqlite3_prepare_v2(s->db, sql, -1, &c->st, NULL) != SQLITE_OK) {
        store_fail(s, what, err, errlen);
        hk_store_cursor_close(c);
        return NULL;
    }
    sqlite3_bind_int64(c->st, 1, run);
    return c;
}

struct hk_store_cursor *hk_store_events(struct hk_store *s, int64_t run, char *err, size_t errlen)
{
    return cursor(s, "SELECT seq, ts_ns, tid, type, class, ss, slab, stage, arg0, arg1, "
                     "stack_id, reason, ss_addr FROM events WHERE run_id = ? ORDER BY seq",
                  run, "cannot read its events table", err, errlen);
}

int hk_store_next_event(struct hk_store_cursor *c, struct hakmem_event *e)
{
    if (sqlite3_step(c->st) != SQLITE_ROW)
        return 0;
    sqlite3_stmt *st = c->st;
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

struct hk_store_cursor *hk_store_occupancy(struct hk_store *s, int64_t run, char *err,
                                           size_t errlen)
{
    return cursor(s, "SELECT ts_ns, class, slabs, used, capacity FROM occupancy "
                     "WHERE run_id = ? ORDER BY ts_ns, class",
                  run, "cannot read its occupancy table", err, errlen);
}

int hk_store_next_occupancy(struct hk_store_cursor *c, struct hk_store_occ *o)
{
    if (sqlite3_step(c->st) != SQLITE_ROW)
        return 0;
    o->ts_ns = sqlite3_column_int64(c->st, 0);
    o->cls = (unsigned)sqlite3_column_int(c->st, 1);
    o->slabs = col_u64(c->st, 2, 0);
    o->used = col_u64(c->st, 3, 0);
    o->capacity = col_u64(c->st, 4, 0);
    return 1;
}

void hk_store_cursor_close(struct hk_store_cursor *c)
{
    if (!c)
        return;
    sqlite3_finalize(c->st);
    free(c);
}

long hk_store_frames(struct hk_store *s, int64_t run, uint32_t stack_id, struct hk_store_frame *out,
                     size_t max, char *err, size_t errlen)
{
    struct hk_store_cursor *c = cursor(s, "SELECT ip, function, module, offset, file, line, "
                                          "fn_offset FROM frames WHERE run_id = ? AND stack_id = ?"
                                          " ORDER BY depth",
                                       run, "cannot read its frames table", err, errlen);
    if (!c)
        return -1;
    sqlite3_bind_int64(c->st, 2, stack_id);
    long n = 0;
    while ((size_t)n < max && sqlite3_step(c->st) == SQLITE_ROW) {
        struct hk_store_frame *f = &out[n++];
        const unsigned char *t;
        memset(f, 0, sizeof *f);
        f->ip = col_u64(c->st, 0, 0);
        if ((t = sqlite3_column_text(c->st, 1)))
            snprintf(f->function, sizeof f->function, "%s", (const char *)t);
        if ((t = sqlite3_column_text(c->st, 2)))
            snprintf(f->module, sizeof f->module, "%s", (const char *)t);
        f->offset = col_u64(c->st, 3, 0);
        if ((t = sqlite3_column_text(c->st, 4)))
            snprintf(f->file, sizeof f->file, "%s", (const char *)t);
        f->line = sqlite3_column_int(c->st, 5);
        f->fn_offset = sqlite3_column_type(c->st, 6) == SQLITE_NULL ? -1
                                                                    : sqlite3_column_int64(c->st, 6);
    }
    hk_store_cursor_close(c);
    return n;
}

int hk_store_profile(struct hk_store *s, int64_t run, struct hk_store_profile *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof *out);
    int64_t has = 0;
    if (store_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                     "name IN ('profile_runs', 'profile_stacks', 'profile_blocks')", 0, 0, &has) != 0)
        return store_fail(s, "cannot read its schema", err, errlen);
    if (has != 3)
        return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT rate, samples, frees, unmatched_frees, lost_frees, live,"
                                  " in_use, (SELECT count(*) FROM profile_blocks b WHERE"
                                  " b.run_id = r.run_id) FROM profile_runs r WHERE run_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, "cannot read its profile_runs table", err, errlen);
    sqlite3_bind_int64(st, 1, run);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW;
    if (found) {
        out->rate = sqlite3_column_int64(st, 0);
        out->samples = col_u64(st, 1, 0);
        out->frees = col_u64(st, 2, 0);
        out->unmatched = col_u64(st, 3, 0);
        out->lost_frees = col_u64(st, 4, 0);
        out->live = col_u64(st, 5, 0);
        out->in_use = sqlite3_column_int64(st, 6);
        out->blocks = col_u64(st, 7, 0);
    }
    sqlite3_finalize(st);
    if (!found && rc != SQLITE_DONE)
        return store_fail(s, "cannot read its profile_runs table", err, errlen);
    return found;
}

struct hk_store_cursor *hk_store_profile_stacks(struct hk_store *s, int64_t run, char *err,
                                                size_t errlen)
{
    return cursor(s, "SELECT stack_id, allocs, alloc_weight, bytes, live, in_use FROM "
                     "profile_stacks WHERE run_id = ? AND allocs > 0", /* not pin-only sites */
                  run, "cannot read its profile_stacks table", err, errlen);
}

int hk_store_next_pstack(struct hk_store_cursor *c, struct hk_store_pstack *p)
{
    if (sqlite3_step(c->st) != SQLITE_ROW)
        return 0;
    p->stack_id = (uint32_t)col_u64(c->st, 0, 0);
    p->allocs = col_u64(c->st, 1, 0);
    p->alloc_weight = col_u64(c->st, 2, 0);
    p->bytes = col_u64(c->st, 3, 0);
    p->live = col_u64(c->st, 4, 0);
    p->in_use = sqlite3_column_int64(c->st, 5);
    return 1;
}

/* A block's alloc, then its free, in the columns of hk_store_events; at one
 * ts_ns, by the block's own allocation time, its alloc before its free (so a
 * free comes before the next alloc at its address). */
struct hk_store_cursor *hk_store_profile_events(struct hk_store *s, int64_t run, char *err,
                                                size_t errlen)
{
    struct hk_store_cursor *c =
        cursor(s, "SELECT 0, ts_ns, tid, ?2, class, ss, slab, NULL, size, weight, stack_id,"
                  " min(block_size, ?4), addr, ts_ns AS k, 0 AS kind"
                  " FROM profile_blocks WHERE run_id = ?1"
                  " UNION ALL SELECT 0, free_ns, free_tid, ?3, class, ss, slab, NULL, 0, 0,"
                  " stack_id, free_reason, addr, ts_ns, 1 FROM profile_blocks"
                  " WHERE run_id = ?1 AND free_ns IS NOT NULL ORDER BY 2, 14, 15",
               run, "cannot read its profile_blocks table", err, errlen);
    if (c) {
        sqlite3_bind_int(c->st, 2, HAKMEM_EV_ALLOC);
        sqlite3_bind_int(c->st, 3, HAKMEM_EV_FREE);
        sqlite3_bind_int64(c->st, 4, HAKMEM_SIZE_SATURATED);
    }
    return c;
}
