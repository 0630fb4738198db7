/* tsc.c — the events' clock: CLOCK_MONOTONIC nanoseconds read off the CPU's
 * invariant time-stamp counter (x86-64), clock_gettime until calibrated or without one.
 *
 * An event's timestamp was a clock_gettime call: 25 ns on a KVM guest (the
 * pvclock page read twice around rdtsc), a quarter of a profiled program's time
 * at HAKMEM_PROFILE_RATE=1. Here it is rdtsc and a multiply: ns = ns0 +
 * ((tsc - tsc0) * mult >> 32), a line fitted on a baseline that starts when the
 * segment opens and grows at each re-anchoring (every ANCHOR_NS), so its slope
 * only gets better; each re-anchoring also checks the line against the clock and
 * turns the TSC off for good when they disagree (a migrated VM, a TSC that jumped). */
#include "internal.h"

#if defined(__x86_64__)
#include <cpuid.h>
static const bool hk_config_tsc = true;
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
/* CPUID 0x80000007 EDX bit 8: the TSC ticks at one rate in every P- and C-state. */
static bool invariant_tsc(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
}
#else
static const bool hk_config_tsc = false;
static inline uint64_t rdtsc(void)
{
    return 0;
}
static bool invariant_tsc(void)
{
    return false;
}
#endif

#define CALIBRATE_NS (10 * 1000000ull) /* the first line's baseline */
#define ANCHOR_NS (100 * 1000000ull)   /* a line's life: one clock_gettime per 100 ms */
#define MAX_ERROR_NS 200000ull         /* more off than this at a re-anchoring: TSC off */
#define MIN_MULT (1ull << 28)          /* 1/16 ns a tick: 16 GHz */
#define MAX_MULT (16ull << 32)         /* 16 ns a tick: 62.5 MHz */

enum { TSC_OFF, TSC_CALIBRATING, TSC_ON };

/* The line, under a sequence lock: seq is odd while a thread moves it; readers
 * that see it odd or changed use clock_gettime. Invariants: mult == 0 unless
 * state == TSC_ON; span is the ticks past tsc0 the line may be used for. */
static struct {
    _Atomic uint32_t seq;
    _Atomic int state;
    uint64_t base_tsc, base_ns; /* the baseline's start, written before any reader */
    _Atomic uint64_t tsc0, ns0, mult, span;
} clk;

static __thread uint64_t tls_last; /* this thread's last reading: never go back */

#define LD(f) atomic_load_explicit(&clk.f, memory_order_relaxed)
#define ST(f, v) atomic_store_explicit(&clk.f, (v), memory_order_relaxed)

static uint64_t ticks_to_ns(uint64_t ticks, uint64_t mult)
{
    return (uint64_t)(((unsigned __int128)ticks * mult) >> 32);
}

/* A reading of both clocks close together: the narrowest of three tries, its
 * TSC the midpoint of the two around clock_gettime. */
static void pair(uint64_t *tsc, uint64_t *ns)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 3; i++) {
        uint64_t a = rdtsc(), n = hk_now_ns(), b = rdtsc();
        if (b - a < best) {
            best = b - a;
            *tsc = a + (b - a) / 2;
            *ns = n;
        }
    }
}

void hk_tsc_init(bool use)
{
    atomic_store_explicit(&clk.state, TSC_OFF, memory_order_relaxed);
    ST(mult, 0);
    ST(span, 0);
    if (!hk_config_tsc || !use || !invariant_tsc())
        return;
    pair(&clk.base_tsc, &clk.base_ns);
    atomic_store_explicit(&clk.state, TSC_CALIBRATING, memory_order_release);
}

/* Moves the line to now (the seq lock held): a slope from the whole baseline,
 * checked against the clock; false when the TSC is not to be trusted. */
static bool reanchor(void)
{
    uint64_t c, ns;
    pair(&c, &ns);
    uint64_t mult = LD(mult);
    if (mult) {
        uint64_t at = LD(ns0) + ticks_to_ns(c - LD(tsc0), mult);
        if ((at > ns ? at - ns : ns - at) > MAX_ERROR_NS)
            return false;
    }
    if (c <= clk.base_tsc || ns <= clk.base_ns)
        return false;
    unsigned __int128 m = ((unsigned __int128)(ns - clk.base_ns) << 32) / (c - clk.base_tsc);
    if (m < MIN_MULT || m > MAX_MULT)
        return false;
    ST(tsc0, c);
    ST(ns0, ns);
    ST(mult, (uint64_t)m);
    ST(span, (uint64_t)(((unsigned __int128)ANCHOR_NS << 32) / m));
    atomic_store_explicit(&clk.state, TSC_ON, memory_order_relaxed);
    return true;
}

/* No usable line: the clock's reading, and a new line when one is due and no
 * other thread is making it. */
static HK_NOINLINE uint64_t tsc_slow(void)
{
    uint64_t ns = hk_now_ns();
    int state = atomic_load_explicit(&clk.state, memory_order_acquire);
    if (state == TSC_OFF || (state == TSC_CALIBRATING && ns - clk.base_ns < CALIBRATE_NS))
        return ns;
    uint32_t s = atomic_load_explicit(&clk.seq, memory_order_relaxed);
    if ((s & 1) || !atomic_compare_exchange_strong_explicit(&clk.seq, &s, s + 1,
                                                            memory_order_acquire,
                                                            memory_order_relaxed))
        return ns;
    atomic_thread_fence(memory_order_release); /* the odd seq before the fields change */
    if (!reanchor()) {
        ST(mult, 0);
        ST(span, 0);
        atomic_store_explicit(&clk.state, TSC_OFF, memory_order_relaxed);
    }
    atomic_store_explicit(&clk.seq, s + 2, memory_order_release);
    return ns;
}

/* A new line may start a little behind the old one: a thread's readings never go back. */
static inline uint64_t clamp(uint64_t ns)
{
    if (HK_UNLIKELY(ns < tls_last))
        ns = tls_last;
    tls_last = ns;
    return ns;
}

static HK_NOINLINE uint64_t tsc_slow_clamped(void)
{
    return clamp(tsc_slow());
}

uint64_t hk_tsc_ns(void)
{
    uint32_t s = atomic_load_explicit(&clk.seq, memory_order_acquire);
    uint64_t mult = LD(mult), ns;
    if (HK_UNLIKELY(!mult)) /* calibrating, or no TSC */
        return tsc_slow_clamped();
    uint64_t c = rdtsc();
    uint64_t t0 = LD(tsc0), n0 = LD(ns0), span = LD(span);
    atomic_thread_fence(memory_order_acquire);
    if (HK_UNLIKELY((s & 1) || c - t0 >= span ||
                    s != atomic_load_explicit(&clk.seq, memory_order_relaxed)))
        ns = tsc_slow();
    else
        ns = n0 + ticks_to_ns(c - t0, mult);
    return clamp(ns);
}

bool hk_tsc_on(void)
{
    return atomic_load_explicit(&clk.state, memory_order_relaxed) == TSC_ON;
}

void hk_tsc_atfork_child(void)
{
    uint32_t s = atomic_load_explicit(&clk.seq, memory_order_relaxed);
    if (!(s & 1))
        return;
    /* a thread of the parent was moving the line, and is gone: a line made anew */
    ST(mult, 0);
    ST(span, 0);
    if (atomic_load_explicit(&clk.state, memory_order_relaxed) == TSC_ON)
        atomic_store_explicit(&clk.state, TSC_CALIBRATING, memory_order_relaxed);
    atomic_store_explicit(&clk.seq, s + 1, memory_order_relaxed);
}
