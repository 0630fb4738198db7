/* heap.c — thread heaps: the hot slot and own slabs of each class (stage 0),
 * the malloc/free slow paths, remote frees, and returning slabs at exit. */
#include <errno.h>
#include "heapcheck.h"
#include "event.h"

/* Invariants: a slab on a heap list is OWNED by that heap and is not its
 * cur[] slab; a FULL slab had no free block when it went on the list. A
 * slab on the FULL list keeps used at 1 and its count in full_used, so that
 * its first local free (used 1 → 0) takes the free slow path, which moves
 * it off the list: the fast path tests used alone. */

hk_slab hk_slab_dummy; /* free == NULL: the fast path always misses on it */
hk_heap hk_heap_empty = { .tiny = { [0 ... HK_TINY_MAX / 16] = &hk_slab_dummy },
                          .cur = { [0 ... HK_CLASSES - 1] = &hk_slab_dummy } };
__thread hk_heap *hk_tls_heap __attribute__((tls_model("initial-exec"))) = &hk_heap_empty;
__thread struct hk_tls hk_tls __attribute__((tls_model("initial-exec"))) = { .fast = &hk_heap_empty, .left = -1 };

static pthread_key_t heap_key;
static pthread_mutex_t heaps_lock = PTHREAD_MUTEX_INITIALIZER;
static hk_heap *free_heaps;
_Static_assert(HK_CLASSES <= 64, "hk_heap.classes has a bit per class");
_Static_assert(HK_PENDING_SLOTS % 64 == 0, "hk_heap.pending_used has whole words");
static hk_heap *free_sampled; /* sampled heaps of exited threads, with their slabs */
static hk_heap *all_heaps; /* under heaps_lock; heaps are never unmapped */

/* The hot slab of class cls becomes s, in cur[] and in the tiny[] entries of
 * the requests cls serves: 16i bytes for i in (size of cls - 1, size of cls]
 * (one to eight entries). */
static void set_cur(hk_heap *h, unsigned cls, hk_slab *s)
{
    h->cur[cls] = s;
    if (cls >= HK_TINY_CLASSES)
        return;
    unsigned lo = cls ? hk_class_size[cls - 1] / 16 + 1 : 0, hi = hk_class_size[cls] / 16;
    for (hk_slab **e = &h->tiny[lo], **end = &h->tiny[hi]; e <= end; e++)
        *e = s;
}

static bool is_foreign(const hk_heap *h, const hk_slab *s)
{
    return s >= h->foreign && s < h->foreign + HK_FOREIGN_CLASSES;
}

/* ---- per-class heap lists (owner thread only) */

static hk_slab **list_head(hk_heap *h, hk_slab *s)
{
    return s->list == HK_LIST_AVAIL ? &h->avail[s->cls] : &h->full[s->cls];
}

/* A slab that got blocks back goes to the tail of avail: by the time it is
 * taken from the head, more of its blocks have come back (a slab taken with
 * one free block would send the next malloc to the slow path again). */
static void hl_push(hk_heap *h, hk_slab *s, uint8_t which)
{
    HK_ASSERT(s->list == HK_LIST_NONE && s->state == HK_SLAB_OWNED && s->cls < HK_CLASSES);
    HK_ASSERT(atomic_load_explicit(&s->owner, memory_order_relaxed) == h);
    s->list = which;
    if (which == HK_LIST_FULL) {
        /* no free block, and some out: the first local free finds used 1 */
        HK_ASSERTF(!s->free && s->used > 0 && s->used <= s->carved,
                   "FULL push: slab %u free %p used %u carved %u", s->idx, (void *)s->free, s->used, s->carved);
        s->full_used = s->used;
        s->used = 1;
    }
    if (which == HK_LIST_AVAIL)
        hk_slab_list_push_back(&h->avail[s->cls], &h->avail_tail[s->cls], s);
    else
        hk_slab_list_push_front(list_head(h, s), NULL, s);
}

/* A FULL slab's count back in used (1 → 0 meant one free). */
static void unbias(hk_slab *s)
{
    if (s->list == HK_LIST_FULL) {
        /* 1 on the list, 0 after the one local free that took the slow path */
        HK_ASSERTF(s->used <= 1 && s->full_used > 0, "FULL slab %u: used %u full_used %u", s->idx, s->used,
                   s->full_used);
        s->used = s->full_used + s->used - 1;
    }
}

