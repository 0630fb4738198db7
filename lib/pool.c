/* pool.c — the shared pool: hands slabs to size classes from any SuperSlab
 * through stages 0.5 → 1 → 2 → 3, and takes EMPTY slabs back (registry). */
#include <string.h>
#include "event.h"
#include "segment.h"

pthread_mutex_t hk_pool_lock = PTHREAD_MUTEX_INITIALIZER;

/* A doubly linked list of slabs with a count readers may load without the
 * lock: a zero count is a lock-free miss. */
struct slab_list {
    hk_slab *head;
    _Atomic uint32_t count;
};

/* Everything below is guarded by hk_pool_lock. */
static struct {
    struct slab_list registry[HK_CLASSES]; /* stage 0.5: EMPTY slabs, formatted */
    struct slab_list orphans[HK_CLASSES];  /* stage 1: ABANDONED slabs */
    _Atomic uint32_t registry_total;
    hk_superslab *with_free;               /* stage 2: SuperSlabs with FREE slots */
    _Atomic uint32_t nwith_free;
    hk_superslab *active;                  /* every ACTIVE SuperSlab */
    uint32_t nactive;
    char *meta_cur, *meta_end;             /* bump arena for heaps */
} pool;

static uint32_t count_of(struct slab_list *l)
{
    return atomic_load_explicit(&l->count, memory_order_relaxed);
}

static void list_push(struct slab_list *l, hk_slab *s)
{
    hk_slab_list_push_front(&l->head, NULL, s);
    atomic_store_explicit(&l->count, count_of(l) + 1, memory_order_relaxed);
}

static void list_remove(struct slab_list *l, hk_slab *s)
{
    HK_ASSERT(count_of(l) > 0);
    hk_slab_list_remove(&l->head, NULL, s);
    atomic_store_explicit(&l->count, count_of(l) - 1, memory_order_relaxed);
}

static hk_slab *list_pop(struct slab_list *l)
{
    hk_slab *s = l->head;
    if (s)
        list_remove(l, s);
    return s;
}

static void registry_push(hk_slab *s)
{
    HK_ASSERT(s->state == HK_SLAB_EMPTY && s->used == 0 && s->list == HK_LIST_NONE);
    list_push(&pool.registry[s->cls], s);
    atomic_fetch_add_explicit(&pool.registry_total, 1, memory_order_relaxed);
}

static void registry_remove(hk_slab *s)
{
    list_remove(&pool.registry[s->cls], s);
    atomic_fetch_sub_explicit(&pool.registry_total, 1, memory_order_relaxed);
}

/* ---- SuperSlab lists */

static void with_free_add(hk_superslab *ss)
{
    if (ss->on_free_list)
        return;
    ss->on_free_list = 1;
    atomic_fetch_add_explicit(&pool.nwith_free, 1, memory_order_relaxed);
    hk_ss_flist_push_front(&pool.with_free, NULL, ss);
}

static void with_free_remove(hk_superslab *ss)
{
    if (!ss->on_free_list)
        return;
    hk_ss_flist_remove(&pool.with_free, NULL, ss);
    ss->on_free_list = 0;
    atomic_fetch_sub_explicit(&pool.nwith_free, 1, memory_order_relaxed);
}

static void active_add(hk_superslab *ss)
{
    hk_ss_list_push_front(&pool.active, NULL, ss);
    pool.nactive++;
}

static void active_remove(hk_superslab *ss)
{
    HK_ASSERT(pool.nactive > 0 && ss->state == HK_SS_ACTIVE);
    hk_ss_list_remove(&pool.active, NULL, ss);
    pool.nactive--;
}

/* A SuperSlab none of whose slabs is live goes to the LRU cache: its EMPTY
 * slabs leave the registry first, so nothing in the pool points into it. */
static void retire(hk_superslab *ss)
{
    HK_ASSERT(ss->live == 0 && ss->state == HK_SS_ACTIVE);
    for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++) {
        hk_slab *s = &ss->slabs[i];
        HK_ASSERT(s->state == HK_SLAB_EMPTY || s->state == HK_SLAB_FREE);
        if (s->state == HK_SLAB_EMPTY)
            registry_remove(s);
        s->state = HK_SLAB_FREE;
    }
    ss->free_mask = ~(uint32_t)0 << HK_FIRST_SLAB;
    with_free_remove(ss);
    active_remove(ss);
    hk_lru_push(ss);
}

