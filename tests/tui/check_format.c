/* check_format.c — unit tests of tui/format.c: counts, sizes, durations, rates,
 * bars, class characters, the class-table row layout, map lines and event lines. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "top.h"

#define STR_EQ(got, want, what) \
    ck_assert_msg(strcmp((got), (want)) == 0, "%s: expected \"%s\", got \"%s\"", (what), (want), (got))

START_TEST(test_count)
{
    char b[32];
    STR_EQ(top_fmt_count(b, sizeof b, 0, 6), "0", "0 in 6");
    STR_EQ(top_fmt_count(b, sizeof b, 999999, 6), "999999", "999999 in 6");
    STR_EQ(top_fmt_count(b, sizeof b, 1000000, 6), "1.0M", "1000000 in 6");
}
END_TEST

START_TEST(test_count_scaled)
{
    char b[32];
    STR_EQ(top_fmt_count(b, sizeof b, 1234567, 6), "1.2M", "1234567 in 6");
    STR_EQ(top_fmt_count(b, sizeof b, 20480000, 7), "20.5M", "20480000 in 7");
    STR_EQ(top_fmt_count(b, sizeof b, 12345, 4), "12k", "12345 in 4");
    STR_EQ(top_fmt_count(b, sizeof b, 18446744073709551615ull, 6), "18.4E", "2^64-1 in 6");
}
END_TEST

START_TEST(test_bytes)
{
    char b[32];
    STR_EQ(top_fmt_bytes(b, sizeof b, 0), "0 B", "0");
    STR_EQ(top_fmt_bytes(b, sizeof b, 1023), "1023 B", "1023");
    STR_EQ(top_fmt_bytes(b, sizeof b, 1024), "1.0 KiB", "1024");
    STR_EQ(top_fmt_bytes(b, sizeof b, 4u << 20), "4.0 MiB", "4 MiB");
    STR_EQ(top_fmt_bytes(b, sizeof b, (3ull << 30) / 2), "1.5 GiB", "1.5 GiB");
}
END_TEST

START_TEST(test_duration)
{
    char b[32];
    const uint64_t s = 1000000000u;
    STR_EQ(top_fmt_duration(b, sizeof b, 0), "0:00", "0");
    STR_EQ(top_fmt_duration(b, sizeof b, 5 * s + 999999999u), "0:05", "5.99 s");
    STR_EQ(top_fmt_duration(b, sizeof b, 754 * s), "12:34", "754 s");
    STR_EQ(top_fmt_duration(b, sizeof b, 3723 * s), "1:02:03", "3723 s");
    STR_EQ(top_fmt_seconds(b, sizeof b, 35123456), "0.035s", "35 ms of trace");
    STR_EQ(top_fmt_seconds(b, sizeof b, 99999999999ull), "99.999s", "just under 100 s");
    STR_EQ(top_fmt_seconds(b, sizeof b, 754 * s), "12:34", "754 s of trace");
    STR_EQ(top_fmt_duration(b, sizeof b, (3 * 86400 + 4 * 3600 + 5 * 60 + 6) * s), "3d 04:05:06",
           "3 days");
}
END_TEST

START_TEST(test_rate_pm_speed)
{
    char b[32];
    STR_EQ(top_fmt_rate(b, sizeof b, 0), "0", "rate 0");
    STR_EQ(top_fmt_rate(b, sizeof b, -3), "0", "negative rate");
    STR_EQ(top_fmt_rate(b, sizeof b, 950.2), "950", "rate 950");
    STR_EQ(top_fmt_rate(b, sizeof b, 12345), "12.3k", "rate 12345");
    STR_EQ(top_fmt_rate(b, sizeof b, 999999), "1.0M", "rate 999999");
    STR_EQ(top_fmt_pm(b, sizeof b, 458), "45.8", "458 per mille");
    STR_EQ(top_fmt_pm(b, sizeof b, 1000), "100.0", "1000 per mille");
    STR_EQ(top_fmt_speed(b, sizeof b, 0), "1x", "speed 2^0");
    STR_EQ(top_fmt_speed(b, sizeof b, 3), "8x", "speed 2^3");
    STR_EQ(top_fmt_speed(b, sizeof b, -2), "1/4x", "speed 2^-2");
}
END_TEST

START_TEST(test_bar)
{
    char b[64];
    STR_EQ(top_fmt_bar(b, sizeof b, 0, 10), "          ", "0 %");
    STR_EQ(top_fmt_bar(b, sizeof b, 1, 10), "#         ", "0.1 % shows one cell");
    STR_EQ(top_fmt_bar(b, sizeof b, 500, 10), "#####     ", "50 %");
    STR_EQ(top_fmt_bar(b, sizeof b, 999, 10), "######### ", "99.9 % leaves one cell");
    STR_EQ(top_fmt_bar(b, sizeof b, 1000, 10), "##########", "100 %");
    STR_EQ(top_fmt_bar(b, sizeof b, 5000, 4), "####", "over 100 % is 100 %");
    STR_EQ(top_fmt_bar(b, 4, 1000, 10), "###", "clipped to the buffer");
}
END_TEST

START_TEST(test_class_char_stage)
{
    ck_assert_msg(top_class_char(0) == '0', "class 0: expected '0', got '%c'", top_class_char(0));
    ck_assert_msg(top_class_char(2) == '2', "class 2: expected '2'");
    ck_assert_msg(top_class_char(10) == 'a', "class 10: expected 'a', got '%c'", top_class_char(10));
    ck_assert_msg(top_class_char(36) == 'A', "class 36: expected 'A', got '%c'", top_class_char(36));
    ck_assert_msg(top_class_char(63) == '%', "class 63: expected '%%', got '%c'", top_class_char(63));
    ck_assert_msg(top_class_char(64) == '?', "class 64: expected '?'");
    STR_EQ(top_stage_name(1), "0.5", "stage 1");
    STR_EQ(top_stage_name(4), "3", "stage 4");
    STR_EQ(top_stage_name(5), "-", "stage 5");
}
END_TEST

static struct top_row row12(void)
{
    struct top_row r = { .cls = 12, .size = 256, .slabs = 40, .used = 10000, .capacity = 10240,
                         .occ_pm = 976, .empties = 12345, .mix_n = 4, .mix = { 0, 1, 0, 3, 0 } };
    return r;
}

START_TEST(test_row_layout)
{
    char b[512], h[512];
    struct top_row r = row12();
    for (unsigned bar = 8; bar <= 20; bar += 6) {
        top_fmt_row(b, sizeof b, &r, bar, 1);
        top_fmt_row_heading(h, sizeof h, bar);
        ck_assert_msg(strlen(b) == (size_t)TOP_ROW_WIDTH(bar), "bar %u: expected a row of %d, got %zu: \"%s\"",
                      bar, TOP_ROW_WIDTH(bar), strlen(b), b);
        ck_assert_msg(strlen(h) == strlen(b), "bar %u: heading %zu wide, row %zu", bar, strlen(h), strlen(b));
        ck_assert_msg(b[TOP_ROW_BAR_COL - 1] == '[' && b[TOP_ROW_BAR_COL + bar] == ']',
                      "bar %u: expected [ at %d and ] at %u in \"%s\"", bar, TOP_ROW_BAR_COL - 1,
                      TOP_ROW_BAR_COL + bar, b);
        ck_assert_msg(strncmp(b + TOP_ROW_OCC_COL, " 97.6", 5) == 0, "occupancy at %d: \"%s\"",
                      TOP_ROW_OCC_COL, b);
        /* each heading word ends where its column's numbers end */
        static const char *const words[] = { "CLS", "SIZE", "SLABS", "USED/CAP", "OCC%", "EMPTY" };
        static const char *const values[] = { " 12", "256", "40", "10000/10240", "97.6", "12345" };
        for (int i = 0; i < 6; i++) {
            const char *hw = strstr(h, words[i]), *bv = strstr(b + (i ? 4 : 0), values[i]);
            ck_assert_msg(hw && bv, "bar %u: %s or %s missing", bar, words[i], values[i]);
            ck_assert_msg(hw - h + strlen(words[i]) == bv - b + strlen(values[i]),
                          "bar %u: heading %s ends at %zu, its value %s at %zu", bar, words[i],
                          (size_t)(hw - h + strlen(words[i])), values[i],
                          (size_t)(bv - b + strlen(values[i])));
        }
    }
}
END_TEST

