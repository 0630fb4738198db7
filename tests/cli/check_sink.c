/* check_sink.c — unit tests of cli/sink.c, cli/batch.c and cli/tally.c: events
 * stored exactly, NULLs where the ring says none, counts and slabs kept in step,
 * several runs per file, occupancy rows, and a failing write reported. */
#include "unit.h"

static char path[256];
static sqlite3 *db;

static void setup(void)
{
    db = unit_db(path, sizeof path);
}

static void teardown(void)
{
    hk_db_close(db);
    unlink(path);
}

static int64_t one(const char *sql)
{
    int64_t v = -1;
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_int(db, sql, -2, &v, err, sizeof err) == 0, "%s: %s", sql, err);
    return v;
}

/* n events cycling through every type stored as events rows (the heap
 * profile's alloc and free are not), slabs (ss 1..3, slab 1..4). */
static struct hakmem_event *events(size_t n, uint64_t first)
{
    struct hakmem_event *ev = calloc(n, sizeof *ev);
    for (size_t i = 0; i < n; i++) {
        unsigned type = 1 + (unsigned)(i % (HAKMEM_EV_ALLOC - 1));
        ev[i] = unit_ev(first + i, type, type == 13 ? 255 : (unsigned)(i % 4),
                        type == 9 || type == 10 ? (unsigned)(i % 5) : 255, (uint32_t)(1 + i % 3),
                        (uint32_t)(1 + i % 4), i, type == 8 ? 2 : 0);
    }
    return ev;
}

START_TEST(every_event_stored_once)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_msg(hk_sink_open(&s, db, &info, _i, err, sizeof err) == 0, "open: %s", err);
    size_t sizes[] = { 1, 31, HK_SINK_BATCH + 5, 1000 }, total = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        struct hakmem_event *ev = events(sizes[k], total + 1);
        ck_assert_msg(hk_sink_add(&s, ev, sizes[k], err, sizeof err) == 0, "add: %s", err);
        total += sizes[k];
        free(ev);
        if (k == 1)
            ck_assert_msg(hk_sink_commit(&s, err, sizeof err) == 0, "commit: %s", err);
    }
    hk_sink_counts(&s, 3, 4);
    ck_assert_msg(hk_sink_close(&s, 99, 5, err, sizeof err) == 0, "close: %s", err);
    ck_assert_int_eq(one("SELECT count(*) FROM events"), (int64_t)total);
    ck_assert_int_eq(one("SELECT count(DISTINCT seq) FROM events"), (int64_t)total);
    ck_assert_int_eq(one("SELECT max(seq) FROM events"), (int64_t)total);
    ck_assert_int_eq(one("SELECT events FROM runs"), (int64_t)total);
    ck_assert_int_eq(one("SELECT dropped FROM runs"), 3);
    ck_assert_int_eq(one("SELECT lost FROM runs"), 4);
    ck_assert_int_eq(one("SELECT exit_status FROM runs"), 5);
    ck_assert_int_eq(one("SELECT ended_ns FROM runs"), 99);
    ck_assert_int_eq(one("SELECT sum(n) FROM event_counts"), (int64_t)total);
    ck_assert_msg(one("SELECT count(*) FROM (SELECT type, count(*) AS k FROM events GROUP BY type)"
                      " e JOIN (SELECT type, sum(n) AS k FROM event_counts GROUP BY type) c"
                      " USING (type) WHERE e.k != c.k") == 0,
                  "event_counts must match the events per type");
    ck_assert_int_eq(one("SELECT count(*) FROM classes WHERE run_id = 1"), 4);
}
END_TEST

