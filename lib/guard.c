/* guard.c — guard pages (HAKMEM_CHECK=3, and the few slots of sampled guards):
 * blocks placed against a PROT_NONE page, freed ones PROT_NONE in a FIFO
 * quarantine of address space, and the report of a fault in either (the
 * SIGSEGV handler is segv.c's). */
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "heapcheck.h"

/* The region: reserved at start-up, carved into slots from its start. A
 * slot is its data pages and one guard page, after them (over) or before
 * (HAKMEM_GUARD=under); a malloc(0) slot is its guard page alone. Each
 * page's entry in the slot table names its slot's first page, so any
 * address of the region leads to a block in one lookup.
 *
 * Pages are closed (any access traps) by guard markers where the kernel has
 * them (MADV_GUARD_INSTALL, Linux 6.13): a page-table entry, no VMA split,
 * the memory dropped, about 1 us a call here against 5 to 27 us for
 * mprotect, whose splits also count against vm.max_map_count. The region is
 * then read-write, each guard page closed as its slot is carved. Elsewhere
 * the region is PROT_NONE and mprotect opens and closes data pages. */
#define GUARD_REGION ((size_t)16 << 30)
#define GUARD_CANARY 0xcb
#define GUARD_SLACK 256  /* canary bytes at most on either side of a block */
#define GUARD_FRAMES 32  /* sampled guards: frames kept per stack */
#define GUARD_LISTS 1025 /* free slots by data pages, 0..1024 (4 MiB) */

enum slot_state { SLOT_LIVE = 1, SLOT_FREED, SLOT_FREE };

struct slot {
    uint32_t head;       /* every page of a slot: its first page's index + 1; 0: none */
    uint32_t pages;      /* the first page: data pages */
    uint64_t size;       /* the bytes the program asked for */
    uint32_t user_off;   /* user pointer - slot start */
    uint32_t next;       /* free list: the next slot's first page + 1 */
    uint32_t alloc_stack, free_stack;
    uint8_t state, api;
    uint8_t resident;    /* the first page: its data pages may hold memory (closed by mprotect) */
    uint8_t closed;      /* the first page: its data pages are closed */
};

/* Sampled guards keep each slot's allocation and free stacks here (level 3
 * interns them with HAKMEM_TRACE_STACKS=1 instead): raw frames, innermost
 * first, hakmem's own included (the report skips them). */
struct slot_frames {
    void *ip[2][GUARD_FRAMES];
    uint8_t n[2];
};

bool hk_guard_all;

static struct {
    pthread_mutex_t lock;
    char *base;          /* the region */
    size_t region;       /* its bytes */
    struct slot *slot;   /* one per page of the region */
    struct slot_frames *frames; /* sampled guards: one per page of the region */
    size_t npages, bump; /* pages, and the first never carved */
    size_t live, max_live, max_slots; /* live slots; most live, most live or quarantined (0: any) */
    bool under;
    bool markers;        /* pages closed by guard markers, not PROT_NONE */
    uint32_t free_head[GUARD_LISTS];
    uint32_t *ring;      /* the quarantine: first pages of freed slots, FIFO */
    size_t ring_cap, ring_head, ring_count, ring_bytes, ring_max_bytes;
    size_t kept;         /* bytes of resident data pages of slots on the free lists */
    bool warned;
} g = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t page(void)
{
    return hk_page_size;
}

static char *page_addr(size_t i)
{
    return g.base + i * page();
}

/* The data pages of slot i (k of them), and its guard page. */
static char *data_of(size_t i)
{
    return page_addr(i + (g.under ? 1 : 0));
}

static char *guard_page_of(size_t i, const struct slot *s)
{
    return page_addr(g.under ? i : i + s->pages);
}

#ifndef MADV_GUARD_INSTALL /* Linux 6.13; glibc 2.36's headers lack them */
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif

/* Pages [p, p + len) made to trap on any access, or accessible again
 * (zero-filled under markers, their old bytes under mprotect): 0, or -1. */
static int close_pages(char *p, size_t len)
{
    return g.markers ? madvise(p, len, MADV_GUARD_INSTALL) : mprotect(p, len, PROT_NONE);
}

static int open_pages(char *p, size_t len)
{
    return g.markers ? madvise(p, len, MADV_GUARD_REMOVE) : mprotect(p, len, PROT_READ | PROT_WRITE);
}

