/* stackcache.c — the heap profiler's validated stack cache: per thread, the
 * program stacks of recent sampled allocations with where their return
 * addresses lie, so that a capture whose return addresses are all still in
 * place reuses the stack's id instead of unwinding again.
 *
 * Why it is exact (x86-64, HAKMEM_PROFILE_STACKS=unwind): the key is the
 * exported function's frame `from` and its return address ra, which fix the
 * stack pointer of the program's first frame and the code it is at. A
 * function whose CFA rule is rsp-based (code built without frame pointers:
 * the DWARF rule is rsp + a constant per instruction) has a fixed frame size
 * at each call site, so its caller's return address lies at a fixed offset
 * from its own; by induction, when every slot recorded on the miss holds the
 * value recorded, every slot is the real one and the stacks are equal. A
 * frame whose size can vary (rbp-based: alloca, VLAs, realigned stacks, or
 * code built with frame pointers; a signal frame) breaks the induction, so a
 * stack that needs one above its last frame is never cached: such keys are
 * remembered as uncacheable and unwound by libunwind every time. Every read
 * of a validation is of a slot the induction has proven real so far: it
 * never leaves the live stack. A miss walks the stack by the same sizes,
 * learned per return address from libgcc's unwinder (the CFAs it computes
 * from the DWARF rules) the first time one is met: loads and a table probe a
 * frame. Elsewhere (other ABIs, no libgcc_s) the captures are libunwind's. */
#include <dlfcn.h>
#include <string.h>
#include <unwind.h>
#include "segment.h"

#if defined(__x86_64__)
static const bool cache_abi = true; /* return address at CFA - 8, rbp-based CFA = rbp + 16 */
#else
static const bool cache_abi = false;
#endif

#define SETS 128
#define WAYS 4
/* A thread's captures before it gets a cache: a thread that samples a few
 * blocks (the default rate) pays no mapping for it. */
#define CAPTURES_BEFORE_CACHE 64

struct entry {
    uintptr_t from, ra; /* the key; from 0: an empty way */
    uint32_t id;        /* the stack's id; 0: this key's stacks are not cached */
    uint32_t n;         /* slots to validate: val[i] at from + off[i], i < n */
    uint32_t off[HK_PROFILE_IPS];
    uintptr_t val[HK_PROFILE_IPS];
};

struct cache {
    struct entry e[SETS][WAYS];
};

static __thread struct cache *tls_cache;
static __thread uint32_t tls_captures;
static __thread bool tls_walking; /* nesting guard of the miss walk */
static __thread bool tls_exited;  /* past the thread's exit: no cache again */
static _Atomic uint64_t hits, misses, uncached; /* for HAKMEM_STATS */
/* A thread's hits not yet added to hits: no locked add on one shared line per
 * sampled allocation (on one thread it was not measurably slower; threads share it). */
static __thread uint32_t tls_hits;
#define HITS_FLUSH 1024

static void flush_hits(void)
{
    atomic_fetch_add_explicit(&hits, tls_hits, memory_order_relaxed);
    tls_hits = 0;
}

static struct cache *cache_of_thread(void)
{
    if (tls_cache || tls_exited || ++tls_captures < CAPTURES_BEFORE_CACHE)
        return tls_cache;
    tls_cache = hk_os_map((sizeof(struct cache) + hk_page_size - 1) & ~(hk_page_size - 1));
    return tls_cache;
}

static struct entry *set_of(struct cache *c, uintptr_t from, uintptr_t ra)
{
    uint64_t h = (from >> 4) * 0x9e3779b97f4a7c15ull ^ ra;
    return c->e[(h >> 40) & (SETS - 1)];
}

/* The stack of the key still lies as recorded: every slot holds its value. */
static bool still_there(const struct entry *e)
{
    for (uint32_t i = 1; i < e->n; i++)
        if (*(const uintptr_t *)(e->from + e->off[i]) != e->val[i])
            return false;
    return true;
}

/* ---- frame sizes by return address, learned from libgcc's unwinder
 *
 * The size of the frame running at return address ip: the distance from the
 * slot holding ip to the slot holding its caller's return address (CFA minus
 * the callee's CFA), the same at every visit for an rsp-based rule. One word
 * per entry: ip in the low 48 bits, in the high 16 the size in 8-byte units,
 * or VARIABLE (rbp-based or signal frame: no fixed size), or END (the
 * outermost frame). Insert-only, lock-free (a CAS from 0). */
#define FSZ_SLOTS (1u << 15)
#define FSZ_PROBES 32
#define IP_BITS 48
#define IP_MASK ((1ull << IP_BITS) - 1)
#define CODE_VARIABLE 0xffffu
#define CODE_END 0xfffeu
#define CODE_SIZE_MAX 0xfff0u

static _Atomic uint64_t fsz[FSZ_SLOTS];

