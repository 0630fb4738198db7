/* check_verdict.c — unit tests of cli/verdict.c: each rule fires on the
 * numbers it names, stays quiet otherwise, and says so in plain words. */
#include "unit.h"

static struct hk_report r;
static struct hk_verdict v[HK_VERDICT_MAX];

static void setup(void)
{
    memset(&r, 0, sizeof r);
}

/* The verdict of rule, or NULL. */
static const struct hk_verdict *find(const char *rule)
{
    int n = hk_verdicts(&r, v, HK_VERDICT_MAX);
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].rule, rule) == 0)
            return &v[i];
    return NULL;
}

START_TEST(seed_lru_never_populated)
{
    r.ss_maps = 412;
    r.lru_pop_miss = 2;
    const struct hk_verdict *x = find("lru-never-populated");
    ck_assert_msg(x && x->bad, "the seed's numbers: expected lru-never-populated");
    const char *want = "LRU cache never populated: 0 pushes, 0 EMPTY slabs, 412 SuperSlab maps: "
                       "no slab ever reached EMPTY, so no SuperSlab could be freed to the cache";
    ck_assert_msg(strcmp(x->text, want) == 0, "expected '%s', got '%s'", want, x->text);
    r.lru_push = 1;
    ck_assert_msg(!find("lru-never-populated"), "one push: the cache was populated");
    r.lru_push = 0;
    r.ss_maps = 3;
    ck_assert_msg(!find("lru-never-populated"), "3 maps: below the threshold of 4");
}
END_TEST

START_TEST(empty_reuse_both_ways)
{
    r.empty = 190;
    r.maps_after_empty = 2;
    const struct hk_verdict *x = find("empty-not-reused");
    ck_assert_msg(x && x->bad, "EMPTY slabs, no stage-0.5 hit, new maps: expected empty-not-reused");
    ck_assert_msg(strstr(x->text, "190 EMPTY transitions, 0 stage-0.5 hits, 2 new SuperSlab maps"),
                  "got '%s'", x->text);
    r.hit[1] = 65;
    ck_assert_msg(!find("empty-not-reused"), "stage-0.5 hits: reused");
    x = find("empty-reused");
    ck_assert_msg(x && !x->bad && strstr(x->text, "65 stage-0.5 hits for 190 EMPTY transitions"),
                  "expected empty-reused, got '%s'", x ? x->text : "nothing");
    r.empty = 0;
    ck_assert_msg(!find("empty-reused") && !find("empty-not-reused"), "no EMPTY: neither rule");
}
END_TEST

/* The legacy run of examples/pinned: maps while mostly-free SuperSlabs lay unused. */
static void pinned_legacy(void)
{
    r.have_evidence = 1;
    r.ss_maps = 7;
    r.lru_push = 2;
    r.empty = 188;
    r.maps_after_empty = 2;
    r.maps_while_idle = 2;
    r.idle_unused_kib = 7935;
    r.idle_superslabs = 4;
    r.idle_holding = 5;
}

START_TEST(lru_needs_unused_memory_at_maps)
{
    pinned_legacy();
    const struct hk_verdict *x = find("lru-never-populated");
    ck_assert_msg(x && x->bad && strstr(x->text, "not populated when it mattered: 2 of 7 SuperSlab "
                                                 "maps") && strstr(x->text, "4 of them, 7.7 MiB"),
                  "maps while 4 SuperSlabs were mostly free: got '%s'", x ? x->text : "nothing");
    r.lru_push = 0;
    x = find("lru-never-populated");
    ck_assert_msg(x && strstr(x->text, "never populated: 0 pushes"), "no push: got '%s'",
                  x ? x->text : "nothing");
    r.maps_while_idle = 0;
    r.idle_unused_kib = 0;
    ck_assert_msg(!find("lru-never-populated"),
                  "maps while every SuperSlab was mostly in use: the memory is in use, no verdict");
    r.maps_while_idle = 2;
    r.idle_unused_kib = 512;
    ck_assert_msg(!find("lru-never-populated"), "512 KiB unused at the maps: below 1 MiB");
    r.idle_unused_kib = 7935;
    r.have_evidence = 0;
    r.empty = 188;
    ck_assert_msg(!find("lru-never-populated"),
                  "no evidence (a version-1 file) and EMPTY slabs: the old rule stays quiet");
}
END_TEST

START_TEST(empty_not_reused_needs_unused_memory)
{
    pinned_legacy();
    const struct hk_verdict *x = find("empty-not-reused");
    ck_assert_msg(x && x->bad, "the legacy run: expected empty-not-reused");
    r.maps_while_idle = 0;
    ck_assert_msg(!find("empty-not-reused"),
                  "maps after EMPTY slabs, but none while memory lay unused (spares reused "
                  "them): no verdict");
}
END_TEST

START_TEST(pinned_slabs_at_maps_or_at_the_exact_end)
{
    pinned_legacy();
    const struct hk_verdict *x = find("pinned-slabs");
    ck_assert_msg(x && x->bad && strstr(x->text, "5 slabs with live blocks pinned 4 mostly-free "
                                                 "SuperSlabs (7.7 MiB unused)"),
                  "got '%s'", x ? x->text : "nothing");
    r.idle_holding = 33;
    ck_assert_msg(!find("pinned-slabs"), "33 slabs hold 4 SuperSlabs: more than a few blocks");
    memset(&r, 0, sizeof r);
    r.end_final = 1;
    r.pinned = 20;
    r.pinned_used = 40;
    r.pinned_capacity = 20 * 2048;
    r.ss_map_bytes = 4 << 20;
    x = find("pinned-slabs");
    ck_assert_msg(x && strstr(x->text, "20 slabs never reached EMPTY and hold 0.10% of their blocks")
                    && strstr(x->text, "1.2 MiB of the 4.0 MiB"),
                  "at the exact end: got '%s'", x ? x->text : "nothing");
    r.end_final = 0;
    ck_assert_msg(!find("pinned-slabs"), "a periodic sample never decides");
    r.end_final = 1;
    r.pinned = 15;
    ck_assert_msg(!find("pinned-slabs"), "15 pinned slabs: below the threshold of 16");
    r.pinned = 20;
    r.ss_map_bytes = 6 << 20;
    ck_assert_msg(!find("pinned-slabs"), "20 slabs of 6 MiB mapped: under a quarter, no verdict");
}
END_TEST

