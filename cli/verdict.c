/* verdict.c — the known allocator pathologies as rules over a report's
 * numbers, each stated in plain words (hakmem-trace(1) lists every rule). */
#include <stdio.h>
#include "cli.h"
#include "hakmem.h"

#define MIN_MAPS 4        /* lru-never-populated (version-1 files): SuperSlab maps that matter */
#define MIN_UNUSED_KIB 1024 /* at a map, unused memory in mostly-free SuperSlabs that matters */
#define HOLDING_PER_SS 8  /* pinned-slabs at maps: at most this many slabs with live blocks
                           * (a quarter of 32) hold each mostly-free SuperSlab */
#define MIN_PINNED 16     /* pinned-slabs at the end: slabs (1 MiB) that make it matter */
#define PINNED_SHARE 4    /* and they hold at least 1/4 of the SuperSlab memory still mapped */
#define SLAB_BYTES 65536
#define MIN_REQUESTS 16   /* stage3-dominates: pool requests that make it matter */
#define MIN_CHURN 4       /* superslab-churn: unmaps and evictions */
#define MIN_PIN_SLABS 4   /* pinned-by: never-EMPTY slabs (256 KiB) that make it matter */

/* Sums and products of a report's numbers, saturating: a crafted database
 * can hold any int64. */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_mul_overflow(a, b, &r) ? ((a < 0) != (b < 0) ? INT64_MIN : INT64_MAX) : r;
}

struct out {
    struct hk_verdict *v;
    int n, max;
};

static struct hk_verdict *add(struct out *o, const char *rule, int bad)
{
    if (o->n >= o->max)
        return NULL;
    struct hk_verdict *v = &o->v[o->n++];
    v->rule = rule;
    v->bad = bad;
    v->text[0] = '\0';
    return v;
}

#define SAY(o, rule, bad, ...)                                                  \
    do {                                                                        \
        struct hk_verdict *v_ = add(o, rule, bad);                              \
        if (v_)                                                                 \
            snprintf(v_->text, sizeof v_->text, __VA_ARGS__);                   \
    } while (0)

static void rule_dropped(const struct hk_report *r, struct out *o)
{
    if (sat_add(r->dropped, r->lost) > 0)
        SAY(o, "dropped-events", 1,
            "%lld events were dropped and %lld lost: %s (record with a larger --events)",
            (long long)r->dropped, (long long)r->lost,
            r->counters ? "the totals are the process's own counters, exact; per-class figures "
                          "and the stacks are lower bounds"
                        : "every count below is a lower bound");
}

static void rule_heap_errors(const struct hk_report *r, struct out *o)
{
    if (r->heap_errors > 0)
        SAY(o, "heap-errors", 1,
            "%lld heap errors (%s): the program frees or writes what it must not; "
            "query @errors lists each", (long long)r->heap_errors,
            *r->heap_detail ? r->heap_detail : "their events were dropped");
}

/* Evidence: new SuperSlabs were mapped while mostly-free ones (under half in
 * use, yet held by slabs with live blocks) could go neither to a new class nor
 * to the LRU cache. Memory simply in use (full slabs) never counts. */
static int idle_at_maps(const struct hk_report *r)
{
    return r->have_evidence && r->maps_while_idle > 0 && r->idle_unused_kib >= MIN_UNUSED_KIB;
}

static void rule_lru_never_populated(const struct hk_report *r, struct out *o)
{
    char b[32];
    if (idle_at_maps(r))
        SAY(o, "lru-never-populated", 1,
            "LRU cache %s: %lld of %lld SuperSlab maps came while other SuperSlabs were mostly "
            "free (at worst %lld of them, %s unused) but held by slabs with live blocks, so none "
            "could be freed to the cache",
            r->lru_push ? "not populated when it mattered" : "never populated: 0 pushes",
            (long long)r->maps_while_idle, (long long)r->ss_maps, (long long)r->idle_superslabs,
            hk_bytes((uint64_t)r->idle_unused_kib << 10, b, sizeof b));
    else if (!r->have_evidence && r->lru_push == 0 && r->ss_maps >= MIN_MAPS && r->empty == 0)
        SAY(o, "lru-never-populated", 1,
            "LRU cache never populated: 0 pushes, 0 EMPTY slabs, %lld SuperSlab maps: no slab "
            "ever reached EMPTY, so no SuperSlab could be freed to the cache",
            (long long)r->ss_maps);
}

static void rule_empty_reuse(const struct hk_report *r, struct out *o)
{
    if (!r->empty)
        return;
    int idle = r->have_evidence ? idle_at_maps(r) : r->maps_after_empty > 0;
    if (r->hit[HAKMEM_STAGE_0_5] == 0 && idle)
        SAY(o, "empty-not-reused", 1,
            "EMPTY slabs are not reused: %lld EMPTY transitions, 0 stage-0.5 hits, %lld new "
            "SuperSlab maps after the first EMPTY slab (recycling only whole SuperSlabs, as "
            "with HAKMEM_SS_EMPTY_REUSE=0)",
            (long long)r->empty, (long long)r->maps_after_empty);
    else if (r->hit[HAKMEM_STAGE_0_5] > 0)
        SAY(o, "empty-reused", 0,
            "EMPTY slabs are reused: %lld stage-0.5 hits for %lld EMPTY transitions, %lld new "
            "SuperSlab maps after the first EMPTY slab",
            (long long)r->hit[HAKMEM_STAGE_0_5], (long long)r->empty,
            (long long)r->maps_after_empty);
}