START_TEST(none_is_null)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 0, err, sizeof err), 0);
    struct hakmem_event ev[3] = {
        unit_ev(1, HAKMEM_EV_THREAD_START, 255, 255, 0, 0, 7, 0),
        unit_ev(2, HAKMEM_EV_SS_MAP, 255, 255, 9, 0, 2u << 20, 1),
        unit_ev(3, HAKMEM_EV_SLAB_ACQUIRE, 2, 4, 9, 3, 0, 0),
    };
    ck_assert_int_eq(hk_sink_add(&s, ev, 3, err, sizeof err), 0);
    ck_assert_int_eq(hk_sink_close(&s, -1, -1, err, sizeof err), 0);
    ck_assert_int_eq(one("SELECT count(*) FROM events WHERE seq = 1 AND class IS NULL AND stage IS NULL"
                         " AND ss IS NULL AND slab IS NULL AND reason IS NULL AND stack_id IS NULL"
                         " AND ss_addr IS NULL AND arg0 = 7 AND ts_ns = 10 AND tid = 7"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM events WHERE seq = 2 AND ss = 9 AND reason = 1"
                         " AND ss_addr IS NOT NULL AND slab IS NULL"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM events WHERE seq = 3 AND class = 2 AND stage = 4"
                         " AND slab = 3 AND reason IS NULL"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM runs WHERE exit_status IS NULL AND ended_ns IS NULL"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM slabs WHERE ss = 9 AND slab = 3 AND owned = 1"
                         " AND acquires = 1 AND class = 2"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM ev WHERE event = 'ss_map' AND stage IS NULL"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM ev WHERE event = 'slab_acquire' AND stage = '3'"
                         " AND block_size = 64"), 1);
}
END_TEST

START_TEST(slabs_follow_their_events)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 0, err, sizeof err), 0);
    struct hakmem_event ev[] = {
        unit_ev(1, HAKMEM_EV_SLAB_ACQUIRE, 1, 3, 1, 1, 0, 0),
        unit_ev(2, HAKMEM_EV_SLAB_ACQUIRE, 1, 3, 1, 2, 0, 0),
        unit_ev(3, HAKMEM_EV_SLAB_EMPTY, 1, 255, 1, 1, 2048, 0),
        unit_ev(4, HAKMEM_EV_SLAB_RELEASE, 1, 255, 1, 1, 0, 0),
        unit_ev(5, HAKMEM_EV_SS_MAP, 255, 255, 2, 0, 2u << 20, 0),
        unit_ev(6, HAKMEM_EV_SLAB_ACQUIRE, 3, 1, 1, 1, 0, 0),
    };
    ck_assert_int_eq(hk_sink_add(&s, ev, 4, err, sizeof err), 0);
    ck_assert_int_eq(hk_sink_commit(&s, err, sizeof err), 0);
    ck_assert_int_eq(one("SELECT count(*) FROM slabs WHERE slab = 1 AND owned = 0"
                         " AND empties = 1 AND releases = 1"), 1);
    ck_assert_int_eq(hk_sink_add(&s, ev + 4, 2, err, sizeof err), 0);
    hk_tally_occupancy(s.tally, 1, 2, 5, 2048, 0);
    hk_tally_occupancy(s.tally, 8, 8, 1, 1, 0); /* no such slab: ignored */
    ck_assert_int_eq(hk_sink_close(&s, 1, 0, err, sizeof err), 0);
    ck_assert_int_eq(one("SELECT count(*) FROM slabs"), 2);
    ck_assert_int_eq(one("SELECT count(*) FROM slabs WHERE slab = 1 AND owned = 1 AND class = 3"
                         " AND acquires = 2 AND empties = 1 AND first_seq = 1 AND last_seq = 6"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM slabs WHERE slab = 2 AND final_used = 5"
                         " AND final_capacity = 2048"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM slab_classes WHERE class = 3 AND slabs = 1"
                         " AND never_empty = 0 AND live_at_end = 1"), 1);
    ck_assert_int_eq(one("SELECT count(*) FROM slab_classes WHERE class = 1 AND slabs = 1"
                         " AND never_empty = 1 AND never_empty_used = 5"
                         " AND never_empty_capacity = 2048"), 1);
    ck_assert_int_eq(one("SELECT sum(slabs) FROM slab_classes"), 2);
    ck_assert_int_eq(one("SELECT n_after_empty FROM event_counts WHERE type = 1"), 1);
    ck_assert_int_eq(one("SELECT n_after_empty FROM event_counts WHERE type = 9 AND class = 1"), 0);
    ck_assert_int_eq(one("SELECT arg0_sum FROM event_counts WHERE type = 1"), 2 << 20);
}
END_TEST

