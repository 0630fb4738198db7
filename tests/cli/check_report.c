/* check_report.c — unit tests of cli/report.c: the numbers of every section
 * read back from a run stored through the sink, and the printed report. */
#include "unit.h"

static char path[256];
static sqlite3 *db;
static struct hk_report rep;

/* A run: 3 SuperSlab maps (one trimmed, one after the first EMPTY), one
 * unmap, LRU push/pop/evict, two classes through the stages, EMPTY slabs,
 * a pinned slab sampled at 2 of 2048 blocks. */
static void setup(void)
{
    char err[HK_ERR_MAX];
    db = unit_db(path, sizeof path);
    struct hk_sink s;
    struct hk_run_info info = unit_info();
    ck_assert_int_eq(hk_sink_open(&s, db, &info, 1, err, sizeof err), 0);
    struct hakmem_event ev[] = {
        unit_ev(1, HAKMEM_EV_THREAD_START, 255, 255, 0, 0, 7, 0),
        unit_ev(2, HAKMEM_EV_STAGE_MISS, 1, 0, 0, 0, 0, 0),
        unit_ev(3, HAKMEM_EV_STAGE_MISS, 1, 1, 0, 0, 0, 0),
        unit_ev(4, HAKMEM_EV_STAGE_MISS, 1, 2, 0, 0, 0, 0),
        unit_ev(5, HAKMEM_EV_STAGE_MISS, 1, 3, 0, 0, 0, 0),
        unit_ev(6, HAKMEM_EV_LRU_POP_MISS, 1, 4, 0, 0, 0, 256),
        unit_ev(7, HAKMEM_EV_SS_MAP, 255, 255, 1, 0, 2u << 20, 1),
        unit_ev(8, HAKMEM_EV_SLAB_ACQUIRE, 1, 4, 1, 1, 0, 0),
        unit_ev(9, HAKMEM_EV_STAGE_MISS, 3, 0, 0, 0, 0, 0),
        unit_ev(10, HAKMEM_EV_STAGE_MISS, 3, 1, 0, 0, 0, 0),
        unit_ev(11, HAKMEM_EV_STAGE_MISS, 3, 2, 0, 0, 0, 0),
        unit_ev(12, HAKMEM_EV_SLAB_ACQUIRE, 3, 3, 1, 2, 0, 0),
        unit_ev(13, HAKMEM_EV_SLAB_EMPTY, 3, 255, 1, 2, 256, 0),
        unit_ev(14, HAKMEM_EV_SLAB_RELEASE, 3, 255, 1, 2, 0, 0),
        unit_ev(15, HAKMEM_EV_STAGE_MISS, 3, 0, 0, 0, 0, 0),
        unit_ev(16, HAKMEM_EV_SLAB_ACQUIRE, 3, 1, 1, 2, 0, 0),
        unit_ev(17, HAKMEM_EV_LRU_PUSH, 255, 255, 1, 0, 1, 256),
        unit_ev(18, HAKMEM_EV_LRU_POP_HIT, 1, 4, 1, 0, 0, 256),
        unit_ev(19, HAKMEM_EV_SS_MAP, 255, 255, 2, 0, 2u << 20, 0),
        unit_ev(20, HAKMEM_EV_SS_MAP, 255, 255, 3, 0, 2u << 20, 0),
        unit_ev(21, HAKMEM_EV_LRU_EVICT, 255, 255, 3, 0, 0, 256),
        unit_ev(22, HAKMEM_EV_SS_UNMAP, 255, 255, 3, 0, 2u << 20, 2),
        unit_ev(23, HAKMEM_EV_LARGE_MAP, 255, 255, 0, 0, 1u << 20, 0),
    };
    ev[20].reason = 2; /* the eviction: TTL */
    size_t n = sizeof ev / sizeof ev[0];
    ck_assert_int_eq(hk_sink_add(&s, ev, n, err, sizeof err), 0);
    hk_tally_occupancy(s.tally, 1, 1, 2, 2048, 0);
    hk_sink_counts(&s, 1, 0);
    ck_assert_int_eq(hk_sink_close(&s, 1000000001, 0, err, sizeof err), 0);
    ck_assert_msg(hk_report_load(db, 1, &rep, err, sizeof err) == 0, "load: %s", err);
}

