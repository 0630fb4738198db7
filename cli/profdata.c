/* profdata.c — a run's heap profile read back stack by stack for the exports and
 * diff: each profile_stacks row's figures with its symbolised frames, and frame names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct hk_prof_reader {
    sqlite3 *db;
    sqlite3_stmt *stacks, *frames;
    int64_t run;
};

/* The per-stack figures, with the estimated live blocks from profile_live; stacks with
 * no sampled allocation (the one-frame sites of site tags, for pins) are not samples. */
static const char stacks_sql[] =
    "SELECT s.stack_id, s.allocs, s.alloc_weight, s.bytes, s.live, coalesce(l.w, 0), s.in_use,"
    " s.peak_in_use, s.temporaries, s.temp_weight"
    " FROM profile_stacks s LEFT JOIN (SELECT stack_id, sum(weight) AS w FROM profile_live"
    "  WHERE run_id = ?1 GROUP BY stack_id) l ON l.stack_id = s.stack_id"
    " WHERE s.run_id = ?1 AND s.allocs > 0 ORDER BY s.stack_id";
static const char frames_sql[] =
    "SELECT ip, function, module, offset, file, line FROM frames"
    " WHERE run_id = ?1 AND stack_id = ?2 ORDER BY depth";

int hk_prof_exists(sqlite3 *db, int64_t run, char *err, size_t errlen)
{
    if (hk_db_version(db) < 3)
        return 0;
    char sql[96];
    int64_t n = 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM profile_runs WHERE run_id = %lld",
             (long long)run);
    return hk_db_int(db, sql, 0, &n, err, errlen) != 0 ? -1 : n > 0;
}

int hk_prof_rate(sqlite3 *db, int64_t run, int64_t *rate, char *err, size_t errlen)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT rate FROM profile_runs WHERE run_id = %lld",
             (long long)run);
    return hk_db_int(db, sql, 0, rate, err, errlen);
}

struct hk_prof_reader *hk_prof_open(sqlite3 *db, int64_t run, char *err, size_t errlen)
{
    struct hk_prof_reader *r = calloc(1, sizeof *r);
    if (!r) {
        hk_fail(err, errlen, "out of memory");
        return NULL;
    }
    r->db = db;
    r->run = run;
    r->stacks = hk_db_prepare(db, stacks_sql, err, errlen);
    r->frames = r->stacks ? hk_db_prepare(db, frames_sql, err, errlen) : NULL;
    if (!r->frames) {
        hk_prof_close(r);
        return NULL;
    }
    sqlite3_bind_int64(r->stacks, 1, run);
    sqlite3_bind_int64(r->frames, 1, run);
    return r;
}

void hk_prof_close(struct hk_prof_reader *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->stacks);
    sqlite3_finalize(r->frames);
    free(r);
}

/* Copies column i's text into the stack's string space; NULL when NULL (or no room). */
static const char *keep(struct hk_prof_stack *s, sqlite3_stmt *st, int i, size_t *used)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    if (!t)
        return NULL;
    size_t len = strlen(t) + 1;
    if (len > sizeof s->strings - *used)
        return NULL;
    char *p = memcpy(s->strings + *used, t, len);
    *used += len;
    return p;
}

/* 1 for a frame inside the allocator (its module libhakmem), as profile_sites says. */
static int in_allocator(const char *module)
{
    return module && strstr(module, "/libhakmem");
}

/* The frames of s->stack_id, innermost first, past the allocator's own. */
static int read_frames(struct hk_prof_reader *r, struct hk_prof_stack *s, char *err, size_t errlen)
{
    size_t used = 0;
    int rc;
    s->nframes = 0;
    sqlite3_bind_int64(r->frames, 2, s->stack_id);
    while ((rc = sqlite3_step(r->frames)) == SQLITE_ROW && s->nframes < HK_PROF_FRAMES) {
        const char *module = (const char *)sqlite3_column_text(r->frames, 2);
        if (s->nframes == 0 && in_allocator(module))
            continue;
        struct hk_prof_frame *f = &s->frame[s->nframes++];
        f->ip = (uint64_t)sqlite3_column_int64(r->frames, 0);
        f->function = keep(s, r->frames, 1, &used);
        f->module = keep(s, r->frames, 2, &used);
        f->offset = (uint64_t)sqlite3_column_int64(r->frames, 3);
        f->file = keep(s, r->frames, 4, &used);
        f->line = sqlite3_column_int(r->frames, 5);
    }
    sqlite3_reset(r->frames);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hk_db_fail(r->db, "cannot read the frames",
                                                                   err, errlen);
}

