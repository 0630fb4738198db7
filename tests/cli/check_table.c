/* check_table.c — unit tests of cli/table.c: keys found again after growth,
 * deletions leave tombstones that later keys reuse, the table never fills up;
 * removals leave none, and every other key stays reachable. */
#include "unit.h"

struct item {
    struct hk_slot h;
    uint64_t key, value;
};

static int same(const void *slot, const void *key)
{
    return ((const struct item *)slot)->key == *(const uint64_t *)key;
}

/* A poor hash on purpose: long probe chains. */
static uint64_t hash(uint64_t k)
{
    return k % 97;
}

static struct item *get(struct hk_table *t, uint64_t k, int create)
{
    int created = 0;
    struct item *it = hk_table_get(t, hash(k), same, &k, create, &created);
    if (it && created)
        it->key = k;
    return it;
}

START_TEST(keys_survive_growth)
{
    struct hk_table t;
    ck_assert_int_eq(hk_table_init(&t, sizeof(struct item)), 0);
    for (uint64_t k = 1; k <= 5000; k++)
        get(&t, k, 1)->value = k * 3;
    ck_assert_msg(t.live == 5000, "live: expected 5000, got %zu", t.live);
    ck_assert_msg(4 * t.filled <= 3 * t.cap, "at most 3/4 full: %zu of %zu", t.filled, t.cap);
    for (uint64_t k = 1; k <= 5000; k++) {
        struct item *it = get(&t, k, 0);
        ck_assert_msg(it && it->value == k * 3, "key %llu lost after growth", (unsigned long long)k);
    }
    ck_assert_msg(!get(&t, 5001, 0), "an absent key: expected NULL");
    hk_table_free(&t);
}
END_TEST

START_TEST(deleted_slots_are_reused_and_skipped)
{
    struct hk_table t;
    ck_assert_int_eq(hk_table_init(&t, sizeof(struct item)), 0);
    for (int round = 0; round < 50; round++) { /* churn: far more keys than slots over time */
        for (uint64_t k = 0; k < 100; k++)
            get(&t, round * 1000 + k, 1)->value = k;
        for (uint64_t k = 0; k < 100; k += 2)
            hk_table_delete(&t, get(&t, round * 1000 + k, 0));
        for (uint64_t k = 1; k < 100; k += 2)
            ck_assert_msg(get(&t, round * 1000 + k, 0), "round %d: key %llu lost behind a tombstone",
                          round, (unsigned long long)k);
        for (uint64_t k = 1; k < 100; k += 2)
            hk_table_delete(&t, get(&t, round * 1000 + k, 0));
    }
    ck_assert_msg(t.live == 0, "everything deleted: live %zu", t.live);
    ck_assert_msg(t.cap <= 1024, "churn must not grow the table without bound: cap %zu", t.cap);
    size_t live = 0;
    for (size_t i = 0; i < t.cap; i++)
        live += hk_table_live(hk_table_slot(&t, i));
    ck_assert_int_eq(live, 0);
    hk_table_free(&t);
}
END_TEST

START_TEST(removal_keeps_chains_and_leaves_no_tombstone)
{
    struct hk_table t;
    ck_assert_int_eq(hk_table_init(&t, sizeof(struct item)), 0);
    uint64_t next = 1;
    for (int round = 0; round < 200; round++) { /* the poor hash: chains wrap the table's end */
        for (int k = 0; k < 60; k++)
            get(&t, next++, 1)->value = 7;
        for (uint64_t k = next - 60; k < next; k += 3)
            hk_table_remove(&t, get(&t, k, 0));
        for (uint64_t k = next - 60; k < next; k++) {
            struct item *it = get(&t, k, 0);
            if ((k - (next - 60)) % 3 == 0)
                ck_assert_msg(!it, "round %d: removed key %llu still found", round,
                              (unsigned long long)k);
            else
                ck_assert_msg(it && it->value == 7, "round %d: key %llu lost by a removal",
                              round, (unsigned long long)k);
        }
        for (uint64_t k = next - 60; k < next; k++)
            if ((k - (next - 60)) % 3)
                hk_table_remove(&t, get(&t, k, 0));
    }
    ck_assert_msg(t.live == 0 && t.filled == 0, "all removed: live %zu filled %zu (no tombstones)",
                  t.live, t.filled);
    ck_assert_msg(t.cap <= 256, "removals must not grow the table: cap %zu", t.cap);
    hk_table_free(&t);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/table");
    TCase *t = tcase_create("table");
    tcase_add_test(t, keys_survive_growth);
    tcase_add_test(t, deleted_slots_are_reused_and_skipped);
    tcase_add_test(t, removal_keeps_chains_and_leaves_no_tombstone);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
