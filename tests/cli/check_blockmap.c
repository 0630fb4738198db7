/* check_blockmap.c — unit tests of cli/blockmap.c: records found by address after
 * the index and the records grew, removals keep other keys and records in place
 * and free records are reused, iteration sees exactly the live ones, put finds
 * or makes a record in one look-up, removal by the last look-up's slot. */
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

START_TEST(put_finds_or_makes_and_removal_trusts_no_stale_hint)
{
    struct hk_blockmap m;
    ck_assert_int_eq(hk_blockmap_init(&m, sizeof(struct rec)), 0);
    int fresh = -1;
    struct rec *a = hk_blockmap_put(&m, addr_of(1), &fresh);
    ck_assert_msg(a && fresh == 1 && a->addr == addr_of(1) && a->value == 0,
                  "put of a new key: a zeroed record with its address (fresh %d)", fresh);
    a->value = 11;
    struct rec *again = hk_blockmap_put(&m, addr_of(1), &fresh);
    ck_assert_msg(again == a && fresh == 0 && again->value == 11,
                  "put of a key there: its record, not fresh (fresh %d)", fresh);
    ck_assert_msg(!hk_blockmap_put(&m, 0, &fresh) && fresh == 0, "put of address 0: NULL");
    /* the hint is the slot of the last look-up (key 2's): removing key 1 must
     * find its own slot, and leave key 2 in place */
    struct rec *b = hk_blockmap_put(&m, addr_of(2), &fresh);
    b->value = 22;
    for (uint64_t i = 3; i < 5000; i++) /* grows the index: every slot moves */
        ((struct rec *)hk_blockmap_put(&m, addr_of(i), &fresh))->value = i;
    a = hk_blockmap_find(&m, addr_of(1));
    hk_blockmap_find(&m, addr_of(4999));
    hk_blockmap_remove(&m, a);
    ck_assert_msg(!hk_blockmap_find(&m, addr_of(1)), "key 1 removed through a stale hint");
    for (uint64_t i = 2; i < 5000; i++) {
        struct rec *r = hk_blockmap_find(&m, addr_of(i));
        ck_assert_msg(r && r->value == (i == 2 ? 22 : i), "key %llu kept after the removal",
                      (unsigned long long)i);
    }
    struct rec *last = hk_blockmap_find(&m, addr_of(4998));
    hk_blockmap_remove(&m, last); /* through the hint */
    ck_assert_msg(!hk_blockmap_find(&m, addr_of(4998)) && hk_blockmap_find(&m, addr_of(4999)) &&
                      m.live == 4997, "removal through the hint: key 4998 gone, %zu live", m.live);
    hk_blockmap_free(&m);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/blockmap");
    TCase *t = tcase_create("blockmap");
    tcase_add_test(t, found_after_growth);
    tcase_add_test(t, removal_keeps_others_and_reuses_records);
    tcase_add_test(t, put_finds_or_makes_and_removal_trusts_no_stale_hint);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
