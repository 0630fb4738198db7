/* cli.h — hakmem-trace internals shared across cli/ files, grouped by the
 * file that defines them; every other function is static to its file. */
#ifndef HK_CLI_H
#define HK_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/types.h>
#include <sqlite3.h>
#include "hakmem_segment.h"
#include "store.h" /* HK_SCHEMA_VERSION, and reading recorded runs back */

#define HK_ERR_MAX 512
#define HK_STR_(x) #x
#define HK_STR(x) HK_STR_(x) /* a number macro as a string literal */
#define HK_PROG "hakmem-trace"

/* ---- util.c: messages, numbers, clocks */
/* Prints "hakmem-trace[ CMD]: message" and a newline on stderr. */
void hk_say(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A command's usage text: on stdout for --help (returns 0), else on stderr
 * for a bad option or argument (returns 2, the exit status of misuse). */
int hk_usage(const char *text, bool help);
/* snprintf into err (when err is not NULL); returns -1 for `return hk_fail(...)`. */
int hk_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Parses a whole decimal number in [min, max] into *out; 0, or -1 when it is not one. */
int hk_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
uint64_t hk_mono_ns(void);
uint64_t hk_real_ns(void);
void hk_sleep_ms(unsigned ms);
/* The last path component of path (no copy). */
const char *hk_basename(const char *path);
/* s for a terminal: control characters (C0, DEL, C1) as \xNN, into buf (cut to fit). */
const char *hk_printable(const char *s, char *buf, size_t len);
/* "1.5 MiB" style into buf. */
const char *hk_bytes(uint64_t bytes, char *buf, size_t len);
/* 1 when the string is "-h" or "--help". */
int hk_is_help(const char *arg);
/* Parses the options of a command that takes only -o FILE and -h: -1 to go on
 * (*out set when -o was given, optind at the operands), else the exit status. */
int hk_parse_output_opt(int argc, char **argv, const char *usage, const char **out);

/* ---- sql.c (generated at build time from schema/schema.sql and schema/queries.sql) */
extern const char hk_schema_sql[];
extern const char hk_queries_sql[];

/* ---- db.c: opening trace databases, schema version (store.h), statements */
/* Opens (creating when absent) a trace database for writing, schema applied;
 * live: WAL, so readers can query while it is written. */
sqlite3 *hk_db_open_write(const char *path, int live, char *err, size_t errlen);
/* Opens an existing trace database read-only (query_only on), its schema checked
 * (hk_db_check_schema) and its SQL bounded in time (hk_db_time_limit). */
sqlite3 *hk_db_open_read(const char *path, char *err, size_t errlen);
/* Leaves WAL for a single-file database and closes. */
int hk_db_finish(sqlite3 *db, char *err, size_t errlen);
void hk_db_close(sqlite3 *db);
/* One sentence for the last error of db (what failed), naming the file; returns -1. */
int hk_db_fail(sqlite3 *db, const char *what, char *err, size_t errlen);
/* Runs SQL (several statements) with no result rows; 0 or -1 with err. */
int hk_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Prepares one statement; NULL with err on failure. */
sqlite3_stmt *hk_db_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* The single integer that sql yields, or def when it yields no row; -1 on error. */
int hk_db_int(sqlite3 *db, const char *sql, int64_t def, int64_t *out, char *err, size_t errlen);
/* Steps st (may be NULL: -1, err already set) to its end, each row to row(st, ctx),
 * and finalizes it; 0, or -1 with err (hk_db_fail(db, what)). */
int hk_db_rows(sqlite3 *db, sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
               const char *what, char *err, size_t errlen);
/* A read database's SQL stops after this many seconds in all (0: never); set
 * before opening. HK_READ_SECONDS by default. */
#define HK_READ_SECONDS 60
void hk_db_time_limit(unsigned seconds);
/* Checks that db's tables and views are those of the compiled-in schema (views
 * word for word), so reading them runs no SQL a file brought; 0 or -1 with err. */
int hk_db_check_schema(sqlite3 *db, char *err, size_t errlen);
/* PRAGMA user_version of an open trace database (0 when it cannot be read). */
int64_t hk_db_version(sqlite3 *db);
/* The run to look at: want when it exists (want > 0), else the last run. */
int hk_db_pick_run(sqlite3 *db, int64_t want, int64_t *run, char *err, size_t errlen);
/* Which runs a command means (--run, --pid, --exe): 0 / NULL for any. */
struct hk_run_filter {
    int64_t run, pid;
    const char *exe; /* the executable or the command's first word, a path or its last part */
};
/* The run f names: among the runs it admits, the one that mapped the most
 * memory (SuperSlab + large map bytes; then the most events, then the
 * latest); how many it admits in *matched. -1 with err when none. */
int hk_db_pick(sqlite3 *db, const struct hk_run_filter *f, int64_t *run, int64_t *matched,
               char *err, size_t errlen);
/* getopt_long's table of --run N, --pid N, --exe NAME and --help (short "h"). */
extern const struct option hk_run_options[];
/* Option c of that table ('r', 'p' or 'e') with arg into f: 0, or 2 after
 * saying on stderr what cmd expected. */
int hk_run_option(const char *cmd, int c, const char *arg, struct hk_run_filter *f);
/* Prints the runs f admits, one a line (run, pid, ppid, exe, events, bytes
 * mapped), marking chosen. */
int hk_db_list_runs(sqlite3 *db, const struct hk_run_filter *f, int64_t chosen, FILE *out,
                    char *err, size_t errlen);

/* ---- sink.c: events into the database, in batched transactions */
/* An event's fields as stored: -1 stands for NULL. */
struct hk_row {
    int64_t cls, stage, ss, slab, reason, stack_id, ss_addr;
};
void hk_row_of(const struct hakmem_event *ev, struct hk_row *r);

/* ---- batch.c: virtual tables over rows prepared in memory, so that
 * INSERT INTO t SELECT * FROM <name> stores a whole batch without binding */
#define HK_SINK_COLS 14 /* columns of an events row */
struct hk_batch {
    const char *columns;   /* the column names, comma-separated */
    int ncols;             /* at most 16 */
    const int64_t *v;      /* n rows of ncols values */
    const uint16_t *nulls; /* per row: bit c set when column c is NULL */
    size_t n;
};
/* Registers the eponymous virtual table name on db, yielding src's rows. */
int hk_batch_register(sqlite3 *db, const char *name, struct hk_batch *src, char *err,
                      size_t errlen);
/* The events row of ev (r = hk_row_of(ev)): HK_SINK_COLS values and the NULLs. */
void hk_batch_event(const struct hakmem_event *ev, int64_t run_id, int64_t start_mono_ns,
                    const struct hk_row *r, int64_t *v, uint16_t *nulls);

struct hk_run_info {
    int64_t pid, ppid; /* ppid 0: unknown */
    const char *exe, *argv, *mode, *options, *source, *segment;
    int64_t started_ns, start_mono_ns;
    int64_t profile_rate;  /* the segment's (runs.profile_rate); 0: no heap profile */
    int all_blocks;        /* keep a profile_blocks row per sampled block */
    int64_t format_version, ring_capacity;
    uint32_t nclasses;
    const uint32_t *class_size, *class_capacity;
};

#define HK_SINK_BATCH 8192 /* events per job handed to the writer thread */
#define HK_MAX_CLASSES 256
/* One occupancy row: a class at one sample. */
struct hk_occ_row {
    int64_t ts_ns, cls, slabs, used, capacity;
};
struct hk_tally;
struct hk_sink_queue;
/* Between hk_sink_open and hk_sink_close the connection belongs to the
 * sink's writer thread: the caller must not use it. */
struct hk_stack_log;
struct hk_sink {
    sqlite3 *db;
    sqlite3_stmt *ins, *upd, *occ, *cnt;
    struct hk_batch batch;  /* what hk_batch yields during an insert */
    struct hk_tally *tally;
    struct hk_heapprof *prof;
    struct hk_sink_queue *q;
    int64_t run_id;
    int64_t start_mono_ns;
    uint64_t events;        /* events stored in this run (alloc and free go to prof) */
    uint64_t dropped, lost; /* as last reported by hk_sink_counts */
    uint64_t in_tx;         /* events in the open transaction */
    uint64_t tx_start_ns;   /* when its first event came; 0 when none */
    int tx_open;            /* (writer thread) a transaction is open */
    int failed;             /* a write failed: the transaction was rolled back */
    int bulk;               /* a one-off load: synchronous=OFF, and the slabs
                             * tables written with the last commit only */
    struct hakmem_seg_counters counters; /* the process's own, as copied last */
    int have_counters;
    int64_t end_ns;         /* the end snapshot, ns since the start; -1: none yet */
    int end_final;          /* 1 when the process wrote it as it exited */
    struct hk_stack_log *stacks; /* the image's stacks, stored by the writer between its jobs
                                  * (NULL: at the end only); hk_sink_stacks sets it */
    int ended;              /* (writer thread) the last commit is written */
};

/* Inserts the run (and its classes), prepares the statements and starts the
 * writer. bulk: a one-off load that syncs only at its end. */
int hk_sink_open(struct hk_sink *s, sqlite3 *db, const struct hk_run_info *info, int bulk,
                 char *err, size_t errlen);
/* Stores n events; opens a transaction when none is open. */
int hk_sink_add(struct hk_sink *s, const struct hakmem_event *ev, size_t n, char *err,
                size_t errlen);
/* Queues one occupancy sample (at most HK_MAX_CLASSES rows). */
int hk_sink_occupancy(struct hk_sink *s, const struct hk_occ_row *rows, size_t n, char *err,
                      size_t errlen);
/* From now on the writer stores log's stacks while it has no job (a slice at a
 * time: a job waits for one slice at most), until the last commit. */
void hk_sink_stacks(struct hk_sink *s, struct hk_stack_log *log);
/* Producer-side counts to write into runs with the next commit. */
void hk_sink_counts(struct hk_sink *s, uint64_t dropped, uint64_t lost);
/* The process's live counters, written into run_counters with the next commit. */
void hk_sink_counters(struct hk_sink *s, const struct hakmem_seg_counters *live);
/* The occupancy snapshot that stands for the end of the run (so far). */
void hk_sink_end(struct hk_sink *s, int64_t end_ns, int final);
/* Commits the open transaction (with runs.events/dropped/lost). */
int hk_sink_commit(struct hk_sink *s, char *err, size_t errlen);
/* Commits when the open transaction is older than ms milliseconds. */
int hk_sink_commit_due(struct hk_sink *s, unsigned ms, char *err, size_t errlen);
/* Writes ended_ns and exit_status (< 0: unknown), commits, frees statements.
 * After any failure the sink only frees (what was committed stays). */
int hk_sink_close(struct hk_sink *s, int64_t ended_ns, int exit_status, char *err, size_t errlen);

/* ---- counters.c: the fields of struct hakmem_seg_counters by name */
struct hk_counter_field {
    const char *name;
    size_t offset;  /* of its first element */
    unsigned count; /* elements: 1, or per stage, or per class */
    const char *what; /* what bumps it */
};
extern const struct hk_counter_field hk_counter_fields[];
extern const size_t hk_ncounter_fields;
/* Element idx of field f of c. */
uint64_t hk_counter_value(const struct hakmem_seg_counters *c, const struct hk_counter_field *f,
                          unsigned idx);

/* ---- table.c: an open-addressing hash table of fixed-size slots */
/* Every slot starts with this. */
struct hk_slot {
    uint64_t hash;
    int64_t rowid;       /* of the slot's row in the database, 0 until inserted */
    uint8_t state;       /* free, used, deleted (the table's) */
    uint8_t dirty;       /* changed since its row was written */
};
struct hk_table {
    char *slots;
    size_t cap, filled, live, size; /* filled: used + deleted; size: bytes per slot */
    unsigned gen;                   /* bumped when the slots move (a slot's address is
                                     * good while gen stays, but for removals) */
};
int hk_table_init(struct hk_table *t, size_t slot_size);
void hk_table_free(struct hk_table *t);
static inline void *hk_table_slot(const struct hk_table *t, size_t i)
{
    return t->slots + i * t->size;
}
/* 1 when the slot holds a key. */
int hk_table_live(const void *slot);
/* The slot of hash for which same(slot, key) holds; else, with create, a new
 * zeroed one (*created set); NULL otherwise (or when memory runs out). */
void *hk_table_get(struct hk_table *t, uint64_t hash, int (*same)(const void *, const void *),
                   const void *key, int create, int *created);
void hk_table_delete(struct hk_table *t, void *slot);
/* Takes slot's key out without a tombstone: later slots of its chain move, so
 * no pointer to another slot survives the call. */
void hk_table_remove(struct hk_table *t, void *slot);
/* Starts loading hash's home slot into the cache, for a lookup to come. */
void hk_table_prefetch(const struct hk_table *t, uint64_t hash);
/* A 64-bit mix of a key (murmur3's finaliser), for the hash of a slot; inline:
 * the drain hashes every event's address several times. */
static inline uint64_t hk_table_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
}

