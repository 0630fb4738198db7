/* check_copycheck.c — unit tests of lib/copycheck.c: the checked memcpy
 * family against level-2 blocks (small, aligned, large, freed, zero-size). */
#define HK_COPYCHECK_DEFINES /* memcpy here is the exported, checked one */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "internal.h"
#include "heapcheck.h"
#include "unit_main.h"

static char src[400000];

/* Level 2. */
static void level2(void)
{
    free(malloc(1)); /* start-up */
    hk_check_level = 2;
    hk_debug = true;
}

struct copy { char *d; size_t n; };
static void do_memcpy(void *arg)
{
    struct copy *c = arg;
    memcpy(c->d, src, c->n);
}
static void do_memset(void *arg)
{
    struct copy *c = arg;
    memset(c->d, 7, c->n);
}
static void do_strcpy(void *arg)
{
    struct copy *c = arg;
    char s[64];
    hk_libc_memset(s, 'y', c->n - 1);
    s[c->n - 1] = '\0';
    strcpy(c->d, s);
}

/* The first line of what copying n bytes to d by fn reports, in a child
 * that exits with status 9 at the report (HAKMEM_ON_ERROR=exit:9), before
 * the copy; "" when it reports nothing (and did the copy). */
static const char *report_of(void (*fn)(void *), char *d, size_t n)
{
    static char out[4096];
    struct copy c = { d, n };
    int fd = memfd_create("stderr", 0);
    ck_assert_msg(fd >= 0, "memfd_create: expected a descriptor, got %d", fd);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, 2);
        hk_log_fd = 2;
        hk_opt[HK_OPT_ON_ERROR] = HK_ON_ERROR_EXIT + 9;
        fn(&c);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ssize_t k = pread(fd, out, sizeof out - 1, 0);
    close(fd);
    out[k > 0 ? k : 0] = '\0';
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == (out[0] ? 9 : 0),
                  "copy of %zu bytes to %p: expected exit %d, got status 0x%x (\"%s\")", n, (void *)d,
                  out[0] ? 9 : 0, st, out);
    char *nl = strchr(out, '\n');
    if (nl)
        *nl = '\0';
    return out;
}

static void expect_line(const char *got, const char *want)
{
    ck_assert_msg(strcmp(got, want) == 0, "expected \"%s\", got \"%s\"", want, got);
}

START_TEST(test_in_bounds_is_silent)
{
    level2();
    char *p = hk_rz_malloc(20, 0, false);
    expect_line(report_of(do_memcpy, p, 20), "");
    expect_line(report_of(do_memset, p + 19, 1), "");
    expect_line(report_of(do_strcpy, p, 20), "");
    do_strcpy(&(struct copy){ p, 20 });
    ck_assert_msg(p[19] == '\0' && p[0] == 'y', "strcpy in bounds: expected the copy done, got '%c'", p[0]);
    char local[64];
    expect_line(report_of(do_memset, local, sizeof local), "");
    hk_rz_free(p);
}
END_TEST

START_TEST(test_overflow_and_underflow)
{
    level2();
    char *p = hk_rz_malloc(20, 0, false), want[200];
    snprintf(want, sizeof want, "hakmem: ERROR: heap-buffer-overflow on %p (byte 0 past the end of a 20-byte "
             "block) in memcpy()", (void *)(p + 20));
    expect_line(report_of(do_memcpy, p, 21), want);
    snprintf(want, sizeof want, "hakmem: ERROR: heap-buffer-overflow on %p (byte 12 past the end of a 20-byte "
             "block) in memset()", (void *)(p + 32));
    expect_line(report_of(do_memset, p + 32, 4), want);
    snprintf(want, sizeof want, "hakmem: ERROR: heap-buffer-underflow on %p (byte 1 before the start of a "
             "20-byte block) in memset()", (void *)(p - 1));
    expect_line(report_of(do_memset, p - 1, 2), want);
    snprintf(want, sizeof want, "hakmem: ERROR: heap-buffer-overflow on %p (byte 0 past the end of a 20-byte "
             "block) in strcpy()", (void *)(p + 20));
    expect_line(report_of(do_strcpy, p, 21), want);
    hk_rz_free(p);
}
END_TEST

/* An aligned block's header is found through the locator at its block's start. */
START_TEST(test_aligned_and_large)
{
    level2();
    char want[200];
    static const size_t align[] = { 0, 256, 4096 };
    static const size_t size[] = { 100, 300000 };
    for (unsigned a = 0; a < 3; a++)
        for (unsigned k = 0; k < 2; k++) {
            char *p = hk_rz_malloc(size[k], align[a], false);
            ck_assert_msg(p != NULL, "hk_rz_malloc(%zu, %zu): expected a block", size[k], align[a]);
            expect_line(report_of(do_memcpy, p, size[k]), "");
            snprintf(want, sizeof want, "hakmem: ERROR: heap-buffer-overflow on %p (byte 0 past the end of a "
                     "%zu-byte block) in memset()", (void *)(p + size[k]), size[k]);
            expect_line(report_of(do_memset, p + size[k] - 8, 9), want);
            snprintf(want, sizeof want, "hakmem: ERROR: heap-buffer-underflow on %p (byte 8 before the start of "
                     "a %zu-byte block) in memset()", (void *)(p - 8), size[k]);
            expect_line(report_of(do_memset, p - 8, 8), want);
            hk_rz_free(p);
        }
}
END_TEST

START_TEST(test_freed_and_zero)
{
    level2();
    char *p = hk_rz_malloc(64, 0, false), want[200];
    hk_rz_free(p);
    snprintf(want, sizeof want, "hakmem: ERROR: use after free on %p (byte 3 of a freed 64-byte block) in "
             "memset()", (void *)(p + 3));
    expect_line(report_of(do_memset, p + 3, 1), want);
    char *z = hk_rz_malloc(0, 0, false);
    snprintf(want, sizeof want, "hakmem: ERROR: heap-buffer-overflow on %p (byte 0 past the end of a 0-byte "
             "block) in memcpy()", (void *)z);
    expect_line(report_of(do_memcpy, z, 1), want);
    expect_line(report_of(do_memcpy, z, 0), "");
}
END_TEST

/* Below level 2 nothing is checked: a copy past the requested size but
 * inside the size class is the program's business. */
START_TEST(test_level1_unchecked)
{
    free(malloc(1));
    hk_check_level = 1;
    hk_debug = false;
    char *p = malloc(20);
    expect_line(report_of(do_memcpy, p, 32), "");
    free(p);
}
END_TEST

static Suite *copycheck_suite(void)
{
    Suite *s = suite_create("copycheck");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_in_bounds_is_silent);
    tcase_add_test(tc, test_overflow_and_underflow);
    tcase_add_test(tc, test_aligned_and_large);
    tcase_add_test(tc, test_freed_and_zero);
    tcase_add_test(tc, test_level1_unchecked);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_main(copycheck_suite);
}
