/* check_heap.c — unit tests of lib/heap.c through malloc/free in threads: remote
 * frees and their drain, thread exit (release or abandon), EMPTY transitions, counters. */
#include <check.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "event.h"

/* Threads record what they saw; only the main thread asserts. The tests use
 * mid classes (36..41) that the test's own mallocs do not touch. */

static long saved[HK_OPT_COUNT];

static void setup(void)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        saved[i] = hk_opt[i];
    hk_opt[HK_OPT_SS_LRU_TTL_SEC] = 600;
    hk_spare_slabs = HK_SPARE_SLABS;
}

static void teardown(void)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        hk_opt[i] = saved[i];
}

static void run_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    int rc = pthread_create(&t, NULL, fn, arg);
    ck_assert_msg(rc == 0, "pthread_create: expected 0, got %d", rc);
    rc = pthread_join(t, NULL);
    ck_assert_msg(rc == 0, "pthread_join: expected 0, got %d", rc);
}

static hk_slab *slab_of(const void *p)
{
    return &hk_ss_of(p)->slabs[((uintptr_t)p >> HK_SLAB_SHIFT) & (HK_SLABS_PER_SS - 1)];
}

static void snap(struct hakmem_stats *st)
{
    ck_assert_msg(hakmem_stats_get(st) == 0, "hakmem_stats_get: expected 0");
}

/* ---- remote free → drain → reuse by the owner */

#define SZ32K 32768 /* two blocks per slab */

struct remote_case {
    pthread_barrier_t go, freed;
    void *a, *b, *c, *d, *again;
    hk_slab *sa, *sc;
    uint8_t sa_list_before, sa_list_after;
    long long stage0_hits;
    hk_block *remote_before;
};

static void *remote_freer(void *arg)
{
    struct remote_case *rc = arg;
    pthread_barrier_wait(&rc->go);
    free(rc->a);
    pthread_barrier_wait(&rc->freed);
    return NULL;
}

static void *remote_owner(void *arg)
{
    struct remote_case *rc = arg;
    rc->a = malloc(SZ32K);
    rc->b = malloc(SZ32K); /* slab A full */
    rc->c = malloc(SZ32K); /* slab C becomes the hot slot, A goes on the full list */
    rc->sa = slab_of(rc->a);
    rc->sc = slab_of(rc->c);
    rc->sa_list_before = rc->sa->list;
    pthread_barrier_wait(&rc->go);
    pthread_barrier_wait(&rc->freed);
    rc->remote_before = hk_remote_head(atomic_load(&rc->sa->remote));
    rc->d = malloc(SZ32K); /* C's second block: fast path */
    struct hakmem_stats s0, s1;
    hakmem_stats_get(&s0);
    rc->again = malloc(SZ32K); /* C full: drain finds A's remote block */
    hakmem_stats_get(&s1);
    rc->stage0_hits = (long long)(s1.stage_hit[HAKMEM_STAGE_0] - s0.stage_hit[HAKMEM_STAGE_0]);
    rc->sa_list_after = rc->sa->list;
    free(rc->again);
    free(rc->b);
    free(rc->c);
    free(rc->d);
    return NULL;
}

START_TEST(test_remote_free_reused_by_owner)
{
    struct remote_case rc;
    memset(&rc, 0, sizeof rc);
    pthread_barrier_init(&rc.go, NULL, 2);
    pthread_barrier_init(&rc.freed, NULL, 2);
    pthread_t owner, freer;
    ck_assert_msg(pthread_create(&owner, NULL, remote_owner, &rc) == 0, "pthread_create owner");
    ck_assert_msg(pthread_create(&freer, NULL, remote_freer, &rc) == 0, "pthread_create freer");
    pthread_join(owner, NULL);
    pthread_join(freer, NULL);
    ck_assert_msg(rc.sa == slab_of(rc.b) && rc.sa != rc.sc,
                  "layout: expected a, b in one slab and c in another, got slabs %p %p %p",
                  (void *)rc.sa, (void *)slab_of(rc.b), (void *)rc.sc);
    ck_assert_msg(rc.sa_list_before == HK_LIST_FULL,
                  "slab of a and b after c: expected on the FULL list, got list %u",
                  rc.sa_list_before);
    ck_assert_msg(rc.remote_before == rc.a,
                  "after the other thread's free: expected a=%p on the slab's remote list, got %p",
                  rc.a, (void *)rc.remote_before);
    ck_assert_msg(rc.d == (char *)rc.c + SZ32K, "fourth malloc: expected c's neighbour %p, got %p",
                  (void *)((char *)rc.c + SZ32K), rc.d);
    ck_assert_msg(rc.again == rc.a,
                  "malloc after a remote free: expected the owner to reuse a=%p, got %p", rc.a,
                  rc.again);
    ck_assert_msg(rc.stage0_hits == 1,
                  "reuse of the drained slab: expected one stage-0 hit, got %+lld", rc.stage0_hits);
    ck_assert_msg(rc.sa_list_after == HK_LIST_NONE,
                  "drained slab taken as hot slot: expected off the heap lists, got list %u",
                  rc.sa_list_after);
}
END_TEST

