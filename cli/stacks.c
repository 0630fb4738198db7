/* stacks.c — a segment's interned stacks into the frames table: each return
 * address with its module, file offset, function (from the module's ELF
 * symbol tables) and source file and line (from its DWARF, with libdw). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "hakmem_reader.h"

/* The module of ip among the segment's executable mappings, or NULL. */
static const struct hakmem_seg_module *module_of(const struct hakmem_seg_stacks *st, uint64_t ip)
{
    uint32_t n = st->nmodules < HAKMEM_SEG_MODULES ? st->nmodules : HAKMEM_SEG_MODULES;
    for (uint32_t i = 0; i < n; i++)
        if (ip >= st->module[i].start && ip < st->module[i].end)
            return &st->module[i];
    return NULL;
}

/* Binds text, or NULL when there is none. */
static void bind_text(sqlite3_stmt *st, int col, const char *text)
{
    if (text)
        sqlite3_bind_text(st, col, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, col);
}

void hk_stacks_frame(const struct hakmem_seg_stacks *st, struct hk_symbols *syms, uint64_t ip,
                     struct hk_store_frame *f)
{
    const struct hakmem_seg_module *m = module_of(st, ip);
    struct hk_symbol y = { .offset = -1 };
    memset(f, 0, sizeof *f);
    f->ip = ip;
    f->fn_offset = -1;
    if (!m)
        return;
    size_t n = strnlen(m->path, HAKMEM_SEG_PATH_MAX);
    memcpy(f->module, m->path, n);
    f->module[n] = '\0';
    f->offset = ip - m->start + m->offset;
    /* every frame is a return address (the innermost one too: the capture's
     * own call), which points after its call: look up the call itself, whose
     * line is the one that called */
    hk_symbols_lookup(syms, f->module, f->offset ? f->offset - 1 : f->offset, &y);
    if (y.function)
        snprintf(f->function, sizeof f->function, "%s", y.function);
    if (y.file) {
        snprintf(f->file, sizeof f->file, "%s", y.file);
        f->line = y.line;
    }
    if (y.offset >= 0) /* of the return address, as heap-error reports print it */
        f->fn_offset = y.offset + (f->offset ? 1 : 0);
}

/* Each distinct return address symbolised once: a stack table holds each of a
 * program's hot frames in thousands of stacks. */
struct known_frame {
    struct hk_slot h;
    struct hk_store_frame f;
};

static int frame_same(const void *slot, const void *key)
{
    return ((const struct known_frame *)slot)->f.ip == *(const uint64_t *)key;
}

static const struct hk_store_frame *frame_of(struct hk_table *known, struct hk_symbols *syms,
                                             const struct hakmem_seg_stacks *st, uint64_t ip,
                                             struct hk_store_frame *scratch)
{
    int created = 0;
    struct known_frame *k = hk_table_get(known, hk_table_mix(ip), frame_same, &ip, 1, &created);
    struct hk_store_frame *f = k ? &k->f : scratch; /* out of memory: not kept */
    if (!k || created)
        hk_stacks_frame(st, syms, ip, f);
    return f;
}