static void hl_remove(hk_heap *h, hk_slab *s)
{
    if (s->list == HK_LIST_NONE)
        return;
    if (s->list == HK_LIST_FULL) {
        unbias(s);
        hk_slab_list_remove(&h->full[s->cls], NULL, s);
    } else {
        HK_ASSERT(s->list == HK_LIST_AVAIL); /* spares are on no list (park) */
        hk_slab_list_remove(&h->avail[s->cls], &h->avail_tail[s->cls], s);
    }
    s->list = HK_LIST_NONE;
}

/* ---- spare slabs: the last slabs that emptied, kept for the next need */

unsigned hk_spare_slabs = HK_SPARE_SLABS;

/* Empty slab s (off the lists) goes to the pool, or waits as a spare; the
 * oldest spare goes to the pool to make room. */
static void park(hk_heap *h, hk_slab *s)
{
    HK_ASSERT(s->used == 0 && s->list == HK_LIST_NONE && s != h->cur[s->cls]);
    if (!hk_spare_slabs) {
        hk_pool_release(s);
        return;
    }
    if (h->nspare == hk_spare_slabs) {
        hk_slab *old = h->spare[0];
        for (uint32_t i = 1; i < h->nspare; i++)
            h->spare[i - 1] = h->spare[i];
        h->nspare--;
        old->list = HK_LIST_NONE;
        hk_pool_release(old);
    }
    s->list = HK_LIST_SPARE;
    h->spare[h->nspare++] = s;
}

/* The newest spare for class cls, formatted for it (another class's only
 * under HAKMEM_SS_EMPTY_REUSE=1, as the pool's registry); NULL if none. */
static hk_slab *unpark(hk_heap *h, unsigned cls)
{
    for (uint32_t i = h->nspare; i-- > 0;) {
        hk_slab *s = h->spare[i];
        if (s->cls != cls && !hk_opt[HK_OPT_SS_EMPTY_REUSE])
            continue;
        for (uint32_t j = i + 1; j < h->nspare; j++)
            h->spare[j - 1] = h->spare[j];
        h->nspare--;
        s->list = HK_LIST_NONE;
        if (s->cls != cls)
            hk_slab_format(s, cls);
        h->classes |= 1ull << cls;
        return s;
    }
    return NULL;
}

/* Every spare onto *chain (for hk_pool_give_back): at thread exit. */
static void chain_spares(hk_heap *h, hk_slab **chain)
{
    while (h->nspare) {
        hk_slab *s = h->spare[--h->nspare];
        s->list = HK_LIST_NONE;
        s->next = *chain;
        *chain = s;
    }
}

/* Every spare to the pool: at malloc_trim. */
void hk_heap_release_spares(hk_heap *h)
{
    while (h->nspare) {
        hk_slab *s = h->spare[--h->nspare];
        s->list = HK_LIST_NONE;
        hk_pool_release(s);
    }
}

/* Puts an owned slab other than the hot slot where it belongs after blocks
 * came back to it: an EMPTY one goes back to the pool at once (the seed's
 * slab-granularity fix); one with free blocks is available; one off the
 * lists goes on one. */
static void settle(hk_heap *h, hk_slab *s)
{
    if (s == h->cur[s->cls] || s->list == HK_LIST_SPARE)
        return;
    if (s->list == HK_LIST_FULL)
        hl_remove(h, s);
    if (s->used == 0) {
        hl_remove(h, s);
        park(h, s);
    } else if (s->list == HK_LIST_NONE) {
        hl_push(h, s, s->free ? HK_LIST_AVAIL : HK_LIST_FULL);
    }
}

/* Collects the blocks of every slab that other threads freed into; keep
 * is collected but not settled (the caller settles it: releasing it here
 * could unmap its SuperSlab under the caller's feet). */
