/* check_replay.c — unit tests of tui/replay.c: the slab map rebuilt from events,
 * and a run of a trace database (schema/schema.sql) played on the replay clock. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include "top.h"

static uint32_t caps[TOP_CLASSES];

static void setup(void)
{
    for (unsigned c = 0; c < TOP_CLASSES; c++)
        caps[c] = 65536 / (8 * (c + 1));
}

static struct hakmem_event e(unsigned type, unsigned ss, unsigned slab, unsigned cls, unsigned tid)
{
    return (struct hakmem_event){ .type = (uint16_t)type, .ss_id = ss, .slab = slab,
                                  .cls = (uint8_t)cls, .tid = tid, .stage = 255 };
}

static const struct hakmem_seg_ss *ss_of(struct top_slabmap *m, uint32_t id)
{
    size_t n;
    const struct hakmem_seg_ss *ss = top_slabmap_ss(m, &n);
    for (size_t i = 0; i < n; i++)
        if (ss[i].id == id)
            return &ss[i];
    return NULL;
}

START_TEST(test_slabmap)
{
    struct top_slabmap *m = top_slabmap_new();
    struct hakmem_event ev[] = {
        e(HAKMEM_EV_SS_MAP, 2, 0, 255, 1),           e(HAKMEM_EV_SS_MAP, 1, 0, 255, 1),
        e(HAKMEM_EV_SLAB_ACQUIRE, 1, 1, 3, 10),      e(HAKMEM_EV_SLAB_ACQUIRE, 1, 2, 3, 11),
        e(HAKMEM_EV_SLAB_ACQUIRE, 2, 5, 7, 10),      e(HAKMEM_EV_SLAB_EMPTY, 1, 2, 3, 11),
        e(HAKMEM_EV_SLAB_RELEASE, 1, 2, 3, 11),      e(HAKMEM_EV_THREAD_EXIT, 0, 0, 255, 10),
    };
    ev[7].arg0 = 10;
    for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
        top_slabmap_apply(m, &ev[i], caps, TOP_CLASSES);
    size_t n;
    const struct hakmem_seg_ss *ss = top_slabmap_ss(m, &n);
    ck_assert_msg(n == 2 && ss[0].id == 1 && ss[1].id == 2, "expected SuperSlabs 1, 2 by id, got %zu", n);
    const struct hakmem_seg_slab *s = &ss_of(m, 1)->slab[1];
    ck_assert_msg(s->state == HAKMEM_SLAB_ABANDONED && s->cls == 3 && s->capacity == caps[3],
                  "ss 1 slab 1: expected class 3, abandoned by thread 10's exit, got state %u", s->state);
    s = &ss_of(m, 1)->slab[2];
    ck_assert_msg(s->state == HAKMEM_SLAB_EMPTY && s->used == 0, "ss 1 slab 2: expected EMPTY (registry), got %u",
                  s->state);
    ck_assert_msg(ss_of(m, 2)->slab[5].state == HAKMEM_SLAB_ABANDONED, "ss 2 slab 5: expected abandoned");
    ck_assert_msg(ss_of(m, 2)->slab[6].state == HAKMEM_SLAB_FREE, "ss 2 slab 6: expected free");

    struct hakmem_event more[] = {
        e(HAKMEM_EV_SLAB_RELEASE, 2, 5, 7, 1), e(HAKMEM_EV_LRU_PUSH, 2, 0, 255, 1),
        e(HAKMEM_EV_SLAB_ACQUIRE, 1, 2, 9, 12),
    };
    more[0].reason = 1; /* to a free slot */
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        top_slabmap_apply(m, &more[i], caps, TOP_CLASSES);
    ck_assert_msg(ss_of(m, 2)->state == HAKMEM_SS_CACHED, "lru_push: expected ss 2 cached");
    ck_assert_msg(ss_of(m, 1)->slab[2].state == HAKMEM_SLAB_OWNED && ss_of(m, 1)->slab[2].cls == 9,
                  "EMPTY slab reacquired for class 9: expected owned, class 9");
    struct hakmem_event pop = e(HAKMEM_EV_LRU_POP_HIT, 2, 0, 4, 1);
    top_slabmap_apply(m, &pop, caps, TOP_CLASSES);
    ck_assert_msg(ss_of(m, 2)->state == HAKMEM_SS_ACTIVE, "lru_pop_hit: expected ss 2 active");
    struct hakmem_event gone[] = { e(HAKMEM_EV_LRU_EVICT, 2, 0, 255, 1), e(HAKMEM_EV_SS_UNMAP, 2, 0, 255, 1),
                                   e(HAKMEM_EV_SS_UNMAP, 77, 0, 255, 1) };
    for (size_t i = 0; i < 3; i++)
        top_slabmap_apply(m, &gone[i], caps, TOP_CLASSES);
    ss = top_slabmap_ss(m, &n);
    ck_assert_msg(n == 1 && ss[0].id == 1, "evict + unmap: expected only ss 1 left, got %zu", n);
    /* an acquisition in a SuperSlab the trace never saw mapped (attached late) */
    struct hakmem_event late = e(HAKMEM_EV_SLAB_ACQUIRE, 9, 31, 2, 1);
    top_slabmap_apply(m, &late, caps, TOP_CLASSES);
    ck_assert_msg(ss_of(m, 9) && ss_of(m, 9)->slab[31].state == HAKMEM_SLAB_OWNED,
                  "late SuperSlab 9: expected it added with slab 31 owned");
    struct hakmem_event bad = e(HAKMEM_EV_SLAB_ACQUIRE, 1, 32, 2, 1);
    top_slabmap_apply(m, &bad, caps, TOP_CLASSES); /* slab out of range: ignored */
    top_slabmap_free(m);
}
END_TEST

