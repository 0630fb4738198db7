/* large.c — the large tier: blocks above 64 KiB in their own chunk-aligned
 * mappings, a cache of freed mappings sized by the recent peak of large frees
 * (split to fit smaller requests, grown by mremap for larger), and realloc
 * growth by mremap. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "heapcheck.h"
#include "event.h"

#define HK_LARGE_MAGIC 0x6b616d4772614c68ull
#define HK_LARGE_MERGED 0x6b616d4d72674c68ull /* the header of a freed mapping merged into the one before */
#define HK_LARGE_CACHE_MAX 64 /* mappings */
#define HK_LARGE_CACHE_FLOOR ((size_t)64 << 20) /* the cache's bound when frees are rare */
#define HK_LARGE_WINDOW_NS 1000000000ull /* the span of "recent" large frees */

/* Header at the start of the chunk holding the user pointer's first byte
 * minus one, i.e. at (user - 1) & ~HK_SS_MASK. Invariant: base == header
 * (the mapping starts with it) and user - header >= HK_LARGE_HDR. */
typedef struct hk_large {
    uint64_t magic;
    char *base;        /* the mapping */
    size_t map_size;
    char *user;
    union {
        size_t usable; /* live: bytes from user to the end of the mapping */
        size_t dirty;  /* cached: bytes from base that may not be zero (the rest is fresh
                        * from the kernel or purged); calloc of a reuse zeroes only these */
    };
    struct hk_large *prev, *next; /* cache list, most recent first */
    union {
        uint64_t cached_ns;   /* cached: when it was freed */
        uint64_t sampled;     /* live: 1 when the heap profiler sampled it */
    };
} hk_large;

_Static_assert(sizeof(hk_large) <= HK_LARGE_HDR, "large header fits");
HK_LIST_DEFINE(large_list, hk_large, prev, next);

pthread_mutex_t hk_large_lock = PTHREAD_MUTEX_INITIALIZER;
/* Invariant (as the LRU's): the mappings older than dirty are purged (all
 * but their header's page given back), dirty and the newer ones are not. */
static struct {
    hk_large *head, *tail;
    hk_large *dirty;   /* the oldest cached mapping not purged, NULL: none */
    uint32_t count;
    size_t bytes;
    uint64_t live, live_bytes;
    /* the recent peak of large frees: how far live bytes fell below their
     * high mark of the current window (what was freed before it was asked
     * for again), the most in one window, halved for each window since */
    uint64_t window_ns;
    size_t window_high, peak;
    uint64_t active_ns; /* the last large free: the purger waits while they go on */
} cache;

static size_t page_round(size_t n)
{
    return (n + hk_page_size - 1) & ~(hk_page_size - 1);
}

/* The header of the mapping p would be a block of (its chunk's, or the one
 * before when p is the chunk's first byte). */
static hk_large *large_of(const void *p)
{
    return (hk_large *)(((uintptr_t)p - 1) & ~(uintptr_t)HK_SS_MASK);
}

/* The head of the mapping whose chunk a (marked HK_CHUNK_LARGE) lies in:
 * the LARGE chunks before it lead there. NULL when there is none. */
static hk_large *head_of(uintptr_t a)
{
    uintptr_t c = a >> HK_SS_SHIFT;
    while (c > 0 && c < HK_CHUNKS && hk_chunkmap[c] == HK_CHUNK_LARGE)
        c--;
    if (c >= HK_CHUNKS || hk_chunkmap[c] != HK_CHUNK_LARGE_HEAD)
        return NULL;
    hk_large *l = (hk_large *)(c << HK_SS_SHIFT);
    return l->magic == HK_LARGE_MAGIC ? l : NULL;
}

/* p, not at a mapping's head: the first user byte of a freed mapping that
 * was merged into the cached one before it (a second free), else none of
 * the large tier's. */
