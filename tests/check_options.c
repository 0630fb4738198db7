/* check_options.c — unit tests of lib/options.c: hk_options_init on crafted
 * environments: defaults, valid values, rejected values named on stderr, unknown names. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "internal.h"
#include "event.h"

/* The allocator's options and their documented defaults (other modules, such
 * as the trace ring, may add more options; these tests leave those alone). */
#define NOPTS 8
static const struct { int opt; const char *name; long def; } known[NOPTS] = {
    { HK_OPT_SS_LRU_DEBUG, "HAKMEM_SS_LRU_DEBUG", 0 },
    { HK_OPT_SS_FREE_DEBUG, "HAKMEM_SS_FREE_DEBUG", 0 },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED", 256 },
    { HK_OPT_SS_LRU_MAX_MB, "HAKMEM_SS_LRU_MAX_MB", 512 },
    { HK_OPT_SS_LRU_TTL_SEC, "HAKMEM_SS_LRU_TTL_SEC", 60 },
    { HK_OPT_SS_EMPTY_REUSE, "HAKMEM_SS_EMPTY_REUSE", 1 },
    { HK_OPT_LARGE_CACHE_MB, "HAKMEM_LARGE_CACHE_MB", 1024 },
    { HK_OPT_STATS, "HAKMEM_STATS", 0 },
};

static long def_of(int opt)
{
    for (int k = 0; k < NOPTS; k++)
        if (known[k].opt == opt)
            return known[k].def;
    ck_abort_msg("option %d: expected one of the allocator's options", opt);
    return -1;
}

/* What hk_options_init(envp) wrote on file descriptor 2 (NUL-terminated). */
static char err[8192];

static void init_capture(char **envp)
{
    int fd = memfd_create("stderr", 0);
    ck_assert_msg(fd >= 0, "memfd_create: expected a descriptor, got %d", fd);
    fflush(stderr);
    int saved = dup(2);
    ck_assert_msg(saved >= 0 && dup2(fd, 2) == 2, "dup2 over fd 2: expected success");
    hk_options_init(envp);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, err, sizeof err - 1, 0);
    close(fd);
    err[n > 0 ? n : 0] = '\0';
}

static unsigned lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Every allocator option has its default value. */
static void assert_defaults(const char *what)
{
    for (int k = 0; k < NOPTS; k++)
        ck_assert_msg(hk_opt[known[k].opt] == known[k].def, "%s: expected %s=%ld (default), got %ld",
                      what, known[k].name, known[k].def, hk_opt[known[k].opt]);
}

START_TEST(test_defaults)
{
    char *envp[] = { NULL };
    for (int k = 0; k < NOPTS; k++)
        hk_opt[known[k].opt] = 12345;
    init_capture(envp);
    assert_defaults("empty environment");
    ck_assert_msg(err[0] == '\0', "empty environment: expected nothing on stderr, got \"%s\"", err);
    ck_assert_msg(hk_opt[HK_OPT_SS_LRU_MAX_CACHED] == 256 && hk_opt[HK_OPT_SS_LRU_MAX_MB] == 512 &&
                      hk_opt[HK_OPT_SS_LRU_TTL_SEC] == 60 && hk_opt[HK_OPT_SS_EMPTY_REUSE] == 1,
                  "seed defaults: expected 256, 512, 60, reuse 1, got %ld, %ld, %ld, reuse %ld",
                  hk_opt[HK_OPT_SS_LRU_MAX_CACHED], hk_opt[HK_OPT_SS_LRU_MAX_MB],
                  hk_opt[HK_OPT_SS_LRU_TTL_SEC], hk_opt[HK_OPT_SS_EMPTY_REUSE]);
    for (int k = 0; k < NOPTS; k++)
        hk_opt[known[k].opt] = -7;
    init_capture(NULL);
    assert_defaults("envp NULL");
}
END_TEST

START_TEST(test_names)
{
    for (int k = 0; k < NOPTS; k++)
        ck_assert_msg(strcmp(hk_option_name(known[k].opt), known[k].name) == 0,
                      "hk_option_name(%d): expected %s, got %s", known[k].opt, known[k].name,
                      hk_option_name(known[k].opt));
}
END_TEST