START_TEST(test_slabmap_many)
{
    struct top_slabmap *m = top_slabmap_new();
    for (unsigned id = 500; id >= 1; id--) {
        struct hakmem_event ev = e(HAKMEM_EV_SS_MAP, id, 0, 255, 1);
        top_slabmap_apply(m, &ev, caps, TOP_CLASSES);
    }
    for (unsigned id = 2; id <= 500; id += 2) {
        struct hakmem_event ev = e(HAKMEM_EV_SS_UNMAP, id, 0, 255, 1);
        top_slabmap_apply(m, &ev, caps, TOP_CLASSES);
    }
    size_t n;
    const struct hakmem_seg_ss *ss = top_slabmap_ss(m, &n);
    ck_assert_msg(n == 250, "500 mapped, 250 unmapped: expected 250, got %zu", n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(ss[i].id == 2 * i + 1, "position %zu: expected id %zu, got %u", i, 2 * i + 1, ss[i].id);
    top_slabmap_free(m);
}
END_TEST

/* ---- databases */

static char dbpath[64];

static sqlite3 *new_db(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/check_replay.XXXXXX");
    int fd = mkstemp(dbpath);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    close(fd);
    sqlite3 *db;
    ck_assert_msg(sqlite3_open(dbpath, &db) == SQLITE_OK, "sqlite3_open %s failed", dbpath);
    return db;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    ck_assert_msg(rc == SQLITE_OK, "SQL failed: %s\n%s", msg ? msg : "?", sql);
}

/* The real schema, from the source tree (srcdir is set by make check). */
static void schema(sqlite3 *db)
{
    const char *src = getenv("srcdir");
    char path[512];
    snprintf(path, sizeof path, "%s/schema/schema.sql", src ? src : ".");
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "expected the schema at %s (set srcdir to the source tree)", path);
    static char sql[1 << 17];
    size_t n = fread(sql, 1, sizeof sql - 1, f);
    fclose(f);
    sql[n] = '\0';
    exec(db, sql);
}

/* A run like `pinned 1` in small: SuperSlab 1 mapped at 1 ms, two class-2
 * slabs acquired, one goes EMPTY at 3 ms, class 12 takes it at 4 ms (stage
 * 0.5); occupancy samples at 2 ms and 5 ms; the run ends at 6 ms. */
