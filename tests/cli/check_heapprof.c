/* check_heapprof.c — unit tests of cli/heapprof.c: exact per-stack figures at
 * weight 1, weights scaled, the lazy peak snapshot, temporaries, unmatched
 * frees, saturated sizes, and the rows written (profile_live kept up to date). */
#include "unit.h"

static uint64_t seq;

static struct hakmem_event alloc_ev(uint32_t tid, uint64_t addr, uint64_t size, uint32_t block,
                                    uint64_t weight, uint32_t stack)
{
    struct hakmem_event e = unit_ev(++seq, HAKMEM_EV_ALLOC, 0, 255, 1, 2, size, block);
    e.tid = tid;
    e.ss_addr = addr;
    e.arg1 = weight;
    e.stack_id = stack;
    return e;
}

static struct hakmem_event free_ev(uint32_t tid, uint64_t addr)
{
    struct hakmem_event e = unit_ev(++seq, HAKMEM_EV_FREE, 0, 255, 1, 2, 0, 0);
    e.tid = tid;
    e.ss_addr = addr;
    return e;
}

static void add(struct hk_heapprof *p, struct hakmem_event e)
{
    hk_heapprof_add(p, &e);
}

static struct hk_prof_site site(struct hk_heapprof *p, uint32_t stack)
{
    struct hk_prof_site s;
    ck_assert_msg(hk_heapprof_site(p, stack, &s) == 1, "stack %u: expected samples", stack);
    return s;
}

START_TEST(exact_figures_at_weight_one)
{
    struct hk_heapprof *p = hk_heapprof_new(1000, 1, 0);
    ck_assert_msg(p, "hk_heapprof_new failed");
    add(p, alloc_ev(1, 0x1000, 10, 16, 65536, 3));
    add(p, alloc_ev(1, 0x2000, 20, 32, 65536, 3));
    add(p, alloc_ev(1, 0x3000, 30, 32, 65536, 3));
    add(p, free_ev(1, 0x2000));
    struct hk_prof_site s = site(p, 3);
    ck_assert_msg(s.allocs == 3, "allocs: expected 3, got %lld", (long long)s.allocs);
    ck_assert_msg(s.alloc_weight == 3 * 65536, "alloc_weight: expected 3 x 65536, got %lld",
                  (long long)s.alloc_weight);
    ck_assert_msg(s.bytes == 80, "bytes (block sizes): expected 80, got %lld", (long long)s.bytes);
    ck_assert_msg(s.requested == 60, "requested: expected 60, got %lld", (long long)s.requested);
    ck_assert_msg(s.frees == 1 && s.free_weight == 65536, "frees: expected 1 (weight 65536), "
                  "got %lld (%lld)", (long long)s.frees, (long long)s.free_weight);
    ck_assert_msg(s.live == 2 && s.in_use == 48, "live: expected 2 blocks, 48 bytes; got %lld, %lld",
                  (long long)s.live, (long long)s.in_use);
    ck_assert_msg(s.peak_in_use == 80, "peak_in_use: expected 80, got %lld",
                  (long long)s.peak_in_use);
    struct hk_prof_totals t;
    hk_heapprof_totals(p, &t);
    ck_assert_msg(t.samples == 3 && t.frees == 1 && t.live == 2 && t.in_use == 48 && t.peak == 80,
                  "totals: expected 3 samples, 1 free, 2 live, 48 in use, peak 80; got %llu, %llu,"
                  " %llu, %lld, %lld", (unsigned long long)t.samples, (unsigned long long)t.frees,
                  (unsigned long long)t.live, (long long)t.in_use, (long long)t.peak);
    ck_assert_msg(hk_heapprof_site(p, 4, &s) == 0, "stack 4 has no sample: expected 0");
    hk_heapprof_free(p);
}
END_TEST