/* ---- handing a slab to a heap */

/* The SuperSlab header lies in slot 0's owner line; its shared line stays
 * a FREE, ownerless slot's, so a pointer into slab 0 fails every block test. */
static bool header_in_slot0(const hk_superslab *ss)
{
    const hk_slab *s0 = &ss->slabs[0];
    return ss->magic == HK_SS_MAGIC && s0->idx == 0 && s0->state == HK_SLAB_FREE &&
           !atomic_load_explicit(&s0->owner, memory_order_relaxed) && !(ss->free_mask & 1);
}

static hk_slab *own(hk_slab *s, hk_heap *h, unsigned stage)
{
    hk_superslab *ss = hk_ss_of_slab(s);
    HK_ASSERT(header_in_slot0(ss) && s->idx >= HK_FIRST_SLAB && &ss->slabs[s->idx] == s);
    HK_ASSERT(ss->state == HK_SS_ACTIVE && ss->live <= HK_SLABS_PER_SS - HK_FIRST_SLAB);
    /* a FREE slot just formatted (stage 2, 3) or an EMPTY slab hold no block;
     * an ABANDONED one (stage 1) is adopted with its blocks */
    HK_ASSERTF(s->state == HK_SLAB_ABANDONED || (s->state != HK_SLAB_OWNED && s->used == 0),
               "acquire: slab %u of SuperSlab %u state %u used %u", s->idx, ss->id, s->state, s->used);
    HK_ASSERT(!atomic_load_explicit(&s->owner, memory_order_relaxed) && s->prev == NULL && s->next == NULL);
    if (s->state != HK_SLAB_ABANDONED)
        hk_ss_of_slab(s)->live++;
    /* On no live heap's remote list (a heap drains before it lets a slab
     * go); a stale flag from a dead heap's list would mute its new owner. */
    atomic_store(&s->notified, 0);
    s->state = HK_SLAB_OWNED;
    s->list = HK_LIST_NONE;
    atomic_store_explicit(&s->owner, h, memory_order_release);
    hk_event_slab_acquire(s, stage);
    return s;
}

/* Stage 0.5: an EMPTY slab of this class; under HAKMEM_SS_EMPTY_REUSE=1
 * (or any, when memory ran out) also one of another class, reformatted
 * (the seed's fix). */
static hk_slab *stage_registry(unsigned cls, bool any)
{
    hk_slab *s = list_pop(&pool.registry[cls]);
    if (s) {
        atomic_fetch_sub_explicit(&pool.registry_total, 1, memory_order_relaxed);
        return s;
    }
    if (!(any || hk_opt[HK_OPT_SS_EMPTY_REUSE]) ||
        !atomic_load_explicit(&pool.registry_total, memory_order_relaxed))
        return NULL;
    for (unsigned c = 0; c < HK_CLASSES; c++) {
        if (count_of(&pool.registry[c]) && (s = list_pop(&pool.registry[c]))) {
            atomic_fetch_sub_explicit(&pool.registry_total, 1, memory_order_relaxed);
            hk_slab_format(s, cls);
            return s;
        }
    }
    return NULL;
}

/* Stage 2: a FREE slot of an existing SuperSlab. */
static hk_slab *stage_free_slot(hk_superslab *ss, unsigned cls)
{
    if (!ss)
        ss = pool.with_free;
    if (!ss)
        return NULL;
    HK_ASSERT(ss->free_mask && ss->on_free_list);
    unsigned i = (unsigned)__builtin_ctz(ss->free_mask);
    HK_ASSERT(i >= HK_FIRST_SLAB && ss->slabs[i].state == HK_SLAB_FREE);
    ss->free_mask &= ~(1u << i);
    if (!ss->free_mask)
        with_free_remove(ss);
    hk_slab *s = &ss->slabs[i];
    hk_slab_format(s, cls);
    return s;
}

