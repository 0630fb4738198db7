/* check_model.c — unit tests of tui/model.c: per-class totals from a SuperSlab
 * table, header figures, sorting, the recent stage mix, the event tail, rates. */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "top.h"

static uint32_t sizes[TOP_CLASSES], caps[TOP_CLASSES];
static struct hakmem_seg_ss ss[3];
static struct top_model m;

static void setup(void)
{
    for (unsigned c = 0; c < TOP_CLASSES; c++) {
        sizes[c] = 8 * (c + 1);
        caps[c] = 65536 / sizes[c];
    }
    memset(ss, 0, sizeof ss);
    top_model_init(&m);
}

static void slab(struct hakmem_seg_ss *s, unsigned i, unsigned cls, unsigned state, unsigned used)
{
    s->slab[i] = (struct hakmem_seg_slab){ .cls = (uint8_t)cls, .state = (uint8_t)state,
                                           .used = (uint16_t)used, .capacity = (uint16_t)caps[cls] };
}

/* SuperSlab 1 (active): class 3 (32 B: 2048 blocks) at 100 and 2048 used, a
 * class 11 (96 B) slab EMPTY; SuperSlab 2 cached, all free. */
static struct top_sample sample(void)
{
    ss[0].id = 1;
    ss[0].state = HAKMEM_SS_ACTIVE;
    slab(&ss[0], 1, 3, HAKMEM_SLAB_OWNED, 100);
    slab(&ss[0], 2, 3, HAKMEM_SLAB_ABANDONED, 2048);
    slab(&ss[0], 3, 11, HAKMEM_SLAB_EMPTY, 0);
    ss[1].id = 2;
    ss[1].state = HAKMEM_SS_CACHED;
    struct top_sample s = { .pid = 7, .nclasses = 20, .class_size = sizes, .class_capacity = caps,
                            .ss = ss, .nss = 2, .occ = TOP_OCC_SLAB, .have_used = 1,
                            .now_ns = 2000000000u, .head = 1000 };
    s.ctr.ss_map_bytes = 3u << 21;
    s.ctr.ss_unmap_bytes = 1u << 21;
    s.ctr.class_empty[11] = 4;
    s.ctr.class_empty[5] = 2; /* no slab now, but it had EMPTY transitions */
    return s;
}

static const struct top_row *row_of(unsigned cls)
{
    for (unsigned i = 0; i < m.nrows; i++)
        if (m.rows[i].cls == cls)
            return &m.rows[i];
    return NULL;
}

START_TEST(test_totals)
{
    struct top_sample s = sample();
    top_model_update(&m, &s);
    ck_assert_msg(m.nrows == 3, "rows: expected 3 (classes 3, 5, 11), got %u", m.nrows);
    const struct top_row *r = row_of(3);
    ck_assert_msg(r && r->slabs == 2 && r->used == 2148 && r->capacity == 4096,
                  "class 3: expected slabs 2 used 2148 capacity 4096, got %llu %llu %llu",
                  r ? (unsigned long long)r->slabs : 0ull, r ? (unsigned long long)r->used : 0ull,
                  r ? (unsigned long long)r->capacity : 0ull);
    ck_assert_msg(r->occ_pm == 524, "class 3: expected 524 per mille, got %u", r->occ_pm);
    ck_assert_msg(r->size == 32, "class 3: expected block size 32, got %u", r->size);
    r = row_of(11);
    ck_assert_msg(r && r->slabs == 1 && r->empty_slabs == 1 && r->used == 0 && r->empties == 4,
                  "class 11: expected 1 slab, EMPTY, 4 transitions");
    r = row_of(5);
    ck_assert_msg(r && r->slabs == 0 && r->empties == 2, "class 5: expected a row for its 2 EMPTY transitions");
    ck_assert_msg(m.ss_active == 1 && m.ss_cached == 1, "SuperSlabs: expected 1 active 1 cached, got %llu %llu",
                  (unsigned long long)m.ss_active, (unsigned long long)m.ss_cached);
    ck_assert_msg(m.owned_slabs == 2 && m.sparse_slabs == 1 && m.empty_slabs == 1 && m.free_slabs == 59,
                  "slabs: expected owned 2 sparse 1 EMPTY 1 free 59, got %llu %llu %llu %llu",
                  (unsigned long long)m.owned_slabs, (unsigned long long)m.sparse_slabs,
                  (unsigned long long)m.empty_slabs, (unsigned long long)m.free_slabs);
    ck_assert_msg(m.bytes_mapped == 4u << 20, "mapped: expected 4 MiB, got %llu",
                  (unsigned long long)m.bytes_mapped);
    ck_assert_msg(m.slabs == 3 && m.used == 2148, "all classes: expected 3 slabs, 2148 used");
    ck_assert_msg(m.s.ev == NULL && m.s.nev == 0, "the model keeps no pointer to the sample's events");
}
END_TEST

