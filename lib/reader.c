/* reader.c — libhakmem-reader: attaches to a trace segment from another
 * process, validates it, and drains its event ring (the consumer side). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "evnames.h"
#include "hakmem_reader.h"

#define A64(p) ((_Atomic uint64_t *)(p))

struct hakmem_reader {
    struct hakmem_seg_header *h;
    struct hakmem_event *ring;
    size_t size;
    uint64_t mask;
    uint64_t next; /* next ticket to read */
    int drain;
};


const char *hakmem_event_type_name(unsigned type)
{
    return type > 0 && type < HAKMEM_EV_COUNT ? hk_ev_names[type] : "unknown";
}

const char *hakmem_reader_path_of(pid_t pid, char *buf, size_t len)
{
    snprintf(buf, len, "/dev/shm/hakmem.%d", (int)pid);
    return buf;
}

/* A section [off, off+len) inside the segment, after the header. */
static int section_ok(const struct hakmem_seg_header *h, uint64_t off, uint64_t len, size_t size)
{
    return off >= sizeof *h && off <= size && len <= size - off && (off & 7) == 0;
}

/* Checks that the bytes at h of length size are a segment this reader
 * understands; on failure a sentence into err. */
static int validate(const struct hakmem_seg_header *h, size_t size, const char *path, char *err,
                    size_t errlen)
{
    if (size < sizeof h->magic + sizeof h->version || memcmp(h->magic, HAKMEM_SEG_MAGIC, 8) != 0) {
        snprintf(err, errlen, "%s is not a hakmem trace segment (bad magic)", path);
        return -1;
    }
    if (h->version != HAKMEM_SEG_VERSION) {
        snprintf(err, errlen, "%s has segment format version %u; this reader reads version %u",
                 path, h->version, HAKMEM_SEG_VERSION);
        return -1;
    }
    uint64_t cap = h->ring_capacity;
    if (size < sizeof *h || (h->header_size != HAKMEM_SEG_HEADER_SIZE && h->header_size != sizeof *h) || h->seg_size != size ||
        h->event_size != sizeof(struct hakmem_event) || cap == 0 || (cap & (cap - 1)) ||
        h->ring_offset < sizeof *h || h->ring_offset > size ||
        (size - h->ring_offset) / sizeof(struct hakmem_event) < cap ||
        h->nclasses > HAKMEM_SEG_CLASSES || !section_ok(h, h->counters_offset,
                                                        sizeof(struct hakmem_seg_counters), size) ||
        !section_ok(h, h->occupancy_offset, h->occupancy_size, size) ||
        h->occupancy_size < sizeof(struct hakmem_seg_occupancy) ||
        (h->stacks_offset && !section_ok(h, h->stacks_offset, h->stacks_size, size))) {
        snprintf(err, errlen, "%s is a corrupt or truncated hakmem trace segment", path);
        return -1;
    }
    return 0;
}