START_TEST(test_valid_values)
{
    char *envp[] = {
        "HAKMEM_SS_LRU_DEBUG=1", "HAKMEM_SS_FREE_DEBUG=1", "HAKMEM_SS_LRU_MAX_CACHED=7",
        "HAKMEM_SS_LRU_MAX_MB=4", "HAKMEM_SS_LRU_TTL_SEC=0", "HAKMEM_SS_EMPTY_REUSE=0",
        "HAKMEM_LARGE_CACHE_MB=1000", "HAKMEM_STATS=1", NULL,
    };
    static const long want[NOPTS] = { 1, 1, 7, 4, 0, 0, 1000, 1 };
    init_capture(envp);
    for (int k = 0; k < NOPTS; k++)
        ck_assert_msg(hk_opt[known[k].opt] == want[k], "%s: expected %ld, got %ld", known[k].name,
                      want[k], hk_opt[known[k].opt]);
    ck_assert_msg(err[0] == '\0', "valid values: expected nothing on stderr, got \"%s\"", err);
}
END_TEST

/* The bounds of a range are accepted. */
START_TEST(test_range_limits)
{
    char *envp[] = { "HAKMEM_SS_LRU_MAX_CACHED=1048576", "HAKMEM_SS_LRU_MAX_MB=0", NULL };
    init_capture(envp);
    ck_assert_msg(hk_opt[HK_OPT_SS_LRU_MAX_CACHED] == 1048576,
                  "MAX_CACHED=1048576 (the maximum): expected 1048576, got %ld",
                  hk_opt[HK_OPT_SS_LRU_MAX_CACHED]);
    ck_assert_msg(hk_opt[HK_OPT_SS_LRU_MAX_MB] == 0, "MAX_MB=0 (the minimum): expected 0, got %ld",
                  hk_opt[HK_OPT_SS_LRU_MAX_MB]);
    ck_assert_msg(err[0] == '\0', "values at the bounds: expected nothing on stderr, got \"%s\"", err);
}
END_TEST

/* Each bad value keeps the default and is named in exactly one stderr line. */
static const struct { int opt; const char *entry; } bad[] = {
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=abc" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=-1" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=99999999999999" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=99999999999999999999999999" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=1048577" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=12abc" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED= 5" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=0x10" },
    { HK_OPT_SS_LRU_MAX_CACHED, "HAKMEM_SS_LRU_MAX_CACHED=+5" },
    { HK_OPT_SS_LRU_TTL_SEC, "HAKMEM_SS_LRU_TTL_SEC=1.5" },
    { HK_OPT_SS_EMPTY_REUSE, "HAKMEM_SS_EMPTY_REUSE=2" },
    { HK_OPT_SS_LRU_DEBUG, "HAKMEM_SS_LRU_DEBUG=maybe" },
    { HK_OPT_STATS, "HAKMEM_STATS=-0" },
    { HK_OPT_LARGE_CACHE_MB, "HAKMEM_LARGE_CACHE_MB=99999999" },
};

START_TEST(test_invalid_value)
{
    const char *entry = bad[_i].entry;
    int opt = bad[_i].opt;
    char *envp[] = { (char *)entry, NULL };
    init_capture(envp);
    ck_assert_msg(hk_opt[opt] == def_of(opt), "%s: expected the default %ld kept, got %ld", entry,
                  def_of(opt), hk_opt[opt]);
    assert_defaults(entry);
    ck_assert_msg(lines(err) == 1, "%s: expected one line on stderr, got %u: \"%s\"", entry,
                  lines(err), err);
    ck_assert_msg(strstr(err, hk_option_name(opt)) != NULL,
                  "%s: expected stderr to name %s, got \"%s\"", entry, hk_option_name(opt), err);
}
END_TEST