static enum hk_block_verdict merged_check(const void *p, struct hk_block_info *b)
{
    uintptr_t a = (uintptr_t)p;
    if (hk_chunk_kind(a - 1) != HK_CHUNK_LARGE || ((a - HK_LARGE_HDR) & HK_SS_MASK))
        return HK_BLOCK_FOREIGN;
    hk_large *t = large_of(p), *h = head_of(a - 1);
    if (!h || h->user || (char *)t >= h->base + h->map_size || t->magic != HK_LARGE_MERGED)
        return HK_BLOCK_FOREIGN;
    b->large_size = t->map_size - HK_LARGE_HDR;
    return HK_BLOCK_FREED;
}

/* hk_block_check's large part: p is the user pointer of a live mapping, the
 * first user byte of a cached one (a second free), inside a live block, or
 * none of the large tier's. */
enum hk_block_verdict hk_large_check(const void *p, struct hk_block_info *b)
{
    uintptr_t a = (uintptr_t)p;
    *b = (struct hk_block_info){ 0 };
    if (a <= HK_LARGE_HDR)
        return HK_BLOCK_FOREIGN;
    if (hk_chunk_kind(a - 1) != HK_CHUNK_LARGE_HEAD)
        return merged_check(p, b);
    hk_large *l = large_of(p);
    if (l->magic != HK_LARGE_MAGIC)
        return HK_BLOCK_FOREIGN;
    if (l->user == p) {
        b->usable = b->large_size = l->usable;
        return HK_BLOCK_LIVE;
    }
    if (!l->user && (char *)p == (char *)l + HK_LARGE_HDR) {
        b->large_size = l->map_size - HK_LARGE_HDR;
        return HK_BLOCK_FREED;
    }
    if (l->user && (char *)p > l->user && (char *)p < l->user + l->usable) {
        b->offset = (size_t)((char *)p - l->user);
        b->large_size = l->usable;
        return HK_BLOCK_INTERIOR;
    }
    return HK_BLOCK_FOREIGN;
}

/* The live large block any byte p of its mapping lies in: its user pointer
 * and usable bytes; false for a cached mapping or a byte of none. The header is in
 * the first chunk of the mapping: the LARGE chunks before p's lead there. */
bool hk_large_block_of(const void *p, char **user, size_t *usable)
{
    hk_large *l = head_of((uintptr_t)p);
    /* the mapping may end before p's chunk does: the rest is not hakmem's */
    if (!l || !l->user || (uintptr_t)p - (uintptr_t)l->base >= l->map_size)
        return false;
    *user = l->user;
    *usable = l->usable;
    return true;
}

static hk_large *header_of(const void *p)
{
    struct hk_block_info b;
    return hk_large_check(p, &b) == HK_BLOCK_LIVE ? large_of(p) : NULL;
}

bool hk_large_owns(const void *p)
{
    return header_of(p) != NULL;
}

size_t hk_large_usable(const void *p)
{
    hk_large *l = header_of(p);
    return l ? l->usable : 0;
}

static void mark(hk_large *l, bool on)
{
    hk_chunkmap_set((uintptr_t)l->base, l->map_size, on ? HK_CHUNK_LARGE : HK_CHUNK_NONE,
                    on ? HK_CHUNK_LARGE : HK_CHUNK_NONE);
    if (on)
        hk_chunkmap_set((uintptr_t)l, 1, HK_CHUNK_LARGE_HEAD, HK_CHUNK_LARGE_HEAD);
}

/* ---- the cache (under hk_large_lock) */

static void cache_unlink(hk_large *l)
{
    if (l == cache.dirty)
        cache.dirty = l->prev; /* the next newer */
    large_list_remove(&cache.head, &cache.tail, l);
    cache.count--;
    cache.bytes -= l->map_size;
}

static void unmap(hk_large *l)
{
    char *base = l->base;
    size_t size = l->map_size;
    mark(l, false);
    l->magic = 0;
    hk_os_unmap(base, size);
    hk_event_large_unmap(base, size);
}

/* Counts a free of size bytes (already out of cache.live_bytes) into the
 * recent peak. */
