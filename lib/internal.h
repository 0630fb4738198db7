/* internal.h — the allocator's cross-file internals (hk_ names), each under a
 * "---- file.c" heading naming the file that defines it.
 *
 * The rule for lib/'s headers: a declaration lives in internal.h under the
 * heading of the file that defines it, or in the header named after that
 * file (ring.h for ring.c, segment.h, event.h, heapcheck.h); such a header
 * holds that file's declarations, and under a "---- other.c" heading those
 * of another file that need its types; types.h holds shared types and constants,
 * hakmem*.h the public API. Each header's first two lines say what it owns
 * and which file defines it. Everything else in lib/ is static. */
#ifndef HK_INTERNAL_H
#define HK_INTERNAL_H

#include <elf.h>
#include <pthread.h>
#include <stdarg.h>
#include "types.h"
#include "hakmem.h"
#include "list.h"

/* The lists of slabs (a heap's AVAIL and FULL lists, the pool's registry and
 * orphans) and of SuperSlabs (the pool's active list and the LRU through
 * prev/next; the pool's with-free-slots list through fprev/fnext). */
HK_LIST_DEFINE(hk_slab_list, hk_slab, prev, next);
HK_LIST_DEFINE(hk_ss_list, hk_superslab, prev, next);
HK_LIST_DEFINE(hk_ss_flist, hk_superslab, fprev, fnext);

/* ---- copycheck.c: the checked memcpy family. Inside the allocator memcpy,
 * memmove and memset (its only ones, gcc's own calls for struct copies
 * too) are libc's through hk_libc_*, never the exported checked ones. */
#ifndef HK_COPYCHECK_DEFINES
#include <string.h>
void *memcpy(void *d, const void *s, size_t n) __asm__("hk_libc_memcpy");
void *memmove(void *d, const void *s, size_t n) __asm__("hk_libc_memmove");
void *memset(void *d, int c, size_t n) __asm__("hk_libc_memset");
#endif
void *hk_libc_memcpy(void *d, const void *s, size_t n);
void *hk_libc_memmove(void *d, const void *s, size_t n);
void *hk_libc_memset(void *d, int c, size_t n);
/* Resolves libc's implementations (dlsym), as the first checked call would. */
void hk_copycheck_init(void);

/* ---- log.c: invariants checked under --enable-debug. HK_ASSERT compiles
 * and is type-checked in every build; without --enable-debug the optimiser
 * removes it and its condition is never evaluated (no #ifdef). hk_panic
 * writes one line (no stdio, no malloc) and aborts. */