static void drain_remote(hk_heap *h, hk_slab *keep)
{
    if (!atomic_load_explicit(&h->remote_slabs, memory_order_relaxed))
        return;
    hk_slab *s = atomic_exchange(&h->remote_slabs, NULL);
    while (s) {
        hk_slab *next = s->remote_next;
        atomic_store(&s->notified, 0);
        if (atomic_load_explicit(&s->owner, memory_order_relaxed) == h) {
            HK_ASSERT(s->state == HK_SLAB_OWNED && s->idx >= HK_FIRST_SLAB);
            if (s->list == HK_LIST_FULL)
                hl_remove(h, s); /* collected with its count; settled below */
            hk_slab_collect_remote(s);
            HK_ASSERT(s->used <= s->carved);
            if (s != keep)
                settle(h, s);
        }
        s = next;
    }
}

/* ---- thread heaps */

static hk_heap *heap_new(void)
{
    pthread_mutex_lock(&heaps_lock);
    hk_heap *h = free_heaps;
    if (h)
        free_heaps = h->next_free;
    pthread_mutex_unlock(&heaps_lock);
    if (!h) {
        if (!(h = hk_meta_alloc(sizeof *h)))
            return NULL;
        pthread_mutex_lock(&heaps_lock);
        h->next_all = all_heaps;
        all_heaps = h;
        pthread_mutex_unlock(&heaps_lock);
        for (unsigned c = 0; c < HK_CLASSES; c++)
            set_cur(h, c, &hk_slab_dummy);
        for (unsigned c = 0; c < HK_FOREIGN_CLASSES; c++)
            h->foreign[c] = (hk_slab){ .cls = (uint8_t)c }; /* state FREE, no owner */
    }
    /* a recycled heap's classes were left as a new one's by its last exit */
    HK_ASSERT(h->classes == 0);
    if (hk_config_debug)
        for (unsigned c = 0; c < HK_CLASSES; c++)
            HK_ASSERT(h->cur[c] == &hk_slab_dummy && !h->avail[c] && !h->avail_tail[c] && !h->full[c] &&
                      (c >= HK_FOREIGN_CLASSES || (!h->foreign[c].free && !h->foreign[c].used)));
    /* A recycled heap's list may hold slabs pushed after its thread's last
     * drain; they belong to others now and are never walked. */
    atomic_store(&h->remote_slabs, NULL);
    h->tid = hk_gettid();
    h->in_use = 1;
    h->nspare = 0;
    h->key = hk_free_key; /* at level 0 too (heapcheck.h, hk_check_local_free) */
    h->sampled = false;
    h->sampled_heap = NULL;
    return h;
}

/* ---- sampled heaps (profile.c): a thread's sampled allocations come from
 * their own slabs. Invariant: every live block of a slab a sampled heap owns
 * is a sampled allocation, so a free into such a slab is a sampled block's.
 * Their slabs are never abandoned (an adopter's frees would not tell them),
 * so an exited thread's sampled heap keeps its slabs and waits on
 * free_sampled for the next thread that samples; nor do they adopt the
 * abandoned slabs of others (pool.c). */

hk_heap *hk_heap_sampled(hk_heap *h)
{
    if (h->sampled_heap)
        return h->sampled_heap;
    pthread_mutex_lock(&heaps_lock);
    hk_heap *sh = free_sampled;
    if (sh)
        free_sampled = sh->next_free;
    pthread_mutex_unlock(&heaps_lock);
    if (!sh && (sh = heap_new()))
        sh->sampled = true;
    if (!sh)
        return NULL;
    sh->tid = h->tid;
    sh->in_use = 1;
    h->sampled_heap = sh;
    return sh;
}

/* The sampled heap of an exiting thread: its blocks wait where they are. */
static void sampled_exit(hk_heap *sh)
{
    if (hk_config_debug)
        hk_heap_validate(sh);
    hk_heap_flush_stage0(sh);
    drain_remote(sh, NULL);
    hk_heap_release_spares(sh);
    sh->in_use = 0;
    pthread_mutex_lock(&heaps_lock);
    sh->next_free = free_sampled;
    free_sampled = sh;
    pthread_mutex_unlock(&heaps_lock);
}

/* The calling thread's heap, created on its first allocation. */
static hk_heap *heap_for_thread(void)
{
    if (hk_tls_heap != &hk_heap_empty)
        return hk_tls_heap;
    if (!hk_ensure_init())
        return NULL;
    hk_heap *h = heap_new();
    if (!h)
        return NULL;
    hk_tls_heap = h;
    if (!hk_debug) /* level 2: the exported malloc and free always take their slow paths */
        hk_tls.fast = h;
    pthread_setspecific(heap_key, h);
    hk_event_thread(true, h->tid);
    hk_segv_thread_start();
    return h;
}

