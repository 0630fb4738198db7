/* check_tsc.c — unit tests of lib/tsc.c: the events' clock agrees with
 * CLOCK_MONOTONIC before, during and after calibration and across re-anchorings,
 * never goes back in a thread, falls back to clock_gettime when told to, and
 * survives a fork. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"
#include "unit_main.h"

#define MS 1000000ull
#define TOLERANCE_NS 20000ull /* 20 µs: far above the line's error, far below a tick of COARSE */

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* hk_tsc_ns() lies between two clock_gettime readings around it, give or take tol. */
static void assert_near_clock(uint64_t tol, const char *when)
{
    uint64_t a = hk_now_ns(), t = hk_tsc_ns(), b = hk_now_ns();
    ck_assert_msg(t + tol >= a && t <= b + tol,
                  "%s: hk_tsc_ns() = %llu outside the clock's [%llu, %llu] by more than %llu ns",
                  when, (unsigned long long)t, (unsigned long long)a, (unsigned long long)b,
                  (unsigned long long)tol);
}

/* True when this CPU has an invariant TSC (the clock must use it then). */
static bool cpu_has_invariant_tsc(void)
{
#if defined(__x86_64__)
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u));
    if (a < 0x80000007u)
        return false;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000007u));
    return d & (1u << 8);
#else
    return false;
#endif
}

START_TEST(test_before_calibration_is_the_clock)
{
    hk_tsc_init(true);
    ck_assert_msg(!hk_tsc_on(), "the TSC is in use before its 10 ms baseline");
    for (int i = 0; i < 1000; i++)
        assert_near_clock(0, "calibrating");
}
END_TEST

START_TEST(test_calibrated_agrees_with_clock)
{
    hk_tsc_init(true);
    sleep_ms(12);
    (void)hk_tsc_ns(); /* this reading calibrates */
    ck_assert_msg(hk_tsc_on() == cpu_has_invariant_tsc(),
                  "after 12 ms the TSC is %s, but the CPU %s an invariant TSC",
                  hk_tsc_on() ? "on" : "off", cpu_has_invariant_tsc() ? "has" : "has no");
    /* across several re-anchorings (every 100 ms) */
    uint64_t end = hk_now_ns() + 350 * MS, last = 0;
    unsigned n = 0;
    while (hk_now_ns() < end) {
        assert_near_clock(TOLERANCE_NS, "calibrated");
        uint64_t t = hk_tsc_ns();
        ck_assert_msg(t >= last, "reading %u went back: %llu after %llu", n,
                      (unsigned long long)t, (unsigned long long)last);
        last = t;
        if (++n % 4096 == 0)
            sleep_ms(1);
    }
    ck_assert_msg(hk_tsc_on() == cpu_has_invariant_tsc(), "the TSC was turned off while it agreed");
}
END_TEST

START_TEST(test_off_is_the_clock)
{
    hk_tsc_init(false);
    sleep_ms(12);
    for (int i = 0; i < 1000; i++)
        assert_near_clock(0, "off");
    ck_assert_msg(!hk_tsc_on(), "hk_tsc_init(false) left the TSC on");
}
END_TEST

/* Threads reading through re-anchorings: each thread's readings never go back,
 * and each is near the clock. */
static void *reader(void *arg)
{
    uint64_t end = *(const uint64_t *)arg, last = 0, bad = 0;
    while (hk_now_ns() < end) {
        uint64_t a = hk_now_ns(), t = hk_tsc_ns(), b = hk_now_ns();
        if (t < last || t + TOLERANCE_NS < a || t > b + TOLERANCE_NS)
            bad++;
        last = t;
    }
    return (void *)(uintptr_t)bad;
}

START_TEST(test_threads)
{
    hk_tsc_init(true);
    uint64_t end = hk_now_ns() + 250 * MS;
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_msg(pthread_create(&t[i], NULL, reader, &end) == 0, "cannot start thread %d", i);
    for (int i = 0; i < 3; i++) {
        void *bad;
        pthread_join(t[i], &bad);
        ck_assert_msg(bad == NULL, "thread %d: %zu readings went back or left the clock", i,
                      (size_t)(uintptr_t)bad);
    }
}
END_TEST

START_TEST(test_fork)
{
    hk_tsc_init(true);
    sleep_ms(12);
    uint64_t before = hk_tsc_ns();
    pid_t pid = fork();
    ck_assert_msg(pid >= 0, "fork failed");
    if (pid == 0) {
        hk_tsc_atfork_child();
        uint64_t a = hk_now_ns(), t = hk_tsc_ns(), b = hk_now_ns();
        _exit(t >= before && t + TOLERANCE_NS >= a && t <= b + TOLERANCE_NS ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "the forked child's clock left CLOCK_MONOTONIC or went back (status %d)", st);
}
END_TEST

static Suite *tsc_suite(void)
{
    Suite *s = suite_create("tsc");
    TCase *tc = tcase_create("clock");
    tcase_add_test(tc, test_before_calibration_is_the_clock);
    tcase_add_test(tc, test_calibrated_agrees_with_clock);
    tcase_add_test(tc, test_off_is_the_clock);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_fork);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_main(tsc_suite);
}
