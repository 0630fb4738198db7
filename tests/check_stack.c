/* check_stack.c — unit tests of lib/stack.c: the frame-pointer walk
 * (hk_stack_capture_fp) against libunwind on a chain of functions built with
 * frame pointers, its stops on garbage chains (rbp pointing at unmapped
 * memory, backwards, misaligned, off the stack, above the stack's top)
 * without a crash, its depth limit, the HAKMEM_PROFILE_STACKS modes, libgcc's
 * walk (hk_stack_capture_light) against libunwind's, also in a new thread,
 * and the stack table counting what did not fit. Built with
 * -fno-omit-frame-pointer. */
#include <dlfcn.h>
#include <check.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "segment.h"
#include "unit_main.h"

#define MAXF HAKMEM_SEG_STACK_DEPTH

/* The function of this program that code address ip lies in, from .symtab. */
static const char *name_of(void *ip, char *name, size_t cap)
{
    Dl_info di;
    struct link_map *lm = NULL;
    uint64_t start;
    if (!dladdr1(ip, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm ||
        !hk_symtab_find("/proc/self/exe", (uint64_t)((uintptr_t)ip - lm->l_addr) - 1, name, cap, &start))
        snprintf(name, cap, "?");
    return name;
}

/* ---- a known chain: test → chain_a → chain_b → chain_c → chain_d */

static struct {
    void *fp[MAXF + 1], *uw[MAXF + 1], *prof_fp[MAXF], *prof_uw[MAXF], *light[MAXF], *light2[MAXF];
    int nfp, nuw, nprof_fp, nprof_uw, nlight, nlight2, max;
} got;

static __attribute__((noipa)) int chain_d(int x)
{
    got.fp[got.max] = (void *)0x5a5a; /* must survive: no frame written past max */
    got.nfp = hk_stack_capture_fp(got.fp, got.max);
    got.nuw = hk_stack_capture(got.uw, MAXF);
    got.nlight = hk_stack_capture_light(got.light, MAXF);
    got.nlight2 = hk_stack_capture_light(got.light2, MAXF);
    hk_opt[HK_OPT_PROFILE_STACKS] = HK_PROFILE_STACKS_FP;
    got.nprof_fp = hk_stack_capture_profile(got.prof_fp);
    hk_opt[HK_OPT_PROFILE_STACKS] = HK_PROFILE_STACKS_UNWIND;
    got.nprof_uw = hk_stack_capture_profile(got.prof_uw);
    return x + 1;
}
static __attribute__((noipa)) int chain_c(int x) { return chain_d(x + 1) + 1; }
static __attribute__((noipa)) int chain_b(int x) { return chain_c(x + 1) + 1; }
static __attribute__((noipa)) int chain_a(int x) { return chain_b(x + 1) + 1; }

static void run_chain(int max, int depth)
{
    memset(&got, 0, sizeof got);
    got.max = max;
    hk_opt[HK_OPT_PROFILE_DEPTH] = depth;
    ck_assert_int_eq(chain_a(0), 7);
}

START_TEST(fp_walk_follows_the_chain)
{
    run_chain(MAXF, MAXF);
    char name[64];
    static const char *const want[] = { "chain_d", "chain_c", "chain_b", "chain_a" };
    ck_assert_msg(got.nfp >= 5, "expected at least 5 frames (d, c, b, a, the test), got %d", got.nfp);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(strcmp(name_of(got.fp[i], name, sizeof name), want[i]) == 0,
                      "fp frame %d: expected %s, got %s (%p)", i, want[i], name, got.fp[i]);
    /* libunwind's first frame is hk_stack_capture's own, its second the call in chain_d */
    ck_assert_msg(got.nuw >= 6, "libunwind: expected at least 6 frames, got %d", got.nuw);
    ck_assert_msg(strcmp(name_of(got.uw[1], name, sizeof name), "chain_d") == 0,
                  "libunwind frame 1: expected chain_d, got %s", name);
    for (int i = 1; i < 5; i++)
        ck_assert_msg(got.fp[i] == got.uw[i + 1], "frame %d: fp %p, libunwind %p (%s)", i, got.fp[i],
                      got.uw[i + 1], name_of(got.uw[i + 1], name, sizeof name));
}
END_TEST

START_TEST(fp_walk_respects_max)
{
    for (int max = 0; max <= 4; max++) {
        run_chain(max, 1);
        ck_assert_msg(got.nfp == max, "max %d: expected %d frames, got %d", max, max, got.nfp);
        ck_assert_msg(got.fp[max] == (void *)0x5a5a, "max %d: expected ip[%d] untouched, got %p", max, max,
                      got.fp[max]);
    }
}
END_TEST

/* The light capture (libgcc's walk first, libunwind's after a thread's first
 * captures) gives libunwind's frames past their first two (each its own
 * capture function's, then its own call in chain_d); in a new thread too,
 * where libunwind has no cache yet and libgcc's keeps none. */
static void light_agrees(void)
{
    char name[64];
    run_chain(MAXF, 1);
    ck_assert_msg(got.nlight == got.nuw, "libgcc %d frames, libunwind %d", got.nlight, got.nuw);
    ck_assert_msg(got.nlight2 == got.nuw, "second light capture: %d frames, libunwind %d", got.nlight2, got.nuw);
    ck_assert_msg(strcmp(name_of(got.light[1], name, sizeof name), "chain_d") == 0,
                  "libgcc frame 1: expected chain_d, got %s", name);
    for (int i = 2; i < got.nuw; i++)
        ck_assert_msg(got.light[i] == got.uw[i] && got.light2[i] == got.uw[i],
                      "frame %d: light %p and %p, libunwind %p (%s)", i, got.light[i], got.light2[i], got.uw[i],
                      name_of(got.uw[i], name, sizeof name));
}

static void *light_thread(void *arg)
{
    (void)arg;
    light_agrees();
    return NULL;
}

START_TEST(light_walk_agrees_with_libunwind)
{
    /* libhakmem.so needs libgcc_s; this test's program links its core only */
    ck_assert_msg(dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL) != NULL, "cannot load libgcc_s: %s", dlerror());
    ck_assert_msg(hk_stack_init(), "libgcc's _Unwind_Backtrace@GCC_3.3 not found");
    light_agrees();
    for (int i = 0; i < 40; i++) /* past the thread's first captures by libgcc's: libunwind's */
        light_agrees();
    pthread_t t;
    ck_assert_msg(pthread_create(&t, NULL, light_thread, NULL) == 0, "cannot start a thread");
    pthread_join(t, NULL);
}
END_TEST

