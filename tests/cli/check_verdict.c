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

START_TEST(pinned_slabs_need_low_occupancy)
{
    r.never_empty = 23;
    r.nclasses = 3;
    r.cls[2].never_empty = 20;
    r.cls[2].occ_used = 40;
    r.cls[2].occ_capacity = 20 * 2048;
    r.cls[1].occ_capacity = -1;
    const struct hk_verdict *x = find("pinned-slabs");
    ck_assert_msg(x && strstr(x->text, "20 slabs never reached EMPTY with 0.1% of their blocks"),
                  "got '%s'", x ? x->text : "nothing");
    r.cls[2].occ_used = 20 * 1024;
    ck_assert_msg(!find("pinned-slabs"), "50%% occupancy: not pinned by a few blocks");
    r.cls[2].occ_capacity = -1;
    r.cls[2].occ_used = -1;
    x = find("pinned-slabs");
    ck_assert_msg(x && strstr(x->text, "23 slabs were acquired and none ever reached EMPTY"),
                  "unsampled, no EMPTY: got '%s'", x ? x->text : "nothing");
    r.empty = 1;
    ck_assert_msg(!find("pinned-slabs"), "unsampled with EMPTY transitions: no verdict");
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
    tcase_add_test(t, pinned_slabs_need_low_occupancy);
    tcase_add_test(t, stage3_and_churn);
    tcase_add_test(t, dropped_comes_first_and_healthy_says_nothing);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
