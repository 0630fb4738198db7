/* superslab.c — SuperSlabs: 2 MiB aligned regions from the OS, their header
 * (slab metadata for 32 slots) and the chunk map entries that name them. */
#include <string.h>
#include "event.h"

static _Atomic uint32_t ss_seq;

/* A slot's shared line: FREE, nobody's. */
static void slot_reset(hk_slab *s, unsigned i)
{
    s->state = HK_SLAB_FREE;
    s->idx = (uint8_t)i;
    s->cls = 0;
    s->carved = 0;
    s->carved_end = 0;
    atomic_store_explicit(&s->owner, NULL, memory_order_relaxed);
}

/* Every slot FREE, nothing live. Slab 0 holds this header and never blocks
 * (its owner line is the header: only its shared line is a slot's). */
void hk_ss_reset(hk_superslab *ss)
{
    ss->live = 0;
    ss->free_mask = ~(uint32_t)0 << HK_FIRST_SLAB;
    ss->state = HK_SS_ACTIVE;
    ss->on_free_list = 0;
    ss->prev = ss->next = ss->fprev = ss->fnext = NULL;
    slot_reset(&ss->slabs[0], 0);
    for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++) {
        hk_slab *s = &ss->slabs[i];
        slot_reset(s, i);
        s->free = NULL;
        s->used = 0;
    }
}

/* Maps a new SuperSlab (a stage-3 miss of the LRU). NULL when out of memory. */
hk_superslab *hk_ss_map(void)
{
    bool trimmed;
    hk_superslab *ss = hk_os_map_aligned(HK_SS_SIZE, HK_SS_SIZE, &trimmed);
    if (!ss)
        return NULL;
    ss->magic = HK_SS_MAGIC;
    ss->id = atomic_fetch_add_explicit(&ss_seq, 1, memory_order_relaxed) + 1;
    hk_ss_reset(ss);
    hk_sites_map(ss);
    /* the header is slot 0's owner line; its shared line a FREE slot's */
    HK_ASSERT(ss->slabs[0].state == HK_SLAB_FREE && ss->slabs[0].idx == 0 && !ss->slabs[0].cls &&
              !atomic_load_explicit(&ss->slabs[0].owner, memory_order_relaxed) && ss->magic == HK_SS_MAGIC);
    hk_event_ss_map(ss, trimmed);
    hk_chunkmap_set((uintptr_t)ss, HK_SS_SIZE, HK_CHUNK_SS, HK_CHUNK_SS);
    return ss;
}

/* Gives the pages of a cached SuperSlab's slabs back to the OS: they read
 * as zero when next touched. Slot 0 (this header and every slab's
 * metadata, read again after an LRU pop) stays; a slab's blocks are carved
 * afresh after the pop (hk_ss_reset leaves every slot FREE), so nothing
 * relies on their old contents. */
void hk_ss_purge(hk_superslab *ss)
{
    hk_os_purge((char *)ss + (size_t)HK_FIRST_SLAB * HK_SLAB_SIZE, HK_SS_SIZE - (size_t)HK_FIRST_SLAB * HK_SLAB_SIZE);
}

/* Returns a SuperSlab to the OS (LRU eviction only). */
void hk_ss_unmap(hk_superslab *ss, int why)
{
    hk_event_ss_unmap(ss, (enum hk_evict_reason)why);
    hk_chunkmap_set((uintptr_t)ss, HK_SS_SIZE, HK_CHUNK_NONE, HK_CHUNK_NONE);
    ss->magic = 0;
    hk_sites_unmap(ss);
    hk_os_unmap(ss, HK_SS_SIZE);
}