struct hakmem_reader *hakmem_reader_open(const char *path, int drain, char *err, size_t errlen)
{
    int fd = open(path, (drain ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        snprintf(err, errlen, "%s is not a hakmem trace segment (empty or not a file)", path);
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, drain ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        return NULL;
    }
    if (validate(p, size, path, err, errlen) != 0) {
        munmap(p, size);
        return NULL;
    }
    struct hakmem_reader *r = calloc(1, sizeof *r);
    if (!r) {
        munmap(p, size);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->h = p;
    r->size = size;
    r->ring = (struct hakmem_event *)((char *)p + r->h->ring_offset);
    r->mask = r->h->ring_capacity - 1;
    r->drain = drain;
    r->next = atomic_load_explicit(A64(&r->h->tail), memory_order_acquire);
    if (drain)
        r->h->reader_pid = getpid();
    return r;
}

void hakmem_reader_close(struct hakmem_reader *r)
{
    if (!r)
        return;
    if (r->drain && r->h->reader_pid == getpid())
        r->h->reader_pid = 0;
    munmap(r->h, r->size);
    free(r);
}

const struct hakmem_seg_header *hakmem_reader_header(const struct hakmem_reader *r)
{
    return r->h;
}

/* Copies slot t if it still holds ticket t: the seq check before and after
 * the copy detects a producer overwriting it meanwhile. */
static int read_slot(struct hakmem_reader *r, uint64_t t, struct hakmem_event *out)
{
    struct hakmem_event *slot = &r->ring[t & r->mask];
    uint64_t s1 = atomic_load_explicit(A64(&slot->seq), memory_order_acquire);
    if (s1 != t + 1)
        return s1 > t + 1 ? -1 : 0; /* overwritten, or not yet written */
    memcpy(out, slot, sizeof *out);
    atomic_thread_fence(memory_order_acquire);
    uint64_t s2 = atomic_load_explicit(A64(&slot->seq), memory_order_relaxed);
    return s2 == s1 ? 1 : -1;
}

size_t hakmem_reader_drain(struct hakmem_reader *r, struct hakmem_event *out, size_t max,
                           uint64_t *lost)
{
    size_t n = 0;
    uint64_t cap = r->mask + 1;
    uint64_t head = atomic_load_explicit(A64(&r->h->head), memory_order_acquire);
    if (r->h->mode == HAKMEM_TRACE_OVERWRITE && head - r->next > cap) {
        if (lost)
            *lost += head - cap - r->next;
        r->next = head - cap;
    }
    while (n < max && r->next < head) {
        int got = read_slot(r, r->next, &out[n]);
        if (got == 0)
            break; /* a producer holds the ticket but has not published yet */
        if (got > 0)
            n++;
        else if (lost)
            (*lost)++;
        r->next++;
    }
    if (r->drain)
        atomic_store_explicit(A64(&r->h->tail), r->next, memory_order_release);
    return n;
}

void hakmem_reader_counts(const struct hakmem_reader *r, struct hakmem_ring_counts *c)
{
    c->written = atomic_load_explicit(A64(&r->h->head), memory_order_acquire);
    c->dropped = atomic_load_explicit(A64(&r->h->dropped), memory_order_acquire);
    c->consumed = atomic_load_explicit(A64(&r->h->tail), memory_order_acquire);
}

int hakmem_reader_exited(const struct hakmem_reader *r)
{
    return atomic_load_explicit((_Atomic uint32_t *)&r->h->exited, memory_order_acquire) != 0;
}

int hakmem_reader_alive(const struct hakmem_reader *r)
{
    return kill(r->h->pid, 0) == 0 || errno == EPERM;
}

const struct hakmem_seg_counters *hakmem_reader_counters(const struct hakmem_reader *r)
{
    return (const struct hakmem_seg_counters *)((const char *)r->h + r->h->counters_offset);
}

/* Copies a consistent occupancy snapshot (seqlock: retried while the
 * sampler writes). Returns the SuperSlabs copied, or -1 when the sampler
 * kept writing through every try. */
long hakmem_reader_snapshot(const struct hakmem_reader *r, struct hakmem_seg_ss *out, size_t max,
                            struct hakmem_snapshot_info *info)
{
    const struct hakmem_seg_occupancy *occ =
        (const void *)((const char *)r->h + r->h->occupancy_offset);
    size_t room = (r->h->occupancy_size - sizeof *occ) / sizeof(struct hakmem_seg_ss);
    for (int tries = 0; tries < 1000; tries++) {
        uint64_t s1 = atomic_load_explicit((_Atomic uint64_t *)&occ->seq, memory_order_acquire);
        if (s1 & 1) {
            usleep(100);
            continue;
        }
        size_t n = occ->count;
        if (n > room)
            n = room;
        if (n > max)
            n = max;
        memcpy(out, occ->ss, n * sizeof *out);
        struct hakmem_snapshot_info got = { .sampled_ns = occ->sampled_ns,
                                            .truncated = occ->truncated || occ->count > max,
                                            .final = occ->final == 1 };
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit((_Atomic uint64_t *)&occ->seq, memory_order_relaxed) != s1)
            continue;
        if (info)
            *info = got;
        return (long)n;
    }
    return -1;
}

long hakmem_reader_occupancy(const struct hakmem_reader *r, struct hakmem_seg_ss *out, size_t max,
                             uint64_t *sampled_ns, int *truncated)
{
    struct hakmem_snapshot_info info;
    long n = hakmem_reader_snapshot(r, out, max, &info);
    if (n >= 0 && sampled_ns)
        *sampled_ns = info.sampled_ns;
    if (n >= 0 && truncated)
        *truncated = info.truncated;
    return n;
}

const struct hakmem_seg_stacks *hakmem_reader_stacks(const struct hakmem_reader *r)
{
    if (!r->h->stacks_offset || r->h->stacks_size < sizeof(struct hakmem_seg_stacks))
        return NULL;
    const struct hakmem_seg_stacks *st = (const void *)((const char *)r->h + r->h->stacks_offset);
    size_t room = (r->h->stacks_size - sizeof *st) / sizeof(struct hakmem_seg_stack);
    if (st->capacity > room || (st->capacity & (st->capacity - 1)))
        return NULL;
    return st;
}

/* The newest events (up to max), oldest first, without consuming them:
 * for watchers. Slots being written or overwritten meanwhile are skipped. */
size_t hakmem_reader_peek(const struct hakmem_reader *r, struct hakmem_event *out, size_t max)
{
    uint64_t head = atomic_load_explicit(A64(&r->h->head), memory_order_acquire);
    uint64_t cap = r->mask + 1, n = 0;
    uint64_t from = head > max ? head - max : 0;
    if (head - from > cap)
        from = head - cap;
    for (uint64_t t = from; t < head; t++) {
        struct hakmem_reader tmp = *r;
        if (read_slot(&tmp, t, &out[n]) > 0)
            n++;
    }
    return (size_t)n;
}