/* Ownerless slabs whose blocks were all freed (by other threads, after
 * their owner exited) become EMPTY: the pool, holding its lock, acts as
 * their owner. Done before mapping, so their SuperSlabs can be reused. */
static void reap_orphans(void)
{
    for (unsigned c = 0; c < HK_CLASSES; c++) {
        hk_slab *next;
        for (hk_slab *s = pool.orphans[c].head; s; s = next) {
            next = s->next;
            HK_ASSERT(s->state == HK_SLAB_ABANDONED && s->cls == c);
            hk_slab_collect_remote(s);
            if (s->used)
                continue;
            list_remove(&pool.orphans[c], s);
            hk_event_slab_empty(s);
            s->state = HK_SLAB_EMPTY;
            registry_push(s);
            hk_event_slab_release(s, HK_RELEASE_REGISTRY);
            hk_superslab *ss = hk_ss_of_slab(s);
            if (--ss->live == 0)
                retire(ss);
        }
    }
}

/* Stage 3: a new SuperSlab — the LRU cache first, else the OS. */
static hk_superslab *stage_new_superslab(unsigned cls)
{
    hk_superslab *ss = hk_lru_pop(cls);
    if (ss)
        hk_ss_reset(ss);
    else if (!(ss = hk_ss_map()))
        return NULL;
    HK_ASSERT(header_in_slot0(ss) && ss->live == 0 && ss->state == HK_SS_ACTIVE);
    active_add(ss);
    with_free_add(ss);
    return ss;
}

static uint32_t orphans_total(void)
{
    uint32_t n = 0;
    for (unsigned c = 0; c < HK_CLASSES; c++)
        n += count_of(&pool.orphans[c]);
    return n;
}

/* The stages in turn; last: a retry after a map failed, where an EMPTY
 * slab of any class will do. */
static hk_slab *acquire_locked(hk_heap *h, unsigned cls, bool last)
{
    hk_slab *s;
    if ((s = stage_registry(cls, last)))
        return own(s, h, HAKMEM_STAGE_0_5);
    hk_event_stage_miss(cls, HAKMEM_STAGE_0_5);
    /* a sampled heap adopts no slab: the blocks in it were not sampled */
    if (!h->sampled && (s = list_pop(&pool.orphans[cls])))
        return own(s, h, HAKMEM_STAGE_1);
    hk_event_stage_miss(cls, HAKMEM_STAGE_1);
    if ((s = stage_free_slot(NULL, cls)))
        return own(s, h, HAKMEM_STAGE_2);
    hk_event_stage_miss(cls, HAKMEM_STAGE_2);
    if (orphans_total()) {
        reap_orphans();
        if ((s = stage_registry(cls, last)))
            return own(s, h, HAKMEM_STAGE_0_5);
        if ((s = stage_free_slot(NULL, cls)))
            return own(s, h, HAKMEM_STAGE_2);
    }
    hk_superslab *ss = stage_new_superslab(cls);
    if (!ss) {
        hk_event_stage_miss(cls, HAKMEM_STAGE_3);
        return NULL;
    }
    return own(stage_free_slot(ss, cls), h, HAKMEM_STAGE_3);
}

/* Whether an acquisition will probably need a new SuperSlab (stage 3), by
 * lock-free counts: then its stack is worth unwinding beforehand. */
static bool likely_stage3(unsigned cls)
{
    if (count_of(&pool.registry[cls]) || count_of(&pool.orphans[cls]))
        return false;
    if (hk_opt[HK_OPT_SS_EMPTY_REUSE] && atomic_load_explicit(&pool.registry_total, memory_order_relaxed))
        return false;
    return atomic_load_explicit(&pool.nwith_free, memory_order_relaxed) == 0;
}

/* A slab formatted for cls and owned by h, or NULL when out of memory:
 * when a new SuperSlab cannot be mapped, what the caches hold goes back
 * first (hk_trim, with the pool lock released: it takes the large tier's,
 * which is never held while the pool's is taken) and the stages run once
 * more. */
