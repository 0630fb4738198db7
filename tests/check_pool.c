/* check_pool.c — unit tests of lib/pool.c through hk_pool_acquire/release/abandon
 * with fake heaps: stages 0.5, 1, 2 and 3, the EMPTY registry, retirement to the LRU. */
#include <check.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "event.h"

/* The test process allocates through hakmem too. The tests use mid classes
 * (35..43) that its own mallocs do not touch, assert on counter deltas taken
 * right around each call, and assert only after a sequence is complete (a
 * successful ck_assert mallocs in Check's fork mode). */

static long saved[HK_OPT_COUNT];

static void setup(void)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        saved[i] = hk_opt[i];
    hk_opt[HK_OPT_SS_LRU_MAX_CACHED] = 256;
    hk_opt[HK_OPT_SS_LRU_MAX_MB] = 512;
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 600;
    /* The purger starts on the first LRU push, and starting a thread
     * allocates (which could pop the SuperSlab a test just cached): start
     * it before the test. */
    pthread_mutex_lock(&hk_pool_lock);
    hk_purge_notify();
    pthread_mutex_unlock(&hk_pool_lock);
    hk_purge_poll();
}

static void teardown(void)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        hk_opt[i] = saved[i];
}

static const char *const stage_label[HAKMEM_STAGES] = { "0", "0.5", "1", "2", "3" };

/* What one call did to the counters. */
struct path {
    long long hit[HAKMEM_STAGES], miss[HAKMEM_STAGES];
    long long ss_maps, pop_hit, pop_miss, lru_push, empty, release, ss_active, ss_cached;
};

static struct hakmem_stats before;

static void path_begin(void)
{
    hakmem_stats_get(&before);
}

static void path_end(struct path *p)
{
    struct hakmem_stats after;
    hakmem_stats_get(&after);
    for (int i = 0; i < HAKMEM_STAGES; i++) {
        p->hit[i] = (long long)(after.stage_hit[i] - before.stage_hit[i]);
        p->miss[i] = (long long)(after.stage_miss[i] - before.stage_miss[i]);
    }
    p->ss_maps = (long long)(after.ss_maps - before.ss_maps);
    p->pop_hit = (long long)(after.lru_pop_hit - before.lru_pop_hit);
    p->pop_miss = (long long)(after.lru_pop_miss - before.lru_pop_miss);
    p->lru_push = (long long)(after.lru_push - before.lru_push);
    p->empty = (long long)(after.empty - before.empty);
    p->release = (long long)(after.slab_release - before.slab_release);
    p->ss_active = (long long)after.ss_active - (long long)before.ss_active;
    p->ss_cached = (long long)after.ss_cached - (long long)before.ss_cached;
}

static hk_slab *acquire(hk_heap *h, unsigned cls, struct path *p)
{
    path_begin();
    hk_slab *s = hk_pool_acquire(h, cls);
    path_end(p);
    return s;
}

static void release(hk_slab *s, struct path *p)
{
    path_begin();
    hk_pool_release(s);
    path_end(p);
}

/* The stage that served an acquisition, -1 when the counters show none or several. */
static int stage_of(const struct path *p)
{
    int k = -1;
    for (int i = 0; i < HAKMEM_STAGES; i++) {
        if (p->hit[i] == 0)
            continue;
        if (p->hit[i] != 1 || k >= 0)
            return -1;
        k = i;
    }
    return k;
}

/* Asserts that stage `want` served the acquisition after one miss of each
 * earlier pool stage (the pool starts at 0.5; stage 0 is the heap's). */
static void assert_path(const struct path *p, int want, const char *what)
{
    ck_assert_msg(stage_of(p) == want,
                  "%s: expected a hit of stage %s only, got hits 0.5:%lld 1:%lld 2:%lld 3:%lld", what,
                  stage_label[want], p->hit[1], p->hit[2], p->hit[3], p->hit[4]);
    for (int i = 0; i < HAKMEM_STAGES; i++) {
        long long m = i >= HAKMEM_STAGE_0_5 && i < want ? 1 : 0;
        ck_assert_msg(p->miss[i] == m, "%s (stage %s): expected stage %s miss %+lld, got %+lld",
                      what, stage_label[want], stage_label[i], m, p->miss[i]);
    }
}