START_TEST(unmapped_superslabs_are_forgotten)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 0, err, sizeof err), 0);
    struct hakmem_event ev[] = {
        unit_ev(1, HAKMEM_EV_SLAB_ACQUIRE, 1, 3, 5, 1, 0, 0),
        unit_ev(2, HAKMEM_EV_SLAB_ACQUIRE, 1, 3, 5, 2, 0, 0),
        unit_ev(3, HAKMEM_EV_SLAB_EMPTY, 1, 255, 5, 2, 2048, 0),
        unit_ev(4, HAKMEM_EV_SS_UNMAP, 255, 255, 5, 0, 2u << 20, 0),
    };
    ck_assert_int_eq(hk_sink_add(&s, ev, 4, err, sizeof err), 0);
    ck_assert_int_eq(hk_sink_commit(&s, err, sizeof err), 0);
    hk_tally_occupancy(s.tally, 5, 1, 9, 2048, 0); /* forgotten: ignored */
    ck_assert_int_eq(hk_sink_close(&s, 1, 0, err, sizeof err), 0);
    ck_assert_int_eq(one("SELECT count(*) FROM slabs WHERE ss = 5"), 2);
    ck_assert_int_eq(one("SELECT count(*) FROM slabs WHERE ss = 5 AND final_used IS NULL"), 2);
    ck_assert_int_eq(one("SELECT slabs FROM slab_classes WHERE class = 1"), 2);
}
END_TEST

START_TEST(runs_stay_apart)
{
    char err[HK_ERR_MAX];
    for (int run = 1; run <= 3; run++) {
        struct hk_sink s;
        struct hk_run_info info = unit_info();
        ck_assert_int_eq(hk_sink_open(&s, db, &info, run == 2, err, sizeof err), 0);
        ck_assert_int_eq(s.run_id, run);
        struct hakmem_event *ev = events((size_t)run * 100, 1);
        ck_assert_int_eq(hk_sink_add(&s, ev, (size_t)run * 100, err, sizeof err), 0);
        free(ev);
        ck_assert_int_eq(hk_sink_close(&s, 1, 0, err, sizeof err), 0);
    }
    ck_assert_int_eq(one("SELECT count(*) FROM events WHERE run_id = 2"), 200);
    ck_assert_int_eq(one("SELECT sum(n) FROM event_counts WHERE run_id = 3"), 300);
    ck_assert_int_eq(one("SELECT count(*) FROM runs"), 3);
    ck_assert_int_eq(one("PRAGMA synchronous"), 1); /* a bulk sink puts NORMAL back */
}
END_TEST

/* alloc and free events go to the heap profile: no events rows, runs.events
 * without them, the profile's rows with the commit; the other events between
 * them are stored as ever. */
