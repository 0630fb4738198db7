/* mkseg.c — test tool: writes a kept trace segment of N synthetic events (a
 * deterministic allocator-like stream) and prints how many of each type;
 * writes a heap profile's segment from a script (--profile), also played live
 * (--profile-live); flips random bits
 * of a file (--flip); plays a hostile live segment that it rewrites and
 * truncates while readers watch (--live). */
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

/* ---- --profile PATH SCRIPT: a heap-profiled segment, event by event from a
 * script (one line each, '#' comments):
 *   rate R                      the header's profile_rate
 *   dropped N                   the stack table's dropped count
 *   stack ID FRAME...           an interned stack, innermost first; a FRAME is one
 *                               of mkseg's own functions below (named from its
 *                               symbols and DWARF) or "hakmem" (a frame in a
 *                               module /fake/libhakmem.so)
 *   alloc TID ADDR SIZE BLOCK WEIGHT STACK [CLS SS SLAB]
 *   free TID ADDR [REASON]
 *   acquire CLS SS SLAB | empty CLS SS SLAB     slab events
 *   pin CLS SS SLAB STACK BLOCKS SLAB_LIVE REASON   a slab_pin event (site tags)
 *   bulk N TID STACK SIZE       N allocations of SIZE bytes at weight 1, each freed
 *                               at once (a speed test) */

#define FAKE_LIB 0x10000ull
#define PROF_STACKS 64

/* Frames for the scripts' stacks: distinct functions of this file. */
__attribute__((noinline)) void mkseg_parse_config(void) { __asm__ volatile(""); }
__attribute__((noinline)) void mkseg_load_table(void) { __asm__ volatile(""); }
__attribute__((noinline)) void mkseg_cache_page(void) { __asm__ volatile(""); }

static const struct { const char *name; void (*fn)(void); } prof_frames[] = {
    { "mkseg_parse_config", mkseg_parse_config },
    { "mkseg_load_table", mkseg_load_table },
    { "mkseg_cache_page", mkseg_cache_page },
};

/* The executable mappings of this process, as the allocator lists them. */
static void prof_modules(struct hakmem_seg_stacks *st)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512], path[HAKMEM_SEG_PATH_MAX];
    unsigned long long a, b, off;
    char perm[8];
    st->module[0] = (struct hakmem_seg_module){ .start = FAKE_LIB, .end = FAKE_LIB + 0x10000 };
    strcpy(st->module[0].path, "/fake/libhakmem.so");
    st->nmodules = 1;
    while (f && fgets(line, sizeof line, f) && st->nmodules < HAKMEM_SEG_MODULES) {
        path[0] = '\0';
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %231s", &a, &b, perm, &off, path) < 4 ||
            perm[2] != 'x' || path[0] != '/')
            continue;
        struct hakmem_seg_module *m = &st->module[st->nmodules++];
        *m = (struct hakmem_seg_module){ .start = a, .end = b, .offset = off };
        snprintf(m->path, sizeof m->path, "%s", path);
    }
    if (f)
        fclose(f);
}

static uint64_t prof_ip(const char *name)
{
    if (strcmp(name, "hakmem") == 0)
        return FAKE_LIB + 0x40;
    for (size_t i = 0; i < sizeof prof_frames / sizeof prof_frames[0]; i++)
        if (strcmp(name, prof_frames[i].name) == 0)
            return (uint64_t)(uintptr_t)prof_frames[i].fn + 1; /* a return address inside it */
    fprintf(stderr, "mkseg: unknown frame %s\n", name);
    exit(2);
}

/* "stack ID FRAME..." into the table. */
static void prof_stack(struct hakmem_seg_stacks *st, char *args)
{
    char *tok = strtok(args, " \t\n");
    uint32_t id = tok ? (uint32_t)strtoul(tok, NULL, 0) : 0;
    if (!id || id > PROF_STACKS) {
        fprintf(stderr, "mkseg: stack ids are 1..%d\n", PROF_STACKS);
        exit(2);
    }
    struct hakmem_seg_stack *k = &st->stack[id - 1];
    while ((tok = strtok(NULL, " \t\n")) && k->depth < HAKMEM_SEG_STACK_DEPTH)
        k->ip[k->depth++] = prof_ip(tok);
    k->hash = id;
    k->id = id;
    st->count++;
}

static void prof_emit(struct gen *g, const struct hakmem_event *e)
{
    if (g->n >= g->cap) {
        fprintf(stderr, "mkseg: more than %llu events\n", (unsigned long long)g->cap);
        exit(2);
    }
    struct hakmem_event *slot = &g->ring[g->n];
    *slot = *e;
    slot->seq = g->n + 1;
    slot->ts_ns = (g->ts += 100);
    g->n++;
    g->count[e->type]++;
}

