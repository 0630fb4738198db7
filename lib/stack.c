/* stack.c — stack capture for events and the heap profiler (libunwind's
 * unw_backtrace, or a checked walk of the frame-pointer chain) and the stack
 * table of the segment: each distinct stack stored once, by id. */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <unwind.h>
#include "segment.h"

static __thread int tls_in_capture; /* nesting guard: unwinding may re-enter */
static atomic_flag intern_busy = ATOMIC_FLAG_INIT; /* serialises writers of a table */

static uint64_t hash_ips(void *const *ip, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        h ^= (uintptr_t)ip[i];
        h *= 1099511628211ull;
    }
    return h ? h : 1;
}

/* ---- module map from /proc/self/maps (no locks, no malloc) */

static uint64_t parse_hex(const char **p)
{
    uint64_t v = 0;
    for (;; (*p)++) {
        char c = **p;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                   : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
        if (d > 15)
            return v;
        v = v * 16 + d;
    }
}

/* "start-end perms offset dev inode path": keeps executable file mappings. */
static void parse_line(struct hakmem_seg_stacks *st, const char *line)
{
    const char *p = line;
    uint64_t start = parse_hex(&p);
    p++;
    uint64_t end = parse_hex(&p);
    p++;
    if (p[2] != 'x')
        return;
    p += 5;
    uint64_t off = parse_hex(&p);
    const char *path = strchr(p, '/');
    uint32_t have = st->nmodules;
    if (!path || have >= HAKMEM_SEG_MODULES)
        return;
    for (uint32_t i = 0; i < have; i++)
        if (st->module[i].start == start && st->module[i].end == end &&
            st->module[i].offset == off && strcmp(st->module[i].path, path) == 0)
            return; /* listed by an earlier read */
    struct hakmem_seg_module *m = &st->module[have];
    m->start = start;
    m->end = end;
    m->offset = off;
    size_t n = strlen(path);
    if (n >= sizeof m->path)
        n = sizeof m->path - 1;
    memcpy(m->path, path, n);
    m->path[n] = '\0';
    /* the entry is complete before a reader counts it */
    atomic_store_explicit((_Atomic uint32_t *)&st->nmodules, have + 1, memory_order_release);
}

/* Calls fn(ctx, line) on each line of /proc/self/maps (NUL-terminated, cut
 * at 511 bytes); false when the file cannot be opened. */
static bool each_map_line(void (*fn)(void *ctx, const char *line), void *ctx)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char buf[4096], line[512];
    size_t len = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof line - 1)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = '\0';
            fn(ctx, line);
            len = 0;
        }
    }
    close(fd);
    return true;
}

static void module_line(void *st, const char *line)
{
    parse_line(st, line);
}

/* Adds the executable mappings not listed yet: entries are never removed, so
 * frames of a library unloaded since stay symbolisable. */
void hk_stack_load_modules(struct hakmem_seg_stacks *st)
{
    each_map_line(module_line, st);
}

static bool covered(const struct hakmem_seg_stacks *st, uint64_t ip)
{
    for (uint32_t i = 0; i < st->nmodules; i++)
        if (ip >= st->module[i].start && ip < st->module[i].end)
            return true;
    return false;
}

/* ---- interning */

/* The table is dense (stack id i in stack[i - 1]) with a hash index of ids
 * past stack[capacity]; the index has twice the slots, so probes stay short.
 * Lookups take no lock: an index slot is written (release) only after its
 * stack is complete. Writers are serialised by intern_busy. */
static _Atomic uint32_t *index_of(struct hakmem_seg_stacks *st)
{
    return (_Atomic uint32_t *)&st->stack[st->capacity];
}

static bool same_stack(const struct hakmem_seg_stack *s, uint64_t h, void *const *ip, int n)
{
    return s->hash == h && s->depth == (uint32_t)n &&
           memcmp(s->ip, ip, (size_t)n * sizeof s->ip[0]) == 0;
}

/* The probes an interning makes at most: a full table drops the stack (and
 * counts it) instead of scanning all of it. */
#define HK_INTERN_PROBES 64

/* The id of the stack, or 0 with *slot the first empty index slot (or
 * UINT32_MAX when the probes ran out). */
