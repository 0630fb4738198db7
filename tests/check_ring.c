/* check_ring.c — the event ring: wrap-around, many producers with a live
 * reader (each event delivered once or counted dropped), exact drops, overwrite,
 * and HAKMEM_TRACE_WAIT: a full ring waits for a slow reader, not for a stalled one. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "ring.h"
#include "hakmem_reader.h"
#include "unit_main.h"

#define TEST_TYPE 200

static char path[128];
static struct hk_trace tr;

static void make_ring(uint64_t cap, unsigned mode)
{
    snprintf(path, sizeof path, "/tmp/hakmem-check-ring.%d", (int)getpid());
    unlink(path);
    memset(&tr, 0, sizeof tr);
    int e = hk_segment_create(&tr, path, cap, mode, false);
    ck_assert_msg(e == 0, "hk_segment_create(%s) returned errno %d, expected 0", path, e);
}

static void drop_ring(void)
{
    hk_segment_close(&tr, false);
    munmap(tr.seg, tr.size);
}

static void emit(uint64_t producer, uint64_t n)
{
    struct hakmem_event ev = { .type = TEST_TYPE, .arg0 = producer, .arg1 = n };
    hk_ring_write(&tr, &ev);
}

static struct hakmem_reader *open_reader(int drain)
{
    char err[256] = "";
    struct hakmem_reader *r = hakmem_reader_open(path, drain, err, sizeof err);
    ck_assert_msg(r != NULL, "hakmem_reader_open(%s) failed: %s", path, err);
    return r;
}

/* A draining reader opened from another thread (no ck_assert there). */
static struct hakmem_reader *open_reader_for_thread(void)
{
    char err[256] = "";
    return hakmem_reader_open(path, 1, err, sizeof err);
}

START_TEST(test_wrap_around)
{
    make_ring(1024, HAKMEM_TRACE_LOSSLESS);
    struct hakmem_reader *r = open_reader(1);
    struct hakmem_event out[300];
    uint64_t expect = 0;
    for (int round = 0; round < 20; round++) { /* 20 * 300 = 6000 events through 1024 slots */
        for (int i = 0; i < 300; i++)
            emit(0, expect + (uint64_t)i);
        size_t n = hakmem_reader_drain(r, out, 300, NULL);
        ck_assert_msg(n == 300, "round %d: drained %zu events, expected 300", round, n);
        for (size_t i = 0; i < n; i++, expect++) {
            ck_assert_msg(out[i].arg1 == expect, "event %zu has arg1 %llu, expected %llu", i,
                          (unsigned long long)out[i].arg1, (unsigned long long)expect);
            ck_assert_msg(out[i].seq == expect + 1, "seq %llu, expected %llu",
                          (unsigned long long)out[i].seq, (unsigned long long)expect + 1);
            ck_assert_msg(out[i].ts_ns != 0 && out[i].tid != 0, "event %llu lacks time or tid",
                          (unsigned long long)expect);
        }
    }
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    ck_assert_msg(c.written == 6000 && c.dropped == 0 && c.consumed == 6000,
                  "counts written %llu dropped %llu consumed %llu, expected 6000/0/6000",
                  (unsigned long long)c.written, (unsigned long long)c.dropped,
                  (unsigned long long)c.consumed);
    hakmem_reader_close(r);
    drop_ring();
}
END_TEST

#define PRODUCERS 4
#define PER_PRODUCER 200000

static void *producer(void *arg)
{
    uint64_t id = (uintptr_t)arg;
    for (uint64_t i = 0; i < PER_PRODUCER; i++)
        emit(id, i);
    return NULL;
}

