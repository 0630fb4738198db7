/* mkseg.c — test tool: writes a kept trace segment of N synthetic events (a
 * deterministic allocator-like stream) and prints how many of each type;
 * flips random bits of a file (--flip); plays a hostile live segment that
 * it rewrites and truncates while readers watch (--live). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
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

/* Writes the segment of g (g->max events, g->cap slots) at path and
 * returns its mapping (size bytes, fd open in *fdp), or NULL. */
static char *make_segment(const char *path, struct gen *g, size_t *sizep, int *fdp)
{
    int mode = g->cap < g->max ? HAKMEM_TRACE_OVERWRITE : HAKMEM_TRACE_LOSSLESS;
    struct hakmem_seg_header lay = { 0 };
    uint32_t occ_max = 4096;
    size_t size = layout(&lay, g->cap, occ_max), off = lay.ring_offset;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        perror(path);
        return NULL;
    }
    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return NULL;
    }
    g->ring = (struct hakmem_event *)(p + off);
    g->rng = 42;
    generate(g);
    struct hakmem_seg_header *h = (struct hakmem_seg_header *)p;
    layout(h, g->cap, occ_max);
    fill_occupancy(g, (struct hakmem_seg_occupancy *)(p + h->occupancy_offset), occ_max);
    fill_header(h, g->cap, g->n, size, mode);
    *sizep = size;
    *fdp = fd;
    return p;
}

/* --flip FILE COUNT LIMIT SEED: flips one random bit in each of COUNT random
 * bytes below LIMIT (0: the whole file). */
