/* check_log.c — unit tests of lib/log.c: hk_fmt conversions, flags, widths and
 * length modifiers against snprintf, truncation and the returned length; the
 * HAKMEM_LOG file (hk_log_open). */
#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* ---- HAKMEM_LOG: hk_log_open */

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_log.XXXXXX");
    ck_assert_msg(mkdtemp(dir) != NULL, "mkdtemp: expected a folder, got NULL");
}

/* The whole file at path (NUL-terminated; empty when missing). */
static char *slurp(const char *path)
{
    static char text[4096];
    text[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, text, sizeof text - 1);
        text[n > 0 ? n : 0] = '\0';
        close(fd);
    }
    return text;
}

/* What f() wrote on descriptor 2, with fd 2 on a memfd meanwhile. */
static char *stderr_of(void (*f)(const char *), const char *arg)
{
    static char err[1024];
    int mem = memfd_create("stderr", 0), saved = dup(2);
    ck_assert_msg(mem >= 0 && saved >= 0 && dup2(mem, 2) == 2, "dup2 over fd 2: expected success");
    f(arg);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(mem, err, sizeof err - 1, 0);
    close(mem);
    err[n > 0 ? n : 0] = '\0';
    return err;
}

static bool opened;
static void open_log(const char *tmpl)
{
    opened = hk_log_open(tmpl);
}

/* %p becomes the pid; hk_log's lines go to the file, appended, nothing to stderr. */
START_TEST(test_log_file_pid)
{
    make_dir();
    char tmpl[128], path[128];
    snprintf(tmpl, sizeof tmpl, "%s/x.%%p.log", dir);
    snprintf(path, sizeof path, "%s/x.%d.log", dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    ck_assert_msg(fd >= 0 && write(fd, "before\n", 7) == 7, "writing %s: expected success", path);
    close(fd);
    char *err = stderr_of(open_log, tmpl);
    ck_assert_msg(opened && hk_log_fd != 2, "hk_log_open(%s): expected the file as the log, got %s fd %d",
                  tmpl, opened ? "true" : "false", hk_log_fd);
    hk_log("[LRU_POP] class=%u (miss)\n", 3u);
    char *err2 = stderr_of(open_log, NULL); /* back to stderr; closes the file */
    ck_assert_msg(err[0] == '\0' && err2[0] == '\0', "expected nothing on stderr, got \"%s%s\"", err,
                  err2);
    ck_assert_msg(hk_log_fd == 2, "hk_log_open(NULL): expected fd 2 again, got %d", hk_log_fd);
    ck_assert_msg(strcmp(slurp(path), "before\n[LRU_POP] class=3 (miss)\n") == 0,
                  "%s: expected the old line then the log line (appended), got \"%s\"", path,
                  slurp(path));
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A new file is created mode 0600 (umask aside) on a high close-on-exec descriptor. */
START_TEST(test_log_file_mode_and_fd)
{
    make_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/new.log", dir);
    mode_t old = umask(0);
    ck_assert_msg(hk_log_open(path), "hk_log_open(%s): expected true, got false", path);
    umask(old);
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
                  "%s: expected mode 0600, got %o", path, (unsigned)(st.st_mode & 0777));
    ck_assert_msg(hk_log_fd >= 20, "log descriptor: expected one of 20 and above, got %d", hk_log_fd);
    int flags = fcntl(hk_log_fd, F_GETFD);
    ck_assert_msg(flags >= 0 && (flags & FD_CLOEXEC), "log descriptor %d: expected FD_CLOEXEC, got %d",
                  hk_log_fd, flags);
    int fl = fcntl(hk_log_fd, F_GETFL);
    ck_assert_msg(fl >= 0 && (fl & O_APPEND), "log descriptor %d: expected O_APPEND, got flags %o",
                  hk_log_fd, (unsigned)fl);
    int fd = hk_log_fd;
    hk_log_open(NULL);
    ck_assert_msg(fcntl(fd, F_GETFD) < 0, "hk_log_open(NULL): expected descriptor %d closed", fd);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* A path that cannot be opened (no folder, a symlink, too long) is one line on
 * stderr naming it, and the log stays stderr. */
START_TEST(test_log_bad_path)
{
    make_dir();
    char link[128], target[128], missing[128], longname[300];
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/x.log", dir);
    ck_assert_msg(symlink(target, link) == 0, "symlink %s: expected 0", link);
    memset(longname, 'a', sizeof longname - 1);
    longname[0] = '/';
    longname[sizeof longname - 1] = '\0';
    const char *bad[] = { missing, link, longname };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = stderr_of(open_log, bad[i]);
        ck_assert_msg(!opened && hk_log_fd == 2, "hk_log_open(%.40s): expected false and fd 2, got %s, %d",
                      bad[i], opened ? "true" : "false", hk_log_fd);
        unsigned nl = 0;
        for (char *c = err; *c; c++)
            nl += *c == '\n';
        ck_assert_msg(nl == 1 && strstr(err, "HAKMEM_LOG") && strstr(err, bad[i]),
                      "hk_log_open(%.40s): expected one stderr line naming HAKMEM_LOG and the path, got \"%s\"",
                      bad[i], err);
    }
    ck_assert_msg(access(target, F_OK) != 0, "%s: expected the symlink's target not created", target);
    unlink(link);
    rmdir(dir);
}
END_TEST

/* The stats table's first line names the process: its pid and command. */
START_TEST(test_stats_names_process)
{
    int mem = memfd_create("stats", 0);
    ck_assert_msg(mem >= 0, "memfd_create: expected a descriptor");
    hakmem_stats_print(mem);
    char text[256], want[64];
    ssize_t n = pread(mem, text, sizeof text - 1, 0);
    close(mem);
    text[n > 0 ? n : 0] = '\0';
    char *nl = strchr(text, '\n');
    if (nl)
        *nl = '\0';
    snprintf(want, sizeof want, "hakmem stats: pid %d: ", (int)getpid());
    ck_assert_msg(strncmp(text, want, strlen(want)) == 0 && strstr(text, "check_log"),
                  "stats table: expected a first line \"%s...check_log...\", got \"%s\"", want, text);
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
    tc = tcase_create("hk_log_open");
    tcase_add_test(tc, test_log_file_pid);
    tcase_add_test(tc, test_log_file_mode_and_fd);
    tcase_add_test(tc, test_log_bad_path);
    tcase_add_test(tc, test_stats_names_process);
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