static uint32_t fsz_home(uintptr_t ip)
{
    return (uint32_t)((ip * 0x9e3779b97f4a7c15ull) >> 40) & (FSZ_SLOTS - 1);
}

/* The code of ip, 0 when not learned. */
static unsigned fsz_get(uintptr_t ip)
{
    for (uint32_t k = 0, at = fsz_home(ip); k < FSZ_PROBES; k++, at = (at + 1) & (FSZ_SLOTS - 1)) {
        uint64_t w = atomic_load_explicit(&fsz[at], memory_order_relaxed);
        if (!w)
            return 0;
        if ((w & IP_MASK) == ip)
            return (unsigned)(w >> IP_BITS);
    }
    return 0;
}

static void fsz_put(uintptr_t ip, unsigned code)
{
    if (!ip || ip > IP_MASK)
        return;
    uint64_t w = (uint64_t)code << IP_BITS | ip;
    for (uint32_t k = 0, at = fsz_home(ip); k < FSZ_PROBES; k++, at = (at + 1) & (FSZ_SLOTS - 1)) {
        uint64_t old = 0;
        if (atomic_compare_exchange_strong_explicit(&fsz[at], &old, w, memory_order_relaxed,
                                                    memory_order_relaxed) ||
            (old & IP_MASK) == ip)
            return; /* stored, or learned already */
    }
}

static _Unwind_Reason_Code (*gcc_backtrace)(_Unwind_Trace_Fn, void *);
static _Unwind_Ptr (*gcc_get_ip_info)(struct _Unwind_Context *, int *);
static _Unwind_Word (*gcc_get_cfa)(struct _Unwind_Context *);
static _Unwind_Word (*gcc_get_gr)(struct _Unwind_Context *, int);

void hk_stack_cache_init(void)
{
    gcc_backtrace = (_Unwind_Reason_Code (*)(_Unwind_Trace_Fn, void *))dlvsym(RTLD_DEFAULT, "_Unwind_Backtrace", "GCC_3.3");
    gcc_get_ip_info = (_Unwind_Ptr (*)(struct _Unwind_Context *, int *))dlvsym(RTLD_DEFAULT, "_Unwind_GetIPInfo", "GCC_4.2.0");
    gcc_get_cfa = (_Unwind_Word (*)(struct _Unwind_Context *))dlvsym(RTLD_DEFAULT, "_Unwind_GetCFA", "GCC_3.3");
    gcc_get_gr = (_Unwind_Word (*)(struct _Unwind_Context *, int))dlvsym(RTLD_DEFAULT, "_Unwind_GetGR", "GCC_3.0");
    if (!gcc_get_ip_info || !gcc_get_cfa || !gcc_get_gr)
        gcc_backtrace = NULL;
}

#define LEARN_MAX 64
/* libgcc's context in a trace callback: the IP of frame i with the registers
 * of frame i, but the CFA of frame i - 1 (frame i's stack pointer). */
struct learn {
    int n;
    bool full;
    uintptr_t ip[LEARN_MAX], sp[LEARN_MAX], bp[LEARN_MAX];
    bool signal[LEARN_MAX];
};

static _Unwind_Reason_Code learn_frame(struct _Unwind_Context *ctx, void *arg)
{
    struct learn *l = arg;
    int before = 0;
    uintptr_t ip = gcc_get_ip_info(ctx, &before);
    if (!ip)
        return _URC_END_OF_STACK;
    if (l->n == LEARN_MAX) {
        l->full = true;
        return _URC_END_OF_STACK;
    }
    int i = l->n++;
    l->ip[i] = ip;
    l->sp[i] = gcc_get_cfa(ctx);
    l->bp[i] = gcc_get_gr(ctx, 6);
    l->signal[i] = false;
    if (before && i > 0) /* an interrupted frame: the one before is the signal trampoline */
        l->signal[i] = l->signal[i - 1] = true;
    return _URC_NO_REASON;
}

/* The sizes of the frames of the calling stack, learned: frame i's is
 * CFA(i) - CFA(i - 1), i.e. sp[i + 1] - sp[i]; rbp-based when its rbp is its
 * CFA - 16. */
static HK_NOINLINE void learn_stack(void)
{
    struct learn l = { 0 };
    gcc_backtrace(learn_frame, &l);
    for (int i = 1; i < l.n; i++) {
        unsigned code;
        if (i == l.n - 1)
            code = l.full ? 0 : CODE_END;
        else {
            uintptr_t cfa = l.sp[i + 1], d = cfa - l.sp[i];
            bool variable = l.signal[i] || l.bp[i] == cfa - 16 || cfa <= l.sp[i] || d % 8 ||
                            d / 8 > CODE_SIZE_MAX;
            code = variable ? CODE_VARIABLE : (unsigned)(d / 8);
        }
        if (code)
            fsz_put(l.ip[i], code);
    }
}