#define HK_ASSERT(c) \
    ((void)(hk_config_debug && HK_UNLIKELY(!(c)) ? hk_assert_fail(#c, __FILE__, __LINE__) : (void)0))
/* HK_ASSERT with a message in printf form, for values worth seeing. */
#define HK_ASSERTF(c, ...) \
    ((void)(hk_config_debug && HK_UNLIKELY(!(c)) ? hk_panic(__FILE__, __LINE__, __VA_ARGS__) : (void)0))
void hk_assert_fail(const char *what, const char *file, int line) __attribute__((noreturn, cold));
void hk_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, cold, format(printf, 3, 4)));

/* ---- sizeclass.c: size → class by table, class → block size and capacity */
extern const uint8_t hk_class_of8[HK_TINY_MAX / 8 + 1];
extern const uint8_t hk_class_of256[HK_MID_MAX / 256 + 1];
extern const uint32_t hk_class_size[HK_CLASSES];
extern const uint16_t hk_class_capacity[HK_CLASSES];

/* Class of a request of n <= HK_MID_MAX bytes. */
static inline unsigned hk_size_class(size_t n)
{
    if (HK_LIKELY(n <= HK_TINY_MAX))
        return hk_class_of8[(n + 7) >> 3];
    return hk_class_of256[(n + 255) >> 8];
}

/* ---- chunkmap.c: which 2 MiB chunks of the address space hakmem owns */
extern uint8_t hk_chunkmap[HK_CHUNKS];
void hk_chunkmap_set(uintptr_t start, size_t len, uint8_t head, uint8_t rest);
void hk_chunkmap_clear_large(uintptr_t start, size_t len);
static inline unsigned hk_chunk_kind(uintptr_t a)
{
    uintptr_t c = a >> HK_SS_SHIFT;
    return HK_LIKELY(c < HK_CHUNKS) ? hk_chunkmap[c] : HK_CHUNK_NONE;
}

/* ---- os.c: pages from the kernel, clocks, thread ids */
void *hk_os_map(size_t len);
void *hk_os_map_aligned(size_t len, size_t align, bool *trimmed);
void hk_os_unmap(void *p, size_t len);
void hk_os_purge(void *p, size_t len);
uint64_t hk_now_ns(void);
uint32_t hk_gettid(void);

/* ---- tsc.c: the events' clock, CLOCK_MONOTONIC ns off the invariant TSC */
/* Starts calibrating (use: false, or no invariant TSC: clock_gettime only). */
void hk_tsc_init(bool use);
/* Now in CLOCK_MONOTONIC ns; never less than this thread's last reading. */
uint64_t hk_tsc_ns(void);
bool hk_tsc_on(void); /* calibrated and trusted */
void hk_tsc_atfork_child(void);
/* Starts a detached helper thread (64 KiB stack) with every signal blocked,
 * so the program's handlers never run on it; false when it could not. */
bool hk_os_thread(void *(*fn)(void *));
extern size_t hk_page_size;

/* ---- log.c: formatting and writing without stdio or malloc */
size_t hk_vfmt(char *buf, size_t cap, const char *fmt, va_list ap);
size_t hk_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void hk_dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Where the allocator's messages go: stderr, or HAKMEM_LOG's file. */
extern int hk_log_fd;
#define hk_log(...) hk_dprintf(hk_log_fd, __VA_ARGS__)
void hk_write_all(int fd, const char *buf, size_t len);
/* Opens the log file of template path (%p the pid, %% a %) once at start-up,
 * on a high descriptor; NULL, or a file that cannot be opened (said in one line
 * on stderr), keeps stderr. Returns whether the file is the log. */
bool hk_log_open(const char *path);

/* ---- elf.c: a module's ELF file mapped read-only for one lookup */
struct hk_elf {
    const unsigned char *f; /* the file's bytes */
    uint64_t size;
    const Elf64_Shdr *sh;   /* its section headers, inside the file */
    unsigned nsh, shstrndx;
};
/* [off, off + len) lies inside a file of size bytes. */
bool hk_elf_inside(uint64_t off, uint64_t len, uint64_t size);
/* Maps the 64-bit little-endian ELF file at path whose section headers lie in
 * it; false (nothing mapped) otherwise. */
bool hk_elf_map(const char *path, struct hk_elf *e);
void hk_elf_unmap(struct hk_elf *e);
/* Section s's bytes lie inside the file. */
bool hk_elf_section_ok(const struct hk_elf *e, const Elf64_Shdr *s);

/* ---- symtab.c: function names from a module file's ELF symbol table (reports) */
/* The function of the ELF file at path containing vaddr (an address of the
 * file's own, before relocation): its name (truncated to cap) into name and
 * its address into *start; false when the file or its table has none. No
 * malloc, no stdio, no lock. */
bool hk_symtab_find(const char *path, uint64_t vaddr, char *name, size_t cap, uint64_t *start);

/* ---- lineinfo.c: source file and line from a module file's DWARF line table (reports) */
/* The source file ("dir/name" as compiled; truncated to cap) and line of
 * the code at vaddr (the file's own address) of the ELF file at path; false
 * without DWARF (or with compressed sections). No malloc, no stdio, no lock. */
bool hk_lineinfo_find(const char *path, uint64_t vaddr, char *file, size_t cap, unsigned *line);

/* ---- options.c: the one options table, read once at start */
enum hk_opt {
    HK_OPT_SS_LRU_DEBUG,
    HK_OPT_SS_FREE_DEBUG,
    HK_OPT_SS_LRU_MAX_CACHED,
    HK_OPT_SS_LRU_MAX_MB,
    HK_OPT_SS_LRU_TTL_SEC,
    HK_OPT_SS_EMPTY_REUSE,
    HK_OPT_LARGE_CACHE_MB,
    HK_OPT_STATS,
    HK_OPT_TRACE,
    HK_OPT_TRACE_MODE,
    HK_OPT_TRACE_EVENTS,
    HK_OPT_TRACE_KEEP,
    HK_OPT_TRACE_WAIT,
    HK_OPT_TRACE_STACKS,
    HK_OPT_TRACE_RECORDER,
    HK_OPT_TRACE_ONLY,
    HK_OPT_CHECK,
    HK_OPT_ON_ERROR,
    HK_OPT_LOG,
    HK_OPT_PROFILE,
    HK_OPT_PROFILE_RATE,
    HK_OPT_PROFILE_SEED,
    HK_OPT_PROFILE_SITES,
    HK_OPT_PROFILE_STACKS,
    HK_OPT_PROFILE_DEPTH,
    HK_OPT_GUARD,
    HK_OPT_GUARD_QUARANTINE_MB,
    HK_OPT_GUARD_SAMPLE,
    HK_OPT_GUARD_SAMPLE_MAX,
    HK_OPT_GUARD_SAMPLE_GAP,
    HK_OPT_COUNT
};
enum hk_guard_side { HK_GUARD_OVER, HK_GUARD_UNDER }; /* HAKMEM_GUARD */
enum hk_profile_stacks { HK_PROFILE_STACKS_UNWIND, HK_PROFILE_STACKS_FP }; /* HAKMEM_PROFILE_STACKS */
extern char hk_opt_path[256]; /* HAKMEM_TRACE=/PATH, else empty */
extern char hk_opt_log[256];  /* HAKMEM_LOG=PATH as given (%p unexpanded), else empty */
extern long hk_opt[HK_OPT_COUNT];
void hk_options_init(char **envp);
const char *hk_option_name(enum hk_opt o);

/* ---- stats.c: counters, updated on slow paths only; they live in the
 *      trace segment while tracing, so readers see them live */
#include "hakmem_segment.h"
extern struct hakmem_seg_counters *hk_ctr;
#define HK_STAT_ADD(field, n) \
    atomic_fetch_add_explicit((_Atomic uint64_t *)&hk_ctr->field, (n), memory_order_relaxed)
#define HK_STAT_INC(field) HK_STAT_ADD(field, 1)
/* A counter only ever written under one lock (the pool's): a plain add, no
 * locked instruction, which costs tens of cycles on slab-hungry workloads;
 * readers still load it whole. */
#define HK_STAT_INC_LOCKED(field)                                                             \
    atomic_store_explicit((_Atomic uint64_t *)&hk_ctr->field,                                 \
                          atomic_load_explicit((_Atomic uint64_t *)&hk_ctr->field,           \
                                               memory_order_relaxed) + 1,                    \
                          memory_order_relaxed)
void hk_stats_move_to(struct hakmem_seg_counters *dst);
void hk_stats_at_exit(void);

/* ---- superslab.c: 2 MiB regions and their slots */
hk_superslab *hk_ss_map(void);
void hk_ss_unmap(hk_superslab *ss, int why);
void hk_ss_reset(hk_superslab *ss);
void hk_ss_purge(hk_superslab *ss);
static inline hk_superslab *hk_ss_of(const void *p)
{
    return (hk_superslab *)((uintptr_t)p & ~(uintptr_t)HK_SS_MASK);
}
/* The slab of SuperSlab ss that address a lies in: &ss->slabs[slot of a],
 * slot * 128 straight from the address bits. */
static inline hk_slab *hk_slab_in(hk_superslab *ss, uintptr_t a)
{
    return (hk_slab *)((uintptr_t)ss + ((a >> (HK_SLAB_SHIFT - HK_SLAB_META_SHIFT)) &
                                        ((uintptr_t)(HK_SLABS_PER_SS - 1) << HK_SLAB_META_SHIFT)));
}

static inline hk_slab *hk_slab_of(const void *p)
{
    return hk_slab_in(hk_ss_of(p), (uintptr_t)p);
}

static inline hk_superslab *hk_ss_of_slab(const hk_slab *s)
{
    return hk_ss_of(s);
}
static inline char *hk_slab_base(const hk_slab *s)
{
    return (char *)hk_ss_of(s) + ((size_t)s->idx << HK_SLAB_SHIFT);
}

/* Blocks of s out of its owner's lists: a slab on its heap's FULL list
 * keeps used at 1 and the count in full_used (heap.c). Racy, and clamped,
 * when another thread reads. */
static inline uint32_t hk_slab_used(const hk_slab *s)
{
    uint32_t u = *(const volatile uint32_t *)&s->used;
    if (*(const volatile uint8_t *)&s->list == HK_LIST_FULL)
        u = s->full_used + u - 1;
    return u <= s->capacity ? u : s->capacity;
}

/* ---- slab.c: formatting, carving and collecting blocks */
void hk_slab_format(hk_slab *s, unsigned cls);
bool hk_slab_refill(hk_slab *s);
uint32_t hk_slab_collect_remote(hk_slab *s);

/* A slab's remote list is one word: the head of a NULL-terminated chain of
 * blocks in the low HK_ADDR_BITS bits (every block lies below 2^47, the chunk
 * map's range) and how many blocks it holds above them, so that the owner
 * takes the count with the chain and need not walk it. */
static inline hk_block *hk_remote_head(uintptr_t v)
{
    return (hk_block *)(v & (((uintptr_t)1 << HK_ADDR_BITS) - 1));
}

static inline uint32_t hk_remote_count(uintptr_t v)
{
    return (uint32_t)(v >> HK_ADDR_BITS);
}

static inline uintptr_t hk_remote_word(hk_block *head, uint32_t count)
{
    HK_ASSERT(!((uintptr_t)head >> HK_ADDR_BITS) && count < (1u << (64 - HK_ADDR_BITS)));
    return (uintptr_t)head | (uintptr_t)count << HK_ADDR_BITS;
}

/* ---- lru.c: cache of empty SuperSlabs (count, memory and TTL bounds);
 *      all under hk_pool_lock */
void hk_lru_push(hk_superslab *ss);
hk_superslab *hk_lru_pop(unsigned cls);
size_t hk_lru_evict_expired(uint64_t now);
uint64_t hk_lru_oldest_ns(void); /* when the coldest was cached; 0: none */
uint64_t hk_lru_dirty_ns(void);  /* when the coldest not purged was cached; 0: none */
size_t hk_lru_purge(uint64_t now, size_t max);
size_t hk_lru_evict_all(void);
uint32_t hk_lru_count(void);
hk_superslab *hk_lru_head(void);
void hk_lru_init_log(void);
void hk_lru_validate(void); /* the debug walk; the caller holds hk_pool_lock */


/* ---- pool.c: the shared pool — acquisition stages 0.5..3, EMPTY registry */
extern pthread_mutex_t hk_pool_lock;
hk_slab *hk_pool_acquire(hk_heap *h, unsigned cls);
void hk_pool_release(hk_slab *s);
void hk_pool_give_back(hk_slab *chain); /* a thread's slabs at its exit, chained by next */
void hk_pool_stats(struct hakmem_stats *st);
size_t hk_pool_trim(void);
void hk_pool_foreach_ss(void (*fn)(hk_superslab *ss, void *arg), void *arg);
uint64_t hk_pool_mostly_free(void);
void *hk_meta_alloc(size_t size);
void hk_pool_validate(void); /* the debug walk; takes hk_pool_lock */


/* ---- purge.c: the thread that purges the pages of cached SuperSlabs and
 *      large mappings and unmaps expired ones, even in an idle program */
void hk_purge_init(void);
void hk_purge_notify(void);
void hk_purge_kick(uint64_t now);
void hk_purge_poll(void);
void hk_purge_atfork_child(void);

/* ---- heap.c: thread heaps, their slow paths and remote frees */
extern __thread hk_heap *hk_tls_heap;
/* hk_tls.fast, the heap of the exported malloc and free: the thread's heap,
 * except at HAKMEM_CHECK=2 where it stays the empty one, so that their fast
 * paths always miss and their slow paths hand over to the redzone allocator. */
extern __thread struct hk_tls hk_tls;
extern hk_heap hk_heap_empty;
extern hk_slab hk_slab_dummy;
void *hk_heap_malloc_slow(hk_heap *h, unsigned cls);
void hk_heap_free_slow(hk_heap *h, hk_slab *s);
void hk_free_remote(hk_heap *h, hk_slab *s, void *p);
/* The most blocks of class cls < HK_FOREIGN_CLASSES a heap keeps. */
static inline uint32_t hk_foreign_cap(unsigned cls)
{
    uint32_t n = HK_FOREIGN_BYTES / hk_class_size[cls];
    return n < HK_FOREIGN_MIN ? HK_FOREIGN_MIN : n;
}
void hk_heap_flush_pending(hk_heap *h);
/* How many emptied slabs a heap keeps as spares (HK_SPARE_SLABS; tests set 0
 * to see every EMPTY slab go back at once). */
extern unsigned hk_spare_slabs;
void hk_heap_release_spares(hk_heap *h);
/* Stage-0 hits and misses: counted per thread, added to the shared counters
 * every HK_STAGE0_BATCH and at thread exit; hakmem_stats_get adds the rest. */
#define HK_STAGE0_BATCH 64
void hk_heap_count_stage0(unsigned miss);
void hk_heap_stage0_unflushed(uint64_t *hit, uint64_t *miss);
void hk_heap_flush_stage0(hk_heap *h);
void hk_heap_exit(void *heap);
/* The calling thread's heap, created if it has none (NULL: out of memory). */
hk_heap *hk_heap_of_thread(void);
/* h's sampled heap, made (or taken over from an exited thread) at its first
 * sample; NULL when out of memory. */
hk_heap *hk_heap_sampled(hk_heap *h);
/* A free of p, a block of s whose owner is a sampled heap, by the thread of
 * heap h: checked, its free event recorded, then pushed on the owner's free
 * list or the slab's remote list; false (after the report) when p was no
 * live block. */
bool hk_heap_free_sampled(hk_heap *h, hk_slab *s, void *p);
void hk_heap_global_init(void);
void hk_heap_atfork_prepare(void);
void hk_heap_atfork_parent(void);
void hk_heap_atfork_child(void);
/* The debug walks (mimalloc's mi_segment_is_valid), run at thread exit and
 * malloc_trim when hk_config_debug; each panics at the first broken invariant. */
void hk_heap_validate(hk_heap *h); /* the calling thread's heap, then pool, LRU, large */


/* ---- large.c: blocks above HK_MID_MAX, in their own cached mappings */
/* n bytes at an address whose sum with off is a multiple of align (0: no
 * alignment beyond 64 bytes); NULL and ENOMEM when out of memory. */
void *hk_large_malloc(size_t n, size_t align, size_t off, bool zero);
void hk_large_free(void *p);
void *hk_large_realloc(void *p, size_t n);
size_t hk_large_usable(const void *p);
/* Marks live large block p as sampled (the heap profiler), or tells. */
void hk_large_set_sampled(void *p);
bool hk_large_sampled(const void *p);
bool hk_large_owns(const void *p);
bool hk_large_block_of(const void *p, char **user, size_t *usable);
size_t hk_large_trim(void);
/* Bytes the cache of freed mappings may hold now (it follows the recent peak of large frees). */
size_t hk_large_cache_limit(void);
/* The purger's visit (no lock held): purges and expires what is due; the
 * time of the next deadline, 0 when nothing is cached. */
uint64_t hk_large_purge(void);
void hk_large_stats(struct hakmem_stats *st);
extern pthread_mutex_t hk_large_lock;
void hk_large_validate(void); /* the debug walk; takes hk_large_lock */


/* ---- alloc.c: the exported malloc family */
/* What malloc_trim releases: this thread's kept blocks and spare slabs, the
 * LRU's SuperSlabs and the large cache; the number of mappings unmapped.
 * Also called when a map fails, before the one retry: the caller must hold
 * no allocator lock. */
size_t hk_trim(void);
/* The allocator without level-2 wrapping, for redzone.c. */
void *hk_plain_malloc(size_t n);
void hk_plain_free(void *p);
size_t hk_plain_usable(const void *p);
bool hk_plain_is_block(const void *p);

/* ---- redzone.c: HAKMEM_CHECK=2 */
extern bool hk_debug;
void hk_rz_init(void);
void hk_rz_atfork_prepare(void);
void hk_rz_atfork_release(void);
void *hk_rz_malloc(size_t n, size_t align, bool zero);
void hk_rz_free(void *p);
void hk_rz_free_api(void *p, unsigned api, const char *op);
void hk_rz_set_api(void *p, unsigned api);
const char *hk_api_name(unsigned api);
void *hk_rz_realloc(void *p, size_t n);
size_t hk_rz_usable(void *p);

/* ---- guard.c: guard pages (HAKMEM_CHECK=3) */
extern bool hk_guard_all; /* every block of the exported functions is guarded */
void hk_guard_init(void);
void hk_guard_atfork_prepare(void);
void hk_guard_atfork_release(void);
/* An n-byte block aligned to align (16 at least) against a guard page; NULL
 * when no slot is left (the caller falls back to level 2). api: enum hk_api. */
void *hk_guard_malloc(size_t n, size_t align, bool zero, unsigned api);
/* Frees guarded block p as op of family api; false after a report. */
bool hk_guard_free(void *p, unsigned api, const char *op);
bool hk_guard_live(const void *p, size_t *size);
void hk_guard_set_api(void *p, unsigned api);
/* A fault at addr (a write or a read) in a guard region: reported, true;
 * false for a fault that is not hakmem's. */
bool hk_guard_fault(const void *addr, bool write);

/* ---- segv.c: the SIGSEGV handler, ahead of the program's, and the threads'
 *      alternate signal stacks */
void hk_segv_install(void);
void hk_segv_thread_start(void); /* a thread's first allocation (heap.c, guard.c) */
void hk_segv_atfork_prepare(void);
void hk_segv_atfork_release(void);

/* ---- guardsample.c: sampled guards (HAKMEM_GUARD_SAMPLE) at HAKMEM_CHECK=1 */
#define HK_GUARD_SAMPLE_SLOTS 16 /* slots live or quarantined (GWP-ASan's default) */
void hk_guard_sample_init(void);
/* The heap profiler's countdown ran out with profiling off (profile.c):
 * *left redrawn; true when this allocation of n bytes goes to a guarded slot. */
bool hk_guard_sample_due(int64_t *left, size_t n);
/* The sampled allocation, or NULL (no slot free: the caller allocates as usual). */
void *hk_guard_sample_malloc(size_t n, size_t align, bool zero);

/* ---- occupancy.c: the sampler thread */
struct hakmem_seg_occupancy;
struct hakmem_seg_stacks;
void hk_occupancy_start(void);
void hk_occupancy_sample(struct hakmem_seg_occupancy *occ);
void hk_occupancy_final(void);
void hk_occupancy_atfork_child(void);

/* ---- stack.c: stack capture (libunwind, frame pointers) and the stack table */
void hk_stack_load_modules(struct hakmem_seg_stacks *st);
void hk_stack_begin(void);
uint32_t hk_stack_id(void);
void hk_stack_end(void);
void hk_stack_blocks_init(void);
uint32_t hk_stack_here(void);
int hk_stack_frames(uint32_t id, uint64_t *ip, int max);
/* Stack id's frames from the first outside hakmem, at most max, on the log. */
void hk_print_stack(uint32_t id, int max);
int hk_stack_capture(void **ip, int max);
/* The same by libgcc's unwinder, which keeps nothing per thread (libunwind's
 * fast trace maps and fills 256 KiB per thread): for rare captures. */
int hk_stack_capture_light(void **ip, int max);
/* Start-up: finds libgcc's unwinder for hk_stack_capture_light (libhakmem
 * needs libgcc_s); false when it is not loaded (libunwind's serves then). */
bool hk_stack_init(void);
/* The frame-pointer chain from the caller's frame: return addresses,
 * innermost first, into ip[0..max); how many. Safe on any code: it stops at
 * the first frame that is not higher up this thread's stack. */
int hk_stack_capture_fp(void **ip, int max);
/* HAKMEM_PROFILE_DEPTH frames by HAKMEM_PROFILE_STACKS into ip[0..HAKMEM_SEG_STACK_DEPTH). */
int hk_stack_capture_profile(void **ip);
/* Frames captured beyond HAKMEM_PROFILE_DEPTH: room for the profiler's own,
 * which are stripped. */
#define HK_STACK_SLACK 8
/* Start-up of the profiler's stacks: finds libhakmem's text (hk_stack_own_text). */
void hk_stack_program_init(void);
/* Start-up of stackcache.c: libgcc's unwinder looked up by version. */
void hk_stack_cache_init(void);
/* Frames ip[0..n) without libhakmem's own at the top, at most
 * HAKMEM_PROFILE_DEPTH, interned: the id (0 when the table is full); *used =
 * how many of ip[] went into it (the stripped ones included). */
uint32_t hk_stack_program_id(void *const *ip, int n, int *used);
/* The program's stack of the sampled allocation whose exported function's
 * frame is `from` (its caller's return address at from + 8), interned: by
 * HAKMEM_PROFILE_STACKS, the frame-pointer walk starting at from, or
 * libunwind's. NULL from: libunwind from the caller. */
uint32_t hk_stack_profile_plain(void *from);
/* ---- stackcache.c: the same through the thread's validated stack cache
 * (libunwind's stacks, x86-64): the id of a stack seen before at `from`
 * whose return addresses all still lie where they did, else as _plain. */
uint32_t hk_stack_profile_id(void *from);
/* Cache hits, misses (walked) and stacks found uncacheable, all threads. */
void hk_stack_cache_counts(uint64_t *hit, uint64_t *miss, uint64_t *uncached);
void hk_stack_cache_atfork_child(void);
/* The calling thread's cache unmapped (its exit). */
void hk_stack_cache_thread_exit(void);
/* The top of this thread's stack mapping holding sp (frames lie below it),
 * 0 when sp is in none. */
uintptr_t hk_stack_top(uintptr_t sp);
/* libhakmem's executable mapping [lo, hi); false when not found. */
bool hk_stack_own_text(uintptr_t *lo, uintptr_t *hi);
uint32_t hk_stack_intern_trace(void *const *ip, int n);
void hk_stack_atfork_prepare(void);
void hk_stack_atfork_release(void);

/* ---- sample.c: the heap profiler's sampling arithmetic (profile.c uses it):
 * a PRNG on a state the caller owns, exponential byte countdowns of mean
 * rate, and a sample's weight 1/(1 − e^(−size/rate)) in HK_WEIGHT_ONE units */
uint64_t hk_sample_rand(uint64_t *state);
/* log2(x) in Q.30 for x >= 1, within 2^-27. */
uint64_t hk_sample_log2_q30(uint64_t x);
uint64_t hk_sample_next(uint64_t *state, uint64_t rate);
uint64_t hk_sample_weight_fx(size_t size, uint64_t rate);
void hk_sampler_init(struct hk_sampler *s, uint64_t seed, uint64_t rate);
bool hk_sample_take(struct hk_sampler *s, size_t size);

/* ---- profile.c: the heap profiler (HAKMEM_PROFILE) */
extern bool hk_profile_on;
extern uint64_t hk_profile_rate;
void hk_profile_init(void);
/* A thread's PRNG seed, never 0: HAKMEM_PROFILE_SEED plus the thread's rank
 * among the threads that drew one, else from the clock. */
uint64_t hk_profile_seed(void);
/* The calling thread's countdown *left (hk_tls.left, or site_left with
 * site tags) went below 0 after an allocation of n bytes: true when that
 * allocation is to be sampled (the countdown is drawn afresh); false inside
 * the profiler. With profiling off the countdown is sampled guards'
 * (hk_guard_sample_due), or parked near HK_SAMPLE_MAX. */
bool hk_profile_due(int64_t *left, size_t n);
/* While held, the calling thread's allocations are not sampled (hakmem's own, such as
 * the thread descriptor of its occupancy thread: not the program's call sites). */
void hk_profile_hold(bool hold);
/* Allocates the sampled allocation of n bytes (the block for `size` bytes,
 * n or more, aligned to align when align > 16; zeroed when zero) from the
 * thread's sampled heap or the large tier, and records its alloc event with
 * the stack from frame fp (an exported function's, or 0: libunwind). With
 * profiling off: a sampled guard's (hk_guard_sample_malloc). */
void *hk_profile_malloc(size_t n, size_t size, size_t align, bool zero, void *fp);
/* The same with the stack id already found (hk_stack_profile_id from the
 * caller's frame: two frames fewer to unwind on a miss). */
void *hk_profile_malloc_id(size_t n, uint32_t stack);
/* Room for the frames hk_stack_capture_profile_at captures. */
#define HK_PROFILE_IPS (HAKMEM_SEG_STACK_DEPTH + HK_STACK_SLACK)
/* The free event of sampled block p (s its slab, NULL when large). */
void hk_profile_freed(const void *p, hk_slab *s);
/* p, a block hakmem owns, is a sampled one. */
bool hk_profile_is_sampled(const void *p);
/* The calling thread's next free of a sampled block is realloc's. */
void hk_profile_realloc_next(void);

/* ---- profsum.c: the heap profile's exit summary (HAKMEM_STATS=1) */
void hk_profsum_init(uint32_t stack_capacity);
/* Sampled block p of n bytes requested, its weight (Q.16) and stack. */
void hk_profsum_alloc(const void *p, size_t n, uint64_t weight_fx, uint32_t stack);
void hk_profsum_free(const void *p);   /* p, a sampled block, is freed */
void hk_profsum_at_exit(void);

/* ---- sites.c: the heap profiler's site tags (HAKMEM_PROFILE_SITES) */
extern bool hk_sites_on;
/* Sites on, tagged on the slow path: in libhakmem.so (not the twin). */
static inline bool hk_sites_slow(void)
{
    return hk_sites_on && !hk_config_sites;
}
void hk_sites_init(void);
void hk_sites_map(hk_superslab *ss);   /* a new SuperSlab's side table */
void hk_sites_unmap(hk_superslab *ss);
/* The tag row of a slab just formatted: its SuperSlab's, or the scratch row. */
uint64_t *hk_sites_row(hk_slab *s);
/* Block p of hot slab s, just allocated by the program's call returning to
 * ra, gets its site tag: one store (the row is never NULL). */
static inline void hk_site_tag_slab(hk_slab *s, void *p, void *ra)
{
    s->sites[((uint64_t)((uintptr_t)p & (HK_SLAB_SIZE - 1)) * s->magic) >> 32] = (uintptr_t)ra;
}
/* The same for any block p hakmem handed out (a large one has no tag). */
void hk_site_tag(void *p, void *ra);
/* n bytes for the program's call returning to ra, counted, sampled and tagged (operator new). */
void *hk_sites_malloc_at(size_t n, void *ra);
/* slab_pin events: the live blocks of each slab by site (once, at exit). */
void hk_sites_at_exit(void);
/* The same for slot `slot` of ss, mostly free at a map (pool lock held),
 * once until the slab empties (hk_sites_slab_empty). */
void hk_sites_pins_at_map(hk_superslab *ss, unsigned slot);
void hk_sites_slab_empty(hk_slab *s);

/* ---- init.c: start-up once, atfork, thread exit */
extern _Atomic int hk_init_state; /* 0 none, 1 running, 2 done */
bool hk_init_slow(void);
static inline bool hk_ensure_init(void)
{
    return HK_LIKELY(atomic_load_explicit(&hk_init_state, memory_order_acquire) == 2) || hk_init_slow();
}

#endif