void hk_guard_atfork_prepare(void)
{
    pthread_mutex_lock(&g.lock);
}

void hk_guard_atfork_release(void)
{
    pthread_mutex_unlock(&g.lock);
}

/* ---- start-up */

/* len bytes of address space, PROT_NONE (prot 0) or read-write, charged to
 * no commit limit, aligned to a chunk; NULL when the kernel refuses. */
static char *reserve_space(size_t len, int prot)
{
    /* a page short of a chunk more: enough to align, and no mapping of a
     * SuperSlab's sizes (2 or 4 MiB), which tests count in strace output */
    size_t total = len + HK_SS_SIZE - page();
    char *raw = mmap(NULL, total, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + HK_SS_SIZE - 1) & ~(uintptr_t)HK_SS_MASK);
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + total > p + len)
        munmap(p + len, (size_t)(raw + total - (p + len)));
    return p;
}

static size_t round_page(size_t n)
{
    return (n + page() - 1) & ~(page() - 1);
}

/* The region of region bytes, its slot table and a quarantine of at most
 * ring_cap slots and qbytes; sampled: with stacks per slot. */
static bool reserve(size_t region, size_t ring_cap, size_t qbytes, bool sampled)
{
    size_t npages = region / page();
    g.ring_cap = ring_cap;
    /* page 0 guards the first slot from below (over), as each guard does
     * the next: closed by a marker, else the region is PROT_NONE (also when
     * the kernel will not reserve it read-write: vm.overcommit_memory=2) */
    char *r = reserve_space(region, PROT_READ | PROT_WRITE);
    g.markers = r && madvise(r, page(), MADV_GUARD_INSTALL) == 0;
    if (r && !g.markers)
        munmap(r, region), r = NULL;
    if (!r)
        r = reserve_space(region, PROT_NONE);
    g.slot = (struct slot *)reserve_space(round_page(npages * sizeof(struct slot)), PROT_READ | PROT_WRITE);
    g.ring = hk_os_map(round_page(g.ring_cap * sizeof *g.ring));
    if (sampled)
        g.frames = hk_os_map(round_page(npages * sizeof *g.frames));
    if (!r || !g.slot || !g.ring || (sampled && !g.frames))
        return false;
    g.ring_max_bytes = qbytes;
    g.base = r;
    g.region = region;
    g.npages = npages;
    g.bump = 1;
    g.under = hk_opt[HK_OPT_GUARD] == HK_GUARD_UNDER;
    hk_chunkmap_set((uintptr_t)r, region, HK_CHUNK_GUARD, HK_CHUNK_GUARD);
    return true;
}

static size_t pages_for(size_t n, size_t align);

void hk_guard_init(void)
{
    if (hk_check_level == 1 && hk_opt[HK_OPT_GUARD_SAMPLE]) {
        /* sampled guards: HK_GUARD_SAMPLE_SLOTS slots, at most half of them
         * live, so the most recently freed blocks stay inaccessible; the
         * oldest freed one is reused first */
        size_t largest = (size_t)hk_opt[HK_OPT_GUARD_SAMPLE_MAX];
        size_t region = HK_GUARD_SAMPLE_SLOTS * (pages_for(largest, 16) + 1) * page() + page();
        if (!reserve((region + HK_SS_MASK) & ~(size_t)HK_SS_MASK, HK_GUARD_SAMPLE_SLOTS, SIZE_MAX, true))
            return;
        g.max_slots = HK_GUARD_SAMPLE_SLOTS;
        g.max_live = HK_GUARD_SAMPLE_SLOTS / 2;
        hk_segv_install();
        hk_guard_sample_init();
        return;
    }
    if (hk_check_level < 3)
        return;
    size_t qbytes = (size_t)hk_opt[HK_OPT_GUARD_QUARANTINE_MB] << 20;
    if (!reserve(GUARD_REGION, qbytes / (2 * page()) + 1, qbytes, false)) {
        hk_log("hakmem: HAKMEM_CHECK=3: could not reserve %zu GiB for guard pages; using level 2\n",
               GUARD_REGION >> 30);
        return;
    }
    hk_guard_all = true;
    hk_segv_install();
}

/* ---- slots (under g.lock) */

