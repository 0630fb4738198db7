/* redzone.c — HAKMEM_CHECK=2: each block gets a header and a trailing
 * canary, is pattern-filled when handed out, poisoned and quarantined when
 * freed; large blocks end at a guard page; zero-size blocks trap. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "heapcheck.h"
#include "segment.h"

#define RZ_HDR 48            /* header before the user pointer */
#define RZ_TAIL 16           /* at least this many canary bytes after it */
#define RZ_LIVE 0x4c4956455a52ull   /* xor'ed with the user pointer */
#define RZ_FREED 0x4652454544525aull
#define RZ_CANARY 0xcb
#define RZ_POISON 0xdd
#define RZ_FRESH 0xaa
#define RZ_QUARANTINE 1024        /* blocks whose reuse is delayed */
#define RZ_QUARANTINE_BYTES (16u << 20)

/* Just before the user pointer. offset: user - start of the underlying
 * block; size: what the program asked for. */
struct rz_hdr {
    uint64_t magic;
    uint64_t size;
    uint32_t offset;
    uint16_t guarded;  /* large: a PROT_NONE page follows the user bytes */
    uint16_t api;      /* enum hk_api: the allocator family it came from */
    uint32_t alloc_stack, free_stack; /* with HAKMEM_TRACE_STACKS=1 (stack.c) */
    uint64_t pad;
    uint64_t canary;   /* RZ_HEAD_CANARY: catches writes just before the block */
};
#define RZ_HEAD_CANARY 0xcbcbcbcbcbcbcbcbull
_Static_assert(sizeof(struct rz_hdr) == RZ_HDR, "header size");

/* At the underlying block's start when the header is not (an alignment
 * above 16, a large block placed against its guard page): where the user
 * pointer is, so that any byte of the block leads to its header. */
struct rz_loc {
    uint64_t magic;    /* RZ_LOC ^ the block's address */
    uint64_t offset;   /* user - block */
};
#define RZ_LOC 0x4c4f43415445ull

bool hk_debug;

static struct {
    pthread_mutex_t lock;
    struct { char *user; } ring[RZ_QUARANTINE];
    uint32_t head, count;
    size_t bytes;
    char *zero_base;      /* PROT_NONE region for malloc(0) */
    uint32_t zero_next;
} rz = { .lock = PTHREAD_MUTEX_INITIALIZER };

void hk_rz_init(void)
{
    hk_debug = hk_check_level >= 2;
}

void hk_rz_atfork_prepare(void)
{
    pthread_mutex_lock(&rz.lock);
}

void hk_rz_atfork_release(void)
{
    pthread_mutex_unlock(&rz.lock);
}

static struct rz_hdr *hdr_of(const void *user)
{
    return (struct rz_hdr *)((char *)user - RZ_HDR);
}

/* ---- zero-size blocks: distinct addresses in a PROT_NONE chunk */

static void *zero_block(void)
{
    pthread_mutex_lock(&rz.lock);
    if (!rz.zero_base) {
        bool trimmed;
        char *p = hk_os_map_aligned(HK_SS_SIZE, HK_SS_SIZE, &trimmed);
        if (p && mprotect(p, HK_SS_SIZE, PROT_NONE) == 0) {
            hk_chunkmap_set((uintptr_t)p, HK_SS_SIZE, HK_CHUNK_ZERO, HK_CHUNK_ZERO);
            rz.zero_base = p;
        }
    }
    void *r = rz.zero_base ? rz.zero_base + 16 * (rz.zero_next++ % (HK_SS_SIZE / 16)) : NULL;
    pthread_mutex_unlock(&rz.lock);
    if (!r)
        errno = ENOMEM;
    return r;
}

/* ---- the underlying blocks */

static size_t page(void)
{
    return hk_page_size;
}

/* The PROT_NONE page after the user bytes of a guarded block. */
static char *guard_of(uintptr_t user, size_t n)
{
    return (char *)((user + n + page() - 1) & ~(uintptr_t)(page() - 1));
}

/* Large: the user bytes end right before a PROT_NONE page. An alignment up
 * to a page is had by rounding down from that page; a larger one comes from
 * the large tier, which places the block so that the user pointer right
 * after the header is aligned (over-allocating by the alignment instead
 * would cost as much address space, and rounding down could leave the
 * header below the block). The header may then lie in the chunk below the
 * user pointer's: live() accepts that inside a large mapping. */