static void prof_alloc(struct gen *g, unsigned tid, unsigned long long addr, unsigned long long size,
                       unsigned block, unsigned long long weight, unsigned stack, unsigned cls,
                       unsigned ss, unsigned slab)
{
    prof_emit(g, &(struct hakmem_event){ .type = HAKMEM_EV_ALLOC, .tid = tid, .ss_addr = addr,
                                         .arg0 = size, .arg1 = weight, .reason = block,
                                         .stack_id = stack, .cls = (uint8_t)cls, .ss_id = ss,
                                         .slab = slab, .stage = 255 });
}

static void prof_free(struct gen *g, unsigned tid, unsigned long long addr, unsigned reason)
{
    prof_emit(g, &(struct hakmem_event){ .type = HAKMEM_EV_FREE, .tid = tid, .ss_addr = addr,
                                         .reason = reason, .cls = 255, .stage = 255 });
}

/* One script line. */
static void prof_line(struct gen *g, struct hakmem_seg_header *h, struct hakmem_seg_stacks *st,
                      char *line)
{
    char word[16];
    unsigned a = 0, c = 255, ss = 0, slab = 0, stack = 0, block = 0;
    unsigned long long x = 0, y = 0, w = 0;
    int n = 0;
    if (sscanf(line, "%15s %n", word, &n) != 1 || word[0] == '#')
        return;
    char *args = line + n;
    if (strcmp(word, "rate") == 0)
        h->profile_rate = strtoull(args, NULL, 0);
    else if (strcmp(word, "dropped") == 0)
        st->dropped = (uint32_t)strtoul(args, NULL, 0);
    else if (strcmp(word, "stack") == 0)
        prof_stack(st, args);
    else if (strcmp(word, "alloc") == 0 &&
             sscanf(args, "%u %lli %lli %u %lli %u %u %u %u", &a, &x, &y, &block, &w, &stack, &c,
                    &ss, &slab) >= 6)
        prof_alloc(g, a, x, y, block, w, stack, c, ss, slab);
    else if (strcmp(word, "free") == 0 && sscanf(args, "%u %lli %u", &a, &x, &c) >= 2)
        prof_free(g, a, x, c == 255 ? 0 : c);
    else if ((strcmp(word, "acquire") == 0 || strcmp(word, "empty") == 0) &&
             sscanf(args, "%u %u %u", &c, &ss, &slab) == 3)
        prof_emit(g, &(struct hakmem_event){ .type = word[0] == 'a' ? HAKMEM_EV_SLAB_ACQUIRE
                                                                    : HAKMEM_EV_SLAB_EMPTY,
                                             .tid = 1, .cls = (uint8_t)c, .stage = 255,
                                             .ss_id = ss, .slab = slab });
    else if (strcmp(word, "pin") == 0 &&
             sscanf(args, "%u %u %u %u %llu %llu %u", &c, &ss, &slab, &stack, &x, &y, &a) == 7)
        prof_emit(g, &(struct hakmem_event){ .type = HAKMEM_EV_SLAB_PIN, .tid = 1, .cls = (uint8_t)c,
                                             .stage = 255, .ss_id = ss, .slab = slab,
                                             .stack_id = stack, .arg0 = x, .arg1 = y, .reason = a });
    else if (strcmp(word, "bulk") == 0 && sscanf(args, "%llu %u %u %llu", &x, &a, &stack, &y) == 4)
        for (unsigned long long i = 0; i < x; i++) {
            prof_alloc(g, a, 0x100000000ull + i * 16, y, (unsigned)y, 65536, stack, 0, 1, 1);
            prof_free(g, a, 0x100000000ull + i * 16, 0);
        }
    else {
        fprintf(stderr, "mkseg: bad script line: %s", line);
        exit(2);
    }
}

/* Writes the segment of script at path: mapped (size bytes) and returned, its
 * events counted in g; NULL on failure. */
