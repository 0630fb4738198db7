/* chunkmap.c — the radix map of the 2 MiB chunks hakmem owns, so a pointer
 * is recognised (SuperSlab, large block) instead of trusted. */
#include "internal.h"

/* One byte per 2 MiB chunk of the 47-bit user address space: 64 MiB of
 * zero-fill BSS of which only the pages covering hakmem's chunks are touched. */
uint8_t hk_chunkmap[HK_CHUNKS];

/* Marks the chunks covering [start, start+len): the first with head, the
 * others with rest. Callers hold the lock that owns the range. */
void hk_chunkmap_set(uintptr_t start, size_t len, uint8_t head, uint8_t rest)
{
    size_t first = start >> HK_SS_SHIFT;
    size_t last = (start + len - 1) >> HK_SS_SHIFT;
    atomic_store_explicit((_Atomic uint8_t *)&hk_chunkmap[first], head, memory_order_release);
    for (size_t i = first + 1; i <= last; i++)
        atomic_store_explicit((_Atomic uint8_t *)&hk_chunkmap[i], rest, memory_order_release);
}

/* Clears the chunks covering [start, start+len) that are marked large, and
 * leaves any other mark (a SuperSlab mapped there since) alone. */
void hk_chunkmap_clear_large(uintptr_t start, size_t len)
{
    size_t first = start >> HK_SS_SHIFT;
    size_t last = (start + len - 1) >> HK_SS_SHIFT;
    for (size_t i = first; i <= last; i++) {
        _Atomic uint8_t *e = (_Atomic uint8_t *)&hk_chunkmap[i];
        for (uint8_t k = HK_CHUNK_LARGE_HEAD; k <= HK_CHUNK_LARGE; k++) {
            uint8_t expect = k;
            if (atomic_compare_exchange_strong(e, &expect, HK_CHUNK_NONE))
                break;
        }
    }
}