/* ---- blockmap.c: the heap profile's live blocks by address */
/* Records of rec_size bytes, each starting with its block's address (uint64_t,
 * never 0); found through an index of 8-byte slots, so a map of millions of
 * blocks costs about rec_size + 32 bytes each and a lookup two cache lines. */
struct hk_blockmap {
    uint64_t *index;
    size_t cap, live;             /* index slots (a power of two), records in use */
    char *recs;
    size_t rec_size, nrec, rec_cap; /* nrec: records ever handed out, used or free */
    uint32_t free_head;           /* a free record's number + 1; 0: none */
    size_t hint;                  /* the index slot of the record found or put last */
};
int hk_blockmap_init(struct hk_blockmap *m, size_t rec_size);
void hk_blockmap_free(struct hk_blockmap *m);
/* The record of addr, or NULL. */
void *hk_blockmap_find(struct hk_blockmap *m, uint64_t addr);
/* The record of addr: the one there (*fresh 0), else a new zeroed one, its
 * address set (*fresh 1); NULL when memory ran out or addr is 0. */
void *hk_blockmap_put(struct hk_blockmap *m, uint64_t addr, int *fresh);
/* hk_blockmap_put's new record, NULL when addr was there already. */
void *hk_blockmap_add(struct hk_blockmap *m, uint64_t addr);
/* Takes rec (a record of the map) out; other records stay where they are. The
 * record found or put last is taken out without a look-up. */