hk_heap *hk_heap_of_thread(void)
{
    return heap_for_thread();
}

static hk_block *pop(hk_slab *s)
{
    hk_block *b = s->free;
    s->free = b->next;
    s->used++;
    return hk_hand_out(b);
}

/* Stage 0: another of the heap's own slabs with blocks; else the pool. */
static hk_slab *next_slab(hk_heap *h, unsigned cls)
{
    hk_slab *s;
    while ((s = h->avail[cls])) {
        hl_remove(h, s);
        if (hk_slab_refill(s)) {
            hk_event_slab_acquire(s, HAKMEM_STAGE_0);
            return s;
        }
        hl_push(h, s, HK_LIST_FULL);
    }
    if ((s = unpark(h, cls)) && hk_slab_refill(s)) {
        hk_event_slab_acquire(s, HAKMEM_STAGE_0);
        return s;
    }
    hk_event_stage_miss(cls, HAKMEM_STAGE_0);
    /* An adopted (stage 1) slab may have no free block yet: keep it. */
    h->classes |= 1ull << cls; /* before the FULL pushes below */
    while ((s = hk_pool_acquire(h, cls)) && !hk_slab_refill(s))
        hl_push(h, s, HK_LIST_FULL);
    return s;
}

HK_NOINLINE void *hk_heap_malloc_slow(hk_heap *h, unsigned cls)
{
    if (h == &hk_heap_empty && !(h = heap_for_thread())) {
        errno = ENOMEM;
        return NULL;
    }
    drain_remote(h, NULL);
    hk_slab *s = h->cur[cls];
    bool slab = s != &hk_slab_dummy && !is_foreign(h, s);
    if (slab && hk_slab_refill(s))
        return pop(s);
    if (slab)
        hl_push(h, s, HK_LIST_FULL);
    /* Kept blocks of other threads' slabs first, then the next slab. */
    h->cur[cls] = &hk_slab_dummy; /* the old one is on a list now: tiny[] follows below */
    if (cls < HK_FOREIGN_CLASSES && h->foreign[cls].free) {
        s = &h->foreign[cls];
        h->classes |= 1ull << cls;
    } else
        s = next_slab(h, cls);
    set_cur(h, cls, s ? s : &hk_slab_dummy);
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    return pop(s);
}

/* A local free that emptied a slab or was the first into a FULL one. The
 * drain comes first so that s is on no remote list when settle() releases
 * it. */
HK_NOINLINE void hk_heap_free_slow(hk_heap *h, hk_slab *s)
{
    drain_remote(h, s); /* takes s off the FULL list first if it collects s */
    settle(h, s);
}

/* Hands the chain head..tail of n blocks of s to its owner: one CAS onto the
 * slab's remote list, and the owner is told once until it drains. */
static void push_remote(hk_slab *s, hk_block *head, hk_block *tail, uint32_t n)
{
    uintptr_t top = atomic_load_explicit(&s->remote, memory_order_relaxed), v;
    do {
        tail->next = hk_remote_head(top);
        v = hk_remote_word(head, hk_remote_count(top) + n);
    } while (!atomic_compare_exchange_weak_explicit(&s->remote, &top, v, memory_order_release,
                                                    memory_order_relaxed));
    /* The owner resets notified before it takes s->remote: a stale 1 read
     * here means the owner has yet to take the blocks just pushed. */
    hk_heap *o = atomic_load(&s->owner);
    if (!o || atomic_load(&s->notified) || atomic_exchange(&s->notified, 1))
        return;
    hk_slab *first = atomic_load_explicit(&o->remote_slabs, memory_order_relaxed);
    do
        s->remote_next = first;
    while (!atomic_compare_exchange_weak(&o->remote_slabs, &first, s));
}

static void flush_one(hk_heap *h, hk_pending *q)
{
    h->pending_bytes -= (size_t)q->n * hk_class_size[q->slab->cls];
    push_remote(q->slab, q->head, q->tail, q->n);
    size_t i = (size_t)(q - h->pending);
    h->pending_used[i / 64] &= ~(1ull << (i % 64));
    q->slab = NULL;
    h->npending--;
}

