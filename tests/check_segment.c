/* check_segment.c — the trace segment: created 0600 with O_EXCL|O_NOFOLLOW,
 * a planted symlink refused, and readers refusing bad magic, version or size. */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ring.h"
#include "hakmem_reader.h"
#include "unit_main.h"

static char path[128];

static void set_path(const char *tag)
{
    snprintf(path, sizeof path, "/tmp/hakmem-check-seg-%s.%d", tag, (int)getpid());
    unlink(path);
}

/* Creates a segment with a few events and closes it, keeping the file. */
static void make_kept(void)
{
    struct hk_trace t = { 0 };
    int e = hk_segment_create(&t, path, 1024, HAKMEM_TRACE_LOSSLESS, true);
    ck_assert_msg(e == 0, "create %s: errno %d", path, e);
    struct hakmem_event ev = { .type = HAKMEM_EV_SS_MAP };
    for (int i = 0; i < 10; i++)
        hk_ring_write(&t, &ev);
    hk_segment_close(&t, true);
    munmap(t.seg, t.size);
}

static void expect_refused(const char *what, const char *needle)
{
    char err[256] = "";
    struct hakmem_reader *r = hakmem_reader_open(path, 0, err, sizeof err);
    ck_assert_msg(r == NULL, "%s: reader accepted the segment", what);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, err, needle);
    ck_assert_msg(strchr(err, '\n') == NULL, "%s: message is not one line", what);
}

static void patch(off_t off, const void *bytes, size_t n)
{
    int fd = open(path, O_WRONLY);
    ck_assert_msg(fd >= 0, "open %s for patching", path);
    ck_assert_msg(pwrite(fd, bytes, n, off) == (ssize_t)n, "pwrite at %lld", (long long)off);
    close(fd);
}

START_TEST(test_mode_0600)
{
    set_path("mode");
    mode_t old = umask(0);
    make_kept();
    umask(old);
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "segment %s exists after close with keep", path);
    ck_assert_msg((st.st_mode & 0777) == 0600, "mode %o, expected 600", st.st_mode & 0777);
    char err[256];
    struct hakmem_reader *r = hakmem_reader_open(path, 0, err, sizeof err);
    ck_assert_msg(r != NULL, "reader refused a good segment: %s", err);
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    ck_assert_msg(h->pid == getpid() && h->exited == 1 && h->head == 10,
                  "header pid %d exited %u head %llu, expected %d 1 10", h->pid, h->exited,
                  (unsigned long long)h->head, (int)getpid());
    ck_assert_msg(h->class_size[1] == 32 && h->nclasses == HK_CLASSES,
                  "class 1 block size %u of %u classes, expected 32 of %d", h->class_size[1], h->nclasses,
                  HK_CLASSES);
    ck_assert_msg(strstr(h->exe, "check_segment") != NULL, "exe \"%s\"", h->exe);
    hakmem_reader_close(r);
    unlink(path);
}
END_TEST

START_TEST(test_refuses_symlink_and_existing)
{
    set_path("link");
    char target[160];
    snprintf(target, sizeof target, "%s.target", path);
    unlink(target);
    ck_assert_msg(symlink(target, path) == 0, "planting symlink");
    struct hk_trace t = { 0 };
    int e = hk_segment_create(&t, path, 1024, 0, false);
    ck_assert_msg(e != 0, "create followed a symlink planted at %s", path);
    ck_assert_msg(access(target, F_OK) != 0, "the symlink's target was created");
    unlink(path);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    close(fd);
    e = hk_segment_create(&t, path, 1024, 0, false);
    ck_assert_msg(e == EEXIST, "create over an existing file returned %d, expected EEXIST", e);
    unlink(path);
}
END_TEST

START_TEST(test_bad_magic_version_size)
{
    set_path("bad");
    make_kept();
    patch(0, "NOTHAKMM", 8);
    expect_refused("bad magic", "not a hakmem trace segment");
    patch(0, HAKMEM_SEG_MAGIC, 8);
    uint32_t v = HAKMEM_SEG_VERSION + 1;
    patch(offsetof(struct hakmem_seg_header, version), &v, sizeof v);
    expect_refused("newer version", "format version");
    v = HAKMEM_SEG_VERSION;
    patch(offsetof(struct hakmem_seg_header, version), &v, sizeof v);
    ck_assert_msg(truncate(path, 4096) == 0, "truncate");
    expect_refused("truncated", "corrupt or truncated");
    ck_assert_msg(truncate(path, 0) == 0, "truncate to 0");
    expect_refused("empty", "not a hakmem trace segment");
    unlink(path);
    expect_refused("missing", "cannot open");
}
END_TEST

/* Truncations and bit flips of the header: refused or read, never a crash. */
START_TEST(test_fuzz_header)
{
    set_path("fuzz");
    make_kept();
    int fd = open(path, O_RDONLY);
    struct stat st;
    fstat(fd, &st);
    size_t size = (size_t)st.st_size;
    char *orig = malloc(size);
    ck_assert_msg(pread(fd, orig, size, 0) == (ssize_t)size, "reading the segment");
    close(fd);
    srand(7);
    int refused = 0;
    for (int i = 0; i < 400; i++) {
        unlink(path);
        fd = open(path, O_CREAT | O_WRONLY, 0600);
        size_t n = i % 2 ? size : (size_t)rand() % size;
        char *copy = malloc(size);
        memcpy(copy, orig, size);
        for (int k = 0; k < 1 + i % 4; k++) {
            size_t at = (size_t)rand() % sizeof(struct hakmem_seg_header);
            copy[at] ^= (char)(1u << (rand() % 8));
        }
        ck_assert_msg(write(fd, copy, n) == (ssize_t)n, "writing fuzzed copy");
        close(fd);
        free(copy);
        char err[256];
        struct hakmem_reader *r = hakmem_reader_open(path, 1, err, sizeof err);
        if (!r) {
            refused++;
            continue;
        }
        struct hakmem_event out[64];
        hakmem_reader_drain(r, out, 64, NULL);
        hakmem_reader_close(r);
    }
    ck_assert_msg(refused > 100, "only %d of 400 damaged segments were refused", refused);
    free(orig);
    unlink(path);
}
END_TEST

static Suite *segment_suite(void)
{
    Suite *s = suite_create("segment");
    TCase *tc = tcase_create("segment");
    tcase_add_test(tc, test_mode_0600);
    tcase_add_test(tc, test_refuses_symlink_and_existing);
    tcase_add_test(tc, test_bad_magic_version_size);
    tcase_add_test(tc, test_fuzz_header);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_main(segment_suite);
}