static char *large_guarded(size_t n, size_t align, size_t *user_off)
{
    char *b;
    uintptr_t user;
    if (align > page()) {
        if (!(b = hk_large_malloc(RZ_HDR + n + 2 * page(), align, RZ_HDR, false)))
            return NULL;
        user = (uintptr_t)b + RZ_HDR;
    } else {
        if (!(b = hk_large_malloc(n + RZ_HDR + RZ_TAIL + align + 2 * page(), 0, 0, false)))
            return NULL;
        uintptr_t end = ((uintptr_t)b + hk_large_usable(b)) & ~(uintptr_t)(page() - 1);
        user = (end - page() - n) & ~(uintptr_t)(align - 1);
    }
    HK_ASSERT(user - RZ_HDR >= (uintptr_t)b && guard_of(user, n) + page() <= b + hk_large_usable(b));
    mprotect(guard_of(user, n), page(), PROT_NONE);
    *user_off = (size_t)((char *)user - b);
    return b;
}

static void unguard(const struct rz_hdr *h, char *user)
{
    mprotect(guard_of((uintptr_t)user, h->size), page(), PROT_READ | PROT_WRITE);
}

void *hk_rz_malloc(size_t n, size_t align, bool zero)
{
    void *g;
    if (hk_guard_all && (g = hk_guard_malloc(n, align, zero, HK_API_MALLOC)))
        return g; /* level 3; out of guard slots, level 2 */
    if (n == 0)
        return zero_block();
    if (align < 16)
        align = 16;
    if (n > (SIZE_MAX >> 2)) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = n + RZ_HDR + RZ_TAIL + (align > 16 ? align : 0), off;
    char *block, *user;
    bool guarded = need > HK_MID_MAX;
    if (guarded) {
        if (!(block = large_guarded(n, align, &off)))
            return NULL;
        user = block + off;
    } else {
        if (!(block = hk_plain_malloc(need)))
            return NULL;
        user = (char *)(((uintptr_t)block + RZ_HDR + align - 1) & ~(uintptr_t)(align - 1));
    }
    if (user != block + RZ_HDR) /* room for it: user - block is a multiple of 16 */
        *(struct rz_loc *)block = (struct rz_loc){ RZ_LOC ^ (uintptr_t)block, (uint64_t)(user - block) };
    struct rz_hdr *h = hdr_of(user);
    h->magic = RZ_LIVE ^ (uintptr_t)user;
    h->size = n;
    h->offset = (uint32_t)(user - block);
    h->guarded = guarded;
    h->api = HK_API_MALLOC;
    h->alloc_stack = hk_stack_here();
    h->free_stack = 0;
    h->canary = RZ_HEAD_CANARY;
    memset(user, zero ? 0 : RZ_FRESH, n);
    size_t end = guarded ? (size_t)(guard_of((uintptr_t)user, n) - user) : hk_plain_usable(block) - h->offset;
    memset(user + n, RZ_CANARY, end - n);
    return user;
}

/* ---- the block a byte lies in (the checked copies, copycheck.c) */

/* The underlying block byte p lies in, and its bytes; NULL for none. */
static char *block_of(const void *p, size_t *len)
{
    unsigned kind = hk_chunk_kind((uintptr_t)p);
    if (kind == HK_CHUNK_SS) {
        hk_slab *s = hk_slab_of(p);
        if (!hk_slab_formatted(s))
            return NULL;
        uint32_t i = hk_block_index(s, (uintptr_t)p & (HK_SLAB_SIZE - 1));
        if (i >= s->carved)
            return NULL;
        *len = hk_class_size[s->cls];
        return hk_slab_base(s) + (size_t)i * *len;
    }
    char *user;
    if ((kind == HK_CHUNK_LARGE_HEAD || kind == HK_CHUNK_LARGE) && hk_large_block_of(p, &user, len))
        return user;
    return NULL;
}

/* The header of the level-2 block whose user pointer is user, if sound. */
static struct rz_hdr *sound_hdr(char *user, bool *freed)
{
    struct rz_hdr *h = hdr_of(user);
    *freed = h->magic == (RZ_FREED ^ (uintptr_t)user);
    return *freed || h->magic == (RZ_LIVE ^ (uintptr_t)user) ? h : NULL;
}

