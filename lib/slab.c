/* slab.c — one 64 KiB slab: formatting it for a class, carving blocks out of
 * it lazily, and collecting the blocks other threads freed into it. */
#include "heapcheck.h"

/* Blocks carved per refill: enough to amortise the slow path, few enough
 * that untouched pages of a slab stay untouched (honest RSS). */
#define HK_CARVE_BYTES 4096
#define HK_CARVE_MIN 4

void hk_slab_format(hk_slab *s, unsigned cls)
{
    s->cls = (uint8_t)cls;
    s->capacity = hk_class_capacity[cls];
    s->carved = 0;
    s->used = 0;
    s->free = NULL;
    s->list = HK_LIST_NONE;
    atomic_store_explicit(&s->remote, NULL, memory_order_relaxed);
    hk_check_format(s);
}

/* Takes the whole remote list into the free list; returns how many blocks.
 * Under HAKMEM_CHECK, a block freed twice by other threads is reported and
 * dropped; more blocks than the slab holds means a cycle (the same block
 * pushed twice in a row): the walk stops there. */
uint32_t hk_slab_collect_remote(hk_slab *s)
{
    if (!atomic_load_explicit(&s->remote, memory_order_relaxed))
        return 0;
    hk_block *b = atomic_exchange_explicit(&s->remote, NULL, memory_order_acquire);
    uint32_t n = 0;
    while (b && n < s->used) {
        hk_block *next = b->next;
        if (!hk_check_level || s->cls >= HK_KEY_CLASS_MIN || hk_check_collect(s, b)) {
            b->next = s->free;
            s->free = b;
            n++;
        }
        b = next;
    }
    if (b && hk_check_level)
        hk_report(HK_ERR_DOUBLE_FREE, "free", b, s, 0, 0);
    s->used -= n;
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
    if (hk_check_level && s->cls >= HK_KEY_CLASS_MIN)
        for (uint32_t i = 0; i < n; i++)
            *hk_key_of(p + (size_t)i * size) = hk_free_key;
    s->free = (hk_block *)p;
    s->carved = (uint16_t)(s->carved + n);
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
