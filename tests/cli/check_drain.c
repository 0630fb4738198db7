/* check_drain.c — unit tests of cli/drain.c: a segment drained whole into a
 * run, damaged counters refused, unpublished slots counted as unreadable,
 * overwritten events as lost, the header copied out safely. */
#include <stddef.h>
#include "unit.h"
#include "hakmem_reader.h"

static char seg[256], path[256];
static sqlite3 *db;

static void setup(void)
{
    unit_tmp(seg, sizeof seg, ".seg");
    db = unit_db(path, sizeof path);
}

static void teardown(void)
{
    hk_db_close(db);
    unlink(path);
    unlink(seg);
}

static void poke(size_t off, const void *v, size_t len)
{
    int fd = open(seg, O_RDWR);
    ck_assert_msg(pwrite(fd, v, len, (off_t)off) == (ssize_t)len, "poke %s", seg);
    close(fd);
}

static int done_now(void *ctx)
{
    (void)ctx;
    return 1;
}

/* Drains seg into a new run; returns what hk_drain said. */
static int drain(struct hk_drained *d, char *err, size_t errlen)
{
    struct hakmem_reader *r = hakmem_reader_open(seg, 0, err, errlen);
    ck_assert_msg(r, "open: %s", err);
    ck_assert_msg(hk_drain_check(r, seg, err, errlen) == 0, "check: %s", err);
    struct hk_seg_meta m;
    hk_drain_meta(r, "unit", seg, &m);
    struct hk_sink s;
    ck_assert_int_eq(hk_sink_open(&s, db, &m.info, 1, err, errlen), 0);
    struct hk_drain_opts o = { .commit_ms = 100, .commit_events = 1000, .done = done_now };
    int rc = hk_drain(r, &s, &o, d, err, errlen);
    ck_assert_int_eq(hk_sink_close(&s, hk_drain_ended_ns(r), -1, err, errlen), 0);
    hakmem_reader_close(r);
    return rc;
}

static int64_t one(const char *sql)
{
    int64_t v = -1;
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_int(db, sql, -2, &v, err, sizeof err) == 0, "%s: %s", sql, err);
    return v;
}

START_TEST(whole_segment_into_a_run)
{
    char err[HK_ERR_MAX];
    struct hk_drained d;
    ck_assert_int_eq(unit_segment(seg, 77, 100, 700, 1), 0);
    ck_assert_int_eq(drain(&d, err, sizeof err), 0);
    ck_assert_msg(d.events == 700 && d.lost == 0 && d.unreadable == 0,
                  "expected 700 events, none lost; got %llu, %llu lost, %llu unreadable",
                  (unsigned long long)d.events, (unsigned long long)d.lost,
                  (unsigned long long)d.unreadable);
    ck_assert_int_eq(one("SELECT count(*) FROM events"), 700);
    ck_assert_int_eq(one("SELECT pid FROM runs"), 77);
    ck_assert_int_eq(one("SELECT events FROM runs"), 700);
    ck_assert_int_eq(one("SELECT count(*) FROM runs WHERE exe = '/bin/unit' AND source = 'unit'"), 1);
}
END_TEST

START_TEST(unpublished_slots_are_unreadable)
{
    char err[HK_ERR_MAX];
    struct hk_drained d;
    ck_assert_int_eq(unit_segment(seg, 77, 100, 50, 1), 0);
    uint64_t zero = 0;
    poke(3 * 4096 + 20 * sizeof(struct hakmem_event) + offsetof(struct hakmem_event, seq), &zero,
         sizeof zero); /* ticket 20 never finished */
    ck_assert_int_eq(drain(&d, err, sizeof err), 0);
    ck_assert_msg(d.events == 20 && d.unreadable == 30 && d.lost == 30,
                  "expected 20 events then 30 unreadable, got %llu and %llu",
                  (unsigned long long)d.events, (unsigned long long)d.unreadable);
    ck_assert_int_eq(one("SELECT lost FROM runs"), 30);
}
END_TEST

