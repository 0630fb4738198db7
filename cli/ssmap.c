/* ssmap.c — the HTML report's SuperSlab map at the end of a run: a cell per slab
 * (as hakmem-top's panel 2), coloured by occupancy, its tooltip naming the pinning site. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define CELL 12     /* px per slab */
#define LABEL 64    /* px for the SuperSlab's name */
#define PER_ROW 1   /* SuperSlabs a row */

struct cell {
    int state; /* 0 free, 1 EMPTY, 2 in use */
    int64_t cls, used, capacity, flags, empties;
    char site[160]; /* the site with the most live sampled blocks in it; "" none */
    int at_map;     /* its blocks were counted at a SuperSlab map (site tags), not at the end */
};

struct ssmap {
    int64_t *ss;     /* the SuperSlabs mapped at the end, by id */
    int *cached;
    size_t n, cap, total;
    struct cell (*cells)[HAKMEM_SEG_SLABS];
    int64_t block_size[HK_MAX_CLASSES];
};

/* Runs sql (?1 = run), each row to row(st, m). */
static int each(sqlite3 *db, const char *sql, int64_t run, void (*row)(sqlite3_stmt *, void *),
                struct ssmap *m, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, errlen);
    if (st)
        sqlite3_bind_int64(st, 1, run);
    return hk_db_rows(db, st, row, m, "cannot read the SuperSlab map", err, errlen);
}

/* The row of SuperSlab ss among those shown; -1 when not shown. */
static long row_of(const struct ssmap *m, int64_t ss)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->ss[mid] < ss)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n && m->ss[lo] == ss ? (long)lo : -1;
}

/* The cell of a row's (ss, slab) in columns 0 and 1; NULL when not shown. */
static struct cell *cell_of(struct ssmap *m, sqlite3_stmt *st)
{
    long r = row_of(m, sqlite3_column_int64(st, 0));
    int64_t slab = sqlite3_column_int64(st, 1);
    return r < 0 || slab < 1 || slab >= HAKMEM_SEG_SLABS ? NULL : &m->cells[r][slab];
}

/* The SuperSlabs whose last map, LRU or unmap event leaves them mapped (cached when that
 * is an LRU push), in id order. */
static void superslabs(const struct hk_timeline *t, struct ssmap *m)
{
    for (size_t ss = 1; ss < t->ss_ids; ss++) {
        int type = t->ss_last[ss];
        if (type != HAKMEM_EV_SS_MAP && type != HAKMEM_EV_LRU_PUSH && type != HAKMEM_EV_LRU_POP_HIT)
            continue;
        if (m->total++ >= HK_SSMAP_MAX)
            continue;
        m->ss[m->n] = (int64_t)ss;
        m->cached[m->n++] = type == HAKMEM_EV_LRU_PUSH;
    }
}

static const char slabs_sql[] =
    "SELECT ss, slab, class, owned, empties, final_used, final_capacity, coalesce(final_flags, 0)"
    " FROM slabs WHERE run_id = ?1";