/* The block joins the chain of its slab, which goes with one CAS when
 * HK_PENDING_MAX blocks are in it, when the thread holds more than
 * HK_PENDING_BYTES, or when another slab needs the slot. */
static void gather(hk_heap *h, hk_slab *s, hk_block *b)
{
    uintptr_t a = (uintptr_t)s;
    hk_pending *q = &h->pending[((a / sizeof(hk_slab)) ^ (a >> HK_SS_SHIFT)) & (HK_PENDING_SLOTS - 1)];
    h->pending_bytes += hk_class_size[s->cls];
    if (q->slab != s) {
        if (q->slab)
            flush_one(h, q);
        q->slab = s;
        q->head = q->tail = b;
        q->n = 1;
        h->npending++;
        size_t i = (size_t)(q - h->pending);
        h->pending_used[i / 64] |= 1ull << (i % 64);
        b->next = NULL;
    } else {
        b->next = q->head;
        q->head = b;
        q->n++;
    }
    if (q->n >= HK_PENDING_MAX || h->pending_bytes > HK_PENDING_BYTES)
        flush_one(h, q);
}

/* ---- blocks freed into other threads' slabs, kept for this thread */

/* The hot slot of cls becomes the kept blocks: the next mallocs take them
 * before any slab's. The old hot slab goes on a list, or back to the pool
 * when it is empty. */
static void use_foreign(hk_heap *h, unsigned cls)
{
    hk_slab *old = h->cur[cls];
    h->classes |= 1ull << cls;
    set_cur(h, cls, &h->foreign[cls]);
    if (old != &hk_slab_dummy)
        hk_heap_free_slow(h, old); /* settled, as after a free */
}

/* Keeps b, a checked block of s (a slab h does not own) for h's mallocs;
 * false when its class keeps no more. Once the class holds its most, the
 * hot slot takes them. */
static bool keep_foreign(hk_heap *h, hk_slab *s, hk_block *b)
{
    unsigned cls = s->cls;
    if (cls >= HK_FOREIGN_CLASSES)
        return false;
    hk_slab *f = &h->foreign[cls];
    uint32_t n = 0u - f->used, cap = hk_foreign_cap(cls);
    if (n >= cap)
        return false;
    b->next = f->free;
    f->free = b;
    f->used--;
    h->classes |= 1ull << cls;
    if (n + 1 == cap && h->cur[cls] != f)
        use_foreign(h, cls);
    return true;
}

/* Hands every kept block back to its slab (through the pending chains). */
static void flush_foreign(hk_heap *h)
{
    for (uint64_t m = h->classes & ((1ull << HK_FOREIGN_CLASSES) - 1); m; m &= m - 1) {
        unsigned c = (unsigned)__builtin_ctzll(m);
        hk_slab *f = &h->foreign[c];
        hk_block *b = f->free;
        f->free = NULL;
        f->used = 0;
        while (b) {
            hk_block *next = b->next;
            gather(h, hk_slab_of(b), b);
            b = next;
        }
    }
}

/* Hands everything held back over: at thread exit, malloc_trim and
 * hakmem_stats_get (the blocks count as used in their slabs until then). */
void hk_heap_flush_pending(hk_heap *h)
{
    flush_foreign(h);
    for (unsigned w = 0; w < HK_PENDING_SLOTS / 64; w++)
        while (h->pending_used[w])
            flush_one(h, &h->pending[w * 64 + (unsigned)__builtin_ctzll(h->pending_used[w])]);
}

/* A free from a thread that does not own the slab: kept for the thread's
 * mallocs, else gathered for the owner — an ownerless slab's too (its
 * thread exited: the pool reaps or a new thread adopts it once the chain
 * arrives), so such frees cost one CAS a chain, never a lock. A thread
 * without a heap has nowhere to keep or gather: its block goes at once. */
HK_NOINLINE void hk_free_remote(hk_heap *h, hk_slab *s, void *p)
{
    if (!hk_check_remote_free(s, p))
        return;
    if (h == &hk_heap_empty) {
        push_remote(s, p, p, 1);
        return;
    }
    if (!keep_foreign(h, s, p))
        gather(h, s, p);
}

