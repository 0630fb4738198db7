/* timeline.c — a run's events, occupancy samples and sampled blocks summed into
 * time buckets by SQL (GROUP BY bucket), for the HTML report's charts. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* The bucket of ts_ns, ?2 ns wide, clamped into [0, ?3). */
#define BUCKET(ts) "(CASE WHEN " ts " < 0 THEN 0 WHEN " ts " / ?2 >= ?3 THEN ?3 - 1" \
                   " ELSE " ts " / ?2 END)"

/* Runs sql (?1 run, ?2 bucket width, ?3 buckets), each row to row(st, ctx). */
static int each(sqlite3 *db, const char *sql, const struct hk_timeline *t,
                void (*row)(sqlite3_stmt *, void *), void *ctx, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, errlen);
    if (st) {
        sqlite3_bind_int64(st, 1, t->run);
        sqlite3_bind_int64(st, 2, t->bucket_ns);
        sqlite3_bind_int64(st, 3, HK_HTML_BUCKETS);
    }
    return hk_db_rows(db, st, row, ctx, "cannot read the timeline", err, errlen);
}

/* Running sums: v[i] becomes v[0] + ... + v[i]. */
static void cumulate(int64_t *v)
{
    for (int i = 1; i < HK_HTML_BUCKETS; i++)
        v[i] += v[i - 1];
}

int hk_timeline_span(sqlite3 *db, int64_t run, int64_t *span_ns, char *err, size_t errlen)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT max(coalesce(ended_ns, updated_ns, started_ns) - started_ns,"
             " coalesce(end_ns, 0), 1) FROM runs WHERE run_id = %lld", (long long)run);
    return hk_db_int(db, sql, 1, span_ns, err, errlen);
}

/* The events, one pass in the table's order, each row's bucket (ts_ns / width) summed
 * here: a GROUP BY would sort every row (19 s for the 6 M rows of a 10 M-event run, against
 * 2.5 s for the scan). Stage misses, the most common events, are in no chart. */
static const char events_sql[] =
    "SELECT ts_ns / ?2, type, stage, arg0, seq, ss FROM events"
    " WHERE run_id = ?1 AND type BETWEEN 1 AND 12 AND type != 10";

struct event_sums {
    struct hk_timeline *t;
    int64_t maps[HK_HTML_BUCKETS], unmaps[HK_HTML_BUCKETS];
    int64_t lru_seq[HK_HTML_BUCKETS], lru_size[HK_HTML_BUCKETS]; /* the last LRU event's */
    int64_t *ss_seq; /* by SuperSlab id: the seq of its last map, LRU or unmap event */
    int failed;      /* out of memory */
};

/* Keeps the type of SuperSlab ss's latest map, LRU or unmap event. */
static void ss_event(struct event_sums *e, int64_t ss, int type, int64_t seq)
{
    struct hk_timeline *t = e->t;
    if (ss <= 0 || ss >= HK_TIMELINE_SS_MAX || e->failed)
        return;
    if ((size_t)ss >= t->ss_ids) {
        size_t cap = t->ss_ids ? t->ss_ids : 1024;
        while (cap <= (size_t)ss)
            cap *= 2;
        uint8_t *last = realloc(t->ss_last, cap);
        int64_t *seqs = last ? realloc(e->ss_seq, cap * sizeof *seqs) : NULL;
        if (last)
            t->ss_last = last;
        if (!seqs) {
            e->failed = 1;
            return;
        }
        e->ss_seq = seqs;
        memset(t->ss_last + t->ss_ids, 0, cap - t->ss_ids);
        memset(e->ss_seq + t->ss_ids, 0, (cap - t->ss_ids) * sizeof *seqs);
        t->ss_ids = cap;
    }
    if (seq >= e->ss_seq[ss]) {
        e->ss_seq[ss] = seq;
        t->ss_last[ss] = (uint8_t)type;
    }
}

