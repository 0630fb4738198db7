/* top.h — hakmem-top's cross-file declarations, grouped by the file that
 * defines them: source, replay, model, format, text, keys, panels, draw. */
#ifndef HAKMEM_TOP_H
#define HAKMEM_TOP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "hakmem_segment.h"
#include "store.h"

#define TOP_STAGES HAKMEM_STAGES /* 0, 0.5, 1, 2, 3 */
#define TOP_CLASSES HAKMEM_SEG_CLASSES
#define TOP_MIX 64          /* acquisitions remembered per class for the stage mix */
#define TOP_TAIL 256        /* events remembered per type for the event tail */
#define TOP_PEEK_MAX 16384  /* events copied from the ring per refresh, at most */
#define TOP_FILTER_MAX 32   /* bytes of the event filter */
#define TOP_HEADER_LINES 4  /* header lines, each at most TOP_HEADER_WIDTH wide but line 0's command */
#define TOP_HEADER_WIDTH 80

/* A sort key of a table (classes, stacks): its letter and name. */
struct top_sort_key {
    int key;                   /* the one-letter key */
    const char *name;
};

/* ---- stacks.c: the Stacks panel's figures per allocation stack, from sampled
 * alloc and free events (estimates: weight × block bytes / 65536 per sample) */

#define TOP_FRAMES 8       /* frames named per stack: the site, then its callers */
#define TOP_FRAME_LEN 112  /* bytes of a named frame */

enum top_stack_sort { TOP_SSORT_IN_USE = 0, TOP_SSORT_RATE, TOP_SSORT_LEAKED, TOP_SSORT_BYTES,
                      TOP_SSORT_ALLOCS, TOP_SSORT_COUNT };

struct top_stack_row {
    uint32_t stack_id;         /* 0: no stack */
    uint64_t allocs;           /* sampled allocations */
    uint64_t alloc_weight;     /* estimated allocations × HAKMEM_WEIGHT_ONE */
    uint64_t bytes;            /* estimated bytes allocated */
    uint64_t live;             /* sampled blocks live */
    uint64_t in_use;           /* estimated bytes in use */
    uint64_t leaked;           /* estimated bytes leaked so far (top_stacks_update) */
    double per_s;              /* estimated allocations per second */
    int expanded;              /* its callers shown */
};

/* What the figures rest on: every sampled alloc and free seen, or not. */
struct top_stacks_seen {
    uint64_t allocs, frees;
    uint64_t unmatched;        /* frees of blocks whose alloc was not seen */
    uint64_t lost_frees;       /* allocs at a live block's address: its free was not seen */
    uint64_t missed;           /* events (of any type) skipped in the sequence */
};

struct top_stack_name {
    unsigned n;                /* frames: [0] the site (innermost outside libhakmem), callers */
    char frame[TOP_FRAMES][TOP_FRAME_LEN];
};

/* Frames of stack_id, innermost first, into out (at most max): how many. */
typedef long (*top_namer_fn)(void *ctx, uint32_t stack_id, struct hk_store_frame *out, size_t max);

struct top_stacks;
/* start_ns: the events' ts_ns of the process start. NULL out of memory. */
struct top_stacks *top_stacks_new(uint64_t start_ns, top_namer_fn namer, void *ctx);
void top_stacks_free(struct top_stacks *st);
/* Feeds events in ring order: alloc and free change the figures, every
 * event's seq (when not 0) counts what was skipped. */
void top_stacks_feed(struct top_stacks *st, const struct hakmem_event *ev, size_t n);
/* Replay without blocks: the sites' figures given whole (end-of-run totals);
 * from then on the rows are those. */
void top_stacks_set_site(struct top_stacks *st, const struct top_stack_row *r);
/* Rows from the figures at now_ns (since the start): rates since the last
 * update, leaked bytes, the order. exited: what is in use is leaked. */
