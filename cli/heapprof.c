/* heapprof.c — the heap profile: alloc and free events aggregated as they drain
 * (per stack, the live sampled blocks, run totals), written with the commits. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* One sampled block, live. Its estimated bytes (hk_heapprof_estimate()) depend on its
 * weight and size alone, so its free takes back exactly what its alloc added. */
struct block {
    uint64_t addr;       /* first: the block map's key */
    int64_t rowid;       /* its profile_live row, 0 until written */
    uint64_t serial;
    int64_t size, block_size, weight, ts_ns;
    uint32_t stack, tid, ss, slab;
    uint8_t cls;
};

/* A point of the estimated bytes in use over time (profile_usage): at most one per
 * USAGE_NS of the run, at the first event past it, with the most in use since the
 * point before, so a chart of them misses no peak. */
#define USAGE_NS (10 * 1000000LL)
struct usage {
    int64_t ts_ns, in_use, peak, live;
};

/* A block freed, for profile_blocks (record --all-blocks). */
struct freed {
    struct block b;
    int64_t free_ns;
    uint32_t free_tid, reason;
};

/* A thread's last sampled allocation: a block it frees is a temporary when it
 * is that one. */
struct thread {
    struct hk_slot h;
    uint32_t tid;
    uint64_t last_serial;
};

/* A site's live blocks in one slab, from slab_pin events (HAKMEM_PROFILE_SITES:
 * every block, not only sampled ones). */
struct pin {
    struct hk_slot h;
    uint32_t stack, ss, slab;
    int64_t at_map, at_exit, slab_live; /* -1: no such event */
};

struct site_slot {
    struct hk_slot h;
    struct hk_prof_site s;
    uint64_t seen_gen; /* the peak generation s.peak_in_use stands for */
};

/* Between the commits of a run the profile's tables are rewritten when due, so a
 * killed recorder leaves them as they were a moment before: at rate 1, with every
 * commit (100 ms) the program would wait for the recorder while it rewrites
 * thousands of stacks' rows, and inserts, and soon deletes again, a profile_live
 * row for most blocks. So a rewrite is due once LIVE_SHARE times the last one's
 * duration passed since it ended; it writes profile_live rows only for blocks
 * live LIVE_AGE_NS or longer, found by a scan of the records that resumes where
 * the last one stopped and stops at 1/LIVE_SHARE of the time since the last
 * rewrite. The run's last commit writes everything, every live block too. */
#define LIVE_AGE_NS 1000000000LL
#define LIVE_SHARE 20
#define LIVE_MIN_NS 1000000LL /* the least a commit's scan may take */

struct hk_heapprof {
    struct hk_table sites, threads, pins;
    struct hk_blockmap blocks;
    struct hk_prof_totals tot;
    int64_t start_mono_ns, rate;
    int all_blocks;
    uint64_t gen, flushed_gen, serial; /* gen: bumped at each new peak of tot.in_use */
    int dirty;
    int64_t *gone;      /* profile_live rows of blocks freed since the last flush */
    size_t ngone, gone_cap;
    size_t live_cursor; /* the record the next scan of profile_live starts at */
    struct freed *done; /* blocks freed since the last flush (all_blocks) */
    size_t ndone, done_cap;
    struct usage *usage; /* profile_usage points since the last flush */
    size_t nusage, usage_cap;
    int64_t usage_next, usage_peak, last_ns; /* the next point's earliest time, the most in
                                              * use since the last point, the last event's */
    int64_t flushed_ns, due_ns; /* hk_mono_ns() at the last rewrite's start, and when
                                 * the next is due */
    struct site_slot *site_memo; /* the last site and thread looked up (events come in runs
                                  * of one thread and one stack), good while their
                                  * table's gen is *_gen: neither table removes */
    struct thread *thread_memo;
    unsigned site_gen, thread_gen;
    sqlite3 *db;
    sqlite3_stmt *site_up, *run_up, *live_ins, *live_del, *blk_ins, *pin_up, *use_ins;
};

