/* store.h — recorded runs, read back: a trace database (schema/schema.sql)
 * opened read-only with its schema version checked, its runs listed, a run's
 * metadata, events (as struct hakmem_event), occupancy samples, the
 * process's own counters (run_counters), stacks' frames and the heap
 * profile. hakmem-trace and hakmem-top --replay both read through it; no
 * other file holds the schema version. */
#ifndef HK_STORE_H
#define HK_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "hakmem_segment.h"

#define HK_SCHEMA_VERSION 4
#define HK_SCHEMA_OLDEST 1 /* the oldest version still read (and upgraded when written) */

struct sqlite3;
struct hk_store;
struct hk_store_cursor;

/* Who reads, which sets what is checked and how a refusal is worded. */
enum hk_store_mode {
    /* hakmem-trace: query_only, every table and view that of the compiled-in
     * schema (hk_db_check_schema), SQL bounded in time (hk_db_time_limit) */
    HK_STORE_QUERY,
    /* hakmem-top --replay: the runs and events tables, no time bound */
    HK_STORE_REPLAY,
};

/* The one schema-version check: 0 when a database of version (0: none set)
 * can be read, else -1 with one sentence naming name. */
int hk_store_check_version(const char *name, int64_t version, enum hk_store_mode mode, char *err,
                           size_t errlen);

/* Opens the trace database at path read-only (a regular file, never blocking
 * on a FIFO), its version checked; NULL with one sentence in err. */
struct hk_store *hk_store_open(const char *path, enum hk_store_mode mode, char *err, size_t errlen);
void hk_store_close(struct hk_store *s);
/* The connection, for SQL of hakmem-trace's own (valid until hk_store_close). */
struct sqlite3 *hk_store_db(struct hk_store *s);

/* The newest run's id into *run (0 when there is none); 0, or -1 with err. */
int hk_store_last_run(struct hk_store *s, int64_t *run, char *err, size_t errlen);
/* The ids of the first max runs, ascending, into ids: how many, -1 with err. */
long hk_store_list_runs(struct hk_store *s, int64_t *ids, size_t max, char *err, size_t errlen);

/* A run's description, from runs and classes. */
struct hk_store_run {
    int64_t run_id, pid;
    char *exe, *argv;                /* "" when NULL; freed by hk_store_run_free */
    uint32_t mode;                   /* enum hakmem_trace_mode */
    uint64_t duration_ns;            /* ended_ns - started_ns, 0 while unknown */
    uint64_t dropped, ring_capacity;
    uint32_t nclasses;               /* 1 + the highest class below HAKMEM_SEG_CLASSES */
    uint32_t class_size[HAKMEM_SEG_CLASSES], class_capacity[HAKMEM_SEG_CLASSES];
    uint64_t last_event_ns;          /* the last event's ts_ns (0: none) */
    uint64_t last_occupancy_ns;      /* the last occupancy sample's (0: none) */
    uint64_t occupancy_rows;
};
/* Fills *out for run: 1, 0 when there is no such run, -1 with err. */
int hk_store_run(struct hk_store *s, int64_t run, struct hk_store_run *out, char *err,
                 size_t errlen);
void hk_store_run_free(struct hk_store_run *r);

/* The process's own counters as stored (run_counters, written from its
 * segment at its exit): 1, 0 when the run has none (or the database
 * predates them), -1 with err. */
int hk_store_counters(struct hk_store *s, int64_t run, struct hakmem_seg_counters *c, char *err,
                      size_t errlen);

/* A run's events in seq order (NULL with err when unreadable), each read back
 * as the process wrote it: a NULL class or stage is 255, others 0. */
struct hk_store_cursor *hk_store_events(struct hk_store *s, int64_t run, char *err,
                                        size_t errlen);
/* The next event into *e: 1, or 0 at the end (or when a row cannot be read). */
int hk_store_next_event(struct hk_store_cursor *c, struct hakmem_event *e);

/* One occupancy row: a class at one sample (ts_ns since the run's start). */
struct hk_store_occ {
    int64_t ts_ns;
    unsigned cls;
    uint64_t slabs, used, capacity;
};
/* A run's occupancy rows by ts_ns, then class; NULL with err when unreadable. */
struct hk_store_cursor *hk_store_occupancy(struct hk_store *s, int64_t run, char *err,
                                           size_t errlen);
int hk_store_next_occupancy(struct hk_store_cursor *c, struct hk_store_occ *o);
void hk_store_cursor_close(struct hk_store_cursor *c);

/* One frame of a stack as the frames table holds it ("" or 0 when unknown). */
struct hk_store_frame {
    uint64_t ip;
    char function[160];
    char module[HAKMEM_SEG_PATH_MAX + 1];
    uint64_t offset;                 /* ip's file offset in module */
    char file[160];                  /* its source file, from DWARF */
    int line;
    int64_t fn_offset;               /* the return address's distance from function's start; -1 */
};
/* The frames of stack_id of run, innermost first, at most max into out: how
 * many, or -1 with err. */
long hk_store_frames(struct hk_store *s, int64_t run, uint32_t stack_id, struct hk_store_frame *out,
                     size_t max, char *err, size_t errlen);

/* A run's heap profile (schema 3: profile_runs), as recorded. */
struct hk_store_profile {
    int64_t rate;                    /* mean bytes between samples */
    uint64_t samples, frees, unmatched, lost_frees, live;
    int64_t in_use;                  /* estimated bytes in use at the end */
    uint64_t blocks;                 /* profile_blocks rows (record --all-blocks), 0 without */
};
/* Fills *out: 1, 0 when the run has no heap profile (or the file predates
 * them), -1 with err. */
int hk_store_profile(struct hk_store *s, int64_t run, struct hk_store_profile *out, char *err,
                     size_t errlen);
/* One profiled stack's end-of-run figures (profile_stacks). */
struct hk_store_pstack {
    uint32_t stack_id;
    uint64_t allocs, alloc_weight, bytes, live;
    int64_t in_use;
};
struct hk_store_cursor *hk_store_profile_stacks(struct hk_store *s, int64_t run, char *err,
                                                size_t errlen);
int hk_store_next_pstack(struct hk_store_cursor *c, struct hk_store_pstack *p);
/* With profile_blocks: every sampled block's alloc and free as the events the
 * process wrote (alloc: ss_addr, arg0 size, arg1 weight, reason block bytes,
 * stack_id; free: ss_addr), by time (ts_ns since the start; seq 0), read with
 * hk_store_next_event. */
struct hk_store_cursor *hk_store_profile_events(struct hk_store *s, int64_t run, char *err,
                                                size_t errlen);

#endif
