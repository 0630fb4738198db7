/* check_stackcache.c — unit tests of lib/stackcache.c: the validated stack
 * cache gives the id of the very stack libunwind finds (hk_stack_profile_plain)
 * on a repeated chain, on two chains that share the cache's key and part in
 * an outer frame, and through a frame of varying size (alloca), which it must
 * not cache; and it serves repeats from the cache. Built without frame
 * pointers (rsp-based frames, as distribution code is), with -g for libunwind. */
#include <alloca.h>
#include <check.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "segment.h"
#include "unit_main.h"

#define CAP 4096

static struct hakmem_seg_stacks *table;

static void setup(void)
{
    size_t size = HAKMEM_SEG_STACKS_BYTES(CAP);
    table = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(table != MAP_FAILED, "mmap of the stack table failed");
    table->capacity = CAP;
    hk_trace.stacks = table;
    hk_opt[HK_OPT_PROFILE_STACKS] = HK_PROFILE_STACKS_UNWIND;
    hk_opt[HK_OPT_PROFILE_DEPTH] = HAKMEM_SEG_STACK_DEPTH;
    /* libhakmem.so needs libgcc_s; this test's program links its core only */
    ck_assert_msg(dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL) != NULL, "cannot load libgcc_s: %s", dlerror());
    hk_stack_cache_init();
}

static void *site_ra; /* exported's return address: the program's first frame */

/* The exported function's part: its frame is where the program's stack starts. */
static __attribute__((noipa)) uint32_t exported(int plain)
{
    void *fp = __builtin_frame_address(0);
    site_ra = __builtin_return_address(0);
    volatile uint32_t id = plain ? hk_stack_profile_plain(fp) : hk_stack_profile_id(fp);
    return id;
}

static __attribute__((noipa)) uint32_t site(int plain)
{
    volatile uint32_t id = exported(plain);
    return id;
}

/* Two callers of site with the same code: the same frame size, so the same
 * key for the cache, and a different return address one frame further out. */
static __attribute__((noipa)) uint32_t mid_a(int plain)
{
    volatile uint32_t id = site(plain);
    return id;
}

static __attribute__((noipa)) uint32_t mid_b(int plain)
{
    volatile uint32_t id = site(plain);
    return id;
}

static __attribute__((noipa)) uint32_t top(int which, int plain)
{
    volatile uint32_t id = which ? mid_b(plain) : mid_a(plain);
    return id;
}

/* A frame whose size varies from call to call. */
static __attribute__((noipa)) uint32_t varying(size_t n, int plain)
{
    volatile char *buf = alloca(n);
    buf[0] = 1;
    volatile uint32_t id = site(plain);
    return id + (uint32_t)buf[0] - 1;
}

/* Stack id from the program's first frame (site_ra) on, interned: the
 * captures of this test keep their own frames (libhakmem's text, which the
 * library strips, is this program's here), a different number by path. */
static uint32_t from_site(uint32_t id)
{
    uint64_t f[HAKMEM_SEG_STACK_DEPTH];
    int n = hk_stack_frames(id, f, HAKMEM_SEG_STACK_DEPTH), k = 0;
    while (k < n && f[k] != (uintptr_t)site_ra)
        k++;
    ck_assert_msg(n - k >= 3, "stack %u: %d frames, %d from the site's on; expected at least 3", id, n, n - k);
    void *ip[HAKMEM_SEG_STACK_DEPTH];
    for (int i = k; i < n; i++)
        ip[i - k] = (void *)(uintptr_t)f[i];
    return hk_stack_intern_trace(ip, n - k);
}

/* The chain through mid_a (which 0) or mid_b, cached then by libunwind, from
 * one call site (the stacks differ in no return address). */
static __attribute__((noipa)) void both(int which, size_t n, uint32_t id[2])
{
    for (int plain = 0; plain < 2; plain++) {
        __asm__ volatile("" : "+r"(plain)); /* opaque: the loop is not unrolled into two call sites */
        id[plain] = from_site(n ? varying(n, plain) : top(which, plain));
    }
}

START_TEST(repeated_chain_gives_libunwinds_stack)
{
    setup();
    for (int i = 0; i < 200; i++) {
        uint32_t id[2];
        both(0, 0, id);
        ck_assert_msg(id[0] == id[1], "call %d: the cache's stack %u, libunwind's %u", i, id[0], id[1]);
    }
    uint64_t hit, miss, unc;
    hk_stack_cache_counts(&hit, &miss, &unc);
    ck_assert_msg(hit >= 100 && miss <= 2 && unc == 0,
                  "200 calls of one chain: expected >= 100 hits, <= 2 misses, 0 uncached, got %llu, %llu, %llu",
                  (unsigned long long)hit, (unsigned long long)miss, (unsigned long long)unc);
}
END_TEST

START_TEST(same_key_other_chain_is_told_apart)
{
    setup();
    uint32_t first[2] = { 0, 0 };
    for (int i = 0; i < 400; i++) {
        uint32_t id[2];
        both(i % 2, 0, id);
        ck_assert_msg(id[0] == id[1], "call %d through mid_%c: the cache's stack %u, libunwind's %u", i,
                      i % 2 ? 'b' : 'a', id[0], id[1]);
        first[i % 2] = first[i % 2] ? first[i % 2] : id[0];
        ck_assert_msg(id[0] == first[i % 2], "call %d: stack %u, the chain's first was %u", i, id[0], first[i % 2]);
    }
    ck_assert_msg(first[0] != first[1], "the chains through mid_a and mid_b must differ, both %u", first[0]);
    uint64_t hit, miss, unc;
    hk_stack_cache_counts(&hit, &miss, &unc);
    ck_assert_msg(hit >= 300, "two alternating chains: expected >= 300 hits, got %llu", (unsigned long long)hit);
}
END_TEST

START_TEST(varying_frame_is_never_cached)
{
    setup();
    for (int i = 0; i < 200; i++) {
        size_t n = 16 + (size_t)(i % 7) * 112;
        uint32_t id[2];
        both(0, n, id);
        ck_assert_msg(id[0] == id[1], "alloca(%zu): the cache's stack %u, libunwind's %u", n, id[0], id[1]);
    }
    uint64_t hit, miss, unc;
    hk_stack_cache_counts(&hit, &miss, &unc);
    ck_assert_msg(hit == 0 && unc >= 1, "a varying frame: expected no hit and an uncached stack, got %llu hits, %llu uncached",
                  (unsigned long long)hit, (unsigned long long)unc);
}
END_TEST

static Suite *stackcache_suite(void)
{
    Suite *s = suite_create("stackcache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, repeated_chain_gives_libunwinds_stack);
    tcase_add_test(tc, same_key_other_chain_is_told_apart);
    tcase_add_test(tc, varying_frame_is_never_cached);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_main(stackcache_suite);
}