void hk_blockmap_remove(struct hk_blockmap *m, void *rec);
/* Start loading addr's index slot; then, once it is in, its record. */
void hk_blockmap_prefetch(const struct hk_blockmap *m, uint64_t addr);
void hk_blockmap_prefetch_rec(const struct hk_blockmap *m, uint64_t addr);
/* Every record: hk_blockmap_at(m, i) for i < hk_blockmap_span(m), NULL for a free one. */
size_t hk_blockmap_span(const struct hk_blockmap *m);
void *hk_blockmap_at(const struct hk_blockmap *m, size_t i);

/* ---- tally.c: the report's aggregates (event_counts, slabs) kept while ingesting */
struct hk_tally *hk_tally_new(void);
void hk_tally_free(struct hk_tally *t);
/* Counts one event (events arrive in seq order); r = hk_row_of(ev). */
void hk_tally_add(struct hk_tally *t, const struct hakmem_event *ev, const struct hk_row *r);
/* The occupancy of slab (ss, slab) in the end snapshot (flags: enum hakmem_seg_slab_flag),
 * for slabs it knows. */
void hk_tally_occupancy(struct hk_tally *t, int64_t ss, int64_t slab, int64_t used, int64_t capacity,
                        unsigned flags);
/* Writes the rows that changed since the last flush, inside the caller's
 * transaction; with slabs 0, of the slabs only those of unmapped SuperSlabs
 * (final: then forgotten, which bounds memory), with 1 every changed one. */
int hk_tally_flush(struct hk_tally *t, sqlite3 *db, int64_t run_id, int slabs, char *err,
                   size_t errlen);

/* ---- heapprof.c: the heap profile (alloc and free events) aggregated as it
 * drains, written as profile_stacks, profile_live, profile_blocks and
 * profile_runs rows with the commits */
struct hk_heapprof;
/* One allocation stack's figures (profile_stacks); weights in 1/65536 allocations,
 * bytes estimated (weight × bytes / 65536, per sample). */
struct hk_prof_site {
    uint32_t stack_id;
    int64_t allocs, alloc_weight, bytes, requested;
    int64_t frees, free_weight, live, in_use, peak_in_use, peak_live;
    int64_t temporaries, temp_weight;
};
/* The run's totals (profile_runs). */
struct hk_prof_totals {
    uint64_t samples, frees, unmatched, live;
    uint64_t lost_frees; /* allocs at the address of a live sampled block: its free was lost */
    int64_t in_use, peak, peak_ns; /* peak_ns -1: no peak yet */
};
/* rate: the segment's profile_rate (0: not profiled; written only when events
 * come anyway); all_blocks: keep profile_blocks too. */
struct hk_heapprof *hk_heapprof_new(int64_t start_mono_ns, int64_t rate, int all_blocks);
void hk_heapprof_free(struct hk_heapprof *p);
/* 1 for the event types the profile takes (alloc, free): not stored as events rows. */
int hk_heapprof_takes(unsigned type);
/* weight × bytes / 65536, rounded: exact at weight 65536 (HAKMEM_WEIGHT_ONE). */
int64_t hk_heapprof_estimate(int64_t weight, int64_t bytes);
/* The bytes of an alloc event's block: its class's size, or the large
 * mapping's pages when the size saturated. */