/* Data pages for n bytes at alignment align: placed against the page's end,
 * a block of up to a page's alignment starts roundup(n, align) before it. */
static size_t pages_for(size_t n, size_t align)
{
    if (n == 0)
        return 0;
    size_t span = align <= page() ? (n + align - 1) & ~(align - 1) : n + align - 1;
    return (span + page() - 1) / page();
}

static void recycle_oldest(void);

/* A free slot of k data pages, from its list or never carved: its first
 * page, or -1. */
static long fresh_slot(size_t k)
{
    size_t i;
    if (k < GUARD_LISTS && g.free_head[k]) {
        i = g.free_head[k] - 1;
        g.free_head[k] = g.slot[i].next;
        if (g.slot[i].resident)
            g.kept -= k * page();
        return (long)i;
    }
    if (g.bump + k + 1 > g.npages)
        return -1;
    i = g.bump;
    struct slot *s = &g.slot[i];
    s->pages = (uint32_t)k;
    s->closed = !g.markers; /* PROT_NONE from the start, else open */
    /* under markers the region is open: close the guard page, and (under)
     * the page after the data, the next slot's guard, as PROT_NONE would be */
    if (g.markers && (close_pages(guard_page_of(i, s), page()) != 0 ||
                      (g.under && i + k + 1 < g.npages && close_pages(page_addr(i + k + 1), page()) != 0)))
        return -1; /* out of memory for page tables */
    g.bump += k + 1;
    for (size_t j = 0; j <= k; j++)
        g.slot[i + j].head = (uint32_t)i + 1;
    return (long)i;
}

#define REOPEN_BATCH 16 /* slots reopened by one system call under markers */
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#define PIDFD_SELF_PROCESS (-10000) /* Linux 6.15's PIDFD_SELF */

/* Slot i's k data pages opened; under markers with the closed slots next on
 * its free list, up to REOPEN_BATCH in one process_madvise (those have left
 * the quarantine: opening them early loses no check). 0, or -1. */
static int reopen(size_t i, size_t k)
{
    struct iovec v[REOPEN_BATCH];
    uint32_t at[REOPEN_BATCH];
    size_t n = 0;
    v[n].iov_base = data_of(i), v[n].iov_len = k * page(), at[n++] = (uint32_t)i;
    for (uint32_t j = k < GUARD_LISTS && g.markers ? g.free_head[k] : 0; j && n < REOPEN_BATCH; j = g.slot[j - 1].next)
        if (g.slot[j - 1].closed)
            v[n].iov_base = data_of(j - 1), v[n].iov_len = k * page(), at[n++] = j - 1;
    if (n > 1 && syscall(SYS_process_madvise, PIDFD_SELF_PROCESS, v, n, MADV_GUARD_REMOVE, 0) ==
                     (long)(n * k * page())) {
        for (size_t m = 0; m < n; m++)
            g.slot[at[m]].closed = 0;
        return 0;
    }
    return open_pages(data_of(i), k * page());
}

/* A slot of k data pages, PROT_READ|WRITE: its first page, or -1. Out of
 * slots, the quarantine gives its oldest back first. */
static long take_slot(size_t k)
{
    if (g.max_slots && g.live >= g.max_live)
        return -1;
    while (g.max_slots && g.live + g.ring_count >= g.max_slots && g.ring_count)
        recycle_oldest();
    long got;
    while ((got = fresh_slot(k)) < 0 && g.ring_count)
        recycle_oldest();
    if (got < 0)
        return -1;
    size_t i = (size_t)got;
    if (k && g.slot[i].closed && reopen(i, k) != 0) {
        /* out of mappings (vm.max_map_count): back on its list */
        if (k < GUARD_LISTS) {
            g.slot[i].next = g.free_head[k];
            g.free_head[k] = (uint32_t)i + 1;
        }
        return -1;
    }
    g.slot[i].closed = 0;
    g.live++;
    return (long)i;
}

/* The oldest slot of the quarantine goes back to its free list, its memory
 * kept for the next block of its size (no page fault then) while the free
 * lists keep less than the quarantine's bound, else back to the kernel. */