static void row_events(sqlite3_stmt *st, void *ctx)
{
    struct event_sums *e = ctx;
    struct hk_timeline *t = e->t;
    int64_t at = sqlite3_column_int64(st, 0); /* the bucket, clamped as BUCKET() does */
    int b = at < 0 ? 0 : at >= HK_HTML_BUCKETS ? HK_HTML_BUCKETS - 1 : (int)at;
    int type = sqlite3_column_int(st, 1), stage;
    if (type == HAKMEM_EV_SLAB_EMPTY || type == HAKMEM_EV_SLAB_RELEASE) { /* most rows: */
        (type == HAKMEM_EV_SLAB_EMPTY ? t->empty : t->released)[b]++;     /* no column more */
        return;
    }
    int64_t bytes = sqlite3_column_int64(st, 3), seq = sqlite3_column_int64(st, 4);
    switch (type) {
    case HAKMEM_EV_SS_MAP: e->maps[b]++; t->ss_bytes[b] += bytes; break;
    case HAKMEM_EV_SS_UNMAP: e->unmaps[b]++; t->ss_bytes[b] -= bytes; break;
    case HAKMEM_EV_LARGE_MAP: t->large_bytes[b] += bytes; break;
    case HAKMEM_EV_LARGE_UNMAP: t->large_bytes[b] -= bytes; break;
    case HAKMEM_EV_SLAB_ACQUIRE:
        stage = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 2);
        if (stage >= 0 && stage < HK_STAGES)
            t->stage[stage][b]++;
        break;
    default: break;
    }
    if (type >= HAKMEM_EV_LRU_PUSH && type <= HAKMEM_EV_LRU_EVICT) {
        t->lru[type - HAKMEM_EV_LRU_PUSH][b]++;
        if (seq > e->lru_seq[b]) {
            e->lru_seq[b] = seq;
            e->lru_size[b] = bytes; /* arg0: the cache's size after it */
        }
    }
    if (type <= HAKMEM_EV_SS_UNMAP || type == HAKMEM_EV_LRU_PUSH || type == HAKMEM_EV_LRU_POP_HIT ||
        type == HAKMEM_EV_LRU_EVICT)
        ss_event(e, sqlite3_column_int64(st, 5), type, seq);
}

static int load_events(sqlite3 *db, struct hk_timeline *t, char *err, size_t errlen)
{
    struct event_sums *e = calloc(1, sizeof *e);
    if (!e)
        return hk_fail(err, errlen, "out of memory");
    e->t = t;
    int rc = each(db, events_sql, t, row_events, e, err, errlen);
    if (rc == 0 && e->failed)
        rc = hk_fail(err, errlen, "out of memory");
    cumulate(e->maps);
    cumulate(e->unmaps);
    cumulate(t->ss_bytes);
    cumulate(t->large_bytes);
    int64_t cached = 0;
    for (int i = 0; i < HK_HTML_BUCKETS; i++) {
        cached = e->lru_seq[i] ? e->lru_size[i] : cached; /* the cache's size after its last event */
        t->ss_cached[i] = cached;
        t->ss_in_use[i] = e->maps[i] - e->unmaps[i] - cached;
        t->ss_unmapped[i] = e->unmaps[i];
    }
    free(e->ss_seq);
    free(e);
    return rc;
}

/* The occupancy samples: per class and bucket the last one. */
static const char occupancy_sql[] =
    "SELECT " BUCKET("ts_ns") " AS b, class, max(ts_ns), used, capacity FROM occupancy"
    " WHERE run_id = ?1 GROUP BY b, class";

static void row_occupancy(sqlite3_stmt *st, void *ctx)
{
    struct hk_timeline *t = ctx;
    int b = sqlite3_column_int(st, 0);
    int64_t c = sqlite3_column_int64(st, 1);
    if (c < 0 || c >= HK_MAX_CLASSES || b < 0 || b >= HK_HTML_BUCKETS)
        return;
    t->occ_used[c][b] = sqlite3_column_int64(st, 3);
    t->occ_capacity[c][b] = sqlite3_column_int64(st, 4);
    t->occ_samples++;
    t->occ_seen[c] |= t->occ_capacity[c][b] > 0;
}