bool hk_heap_free_sampled(hk_heap *h, hk_slab *s, void *p)
{
    hk_heap *o = atomic_load_explicit(&s->owner, memory_order_relaxed);
    /* the event before the push: once pushed, the block may be handed out
     * again and its next alloc event written */
    if (h == &hk_heap_empty || h->sampled_heap != o) {
        if (!hk_check_remote_free(s, p))
            return false;
        hk_profile_freed(p, s);
        push_remote(s, p, p, 1);
        return true;
    }
    if (!hk_check_local_free(o->key, s, p) && !hk_check_free_slow(s, p))
        return false;
    hk_profile_freed(p, s);
    hk_block *b = p;
    b->next = s->free;
    s->free = b;
    if (--s->used == 0)
        hk_heap_free_slow(o, s);
    return true;
}

/* ---- stage-0 counts: per thread, no locked instruction per slab switch */

void hk_heap_count_stage0(unsigned miss)
{
    hk_heap *h = hk_tls_heap;
    if (HK_UNLIKELY(h == &hk_heap_empty)) { /* shared: no per-thread count */
        if (miss)
            HK_STAT_INC(stage_miss[HAKMEM_STAGE_0]);
        else
            HK_STAT_INC(stage_hit[HAKMEM_STAGE_0]);
        return;
    }
    uint32_t n = atomic_load_explicit(&h->stage0[miss], memory_order_relaxed) + 1;
    if (n < HK_STAGE0_BATCH) {
        atomic_store_explicit(&h->stage0[miss], n, memory_order_relaxed);
        return;
    }
    atomic_store_explicit(&h->stage0[miss], 0, memory_order_relaxed);
    if (miss)
        HK_STAT_ADD(stage_miss[HAKMEM_STAGE_0], n);
    else
        HK_STAT_ADD(stage_hit[HAKMEM_STAGE_0], n);
}

void hk_heap_flush_stage0(hk_heap *h)
{
    if (h == &hk_heap_empty)
        return;
    uint32_t hit = atomic_exchange_explicit(&h->stage0[0], 0, memory_order_relaxed);
    uint32_t miss = atomic_exchange_explicit(&h->stage0[1], 0, memory_order_relaxed);
    if (hit)
        HK_STAT_ADD(stage_hit[HAKMEM_STAGE_0], hit);
    if (miss)
        HK_STAT_ADD(stage_miss[HAKMEM_STAGE_0], miss);
}

/* What the threads counted and have not added yet (racy: a thread may be
 * counting; exact for threads between allocations). */
void hk_heap_stage0_unflushed(uint64_t *hit, uint64_t *miss)
{
    *hit = *miss = 0;
    pthread_mutex_lock(&heaps_lock);
    for (hk_heap *h = all_heaps; h; h = h->next_all) {
        *hit += atomic_load_explicit(&h->stage0[0], memory_order_relaxed);
        *miss += atomic_load_explicit(&h->stage0[1], memory_order_relaxed);
    }
    pthread_mutex_unlock(&heaps_lock);
}

/* ---- thread exit: every slab goes back, EMPTY to the registry, the others
 * ownerless for stage 1 (their blocks can still be freed from anywhere). */

/* s onto *chain, for hk_pool_give_back: one hold of the pool's lock for
 * all of a thread's slabs. */
static void give_back(hk_slab *s, hk_slab **chain)
{
    HK_ASSERT(s->state == HK_SLAB_OWNED && s->list == HK_LIST_NONE);
    hk_slab_collect_remote(s);
    s->next = *chain;
    *chain = s;
}

static void give_back_list(hk_slab *s, hk_slab **chain)
{
    while (s) {
        hk_slab *next = s->next;
        unbias(s);
        s->prev = s->next = NULL;
        s->list = HK_LIST_NONE;
        give_back(s, chain);
        s = next;
    }
}