int64_t hk_heapprof_block_bytes(const struct hakmem_event *ev);
/* Starts loading the slots ev will touch (hk_heapprof_add() of it soon after). */
void hk_heapprof_prefetch(const struct hk_heapprof *p, const struct hakmem_event *ev);
/* The second step, some events later: the block's record, its index slot in by then. */
void hk_heapprof_prefetch_rec(const struct hk_heapprof *p, const struct hakmem_event *ev);
/* Applies one alloc or free event; events arrive in ring order. */
void hk_heapprof_add(struct hk_heapprof *p, const struct hakmem_event *ev);
/* Keeps one slab_pin event (HAKMEM_PROFILE_SITES; it is an events row too) in
 * profile_pin_tags. */
void hk_heapprof_pin(struct hk_heapprof *p, const struct hakmem_event *ev);
void hk_heapprof_totals(const struct hk_heapprof *p, struct hk_prof_totals *out);
/* The figures of stack_id so far into *out: 1, or 0 when it has no sample. */
int hk_heapprof_site(struct hk_heapprof *p, uint32_t stack_id, struct hk_prof_site *out);
/* Writes what changed inside the caller's transaction; live: profile_live too
 * (a bulk load writes it with its last commit only); last: the run's end. */
int hk_heapprof_flush(struct hk_heapprof *p, sqlite3 *db, int64_t run, int live, int last,
                      char *err, size_t errlen);

/* ---- drain.c: one segment drained into a sink */
struct hakmem_reader;
/* Called while the ring is empty: 1 when no more events will come. */
typedef int (*hk_done_fn)(void *ctx);
struct hk_drain_opts {
    unsigned commit_ms;      /* commit at least this often */
    uint64_t commit_events;  /* and whenever a transaction holds this many */
    hk_done_fn done;
    /* when set: called every 100 ms; -1 (with err) stops the drain */
    int (*tick)(void *ctx, char *err, size_t errlen);
    void *ctx;
};
struct hk_drained {
    uint64_t events, dropped, lost, unreadable;
    uint64_t duration_ns; /* start to exit (or to now) of the traced image */
};
/* A run's description taken from a segment header, strings copied out. */
struct hk_seg_meta {
    char exe[HAKMEM_SEG_EXE_MAX + 1];
    char argv[HAKMEM_SEG_CMDLINE_MAX + 1];
    char segment[1024];
    struct hk_run_info info;
};
/* The header of the segment at path, copied; -1 when it is none. */
int hk_drain_peek(const char *path, struct hakmem_seg_header *h);
/* -1 (with err) when another live process drains the segment at path: call
 * before opening it to drain (opening takes the reader_pid slot over). */
int hk_drain_busy(const char *path, char *err, size_t errlen);
/* Checks the header and live counters of an opened segment for consistency,
 * and that no other live reader drains it. */
int hk_drain_check(struct hakmem_reader *r, const char *path, char *err, size_t errlen);
/* Fills m from the segment header (options left NULL for the caller). */
void hk_drain_meta(struct hakmem_reader *r, const char *source, const char *path,
                   struct hk_seg_meta *m);
/* Drains r into s until o->done says the producer finished and the ring is
 * empty; polls every 10 ms. Events never published (a producer that died
 * mid-write, or corruption) are counted in out->unreadable. */
int hk_drain(struct hakmem_reader *r, struct hk_sink *s, const struct hk_drain_opts *o,
             struct hk_drained *out, char *err, size_t errlen);
/* CLOCK_REALTIME of the traced image's exit (or now when it has not exited). */
int64_t hk_drain_ended_ns(struct hakmem_reader *r);

/* ---- follow.c: the segments a recording drains: a traced process tree's
 * (record) or one process's images over its exec()s (attach) */
/* 1 while pid runs (a zombie has exited). */
int hk_pid_running(pid_t pid);
struct hk_follow {
    char dir[256];   /* where segments are: /dev/shm */
    pid_t pid;       /* attach: the images of this pid */
    pid_t recorder;  /* record (> 0): the segments whose recorder_pid is this */
    struct { pid_t pid; uint64_t start; } *taken; /* images opened or passed over */
    size_t ntaken, cap;
    int notify;      /* an inotify fd watching dir for new files, -1: none */
};
/* dir NULL: /dev/shm. recorder > 0 follows a process tree, else pid's images. */
void hk_follow_init(struct hk_follow *f, const char *dir, pid_t pid, pid_t recorder);
void hk_follow_free(struct hk_follow *f);
/* Waits up to ms for a file to appear in f->dir: 1 when one did (it may not be
 * ready yet), 0 after ms (or at once on a signal; a plain sleep without inotify). */
int hk_follow_wait(struct hk_follow *f, unsigned ms);
/* Opens (to drain) the oldest ready image not taken yet, its path into path;
 * NULL when there is none yet, or (with err set) when it cannot be drained.
 * A forked image waits for its first event, and is passed over when it ends
 * without one (record also removes it once its process is gone). */
struct hakmem_reader *hk_follow_next(struct hk_follow *f, char *path, size_t len, char *err,
                                     size_t errlen);
/* How many images not taken yet may still need draining. */
int hk_follow_pending(struct hk_follow *f);
/* record: removes every segment of the tree still there. */
void hk_follow_unlink(struct hk_follow *f);

/* ---- occupancy.c: occupancy samples of a live segment into the database */
struct hk_occ_sampler {
    struct hakmem_seg_ss *buf;
    size_t max;
    uint64_t last;             /* sampled_ns of the snapshot stored last */
    int64_t start_mono_ns;
    uint8_t seen[HK_MAX_CLASSES];
};
int hk_occ_init(struct hk_occ_sampler *o, struct hakmem_reader *r, char *err, size_t errlen);
void hk_occ_free(struct hk_occ_sampler *o);
/* Stores the newest snapshot when it is new; final: also each slab's last
 * occupancy (slabs.final_used) through the tally. */
int hk_occ_sample(struct hk_occ_sampler *o, struct hakmem_reader *r, struct hk_sink *s, int final,
                  char *err, size_t errlen);

/* ---- debugcache.c: decompressed copies of debug files, by build id (with libdw) */
/* $HAKMEM_DEBUG_CACHE, else $XDG_CACHE_HOME/hakmem/debuginfo, else
 * ~/.cache/hakmem/debuginfo, into dir; 0, or -1 when there is none ("" or
 * "0" in HAKMEM_DEBUG_CACHE turns the cache off). */