START_TEST(test_totals_given)
{
    struct top_sample s = sample();
    struct top_class_total tot[TOP_CLASSES] = { [3] = { .slabs = 9, .used = 900, .capacity = 18432 } };
    s.totals = tot;
    top_model_update(&m, &s);
    const struct top_row *r = row_of(3);
    ck_assert_msg(r && r->slabs == 9 && r->used == 900 && r->capacity == 18432,
                  "given totals: expected class 3 slabs 9 used 900 capacity 18432");
    ck_assert_msg(!row_of(11) || row_of(11)->slabs == 0, "given totals: class 11 has none");
}
END_TEST

START_TEST(test_sort)
{
    struct top_sample s = sample();
    slab(&ss[1], 5, 7, HAKMEM_SLAB_OWNED, 1000);
    slab(&ss[1], 6, 7, HAKMEM_SLAB_OWNED, 1000);
    slab(&ss[1], 7, 7, HAKMEM_SLAB_OWNED, 1000);
    top_model_update(&m, &s);
    /* class 3: 2 slabs, 2148 used, 52 %; class 5: 0; class 7 (64 B, 1024): 3 slabs, 3000 used, 97 %;
     * class 11: 1 slab, 0 used, 4 EMPTY transitions */
    static const struct {
        int key, reverse;
        unsigned first, last;
    } want[] = {
        { 'c', 0, 3, 11 }, { 'l', 0, 7, 5 }, { 'u', 0, 7, 11 }, { 'o', 0, 7, 11 },
        { 'e', 0, 11, 7 }, { 'c', 1, 11, 3 }, { 'l', 1, 5, 7 },
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        m.reverse = want[i].reverse;
        ck_assert_msg(top_model_sort_by_key(&m, want[i].key), "key %c: expected a sort key", want[i].key);
        ck_assert_msg(m.rows[0].cls == want[i].first && m.rows[m.nrows - 1].cls == want[i].last,
                      "sort %c%s: expected class %u first and %u last, got %u and %u", want[i].key,
                      want[i].reverse ? " reversed" : "", want[i].first, want[i].last, m.rows[0].cls,
                      m.rows[m.nrows - 1].cls);
    }
    ck_assert_msg(!top_model_sort_by_key(&m, 'z'), "z: expected no sort key");
    m.reverse = 0;
    top_model_sort_by_key(&m, 'o');
    top_model_update(&m, &s);
    ck_assert_msg(m.rows[0].cls == 7, "a new sample keeps the sort: expected class 7 first, got %u",
                  m.rows[0].cls);
}
END_TEST

static struct hakmem_event ev(uint64_t seq, unsigned type, unsigned cls, unsigned stage)
{
    return (struct hakmem_event){ .seq = seq, .type = (uint16_t)type, .cls = (uint8_t)cls,
                                  .stage = (uint8_t)stage };
}

START_TEST(test_mix_window)
{
    static struct hakmem_event e[80];
    uint64_t seq = 1;
    for (int i = 0; i < 6; i++)
        e[i] = ev(seq++, HAKMEM_EV_SLAB_ACQUIRE, 3, 4);
    for (int i = 6; i < 70; i++)
        e[i] = ev(seq++, HAKMEM_EV_SLAB_ACQUIRE, 3, 1);
    e[70] = ev(seq++, HAKMEM_EV_STAGE_MISS, 3, 0); /* a miss is no acquisition */
    struct top_sample s = sample();
    s.ev = e;
    s.nev = 71;
    top_model_update(&m, &s);
    const struct top_row *r = row_of(3);
    ck_assert_msg(r->mix_n == TOP_MIX && r->mix[1] == TOP_MIX && r->mix[4] == 0,
                  "last %d of 70: expected all at stage 0.5, got n %u, 0.5: %u, 3: %u", TOP_MIX,
                  r->mix_n, r->mix[1], r->mix[4]);
    for (int i = 0; i < 3; i++)
        e[i] = ev(seq++, HAKMEM_EV_SLAB_ACQUIRE, 3, 3);
    s.nev = 3;
    top_model_update(&m, &s);
    r = row_of(3);
    ck_assert_msg(r->mix[1] == TOP_MIX - 3 && r->mix[3] == 3,
                  "3 more at stage 2: expected %d and 3, got %u and %u", TOP_MIX - 3, r->mix[1], r->mix[3]);
    s.nev = 0;
    top_model_update(&m, &s);
    ck_assert_msg(row_of(3)->mix[3] == 3, "a sample without events keeps the mix");
}
END_TEST