START_TEST(test_producers_with_reader)
{
    make_ring(4096, HAKMEM_TRACE_LOSSLESS);
    struct hakmem_reader *r = open_reader(1);
    pthread_t th[PRODUCERS];
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        pthread_create(&th[i], NULL, producer, (void *)i);
    static uint8_t seen[PRODUCERS][PER_PRODUCER];
    memset(seen, 0, sizeof seen);
    uint64_t last[PRODUCERS], delivered = 0;
    memset(last, 0xff, sizeof last);
    struct hakmem_event out[512];
    int joined = 0;
    for (;;) {
        size_t n = hakmem_reader_drain(r, out, 512, NULL);
        for (size_t i = 0; i < n; i++) {
            uint64_t p = out[i].arg0, k = out[i].arg1;
            ck_assert_msg(p < PRODUCERS && k < PER_PRODUCER, "bad event %llu/%llu",
                          (unsigned long long)p, (unsigned long long)k);
            ck_assert_msg(!seen[p][k], "event %llu of producer %llu delivered twice",
                          (unsigned long long)k, (unsigned long long)p);
            ck_assert_msg(last[p] == UINT64_MAX || k > last[p],
                          "producer %llu: event %llu after %llu (out of order)",
                          (unsigned long long)p, (unsigned long long)k, (unsigned long long)last[p]);
            seen[p][k] = 1;
            last[p] = k;
            delivered++;
        }
        if (!n && joined)
            break;
        if (!n && !joined) {
            for (int i = 0; i < PRODUCERS; i++)
                pthread_join(th[i], NULL);
            joined = 1;
        }
    }
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    uint64_t produced = (uint64_t)PRODUCERS * PER_PRODUCER;
    ck_assert_msg(c.written + c.dropped == produced,
                  "written %llu + dropped %llu != produced %llu", (unsigned long long)c.written,
                  (unsigned long long)c.dropped, (unsigned long long)produced);
    ck_assert_msg(delivered == c.written, "delivered %llu, ring says written %llu",
                  (unsigned long long)delivered, (unsigned long long)c.written);
    hakmem_reader_close(r);
    drop_ring();
}
END_TEST

START_TEST(test_no_reader_drops_exactly)
{
    make_ring(1024, HAKMEM_TRACE_LOSSLESS);
    for (int i = 0; i < 5000; i++)
        emit(0, (uint64_t)i);
    struct hakmem_reader *r = open_reader(1);
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    ck_assert_msg(c.written == 1024 && c.dropped == 5000 - 1024,
                  "full ring: written %llu dropped %llu, expected 1024 and 3976",
                  (unsigned long long)c.written, (unsigned long long)c.dropped);
    static struct hakmem_event out[2048];
    size_t n = hakmem_reader_drain(r, out, 2048, NULL);
    ck_assert_msg(n == 1024, "drained %zu, expected the 1024 oldest", n);
    ck_assert_msg(out[0].arg1 == 0 && out[1023].arg1 == 1023,
                  "lossless keeps the oldest: got %llu..%llu, expected 0..1023",
                  (unsigned long long)out[0].arg1, (unsigned long long)out[1023].arg1);
    hakmem_reader_close(r);
    drop_ring();
}
END_TEST

START_TEST(test_overwrite_keeps_newest)
{
    make_ring(1024, HAKMEM_TRACE_OVERWRITE);
    for (int i = 0; i < 5000; i++)
        emit(0, (uint64_t)i);
    struct hakmem_reader *r = open_reader(1);
    static struct hakmem_event out[2048];
    uint64_t lost = 0;
    size_t n = hakmem_reader_drain(r, out, 2048, &lost);
    ck_assert_msg(n == 1024, "overwrite drained %zu, expected 1024", n);
    ck_assert_msg(out[0].arg1 == 5000 - 1024 && out[1023].arg1 == 4999,
                  "overwrite keeps the newest: got %llu..%llu, expected 3976..4999",
                  (unsigned long long)out[0].arg1, (unsigned long long)out[1023].arg1);
    ck_assert_msg(lost == 5000 - 1024, "lost %llu, expected 3976", (unsigned long long)lost);
    hakmem_reader_close(r);
    drop_ring();
}
END_TEST