int hk_debugcache_dir(char *dir, size_t cap);
/* root/xx/rest.debug for build id id (len bytes, hex xxrest; root NULL:
 * /usr/lib/debug/.build-id) into out; 0, or -1 when len or cap is too small. */
int hk_debugcache_id_path(const char *root, const unsigned char *id, int len, char *out,
                          size_t cap);
/* When the debug file of build id id (len bytes) under root (NULL:
 * /usr/lib/debug/.build-id; root/xx/rest.debug) has compressed sections: the
 * cached copy with them decompressed, made now when missing, its fd returned
 * and its path into *name (the old one freed); else -1 (libdw's search then). */
int hk_debugcache_open(const char *root, const unsigned char *id, int len, char **name);

/* ---- stacks.c + symbols.c: the segment's stack table into frames */
/* Writes every interned stack of r into frames for run (after hk_sink_close),
 * but those log stored already. */
struct hk_symbols;
struct hk_stack_log;
/* syms: the symbols to look frames up in (NULL: its own, for this call); log:
 * what was stored while r ran (NULL: nothing). */
int hk_stacks_store(struct hakmem_reader *r, sqlite3 *db, int64_t run, struct hk_symbols *syms,
                    struct hk_stack_log *log, char *err, size_t errlen);
/* The stacks of the segment at path stored while it runs (through a reader of
 * its own): hk_stack_log_work, inside the caller's transaction, stores those
 * published since its last pass (at most one pass a second), until deadline
 * (hk_mono_ns(); 0: none) and then goes on at its next call, so that the end
 * (hk_stacks_store with the log) has few left. _due: 1 when a pass is due or
 * under way. One thread at a time. */
struct hk_stack_log *hk_stack_log_new(const char *path, struct hk_symbols *syms);
void hk_stack_log_free(struct hk_stack_log *l);
int hk_stack_log_due(const struct hk_stack_log *l);
int hk_stack_log_work(struct hk_stack_log *l, sqlite3 *db, int64_t run, uint64_t deadline,
                      char *err, size_t errlen);
/* The segment's modules warmed in syms by a thread of its own (NULL: not started);
 * _stop: no module begun after it; _end: stops, waits for the thread, frees. */
struct hk_warm;
struct hk_warm *hk_stacks_warm_start(struct hakmem_reader *r, struct hk_symbols *syms);
void hk_stacks_warm_stop(struct hk_warm *w);
void hk_stacks_warm_end(struct hk_warm *w);
struct hk_symbols *hk_symbols_new(void);
void hk_symbols_free(struct hk_symbols *s);
/* Reads module's symbols and debug information now, not at its first lookup. */
void hk_symbols_warm(struct hk_symbols *s, const char *module);
/* What is known of a code address; the strings live until hk_symbols_free. */
struct hk_symbol {
    const char *function; /* from .symtab, else .dynsym, else debug info; NULL when unknown */
    const char *file;     /* its source file, from DWARF (libdw); NULL when unknown */
    int line;             /* its line in file; 0 when unknown */
    int64_t offset;       /* the address's distance from function's start; -1 when unknown */
};
/* Looks up file offset off of the executable file module into *out: 1 when
 * its function or its source line is known, else 0 (*out all NULL). */
int hk_symbols_lookup(struct hk_symbols *s, const char *module, uint64_t off, struct hk_symbol *out);
/* The function of file offset off of module, NULL when unknown. */
const char *hk_symbols_find(struct hk_symbols *s, const char *module, uint64_t off);
/* Return address ip of a stack of the table st, symbolised into *f (its module
 * from st's module map; "" and 0 for what is unknown). */
void hk_stacks_frame(const struct hakmem_seg_stacks *st, struct hk_symbols *syms, uint64_t ip,
                     struct hk_store_frame *f);

/* ---- profdata.c: a run's heap profile read back stack by stack (export, diff) */
#define HK_PROF_FRAMES HAKMEM_SEG_STACK_DEPTH
/* One frame of a stored stack (frames): strings NULL when unknown. */
struct hk_prof_frame {
    const char *function, *module, *file;
    int line;
    uint64_t ip, offset; /* offset: in the module's file */
};
/* One profile_stacks row (figures as there; live_weight: the sum of its
 * profile_live weights) and its frames innermost first, those inside
 * libhakmem at the inner end left out (the site first, as profile_sites). */
struct hk_prof_stack {
    int64_t stack_id;
    int64_t allocs, alloc_weight, bytes, live, live_weight, in_use, peak_in_use;
    int64_t temporaries, temp_weight;
    size_t nframes;
    struct hk_prof_frame frame[HK_PROF_FRAMES];
    char strings[HK_PROF_FRAMES * 384]; /* the frames' strings point in here (a copy of the
                                         * struct does not own them); one too long is NULL */
};
struct hk_prof_reader;
/* 1 when run has a heap profile (a profile_runs row), 0 when not, -1 with err. */
int hk_prof_exists(sqlite3 *db, int64_t run, char *err, size_t errlen);
/* profile_runs.rate of run into *rate (0 when none); 0 or -1 with err. */
int hk_prof_rate(sqlite3 *db, int64_t run, int64_t *rate, char *err, size_t errlen);
/* The stacks of run by stack_id; NULL with err. */
struct hk_prof_reader *hk_prof_open(sqlite3 *db, int64_t run, char *err, size_t errlen);
/* The next stack into *s: 1, 0 at the end, -1 with err. */
int hk_prof_next(struct hk_prof_reader *r, struct hk_prof_stack *s, char *err, size_t errlen);
void hk_prof_close(struct hk_prof_reader *r);
/* Calls fn for each stack of run (0, or nonzero: out of memory, which stops);
 * 0, or -1 with err. */
int hk_prof_each(sqlite3 *db, int64_t run, int (*fn)(void *ctx, const struct hk_prof_stack *s),
                 void *ctx, char *err, size_t errlen);
