/* blockmap.c — the heap profile's live blocks by address: records in a dense
 * array (freed ones reused first), found through an index of 8-byte slots. */
#include <string.h>
#include <sys/mman.h>
#include "cli.h"

/* An index slot: the record's number + 1 in the low 32 bits (0: empty), the low
 * 32 bits of its address's hash in the high ones, which place it (home: hash &
 * mask) and sort out most other keys without touching their records.
 * Invariant: linear probing from a key's home reaches it before an empty slot;
 * removal shifts the chain back (no tombstones), at most half the slots used. */
#define SLOT(rec, hash) ((uint64_t)(uint32_t)(hash) << 32 | (uint64_t)((rec) + 1))
#define SLOT_REC(s) ((uint32_t)(s) - 1)
#define SLOT_HASH(s) ((uint32_t)((s) >> 32))
#define FIRST_SLOTS 1024
#define FIRST_RECS 1024
#define REC_MAX 0xfffffffeu

/* A free record: addr 0, the next free one's number + 1 after it. */
struct free_rec {
    uint64_t addr;
    uint32_t next;
};

/* Anonymous memory, huge pages where the kernel allows (madvise mode): both
 * arrays are read at random and with 4 KiB pages nearly each read missed the TLB. */
static void *map_new(size_t bytes)
{
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    (void)madvise(m, bytes, MADV_HUGEPAGE); /* a hint */
    return m;
}

static uint32_t hash_of(uint64_t addr)
{
    return (uint32_t)hk_table_mix(addr);
}

static void *rec_at(const struct hk_blockmap *m, uint32_t r)
{
    return m->recs + (size_t)r * m->rec_size;
}

int hk_blockmap_init(struct hk_blockmap *m, size_t rec_size)
{
    memset(m, 0, sizeof *m);
    m->rec_size = rec_size < sizeof(struct free_rec) ? sizeof(struct free_rec) : rec_size;
    m->index = map_new(FIRST_SLOTS * sizeof *m->index);
    m->recs = map_new(FIRST_RECS * m->rec_size);
    if (!m->index || !m->recs) {
        hk_blockmap_free(m);
        return -1;
    }
    m->cap = FIRST_SLOTS;
    m->rec_cap = FIRST_RECS;
    return 0;
}

void hk_blockmap_free(struct hk_blockmap *m)
{
    if (m->index)
        munmap(m->index, m->cap ? m->cap * sizeof *m->index : FIRST_SLOTS * sizeof *m->index);
    if (m->recs)
        munmap(m->recs, (m->rec_cap ? m->rec_cap : FIRST_RECS) * m->rec_size);
    memset(m, 0, sizeof *m);
}

/* The index slot that holds addr, or the empty slot that ends its chain. */
static size_t probe(const struct hk_blockmap *m, uint64_t addr, uint32_t h)
{
    size_t mask = m->cap - 1, i = h & mask;
    for (;; i = (i + 1) & mask) {
        uint64_t s = m->index[i];
        if (!s || (SLOT_HASH(s) == h && *(const uint64_t *)rec_at(m, SLOT_REC(s)) == addr))
            return i;
    }
}

void *hk_blockmap_find(struct hk_blockmap *m, uint64_t addr)
{
    m->hint = probe(m, addr, hash_of(addr));
    uint64_t s = m->index[m->hint];
    return s ? rec_at(m, SLOT_REC(s)) : NULL;
}

void hk_blockmap_prefetch(const struct hk_blockmap *m, uint64_t addr)
{
    __builtin_prefetch(&m->index[hash_of(addr) & (m->cap - 1)]);
}

void hk_blockmap_prefetch_rec(const struct hk_blockmap *m, uint64_t addr)
{
    uint32_t h = hash_of(addr);
    uint64_t s = m->index[h & (m->cap - 1)]; /* its home slot: most often its own */
    if (s && SLOT_HASH(s) == h)
        __builtin_prefetch(rec_at(m, SLOT_REC(s)));
}