/* A slab on the FULL list keeps its count aside (used is 1 there, so the
 * fast path needs one test): the first local free moves it to AVAIL with
 * its real count, the last one releases it. */
START_TEST(test_full_slab_first_free)
{
    void *a = malloc(SZ32K), *b = malloc(SZ32K), *c = malloc(SZ32K);
    hk_slab *sa = slab_of(a);
    ck_assert_msg(sa == slab_of(b) && sa != slab_of(c) && sa->list == HK_LIST_FULL,
                  "a, b in slab A and c in another: expected A on the FULL list, got list %u", sa->list);
    ck_assert_msg(hk_slab_used(sa) == 2 && sa->used == 1 && sa->full_used == 2,
                  "A on the FULL list: expected count 2 (used 1, full_used 2), got %u (used %u, full_used %u)",
                  hk_slab_used(sa), sa->used, sa->full_used);
    free(a);
    ck_assert_msg(sa->list == HK_LIST_AVAIL && sa->used == 1 && hk_slab_used(sa) == 1 && sa->free == a,
                  "first free into A: expected A on AVAIL with used 1 and a on its free list, got list %u used %u free %p",
                  sa->list, sa->used, (void *)sa->free);
    free(b);
    ck_assert_msg(sa->list == HK_LIST_SPARE && sa->state == HK_SLAB_OWNED && sa->used == 0,
                  "last free into A: expected A kept as the heap's spare (OWNED, list SPARE), got state %u list %u used %u (spares %u)",
                  sa->state, sa->list, sa->used, hk_tls_heap->nspare);
    free(c);
}
END_TEST

/* The last slabs that emptied wait in their heap as spares: the next slab
 * the heap needs is one of them (reformatted for another class), without a
 * trip to the pool; the oldest goes to the pool when a third empties, and
 * malloc_trim hands them all over. */
#define DIFF(f) ((long long)(s1.f - s0.f)) /* a counter between the snapshots s0 and s1 */

START_TEST(test_spare_slabs)
{
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 1;
    struct hakmem_stats s0, s1;
    void *a = malloc(SZ32K), *b = malloc(SZ32K), *c = malloc(SZ32K);
    hk_slab *sa = slab_of(a);
    hakmem_stats_get(&s0);
    free(a);
    free(b);
    hakmem_stats_get(&s1);
    ck_assert_msg(sa->list == HK_LIST_SPARE && DIFF(slab_release) == 0 && DIFF(empty) == 0,
                  "A emptied: expected it spare, no EMPTY transition, no release; got list %u, %+lld, %+lld",
                  sa->list, DIFF(empty), DIFF(slab_release));
    void *d = malloc(SZ32K), *e = malloc(SZ32K); /* C full: the heap needs a slab */
    ck_assert_msg(slab_of(e) == sa && sa->list == HK_LIST_NONE && sa->cls == hk_size_class(SZ32K),
                  "next slab of the class: expected the spare A back, got %p (A %p), A list %u",
                  (void *)slab_of(e), (void *)sa, sa->list);
    /* A is the hot slot now (it stays, empty or not); C, emptied, is spare,
     * and a 64 KiB block takes it, reformatted. */
    hk_slab *sc = slab_of(c);
    free(e);
    free(d);
    free(c);
    ck_assert_msg(sc->list == HK_LIST_SPARE && sa->list == HK_LIST_NONE,
                  "C emptied, A hot: expected C spare and A off the lists, got lists %u and %u", sc->list,
                  sa->list);
    void *big = malloc(65536);
    ck_assert_msg(slab_of(big) == sc && sc->cls == hk_size_class(65536) && sc->capacity == 1,
                  "a 64 KiB block after C emptied: expected C reformatted for it, got slab %p (C %p) class %u",
                  (void *)slab_of(big), (void *)sc, sc->cls);
    free(big);
    /* Three 64 KiB slabs empty one after another: two wait, the oldest goes. */
    void *x[4];
    for (int i = 0; i < 4; i++)
        x[i] = malloc(65536);
    hakmem_stats_get(&s0);
    for (int i = 0; i < 3; i++)
        free(x[i]);
    hakmem_stats_get(&s1);
    ck_assert_msg(DIFF(slab_release) == 1 && slab_of(x[0])->list != HK_LIST_SPARE &&
                      slab_of(x[1])->list == HK_LIST_SPARE && slab_of(x[2])->list == HK_LIST_SPARE,
                  "three slabs emptied: expected the first released and two spares, got %+lld releases, lists %u %u %u",
                  DIFF(slab_release), slab_of(x[0])->list, slab_of(x[1])->list, slab_of(x[2])->list);
    malloc_trim(0);
    ck_assert_msg(slab_of(x[1])->list != HK_LIST_SPARE && slab_of(x[2])->list != HK_LIST_SPARE &&
                      slab_of(x[1])->state != HK_SLAB_OWNED,
                  "malloc_trim: expected the spares handed to the pool, got lists %u %u state %u",
                  slab_of(x[1])->list, slab_of(x[2])->list, slab_of(x[1])->state);
    free(x[3]);
}
END_TEST

