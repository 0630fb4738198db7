/* check_follow.c — unit tests of cli/follow.c: the images of one pid taken
 * oldest first across hakmem.PID, hakmem.PID.1 …; other pids, unready and
 * damaged files skipped; a recorder's tree found by recorder_pid, its empty
 * forked images waited for or passed over; unlink removes the tree's only;
 * the wait for a new file wakes when one appears, and times out when none does. */
#include <stddef.h>
#include <sys/stat.h>
#include "unit.h"
#include "hakmem_reader.h"

static char dir[256];

static void setup(void)
{
    unit_tmp(dir, sizeof dir, ".dir");
    ck_assert_msg(mkdir(dir, 0700) == 0, "mkdir %s", dir);
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* dir/hakmem.<pid>[.<i>] */
static void name(char *buf, size_t len, int pid, int i)
{
    if (i)
        snprintf(buf, len, "%s/hakmem.%d.%d", dir, pid, i);
    else
        snprintf(buf, len, "%s/hakmem.%d", dir, pid);
}

/* Sets a 32-bit header field of the segment at path. */
static void patch32(const char *path, size_t off, uint32_t v)
{
    int fd = open(path, O_WRONLY);
    ck_assert_msg(fd >= 0 && pwrite(fd, &v, sizeof v, (off_t)off) == (ssize_t)sizeof v,
                  "patch %s", path);
    close(fd);
}

START_TEST(oldest_image_first)
{
    char p[300], path[600], err[HK_ERR_MAX];
    name(p, sizeof p, 77, 0);
    ck_assert_int_eq(unit_segment(p, 77, 300, 1, 1), 0);
    name(p, sizeof p, 77, 2);
    ck_assert_int_eq(unit_segment(p, 77, 100, 2, 1), 0);
    name(p, sizeof p, 77, 1);
    ck_assert_int_eq(unit_segment(p, 77, 200, 3, 1), 0);
    struct hk_follow f;
    hk_follow_init(&f, dir, 77, 0);
    static const uint64_t order[] = { 100, 200, 300 };
    for (int i = 0; i < 3; i++) {
        err[0] = '\0';
        struct hakmem_reader *r = hk_follow_next(&f, path, sizeof path, err, sizeof err);
        ck_assert_msg(r, "image %d: expected a segment, got none (%s)", i, err);
        ck_assert_msg(hakmem_reader_header(r)->start_mono_ns == order[i],
                      "image %d: expected start %llu, got %llu (%s)", i,
                      (unsigned long long)order[i],
                      (unsigned long long)hakmem_reader_header(r)->start_mono_ns, path);
        hakmem_reader_close(r);
    }
    err[0] = '\0';
    ck_assert_msg(!hk_follow_next(&f, path, sizeof path, err, sizeof err) && !err[0],
                  "after the last image: none, and no error");
    hk_follow_free(&f);
}
END_TEST

START_TEST(other_pids_and_unready_skipped)
{
    char p[300], path[600], err[HK_ERR_MAX] = "";
    name(p, sizeof p, 78, 0);
    ck_assert_int_eq(unit_segment(p, 78, 100, 1, 1), 0); /* another process's */
    name(p, sizeof p, 77, 1);
    ck_assert_int_eq(unit_segment(p, 77, 200, 1, 0), 0); /* being created */
    name(p, sizeof p, 77, 3);
    FILE *junk = fopen(p, "w");
    fputs("junk", junk);
    fclose(junk);
    struct hk_follow f;
    hk_follow_init(&f, dir, 77, 0);
    ck_assert_msg(!hk_follow_next(&f, path, sizeof path, err, sizeof err) && !err[0],
                  "nothing of pid 77 is ready: none, no error (%s)", err);
    name(p, sizeof p, 77, 1);
    ck_assert_int_eq(unit_segment(p, 77, 200, 1, 1), 0);
    struct hakmem_reader *r = hk_follow_next(&f, path, sizeof path, err, sizeof err);
    ck_assert_msg(r && strcmp(path, p) == 0, "ready now: expected %s, got %s", p, r ? path : err);
    hakmem_reader_close(r);
    hk_follow_free(&f);
}
END_TEST

START_TEST(a_drained_segment_is_refused)
{
    char p[300], path[600], err[HK_ERR_MAX] = "";
    name(p, sizeof p, 77, 0);
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
    hk_follow_init(&f, dir, 77, 0);
    ck_assert_msg(!hk_follow_next(&f, path, sizeof path, err, sizeof err) &&
                      strstr(err, "being drained by process 1"),
                  "expected 'being drained', got '%s'", err);
    hakmem_reader_close(mine);
    hk_follow_free(&f);
}
END_TEST

/* A recorder (pid 500) follows every segment naming it, whatever its pid; a
 * forked image without events waits while its process lives (ours: getpid)
 * and is passed over once exited. */
START_TEST(a_recorders_tree)
{
    char p[300], path[600], err[HK_ERR_MAX] = "";
    const size_t rec = offsetof(struct hakmem_seg_header, recorder_pid);
    const size_t flags = offsetof(struct hakmem_seg_header, flags);
    const size_t exited = offsetof(struct hakmem_seg_header, exited);
    name(p, sizeof p, 10, 0);
    ck_assert_int_eq(unit_segment(p, 10, 100, 3, 1), 0);
    patch32(p, rec, 500);
    name(p, sizeof p, 11, 0);
    ck_assert_int_eq(unit_segment(p, 11, 200, 3, 1), 0); /* another recorder's */
    patch32(p, rec, 501);
    name(p, sizeof p, getpid(), 0);
    ck_assert_int_eq(unit_segment(p, getpid(), 300, 0, 1), 0); /* forked, no event yet */
    patch32(p, rec, 500);
    patch32(p, flags, HAKMEM_SEG_FORKED);
    name(p, sizeof p, 12, 0);
    ck_assert_int_eq(unit_segment(p, 12, 400, 0, 1), 0); /* forked, exited without one */
    patch32(p, rec, 500);
    patch32(p, flags, HAKMEM_SEG_FORKED);
    patch32(p, exited, 1);
    struct hk_follow f;
    hk_follow_init(&f, dir, 0, 500);
    struct hakmem_reader *r = hk_follow_next(&f, path, sizeof path, err, sizeof err);
    ck_assert_msg(r && hakmem_reader_header(r)->pid == 10, "expected pid 10's segment, got %s",
                  r ? path : err);
    hakmem_reader_close(r);
    ck_assert_msg(!hk_follow_next(&f, path, sizeof path, err, sizeof err) && !err[0],
                  "the empty forked images are not opened, nor another recorder's (%s)", err);
    ck_assert_int_eq(hk_follow_pending(&f), 1); /* ours, alive: it may still write */
    name(p, sizeof p, getpid(), 0);
    uint64_t head = 2; /* its first events */
    int fd = open(p, O_WRONLY);
    ck_assert_msg(fd >= 0 && pwrite(fd, &head, sizeof head,
                                    (off_t)offsetof(struct hakmem_seg_header, head)) == 8,
                  "patch the head of %s", p);
    close(fd);
    r = hk_follow_next(&f, path, sizeof path, err, sizeof err);
    ck_assert_msg(r && strcmp(path, p) == 0, "with events: expected %s, got %s", p, r ? path : err);
    hakmem_reader_close(r);
    ck_assert_int_eq(hk_follow_pending(&f), 0);
    hk_follow_unlink(&f);
    name(p, sizeof p, 11, 0);
    ck_assert_msg(access(p, F_OK) == 0, "unlink keeps another recorder's %s", p);
    name(p, sizeof p, 10, 0);
    ck_assert_msg(access(p, F_OK) != 0, "unlink removes the tree's %s", p);
    hk_follow_free(&f);
}
END_TEST

START_TEST(wait_wakes_on_a_new_file)
{
    struct hk_follow f;
    hk_follow_init(&f, dir, 77, 0);
    ck_assert_msg(f.notify >= 0, "inotify on %s: expected a watch", dir);
    uint64_t t0 = hk_mono_ns();
    ck_assert_msg(hk_follow_wait(&f, 20) == 0, "no new file: expected a time-out");
    ck_assert_msg(hk_mono_ns() - t0 >= 15000000u, "the time-out waited %llu ns, expected ~20 ms",
                  (unsigned long long)(hk_mono_ns() - t0));
    char p[300];
    name(p, sizeof p, 78, 0);
    ck_assert_int_eq(unit_segment(p, 78, 100, 1, 1), 0);
    ck_assert_msg(hk_follow_wait(&f, 5000) == 1, "a new segment: expected a wake");
    ck_assert_msg(hk_follow_wait(&f, 1) == 0, "the wake's events read: expected none left");
    hk_follow_free(&f);
    ck_assert_msg(f.notify == -1, "free closes the watch");
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
    tcase_add_test(t, a_recorders_tree);
    tcase_add_test(t, wait_wakes_on_a_new_file);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