void top_stacks_update(struct top_stacks *st, uint64_t now_ns, int exited);
size_t top_stacks_rows(const struct top_stacks *st, const struct top_stack_row **rows);
const struct top_stacks_seen *top_stacks_seen(const struct top_stacks *st);
int top_stacks_totals_only(const struct top_stacks *st);
void top_stacks_sort(struct top_stacks *st);
/* Sort by the key of letter k: 1, or 0 when k is no sort key. */
int top_stacks_sort_by_key(struct top_stacks *st, int k);
/* Cycles the key (step 1), or turns the order round (step 0). */
void top_stacks_sort_step(struct top_stacks *st, int step);
enum top_stack_sort top_stacks_sort_key(const struct top_stacks *st, int *reverse);
extern const struct top_sort_key top_stack_sort_keys[TOP_SSORT_COUNT];
/* Expands or collapses row's callers: the new state, -1 without such a row. */
int top_stacks_toggle(struct top_stacks *st, size_t row);
/* The frames of a stack with figures, named once; NULL without. */
const struct top_stack_name *top_stacks_name(struct top_stacks *st, uint32_t stack_id);

/* ---- source.c: a live segment or a replayed database behind one interface */

enum top_state { TOP_RUNNING = 0, TOP_EXITED, TOP_GONE, TOP_REPLAY, TOP_REPLAY_END };
/* How the map knows each slab's `used`: exactly (live), from its class's
 * average (replay with occupancy samples), or not at all. */
enum top_occ_source { TOP_OCC_SLAB = 0, TOP_OCC_CLASS, TOP_OCC_NONE };

/* Where the Stacks panel's figures come from: the events seen live, a
 * recording's blocks replayed (record --all-blocks), or its end-of-run totals. */
enum top_stacks_from { TOP_STACKS_LIVE = 0, TOP_STACKS_BLOCKS, TOP_STACKS_TOTALS };

struct top_class_total {
    uint64_t slabs, used, capacity;
};

/* What a source says at one instant. Pointers stay valid until the next
 * top_source_poll() of the same source. */
struct top_sample {
    int pid;
    const char *cmdline;           /* arguments separated by spaces */
    const char *exe;
    uint64_t now_ns;               /* since the process started */
    uint64_t start_ns;             /* events' ts_ns of the process start */
    enum top_state state;
    uint32_t nclasses;
    const uint32_t *class_size, *class_capacity;
    struct hakmem_seg_counters ctr;
    uint64_t head;                 /* events written so far */
    uint64_t dropped;              /* events the producer dropped */
    uint64_t ring_capacity;
    uint32_t mode;                 /* enum hakmem_trace_mode */
    const struct hakmem_seg_ss *ss; /* SuperSlabs, by id */
    size_t nss;
    int truncated;
    enum top_occ_source occ;
    /* per-class totals given by the source (replay's occupancy samples);
     * NULL: the model sums them from ss[] */
    const struct top_class_total *totals;
    int have_used;                 /* 0: used blocks unknown (replay without samples) */
    const struct hakmem_event *ev; /* events new since the last poll, oldest first */
    size_t nev;
    uint64_t duration_ns;          /* replay: length of the run */
    /* the heap profile per stack, NULL when there is none (valid while the
     * source is open); how its figures were made */
    struct top_stacks *stacks;
    uint64_t profile_rate;         /* mean bytes between sampled allocations */
    enum top_stacks_from stacks_from;
    uint64_t profile_blocks;       /* replay: the sampled blocks recorded */
};

struct top_source;
/* Opens the segment of pid (> 0), of path (when not NULL), or the newest
 * live one; NULL with one sentence in err (several lines when none runs). */
struct top_source *top_source_open_live(int pid, const char *path, char *err, size_t errlen);
/* Opens run (0: the last) of a hakmem-trace database. */
struct top_source *top_source_open_replay(const char *db, long run, char *err, size_t errlen);
/* Takes a new sample into *s. For a replay, first advances its clock by
 * dt_ns of trace time. Returns 0, or -1 when nothing could be read. */