static void pinned_run(sqlite3 *db)
{
    schema(db);
    exec(db,
         "INSERT INTO runs (run_id, pid, exe, argv, started_ns, ended_ns, events, dropped, mode) "
         "VALUES (1, 11, '/bin/old', 'old', 0, 1000, 0, 0, 'lossless'),"
         "       (2, 4242, '/x/pinned', 'pinned 1', 5000000000, 5006000000, 9, 3, 'lossless');"
         "INSERT INTO classes VALUES (2, 2, 32, 2048), (2, 12, 256, 256);"
         "INSERT INTO events (run_id, seq, ts_ns, tid, type, class, ss, slab, stage, arg0, reason) VALUES"
         " (2, 1, 1000000, 7, 7, 2, NULL, NULL, NULL, 0, 0),"      /* lru_pop_miss */
         " (2, 2, 1000000, 7, 1, NULL, 1, NULL, NULL, 2097152, 0)," /* ss_map */
         " (2, 3, 1100000, 7, 9, 2, 1, 1, 4, 0, 0),"                 /* slab_acquire stage 3 */
         " (2, 4, 1200000, 7, 9, 2, 1, 2, 3, 0, 0),"                 /* slab_acquire stage 2 */
         " (2, 5, 3000000, 7, 11, 2, 1, 2, NULL, 2048, 0),"          /* slab_empty */
         " (2, 6, 3000000, 7, 12, 2, 1, 2, NULL, 0, 0),"             /* slab_release registry */
         " (2, 7, 4000000, 7, 10, 12, NULL, NULL, 0, 0, 0),"         /* stage_miss 0 */
         " (2, 8, 4000000, 7, 9, 12, 1, 2, 1, 0, 0),"                /* slab_acquire stage 0.5 */
         " (2, 9, 4500000, 7, 99, NULL, NULL, NULL, NULL, 0, 0);"    /* a type from the future */
         "INSERT INTO occupancy VALUES (2, 2000000, 2, 2, 3000, 4096),"
         " (2, 5000000, 2, 1, 1, 2048), (2, 5000000, 12, 1, 200, 256);");
}

START_TEST(test_replay_run)
{
    sqlite3 *db = new_db();
    pinned_run(db);
    sqlite3_close(db);
    char err[512] = "";
    struct top_replay *rp = top_replay_open(dbpath, 0, err, sizeof err);
    ck_assert_msg(rp != NULL, "open: expected the last run, got \"%s\"", err);
    struct top_sample s;
    top_replay_poll(rp, 0, &s);
    ck_assert_msg(s.pid == 4242 && strcmp(s.cmdline, "pinned 1") == 0 && s.duration_ns == 6000000,
                  "run 2: expected pid 4242, pinned 1, 6 ms, got %d '%s' %llu", s.pid, s.cmdline,
                  (unsigned long long)s.duration_ns);
    ck_assert_msg(s.state == TOP_REPLAY && s.nev == 0 && s.nss == 0 && s.dropped == 3,
                  "at 0: expected nothing yet, 3 dropped");
    ck_assert_msg(s.nclasses == 13 && s.class_size[12] == 256 && s.class_capacity[2] == 2048,
                  "classes: expected 13, 256 B for class 12, 2048 blocks for class 2");

    top_replay_poll(rp, 2000000, &s); /* t = 2 ms */
    ck_assert_msg(s.nev == 4 && s.head == 4 && s.ctr.ss_maps == 1 && s.ctr.lru_pop_miss == 1 &&
                      s.ctr.stage_hit[4] == 1 && s.ctr.stage_hit[3] == 1,
                  "at 2 ms: expected 4 events (pop miss, map, two acquisitions), got %zu", s.nev);
    ck_assert_msg(s.nss == 1 && s.ss[0].slab[1].state == HAKMEM_SLAB_OWNED && s.ss[0].slab[1].cls == 2,
                  "at 2 ms: expected SuperSlab 1 with slab 1 of class 2");
    ck_assert_msg(s.totals && s.totals[2].slabs == 2 && s.totals[2].used == 3000 && s.occ == TOP_OCC_CLASS,
                  "at 2 ms: expected the 2 ms sample, class 2: 2 slabs 3000 used");
    ck_assert_msg(s.ss[0].slab[1].used == 1500, "at 2 ms: expected each class-2 slab at its class's average, 1500, got %u",
                  s.ss[0].slab[1].used);

    top_replay_poll(rp, 1500000, &s); /* 3.5 ms */
    ck_assert_msg(s.ctr.empty == 1 && s.ctr.class_empty[2] == 1 && s.ctr.slab_release == 1 &&
                      s.ss[0].slab[2].state == HAKMEM_SLAB_EMPTY,
                  "at 3.5 ms: expected slab 2 EMPTY after one transition");
    top_replay_poll(rp, 1000000, &s); /* 4.5 ms */
    ck_assert_msg(s.ss[0].slab[2].state == HAKMEM_SLAB_OWNED && s.ss[0].slab[2].cls == 12 &&
                      s.ctr.stage_hit[1] == 1 && s.ctr.stage_miss[0] == 1,
                  "at 4.5 ms: expected slab 2 reused by class 12 at stage 0.5");
    ck_assert_msg(s.ev[s.nev - 1].type == 99 && s.ev[s.nev - 1].cls == 255,
                  "an unknown event type is passed on, NULL class as 255");
    top_replay_poll(rp, UINT64_MAX, &s);
    ck_assert_msg(s.state == TOP_REPLAY_END && s.now_ns == 6000000, "to the end: expected the end at 6 ms");
    ck_assert_msg(s.totals[2].slabs == 1 && s.totals[12].used == 200,
                  "at the end: expected the 5 ms sample (class 2 back to 1 slab: the group replaces)");
    top_replay_poll(rp, 1000, &s);
    ck_assert_msg(s.state == TOP_REPLAY_END && s.nev == 0 && s.head == 9, "after the end: nothing new");
    top_replay_close(rp);

    rp = top_replay_open(dbpath, 1, err, sizeof err);
    ck_assert_msg(rp != NULL, "--run 1: expected it, got \"%s\"", err);
    top_replay_poll(rp, UINT64_MAX, &s);
    ck_assert_msg(s.pid == 11 && s.head == 0 && s.occ == TOP_OCC_NONE && !s.have_used && !s.totals,
                  "run 1: expected no events, no occupancy samples");
    top_replay_close(rp);
    unlink(dbpath);
}
END_TEST