static void teardown(void)
{
    hk_db_close(db);
    unlink(path);
}

START_TEST(run_header)
{
    ck_assert_int_eq(rep.pid, 42);
    ck_assert_int_eq(rep.events, 23);
    ck_assert_int_eq(rep.dropped, 1);
    ck_assert_int_eq(rep.exit_status, 0);
    ck_assert_int_eq(rep.duration_ns, 1000000000);
    ck_assert_str_eq(rep.mode, "lossless");
    ck_assert_int_eq(rep.threads, 1);
}
END_TEST

START_TEST(maps_and_lru)
{
    ck_assert_int_eq(rep.ss_maps, 3);
    ck_assert_int_eq(rep.ss_map_bytes, 3 * (2 << 20));
    ck_assert_int_eq(rep.ss_trims, 1);
    ck_assert_int_eq(rep.ss_unmaps, 1);
    ck_assert_int_eq(rep.maps_after_empty, 2);
    ck_assert_int_eq(rep.large_maps, 1);
    ck_assert_int_eq(rep.large_map_bytes, 1 << 20);
    ck_assert_int_eq(rep.lru_push, 1);
    ck_assert_int_eq(rep.lru_pop_hit, 1);
    ck_assert_int_eq(rep.lru_pop_miss, 1);
    ck_assert_int_eq(rep.lru_evict, 1);
    ck_assert_int_eq(rep.evict_reason[2], 1);
    ck_assert_int_eq(rep.cls[1].lru_miss, 1);
    ck_assert_int_eq(rep.cls[1].lru_hit, 1);
}
END_TEST

START_TEST(stages_and_empty)
{
    ck_assert_int_eq(rep.miss[0], 3);
    ck_assert_int_eq(rep.miss[1], 2);
    ck_assert_int_eq(rep.miss[2], 2);
    ck_assert_int_eq(rep.miss[3], 1);
    ck_assert_int_eq(rep.hit[1], 1);
    ck_assert_int_eq(rep.hit[3], 1);
    ck_assert_int_eq(rep.hit[4], 1);
    ck_assert_int_eq(rep.cls[3].hit[3], 1);
    ck_assert_int_eq(rep.cls[3].hit[1], 1);
    ck_assert_int_eq(rep.empty, 1);
    ck_assert_int_eq(rep.released, 1);
    ck_assert_int_eq(rep.cls[3].empty, 1);
    ck_assert_int_eq(rep.cls[3].block_size, 256);
}
END_TEST

START_TEST(slabs_never_empty)
{
    ck_assert_int_eq(rep.slabs, 2);
    ck_assert_int_eq(rep.never_empty, 1);
    ck_assert_int_eq(rep.live_at_end, 2);
    ck_assert_int_eq(rep.cls[1].never_empty, 1);
    ck_assert_int_eq(rep.cls[1].occ_used, 2);
    ck_assert_int_eq(rep.cls[1].occ_capacity, 2048);
    ck_assert_int_eq(rep.cls[3].occ_capacity, -1);
}
END_TEST

START_TEST(printed_report_has_every_section)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    hk_report_print(&rep, out);
    fclose(out);
    static const char *const want[] = {
        "run 1: unit test (pid 42)",
        "23 events, 1 dropped, 0 lost, 1.000 s, exit status 0",
        "maps 3 (6.0 MiB; 1 alignment trims; 2 after the first EMPTY slab)",
        "unmaps 1 (2.0 MiB)",
        "push 1, pop hit 1, pop miss 1 (hit rate 50%), evict 1 (count 0, memory 0, ttl 1, trim 0)",
        "fallthrough: stage 0 missed 3 -> 0.5 served 1, missed 2 -> 1 served 0, missed 2 -> 2 "
        "served 1, missed 1 -> 3 served 1 (1 LRU hits, 1 new maps)",
        "2 / 2048 blocks (0.1%)",
        "Verdict",
        "[dropped-events]",
        "[empty-reused]",
        "[lru-reused]",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(buf, want[i]), "report: expected '%s' in\n%s", want[i], buf);
    free(buf);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/report");
    TCase *t = tcase_create("report");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, run_header);
    tcase_add_test(t, maps_and_lru);
    tcase_add_test(t, stages_and_empty);
    tcase_add_test(t, slabs_never_empty);
    tcase_add_test(t, printed_report_has_every_section);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
