/* check_superslab.c — unit tests of lib/superslab.c: hk_ss_map alignment, header,
 * slots and chunk map entries, hk_ss_unmap, hk_ss_reset, and the map/unmap counters. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "internal.h"
#include "event.h"

static struct hakmem_stats st0, st1;

static void snap(struct hakmem_stats *st)
{
    ck_assert_msg(hakmem_stats_get(st) == 0, "hakmem_stats_get: expected 0");
}

/* True when [p, p+len) is mapped (mincore fails with ENOMEM on a hole). */
static bool mapped(void *p, size_t len)
{
    unsigned char vec[HK_SS_SIZE / 4096 + 1];
    return mincore(p, len, vec) == 0;
}

START_TEST(test_map_aligned_with_header)
{
    snap(&st0);
    hk_superslab *ss = hk_ss_map();
    snap(&st1);
    ck_assert_msg(ss != NULL, "hk_ss_map: expected a SuperSlab, got NULL");
    ck_assert_msg(((uintptr_t)ss & HK_SS_MASK) == 0, "hk_ss_map: expected 2 MiB alignment, got %p",
                  (void *)ss);
    ck_assert_msg(ss->magic == HK_SS_MAGIC, "magic: expected 0x%llx, got 0x%llx",
                  (unsigned long long)HK_SS_MAGIC, (unsigned long long)ss->magic);
    ck_assert_msg(ss->free_mask == 0xfffffffeu,
                  "free_mask: expected slots 1..31 free (0xfffffffe), got 0x%x", ss->free_mask);
    ck_assert_msg(ss->live == 0, "live: expected 0, got %u", ss->live);
    ck_assert_msg(ss->state == HK_SS_ACTIVE, "state: expected ACTIVE (%d), got %u", HK_SS_ACTIVE,
                  ss->state);
    ck_assert_msg(ss->prev == NULL && ss->next == NULL && !ss->on_free_list,
                  "list links: expected unlinked, got prev %p next %p on_free_list %u",
                  (void *)ss->prev, (void *)ss->next, ss->on_free_list);
    for (unsigned i = 0; i < HK_SLABS_PER_SS; i++) {
        hk_slab *s = &ss->slabs[i];
        ck_assert_msg(s->idx == i && s->state == HK_SLAB_FREE && s->carved_end == 0 &&
                          atomic_load(&s->owner) == NULL,
                      "slot %u: expected idx %u, FREE, nothing carved, no owner; got idx %u state %u "
                      "carved_end %u",
                      i, i, s->idx, s->state, s->carved_end);
        ck_assert_msg(i < HK_FIRST_SLAB || (s->used == 0 && s->free == NULL),
                      "slab %u: expected used 0, no free list; got used %u free %p", i, s->used,
                      (void *)s->free);
        ck_assert_msg(hk_slab_base(s) == (char *)ss + (size_t)i * HK_SLAB_SIZE,
                      "slab %u: expected base %p, got %p", i,
                      (void *)((char *)ss + (size_t)i * HK_SLAB_SIZE), (void *)hk_slab_base(s));
        ck_assert_msg(hk_ss_of_slab(s) == ss, "slab %u: expected hk_ss_of_slab %p, got %p", i,
                      (void *)ss, (void *)hk_ss_of_slab(s));
    }
    ck_assert_msg(hk_slab_of((char *)ss + 5 * HK_SLAB_SIZE + 4321) == &ss->slabs[5] &&
                      hk_slab_of((char *)ss + 100) == &ss->slabs[0],
                  "hk_slab_of: expected slot 5 and slot 0 metadata, got %p and %p (slots at %p, %p)",
                  (void *)hk_slab_of((char *)ss + 5 * HK_SLAB_SIZE + 4321),
                  (void *)hk_slab_of((char *)ss + 100), (void *)&ss->slabs[5], (void *)&ss->slabs[0]);
    ck_assert_msg(sizeof(hk_superslab) <= HK_SLAB_SIZE,
                  "header: expected it to fit slab 0 (%zu B), got %zu B", HK_SLAB_SIZE,
                  sizeof(hk_superslab));
    ck_assert_msg(st1.ss_maps == st0.ss_maps + 1, "ss_maps: expected +1, got %llu -> %llu",
                  (unsigned long long)st0.ss_maps, (unsigned long long)st1.ss_maps);
    ck_assert_msg(st1.ss_map_bytes == st0.ss_map_bytes + HK_SS_SIZE,
                  "ss_map_bytes: expected +%zu, got %llu -> %llu", HK_SS_SIZE,
                  (unsigned long long)st0.ss_map_bytes, (unsigned long long)st1.ss_map_bytes);
    /* The whole 2 MiB is ours and writable. */
    memset((char *)ss + HK_SLAB_SIZE, 0xa5, HK_SS_SIZE - HK_SLAB_SIZE);
    ck_assert_msg(((unsigned char *)ss)[HK_SS_SIZE - 1] == 0xa5,
                  "last byte of the SuperSlab: expected 0xa5 after memset");
    hk_ss_unmap(ss, HK_EVICT_TRIM);
}
END_TEST