START_TEST(test_row_mix)
{
    char b[512];
    struct top_row r = row12();
    top_fmt_row(b, sizeof b, &r, 10, 1);
    const char *want = "   0  25   0  75   0";
    ck_assert_msg(strcmp(b + strlen(b) - strlen(want), want) == 0,
                  "stage mix of 1 x 0.5 and 3 x 2: expected \"%s\" at the end of \"%s\"", want, b);
    r.mix_n = 0;
    top_fmt_row(b, sizeof b, &r, 10, 1);
    want = "  -   -   -   -   -";
    ck_assert_msg(strcmp(b + strlen(b) - strlen(want), want) == 0,
                  "no acquisitions: expected \"%s\" at the end of \"%s\"", want, b);
    top_fmt_row(b, sizeof b, &r, 10, 0);
    ck_assert_msg(strstr(b, " ?/10240 ") != NULL, "used unknown: expected ?/10240 in \"%s\"", b);
}
END_TEST

START_TEST(test_map_line)
{
    struct hakmem_seg_ss ss;
    memset(&ss, 0, sizeof ss);
    ss.id = 42;
    ss.state = HAKMEM_SS_CACHED;
    ss.slab[1] = (struct hakmem_seg_slab){ .cls = 2, .state = HAKMEM_SLAB_OWNED, .used = 1, .capacity = 2048 };
    ss.slab[2] = (struct hakmem_seg_slab){ .cls = 12, .state = HAKMEM_SLAB_ABANDONED, .used = 5, .capacity = 256 };
    ss.slab[3] = (struct hakmem_seg_slab){ .cls = 12, .state = HAKMEM_SLAB_EMPTY, .capacity = 256 };
    char b[64];
    top_fmt_map_ss(b, sizeof b, &ss);
    STR_EQ(b, "   42*|2c_............................", "cached SuperSlab 42");
    ck_assert_msg(strlen(b) == TOP_MAP_WIDTH, "map line: expected %d wide, got %zu", TOP_MAP_WIDTH, strlen(b));
    ss.state = HAKMEM_SS_ACTIVE;
    top_fmt_map_ss(b, sizeof b, &ss);
    ck_assert_msg(b[5] == ' ', "active: expected no '*', got '%c'", b[5]);
    top_fmt_map_ss(b, 10, &ss);
    STR_EQ(b, "", "a buffer too small gets an empty line");
    ck_assert_msg(top_map_per_line(80) == 2, "80 columns: expected 2 SuperSlabs a line, got %u",
                  top_map_per_line(80));
    ck_assert_msg(top_map_per_line(20) == 1, "20 columns: expected 1, got %u", top_map_per_line(20));
}
END_TEST

