/* check_intern.c — unit tests of cli/intern.c: dense numbers in order of first
 * sight, the same string the same number after the table grew, absent strings. */
#include "unit.h"

START_TEST(numbers_are_dense_and_stable)
{
    struct hk_intern *in = hk_intern_new();
    ck_assert_msg(in, "hk_intern_new: out of memory");
    char s[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(s, sizeof s, "frame %d", i);
        ck_assert_msg(hk_intern(in, s) == i, "%s: expected number %d (first sight)", s, i);
    }
    for (int i = 19999; i >= 0; i--) {
        snprintf(s, sizeof s, "frame %d", i);
        ck_assert_msg(hk_intern(in, s) == i, "%s again after growth: expected %d", s, i);
        ck_assert_msg(hk_intern_find(in, s) == i, "find %s: expected %d", s, i);
        ck_assert_msg(strcmp(hk_intern_str(in, i), s) == 0, "string %d: expected %s, got %s", i, s,
                      hk_intern_str(in, i));
    }
    ck_assert_msg(hk_intern_count(in) == 20000, "count: expected 20000, got %zu", hk_intern_count(in));
    ck_assert_msg(hk_intern_find(in, "frame 20000") == -1, "an unseen string: expected -1");
    ck_assert_msg(hk_intern_count(in) == 20000, "find must not add: count %zu", hk_intern_count(in));
    ck_assert_msg(!hk_intern_str(in, 20000) && !hk_intern_str(in, -1), "out of range: expected NULL");
    hk_intern_free(in);
}
END_TEST

START_TEST(empty_and_similar_strings_differ)
{
    struct hk_intern *in = hk_intern_new();
    ck_assert_msg(hk_intern(in, "") == 0, "the empty string first: expected 0");
    ck_assert_msg(hk_intern(in, "a") == 1, "\"a\": expected 1");
    ck_assert_msg(hk_intern(in, "a\x1f") == 2, "\"a\\x1f\" differs from \"a\": expected 2");
    ck_assert_msg(hk_intern(in, "") == 0, "the empty string again: expected 0");
    hk_intern_free(in);
    hk_intern_free(NULL); /* as free(NULL) */
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/intern");
    TCase *t = tcase_create("intern");
    tcase_add_test(t, numbers_are_dense_and_stable);
    tcase_add_test(t, empty_and_similar_strings_differ);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