static uint32_t lookup(struct hakmem_seg_stacks *st, uint64_t h, void *const *ip, int n,
                       uint32_t *slot)
{
    _Atomic uint32_t *index = index_of(st);
    uint32_t mask = 2 * st->capacity - 1;
    *slot = UINT32_MAX;
    for (uint32_t k = 0; k < HK_INTERN_PROBES; k++) {
        uint32_t at = (uint32_t)(h + k) & mask;
        uint32_t id = atomic_load_explicit(&index[at], memory_order_acquire);
        if (!id) {
            *slot = at;
            return 0;
        }
        if (same_stack(&st->stack[id - 1], h, ip, n))
            return id;
    }
    return 0;
}

static void modules_cover(struct hakmem_seg_stacks *st, const uint64_t *ip, uint32_t n);

/* Under intern_busy: a new stack in the next dense slot, then its index slot. */
static uint32_t insert_locked(struct hakmem_seg_stacks *st, uint64_t h, void *const *ip, int n)
{
    uint32_t slot, id = lookup(st, h, ip, n, &slot);
    if (id)
        return id; /* another thread interned it meanwhile */
    if (slot == UINT32_MAX || st->count >= st->capacity) {
        st->dropped++;
        return 0;
    }
    id = st->count + 1;
    struct hakmem_seg_stack *s = &st->stack[id - 1];
    s->hash = h;
    s->depth = (uint32_t)n;
    for (int i = 0; i < n; i++)
        s->ip[i] = (uintptr_t)ip[i];
    atomic_store_explicit((_Atomic uint32_t *)&s->id, id, memory_order_release);
    st->count = id;
    atomic_store_explicit(&index_of(st)[slot], id, memory_order_release);
    modules_cover(st, s->ip, (uint32_t)n);
    return id;
}

static uint32_t intern(struct hakmem_seg_stacks *st, void *const *ip, int n)
{
    uint64_t h = hash_ips(ip, n);
    uint32_t slot, id = lookup(st, h, ip, n, &slot);
    if (id)
        return id;
    while (atomic_flag_test_and_set_explicit(&intern_busy, memory_order_acquire))
        ;
    id = insert_locked(st, h, ip, n);
    atomic_flag_clear_explicit(&intern_busy, memory_order_release);
    return id;
}

/* A new stack with a frame outside every module of the map: the map is read
 * again (a library was loaded since, as python loads its extension modules),
 * at most once per HK_MODULES_RELOAD_NS, so that frames no module holds (JIT
 * code, a broken chain) cost no read each; the exit reads it once more. */
#define HK_MODULES_RELOAD_NS (50ull * 1000000)
static void modules_cover(struct hakmem_seg_stacks *st, const uint64_t *ip, uint32_t n)
{
    static uint64_t last_load;
    uint32_t i = 0;
    while (i < n && covered(st, ip[i]))
        i++;
    if (i == n)
        return;
    uint64_t now = hk_now_ns();
    if (now - last_load < HK_MODULES_RELOAD_NS)
        return;
    last_load = now;
    hk_stack_load_modules(st);
}

/* The stack of a pool acquisition that may map a SuperSlab is unwound
 * before the pool lock is taken (unwinding may take the loader's lock, and
 * a thread inside dlopen may be waiting for the pool lock), then interned
 * under the pool lock by the events that want it. */
static __thread struct {
    void *ip[HAKMEM_SEG_STACK_DEPTH + 2];
    int n;
    uint32_t id;
} pending;

void hk_stack_begin(void)
{
    pending.n = 0;
    pending.id = 0;
    if (!hk_trace.stacks || tls_in_capture)
        return;
    tls_in_capture = 1;
    pending.n = unw_backtrace(pending.ip, HAKMEM_SEG_STACK_DEPTH + 2);
    tls_in_capture = 0;
}

/* The id of the pending stack, interned on first use; 0 when none. Callers
 * hold hk_pool_lock, which serialises writers of the table. */
uint32_t hk_stack_id(void)
{
    struct hakmem_seg_stacks *st = hk_trace.stacks;
    if (!st || pending.n <= 2)
        return 0;
    if (!pending.id) { /* skip the frames of hk_stack_begin and hk_pool_acquire */
        int n = pending.n - 2 > HAKMEM_SEG_STACK_DEPTH ? HAKMEM_SEG_STACK_DEPTH : pending.n - 2;
        pending.id = intern(st, pending.ip + 2, n);
    }
    return pending.id;
}

void hk_stack_end(void)
{
    pending.n = 0;
    pending.id = 0;
}

/* ---- the stacks that allocated and freed a level-2 block (heap errors) */

static struct hakmem_seg_stacks *block_table; /* the segment's, or a private one */

/* HAKMEM_TRACE_STACKS=1 at HAKMEM_CHECK=2: blocks remember their stacks, in
 * the segment's table when tracing, else in a private table. */
