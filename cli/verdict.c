/* verdict.c — the known allocator pathologies as rules over a report's
 * numbers, each stated in plain words (hakmem-trace(1) lists every rule). */
#include <stdio.h>
#include "cli.h"
#include "hakmem.h"

#define MIN_MAPS 4        /* lru-never-populated: SuperSlab maps that make it matter */
#define MIN_PINNED 4      /* pinned-slabs: slabs that never reached EMPTY */
#define PINNED_PCT 25     /* pinned-slabs: average occupancy below this */
#define MIN_REQUESTS 16   /* stage3-dominates: pool requests that make it matter */
#define MIN_CHURN 4       /* superslab-churn: unmaps and evictions */

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
    if (r->dropped + r->lost > 0)
        SAY(o, "dropped-events", 1,
            "%lld events were dropped and %lld lost: every count below is a lower bound "
            "(record with a larger --events)", (long long)r->dropped, (long long)r->lost);
}

static void rule_heap_errors(const struct hk_report *r, struct out *o)
{
    if (r->heap_errors > 0)
        SAY(o, "heap-errors", 1,
            "%lld heap errors (%s): the program frees or writes what it must not; "
            "query @errors lists each", (long long)r->heap_errors, r->heap_detail);
}

static void rule_lru_never_populated(const struct hk_report *r, struct out *o)
{
    if (r->lru_push == 0 && r->ss_maps >= MIN_MAPS)
        SAY(o, "lru-never-populated", 1,
            "LRU cache never populated: 0 pushes, %lld EMPTY slabs, %lld SuperSlab maps%s",
            (long long)r->empty, (long long)r->ss_maps,
            r->empty ? "" : ": no slab ever reached EMPTY, so no SuperSlab could be freed "
                            "to the cache");
}

static void rule_empty_reuse(const struct hk_report *r, struct out *o)
{
    if (!r->empty)
        return;
    if (r->hit[HAKMEM_STAGE_0_5] == 0 && r->maps_after_empty > 0)
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

static void rule_pinned(const struct hk_report *r, struct out *o)
{
    int64_t used = 0, cap = 0, sampled = 0;
    for (int c = 0; c < r->nclasses; c++)
        if (r->cls[c].occ_capacity > 0) {
            used += r->cls[c].occ_used;
            cap += r->cls[c].occ_capacity;
            sampled += r->cls[c].never_empty;
        }
    if (sampled >= MIN_PINNED && used * 100 < cap * PINNED_PCT)
        SAY(o, "pinned-slabs", 1,
            "%lld slabs never reached EMPTY with %.1f%% of their blocks in use at the end: a "
            "few live blocks pin each slab", (long long)sampled,
            100.0 * (double)used / (double)cap);
    else if (!sampled && r->never_empty >= MIN_PINNED && r->empty == 0)
        SAY(o, "pinned-slabs", 1, "%lld slabs were acquired and none ever reached EMPTY",
            (long long)r->never_empty);
}

static void rule_stage3(const struct hk_report *r, struct out *o)
{
    int64_t requests = r->miss[0], s3 = r->hit[HAKMEM_STAGE_3];
    if (requests >= MIN_REQUESTS && 2 * s3 > requests)
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
            (long long)r->lru_pop_hit, (long long)(r->lru_pop_hit + r->lru_pop_miss));
}

int hk_verdicts(const struct hk_report *rep, struct hk_verdict *v, int max)
{
    static void (*const rules[])(const struct hk_report *, struct out *) = {
        rule_dropped, rule_heap_errors, rule_lru_never_populated, rule_empty_reuse, rule_pinned,
        rule_stage3,  rule_churn,               rule_lru_reused,
    };
    struct out o = { v, 0, max };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        rules[i](rep, &o);
    return o.n;
}
