/* stacks.c — the Stacks panel's numbers: sampled alloc and free events (live, or
 * rebuilt from a recording) aggregated per allocation stack, their rows and order. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "top.h"

/* One live sampled block. Its estimate depends on its weight and size alone,
 * so its free takes back exactly what its alloc added (as cli/heapprof.c). */
struct block {
    struct hk_slot h;
    uint64_t addr, serial;
    int64_t est;
    uint32_t stack;
};

/* One allocation stack. newest_freed: the serial of the youngest of its blocks
 * freed so far; its live blocks older than that have outlived a younger one. */
struct site {
    struct hk_slot h;
    struct top_stack_row r;
    uint64_t newest_freed;
    uint64_t prev_weight;        /* alloc_weight at the previous update */
    struct top_stack_name *name; /* NULL until named */
};

struct top_stacks {
    struct hk_table sites, blocks;
    uint64_t serial;                 /* of the newest block */
    struct top_stacks_seen seen;
    uint64_t next_seq;               /* one past the newest seq fed; 0: none yet */
    uint64_t start_ns, first_ns;     /* the process start; the first alloc seen (since it) */
    uint64_t prev_ns;                /* the previous update's rates were up to here */
    int have_prev, totals_only;
    struct top_stack_row *rows;
    size_t nrows, rows_cap;
    enum top_stack_sort sort;
    int reverse;
    top_namer_fn namer;
    void *namer_ctx;
};

const struct top_sort_key top_stack_sort_keys[TOP_SSORT_COUNT] = {
    [TOP_SSORT_IN_USE] = { .key = 'u', .name = "in use" },
    [TOP_SSORT_RATE] = { .key = 'a', .name = "allocs/s" },
    [TOP_SSORT_LEAKED] = { .key = 'l', .name = "leaked" },
    [TOP_SSORT_BYTES] = { .key = 'b', .name = "allocated" },
    [TOP_SSORT_ALLOCS] = { .key = 'n', .name = "allocations" },
};

static int site_same(const void *slot, const void *key)
{
    return ((const struct site *)slot)->r.stack_id == *(const uint32_t *)key;
}

static int block_same(const void *slot, const void *key)
{
    return ((const struct block *)slot)->addr == *(const uint64_t *)key;
}

struct top_stacks *top_stacks_new(uint64_t start_ns, top_namer_fn namer, void *ctx)
{
    struct top_stacks *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->start_ns = start_ns;
    st->namer = namer;
    st->namer_ctx = ctx;
    if (hk_table_init(&st->sites, sizeof(struct site)) != 0 ||
        hk_table_init(&st->blocks, sizeof(struct block)) != 0) {
        top_stacks_free(st);
        return NULL;
    }
    return st;
}

void top_stacks_free(struct top_stacks *st)
{
    if (!st)
        return;
    for (size_t i = 0; st->sites.slots && i < st->sites.cap; i++) {
        struct site *s = hk_table_slot(&st->sites, i);
        if (hk_table_live(s))
            free(s->name);
    }
    hk_table_free(&st->sites);
    hk_table_free(&st->blocks);
    free(st->rows);
    free(st);
}

static struct site *site_get(struct top_stacks *st, uint32_t stack, int create)
{
    int created = 0;
    struct site *s = hk_table_get(&st->sites, hk_table_mix(stack), site_same, &stack, create,
                                  &created);
    if (s && created)
        s->r.stack_id = stack;
    return s;
}

/* Takes block b (which stays in the table) out of its site's figures. */
static void unuse(struct top_stacks *st, const struct block *b, int freed)
{
    struct site *s = site_get(st, b->stack, 1);
    if (!s)
        return;
    s->r.in_use -= (uint64_t)b->est;
    s->r.live--;
    if (freed && b->serial > s->newest_freed)
        s->newest_freed = b->serial;
}