int top_source_poll(struct top_source *src, uint64_t dt_ns, struct top_sample *s);
int top_source_is_replay(const struct top_source *src);
/* Why a live source cannot be read any more (its segment was truncated);
 * NULL while it can. */
const char *top_source_error(const struct top_source *src);
void top_source_close(struct top_source *src);
/* Path of the newest live segment into buf, 0; -1 with err when none. */
int top_source_find_newest(char *buf, size_t len, char *err, size_t errlen);
/* Sorts SuperSlabs by id (the order of the map). */
void top_source_sort_ss(struct hakmem_seg_ss *ss, size_t n);

/* ---- replay.c: a run recorded by hakmem-trace, played back */

struct top_replay;
struct top_replay *top_replay_open(const char *db, long run, char *err, size_t errlen);
int top_replay_poll(struct top_replay *rp, uint64_t dt_ns, struct top_sample *s);
void top_replay_close(struct top_replay *rp);
/* The replay's slab map, rebuilt from events: applies one event. Exposed
 * for the unit tests. */
struct top_slabmap;
struct top_slabmap *top_slabmap_new(void);
void top_slabmap_free(struct top_slabmap *m);
void top_slabmap_apply(struct top_slabmap *m, const struct hakmem_event *ev,
                       const uint32_t *class_capacity, uint32_t nclasses);
/* The SuperSlabs now, by id; valid until the next apply. */
const struct hakmem_seg_ss *top_slabmap_ss(struct top_slabmap *m, size_t *n);

/* ---- model.c: the numbers of a frame, computed from samples */

enum top_sort { TOP_SORT_CLASS = 0, TOP_SORT_SLABS, TOP_SORT_USED, TOP_SORT_OCC, TOP_SORT_EMPTY,
                TOP_SORT_COUNT };

struct top_row {
    unsigned cls;
    uint32_t size;             /* block size */
    uint64_t slabs, used, capacity;
    uint64_t empty_slabs;      /* slabs in the EMPTY state now */
    uint64_t empties;          /* EMPTY transitions so far */
    unsigned occ_pm;           /* used / capacity, per mille */
    unsigned mix_n;            /* recent acquisitions counted in mix[] */
    unsigned mix[TOP_STAGES];  /* of those, served by each stage */
};

struct top_mix_ring {
    uint8_t stage[TOP_MIX];
    uint64_t n;                /* acquisitions seen */
};
struct top_tail_ring {
    struct hakmem_event ev[TOP_TAIL];
    uint64_t n;
};

struct top_model {
    struct top_sample s;       /* the latest sample */
    int have_sample;
    /* fed from events, across samples */
    struct top_mix_ring mix[TOP_CLASSES];
    struct top_tail_ring tail[HAKMEM_EV_COUNT];
    uint64_t prev_head, prev_dropped, prev_now_ns;
    int have_prev;
    struct hakmem_seg_counters prev_ctr; /* counters of the previous sample */
    /* header */
    uint64_t ss_active, ss_cached, bytes_mapped;
    unsigned lru_hit_pm;       /* per mille, or UINT32_MAX when no pop yet */
    double ev_per_s, drop_per_s;
    int ring_stalled;          /* lossless ring full: events dropped, none written */
    uint64_t slabs, used, capacity; /* over all classes */
    uint64_t sparse_slabs;     /* owned slabs under 25 % */
    uint64_t empty_slabs, owned_slabs, free_slabs;
    /* class table */
    struct top_row rows[TOP_CLASSES];
    unsigned nrows;
    enum top_sort sort;
    int reverse;
};

extern const struct top_sort_key top_sort_keys[TOP_SORT_COUNT];