static void note_free(uint64_t now, size_t size)
{
    uint64_t windows = (now - cache.window_ns) / HK_LARGE_WINDOW_NS; /* since the current began */
    if (windows > 0) {
        cache.peak = windows < 64 ? cache.peak >> windows : 0;
        cache.window_ns = now;
        cache.window_high = cache.live_bytes + size;
    }
    cache.active_ns = now;
    if (cache.live_bytes + size > cache.window_high)
        cache.window_high = cache.live_bytes + size;
    size_t fell = cache.window_high - cache.live_bytes;
    if (fell > cache.peak)
        cache.peak = fell;
}

/* The cache's bound: the recent peak of large frees (a program cycling big
 * buffers keeps what it cycles) or the bytes of the live large blocks, the
 * larger, at least HK_LARGE_CACHE_FLOOR, at most HAKMEM_LARGE_CACHE_MB. The
 * live bytes: blocks of mixed sizes leave cached pieces that fit only some
 * requests, and with less than that kept the cache unmapped what it would
 * be asked for again (large_buffers: 900 MiB unmapped in 500 allocations
 * with 20 live, a fresh page costing 12 us here). */
static size_t cache_limit(void)
{
    size_t cap = (size_t)hk_opt[HK_OPT_LARGE_CACHE_MB] << 20;
    size_t want = cache.peak > HK_LARGE_CACHE_FLOOR ? cache.peak : HK_LARGE_CACHE_FLOOR;
    if (cache.live_bytes > want)
        want = cache.live_bytes;
    return want < cap ? want : cap;
}

size_t hk_large_cache_limit(void)
{
    pthread_mutex_lock(&hk_large_lock);
    size_t n = cache_limit();
    pthread_mutex_unlock(&hk_large_lock);
    return n;
}

/* Caches l (whole: base == header, no user pointer) as the newest. */
static void cache_push(hk_large *l, uint64_t now)
{
    HK_ASSERT(l->base == (char *)l && !l->user);
    l->cached_ns = now;
    large_list_push_front(&cache.head, &cache.tail, l);
    cache.count++;
    cache.bytes += l->map_size;
    if (!cache.dirty)
        cache.dirty = l;
}

static void cache_evict(uint64_t now)
{
    size_t limit = cache_limit();
    uint64_t ttl = (uint64_t)hk_opt[HK_OPT_SS_LRU_TTL_SEC] * 1000000000ull;
    while (cache.tail && (cache.bytes > limit || cache.count > HK_LARGE_CACHE_MAX ||
                          now - cache.tail->cached_ns >= ttl)) {
        hk_large *l = cache.tail;
        cache_unlink(l);
        unmap(l);
    }
}

/* The chunks of l from offset cut (a chunk boundary) on become a cached
 * mapping of their own; their pages stay as they are, so a later request
 * reuses them without a fault. */
static void split_tail(hk_large *l, size_t cut, uint64_t now)
{
    hk_large *t = (hk_large *)(l->base + cut);
    HK_ASSERT(!((uintptr_t)t & HK_SS_MASK) && cut < l->map_size);
    *t = (hk_large){ .magic = HK_LARGE_MAGIC, .base = (char *)t, .map_size = l->map_size - cut,
                     .dirty = l->dirty > cut ? l->dirty - cut : 0 };
    if (t->dirty < hk_page_size)
        t->dirty = hk_page_size; /* its header, just written */
    l->map_size = cut;
    if (l->dirty > cut)
        l->dirty = cut;
    hk_chunkmap_set((uintptr_t)t, 1, HK_CHUNK_LARGE_HEAD, HK_CHUNK_LARGE_HEAD);
    cache_push(t, now);
}

/* Fits l to need bytes: the chunks after need's last one are cached apart
 * (split_tail); the rest of that chunk stays with the block (it ends on a
 * chunk, where its free merges it with the tail again), its pages given
 * back when they are more than a quarter of need (a small block does not
 * keep most of a chunk resident). Given back, not unmapped: a hole would
 * keep the block from merging with what follows it. */
static void cache_split(hk_large *l, size_t need, uint64_t now)
{
    size_t cut = (need + HK_SS_MASK) & ~(size_t)HK_SS_MASK;
    if (cut < l->map_size)
        split_tail(l, cut, now);
    if (l->map_size - need > need / 4 && l->dirty > need) {
        hk_os_purge(l->base + need, l->dirty - need);
        l->dirty = need;
    }
}

