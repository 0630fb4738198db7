/* source.c — where hakmem-top's samples come from: a live trace segment,
 * watched read-only through libhakmem-reader, or a replay (replay.c). */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "hakmem_reader.h"
#include "top.h"

#ifndef TOP_LIBDIR
#define TOP_LIBDIR "/usr/local/lib"
#endif

struct top_source {
    struct top_replay *replay;        /* non-NULL: a replay, the rest unused */
    struct hakmem_reader *r;
    const struct hakmem_seg_header *h;
    struct hakmem_seg_ss *ss;
    size_t ss_max, nss;
    int truncated;
    struct hakmem_event *ev;          /* TOP_PEEK_MAX */
    uint64_t next;                    /* the next ticket to deliver */
    enum top_state state;
    int exec_polls;                   /* polls since the image exited with its pid alive */
    char path[300];
    char exe[HAKMEM_SEG_EXE_MAX], cmdline[HAKMEM_SEG_CMDLINE_MAX];
    uint32_t class_size[TOP_CLASSES], class_capacity[TOP_CLASSES];
    struct top_stacks *stacks;        /* the heap profile's events seen; NULL: not profiled */
    struct hk_symbols *syms;
    const struct hakmem_seg_stacks *stab; /* the last copy of the stack table */
    uint32_t *slot_of;                /* stack id → its slot in stab + 1 (0: not in it) */
    size_t nslot;
};

static int by_id(const void *a, const void *b)
{
    uint32_t x = ((const struct hakmem_seg_ss *)a)->id, y = ((const struct hakmem_seg_ss *)b)->id;
    return x < y ? -1 : x > y;
}

void top_source_sort_ss(struct hakmem_seg_ss *ss, size_t n)
{
    qsort(ss, n, sizeof *ss, by_id);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "hakmem.<pid>" and "hakmem.<pid>.<n>" (an image a process exec'd while
 * its old one was kept for a reader, as under hakmem-trace record). */
static int segment_name(const char *name)
{
    if (strncmp(name, HAKMEM_SEG_PREFIX, sizeof HAKMEM_SEG_PREFIX - 1) != 0)
        return 0;
    const char *p = name + sizeof HAKMEM_SEG_PREFIX - 1;
    for (int part = 0; part < 2; part++) { /* <pid>, then maybe .<n> */
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
        if (!*p)
            return 1;
        if (*p++ != '.')
            return 0;
    }
    return 0;
}

/* The live image of pid among its names base, base.1 … base.15 (the newest
 * ready one that has not exited), into buf; 0, or -1 when there is none. */
static int live_image(int pid, const char *base, uint64_t after, char *buf, size_t len)
{
    uint64_t best = 0;
    for (int i = 0; i < 16; i++) {
        char path[320], e[512];
        if (i)
            snprintf(path, sizeof path, "%s.%d", base, i);
        else
            snprintf(path, sizeof path, "%s", base);
        struct hakmem_reader *r = hakmem_reader_open(path, 0, e, sizeof e);
        if (!r)
            continue;
        const struct hakmem_seg_header *h = hakmem_reader_header(r);
        size_t n = strlen(path);
        if (h->ready && h->pid == pid && !hakmem_reader_exited(r) && h->start_mono_ns > after &&
            h->start_mono_ns > best && n < len) {
            best = h->start_mono_ns;
            memcpy(buf, path, n + 1);
        }
        hakmem_reader_close(r);
    }
    return best ? 0 : -1;
}

int top_source_find_newest(char *buf, size_t len, char *err, size_t errlen)
{
    DIR *d = opendir(HAKMEM_SEG_DIR);
    uint64_t best = 0;
    int found = 0;
    char bad[512] = "";
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!segment_name(de->d_name))
            continue;
        char path[300], e[512];
        snprintf(path, sizeof path, HAKMEM_SEG_DIR "/%s", de->d_name);
        struct hakmem_reader *r = hakmem_reader_open(path, 0, e, sizeof e);
        if (!r) {
            snprintf(bad, sizeof bad, "%s", e);
            continue;
        }
        const struct hakmem_seg_header *h = hakmem_reader_header(r);
        if (h->ready && !hakmem_reader_exited(r) && hakmem_reader_alive(r) &&
            (!found || h->start_real_ns > best)) {
            best = h->start_real_ns;
            snprintf(buf, len, "%s", path);
            found = 1;
        }
        hakmem_reader_close(r);
    }
    if (d)
        closedir(d);
    if (found)
        return 0;
    snprintf(err, errlen,
             "no traced process is running (no live /dev/shm/hakmem.<pid> segment)%s%s.\n"
             "Start one with\n"
             "    HAKMEM_TRACE=1 LD_PRELOAD=%s/libhakmem.so PROGRAM [ARGS]\n"
             "or\n"
             "    hakmem-trace record -- PROGRAM [ARGS]\n"
             "then run hakmem-top again, or hakmem-top PID.",
             bad[0] ? "; skipped: " : "", bad, TOP_LIBDIR);
    return -1;
}

/* Copies a fixed-size header string and ends it. */
static void copy_str(char *dst, const char *src, size_t len)
{
    memcpy(dst, src, len);
    dst[len - 1] = '\0';
}