static void recycle_oldest(void)
{
    size_t at = (g.ring_head + g.ring_cap - g.ring_count) % g.ring_cap;
    uint32_t i = g.ring[at];
    struct slot *s = &g.slot[i];
    size_t data = (size_t)s->pages * page();
    g.ring_count--;
    g.ring_bytes -= data + page();
    s->state = SLOT_FREE;
    if (s->resident && (s->pages >= GUARD_LISTS || g.kept + data > g.ring_max_bytes)) {
        madvise(data_of(i), data, MADV_DONTNEED);
        s->resident = 0;
    }
    if (s->resident)
        g.kept += data;
    if (s->pages < GUARD_LISTS) {
        s->next = g.free_head[s->pages];
        g.free_head[s->pages] = i + 1;
    }
}

static void quarantine(uint32_t i)
{
    size_t bytes = (size_t)(g.slot[i].pages + 1) * page();
    while (g.ring_count && (g.ring_count == g.ring_cap || g.ring_bytes + bytes > g.ring_max_bytes))
        recycle_oldest();
    g.ring[g.ring_head] = i;
    g.ring_head = (g.ring_head + 1) % g.ring_cap;
    g.ring_count++;
    g.ring_bytes += bytes;
}

/* ---- the block in a slot */

/* The user pointer of an n-byte block aligned to align in slot i of k data
 * pages: against the guard page (over), or at the data's start (under). */
static char *place(size_t i, size_t k, size_t n, size_t align)
{
    char *d = data_of(i);
    if (k == 0)
        return guard_page_of(i, &g.slot[i]);
    if (g.under)
        return (char *)(((uintptr_t)d + align - 1) & ~(uintptr_t)(align - 1));
    return (char *)(((uintptr_t)d + k * page() - n) & ~(uintptr_t)(align - 1));
}

/* The slack of slot i's data pages around its block that canaries fill: from
 * the block's end to the data's end, and before it within its first page;
 * of each, the GUARD_SLACK bytes nearest the block (the far side from the
 * guard page is where a slot's slack can reach a page, and filling and
 * checking all of it would cost a sampled guard most of its time). */
static void slack_of(size_t i, const struct slot *s, char **lo, size_t *nlo, char **hi, size_t *nhi)
{
    char *d = data_of(i), *user = page_addr(i) + s->user_off, *end = d + (size_t)s->pages * page();
    char *from = (char *)((uintptr_t)user & ~(uintptr_t)(page() - 1));
    if (from < d)
        from = d;
    if (from + GUARD_SLACK < user)
        from = user - GUARD_SLACK;
    *lo = from;
    *nlo = s->pages ? (size_t)(user - from) : 0;
    *hi = user + s->size;
    *nhi = s->pages ? (size_t)(end - *hi) : 0;
    if (*nhi > GUARD_SLACK)
        *nhi = GUARD_SLACK;
}

/* Sampled guards: the calling stack as slot i's allocation (which 0) or
 * free (1) stack. */
static void keep_stack(size_t i, int which)
{
    if (!g.frames)
        return;
    struct slot_frames *f = &g.frames[i];
    f->n[which] = 0;
    f->n[which] = (uint8_t)hk_stack_capture_light(f->ip[which], GUARD_FRAMES);
}

/* The stacks of slot i into e's (kept frames; none at level 3). */
static void frames_of(size_t i, void *const **alloc_ip, uint8_t *alloc_n, void *const **free_ip,
                      uint8_t *free_n)
{
    const struct slot_frames *f = g.frames ? &g.frames[i] : NULL;
    *alloc_ip = f ? f->ip[0] : NULL;
    *alloc_n = f ? f->n[0] : 0;
    *free_ip = f ? f->ip[1] : NULL;
    *free_n = f && g.slot[i].state == SLOT_FREED ? f->n[1] : 0;
}