/* A remote free that empties a non-hot slab releases it when the owner drains. */
struct remote_empty_case {
    pthread_barrier_t go, freed;
    void *a, *b, *c;
    hk_slab *sa;
    long long empty, release;
    uint8_t state;
};

static void *remote_empty_freer(void *arg)
{
    struct remote_empty_case *rc = arg;
    pthread_barrier_wait(&rc->go);
    free(rc->a);
    free(rc->b);
    pthread_barrier_wait(&rc->freed);
    return NULL;
}

static void *remote_empty_owner(void *arg)
{
    struct remote_empty_case *rc = arg;
    rc->a = malloc(SZ32K);
    rc->b = malloc(SZ32K);
    rc->c = malloc(SZ32K);
    rc->sa = slab_of(rc->a);
    pthread_barrier_wait(&rc->go);
    pthread_barrier_wait(&rc->freed);
    struct hakmem_stats s0, s1;
    hakmem_stats_get(&s0);
    free(rc->c); /* a local free: the slow path drains the remote slabs */
    hakmem_stats_get(&s1);
    rc->empty = (long long)(s1.cls[hk_size_class(SZ32K)].empty - s0.cls[hk_size_class(SZ32K)].empty);
    rc->release = (long long)(s1.slab_release - s0.slab_release);
    rc->state = rc->sa->state;
    return NULL;
}

/* A thread's frees into a slab another thread owns: the first ones are kept
 * for its own mallocs (up to hk_foreign_cap of the class), the others are
 * gathered per slab and handed over as one chain: at HK_PENDING_MAX blocks,
 * or by hakmem_stats_get, which hands the kept ones back too. */
#define GATHER_SIZE 48
struct gather_case {
    void **blk;
    uint32_t keep;
    size_t seen_after_keep, seen_before_max, seen_at_max, seen_after_flush;
};

static size_t remote_len(hk_slab *s)
{
    size_t n = 0;
    for (hk_block *b = hk_remote_head(atomic_load(&s->remote)); b && n < 100000; b = b->next)
        n++;
    return n;
}

static void *gather_freer(void *arg)
{
    struct gather_case *gc = arg;
    hk_slab *s = slab_of(gc->blk[0]);
    void *volatile own = malloc(16); /* this thread gets a heap: its remote frees are kept or gathered */
    free(own);
    void **blk = gc->blk;
    for (uint32_t i = 0; i < gc->keep; i++)
        free(*blk++);
    gc->seen_after_keep = remote_len(s);
    for (size_t i = 0; i + 1 < HK_PENDING_MAX; i++)
        free(*blk++);
    gc->seen_before_max = remote_len(s);
    free(*blk++);
    gc->seen_at_max = remote_len(s);
    free(*blk++);
    struct hakmem_stats st;
    hakmem_stats_get(&st);
    gc->seen_after_flush = remote_len(s);
    return NULL;
}

START_TEST(test_remote_frees_gathered)
{
    uint32_t keep = hk_foreign_cap(hk_size_class(GATHER_SIZE)), n = keep + HK_PENDING_MAX + 1;
    void **blk = malloc(n * sizeof *blk);
    for (size_t i = 0; i < n; i++)
        blk[i] = malloc(GATHER_SIZE);
    for (size_t i = 1; i < n; i++)
        ck_assert_msg(slab_of(blk[i]) == slab_of(blk[0]), "block %zu: expected the slab of block 0", i);
    struct gather_case gc = { .blk = blk, .keep = keep };
    run_thread(gather_freer, &gc);
    ck_assert_msg(gc.seen_after_keep == 0, "%u remote frees: expected them kept by the freeing thread, got %zu on the remote list",
                  keep, gc.seen_after_keep);
    ck_assert_msg(gc.seen_before_max == 0,
                  "%d more: expected them gathered, not on the remote list; got %zu there",
                  HK_PENDING_MAX - 1, gc.seen_before_max);
    ck_assert_msg(gc.seen_at_max == HK_PENDING_MAX,
                  "%d gathered frees: expected one chain of %d on the remote list, got %zu",
                  HK_PENDING_MAX, HK_PENDING_MAX, gc.seen_at_max);
    ck_assert_msg(gc.seen_after_flush == n,
                  "one more free, then hakmem_stats_get: expected all %u (kept ones too) on the remote list, got %zu",
                  n, gc.seen_after_flush);
    void *again = malloc(GATHER_SIZE);
    ck_assert_msg(slab_of(again) == slab_of(blk[0]),
                  "malloc after the chain came back: expected a block of the same slab");
    free(again);
    free(blk);
}
END_TEST

/* The blocks a thread keeps serve its own mallocs, last freed first, with
 * their contents intact up to the key word; they go back to their slab when
 * the thread exits. */
struct keep_case {
    void **blk;
    unsigned n;
    void *got[3];
};