void hk_heap_exit(void *arg)
{
    hk_heap *h = arg;
    if (!h || h == &hk_heap_empty)
        return;
    if (hk_config_debug)
        hk_heap_validate(h);
    hk_tls_heap = hk_tls.fast = &hk_heap_empty;
    hk_stack_cache_thread_exit();
    if (h->sampled_heap)
        sampled_exit(h->sampled_heap);
    h->sampled_heap = NULL;
    hk_heap_flush_pending(h);
    hk_heap_flush_stage0(h);
    drain_remote(h, NULL);
    hk_slab *chain = NULL;
    for (uint64_t m = h->classes; m; m &= m - 1) {
        unsigned c = (unsigned)__builtin_ctzll(m);
        if (h->cur[c] != &hk_slab_dummy && !is_foreign(h, h->cur[c]))
            give_back(h->cur[c], &chain);
        set_cur(h, c, &hk_slab_dummy);
        give_back_list(h->avail[c], &chain);
        give_back_list(h->full[c], &chain);
        h->avail[c] = h->avail_tail[c] = h->full[c] = NULL;
    }
    h->classes = 0;
    chain_spares(h, &chain);
    hk_pool_give_back(chain);
    if (hk_config_debug)
        hk_pool_validate();
    hk_event_thread(false, h->tid);
    h->in_use = 0;
    pthread_mutex_lock(&heaps_lock);
    h->next_free = free_heaps;
    free_heaps = h;
    pthread_mutex_unlock(&heaps_lock);
}

void hk_heap_global_init(void)
{
    pthread_key_create(&heap_key, hk_heap_exit);
}

void hk_heap_atfork_prepare(void)
{
    pthread_mutex_lock(&heaps_lock);
}

void hk_heap_atfork_parent(void)
{
    pthread_mutex_unlock(&heaps_lock);
}

void hk_heap_atfork_child(void)
{
    pthread_mutex_unlock(&heaps_lock);
}

/* ---- the debug walk of a heap (hk_config_debug: thread exit, malloc_trim) */

/* Blocks on a free list from b, at most max + 1 (a longer list is broken). */
static uint32_t chain_length(const hk_block *b, uint32_t max)
{
    uint32_t n = 0;
    for (; b && n <= max; b = b->next)
        n++;
    return n;
}

/* A slab h owns, off the FULL list or on it: used == carved - |free| (a
 * block counts in used from malloc until its owner has it back: the blocks
 * on the remote list, in other threads' pending chains and kept caches
 * count, and the remote list holds as many blocks as its word says, no more
 * than used); a FULL slab keeps used at 1, its count in full_used. */
static void validate_slab(hk_heap *h, hk_slab *s, unsigned cls, uint8_t list)
{
    hk_superslab *ss = hk_ss_of_slab(s);
    HK_ASSERTF(ss->magic == HK_SS_MAGIC && s->idx >= HK_FIRST_SLAB && &ss->slabs[s->idx] == s,
               "slab %p: not a slot of a SuperSlab (magic %lx, idx %u)", (void *)s, (unsigned long)ss->magic,
               s->idx);
    HK_ASSERTF(s->state == HK_SLAB_OWNED && atomic_load(&s->owner) == h && s->cls == cls && s->list == list,
               "slab %u of SuperSlab %u: state %u owner %p (heap %p) class %u (%u) list %u (%u)", s->idx, ss->id,
               s->state, (void *)atomic_load(&s->owner), (void *)h, s->cls, cls, s->list, list);
    HK_ASSERT(s->capacity == hk_class_capacity[cls] && s->carved <= s->capacity &&
              s->carved_end == (uint32_t)s->carved * hk_class_size[cls]);
    uint32_t nfree = chain_length(s->free, s->carved);
    uint32_t used = list == HK_LIST_FULL ? s->full_used : s->used;
    HK_ASSERTF(nfree <= s->carved && used == s->carved - nfree,
               "slab %u of SuperSlab %u (class %u, list %u): used %u, expected carved %u - |free| %u", s->idx,
               ss->id, cls, list, used, s->carved, nfree);
    if (list == HK_LIST_FULL)
        HK_ASSERTF(s->used == 1 && !s->free && s->full_used > 0,
                   "FULL slab %u of SuperSlab %u: used %u (expected 1), full_used %u", s->idx, ss->id, s->used,
                   s->full_used);
    if (list == HK_LIST_AVAIL)
        HK_ASSERT(s->free && s->used > 0);
    if (list == HK_LIST_SPARE)
        HK_ASSERT(s->used == 0);
    /* Other threads push onto the remote word, never below its head: the
     * chain of a snapshot is stable while its owner (this thread) does not
     * collect. */
    uintptr_t v = atomic_load_explicit(&s->remote, memory_order_acquire);
    uint32_t nremote = chain_length(hk_remote_head(v), s->capacity);
    HK_ASSERTF(nremote == hk_remote_count(v) && nremote <= used,
               "slab %u of SuperSlab %u: remote list of %u blocks, its word counts %u, used %u", s->idx, ss->id,
               nremote, hk_remote_count(v), used);
}