void *hk_guard_malloc(size_t n, size_t align, bool zero, unsigned api)
{
    if (align < 16)
        align = 16;
    if (!g.base || n > g.region / 2)
        return NULL;
    size_t k = pages_for(n, align);
    hk_segv_thread_start(); /* a thread whose blocks are all guarded has no heap */
    pthread_mutex_lock(&g.lock);
    long i = take_slot(k);
    if (i < 0) {
        bool warn = !g.warned && hk_guard_all; /* sampled guards: this one is not sampled */
        g.warned = true;
        pthread_mutex_unlock(&g.lock);
        if (warn)
            hk_log("hakmem: HAKMEM_CHECK=3: out of guard slots (region or vm.max_map_count); "
                   "further blocks get level 2's checks\n");
        return NULL;
    }
    struct slot *s = &g.slot[i];
    char *user = place((size_t)i, k, n, align);
    s->size = n;
    s->user_off = (uint32_t)(user - page_addr((size_t)i));
    s->state = SLOT_LIVE;
    s->api = (uint8_t)api;
    s->free_stack = 0;
    pthread_mutex_unlock(&g.lock);
    s->alloc_stack = hk_stack_here();
    keep_stack((size_t)i, 0);
    char *lo, *hi;
    size_t nlo, nhi;
    slack_of((size_t)i, s, &lo, &nlo, &hi, &nhi);
    memset(lo, GUARD_CANARY, nlo);
    memset(hi, GUARD_CANARY, nhi);
    if (zero)
        memset(user, 0, n); /* a reused slot keeps its last block's bytes */
    return user;
}

/* The slot p is the user pointer of, or -1. */
static long slot_of_user(const void *p)
{
    uintptr_t a = (uintptr_t)p - (uintptr_t)g.base;
    if (!g.base || a >= g.region)
        return -1;
    size_t j = a / page();
    /* a malloc(0) pointer is its guard page's first byte: in its own slot */
    uint32_t h = g.slot[j].head;
    if (!h)
        return -1;
    size_t i = h - 1;
    return page_addr(i) + g.slot[i].user_off == p ? (long)i : -1;
}

static void report_slot(enum hk_error_kind kind, const char *op, const void *p, const struct slot *s,
                        size_t detail)
{
    struct hk_heap_error e = { .kind = kind, .op = op, .ptr = p, .detail_off = detail, .large_size = s->size,
                               .rz = true, .api = s->api, .alloc_stack = s->alloc_stack,
                               .free_stack = s->free_stack };
    frames_of((size_t)(s - g.slot), &e.alloc_ip, &e.alloc_n, &e.free_ip, &e.free_n);
    hk_heap_error(&e);
}

/* Whether [p, p+n), n <= GUARD_SLACK, holds canaries only: libc's memcmp. */
static bool all_canary(const char *p, size_t n)
{
    static const char canaries[GUARD_SLACK] = { [0 ... GUARD_SLACK - 1] = (char)GUARD_CANARY };
    return memcmp(p, canaries, n) == 0;
}

/* The first byte in [p, p+n) that is not c, or n. */
static size_t first_not(const unsigned char *p, size_t n, unsigned char c)
{
    if (all_canary((const char *)p, n))
        return n;
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return i;
    return n;
}

static void check_slack(size_t i, const struct slot *s, const char *op, const char *user)
{
    char *lo, *hi;
    size_t nlo, nhi;
    slack_of(i, s, &lo, &nlo, &hi, &nhi);
    size_t at = first_not((unsigned char *)hi, nhi, GUARD_CANARY);
    if (at < nhi)
        report_slot(HK_ERR_OVERFLOW, op, hi + at, s, at);
    for (size_t b = all_canary(lo, nlo) ? 0 : nlo; b > 0; b--) /* the nearest byte before the block first */
        if ((unsigned char)lo[b - 1] != GUARD_CANARY) {
            report_slot(HK_ERR_UNDERFLOW, op, lo + b - 1, s, (size_t)(user - (lo + b - 1)));
            break;
        }
}

bool hk_guard_free(void *p, unsigned api, const char *op)
{
    long i = slot_of_user(p);
    struct slot *s = i >= 0 ? &g.slot[i] : NULL;
    if (!s || s->state != SLOT_LIVE) {
        if (s && s->state == SLOT_FREED)
            report_slot(HK_ERR_DOUBLE_FREE, op, p, s, 0);
        else
            hk_report(HK_ERR_INVALID_FREE, op, p, NULL, 0, 0);
        return false;
    }
    if (s->api != api) {
        struct hk_heap_error e = { .kind = HK_ERR_MISMATCH, .op = op, .ptr = p, .large_size = s->size,
                                   .rz = true, .api = s->api, .alloc_stack = s->alloc_stack };
        frames_of((size_t)i, &e.alloc_ip, &e.alloc_n, &e.free_ip, &e.free_n);
        hk_heap_error(&e);
    }
    check_slack((size_t)i, s, op, p);
    s->free_stack = hk_stack_here();
    keep_stack((size_t)i, 1);
    /* closed at once. Under mprotect the memory stays (the quarantine's
     * bound is the resident memory it costs) for the slot's next block: a
     * remapping would cost this call more and the next block a page fault;
     * a guard marker drops it, and costs less than either */
    if (s->pages)
        close_pages(data_of((size_t)i), (size_t)s->pages * page());
    pthread_mutex_lock(&g.lock);
    s->resident = s->pages > 0 && !g.markers;
    s->closed = 1;
    s->state = SLOT_FREED;
    g.live--;
    quarantine((uint32_t)i);
    pthread_mutex_unlock(&g.lock);
    return true;
}

