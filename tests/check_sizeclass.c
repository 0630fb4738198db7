/* check_sizeclass.c — unit tests of lib/sizeclass.c: size → class for every
 * request 0..64 KiB, block sizes, alignment, the seed's tiny classes, capacities. */
#include <check.h>
#include <stdlib.h>
#include "internal.h"
#include "event.h"

/* Every request gets a class whose block holds it, and no smaller class would. */
START_TEST(test_every_size_fits_tightly)
{
    for (size_t n = 0; n <= HK_MID_MAX; n++) {
        unsigned c = hk_size_class(n);
        ck_assert_msg(c < HK_CLASSES, "hk_size_class(%zu): expected a class < %d, got %u", n,
                      HK_CLASSES, c);
        ck_assert_msg(hk_class_size[c] >= n,
                      "hk_size_class(%zu) = %u: expected block size >= %zu, got %u", n, c, n,
                      hk_class_size[c]);
        if (c > 0)
            ck_assert_msg(hk_class_size[c - 1] < n,
                          "hk_size_class(%zu) = %u (%u B): expected class %u (%u B) to be too "
                          "small, it is not", n, c, hk_class_size[c], c - 1, hk_class_size[c - 1]);
    }
}
END_TEST

/* The class of n never decreases as n grows, and 0 shares the smallest class. */
START_TEST(test_class_monotone)
{
    ck_assert_msg(hk_size_class(0) == 0, "hk_size_class(0): expected 0, got %u", hk_size_class(0));
    unsigned prev = 0;
    for (size_t n = 1; n <= HK_MID_MAX; n++) {
        unsigned c = hk_size_class(n);
        ck_assert_msg(c == prev || c == prev + 1,
                      "hk_size_class(%zu) = %u after hk_size_class(%zu) = %u: expected %u or %u", n,
                      c, n - 1, prev, prev, prev + 1);
        prev = c;
    }
    ck_assert_msg(prev == HK_CLASSES - 1, "hk_size_class(%d): expected the last class %d, got %u",
                  HK_MID_MAX, HK_CLASSES - 1, prev);
}
END_TEST

/* The mid-class table gives the smallest class that holds n above 1 KiB. */
START_TEST(test_mid_class_matches_table)
{
    for (size_t n = HK_TINY_MAX + 1; n <= HK_MID_MAX; n++) {
        unsigned c = hk_size_class(n);
        ck_assert_msg(c >= HK_TINY_CLASSES && c < HK_CLASSES,
                      "hk_size_class(%zu): expected a mid class in %d..%d, got %u", n, HK_TINY_CLASSES,
                      HK_CLASSES - 1, c);
        ck_assert_msg(hk_class_size[c] >= n && hk_class_size[c - 1] < n,
                      "hk_size_class(%zu) = %u: expected %zu in (%u, %u]", n, c, n,
                      hk_class_size[c - 1], hk_class_size[c]);
    }
}
END_TEST

/* Sizes strictly increase; every class of 16 B or more is a multiple of 16. */
START_TEST(test_class_sizes_aligned)
{
    for (unsigned c = 0; c < HK_CLASSES; c++) {
        if (c > 0)
            ck_assert_msg(hk_class_size[c] > hk_class_size[c - 1],
                          "class %u: expected size > class %u's %u, got %u", c, c - 1,
                          hk_class_size[c - 1], hk_class_size[c]);
        ck_assert_msg(hk_class_size[c] % 16 == 0,
                      "class %u: expected a size multiple of 16 (every block 16-byte aligned), got %u",
                      c, hk_class_size[c]);
    }
    ck_assert_msg(hk_class_size[HK_CLASSES - 1] == HK_MID_MAX,
                  "last class: expected %d B, got %u", HK_MID_MAX, hk_class_size[HK_CLASSES - 1]);
}
END_TEST

/* At least eight tiny classes from 16 B to 1 KiB, class 1 is 32 B: every
 * block has room for the free key in its second word. */
START_TEST(test_seed_tiny_classes)
{
    ck_assert_msg(hk_class_size[1] == 32, "class 1: expected 32 B, got %u", hk_class_size[1]);
    ck_assert_msg(hk_class_size[HK_FOREIGN_CLASSES - 1] == 4096,
                  "HK_FOREIGN_CLASSES: expected the classes up to 4 KiB, got up to %u B",
                  hk_class_size[HK_FOREIGN_CLASSES - 1]);
    ck_assert_msg(hk_class_size[0] == 16, "class 0: expected 16 B, got %u", hk_class_size[0]);
    unsigned tiny = 0;
    for (unsigned c = 0; c < HK_CLASSES; c++)
        if (hk_class_size[c] <= HK_TINY_MAX)
            tiny++;
    ck_assert_msg(tiny >= 8, "expected at least 8 classes of 16 B..1 KiB, got %u", tiny);
    ck_assert_msg(tiny == HK_TINY_CLASSES, "expected HK_TINY_CLASSES=%d classes <= 1 KiB, got %u",
                  HK_TINY_CLASSES, tiny);
    ck_assert_msg(hk_class_size[HK_TINY_CLASSES - 1] == HK_TINY_MAX,
                  "last tiny class: expected %d B, got %u", HK_TINY_MAX,
                  hk_class_size[HK_TINY_CLASSES - 1]);
    ck_assert_msg(hk_size_class(32) == 1 && hk_size_class(17) == 1,
                  "sizes 17 and 32: expected class 1, got %u and %u", hk_size_class(17),
                  hk_size_class(32));
    ck_assert_msg(hk_size_class(8) == 0 && hk_size_class(16) == 0,
                  "sizes 8 and 16: expected class 0 (16 B), got %u and %u", hk_size_class(8),
                  hk_size_class(16));
}
END_TEST

/* Blocks per 64 KiB slab: as many as fit. */
START_TEST(test_capacity)
{
    for (unsigned c = 0; c < HK_CLASSES; c++) {
        unsigned want = (unsigned)(HK_SLAB_SIZE / hk_class_size[c]);
        ck_assert_msg(hk_class_capacity[c] == want, "class %u (%u B): expected capacity %u, got %u",
                      c, hk_class_size[c], want, hk_class_capacity[c]);
        ck_assert_msg(hk_class_capacity[c] >= 1, "class %u: expected capacity >= 1, got %u", c,
                      hk_class_capacity[c]);
    }
}
END_TEST

/* Mid classes waste at most a quarter of the block (four classes per doubling). */
START_TEST(test_mid_waste_bounded)
{
    for (size_t n = HK_TINY_MAX + 1; n <= HK_MID_MAX; n++) {
        uint32_t sz = hk_class_size[hk_size_class(n)];
        ck_assert_msg((size_t)sz * 4 <= n * 5 + 4,
                      "size %zu gets %u B blocks: expected at most 25%% more than asked", n, sz);
    }
}
END_TEST

static Suite *sizeclass_suite(void)
{
    Suite *s = suite_create("sizeclass");
    TCase *tc = tcase_create("classes");
    tcase_add_test(tc, test_every_size_fits_tightly);
    tcase_add_test(tc, test_class_monotone);
    tcase_add_test(tc, test_mid_class_matches_table);
    tcase_add_test(tc, test_class_sizes_aligned);
    tcase_add_test(tc, test_seed_tiny_classes);
    tcase_add_test(tc, test_capacity);
    tcase_add_test(tc, test_mid_waste_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sizeclass_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
