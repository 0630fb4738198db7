/* slab.c — one 64 KiB slab: formatting it for a class, carving blocks out of
 * it lazily, and collecting the blocks other threads freed into it. */
#include "heapcheck.h"

/* Blocks carved per refill: enough to amortise the slow path, few enough
 * that untouched pages of a slab stay untouched (honest RSS). */
#define HK_CARVE_BYTES 4096
#define HK_CARVE_MIN 4

void hk_slab_format(hk_slab *s, unsigned cls)
{
    HK_ASSERT(cls < HK_CLASSES && s->idx >= HK_FIRST_SLAB);
    uint32_t size = hk_class_size[cls];
    s->cls = (uint8_t)cls;
    s->capacity = hk_class_capacity[cls];
    s->magic = (uint32_t)(((1ull << 32) + size - 1) / size); /* (off * magic) >> 32 == off / size */
    s->carved = 0;
    s->carved_end = 0;
    s->used = 0;
    s->free = NULL;
    s->list = HK_LIST_NONE;
    s->sites = hk_sites_row(s);
    atomic_store_explicit(&s->remote, 0, memory_order_relaxed);
}

/* Walks a collected chain of n blocks onto the free list, one by one, when
 * the count cannot be right (more than the slab has out: a block pushed
 * twice made a cycle; the walk stops). */
static uint32_t collect_walk(hk_slab *s, hk_block *b, uint32_t n)
{
    uint32_t took = 0;
    while (b && took < s->used && n--) {
        hk_block *next = b->next;
        b->next = s->free;
        s->free = b;
        took++;
        b = next;
    }
    if (b && hk_check_level)
        hk_report(HK_ERR_DOUBLE_FREE, "free", b, s, 0, 0);
    s->used -= took;
    return took;
}

/* Takes the whole remote list into the free list; returns how many blocks.
 * The list word carries its count, so the chain is taken as it is when the
 * free list is empty (a full slab: the common case) and walked only to
 * find its end otherwise. */
uint32_t hk_slab_collect_remote(hk_slab *s)
{
    if (!atomic_load_explicit(&s->remote, memory_order_relaxed))
        return 0;
    uintptr_t v = atomic_exchange_explicit(&s->remote, 0, memory_order_acquire);
    hk_block *head = hk_remote_head(v);
    uint32_t n = hk_remote_count(v);
    HK_ASSERT(head != NULL && s->idx >= HK_FIRST_SLAB);
    if (HK_UNLIKELY(!n || n > s->used))
        return collect_walk(s, head, n ? n : s->used);
    if (s->free) {
        hk_block *last = head;
        for (uint32_t i = 1; i < n && last->next; i++)
            last = last->next;
        if (HK_UNLIKELY(last->next != NULL)) /* more blocks than counted */
            return collect_walk(s, head, n);
        last->next = s->free;
    }
    s->free = head;
    s->used -= n;
    HK_ASSERT(s->used <= s->carved);
    return n;
}

static void carve(hk_slab *s)
{
    uint32_t size = hk_class_size[s->cls];
    uint32_t n = HK_CARVE_BYTES / size;
    if (n < HK_CARVE_MIN)
        n = HK_CARVE_MIN;
    if (n > (uint32_t)(s->capacity - s->carved))
        n = s->capacity - s->carved;
    char *p = hk_slab_base(s) + (size_t)s->carved * size;
    /* Link in address order so the first allocations run forwards; under
     * HAKMEM_CHECK every free block holds the key (heapcheck.h). */
    for (uint32_t i = 0; i + 1 < n; i++)
        ((hk_block *)(p + (size_t)i * size))->next = (hk_block *)(p + (size_t)(i + 1) * size);
    ((hk_block *)(p + (size_t)(n - 1) * size))->next = s->free;
    if (hk_check_level)
        for (uint32_t i = 0; i < n; i++)
            *hk_key_of(p + (size_t)i * size) = hk_free_key;
    s->free = (hk_block *)p;
    HK_ASSERT(s->carved + n <= s->capacity);
    s->carved = (uint16_t)(s->carved + n);
    s->carved_end = s->carved * size;
}

/* Makes s->free non-empty if the slab has any block to give: remote frees
 * first, then blocks never carved. False when the slab is full. */
bool hk_slab_refill(hk_slab *s)
{
    if (s->free)
        return true;
    hk_slab_collect_remote(s);
    if (s->free)
        return true;
    if (s->carved < s->capacity) {
        carve(s);
        return true;
    }
    return false;
}