START_TEST(test_tail)
{
    static struct hakmem_event e[TOP_TAIL + 10], out[TOP_TAIL];
    size_t n = 0;
    uint64_t seq = 1;
    for (int i = 0; i < TOP_TAIL + 5; i++)
        e[n++] = ev(seq++, HAKMEM_EV_STAGE_MISS, 2, 0);
    e[n++] = ev(seq++, HAKMEM_EV_LRU_POP_MISS, 2, 255);
    e[n++] = ev(seq++, HAKMEM_EV_SS_MAP, 255, 255);
    e[n++] = ev(seq++, HAKMEM_EV_LRU_PUSH, 255, 255);
    e[n++] = ev(seq++, HAKMEM_EV_STAGE_MISS, 2, 1);
    top_model_feed(&m, e, n);
    size_t got = top_model_tail(&m, "lru", out, TOP_TAIL);
    ck_assert_msg(got == 2 && out[0].type == HAKMEM_EV_LRU_POP_MISS && out[1].type == HAKMEM_EV_LRU_PUSH,
                  "filter lru: expected lru_pop_miss then lru_push, got %zu events", got);
    got = top_model_tail(&m, "", out, 3);
    ck_assert_msg(got == 3 && out[0].type == HAKMEM_EV_SS_MAP && out[2].type == HAKMEM_EV_STAGE_MISS &&
                      out[2].seq == seq - 1,
                  "the newest 3, oldest first: expected ss_map, lru_push, stage_miss #%llu",
                  (unsigned long long)(seq - 1));
    got = top_model_tail(&m, "stage_miss", out, TOP_TAIL);
    ck_assert_msg(got == TOP_TAIL && out[TOP_TAIL - 1].seq == seq - 1 && out[0].seq == seq - 1 - (TOP_TAIL - 1) - 3,
                  "stage_miss: expected the newest %d, got %zu from #%llu", TOP_TAIL, got,
                  (unsigned long long)out[0].seq);
    for (size_t i = 1; i < got; i++)
        ck_assert_msg(out[i - 1].seq < out[i].seq, "tail: expected ascending seq at %zu", i);
    got = top_model_tail(&m, "no_such_type", out, TOP_TAIL);
    ck_assert_msg(got == 0, "unknown filter: expected nothing, got %zu", got);
    ck_assert_msg(top_model_tail(&m, NULL, out, 0) == 0, "max 0: expected nothing");
}
END_TEST

START_TEST(test_rates)
{
    struct top_sample s = sample();
    top_model_update(&m, &s);
    ck_assert_msg(m.ev_per_s > 499.9 && m.ev_per_s < 500.1,
                  "first sample: expected head/uptime = 500/s, got %f", m.ev_per_s);
    s.head = 3000;
    s.now_ns = 4000000000u;
    top_model_update(&m, &s);
    ck_assert_msg(m.ev_per_s > 999.9 && m.ev_per_s < 1000.1,
                  "2000 events in 2 s: expected 1000/s, got %f", m.ev_per_s);
    top_model_update(&m, &s);
    ck_assert_msg(m.ev_per_s > 999.9 && m.ev_per_s < 1000.1,
                  "the same instant again: expected the rate kept, got %f", m.ev_per_s);
    ck_assert_msg(m.lru_hit_pm == UINT32_MAX, "no LRU pop yet: expected no hit rate");
    s.ctr.lru_pop_hit = 1;
    s.ctr.lru_pop_miss = 3;
    s.ctr.stage_hit[1] = 5;
    top_model_update(&m, &s);
    ck_assert_msg(m.lru_hit_pm == 250, "1 hit, 3 misses: expected 250 per mille, got %u", m.lru_hit_pm);
    ck_assert_msg(m.prev_ctr.stage_hit[1] == 0 && m.s.ctr.stage_hit[1] == 5,
                  "previous counters: expected the last sample's");
}
END_TEST

START_TEST(test_occ_level)
{
    static const struct {
        uint64_t used, cap;
        int level;
    } t[] = { { 0, 2048, 0 }, { 5, 0, 0 }, { 1, 2048, 1 }, { 511, 2048, 1 }, { 512, 2048, 2 },
              { 1535, 2048, 2 }, { 1536, 2048, 3 }, { 2048, 2048, 3 } };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        ck_assert_msg(top_occ_level(t[i].used, t[i].cap) == t[i].level,
                      "%llu/%llu: expected level %d, got %d", (unsigned long long)t[i].used,
                      (unsigned long long)t[i].cap, t[i].level, top_occ_level(t[i].used, t[i].cap));
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("tui_model");
    TCase *tc = tcase_create("model");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_totals);
    tcase_add_test(tc, test_totals_given);
    tcase_add_test(tc, test_sort);
    tcase_add_test(tc, test_mix_window);
    tcase_add_test(tc, test_tail);
    tcase_add_test(tc, test_rates);
    tcase_add_test(tc, test_occ_level);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(model_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