/* Index of the stack table copy: the slot of each id. 0, or -1 without a table. */
static int index_stacks(struct top_source *src)
{
    if (!(src->stab = hakmem_reader_stacks(src->r)))
        return -1;
    size_t need = (size_t)src->stab->count + 1;
    if (need > src->nslot) {
        uint32_t *p = realloc(src->slot_of, need * sizeof *p);
        if (!p)
            return -1;
        src->slot_of = p;
        src->nslot = need;
    }
    memset(src->slot_of, 0, src->nslot * sizeof *src->slot_of);
    for (uint32_t i = 0; i < src->stab->capacity; i++) {
        uint32_t id = src->stab->stack[i].id;
        if (id && id < src->nslot)
            src->slot_of[id] = i + 1;
    }
    return 0;
}

/* The Stacks panel's namer: frames of the segment's stack id, symbolised
 * (the table copied again when id is newer than the last copy). */
static long live_frames(void *ctx, uint32_t id, struct hk_store_frame *out, size_t max)
{
    struct top_source *src = ctx;
    if ((id >= src->nslot || !src->slot_of[id]) && index_stacks(src) != 0)
        return 0;
    if (id >= src->nslot || !src->slot_of[id])
        return 0;
    if (!src->syms && !(src->syms = hk_symbols_new()))
        return 0;
    const struct hakmem_seg_stack *k = &src->stab->stack[src->slot_of[id] - 1];
    size_t n = k->depth < max ? k->depth : max;
    for (size_t d = 0; d < n; d++)
        hk_stacks_frame(src->stab, src->syms, k->ip[d], &out[d]);
    return (long)n;
}

/* A new image: its heap profile starts afresh (stack ids are per image). */
static int attach_stacks(struct top_source *src)
{
    top_stacks_free(src->stacks);
    src->stacks = NULL;
    src->stab = NULL;
    src->nslot = 0;
    if (!src->h->profile_rate)
        return 0;
    src->stacks = top_stacks_new(src->h->start_mono_ns, live_frames, src);
    return src->stacks ? 0 : -1;
}

/* Makes r (a validated segment) the source's; 0, or -1 out of memory. */
static int attach(struct top_source *src, struct hakmem_reader *r)
{
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    size_t room = (h->occupancy_size - sizeof(struct hakmem_seg_occupancy)) /
                  sizeof(struct hakmem_seg_ss);
    if (!room)
        room = 1;
    if (room > src->ss_max) {
        struct hakmem_seg_ss *ss = realloc(src->ss, room * sizeof *ss);
        if (!ss)
            return -1;
        src->ss = ss;
        src->ss_max = room;
    }
    if (!src->ev && !(src->ev = calloc(TOP_PEEK_MAX, sizeof *src->ev)))
        return -1;
    if (src->r)
        hakmem_reader_close(src->r);
    src->r = r;
    src->h = h;
    src->nss = 0;
    src->state = TOP_RUNNING;
    src->exec_polls = 0;
    copy_str(src->exe, h->exe, sizeof src->exe);
    copy_str(src->cmdline, h->cmdline, sizeof src->cmdline);
    uint32_t n = h->nclasses < TOP_CLASSES ? h->nclasses : TOP_CLASSES;
    memcpy(src->class_size, h->class_size, n * sizeof *src->class_size);
    memcpy(src->class_capacity, h->class_capacity, n * sizeof *src->class_capacity);
    struct hakmem_ring_counts rc;
    hakmem_reader_counts(r, &rc);
    src->next = rc.written > TOP_PEEK_MAX ? rc.written - TOP_PEEK_MAX : 0;
    return attach_stacks(src);
}

/* The image exited but its pid lives: after an exec the new image replaces
 * the segment at the same path, or (the old one kept) takes PATH.1, PATH.2 ….
 * 1 when attached to it. */
static int follow_exec(struct top_source *src)
{
    char e[512], path[300], base[300];
    hakmem_reader_path_of(src->h->pid, base, sizeof base);
    if (strncmp(src->path, base, strlen(base)) != 0) /* a path of its own: the same path */
        snprintf(base, sizeof base, "%s", src->path);
    if (live_image(src->h->pid, base, src->h->start_mono_ns, path, sizeof path) != 0)
        return 0;
    struct hakmem_reader *r = hakmem_reader_open(path, 0, e, sizeof e);
    if (!r)
        return 0;
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    if (!h->ready || hakmem_reader_exited(r) || h->pid != src->h->pid ||
        h->start_mono_ns == src->h->start_mono_ns || attach(src, r) != 0) {
        hakmem_reader_close(r);
        return 0;
    }
    snprintf(src->path, sizeof src->path, "%s", path);
    return 1;
}

