/* trace_count.c — test tool: drains a trace segment and prints the ring
 * counts, events per type and the heap profiler's blocks matched by address;
 * with --occupancy prints per-class occupancy. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hakmem_reader.h"

/* Stack table: how many stacks, and how many of their frames fall inside a
 * module of the module map (they can be symbolised). */
static void print_stacks(const struct hakmem_seg_stacks *st)
{
    if (!st)
        return;
    unsigned long long frames = 0, inside = 0, stacks = 0;
    for (uint32_t i = 0; i < st->capacity; i++) {
        const struct hakmem_seg_stack *s = &st->stack[i];
        if (!s->id)
            continue;
        stacks++;
        for (uint32_t k = 0; k < s->depth && k < HAKMEM_SEG_STACK_DEPTH; k++, frames++)
            for (uint32_t m = 0; m < st->nmodules && m < HAKMEM_SEG_MODULES; m++)
                if (s->ip[k] >= st->module[m].start && s->ip[k] < st->module[m].end) {
                    inside++;
                    break;
                }
    }
    printf("stacks %llu\nmodules %u\nframes %llu\nframes_in_modules %llu\n", stacks, st->nmodules,
           frames, inside);
}

/* The heap profiler's events matched by block address: a set of the sampled
 * blocks alive (open addressing, linear probing, deleted slots as 1). */
#define LIVE_SLOTS (1u << 22)
static uint64_t live[LIVE_SLOTS];
static unsigned long long nlive, unmatched_frees, realloc_frees, realive;

static uint64_t *live_slot(uint64_t a, bool insert)
{
    uint64_t *tomb = NULL;
    for (uint64_t i = (a * 0x9e3779b97f4a7c15ull) >> 42;; i = (i + 1) & (LIVE_SLOTS - 1)) {
        if (live[i] == a)
            return &live[i];
        if (live[i] == 1 && !tomb)
            tomb = &live[i];
        if (live[i] == 0)
            return insert ? (tomb ? tomb : &live[i]) : NULL;
    }
}

/* slab_pin events at maps: slabs pinned per site (stack id, small ids only). */
#define PIN_STACKS 4096
static unsigned long long pin_slabs[PIN_STACKS], pin_total;

/* An alloc of a block still alive means its free event was lost. */
static void profile_event(const struct hakmem_event *e)
{
    uint64_t a = e->ss_addr | 2; /* blocks are 16-aligned: never 0 or 1 */
    if (e->type == HAKMEM_EV_ALLOC) {
        uint64_t *s = live_slot(a, true);
        if (*s == a)
            realive++;
        else if (nlive + 1 < LIVE_SLOTS / 2)
            *s = a, nlive++;
    } else if (e->type == HAKMEM_EV_SLAB_PIN && e->reason == HAKMEM_PIN_AT_MAP) {
        pin_total++;
        pin_slabs[e->stack_id < PIN_STACKS ? e->stack_id : 0]++;
    } else if (e->type == HAKMEM_EV_FREE) {
        uint64_t *s = live_slot(a, false);
        realloc_frees += e->reason == HAKMEM_FREE_REALLOC;
        if (!s)
            unmatched_frees++;
        else
            *s = 1, nlive--;
    }
}

/* Sums the occupancy table per class: "class C slabs S used U capacity K". */
static int occupancy(const char *path)
{
    char err[512];
    struct hakmem_reader *r = hakmem_reader_open(path, 0, err, sizeof err);
    if (!r) {
        fprintf(stderr, "trace_count: %s\n", err);
        return 1;
    }
    static struct hakmem_seg_ss ss[4096];
    uint64_t when = 0;
    int trunc = 0;
    long n = hakmem_reader_occupancy(r, ss, 4096, &when, &trunc);
    if (n < 0) {
        fprintf(stderr, "trace_count: no consistent occupancy snapshot\n");
        return 1;
    }
    unsigned long long slabs[HAKMEM_SEG_CLASSES] = { 0 }, used[HAKMEM_SEG_CLASSES] = { 0 },
                       cap[HAKMEM_SEG_CLASSES] = { 0 }, active = 0, cached = 0;
    for (long i = 0; i < n; i++) {
        ss[i].state == HAKMEM_SS_CACHED ? cached++ : active++;
        for (int k = 0; k < HAKMEM_SEG_SLABS; k++) {
            const struct hakmem_seg_slab *s = &ss[i].slab[k];
            if (s->state == HAKMEM_SLAB_FREE || s->cls >= HAKMEM_SEG_CLASSES)
                continue;
            slabs[s->cls]++;
            used[s->cls] += s->used;
            cap[s->cls] += s->capacity;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    printf("superslabs active %llu cached %llu truncated %d age_ms %llu\n", active, cached, trunc,
           (unsigned long long)((now - when) / 1000000));
    for (int c = 0; c < HAKMEM_SEG_CLASSES; c++)
        if (slabs[c])
            printf("class %d slabs %llu used %llu capacity %llu\n", c, slabs[c], used[c], cap[c]);
    hakmem_reader_close(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--occupancy") == 0)
        return occupancy(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: trace_count [--occupancy] SEGMENT\n");
        return 2;
    }
    char err[512];
    struct hakmem_reader *r = hakmem_reader_open(argv[1], 1, err, sizeof err);
    if (!r) {
        fprintf(stderr, "trace_count: %s\n", err);
        return 1;
    }
    static struct hakmem_event ev[4096];
    unsigned long long count[HAKMEM_EV_COUNT] = { 0 }, with_stack[HAKMEM_EV_COUNT] = { 0 };
    unsigned long long total = 0, lost = 0;
    size_t n;
    while ((n = hakmem_reader_drain(r, ev, 4096, (uint64_t *)&lost)) > 0)
        for (size_t i = 0; i < n; i++, total++)
            if (ev[i].type < HAKMEM_EV_COUNT) {
                profile_event(&ev[i]);
                count[ev[i].type]++;
                with_stack[ev[i].type] += ev[i].stack_id != 0;
            }
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    printf("written %llu\ndropped %llu\ndelivered %llu\n", (unsigned long long)c.written,
           (unsigned long long)c.dropped, total);
    for (unsigned t = 1; t < HAKMEM_EV_COUNT; t++)
        printf("%s %llu\n", hakmem_event_type_name(t), count[t]);
    for (unsigned t = 1; t < HAKMEM_EV_COUNT; t++)
        if (with_stack[t])
            printf("%s_with_stack %llu\n", hakmem_event_type_name(t), with_stack[t]);
    printf("profile_rate %llu\nprofile_live %llu\nprofile_unmatched_frees %llu\n"
           "profile_realloc_frees %llu\nprofile_lost_frees %llu\n",
           (unsigned long long)hakmem_reader_header(r)->profile_rate, nlive, unmatched_frees,
           realloc_frees, realive);
    unsigned top = 0;
    for (unsigned k = 1; k < PIN_STACKS; k++)
        top = pin_slabs[k] > pin_slabs[top] ? k : top;
    printf("pin_slabs_at_maps %llu\npin_top_site_slabs %llu\n", pin_total, pin_slabs[top]);
    print_stacks(hakmem_reader_stacks(r));
    hakmem_reader_close(r);
    return 0;
}