void hk_stack_blocks_init(void)
{
    if (!hk_opt[HK_OPT_TRACE_STACKS])
        return;
    block_table = hk_trace.stacks;
    if (!block_table) {
        size_t size = HAKMEM_SEG_STACKS_BYTES(HK_STACKS_MAX);
        block_table = hk_os_map((size + hk_page_size - 1) & ~(hk_page_size - 1));
        if (block_table)
            block_table->capacity = HK_STACKS_MAX;
    }
}

/* The calling stack, interned: its id, 0 when stacks are off. */
uint32_t hk_stack_here(void)
{
    if (!block_table || tls_in_capture)
        return 0;
    void *ip[HAKMEM_SEG_STACK_DEPTH];
    tls_in_capture = 1;
    int n = unw_backtrace(ip, HAKMEM_SEG_STACK_DEPTH);
    tls_in_capture = 0;
    return n > 0 ? intern(block_table, ip, n) : 0;
}

/* The frames of stack id, innermost first; 0 when unknown. */
int hk_stack_frames(uint32_t id, uint64_t *ip, int max)
{
    const struct hakmem_seg_stacks *st = block_table ? block_table : hk_trace.stacks;
    if (!st || !id || id > st->capacity)
        return 0;
    const struct hakmem_seg_stack *s = &st->stack[id - 1];
    if (atomic_load_explicit((_Atomic uint32_t *)&s->id, memory_order_acquire) != id)
        return 0;
    int n = (int)s->depth < max ? (int)s->depth : max;
    memcpy(ip, s->ip, (size_t)n * sizeof *ip);
    return n;
}

/* ---- the stack of a heap error */

/* The calling stack into ip[0..max), innermost first: how many frames; 0
 * when called from inside a capture. */
static inline __attribute__((always_inline)) bool gcc_walk_here(void **ip, int max, int *n);

/* The calling stack of the function this is inlined in (hk_stack_capture,
 * hk_stack_capture_light), under the nesting guard: by libgcc's unwinder
 * when light and the thread is in its first HK_LIGHT_FIRST light captures,
 * else libunwind's. */
static inline __attribute__((always_inline)) int capture_here(void **ip, int max, bool light)
{
    if (tls_in_capture)
        return 0;
    tls_in_capture = 1;
    int n;
    if (!light || !gcc_walk_here(ip, max, &n))
        n = unw_backtrace(ip, max);
    tls_in_capture = 0;
    return n > 0 ? n : 0;
}

int hk_stack_capture(void **ip, int max)
{
    return capture_here(ip, max, false);
}

/* ---- libgcc's unwinder (the sampled guards' first captures in a thread)
 *
 * libunwind's fast trace gives each thread that calls it a cache of 2^14
 * frames (256 KiB, every entry written at the first call, unmapped at the
 * thread's exit): 64 page faults, an munmap and a TLB shootdown per thread,
 * which a program of short-lived threads pays for the few blocks each of
 * them has guarded (larson with successor threads ran at half its speed).
 * libgcc's unwinder keeps nothing per thread (it finds each frame's FDE with
 * _dl_find_object) but costs ten times the instructions a frame, so a
 * thread's first HK_LIGHT_FIRST captures take it and the rest libunwind's,
 * whose cache a thread that guards that many blocks has time to pay back.
 * libunwind exports unversioned _Unwind_* functions too: libgcc_s's are
 * looked up by their versions at start-up (hk_stack_init), so that the two
 * are never mixed; without them the capture falls back to libunwind's. */

#define HK_LIGHT_FIRST 32

static _Unwind_Reason_Code (*gcc_backtrace)(_Unwind_Trace_Fn, void *);
static __thread uint32_t tls_light; /* this thread's captures by libgcc's */
static _Unwind_Ptr (*gcc_get_ip)(struct _Unwind_Context *);

bool hk_stack_init(void)
{
    void *bt = dlvsym(RTLD_DEFAULT, "_Unwind_Backtrace", "GCC_3.3");
    void *ip = dlvsym(RTLD_DEFAULT, "_Unwind_GetIP", "GCC_3.0");
    if (!bt || !ip)
        return false;
    gcc_get_ip = (_Unwind_Ptr (*)(struct _Unwind_Context *))ip;
    gcc_backtrace = (_Unwind_Reason_Code (*)(_Unwind_Trace_Fn, void *))bt;
    return true;
}

struct gcc_walk {
    void **ip;
    int n, max;
};