/* opening dbpath after prepare(db) fails with a message containing want */
static void refused(void (*prepare)(sqlite3 *), long run, const char *want)
{
    sqlite3 *db = new_db();
    if (prepare)
        prepare(db);
    sqlite3_close(db);
    char err[512] = "";
    struct top_replay *rp = top_replay_open(dbpath, run, err, sizeof err);
    ck_assert_msg(rp == NULL && strstr(err, want) && strstr(err, dbpath),
                  "expected a refusal naming the file and \"%s\", got %s \"%s\"", want,
                  rp ? "a replay" : "NULL", err);
    top_replay_close(rp);
    unlink(dbpath);
}

static void no_tables(sqlite3 *db)
{
    exec(db, "CREATE TABLE t (x);");
}

static void newer(sqlite3 *db)
{
    schema(db);
    exec(db, "PRAGMA user_version = 5;"); /* one past cli/store.h's HK_SCHEMA_VERSION */
}

static void no_runs(sqlite3 *db)
{
    schema(db);
}

START_TEST(test_replay_refused)
{
    refused(no_tables, 0, "is not a hakmem trace database (no runs and events tables)");
    refused(newer, 0, "has trace schema version 5; this hakmem-top reads version 4");
    refused(no_runs, 0, "holds no recorded run");
    refused(pinned_run, 5, "no run 5 in it (its runs: 1, 2)");
    snprintf(dbpath, sizeof dbpath, "/tmp/check_replay.XXXXXX");
    int fd = mkstemp(dbpath);
    ck_assert_msg(fd >= 0 && write(fd, "not sqlite, just some text\n", 27) == 27, "writing a text file");
    close(fd);
    char err[512] = "";
    struct top_replay *rp = top_replay_open(dbpath, 0, err, sizeof err);
    ck_assert_msg(rp == NULL && strstr(err, "is not a hakmem trace database"),
                  "a text file: expected a refusal, got \"%s\"", err);
    unlink(dbpath);
    rp = top_replay_open("/nonexistent/x.db", 0, err, sizeof err);
    ck_assert_msg(rp == NULL && strstr(err, "/nonexistent/x.db"), "a missing file: expected a refusal, got \"%s\"", err);
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("tui_replay");
    TCase *tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_slabmap);
    tcase_add_test(tc, test_slabmap_many);
    tcase_add_test(tc, test_replay_run);
    tcase_add_test(tc, test_replay_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(replay_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