START_TEST(test_chunkmap_marks_ss)
{
    hk_superslab *ss = hk_ss_map();
    ck_assert_msg(ss != NULL, "hk_ss_map: expected a SuperSlab, got NULL");
    uintptr_t a = (uintptr_t)ss;
    ck_assert_msg(hk_chunk_kind(a) == HK_CHUNK_SS, "chunk of %p: expected HK_CHUNK_SS, got %u",
                  (void *)ss, hk_chunk_kind(a));
    ck_assert_msg(hk_chunk_kind(a + HK_SS_SIZE - 1) == HK_CHUNK_SS,
                  "last byte of %p: expected HK_CHUNK_SS, got %u", (void *)ss,
                  hk_chunk_kind(a + HK_SS_SIZE - 1));
    ck_assert_msg(hk_ss_of((void *)(a + 12345 * 16)) == ss, "hk_ss_of(interior): expected %p",
                  (void *)ss);
    hk_ss_unmap(ss, HK_EVICT_TRIM);
    ck_assert_msg(hk_chunk_kind(a) == HK_CHUNK_NONE,
                  "chunk of %p after unmap: expected HK_CHUNK_NONE, got %u", (void *)a,
                  hk_chunk_kind(a));
    ck_assert_msg(hk_chunk_kind(1ull << 50) == HK_CHUNK_NONE,
                  "chunk of an address above 47 bits: expected HK_CHUNK_NONE, got %u",
                  hk_chunk_kind(1ull << 50));
}
END_TEST

START_TEST(test_unmap_returns_memory)
{
    hk_superslab *ss = hk_ss_map();
    ck_assert_msg(ss != NULL, "hk_ss_map: expected a SuperSlab, got NULL");
    ck_assert_msg(mapped(ss, HK_SS_SIZE), "before unmap: expected the 2 MiB at %p mapped",
                  (void *)ss);
    snap(&st0);
    errno = 1234;
    hk_ss_unmap(ss, HK_EVICT_TRIM);
    int e = errno;
    snap(&st1);
    ck_assert_msg(!mapped(ss, 4096) && !mapped((char *)ss + HK_SS_SIZE - 4096, 4096),
                  "after unmap: expected the first and last page of %p unmapped", (void *)ss);
    ck_assert_msg(e == 1234, "hk_ss_unmap: expected errno kept (1234), got %d", e);
    ck_assert_msg(st1.ss_unmaps == st0.ss_unmaps + 1, "ss_unmaps: expected +1, got %llu -> %llu",
                  (unsigned long long)st0.ss_unmaps, (unsigned long long)st1.ss_unmaps);
    ck_assert_msg(st1.ss_unmap_bytes == st0.ss_unmap_bytes + HK_SS_SIZE,
                  "ss_unmap_bytes: expected +%zu, got %llu -> %llu", HK_SS_SIZE,
                  (unsigned long long)st0.ss_unmap_bytes, (unsigned long long)st1.ss_unmap_bytes);
}
END_TEST