static void *keep_worker(void *arg)
{
    struct keep_case *kc = arg;
    void *volatile own = malloc(16);
    free(own);
    for (unsigned i = 0; i < kc->n; i++)
        free(kc->blk[i]);
    for (unsigned i = 0; i < 3; i++)
        kc->got[i] = malloc(GATHER_SIZE);
    for (unsigned i = 0; i < 3; i++)
        free(kc->got[i]);
    return NULL;
}

START_TEST(test_remote_frees_kept)
{
    void *blk[8];
    for (unsigned i = 0; i < 8; i++)
        blk[i] = malloc(GATHER_SIZE);
    hk_slab *s = slab_of(blk[0]);
    uint32_t used = s->used;
    struct keep_case kc = { .blk = blk, .n = 8 };
    run_thread(keep_worker, &kc);
    size_t back = remote_len(s); /* read before any assertion can allocate */
    uint32_t used_now = s->used;
    ck_assert_msg(kc.got[0] == blk[7] && kc.got[1] == blk[6] && kc.got[2] == blk[5],
                  "mallocs after 8 frees into another thread's slab: expected blocks 7, 6, 5 "
                  "(kept, last freed first), got %p %p %p (blocks %p %p %p)",
                  kc.got[0], kc.got[1], kc.got[2], blk[7], blk[6], blk[5]);
    ck_assert_msg(back == 8,
                  "after the thread exited: expected its 8 kept blocks on the slab's remote list, got %zu",
                  back);
    ck_assert_msg(used_now == used, "the owner's count: expected %u until it collects, got %u", used,
                  used_now);
}
END_TEST

/* Stage-0 counts are kept per thread and added in batches: hakmem_stats_get
 * sees them exactly, while the thread runs and after it exits. */
struct stage0_case {
    pthread_barrier_t ready, counted, read;
};

static void *stage0_worker(void *arg)
{
    struct stage0_case *sc = arg;
    void *volatile own = malloc(16); /* a heap of its own */
    free(own);
    pthread_barrier_wait(&sc->ready);
    pthread_barrier_wait(&sc->ready);
    for (int i = 0; i < 100; i++)
        hk_heap_count_stage0(0);
    for (int i = 0; i < 7; i++)
        hk_heap_count_stage0(1);
    pthread_barrier_wait(&sc->counted);
    pthread_barrier_wait(&sc->read);
    return NULL;
}

START_TEST(test_stage0_counts_exact)
{
    struct stage0_case sc;
    pthread_barrier_init(&sc.ready, NULL, 2);
    pthread_barrier_init(&sc.counted, NULL, 2);
    pthread_barrier_init(&sc.read, NULL, 2);
    struct hakmem_stats a, b, c;
    pthread_t t;
    ck_assert_msg(pthread_create(&t, NULL, stage0_worker, &sc) == 0, "pthread_create");
    pthread_barrier_wait(&sc.ready);
    snap(&a);
    pthread_barrier_wait(&sc.ready);
    pthread_barrier_wait(&sc.counted);
    snap(&b);
    pthread_barrier_wait(&sc.read);
    pthread_join(t, NULL);
    snap(&c);
    ck_assert_msg(b.stage_hit[0] - a.stage_hit[0] == 100 && b.stage_miss[0] - a.stage_miss[0] == 7,
                  "thread alive: expected stage-0 hits +100 misses +7, got %+lld %+lld",
                  (long long)(b.stage_hit[0] - a.stage_hit[0]), (long long)(b.stage_miss[0] - a.stage_miss[0]));
    ck_assert_msg(c.stage_hit[0] - a.stage_hit[0] == 100 && c.stage_miss[0] - a.stage_miss[0] == 7,
                  "thread exited: expected stage-0 hits +100 misses +7, got %+lld %+lld",
                  (long long)(c.stage_hit[0] - a.stage_hit[0]), (long long)(c.stage_miss[0] - a.stage_miss[0]));
}
END_TEST

START_TEST(test_remote_frees_empty_slab_released)
{
    hk_spare_slabs = 0; /* every EMPTY slab to the pool at once */
    struct remote_empty_case rc;
    memset(&rc, 0, sizeof rc);
    pthread_barrier_init(&rc.go, NULL, 2);
    pthread_barrier_init(&rc.freed, NULL, 2);
    pthread_t owner, freer;
    ck_assert_msg(pthread_create(&owner, NULL, remote_empty_owner, &rc) == 0, "pthread_create");
    ck_assert_msg(pthread_create(&freer, NULL, remote_empty_freer, &rc) == 0, "pthread_create");
    pthread_join(owner, NULL);
    pthread_join(freer, NULL);
    ck_assert_msg(rc.sa == slab_of(rc.b) && rc.sa != slab_of(rc.c),
                  "layout: expected a, b in one slab and c in another");
    ck_assert_msg(rc.empty == 1 && rc.release == 1,
                  "owner's free after remote frees emptied a slab: expected 32 KiB EMPTY +1 and a "
                  "release, got %+lld and %+lld",
                  rc.empty, rc.release);
    ck_assert_msg(rc.state == HK_SLAB_EMPTY || hk_ss_of(rc.sa)->state == HK_SS_CACHED,
                  "drained empty slab: expected EMPTY in the registry (or its SuperSlab cached), got "
                  "state %u",
                  rc.state);
}
END_TEST

