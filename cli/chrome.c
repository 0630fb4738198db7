/* chrome.c — one run as Chrome trace-event JSON (Perfetto, chrome://tracing):
 * counters for occupancy, LRU size and SuperSlabs, instants for LRU, EMPTY and
 * map events; of a heap-profiled run also the estimated bytes in use, bucketed
 * by time, and instants for sampled allocations' sites, capped in number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct exporter {
    FILE *out;
    int64_t run, pid;
    int first;
    int64_t live_ss; /* SuperSlabs mapped and not unmapped */
};

/* Starts one trace event object (with its comma). */
static void begin(struct exporter *x, const char *ph, const char *name, int64_t ts_ns, int64_t tid)
{
    fputs(x->first ? "\n" : ",\n", x->out);
    x->first = 0;
    fprintf(x->out, "{\"ph\":\"%s\",\"name\":", ph);
    hk_json_string(x->out, name);
    fprintf(x->out, ",\"pid\":%lld,\"tid\":%lld,\"ts\":%.3f", (long long)x->pid, (long long)tid,
            (double)ts_ns / 1000.0);
}

static void metadata(struct exporter *x, const char *exe)
{
    fputs(x->first ? "\n" : ",\n", x->out);
    x->first = 0;
    fprintf(x->out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%lld,\"tid\":0,"
                    "\"args\":{\"name\":", (long long)x->pid);
    hk_json_string(x->out, *exe ? hk_basename(exe) : "traced process");
    fputs("}}", x->out);
}

/* One event row: name, ts_ns, tid, type, class, ss, slab, reason, arg0, arg1. */
static void event(struct exporter *x, sqlite3_stmt *st)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    int64_t ts = sqlite3_column_int64(st, 1), tid = sqlite3_column_int64(st, 2);
    int type = sqlite3_column_int(st, 3);
    begin(x, "i", name ? name : "?", ts, tid);
    fprintf(x->out, ",\"s\":\"t\",\"args\":{\"class\":%s,\"ss\":%s,\"slab\":%s,\"arg0\":%lld}}",
            sqlite3_column_type(st, 4) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 4),
            sqlite3_column_type(st, 5) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 5),
            sqlite3_column_type(st, 6) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 6),
            (long long)sqlite3_column_int64(st, 8));
    if (type >= HAKMEM_EV_LRU_PUSH && type <= HAKMEM_EV_LRU_EVICT) {
        begin(x, "C", "LRU cache", ts, 0);
        fprintf(x->out, ",\"args\":{\"size\":%lld}}", (long long)sqlite3_column_int64(st, 8));
    } else if (type == HAKMEM_EV_SS_MAP || type == HAKMEM_EV_SS_UNMAP) {
        x->live_ss += type == HAKMEM_EV_SS_MAP ? 1 : -1;
        begin(x, "C", "SuperSlabs", ts, 0);
        fprintf(x->out, ",\"args\":{\"mapped\":%lld}}", (long long)x->live_ss);
    }
}

