/* heapcheck.c — heap-error detection (HAKMEM_CHECK): the free-block key and
 * its slow paths, pointer classification, and the Scudo-like report. */
#include <dlfcn.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include "event.h"
#include "heapcheck.h"
#include "segment.h"

int hk_check_level = 1;
uint64_t hk_free_key;

void hk_check_init(void)
{
    hk_check_level = (int)hk_opt[HK_OPT_CHECK];
    /* The kernel's 16 random bytes for this process: no syscall, no file. */
    const uint64_t *rnd = (const uint64_t *)getauxval(AT_RANDOM);
    uint64_t t = (uint64_t)hk_now_ns();
    hk_free_key = (rnd ? rnd[0] ^ rnd[1] : t * 0x9e3779b97f4a7c15ull) | 1;
    hk_rz_init();
}

/* ---- the one block validation */

/* The block of s at p is not handed out, as far as a thread that may not
 * own s can tell: the slab is EMPTY or the block holds the key. */
static bool seems_free(const hk_slab *s, const void *p)
{
    if (s->state == HK_SLAB_EMPTY)
        return true;
    return hk_check_level && *hk_key_of(p) == hk_free_key;
}

enum hk_block_verdict hk_block_check_slab(hk_slab *s, const void *p, struct hk_block_info *b)
{
    *b = (struct hk_block_info){ 0 };
    if (!hk_slab_formatted(s))
        return HK_BLOCK_FOREIGN;
    uintptr_t off = (uintptr_t)p & (HK_SLAB_SIZE - 1);
    uint32_t i = hk_block_index(s, off);
    size_t size = hk_class_size[s->cls];
    b->slab = s;
    b->offset = off - (size_t)i * size;
    if (b->offset || i >= s->carved)
        return HK_BLOCK_INTERIOR;
    if (seems_free(s, p))
        return HK_BLOCK_FREED;
    b->usable = size;
    return HK_BLOCK_LIVE;
}

enum hk_block_verdict hk_block_check(const void *p, struct hk_block_info *b)
{
    unsigned kind = hk_chunk_kind((uintptr_t)p);
    if (kind == HK_CHUNK_SS)
        return hk_block_check_slab(hk_slab_of(p), p, b);
    if (kind == HK_CHUNK_LARGE_HEAD || kind == HK_CHUNK_LARGE)
        return hk_large_check(p, b);
    if (kind == HK_CHUNK_GUARD)
        return hk_guard_check(p, b);
    *b = (struct hk_block_info){ 0 };
    return HK_BLOCK_FOREIGN;
}

void hk_block_report(enum hk_block_verdict v, const char *op, const void *p, const struct hk_block_info *b)
{
    if (v != HK_BLOCK_LIVE)
        hk_report(v == HK_BLOCK_FREED ? HK_ERR_DOUBLE_FREE : HK_ERR_INVALID_FREE, op, p, b->slab, b->offset,
                  b->large_size);
}

/* p, a pointer into slab s, is a live block (reported as op's error otherwise). */
static bool slab_block_valid(hk_slab *s, const void *p, const char *op)
{
    struct hk_block_info b;
    enum hk_block_verdict v = hk_block_check_slab(s, p, &b);
    hk_block_report(v, op, p, &b);
    return v == HK_BLOCK_LIVE;
}

/* ---- the slow paths of the fast checks */

/* A local free hk_check_local_free could not settle: true when p may go on
 * the free list, false after a report. A block holding the key is free —
 * on a list of its slab, or held back by a thread that freed it into
 * another's slab (heap.c) — unless a program's 64 bits equal the key by
 * chance (2^-64): the owner trusts the key as every other thread does. */
bool hk_check_free_slow(hk_slab *s, const void *p)
{
    if (!slab_block_valid(s, p, "free"))
        return false;
    if (hk_check_level)
        *hk_key_of(p) = hk_free_key;
    return true;
}

/* ---- the report */

/* The first of frames ip[0..n) outside libhakmem (the last one at most). */
static int first_outside(void *const *ip, int n)
{
    Dl_info self, di;
    bool have_self = dladdr((void *)hk_heap_error, &self) != 0;
    int i = 0;
    while (i < n - 1 && have_self && dladdr(ip[i], &di) && di.dli_fbase == self.dli_fbase)
        i++;
    return i;
}

/* One frame: "#N IP in FUNCTION+0xOFF FILE:LINE (MODULE+0xADDR)", ADDR the
 * module file's own address (for addr2line -e MODULE). The function comes
 * from the file's .symtab, static functions included, else from dladdr's
 * dynamic symbols; FILE:LINE from the file's DWARF line table, when it has
 * one. The main program's link map has no name (dladdr says argv[0]): its
 * file is /proc/self/exe. */
