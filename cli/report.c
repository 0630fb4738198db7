/* report.c — `hakmem-trace report FILE.db`: the seed's evidence for one run,
 * read from the report_* views, printed as sections and a verdict. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: hakmem-trace report FILE.db [--run N | --pid PID | --exe NAME]\n"
    "       hakmem-trace report FILE.db --html FILE.html [--run N]...\n"
    "The evidence of the seed's analysis for one run: SuperSlab maps and\n"
    "unmaps, the LRU cache, EMPTY transitions by class, the stage histogram and its\n"
    "fallthrough chain, slabs that never reached EMPTY, stacks behind new SuperSlabs, and a\n"
    "verdict (each rule is described in hakmem-trace(1)).\n"
    "      --run N      the run to report\n"
    "      --pid PID    the run of process PID\n"
    "      --exe NAME   the run of program NAME (its path, or the last part of it)\n"
    "      --html FILE  write the report as one self-contained HTML page (-: stdout)\n"
    "                   with charts over time, the SuperSlab map and (of a heap profile)\n"
    "                   a flame graph; with --run given up to " HK_STR(HK_HTML_RUNS) " times, the runs side by\n"
    "                   side on the same scales\n"
    "  -h, --help       this text\n"
    "When several runs qualify (a file of several runs and none of these options, or a\n"
    "process that exec'd), they are listed and the one that mapped the most memory\n"
    "(SuperSlab + large map bytes) is reported.\n";

const char *hk_stage_label(int stage)
{
    const char *label = stage >= 0 ? hakmem_stage_label((unsigned)stage) : NULL;
    return label ? label : "?";
}

/* Prepares sql with ?1 = run; NULL with err. */
static sqlite3_stmt *prepare_run(sqlite3 *db, const char *sql, int64_t run, char *err,
                                 size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, errlen);
    if (st)
        sqlite3_bind_int64(st, 1, run);
    return st;
}

/* Every number of a report stays within ±2^58 (nine years of ns, 256 PiB),
 * whatever the database holds: sums of a few dozen of them cannot overflow. */
#define LIMIT ((int64_t)1 << 58)

static int64_t clamp(int64_t v)
{
    return v > LIMIT ? LIMIT : v < -LIMIT ? -LIMIT : v;
}

static int64_t col(sqlite3_stmt *st, int i)
{
    return clamp(sqlite3_column_int64(st, i));
}

/* *sum += v over any number of rows, saturating at the limit. */
static void add(int64_t *sum, int64_t v)
{
    *sum = clamp(*sum + v);
}

/* A string of the database, made printable: a file may hold any bytes. */
static void col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
    hk_printable((const char *)sqlite3_column_text(st, i), out, len);
}

/* Steps st to its end; each row goes to fn. */
static int each_row(sqlite3 *db, sqlite3_stmt *st, void (*fn)(sqlite3_stmt *, struct hk_report *),
                    struct hk_report *rep, char *err, size_t errlen)
{
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(st, rep);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot read the report", err, errlen);
}

static struct hk_class_report *cls_of(struct hk_report *rep, int64_t c)
{
    if (c < 0 || c >= HK_MAX_CLASSES)
        return NULL;
    if (c >= rep->nclasses)
        rep->nclasses = (int)c + 1;
    return &rep->cls[c];
}

static void row_run(sqlite3_stmt *st, struct hk_report *rep)
{
    rep->ended = sqlite3_column_int(st, 10);
    rep->end_ns = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : col(st, 11);
    rep->end_final = sqlite3_column_int(st, 12);
    rep->pid = col(st, 0);
    col_text(st, 1, rep->exe, sizeof rep->exe);
    col_text(st, 2, rep->argv, sizeof rep->argv);
    rep->events = col(st, 3);
    rep->dropped = col(st, 4);
    rep->lost = col(st, 5);
    rep->exit_status = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : col(st, 6);
    rep->duration_ns = col(st, 7);
    col_text(st, 8, rep->options, sizeof rep->options);
    col_text(st, 9, rep->mode, sizeof rep->mode);
}

static void row_maps(sqlite3_stmt *st, struct hk_report *rep)
{
    int64_t *v[] = { &rep->ss_maps, &rep->ss_map_bytes, &rep->ss_trims, &rep->ss_unmaps,
                     &rep->ss_unmap_bytes, &rep->large_maps, &rep->large_map_bytes,
                     &rep->large_unmaps, &rep->large_unmap_bytes, &rep->maps_after_empty };
    for (int i = 0; i < 10; i++)
        *v[i] = col(st, i);
}