static char *prof_build(const char *path, const char *script, struct gen *g, size_t *sizep)
{
    FILE *in = strcmp(script, "-") == 0 ? stdin : fopen(script, "r");
    if (!in) {
        perror(script);
        return NULL;
    }
    g->cap = 1u << 20;
    struct hakmem_seg_header lay = { 0 };
    size_t size = layout(&lay, g->cap, 64);
    size_t st_size = page_up(sizeof(struct hakmem_seg_stacks) +
                             PROF_STACKS * sizeof(struct hakmem_seg_stack));
    lay.stacks_offset = lay.ring_offset; /* the stacks before the ring */
    lay.stacks_size = st_size;
    lay.ring_offset += st_size;
    size += st_size;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char *p = fd >= 0 && ftruncate(fd, (off_t)size) == 0
                  ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (fd >= 0)
        close(fd);
    if (p == MAP_FAILED) {
        perror(path);
        return NULL;
    }
    struct hakmem_seg_header *h = (struct hakmem_seg_header *)p;
    struct hakmem_seg_stacks *st = (struct hakmem_seg_stacks *)(p + lay.stacks_offset);
    st->capacity = PROF_STACKS;
    prof_modules(st);
    g->ring = (struct hakmem_event *)(p + lay.ring_offset);
    char line[1024];
    while (fgets(line, sizeof line, in))
        prof_line(g, h, st, line);
    uint64_t rate = h->profile_rate;
    fill_header(h, g->cap, g->n, size, HAKMEM_TRACE_LOSSLESS);
    memcpy(&h->ring_offset, &lay.ring_offset, 6 * sizeof(uint64_t)); /* ring .. stacks_size */
    h->profile_rate = rate;
    h->pid = getpid();
    ((struct hakmem_seg_occupancy *)(p + h->occupancy_offset))->max = 64;
    *sizep = size;
    return p;
}

static int profile(const char *path, const char *script)
{
    static struct gen g;
    size_t size;
    char *p = prof_build(path, script, &g, &size);
    if (!p)
        return 1;
    munmap(p, size);
    printf("events %llu alloc %llu free %llu\n", (unsigned long long)g.n,
           (unsigned long long)g.count[HAKMEM_EV_ALLOC], (unsigned long long)g.count[HAKMEM_EV_FREE]);
    return 0;
}

/* Waits up to 10 s for *v to reach want (a reader's doing). */
static void await_u64(volatile uint64_t *v, uint64_t want)
{
    for (int i = 0; i < 10000 && *v < want; i++)
        usleep(1000);
}

/* --profile-live SCRIPT COPY: the script's segment written complete at COPY
 * (for ingest), then played as a live process: /dev/shm/hakmem.<pid>, its
 * events published one by one over about a second once a reader drains it,
 * then marked exited; removed once drained. */
static int profile_live(const char *script, const char *copy)
{
    static struct gen g;
    size_t size;
    char *done = prof_build(copy, script, &g, &size);
    char path[256], tmp[300];
    hakmem_reader_path_of(getpid(), path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = done ? open(tmp, O_RDWR | O_CREAT | O_TRUNC, 0600) : -1;
    char *p = fd >= 0 && ftruncate(fd, (off_t)size) == 0
                  ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (p == MAP_FAILED) {
        perror(tmp);
        return 1;
    }
    struct hakmem_seg_header *h = (struct hakmem_seg_header *)p;
    memcpy(p, done, ((struct hakmem_seg_header *)done)->ring_offset); /* all but the ring */
    h->exited = 0;
    h->head = 0;
    struct hakmem_event *ring = (struct hakmem_event *)(p + h->ring_offset);
    const struct hakmem_event *src = (const struct hakmem_event *)(done + h->ring_offset);
    if (rename(tmp, path) != 0) {
        perror(path);
        return 1;
    }
    for (int i = 0; i < 10000 && !h->reader_pid; i++)
        usleep(1000);
    for (uint64_t i = 0; i < g.n; i++) {
        ring[i] = src[i];
        ring[i].seq = 0;
        __atomic_store_n(&ring[i].seq, src[i].seq, __ATOMIC_RELEASE);
        h->head = i + 1;
        if (i % 8 == 7)
            usleep(1000);
    }
    h->exit_mono_ns = g.ts;
    h->exited = 1;
    await_u64(&h->tail, g.n);
    usleep(200000);
    unlink(path);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--profile") == 0)
        return profile(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "--profile-live") == 0)
        return profile_live(argv[2], argv[3]);
    if (argc == 6 && strcmp(argv[1], "--flip") == 0)
        return flip(argv[2], strtoul(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
                    strtoull(argv[5], NULL, 10));
    if (argc == 6 && strcmp(argv[1], "--live") == 0)
        return live(argv[2], strtod(argv[3], NULL), strtoull(argv[4], NULL, 10),
                    strcmp(argv[5], "truncate") == 0);
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: mkseg PATH NEVENTS [CAPACITY]\n"
                        "       mkseg --profile PATH SCRIPT\n"
                        "       mkseg --profile-live SCRIPT COPY\n"
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