hk_slab *hk_pool_acquire(hk_heap *h, unsigned cls)
{
    bool stack = hk_config_trace && hk_opt[HK_OPT_TRACE_STACKS] && likely_stage3(cls);
    if (stack)
        hk_stack_begin();
    pthread_mutex_lock(&hk_pool_lock);
    hk_slab *s = acquire_locked(h, cls, false);
    pthread_mutex_unlock(&hk_pool_lock);
    if (HK_UNLIKELY(!s)) {
        hk_trim();
        pthread_mutex_lock(&hk_pool_lock);
        s = acquire_locked(h, cls, true);
        pthread_mutex_unlock(&hk_pool_lock);
    }
    hk_purge_poll();
    if (stack)
        hk_stack_end();
    HK_ASSERT(!s || (s->cls == cls && s->state == HK_SLAB_OWNED && s->list == HK_LIST_NONE &&
                     atomic_load_explicit(&s->owner, memory_order_relaxed) == h));
    return s;
}

/* The EMPTY slab s (used == 0) into the registry; a SuperSlab left with no
 * live slab goes to the LRU cache. Under hk_pool_lock. */
static void release_locked(hk_slab *s)
{
    /* the EMPTY transition: every block back, none on the remote list */
    HK_ASSERTF(s->used == 0 && s->list == HK_LIST_NONE && s->idx >= HK_FIRST_SLAB &&
                   (s->state == HK_SLAB_OWNED || s->state == HK_SLAB_ABANDONED) &&
                   !hk_remote_count(atomic_load_explicit(&s->remote, memory_order_relaxed)),
               "release: slab %u state %u used %u list %u remote %u", s->idx, s->state, s->used, s->list,
               hk_remote_count(atomic_load_explicit(&s->remote, memory_order_relaxed)));
    atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
    hk_event_slab_empty(s);
    hk_superslab *ss = hk_ss_of_slab(s);
    if (hk_sites_on)
        hk_sites_slab_empty(s);
    if (s->state == HK_SLAB_ABANDONED)
        list_remove(&pool.orphans[s->cls], s);
    s->state = HK_SLAB_EMPTY;
    registry_push(s);
    hk_event_slab_release(s, HK_RELEASE_REGISTRY);
    HK_ASSERT(ss->live > 0);
    if (--ss->live == 0)
        retire(ss);
}

/* Takes back an EMPTY slab (used == 0) from its owner: into the registry at
 * once; a SuperSlab left with no live slab goes to the LRU cache. */
void hk_pool_release(hk_slab *s)
{
    pthread_mutex_lock(&hk_pool_lock);
    release_locked(s);
    if (hk_lru_count())
        hk_lru_evict_expired(hk_now_ns());
    pthread_mutex_unlock(&hk_pool_lock);
    hk_purge_poll();
}

/* A slab with live blocks whose thread exited: ownerless, for stage 1.
 * Under hk_pool_lock. */
static void abandon_locked(hk_slab *s)
{
    HK_ASSERT(s->state == HK_SLAB_OWNED && s->list == HK_LIST_NONE && s->idx >= HK_FIRST_SLAB);
    atomic_store_explicit(&s->owner, NULL, memory_order_release);
    s->state = HK_SLAB_ABANDONED;
    list_push(&pool.orphans[s->cls], s);
}

/* An exiting thread's slabs, chained by next, in one hold of the lock: the
 * EMPTY ones to the registry, the others ownerless for stage 1, where the
 * next thread to start finds them. */
void hk_pool_give_back(hk_slab *chain)
{
    if (!chain)
        return;
    pthread_mutex_lock(&hk_pool_lock);
    while (chain) {
        hk_slab *s = chain;
        chain = s->next;
        s->next = NULL;
        if (s->used == 0)
            release_locked(s);
        else
            abandon_locked(s);
    }
    if (hk_lru_count())
        hk_lru_evict_expired(hk_now_ns());
    pthread_mutex_unlock(&hk_pool_lock);
    hk_purge_poll();
}

/* Per-class slabs, used blocks and capacity over every active SuperSlab. */
void hk_pool_stats(struct hakmem_stats *st)
{
    pthread_mutex_lock(&hk_pool_lock);
    for (hk_superslab *ss = pool.active; ss; ss = ss->next) {
        for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++) {
            hk_slab *s = &ss->slabs[i];
            if (s->state == HK_SLAB_FREE)
                continue;
            struct hakmem_class_stats *c = &st->cls[s->cls];
            c->slabs++;
            c->used += hk_slab_used(s);
            c->capacity += s->capacity;
        }
    }
    st->ss_active = pool.nactive;
    st->ss_cached = hk_lru_count();
    pthread_mutex_unlock(&hk_pool_lock);
}

