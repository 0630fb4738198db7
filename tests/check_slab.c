/* check_slab.c — unit tests of lib/slab.c on a real slab of a mapped SuperSlab:
 * hk_slab_format, carving by hk_slab_refill, and collecting the remote list. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "event.h"
#include "heapcheck.h"

static hk_superslab *ss;
static hk_slab *sl;

static void setup(void)
{
    hk_check_level = 0; /* blocks go onto remote lists by hand here, never malloc'd */
    ss = hk_ss_map();
    ck_assert_msg(ss != NULL, "hk_ss_map: expected a SuperSlab, got NULL");
    sl = &ss->slabs[1];
}

static void teardown(void)
{
    hk_ss_unmap(ss, 0);
}

/* Pops one block as the allocator's fast path does. */
static void *take(hk_slab *s)
{
    hk_block *b = s->free;
    s->free = b->next;
    s->used++;
    return b;
}

static size_t free_len(const hk_slab *s)
{
    size_t n = 0;
    for (hk_block *b = s->free; b && n <= 70000; b = b->next)
        n++;
    return n;
}

START_TEST(test_format)
{
    /* Dirty the slab first: format must reset everything. */
    sl->carved = 77;
    sl->used = 5;
    sl->free = (hk_block *)hk_slab_base(sl);
    sl->list = HK_LIST_FULL;
    atomic_store(&sl->remote, hk_remote_word((hk_block *)hk_slab_base(sl), 1));
    for (unsigned cls = 0; cls < HK_CLASSES; cls++) {
        hk_slab_format(sl, cls);
        ck_assert_msg(sl->cls == cls && sl->capacity == hk_class_capacity[cls],
                      "format(%u): expected cls %u capacity %u, got cls %u capacity %u", cls, cls,
                      hk_class_capacity[cls], sl->cls, sl->capacity);
        ck_assert_msg(sl->carved == 0 && sl->used == 0 && sl->free == NULL &&
                          sl->list == HK_LIST_NONE && atomic_load(&sl->remote) == 0,
                      "format(%u): expected carved 0, used 0, no free/remote list, list NONE; got "
                      "carved %u used %u free %p list %u",
                      cls, sl->carved, sl->used, (void *)sl->free, sl->list);
        ck_assert_msg(sl->idx == 1, "format(%u): expected idx 1 kept, got %u", cls, sl->idx);
        ck_assert_msg(sl->carved_end == 0, "format(%u): expected carved_end 0, got %u", cls,
                      sl->carved_end);
        uint32_t size = hk_class_size[cls];
        for (uint32_t off = 0; off < HK_SLAB_SIZE; off += 7) {
            bool start = off % size == 0, fast = (uint32_t)(off * sl->magic) < sl->magic;
            ck_assert_msg(hk_block_index(sl, off) == off / size && start == fast,
                          "format(%u): offset %u: expected block %u (start %d), got %u (start %d)",
                          cls, off, off / size, start, hk_block_index(sl, off), fast);
        }
    }
}
END_TEST

/* Carves a whole slab of class cls and checks every block. */
static void carve_all(unsigned cls)
{
    hk_slab_format(sl, cls);
    uint32_t size = hk_class_size[cls], cap = hk_class_capacity[cls];
    char *base = hk_slab_base(sl);
    static uint8_t seen[HK_SLAB_SIZE / 8];
    memset(seen, 0, sizeof seen);
    uint32_t n = 0, refills = 0;
    for (;;) {
        if (!sl->free) {
            if (!hk_slab_refill(sl))
                break;
            refills++;
            ck_assert_msg(sl->free != NULL, "class %u: refill returned true with an empty free list",
                          cls);
        }
        char *b = take(sl);
        size_t off = (size_t)(b - base);
        ck_assert_msg(b >= base && off + size <= HK_SLAB_SIZE,
                      "class %u block %u: expected inside [%p, %p), got %p (+%u B)", cls, n,
                      (void *)base, (void *)(base + HK_SLAB_SIZE), (void *)b, size);
        ck_assert_msg(off % size == 0, "class %u block %u: expected offset multiple of %u, got %zu",
                      cls, n, size, off);
        ck_assert_msg(!seen[off / size], "class %u: block at offset %zu handed out twice", cls, off);
        seen[off / size] = 1;
        memset(b, 0x5a, size); /* the block is ours whole */
        n++;
        ck_assert_msg(n <= cap, "class %u: expected at most %u blocks, got more", cls, cap);
    }
    ck_assert_msg(n == cap, "class %u: expected %u blocks carved, got %u", cls, cap, n);
    ck_assert_msg(sl->used == cap && sl->carved == cap,
                  "class %u full: expected used = carved = %u, got used %u carved %u", cls, cap,
                  sl->used, sl->carved);
    ck_assert_msg(sl->carved_end == cap * size, "class %u full: expected carved_end %u, got %u", cls,
                  cap * size, sl->carved_end);
    ck_assert_msg(!hk_slab_refill(sl), "class %u full: expected refill false, got true", cls);
    uint32_t batch = 4096 / size < 4 ? 4 : 4096 / size;
    if (cap > batch)
        ck_assert_msg(refills > 1, "class %u: expected lazy carving in several refills, got %u", cls,
                      refills);
}