int hk_heapprof_takes(unsigned type)
{
    return type == HAKMEM_EV_ALLOC || type == HAKMEM_EV_FREE;
}

static int pin_same(const void *slot, const void *key)
{
    const struct pin *a = slot, *b = key;
    return a->stack == b->stack && a->ss == b->ss && a->slab == b->slab;
}

struct hk_heapprof *hk_heapprof_new(int64_t start_mono_ns, int64_t rate, int all_blocks)
{
    struct hk_heapprof *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->start_mono_ns = start_mono_ns;
    p->rate = rate;
    p->all_blocks = all_blocks;
    p->tot.peak_ns = -1;
    if (hk_table_init(&p->sites, sizeof(struct site_slot)) != 0 ||
        hk_blockmap_init(&p->blocks, sizeof(struct block)) != 0 ||
        hk_table_init(&p->threads, sizeof(struct thread)) != 0 ||
        hk_table_init(&p->pins, sizeof(struct pin)) != 0) {
        hk_heapprof_free(p);
        return NULL;
    }
    return p;
}

void hk_heapprof_free(struct hk_heapprof *p)
{
    if (!p)
        return;
    sqlite3_stmt *st[] = { p->site_up, p->run_up, p->live_ins, p->live_del, p->blk_ins,
                           p->pin_up, p->use_ins };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++)
        sqlite3_finalize(st[i]);
    hk_table_free(&p->sites);
    hk_blockmap_free(&p->blocks);
    hk_table_free(&p->threads);
    hk_table_free(&p->pins);
    free(p->gone);
    free(p->usage);
    free(p->done);
    free(p);
}

/* ---- keys */

static int site_same(const void *slot, const void *key)
{
    return ((const struct site_slot *)slot)->s.stack_id == *(const uint32_t *)key;
}

static int thread_same(const void *slot, const void *key)
{
    return ((const struct thread *)slot)->tid == *(const uint32_t *)key;
}

static struct site_slot *site_get(struct hk_heapprof *p, uint32_t stack, int create)
{
    struct hk_table *t = &p->sites;
    if (p->site_memo && p->site_gen == t->gen && p->site_memo->s.stack_id == stack)
        return p->site_memo;
    int created = 0;
    struct site_slot *s = hk_table_get(t, hk_table_mix(stack), site_same, &stack, create, &created);
    if (s && created)
        s->s.stack_id = stack;
    if (s) {
        p->site_memo = s;
        p->site_gen = t->gen;
    }
    return s;
}

static struct thread *thread_get(struct hk_heapprof *p, uint32_t tid)
{
    struct hk_table *t = &p->threads;
    if (p->thread_memo && p->thread_gen == t->gen && p->thread_memo->tid == tid)
        return p->thread_memo;
    int created = 0;
    struct thread *th = hk_table_get(t, hk_table_mix(tid), thread_same, &tid, 1, &created);
    if (th && created)
        th->tid = tid;
    if (th) {
        p->thread_memo = th;
        p->thread_gen = t->gen;
    }
    return th;
}

/* ---- the peak, lazily: a site that has not changed since the last new peak
 * held then what it holds now */

static void site_sync(const struct hk_heapprof *p, struct site_slot *s)
{
    if (s->seen_gen != p->gen) {
        s->s.peak_in_use = s->s.in_use;
        s->s.peak_live = s->s.live;
        s->seen_gen = p->gen;
    }
}

/* The event's time in ns since the run's start. */
static int64_t run_ns(const struct hk_heapprof *p, const struct hakmem_event *ev)
{
    return (int64_t)ev->ts_ns > p->start_mono_ns ? (int64_t)ev->ts_ns - p->start_mono_ns : 0;
}

/* After tot.in_use grew by the alloc of site s: a new peak snapshots s now;
 * every other site catches up at its next change (site_sync). */