/* One bad entry among good ones: only it is reported, the others apply. */
START_TEST(test_invalid_among_valid)
{
    char *envp[] = { "HAKMEM_SS_LRU_MAX_MB=8", "HAKMEM_SS_LRU_TTL_SEC=soon",
                     "HAKMEM_SS_LRU_MAX_CACHED=3", NULL };
    init_capture(envp);
    ck_assert_msg(hk_opt[HK_OPT_SS_LRU_MAX_MB] == 8 && hk_opt[HK_OPT_SS_LRU_MAX_CACHED] == 3,
                  "valid neighbours: expected MAX_MB=8 MAX_CACHED=3, got %ld and %ld",
                  hk_opt[HK_OPT_SS_LRU_MAX_MB], hk_opt[HK_OPT_SS_LRU_MAX_CACHED]);
    ck_assert_msg(hk_opt[HK_OPT_SS_LRU_TTL_SEC] == 60, "TTL_SEC=soon: expected default 60, got %ld",
                  hk_opt[HK_OPT_SS_LRU_TTL_SEC]);
    ck_assert_msg(lines(err) == 1 && strstr(err, "HAKMEM_SS_LRU_TTL_SEC"),
                  "expected one stderr line naming HAKMEM_SS_LRU_TTL_SEC, got %u lines: \"%s\"",
                  lines(err), err);
    ck_assert_msg(!strstr(err, "MAX_MB") && !strstr(err, "MAX_CACHED"),
                  "expected the valid options not to be named, got \"%s\"", err);
}
END_TEST

/* Every 0/1 option takes only 0 and 1, its documented values: a word such as
 * yes, on, true, no, off or false is refused, named with its value in one stderr
 * line, and the default kept. */
static const int flags[] = { HK_OPT_SS_LRU_DEBUG, HK_OPT_SS_FREE_DEBUG, HK_OPT_SS_EMPTY_REUSE,
                             HK_OPT_STATS, HK_OPT_TRACE, HK_OPT_TRACE_KEEP, HK_OPT_TRACE_STACKS };
static const char *const flag_words[] = { "yes", "on", "true", "no", "off", "false", "Y", "01x" };

START_TEST(test_words_refused)
{
    int opt = flags[_i];
    for (size_t w = 0; w < sizeof flag_words / sizeof flag_words[0]; w++) {
        char entry[96];
        snprintf(entry, sizeof entry, "%s=%s", hk_option_name(opt), flag_words[w]);
        char *envp[] = { entry, NULL };
        hk_opt[opt] = 12345;
        init_capture(envp);
        long def = opt == HK_OPT_TRACE || opt == HK_OPT_TRACE_KEEP || opt == HK_OPT_TRACE_STACKS
                       ? 0 : def_of(opt);
        ck_assert_msg(hk_opt[opt] == def, "%s: expected the default %ld kept, got %ld", entry, def,
                      hk_opt[opt]);
        ck_assert_msg(lines(err) == 1, "%s: expected one line on stderr, got %u: \"%s\"", entry,
                      lines(err), err);
        ck_assert_msg(strstr(err, entry) != NULL, "%s: expected stderr to name it, got \"%s\"",
                      entry, err);
        ck_assert_msg(strstr(err, "expected 0") != NULL,
                      "%s: expected stderr to give the valid values (0 or 1), got \"%s\"", entry, err);
    }
}
END_TEST

/* The documented values are taken, without a word on stderr. */
START_TEST(test_flags_take_0_and_1)
{
    int opt = flags[_i];
    for (long v = 0; v <= 1; v++) {
        char entry[96];
        snprintf(entry, sizeof entry, "%s=%ld", hk_option_name(opt), v);
        char *envp[] = { entry, NULL };
        init_capture(envp);
        ck_assert_msg(hk_opt[opt] == v, "%s: expected %ld, got %ld", entry, v, hk_opt[opt]);
        ck_assert_msg(err[0] == '\0', "%s: expected nothing on stderr, got \"%s\"", entry, err);
    }
}
END_TEST

/* HAKMEM_LOG is read before the others, so their warnings go to its file;
 * an empty HAKMEM_LOG is refused and stderr kept. */