/* ---- a local free whose drain releases the very slab being freed into */

/* Takes class-43 slabs for a junk heap until no SuperSlab has a free slot:
 * the last acquisition maps (or pops) a SuperSlab, whose slots it then fills. */
static void use_up_free_slots(hk_heap *junk)
{
    hk_slab *s = NULL;
    for (int i = 0; i < 100000; i++) {
        struct hakmem_stats a, b;
        hakmem_stats_get(&a);
        s = hk_pool_acquire(junk, 43);
        hakmem_stats_get(&b);
        if (!s || b.stage_hit[HAKMEM_STAGE_3] != a.stage_hit[HAKMEM_STAGE_3])
            break;
    }
    if (!s)
        return;
    hk_superslab *ss = hk_ss_of_slab(s);
    while (ss->free_mask && hk_pool_acquire(junk, 43))
        ;
}

struct unmap_case {
    pthread_barrier_t go, freed;
    void *a, *b, *c;
    uintptr_t ss_a;
    uint32_t live_a;
    bool c_elsewhere;
    long long empty, evict;
    unsigned kind_after;
};

static void *unmap_owner(void *arg)
{
    struct unmap_case *uc = arg;
    hk_heap *junk = hk_meta_alloc(sizeof(hk_heap));
    use_up_free_slots(junk);
    uc->a = malloc(SZ32K); /* stage 3: slab A in a new SuperSlab */
    uc->b = malloc(SZ32K);
    hk_superslab *ss = hk_ss_of(uc->a);
    uc->ss_a = (uintptr_t)ss;
    /* Every other slot of A's SuperSlab: taken, then released (EMPTY, class 43). */
    hk_slab *taken[HK_SLABS_PER_SS];
    int n = 0;
    while (ss->free_mask && n < HK_SLABS_PER_SS)
        taken[n++] = hk_pool_acquire(junk, 43);
    for (int i = 0; i < n; i++)
        hk_pool_release(taken[i]);
    uc->live_a = ss->live;
    uc->c = malloc(SZ32K); /* A is full: slab C comes from another SuperSlab */
    uc->c_elsewhere = hk_ss_of(uc->c) != ss;
    hk_opt[HK_OPT_SS_LRU_MAX_CACHED] = 0; /* an empty SuperSlab is unmapped at once */
    pthread_barrier_wait(&uc->go);
    pthread_barrier_wait(&uc->freed);
    struct hakmem_stats s0, s1;
    hakmem_stats_get(&s0);
    free(uc->b); /* A's free list was empty: slow path, whose drain empties and releases A */
    hakmem_stats_get(&s1);
    uc->empty = (long long)(s1.cls[hk_size_class(SZ32K)].empty - s0.cls[hk_size_class(SZ32K)].empty);
    uc->evict = (long long)(s1.lru_evict_count - s0.lru_evict_count);
    uc->kind_after = hk_chunk_kind(uc->ss_a);
    free(uc->c);
    return NULL;
}

static void *unmap_freer(void *arg)
{
    struct unmap_case *uc = arg;
    pthread_barrier_wait(&uc->go);
    free(uc->a);
    pthread_barrier_wait(&uc->freed);
    return NULL;
}

/* The slab a local free went into is released, its SuperSlab retired and
 * unmapped (HAKMEM_SS_LRU_MAX_CACHED=0) by the drain inside that same free. */
START_TEST(test_free_whose_drain_unmaps_the_slab)
{
    hk_spare_slabs = 0; /* every EMPTY slab to the pool at once */
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0;
    struct unmap_case uc;
    memset(&uc, 0, sizeof uc);
    pthread_barrier_init(&uc.go, NULL, 2);
    pthread_barrier_init(&uc.freed, NULL, 2);
    pthread_t owner, freer;
    ck_assert_msg(pthread_create(&owner, NULL, unmap_owner, &uc) == 0, "pthread_create");
    ck_assert_msg(pthread_create(&freer, NULL, unmap_freer, &uc) == 0, "pthread_create");
    pthread_join(owner, NULL);
    pthread_join(freer, NULL);
    ck_assert_msg(uc.live_a == 1 && uc.c_elsewhere,
                  "layout: expected slab A alone in its SuperSlab and C elsewhere, got live %u, "
                  "C elsewhere %d",
                  uc.live_a, uc.c_elsewhere);
    ck_assert_msg(uc.empty == 1 && uc.evict == 1 && uc.kind_after == HK_CHUNK_NONE,
                  "free(b) after a remote free(a): expected A EMPTY (+1), its SuperSlab evicted (+1) "
                  "and unmapped; got %+lld, %+lld, chunk kind %u",
                  uc.empty, uc.evict, uc.kind_after);
}
END_TEST

/* ---- a local free that empties a slab other than the hot one */

#define SZ24K 24576 /* two blocks per slab */

struct empty_case {
    void *blk[3];
    hk_slab *first, *hot;
    uint8_t list_after_one, state_after, state_hot;
    hk_heap *owner_after;
    long long empty1, empty2, release2, cls_empty2;
};

