/* check_stacks.c — unit tests of tui/stacks.c: per-stack figures from sampled
 * alloc and free events, what was not seen, leaked bytes, rates, order,
 * totals given whole, expansion and the frames' names. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "top.h"

static struct top_stacks *st;
static uint64_t seq;
static int namer_calls;

/* Stack 1: libhakmem's own frame, then site_a and main; stack 2: none. */
static long namer(void *ctx, uint32_t id, struct hk_store_frame *out, size_t max)
{
    (void)ctx;
    namer_calls++;
    if (id != 1 || max < 3)
        return 0;
    memset(out, 0, 3 * sizeof *out);
    snprintf(out[0].function, sizeof out[0].function, "hk_profile_sample");
    snprintf(out[0].module, sizeof out[0].module, "/usr/lib/libhakmem.so");
    snprintf(out[1].function, sizeof out[1].function, "site_a");
    snprintf(out[1].file, sizeof out[1].file, "/src/prog.c");
    out[1].line = 12;
    snprintf(out[2].function, sizeof out[2].function, "main");
    snprintf(out[2].module, sizeof out[2].module, "/usr/bin/prog");
    out[2].fn_offset = 0x21;
    out[2].offset = 0x1234;
    return 3;
}

static void setup(void)
{
    st = top_stacks_new(1000, namer, NULL);
    ck_assert_msg(st != NULL, "top_stacks_new: expected a model");
    seq = 0;
    namer_calls = 0;
}

static void teardown(void)
{
    top_stacks_free(st);
}

/* One sampled alloc of block bytes at addr by stack, weight w allocations,
 * at ts (ns since the start). */
static void alloc_at(uint64_t addr, uint32_t stack, uint32_t bytes, uint64_t w, uint64_t ts)
{
    struct hakmem_event e = { .seq = ++seq, .ts_ns = 1000 + ts, .type = HAKMEM_EV_ALLOC,
                              .ss_addr = addr, .arg0 = bytes, .arg1 = w * HAKMEM_WEIGHT_ONE,
                              .reason = bytes, .stack_id = stack };
    top_stacks_feed(st, &e, 1);
}

static void free_at(uint64_t addr)
{
    struct hakmem_event e = { .seq = ++seq, .type = HAKMEM_EV_FREE, .ss_addr = addr };
    top_stacks_feed(st, &e, 1);
}

static const struct top_stack_row *row_of(uint32_t stack)
{
    const struct top_stack_row *r;
    size_t n = top_stacks_rows(st, &r);
    for (size_t i = 0; i < n; i++)
        if (r[i].stack_id == stack)
            return &r[i];
    return NULL;
}

START_TEST(test_figures)
{
    alloc_at(0x100, 1, 64, 1, 0);
    alloc_at(0x200, 1, 64, 1, 0);
    alloc_at(0x300, 2, 100, 3, 0); /* a sample standing for 3 allocations: 300 B */
    free_at(0x200);
    top_stacks_update(st, 10, 0);
    const struct top_stack_row *a = row_of(1), *b = row_of(2);
    ck_assert_msg(a && b, "expected rows for stacks 1 and 2");
    ck_assert_msg(a->allocs == 2 && a->alloc_weight == 2 * HAKMEM_WEIGHT_ONE,
                  "stack 1: expected 2 allocations of weight 1, got %llu (weight %llu)",
                  (unsigned long long)a->allocs, (unsigned long long)a->alloc_weight);
    ck_assert_msg(a->bytes == 128 && a->in_use == 64 && a->live == 1,
                  "stack 1: expected 128 B allocated, 64 B in 1 live block, got %llu, %llu, %llu",
                  (unsigned long long)a->bytes, (unsigned long long)a->in_use,
                  (unsigned long long)a->live);
    ck_assert_msg(b->in_use == 300 && b->bytes == 300, "stack 2: expected 300 B (3 x 100), got %llu",
                  (unsigned long long)b->in_use);
    const struct top_stacks_seen *n = top_stacks_seen(st);
    ck_assert_msg(n->allocs == 3 && n->frees == 1 && !n->unmatched && !n->missed,
                  "expected 3 allocs, 1 free seen, nothing missed");
}
END_TEST