void top_model_init(struct top_model *m);
/* Takes sample s (copied; its pointers must stay valid while m shows it). */
void top_model_update(struct top_model *m, const struct top_sample *s);
/* Feeds events (oldest first) into the stage mix and the event tail. */
void top_model_feed(struct top_model *m, const struct hakmem_event *ev, size_t n);
void top_model_sort(struct top_model *m);
/* Sort by the key of letter k: 1, or 0 when k is no sort key. */
int top_model_sort_by_key(struct top_model *m, int k);
/* The index of letter k among n keys, -1 when it is none of them. */
int top_sort_find(const struct top_sort_key *keys, int n, int k);
/* Up to max newest events whose type name contains filter ("" : all),
 * oldest first into out; returns how many. */
size_t top_model_tail(const struct top_model *m, const char *filter, struct hakmem_event *out,
                      size_t max);
/* 0 EMPTY, 1 under 25 %, 2 under 75 %, 3 from 75 % (occupancy colours). */
int top_occ_level(uint64_t used, uint64_t capacity);

/* ---- format.c: numbers, sizes, times, bars and events as text */

char *top_fmt_count(char *buf, size_t len, uint64_t v, unsigned width);
char *top_fmt_bytes(char *buf, size_t len, uint64_t v);
char *top_fmt_duration(char *buf, size_t len, uint64_t ns);
char *top_fmt_seconds(char *buf, size_t len, uint64_t ns);
char *top_fmt_rate(char *buf, size_t len, double v);
char *top_fmt_pm(char *buf, size_t len, unsigned pm); /* per mille as "45.8" */
char *top_fmt_bar(char *buf, size_t len, unsigned pm, unsigned width);
char *top_fmt_speed(char *buf, size_t len, int log2);
char top_class_char(unsigned cls);
const char *top_stage_name(unsigned stage);
/* One event line (time relative to the process start). */
char *top_fmt_event(char *buf, size_t len, const struct hakmem_event *ev, uint64_t start_ns);
extern const char top_event_heading[];
/* The class table: heading and one row, with a bar of bar_width cells. */
#define TOP_ROW_BAR_COL 41  /* column of the bar's first cell ('[' is one before) */
#define TOP_ROW_OCC_COL 33  /* column of the occupancy % (5 wide) */
#define TOP_ROW_WIDTH(bar) (69 + (bar)) /* characters of a row */
char *top_fmt_row_heading(char *buf, size_t len, unsigned bar_width);
char *top_fmt_row(char *buf, size_t len, const struct top_row *r, unsigned bar_width, int have_used);
/* A stack's frame as text (top_stacks_name). */
char *top_fmt_frame(char *buf, size_t len, const struct hk_store_frame *f);
/* The Stacks table: heading, a row (the site's text given; '>' marks the
 * selected row, '+' / '-' one whose callers can be shown / are), a caller. */
#define TOP_STACK_SITE_COL 50
extern const char top_stack_heading[];
char *top_fmt_stack_row(char *buf, size_t len, const struct top_stack_row *r, const char *site,
                        int selected, int has_callers);
char *top_fmt_caller(char *buf, size_t len, const char *frame);
/* One SuperSlab of the map: id, '*' when cached, '|' (slab 0, the header),
 * then a cell per slab; TOP_MAP_CELL_COL is the column of slab 1. */
#define TOP_MAP_CELL_COL 7
#define TOP_MAP_WIDTH (TOP_MAP_CELL_COL + HAKMEM_SEG_SLABS - 1)
char *top_fmt_map_ss(char *buf, size_t len, const struct hakmem_seg_ss *ss);
char top_map_cell(const struct hakmem_seg_slab *s);
/* SuperSlabs per map line for a width (two columns apart). */
unsigned top_map_per_line(unsigned width);

/* ---- text.c: a frame as plain text (-o, and the unit tests) */