static _Unwind_Reason_Code gcc_frame(struct _Unwind_Context *ctx, void *arg)
{
    struct gcc_walk *w = arg;
    _Unwind_Ptr ip = gcc_get_ip(ctx);
    if (!ip || w->n >= w->max)
        return _URC_END_OF_STACK;
    w->ip[w->n++] = (void *)ip;
    return _URC_NO_REASON;
}

/* As hk_stack_capture (by libgcc's unwinder the first HK_LIGHT_FIRST times
 * in a thread): innermost first, ip[0] in this function as hk_stack_capture's
 * is in that one; the rest the same. */
/* libgcc's walk into ip[0..max) (*n frames, the first in the function it is
 * inlined in), while the thread has light captures left; false to leave it
 * to libunwind. */
static inline __attribute__((always_inline)) bool gcc_walk_here(void **ip, int max, int *n)
{
    if (!gcc_backtrace || tls_light >= HK_LIGHT_FIRST)
        return false;
    tls_light++;
    struct gcc_walk w = { ip, 0, max };
    gcc_backtrace(gcc_frame, &w);
    *n = w.n;
    return true;
}

HK_NOINLINE int hk_stack_capture_light(void **ip, int max)
{
    return capture_here(ip, max, true);
}

/* ---- frame-pointer walk (the heap profiler's fast capture)
 *
 * On x86-64 a function built with frame pointers saves its caller's rbp at
 * [rbp] and has its return address at [rbp + 8] (AArch64: x29, the same). Code built without them
 * (glibc, most distribution binaries) leaves anything in rbp, so every step
 * is checked before it is read: the frame lies in this thread's stack
 * between the walker's own frame and the stack's top (memory the thread
 * keeps mapped), is 8-byte aligned and above the frame before it; the walk
 * stops at the first frame that is not, at a return address below the
 * first page, or at max. Nothing outside [own frame, top) is ever read. */

#if defined(__x86_64__) || defined(__aarch64__)
static const bool fp_chain_abi = true; /* [fp] = caller's fp, [fp + 8] = return address */
#else
static const bool fp_chain_abi = false; /* no walk: libunwind instead */
#endif

/* This thread's stack: the mapping holding it, read from /proc/self/maps
 * once per thread (no malloc, unlike pthread_getattr_np) and again when
 * the walker runs outside it (a grown main stack, a signal stack). */
static __thread uintptr_t tls_stack_lo, tls_stack_hi;

/* The mapping of /proc/self/maps that holds addr: [lo, hi). */
struct stack_vma {
    uintptr_t addr, lo, hi;
};

static void stack_line(void *ctx, const char *line)
{
    struct stack_vma *v = ctx;
    const char *p = line;
    uint64_t start = parse_hex(&p);
    p++;
    uint64_t end = parse_hex(&p);
    if (v->addr >= start && v->addr < end)
        v->lo = start, v->hi = end;
}

static HK_NOINLINE bool load_stack_bounds(uintptr_t sp)
{
    struct stack_vma v = { sp, 0, 0 };
    if (!each_map_line(stack_line, &v) || !v.hi)
        return false;
    /* glibc keeps a thread's descriptor at the top of its stack mapping:
     * frames lie below it, and the walk need not read beyond. */
    uintptr_t self = (uintptr_t)pthread_self();
    if (self > sp && self < v.hi)
        v.hi = self;
    tls_stack_lo = v.lo;
    tls_stack_hi = v.hi;
    return true;
}

static inline bool stack_bounds(uintptr_t sp)
{
    return (sp >= tls_stack_lo && sp < tls_stack_hi) || load_stack_bounds(sp);
}

uintptr_t hk_stack_top(uintptr_t sp)
{
    return stack_bounds(sp) ? tls_stack_hi : 0;
}

/* The return addresses of the chain from frame fp, innermost first, into
 * ip[0..max): how many. The frames must lie in [lo, hi). */
static int walk_fp(uintptr_t fp, uintptr_t lo, uintptr_t hi, void **ip, int max)
{
    int n = 0;
    while (n < max) {
        if (fp < lo || fp > hi - 2 * sizeof(uintptr_t) || fp % sizeof(uintptr_t))
            break;
        const uintptr_t *frame = (const uintptr_t *)fp;
        uintptr_t ret = frame[1], next = frame[0];
        if (ret < 4096)
            break;
        ip[n++] = (void *)ret;
        if (next <= fp)
            break;
        fp = next;
    }
    return n;
}