static void row_lru(sqlite3_stmt *st, struct hk_report *rep)
{
    rep->lru_push = col(st, 0);
    rep->lru_pop_hit = col(st, 1);
    rep->lru_pop_miss = col(st, 2);
    rep->lru_evict = col(st, 3);
    for (int i = 0; i < 4; i++)
        rep->evict_reason[i] = col(st, 4 + i);
}

static void row_class(sqlite3_stmt *st, struct hk_report *rep)
{
    struct hk_class_report *c = cls_of(rep, col(st, 0));
    if (c) {
        c->block_size = col(st, 1);
        c->blocks_per_slab = col(st, 2);
        c->occ_used = c->occ_capacity = -1;
    }
}

static void row_empty(sqlite3_stmt *st, struct hk_report *rep)
{
    struct hk_class_report *c = cls_of(rep, col(st, 0));
    add(&rep->empty, col(st, 1));
    add(&rep->released, col(st, 2));
    if (c) {
        c->empty = col(st, 1);
        c->released = col(st, 2);
    }
}

static void row_stage(sqlite3_stmt *st, struct hk_report *rep)
{
    struct hk_class_report *c = cls_of(rep, col(st, 0));
    int64_t s = col(st, 1);
    if (sqlite3_column_type(st, 1) == SQLITE_NULL || s < 0 || s >= HK_STAGES)
        return;
    add(&rep->hit[s], col(st, 2));
    add(&rep->miss[s], col(st, 3));
    if (c) {
        c->hit[s] = col(st, 2);
        c->miss[s] = col(st, 3);
    }
}

static void row_lru_class(sqlite3_stmt *st, struct hk_report *rep)
{
    struct hk_class_report *c = cls_of(rep, col(st, 0));
    if (c) {
        c->lru_hit = col(st, 1);
        c->lru_miss = col(st, 2);
    }
}

static void row_slabs(sqlite3_stmt *st, struct hk_report *rep)
{
    struct hk_class_report *c = cls_of(rep, col(st, 0));
    add(&rep->slabs, col(st, 1));
    add(&rep->never_empty, col(st, 2));
    add(&rep->live_at_end, col(st, 3));
    if (!c)
        return;
    c->slabs = col(st, 1);
    c->never_empty = col(st, 2);
    c->live_at_end = col(st, 3);
    int known = sqlite3_column_type(st, 4) != SQLITE_NULL && col(st, 5) > 0;
    c->occ_used = known ? col(st, 4) : -1;
    c->occ_capacity = known ? col(st, 5) : -1;
}

static void row_pinned(sqlite3_stmt *st, struct hk_report *rep)
{
    struct hk_class_report *c = cls_of(rep, col(st, 0));
    add(&rep->pinned, col(st, 1));
    add(&rep->pinned_used, col(st, 2));
    add(&rep->pinned_capacity, col(st, 3));
    if (c)
        c->pinned = col(st, 1);
}

static void row_kept(sqlite3_stmt *st, struct hk_report *rep)
{
    struct hk_class_report *c = cls_of(rep, col(st, 0));
    if (c)
        c->kept = col(st, 1);
}

static void row_evidence(sqlite3_stmt *st, struct hk_report *rep)
{
    rep->have_evidence = 1;
    rep->maps_while_idle = col(st, 0);
    rep->idle_unused_kib = col(st, 1);
    rep->idle_superslabs = col(st, 2);
    rep->idle_holding = col(st, 3);
}