static void on_alloc(struct top_stacks *st, const struct hakmem_event *ev)
{
    uint64_t addr = ev->ss_addr;
    int created = 0;
    struct block *b = hk_table_get(&st->blocks, hk_table_mix(addr), block_same, &addr, 0, &created);
    if (b) { /* its free was not seen: the old block is gone */
        unuse(st, b, 0);
        hk_table_remove(&st->blocks, b);
        st->seen.lost_frees++;
    }
    if (!st->seen.allocs++)
        st->first_ns = ev->ts_ns > st->start_ns ? ev->ts_ns - st->start_ns : 0;
    int64_t est = hk_heapprof_estimate((int64_t)ev->arg1, hk_heapprof_block_bytes(ev));
    struct site *s = site_get(st, ev->stack_id, 1);
    if (!s)
        return;
    s->r.allocs++;
    s->r.alloc_weight += ev->arg1;
    s->r.bytes += (uint64_t)est;
    s->r.in_use += (uint64_t)est;
    s->r.live++;
    b = hk_table_get(&st->blocks, hk_table_mix(addr), block_same, &addr, 1, &created);
    if (!b)
        return;
    b->addr = addr;
    b->serial = ++st->serial;
    b->est = est;
    b->stack = ev->stack_id;
}

static void on_free(struct top_stacks *st, const struct hakmem_event *ev)
{
    uint64_t addr = ev->ss_addr;
    int created = 0;
    struct block *b = hk_table_get(&st->blocks, hk_table_mix(addr), block_same, &addr, 0, &created);
    st->seen.frees++;
    if (!b) {
        st->seen.unmatched++; /* allocated before hakmem-top saw events, or its alloc was missed */
        return;
    }
    unuse(st, b, 1);
    hk_table_remove(&st->blocks, b);
}

/* Invariant: next_seq is one past the newest seq fed; every seq skipped
 * since the first (seq 1) is counted in missed, whatever its type. */
void top_stacks_feed(struct top_stacks *st, const struct hakmem_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct hakmem_event *e = &ev[i];
        if (e->seq) {
            if (e->seq < st->next_seq)
                continue; /* seen already */
            st->seen.missed += e->seq - (st->next_seq ? st->next_seq : 1);
            st->next_seq = e->seq + 1;
        }
        if (e->type == HAKMEM_EV_ALLOC)
            on_alloc(st, e);
        else if (e->type == HAKMEM_EV_FREE)
            on_free(st, e);
    }
}

void top_stacks_set_site(struct top_stacks *st, const struct top_stack_row *r)
{
    st->totals_only = 1;
    struct site *s = site_get(st, r->stack_id, 1);
    if (!s)
        return;
    int expanded = s->r.expanded;
    s->r = *r;
    s->r.expanded = expanded;
    s->prev_weight = r->alloc_weight;
}

/* Each site's leaked bytes: once the process has exited, everything still in
 * use; before, its live blocks that outlived a younger freed one. */
static void count_leaked(struct top_stacks *st, int exited)
{
    for (size_t i = 0; i < st->sites.cap; i++) {
        struct site *s = hk_table_slot(&st->sites, i);
        if (hk_table_live(s) && !st->totals_only)
            s->r.leaked = exited ? s->r.in_use : 0;
    }
    if (exited || st->totals_only)
        return;
    for (size_t i = 0; i < st->blocks.cap; i++) {
        const struct block *b = hk_table_slot(&st->blocks, i);
        if (!hk_table_live(b))
            continue;
        struct site *s = site_get(st, b->stack, 0);
        if (s && b->serial < s->newest_freed)
            s->r.leaked += (uint64_t)b->est;
    }
}

static int grow_rows(struct top_stacks *st, size_t n)
{
    if (n <= st->rows_cap)
        return 0;
    size_t cap = st->rows_cap ? st->rows_cap : 64;
    while (cap < n)
        cap *= 2;
    struct top_stack_row *r = realloc(st->rows, cap * sizeof *r);
    if (!r)
        return -1;
    st->rows = r;
    st->rows_cap = cap;
    return 0;
}

void top_stacks_update(struct top_stacks *st, uint64_t now_ns, int exited)
{
    count_leaked(st, exited);
    /* the rates: since the previous update, or at the first over the events seen */
    uint64_t since = st->have_prev ? st->prev_ns : st->first_ns;
    double dt = now_ns > since ? (double)(now_ns - since) / 1e9 : 0;
    st->nrows = 0;
    if (grow_rows(st, st->sites.live) != 0)
        return;
    for (size_t i = 0; i < st->sites.cap; i++) {
        struct site *s = hk_table_slot(&st->sites, i);
        if (!hk_table_live(s))
            continue;
        if (!st->totals_only && dt > 0) {
            s->r.per_s = (double)(s->r.alloc_weight - s->prev_weight) / HAKMEM_WEIGHT_ONE / dt;
            s->prev_weight = s->r.alloc_weight;
        }
        st->rows[st->nrows++] = s->r;
    }
    if (dt > 0) {
        st->prev_ns = now_ns;
        st->have_prev = 1;
    }
    top_stacks_sort(st);
}