START_TEST(test_unseen)
{
    free_at(0x900); /* allocated before the first event seen */
    alloc_at(0x100, 1, 64, 1, 0);
    alloc_at(0x100, 1, 64, 1, 0); /* at a live block's address: its free was not seen */
    seq += 5;                     /* five events skipped */
    alloc_at(0x200, 1, 64, 1, 0);
    struct hakmem_event again = { .seq = 2, .type = HAKMEM_EV_ALLOC, .ss_addr = 0x400,
                                  .arg1 = HAKMEM_WEIGHT_ONE, .reason = 64, .stack_id = 1 };
    top_stacks_feed(st, &again, 1); /* seen already: ignored */
    top_stacks_update(st, 10, 0);
    const struct top_stacks_seen *n = top_stacks_seen(st);
    ck_assert_msg(n->unmatched == 1, "expected 1 free of an unseen alloc, got %llu",
                  (unsigned long long)n->unmatched);
    ck_assert_msg(n->lost_frees == 1, "expected 1 lost free, got %llu",
                  (unsigned long long)n->lost_frees);
    ck_assert_msg(n->missed == 5, "expected 5 events missed, got %llu", (unsigned long long)n->missed);
    ck_assert_msg(row_of(1)->live == 2 && row_of(1)->in_use == 128,
                  "stack 1: expected 2 live blocks (the lost one gone), got %llu",
                  (unsigned long long)row_of(1)->live);
    struct hakmem_event replayed = { .seq = 0, .type = HAKMEM_EV_FREE, .ss_addr = 0x200 };
    top_stacks_feed(st, &replayed, 1);
    ck_assert_msg(top_stacks_seen(st)->missed == 5, "seq 0 (replay): expected no gap counted");
}
END_TEST

START_TEST(test_leaked)
{
    alloc_at(0x1, 1, 10, 1, 0);
    alloc_at(0x2, 1, 10, 1, 0);
    alloc_at(0x3, 1, 10, 1, 0);
    alloc_at(0x4, 2, 20, 1, 0);
    alloc_at(0x5, 2, 20, 1, 0);
    free_at(0x3); /* stack 1's youngest: 0x1 and 0x2 outlived it */
    free_at(0x4); /* stack 2's oldest: 0x5 is younger */
    top_stacks_update(st, 10, 0);
    ck_assert_msg(row_of(1)->leaked == 20, "stack 1: expected 20 B leaked so far, got %llu",
                  (unsigned long long)row_of(1)->leaked);
    ck_assert_msg(row_of(2)->leaked == 0, "stack 2: expected nothing leaked, got %llu",
                  (unsigned long long)row_of(2)->leaked);
    top_stacks_update(st, 20, 1);
    ck_assert_msg(row_of(2)->leaked == 20 && row_of(1)->leaked == 20,
                  "exited: expected every byte in use leaked (20, 20), got %llu, %llu",
                  (unsigned long long)row_of(1)->leaked, (unsigned long long)row_of(2)->leaked);
}
END_TEST

START_TEST(test_rates)
{
    alloc_at(0x1, 1, 10, 1, 1000000000u);
    alloc_at(0x2, 1, 10, 1, 1000000000u);
    top_stacks_update(st, 2000000000u, 0); /* 2 allocations in the second since the first */
    ck_assert_msg(row_of(1)->per_s > 1.99 && row_of(1)->per_s < 2.01,
                  "first update: expected 2/s since the first alloc seen, got %f", row_of(1)->per_s);
    for (uint64_t i = 0; i < 10; i++)
        alloc_at(0x10 + i, 1, 10, 1, 3000000000u);
    top_stacks_update(st, 4000000000u, 0);
    ck_assert_msg(row_of(1)->per_s > 4.99 && row_of(1)->per_s < 5.01,
                  "expected 10 allocations in 2 s: 5/s, got %f", row_of(1)->per_s);
    top_stacks_update(st, 4000000000u, 0);
    ck_assert_msg(row_of(1)->per_s > 4.99, "no time passed: expected the rate kept, got %f",
                  row_of(1)->per_s);
}
END_TEST