START_TEST(test_carve_every_class)
{
    carve_all((unsigned)_i);
}
END_TEST

/* Powers of two are naturally aligned (aligned allocations rely on it). */
START_TEST(test_pow2_classes_aligned)
{
    for (unsigned cls = 0; cls < HK_CLASSES; cls++) {
        uint32_t size = hk_class_size[cls];
        if (size & (size - 1))
            continue;
        hk_slab_format(sl, cls);
        while (sl->free || hk_slab_refill(sl)) {
            uintptr_t b = (uintptr_t)take(sl);
            ck_assert_msg(b % size == 0, "class %u: expected %u-aligned block, got %p", cls, size,
                          (void *)b);
        }
    }
}
END_TEST

/* The first refill carves about a page, not the whole slab (untouched pages stay untouched). */
START_TEST(test_first_refill_is_small)
{
    for (unsigned cls = 0; cls < HK_CLASSES; cls++) {
        hk_slab_format(sl, cls);
        ck_assert_msg(hk_slab_refill(sl), "class %u fresh: expected refill true", cls);
        uint32_t size = hk_class_size[cls];
        uint32_t want = 4096 / size < 4 ? 4 : 4096 / size;
        if (want > hk_class_capacity[cls])
            want = hk_class_capacity[cls];
        ck_assert_msg(sl->carved == want && free_len(sl) == want,
                      "class %u: expected the first refill to carve %u blocks, got carved %u, "
                      "free list %zu",
                      cls, want, sl->carved, free_len(sl));
        /* Blocks come out in address order. */
        char *prev = take(sl);
        ck_assert_msg(prev == hk_slab_base(sl), "class %u: expected the first block at the base",
                      cls);
        for (uint32_t i = 1; i < want; i++) {
            char *b = take(sl);
            ck_assert_msg(b == prev + size, "class %u block %u: expected %p, got %p", cls, i,
                          (void *)(prev + size), (void *)b);
            prev = b;
        }
    }
}
END_TEST

/* Refill is a no-op while the free list has blocks. */
START_TEST(test_refill_keeps_free_list)
{
    hk_slab_format(sl, 4);
    ck_assert_msg(hk_slab_refill(sl), "fresh slab: expected refill true");
    hk_block *head = sl->free;
    uint16_t carved = sl->carved;
    ck_assert_msg(hk_slab_refill(sl) && sl->free == head && sl->carved == carved,
                  "refill with blocks: expected nothing carved (carved %u), got carved %u", carved,
                  sl->carved);
}
END_TEST