/* The cached mapping whose header is at chunk-aligned address a, or NULL. */
static hk_large *cached_at(uintptr_t a)
{
    if (a & HK_SS_MASK || hk_chunk_kind(a) != HK_CHUNK_LARGE_HEAD)
        return NULL;
    hk_large *t = (hk_large *)a;
    return t->magic == HK_LARGE_MAGIC && t->base == (char *)t && !t->user ? t : NULL;
}

/* The cached mapping that ends where l begins, or NULL. */
static hk_large *cached_before(const hk_large *l)
{
    hk_large *p = head_of((uintptr_t)l - 1);
    p = p ? cached_at((uintptr_t)p) : NULL;
    return p && p->base + p->map_size == (char *)l ? p : NULL;
}

/* b takes in t, the mapping right after it (neither on the cache list). */
static void join(hk_large *b, hk_large *t)
{
    HK_ASSERT(b->base + b->map_size == (char *)t);
    t->magic = HK_LARGE_MERGED; /* a second free of its block is still told apart (merged_check) */
    hk_chunkmap_set((uintptr_t)t, 1, HK_CHUNK_LARGE, HK_CHUNK_LARGE);
    b->map_size += t->map_size;
}

/* Freed mapping l (whole) merged with the cached mappings it was split
 * from, before and after it, so the cache holds them as one again. Returns
 * the merged mapping, to cache. */
static hk_large *coalesce(hk_large *l)
{
    hk_large *t = cached_at((uintptr_t)l->base + l->map_size);
    if (t) {
        cache_unlink(t);
        join(l, t);
    }
    hk_large *p = cached_before(l);
    if (p) {
        cache_unlink(p);
        join(p, l);
        l = p;
    }
    return l;
}

/* A cached mapping for need bytes, unlinked and marked taken (its user
 * pointer set, so no free merges it meanwhile): the smallest that holds them,
 * fitted to them (cache_split); else the largest, which the
 * caller grows (cache_grow). NULL when the cache is empty. */
static hk_large *cache_take(size_t need)
{
    hk_large *best = NULL, *grow = NULL;
    for (hk_large *l = cache.head; l; l = l->next) {
        if (l->map_size >= need) {
            if (!best || l->map_size < best->map_size)
                best = l;
        } else if (!grow || l->map_size > grow->map_size) {
            grow = l;
        }
    }
    hk_large *l = best ? best : grow;
    if (!l)
        return NULL;
    cache_unlink(l);
    l->user = (char *)l + HK_LARGE_HDR; /* taken: a free beside it must not merge it (cached_at) */
    if (best) {
        cache_split(l, need, hk_now_ns());
        HK_STAT_INC(large_reuse);
    }
    return l;
}

/* ---- allocation */

/* An aligned mapping of len bytes; when the kernel refuses, what the caches
 * hold goes back first (hk_trim, which takes the pool's and this tier's
 * locks: none may be held here) and the map is tried once more. */
static void *map_or_trim(size_t len, bool *trimmed)
{
    void *p = hk_os_map_aligned(len, HK_SS_SIZE, trimmed);
    if (!p && hk_trim())
        p = hk_os_map_aligned(len, HK_SS_SIZE, trimmed);
    return p;
}

/* Resizes the mapping [old, old + old_size), its header first, to new_size
 * bytes without copying: in place if the address space after it is free,
 * else, when may_move, moved onto a new aligned range. Returns its header,
 * moved with it, or NULL (the mapping left as it was) when the kernel
 * refuses or it would have to move. Takes hk_large_lock for the chunk map:
 * the caller must not hold it. */