/* Bytes of slab s that count as in use for hk_pool_mostly_free: its blocks
 * in use; all of it when its thread keeps it on purpose (its hot slot or a
 * spare: racy reads, as used is). */
static uint64_t slab_bytes_held(const hk_slab *s)
{
    if (s->state != HK_SLAB_OWNED && s->state != HK_SLAB_ABANDONED)
        return 0;
    const hk_heap *o = atomic_load_explicit(&s->owner, memory_order_relaxed);
    if (o && (s->list == HK_LIST_SPARE || o->cur[s->cls] == s))
        return HK_SLAB_SIZE;
    return (uint64_t)hk_slab_used(s) * hk_class_size[s->cls];
}

/* Evidence for a SuperSlab map (called with the pool lock held, tracing on):
 * the active SuperSlabs that are mostly free — under half their slab bytes
 * in use — so memory lay unused while a new one was mapped. Packed as the
 * ss_map event's arg1 (hakmem_segment.h): their count, the slabs with live
 * blocks in them, their unused bytes in KiB. */
uint64_t hk_pool_mostly_free(void)
{
    const uint64_t room = (uint64_t)(HK_SLABS_PER_SS - HK_FIRST_SLAB) << HK_SLAB_SHIFT;
    uint64_t nss = 0, holding = 0, unused = 0;
    for (hk_superslab *ss = pool.active; ss; ss = ss->next) {
        uint64_t used = 0, live = 0;
        for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++) {
            uint64_t b = slab_bytes_held(&ss->slabs[i]);
            used += b;
            live += b != 0;
        }
        if (2 * used >= room)
            continue;
        if (hk_sites_on)
            for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++)
                hk_sites_pins_at_map(ss, i);
        nss++;
        holding += live;
        unused += room - used;
    }
    return hakmem_ss_map_evidence(nss, holding, unused >> 10);
}

/* Calls fn for every SuperSlab, active ones then the LRU's, under the pool
 * lock (fn must not allocate or take the lock). */
void hk_pool_foreach_ss(void (*fn)(hk_superslab *ss, void *arg), void *arg)
{
    pthread_mutex_lock(&hk_pool_lock);
    for (hk_superslab *ss = pool.active; ss; ss = ss->next)
        fn(ss, arg);
    for (hk_superslab *ss = hk_lru_head(); ss; ss = ss->next)
        fn(ss, arg);
    pthread_mutex_unlock(&hk_pool_lock);
}

/* Zeroed memory for allocator metadata (thread heaps); never freed. */
void *hk_meta_alloc(size_t size)
{
    size = (size + 63) & ~(size_t)63;
    pthread_mutex_lock(&hk_pool_lock);
    if ((size_t)(pool.meta_end - pool.meta_cur) < size) {
        size_t chunk = size > 65536 ? size : 65536;
        char *p = hk_os_map(chunk);
        if (!p) {
            pthread_mutex_unlock(&hk_pool_lock);
            return NULL;
        }
        pool.meta_cur = p;
        pool.meta_end = p + chunk;
    }
    void *r = pool.meta_cur;
    pool.meta_cur += size;
    pthread_mutex_unlock(&hk_pool_lock);
    return r;
}

/* Releases what the pool caches: every SuperSlab in the LRU. */
size_t hk_pool_trim(void)
{
    pthread_mutex_lock(&hk_pool_lock);
    size_t n = hk_lru_evict_all();
    pthread_mutex_unlock(&hk_pool_lock);
    return n;
}

/* ---- the debug walk of the pool (hk_config_debug: thread exit, malloc_trim) */

/* A pool list of slabs of class cls, all in state: linked both ways, as
 * many as its count says; returns how many. */
