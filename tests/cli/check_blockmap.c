/* check_blockmap.c — unit tests of cli/blockmap.c: records found by address after
 * the index and the records grew, removals keep other keys and records in place
 * and free records are reused, iteration sees exactly the live ones. */
#include "unit.h"

struct rec {
    uint64_t addr;
    uint64_t value;
};

/* Block-like addresses: 16-byte aligned, in a few dense runs. */
static uint64_t addr_of(uint64_t i)
{
    return 0x7f0000000000ull + (i / 1000) * 0x100000 + (i % 1000) * 16;
}

START_TEST(found_after_growth)
{
    struct hk_blockmap m;
    ck_assert_int_eq(hk_blockmap_init(&m, sizeof(struct rec)), 0);
    for (uint64_t i = 0; i < 100000; i++) {
        struct rec *r = hk_blockmap_add(&m, addr_of(i));
        ck_assert_msg(r && r->addr == addr_of(i) && r->value == 0,
                      "add %llu: a zeroed record with its address", (unsigned long long)i);
        r->value = i * 3;
    }
    ck_assert_msg(m.live == 100000, "live: expected 100000, got %zu", m.live);
    ck_assert_msg(2 * m.live <= m.cap, "index at most half full: %zu of %zu", m.live, m.cap);
    for (uint64_t i = 0; i < 100000; i++) {
        struct rec *r = hk_blockmap_find(&m, addr_of(i));
        ck_assert_msg(r && r->value == i * 3, "key %llu lost after growth", (unsigned long long)i);
    }
    ck_assert_msg(!hk_blockmap_find(&m, addr_of(100000)), "an absent key: expected NULL");
    ck_assert_msg(!hk_blockmap_add(&m, addr_of(5)), "a second add of a key: expected NULL");
    ck_assert_msg(!hk_blockmap_add(&m, 0), "address 0: expected NULL");
    hk_blockmap_free(&m);
}
END_TEST

START_TEST(removal_keeps_others_and_reuses_records)
{
    struct hk_blockmap m;
    ck_assert_int_eq(hk_blockmap_init(&m, sizeof(struct rec)), 0);
    struct rec *kept[3000];
    for (uint64_t i = 0; i < 3000; i++)
        ((struct rec *)hk_blockmap_add(&m, addr_of(i)))->value = i;
    for (uint64_t i = 0; i < 3000; i++) /* where they are once the records stopped growing */
        kept[i] = hk_blockmap_find(&m, addr_of(i));
    size_t span = hk_blockmap_span(&m);
    for (int round = 0; round < 50; round++) {
        for (uint64_t i = 0; i < 3000; i += 2)
            hk_blockmap_remove(&m, hk_blockmap_find(&m, addr_of(i)));
        for (uint64_t i = 1; i < 3000; i += 2) {
            struct rec *r = hk_blockmap_find(&m, addr_of(i));
            ck_assert_msg(r == kept[i] && r->value == i,
                          "round %d: key %llu moved or lost by a removal", round,
                          (unsigned long long)i);
        }
        for (uint64_t i = 0; i < 3000; i += 2)
            ck_assert_msg(!hk_blockmap_find(&m, addr_of(i)), "round %d: removed key %llu found",
                          round, (unsigned long long)i);
        for (uint64_t i = 0; i < 3000; i += 2) {
            kept[i] = hk_blockmap_add(&m, addr_of(i));
            ck_assert_msg(kept[i], "round %d: add %llu after removal", round,
                          (unsigned long long)i);
            kept[i]->value = i;
        }
    }
    ck_assert_msg(hk_blockmap_span(&m) == span, "freed records reused: span %zu, was %zu",
                  hk_blockmap_span(&m), span);
    size_t live = 0;
    for (size_t i = 0; i < hk_blockmap_span(&m); i++)
        live += hk_blockmap_at(&m, i) != NULL;
    ck_assert_msg(live == 3000 && m.live == 3000, "iteration sees the 3000 live: %zu (map %zu)",
                  live, m.live);
    hk_blockmap_remove(&m, kept[1]);
    ck_assert_msg(!hk_blockmap_at(&m, (size_t)((char *)kept[1] - m.recs) / m.rec_size),
                  "a removed record is not among the live ones");
    hk_blockmap_free(&m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/blockmap");
    TCase *t = tcase_create("blockmap");
    tcase_add_test(t, found_after_growth);
    tcase_add_test(t, removal_keeps_others_and_reuses_records);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