static int store_frame(sqlite3_stmt *ins, const struct hk_store_frame *f, int64_t run, uint32_t id,
                       uint32_t depth)
{
    sqlite3_bind_int64(ins, 1, run);
    sqlite3_bind_int64(ins, 2, id);
    sqlite3_bind_int64(ins, 3, depth);
    sqlite3_bind_int64(ins, 4, (int64_t)f->ip);
    bind_text(ins, 5, f->function[0] ? f->function : NULL);
    bind_text(ins, 6, f->module[0] ? f->module : NULL);
    if (f->module[0])
        sqlite3_bind_int64(ins, 7, (int64_t)f->offset);
    else
        sqlite3_bind_null(ins, 7);
    bind_text(ins, 8, f->file[0] ? f->file : NULL);
    if (f->file[0])
        sqlite3_bind_int(ins, 9, f->line);
    else
        sqlite3_bind_null(ins, 9);
    if (f->fn_offset >= 0)
        sqlite3_bind_int64(ins, 10, f->fn_offset);
    else
        sqlite3_bind_null(ins, 10);
    int rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The stacks of one image as they are stored: each return address symbolised
 * once, each stack stored once, the most of them while the image runs. */
struct hk_stack_log {
    struct hakmem_reader *r; /* its own: its copy of the table is read across slices */
    struct hk_symbols *syms;
    struct hk_table known;   /* struct known_frame by ip */
    uint8_t *done;           /* done[id]: stack id is in frames */
    uint32_t ndone;          /* ids done[] covers */
    int64_t next_ns;         /* the earliest hk_mono_ns() of the next pass while running */
    const struct hakmem_seg_stacks *pass; /* the table as the pass under way copied it */
    uint32_t cursor;         /* the slot the pass's next slice starts at */
    sqlite3 *db;
    sqlite3_stmt *ins;       /* frames_insert() on db */
};

#define LOG_EVERY_NS 1000000000LL /* between passes while the image runs */

/* A log with no reader (for hk_stacks_store alone) when path is NULL. */
static struct hk_stack_log *log_new(const char *path, struct hk_symbols *syms)
{
    struct hk_stack_log *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    char err[HK_ERR_MAX];
    if (hk_table_init(&l->known, sizeof(struct known_frame)) != 0 ||
        (path && !(l->r = hakmem_reader_open(path, 0, err, sizeof err)))) {
        hk_table_free(&l->known);
        free(l);
        return NULL;
    }
    l->syms = syms;
    l->next_ns = (int64_t)hk_mono_ns() + LOG_EVERY_NS;
    return l;
}

struct hk_stack_log *hk_stack_log_new(const char *path, struct hk_symbols *syms)
{
    return path ? log_new(path, syms) : NULL;
}

void hk_stack_log_free(struct hk_stack_log *l)
{
    if (!l)
        return;
    sqlite3_finalize(l->ins);
    if (l->r)
        hakmem_reader_close(l->r);
    hk_table_free(&l->known);
    free(l->done);
    free(l);
}

/* 1 when every frame of k lies in a module of st's map (a stack is published
 * before the map is read again for its new library). */
static int covered(const struct hakmem_seg_stacks *st, const struct hakmem_seg_stack *k,
                   uint32_t depth)
{
    for (uint32_t d = 0; d < depth; d++)
        if (!module_of(st, k->ip[d]))
            return 0;
    return 1;
}

/* Stores the stacks of st not stored yet, in slot order, which is id order in a
 * dense table (so rows go in at the end of the frames index), from slot *cursor
 * to the end or, with a deadline (hk_mono_ns()), until it passed: *cursor is
 * where to go on. While running (final 0) only those covered by the module map,
 * the others at the end. */
static int store_range(struct hk_stack_log *l, const struct hakmem_seg_stacks *st,
                       sqlite3_stmt *ins, int64_t run, int final, uint32_t *cursor,
                       uint64_t deadline)
{
    struct hk_store_frame scratch;
    for (uint32_t i = *cursor; i < st->capacity; i++) {
        if (deadline && i % 16 == 15 && hk_mono_ns() > deadline) {
            *cursor = i;
            return 0;
        }
        const struct hakmem_seg_stack *k = &st->stack[i];
        uint32_t id = k->id; /* 0: free, or not published yet */
        uint32_t depth = k->depth < HAKMEM_SEG_STACK_DEPTH ? k->depth : HAKMEM_SEG_STACK_DEPTH;
        if (!id || (id < l->ndone && l->done[id]) || (!final && !covered(st, k, depth)))
            continue;
        if (id >= l->ndone) {
            uint32_t n = id + 1 > 2 * l->ndone ? id + 1 : 2 * l->ndone;
            uint8_t *d = realloc(l->done, n);
            if (!d)
                return -1;
            memset(d + l->ndone, 0, n - l->ndone);
            l->done = d;
            l->ndone = n;
        }
        for (uint32_t d = 0; d < depth; d++)
            if (store_frame(ins, frame_of(&l->known, l->syms, st, k->ip[d], &scratch), run, id,
                            d) != 0)
                return -1;
        l->done[id] = 1;
    }
    *cursor = st->capacity;
    return 0;
}

static int store_new(struct hk_stack_log *l, const struct hakmem_seg_stacks *st, sqlite3_stmt *ins,
                     int64_t run, int final)
{
    uint32_t cursor = 0;
    return store_range(l, st, ins, run, final, &cursor, 0);
}

static sqlite3_stmt *frames_insert(sqlite3 *db, char *err, size_t errlen)
{
    return hk_db_prepare(db, "INSERT OR REPLACE INTO frames (run_id, stack_id, depth,"
                             " ip, function, module, offset, file, line, fn_offset)"
                             " VALUES (?,?,?,?,?,?,?,?,?,?)",
                         err, errlen);
}

int hk_stack_log_due(const struct hk_stack_log *l)
{
    return l && (l->pass || (int64_t)hk_mono_ns() >= l->next_ns);
}

int hk_stack_log_work(struct hk_stack_log *l, sqlite3 *db, int64_t run, uint64_t deadline,
                      char *err, size_t errlen)
{
    if (!hk_stack_log_due(l))
        return 0;
    if (!l->pass) {
        l->pass = hakmem_reader_stacks(l->r);
        l->cursor = 0;
        l->next_ns = (int64_t)hk_mono_ns() + LOG_EVERY_NS;
        if (!l->pass)
            return 0; /* none, or the segment went: the end stores what it can */
    }
    if (l->db != db) {
        sqlite3_finalize(l->ins);
        l->db = db;
        if (!(l->ins = frames_insert(db, err, errlen)))
            return -1;
    }
    if (store_range(l, l->pass, l->ins, run, 0, &l->cursor, deadline) != 0)
        return hk_fail(err, errlen, "cannot store stacks: %s", sqlite3_errmsg(db));
    if (l->cursor >= l->pass->capacity) { /* the pass is done; the next in a second */
        l->pass = NULL;
        l->next_ns = (int64_t)hk_mono_ns() + LOG_EVERY_NS;
    }
    return 0;
}

/* How many stacks the table could not hold, into the run's heap profile (when it has one). */
static int store_dropped(sqlite3 *db, const struct hakmem_seg_stacks *st, int64_t run)
{
    sqlite3_stmt *upd = hk_db_prepare(db, "UPDATE profile_runs SET stacks_dropped = ?"
                                          " WHERE run_id = ?", NULL, 0);
    if (!upd)
        return -1;
    sqlite3_bind_int64(upd, 1, st->dropped);
    sqlite3_bind_int64(upd, 2, run);
    int rc = sqlite3_step(upd);
    sqlite3_finalize(upd);
    return rc == SQLITE_DONE ? 0 : -1;
}

int hk_stacks_store(struct hakmem_reader *r, sqlite3 *db, int64_t run, struct hk_symbols *shared,
                    struct hk_stack_log *log, char *err, size_t errlen)
{
    const struct hakmem_seg_stacks *st = hakmem_reader_stacks(r);
    if (!st)
        return 0;
    struct hk_symbols *syms = shared ? shared : hk_symbols_new();
    struct hk_stack_log *l = log ? log : syms ? log_new(NULL, syms) : NULL;
    sqlite3_stmt *ins = l ? frames_insert(db, err, errlen) : NULL;
    int rc = !l ? hk_fail(err, errlen, "out of memory") : ins ? hk_db_exec(db, "BEGIN", err, errlen) : -1;
    if (rc == 0 && (store_new(l, st, ins, run, 1) != 0 || store_dropped(db, st, run) != 0))
        rc = hk_fail(err, errlen, "cannot store stacks: %s", sqlite3_errmsg(db));
    if (rc == 0)
        rc = hk_db_exec(db, "COMMIT", err, errlen);
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(ins);
    if (!log)
        hk_stack_log_free(l);
    if (!shared)
        hk_symbols_free(syms);
    return rc;
}

struct warm_module {
    char path[HAKMEM_SEG_PATH_MAX + 1];
    off_t size; /* of the file on disk, 0 when unknown */
};

struct hk_warm {
    struct hk_symbols *syms;
    pthread_t thread;
    atomic_int stop;
    uint32_t n;
    struct warm_module mod[HAKMEM_SEG_MODULES];
};

static int larger_first(const void *a, const void *b)
{
    off_t sa = ((const struct warm_module *)a)->size, sb = ((const struct warm_module *)b)->size;
    return (sa < sb) - (sa > sb);
}

/* The largest modules first (their debug information takes longest); none begun
 * once an image is being stored: what it asks for is read then, and no more. */
static void *warm_thread(void *arg)
{
    struct hk_warm *w = arg;
    for (uint32_t i = 0; i < w->n && !atomic_load_explicit(&w->stop, memory_order_relaxed); i++)
        hk_symbols_warm(w->syms, w->mod[i].path);
    return NULL;
}

struct hk_warm *hk_stacks_warm_start(struct hakmem_reader *r, struct hk_symbols *syms)
{
    const struct hakmem_seg_stacks *st = hakmem_reader_stacks(r);
    struct hk_warm *w = st && syms ? calloc(1, sizeof *w) : NULL;
    if (!w)
        return NULL;
    w->syms = syms;
    uint32_t n = st->nmodules < HAKMEM_SEG_MODULES ? st->nmodules : HAKMEM_SEG_MODULES;
    for (uint32_t i = 0; i < n; i++) { /* copied: the segment may go before the thread ends */
        struct warm_module *m = &w->mod[w->n++];
        memcpy(m->path, st->module[i].path, strnlen(st->module[i].path, HAKMEM_SEG_PATH_MAX));
        struct stat sb;
        m->size = stat(m->path, &sb) == 0 ? sb.st_size : 0;
    }
    qsort(w->mod, w->n, sizeof w->mod[0], larger_first);
    if (pthread_create(&w->thread, NULL, warm_thread, w) != 0) {
        free(w);
        return NULL;
    }
    return w;
}

void hk_stacks_warm_stop(struct hk_warm *w)
{
    if (w)
        atomic_store_explicit(&w->stop, 1, memory_order_relaxed);
}

void hk_stacks_warm_end(struct hk_warm *w)
{
    if (!w)
        return;
    hk_stacks_warm_stop(w);
    pthread_join(w->thread, NULL);
    free(w);
}