static uint32_t validate_slab_list(struct slab_list *l, unsigned cls, uint8_t state)
{
    uint32_t n = 0;
    hk_slab *prev = NULL;
    for (hk_slab *s = l->head; s; prev = s, s = s->next) {
        HK_ASSERTF(s->prev == prev && s->state == state && s->cls == cls && s->idx >= HK_FIRST_SLAB &&
                       !atomic_load_explicit(&s->owner, memory_order_relaxed),
                   "pool list of class %u, state %u: slab %u state %u class %u", cls, state, s->idx, s->state,
                   s->cls);
        HK_ASSERT(state != HK_SLAB_EMPTY || s->used == 0);
        HK_ASSERT(header_in_slot0(hk_ss_of_slab(s)) && hk_ss_of_slab(s)->state == HK_SS_ACTIVE);
        n++;
    }
    HK_ASSERTF(n == count_of(l), "pool list of class %u, state %u: %u slabs, its count says %u", cls, state, n,
               count_of(l));
    return n;
}

/* Every active SuperSlab: its header in slot 0's place, each slot's index
 * its own, free_mask the FREE slots, live the OWNED and ABANDONED ones, on
 * the with-free list iff it has a FREE slot; the pool's lists and counts;
 * then the LRU's. */
void hk_pool_validate(void)
{
    pthread_mutex_lock(&hk_pool_lock);
    uint32_t nactive = 0, nfree = 0, nempty = 0;
    hk_superslab *prev = NULL;
    for (hk_superslab *ss = pool.active; ss; prev = ss, ss = ss->next) {
        nactive++;
        HK_ASSERTF(ss->prev == prev && ss->state == HK_SS_ACTIVE && header_in_slot0(ss) &&
                       hk_chunk_kind((uintptr_t)ss) == HK_CHUNK_SS,
                   "active SuperSlab %u: state %u, magic %lx", ss->id, ss->state, (unsigned long)ss->magic);
        uint32_t live = 0, mask = 0;
        for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++) {
            hk_slab *s = &ss->slabs[i];
            HK_ASSERT(s->idx == i && s->state <= HK_SLAB_EMPTY);
            live += s->state == HK_SLAB_OWNED || s->state == HK_SLAB_ABANDONED;
            mask |= (uint32_t)(s->state == HK_SLAB_FREE) << i;
            nempty += s->state == HK_SLAB_EMPTY;
            if (s->state != HK_SLAB_FREE)
                HK_ASSERT(s->cls < HK_CLASSES && s->capacity == hk_class_capacity[s->cls] &&
                          s->carved <= s->capacity);
        }
        HK_ASSERTF(live == ss->live && mask == ss->free_mask && ss->on_free_list == (mask != 0),
                   "SuperSlab %u: live %u (counted %u), free_mask %x (slots FREE %x), on_free_list %u", ss->id,
                   ss->live, live, ss->free_mask, mask, ss->on_free_list);
        nfree += ss->on_free_list;
    }
    HK_ASSERTF(nactive == pool.nactive, "active SuperSlabs: %u listed, nactive %u", nactive, pool.nactive);
    uint32_t nwith = 0;
    hk_superslab *fprev = NULL;
    for (hk_superslab *ss = pool.with_free; ss; fprev = ss, ss = ss->fnext) {
        HK_ASSERT(ss->fprev == fprev && ss->on_free_list && ss->free_mask && ss->state == HK_SS_ACTIVE);
        nwith++;
    }
    HK_ASSERTF(nwith == nfree && nwith == atomic_load(&pool.nwith_free),
               "with-free list: %u listed, %u flagged, count %u", nwith, nfree, atomic_load(&pool.nwith_free));
    uint32_t nreg = 0;
    for (unsigned c = 0; c < HK_CLASSES; c++) {
        nreg += validate_slab_list(&pool.registry[c], c, HK_SLAB_EMPTY);
        validate_slab_list(&pool.orphans[c], c, HK_SLAB_ABANDONED);
    }
    HK_ASSERTF(nreg == atomic_load(&pool.registry_total) && nreg == nempty,
               "registry: %u listed, total %u, EMPTY slots %u", nreg, atomic_load(&pool.registry_total), nempty);
    hk_lru_validate();
    pthread_mutex_unlock(&hk_pool_lock);
}