bool hk_rz_span(const void *p, struct hk_span *sp)
{
    size_t len;
    bool freed;
    if (hk_chunk_kind((uintptr_t)p) == HK_CHUNK_GUARD)
        return hk_guard_span(p, sp);
    if (hk_chunk_kind((uintptr_t)p) == HK_CHUNK_ZERO) {
        *sp = (struct hk_span){ .start = (uintptr_t)p & ~(uintptr_t)15 };
        return true;
    }
    char *block = block_of(p, &len), *user;
    if (!block)
        return false;
    const struct rz_loc *loc = (const struct rz_loc *)block;
    struct rz_hdr *h = sound_hdr(user = block + RZ_HDR, &freed);
    if (!h && loc->magic == (RZ_LOC ^ (uintptr_t)block) && loc->offset < len)
        h = sound_hdr(user = block + loc->offset, &freed);
    if (!h) /* a plain block, handed out before start-up finished */
        *sp = (struct hk_span){ .start = (uintptr_t)block, .size = len };
    else
        *sp = (struct hk_span){ .start = (uintptr_t)user, .size = h->size, .freed = freed,
                                .alloc_stack = h->alloc_stack, .free_stack = h->free_stack };
    return true;
}

/* ---- checks of a block being freed */

static size_t tail_end(const struct rz_hdr *h, char *user, char *block)
{
    if (h->guarded)
        return (size_t)(guard_of((uintptr_t)user, h->size) - user);
    return hk_plain_usable(block) - h->offset;
}

/* The first byte in [p, p+n) that is not c, or n. */
static size_t first_not(const unsigned char *p, size_t n, unsigned char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return i;
    return n;
}

static void report_rz(enum hk_error_kind kind, const char *op, const void *user, size_t detail_off,
                      size_t size)
{
    struct hk_heap_error e = { .kind = kind, .op = op, .ptr = user, .detail_off = detail_off,
                               .large_size = size, .rz = true };
    if (size) { /* a sound header: the block's stacks */
        e.alloc_stack = hdr_of(user)->alloc_stack;
        e.free_stack = hdr_of(user)->free_stack;
    }
    hk_heap_error(&e);
}

/* Writes after free found in a block leaving the quarantine. */
static void check_poison(char *user)
{
    struct rz_hdr *h = hdr_of(user);
    size_t at = first_not((unsigned char *)user, h->size, RZ_POISON);
    if (at < h->size)
        report_rz(HK_ERR_USE_AFTER_FREE, "free", user, at, h->size);
}

static void release(char *user)
{
    struct rz_hdr *h = hdr_of(user);
    char *block = user - h->offset;
    check_poison(user);
    h->magic = 0;
    if (h->guarded)
        unguard(h, user);
    hk_plain_free(block);
}

/* Delays the reuse of a freed block; the oldest leaves when full. */
static void quarantine(char *user, size_t size)
{
    char *out = NULL;
    pthread_mutex_lock(&rz.lock);
    if (rz.count == RZ_QUARANTINE || rz.bytes + size > RZ_QUARANTINE_BYTES) {
        uint32_t i = (rz.head + RZ_QUARANTINE - rz.count) % RZ_QUARANTINE;
        if (rz.count) {
            out = rz.ring[i].user;
            rz.bytes -= hdr_of(out)->size;
            rz.count--;
        }
    }
    rz.ring[rz.head].user = user;
    rz.head = (rz.head + 1) % RZ_QUARANTINE;
    rz.count++;
    rz.bytes += size;
    pthread_mutex_unlock(&rz.lock);
    if (out)
        release(out);
}

/* True when p is a live level-2 block (reported otherwise). */
static bool live(const char *op, void *p)
{
    unsigned kind = hk_chunk_kind((uintptr_t)p);
    if (kind != HK_CHUNK_SS && kind != HK_CHUNK_LARGE_HEAD && kind != HK_CHUNK_LARGE) {
        hk_report(HK_ERR_INVALID_FREE, op, p, NULL, 0, 0);
        return false;
    }
    /* A header across a chunk boundary is readable only when p's chunk
     * continues a large mapping (large.c: every LARGE chunk follows one of
     * its own mapping); at a SuperSlab's or a mapping's start it is not. */
    if (((uintptr_t)p & 15) || ((uintptr_t)p % HK_SS_SIZE < RZ_HDR && kind != HK_CHUNK_LARGE)) {
        hk_report(HK_ERR_INVALID_FREE, op, p, NULL, 0, 0);
        return false;
    }
    struct rz_hdr *h = hdr_of(p);
    if (h->magic == (RZ_FREED ^ (uintptr_t)p)) {
        report_rz(HK_ERR_DOUBLE_FREE, op, p, 0, h->size);
        return false;
    }
    if (h->magic != (RZ_LIVE ^ (uintptr_t)p)) {
        report_rz(HK_ERR_UNDERFLOW, op, p, 0, 0);
        return false;
    }
    if (h->canary != RZ_HEAD_CANARY) { /* the block itself is sound: free it after the report */
        report_rz(HK_ERR_UNDERFLOW, op, p, 0, 0);
        h->canary = RZ_HEAD_CANARY;
    }
    return true;
}