static hk_heap *fake_heap(void)
{
    hk_heap *h = hk_meta_alloc(sizeof(hk_heap));
    ck_assert_msg(h != NULL, "hk_meta_alloc(%zu): expected memory, got NULL", sizeof(hk_heap));
    return h;
}

/* Acquires slabs of cls for a junk heap until one comes from stage 3: a new
 * SuperSlab, with every earlier source of cls (registry under REUSE=0,
 * orphans, free slots) used up. Returns that slab, owned by h. */
static hk_slab *fresh_superslab(hk_heap *h, unsigned cls, struct path *p)
{
    static hk_heap *junk;
    if (!junk)
        junk = fake_heap();
    long reuse = hk_opt[HK_OPT_SS_EMPTY_REUSE];
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s = NULL;
    for (int i = 0; i < 100000; i++) {
        s = acquire(junk, cls, p);
        if (!s || p->hit[HAKMEM_STAGE_3])
            break;
    }
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = reuse;
    ck_assert_msg(s != NULL && p->hit[HAKMEM_STAGE_3] == 1,
                  "class %u: expected a stage-3 acquisition within 100000, got %p", cls, (void *)s);
    atomic_store(&s->owner, h);
    return s;
}

/* Pops every EMPTY slab of any class out of the registry (REUSE=1 makes
 * stage 0.5 serve any class): afterwards the registry holds only what the test puts in. */
static void drain_registry(void)
{
    hk_heap *junk = fake_heap();
    long reuse = hk_opt[HK_OPT_SS_EMPTY_REUSE];
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 1;
    struct path p;
    for (int i = 0; i < 100000; i++) {
        hk_slab *s = acquire(junk, 43, &p);
        if (!s || p.miss[HAKMEM_STAGE_0_5])
            break;
    }
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = reuse;
}

START_TEST(test_stage3_then_stage2)
{
    hk_heap *h = fake_heap();
    struct path p3, p2, p2b;
    hk_slab *s1 = fresh_superslab(h, 40, &p3);
    hk_superslab *ss = hk_ss_of_slab(s1);
    uint32_t live1 = ss->live, mask1 = ss->free_mask;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s2 = acquire(h, 40, &p2);
    uint32_t live2 = ss->live;
    hk_slab *s3 = acquire(h, 37, &p2b);
    uint32_t live3 = ss->live, mask3 = ss->free_mask;

    assert_path(&p3, HAKMEM_STAGE_3, "first acquisition after the free slots ran out");
    ck_assert_msg(p3.ss_maps + p3.pop_hit == 1 && p3.pop_hit + p3.pop_miss == 1,
                  "stage 3: expected one LRU pop and either a hit or a map, got maps %+lld pop hit "
                  "%+lld pop miss %+lld",
                  p3.ss_maps, p3.pop_hit, p3.pop_miss);
    ck_assert_msg(p3.ss_active == 1, "stage 3: expected ss_active +1, got %+lld", p3.ss_active);
    ck_assert_msg(s1->state == HK_SLAB_OWNED && atomic_load(&s1->owner) == h && s1->cls == 40 &&
                      s1->capacity == hk_class_capacity[40] && s1->used == 0 && s1->carved == 0,
                  "stage 3 slab: expected OWNED by h, class 40 formatted, got state %u cls %u "
                  "capacity %u used %u carved %u",
                  s1->state, s1->cls, s1->capacity, s1->used, s1->carved);
    ck_assert_msg(s1->idx == HK_FIRST_SLAB && live1 == 1 && mask1 == (0xfffffffeu & ~2u),
                  "new SuperSlab: expected slot 1 taken, live 1, mask 0xfffffffc; got slot %u live "
                  "%u mask 0x%x",
                  s1->idx, live1, mask1);
    ck_assert_msg(ss->magic == HK_SS_MAGIC && ss->state == HK_SS_ACTIVE,
                  "new SuperSlab: expected magic and ACTIVE, got state %u", ss->state);

    assert_path(&p2, HAKMEM_STAGE_2, "second acquisition, same class");
    ck_assert_msg(hk_ss_of_slab(s2) == ss && s2 != s1 && s2->state == HK_SLAB_OWNED &&
                      s2->cls == 40 && live2 == 2,
                  "stage 2: expected another slab of %p, OWNED, class 40, live 2; got %p in %p, "
                  "state %u cls %u live %u",
                  (void *)ss, (void *)s2, (void *)hk_ss_of_slab(s2), s2->state, s2->cls, live2);
    assert_path(&p2b, HAKMEM_STAGE_2, "third acquisition, another class");
    ck_assert_msg(hk_ss_of_slab(s3) == ss && s3 != s1 && s3 != s2 && s3->cls == 37 &&
                      s3->capacity == hk_class_capacity[37] && live3 == 3,
                  "stage 2, class 37: expected a third slab of the same SuperSlab formatted for 37, "
                  "got cls %u capacity %u live %u",
                  s3->cls, s3->capacity, live3);
    ck_assert_msg((mask3 & (1u << s1->idx | 1u << s2->idx | 1u << s3->idx)) == 0 &&
                      __builtin_popcount(mask3) == 28,
                  "free_mask after 3 slots: expected their bits clear and 28 left, got 0x%x", mask3);
}
END_TEST