START_TEST(weights_scale_the_estimates)
{
    struct hk_heapprof *p = hk_heapprof_new(0, 524288, 0);
    add(p, alloc_ev(1, 0x1000, 100, 112, 3 * 65536 / 2, 1)); /* 1.5 allocations */
    struct hk_prof_site s = site(p, 1);
    ck_assert_msg(s.alloc_weight == 98304, "alloc_weight: expected 98304, got %lld",
                  (long long)s.alloc_weight);
    ck_assert_msg(s.bytes == 168 && s.requested == 150, "bytes: expected 168 allocated, 150 "
                  "requested; got %lld, %lld", (long long)s.bytes, (long long)s.requested);
    add(p, free_ev(1, 0x1000));
    s = site(p, 1);
    ck_assert_msg(s.in_use == 0, "a free takes back exactly what its alloc added: in_use %lld",
                  (long long)s.in_use);
    hk_heapprof_free(p);
}
END_TEST

/* Totals 100, 150 (peak), 50, 130, 160 (peak), 30, 70: at the last peak stack 1
 * held 0, stack 2 130 and stack 3 30, though stack 1 last changed after it. */
START_TEST(peak_is_a_lazy_snapshot)
{
    struct hk_heapprof *p = hk_heapprof_new(0, 1, 0);
    add(p, alloc_ev(1, 0xa, 100, 100, 65536, 1));
    add(p, alloc_ev(1, 0xb, 50, 50, 65536, 2));
    add(p, free_ev(1, 0xa));
    add(p, alloc_ev(1, 0xc, 80, 80, 65536, 2));
    add(p, alloc_ev(1, 0xd, 30, 30, 65536, 3));
    add(p, free_ev(1, 0xb));
    add(p, free_ev(1, 0xc));
    add(p, alloc_ev(1, 0xe, 40, 40, 65536, 1));
    struct hk_prof_totals t;
    hk_heapprof_totals(p, &t);
    ck_assert_msg(t.peak == 160, "peak: expected 160, got %lld", (long long)t.peak);
    ck_assert_msg(t.in_use == 70, "in use at the end: expected 70, got %lld", (long long)t.in_use);
    int64_t want[] = { 0, 0, 130, 30 }, live[] = { 0, 0, 2, 1 };
    for (uint32_t k = 1; k <= 3; k++) {
        struct hk_prof_site s = site(p, k);
        ck_assert_msg(s.peak_in_use == want[k], "stack %u at the peak: expected %lld, got %lld", k,
                      (long long)want[k], (long long)s.peak_in_use);
        ck_assert_msg(s.peak_live == live[k], "stack %u blocks at the peak: expected %lld, got "
                      "%lld", k, (long long)live[k], (long long)s.peak_live);
    }
    ck_assert_msg(site(p, 1).in_use == 40, "stack 1 at the end: expected 40");
    hk_heapprof_free(p);
}
END_TEST

START_TEST(temporaries_follow_heaptrack)
{
    struct hk_heapprof *p = hk_heapprof_new(0, 1, 0);
    add(p, alloc_ev(1, 0x1, 16, 16, 65536, 1));
    add(p, free_ev(1, 0x1));                    /* temporary */
    add(p, alloc_ev(1, 0x2, 16, 16, 65536, 1));
    add(p, alloc_ev(1, 0x3, 16, 16, 65536, 2));
    add(p, free_ev(1, 0x2));                    /* not: 0x3 came between */
    add(p, free_ev(1, 0x3));                    /* temporary: nothing came between */
    add(p, alloc_ev(1, 0x4, 16, 16, 65536, 1));
    add(p, alloc_ev(2, 0x5, 16, 16, 65536, 1)); /* another thread's allocation between */
    add(p, free_ev(1, 0x4));                    /* temporary: thread 1 allocated nothing */
    add(p, alloc_ev(1, 0x6, 16, 16, 65536, 1));
    add(p, free_ev(2, 0x6));                    /* not: another thread frees it */
    struct hk_prof_site s1 = site(p, 1), s2 = site(p, 2);
    ck_assert_msg(s1.temporaries == 2 && s1.temp_weight == 2 * 65536,
                  "stack 1: expected 2 temporaries, got %lld", (long long)s1.temporaries);
    ck_assert_msg(s2.temporaries == 1, "stack 2: expected 1 temporary, got %lld",
                  (long long)s2.temporaries);
    hk_heapprof_free(p);
}
END_TEST