/* The top sites by bytes in use at the peak (else at the end), named as profile_sites does. */
static const char sites_sql[] =
    "SELECT p.stack_id, (SELECT site FROM profile_sites s WHERE s.run_id = p.run_id"
    " AND s.stack_id = p.stack_id) FROM profile_stacks p WHERE p.run_id = ?1"
    " AND (p.peak_in_use > 0 OR p.in_use > 0)"
    " ORDER BY p.peak_in_use DESC, p.in_use DESC, p.stack_id LIMIT " HK_STR(HK_HTML_SITES);

static void row_site(sqlite3_stmt *st, void *ctx)
{
    struct hk_timeline *t = ctx;
    if (t->nsites >= HK_HTML_SITES)
        return;
    t->site_stack[t->nsites] = sqlite3_column_int64(st, 0);
    hk_printable((const char *)sqlite3_column_text(st, 1), t->site[t->nsites], sizeof t->site[0]);
    t->nsites++;
}

/* Bytes in use per site over time, from the sampled blocks (profile_blocks): what
 * each bucket allocated minus what it freed, summed up; the other sites as one. */
static const char in_use_sql[] =
    "SELECT stack_id, b, sum(d) FROM ("
    " SELECT stack_id, " BUCKET("ts_ns") " AS b, (weight * block_size + 32768) / 65536 AS d"
    " FROM profile_blocks WHERE run_id = ?1"
    " UNION ALL SELECT stack_id, " BUCKET("free_ns") ", -((weight * block_size + 32768) / 65536)"
    " FROM profile_blocks WHERE run_id = ?1 AND free_ns IS NOT NULL)"
    " GROUP BY stack_id, b";

static void row_in_use(sqlite3_stmt *st, void *ctx)
{
    struct hk_timeline *t = ctx;
    int64_t stack = sqlite3_column_int64(st, 0);
    int b = sqlite3_column_int(st, 1), k = 0;
    while (k < t->nsites && t->site_stack[k] != stack)
        k++; /* k == nsites: the other sites */
    assert(b >= 0 && b < HK_HTML_BUCKETS);
    t->site_in_use[k][b] += sqlite3_column_int64(st, 2);
    t->have_blocks = 1;
}

struct hk_timeline *hk_timeline_load(sqlite3 *db, int64_t run, int64_t bucket_ns, char *err,
                                     size_t errlen)
{
    assert(bucket_ns > 0);
    struct hk_timeline *t = calloc(1, sizeof *t);
    if (!t) {
        hk_fail(err, errlen, "out of memory");
        return NULL;
    }
    t->run = run;
    t->bucket_ns = bucket_ns;
    for (int c = 0; c < HK_MAX_CLASSES; c++)
        for (int i = 0; i < HK_HTML_BUCKETS; i++)
            t->occ_used[c][i] = t->occ_capacity[c][i] = -1;
    int rc = load_events(db, t, err, errlen);
    if (rc == 0)
        rc = each(db, occupancy_sql, t, row_occupancy, t, err, errlen);
    if (rc == 0 && hk_db_version(db) >= 3)
        rc = (t->have_profile = hk_prof_exists(db, run, err, errlen)) < 0 ? -1 : 0;
    if (rc == 0 && t->have_profile > 0)
        rc = each(db, sites_sql, t, row_site, t, err, errlen);
    if (rc == 0 && t->have_profile > 0)
        rc = each(db, in_use_sql, t, row_in_use, t, err, errlen);
    for (int k = 0; k <= t->nsites; k++)
        cumulate(t->site_in_use[k]);
    if (rc != 0) {
        hk_timeline_free(t);
        return NULL;
    }
    return t;
}

void hk_timeline_free(struct hk_timeline *t)
{
    if (t)
        free(t->ss_last);
    free(t);
}