static int64_t or_minus_one(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static void row_slab(sqlite3_stmt *st, void *ctx)
{
    struct cell *c = cell_of(ctx, st);
    if (!c)
        return;
    c->cls = sqlite3_column_int64(st, 2);
    c->state = sqlite3_column_int(st, 3) ? 2 : 1;
    c->empties = sqlite3_column_int64(st, 4);
    c->used = or_minus_one(st, 5);
    c->capacity = or_minus_one(st, 6);
    c->flags = sqlite3_column_int64(st, 7);
}

static const char classes_sql[] = "SELECT class, block_size FROM classes WHERE run_id = ?1";

static void row_class(sqlite3_stmt *st, void *ctx)
{
    struct ssmap *m = ctx;
    int64_t c = sqlite3_column_int64(st, 0);
    if (c >= 0 && c < HK_MAX_CLASSES)
        m->block_size[c] = sqlite3_column_int64(st, 1);
}

/* With a profile: per slab the site with the most live sampled (or tagged) blocks. */
static const char pins_sql[] =
    "SELECT p.ss, p.slab, max(p.blocks), p.at_map, (SELECT s.site FROM profile_sites s"
    " WHERE s.run_id = p.run_id AND s.stack_id = p.stack_id)"
    " FROM profile_pins p WHERE p.run_id = ?1 GROUP BY p.ss, p.slab";

static void row_pin(sqlite3_stmt *st, void *ctx)
{
    struct cell *c = cell_of(ctx, st);
    if (!c)
        return;
    c->at_map = sqlite3_column_int(st, 3);
    hk_printable((const char *)sqlite3_column_text(st, 4), c->site, sizeof c->site);
}

/* Pinned as the report counts it: never EMPTY, in use under HK_PINNED_PCT %, not kept. */
static int pinned(const struct cell *c)
{
    return c->state == 2 && c->empties == 0 && c->capacity > 0 && c->used > 0 && !c->flags &&
           c->used * 100 < c->capacity * HK_PINNED_PCT;
}

/* The cell's colour class and its tooltip. */
static const char *describe(const struct ssmap *m, const struct cell *c, char *tip, size_t len)
{
    if (c->state == 0) {
        snprintf(tip, len, "free slot");
        return "free";
    }
    int64_t bs = c->cls >= 0 && c->cls < HK_MAX_CLASSES ? m->block_size[c->cls] : 0;
    int n = snprintf(tip, len, "class %lld (%lld B): ", (long long)c->cls, (long long)bs);
    const char *kind = "occ-unknown";
    if (c->state == 1) {
        n += snprintf(tip + n, len - (size_t)n, "EMPTY");
        kind = "empty";
    } else if (c->capacity > 0) {
        int pct = (int)(100 * c->used / c->capacity);
        n += snprintf(tip + n, len - (size_t)n, "%lld / %lld blocks in use (%.1f%%)",
                      (long long)c->used, (long long)c->capacity,
                      100.0 * (double)c->used / (double)c->capacity);
        static const char *const q[] = { "occ0", "occ1", "occ2", "occ3", "occ4" };
        kind = c->used == 0 ? "occ0" : q[pct >= 100 ? 4 : 1 + pct / 34];
    } else
        n += snprintf(tip + n, len - (size_t)n, "in use, occupancy not sampled");
    if (c->flags)
        n += snprintf(tip + n, len - (size_t)n, ", kept by its thread (%s)",
                      c->flags & HAKMEM_SLAB_HOT ? "hot slot" : "spare");
    if (pinned(c))
        n += snprintf(tip + n, len - (size_t)n, ", pinned (never EMPTY, under %d%% in use)",
                      HK_PINNED_PCT);
    else if (c->state == 2 && c->empties == 0)
        n += snprintf(tip + n, len - (size_t)n, ", never EMPTY");
    if (*c->site && c->at_map)
        snprintf(tip + n, len - (size_t)n, "; held live blocks of %s while SuperSlabs were mapped",
                 c->site);
    else if (*c->site)
        snprintf(tip + n, len - (size_t)n, "; live sampled blocks of %s at the end", c->site);
    return kind;
}

static void render(const struct ssmap *m, FILE *out)
{
    int width = PER_ROW * (LABEL + (HAKMEM_SEG_SLABS - 1) * CELL + CELL);
    size_t rows = (m->n + PER_ROW - 1) / PER_ROW;
    fprintf(out, "<svg class=\"ssmap\" data-chart=\"ssmap\" data-superslabs=\"%zu\""
                 " viewBox=\"0 0 %d %zu\" role=\"img\"><title>SuperSlab map at the end: a cell"
                 " per slab</title>", m->total, width, rows * (CELL + 2) + 2);
    for (size_t r = 0; r < m->n; r++) {
        double x0 = (double)(r % PER_ROW) * (LABEL + HAKMEM_SEG_SLABS * CELL);
        double y = (double)(r / PER_ROW) * (CELL + 2) + 1;
        fprintf(out, "<g class=\"ss%s\" data-ss=\"%lld\"><text x=\"%.0f\" y=\"%.0f\">SS %lld%s</text>",
                m->cached[r] ? " cached" : "", (long long)m->ss[r], x0, y + CELL - 2,
                (long long)m->ss[r], m->cached[r] ? " *" : "");
        for (int s = 1; s < HAKMEM_SEG_SLABS; s++) {
            const struct cell *c = &m->cells[r][s];
            char tip[384];
            const char *kind = describe(m, c, tip, sizeof tip);
            fprintf(out, "<rect class=\"cell %s%s\" x=\"%.0f\" y=\"%.0f\" width=\"%d\" height=\"%d\""
                         " data-slab=\"%d\"><title>SuperSlab %lld slab %d: ", kind,
                    pinned(c) || c->at_map ? " pinned" : "", x0 + LABEL + (s - 1) * CELL, y, CELL - 1, CELL - 1, s,
                    (long long)m->ss[r], s);
            hk_html_text(out, tip);
            fputs("</title></rect>", out);
        }
        fputs("</g>", out);
    }
    fputs("</svg>", out);
    if (m->total > m->n)
        fprintf(out, "<p class=\"note\">the first %zu of %zu SuperSlabs mapped at the end</p>",
                m->n, m->total);
}

int hk_ssmap_write(sqlite3 *db, const struct hk_timeline *t, FILE *out, char *err, size_t errlen)
{
    int64_t run = t->run;
    struct ssmap m = { 0 };
    m.ss = calloc(HK_SSMAP_MAX, sizeof *m.ss);
    m.cached = calloc(HK_SSMAP_MAX, sizeof *m.cached);
    m.cells = calloc(HK_SSMAP_MAX, sizeof *m.cells);
    int rc = m.ss && m.cached && m.cells ? 0 : hk_fail(err, errlen, "out of memory");
    if (rc == 0)
        superslabs(t, &m);
    if (rc == 0)
        rc = each(db, slabs_sql, run, row_slab, &m, err, errlen);
    if (rc == 0)
        rc = each(db, classes_sql, run, row_class, &m, err, errlen);
    if (rc == 0 && t->have_profile > 0)
        rc = each(db, pins_sql, run, row_pin, &m, err, errlen);
    if (rc == 0 && m.n)
        render(&m, out);
    else if (rc == 0)
        fputs("<p class=\"missing\">no SuperSlab was mapped at the end of the run</p>", out);
    free(m.ss);
    free(m.cached);
    free(m.cells);
    return rc;
}
