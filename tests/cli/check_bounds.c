/* check_bounds.c — numbers at the ends of int64 from a crafted database or
 * segment: the report's sums saturate instead of overflowing (or wrapping
 * negative), the verdicts still fire, the occupancy sampler's times stay in
 * [0, INT64_MAX] whatever start and sample times the segment says. The _asan
 * build traps any signed overflow (UBSan, no recovery). */
#include <stddef.h>
#include "unit.h"
#include "hakmem_reader.h"

static char path[256], seg[256];
static sqlite3 *db;

static void setup(void)
{
    db = unit_db(path, sizeof path);
    unit_tmp(seg, sizeof seg, ".seg");
}

static void teardown(void)
{
    hk_db_close(db);
    unlink(path);
    unlink(seg);
}

static void exec(const char *sql)
{
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_exec(db, sql, err, sizeof err) == 0, "%s: %s", sql, err);
}

static int64_t one(const char *sql)
{
    int64_t v = -1;
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_int(db, sql, -2, &v, err, sizeof err) == 0, "%s: %s", sql, err);
    return v;
}

/* A run whose every count is INT64_MAX, in two classes (so each sum over
 * classes overflows), and whose own counters are the extremes. */
static void huge_run(void)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 1, err, sizeof err), 0);
    ck_assert_int_eq(hk_sink_close(&s, 1000, 0, err, sizeof err), 0);
#define MAX "9223372036854775807"
#define MIN "(-9223372036854775807 - 1)"
    exec("UPDATE runs SET events = " MAX ", dropped = " MAX ", lost = " MAX ", ended_ns = " MAX
         ", started_ns = " MIN ", end_ns = " MIN ", end_final = 1");
    for (int cls = 1; cls <= 2; cls++) {
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "INSERT INTO event_counts (run_id, type, class, stage, reason, n, n_after_empty,"
                 " arg0_sum, first_seq, last_seq) VALUES"
                 " (1, 11, %d, NULL, 0, " MAX ", 0, 0, 1, 1), (1, 12, %d, NULL, 0, " MAX ", 0, 0, 1, 1),"
                 " (1, 9, %d, 3, 0, " MAX ", 0, 0, 1, 1), (1, 10, %d, 0, 0, " MAX ", 0, 0, 1, 1),"
                 " (1, 15, %d, NULL, %d, " MAX ", 0, 0, 1, 1);"
                 "INSERT INTO slab_classes VALUES (1, %d, " MAX ", " MAX ", " MAX ", " MAX ", " MAX ");"
                 "INSERT INTO slabs (run_id, ss, slab, class, acquires, empties, releases, owned,"
                 " first_seq, last_seq, final_used, final_capacity, final_flags)"
                 " VALUES (1, %d, 1, %d, 1, 0, 0, 1, 1, 1, 1, 100, 0)",
                 cls, cls, cls, cls, cls, cls, cls, cls, cls);
        exec(sql);
    }
    exec("INSERT INTO run_counters VALUES (1, 'lru_evict', 0, " MIN "),"
         " (1, 'lru_evict_count', 0, " MAX "), (1, 'lru_evict_memory', 0, " MAX "),"
         " (1, 'lru_evict_ttl', 0, " MAX "), (1, 'lru_pop_hit', 0, " MAX "),"
         " (1, 'lru_pop_miss', 0, " MAX "), (1, 'stage_miss', 0, " MAX ")");
    exec("INSERT INTO run_evidence VALUES (1, " MAX ", " MAX ", " MAX ", " MAX ", " MAX ")");
}

START_TEST(report_sums_saturate)
{
    char err[HK_ERR_MAX];
    huge_run();
    static struct hk_report rep;
    ck_assert_msg(hk_report_load(db, 1, &rep, err, sizeof err) == 0, "load: %s", err);
    ck_assert_msg(rep.empty > 0 && rep.released > 0 && rep.hit[3] > 0 && rep.slabs > 0 &&
                      rep.never_empty > 0 && rep.pinned > 0 && rep.heap_errors > 0,
                  "sums of huge counts must stay huge: empty %lld released %lld stage-2 hits %lld "
                  "slabs %lld never EMPTY %lld pinned %lld heap errors %lld",
                  (long long)rep.empty, (long long)rep.released, (long long)rep.hit[3],
                  (long long)rep.slabs, (long long)rep.never_empty, (long long)rep.pinned,
                  (long long)rep.heap_errors);
    FILE *out = fopen("/dev/null", "w");
    hk_report_print(&rep, out);
    fclose(out);
    struct hk_verdict v[HK_VERDICT_MAX];
    int n = hk_verdicts(&rep, v, HK_VERDICT_MAX), dropped = 0;
    for (int i = 0; i < n; i++)
        dropped |= strcmp(v[i].rule, "dropped-events") == 0;
    ck_assert_msg(dropped, "huge dropped and lost counts: expected the dropped-events verdict");
}
END_TEST