START_TEST(test_log_read_first)
{
    char path[64], entry[96];
    snprintf(path, sizeof path, "/tmp/check_options.%d.log", (int)getpid());
    snprintf(entry, sizeof entry, "HAKMEM_LOG=%s", path);
    unlink(path);
    char *envp[] = { "HAKMEM_STATS=yes", entry, NULL };
    init_capture(envp);
    ck_assert_msg(hk_opt[HK_OPT_LOG] == 1 && strcmp(hk_opt_log, path) == 0,
                  "%s: expected the option set to %s, got %ld \"%s\"", entry, path, hk_opt[HK_OPT_LOG],
                  hk_opt_log);
    ck_assert_msg(err[0] == '\0', "%s: expected nothing on stderr, got \"%s\"", entry, err);
    hk_log_open(NULL);
    char text[512] = "";
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s: expected the log file created", path);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    ck_assert_msg(lines(text) == 1 && strstr(text, "HAKMEM_STATS=yes"),
                  "%s: expected the HAKMEM_STATS=yes warning in the log, got \"%s\"", path, text);

    char *empty[] = { "HAKMEM_LOG=", NULL };
    init_capture(empty);
    ck_assert_msg(hk_opt[HK_OPT_LOG] == 0 && hk_log_fd == 2,
                  "HAKMEM_LOG=: expected stderr kept, got option %ld, fd %d", hk_opt[HK_OPT_LOG], hk_log_fd);
    ck_assert_msg(lines(err) == 1 && strstr(err, "HAKMEM_LOG="),
                  "HAKMEM_LOG=: expected one stderr line naming it, got \"%s\"", err);
}
END_TEST

START_TEST(test_unknown_option_warns)
{
    char *envp[] = { "HAKMEM_FOO=1", NULL };
    init_capture(envp);
    ck_assert_msg(lines(err) == 1 && strstr(err, "HAKMEM_FOO"),
                  "HAKMEM_FOO=1: expected one stderr line naming HAKMEM_FOO, got %u: \"%s\"",
                  lines(err), err);
    assert_defaults("HAKMEM_FOO=1");
}
END_TEST

/* The tools' own HAKMEM_* variables (hakmem-trace's HAKMEM_LIB_PATH) pass silently. */
START_TEST(test_tool_variable_silent)
{
    char *envp[] = { "HAKMEM_LIB_PATH=/opt/lib/libhakmem.so", NULL };
    init_capture(envp);
    ck_assert_msg(err[0] == '\0', "HAKMEM_LIB_PATH: expected nothing on stderr, got \"%s\"", err);
    assert_defaults("HAKMEM_LIB_PATH");
}
END_TEST

/* Names match whole: a known name with a suffix or a prefix of one is unknown. */
START_TEST(test_name_matches_exactly)
{
    char *envp[] = { "HAKMEM_SS_LRU_MAX_CACHEDX=5", "HAKMEM_SS_LRU_MAX=5", NULL };
    init_capture(envp);
    assert_defaults("near-miss names");
    ck_assert_msg(lines(err) == 2 && strstr(err, "HAKMEM_SS_LRU_MAX_CACHEDX") &&
                      strstr(err, "HAKMEM_SS_LRU_MAX "),
                  "near-miss names: expected two unknown-option lines naming them, got %u: \"%s\"",
                  lines(err), err);
}
END_TEST

/* Variables that are not HAKMEM_* are none of the allocator's business. */
START_TEST(test_foreign_variables_ignored)
{
    char *envp[] = { "PATH=/usr/bin", "HOME=/root", "XHAKMEM_SS_LRU_MAX_CACHED=5",
                     "HAKMEMSS_LRU_MAX_CACHED=5", "hakmem_ss_lru_max_cached=5", "=", "", NULL };
    init_capture(envp);
    assert_defaults("foreign variables");
    ck_assert_msg(err[0] == '\0', "foreign variables: expected nothing on stderr, got \"%s\"", err);
}
END_TEST

/* Reading again starts from the defaults: an earlier value does not stick. */
START_TEST(test_reinit_resets)
{
    char *one[] = { "HAKMEM_SS_LRU_MAX_CACHED=9", NULL };
    char *none[] = { NULL };
    init_capture(one);
    ck_assert_msg(hk_opt[HK_OPT_SS_LRU_MAX_CACHED] == 9, "first read: expected 9, got %ld",
                  hk_opt[HK_OPT_SS_LRU_MAX_CACHED]);
    init_capture(none);
    ck_assert_msg(hk_opt[HK_OPT_SS_LRU_MAX_CACHED] == 256, "second read: expected 256, got %ld",
                  hk_opt[HK_OPT_SS_LRU_MAX_CACHED]);
}
END_TEST