/* The report's totals that the process counts itself (run_counters names). */
#define TOTAL(name, field, n) { name, offsetof(struct hk_report, field), n }
static const struct {
    const char *name;
    size_t off; /* of the first int64_t in struct hk_report */
    unsigned n;
} totals[] = {
    TOTAL("ss_maps", ss_maps, 1),           TOTAL("ss_map_bytes", ss_map_bytes, 1),
    TOTAL("ss_trims", ss_trims, 1),         TOTAL("ss_unmaps", ss_unmaps, 1),
    TOTAL("ss_unmap_bytes", ss_unmap_bytes, 1), TOTAL("large_maps", large_maps, 1),
    TOTAL("large_map_bytes", large_map_bytes, 1), TOTAL("large_unmaps", large_unmaps, 1),
    TOTAL("large_unmap_bytes", large_unmap_bytes, 1), TOTAL("lru_push", lru_push, 1),
    TOTAL("lru_pop_hit", lru_pop_hit, 1),   TOTAL("lru_pop_miss", lru_pop_miss, 1),
    TOTAL("lru_evict", lru_evict, 1),       TOTAL("lru_evict_count", evict_reason[0], 1),
    TOTAL("lru_evict_memory", evict_reason[1], 1), TOTAL("lru_evict_ttl", evict_reason[2], 1),
    TOTAL("empty", empty, 1),               TOTAL("slab_release", released, 1),
    TOTAL("stage_hit", hit, HK_STAGES),     TOTAL("stage_miss", miss, HK_STAGES),
    TOTAL("heap_errors", heap_errors, 1),
};

/* A counter of the process replaces the events' count of the same thing. */
static void row_counter(sqlite3_stmt *st, struct hk_report *rep)
{
    const unsigned char *name = sqlite3_column_text(st, 0);
    int64_t idx = col(st, 1), v = col(st, 2);
    for (size_t i = 0; name && i < sizeof totals / sizeof totals[0]; i++) {
        if (strcmp((const char *)name, totals[i].name) != 0 || idx < 0 || idx >= totals[i].n)
            continue;
        int64_t *f = (int64_t *)((char *)rep + totals[i].off) + idx;
        rep->counters_differ |= *f != v;
        *f = v;
        rep->counters = 1;
    }
}

static void row_threads(sqlite3_stmt *st, struct hk_report *rep)
{
    rep->threads = col(st, 0);
}

static void row_heap_errors(sqlite3_stmt *st, struct hk_report *rep)
{
    size_t n = strlen(rep->heap_detail);
    char name_buf[64];
    const char *name = sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL : name_buf;
    col_text(st, 1, name_buf, sizeof name_buf);
    add(&rep->heap_errors, col(st, 2));
    snprintf(rep->heap_detail + n, sizeof rep->heap_detail - n, "%s%lld %s", n ? ", " : "",
             (long long)col(st, 2), name ? name : "of another kind");
}

struct part {
    const char *sql;
    void (*row)(sqlite3_stmt *, struct hk_report *);
};

/* What a version-1 database has of what later versions store. */
static const struct part parts_v1[] = {
    { "SELECT pid, exe, argv, events, dropped, lost, exit_status,"
      " coalesce(ended_ns - started_ns, 0), options, mode, ended_ns IS NOT NULL, NULL, 0"
      " FROM runs WHERE run_id = ?1", row_run },
};

/* Since version 2: the end of the run and the process's own counters (after
 * the events' counts, which they replace). */
static const struct part parts_v2[] = {
    { "SELECT pid, exe, argv, events, dropped, lost, exit_status,"
      " coalesce(coalesce(ended_ns, updated_ns) - started_ns, 0), options, mode,"
      " ended_ns IS NOT NULL, end_ns, end_final FROM runs WHERE run_id = ?1", row_run },
    { "SELECT class, count(*), sum(final_used), sum(final_capacity) FROM slabs"
      " WHERE run_id = ?1 AND empties = 0 AND final_used > 0 AND coalesce(final_flags, 0) = 0"
      " AND final_used * 100 < final_capacity * " HK_STR(HK_PINNED_PCT) " GROUP BY class",
      row_pinned },
    { "SELECT maps_while_idle, unused_kib, idle_superslabs, holding_slabs FROM run_evidence"
      " WHERE run_id = ?1", row_evidence },
    { "SELECT class, count(*) FROM slabs WHERE run_id = ?1 AND coalesce(final_flags, 0) != 0"
      " GROUP BY class", row_kept },
};

static const struct part parts_counters[] = {
    { "SELECT counter, idx, value FROM run_counters WHERE run_id = ?1", row_counter },
};

static int load_parts(sqlite3 *db, int64_t run, const struct part *p, size_t n,
                      struct hk_report *rep, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        if (each_row(db, prepare_run(db, p[i].sql, run, err, errlen), p[i].row, rep, err,
                     errlen) != 0)
            return -1;
    return 0;
}

#define N(a) (sizeof a / sizeof a[0])