START_TEST(verdicts_of_extreme_reports)
{
    static struct hk_report rep;
    static const int64_t ends[] = { INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1 };
    for (int k = 0; k < 4; k++) {
        int64_t x = ends[k], y = ends[(k + 1) % 4];
        memset(&rep, 0, sizeof rep);
        rep.dropped = rep.lost = x;
        rep.have_evidence = 1;
        rep.maps_while_idle = rep.idle_unused_kib = x;
        rep.idle_superslabs = x;
        rep.idle_holding = y;
        rep.miss[0] = INT64_MAX;
        rep.hit[4] = x;
        rep.lru_pop_hit = rep.lru_pop_miss = x;
        rep.empty = rep.ss_unmaps = rep.lru_evict = x;
        struct hk_verdict v[HK_VERDICT_MAX];
        int n = hk_verdicts(&rep, v, HK_VERDICT_MAX);
        ck_assert_msg(n >= 0 && n <= HK_VERDICT_MAX, "%d verdicts", n);
        if (x > 0)
            ck_assert_msg(n > 0 && strcmp(v[0].rule, "dropped-events") == 0,
                          "dropped = lost = %lld: expected dropped-events first", (long long)x);
    }
}
END_TEST

/* A segment whose process started at start and sampled its occupancy at when. */
static void occupancy_segment(uint64_t start, uint64_t when)
{
    ck_assert_int_eq(unit_segment(seg, 77, start, 1, 1), 0);
    struct hakmem_seg_ss ss = { .addr = 1u << 21, .id = 1, .state = HAKMEM_SS_ACTIVE };
    ss.slab[1] = (struct hakmem_seg_slab){ .cls = 1, .state = HAKMEM_SLAB_OWNED, .used = 5,
                                           .capacity = 10 };
    struct {
        uint64_t seq, sampled_ns;
        uint32_t count, truncated, max, final;
    } occ = { 2, when, 1, 0, 14, 1 }; /* struct hakmem_seg_occupancy before ss[] */
    size_t at = offsetof(struct hakmem_seg_occupancy, ss);
    ck_assert_uint_eq(sizeof occ, at);
    int fd = open(seg, O_RDWR);
    ck_assert_msg(pwrite(fd, &occ, sizeof occ, 2 * 4096) == sizeof occ &&
                      pwrite(fd, &ss, sizeof ss, (off_t)(2 * 4096 + at)) == sizeof ss,
                  "writing the occupancy table of %s", seg);
    close(fd);
}

/* Samples seg's occupancy into run 1; returns its rows' ts_ns (the least). */
static int64_t sampled_ts(void)
{
    char err[HK_ERR_MAX];
    struct hakmem_reader *r = hakmem_reader_open(seg, 0, err, sizeof err);
    ck_assert_msg(r, "%s", err);
    struct hk_seg_meta m;
    hk_drain_meta(r, "unit", seg, &m);
    struct hk_sink s;
    ck_assert_int_eq(hk_sink_open(&s, db, &m.info, 1, err, sizeof err), 0);
    struct hk_occ_sampler o;
    ck_assert_int_eq(hk_occ_init(&o, r, err, sizeof err), 0);
    ck_assert_msg(hk_occ_sample(&o, r, &s, 1, err, sizeof err) == 0, "sample: %s", err);
    hk_occ_free(&o);
    ck_assert_int_eq(hk_sink_close(&s, 1000, 0, err, sizeof err), 0);
    hakmem_reader_close(r);
    ck_assert_int_eq(one("SELECT count(*) FROM occupancy"), 1);
    int64_t ts = one("SELECT ts_ns FROM occupancy"), end = one("SELECT end_ns FROM runs");
    ck_assert_msg(ts == end, "occupancy at %lld, the run's end snapshot at %lld", (long long)ts,
                  (long long)end);
    return ts;
}

START_TEST(occupancy_times_stay_in_range)
{
    static const struct {
        uint64_t start, when;
        int64_t want;
    } cases[] = {
        { (1ull << 63) + 5, 10, 0 },               /* sampled "before" the start */
        { 1ull << 63, (1ull << 63) + 7, 7 },        /* a start past INT64_MAX */
        { 1, UINT64_MAX, INT64_MAX },               /* more ns since the start than int64 has */
        { UINT64_MAX - 1, UINT64_MAX, 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hk_db_close(db); /* a fresh database for each: run 1 */
        unlink(path);
        db = unit_db(path, sizeof path);
        occupancy_segment(cases[i].start, cases[i].when);
        int64_t ts = sampled_ts();
        ck_assert_msg(ts == cases[i].want, "start %llu, sampled %llu: expected ts %lld, got %lld",
                      (unsigned long long)cases[i].start, (unsigned long long)cases[i].when,
                      (long long)cases[i].want, (long long)ts);
    }
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/bounds");
    TCase *t = tcase_create("bounds");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, report_sums_saturate);
    tcase_add_test(t, verdicts_of_extreme_reports);
    tcase_add_test(t, occupancy_times_stay_in_range);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