/* An estimated count from a weight (× 65536), rounded as the named queries round. */
int64_t hk_prof_count(int64_t weight);
/* A frame's name: its function, else module+0xOFFSET, else 0xIP. */
const char *hk_prof_frame_name(const struct hk_prof_frame *f, char *buf, size_t len);
/* What matches a stack across runs (stack ids differ): its frames' names with
 * their modules' file names, innermost first, the innermost with its source
 * file's name and line: "name file.c:12 (module);name (module);...". */
const char *hk_prof_stack_key(const struct hk_prof_stack *s, char *buf, size_t len);

/* ---- intern.c: strings numbered densely in order of first sight (pprof's
 * string table, speedscope's frames, diff's stacks) */
struct hk_intern;
struct hk_intern *hk_intern_new(void);
void hk_intern_free(struct hk_intern *in);
/* The number of s (a new one, 0, 1, ..., when unseen); -1 when out of memory. */
int64_t hk_intern(struct hk_intern *in, const char *s);
/* The number of s, -1 when unseen. */
int64_t hk_intern_find(struct hk_intern *in, const char *s);
const char *hk_intern_str(const struct hk_intern *in, int64_t id);
size_t hk_intern_count(const struct hk_intern *in);

/* ---- outfile.c: an output file written whole or not at all */
struct hk_outfile {
    FILE *f;           /* what to write to: stdout when no path */
    const char *path;  /* NULL: stdout */
    char tmp[4096];    /* the temporary beside path, renamed over it at the end; "" when
                        * path is written directly (it is no regular file: /dev/null) */
};
/* Opens path (NULL or "-": stdout); 0, or -1 with one sentence in err. */
int hk_outfile_open(struct hk_outfile *o, const char *path, char *err, size_t errlen);
/* ok: closes and puts the file in place (0, or -1 with err when it cannot be
 * written); !ok: closes and removes what was written. */
int hk_outfile_close(struct hk_outfile *o, int ok, char *err, size_t errlen);

/* ---- buildid.c */
/* The GNU build id of the ELF file at path, in hex, into buf; NULL when none. */
const char *hk_build_id(const char *path, char *buf, size_t len);

/* The value types of collapsed stacks and speedscope profiles (profdata.c). */
#define HK_PROF_VALUES(X) \
    X(ALLOC_BYTES, "alloc-bytes", "bytes", "estimated bytes allocated") \
    X(INUSE_BYTES, "inuse-bytes", "bytes", "estimated bytes in use at the run's peak") \
    X(LEAKED_BYTES, "leaked-bytes", "bytes", "estimated bytes still in use at the end") \
    X(ALLOCS, "allocs", "none", "estimated allocations") \
    X(TEMPORARY, "temporary", "none", "estimated temporary allocations")
enum hk_prof_value {
#define HK_PV_ENUM(id, name, unit, what) HK_PV_##id,
    HK_PROF_VALUES(HK_PV_ENUM)
#undef HK_PV_ENUM
    HK_PV_COUNT
};
extern const char *const hk_prof_value_names[HK_PV_COUNT];
extern const char *const hk_prof_value_units[HK_PV_COUNT];
/* The value v of stack s. */
int64_t hk_prof_value(const struct hk_prof_stack *s, enum hk_prof_value v);

/* ---- sitediff.c: diff's call-site section */
/* The call sites of run ra of file pa against those of rb of pb (both profiled),
 * by change in bytes allocated and in use at the end, top of each list. */
int hk_sitediff_print(const char *pa, int64_t ra, const char *pb, int64_t rb, size_t top, FILE *out,
                      char *err, size_t errlen);

/* ---- chrome.c, collapsed.c, speedscope.c, pprof.c: the exports (export.c) */
/* Folded stacks "root;...;leaf VALUE" of run, stacks whose value is 0 left out. */
int hk_export_collapsed(sqlite3 *db, int64_t run, enum hk_prof_value v, FILE *out, char *err,
                        size_t errlen);
/* speedscope's file format: one sampled profile per value type. */
int hk_export_speedscope(sqlite3 *db, int64_t run, const char *name, FILE *out, char *err,
                         size_t errlen);
/* Chrome trace-event JSON of the run (chrome.c), with its heap profile's when it has one. */
int hk_export_chrome(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen);
/* pprof's profile.proto, gzip-compressed. */
int hk_export_pprof(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen);

/* ---- session.c: recording live processes, image after image (record, attach) */
struct hk_session {
    sqlite3 *db;               /* the main connection, lent to one drain at a time (the
                                * other images are drained through their own) */
    int lent;                  /* a drain has db */
    const char *dbpath, *source, *options;
    const char *verb;          /* "recorded", "drained": for the summary line */
    struct hk_follow follow;
    pid_t root;                /* the process whose exit status finished() gives */
    int unlink;                /* remove each segment once drained (record) */
    int all_blocks;            /* record --all-blocks: profile_blocks rows */
    /* 1 once the root process is gone, 2 once it is and no process of its tree
     * is left either; then exit_status holds its status (-1: unknown) */
    int (*finished)(struct hk_session *s);
    void *ctx;
    int exit_status;
    int runs;
    uint64_t events;
    int64_t last_run;          /* the run of the root's last image, 0: none */
    uint64_t last_start;
    struct hk_symbols *syms;   /* shared by its images' drains (each module read once) */
    struct hk_warm *warm;      /* warming syms with the first image's modules */
};
/* Handles SIGINT/SIGTERM/SIGHUP: the first is passed on to target (when > 0
 * and sent by a process), the second (or the first without a target) stops. */
void hk_session_signals(pid_t target);
/* The last signal received (0: none); how many in *count. */
int hk_session_signal(int *count);
/* 1 for the HAKMEM_TRACE_MODE, _EVENTS, _STACKS, HAKMEM_PROFILE and _RATE
 * entries of an environment: runs.options takes those from the segment (what
 * the image ran with). */
int hk_trace_setting(const char *var);
/* Drains every image s->follow finds into runs of s->dbpath, several at once,
 * until the root is gone and no segment is left (or a stop); 0, or -1 with err. */
int hk_session_run(struct hk_session *s, char *err, size_t errlen);