/* Several SuperSlabs at once: distinct, non-overlapping, each marked, ids increasing. */
START_TEST(test_many_maps)
{
    enum { N = 8 };
    hk_superslab *ss[N];
    snap(&st0);
    for (int i = 0; i < N; i++) {
        ss[i] = hk_ss_map();
        ck_assert_msg(ss[i] != NULL && ((uintptr_t)ss[i] & HK_SS_MASK) == 0,
                      "map %d: expected an aligned SuperSlab, got %p", i, (void *)ss[i]);
        if (i > 0)
            ck_assert_msg(ss[i]->id > ss[i - 1]->id, "map %d: expected id > %u, got %u", i,
                          ss[i - 1]->id, ss[i]->id);
        for (int j = 0; j < i; j++) {
            uintptr_t a = (uintptr_t)ss[i], b = (uintptr_t)ss[j];
            ck_assert_msg(a + HK_SS_SIZE <= b || b + HK_SS_SIZE <= a,
                          "maps %d and %d: expected disjoint, got %p and %p", j, i, (void *)b,
                          (void *)a);
        }
    }
    snap(&st1);
    ck_assert_msg(st1.ss_maps == st0.ss_maps + N, "ss_maps: expected +%d, got %llu -> %llu", N,
                  (unsigned long long)st0.ss_maps, (unsigned long long)st1.ss_maps);
    for (int i = 0; i < N; i++)
        ck_assert_msg(hk_chunk_kind((uintptr_t)ss[i]) == HK_CHUNK_SS,
                      "map %d: expected HK_CHUNK_SS, got %u", i, hk_chunk_kind((uintptr_t)ss[i]));
    for (int i = 0; i < N; i += 2)
        hk_ss_unmap(ss[i], HK_EVICT_TRIM);
    for (int i = 1; i < N; i += 2)
        ck_assert_msg(hk_chunk_kind((uintptr_t)ss[i]) == HK_CHUNK_SS && ss[i]->magic == HK_SS_MAGIC,
                      "map %d after its neighbours were unmapped: expected still marked and intact", i);
    for (int i = 1; i < N; i += 2)
        hk_ss_unmap(ss[i], HK_EVICT_TRIM);
}
END_TEST

/* A used SuperSlab comes back from hk_ss_reset as a fresh one, keeping its identity. */
START_TEST(test_reset)
{
    hk_superslab *ss = hk_ss_map();
    ck_assert_msg(ss != NULL, "hk_ss_map: expected a SuperSlab, got NULL");
    uint32_t id = ss->id;
    hk_superslab dummy;
    ss->live = 5;
    ss->free_mask = 0x10;
    ss->state = HK_SS_CACHED;
    ss->on_free_list = 1;
    ss->prev = ss->next = ss->fprev = ss->fnext = &dummy;
    for (unsigned i = 1; i < HK_SLABS_PER_SS; i++) {
        hk_slab *s = &ss->slabs[i];
        s->state = HK_SLAB_OWNED;
        s->idx = 0;
        s->used = 3;
        s->free = (hk_block *)hk_slab_base(s);
        atomic_store(&s->owner, (hk_heap *)&dummy);
    }
    hk_ss_reset(ss);
    ck_assert_msg(ss->live == 0 && ss->free_mask == 0xfffffffeu && ss->state == HK_SS_ACTIVE &&
                      !ss->on_free_list,
                  "after reset: expected live 0, mask 0xfffffffe, ACTIVE, off the free list; got "
                  "live %u mask 0x%x state %u on_free_list %u",
                  ss->live, ss->free_mask, ss->state, ss->on_free_list);
    ck_assert_msg(!ss->prev && !ss->next && !ss->fprev && !ss->fnext,
                  "after reset: expected all SuperSlab links NULL");
    for (unsigned i = 0; i < HK_SLABS_PER_SS; i++) {
        hk_slab *s = &ss->slabs[i];
        ck_assert_msg(s->idx == i && s->state == HK_SLAB_FREE && (i < HK_FIRST_SLAB || (s->used == 0 && !s->free)) &&
                          !atomic_load(&s->owner),
                      "slab %u after reset: expected idx %u FREE used 0 unowned; got idx %u state "
                      "%u used %u",
                      i, i, s->idx, s->state, s->used);
    }
    ck_assert_msg(ss->magic == HK_SS_MAGIC && ss->id == id,
                  "after reset: expected magic and id %u kept, got magic 0x%llx id %u", id,
                  (unsigned long long)ss->magic, ss->id);
    ck_assert_msg(hk_chunk_kind((uintptr_t)ss) == HK_CHUNK_SS,
                  "after reset: expected the chunk still HK_CHUNK_SS, got %u",
                  hk_chunk_kind((uintptr_t)ss));
    hk_ss_unmap(ss, HK_EVICT_TRIM);
}
END_TEST

static Suite *superslab_suite(void)
{
    Suite *s = suite_create("superslab");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, test_map_aligned_with_header);
    tcase_add_test(tc, test_chunkmap_marks_ss);
    tcase_add_test(tc, test_unmap_returns_memory);
    tcase_add_test(tc, test_many_maps);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(superslab_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