static void row_pin_site(sqlite3_stmt *st, struct hk_report *rep)
{
    if (rep->npin_sites >= HK_PIN_SITES)
        return;
    int i = rep->npin_sites++;
    rep->pin_site[i].stack_id = col(st, 1);
    rep->pin_site[i].slabs = col(st, 2);
    rep->pin_site[i].together = col(st, 3);
    col_text(st, 4, rep->pin_site[i].site, sizeof rep->pin_site[i].site);
    rep->pin_kept = col(st, 5);
    rep->pin_site[i].callers = col(st, 6);
    col_text(st, 7, rep->pin_site[i].top_caller, sizeof rep->pin_site[i].top_caller);
}

/* Since version 3, of a run with a heap profile: the sites that pin its slabs. */
static int load_pins(sqlite3 *db, int64_t run, struct hk_report *rep, char *err, size_t errlen)
{
    int has = hk_prof_exists(db, run, err, errlen);
    if (has < 0)
        return -1;
    rep->have_profile = has;
    if (!rep->have_profile)
        return 0;
    return each_row(db, hk_named_prepare(db, "pinned-by", run, 0, err, errlen), row_pin_site,
                    rep, err, errlen);
}

int hk_report_load(sqlite3 *db, int64_t run, struct hk_report *rep, char *err, size_t errlen)
{
    static const struct part parts[] = {
        { "SELECT class, block_size, blocks_per_slab FROM classes WHERE run_id = ?1", row_class },
        { "SELECT ss_maps, ss_map_bytes, ss_trims, ss_unmaps, ss_unmap_bytes, large_maps,"
          " large_map_bytes, large_unmaps, large_unmap_bytes, ss_maps_after_empty"
          " FROM report_maps WHERE run_id = ?1", row_maps },
        { "SELECT push, pop_hit, pop_miss, evict, evict_count, evict_memory, evict_ttl, evict_trim"
          " FROM report_lru WHERE run_id = ?1", row_lru },
        { "SELECT class, empty, released FROM report_empty WHERE run_id = ?1", row_empty },
        { "SELECT class, stage, hit, miss FROM report_stage_class WHERE run_id = ?1", row_stage },
        { "SELECT class, pop_hit, pop_miss FROM report_lru_class WHERE run_id = ?1", row_lru_class },
        { "SELECT class, slabs, never_empty, live_at_end, never_empty_used, never_empty_capacity"
          " FROM report_never_empty WHERE run_id = ?1", row_slabs },
        { "SELECT coalesce(sum(n), 0) FROM event_counts WHERE run_id = ?1 AND type = 13",
          row_threads },
        { "SELECT kind, name, n FROM report_heap_errors WHERE run_id = ?1 ORDER BY kind",
          row_heap_errors },
    };
    memset(rep, 0, sizeof *rep);
    rep->run_id = run;
    rep->end_ns = -1;
    int v2 = hk_db_version(db) >= 2;
    if (load_parts(db, run, v2 ? parts_v2 : parts_v1, v2 ? N(parts_v2) : N(parts_v1), rep, err,
                   errlen) != 0 ||
        load_parts(db, run, parts, N(parts), rep, err, errlen) != 0)
        return -1;
    if (v2 && load_parts(db, run, parts_counters, N(parts_counters), rep, err, errlen) != 0)
        return -1;
    if (hk_db_version(db) >= 3 && load_pins(db, run, rep, err, errlen) != 0)
        return -1;
    if (rep->counters) /* evictions for another reason than count, memory and ttl: trims */
        rep->evict_reason[3] = rep->lru_evict - rep->evict_reason[0] - rep->evict_reason[1] -
                               rep->evict_reason[2];
    return 0;
}

/* ---- printing */