static const char *const api_names[] = { [HK_API_MALLOC] = "malloc", [HK_API_NEW] = "operator new",
                                          [HK_API_NEW_ARRAY] = "operator new[]" };

const char *hk_api_name(unsigned api)
{
    return api < sizeof api_names / sizeof api_names[0] ? api_names[api] : "?";
}

/* The C++ operators tag what they hand out (cxx.c). */
void hk_rz_set_api(void *p, unsigned api)
{
    if (p && hk_chunk_kind((uintptr_t)p) == HK_CHUNK_GUARD)
        hk_guard_set_api(p, api);
    else if (p && hk_chunk_kind((uintptr_t)p) != HK_CHUNK_ZERO && !hk_plain_is_block(p))
        hdr_of(p)->api = (uint16_t)api;
}

/* A live block freed or reallocated by another family than the one that
 * allocated it (free of a new[] block, delete of a malloc block): reported;
 * the block is then freed all the same. */
static void check_api(const char *op, void *p, unsigned api)
{
    struct rz_hdr *h = hdr_of(p);
    if (h->api == api)
        return;
    struct hk_heap_error e = { .kind = HK_ERR_MISMATCH, .op = op, .ptr = p, .large_size = h->size,
                               .rz = true, .api = h->api, .alloc_stack = h->alloc_stack };
    hk_heap_error(&e);
}

/* Frees a level-2 block: blocks handed out before start-up finished
 * (plain ones, at a block boundary) go the plain way. op and api: the
 * deallocator and the family it belongs to. */
void hk_rz_free_api(void *p, unsigned api, const char *op)
{
    if (!p || hk_chunk_kind((uintptr_t)p) == HK_CHUNK_ZERO)
        return;
    if (hk_chunk_kind((uintptr_t)p) == HK_CHUNK_GUARD) {
        hk_guard_free(p, api, op);
        return;
    }
    if (hk_plain_is_block(p)) {
        hk_plain_free(p);
        return;
    }
    if (!live(op, p))
        return;
    check_api(op, p, api);
    struct rz_hdr *h = hdr_of(p);
    char *user = p, *block = user - h->offset;
    size_t end = tail_end(h, user, block);
    size_t at = first_not((unsigned char *)user + h->size, end - h->size, RZ_CANARY);
    if (at < end - h->size)
        report_rz(HK_ERR_OVERFLOW, op, p, at, h->size);
    h->magic = RZ_FREED ^ (uintptr_t)p;
    h->free_stack = hk_stack_here();
    memset(user, RZ_POISON, h->size);
    quarantine(user, h->size);
}

void hk_rz_free(void *p)
{
    hk_rz_free_api(p, HK_API_MALLOC, "free");
}

size_t hk_rz_usable(void *p)
{
    size_t n;
    if (!p || hk_chunk_kind((uintptr_t)p) == HK_CHUNK_ZERO)
        return 0;
    if (hk_chunk_kind((uintptr_t)p) == HK_CHUNK_GUARD)
        return hk_guard_live(p, &n) ? n : 0;
    if (hk_plain_is_block(p))
        return hk_plain_usable(p);
    struct rz_hdr *h = hdr_of(p);
    return h->magic == (RZ_LIVE ^ (uintptr_t)p) ? h->size : 0;
}

void *hk_rz_realloc(void *p, size_t n)
{
    if (!p)
        return hk_rz_malloc(n, 0, false);
    if (n == 0) {
        hk_rz_free(p);
        return NULL;
    }
    size_t old;
    if (hk_chunk_kind((uintptr_t)p) == HK_CHUNK_GUARD) {
        if (!hk_guard_live(p, &old)) {
            hk_guard_free(p, HK_API_MALLOC, "realloc"); /* not live: reports only */
            errno = EINVAL;
            return NULL;
        }
    } else if (hk_chunk_kind((uintptr_t)p) == HK_CHUNK_ZERO)
        old = 0;
    else if (hk_plain_is_block(p))
        old = hk_plain_usable(p);
    else if (live("realloc", p)) {
        check_api("realloc", p, HK_API_MALLOC);
        old = hdr_of(p)->size;
    }
    else {
        errno = EINVAL;
        return NULL;
    }
    void *q = hk_rz_malloc(n, 0, false);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    hk_rz_free(p);
    return q;
}