struct top_source *top_source_open_live(int pid, const char *path, char *err, size_t errlen)
{
    char p[300];
    if (path)
        snprintf(p, sizeof p, "%s", path);
    else if (pid > 0) {
        char base[300];
        hakmem_reader_path_of(pid, base, sizeof base);
        if (live_image(pid, base, 0, p, sizeof p) != 0) /* exited, or none: the base name */
            snprintf(p, sizeof p, "%s", base);
    }
    else if (top_source_find_newest(p, sizeof p, err, errlen) != 0)
        return NULL;
    struct hakmem_reader *r = hakmem_reader_open(p, 0, err, errlen);
    if (!r) {
        if (pid > 0 && strstr(err, "No such file"))
            snprintf(err, errlen,
                     "process %d has no trace segment (%s): is it running with HAKMEM_TRACE=1?",
                     pid, p);
        return NULL;
    }
    struct top_source *src = calloc(1, sizeof *src);
    if (!src || attach(src, r) != 0) {
        snprintf(err, errlen, "out of memory");
        hakmem_reader_close(r);
        top_source_close(src);
        return NULL;
    }
    snprintf(src->path, sizeof src->path, "%s", p);
    return src;
}

struct top_source *top_source_open_replay(const char *db, long run, char *err, size_t errlen)
{
    struct top_replay *rp = top_replay_open(db, run, err, errlen);
    if (!rp)
        return NULL;
    struct top_source *src = calloc(1, sizeof *src);
    if (!src) {
        top_replay_close(rp);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    src->replay = rp;
    return src;
}

int top_source_is_replay(const struct top_source *src)
{
    return src->replay != NULL;
}

/* The events after the last delivered ticket, at most TOP_PEEK_MAX. */
static size_t new_events(struct top_source *src, uint64_t head)
{
    if (head <= src->next)
        return 0;
    uint64_t want = head - src->next;
    if (want > TOP_PEEK_MAX)
        want = TOP_PEEK_MAX;
    size_t got = hakmem_reader_peek(src->r, src->ev, (size_t)want), n = 0;
    for (size_t i = 0; i < got; i++)
        if (src->ev[i].seq > src->next) /* seq = ticket + 1 */
            src->ev[n++] = src->ev[i];
    if (n)
        src->next = src->ev[n - 1].seq;
    return n;
}

int top_source_poll(struct top_source *src, uint64_t dt_ns, struct top_sample *s)
{
    if (src->replay)
        return top_replay_poll(src->replay, dt_ns, s);
    const struct hakmem_seg_header *h = src->h;
    memset(s, 0, sizeof *s);
    s->pid = h->pid;
    s->exe = src->exe;
    s->cmdline = src->cmdline;
    s->nclasses = h->nclasses < TOP_CLASSES ? h->nclasses : TOP_CLASSES;
    s->class_size = src->class_size;
    s->class_capacity = src->class_capacity;
    s->ring_capacity = h->ring_capacity;
    s->mode = h->mode;
    s->occ = TOP_OCC_SLAB;
    s->have_used = 1;
    if (src->state == TOP_RUNNING) {
        if (hakmem_reader_exited(src->r)) {
            /* an exec: the new image makes its segment within a poll or two */
            if (!hakmem_reader_alive(src->r) || (!follow_exec(src) && ++src->exec_polls > 2))
                src->state = TOP_EXITED;
            h = src->h;
        } else if (!hakmem_reader_alive(src->r))
            src->state = TOP_GONE;
    }
    s->state = src->state;
    uint64_t end = src->state == TOP_EXITED && h->exit_mono_ns ? h->exit_mono_ns : mono_ns();
    s->now_ns = end > h->start_mono_ns ? end - h->start_mono_ns : 0;
    s->start_ns = h->start_mono_ns;
    memcpy(&s->ctr, hakmem_reader_counters(src->r), sizeof s->ctr);
    struct hakmem_ring_counts rc;
    hakmem_reader_counts(src->r, &rc);
    s->head = rc.written;
    s->dropped = rc.dropped;
    uint64_t sampled = 0;
    int trunc = 0;
    long n = hakmem_reader_occupancy(src->r, src->ss, src->ss_max, &sampled, &trunc);
    if (n >= 0) { /* else the sampler kept writing: keep the previous table */
        src->nss = (size_t)n;
        src->truncated = trunc;
        top_source_sort_ss(src->ss, src->nss);
    }
    s->ss = src->ss;
    s->nss = src->nss;
    s->truncated = src->truncated;
    s->ev = src->ev;
    s->nev = new_events(src, rc.written);
    if (src->stacks) {
        top_stacks_feed(src->stacks, s->ev, s->nev);
        top_stacks_update(src->stacks, s->now_ns, s->state == TOP_EXITED);
    }
    s->stacks = src->stacks;
    s->profile_rate = h->profile_rate;
    s->stacks_from = TOP_STACKS_LIVE;
    return hakmem_reader_error(src->r) ? -1 : 0;
}

const char *top_source_error(const struct top_source *src)
{
    return src->r && !src->replay ? hakmem_reader_error(src->r) : NULL;
}

void top_source_close(struct top_source *src)
{
    if (!src)
        return;
    if (src->replay)
        top_replay_close(src->replay);
    if (src->r)
        hakmem_reader_close(src->r);
    free(src->ss);
    free(src->ev);
    top_stacks_free(src->stacks);
    hk_symbols_free(src->syms);
    free(src->slot_of);
    free(src);
}