START_TEST(unmatched_frees_are_counted_and_ignored)
{
    struct hk_heapprof *p = hk_heapprof_new(0, 1, 0);
    add(p, free_ev(1, 0x77));
    add(p, alloc_ev(1, 0x1, 16, 16, 65536, 1));
    add(p, free_ev(1, 0x1));
    add(p, free_ev(1, 0x1)); /* freed already: no live sample there */
    struct hk_prof_totals t;
    hk_heapprof_totals(p, &t);
    ck_assert_msg(t.unmatched == 2, "unmatched: expected 2, got %llu",
                  (unsigned long long)t.unmatched);
    ck_assert_msg(t.frees == 1 && t.in_use == 0, "matched frees: expected 1 and nothing in use");
    hk_heapprof_free(p);
}
END_TEST

START_TEST(an_alloc_over_a_live_block_means_its_free_was_lost)
{
    struct hk_heapprof *p = hk_heapprof_new(0, 1, 0);
    add(p, alloc_ev(1, 0x1, 16, 16, 65536, 1));
    add(p, alloc_ev(1, 0x1, 32, 32, 65536, 2)); /* the free of the first never came */
    struct hk_prof_totals t;
    hk_heapprof_totals(p, &t);
    ck_assert_msg(t.lost_frees == 1 && t.live == 1 && t.in_use == 32,
                  "expected 1 lost free, 1 live block of 32 bytes; got %llu, %llu, %lld",
                  (unsigned long long)t.lost_frees, (unsigned long long)t.live, (long long)t.in_use);
    struct hk_prof_site s = site(p, 1);
    ck_assert_msg(s.live == 0 && s.in_use == 0 && s.frees == 0,
                  "stack 1: its block gone, not counted as a free (live %lld, frees %lld)",
                  (long long)s.live, (long long)s.frees);
    hk_heapprof_free(p);
}
END_TEST

START_TEST(saturated_block_size_rounds_the_request)
{
    struct hk_heapprof *p = hk_heapprof_new(0, 1, 0);
    add(p, alloc_ev(1, 0x1, 5000000000ull, HAKMEM_SIZE_SATURATED, 65536, 1));
    struct hk_prof_site s = site(p, 1);
    ck_assert_msg(s.bytes == 5000003584ll, "block size: expected the request rounded up to 4096 "
                  "(5000003584), got %lld", (long long)s.bytes);
    hk_heapprof_free(p);
}
END_TEST

static int64_t one(sqlite3 *db, const char *sql)
{
    int64_t v = -1;
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_int(db, sql, -1, &v, err, sizeof err) == 0, "%s: %s", sql, err);
    return v;
}

static void flush(struct hk_heapprof *p, sqlite3 *db, int last)
{
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_exec(db, "BEGIN", err, sizeof err) == 0, "%s", err);
    ck_assert_msg(hk_heapprof_flush(p, db, 1, 1, last, err, sizeof err) == 0, "flush: %s", err);
    ck_assert_msg(hk_db_exec(db, "COMMIT", err, sizeof err) == 0, "%s", err);
}

/* e, s seconds after the run's start. */
static struct hakmem_event later(struct hakmem_event e, int s)
{
    e.ts_ns = 1000 + (uint64_t)s * 1000000000u;
    return e;
}

/* Between commits profile_live holds the blocks live a second or more; the last
 * flush writes every live block. */
