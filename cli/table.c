/* table.c — an open-addressing hash table of fixed-size slots for the tally:
 * linear probing, power-of-two sizes, at most half full counting deleted slots
 * (tombstones), which a rehash sweeps; it doubles when a quarter is live.
 * hk_table_remove() leaves no tombstone (it shifts the chain back), so a table
 * with many removals never sweeps, only doubles. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "cli.h"

enum { FREE = 0, USED = 1, DELETED = 2 };

/* Slot arrays of this size or more are mapped on their own, backed by huge
 * pages where the kernel allows (madvise mode): a table of millions of blocks
 * is probed at random, and with 4 KiB pages nearly every probe missed the TLB. */
#define BIG_SLOTS (4u << 20)

static char *slots_new(size_t cap, size_t size)
{
    size_t bytes = cap * size;
    if (bytes < BIG_SLOTS)
        return calloc(cap, size);
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    (void)madvise(m, bytes, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
    return m;
}

static void slots_free(char *slots, size_t cap, size_t size)
{
    if (cap * size < BIG_SLOTS)
        free(slots);
    else if (slots)
        munmap(slots, cap * size);
}

int hk_table_init(struct hk_table *t, size_t slot_size)
{
    memset(t, 0, sizeof *t);
    t->cap = 256;
    t->size = slot_size;
    t->slots = slots_new(t->cap, slot_size);
    return t->slots ? 0 : -1;
}

void hk_table_free(struct hk_table *t)
{
    slots_free(t->slots, t->cap, t->size);
    t->slots = NULL;
    t->cap = t->filled = t->live = 0;
}

void hk_table_prefetch(const struct hk_table *t, uint64_t hash)
{
    __builtin_prefetch(t->slots + (hash & (t->cap - 1)) * t->size);
}

int hk_table_live(const void *slot)
{
    return ((const struct hk_slot *)slot)->state == USED;
}

/* Rehashes the live slots into cap slots (tombstones go); on allocation
 * failure the table stays as it is. */
static void rehash(struct hk_table *t, size_t cap)
{
    char *slots = slots_new(cap, t->size);
    if (!slots)
        return;
    for (size_t i = 0; i < t->cap; i++) {
        const struct hk_slot *s = hk_table_slot(t, i);
        if (s->state != USED)
            continue;
        size_t j = s->hash & (cap - 1);
        while (((struct hk_slot *)(slots + j * t->size))->state != FREE)
            j = (j + 1) & (cap - 1);
        memcpy(slots + j * t->size, s, t->size);
    }
    slots_free(t->slots, t->cap, t->size);
    t->slots = slots;
    t->cap = cap;
    t->filled = t->live;
    t->gen++;
}

void *hk_table_get(struct hk_table *t, uint64_t hash, int (*same)(const void *, const void *),
                   const void *key, int create, int *created)
{
    if (create && 2 * (t->filled + 1) > t->cap) /* grow, or just sweep tombstones */
        rehash(t, 4 * (t->live + 1) > t->cap ? 2 * t->cap : t->cap);
    struct hk_slot *grave = NULL;
    size_t i = hash & (t->cap - 1);
    for (size_t probes = 0; probes < t->cap; probes++, i = (i + 1) & (t->cap - 1)) {
        struct hk_slot *s = hk_table_slot(t, i);
        if (s->state == FREE) {
            if (!create)
                return NULL;
            if (grave)
                s = grave;
            else
                t->filled++;
            memset(s, 0, t->size);
            s->state = USED;
            s->hash = hash;
            t->live++;
            *created = 1;
            return s;
        }
        if (s->state == DELETED) {
            if (!grave)
                grave = s;
        } else if (s->hash == hash && same(s, key)) {
            return s;
        }
    }
    if (create && grave) { /* no free slot left, but a deleted one */
        memset(grave, 0, t->size);
        grave->state = USED;
        grave->hash = hash;
        t->live++;
        *created = 1;
        return grave;
    }
    return NULL; /* full: only when it could not grow */
}

void hk_table_delete(struct hk_table *t, void *slot)
{
    struct hk_slot *s = slot;
    s->state = DELETED;
    t->live--;
}

/* 1 when a key whose home slot is home may sit at j with the gap at i: home
 * lies cyclically outside (i, j]. */
static int may_fill(size_t home, size_t i, size_t j, size_t mask)
{
    return ((j - home) & mask) >= ((j - i) & mask);
}

/* Backward-shift deletion (Knuth 6.4, algorithm R): each later key of the
 * chain that may sit in the gap moves into it, until a free slot ends the
 * chain. Invariant kept: every key is reachable from its home slot without
 * crossing a free slot. The chain holds no tombstone: a table either removes
 * or deletes, never both (asserted). */
void hk_table_remove(struct hk_table *t, void *slot)
{
    size_t mask = t->cap - 1, i = (size_t)((char *)slot - t->slots) / t->size;
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        struct hk_slot *s = hk_table_slot(t, j);
        assert(s->state != DELETED);
        if (s->state == FREE)
            break;
        if (may_fill(s->hash & mask, i, j, mask)) {
            memcpy(hk_table_slot(t, i), s, t->size);
            i = j;
        }
    }
    memset(hk_table_slot(t, i), 0, t->size);
    t->live--;
    t->filled--;
}