START_TEST(test_stage0_5_same_class)
{
    hk_heap *h = fake_heap(), *h2 = fake_heap();
    struct path p, pr, pa;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s = fresh_superslab(h, 40, &p);
    hk_slab *keep = acquire(h, 40, &p); /* keeps the SuperSlab live */
    hk_superslab *ss = hk_ss_of_slab(s);
    hk_slab_refill(s);
    hk_block *head = s->free;
    uint16_t carved = s->carved;
    uint32_t live0 = ss->live;
    struct hakmem_stats c0, c1;
    hakmem_stats_get(&c0);
    release(s, &pr);
    hakmem_stats_get(&c1);
    uint32_t state_rel = s->state, live_rel = ss->live;
    hk_heap *owner_rel = atomic_load(&s->owner);
    hk_slab *again = acquire(h2, 40, &pa);

    ck_assert_msg(keep && hk_ss_of_slab(keep) == ss, "setup: expected a second slab of %p",
                  (void *)ss);
    ck_assert_msg(pr.empty == 1 && pr.release == 1, "release: expected empty +1 and slab_release "
                  "+1, got %+lld and %+lld", pr.empty, pr.release);
    ck_assert_msg(c1.cls[40].empty == c0.cls[40].empty + 1,
                  "release: expected class 40 EMPTY count +1, got %llu -> %llu",
                  (unsigned long long)c0.cls[40].empty, (unsigned long long)c1.cls[40].empty);
    ck_assert_msg(state_rel == HK_SLAB_EMPTY && owner_rel == NULL && live_rel == live0 - 1,
                  "released slab: expected EMPTY, no owner, live %u; got state %u owner %p live %u",
                  live0 - 1, state_rel, (void *)owner_rel, live_rel);
    ck_assert_msg(pr.lru_push == 0, "release with a live neighbour: expected no LRU push, got %+lld",
                  pr.lru_push);
    assert_path(&pa, HAKMEM_STAGE_0_5, "acquisition after a release of the same class");
    ck_assert_msg(again == s, "stage 0.5: expected the released slab %p back, got %p", (void *)s,
                  (void *)again);
    ck_assert_msg(s->cls == 40 && s->carved == carved && s->free == head && s->used == 0,
                  "stage 0.5, same class: expected the slab as it was (carved %u, free %p), got "
                  "cls %u carved %u free %p",
                  carved, (void *)head, s->cls, s->carved, (void *)s->free);
    ck_assert_msg(s->state == HK_SLAB_OWNED && atomic_load(&s->owner) == h2 && ss->live == live0,
                  "stage 0.5: expected OWNED by the new heap and live %u, got state %u live %u",
                  live0, s->state, ss->live);
}
END_TEST

