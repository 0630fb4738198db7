/* sites.c — the heap profiler's site tags (HAKMEM_PROFILE_SITES): every
 * block's allocation site in a side table of its slab, and at exit the live
 * blocks of each slab counted by site (slab_pin events): who pins the slabs.
 *
 * A site is the return address of the program's call to malloc (calloc,
 * realloc, operator new, ...): one return address, so a program's own
 * wrapper (xmalloc) is one site; the sampled stacks whose innermost frame it
 * is tell its callers. The tag is the return address itself, stored by the
 * malloc path in one instruction; sites are interned (as a stack of that one
 * frame) only where pins are counted. With sites on, the countdown stays
 * below 0 (profile.c) so every exported malloc takes the tagging path; the
 * real countdown is hk_tls.site_left.
 *
 * Side table: a SuperSlab mapped while sites are on gets HK_SITES_BYTES of
 * tags (HK_SITES_STRIDE per slab, one per block, indexed as the slab's
 * blocks are), its address kept past the slab metadata in slot 0
 * (hk_ss_sites), each slab's row in hk_slab.sites. Pins are counted when a
 * SuperSlab is mapped while others lay mostly free (the seed's moment:
 * pool.c), once per slab until it empties, and at exit. A live block is one
 * whose free-key word is not the key (heapcheck.h), so sites need
 * HAKMEM_CHECK >= 1. */
#include "heapcheck.h"
#include "event.h"

bool hk_sites_on;

/* The row of slabs whose SuperSlab has no side table (mapped before sites
 * were on, or out of memory): written, never read. */
static uint64_t scratch_row[HK_SITES_STRIDE];

void hk_sites_init(void)
{
    if (!hk_profile_on || !hk_opt[HK_OPT_PROFILE_SITES])
        return;
    if (hk_check_level < 1) {
        hk_log("hakmem: HAKMEM_PROFILE_SITES=1 needs HAKMEM_CHECK=1 or more (it tells live blocks by "
               "the free key); site tags are off\n");
        return;
    }
    hk_sites_on = true;
}

void hk_sites_map(hk_superslab *ss)
{
    *hk_ss_sites(ss) = hk_sites_on ? hk_os_map(HK_SITES_BYTES) : NULL;
}

void hk_sites_unmap(hk_superslab *ss)
{
    uint64_t *t = *hk_ss_sites(ss);
    if (t)
        hk_os_unmap(t, HK_SITES_BYTES);
    *hk_ss_sites(ss) = NULL;
}

uint64_t *hk_sites_row(hk_slab *s)
{
    uint64_t *t = *hk_ss_sites(hk_ss_of_slab(s));
    return t ? t + (size_t)s->idx * HK_SITES_STRIDE : scratch_row;
}

void hk_site_tag(void *p, void *ra)
{
    if (hk_chunk_kind((uintptr_t)p) == HK_CHUNK_SS) /* a large block pins only itself */
        hk_site_tag_slab(hk_slab_of(p), p, ra);
}

/* ---- at exit: the live blocks of each slab by site */

#define SLAB_SITES 64 /* distinct sites counted per slab; the rest count as site 0 */

/* The site of return address ra: its one-frame stack, interned (0 when
 * the stack table is full: the segment counts those). */
static uint32_t site_id(uint64_t ra)
{
    void *ip[1] = { (void *)(uintptr_t)ra };
    return ra ? hk_stack_intern_trace(ip, 1) : 0;
}

static void pins_of_slab(hk_superslab *ss, hk_slab *s, unsigned when)
{
    uint64_t site[SLAB_SITES];
    uint32_t n[SLAB_SITES], nsites = 0, live = 0;
    const uint64_t *tags = s->sites;
    if (tags == scratch_row)
        return;
    size_t size = hk_class_size[s->cls];
    char *base = hk_slab_base(s);
    for (uint32_t i = 0; i < s->carved; i++) {
        if (*hk_key_of(base + (size_t)i * size) == hk_free_key)
            continue;
        uint64_t ra = tags[i];
        uint32_t k = 0;
        while (k < nsites && site[k] != ra)
            k++;
        if (k == nsites) {
            if (nsites == SLAB_SITES)
                k = 0, ra = 0;
            else
                site[nsites] = ra, n[nsites++] = 0;
        }
        n[k]++;
        live++;
    }
    for (uint32_t k = 0; k < nsites; k++)
        hk_event_slab_pin(ss, s, site_id(site[k]), n[k], live, when);
}

static void pins_of_ss(hk_superslab *ss, void *arg)
{
    (void)arg;
    if (!*hk_ss_sites(ss) || ss->state != HK_SS_ACTIVE)
        return;
    for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++) {
        hk_slab *s = &ss->slabs[i];
        if (s->state == HK_SLAB_OWNED || s->state == HK_SLAB_ABANDONED)
            pins_of_slab(ss, s, HAKMEM_PIN_AT_EXIT);
    }
}

/* Slots whose pins were told at a map since they last emptied: a mask past
 * the side table's address in slot 0. */
static uint32_t *pins_told(hk_superslab *ss)
{
    return (uint32_t *)(hk_ss_sites(ss) + 1);
}

void hk_sites_pins_at_map(hk_superslab *ss, unsigned slot)
{
    hk_slab *s = &ss->slabs[slot];
    if (!*hk_ss_sites(ss) || (*pins_told(ss) & (1u << slot)) || (s->state != HK_SLAB_OWNED && s->state != HK_SLAB_ABANDONED))
        return;
    *pins_told(ss) |= 1u << slot;
    pins_of_slab(ss, s, HAKMEM_PIN_AT_MAP);
}

void hk_sites_slab_empty(hk_slab *s)
{
    *pins_told(hk_ss_of_slab(s)) &= ~(1u << s->idx);
}

void hk_sites_at_exit(void)
{
    if (hk_sites_on)
        hk_pool_foreach_ss(pins_of_ss, NULL);
}