START_TEST(test_event_line)
{
    char b[256];
    struct hakmem_event e = { .seq = 7, .ts_ns = 1000 + 12345678901ull, .tid = 4242,
                              .type = HAKMEM_EV_SLAB_ACQUIRE, .cls = 2, .stage = 1, .ss_id = 3,
                              .slab = 7 };
    top_fmt_event(b, sizeof b, &e, 1000);
    STR_EQ(b, "   12.345678    4242 slab_acquire    2          3:7   0.5", "slab_acquire");
    e = (struct hakmem_event){ .ts_ns = 5, .tid = 1, .type = HAKMEM_EV_SS_MAP, .cls = 255,
                               .stage = 255, .ss_id = 9, .arg0 = 2u << 20, .reason = 1 };
    top_fmt_event(b, sizeof b, &e, 10);
    STR_EQ(b, "    0.000000       1 ss_map          -            9     - 2.0 MiB trim",
           "ss_map before the start clamps to 0");
    e.type = HAKMEM_EV_LRU_EVICT;
    e.arg0 = 3;
    e.arg1 = 256;
    e.reason = 2;
    top_fmt_event(b, sizeof b, &e, 0);
    ck_assert_msg(strstr(b, "lru_evict") && strstr(b, "cache 3/256 TTL"), "lru_evict: got \"%s\"", b);
    ck_assert_msg(strlen(top_event_heading) < 80, "event heading: expected under 80 columns");
}
END_TEST

