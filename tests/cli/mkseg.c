/* mkseg.c — test tool: writes a kept trace segment of N synthetic events (a
 * deterministic allocator-like stream) and prints how many of each type. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "hakmem_reader.h"

#define NCLASSES 8
#define SS_SLABS 32
#define PAGE 4096

struct gen {
    struct hakmem_event *ring;
    uint64_t cap, n, max;
    uint64_t rng, ts;
    uint32_t next_ss, next_slab, ss_live;
    uint64_t count[HAKMEM_EV_COUNT];
    uint32_t owned[4096][2]; /* (ss, slab) of owned slabs */
    uint8_t owned_cls[4096];
    unsigned nowned;
};

static uint32_t rnd(struct gen *g, uint32_t n)
{
    g->rng = g->rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g->rng >> 33) % n;
}

static void emit(struct gen *g, uint16_t type, uint8_t cls, uint8_t stage, uint32_t ss,
                 uint32_t slab, uint64_t arg0, uint32_t reason)
{
    if (g->n >= g->max)
        return;
    struct hakmem_event *e = &g->ring[g->n & (g->cap - 1)];
    g->ts += 50 + rnd(g, 200);
    *e = (struct hakmem_event){ .seq = g->n + 1, .ts_ns = g->ts, .tid = 4242, .type = type,
                                .cls = cls, .stage = stage, .ss_id = ss, .slab = slab,
                                .ss_addr = ss ? 0x7f0000000000ull + ((uint64_t)ss << 21) : 0,
                                .arg0 = arg0, .reason = reason };
    g->n++;
    g->count[type]++;
}

/* One slab request of class c falling through the stages to stage s. */
static void acquire(struct gen *g, uint8_t c)
{
    static const uint8_t serve[20] = { 0, 0, 0, 0, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3, 2, 4, 4 };
    uint8_t s = serve[rnd(g, 20)];
    for (uint8_t k = 0; k < s; k++)
        emit(g, HAKMEM_EV_STAGE_MISS, c, k, 0, 0, 0, 0);
    uint32_t ss = g->next_ss ? g->next_ss : 1, slab = 1 + rnd(g, SS_SLABS - 1);
    if (s == 4) {
        int hit = rnd(g, 2);
        emit(g, hit ? HAKMEM_EV_LRU_POP_HIT : HAKMEM_EV_LRU_POP_MISS, c, 4, hit ? ss : 0, 0, 0, 0);
        if (!hit)
            emit(g, HAKMEM_EV_SS_MAP, 255, 255, ++g->next_ss, 0, 2u << 20, rnd(g, 4) == 0);
        ss = g->next_ss;
        slab = 1;
    }
    emit(g, HAKMEM_EV_SLAB_ACQUIRE, c, s, ss, slab, 0, 0);
    unsigned i = g->nowned < 4096 ? g->nowned++ : rnd(g, 4096);
    g->owned[i][0] = ss;
    g->owned[i][1] = slab;
    g->owned_cls[i] = c;
}

/* An owned slab goes EMPTY and back to the pool; now and then a SuperSlab
 * goes to the LRU cache or is unmapped. */
static void release(struct gen *g)
{
    if (!g->nowned)
        return;
    unsigned i = rnd(g, g->nowned);
    uint32_t ss = g->owned[i][0], slab = g->owned[i][1];
    uint8_t c = g->owned_cls[i];
    g->nowned--;
    memmove(g->owned[i], g->owned[g->nowned], sizeof g->owned[i]);
    g->owned_cls[i] = g->owned_cls[g->nowned];
    emit(g, HAKMEM_EV_SLAB_EMPTY, c, 255, ss, slab, 1024, 0);
    emit(g, HAKMEM_EV_SLAB_RELEASE, c, 255, ss, slab, 0, 0);
    if (rnd(g, 16) == 0)
        emit(g, HAKMEM_EV_LRU_PUSH, 255, 255, ss, 0, rnd(g, 256), 256);
    if (rnd(g, 64) == 0) {
        emit(g, HAKMEM_EV_LRU_EVICT, 255, 255, ss, 0, 255, 256);
        emit(g, HAKMEM_EV_SS_UNMAP, 255, 255, ss, 0, 2u << 20, 0);
    }
}

static void generate(struct gen *g)
{
    emit(g, HAKMEM_EV_THREAD_START, 255, 255, 0, 0, 4242, 0);
    while (g->n < g->max) {
        if (rnd(g, 2) == 0 || g->nowned < 8)
            acquire(g, (uint8_t)rnd(g, NCLASSES));
        else
            release(g);
    }
}