static double pct(int64_t part, int64_t whole)
{
    return whole > 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Where the "at the end" figures come from. */
static void print_end_state(const struct hk_report *r, FILE *out)
{
    if (r->end_ns < 0)
        fprintf(out, "  end state: no occupancy snapshot was recorded\n");
    else if (r->end_final)
        fprintf(out, "  end state: the snapshot the process wrote as it exited (exact)\n");
    else
        fprintf(out, "  end state: the last periodic sample, %.0f ms before the end (the process "
                     "did not exit through exit(): _exit, a signal, or still running); "
                     "verdicts about the end are not drawn from it\n",
                r->duration_ns > r->end_ns ? (double)(r->duration_ns - r->end_ns) / 1e6 : 0.0);
    if (r->counters && (r->dropped + r->lost > 0 || r->counters_differ))
        fprintf(out, "  totals: the process's own counters (exact); the stored events count "
                     "fewer%s: per-class figures are lower bounds\n",
                r->dropped + r->lost > 0 ? " (events were dropped)" : "");
}

static void print_header(const struct hk_report *r, FILE *out)
{
    fprintf(out, "run %lld: %s (pid %lld)\n", (long long)r->run_id,
            *r->argv ? r->argv : r->exe, (long long)r->pid);
    fprintf(out, "  %lld events, %lld dropped, %lld lost, %.3f s%s, ", (long long)r->events,
            (long long)r->dropped, (long long)r->lost, (double)r->duration_ns / 1e9,
            r->ended ? "" : " so far (the recording never finished: it still runs, or its "
                            "recorder was killed)");
    if (r->exit_status >= 0)
        fprintf(out, "exit status %lld", (long long)r->exit_status);
    else
        fprintf(out, "exit status unknown");
    fprintf(out, ", %s ring, %lld threads\n", *r->mode ? r->mode : "?", (long long)r->threads);
    if (*r->options)
        fprintf(out, "  options: %s\n", r->options);
    print_end_state(r, out);
    if (r->heap_errors)
        fprintf(out, "  heap errors: %lld (%s)\n", (long long)r->heap_errors, r->heap_detail);
}

static void print_maps(const struct hk_report *r, FILE *out)
{
    char b1[32], b2[32];
    fprintf(out, "\nSuperSlabs\n");
    fprintf(out, "  maps %lld (%s; %lld alignment trims; %lld after the first EMPTY slab)\n",
            (long long)r->ss_maps, hk_bytes((uint64_t)r->ss_map_bytes, b1, sizeof b1),
            (long long)r->ss_trims, (long long)r->maps_after_empty);
    fprintf(out, "  unmaps %lld (%s)\n", (long long)r->ss_unmaps,
            hk_bytes((uint64_t)r->ss_unmap_bytes, b2, sizeof b2));
    fprintf(out, "  large mappings: %lld maps (%s), %lld unmaps\n", (long long)r->large_maps,
            hk_bytes((uint64_t)r->large_map_bytes, b1, sizeof b1), (long long)r->large_unmaps);
    int any = 0;
    for (int c = 0; c < r->nclasses; c++) {
        const struct hk_class_report *k = &r->cls[c];
        if (!k->lru_hit && !k->lru_miss)
            continue;
        if (!any++)
            fprintf(out, "  new SuperSlabs by class (stage 3):\n  %5s %6s %8s %8s\n", "class",
                    "block", "LRU hit", "mapped");
        fprintf(out, "  %5d %6lld %8lld %8lld\n", c, (long long)k->block_size,
                (long long)k->lru_hit, (long long)k->lru_miss);
    }
}

static void print_lru(const struct hk_report *r, FILE *out)
{
    fprintf(out, "\nLRU cache\n");
    fprintf(out, "  push %lld, pop hit %lld, pop miss %lld (hit rate %.0f%%), evict %lld "
                 "(count %lld, memory %lld, ttl %lld, trim %lld)\n",
            (long long)r->lru_push, (long long)r->lru_pop_hit, (long long)r->lru_pop_miss,
            pct(r->lru_pop_hit, r->lru_pop_hit + r->lru_pop_miss), (long long)r->lru_evict,
            (long long)r->evict_reason[0], (long long)r->evict_reason[1],
            (long long)r->evict_reason[2], (long long)r->evict_reason[3]);
}

static void print_empty(const struct hk_report *r, FILE *out)
{
    fprintf(out, "\nEMPTY transitions by class\n  %5s %6s %8s %8s\n", "class", "block", "EMPTY",
            "released");
    for (int c = 0; c < r->nclasses; c++)
        if (r->cls[c].empty || r->cls[c].released)
            fprintf(out, "  %5d %6lld %8lld %8lld\n", c, (long long)r->cls[c].block_size,
                    (long long)r->cls[c].empty, (long long)r->cls[c].released);
    fprintf(out, "  %5s %6s %8lld %8lld\n", "total", "", (long long)r->empty,
            (long long)r->released);
}

static void print_chain(const struct hk_report *r, FILE *out)
{
    fprintf(out, "  fallthrough: stage 0 missed %lld", (long long)r->miss[0]);
    for (int s = 1; s < HK_STAGES; s++) {
        fprintf(out, " -> %s served %lld", hk_stage_label(s), (long long)r->hit[s]);
        if (s + 1 < HK_STAGES)
            fprintf(out, ", missed %lld", (long long)r->miss[s]);
    }
    fprintf(out, " (%lld LRU hits, %lld new maps)\n", (long long)r->lru_pop_hit,
            (long long)r->lru_pop_miss);
}

static void print_stages(const struct hk_report *r, FILE *out)
{
    fprintf(out, "\nStage histogram (slab acquisitions)\n  %-5s %9s %9s\n", "stage", "hit", "miss");
    for (int s = 0; s < HK_STAGES; s++)
        fprintf(out, "  %-5s %9lld %9lld\n", hk_stage_label(s), (long long)r->hit[s],
                (long long)r->miss[s]);
    print_chain(r, out);
    fprintf(out, "  by class (hits at stage 0 / 0.5 / 1 / 2 / 3):\n");
    for (int c = 0; c < r->nclasses; c++) {
        const struct hk_class_report *k = &r->cls[c];
        int64_t any = 0;
        for (int s = 0; s < HK_STAGES; s++)
            any += k->hit[s] + k->miss[s];
        if (any)
            fprintf(out, "  class %3d (%5lld B): %lld / %lld / %lld / %lld / %lld\n", c,
                    (long long)k->block_size, (long long)k->hit[0], (long long)k->hit[1],
                    (long long)k->hit[2], (long long)k->hit[3], (long long)k->hit[4]);
    }
}

static void print_slabs(const struct hk_report *r, FILE *out)
{
    fprintf(out, "\nSlabs that never reached EMPTY\n  %5s %6s %7s %11s %11s %5s %7s  %s\n",
            "class", "block", "slabs", "never EMPTY", "live at end", "kept", "pinned",
            "occupancy at the end (never EMPTY)");
    for (int c = 0; c < r->nclasses; c++) {
        const struct hk_class_report *k = &r->cls[c];
        if (!k->slabs)
            continue;
        fprintf(out, "  %5d %6lld %7lld %11lld %11lld %5lld %7lld  ", c, (long long)k->block_size,
                (long long)k->slabs, (long long)k->never_empty, (long long)k->live_at_end,
                (long long)k->kept, (long long)k->pinned);
        if (k->occ_capacity > 0)
            fprintf(out, "%lld / %lld blocks (%.1f%%)\n", (long long)k->occ_used,
                    (long long)k->occ_capacity, pct(k->occ_used, k->occ_capacity));
        else
            fprintf(out, "%s\n", k->never_empty ? "not sampled" : "-");
    }
    int64_t kept = 0;
    for (int c = 0; c < r->nclasses; c++)
        kept += r->cls[c].kept;
    fprintf(out, "  %5s %6s %7lld %11lld %11lld %5lld %7lld\n", "total", "", (long long)r->slabs,
            (long long)r->never_empty, (long long)r->live_at_end, (long long)kept,
            (long long)r->pinned);
    fprintf(out, "  kept: a thread's hot slot or spare at the end, held on purpose even when "
                 "empty; pinned: never EMPTY,\n  under %d%% full at the end, and not kept\n",
            HK_PINNED_PCT);
}

void hk_report_print(const struct hk_report *rep, FILE *out)
{
    print_header(rep, out);
    print_maps(rep, out);
    print_lru(rep, out);
    print_empty(rep, out);
    print_stages(rep, out);
    print_slabs(rep, out);
    struct hk_verdict v[HK_VERDICT_MAX];
    int n = hk_verdicts(rep, v, HK_VERDICT_MAX);
    fprintf(out, "\nVerdict\n");
    for (int i = 0; i < n; i++)
        fprintf(out, "  %s %s [%s]\n", v[i].bad ? "!" : "+", v[i].text, v[i].rule);
    if (!n)
        fprintf(out, "  no known pathology shows\n");
}

/* Prints the stacks behind new SuperSlabs, when stacks were recorded (the
 * frames table says so at once; the stacks' counts take a pass over events). */
static int print_stacks(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen)
{
    int64_t any = 0;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM frames WHERE run_id = %lld LIMIT 1)",
             (long long)run);
    if (hk_db_int(db, sql, 0, &any, err, errlen) != 0)
        return -1;
    if (!any)
        return 0;
    sqlite3_stmt *st = prepare_run(db, "SELECT stack_id, acquisitions, stack FROM report_map_stacks"
                                       " WHERE run_id = ?1 ORDER BY acquisitions DESC LIMIT 10",
                                   run, err, errlen);
    if (!st)
        return -1;
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!n++)
            fprintf(out, "\nStacks behind new SuperSlabs (stage 3)\n");
        char s[2048];
        col_text(st, 2, s, sizeof s);
        fprintf(out, "  %lld x stack %lld: %s\n", (long long)col(st, 1), (long long)col(st, 0),
                *s ? s : "(no frames)");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot read the stacks", err, errlen);
}