START_TEST(test_frame)
{
    char b[256];
    struct hk_store_frame f;
    memset(&f, 0, sizeof f);
    f.ip = 0x7f00;
    ck_assert_msg(strcmp(top_fmt_frame(b, sizeof b, &f), "0x7f00") == 0,
                  "nothing known: expected 0x7f00, got \"%s\"", b);
    snprintf(f.module, sizeof f.module, "/usr/lib/libc.so.6");
    f.offset = 0x758cc;
    ck_assert_msg(strcmp(top_fmt_frame(b, sizeof b, &f), "libc.so.6+0x758cc") == 0,
                  "module only: expected libc.so.6+0x758cc, got \"%s\"", b);
    snprintf(f.function, sizeof f.function, "_IO_file_doallocate");
    f.fn_offset = 0x8c;
    ck_assert_msg(strcmp(top_fmt_frame(b, sizeof b, &f), "_IO_file_doallocate+0x8c (libc.so.6+0x758cc)") == 0,
                  "function and module: got \"%s\"", b);
    snprintf(f.file, sizeof f.file, "/build/libio/filedoalloc.c");
    f.line = 101;
    ck_assert_msg(strcmp(top_fmt_frame(b, sizeof b, &f), "_IO_file_doallocate filedoalloc.c:101") == 0,
                  "with a line: expected \"_IO_file_doallocate filedoalloc.c:101\", got \"%s\"", b);
}
END_TEST

START_TEST(test_stack_row)
{
    char b[256], c[256];
    struct top_stack_row r = { .stack_id = 3, .alloc_weight = 1000 * (uint64_t)HAKMEM_WEIGHT_ONE,
                               .live = 500, .in_use = 112000, .leaked = 112000, .per_s = 980 };
    top_fmt_stack_row(b, sizeof b, &r, "site_mid stacks_target.c:28", 1, 1);
    ck_assert_msg(strcmp(b, ">+ 109.4 KiB     500      980  109.4 KiB    1000  site_mid stacks_target.c:28") == 0,
                  "selected, collapsed: got \"%s\"", b);
    ck_assert_msg(strlen(top_stack_heading) == TOP_STACK_SITE_COL + 4 &&
                      strncmp(b + TOP_STACK_SITE_COL, "site_mid", 8) == 0,
                  "expected SITE and the site at column %d: \"%s\" / \"%s\"", TOP_STACK_SITE_COL,
                  top_stack_heading, b);
    /* each heading word ends where its column's numbers end */
    static const char *const words[] = { "IN USE", "LIVE", "ALLOCS/S", "LEAKED", "ALLOCS " };
    static const char *const values[] = { "109.4 KiB", "500", "980", "109.4 KiB", "1000" };
    const char *from = b;
    for (int i = 0; i < 5; i++) {
        const char *hw = strstr(top_stack_heading, words[i]), *bv = strstr(from, values[i]);
        ck_assert_msg(hw && bv, "%s or %s missing", words[i], values[i]);
        size_t wl = strlen(words[i]) - (words[i][strlen(words[i]) - 1] == ' ');
        ck_assert_msg((size_t)(hw - top_stack_heading) + wl == (size_t)(bv - b) + strlen(values[i]),
                      "heading %s ends at %zu, its value %s at %zu", words[i],
                      (size_t)(hw - top_stack_heading) + wl, values[i],
                      (size_t)(bv - b) + strlen(values[i]));
        from = bv + strlen(values[i]);
    }
    r.expanded = 1;
    top_fmt_stack_row(b, sizeof b, &r, "x", 0, 1);
    ck_assert_msg(b[0] == ' ' && b[1] == '-', "expanded, not selected: expected \" -\", got \"%s\"", b);
    top_fmt_stack_row(b, sizeof b, &r, "x", 0, 0);
    ck_assert_msg(b[1] == ' ', "no callers: expected no mark, got \"%s\"", b);
    top_fmt_caller(c, sizeof c, "main stacks_target.c:48");
    ck_assert_msg(strncmp(c + TOP_STACK_SITE_COL, "< main", 6) == 0 && c[TOP_STACK_SITE_COL - 1] == ' ',
                  "caller: expected '< main' at column %d, got \"%s\"", TOP_STACK_SITE_COL, c);
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("tui_format");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_count);
    tcase_add_test(tc, test_count_scaled);
    tcase_add_test(tc, test_bytes);
    tcase_add_test(tc, test_duration);
    tcase_add_test(tc, test_rate_pm_speed);
    tcase_add_test(tc, test_bar);
    tcase_add_test(tc, test_class_char_stage);
    tcase_add_test(tc, test_row_layout);
    tcase_add_test(tc, test_row_mix);
    tcase_add_test(tc, test_map_line);
    tcase_add_test(tc, test_event_line);
    tcase_add_test(tc, test_frame);
    tcase_add_test(tc, test_stack_row);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(format_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