static size_t page_up(size_t n)
{
    return (n + PAGE - 1) & ~(size_t)(PAGE - 1);
}

/* The section offsets of a segment with a ring of cap events. */
static size_t layout(struct hakmem_seg_header *h, uint64_t cap, uint32_t occ_max)
{
    h->counters_offset = page_up(sizeof *h);
    h->occupancy_offset = h->counters_offset + page_up(sizeof(struct hakmem_seg_counters));
    h->occupancy_size = page_up(sizeof(struct hakmem_seg_occupancy) +
                                occ_max * sizeof(struct hakmem_seg_ss));
    h->stacks_offset = 0;
    h->stacks_size = 0;
    h->ring_offset = h->occupancy_offset + h->occupancy_size;
    return h->ring_offset + cap * sizeof(struct hakmem_event);
}

/* The last occupancy snapshot: every owned slab, used = a quarter of its capacity. */
static void fill_occupancy(struct gen *g, struct hakmem_seg_occupancy *o, uint32_t max)
{
    o->max = max;
    for (unsigned i = 0; i < g->nowned; i++) {
        uint32_t ss = g->owned[i][0], slab = g->owned[i][1];
        uint32_t k = 0;
        while (k < o->count && o->ss[k].id != ss)
            k++;
        if (k == o->count) {
            if (o->count == max)
                continue;
            o->count++;
            o->ss[k].id = ss;
            o->ss[k].addr = 0x7f0000000000ull + ((uint64_t)ss << 21);
            o->ss[k].state = HAKMEM_SS_ACTIVE;
        }
        struct hakmem_seg_slab *sl = &o->ss[k].slab[slab % HAKMEM_SEG_SLABS];
        sl->cls = g->owned_cls[i];
        sl->state = HAKMEM_SLAB_OWNED;
        sl->capacity = (uint16_t)(65536 / (8u << sl->cls));
        sl->used = sl->capacity / 4;
    }
    o->sampled_ns = g->ts;
    o->seq = 2;
}

static void fill_header(struct hakmem_seg_header *h, uint64_t cap, uint64_t n, size_t size,
                        int mode)
{
    memcpy(h->magic, HAKMEM_SEG_MAGIC, 8);
    h->version = HAKMEM_SEG_VERSION;
    h->header_size = sizeof *h;
    h->seg_size = size;
    h->pid = 4242;
    h->page_size = PAGE;
    h->start_mono_ns = 0;
    h->start_real_ns = 1700000000000000000ull;
    strcpy(h->exe, "/usr/bin/mkseg-synthetic");
    strcpy(h->cmdline, "mkseg-synthetic");
    h->nclasses = NCLASSES;
    for (unsigned c = 0; c < NCLASSES; c++) {
        h->class_size[c] = 8u << c;
        h->class_capacity[c] = 65536 / (8u << c);
    }
    h->mode = (uint32_t)mode;
    h->event_size = sizeof(struct hakmem_event);
    h->ring_capacity = cap;
    h->ready = 1;
    h->exited = 1;
    h->head = n;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: mkseg PATH NEVENTS [CAPACITY]\n");
        return 2;
    }
    struct gen *g = calloc(1, sizeof *g);
    g->max = strtoull(argv[2], NULL, 10);
    uint64_t want = argc == 4 ? strtoull(argv[3], NULL, 10) : g->max;
    for (g->cap = 1024; g->cap < want; g->cap <<= 1) {
    }
    int mode = g->cap < g->max ? HAKMEM_TRACE_OVERWRITE : HAKMEM_TRACE_LOSSLESS;
    struct hakmem_seg_header lay = { 0 };
    uint32_t occ_max = 4096;
    size_t size = layout(&lay, g->cap, occ_max), off = lay.ring_offset;
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        perror(argv[1]);
        return 1;
    }
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    g->ring = (struct hakmem_event *)(p + off);
    g->rng = 42;
    generate(g);
    struct hakmem_seg_header *h = (struct hakmem_seg_header *)p;
    layout(h, g->cap, occ_max);
    fill_occupancy(g, (struct hakmem_seg_occupancy *)(p + h->occupancy_offset), occ_max);
    fill_header(h, g->cap, g->n, size, mode);
    munmap(p, size);
    close(fd);
    printf("events %llu\n", (unsigned long long)g->n);
    for (unsigned t = 1; t < HAKMEM_EV_COUNT; t++)
        printf("%s %llu\n", hakmem_event_type_name(t), (unsigned long long)g->count[t]);
    return 0;
}