/* Two sites pin 40 of 60 never-EMPTY slabs together (25 + 20, 5 shared). */
static void pins(void)
{
    r.have_profile = 1;
    r.never_empty = 60;
    r.npin_sites = 3;
    const int64_t slabs[] = { 25, 20, 3 }, together[] = { 25, 40, 42 };
    for (int i = 0; i < 3; i++) {
        r.pin_site[i].stack_id = i + 1;
        r.pin_site[i].slabs = slabs[i];
        r.pin_site[i].together = together[i];
        snprintf(r.pin_site[i].site, sizeof r.pin_site[i].site, "site%d prog.c:%d", i + 1, 10 + i);
    }
}

START_TEST(pinned_by_names_the_top_site)
{
    pins();
    const struct hk_verdict *x = find("pinned-by");
    ck_assert_msg(x && x->bad, "2 sites pin 40 of 60 never-EMPTY slabs: expected pinned-by");
    const char *want;
    want = "2 call sites pin 40 of the 60 slabs kept from EMPTY (60 never reached EMPTY) "
                       "with their live blocks; the top one, site1 prog.c:10, 25 (hakmem-trace profile lists "
                       "them)";
    ck_assert_msg(strcmp(x->text, want) == 0, "expected '%s', got '%s'", want, x->text);
    r.pin_site[0].together = 30;
    x = find("pinned-by");
    ck_assert_msg(x && strncmp(x->text, "1 call site pins 30 of the 60", 29) == 0,
                  "the top site alone pins half: expected '1 call site pins 30 ...', got '%s'",
                  x ? x->text : "nothing");
    r.pin_site[0].callers = 4; /* its frame has four callers in the sampled stacks */
    snprintf(r.pin_site[0].top_caller, sizeof r.pin_site[0].top_caller, "parse prog.c:77");
    x = find("pinned-by");
    want = "1 call site pins 30 of the 60 slabs kept from EMPTY (60 never reached EMPTY) with their "
           "live blocks; the top one, site1 prog.c:10 (reached from 4 callers in the sampled stacks, "
           "as a wrapper such as xmalloc is; the most bytes from parse prog.c:77), 25 (hakmem-trace "
           "profile lists them)";
    ck_assert_msg(x && strcmp(x->text, want) == 0, "a wrapper: expected '%s', got '%s'", want,
                  x ? x->text : "nothing");
}
END_TEST

START_TEST(pinned_by_stays_quiet_without_evidence)
{
    pins();
    r.pin_site[1].together = r.pin_site[2].together = 29;
    ck_assert_msg(!find("pinned-by"), "three sites pin under half (29 of 60): quiet");
    pins();
    r.have_profile = 0;
    ck_assert_msg(!find("pinned-by"), "no heap profile: quiet");
    pins();
    r.never_empty = 3;
    r.pin_site[0].together = 3;
    ck_assert_msg(!find("pinned-by"), "3 never-EMPTY slabs: below the threshold of 4");
}
END_TEST

START_TEST(stage3_and_churn)
{
    r.miss[0] = 100;
    r.hit[4] = 51;
    const struct hk_verdict *x = find("stage3-dominates");
    ck_assert_msg(x && strstr(x->text, "51 of 100 slab requests (51%)"), "got '%s'",
                  x ? x->text : "nothing");
    r.hit[4] = 50;
    ck_assert_msg(!find("stage3-dominates"), "half: not dominant");
    r.ss_unmaps = 4;
    r.lru_evict = 4;
    r.evict_reason[2] = 4;
    x = find("superslab-churn");
    ck_assert_msg(x && strstr(x->text, "ttl 4"), "got '%s'", x ? x->text : "nothing");
    r.lru_evict = 3;
    ck_assert_msg(!find("superslab-churn"), "3 evictions: below the threshold");
}
END_TEST

START_TEST(dropped_comes_first_and_healthy_says_nothing)
{
    ck_assert_int_eq(hk_verdicts(&r, v, HK_VERDICT_MAX), 0);
    r.lost = 2;
    r.lru_pop_hit = 3;
    r.lru_pop_miss = 1;
    int n = hk_verdicts(&r, v, HK_VERDICT_MAX);
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(v[0].rule, "dropped-events");
    ck_assert_str_eq(v[1].rule, "lru-reused");
    ck_assert_msg(strstr(v[1].text, "served 3 of 4"), "got '%s'", v[1].text);
    ck_assert_int_eq(hk_verdicts(&r, v, 1), 1);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/verdict");
    TCase *t = tcase_create("verdict");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_add_test(t, seed_lru_never_populated);
    tcase_add_test(t, empty_reuse_both_ways);
    tcase_add_test(t, lru_needs_unused_memory_at_maps);
    tcase_add_test(t, empty_not_reused_needs_unused_memory);
    tcase_add_test(t, pinned_slabs_at_maps_or_at_the_exact_end);
    tcase_add_test(t, pinned_by_names_the_top_site);
    tcase_add_test(t, pinned_by_stays_quiet_without_evidence);
    tcase_add_test(t, stage3_and_churn);
    tcase_add_test(t, dropped_comes_first_and_healthy_says_nothing);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
