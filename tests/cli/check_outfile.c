/* check_outfile.c — unit tests of cli/outfile.c: a file appears whole only once
 * closed with success, a failure leaves an existing file as it was and no
 * temporary behind, a missing directory is one sentence, a device is written as it is. */
#include <dirent.h>
#include <libgen.h>
#include <sys/stat.h>
#include "unit.h"

/* Files in dir whose names start with prefix. */
static int count_like(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    if (d)
        closedir(d);
    return n;
}

static void slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

/* Asserts that no temporary of path (path.XXXXXX) is left beside it. */
static void no_temporary(const char *path)
{
    char dir[256], base[256];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(base, sizeof base, "%s", path);
    char prefix[300];
    snprintf(prefix, sizeof prefix, "%s.", basename(base));
    ck_assert_msg(count_like(dirname(dir), prefix) == 0, "no temporary %s* left", prefix);
}

START_TEST(written_whole_on_success)
{
    char path[256], err[HK_ERR_MAX], got[64];
    unit_tmp(path, sizeof path, ".out");
    struct hk_outfile o;
    ck_assert_msg(hk_outfile_open(&o, path, err, sizeof err) == 0, "open: %s", err);
    fputs("new contents", o.f);
    fflush(o.f);
    ck_assert_msg(access(path, F_OK) != 0, "before the close: expected no file at %s", path);
    ck_assert_msg(hk_outfile_close(&o, 1, err, sizeof err) == 0, "close: %s", err);
    slurp(path, got, sizeof got);
    ck_assert_msg(strcmp(got, "new contents") == 0, "after the close: expected the contents, got %s", got);
    no_temporary(path);
    unlink(path);
}
END_TEST

START_TEST(failure_keeps_the_old_file)
{
    char path[256], err[HK_ERR_MAX], got[64];
    unit_tmp(path, sizeof path, ".out");
    FILE *f = fopen(path, "w");
    fputs("old", f);
    fclose(f);
    struct hk_outfile o;
    ck_assert_msg(hk_outfile_open(&o, path, err, sizeof err) == 0, "open: %s", err);
    fputs("half of it", o.f);
    ck_assert_msg(hk_outfile_close(&o, 0, err, sizeof err) == -1, "close after a failure: expected -1");
    slurp(path, got, sizeof got);
    ck_assert_msg(strcmp(got, "old") == 0, "after a failure: expected the old contents, got %s", got);
    no_temporary(path);
    unlink(path);
}
END_TEST

START_TEST(missing_directory_and_devices)
{
    char err[HK_ERR_MAX];
    struct hk_outfile o;
    ck_assert_msg(hk_outfile_open(&o, "/nonexistent-dir/x.out", err, sizeof err) == -1,
                  "a missing directory: expected -1");
    ck_assert_msg(strstr(err, "cannot write /nonexistent-dir/x.out") && !strchr(err, '\n'),
                  "one sentence naming the path, got: %s", err);
    ck_assert_msg(hk_outfile_open(&o, "/dev/null", err, sizeof err) == 0, "/dev/null: %s", err);
    ck_assert_msg(o.tmp[0] == '\0', "/dev/null is written directly, not through a temporary");
    fputs("x", o.f);
    ck_assert_msg(hk_outfile_close(&o, 1, err, sizeof err) == 0, "close /dev/null: %s", err);
    struct stat st;
    ck_assert_msg(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null still a device");
    ck_assert_msg(hk_outfile_open(&o, "/dev/full", err, sizeof err) == 0, "/dev/full: %s", err);
    for (int i = 0; i < 10000; i++)
        fputs("filling ", o.f);
    ck_assert_msg(hk_outfile_close(&o, 1, err, sizeof err) == -1, "/dev/full: expected the close to fail");
    ck_assert_msg(strstr(err, "cannot write /dev/full"), "one sentence naming the device, got: %s", err);
    ck_assert_msg(hk_outfile_open(&o, "-", err, sizeof err) == 0 && o.f == stdout, "-: stdout");
    ck_assert_msg(hk_outfile_open(&o, NULL, err, sizeof err) == 0 && o.f == stdout, "NULL: stdout");
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/outfile");
    TCase *t = tcase_create("outfile");
    tcase_add_test(t, written_whole_on_success);
    tcase_add_test(t, failure_keeps_the_old_file);
    tcase_add_test(t, missing_directory_and_devices);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
