/* sites.c — the heap profiler's site tags (HAKMEM_PROFILE_SITES): every
 * block's allocation site in a side table of its slab, and at exit the live
 * blocks of each slab counted by site (slab_pin events): who pins the slabs.
 *
 * A site is the return address of the program's call to malloc (calloc,
 * realloc, operator new, ...): one return address, so a program's own
 * wrapper (xmalloc) is one site. It is interned once per site as a stack of
 * that one frame, and the tag is that stack's id; the sampled stacks whose
 * innermost frame it is tell its callers. Tagging runs on the malloc
 * slow path: with sites on, the countdown stays below 0 (profile.c) so every
 * exported malloc comes here; the real countdown is hk_tls.site_left.
 *
 * Side table: a SuperSlab mapped while sites are on gets HK_SITES_BYTES of
 * tags (HK_SITES_STRIDE per slab, one per block), its address kept past the
 * slab metadata in slot 0 (hk_ss_sites). Pins are counted when a SuperSlab
 * is mapped while others lay mostly free (the seed's moment: pool.c), once
 * per slab until it empties, and at exit. A live block is one whose free-key
 * word is not the key (heapcheck.h), so sites need HAKMEM_CHECK >= 1. */
#include "heapcheck.h"
#include "event.h"

bool hk_sites_on;

/* Sites seen: return address → stack id, open addressing, under a spin lock. */
#define SITES_MAX (1u << 16)
static struct hk_site *sites;
static atomic_flag sites_busy = ATOMIC_FLAG_INIT;

__thread struct hk_site hk_site_cache[HK_SITE_CACHE];

void hk_sites_init(void)
{
    if (!hk_profile_on || !hk_opt[HK_OPT_PROFILE_SITES])
        return;
    if (hk_check_level < 1) {
        hk_log("hakmem: HAKMEM_PROFILE_SITES=1 needs HAKMEM_CHECK=1 or more (it tells live blocks by "
               "the free key); site tags are off\n");
        return;
    }
    sites = hk_os_map(SITES_MAX * sizeof *sites);
    if (!sites)
        return;
    hk_sites_on = true;
}

void hk_sites_map(hk_superslab *ss)
{
    *hk_ss_sites(ss) = hk_sites_on ? hk_os_map(HK_SITES_BYTES) : NULL;
}

void hk_sites_unmap(hk_superslab *ss)
{
    uint32_t *t = *hk_ss_sites(ss);
    if (t)
        hk_os_unmap(t, HK_SITES_BYTES);
    *hk_ss_sites(ss) = NULL;
}

/* The one-frame stack of site ra, interned. */
static uint32_t site_stack(uintptr_t ra)
{
    void *ip[1] = { (void *)ra };
    return hk_stack_intern_trace(ip, 1);
}

/* The site id of return address ra, from the table (0 when it is full or
 * the stack table is: the segment's stack table counts those), into the
 * calling thread's cache. */
uint32_t hk_site_slow(uintptr_t ra)
{
    static __thread bool busy; /* no site for what interning may allocate */
    if (busy)
        return 0;
    busy = true;
    uint32_t id = 0;
    while (atomic_flag_test_and_set_explicit(&sites_busy, memory_order_acquire))
        ;
    for (uint32_t k = 0, i = (uint32_t)((ra * 0x9e3779b97f4a7c15ull) >> 48); k < SITES_MAX;
         k++, i = (i + 1) & (SITES_MAX - 1)) {
        if (sites[i].ra == ra) {
            id = sites[i].id;
            break;
        }
        if (!sites[i].ra) {
            id = site_stack(ra);
            if (id)
                sites[i] = (struct hk_site){ ra, id };
            break;
        }
    }
    atomic_flag_clear_explicit(&sites_busy, memory_order_release);
    hk_site_cache[(ra >> 4) & (HK_SITE_CACHE - 1)] = (struct hk_site){ ra, id };
    busy = false;
    return id;
}

void hk_site_tag(void *p, void *ra)
{
    hk_site_tag_inline(p, ra);
}

/* ---- at exit: the live blocks of each slab by site */

#define SLAB_SITES 64 /* distinct sites counted per slab; the rest count as site 0 */

static void pins_of_slab(hk_superslab *ss, hk_slab *s, const uint32_t *tags, unsigned when)
{
    uint32_t site[SLAB_SITES], n[SLAB_SITES], nsites = 0, live = 0;
    size_t size = hk_class_size[s->cls];
    char *base = hk_slab_base(s);
    for (uint32_t i = 0; i < s->carved; i++) {
        if (*hk_key_of(base + (size_t)i * size) == hk_free_key)
            continue;
        uint32_t id = tags[i], k = 0;
        while (k < nsites && site[k] != id)
            k++;
        if (k == nsites) {
            if (nsites == SLAB_SITES)
                k = 0, id = 0;
            else
                site[nsites] = id, n[nsites++] = 0;
        }
        n[k]++;
        live++;
    }
    for (uint32_t k = 0; k < nsites; k++)
        hk_event_slab_pin(ss, s, site[k], n[k], live, when);
}

static void pins_of_ss(hk_superslab *ss, void *arg)
{
    (void)arg;
    const uint32_t *t = *hk_ss_sites(ss);
    if (!t || ss->state != HK_SS_ACTIVE)
        return;
    for (unsigned i = HK_FIRST_SLAB; i < HK_SLABS_PER_SS; i++) {
        hk_slab *s = &ss->slabs[i];
        if (s->state == HK_SLAB_OWNED || s->state == HK_SLAB_ABANDONED)
            pins_of_slab(ss, s, t + (size_t)i * HK_SITES_STRIDE, HAKMEM_PIN_AT_EXIT);
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
    const uint32_t *t = *hk_ss_sites(ss);
    hk_slab *s = &ss->slabs[slot];
    if (!t || (*pins_told(ss) & (1u << slot)) || (s->state != HK_SLAB_OWNED && s->state != HK_SLAB_ABANDONED))
        return;
    *pins_told(ss) |= 1u << slot;
    pins_of_slab(ss, s, t + (size_t)slot * HK_SITES_STRIDE, HAKMEM_PIN_AT_MAP);
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