static uint64_t value(const struct top_stack_row *r, enum top_stack_sort k)
{
    switch (k) {
    case TOP_SSORT_RATE:
        return (uint64_t)(r->per_s * 1000.0);
    case TOP_SSORT_LEAKED:
        return r->leaked;
    case TOP_SSORT_BYTES:
        return r->bytes;
    case TOP_SSORT_ALLOCS:
        return r->alloc_weight;
    default:
        return r->in_use;
    }
}

/* Higher first, ties by stack id; `reverse` turns the whole order round. */
static int stack_before(const struct top_stack_row *a, const struct top_stack_row *b,
                        enum top_stack_sort k, int reverse)
{
    uint64_t va = value(a, k), vb = value(b, k);
    int lt = va != vb ? va > vb : a->stack_id < b->stack_id;
    return reverse ? !lt : lt;
}

static enum top_stack_sort sort_key;
static int sort_reverse;

static int by_key(const void *a, const void *b)
{
    if (stack_before(a, b, sort_key, sort_reverse))
        return -1;
    return stack_before(b, a, sort_key, sort_reverse) ? 1 : 0;
}

void top_stacks_sort(struct top_stacks *st)
{
    sort_key = st->sort;
    sort_reverse = st->reverse;
    if (st->nrows > 1) /* (rows is NULL while there are none: qsort wants an array) */
        qsort(st->rows, st->nrows, sizeof *st->rows, by_key);
}

int top_stacks_sort_by_key(struct top_stacks *st, int k)
{
    int i = top_sort_find(top_stack_sort_keys, TOP_SSORT_COUNT, k);
    if (i < 0)
        return 0;
    st->sort = (enum top_stack_sort)i;
    top_stacks_sort(st);
    return 1;
}

void top_stacks_sort_step(struct top_stacks *st, int step)
{
    if (step)
        st->sort = (enum top_stack_sort)((st->sort + 1) % TOP_SSORT_COUNT);
    else
        st->reverse = !st->reverse;
    top_stacks_sort(st);
}

enum top_stack_sort top_stacks_sort_key(const struct top_stacks *st, int *reverse)
{
    *reverse = st->reverse;
    return st->sort;
}

size_t top_stacks_rows(const struct top_stacks *st, const struct top_stack_row **rows)
{
    *rows = st->rows;
    return st->nrows;
}

const struct top_stacks_seen *top_stacks_seen(const struct top_stacks *st)
{
    return &st->seen;
}

int top_stacks_totals_only(const struct top_stacks *st)
{
    return st->totals_only;
}

int top_stacks_toggle(struct top_stacks *st, size_t row)
{
    if (row >= st->nrows)
        return -1;
    struct site *s = site_get(st, st->rows[row].stack_id, 0);
    int e = !st->rows[row].expanded;
    st->rows[row].expanded = e;
    if (s)
        s->r.expanded = e;
    return e;
}

/* A frame outside the allocator itself (libhakmem's own frames come first). */
static int own_frame(const struct hk_store_frame *f)
{
    return strstr(f->module, "/libhakmem") != NULL;
}

const struct top_stack_name *top_stacks_name(struct top_stacks *st, uint32_t stack_id)
{
    struct site *s = site_get(st, stack_id, 0);
    if (!s)
        return NULL;
    if (s->name)
        return s->name;
    if (!(s->name = calloc(1, sizeof *s->name)))
        return NULL;
    static struct hk_store_frame f[HAKMEM_SEG_STACK_DEPTH];
    long n = st->namer && stack_id ? st->namer(st->namer_ctx, stack_id, f, HAKMEM_SEG_STACK_DEPTH)
                                   : 0;
    long i = 0;
    while (i < n && own_frame(&f[i]))
        i++;
    for (; i < n && s->name->n < TOP_FRAMES; i++)
        top_fmt_frame(s->name->frame[s->name->n++], TOP_FRAME_LEN, &f[i]);
    if (!s->name->n)
        snprintf(s->name->frame[s->name->n++], TOP_FRAME_LEN,
                 stack_id ? "(stack %u: no frames)" : "(no stack)", stack_id);
    return s->name;
}
