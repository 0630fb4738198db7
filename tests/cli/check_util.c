/* check_util.c — unit tests of cli/util.c: number parsing, byte sizes,
 * basenames, help words, error strings. */
#include "unit.h"

START_TEST(parse_accepts_numbers_in_range)
{
    uint64_t v = 0;
    ck_assert_msg(hk_parse_u64("42", 1, 100, &v) == 0 && v == 42, "42 in [1, 100]: expected 42, got %llu",
                  (unsigned long long)v);
    ck_assert_msg(hk_parse_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 && v == UINT64_MAX,
                  "UINT64_MAX: expected accepted");
}
END_TEST

START_TEST(parse_refuses_junk_and_range)
{
    uint64_t v = 7;
    const char *bad[] = { "", "-1", "12x", " 12", "x", "1e3", "18446744073709551616", NULL };
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(hk_parse_u64(bad[i], 0, UINT64_MAX, &v) == -1, "'%s': expected refused",
                      bad[i]);
    ck_assert_msg(hk_parse_u64("0", 1, 10, &v) == -1, "0 below min 1: expected refused");
    ck_assert_msg(hk_parse_u64("11", 1, 10, &v) == -1, "11 above max 10: expected refused");
    ck_assert_msg(hk_parse_u64(NULL, 0, 10, &v) == -1, "NULL: expected refused");
    ck_assert_msg(v == 7, "a refused number must leave *out alone, got %llu", (unsigned long long)v);
}
END_TEST

START_TEST(bytes_pick_a_unit)
{
    char b[32];
    ck_assert_str_eq(hk_bytes(0, b, sizeof b), "0 B");
    ck_assert_str_eq(hk_bytes(1023, b, sizeof b), "1023 B");
    ck_assert_str_eq(hk_bytes(2u << 20, b, sizeof b), "2.0 MiB");
    ck_assert_str_eq(hk_bytes(14u << 20, b, sizeof b), "14 MiB");
    ck_assert_str_eq(hk_bytes(1536, b, sizeof b), "1.5 KiB");
}
END_TEST

START_TEST(printable_escapes_control_characters)
{
    char b[64];
    ck_assert_msg(strcmp(hk_printable("a\x1b]0;x\a\x1b[2J", b, sizeof b), "a\\x1b]0;x\\x07\\x1b[2J") == 0,
                  "ESC and BEL: expected them as \\xNN, got '%s'", b);
    ck_assert_msg(strcmp(hk_printable("caf\xc3\xa9 \xc2\x9b" "1m\x7f", b, sizeof b),
                         "caf\xc3\xa9 \\x9b1m\\x7f") == 0,
                  "UTF-8 kept, C1 CSI and DEL escaped: got '%s'", b);
    ck_assert_msg(strcmp(hk_printable(NULL, b, sizeof b), "") == 0, "NULL: expected ''");
    char small[8];
    hk_printable("\x01\x02\x03", small, sizeof small);
    ck_assert_msg(strlen(small) < sizeof small, "cut to fit: got '%s'", small);
}
END_TEST

START_TEST(basename_and_help)
{
    ck_assert_str_eq(hk_basename("/a/b/prog"), "prog");
    ck_assert_str_eq(hk_basename("prog"), "prog");
    ck_assert_str_eq(hk_basename("dir/"), "");
    ck_assert_msg(hk_is_help("-h") && hk_is_help("--help") && !hk_is_help("-help"),
                  "-h and --help are help, -help is not");
}
END_TEST

START_TEST(fail_formats_and_returns_minus_one)
{
    char err[16];
    ck_assert_int_eq(hk_fail(err, sizeof err, "x=%d and more text", 5), -1);
    ck_assert_msg(strcmp(err, "x=5 and more te") == 0, "expected a truncated message, got '%s'", err);
    ck_assert_int_eq(hk_fail(NULL, 0, "ignored"), -1);
}
END_TEST

START_TEST(clocks_move_forward)
{
    uint64_t a = hk_mono_ns();
    hk_sleep_ms(2);
    uint64_t b = hk_mono_ns();
    ck_assert_msg(b - a >= 2000000, "2 ms sleep: expected >= 2000000 ns, got %llu",
                  (unsigned long long)(b - a));
    ck_assert_msg(hk_real_ns() > 1600000000ull * 1000000000ull, "real time: expected after 2020");
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/util");
    TCase *t = tcase_create("util");
    tcase_add_test(t, parse_accepts_numbers_in_range);
    tcase_add_test(t, parse_refuses_junk_and_range);
    tcase_add_test(t, bytes_pick_a_unit);
    tcase_add_test(t, printable_escapes_control_characters);
    tcase_add_test(t, basename_and_help);
    tcase_add_test(t, fail_formats_and_returns_minus_one);
    tcase_add_test(t, clocks_move_forward);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