static int events(struct exporter *x, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db,
        "SELECT t.name, e.ts_ns, e.tid, e.type, e.class, e.ss, e.slab, e.reason, e.arg0, e.arg1"
        " FROM events e JOIN event_types t ON t.type = e.type"
        " WHERE e.run_id = ?1 AND e.type IN (1, 2, 5, 6, 7, 8, 11) ORDER BY e.seq", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        event(x, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_fail(err, errlen, "%s", sqlite3_errmsg(db));
}

static int occupancy(struct exporter *x, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db,
        "SELECT o.ts_ns, o.class, c.block_size, o.slabs, o.used, o.capacity FROM occupancy o"
        " LEFT JOIN classes c ON c.run_id = o.run_id AND c.class = o.class"
        " WHERE o.run_id = ?1 ORDER BY o.ts_ns, o.class", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char name[64];
        snprintf(name, sizeof name, "occupancy class %d (%lld B)", sqlite3_column_int(st, 1),
                 (long long)sqlite3_column_int64(st, 2));
        begin(x, "C", name, sqlite3_column_int64(st, 0), 0);
        fprintf(x->out, ",\"args\":{\"used\":%lld,\"capacity\":%lld}}",
                (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_fail(err, errlen, "%s", sqlite3_errmsg(db));
}

/* ---- the heap profile's part: a counter of the estimated bytes in use, one point
 * per time bucket (CHROME_BUCKETS over the run), and an instant per sampled
 * allocation, at most CHROME_INSTANTS (every k-th when there are more). The
 * counter is profile_usage's points; a database written before that table has the
 * alloc/free timeline in profile_blocks (record --all-blocks) only; without it only
 * the blocks live at the end (profile_live) have times: the counter then shows how
 * those accumulated. An instant marks the peak. */
#define CHROME_BUCKETS 1000
#define CHROME_INSTANTS 10000

/* The call sites of the run's stacks, by stack id (sorted). */
struct site_name {
    int64_t stack_id;
    char *site;
};
struct sites {
    struct site_name *v;
    size_t n;
};

static int by_stack(const void *a, const void *b)
{
    const struct site_name *x = a, *y = b;
    return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

static int load_sites(sqlite3 *db, int64_t run, struct sites *s, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db, "SELECT stack_id, site FROM profile_sites WHERE run_id = ?1"
                                         " ORDER BY stack_id", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    int rc;
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (s->n == cap) {
            cap = cap ? 2 * cap : 256;
            struct site_name *v = realloc(s->v, cap * sizeof *v);
            if (!v)
                break;
            s->v = v;
        }
        const char *t = (const char *)sqlite3_column_text(st, 1);
        s->v[s->n].stack_id = sqlite3_column_int64(st, 0);
        if ((s->v[s->n].site = strdup(t ? t : "?")))
            s->n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return rc == SQLITE_ROW ? hk_fail(err, errlen, "out of memory")
                                : hk_db_fail(db, "cannot read the call sites", err, errlen);
    qsort(s->v, s->n, sizeof *s->v, by_stack);
    return 0;
}

static const char *site_of(const struct sites *s, int64_t stack_id)
{
    struct site_name key = { .stack_id = stack_id };
    const struct site_name *k = s->n ? bsearch(&key, s->v, s->n, sizeof *s->v, by_stack) : NULL;
    return k ? k->site : "(no stack)";
}

static void sites_free(struct sites *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].site);
    free(s->v);
}

/* What the run's profile holds for the timeline. */
struct heap_info {
    const char *table;  /* profile_blocks (every sample, with its free) or profile_live */
    int64_t samples;    /* rows of it */
    int64_t peak, peak_ns, width;
};

static int heap_info(sqlite3 *db, int64_t run, int64_t duration_ns, struct heap_info *h, char *err,
                     size_t errlen)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM profile_blocks WHERE run_id = %lld", (long long)run);
    if (hk_db_int(db, sql, 0, &h->samples, err, errlen) != 0)
        return -1;
    h->table = h->samples ? "profile_blocks" : "profile_live";
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE run_id = %lld", h->table, (long long)run);
    if (!h->samples && hk_db_int(db, sql, 0, &h->samples, err, errlen) != 0)
        return -1;
    snprintf(sql, sizeof sql, "SELECT peak FROM profile_runs WHERE run_id = %lld", (long long)run);
    if (hk_db_int(db, sql, 0, &h->peak, err, errlen) != 0)
        return -1;
    snprintf(sql, sizeof sql, "SELECT coalesce(peak_ns, -1) FROM profile_runs WHERE run_id = %lld",
             (long long)run);
    if (hk_db_int(db, sql, -1, &h->peak_ns, err, errlen) != 0)
        return -1;
    h->width = duration_ns / CHROME_BUCKETS + 1;
    return 0;
}

/* The counter from profile_usage (bytes in use as the recorder counted them, every
 * 10 ms): 1 when it has points for the run, 0 when not (a database written before it),
 * -1 on error. */
static int usage_counter(struct exporter *x, sqlite3 *db, char *err, size_t errlen)
{
    int64_t n = 0;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM profile_usage WHERE run_id = %lld",
             (long long)x->run);
    if (hk_db_int(db, sql, 0, &n, NULL, 0) != 0 || n == 0)
        return 0; /* (no such table: an older database) */
    sqlite3_stmt *st = hk_db_prepare(db, "SELECT ts_ns, in_use, peak FROM profile_usage"
                                         " WHERE run_id = ?1 ORDER BY ts_ns", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t ts = sqlite3_column_int64(st, 0);
        begin(x, "C", "heap in use (estimated)", ts, 0);
        fprintf(x->out, ",\"args\":{\"bytes\":%lld}}", (long long)sqlite3_column_int64(st, 1));
        begin(x, "C", "heap in use, the most since the point before (estimated)", ts, 0);
        fprintf(x->out, ",\"args\":{\"bytes\":%lld}}", (long long)sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 1 : hk_db_fail(db, "cannot read the heap profile", err, errlen);
}

/* The counter: per bucket the change of bytes in use, summed up as it goes (from
 * profile_usage when the run has it). */
static int heap_counter(struct exporter *x, sqlite3 *db, const struct heap_info *h, char *err,
                        size_t errlen)
{
    int u = usage_counter(x, db, err, errlen);
    if (u != 0)
        return u < 0 ? -1 : 0;
    char sql[640];
    int blocks = strcmp(h->table, "profile_blocks") == 0;
    snprintf(sql, sizeof sql,
             "SELECT b, sum(d) FROM (SELECT ts_ns / ?2 AS b, (weight * block_size + 32768) / 65536 AS d"
             " FROM %s WHERE run_id = ?1%s) GROUP BY b ORDER BY b", h->table,
             blocks ? " UNION ALL SELECT free_ns / ?2, -((weight * block_size + 32768) / 65536)"
                      " FROM profile_blocks WHERE run_id = ?1 AND free_ns IS NOT NULL" : "");
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->run);
    sqlite3_bind_int64(st, 2, h->width);
    const char *name = blocks ? "heap in use (estimated)" : "heap in use by blocks live at the end (estimated)";
    int64_t total = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        total += sqlite3_column_int64(st, 1);
        begin(x, "C", name, (sqlite3_column_int64(st, 0) + 1) * h->width - 1, 0);
        fprintf(x->out, ",\"args\":{\"bytes\":%lld}}", (long long)total);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot read the heap profile", err, errlen);
}

/* The instants: sampled allocations at their sites, every k-th of them. */
static int heap_instants(struct exporter *x, sqlite3 *db, const struct heap_info *h,
                         const struct sites *sites, char *err, size_t errlen)
{
    char sql[320];
    int64_t every = h->samples / CHROME_INSTANTS + 1;
    snprintf(sql, sizeof sql, "SELECT ts_ns, tid, stack_id, size, block_size, weight FROM %s"
             " WHERE run_id = ?1 AND rowid %% ?2 = 0 ORDER BY ts_ns LIMIT %d", h->table, CHROME_INSTANTS);
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->run);
    sqlite3_bind_int64(st, 2, every);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char name[1100];
        snprintf(name, sizeof name, "alloc %s", site_of(sites, sqlite3_column_int64(st, 2)));
        begin(x, "i", name, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
        fprintf(x->out, ",\"s\":\"t\",\"cat\":\"heap\",\"args\":{\"size\":%lld,\"block\":%lld,"
                        "\"stack\":%lld,\"weight\":%.3f}}",
                (long long)sqlite3_column_int64(st, 3), (long long)sqlite3_column_int64(st, 4),
                (long long)sqlite3_column_int64(st, 2), (double)sqlite3_column_int64(st, 5) / 65536.0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot read the heap profile", err, errlen);
}

static int heap(struct exporter *x, sqlite3 *db, int64_t duration_ns, char *err, size_t errlen)
{
    struct heap_info h = { 0 };
    struct sites sites = { 0 };
    int rc = heap_info(db, x->run, duration_ns, &h, err, errlen);
    if (rc == 0)
        rc = heap_counter(x, db, &h, err, errlen);
    if (rc == 0 && h.peak_ns >= 0) {
        begin(x, "i", "heap peak (estimated)", h.peak_ns, 0);
        fprintf(x->out, ",\"s\":\"g\",\"cat\":\"heap\",\"args\":{\"bytes\":%lld}}", (long long)h.peak);
    }
    if (rc == 0)
        rc = load_sites(db, x->run, &sites, err, errlen);
    if (rc == 0)
        rc = heap_instants(x, db, &h, &sites, err, errlen);
    if (rc == 0 && h.samples > CHROME_INSTANTS) {
        fputs(x->first ? "\n" : ",\n", x->out);
        fprintf(x->out, "{\"ph\":\"M\",\"name\":\"heap_instants\",\"pid\":%lld,\"tid\":0,"
                        "\"args\":{\"shown\":\"every %lldth of %lld sampled allocations in %s\"}}",
                (long long)x->pid, (long long)(h.samples / CHROME_INSTANTS + 1), (long long)h.samples,
                h.table);
    }
    sites_free(&sites);
    return rc;
}

int hk_export_chrome(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen)
{
    static struct hk_report rep;
    if (hk_report_load(db, run, &rep, err, errlen) != 0)
        return -1;
    struct exporter x = { .out = out, .run = run, .pid = rep.pid, .first = 1 };
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"run\":", out);
    fprintf(out, "%lld,\"command\":", (long long)run);
    hk_json_string(out, rep.argv);
    fputs("},\"traceEvents\":[", out);
    metadata(&x, rep.exe);
    int rc = events(&x, db, err, errlen);
    if (rc == 0)
        rc = occupancy(&x, db, err, errlen);
    int has = rc == 0 ? hk_prof_exists(db, run, err, errlen) : 0;
    if (has < 0)
        rc = -1;
    if (has > 0)
        rc = heap(&x, db, rep.duration_ns, err, errlen);
    fputs("\n]}\n", out);
    return rc;
}

