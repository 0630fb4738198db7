/* stats.c — the allocator's counters: hakmem_stats_get() snapshots and the
 * HAKMEM_STATS=1 summary table (written without stdio). */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"

static struct hakmem_seg_counters local_counters;
struct hakmem_seg_counters *hk_ctr = &local_counters;

#define LOAD(f) atomic_load_explicit((_Atomic uint64_t *)&hk_ctr->f, memory_order_relaxed)

/* Moves the counters into the trace segment (at start-up, before threads). */
void hk_stats_move_to(struct hakmem_seg_counters *dst)
{
    *dst = *hk_ctr;
    hk_ctr = dst;
}

HK_EXPORT const char *hakmem_stage_name(int stage)
{
    const char *label = stage >= 0 ? hakmem_stage_label((unsigned)stage) : NULL;
    return label ? label : "?";
}

/* The counters both structs hold (HAKMEM_COUNTER_LIST's BOTH), segment to stats. */
#define COPY_SCALAR(f) st->f = LOAD(f);
#define COPY_STAGES(f)                                                                      \
    for (int i = 0; i < HAKMEM_STAGES; i++)                                                 \
        st->f[i] = LOAD(f[i]);
#define COPY_BOTH(f, kind) COPY_##kind(f)
#define COPY_SEG(f, kind)   /* class_empty: cls[].empty below */
#define COPY_STATS(f, kind) /* gauges: hk_pool_stats, hk_large_stats */
#define COPY(f, kind, where, what) COPY_##where(f, kind)

HK_EXPORT int hakmem_stats_get(struct hakmem_stats *st)
{
    if (!st)
        return -1;
    memset(st, 0, sizeof *st);
    if (!hk_ensure_init())
        return -1;
    hk_heap_flush_pending(hk_tls_heap); /* the caller's frees count at once */
    HAKMEM_COUNTER_LIST(COPY)
    {
        uint64_t hit, miss;
        hk_heap_stage0_unflushed(&hit, &miss);
        st->stage_hit[HAKMEM_STAGE_0] += hit;
        st->stage_miss[HAKMEM_STAGE_0] += miss;
    }
    st->nclasses = HK_CLASSES;
    for (unsigned c = 0; c < HK_CLASSES; c++) {
        st->cls[c].block_size = hk_class_size[c];
        st->cls[c].blocks_per_slab = hk_class_capacity[c];
        st->cls[c].empty = LOAD(class_empty[c]);
    }
    hk_pool_stats(st);
    hk_large_stats(st);
    return 0;
}

/* ---- the summary table */

struct buf { char data[8192]; size_t len; };

__attribute__((format(printf, 2, 3))) static void add(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof b->data - b->len;
    size_t n = hk_vfmt(b->data + b->len, room, fmt, ap);
    va_end(ap);
    b->len += n < room ? n : room - 1;
}

static void flush(int fd, struct buf *b)
{
    hk_write_all(fd, b->data, b->len);
    b->len = 0;
}

static unsigned pct(uint64_t part, uint64_t whole)
{
    return whole ? (unsigned)(part * 100 / whole) : 0;
}

static void print_classes(int fd, struct buf *b, const struct hakmem_stats *st)
{
    add(b, "class  block  slabs        used    capacity  occ%%   EMPTY\n");
    for (uint32_t c = 0; c < st->nclasses; c++) {
        const struct hakmem_class_stats *k = &st->cls[c];
        if (!k->slabs && !k->empty)
            continue;
        add(b, "%5u %6u %6llu %11llu %11llu  %3u%% %7llu\n", c, k->block_size,
            (unsigned long long)k->slabs, (unsigned long long)k->used,
            (unsigned long long)k->capacity, pct(k->used, k->capacity), (unsigned long long)k->empty);
        if (b->len > sizeof b->data - 256)
            flush(fd, b);
    }
}

/* The command line of this process (/proc/self/cmdline, arguments joined by
 * spaces, cut at cap - 1 bytes), or "?" when it cannot be read. */
static void command_line(char *buf, size_t cap)
{
    ssize_t n = -1;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        n = read(fd, buf, cap - 1);
        close(fd);
    }
    while (n > 0 && buf[n - 1] == '\0')
        n--;
    if (n <= 0) {
        hk_fmt(buf, cap, "?");
        return;
    }
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0' || buf[i] == '\n')
            buf[i] = ' ';
    buf[n] = '\0';
}

HK_EXPORT void hakmem_stats_print(int fd)
{
    struct hakmem_stats st;
    struct buf b = { .len = 0 };
    if (hakmem_stats_get(&st) != 0)
        return;
    char cmd[200];
    command_line(cmd, sizeof cmd);
    add(&b, "hakmem stats: pid %d: %s\n", (int)getpid(), cmd);
    print_classes(fd, &b, &st);
    add(&b, "SuperSlabs: %llu mapped (%llu MiB), %llu unmapped, %llu active, %llu cached in the LRU\n",
        (unsigned long long)st.ss_maps, (unsigned long long)(st.ss_map_bytes >> 20),
        (unsigned long long)st.ss_unmaps, (unsigned long long)st.ss_active,
        (unsigned long long)st.ss_cached);
    add(&b, "LRU: push %llu, pop hit %llu, pop miss %llu, evict %llu (count %llu, memory %llu, ttl %llu)\n",
        (unsigned long long)st.lru_push, (unsigned long long)st.lru_pop_hit,
        (unsigned long long)st.lru_pop_miss, (unsigned long long)st.lru_evict,
        (unsigned long long)st.lru_evict_count, (unsigned long long)st.lru_evict_memory,
        (unsigned long long)st.lru_evict_ttl);
    add(&b, "EMPTY transitions: %llu, slabs released: %llu\n", (unsigned long long)st.empty,
        (unsigned long long)st.slab_release);
    add(&b, "stage      hit       miss\n");
    for (int i = 0; i < HAKMEM_STAGES; i++)
        add(&b, "%-5s %9llu %10llu\n", hakmem_stage_label((unsigned)i), (unsigned long long)st.stage_hit[i],
            (unsigned long long)st.stage_miss[i]);
    add(&b, "large: %llu maps (%llu MiB), %llu unmaps, %llu live (%llu KiB), %llu KiB cached\n",
        (unsigned long long)st.large_maps, (unsigned long long)(st.large_map_bytes >> 20),
        (unsigned long long)st.large_unmaps, (unsigned long long)st.large_live,
        (unsigned long long)(st.large_live_bytes >> 10), (unsigned long long)(st.large_cached_bytes >> 10));
    add(&b, "threads: %llu started, %llu exited\n", (unsigned long long)st.threads_started,
        (unsigned long long)st.threads_exited);
    uint64_t hit, miss, unc;
    hk_stack_cache_counts(&hit, &miss, &unc);
    if (hit + miss)
        add(&b, "profile stack cache: %llu hits, %llu misses (%llu stacks not cacheable)\n",
            (unsigned long long)hit, (unsigned long long)miss, (unsigned long long)unc);
    flush(fd, &b);
}

void hk_stats_at_exit(void)
{
    hakmem_stats_print(hk_log_fd);
}