START_TEST(overwritten_events_are_lost)
{
    char err[HK_ERR_MAX];
    struct hk_drained d;
    ck_assert_int_eq(unit_segment(seg, 77, 100, 1024, 1), 0);
    uint32_t mode = HAKMEM_TRACE_OVERWRITE;
    uint64_t head = 1024 + 10;
    poke(offsetof(struct hakmem_seg_header, mode), &mode, sizeof mode);
    poke(offsetof(struct hakmem_seg_header, head), &head, sizeof head);
    /* slots 0..9 now hold tickets 1024..1033 */
    for (uint64_t t = 1024; t < head; t++) {
        struct hakmem_event e = unit_ev(t + 1, HAKMEM_EV_THREAD_START, 255, 255, 0, 0, 0, 0);
        poke(3 * 4096 + (t % 1024) * sizeof e, &e, sizeof e);
    }
    ck_assert_int_eq(drain(&d, err, sizeof err), 0);
    ck_assert_msg(d.events == 1024 && d.lost == 10 && d.unreadable == 0,
                  "expected the newest 1024 and 10 lost, got %llu and %llu lost",
                  (unsigned long long)d.events, (unsigned long long)d.lost);
    ck_assert_int_eq(one("SELECT min(seq) FROM events"), 11);
    ck_assert_int_eq(one("SELECT count(*) FROM runs WHERE mode = 'overwrite'"), 1);
}
END_TEST

START_TEST(damaged_counters_are_refused)
{
    char err[HK_ERR_MAX];
    ck_assert_int_eq(unit_segment(seg, 77, 100, 10, 1), 0);
    uint64_t tail = 11; /* consumed more than written */
    poke(offsetof(struct hakmem_seg_header, tail), &tail, sizeof tail);
    struct hakmem_reader *r = hakmem_reader_open(seg, 0, err, sizeof err);
    ck_assert_msg(r, "%s", err);
    ck_assert_msg(hk_drain_check(r, seg, err, sizeof err) == -1 && strstr(err, "corrupt"),
                  "tail > head: expected 'corrupt', got '%s'", err);
    hakmem_reader_close(r);
    ck_assert_int_eq(unit_segment(seg, 77, 100, 10, 0), 0);
    r = hakmem_reader_open(seg, 0, err, sizeof err);
    ck_assert_msg(hk_drain_check(r, seg, err, sizeof err) == -1 && strstr(err, "incomplete"),
                  "not ready: expected 'incomplete', got '%s'", err);
    hakmem_reader_close(r);
}
END_TEST

START_TEST(header_strings_are_cut_safely)
{
    char err[HK_ERR_MAX];
    ck_assert_int_eq(unit_segment(seg, 77, 100, 1, 1), 0);
    char full[HAKMEM_SEG_EXE_MAX];
    memset(full, 'x', sizeof full); /* no NUL anywhere */
    poke(offsetof(struct hakmem_seg_header, exe), full, sizeof full);
    struct hakmem_reader *r = hakmem_reader_open(seg, 0, err, sizeof err);
    struct hk_seg_meta m;
    hk_drain_meta(r, "unit", seg, &m);
    ck_assert_msg(strlen(m.exe) == HAKMEM_SEG_EXE_MAX, "exe: expected %d characters, got %zu",
                  HAKMEM_SEG_EXE_MAX, strlen(m.exe));
    ck_assert_int_eq(m.info.pid, 77);
    ck_assert_str_eq(m.info.mode, "lossless");
    hakmem_reader_close(r);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/drain");
    TCase *t = tcase_create("drain");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, whole_segment_into_a_run);
    tcase_add_test(t, unpublished_slots_are_unreadable);
    tcase_add_test(t, overwritten_events_are_lost);
    tcase_add_test(t, damaged_counters_are_refused);
    tcase_add_test(t, header_strings_are_cut_safely);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