static const struct option options[] = {
    { "run", required_argument, NULL, 'r' },
    { "pid", required_argument, NULL, 'p' },
    { "exe", required_argument, NULL, 'e' },
    { "html", required_argument, NULL, 'H' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* The text report of the run f picks (listing the runs when several qualify). */
static int report_text(sqlite3 *db, const struct hk_run_filter *f, char *err, size_t errlen)
{
    static struct hk_report rep;
    int64_t run, matched = 0;
    int rc = hk_db_pick(db, f, &run, &matched, err, errlen);
    if (rc == 0 && matched > 1) {
        rc = hk_db_list_runs(db, f, run, stdout, err, errlen);
        printf("%lld runs; reporting run %lld, the one that mapped the most memory (SuperSlab + "
               "large map bytes); choose with --run, --pid or --exe\n\n", (long long)matched,
               (long long)run);
    }
    if (rc == 0)
        rc = hk_report_load(db, run, &rep, err, errlen);
    if (rc == 0) {
        hk_report_print(&rep, stdout);
        rc = print_stacks(db, run, stdout, err, errlen);
    }
    return rc;
}

/* The HTML page of runs[0..n) (each checked to exist), or of the run f picks when n is 0. */
static int report_html(sqlite3 *db, const char *dbpath, const char *html,
                       const struct hk_run_filter *f, int64_t *runs, int n, char *err,
                       size_t errlen)
{
    int64_t matched;
    for (int i = 0; i < n; i++) {
        struct hk_run_filter one = { .run = runs[i] };
        if (hk_db_pick(db, &one, &runs[i], &matched, err, errlen) != 0)
            return -1;
    }
    if (n == 0 && hk_db_pick(db, f, &runs[n++], &matched, err, errlen) != 0)
        return -1;
    if (hk_html_write(db, dbpath, runs, n, html, err, errlen) != 0)
        return -1;
    if (strcmp(html, "-") != 0) /* the page itself went to stdout */
        printf("%s\n", html);
    return 0;
}

int hk_cmd_report(int argc, char **argv)
{
    struct hk_run_filter f = { 0 };
    const char *html = NULL;
    int64_t runs[HK_HTML_RUNS];
    int nruns = 0, c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'H') {
            html = optarg;
            continue;
        }
        if (c != 'r' && c != 'p' && c != 'e')
            return hk_usage(usage_text, c == 'h');
        if (hk_run_option("report", c, optarg, &f) != 0)
            return 2;
        if (c == 'r' && nruns == HK_HTML_RUNS) {
            hk_say("report", "at most %d runs (--run) in one page", HK_HTML_RUNS);
            return 2;
        }
        if (c == 'r')
            runs[nruns++] = f.run;
    }
    if (optind != argc - 1) {
        hk_say("report", "expected one FILE.db (see --help)");
        return 2;
    }
    if (nruns > 1 && !html) {
        hk_say("report", "several --run: only with --html (see --help)");
        return 2;
    }
    if (html && nruns && (f.pid || f.exe)) {
        hk_say("report", "--html takes --run N..., or one --pid or --exe, not both");
        return 2;
    }
    char err[HK_ERR_MAX];
    sqlite3 *db = hk_db_open_read(argv[optind], err, sizeof err);
    int rc = !db ? -1
             : html ? report_html(db, argv[optind], html, &f, runs, nruns, err, sizeof err)
                    : report_text(db, &f, err, sizeof err);
    if (rc != 0)
        hk_say("report", "%s", err);
    hk_db_close(db);
    return rc ? 1 : 0;
}