static int flip(const char *path, unsigned long count, uint64_t limit, uint64_t seed)
{
    int fd = open(path, O_RDWR);
    off_t size = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (size < 0) {
        perror(path);
        return 1;
    }
    if (!limit || limit > (uint64_t)size)
        limit = (uint64_t)size;
    struct gen g = { .rng = seed };
    for (unsigned long k = 0; k < count && limit; k++) {
        uint64_t off = ((uint64_t)rnd(&g, 1u << 31) << 31 | rnd(&g, 1u << 31)) % limit;
        unsigned char b;
        if (pread(fd, &b, 1, (off_t)off) != 1)
            break;
        b ^= (unsigned char)(1u << rnd(&g, 8));
        if (pwrite(fd, &b, 1, (off_t)off) != 1)
            break;
    }
    close(fd);
    return 0;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One hostile write into the live segment at p (see live()). */
static void mutate(struct gen *g, char *p, size_t size, const char *pristine)
{
    struct hakmem_seg_header *h = (struct hakmem_seg_header *)p;
    struct hakmem_seg_header *orig = (struct hakmem_seg_header *)pristine;
    struct hakmem_seg_occupancy *occ = (void *)(p + orig->occupancy_offset);
    struct hakmem_event *ring = (void *)(p + orig->ring_offset);
    uint64_t r64 = (uint64_t)rnd(g, 1u << 31) << 33 ^ (uint64_t)rnd(g, 1u << 31) << 2 ^ rnd(g, 4);
    switch (rnd(g, 38)) { /* half the time: back to sense */
    case 0: h->occupancy_offset = 1ull << 40; break;
    case 1: h->counters_offset = 1ull << 40; break;
    case 2: h->ring_offset = orig->ring_offset + 4; break;
    case 3: h->ring_capacity = 1ull << 62; break;
    case 4: occ->count = 0xffffffffu; break;
    case 5: occ->seq |= 1; break; /* a sampler that never finishes */
    case 6: h->head = r64; break;
    case 7: h->tail = r64; break;
    case 8: ring[rnd(g, (uint32_t)orig->ring_capacity)].seq = r64; break;
    case 9: h->stacks_offset = r64; h->stacks_size = r64 >> 3; break;
    case 10: /* control characters and no NUL, for whoever prints them */
        for (size_t i = 0; i < sizeof h->exe; i++)
            h->exe[i] = "\x1b[2J\a\r\n\x7f\x9b"[i % 10];
        memset(h->cmdline, '\x1b', sizeof h->cmdline);
        break;
    case 11: h->seg_size = r64; break;
    case 12:
        for (int i = 0; i < 8; i++)
            p[rnd(g, sizeof *h)] ^= (char)(1u << rnd(g, 8));
        break;
    case 13: {
        char *ss = (char *)occ->ss + rnd(g, 64) * sizeof occ->ss[0];
        for (int i = 0; i < 16; i++)
            ss[rnd(g, sizeof occ->ss[0])] = (char)rnd(g, 256);
        break;
    }
    case 14: h->occupancy_size = 1ull << 40; break;
    case 15: h->start_mono_ns = r64; occ->sampled_ns = r64 ^ (1ull << 63); break;
    case 16: h->reader_pid = (int32_t)rnd(g, 4); break;
    case 17: h->ready = rnd(g, 3); break;
    case 18: { /* a valid event: something to drain */
        uint64_t t = orig->head++;
        struct hakmem_event *e = &ring[t & (orig->ring_capacity - 1)];
        e->seq = 0;
        e->ts_ns = mono_ns();
        e->type = HAKMEM_EV_THREAD_START;
        e->seq = t + 1;
        h->head = orig->head;
        break;
    }
    default: /* back to sense, so readers get somewhere */
        memcpy(p, pristine, sizeof *h);
        occ->seq &= ~1ull;
        occ->count %= 64;
        break;
    }
    (void)size;
}

/* --live PATH SECONDS SEED END: a segment of a running process (pid: ours;
 * PATH "shm": /dev/shm/hakmem.<pid>), left alone for 300 ms, then rewritten
 * at random every 500 us until SECONDS have passed while readers watch;
 * then (END "truncate") truncated under them and left for half a second, or
 * (END "exit") marked exited. Removed at the end. */
static int live(const char *where, double seconds, uint64_t seed, int truncate_end)
{
    char path[256], tmp[300];
    if (strcmp(where, "shm") == 0)
        hakmem_reader_path_of(getpid(), path, sizeof path);
    else
        snprintf(path, sizeof path, "%s", where);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct gen *g = calloc(1, sizeof *g);
    g->max = 2000;
    g->cap = 4096;
    size_t size;
    int fd;
    char *p = make_segment(tmp, g, &size, &fd);
    if (!p)
        return 1;
    struct hakmem_seg_header *h = (struct hakmem_seg_header *)p;
    h->pid = getpid();
    h->exited = 0;
    h->start_mono_ns = mono_ns() - 1000000;
    ((struct hakmem_seg_occupancy *)(p + h->occupancy_offset))->sampled_ns = mono_ns();
    static char pristine[sizeof *h];
    memcpy(pristine, h, sizeof *h);
    if (rename(tmp, path) != 0) {
        perror(path);
        return 1;
    }
    g->rng = seed * 2654435761u + 1;
    uint64_t end = mono_ns() + (uint64_t)(seconds * 1e9);
    usleep(300000); /* sane at first: readers attach, then the owner turns on them */
    while (mono_ns() < end) {
        mutate(g, p, size, pristine);
        usleep(500);
    }
    if (truncate_end) {
        static const off_t to[] = { 0, PAGE, 3 * PAGE };
        if (ftruncate(fd, to[rnd(g, 3)]) != 0)
            perror(path);
        usleep(500000);
    } else {
        memcpy(p, pristine, sizeof *h);
        h->exit_mono_ns = mono_ns();
        h->exited = 1;
        usleep(200000);
    }
    unlink(path);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--flip") == 0)
        return flip(argv[2], strtoul(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
                    strtoull(argv[5], NULL, 10));
    if (argc == 6 && strcmp(argv[1], "--live") == 0)
        return live(argv[2], strtod(argv[3], NULL), strtoull(argv[4], NULL, 10),
                    strcmp(argv[5], "truncate") == 0);
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: mkseg PATH NEVENTS [CAPACITY]\n"
                        "       mkseg --flip FILE COUNT LIMIT SEED\n"
                        "       mkseg --live PATH|shm SECONDS SEED truncate|exit\n");
        return 2;
    }
    struct gen *g = calloc(1, sizeof *g);
    g->max = strtoull(argv[2], NULL, 10);
    uint64_t want = argc == 4 ? strtoull(argv[3], NULL, 10) : g->max;
    for (g->cap = 1024; g->cap < want; g->cap <<= 1) {
    }
    size_t size;
    int fd;
    char *p = make_segment(argv[1], g, &size, &fd);
    if (!p)
        return 1;
    munmap(p, size);
    close(fd);
    printf("events %llu\n", (unsigned long long)g->n);
    for (unsigned t = 1; t < HAKMEM_EV_COUNT; t++)
        printf("%s %llu\n", hakmem_event_type_name(t), (unsigned long long)g->count[t]);
    return 0;
}