struct top_view;
void top_text_header(FILE *out, const struct top_view *v);
void top_text_classes(FILE *out, const struct top_view *v);
void top_text_map(FILE *out, const struct top_view *v);
void top_text_events(FILE *out, const struct top_view *v);
void top_text_counters(FILE *out, const struct top_view *v);
/* Header line 0..TOP_HEADER_LINES-1 (no trailing newline) into buf. Lines 1 to 3
 * are at most TOP_HEADER_WIDTH characters whatever the numbers (counts scaled
 * to k, M, ...); line 0 ends with the command line, cut at len - 1. */
char *top_header_line(char *buf, size_t len, const struct top_view *v, int line);
/* Counters panel lines; returns NULL past the last one. */
const char *top_counters_line(char *buf, size_t len, const struct top_view *v, int line);
void top_text_stacks(FILE *out, const struct top_view *v);
/* The Stacks panel's notes (what its figures rest on); NULL past the last. */
const char *top_stacks_note(char *buf, size_t len, const struct top_view *v, int line);
/* Line k of the Stacks table: a row, or one of its callers when it is
 * expanded (all: every row is, none is marked selected); *row its index. */
const char *top_stacks_line(char *buf, size_t len, const struct top_view *v, unsigned k, int all,
                            size_t *row);

/* ---- keys.c: key handling; handlers return flags, one loop redraws */

enum top_flag {
    TOP_F_REDRAW = 1u << 0,  /* something on screen changed */
    TOP_F_QUIT = 1u << 1,
    TOP_F_LAYOUT = 1u << 2,  /* the terminal was resized */
    TOP_F_SAMPLE = 1u << 3,  /* take a sample now (step, unpause) */
    TOP_F_STEP = 1u << 4,    /* replay: advance one frame */
};

enum top_panel_id { TOP_PANEL_CLASSES = 0, TOP_PANEL_MAP, TOP_PANEL_EVENTS, TOP_PANEL_COUNTERS,
                    TOP_PANEL_STACKS, TOP_PANELS };

/* What the screen shows and the state of the keys. */
struct top_view {
    struct top_model *model;
    enum top_panel_id panel;
    int paused, help, replay, colour;
    unsigned scroll[TOP_PANELS];       /* first content row shown; UINT_MAX: the end */
    unsigned max_scroll[TOP_PANELS];   /* the largest useful scroll, as last drawn */
    int prompt;                        /* 1 while the filter is being typed */
    char filter[TOP_FILTER_MAX];
    char edit[TOP_FILTER_MAX];
    int speed_log2;                    /* replay speed */
    unsigned body_rows, body_cols;     /* size of the panel's window */
    char message[160];                 /* shown in the status line */
    size_t stack_sel;                  /* the selected row of the Stacks panel */
};

void top_view_init(struct top_view *v, struct top_model *m);
unsigned top_keys_handle(struct top_view *v, int key);

/* ---- panels.c: the panels, a const table */

struct top_panel {
    const char *name;
    int key;                                   /* '1'..'5' */
    void (*text)(FILE *, const struct top_view *);
    /* draws into the body window (a WINDOW *, kept opaque here) */
    void (*draw)(void *win, struct top_view *v);
    /* rows of content, for scrolling */
    unsigned (*rows)(const struct top_view *v);
    /* panel-specific keys: flags, or 0 when the key is not the panel's */
    unsigned (*handle)(struct top_view *v, int key);
};
extern const struct top_panel top_panels[TOP_PANELS];
extern const char *const top_help_lines[];

/* ---- draw.c: the ncurses screen */

struct top_screen;
struct top_screen *top_draw_open(int colour, char *err, size_t errlen);
void top_draw_layout(struct top_screen *sc);
void top_draw_frame(struct top_screen *sc, struct top_view *v);
void top_draw_close(struct top_screen *sc);
void top_draw_classes(void *win, struct top_view *v);
void top_draw_map(void *win, struct top_view *v);
void top_draw_events(void *win, struct top_view *v);
void top_draw_counters(void *win, struct top_view *v);
void top_draw_stacks(void *win, struct top_view *v);

#endif