static void *empty_worker(void *arg)
{
    struct empty_case *ec = arg;
    for (int i = 0; i < 3; i++)
        ec->blk[i] = malloc(SZ24K);
    ec->first = slab_of(ec->blk[0]);
    ec->hot = slab_of(ec->blk[2]);
    struct hakmem_stats s0, s1, s2;
    hakmem_stats_get(&s0);
    free(ec->blk[0]); /* the full slab gets a free block: back to the avail list */
    hakmem_stats_get(&s1);
    ec->list_after_one = ec->first->list;
    free(ec->blk[1]); /* now empty and not the hot slot: released at once */
    hakmem_stats_get(&s2);
    ec->state_after = ec->first->state;
    ec->owner_after = atomic_load(&ec->first->owner);
    ec->empty1 = (long long)(s1.empty - s0.empty);
    ec->empty2 = (long long)(s2.empty - s1.empty);
    ec->release2 = (long long)(s2.slab_release - s1.slab_release);
    ec->cls_empty2 = (long long)(s2.cls[hk_size_class(SZ24K)].empty - s1.cls[hk_size_class(SZ24K)].empty);
    ec->state_hot = ec->hot->state;
    free(ec->blk[2]);
    return NULL;
}

START_TEST(test_empty_non_hot_slab_released)
{
    hk_spare_slabs = 0; /* every EMPTY slab to the pool at once */
    struct empty_case ec;
    memset(&ec, 0, sizeof ec);
    run_thread(empty_worker, &ec);
    ck_assert_msg(ec.first == slab_of(ec.blk[1]) && ec.first != ec.hot,
                  "layout: expected blocks 0 and 1 in one slab, block 2 in another");
    ck_assert_msg(ec.empty1 == 0, "first free (slab still used): expected no EMPTY, got %+lld",
                  ec.empty1);
    ck_assert_msg(ec.list_after_one == HK_LIST_AVAIL,
                  "full slab after one free: expected on the AVAIL list, got list %u",
                  ec.list_after_one);
    ck_assert_msg(ec.empty2 == 1 && ec.cls_empty2 == 1 && ec.release2 == 1,
                  "second free (slab empty, not hot): expected empty +1, 24 KiB empty +1, release "
                  "+1; got %+lld %+lld %+lld",
                  ec.empty2, ec.cls_empty2, ec.release2);
    ck_assert_msg(ec.owner_after == NULL, "released slab: expected no owner, got %p",
                  (void *)ec.owner_after);
    if (hk_ss_of(ec.first) == hk_ss_of(ec.hot))
        ck_assert_msg(ec.state_after == HK_SLAB_EMPTY,
                      "released slab (its SuperSlab still live): expected EMPTY in the registry, got "
                      "state %u",
                      ec.state_after);
    ck_assert_msg(ec.state_hot == HK_SLAB_OWNED, "hot slab: expected still OWNED, got %u",
                  ec.state_hot);
}
END_TEST

/* The hot slot stays with its thread even when it empties. */
static void *hot_worker(void *arg)
{
    long long *out = arg;
    void *p = malloc(SZ24K);
    hk_slab *s = slab_of(p);
    struct hakmem_stats s0, s1;
    hakmem_stats_get(&s0);
    free(p);
    hakmem_stats_get(&s1);
    out[0] = (long long)(s1.cls[hk_size_class(SZ24K)].empty - s0.cls[hk_size_class(SZ24K)].empty);
    out[1] = s->state;
    out[2] = atomic_load(&s->owner) == hk_tls_heap;
    void *q = malloc(SZ24K);
    out[3] = q == p;
    free(q);
    return NULL;
}

START_TEST(test_hot_slab_kept_when_empty)
{
    long long out[4] = { -1, -1, -1, -1 };
    run_thread(hot_worker, out);
    ck_assert_msg(out[0] == 0, "emptying the hot slab: expected no EMPTY transition, got %+lld",
                  out[0]);
    ck_assert_msg(out[1] == HK_SLAB_OWNED && out[2] == 1,
                  "emptied hot slab: expected still OWNED by the thread, got state %lld owner-match "
                  "%lld",
                  out[1], out[2]);
    ck_assert_msg(out[3] == 1, "malloc after free on the hot slab: expected the same block back");
}
END_TEST

/* ---- thread exit */

#define SZ28K 28672 /* two blocks per slab */
#define NB 10

struct exit_case {
    void *blk[NB];
    size_t n;
    bool free_all;
};

static void *exit_worker(void *arg)
{
    struct exit_case *ex = arg;
    for (size_t i = 0; i < ex->n; i++) {
        ex->blk[i] = malloc(SZ28K);
        memset(ex->blk[i], (int)i + 1, SZ28K);
    }
    if (ex->free_all)
        for (size_t i = ex->n; i-- > 0;)
            free(ex->blk[i]);
    return NULL;
}