/* ---- format.c: result rows as table, csv or json */
enum hk_format { HK_FMT_TABLE, HK_FMT_CSV, HK_FMT_JSON };
int hk_format_parse(const char *name, enum hk_format *out);
/* Steps stmt to the end, printing its rows to out; 0 or -1 with err. */
int hk_format_rows(sqlite3_stmt *stmt, enum hk_format fmt, FILE *out, char *err, size_t errlen);
/* Writes s as a JSON string (quoted, escaped). */
void hk_json_string(FILE *out, const char *s);
/* Writes s as one CSV field. */
void hk_csv_field(FILE *out, const char *s);

/* ---- named.c: the named queries of schema/queries.sql */
struct hk_named {
    char name[64];
    char description[256];
    const char *sql; /* points into the source text */
    size_t sql_len;
};
/* Finds query `name` in text (queries.sql syntax); 0, or -1 when absent. */
int hk_named_find(const char *text, const char *name, struct hk_named *out);
/* Calls fn for each named query in text, in order; returns how many. */
int hk_named_each(const char *text, void (*fn)(const struct hk_named *q, void *ctx), void *ctx);
/* Prepares the compiled-in query `name` (its first statement) with :run bound,
 * and :top when top > 0 (unbound: no limit); NULL with err. */
sqlite3_stmt *hk_named_prepare(sqlite3 *db, const char *name, int64_t run, int64_t top,
                               char *err, size_t errlen);

/* ---- report.c: the numbers of a report, from the database */
#define HK_STAGES HAKMEM_STAGES
struct hk_class_report {
    int64_t block_size, blocks_per_slab;
    int64_t empty, released;
    int64_t hit[HK_STAGES], miss[HK_STAGES];
    int64_t lru_hit, lru_miss;       /* stage-3 LRU pops for this class */
    int64_t slabs, never_empty, live_at_end;
    int64_t occ_used, occ_capacity;  /* the never-EMPTY ones in the end snapshot; -1 when none */
    int64_t pinned;                  /* of them, pinned at the end (struct hk_report) */
    int64_t kept;                    /* slabs its thread kept at the end: hot slot or spare */
};
#define HK_PIN_SITES 3 /* pinned-by: at most this many sites pin most never-EMPTY slabs */
struct hk_report {
    int64_t run_id, pid, events, dropped, lost, exit_status;
    int64_t duration_ns;
    int ended;                       /* 0: the recording never finished (duration so far) */
    int64_t end_ns;                  /* the end snapshot, ns since the start; -1: none */
    int end_final;                   /* 1: written by the process as it exited (exact) */
    int counters;                    /* 1: the totals are the process's own counters */
    int counters_differ;             /* and they differ from what the stored events count */
    char exe[256], argv[512], options[512], mode[16];
    int64_t ss_maps, ss_map_bytes, ss_trims, ss_unmaps, ss_unmap_bytes;
    int64_t large_maps, large_map_bytes, large_unmaps, large_unmap_bytes;
    int64_t lru_push, lru_pop_hit, lru_pop_miss, lru_evict, evict_reason[4];
    int64_t empty, released;
    int64_t hit[HK_STAGES], miss[HK_STAGES];
    int64_t maps_after_empty;        /* ss_map events after the first EMPTY transition */
    int64_t slabs, never_empty, live_at_end;
    /* Slabs pinned at the end: never EMPTY, not kept on purpose (a hot slot or a
     * spare), under HK_PINNED_PCT % of their blocks in use in the exact end snapshot. */
    int64_t pinned, pinned_used, pinned_capacity;
    /* What lay unused at SuperSlab maps (run_evidence; have_evidence 0 when unknown) */
    int have_evidence;
    int64_t maps_while_idle, idle_unused_kib, idle_superslabs, idle_holding;
    int64_t threads;
    int64_t heap_errors;
    char heap_detail[256];           /* "2 double free, 1 invalid free" */
    int nclasses;                    /* classes[0..nclasses) are valid */
    struct hk_class_report cls[HK_MAX_CLASSES];
    /* The heap profile's pins (record --profile; @pinned-by): the top call sites
     * by never-EMPTY slabs holding their sampled live blocks; together: the slabs
     * sites 1..k of them pin between them. */
    int have_profile;
    int npin_sites;                  /* pin_site[0..npin_sites) are valid */
    int64_t pin_kept;                /* slabs with pins: never EMPTY, or pinned at a map (site tags) */
    struct {
        int64_t stack_id, slabs, together;
        int64_t callers;             /* distinct callers of its frame in the sampled stacks */
        char site[256];
        char top_caller[256];        /* the one of them with the most sampled bytes */
    } pin_site[HK_PIN_SITES];
};
/* Fills *rep for run (> 0) from db. */
int hk_report_load(sqlite3 *db, int64_t run, struct hk_report *rep, char *err, size_t errlen);
/* The stage's printed name: "0", "0.5", "1", "2", "3". */
const char *hk_stage_label(int stage);
/* Prints the report as text. */
void hk_report_print(const struct hk_report *rep, FILE *out);

/* ---- verdict.c: the known pathologies, in plain words */
#define HK_PINNED_PCT 25 /* a slab under this occupancy at the end is pinned by a few blocks */
#define HK_VERDICT_MAX 10
struct hk_verdict {
    const char *rule;   /* short id, e.g. "lru-never-populated" */
    int bad;            /* 1: a pathology, 0: a healthy sign */
    char text[640];
};
/* Applies every rule to rep; returns how many verdicts (at most max). */
int hk_verdicts(const struct hk_report *rep, struct hk_verdict *out, int max);