/* The heap profiler's capture: a word option and a depth bounded by the
 * stack table's frames; bad values named on stderr, the default kept. */
START_TEST(test_profile_options)
{
    char *none[] = { NULL };
    init_capture(none);
    ck_assert_msg(hk_opt[HK_OPT_PROFILE_STACKS] == HK_PROFILE_STACKS_UNWIND && hk_opt[HK_OPT_PROFILE_DEPTH] == 32,
                  "defaults: expected unwind and depth 32, got %ld and %ld", hk_opt[HK_OPT_PROFILE_STACKS],
                  hk_opt[HK_OPT_PROFILE_DEPTH]);
    static const struct { const char *a, *b; long stacks, depth; } good[] = {
        { "HAKMEM_PROFILE_STACKS=fp", "HAKMEM_PROFILE_DEPTH=1", HK_PROFILE_STACKS_FP, 1 },
        { "HAKMEM_PROFILE_STACKS=unwind", "HAKMEM_PROFILE_DEPTH=32", HK_PROFILE_STACKS_UNWIND, 32 },
    };
    for (int k = 0; k < 2; k++) {
        char *envp[] = { (char *)good[k].a, (char *)good[k].b, NULL };
        init_capture(envp);
        ck_assert_msg(hk_opt[HK_OPT_PROFILE_STACKS] == good[k].stacks && hk_opt[HK_OPT_PROFILE_DEPTH] == good[k].depth,
                      "%s %s: expected %ld and %ld, got %ld and %ld", good[k].a, good[k].b, good[k].stacks,
                      good[k].depth, hk_opt[HK_OPT_PROFILE_STACKS], hk_opt[HK_OPT_PROFILE_DEPTH]);
        ck_assert_msg(err[0] == '\0', "%s %s: expected nothing on stderr, got \"%s\"", good[k].a, good[k].b, err);
    }
    static const char *const bad_entries[] = { "HAKMEM_PROFILE_STACKS=frame", "HAKMEM_PROFILE_STACKS=1",
                                               "HAKMEM_PROFILE_STACKS=", "HAKMEM_PROFILE_DEPTH=0",
                                               "HAKMEM_PROFILE_DEPTH=33", "HAKMEM_PROFILE_DEPTH=deep" };
    for (size_t k = 0; k < sizeof bad_entries / sizeof bad_entries[0]; k++) {
        char *envp[] = { (char *)bad_entries[k], NULL };
        init_capture(envp);
        ck_assert_msg(hk_opt[HK_OPT_PROFILE_STACKS] == HK_PROFILE_STACKS_UNWIND && hk_opt[HK_OPT_PROFILE_DEPTH] == 32,
                      "%s: expected the defaults kept, got %ld and %ld", bad_entries[k], hk_opt[HK_OPT_PROFILE_STACKS],
                      hk_opt[HK_OPT_PROFILE_DEPTH]);
        ck_assert_msg(lines(err) == 1 && strstr(err, bad_entries[k]), "%s: expected one stderr line naming it, got \"%s\"",
                      bad_entries[k], err);
    }
    char *word[] = { "HAKMEM_PROFILE_STACKS=frame", NULL };
    init_capture(word);
    ck_assert_msg(strstr(err, "expected unwind or fp") && strstr(err, "using unwind"),
                  "HAKMEM_PROFILE_STACKS=frame: expected the words and the default named, got \"%s\"", err);
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("hk_options_init");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_valid_values);
    tcase_add_test(tc, test_range_limits);
    tcase_add_loop_test(tc, test_invalid_value, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_invalid_among_valid);
    tcase_add_loop_test(tc, test_words_refused, 0, (int)(sizeof flags / sizeof flags[0]));
    tcase_add_loop_test(tc, test_flags_take_0_and_1, 0, (int)(sizeof flags / sizeof flags[0]));
    tcase_add_test(tc, test_log_read_first);
    tcase_add_test(tc, test_unknown_option_warns);
    tcase_add_test(tc, test_tool_variable_silent);
    tcase_add_test(tc, test_name_matches_exactly);
    tcase_add_test(tc, test_foreign_variables_ignored);
    tcase_add_test(tc, test_reinit_resets);
    tcase_add_test(tc, test_profile_options);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(options_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