enum walk_result { WALK_OK, WALK_UNKNOWN, WALK_VARIABLE };

/* The program's frames from frame `from` by the learned sizes: ip[0..*n)
 * and their slots' offsets from `from`, at most max. */
static enum walk_result walk_sizes(uintptr_t from, void **ip, uint32_t *off, int max, int *n)
{
    uintptr_t top = hk_stack_top(from), slot = from + 8;
    *n = 0;
    if (!top)
        return WALK_VARIABLE;
    for (;;) {
        uintptr_t ra = *(const uintptr_t *)slot;
        ip[*n] = (void *)ra;
        off[(*n)++] = (uint32_t)(slot - from);
        if (*n == max)
            return WALK_OK;
        unsigned code = fsz_get(ra);
        if (!code)
            return WALK_UNKNOWN;
        if (code == CODE_END)
            return WALK_OK;
        if (code == CODE_VARIABLE)
            return WALK_VARIABLE;
        slot += (uintptr_t)code * 8;
        if (slot > top - sizeof(uintptr_t) || slot - from > UINT32_MAX)
            return WALK_VARIABLE;
    }
}

/* A miss: the stack walked by the learned sizes (learning them first when
 * one is missing), interned, and kept in way 0 of the set (the others move
 * down one); a stack with a frame of no fixed size, by libunwind, uncached. */
static uint32_t fill(struct entry *set, uintptr_t from, uintptr_t ra)
{
    void *ip[HK_PROFILE_IPS];
    uint32_t off[HK_PROFILE_IPS];
    int n;
    enum walk_result r = walk_sizes(from, ip, off, HK_PROFILE_IPS, &n);
    if (r == WALK_UNKNOWN) {
        learn_stack();
        r = walk_sizes(from, ip, off, HK_PROFILE_IPS, &n);
    }
    memmove(&set[1], &set[0], (WAYS - 1) * sizeof *set); /* the oldest way goes */
    struct entry *e = &set[0];
    e->from = from;
    e->ra = ra;
    if (r != WALK_OK) {
        e->id = 0;
        atomic_fetch_add_explicit(&uncached, 1, memory_order_relaxed);
        return hk_stack_profile_plain((void *)from);
    }
    int need;
    e->id = hk_stack_program_id(ip, n, &need);
    e->n = (uint32_t)need;
    memcpy(e->off, off, (size_t)need * sizeof *off);
    for (int i = 0; i < need; i++)
        e->val[i] = (uintptr_t)ip[i];
    return e->id;
}

uint32_t hk_stack_profile_id(void *from)
{
    struct cache *c;
    uintptr_t f = (uintptr_t)from;
    if (!cache_abi || !f || tls_walking || !gcc_backtrace ||
        hk_opt[HK_OPT_PROFILE_STACKS] != HK_PROFILE_STACKS_UNWIND ||
        !(c = cache_of_thread()))
        return hk_stack_profile_plain(from);
    uintptr_t ra = ((const uintptr_t *)from)[1];
    struct entry *set = set_of(c, f, ra);
    bool keyed_uncached = false;
    for (int w = 0; w < WAYS; w++) {
        struct entry *e = &set[w];
        if (e->from != f || e->ra != ra)
            continue;
        if (!e->id) {
            keyed_uncached = true;
            continue;
        }
        if (!still_there(e))
            continue;
        if (w) { /* most recent first */
            struct entry t = set[0];
            set[0] = *e;
            *e = t;
        }
        if (++tls_hits == HITS_FLUSH)
            flush_hits();
        return set[0].id;
    }
    if (keyed_uncached)
        return hk_stack_profile_plain(from);
    atomic_fetch_add_explicit(&misses, 1, memory_order_relaxed);
    tls_walking = true;
    uint32_t id = fill(set, f, ra);
    tls_walking = false;
    return id;
}

void hk_stack_cache_counts(uint64_t *hit, uint64_t *miss, uint64_t *unc)
{
    flush_hits(); /* the caller's own; exited threads flushed theirs */
    *hit = atomic_load_explicit(&hits, memory_order_relaxed);
    *miss = atomic_load_explicit(&misses, memory_order_relaxed);
    *unc = atomic_load_explicit(&uncached, memory_order_relaxed);
}

/* The ids of the parent's table mean nothing in a child that records anew. */
void hk_stack_cache_atfork_child(void)
{
    tls_hits = 0; /* the parent's, counted there */
    if (tls_cache)
        memset(tls_cache, 0, sizeof *tls_cache);
}

void hk_stack_cache_thread_exit(void)
{
    flush_hits();
    if (tls_cache)
        hk_os_unmap(tls_cache, (sizeof(struct cache) + hk_page_size - 1) & ~(hk_page_size - 1));
    tls_cache = NULL;
    tls_exited = true;
}