/* One of h's lists of class cls: linked both ways, every slab on it as list
 * says; tail (when the list keeps one) its last. */
static void validate_list(hk_heap *h, hk_slab *head, hk_slab *tail, unsigned cls, uint8_t list)
{
    hk_slab *prev = NULL;
    for (hk_slab *s = head; s; prev = s, s = s->next) {
        HK_ASSERTF(s->prev == prev, "class %u list %u: slab %u's prev %p, expected %p", cls, list, s->idx,
                   (void *)s->prev, (void *)prev);
        HK_ASSERT(s != h->cur[cls]);
        validate_slab(h, s, cls, list);
    }
    if (list == HK_LIST_AVAIL)
        HK_ASSERT(tail == prev);
}

void hk_heap_validate(hk_heap *h)
{
    if (h && h != &hk_heap_empty) {
        for (unsigned c = 0; c < HK_CLASSES; c++) {
            hk_slab *s = h->cur[c];
            if (is_foreign(h, s))
                HK_ASSERT(s == &h->foreign[c]);
            else if (s != &hk_slab_dummy)
                validate_slab(h, s, c, HK_LIST_NONE);
            validate_list(h, h->avail[c], h->avail_tail[c], c, HK_LIST_AVAIL);
            validate_list(h, h->full[c], NULL, c, HK_LIST_FULL);
            /* a class without its bit is as a new heap's (hk_heap_exit skips it) */
            HK_ASSERTF((h->classes >> c & 1) || (h->cur[c] == &hk_slab_dummy && !h->avail[c] && !h->full[c] &&
                                                 (c >= HK_FOREIGN_CLASSES || !h->foreign[c].free)),
                       "class %u holds slabs or kept blocks without its bit", c);
        }
        /* tiny[i] is cur[] of the class of a 16i-byte request */
        for (unsigned i = 0; i <= HK_TINY_MAX / 16; i++)
            HK_ASSERTF(h->tiny[i] == h->cur[hk_size_class(16 * i)], "tiny[%u] is not cur[%u]", i,
                       hk_size_class(16 * i));
        /* kept blocks: the pseudo-slab's -used is how many its list holds */
        for (unsigned c = 0; c < HK_FOREIGN_CLASSES; c++) {
            hk_slab *f = &h->foreign[c];
            uint32_t kept = 0u - f->used;
            HK_ASSERTF(kept <= hk_foreign_cap(c) && chain_length(f->free, kept) == kept,
                       "kept blocks of class %u: -used %u, list of %u", c, kept, chain_length(f->free, kept));
        }
        HK_ASSERT(h->nspare <= HK_SPARE_SLABS);
        for (uint32_t i = 0; i < h->nspare; i++)
            validate_slab(h, h->spare[i], h->spare[i]->cls, HK_LIST_SPARE);
        uint32_t npending = 0;
        size_t bytes = 0;
        for (unsigned i = 0; i < HK_PENDING_SLOTS; i++) {
            hk_pending *q = &h->pending[i];
            if (!q->slab)
                continue;
            npending++;
            bytes += (size_t)q->n * hk_class_size[q->slab->cls];
            HK_ASSERT(q->n > 0 && q->n < HK_PENDING_MAX && q->tail && !q->tail->next &&
                      chain_length(q->head, q->n) == q->n && (h->pending_used[i / 64] >> (i % 64) & 1));
        }
        HK_ASSERTF(npending == h->npending && bytes == h->pending_bytes,
                   "pending chains: %u slots, %zu bytes; the heap counts %u, %zu", npending, bytes, h->npending,
                   h->pending_bytes);
    }
    hk_pool_validate();
    hk_large_validate();
}