static void peak_check(struct hk_heapprof *p, struct site_slot *s, const struct hakmem_event *ev)
{
    if (p->tot.in_use <= p->tot.peak)
        return;
    p->tot.peak = p->tot.in_use;
    p->tot.peak_ns = run_ns(p, ev);
    p->gen++;
    site_sync(p, s);
}

/* ---- events */

int64_t hk_heapprof_estimate(int64_t weight, int64_t bytes)
{
    unsigned __int128 v = (unsigned __int128)(uint64_t)weight * (uint64_t)bytes + 32768;
    v >>= 16;
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int64_t hk_heapprof_block_bytes(const struct hakmem_event *ev)
{
    if (ev->reason != HAKMEM_SIZE_SATURATED)
        return ev->reason;
    return (int64_t)((ev->arg0 + 4095) & ~(uint64_t)4095);
}

/* Takes block b out of its site's in-use figures. */
static struct site_slot *unuse(struct hk_heapprof *p, const struct block *b)
{
    struct site_slot *s = site_get(p, b->stack, 1);
    if (!s)
        return NULL;
    site_sync(p, s);
    int64_t est = hk_heapprof_estimate(b->weight, b->block_size);
    s->s.in_use -= est;
    s->s.live--;
    s->h.dirty = 1;
    p->tot.in_use -= est;
    p->tot.live--;
    return s;
}

/* Room for one more element of size bytes in the array *v of *n (capacity
 * *cap): 0, or -1 when memory ran out. */
static int grow(void **v, size_t *n, size_t *cap, size_t size)
{
    if (*n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 1024;
    void *nv = realloc(*v, c * size);
    if (!nv)
        return -1;
    *v = nv;
    *cap = c;
    return 0;
}

/* Block b's profile_live row goes at the next flush. */
static void drop_row(struct hk_heapprof *p, struct block *b)
{
    if (b->rowid && grow((void **)&p->gone, &p->ngone, &p->gone_cap, sizeof *p->gone) == 0)
        p->gone[p->ngone++] = b->rowid; /* (out of memory: its row stays) */
    b->rowid = 0;
}

/* Forgets block b (found last in the block map), its row too. */
static void forget(struct hk_heapprof *p, struct block *b)
{
    drop_row(p, b);
    hk_blockmap_remove(&p->blocks, b);
}

static void fill_block(struct hk_heapprof *p, struct block *b, const struct hakmem_event *ev)
{
    b->serial = ++p->serial;
    b->size = (int64_t)ev->arg0;
    b->block_size = hk_heapprof_block_bytes(ev);
    b->weight = (int64_t)ev->arg1;
    b->ts_ns = run_ns(p, ev);
    b->stack = ev->stack_id;
    b->tid = ev->tid;
    b->ss = ev->ss_id;
    b->slab = ev->slab;
    b->cls = ev->cls;
}

static void site_alloc(struct hk_heapprof *p, const struct block *b, const struct hakmem_event *ev)
{
    struct site_slot *s = site_get(p, b->stack, 1);
    if (!s)
        return;
    site_sync(p, s);
    int64_t est = hk_heapprof_estimate(b->weight, b->block_size);
    s->s.allocs++;
    s->s.alloc_weight += b->weight;
    s->s.bytes += est;
    s->s.requested += hk_heapprof_estimate(b->weight, b->size);
    s->s.live++;
    s->s.in_use += est;
    s->h.dirty = 1;
    p->tot.in_use += est;
    p->tot.live++;
    peak_check(p, s, ev);
}

static void on_alloc(struct hk_heapprof *p, const struct hakmem_event *ev)
{
    int fresh;
    struct block *b = hk_blockmap_put(&p->blocks, ev->ss_addr, &fresh);
    if (!b)
        return;
    if (!fresh) { /* its free was lost: the old block is gone (rare); its record serves */
        unuse(p, b);
        drop_row(p, b);
        p->tot.lost_frees++;
    }
    fill_block(p, b, ev);
    p->tot.samples++;
    struct thread *th = thread_get(p, ev->tid);
    if (th)
        th->last_serial = b->serial;
    site_alloc(p, b, ev);
}

/* Keeps a freed block for profile_blocks. */
static void keep_freed(struct hk_heapprof *p, const struct block *b, const struct hakmem_event *ev)
{
    if (grow((void **)&p->done, &p->ndone, &p->done_cap, sizeof *p->done) != 0)
        return;
    struct freed *f = &p->done[p->ndone++];
    f->b = *b;
    f->free_ns = run_ns(p, ev);
    f->free_tid = ev->tid;
    f->reason = ev->reason;
}

static void on_free(struct hk_heapprof *p, const struct hakmem_event *ev)
{
    struct block *b = hk_blockmap_find(&p->blocks, ev->ss_addr);
    if (!b) {
        p->tot.unmatched++;
        return;
    }
    struct site_slot *s = unuse(p, b);
    struct thread *th = thread_get(p, ev->tid);
    int temporary = b->tid == ev->tid && th && th->last_serial == b->serial;
    if (s) {
        s->s.frees++;
        s->s.free_weight += b->weight;
        s->s.temporaries += temporary;
        s->s.temp_weight += temporary ? b->weight : 0;
    }
    p->tot.frees++;
    if (p->all_blocks)
        keep_freed(p, b, ev);
    forget(p, b);
}

/* A profile_usage point when USAGE_NS passed since the last one. */
static void usage_note(struct hk_heapprof *p, int64_t now)
{
    if (p->tot.in_use > p->usage_peak)
        p->usage_peak = p->tot.in_use;
    p->last_ns = now;
    if (now < p->usage_next ||
        grow((void **)&p->usage, &p->nusage, &p->usage_cap, sizeof *p->usage) != 0)
        return;
    p->usage[p->nusage++] = (struct usage){ now, p->tot.in_use, p->usage_peak,
                                            (int64_t)p->tot.live };
    p->usage_peak = p->tot.in_use;
    p->usage_next = now + USAGE_NS;
}

/* Block maps up to this many index slots stay in the caches: no prefetching,
 * whose hashing would cost more than it hides. */
#define PREFETCH_FROM_SLOTS 32768

void hk_heapprof_prefetch(const struct hk_heapprof *p, const struct hakmem_event *ev)
{
    if (!hk_heapprof_takes(ev->type) || p->blocks.cap <= PREFETCH_FROM_SLOTS)
        return;
    hk_blockmap_prefetch(&p->blocks, ev->ss_addr);
    if (ev->type == HAKMEM_EV_ALLOC)
        hk_table_prefetch(&p->sites, hk_table_mix(ev->stack_id));
}

void hk_heapprof_prefetch_rec(const struct hk_heapprof *p, const struct hakmem_event *ev)
{
    if (hk_heapprof_takes(ev->type) && p->blocks.cap > PREFETCH_FROM_SLOTS)
        hk_blockmap_prefetch_rec(&p->blocks, ev->ss_addr);
}

void hk_heapprof_add(struct hk_heapprof *p, const struct hakmem_event *ev)
{
    p->dirty = 1;
    if (ev->type == HAKMEM_EV_ALLOC)
        on_alloc(p, ev);
    else if (ev->type == HAKMEM_EV_FREE)
        on_free(p, ev);
    usage_note(p, run_ns(p, ev));
}

void hk_heapprof_pin(struct hk_heapprof *p, const struct hakmem_event *ev)
{
    struct pin key = { .stack = ev->stack_id, .ss = ev->ss_id, .slab = ev->slab };
    int created = 0;
    struct pin *k = hk_table_get(&p->pins, hk_table_mix((uint64_t)ev->ss_id << 32 ^ ev->slab) ^
                                 ev->stack_id, pin_same, &key, 1, &created);
    struct site_slot *s = site_get(p, ev->stack_id, 1); /* a profile_stacks row */
    if (!k || !s)
        return;
    if (created) {
        *k = (struct pin){ .h = k->h, .stack = key.stack, .ss = key.ss, .slab = key.slab,
                           .at_map = -1, .at_exit = -1, .slab_live = -1 };
        s->h.dirty = 1;
    }
    if (ev->reason == 0 && (int64_t)ev->arg0 > k->at_map)
        k->at_map = (int64_t)ev->arg0;
    if (ev->reason == 1) {
        k->at_exit = (int64_t)ev->arg0;
        k->slab_live = (int64_t)ev->arg1;
    }
    k->h.dirty = 1;
    p->dirty = 1;
}

void hk_heapprof_totals(const struct hk_heapprof *p, struct hk_prof_totals *out)
{
    *out = p->tot;
}

int hk_heapprof_site(struct hk_heapprof *p, uint32_t stack_id, struct hk_prof_site *out)
{
    struct site_slot *s = site_get(p, stack_id, 0);
    if (!s)
        return 0;
    site_sync(p, s);
    *out = s->s;
    return 1;
}

/* ---- writing */

static int prepare_all(struct hk_heapprof *p, sqlite3 *db, char *err, size_t errlen)
{
    if (p->db == db && p->use_ins)
        return 0;
    if (p->db)
        return hk_fail(err, errlen, "the heap profile belongs to another database");
    p->db = db;
    return (p->site_up = hk_db_prepare(db,
                "INSERT OR REPLACE INTO profile_stacks (run_id, stack_id, allocs, alloc_weight,"
                " bytes, requested, frees, free_weight, live, in_use, peak_in_use, peak_live,"
                " temporaries, temp_weight) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err, errlen)) &&
           (p->run_up = hk_db_prepare(db,
                "INSERT INTO profile_runs (run_id, rate, samples, frees, unmatched_frees, lost_frees,"
                " live, in_use, peak, peak_ns) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (run_id)"
                " DO UPDATE SET samples = excluded.samples, frees = excluded.frees,"
                " unmatched_frees = excluded.unmatched_frees, lost_frees = excluded.lost_frees,"
                " live = excluded.live, in_use = excluded.in_use, peak = excluded.peak,"
                " peak_ns = excluded.peak_ns",
                err, errlen)) &&
           (p->live_ins = hk_db_prepare(db,
                "INSERT INTO profile_live (run_id, addr, size, block_size, class, ss, slab,"
                " stack_id, tid, weight, ts_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?)", err, errlen)) &&
           (p->live_del = hk_db_prepare(db, "DELETE FROM profile_live WHERE rowid = ?", err,
                                        errlen)) &&
           (p->blk_ins = hk_db_prepare(db,
                "INSERT INTO profile_blocks (run_id, addr, size, block_size, class, ss, slab,"
                " stack_id, tid, weight, ts_ns, free_ns, free_tid, free_reason)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err, errlen)) &&
           (p->pin_up = hk_db_prepare(db,
                "INSERT OR REPLACE INTO profile_pin_tags (run_id, stack_id, ss, slab, at_map,"
                " at_exit, slab_live) VALUES (?,?,?,?,?,?,?)", err, errlen)) &&
           (p->use_ins = hk_db_prepare(db,
                "INSERT OR REPLACE INTO profile_usage (run_id, ts_ns, in_use, peak, live)"
                " VALUES (?,?,?,?,?)", err, errlen))
               ? 0 : -1;
}

/* Binds v[0..n) to parameters 1..n, a negative value as NULL. */
static void bind_all(sqlite3_stmt *st, const int64_t *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (v[i] < 0)
            sqlite3_bind_null(st, i + 1);
        else
            sqlite3_bind_int64(st, i + 1, v[i]);
    }
}

static int step(struct hk_heapprof *p, sqlite3_stmt *st, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return hk_fail(err, errlen, "cannot store the heap profile: %s", sqlite3_errmsg(p->db));
    return 0;
}

/* A new peak changes what every site held at it: then all are written. */
static int flush_sites(struct hk_heapprof *p, int64_t run, char *err, size_t errlen)
{
    int all = p->gen != p->flushed_gen;
    for (size_t i = 0; i < p->sites.cap; i++) {
        struct site_slot *s = hk_table_slot(&p->sites, i);
        if (!hk_table_live(s) || (!all && !s->h.dirty))
            continue;
        site_sync(p, s);
        const struct hk_prof_site *k = &s->s;
        const int64_t v[] = { run, k->stack_id, k->allocs, k->alloc_weight, k->bytes,
                              k->requested, k->frees, k->free_weight, k->live, k->in_use,
                              k->peak_in_use, k->peak_live, k->temporaries, k->temp_weight };
        bind_all(p->site_up, v, 14);
        if (step(p, p->site_up, err, errlen) != 0)
            return -1;
        s->h.dirty = 0;
    }
    p->flushed_gen = p->gen;
    return 0;
}

/* The 11 columns a block has in profile_live and profile_blocks. */
static void block_values(const struct block *b, int64_t run, int64_t *v)
{
    const int64_t row[] = { run, (int64_t)b->addr, b->size, b->block_size,
                            b->cls == HAKMEM_NONE ? -1 : b->cls, b->ss, b->slab, b->stack, b->tid,
                            b->weight, b->ts_ns };
    memcpy(v, row, sizeof row);
}

/* Inserts the profile_live row of b (it has none yet). */
static int insert_live(struct hk_heapprof *p, struct block *b, int64_t run, char *err,
                       size_t errlen)
{
    int64_t v[11];
    block_values(b, run, v);
    bind_all(p->live_ins, v, 11);
    if (step(p, p->live_ins, err, errlen) != 0)
        return -1;
    b->rowid = sqlite3_last_insert_rowid(p->db);
    return 0;
}

/* profile_live: the rows of freed blocks deleted; rows inserted for live blocks
 * without one, those LIVE_AGE_NS old or more until the deadline (hk_mono_ns()),
 * all with none (0). */
static int flush_live(struct hk_heapprof *p, int64_t run, int64_t deadline, char *err,
                      size_t errlen)
{
    for (size_t i = 0; i < p->ngone; i++) {
        sqlite3_bind_int64(p->live_del, 1, p->gone[i]);
        if (step(p, p->live_del, err, errlen) != 0)
            return -1;
    }
    p->ngone = 0;
    size_t span = hk_blockmap_span(&p->blocks);
    int64_t born_by = deadline ? p->last_ns - LIVE_AGE_NS : INT64_MAX;
    if (!deadline)
        p->live_cursor = 0;
    for (size_t n = 0; n < span; n++, p->live_cursor++) {
        if (p->live_cursor >= span)
            p->live_cursor = 0;
        struct block *b = hk_blockmap_at(&p->blocks, p->live_cursor);
        if (b && !b->rowid && b->ts_ns <= born_by && insert_live(p, b, run, err, errlen) != 0)
            return -1;
        if (deadline && n % 1024 == 1023 && (int64_t)hk_mono_ns() > deadline)
            break;
    }
    return 0;
}

static int insert_block(struct hk_heapprof *p, const struct block *b, int64_t run,
                        const struct freed *f, char *err, size_t errlen)
{
    int64_t v[14];
    block_values(b, run, v);
    v[11] = f ? f->free_ns : -1;
    v[12] = f ? (int64_t)f->free_tid : -1;
    v[13] = f ? (int64_t)f->reason : -1;
    bind_all(p->blk_ins, v, 14);
    return step(p, p->blk_ins, err, errlen);
}

/* profile_blocks: the blocks freed since the last flush; at the last, the live ones. */
static int flush_blocks(struct hk_heapprof *p, int64_t run, int last, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->ndone; i++)
        if (insert_block(p, &p->done[i].b, run, &p->done[i], err, errlen) != 0)
            return -1;
    p->ndone = 0;
    for (size_t i = 0; last && i < hk_blockmap_span(&p->blocks); i++) {
        struct block *b = hk_blockmap_at(&p->blocks, i);
        if (b && insert_block(p, b, run, NULL, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int flush_pins(struct hk_heapprof *p, int64_t run, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->pins.cap; i++) {
        struct pin *k = hk_table_slot(&p->pins, i);
        if (!hk_table_live(k) || !k->h.dirty)
            continue;
        const int64_t v[] = { run, k->stack, k->ss, k->slab, k->at_map, k->at_exit, k->slab_live };
        bind_all(p->pin_up, v, 7);
        if (step(p, p->pin_up, err, errlen) != 0)
            return -1;
        k->h.dirty = 0;
    }
    return 0;
}

/* profile_usage: the points since the last flush; at the run's end also one at its
 * last event, when it came after the last point. */
static int flush_usage(struct hk_heapprof *p, int64_t run, int last, char *err, size_t errlen)
{
    if (last && p->last_ns > p->usage_next - USAGE_NS && p->tot.samples &&
        grow((void **)&p->usage, &p->nusage, &p->usage_cap, sizeof *p->usage) == 0)
        p->usage[p->nusage++] = (struct usage){ p->last_ns, p->tot.in_use, p->usage_peak,
                                                (int64_t)p->tot.live };
    for (size_t i = 0; i < p->nusage; i++) {
        const struct usage *u = &p->usage[i];
        const int64_t v[] = { run, u->ts_ns, u->in_use, u->peak, u->live };
        bind_all(p->use_ins, v, 5);
        if (step(p, p->use_ins, err, errlen) != 0)
            return -1;
    }
    p->nusage = 0;
    return 0;
}

static int flush_run(struct hk_heapprof *p, int64_t run, char *err, size_t errlen)
{
    const struct hk_prof_totals *t = &p->tot;
    const int64_t v[] = { run, p->rate, (int64_t)t->samples, (int64_t)t->frees,
                          (int64_t)t->unmatched, (int64_t)t->lost_frees, (int64_t)t->live, t->in_use,
                          t->peak, t->peak_ns };
    bind_all(p->run_up, v, 10);
    return step(p, p->run_up, err, errlen);
}

int hk_heapprof_flush(struct hk_heapprof *p, sqlite3 *db, int64_t run, int live, int last,
                      char *err, size_t errlen)
{
    if (!p->rate && !p->tot.samples && !p->tot.unmatched && !p->pins.live)
        return 0; /* not profiled */
    if (!p->dirty && !last)
        return 0;
    int64_t t0 = (int64_t)hk_mono_ns();
    if (!last && t0 < p->due_ns)
        return 0;
    int64_t budget = p->flushed_ns ? (t0 - p->flushed_ns) / LIVE_SHARE : 0;
    int64_t deadline = last ? 0 : t0 + (budget > LIVE_MIN_NS ? budget : LIVE_MIN_NS);
    p->flushed_ns = t0;
    if (prepare_all(p, db, err, errlen) != 0 || flush_sites(p, run, err, errlen) != 0 ||
        (live && flush_live(p, run, deadline, err, errlen) != 0) ||
        (p->all_blocks && flush_blocks(p, run, last, err, errlen) != 0) ||
        flush_pins(p, run, err, errlen) != 0 || flush_usage(p, run, last, err, errlen) != 0 ||
        flush_run(p, run, err, errlen) != 0)
        return -1;
    int64_t t1 = (int64_t)hk_mono_ns();
    p->due_ns = t1 + LIVE_SHARE * (t1 - t0);
    p->dirty = 0;
    return 0;
}