int hk_prof_next(struct hk_prof_reader *r, struct hk_prof_stack *s, char *err, size_t errlen)
{
    int rc = sqlite3_step(r->stacks);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return hk_db_fail(r->db, "cannot read the profile", err, errlen);
    sqlite3_stmt *st = r->stacks;
    s->stack_id = sqlite3_column_int64(st, 0);
    s->allocs = sqlite3_column_int64(st, 1);
    s->alloc_weight = sqlite3_column_int64(st, 2);
    s->bytes = sqlite3_column_int64(st, 3);
    s->live = sqlite3_column_int64(st, 4);
    s->live_weight = sqlite3_column_int64(st, 5);
    s->in_use = sqlite3_column_int64(st, 6);
    s->peak_in_use = sqlite3_column_int64(st, 7);
    s->temporaries = sqlite3_column_int64(st, 8);
    s->temp_weight = sqlite3_column_int64(st, 9);
    return read_frames(r, s, err, errlen) == 0 ? 1 : -1;
}

int hk_prof_each(sqlite3 *db, int64_t run, int (*fn)(void *ctx, const struct hk_prof_stack *s),
                 void *ctx, char *err, size_t errlen)
{
    struct hk_prof_reader *r = hk_prof_open(db, run, err, errlen);
    if (!r)
        return -1;
    struct hk_prof_stack *s = malloc(sizeof *s);
    int rc = s ? 1 : hk_fail(err, errlen, "out of memory");
    while (rc == 1 && (rc = hk_prof_next(r, s, err, errlen)) == 1)
        if (fn(ctx, s) != 0)
            rc = hk_fail(err, errlen, "out of memory");
    free(s);
    hk_prof_close(r);
    return rc;
}

int64_t hk_prof_count(int64_t weight)
{
    return (weight + 32768) / 65536;
}

const char *hk_prof_frame_name(const struct hk_prof_frame *f, char *buf, size_t len)
{
    if (f->function)
        snprintf(buf, len, "%s", f->function);
    else if (f->module)
        snprintf(buf, len, "%s+0x%llx", hk_basename(f->module), (unsigned long long)f->offset);
    else
        snprintf(buf, len, "0x%llx", (unsigned long long)f->ip);
    return buf;
}

const char *hk_prof_stack_key(const struct hk_prof_stack *s, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    if (s->nframes == 0)
        snprintf(buf, len, s->stack_id == 0 ? "(no stack)" : "(no frames)");
    for (size_t i = 0; i < s->nframes && at < len; i++) {
        char name[512], line[600] = "";
        const struct hk_prof_frame *f = &s->frame[i];
        if (i == 0 && f->file) /* the call into the allocator: which of the function's calls */
            snprintf(line, sizeof line, " %s:%d", hk_basename(f->file), f->line);
        int n = snprintf(buf + at, len - at, "%s%s%s (%s)", i ? ";" : "",
                         hk_prof_frame_name(f, name, sizeof name), line,
                         f->module ? hk_basename(f->module) : "?");
        at += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

#define HK_PV_NAME(id, name, unit, what) name,
const char *const hk_prof_value_names[HK_PV_COUNT] = { HK_PROF_VALUES(HK_PV_NAME) };
#undef HK_PV_NAME
#define HK_PV_UNIT(id, name, unit, what) unit,
const char *const hk_prof_value_units[HK_PV_COUNT] = { HK_PROF_VALUES(HK_PV_UNIT) };
#undef HK_PV_UNIT

int64_t hk_prof_value(const struct hk_prof_stack *s, enum hk_prof_value v)
{
    switch (v) {
    case HK_PV_ALLOC_BYTES:
        return s->bytes;
    case HK_PV_INUSE_BYTES:
        return s->peak_in_use;
    case HK_PV_LEAKED_BYTES:
        return s->in_use;
    case HK_PV_ALLOCS:
        return hk_prof_count(s->alloc_weight);
    case HK_PV_TEMPORARY:
        return hk_prof_count(s->temp_weight);
    default:
        return 0;
    }
}
