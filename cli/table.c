/* table.c — an open-addressing hash table of fixed-size slots for the tally:
 * linear probing, power-of-two sizes, at most half full counting deleted slots
 * (tombstones), which a rehash sweeps; it doubles when a quarter is live. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum { FREE = 0, USED = 1, DELETED = 2 };

int hk_table_init(struct hk_table *t, size_t slot_size)
{
    memset(t, 0, sizeof *t);
    t->cap = 256;
    t->size = slot_size;
    t->slots = calloc(t->cap, slot_size);
    return t->slots ? 0 : -1;
}

void hk_table_free(struct hk_table *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = t->filled = t->live = 0;
}

void *hk_table_slot(const struct hk_table *t, size_t i)
{
    return t->slots + i * t->size;
}

int hk_table_live(const void *slot)
{
    return ((const struct hk_slot *)slot)->state == USED;
}

/* Rehashes the live slots into cap slots (tombstones go); on allocation
 * failure the table stays as it is. */
static void rehash(struct hk_table *t, size_t cap)
{
    char *slots = calloc(cap, t->size);
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
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    t->filled = t->live;
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

uint64_t hk_table_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}