START_TEST(test_stage0_5_cross_class)
{
    hk_heap *h = fake_heap();
    struct path p, pa;
    drain_registry();
    hk_slab *s = fresh_superslab(h, 40, &p);
    hk_slab *keep = acquire(h, 39, &p);
    hk_slab_refill(s);
    release(s, &p);
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 1;
    hk_slab *got = acquire(h, 36, &pa);

    ck_assert_msg(keep != NULL && hk_ss_of_slab(keep) == hk_ss_of_slab(s),
                  "setup: expected a second slab of the same SuperSlab");
    assert_path(&pa, HAKMEM_STAGE_0_5, "REUSE=1, class 36 after a class-40 release");
    ck_assert_msg(got == s, "REUSE=1: expected the class-40 EMPTY slab %p, got %p", (void *)s,
                  (void *)got);
    ck_assert_msg(s->cls == 36 && s->capacity == hk_class_capacity[36] && s->carved == 0 &&
                      s->free == NULL && s->used == 0,
                  "cross-class reuse: expected the slab reformatted for 36 (capacity %u, nothing "
                  "carved), got cls %u capacity %u carved %u free %p",
                  hk_class_capacity[36], s->cls, s->capacity, s->carved, (void *)s->free);
    ck_assert_msg(s->state == HK_SLAB_OWNED && atomic_load(&s->owner) == h,
                  "cross-class reuse: expected OWNED by h, got state %u", s->state);
}
END_TEST

START_TEST(test_no_cross_class_without_reuse)
{
    hk_heap *h = fake_heap();
    struct path p, pa, pb;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s = fresh_superslab(h, 40, &p);
    hk_slab *keep = acquire(h, 40, &p);
    release(s, &p);
    hk_slab *other = acquire(h, 36, &pa);
    uint32_t state_after = s->state;
    unsigned cls_after = s->cls;
    hk_slab *same = acquire(h, 40, &pb);

    ck_assert_msg(keep != NULL, "setup: expected a second slab");
    ck_assert_msg(other != s, "REUSE=0: expected class 36 not to get the class-40 EMPTY slab");
    assert_path(&pa, HAKMEM_STAGE_2, "REUSE=0, class 36 with a class-40 EMPTY slab registered");
    ck_assert_msg(hk_ss_of_slab(other) == hk_ss_of_slab(s) && other->cls == 36,
                  "REUSE=0: expected a free slot of the same SuperSlab for class 36");
    ck_assert_msg(state_after == HK_SLAB_EMPTY && cls_after == 40,
                  "REUSE=0: expected the class-40 slab still EMPTY for 40, got state %u cls %u",
                  state_after, cls_after);
    assert_path(&pb, HAKMEM_STAGE_0_5, "REUSE=0, class 40");
    ck_assert_msg(same == s, "REUSE=0, class 40: expected the EMPTY slab %p, got %p", (void *)s,
                  (void *)same);
}
END_TEST

/* A slab whose heap went away with live blocks is adopted whole at stage 1. */
START_TEST(test_stage1_abandon_adopt)
{
    hk_heap *h1 = fake_heap(), *h2 = fake_heap();
    struct path p, pa;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s = fresh_superslab(h1, 39, &p);
    hk_superslab *ss = hk_ss_of_slab(s);
    hk_slab_refill(s);
    hk_block *b = s->free; /* one live block */
    s->free = b->next;
    s->used = 1;
    hk_block *head = s->free;
    uint32_t live0 = ss->live;
    hk_pool_give_back(s); /* a chain of one, with live blocks: abandoned */
    uint32_t state_ab = s->state, live_ab = ss->live;
    hk_heap *owner_ab = atomic_load(&s->owner);
    hk_slab *got = acquire(h2, 39, &pa);

    ck_assert_msg(state_ab == HK_SLAB_ABANDONED && owner_ab == NULL && live_ab == live0,
                  "abandon: expected ABANDONED, no owner, live %u kept; got state %u owner %p live %u",
                  live0, state_ab, (void *)owner_ab, live_ab);
    assert_path(&pa, HAKMEM_STAGE_1, "acquisition with an abandoned slab of the class");
    ck_assert_msg(got == s, "stage 1: expected the abandoned slab %p, got %p", (void *)s, (void *)got);
    ck_assert_msg(s->state == HK_SLAB_OWNED && atomic_load(&s->owner) == h2,
                  "stage 1: expected OWNED by the new heap, got state %u owner %p", s->state,
                  (void *)atomic_load(&s->owner));
    ck_assert_msg(s->used == 1 && s->free == head && s->cls == 39,
                  "stage 1: expected the slab adopted as it was (used 1, same free list), got used "
                  "%u cls %u",
                  s->used, s->cls);
    ck_assert_msg(ss->live == live0, "stage 1: expected live %u unchanged, got %u", live0, ss->live);
}
END_TEST