START_TEST(test_exit_with_everything_freed_releases)
{
    struct exit_case ex = { .n = NB, .free_all = true };
    struct hakmem_stats a, b;
    snap(&a);
    run_thread(exit_worker, &ex);
    snap(&b);
    long long empty = (long long)(b.cls[hk_size_class(SZ28K)].empty - a.cls[hk_size_class(SZ28K)].empty);
    long long rel = (long long)(b.slab_release - a.slab_release);
    ck_assert_msg(empty == NB / 2, "%d blocks in 2-block slabs, all freed: expected %d 28 KiB "
                  "EMPTY transitions by exit, got %+lld", NB, NB / 2, empty);
    ck_assert_msg(rel >= NB / 2, "expected at least %d slab releases, got %+lld", NB / 2, rel);
    for (int i = 0; i < NB; i++) {
        hk_slab *s = slab_of(ex.blk[i]);
        ck_assert_msg(s->state == HK_SLAB_EMPTY || s->state == HK_SLAB_FREE,
                      "block %d's slab after exit: expected EMPTY or FREE (released), got %u", i,
                      s->state);
        ck_assert_msg(atomic_load(&s->owner) == NULL, "block %d's slab after exit: expected no owner",
                      i);
    }
    ck_assert_msg(b.threads_exited - a.threads_exited == 1,
                  "threads_exited: expected +1, got %+lld", (long long)(b.threads_exited - a.threads_exited));
}
END_TEST

/* Stage 1 adoption of a dead thread's slab, from a second thread. */
struct adopt_case {
    size_t size;
    void *p;
    long long stage1, stage05_miss;
};

static void *adopt_worker(void *arg)
{
    struct adopt_case *ac = arg;
    struct hakmem_stats s0, s1;
    hakmem_stats_get(&s0);
    ac->p = malloc(ac->size);
    hakmem_stats_get(&s1);
    ac->stage1 = (long long)(s1.stage_hit[HAKMEM_STAGE_1] - s0.stage_hit[HAKMEM_STAGE_1]);
    ac->stage05_miss = (long long)(s1.stage_miss[HAKMEM_STAGE_0_5] - s0.stage_miss[HAKMEM_STAGE_0_5]);
    free(ac->p);
    return NULL;
}

START_TEST(test_exit_with_live_blocks_abandons)
{
    hk_opt[HK_OPT_SS_EMPTY_REUSE] = 0; /* stage 0.5 serves the class only: stage 1 is next */
    struct exit_case ex = { .n = 5, .free_all = false };
    run_thread(exit_worker, &ex);
    hk_slab *slabs[5];
    for (size_t i = 0; i < ex.n; i++) {
        hk_slab *s = slab_of(ex.blk[i]);
        slabs[i] = s;
        ck_assert_msg(s->state == HK_SLAB_ABANDONED && atomic_load(&s->owner) == NULL,
                      "block %zu's slab after its thread exited with it live: expected ABANDONED, "
                      "no owner; got state %u owner %p",
                      i, s->state, (void *)atomic_load(&s->owner));
        unsigned char *b = ex.blk[i];
        ck_assert_msg(b[0] == i + 1 && b[SZ28K - 1] == i + 1,
                      "block %zu after its thread exited: expected contents 0x%02zx kept, got 0x%02x",
                      i, i + 1, b[0]);
    }
    /* The main thread frees them all: remote frees into ownerless slabs,
     * gathered in chains (one CAS each) and handed over at the flush. */
    for (size_t i = 0; i < ex.n; i++)
        free(ex.blk[i]);
    hk_heap_flush_pending(hk_heap_of_thread());
    for (size_t i = 0; i < ex.n; i++)
        ck_assert_msg(atomic_load(&slabs[i]->remote) != 0,
                      "slab of block %zu: expected the freed block on its remote list", i);
    struct adopt_case ac = { .size = SZ28K };
    run_thread(adopt_worker, &ac);
    ck_assert_msg(ac.stage05_miss == 1 && ac.stage1 == 1,
                  "first 28 KiB malloc of a new thread: expected stage 0.5 miss then a stage-1 "
                  "hit, got miss %+lld hit %+lld",
                  ac.stage05_miss, ac.stage1);
    bool adopted = false;
    for (size_t i = 0; i < ex.n; i++)
        adopted |= slab_of(ac.p) == slabs[i];
    ck_assert_msg(adopted, "stage 1: expected the block %p from one of the abandoned slabs", ac.p);
}
END_TEST

/* Ownerless slabs whose blocks another thread freed become EMPTY when the
 * pool next needs a new SuperSlab (it reaps them first), so their
 * SuperSlabs can be reused or cached instead of staying live forever. */