/* Blocks freed by other threads sit on s->remote until the owner collects them. */
START_TEST(test_collect_remote)
{
    unsigned cls = hk_size_class(128); /* 512 blocks */
    hk_slab_format(sl, cls);
    uint32_t cap = hk_class_capacity[cls];
    static void *blk[8192];
    uint32_t n = 0;
    while (sl->free || hk_slab_refill(sl))
        blk[n++] = take(sl);
    ck_assert_msg(n == cap && sl->used == cap, "expected a full slab of %u, got %u used %u", cap, n,
                  sl->used);
    ck_assert_msg(hk_slab_collect_remote(sl) == 0 && sl->used == cap,
                  "empty remote list: expected 0 collected and used %u, got used %u", cap, sl->used);
    /* Push every third block onto the remote list, as push_remote (heap.c) does:
     * the list word carries the chain and its count. */
    uint32_t pushed = 0;
    for (uint32_t i = 0; i < n; i += 3) {
        hk_block *b = blk[i];
        uintptr_t top = atomic_load(&sl->remote);
        b->next = hk_remote_head(top);
        atomic_store(&sl->remote, hk_remote_word(b, hk_remote_count(top) + 1));
        pushed++;
    }
    uint32_t got = hk_slab_collect_remote(sl);
    ck_assert_msg(got == pushed, "collect: expected %u blocks, got %u", pushed, got);
    ck_assert_msg(sl->used == cap - pushed, "collect: expected used %u, got %u", cap - pushed,
                  sl->used);
    ck_assert_msg(atomic_load(&sl->remote) == 0, "collect: expected the remote list emptied");
    ck_assert_msg(free_len(sl) == pushed, "collect: expected %u blocks on the free list, got %zu",
                  pushed, free_len(sl));
    for (hk_block *b = sl->free; b; b = b->next) {
        size_t off = (size_t)((char *)b - hk_slab_base(sl));
        ck_assert_msg(off % (3 * hk_class_size[cls]) == 0,
                      "collected block at offset %zu: expected one of the pushed blocks", off);
    }
    ck_assert_msg(hk_slab_collect_remote(sl) == 0, "second collect: expected 0");
}
END_TEST

/* A full slab with remote frees refills from them (collect first, then carve). */
START_TEST(test_refill_collects_remote)
{
    hk_slab_format(sl, hk_size_class(1024)); /* 64 blocks */
    static void *blk[64];
    uint32_t n = 0;
    while (sl->free || hk_slab_refill(sl))
        blk[n++] = take(sl);
    ck_assert_msg(!hk_slab_refill(sl), "full slab: expected refill false");
    ((hk_block *)blk[5])->next = NULL;
    atomic_store(&sl->remote, hk_remote_word(blk[5], 1));
    ck_assert_msg(hk_slab_refill(sl), "full slab with a remote free: expected refill true");
    ck_assert_msg(sl->free == blk[5] && sl->used == n - 1,
                  "refill: expected the remote block %p and used %u, got %p and used %u", blk[5],
                  n - 1, (void *)sl->free, sl->used);
    /* Partially carved slab: remote blocks come first, carving waits. */
    hk_slab_format(sl, hk_size_class(1024));
    ck_assert_msg(hk_slab_refill(sl), "fresh slab: expected refill true");
    void *first = take(sl);
    while (sl->free)
        take(sl);
    uint16_t carved = sl->carved;
    ((hk_block *)first)->next = NULL;
    atomic_store(&sl->remote, hk_remote_word(first, 1));
    ck_assert_msg(hk_slab_refill(sl) && sl->free == first && sl->carved == carved,
                  "refill with remote blocks: expected them before carving (carved %u), got free "
                  "%p carved %u",
                  carved, (void *)sl->free, sl->carved);
}
END_TEST

/* Two slabs of one SuperSlab carve disjoint ranges. */
START_TEST(test_slabs_disjoint)
{
    hk_slab *a = &ss->slabs[1], *b = &ss->slabs[31];
    hk_slab_format(a, hk_size_class(HK_MID_MAX));
    hk_slab_format(b, hk_size_class(HK_MID_MAX));
    ck_assert_msg(hk_slab_refill(a) && hk_slab_refill(b), "fresh 64 KiB slabs: expected refill true");
    char *pa = take(a), *pb = take(b);
    ck_assert_msg(pa == (char *)ss + HK_SLAB_SIZE && pb == (char *)ss + 31 * HK_SLAB_SIZE,
                  "64 KiB blocks: expected %p and %p, got %p and %p",
                  (void *)((char *)ss + HK_SLAB_SIZE), (void *)((char *)ss + 31 * HK_SLAB_SIZE),
                  (void *)pa, (void *)pb);
    ck_assert_msg(!hk_slab_refill(a) && !hk_slab_refill(b),
                  "one-block slabs after one take: expected refill false");
}
END_TEST

static Suite *slab_suite(void)
{
    Suite *s = suite_create("slab");
    TCase *tc = tcase_create("carve");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_format);
    tcase_add_loop_test(tc, test_carve_every_class, 0, HK_CLASSES);
    tcase_add_test(tc, test_pow2_classes_aligned);
    tcase_add_test(tc, test_first_refill_is_small);
    tcase_add_test(tc, test_refill_keeps_free_list);
    tcase_add_test(tc, test_collect_remote);
    tcase_add_test(tc, test_refill_collects_remote);
    tcase_add_test(tc, test_slabs_disjoint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(slab_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