/* A thread's slabs given back in one call: the EMPTY one to the registry
 * (stage 0.5), the one with live blocks to the orphans (stage 1). */
START_TEST(test_give_back_batch)
{
    hk_heap *h1 = fake_heap(), *h2 = fake_heap();
    struct path p, pe, po;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *full = fresh_superslab(h1, 39, &p);
    hk_slab *empty = acquire(h1, 39, &p);
    full->used = 1;
    full->next = empty; /* the chain an exiting thread builds */
    hk_pool_give_back(full);
    uint32_t st_full = full->state, st_empty = empty->state;
    hk_slab *got_e = acquire(h2, 39, &pe);
    hk_slab *got_o = acquire(h2, 39, &po);

    ck_assert_msg(st_full == HK_SLAB_ABANDONED && st_empty == HK_SLAB_EMPTY,
                  "give back: expected ABANDONED and EMPTY, got states %u and %u", st_full, st_empty);
    ck_assert_msg(empty->next == NULL && got_e == empty, "give back: expected the EMPTY slab %p first, got %p",
                  (void *)empty, (void *)got_e);
    assert_path(&pe, HAKMEM_STAGE_0_5, "acquisition after a batch with an EMPTY slab");
    ck_assert_msg(got_o == full, "give back: expected the abandoned slab %p next, got %p", (void *)full,
                  (void *)got_o);
    assert_path(&po, HAKMEM_STAGE_1, "acquisition after a batch with an abandoned slab");
}
END_TEST

/* An abandoned slab that empties goes to the registry and leaves the orphans. */
START_TEST(test_release_abandoned)
{
    hk_heap *h = fake_heap();
    struct path p, pr, pa;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s = fresh_superslab(h, 39, &p);
    hk_slab *keep = acquire(h, 39, &p);
    hk_superslab *ss = hk_ss_of_slab(s);
    uint32_t live0 = ss->live;
    s->used = 1;
    hk_pool_give_back(s); /* a chain of one, with live blocks: abandoned */
    s->used = 0; /* its last block came back */
    release(s, &pr);
    uint32_t state_rel = s->state, live_rel = ss->live;
    hk_slab *got = acquire(h, 39, &pa);
    struct path pn;
    hk_slab *next = acquire(h, 39, &pn);

    ck_assert_msg(keep != NULL, "setup: expected a second slab");
    ck_assert_msg(state_rel == HK_SLAB_EMPTY && live_rel == live0 - 1,
                  "release of an abandoned slab: expected EMPTY and live %u, got state %u live %u",
                  live0 - 1, state_rel, live_rel);
    assert_path(&pa, HAKMEM_STAGE_0_5, "acquisition after an abandoned slab was released");
    ck_assert_msg(got == s, "expected the released slab %p from the registry, got %p", (void *)s,
                  (void *)got);
    /* It left the orphans list too: the next acquisition finds no stage-1 slab. */
    assert_path(&pn, HAKMEM_STAGE_2, "next acquisition of the class");
    ck_assert_msg(next != s, "next acquisition: expected another slab than %p", (void *)s);
}
END_TEST