START_TEST(test_abandoned_slabs_reaped_when_emptied)
{
    struct exit_case ex = { .n = 5, .free_all = false };
    run_thread(exit_worker, &ex);
    hk_slab *slabs[5];
    for (size_t i = 0; i < ex.n; i++) {
        slabs[i] = slab_of(ex.blk[i]);
        free(ex.blk[i]);
    }
    struct hakmem_stats a, b;
    snap(&a);
    hk_heap *junk = hk_meta_alloc(sizeof *junk);
    ck_assert_msg(junk != NULL, "hk_meta_alloc: expected a heap");
    use_up_free_slots(junk); /* its last acquisition reaches stage 3, which reaps */
    snap(&b);
    long long empty = (long long)(b.cls[hk_size_class(SZ28K)].empty - a.cls[hk_size_class(SZ28K)].empty);
    ck_assert_msg(empty >= 3, "5 freed blocks in 2-block 28 KiB slabs of an exited thread: "
                  "expected at least 3 EMPTY transitions when the pool reaps, got %+lld", empty);
    for (size_t i = 0; i < ex.n; i++)
        ck_assert_msg(slabs[i]->state != HK_SLAB_ABANDONED,
                      "slab of block %zu: expected reaped (EMPTY, FREE or owned), still ABANDONED", i);
}
END_TEST

/* Frees of a dead thread's blocks are not refused (nothing on stderr). */
START_TEST(test_free_abandoned_blocks_accepted)
{
    struct exit_case ex = { .n = 4, .free_all = false };
    run_thread(exit_worker, &ex);
    int pfd[2];
    ck_assert_msg(pipe(pfd) == 0, "pipe: expected 0");
    int saved_fd = dup(2);
    dup2(pfd[1], 2);
    for (size_t i = 0; i < ex.n; i++)
        free(ex.blk[i]);
    ssize_t w = write(2, "end\n", 4);
    dup2(saved_fd, 2);
    close(saved_fd);
    close(pfd[1]);
    char buf[1024];
    ssize_t n = read(pfd[0], buf, sizeof buf - 1);
    close(pfd[0]);
    buf[n > 0 ? n : 0] = '\0';
    ck_assert_msg(w == 4 && strcmp(buf, "end\n") == 0,
                  "free of a dead thread's blocks: expected no complaint on stderr, got \"%s\"", buf);
}
END_TEST

/* Where blocks go so that the compiler cannot elide a malloc/free pair. */
static void *volatile sink;

static void *touch_worker(void *arg)
{
    (void)arg;
    sink = malloc(100);
    free(sink);
    return NULL;
}

START_TEST(test_thread_counters)
{
    enum { N = 6 };
    struct hakmem_stats a, b;
    snap(&a);
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        ck_assert_msg(pthread_create(&t[i], NULL, touch_worker, NULL) == 0, "pthread_create %d", i);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    snap(&b);
    ck_assert_msg(b.threads_started - a.threads_started == N,
                  "%d threads that malloc: expected threads_started +%d, got %+lld", N, N,
                  (long long)(b.threads_started - a.threads_started));
    ck_assert_msg(b.threads_exited - a.threads_exited == N,
                  "%d joined threads: expected threads_exited +%d, got %+lld", N, N,
                  (long long)(b.threads_exited - a.threads_exited));
}
END_TEST

/* The heap of an exited thread is recycled for the next thread. */
static void *heap_worker(void *arg)
{
    sink = malloc(100);
    free(sink);
    *(hk_heap **)arg = hk_tls_heap;
    return NULL;
}

START_TEST(test_heaps_recycled)
{
    hk_heap *h1 = NULL, *h2 = NULL;
    run_thread(heap_worker, &h1);
    ck_assert_msg(h1 != NULL && h1 != &hk_heap_empty && h1->in_use == 0,
                  "exited thread's heap: expected a real heap marked not in use, got %p in_use %u",
                  (void *)h1, h1 ? h1->in_use : 0);
    for (int c = 0; c < HK_CLASSES; c++)
        ck_assert_msg(h1->cur[c] == &hk_slab_dummy && !h1->avail[c] && !h1->full[c],
                      "exited thread's heap, class %d: expected no slabs left, got cur %p", c,
                      (void *)h1->cur[c]);
    run_thread(heap_worker, &h2);
    ck_assert_msg(h2 == h1, "next thread: expected the recycled heap %p, got %p", (void *)h1,
                  (void *)h2);
}
END_TEST

static Suite *heap_suite(void)
{
    Suite *s = suite_create("heap");
    TCase *tc = tcase_create("threads");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_remote_free_reused_by_owner);
    tcase_add_test(tc, test_remote_frees_empty_slab_released);
    tcase_add_test(tc, test_full_slab_first_free);
    tcase_add_test(tc, test_spare_slabs);
    tcase_add_test(tc, test_remote_frees_gathered);
    tcase_add_test(tc, test_remote_frees_kept);
    tcase_add_test(tc, test_stage0_counts_exact);
    tcase_add_test(tc, test_free_whose_drain_unmaps_the_slab);
    tcase_add_test(tc, test_empty_non_hot_slab_released);
    tcase_add_test(tc, test_hot_slab_kept_when_empty);
    tcase_add_test(tc, test_exit_with_everything_freed_releases);
    tcase_add_test(tc, test_exit_with_live_blocks_abandons);
    tcase_add_test(tc, test_free_abandoned_blocks_accepted);
    tcase_add_test(tc, test_abandoned_slabs_reaped_when_emptied);
    tcase_add_test(tc, test_thread_counters);
    tcase_add_test(tc, test_heaps_recycled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(heap_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