/* The chain from frame fp, which must lie above sp, the walker's frame. */
static inline int capture_fp(uintptr_t sp, uintptr_t fp, void **ip, int max)
{
    if (!fp_chain_abi || max <= 0 || !stack_bounds(sp))
        return 0;
    return walk_fp(fp, sp, tls_stack_hi, ip, max);
}

/* __builtin_frame_address gives these functions a frame pointer whatever the
 * flags, so the walk starts at their caller's return address. */
HK_NOINLINE int hk_stack_capture_fp(void **ip, int max)
{
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    return capture_fp(fp, fp, ip, max);
}

/* At most max frames (<= HAKMEM_SEG_STACK_DEPTH + HK_STACK_SLACK) the way
 * HAKMEM_PROFILE_STACKS says into ip, innermost first, for the function it
 * is inlined in: the frame-pointer walk starts at frame `from` (NULL: that
 * function's own, so at its caller's return address), libunwind's past that
 * function's frame; 0 from inside a capture. The frame-pointer walk falls
 * back to libunwind when it cannot run. */
static inline __attribute__((always_inline)) int capture_profile(void **ip, void *from, int max)
{
    if (tls_in_capture)
        return 0;
    int n = 0;
    tls_in_capture = 1;
    if (hk_opt[HK_OPT_PROFILE_STACKS] == HK_PROFILE_STACKS_FP) {
        uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
        n = capture_fp(fp, from ? (uintptr_t)from : fp, ip, max);
    }
    if (n <= 0) {
        void *buf[HAKMEM_SEG_STACK_DEPTH + HK_STACK_SLACK + 1];
        n = unw_backtrace(buf, max + 1) - 1; /* its first: the function's own */
        if (n > 0)
            memcpy(ip, buf + 1, (size_t)n * sizeof *ip);
    }
    tls_in_capture = 0;
    return n > 0 ? n : 0;
}

/* The calling stack, at most HAKMEM_PROFILE_DEPTH frames into
 * ip[0..HAKMEM_SEG_STACK_DEPTH): how many, the caller's return address first. */
HK_NOINLINE int hk_stack_capture_profile(void **ip)
{
    return capture_profile(ip, NULL, (int)hk_opt[HK_OPT_PROFILE_DEPTH]);
}

/* ---- the program's stack of a sampled allocation */

static uintptr_t own_lo, own_hi; /* libhakmem's text: its frames are stripped */

void hk_stack_program_init(void)
{
    hk_stack_own_text(&own_lo, &own_hi);
    hk_stack_cache_init();
}

uint32_t hk_stack_program_id(void *const *ip, int n, int *used)
{
    int skip = 0;
    while (skip < n && (uintptr_t)ip[skip] >= own_lo && (uintptr_t)ip[skip] < own_hi)
        skip++;
    int keep = n - skip;
    if (keep > (int)hk_opt[HK_OPT_PROFILE_DEPTH])
        keep = (int)hk_opt[HK_OPT_PROFILE_DEPTH];
    *used = skip + keep;
    return hk_stack_intern_trace(ip + skip, keep);
}

HK_NOINLINE uint32_t hk_stack_profile_plain(void *from)
{
    void *ip[HK_PROFILE_IPS];
    int used, n = capture_profile(ip, from, (int)hk_opt[HK_OPT_PROFILE_DEPTH] + HK_STACK_SLACK);
    return hk_stack_program_id(ip, n, &used);
}

/* The executable mapping holding this code (libhakmem's text, or the
 * program's when linked in): [lo, hi), read from /proc/self/maps. */
bool hk_stack_own_text(uintptr_t *lo, uintptr_t *hi)
{
    struct stack_vma t = { (uintptr_t)&hk_stack_own_text, 0, 0 };
    if (!each_map_line(stack_line, &t) || !t.hi)
        return false;
    *lo = t.lo;
    *hi = t.hi;
    return true;
}

/* Frames ip[0..n) interned in the trace segment's stack table (its first
 * HAKMEM_SEG_STACK_DEPTH): the id, 0 when stacks are not traced. */
uint32_t hk_stack_intern_trace(void *const *ip, int n)
{
    struct hakmem_seg_stacks *st = hk_trace.stacks;
    if (!st || n <= 0)
        return 0;
    return intern(st, ip, n < HAKMEM_SEG_STACK_DEPTH ? n : HAKMEM_SEG_STACK_DEPTH);
}

void hk_stack_atfork_prepare(void)
{
    while (atomic_flag_test_and_set_explicit(&intern_busy, memory_order_acquire))
        ;
}

void hk_stack_atfork_release(void)
{
    atomic_flag_clear_explicit(&intern_busy, memory_order_release);
}