START_TEST(rows_between_commits_hold_aged_blocks)
{
    char path[256];
    sqlite3 *db = unit_db(path, sizeof path);
    struct hk_heapprof *p = hk_heapprof_new(1000, 1, 0);
    add(p, alloc_ev(1, 0x1000, 10, 16, 65536, 1));
    flush(p, db, 0);
    ck_assert_msg(one(db, "SELECT count(*) FROM profile_live") == 0,
                  "a block live for less than a second: no row between commits");
    add(p, later(alloc_ev(1, 0x2000, 10, 16, 65536, 1), 3));
    usleep(300000); /* the next rewrite is due 20 times the last one's duration later */
    flush(p, db, 0);
    ck_assert_msg(one(db, "SELECT group_concat(addr) FROM profile_live") == 0x1000,
                  "3 s on: the row of the block live since then, not of the new one");
    flush(p, db, 1);
    ck_assert_msg(one(db, "SELECT count(*) FROM profile_live") == 2,
                  "the last flush: a row for every live block");
    hk_heapprof_free(p);
    sqlite3_close(db);
    unlink(path);
}
END_TEST

START_TEST(rows_follow_the_live_blocks)
{
    char path[256];
    sqlite3 *db = unit_db(path, sizeof path);
    struct hk_heapprof *p = hk_heapprof_new(1000, 1, 1);
    add(p, alloc_ev(1, 0x1000, 10, 16, 65536, 1));
    add(p, alloc_ev(1, 0x2000, 10, 16, 65536, 2));
    add(p, later(free_ev(9, 0x9999), 2)); /* (unmatched) 2 s on: both blocks live a second */
    flush(p, db, 0);
    ck_assert_msg(one(db, "SELECT count(*) FROM profile_live") == 2, "2 live rows after a flush");
    add(p, free_ev(1, 0x1000));
    add(p, alloc_ev(1, 0x3000, 10, 16, 65536, 1));
    add(p, free_ev(1, 0x3000));
    flush(p, db, 1);
    ck_assert_msg(one(db, "SELECT group_concat(addr) FROM profile_live") == 0x2000,
                  "only 0x2000 stays live, got %lld",
                  (long long)one(db, "SELECT count(*) FROM profile_live"));
    ck_assert_msg(one(db, "SELECT allocs * 100 + frees * 10 + live FROM profile_stacks"
                          " WHERE stack_id = 1") == 220, "stack 1: 2 allocs, 2 frees, 0 live");
    ck_assert_msg(one(db, "SELECT samples * 100 + frees * 10 + live FROM profile_runs") == 321,
                  "run: 3 samples, 2 frees, 1 live");
    ck_assert_msg(one(db, "SELECT count(*) FROM profile_blocks") == 3, "all blocks: 3 rows");
    ck_assert_msg(one(db, "SELECT count(*) FROM profile_blocks WHERE free_ns IS NULL") == 1,
                  "all blocks: the live one without a free time");
    ck_assert_msg(one(db, "SELECT ts_ns FROM profile_live") == 20, "ts_ns since the start: "
                  "expected 20, got %lld", (long long)one(db, "SELECT ts_ns FROM profile_live"));
    hk_heapprof_free(p);
    sqlite3_close(db);
    unlink(path);
}
END_TEST

START_TEST(unprofiled_runs_write_nothing)
{
    char path[256];
    sqlite3 *db = unit_db(path, sizeof path);
    struct hk_heapprof *p = hk_heapprof_new(0, 0, 0);
    flush(p, db, 1);
    ck_assert_msg(one(db, "SELECT count(*) FROM profile_runs") == 0, "no profile_runs row");
    hk_heapprof_free(p);
    sqlite3_close(db);
    unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/heapprof");
    TCase *t = tcase_create("core");
    tcase_add_test(t, exact_figures_at_weight_one);
    tcase_add_test(t, weights_scale_the_estimates);
    tcase_add_test(t, peak_is_a_lazy_snapshot);
    tcase_add_test(t, temporaries_follow_heaptrack);
    tcase_add_test(t, unmatched_frees_are_counted_and_ignored);
    tcase_add_test(t, an_alloc_over_a_live_block_means_its_free_was_lost);
    tcase_add_test(t, saturated_block_size_rounds_the_request);
    tcase_add_test(t, rows_follow_the_live_blocks);
    tcase_add_test(t, rows_between_commits_hold_aged_blocks);
    tcase_add_test(t, unprofiled_runs_write_nothing);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
