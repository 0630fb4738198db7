/* check_log.c — unit tests of lib/log.c: hk_fmt conversions, flags, widths and
 * length modifiers against snprintf, truncation and the returned length. */
#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "event.h"

/* Formats with hk_fmt and with the C library, and compares text and length. */
#define SAME_AS_PRINTF(...)                                                                    \
    do {                                                                                       \
        char got_[256], want_[256];                                                            \
        size_t gn_ = hk_fmt(got_, sizeof got_, __VA_ARGS__);                                   \
        int wn_ = snprintf(want_, sizeof want_, __VA_ARGS__);                                  \
        ck_assert_msg(strcmp(got_, want_) == 0, "hk_fmt(%s): expected \"%s\", got \"%s\"",     \
                      #__VA_ARGS__, want_, got_);                                              \
        ck_assert_msg(gn_ == (size_t)wn_, "hk_fmt(%s): expected length %d, got %zu",           \
                      #__VA_ARGS__, wn_, gn_);                                                 \
    } while (0)

/* Formats with hk_fmt and compares with an expected text. */
#define FMT_IS(want, ...)                                                                      \
    do {                                                                                       \
        char got_[256];                                                                        \
        size_t gn_ = hk_fmt(got_, sizeof got_, __VA_ARGS__);                                   \
        ck_assert_msg(strcmp(got_, want) == 0, "hk_fmt(%s): expected \"%s\", got \"%s\"",      \
                      #__VA_ARGS__, want, got_);                                               \
        ck_assert_msg(gn_ == strlen(want), "hk_fmt(%s): expected length %zu, got %zu",         \
                      #__VA_ARGS__, strlen(want), gn_);                                        \
    } while (0)

START_TEST(test_plain_text)
{
    FMT_IS("", "%s", "");
    SAME_AS_PRINTF("hello, world");
    SAME_AS_PRINTF("100%% done %%");
    SAME_AS_PRINTF("a%%b%%%%c");
}
END_TEST

START_TEST(test_signed)
{
    SAME_AS_PRINTF("%d", 0);
    SAME_AS_PRINTF("%d", 42);
    SAME_AS_PRINTF("%d", -42);
    SAME_AS_PRINTF("%d|%d", INT_MAX, INT_MIN);
    SAME_AS_PRINTF("%ld|%ld", LONG_MAX, LONG_MIN);
    SAME_AS_PRINTF("%lld|%lld", LLONG_MAX, LLONG_MIN);
    SAME_AS_PRINTF("x=%d y=%d z=%d", 1, -2, 3);
}
END_TEST

START_TEST(test_unsigned_and_hex)
{
    SAME_AS_PRINTF("%u", 0u);
    SAME_AS_PRINTF("%u", UINT_MAX);
    SAME_AS_PRINTF("%x", 0u);
    SAME_AS_PRINTF("%x", 0xdeadbeefu);
    SAME_AS_PRINTF("%lu|%lx", ULONG_MAX, ULONG_MAX);
    SAME_AS_PRINTF("%llu|%llx", ULLONG_MAX, 0x123456789abcdefull);
    SAME_AS_PRINTF("%zu|%zx", SIZE_MAX, (size_t)4096);
    SAME_AS_PRINTF("%zu", (size_t)0);
    /* A long argument must be read whole, not as an int. */
    SAME_AS_PRINTF("%lu %u", 1ul << 40, 7u);
}
END_TEST

START_TEST(test_pointer)
{
    int x;
    void *p = &x;
    SAME_AS_PRINTF("%p", p);
    SAME_AS_PRINTF("[%p]", (void *)0x1000);
    SAME_AS_PRINTF("%20p|", (void *)0xabcdef);
    SAME_AS_PRINTF("%-20p|", (void *)0xabcdef);
}
END_TEST

START_TEST(test_string_and_char)
{
    SAME_AS_PRINTF("%s", "abc");
    SAME_AS_PRINTF("<%s><%s>", "", "x");
    SAME_AS_PRINTF("%c%c%c", 'a', 'b', 'c');
    SAME_AS_PRINTF("%5c|%-5c|", 'q', 'r');
    const char *volatile null = NULL;
    FMT_IS("(null)", "%s", null);
    FMT_IS("[  (null)]", "[%8s]", null);
}
END_TEST

START_TEST(test_widths_and_flags)
{
    SAME_AS_PRINTF("[%5d]", 42);
    SAME_AS_PRINTF("[%-5d]", 42);
    SAME_AS_PRINTF("[%05d]", 42);
    SAME_AS_PRINTF("[%1d]", 12345);
    SAME_AS_PRINTF("[%8s]", "abc");
    SAME_AS_PRINTF("[%-8s]", "abc");
    SAME_AS_PRINTF("[%2s]", "abcdef");
    SAME_AS_PRINTF("[%08x]", 0xbeefu);
    SAME_AS_PRINTF("[%-8x]", 0xbeefu);
    SAME_AS_PRINTF("[%6u]", 7u);
    SAME_AS_PRINTF("[%012lu]", 123456789ul);
    SAME_AS_PRINTF("[%-5s|%5s]", "ab", "cd");
    SAME_AS_PRINTF("[%-6d]", -42);
    SAME_AS_PRINTF("[%6d]", -42);
}
END_TEST

/* printf puts the sign before zero padding: "%05d" of -42 is "-0042". */
START_TEST(test_zero_pad_negative)
{
    SAME_AS_PRINTF("[%05d]", -42);
    SAME_AS_PRINTF("[%08ld]", -1234567L);
}
END_TEST

/* The output is cut at cap-1 bytes plus a NUL, nothing is written beyond cap,
 * and the return value is the length the whole output needed. */
START_TEST(test_truncation)
{
    char buf[32];
    for (size_t cap = 0; cap <= 14; cap++) {
        memset(buf, 'X', sizeof buf);
        size_t n = hk_fmt(buf, cap, "hello %s %d", "world", 42);
        ck_assert_msg(n == 14, "cap %zu: expected needed length 14, got %zu", cap, n);
        if (cap > 0) {
            size_t k = cap - 1 < 14 ? cap - 1 : 14;
            ck_assert_msg(memcmp(buf, "hello world 42", k) == 0 && buf[k] == '\0',
                          "cap %zu: expected the first %zu bytes then NUL, got \"%.*s\" then 0x%02x",
                          cap, k, (int)k, buf, (unsigned char)buf[k]);
        }
        for (size_t i = cap; i < sizeof buf; i++)
            ck_assert_msg(buf[i] == 'X', "cap %zu: expected byte %zu untouched, got 0x%02x", cap, i,
                          (unsigned char)buf[i]);
    }
    memset(buf, 'X', sizeof buf);
    size_t n = hk_fmt(buf, 4, "%20d", 5);
    ck_assert_msg(n == 20 && strcmp(buf, "   ") == 0 && buf[4] == 'X',
                  "%%20d in cap 4: expected length 20 and \"   \", got %zu and \"%s\"", n, buf);
    n = hk_fmt(buf, 1, "%s", "long string");
    ck_assert_msg(n == 11 && buf[0] == '\0', "cap 1: expected length 11 and \"\", got %zu and \"%s\"",
                  n, buf);
}
END_TEST

/* hk_vfmt reads its va_list through a copy; the same arguments format twice. */
static size_t twice(char *a, char *b, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = hk_vfmt(a, cap, fmt, ap);
    size_t m = hk_vfmt(b, cap, fmt, ap);
    va_end(ap);
    return n == m ? n : (size_t)-1;
}

START_TEST(test_vfmt_va_copy)
{
    char a[64], b[64];
    size_t n = twice(a, b, sizeof a, "%d-%s-%lx", 7, "x", 0xfful);
    ck_assert_msg(n == 6 && strcmp(a, "7-x-ff") == 0 && strcmp(b, "7-x-ff") == 0,
                  "hk_vfmt twice on one va_list: expected \"7-x-ff\" twice, got %zu \"%s\" \"%s\"",
                  n, a, b);
}
END_TEST

/* hk_dprintf writes one message with one write to the descriptor. */
START_TEST(test_dprintf)
{
    int fds[2];
    ck_assert_msg(pipe(fds) == 0, "pipe: expected 0, got -1");
    hk_dprintf(fds[1], "[%s] %u/%u\n", "LRU_POP", 3u, 256u);
    close(fds[1]);
    char buf[128];
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    ck_assert_msg(n == 16, "hk_dprintf: expected 16 bytes in the pipe, got %zd", n);
    buf[n] = '\0';
    ck_assert_msg(strcmp(buf, "[LRU_POP] 3/256\n") == 0,
                  "hk_dprintf: expected \"[LRU_POP] 3/256\\n\", got \"%s\"", buf);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("hk_fmt");
    tcase_add_test(tc, test_plain_text);
    tcase_add_test(tc, test_signed);
    tcase_add_test(tc, test_unsigned_and_hex);
    tcase_add_test(tc, test_pointer);
    tcase_add_test(tc, test_string_and_char);
    tcase_add_test(tc, test_widths_and_flags);
    tcase_add_test(tc, test_zero_pad_negative);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_vfmt_va_copy);
    tcase_add_test(tc, test_dprintf);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(log_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