/* The last release of a SuperSlab retires it to the LRU; its slabs leave the registry. */
START_TEST(test_empty_superslab_to_lru)
{
    hk_heap *h = fake_heap();
    struct path p, r[3], pa;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s[3];
    s[0] = fresh_superslab(h, 41, &p);
    s[1] = acquire(h, 41, &p);
    s[2] = acquire(h, 41, &p);
    hk_superslab *ss = hk_ss_of_slab(s[0]);
    bool same = hk_ss_of_slab(s[1]) == ss && hk_ss_of_slab(s[2]) == ss;
    uint32_t live[3];
    for (int i = 0; i < 3; i++) {
        release(s[i], &r[i]);
        live[i] = ss->live;
    }
    uint32_t ss_state = ss->state, mask = ss->free_mask;
    uint32_t slab_state[3] = { s[0]->state, s[1]->state, s[2]->state };
    hk_slab *got = acquire(h, 41, &pa);

    ck_assert_msg(same, "setup: expected three slabs of one SuperSlab");
    ck_assert_msg(live[0] == 2 && live[1] == 1 && live[2] == 0,
                  "live after each release: expected 2 1 0, got %u %u %u", live[0], live[1], live[2]);
    ck_assert_msg(r[0].lru_push == 0 && r[1].lru_push == 0,
                  "releases with live slabs left: expected no LRU push, got %+lld %+lld",
                  r[0].lru_push, r[1].lru_push);
    ck_assert_msg(r[2].lru_push == 1 && r[2].ss_cached == 1 && r[2].ss_active == -1,
                  "last release: expected lru_push +1, ss_cached +1, ss_active -1; got %+lld %+lld "
                  "%+lld",
                  r[2].lru_push, r[2].ss_cached, r[2].ss_active);
    ck_assert_msg(r[2].empty == 1 && r[2].release == 1,
                  "last release: expected empty +1 and slab_release +1, got %+lld %+lld", r[2].empty,
                  r[2].release);
    ck_assert_msg(ss_state == HK_SS_CACHED && mask == 0xfffffffeu,
                  "retired SuperSlab: expected CACHED with every slot free, got state %u mask 0x%x",
                  ss_state, mask);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(slab_state[i] == HK_SLAB_FREE,
                      "retired SuperSlab, slab %u: expected FREE (out of the registry), got %u",
                      s[i]->idx, slab_state[i]);
    /* The registry no longer offers them: stage 0.5 misses, and stage 3 pops the SuperSlab. */
    assert_path(&pa, HAKMEM_STAGE_3, "class 41 after its only SuperSlab retired");
    ck_assert_msg(pa.pop_hit == 1 && pa.ss_maps == 0,
                  "stage 3 after a retirement: expected an LRU hit and no map, got hit %+lld maps "
                  "%+lld",
                  pa.pop_hit, pa.ss_maps);
    ck_assert_msg(got != NULL && hk_ss_of_slab(got) == ss && ss->state == HK_SS_ACTIVE &&
                      ss->live == 1,
                  "LRU pop: expected the retired SuperSlab %p back, ACTIVE, live 1; got %p",
                  (void *)ss, got ? (void *)hk_ss_of_slab(got) : NULL);
}
END_TEST

/* The purger unmaps a cached SuperSlab once its TTL is up, with no allocator call. */
START_TEST(test_purger_expires_idle_cache)
{
    hk_heap *h = fake_heap();
    struct path p, r;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 1;
    hk_slab *s = fresh_superslab(h, 43, &p);
    release(s, &r);
    struct hakmem_stats a, b;
    hakmem_stats_get(&a);
    struct timespec nap = { 1, 600000000 }; /* TTL + the purger's wake-up */
    nanosleep(&nap, NULL);
    hakmem_stats_get(&b);
    ck_assert_msg(r.lru_push == 1 && a.ss_cached >= 1,
                  "release of the only slab: expected an LRU push and a cached SuperSlab, got "
                  "push %+lld cached %llu", r.lru_push, (unsigned long long)a.ss_cached);
    ck_assert_msg(b.ss_cached == 0 && b.lru_evict_ttl > a.lru_evict_ttl,
                  "1.6 s idle with a 1 s TTL: expected the cache empty by TTL evictions, got "
                  "cached %llu, ttl evictions %+lld", (unsigned long long)b.ss_cached,
                  (long long)(b.lru_evict_ttl - a.lru_evict_ttl));
}
END_TEST