static void print_frame(int depth, void *ip)
{
    Dl_info di;
    struct link_map *lm = NULL;
    if (!dladdr1(ip, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm || !di.dli_fname) {
        hk_log("    #%d %p\n", depth, ip);
        return;
    }
    size_t addr = (size_t)((uintptr_t)ip - lm->l_addr);
    const char *file = lm->l_name && lm->l_name[0] ? lm->l_name : "/proc/self/exe";
    char fn[160], src[256] = "";
    uint64_t start = 0;
    unsigned line;
    /* a return address: its call is the byte before */
    bool named = hk_symtab_find(file, addr - 1, fn, sizeof fn, &start) ||
                 (file != lm->l_name && hk_symtab_find(di.dli_fname, addr - 1, fn, sizeof fn, &start));
    if (!named && di.dli_sname) {
        hk_fmt(fn, sizeof fn, "%s", di.dli_sname);
        start = (uint64_t)((uintptr_t)di.dli_saddr - lm->l_addr);
        named = true;
    }
    if (hk_lineinfo_find(file, addr - 1, src + 1, sizeof src - 1, &line)) {
        src[0] = ' ';
        size_t n = strlen(src);
        hk_fmt(src + n, sizeof src - n, ":%u", line);
    }
    if (named)
        hk_log("    #%d %p in %s+0x%zx%s (%s+0x%zx)\n", depth, ip, fn, addr - (size_t)start, src,
               di.dli_fname, addr);
    else
        hk_log("    #%d %p%s (%s+0x%zx)\n", depth, ip, src, di.dli_fname, addr);
}

/* Frames ip[0..n), innermost first, from the first outside hakmem and skip more. */
static void print_frames(void *const *ip, int n, int skip)
{
    for (int i = first_outside(ip, n) + skip, depth = 0; i < n && depth < 24; i++, depth++)
        print_frame(depth, ip[i]);
}

void hk_print_stack(uint32_t id, int max)
{
    uint64_t raw[HAKMEM_SEG_STACK_DEPTH];
    void *ip[HAKMEM_SEG_STACK_DEPTH];
    int n = hk_stack_frames(id, raw, HAKMEM_SEG_STACK_DEPTH);
    for (int i = 0; i < n; i++)
        ip[i] = (void *)(uintptr_t)raw[i];
    for (int i = first_outside(ip, n), depth = 0; i < n && depth < max; i++, depth++)
        print_frame(depth, ip[i]);
}

/* A stack the block remembered: by id (level 2 and 3, HAKMEM_TRACE_STACKS=1),
 * else its kept frames kept[0..nkept) (sampled guards). */
static void print_block_stack(const char *what, uint32_t id, void *const *kept, int nkept)
{
    uint64_t raw[HAKMEM_SEG_STACK_DEPTH];
    void *ip[HAKMEM_SEG_STACK_DEPTH];
    int n = hk_stack_frames(id, raw, HAKMEM_SEG_STACK_DEPTH);
    for (int i = 0; i < n; i++)
        ip[i] = (void *)(uintptr_t)raw[i];
    if (n <= 0 && nkept > 0) {
        n = nkept < HAKMEM_SEG_STACK_DEPTH ? nkept : HAKMEM_SEG_STACK_DEPTH;
        memcpy(ip, kept, (size_t)n * sizeof *ip);
    }
    if (n <= 0)
        return;
    hk_log("  %s at:\n", what);
    print_frames(ip, n, 0);
}

/* Where a pointer hakmem does not own points: a stack, a module, or elsewhere. */
static void describe_foreign(const void *p, char *buf, size_t cap)
{
    char here;
    Dl_info di;
    uintptr_t a = (uintptr_t)p, sp = (uintptr_t)&here;
    if (a - sp < (8u << 20) || sp - a < (64u << 10))
        hk_fmt(buf, cap, "not allocated by hakmem: on the stack");
    else if (dladdr(p, &di) && di.dli_fname)
        hk_fmt(buf, cap, "not allocated by hakmem: in the static data of %s", di.dli_fname);
    else
        hk_fmt(buf, cap, "not allocated by hakmem");
}

/* "an" before a number said with a vowel first (8, 11, 18, 80..89, 800..899,
 * 8000.., 11000..: its leading group of three digits), else "a". */
static const char *a_or_an(size_t n)
{
    while (n >= 1000)
        n /= 1000;
    bool eight = n == 8 || (n >= 80 && n < 90) || (n >= 800 && n < 900);
    return eight || n == 11 || n == 18 ? "an" : "a";
}

static void describe(const struct hk_heap_error *e, char *buf, size_t cap)
{
    if (e->rz && e->kind == HK_ERR_MISMATCH) {
        hk_fmt(buf, cap, "%zu-byte block from %s", e->large_size, hk_api_name(e->api));
    } else if (e->rz && e->kind == HK_ERR_OVERFLOW) {
        hk_fmt(buf, cap, "byte %zu past the end of %s %zu-byte block", e->detail_off, a_or_an(e->large_size),
               e->large_size);
    } else if (e->rz && (e->kind == HK_ERR_USE_AFTER_FREE || e->kind == HK_ERR_ACCESS_AFTER_FREE)) {
        hk_fmt(buf, cap, "byte %zu of a freed %zu-byte block", e->detail_off, e->large_size);
    } else if (e->rz && e->kind == HK_ERR_UNDERFLOW && e->large_size) {
        hk_fmt(buf, cap, "byte %zu before the start of %s %zu-byte block", e->detail_off, a_or_an(e->large_size),
               e->large_size);
    } else if (e->rz && e->kind == HK_ERR_UNDERFLOW) {
        hk_fmt(buf, cap, "the header before the block was overwritten");
    } else if (e->rz) {
        hk_fmt(buf, cap, "%zu-byte block", e->large_size);
    } else if (e->slab) {
        hk_superslab *ss = hk_ss_of_slab(e->slab);
        size_t size = hk_class_size[e->slab->cls];
        if (e->offset)
            hk_fmt(buf, cap, "interior pointer %zu bytes into a %zu-byte block at %p, class %u, SuperSlab %u slab %u",
                   e->offset, size, (void *)((const char *)e->ptr - e->offset), e->slab->cls, ss->id,
                   e->slab->idx);
        else
            hk_fmt(buf, cap, "%zu-byte block, class %u, SuperSlab %u slab %u", size, e->slab->cls, ss->id,
                   e->slab->idx);
    } else if (e->large_size && e->offset) {
        hk_fmt(buf, cap, "interior pointer %zu bytes into a %zu-byte large block at %p", e->offset,
               e->large_size, (void *)((const char *)e->ptr - e->offset));
    } else if (e->large_size) {
        hk_fmt(buf, cap, "%zu-byte large block", e->large_size);
    } else {
        describe_foreign(e->ptr, buf, cap);
    }
}

static void on_error_policy(void)
{
    long how = hk_opt[HK_OPT_ON_ERROR];
    if (how == HK_ON_ERROR_REPORT)
        return;
    if (how >= HK_ON_ERROR_EXIT)
        _exit((int)(how - HK_ON_ERROR_EXIT));
    abort();
}

/* Reports a heap error on stderr (one greppable first line, then the
 * stack), records a heap_error event, then applies HAKMEM_ON_ERROR. */
HK_NOINLINE void hk_heap_error(const struct hk_heap_error *e)
{
    char what[256];
    describe(e, what, sizeof what);
    hk_log("hakmem: ERROR: %s %s %p (%s) in %s%s\n", hakmem_heap_error_name(e->kind),
           e->kind >= HK_ERR_OVERFLOW ? "on" : "of", e->ptr, what, e->op, e->trap ? "" : "()");
    void *ip[HAKMEM_SEG_STACK_DEPTH + 16]; /* hakmem's own frames, then the program's */
    int n = hk_stack_capture(ip, HAKMEM_SEG_STACK_DEPTH + 16);
    int skip = e->trap ? 1 : 0; /* a fault: the kernel's signal frame (libc's restorer) */
    print_frames(ip, n, skip);
    print_block_stack("allocated", e->alloc_stack, e->alloc_ip, e->alloc_n);
    print_block_stack("first freed", e->free_stack, e->free_ip, e->free_n);
    /* with HAKMEM_TRACE_STACKS=1 the event carries the stack, from the
     * program's frame that erred, interned in the trace segment: the frames
     * of the trace database */
    uint32_t stack_id = 0;
    if (hk_trace.stacks && n) {
        int k = first_outside(ip, n) + skip;
        stack_id = hk_stack_intern_trace(ip + k, n - k);
    }
    hk_event_heap_error(e->kind, e->slab, e->ptr, stack_id);
    on_error_policy();
}

void hk_report(enum hk_error_kind kind, const char *op, const void *p, hk_slab *s, size_t offset,
               size_t large_size)
{
    struct hk_heap_error e = { .kind = kind, .op = op, .ptr = p, .slab = s, .offset = offset,
                               .large_size = large_size };
    hk_heap_error(&e);
}

void hk_report_access(const char *op, const void *p, const struct hk_span *sp, bool trap)
{
    uintptr_t a = (uintptr_t)p, end = sp->start + sp->size;
    struct hk_heap_error e = { .op = op, .large_size = sp->size, .rz = true, .trap = trap,
                               .alloc_stack = sp->alloc_stack, .free_stack = sp->free_stack,
                               .alloc_ip = sp->alloc_ip, .free_ip = sp->free_ip, .alloc_n = sp->alloc_n,
                               .free_n = sp->free_n };
    if (sp->freed) {
        e.kind = HK_ERR_ACCESS_AFTER_FREE;
        a = a < sp->start ? sp->start : a;
        e.detail_off = a - sp->start;
    } else if (a < sp->start) {
        e.kind = HK_ERR_UNDERFLOW;
        e.detail_off = sp->start - a;
    } else {
        e.kind = HK_ERR_OVERFLOW;
        a = a < end ? end : a;
        e.detail_off = a - end;
    }
    e.ptr = (const void *)a;
    hk_heap_error(&e);
}

/* ---- checks off the fast path */

/* hk_check_remote_free's slow path: the whole validation, with reports, as
 * the owner's. */
bool hk_check_remote_slow(hk_slab *s, const void *p)
{
    return hk_check_free_slow(s, p);
}