/* Two moments show pinning for sure: a SuperSlab map while few slabs held
 * mostly-free SuperSlabs, and the exact end state. Hot slots and spares are
 * kept on purpose and never count; a periodic sample never decides. */
static void rule_pinned(const struct hk_report *r, struct out *o)
{
    char b[32], b2[32];
    if (idle_at_maps(r) && r->idle_holding <= sat_mul(r->idle_superslabs, HOLDING_PER_SS))
        SAY(o, "pinned-slabs", 1,
            "%lld slabs with live blocks pinned %lld mostly-free SuperSlabs (%s unused) while "
            "new SuperSlabs were mapped: a few live blocks keep each from being reused",
            (long long)r->idle_holding, (long long)r->idle_superslabs,
            hk_bytes((uint64_t)r->idle_unused_kib << 10, b, sizeof b));
    else if (r->end_final && r->pinned >= MIN_PINNED &&
             sat_mul(r->pinned, SLAB_BYTES * PINNED_SHARE) >= r->ss_map_bytes - r->ss_unmap_bytes)
        SAY(o, "pinned-slabs", 1,
            "%lld slabs never reached EMPTY and hold %.2f%% of their blocks at the end (hot "
            "slots and spares not counted): a few live blocks pin each slab, %s of the %s of "
            "SuperSlabs still mapped", (long long)r->pinned,
            100.0 * (double)r->pinned_used / (double)r->pinned_capacity,
            hk_bytes((uint64_t)r->pinned * SLAB_BYTES, b, sizeof b),
            hk_bytes((uint64_t)(r->ss_map_bytes - r->ss_unmap_bytes), b2, sizeof b2));
}

/* The heap profile names who pins: the fewest top sites (at most
 * HK_PIN_SITES) whose live blocks lie in half the slabs kept from EMPTY —
 * never EMPTY, or (site tags) holding live blocks while a SuperSlab was
 * mapped beside their mostly-free one. */
static void rule_pinned_by(const struct hk_report *r, struct out *o)
{
    int64_t kept = r->pin_kept > r->never_empty ? r->pin_kept : r->never_empty;
    if (!r->have_profile || kept < MIN_PIN_SLABS)
        return;
    for (int k = 0; k < r->npin_sites && k < HK_PIN_SITES; k++) {
        if (sat_mul(r->pin_site[k].together, 2) < kept)
            continue;
        char wrapper[400] = "";
        if (r->pin_site[0].callers > 1) /* xmalloc and the like: say whose calls the samples show */
            snprintf(wrapper, sizeof wrapper, " (reached from %lld callers in the sampled stacks, "
                     "as a wrapper such as xmalloc is; the most bytes from %s)",
                     (long long)r->pin_site[0].callers, r->pin_site[0].top_caller);
        SAY(o, "pinned-by", 1,
            "%d call site%s pin%s %lld of the %lld slabs kept from EMPTY (%lld never reached EMPTY) "
            "with their live blocks; the top one, %s%s, %lld (hakmem-trace profile lists them)",
            k + 1, k ? "s" : "", k ? "" : "s", (long long)r->pin_site[k].together, (long long)kept,
            (long long)r->never_empty, r->pin_site[0].site, wrapper, (long long)r->pin_site[0].slabs);
        return;
    }
}

static void rule_stage3(const struct hk_report *r, struct out *o)
{
    int64_t requests = r->miss[0], s3 = r->hit[HAKMEM_STAGE_3];
    if (requests >= MIN_REQUESTS && sat_mul(2, s3) > requests)
        SAY(o, "stage3-dominates", 1,
            "%lld of %lld slab requests (%.0f%%) fell through to stage 3 (a new SuperSlab): "
            "stages 0.5 to 2 found nothing to reuse", (long long)s3, (long long)requests,
            100.0 * (double)s3 / (double)requests);
}

static void rule_churn(const struct hk_report *r, struct out *o)
{
    if (r->ss_unmaps >= MIN_CHURN && r->lru_evict >= MIN_CHURN)
        SAY(o, "superslab-churn", 1,
            "SuperSlab churn: %lld maps and %lld unmaps after %lld LRU evictions (count %lld, "
            "memory %lld, ttl %lld): the cache is too small or its TTL too short "
            "(HAKMEM_SS_LRU_MAX_CACHED, HAKMEM_SS_LRU_MAX_MB, HAKMEM_SS_LRU_TTL_SEC)",
            (long long)r->ss_maps, (long long)r->ss_unmaps, (long long)r->lru_evict,
            (long long)r->evict_reason[0], (long long)r->evict_reason[1],
            (long long)r->evict_reason[2]);
}

static void rule_lru_reused(const struct hk_report *r, struct out *o)
{
    if (r->lru_pop_hit > 0)
        SAY(o, "lru-reused", 0, "The LRU cache served %lld of %lld requests for a new SuperSlab",
            (long long)r->lru_pop_hit, (long long)sat_add(r->lru_pop_hit, r->lru_pop_miss));
}

int hk_verdicts(const struct hk_report *rep, struct hk_verdict *v, int max)
{
    static void (*const rules[])(const struct hk_report *, struct out *) = {
        rule_dropped, rule_heap_errors, rule_lru_never_populated, rule_empty_reuse, rule_pinned,
        rule_pinned_by, rule_stage3, rule_churn, rule_lru_reused,
    };
    struct out o = { v, 0, max };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        rules[i](rep, &o);
    return o.n;
}