START_TEST(test_sort)
{
    alloc_at(0x1, 1, 100, 1, 0); /* in use 100, 1 allocation */
    alloc_at(0x2, 2, 10, 1, 0);
    alloc_at(0x3, 2, 10, 1, 0);
    alloc_at(0x4, 2, 10, 1, 0); /* in use 30, 3 allocations */
    alloc_at(0x5, 3, 100, 1, 0); /* ties stack 1 on in use */
    top_stacks_update(st, 10, 0);
    const struct top_stack_row *r;
    top_stacks_rows(st, &r);
    ck_assert_msg(r[0].stack_id == 1 && r[1].stack_id == 3 && r[2].stack_id == 2,
                  "in use: expected stacks 1, 3 (a tie, by id), 2, got %u %u %u", r[0].stack_id,
                  r[1].stack_id, r[2].stack_id);
    ck_assert_msg(top_stacks_sort_by_key(st, 'n'), "n: expected a sort key");
    ck_assert_msg(r[0].stack_id == 2, "allocations: expected stack 2 first, got %u", r[0].stack_id);
    top_stacks_sort_step(st, 0);
    int rev;
    ck_assert_msg(top_stacks_sort_key(st, &rev) == TOP_SSORT_ALLOCS && rev,
                  "step 0: expected allocations, reversed");
    ck_assert_msg(r[2].stack_id == 2, "reversed: expected stack 2 last, got %u", r[2].stack_id);
    top_stacks_sort_step(st, 1);
    ck_assert_msg(top_stacks_sort_key(st, &rev) == TOP_SSORT_IN_USE,
                  "step 1 from the last key: expected in use again");
    ck_assert_msg(!top_stacks_sort_by_key(st, 'z'), "z: expected no sort key");
    for (int i = 0; i < TOP_SSORT_COUNT; i++)
        ck_assert_msg(top_stacks_sort_by_key(st, top_stack_sort_keys[i].key),
                      "key %c: expected a sort key", top_stack_sort_keys[i].key);
}
END_TEST

START_TEST(test_totals_only)
{
    struct top_stack_row r = { .stack_id = 7, .allocs = 4, .alloc_weight = 4 * HAKMEM_WEIGHT_ONE,
                               .bytes = 400, .live = 2, .in_use = 200, .leaked = 200, .per_s = 2.5 };
    top_stacks_set_site(st, &r);
    top_stacks_update(st, 5000000000u, 0);
    const struct top_stack_row *g = row_of(7);
    ck_assert_msg(top_stacks_totals_only(st), "expected totals only");
    ck_assert_msg(g && g->in_use == 200 && g->leaked == 200 && g->per_s == 2.5,
                  "totals: expected the row as given (in use 200, leaked 200, 2.5/s)");
}
END_TEST

START_TEST(test_toggle)
{
    alloc_at(0x1, 1, 100, 1, 0);
    top_stacks_update(st, 10, 0);
    ck_assert_msg(top_stacks_toggle(st, 0) == 1, "toggle: expected expanded");
    top_stacks_update(st, 20, 0);
    ck_assert_msg(row_of(1)->expanded, "expected the expansion kept across updates");
    ck_assert_msg(top_stacks_toggle(st, 0) == 0, "toggle again: expected collapsed");
    ck_assert_msg(top_stacks_toggle(st, 5) == -1, "no row 5: expected -1");
}
END_TEST

START_TEST(test_names)
{
    alloc_at(0x1, 1, 100, 1, 0);
    alloc_at(0x2, 2, 100, 1, 0);
    alloc_at(0x3, 0, 100, 1, 0);
    top_stacks_update(st, 10, 0);
    const struct top_stack_name *n = top_stacks_name(st, 1);
    ck_assert_msg(n && n->n == 2, "stack 1: expected 2 frames outside libhakmem, got %u",
                  n ? n->n : 0);
    ck_assert_msg(strcmp(n->frame[0], "site_a prog.c:12") == 0,
                  "stack 1: expected the site 'site_a prog.c:12', got '%s'", n->frame[0]);
    ck_assert_msg(strcmp(n->frame[1], "main+0x21 (prog+0x1234)") == 0,
                  "stack 1: expected the caller 'main+0x21 (prog+0x1234)', got '%s'", n->frame[1]);
    int calls = namer_calls;
    top_stacks_name(st, 1);
    ck_assert_msg(namer_calls == calls, "named twice: expected the namer asked once");
    ck_assert_msg(strcmp(top_stacks_name(st, 2)->frame[0], "(stack 2: no frames)") == 0,
                  "stack 2: expected '(stack 2: no frames)', got '%s'", top_stacks_name(st, 2)->frame[0]);
    ck_assert_msg(strcmp(top_stacks_name(st, 0)->frame[0], "(no stack)") == 0,
                  "stack 0: expected '(no stack)'");
    ck_assert_msg(top_stacks_name(st, 9) == NULL, "stack 9 (no figures): expected NULL");
}
END_TEST

static Suite *stacks_suite(void)
{
    Suite *s = suite_create("tui_stacks");
    TCase *tc = tcase_create("stacks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_figures);
    tcase_add_test(tc, test_unseen);
    tcase_add_test(tc, test_leaked);
    tcase_add_test(tc, test_rates);
    tcase_add_test(tc, test_sort);
    tcase_add_test(tc, test_totals_only);
    tcase_add_test(tc, test_toggle);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(stacks_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
