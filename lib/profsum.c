/* profsum.c — the heap profile's exit summary (HAKMEM_PROFILE=1 with
 * HAKMEM_STATS=1): estimated bytes per sampled stack, allocated and still in
 * use at exit, kept by the allocator itself for programs run without the CLI.
 *
 * Sampled blocks are remembered in an open-addressed table by address (its
 * stack and estimated bytes), so that a free knows what to take back; both
 * are touched only on the sampled paths, under one spin lock (at the default
 * rate a sample is one allocation in about a thousand). A table that fills
 * counts the samples it could not follow; the summary says so. */
#include <string.h>
#include <unistd.h>
#include "internal.h"

#define BLOCKS_MAX (1u << 20)  /* sampled blocks followed at once (24 MiB of address space) */
#define SUMMARY_TOP 5

struct block {
    uintptr_t addr;  /* 0: empty */
    uint32_t stack;
    uint32_t pad;
    uint64_t bytes;  /* estimated: requested size times weight */
};

struct per_stack {
    uint64_t allocated, in_use; /* estimated bytes */
    uint64_t samples;
};

static struct block *blocks;
static struct per_stack *stacks;
static uint32_t nstacks;        /* slots of stacks[]: the stack table's capacity + 1 */
static uint64_t unfollowed;     /* samples the full block table could not follow */
static uint32_t nblocks;        /* followed now; at most BLOCKS_FULL, so probes stay short */
#define BLOCKS_FULL (BLOCKS_MAX / 4 * 3)
static atomic_flag busy = ATOMIC_FLAG_INIT;

void hk_profsum_init(uint32_t stack_capacity)
{
    if (!hk_profile_on || !hk_opt[HK_OPT_STATS])
        return;
    nstacks = stack_capacity + 1;
    blocks = hk_os_map(BLOCKS_MAX * sizeof *blocks);
    stacks = hk_os_map((size_t)nstacks * sizeof *stacks);
    if (!blocks || !stacks) {
        hk_log("hakmem: no memory for the heap profile's exit summary; HAKMEM_STATS prints none\n");
        blocks = NULL;
        stacks = NULL;
    }
}

static uint32_t slot_of(uintptr_t a)
{
    return (uint32_t)(((uint64_t)a * 0x9e3779b97f4a7c15ull) >> 44) & (BLOCKS_MAX - 1);
}

static void lock(void)
{
    while (atomic_flag_test_and_set_explicit(&busy, memory_order_acquire))
        ;
}

static void unlock(void)
{
    atomic_flag_clear_explicit(&busy, memory_order_release);
}

void hk_profsum_alloc(const void *p, size_t n, uint64_t weight_fx, uint32_t stack)
{
    if (!blocks)
        return;
    uint64_t bytes = (uint64_t)(((unsigned __int128)n * weight_fx) >> 16);
    uint32_t id = stack < nstacks ? stack : 0;
    lock();
    stacks[id].allocated += bytes;
    stacks[id].in_use += bytes;
    stacks[id].samples++;
    uint32_t i = slot_of((uintptr_t)p);
    if (nblocks >= BLOCKS_FULL) {
        unfollowed++; /* full: this block's free cannot be matched */
    } else {
        while (blocks[i].addr)
            i = (i + 1) & (BLOCKS_MAX - 1);
        blocks[i] = (struct block){ (uintptr_t)p, id, 0, bytes };
        nblocks++;
    }
    unlock();
}

/* Linear probing's deletion: the entries after slot i that would no longer
 * be found move back into the hole. */
static void remove_at(uint32_t i)
{
    for (uint32_t j = (i + 1) & (BLOCKS_MAX - 1); blocks[j].addr; j = (j + 1) & (BLOCKS_MAX - 1)) {
        uint32_t home = slot_of(blocks[j].addr);
        if (((j - home) & (BLOCKS_MAX - 1)) >= ((j - i) & (BLOCKS_MAX - 1))) {
            blocks[i] = blocks[j];
            i = j;
        }
    }
    blocks[i].addr = 0;
}

void hk_profsum_free(const void *p)
{
    if (!blocks)
        return;
    lock();
    for (uint32_t i = slot_of((uintptr_t)p); blocks[i].addr; i = (i + 1) & (BLOCKS_MAX - 1))
        if (blocks[i].addr == (uintptr_t)p) {
            stacks[blocks[i].stack].in_use -= blocks[i].bytes;
            remove_at(i);
            nblocks--;
            break;
        }
    unlock();
}

/* The SUMMARY_TOP stacks by field (offset in struct per_stack), largest first. */
static int top_by(size_t field, uint32_t *top)
{
    int n = 0;
    for (uint32_t id = 0; id < nstacks; id++) {
        uint64_t v = *(const uint64_t *)((const char *)&stacks[id] + field);
        if (!v)
            continue;
        int at = n < SUMMARY_TOP ? n++ : SUMMARY_TOP;
        while (at > 0 && *(const uint64_t *)((const char *)&stacks[top[at - 1]] + field) < v) {
            if (at < SUMMARY_TOP)
                top[at] = top[at - 1];
            at--;
        }
        if (at < SUMMARY_TOP)
            top[at] = id;
    }
    return n;
}

static void print_top(const char *title, size_t field)
{
    uint32_t top[SUMMARY_TOP];
    int n = top_by(field, top);
    hk_log("hakmem profile: top sites by %s (%s)\n", title,
           hk_profile_rate <= 1 ? "every allocation" : "estimated from samples");
    if (!n)
        hk_log("  (none)\n");
    for (int i = 0; i < n; i++) {
        const struct per_stack *s = &stacks[top[i]];
        uint64_t v = *(const uint64_t *)((const char *)s + field);
        hk_log("  #%d %llu KiB from %llu samples%s\n", i + 1, (unsigned long long)(v >> 10),
               (unsigned long long)s->samples, top[i] ? ", at:" : " (no stack: the stack table was full)");
        if (top[i])
            hk_print_stack(top[i], 6);
    }
}

void hk_profsum_at_exit(void)
{
    if (!blocks)
        return;
    lock();
    hk_log("hakmem profile: sampling rate %llu bytes\n", (unsigned long long)hk_profile_rate);
    print_top("bytes allocated", offsetof(struct per_stack, allocated));
    print_top("bytes still in use at exit (leaked)", offsetof(struct per_stack, in_use));
    if (unfollowed)
        hk_log("hakmem profile: %llu samples were not followed to their free (the table of %u was full): "
               "their bytes stay in use above\n",
               (unsigned long long)unfollowed, BLOCKS_MAX);
    unlock();
}