/* Both modes of the profiler's capture give the same frames where frames
 * have frame pointers (the first: their two calls in chain_d), and at most
 * HAKMEM_PROFILE_DEPTH of them. */
START_TEST(profile_modes_agree)
{
    char name[64];
    for (int depth = 1; depth <= 5; depth++) {
        run_chain(MAXF, depth);
        ck_assert_msg(got.nprof_fp == depth && got.nprof_uw == depth,
                      "depth %d: expected %d frames in both modes, got fp %d, unwind %d", depth, depth,
                      got.nprof_fp, got.nprof_uw);
        ck_assert_msg(strcmp(name_of(got.prof_fp[0], name, sizeof name), "chain_d") == 0,
                      "fp mode, frame 0: expected chain_d (the caller), got %s", name);
        ck_assert_msg(strcmp(name_of(got.prof_uw[0], name, sizeof name), "chain_d") == 0,
                      "unwind mode, frame 0: expected chain_d (the caller), got %s", name);
        for (int i = 1; i < depth; i++)
            ck_assert_msg(got.prof_fp[i] == got.prof_uw[i], "depth %d frame %d: fp %p, unwind %p", depth, i,
                          got.prof_fp[i], got.prof_uw[i]);
    }
}
END_TEST

/* ---- garbage chains: hk_stack_capture_fp called with rbp = the third
 * argument, as from code that uses rbp as a plain register. */
int garbage_call(void **ip, int max, uintptr_t rbp);
__asm__(".text\n"
        ".globl garbage_call\n"
        ".type garbage_call, @function\n"
        "garbage_call:\n"
        "    push %rbp\n"
        "    mov %rdx, %rbp\n"
        "    call hk_stack_capture_fp@PLT\n"
        "    pop %rbp\n"
        "    ret\n"
        ".size garbage_call, .-garbage_call\n");

static void *unmapped_page(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(p != MAP_FAILED, "mmap failed");
    munmap(p, 4096);
    return p;
}

START_TEST(fp_walk_stops_on_garbage)
{
    void *ip[MAXF];
    /* a fake chain on this stack: two good frames, then the garbage */
    uintptr_t fake[8] __attribute__((aligned(16)));
    uintptr_t *heap = malloc(4 * sizeof *heap);
    heap[0] = (uintptr_t)&heap[2], heap[1] = 0x7777, heap[2] = 0, heap[3] = 0x8888;
    const struct { const char *what; uintptr_t next; int want; } cases[] = {
        { "an unmapped page", (uintptr_t)unmapped_page(), 3 },
        { "a frame below", (uintptr_t)&fake[0], 3 },
        { "the same frame", (uintptr_t)&fake[2], 3 },
        { "a misaligned frame", (uintptr_t)&fake[4] + 3, 3 },
        { "a heap block", (uintptr_t)heap, 3 },
        { "the top of the address space", UINTPTR_MAX - 7, 3 },
        { "zero", 0, 3 },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        fake[0] = (uintptr_t)&fake[2], fake[1] = 0x1111;
        fake[2] = cases[k].next, fake[3] = 0x2222;
        int n = garbage_call(ip, MAXF, (uintptr_t)&fake[0]);
        ck_assert_msg(n == cases[k].want, "%s: expected %d frames, got %d", cases[k].what, cases[k].want, n);
        ck_assert_msg(ip[1] == (void *)0x1111 && ip[2] == (void *)0x2222, "%s: expected the fake frames, got %p %p",
                      cases[k].what, ip[1], ip[2]);
    }
    /* rbp itself garbage: only the stub's return address */
    const uintptr_t bad[] = { 0, 1, (uintptr_t)unmapped_page(), (uintptr_t)heap, (uintptr_t)&fake[0] + 4, UINTPTR_MAX };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int n = garbage_call(ip, MAXF, bad[k]);
        ck_assert_msg(n == 1, "rbp %#lx: expected 1 frame (the stub's), got %d", (unsigned long)bad[k], n);
    }
    /* a return address of 0 ends the chain */
    fake[0] = (uintptr_t)&fake[2], fake[1] = 0;
    ck_assert_int_eq(garbage_call(ip, MAXF, (uintptr_t)&fake[0]), 1);
    free(heap);
}
END_TEST