/* hk_pool_trim empties the LRU. */
START_TEST(test_pool_trim)
{
    hk_heap *h = fake_heap();
    struct path p, r;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    hk_slab *s = fresh_superslab(h, 42, &p);
    uintptr_t ss = (uintptr_t)hk_ss_of_slab(s);
    release(s, &r);
    struct hakmem_stats a, b;
    hakmem_stats_get(&a);
    size_t n = hk_pool_trim();
    hakmem_stats_get(&b);
    ck_assert_msg(r.lru_push == 1, "release of the only slab: expected an LRU push, got %+lld",
                  r.lru_push);
    ck_assert_msg(n >= 1 && b.ss_cached == 0 && b.ss_unmaps - a.ss_unmaps == n,
                  "hk_pool_trim: expected >= 1 unmapped, ss_cached 0, ss_unmaps +n; got n %zu, "
                  "cached %llu, unmaps %+lld",
                  n, (unsigned long long)b.ss_cached, (long long)(b.ss_unmaps - a.ss_unmaps));
    ck_assert_msg(hk_chunk_kind(ss) == HK_CHUNK_NONE, "trimmed SuperSlab: expected chunk NONE, got %u",
                  hk_chunk_kind(ss));
}
END_TEST

/* Per-class figures in hakmem_stats come from the slab metadata. */
START_TEST(test_class_stats)
{
    hk_heap *h = fake_heap();
    unsigned c = hk_size_class(16384); /* 4 blocks a slab */
    struct path p;
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    struct hakmem_stats a, b;
    hk_slab *s1 = fresh_superslab(h, c, &p);
    hakmem_stats_get(&a);
    hk_slab *s2 = acquire(h, c, &p);
    s1->used = 2;
    s2->used = 3;
    hakmem_stats_get(&b);
    ck_assert_msg(b.cls[c].slabs == a.cls[c].slabs + 1,
                  "class %u slabs: expected +1, got %llu -> %llu", c, (unsigned long long)a.cls[c].slabs,
                  (unsigned long long)b.cls[c].slabs);
    ck_assert_msg(b.cls[c].used == a.cls[c].used + 5,
                  "class %u used: expected +5, got %llu -> %llu", c, (unsigned long long)a.cls[c].used,
                  (unsigned long long)b.cls[c].used);
    ck_assert_msg(b.cls[c].capacity == b.cls[c].slabs * hk_class_capacity[c] &&
                      b.cls[c].block_size == hk_class_size[c],
                  "class %u: expected capacity = slabs x %u and block %u, got %llu and %u", c,
                  hk_class_capacity[c], hk_class_size[c], (unsigned long long)b.cls[c].capacity,
                  b.cls[c].block_size);
    s1->used = s2->used = 0;
}
END_TEST

START_TEST(test_meta_alloc)
{
    char *a = hk_meta_alloc(100), *b = hk_meta_alloc(sizeof(hk_heap)), *c = hk_meta_alloc(70000);
    ck_assert_msg(a && b && c, "hk_meta_alloc: expected memory, got %p %p %p", (void *)a, (void *)b,
                  (void *)c);
    ck_assert_msg(((uintptr_t)a | (uintptr_t)b | (uintptr_t)c) % 64 == 0,
                  "hk_meta_alloc: expected 64-byte alignment, got %p %p %p", (void *)a, (void *)b,
                  (void *)c);
    ck_assert_msg(b >= a + 100 || b + sizeof(hk_heap) <= a, "hk_meta_alloc: expected disjoint blocks");
    for (size_t i = 0; i < sizeof(hk_heap); i++)
        ck_assert_msg(b[i] == 0, "hk_meta_alloc: expected zeroed memory, byte %zu is 0x%02x", i,
                      (unsigned char)b[i]);
    for (size_t i = 0; i < 70000; i += 4096)
        ck_assert_msg(c[i] == 0, "hk_meta_alloc(70000): expected zeroed memory at %zu", i);
    memset(c, 1, 70000);
}
END_TEST

static Suite *pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("stages");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_stage3_then_stage2);
    tcase_add_test(tc, test_stage0_5_same_class);
    tcase_add_test(tc, test_stage0_5_cross_class);
    tcase_add_test(tc, test_no_cross_class_without_reuse);
    tcase_add_test(tc, test_stage1_abandon_adopt);
    tcase_add_test(tc, test_give_back_batch);
    tcase_add_test(tc, test_release_abandoned);
    tcase_add_test(tc, test_empty_superslab_to_lru);
    tcase_add_test(tc, test_pool_trim);
    tcase_add_test(tc, test_purger_expires_idle_cache);
    tcase_add_test(tc, test_class_stats);
    tcase_add_test(tc, test_meta_alloc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