START_TEST(profile_events_are_aggregated)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    info.profile_rate = 1;
    ck_assert_msg(hk_sink_open(&s, db, &info, 0, err, sizeof err) == 0, "open: %s", err);
    struct hakmem_event ev[3] = {
        unit_ev(1, HAKMEM_EV_ALLOC, 0, 255, 1, 1, 24, 32),
        unit_ev(2, HAKMEM_EV_THREAD_START, 255, 255, 0, 0, 7, 0),
        unit_ev(3, HAKMEM_EV_FREE, 0, 255, 1, 1, 0, 0),
    };
    ev[0].ss_addr = ev[2].ss_addr = 0x5000;
    ev[0].arg1 = HAKMEM_WEIGHT_ONE;
    ck_assert_msg(hk_sink_add(&s, ev, 3, err, sizeof err) == 0, "add: %s", err);
    ck_assert_msg(hk_sink_close(&s, 1, 0, err, sizeof err) == 0, "close: %s", err);
    ck_assert_msg(one("SELECT count(*) FROM events") == 1, "only the thread_start is an events row");
    ck_assert_msg(one("SELECT events FROM runs") == 1, "runs.events counts the stored rows: 1");
    ck_assert_msg(one("SELECT sum(n) FROM event_counts") == 1, "event_counts: as events");
    ck_assert_msg(one("SELECT profile_rate FROM runs") == 1, "runs.profile_rate: 1");
    ck_assert_msg(one("SELECT samples * 10 + frees FROM profile_runs") == 11,
                  "profile_runs: 1 sample, 1 free");
    ck_assert_msg(one("SELECT bytes FROM profile_stacks WHERE stack_id = 0") == 32,
                  "profile_stacks: 32 bytes under stack 0 (none)");
}
END_TEST

START_TEST(occupancy_rows_are_stored)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 0, err, sizeof err), 0);
    struct hk_occ_row rows[2] = { { 10, 1, 3, 100, 6144 }, { 10, 2, 1, 0, 1024 } };
    ck_assert_int_eq(hk_sink_occupancy(&s, rows, 2, err, sizeof err), 0);
    ck_assert_int_eq(hk_sink_close(&s, 1, 0, err, sizeof err), 0);
    ck_assert_int_eq(one("SELECT count(*) FROM occupancy WHERE run_id = 1"), 2);
    ck_assert_int_eq(one("SELECT used FROM report_occupancy_last WHERE class = 1"), 100);
}
END_TEST

START_TEST(commit_due_waits_for_its_time)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 0, err, sizeof err), 0);
    struct hakmem_event *ev = events(10, 1);
    ck_assert_int_eq(hk_sink_add(&s, ev, 10, err, sizeof err), 0);
    free(ev);
    ck_assert_int_eq(hk_sink_commit_due(&s, 60000, err, sizeof err), 0);
    ck_assert_msg(s.in_tx == 10, "not due: the transaction must stay open");
    hk_sleep_ms(20);
    ck_assert_int_eq(hk_sink_commit_due(&s, 10, err, sizeof err), 0);
    ck_assert_msg(s.in_tx == 0, "due: the transaction must be committed");
    ck_assert_int_eq(hk_sink_close(&s, 1, 0, err, sizeof err), 0);
}
END_TEST

START_TEST(a_failed_write_is_reported)
{
    char err[HK_ERR_MAX];
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 0, err, sizeof err), 0);
    /* another connection drops the events table under the sink */
    sqlite3 *other;
    ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "PRAGMA busy_timeout = 0; DROP VIEW ev; DROP TABLE events",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    struct hakmem_event *ev = events(100, 1);
    hk_sink_add(&s, ev, 100, err, sizeof err);
    free(ev);
    int rc = hk_sink_commit(&s, err, sizeof err);
    ck_assert_msg(rc == -1, "storing into a dropped table: expected an error");
    ck_assert_msg(strstr(err, "events"), "the error should name the table, got '%s'", err);
    ck_assert_msg(hk_sink_add(&s, NULL, 0, err, sizeof err) == -1, "after a failure adds must fail");
    ck_assert_int_eq(hk_sink_close(&s, 1, 0, err, sizeof err), -1);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/sink");
    TCase *t = tcase_create("sink");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_loop_test(t, every_event_stored_once, 0, 2);
    tcase_add_test(t, none_is_null);
    tcase_add_test(t, slabs_follow_their_events);
    tcase_add_test(t, unmapped_superslabs_are_forgotten);
    tcase_add_test(t, runs_stay_apart);
    tcase_add_test(t, profile_events_are_aggregated);
    tcase_add_test(t, occupancy_rows_are_stored);
    tcase_add_test(t, commit_due_waits_for_its_time);
    tcase_add_test(t, a_failed_write_is_reported);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