/* A thread on a stack of our own with an inaccessible page right above it:
 * a chain pointing there stops at the stack's top, never reads the page. */
static void *guarded_thread(void *arg)
{
    uintptr_t guard = (uintptr_t)arg, fake[4] __attribute__((aligned(16)));
    void *ip[MAXF];
    int n[2];
    fake[0] = guard, fake[1] = 0x3333;
    n[0] = garbage_call(ip, MAXF, (uintptr_t)&fake[0]);
    fake[0] = guard - 8, fake[1] = 0x3333;
    n[1] = garbage_call(ip, MAXF, (uintptr_t)&fake[0]);
    return (void *)(uintptr_t)(n[0] == 2 && n[1] == 2);
}

START_TEST(fp_walk_stays_below_the_stack_top)
{
    size_t size = 256 * 1024;
    char *m = mmap(NULL, size + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(m != MAP_FAILED, "mmap failed");
    ck_assert_int_eq(mprotect(m + size, 4096, PROT_NONE), 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, m, size);
    pthread_t t;
    void *ok = NULL;
    ck_assert_int_eq(pthread_create(&t, &attr, guarded_thread, m + size), 0);
    pthread_join(t, &ok);
    pthread_attr_destroy(&attr);
    ck_assert_msg(ok, "expected the walk to stop below the stack's top (2 frames each)");
    munmap(m, size + 4096);
}
END_TEST

/* Through code without frame pointers (glibc's qsort calling back): no
 * crash, and the first frame is still the caller's. */
static int nqsort = -1;
static void *qsort_ip[MAXF];
static int by_value(const void *a, const void *b)
{
    if (nqsort < 0)
        nqsort = hk_stack_capture_fp(qsort_ip, MAXF);
    return *(const int *)a - *(const int *)b;
}

START_TEST(fp_walk_survives_libc_frames)
{
    int v[64];
    for (int i = 0; i < 64; i++)
        v[i] = (i * 37) % 64;
    qsort(v, 64, sizeof v[0], by_value);
    ck_assert_msg(nqsort >= 1 && nqsort <= MAXF, "expected 1..%d frames, got %d", MAXF, nqsort);
    for (int i = 0; i < 64; i++)
        ck_assert_int_eq(v[i], i);
}
END_TEST

/* ---- the table: each distinct stack once, what does not fit counted */

START_TEST(table_counts_what_did_not_fit)
{
    size_t size = sizeof(struct hakmem_seg_stacks) + 4 * sizeof(struct hakmem_seg_stack);
    struct hakmem_seg_stacks *st = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_msg(st != MAP_FAILED, "mmap failed");
    st->capacity = 4;
    hk_trace.stacks = st;
    void *ip[2] = { (void *)fp_walk_survives_libc_frames, NULL };
    uint32_t id[5];
    for (int i = 0; i < 5; i++) {
        ip[1] = (void *)(uintptr_t)(0x1000 + i);
        id[i] = hk_stack_intern_trace(ip, 2);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_msg(id[i] == (uint32_t)i + 1, "stack %d: expected id %d, got %u", i, i + 1, id[i]);
    ck_assert_msg(id[4] == 0 && st->dropped == 1 && st->count == 4,
                  "a fifth stack in a table of 4: expected id 0, dropped 1, count 4, got %u, %u, %u", id[4],
                  st->dropped, st->count);
    ip[1] = (void *)0x1002;
    ck_assert_msg(hk_stack_intern_trace(ip, 2) == 3 && st->count == 4 && st->dropped == 1,
                  "a stack again: expected its id 3 and nothing new, got count %u dropped %u", st->count, st->dropped);
    hk_trace.stacks = NULL;
    munmap(st, size);
}
END_TEST

static Suite *stack_suite(void)
{
    const TTest *const tests[] = {
        fp_walk_follows_the_chain, fp_walk_respects_max, light_walk_agrees_with_libunwind, profile_modes_agree, fp_walk_stops_on_garbage,
        fp_walk_stays_below_the_stack_top, fp_walk_survives_libc_frames, table_counts_what_did_not_fit,
    };
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("capture");
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        tcase_add_test(tc, tests[i]);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_main(stack_suite);
}
