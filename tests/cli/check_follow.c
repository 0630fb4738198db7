/* check_follow.c — unit tests of cli/follow.c: images of one pid taken oldest
 * first across PATH, PATH.1 …; other pids, unready and damaged files skipped. */
#include <stddef.h>
#include "unit.h"
#include "hakmem_reader.h"

static char base[256];

static void setup(void)
{
    unit_tmp(base, sizeof base, ".seg");
}

static void teardown(void)
{
    struct hk_follow f;
    hk_follow_init(&f, base, 0);
    hk_follow_unlink(&f);
}

static void name(char *buf, size_t len, int i)
{
    if (i)
        snprintf(buf, len, "%s.%d", base, i);
    else
        snprintf(buf, len, "%s", base);
}

START_TEST(oldest_image_first)
{
    char p[300], path[300], err[HK_ERR_MAX];
    name(p, sizeof p, 0);
    ck_assert_int_eq(unit_segment(p, 77, 300, 1, 1), 0);
    name(p, sizeof p, 2);
    ck_assert_int_eq(unit_segment(p, 77, 100, 2, 1), 0);
    name(p, sizeof p, 1);
    ck_assert_int_eq(unit_segment(p, 77, 200, 3, 1), 0);
    struct hk_follow f;
    hk_follow_init(&f, base, 77);
    static const uint64_t order[] = { 100, 200, 300 };
    for (int i = 0; i < 3; i++) {
        err[0] = '\0';
        struct hakmem_reader *r = hk_follow_next(&f, path, sizeof path, err, sizeof err);
        ck_assert_msg(r, "image %d: expected a segment, got none (%s)", i, err);
        ck_assert_msg(hakmem_reader_header(r)->start_mono_ns == order[i],
                      "image %d: expected start %llu, got %llu (%s)", i,
                      (unsigned long long)order[i],
                      (unsigned long long)hakmem_reader_header(r)->start_mono_ns, path);
        ck_assert_msg(hk_follow_newer(&f) == (i < 2), "image %d: newer ones %s", i,
                      i < 2 ? "follow" : "do not follow");
        hakmem_reader_close(r);
    }
    err[0] = '\0';
    ck_assert_msg(!hk_follow_next(&f, path, sizeof path, err, sizeof err) && !err[0],
                  "after the last image: none, and no error");
}
END_TEST

START_TEST(other_pids_and_unready_skipped)
{
    char p[300], path[300], err[HK_ERR_MAX] = "";
    name(p, sizeof p, 0);
    ck_assert_int_eq(unit_segment(p, 78, 100, 1, 1), 0); /* a grandchild's */
    name(p, sizeof p, 1);
    ck_assert_int_eq(unit_segment(p, 77, 200, 1, 0), 0); /* being created */
    name(p, sizeof p, 3);
    FILE *junk = fopen(p, "w");
    fputs("junk", junk);
    fclose(junk);
    struct hk_follow f;
    hk_follow_init(&f, base, 77);
    ck_assert_msg(!hk_follow_next(&f, path, sizeof path, err, sizeof err) && !err[0],
                  "nothing of pid 77 is ready: none, no error (%s)", err);
    ck_assert_msg(!hk_follow_newer(&f), "nothing newer");
    name(p, sizeof p, 1);
    ck_assert_int_eq(unit_segment(p, 77, 200, 1, 1), 0);
    struct hakmem_reader *r = hk_follow_next(&f, path, sizeof path, err, sizeof err);
    ck_assert_msg(r && strcmp(path, p) == 0, "ready now: expected %s, got %s", p, r ? path : err);
    hakmem_reader_close(r);
}
END_TEST

START_TEST(a_drained_segment_is_refused)
{
    char p[300], path[300], err[HK_ERR_MAX] = "";
    name(p, sizeof p, 0);
    ck_assert_int_eq(unit_segment(p, 77, 100, 1, 1), 0);
    struct hakmem_reader *mine = hakmem_reader_open(p, 1, err, sizeof err);
    ck_assert_msg(mine, "%s", err);
    /* another process drains it: pid 1 is always alive */
    int32_t one = 1;
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0 && pwrite(fd, &one, sizeof one,
                                    offsetof(struct hakmem_seg_header, reader_pid)) == sizeof one,
                  "cannot write reader_pid into %s", p);
    close(fd);
    struct hk_follow f;
    hk_follow_init(&f, base, 77);
    ck_assert_msg(!hk_follow_next(&f, path, sizeof path, err, sizeof err) &&
                      strstr(err, "being drained by process 1"),
                  "expected 'being drained', got '%s'", err);
    hakmem_reader_close(mine);
}
END_TEST

START_TEST(unlink_removes_every_name)
{
    char p[300];
    for (int i = 0; i < 3; i++) {
        name(p, sizeof p, i * 7);
        ck_assert_int_eq(unit_segment(p, 77, 100, 1, 1), 0);
    }
    struct hk_follow f;
    hk_follow_init(&f, base, 77);
    hk_follow_unlink(&f);
    for (int i = 0; i < 3; i++) {
        name(p, sizeof p, i * 7);
        ck_assert_msg(access(p, F_OK) != 0, "%s must be gone", p);
    }
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/follow");
    TCase *t = tcase_create("follow");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, oldest_image_first);
    tcase_add_test(t, other_pids_and_unready_skipped);
    tcase_add_test(t, a_drained_segment_is_refused);
    tcase_add_test(t, unlink_removes_every_name);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