START_TEST(test_late_or_dead_reader)
{
    make_ring(1024, HAKMEM_TRACE_LOSSLESS);
    for (int i = 0; i < 100; i++)
        emit(0, (uint64_t)i);
    pid_t pid = fork();
    if (pid == 0) { /* a reader that drains a little and dies */
        char err[128];
        struct hakmem_reader *r = hakmem_reader_open(path, 1, err, sizeof err);
        struct hakmem_event out[10];
        _exit(r && hakmem_reader_drain(r, out, 10, NULL) == 10 ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child reader failed (status %d)", st);
    for (int i = 100; i < 200; i++)
        emit(0, (uint64_t)i);
    struct hakmem_reader *r = open_reader(1); /* attaches late: resumes at the tail */
    static struct hakmem_event out[512];
    size_t n = hakmem_reader_drain(r, out, 512, NULL);
    ck_assert_msg(n == 190 && out[0].arg1 == 10 && out[189].arg1 == 199,
                  "late reader got %zu events from %llu, expected 190 from 10", n,
                  (unsigned long long)(n ? out[0].arg1 : 0));
    hakmem_reader_close(r);
    drop_ring();
}
END_TEST

static uint64_t ms_now(void)
{
    return hk_now_ns() / 1000000u;
}

/* A reader that drains half the ring after 50 ms. */
static void *slow_reader(void *arg)
{
    static struct hakmem_event out[512];
    usleep(50000);
    struct hakmem_reader *r = open_reader_for_thread();
    *(size_t *)arg = r ? hakmem_reader_drain(r, out, 512, NULL) : 0;
    hakmem_reader_close(r);
    return NULL;
}

START_TEST(test_wait_for_reader)
{
    make_ring(1024, HAKMEM_TRACE_LOSSLESS);
    long saved = hk_opt[HK_OPT_TRACE_WAIT];
    hk_opt[HK_OPT_TRACE_WAIT] = 400;
    for (int i = 0; i < 1024; i++)
        emit(0, (uint64_t)i);
    size_t drained = 0;
    pthread_t th;
    pthread_create(&th, NULL, slow_reader, &drained);
    uint64_t t0 = ms_now();
    emit(0, 1024); /* full: waits until the reader has made room */
    uint64_t waited = ms_now() - t0;
    pthread_join(th, NULL);
    struct hakmem_ring_counts c;
    struct hakmem_reader *r = open_reader(0);
    hakmem_reader_counts(r, &c);
    ck_assert_msg(drained == 512 && c.dropped == 0 && c.written == 1025 && waited >= 40,
                  "a slow reader: drained %zu (512), dropped %llu (0), written %llu (1025), "
                  "the writer waited %llu ms (>= 40)", drained, (unsigned long long)c.dropped,
                  (unsigned long long)c.written, (unsigned long long)waited);
    for (int i = 0; i < 511; i++) /* full again, and nobody drains */
        emit(0, (uint64_t)i);
    t0 = ms_now();
    emit(0, 0);
    waited = ms_now() - t0;
    uint64_t t1 = ms_now();
    emit(0, 0);
    uint64_t again = ms_now() - t1;
    hakmem_reader_counts(r, &c);
    ck_assert_msg(c.dropped == 2 && waited >= 350 && again < 100,
                  "a stalled reader: dropped %llu (2), the first writer waited %llu ms (>= 350), "
                  "the next %llu ms (< 100: the reader is taken as stalled)",
                  (unsigned long long)c.dropped, (unsigned long long)waited,
                  (unsigned long long)again);
    hakmem_reader_close(r);
    hk_opt[HK_OPT_TRACE_WAIT] = saved;
    drop_ring();
}
END_TEST

static Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("ring");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_wrap_around);
    tcase_add_test(tc, test_producers_with_reader);
    tcase_add_test(tc, test_no_reader_drops_exactly);
    tcase_add_test(tc, test_overwrite_keeps_newest);
    tcase_add_test(tc, test_late_or_dead_reader);
    tcase_add_test(tc, test_wait_for_reader);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_main(ring_suite);
}