/* Whether p is a live guarded block, and its requested size. */
bool hk_guard_live(const void *p, size_t *size)
{
    long i = slot_of_user(p);
    if (i < 0 || g.slot[i].state != SLOT_LIVE)
        return false;
    *size = g.slot[i].size;
    return true;
}

/* hk_block_check's answer for a pointer into the region. */
enum hk_block_verdict hk_guard_check(const void *p, struct hk_block_info *b)
{
    *b = (struct hk_block_info){ 0 };
    long i = slot_of_user(p);
    if (i < 0)
        return HK_BLOCK_FOREIGN;
    b->large_size = g.slot[i].size;
    if (g.slot[i].state == SLOT_FREED)
        return HK_BLOCK_FREED;
    if (g.slot[i].state != SLOT_LIVE)
        return HK_BLOCK_FOREIGN;
    b->usable = g.slot[i].size;
    return HK_BLOCK_LIVE;
}

void hk_guard_set_api(void *p, unsigned api)
{
    long i = slot_of_user(p);
    if (i >= 0)
        g.slot[i].api = (uint8_t)api;
}

/* ---- the block an address lies in (checked copies, the fault handler) */

static bool span_of_slot(size_t i, struct hk_span *sp)
{
    const struct slot *s = &g.slot[i];
    if (s->state != SLOT_LIVE && s->state != SLOT_FREED)
        return false;
    *sp = (struct hk_span){ .start = (uintptr_t)page_addr(i) + s->user_off, .size = s->size,
                            .freed = s->state == SLOT_FREED, .alloc_stack = s->alloc_stack,
                            .free_stack = s->free_stack };
    frames_of(i, &sp->alloc_ip, &sp->alloc_n, &sp->free_ip, &sp->free_n);
    return true;
}

/* The distance from span sp to address a (0 inside it). */
static size_t distance(const struct hk_span *sp, uintptr_t a)
{
    if (a < sp->start)
        return sp->start - a;
    return a < sp->start + sp->size ? 0 : a - (sp->start + sp->size) + 1;
}

/* The slot whose page j is, as a span; false for none. */
static bool span_at(size_t j, struct hk_span *sp)
{
    return j < g.npages && g.slot[j].head && span_of_slot(g.slot[j].head - 1, sp);
}

bool hk_guard_span(const void *p, struct hk_span *sp)
{
    uintptr_t a = (uintptr_t)p - (uintptr_t)g.base;
    if (!g.base || a >= g.region)
        return false;
    size_t j = a / page();
    struct hk_span c;
    if (span_at(j, sp)) {
        size_t i = g.slot[j].head - 1;
        if (page_addr(j) != guard_page_of(i, &g.slot[i]))
            return true; /* a data page: of a freed block, or its slack */
    }
    /* a guard page (or one of no slot) lies between two blocks: the nearer */
    bool found = span_at(j, sp);
    for (int d = -1; d <= 1; d += 2)
        if ((j > 0 || d > 0) && span_at(j + (size_t)(long)d, &c) &&
            (!found || distance(&c, (uintptr_t)p) < distance(sp, (uintptr_t)p)))
            *sp = c, found = true;
    return found;
}

/* ---- a fault (segv.c's handler) */

bool hk_guard_fault(const void *addr, bool write)
{
    struct hk_span sp;
    if (hk_chunk_kind((uintptr_t)addr) != HK_CHUNK_GUARD || !hk_guard_span(addr, &sp))
        return false;
    hk_report_access(write ? "a write" : "a read", addr, &sp, true);
    return true;
}