/* ---- svg.c: the HTML report's chart primitives */
/* s as HTML text or attribute value: <, >, &, " escaped, control characters as '?'. */
void hk_html_text(FILE *out, const char *s);
/* The smallest 1, 2 or 5 × 10^k at or above v (1 for v <= 0): an axis's top. */
int64_t hk_svg_nice(int64_t v);
enum hk_svg_unit { HK_SVG_NONE, HK_SVG_COUNT, HK_SVG_BYTES, HK_SVG_PCT };
#define HK_SVG_COLOURS 8  /* series colour classes c0..c7 */
#define HK_SVG_HEAT_ROW 12 /* px per heat map row */
/* A chart on the time axis: nb buckets of bucket_ns from 0, values 0..ymax. */
struct hk_chart {
    FILE *out;
    int nb;
    int64_t bucket_ns, ymax;
    enum hk_svg_unit unit; /* of the y axis: HK_SVG_NONE draws no y labels */
    int width, height;     /* of the viewBox */
};
/* <svg class="chart" data-chart=id data-x-max data-bucket-ns data-y-max ...>, its axes. */
void hk_svg_open(const struct hk_chart *c, const char *id, const char *title);
void hk_svg_close(const struct hk_chart *c);
/* A step line of v[0..nb) (data-series=name, data-values=v). */
void hk_svg_line(const struct hk_chart *c, const char *name, int colour, const int64_t *v);
/* A stacked step area of v on base (base += v). */
void hk_svg_area(const struct hk_chart *c, const char *name, int colour, const int64_t *v,
                 int64_t *base);
/* A heat map row: a cell per bucket where capacity > 0, darker the fuller. */
void hk_svg_heat_row(const struct hk_chart *c, int row, int64_t cls, int64_t block_size,
                     const int64_t *used, const int64_t *capacity);
/* An HTML list of colour keys and names. */
void hk_svg_legend(FILE *out, const char *const *names, const int *colours, int n);

/* ---- timeline.c: a run summed into time buckets (GROUP BY bucket) for the charts */
#define HK_HTML_BUCKETS 120
#define HK_HTML_SITES 6 /* top call sites drawn apart; the rest as one */
struct hk_timeline {
    int64_t run, bucket_ns;
    /* at the end of each bucket: SuperSlabs mapped and in use, cached, unmapped so far,
     * bytes of SuperSlabs and of large mappings mapped */
    int64_t ss_in_use[HK_HTML_BUCKETS], ss_cached[HK_HTML_BUCKETS], ss_unmapped[HK_HTML_BUCKETS];
    int64_t ss_bytes[HK_HTML_BUCKETS], large_bytes[HK_HTML_BUCKETS];
    /* in each bucket: slab acquisitions by stage, LRU push/hit/miss/evict, EMPTY, releases */
    int64_t stage[HK_STAGES][HK_HTML_BUCKETS], lru[4][HK_HTML_BUCKETS];
    int64_t empty[HK_HTML_BUCKETS], released[HK_HTML_BUCKETS];
    /* the last occupancy sample of each class in each bucket (-1: none) */
    int64_t occ_used[HK_MAX_CLASSES][HK_HTML_BUCKETS], occ_capacity[HK_MAX_CLASSES][HK_HTML_BUCKETS];
    int64_t occ_samples;
    uint8_t occ_seen[HK_MAX_CLASSES];
    int have_profile, have_blocks; /* a heap profile; its profile_blocks rows */
    int nsites;                    /* the top sites; site_in_use[nsites]: the others */
    int64_t site_stack[HK_HTML_SITES];
    char site[HK_HTML_SITES][256];
    int64_t site_in_use[HK_HTML_SITES + 1][HK_HTML_BUCKETS];
    /* by SuperSlab id (below ss_ids): the type of its latest map, LRU or unmap event, 0 none */
    uint8_t *ss_last;
    size_t ss_ids;
};
#define HK_TIMELINE_SS_MAX ((int64_t)1 << 22) /* SuperSlab ids kept in ss_last (8 TiB) */
/* The run's length in ns (at least 1): to its end, or to the end snapshot. */
int hk_timeline_span(sqlite3 *db, int64_t run, int64_t *span_ns, char *err, size_t errlen);
/* The run in HK_HTML_BUCKETS buckets of bucket_ns (later events in the last); NULL with err. */
struct hk_timeline *hk_timeline_load(sqlite3 *db, int64_t run, int64_t bucket_ns, char *err,
                                     size_t errlen);
void hk_timeline_free(struct hk_timeline *t);

/* ---- flame.c: a heap profile's flame graph (bytes allocated, in use at the peak, leaked) */
#define HK_FLAME_KINDS 3
extern const char *const hk_flame_kind_names[HK_FLAME_KINDS];
/* One <div class="flame vK"> per kind, each an SVG (or why not); 0 or -1 with err. */
int hk_flame_write(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen);

/* ---- ssmap.c: the SuperSlab map at the end of a run */
#define HK_SSMAP_MAX 256 /* SuperSlabs drawn at most */
/* The SuperSlabs t's events leave mapped; with a profile, each slab's pinning site
 * (profile_pins). 0 or -1 with err. */
int hk_ssmap_write(sqlite3 *db, const struct hk_timeline *t, FILE *out, char *err, size_t errlen);

/* ---- html.c: report --html */
#define HK_HTML_RUNS 4
/* The page of runs[0..n) of db (read from dbpath) into path, whole or not at all. */
int hk_html_write(sqlite3 *db, const char *dbpath, const int64_t *runs, int n, const char *path,
                  char *err, size_t errlen);

/* ---- ls.c: the segments in /dev/shm */
/* 1 when the segment at path (header h) is an orphan: its process is dead and
 * no live reader drains it or live recorder will, and it is a recorder's or
 * its process never marked it exited. */
int hk_ls_orphan(const char *path, const struct hakmem_seg_header *h);
/* Removes the orphans of recorders from /dev/shm (record does at its start). */
void hk_ls_clean_recorders(void);

/* ---- commands (one file each) */
int hk_cmd_record(int argc, char **argv);
int hk_cmd_attach(int argc, char **argv);
int hk_cmd_ingest(int argc, char **argv);
int hk_cmd_ls(int argc, char **argv);
int hk_cmd_query(int argc, char **argv);
int hk_cmd_report(int argc, char **argv);
int hk_cmd_diff(int argc, char **argv);
int hk_cmd_export(int argc, char **argv);
int hk_cmd_profile(int argc, char **argv);

#endif