static hk_large *resize_mapping(char *old, size_t old_size, size_t new_size, bool may_move)
{
    void *p = mremap(old, old_size, new_size, 0);
    if (p == MAP_FAILED && !may_move)
        return NULL;
    if (p == MAP_FAILED) {
        bool trimmed;
        void *dst = map_or_trim(new_size, &trimmed);
        if (!dst)
            return NULL;
        p = mremap(old, old_size, new_size, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
        if (p == MAP_FAILED) {
            hk_os_unmap(dst, new_size);
            return NULL;
        }
    }
    hk_large *nl = p;
    pthread_mutex_lock(&hk_large_lock);
    /* The old range may already hold a SuperSlab another thread mapped:
     * clear only the entries that still say large. */
    hk_chunkmap_clear_large((uintptr_t)old, old_size);
    nl->base = p;
    nl->map_size = new_size;
    mark(nl, true);
    pthread_mutex_unlock(&hk_large_lock);
    return nl;
}

/* Grows the cached (unlinked) mapping l to need bytes in place
 * (resize_mapping): only the new tail faults in, and it reads as zero. NULL
 * (l cached again) when the address space after it is taken. Never moved:
 * moving a mapping's pages is cheap on bare metal, but under a hypervisor
 * that shadows page tables it makes every page of the process fault again
 * in the host on its next touch (a 16 MiB memset ran at 0.5 GB/s instead of
 * 30 after an unrelated mremap here), which costs more than fresh pages. */
static hk_large *cache_grow(hk_large *l, size_t need)
{
    size_t dirty = l->dirty;
    hk_large *nl = resize_mapping(l->base, l->map_size, need, false);
    if (!nl) {
        pthread_mutex_lock(&hk_large_lock);
        l->user = NULL;
        cache_push(l, hk_now_ns());
        pthread_mutex_unlock(&hk_large_lock);
        return NULL;
    }
    nl->dirty = dirty;
    HK_STAT_INC(large_reuse);
    return nl;
}

/* A mapping for n bytes whose user pointer plus off is a multiple of align
 * (a power of two; off < align when align > HK_LARGE_HDR). Invariant: the
 * mapping starts at its header (base == header), so a chunk marked
 * HK_CHUNK_LARGE always follows a chunk of its own mapping. An alignment
 * above a chunk is had by over-mapping by align and unmapping the head
 * before the header's chunk and the tail after the last page of the block:
 * no address space is kept that the block cannot use. */
static hk_large *map_new(size_t n, size_t align, size_t off)
{
    size_t pad = align > HK_LARGE_HDR ? align : 0, need;
    if (__builtin_add_overflow(HK_LARGE_HDR + off + hk_page_size, n, &need) ||
        __builtin_add_overflow(need, pad, &need))
        return NULL;
    need = page_round(need - hk_page_size);
    if (!pad) /* whole chunks: the next mapping (os.c maps below the last) then adjoins it, and
               * the cache merges the two when both are free (coalesce); a chunk's pages
               * past the block are only address space until a reuse touches them */
        need = (need + HK_SS_MASK) & ~(size_t)HK_SS_MASK;
    bool trimmed;
    char *base = map_or_trim(need, &trimmed);
    if (!base)
        return NULL;
    uintptr_t user = (uintptr_t)base + HK_LARGE_HDR;
    if (align > HK_LARGE_HDR)
        user = ((user + off + align - 1) & ~(uintptr_t)(align - 1)) - off;
    hk_large *l = (hk_large *)((user - 1) & ~(uintptr_t)HK_SS_MASK);
    if (align > HK_SS_SIZE) {
        char *end = (char *)page_round(user + n + !n); /* a 0-byte block still has a page */
        if ((char *)l > base)
            hk_os_unmap(base, (size_t)((char *)l - base));
        if (end < base + need)
            hk_os_unmap(end, (size_t)(base + need - end));
        base = (char *)l;
        need = (size_t)(end - base);
    }
    HK_ASSERT(base == (char *)l);
    l->magic = HK_LARGE_MAGIC;
    l->base = base;
    l->map_size = need;
    l->user = (char *)user;
    l->usable = (size_t)(base + need - (char *)user);
    l->prev = l->next = NULL;
    hk_event_large_map(base, need);
    return l;
}

void *hk_large_malloc(size_t n, size_t align, size_t off, bool zero)
{
    if (n > (SIZE_MAX >> 2)) {
        errno = ENOMEM;
        return NULL;
    }
    hk_large *l = NULL;
    size_t need = page_round(HK_LARGE_HDR + n), dirty = 0;
    pthread_mutex_lock(&hk_large_lock);
    if (align <= 1 || (align <= HK_LARGE_HDR && !((HK_LARGE_HDR + off) & (align - 1))))
        l = cache_take(need);
    pthread_mutex_unlock(&hk_large_lock);
    if (l && l->map_size < need)
        l = cache_grow(l, need);
    if (l) {
        dirty = l->dirty;
        l->user = (char *)l + HK_LARGE_HDR;
        l->usable = l->map_size - HK_LARGE_HDR;
    }
    bool fresh = !l;
    if (!l && !(l = map_new(n, align, off))) {
        errno = ENOMEM;
        return NULL;
    }
    pthread_mutex_lock(&hk_large_lock);
    if (fresh)
        mark(l, true);
    cache.live++;
    cache.live_bytes += l->map_size;
    if (cache.live_bytes > cache.window_high)
        cache.window_high = cache.live_bytes;
    pthread_mutex_unlock(&hk_large_lock);
    l->sampled = 0;
    if (zero && dirty > HK_LARGE_HDR) /* a fresh mapping, or a reuse's purged pages, are zero */
        memset(l->user, 0, n < dirty - HK_LARGE_HDR ? n : dirty - HK_LARGE_HDR);
    return l->user;
}

void hk_large_set_sampled(void *p)
{
    large_of(p)->sampled = 1;
}

bool hk_large_sampled(const void *p)
{
    hk_large *l = header_of(p);
    return l && l->sampled;
}

/* The live large block at p, else NULL after op's report. */
static hk_large *live_or_report(const char *op, const void *p)
{
    struct hk_block_info b;
    enum hk_block_verdict v = hk_large_check(p, &b);
    if (v == HK_BLOCK_LIVE)
        return large_of(p);
    hk_block_report(v, op, p, &b);
    return NULL;
}

void hk_large_free(void *p)
{
    hk_large *l = live_or_report("free", p);
    if (!l)
        return;
    if (HK_UNLIKELY(l->sampled))
        hk_profile_freed(p, NULL);
    pthread_mutex_lock(&hk_large_lock);
    uint64_t now = hk_now_ns(); /* under the lock: cache times never go backwards */
    cache.live--;
    cache.live_bytes -= l->map_size;
    note_free(now, l->map_size);
    if (l->base == (char *)l && l->map_size <= cache_limit()) {
        l->user = NULL; /* a second free of p is refused */
        l = coalesce(l);
        l->dirty = l->map_size; /* what the program wrote is not known */
        cache_push(l, now);
    } else {
        unmap(l);
    }
    cache_evict(now);
    bool kick = cache.dirty == cache.head && cache.dirty; /* the only one to purge */
    pthread_mutex_unlock(&hk_large_lock);
    if (kick)
        hk_purge_kick(now);
}

/* Resizes the live block l's mapping to new_size bytes (resize_mapping).
 * Returns the new user pointer, or NULL when the kernel refuses. */
static void *remap(hk_large *l, size_t new_size)
{
    size_t old_size = l->map_size;
    size_t user_off = (size_t)(l->user - (char *)l); /* HK_LARGE_HDR, or more when aligned */
    hk_large *nl = resize_mapping(l->base, old_size, new_size, true);
    if (!nl)
        return NULL;
    nl->user = (char *)nl + user_off;
    nl->usable = new_size - user_off;
    pthread_mutex_lock(&hk_large_lock);
    cache.live_bytes += new_size - old_size;
    pthread_mutex_unlock(&hk_large_lock);
    HK_STAT_INC(large_remaps);
    return nl->user;
}

/* Resizes a large block in place or by moving its pages; NULL tells the
 * caller to allocate, copy and free instead. Growth is geometric (half
 * again) so a buffer grown step by step to hundreds of MiB costs a
 * logarithmic number of system calls. */
void *hk_large_realloc(void *p, size_t n)
{
    hk_large *l = live_or_report("realloc", p);
    if (!l)
        return NULL;
    if (n <= l->usable && n >= l->usable / 2)
        return p;
    if (l->base != (char *)l || n <= HK_MID_MAX || n > (SIZE_MAX >> 3))
        return NULL;
    size_t want = n > l->usable ? n + n / 2 : n;
    return remap(l, page_round((size_t)(l->user - (char *)l) + want));
}

size_t hk_large_trim(void)
{
    pthread_mutex_lock(&hk_large_lock);
    size_t n = cache.count;
    while (cache.tail) {
        hk_large *l = cache.tail;
        cache_unlink(l);
        unmap(l);
    }
    pthread_mutex_unlock(&hk_large_lock);
    return n;
}

/* The mappings cached HK_PURGE_DELAY_NS or longer, once no large block was
 * freed for as long (the program idle in the large tier), give their pages back,
 * all but the first (the header, read by cache_take); the oldest are
 * unmapped by the TTL. One madvise per hold of the lock. Returns the next
 * deadline, 0 when nothing is cached. */
uint64_t hk_large_purge(void)
{
    uint64_t ttl = (uint64_t)hk_opt[HK_OPT_SS_LRU_TTL_SEC] * 1000000000ull, next = 0;
    for (;;) {
        pthread_mutex_lock(&hk_large_lock);
        uint64_t now = hk_now_ns(); /* under the lock, as in hk_large_free */
        cache_evict(now);
        hk_large *l = cache.dirty;
        /* while large frees go on, what is cached is what they cycle: kept whole */
        uint64_t since = l && l->cached_ns < cache.active_ns ? cache.active_ns : (l ? l->cached_ns : 0);
        if (!l || now - since < HK_PURGE_DELAY_NS) {
            if (l)
                next = since + HK_PURGE_DELAY_NS;
            if (cache.tail && (!next || cache.tail->cached_ns + ttl < next))
                next = cache.tail->cached_ns + ttl;
            pthread_mutex_unlock(&hk_large_lock);
            return next;
        }
        hk_os_purge((char *)l + hk_page_size, l->map_size - hk_page_size);
        l->dirty = hk_page_size; /* the header's page; the others read as zero */
        cache.dirty = l->prev;
        pthread_mutex_unlock(&hk_large_lock);
    }
}

void hk_large_stats(struct hakmem_stats *st)
{
    pthread_mutex_lock(&hk_large_lock);
    st->large_live = cache.live;
    st->large_live_bytes = cache.live_bytes;
    st->large_cached_bytes = cache.bytes;
    pthread_mutex_unlock(&hk_large_lock);
}

/* The debug walk of the cache (hk_config_debug: thread exit, malloc_trim):
 * linked both ways, count and bytes its own, every mapping cached whole
 * (base == header, no user pointer), dirty on the list. */
void hk_large_validate(void)
{
    pthread_mutex_lock(&hk_large_lock);
    uint32_t n = 0;
    size_t bytes = 0;
    bool dirty_seen = !cache.dirty;
    hk_large *prev = NULL;
    for (hk_large *l = cache.head; l; prev = l, l = l->next) {
        HK_ASSERTF(l->prev == prev && l->magic == HK_LARGE_MAGIC && l->base == (char *)l && !l->user &&
                       hk_chunk_kind((uintptr_t)l) == HK_CHUNK_LARGE_HEAD,
                   "large cache: mapping %p (base %p, user %p)", (void *)l, (void *)l->base, (void *)l->user);
        HK_ASSERT(!prev || prev->cached_ns >= l->cached_ns);
        dirty_seen |= l == cache.dirty;
        bytes += l->map_size;
        n++;
    }
    HK_ASSERTF(n == cache.count && bytes == cache.bytes && cache.tail == prev && dirty_seen,
               "large cache: %u listed (%zu bytes), count %u (%zu bytes)", n, bytes, cache.count, cache.bytes);
    pthread_mutex_unlock(&hk_large_lock);
}