/* Doubles the index: 0, or -1 when memory ran out (the index stays). */
static int grow_index(struct hk_blockmap *m)
{
    size_t cap = 2 * m->cap, mask = cap - 1;
    uint64_t *index = map_new(cap * sizeof *index);
    if (!index)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t s = m->index[i];
        if (!s)
            continue;
        size_t j = SLOT_HASH(s) & mask;
        while (index[j])
            j = (j + 1) & mask;
        index[j] = s;
    }
    munmap(m->index, m->cap * sizeof *m->index);
    m->index = index;
    m->cap = cap;
    return 0;
}

/* A record number for a new block: a freed one, else the next of the array
 * (which doubles in place or moves, by mremap: no copy); REC_MAX + 1 when none. */
static uint64_t take_rec(struct hk_blockmap *m)
{
    if (m->free_head) {
        uint32_t r = m->free_head - 1;
        m->free_head = ((struct free_rec *)rec_at(m, r))->next;
        return r;
    }
    if (m->nrec == m->rec_cap) {
        if (m->rec_cap > REC_MAX / 2)
            return (uint64_t)REC_MAX + 1;
        size_t bytes = m->rec_cap * m->rec_size;
        void *recs = mremap(m->recs, bytes, 2 * bytes, MREMAP_MAYMOVE);
        if (recs == MAP_FAILED)
            return (uint64_t)REC_MAX + 1;
        (void)madvise(recs, 2 * bytes, MADV_HUGEPAGE);
        m->recs = recs;
        m->rec_cap *= 2;
    }
    return m->nrec++;
}

void *hk_blockmap_put(struct hk_blockmap *m, uint64_t addr, int *fresh)
{
    *fresh = 0;
    if (!addr || (2 * (m->live + 1) > m->cap && grow_index(m) != 0))
        return NULL;
    uint32_t h = hash_of(addr);
    size_t i = probe(m, addr, h);
    m->hint = i;
    if (m->index[i])
        return rec_at(m, SLOT_REC(m->index[i]));
    uint64_t r = take_rec(m);
    if (r > REC_MAX)
        return NULL;
    void *rec = rec_at(m, (uint32_t)r);
    memset(rec, 0, m->rec_size);
    *(uint64_t *)rec = addr;
    m->index[i] = SLOT(r, h);
    m->live++;
    *fresh = 1;
    return rec;
}

void *hk_blockmap_add(struct hk_blockmap *m, uint64_t addr)
{
    int fresh;
    void *rec = hk_blockmap_put(m, addr, &fresh);
    return fresh ? rec : NULL;
}

/* 1 when the key of slot s (home cyclically outside (i, j]) may fill the gap i. */
static int may_fill(uint64_t s, size_t i, size_t j, size_t mask)
{
    return ((j - (SLOT_HASH(s) & mask)) & mask) >= ((j - i) & mask);
}

void hk_blockmap_remove(struct hk_blockmap *m, void *rec)
{
    uint64_t addr = *(uint64_t *)rec;
    uint32_t r = (uint32_t)(((char *)rec - m->recs) / m->rec_size);
    size_t mask = m->cap - 1, i = m->hint;
    if (i > mask || !m->index[i] || SLOT_REC(m->index[i]) != r)
        i = probe(m, addr, hash_of(addr));
    if (!m->index[i])
        return; /* not a live record */
    for (size_t j = (i + 1) & mask; m->index[j]; j = (j + 1) & mask)
        if (may_fill(m->index[j], i, j, mask)) {
            m->index[i] = m->index[j];
            i = j;
        }
    m->index[i] = 0;
    *(struct free_rec *)rec = (struct free_rec){ .addr = 0, .next = m->free_head };
    m->free_head = r + 1;
    m->live--;
}

size_t hk_blockmap_span(const struct hk_blockmap *m)
{
    return m->nrec;
}

void *hk_blockmap_at(const struct hk_blockmap *m, size_t i)
{
    void *rec = i < m->nrec ? rec_at(m, (uint32_t)i) : NULL;
    return rec && *(uint64_t *)rec ? rec : NULL;
}
