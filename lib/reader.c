/* reader.c — libhakmem-reader: attaches to a trace segment from another
 * process, validates it, and drains its event ring (the consumer side).
 *
 * The segment's owner can write anything into it at any time, and truncate
 * it. So the layout (every offset, size and capacity) is copied and checked
 * once at open, and every access is bounded by that copy; live fields are
 * read into copies (the header, the counters, the stack table) and bounded
 * where they are used. Every read of the mapping runs under a SIGBUS guard
 * after an fstat of the file: a truncated segment becomes one error
 * (hakmem_reader_error), never a signal. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hakmem_reader.h"

#define A64(p) ((_Atomic uint64_t *)(p))
#define A32(p) ((_Atomic uint32_t *)(p))
#define STACKS_MAX (1u << 20) /* stack slots a reader copies at most (288 MiB) */

struct hakmem_reader {
    char *map;                  /* the mapping, size bytes */
    size_t size;
    int fd;                     /* kept to notice truncation (fstat) */
    int drain;
    /* The layout, copied and validated at open; the live fields of hdr are
     * refreshed by refresh(). hakmem_reader_header() returns &hdr. */
    struct hakmem_seg_header hdr;
    struct hakmem_event *ring;
    uint64_t mask;
    size_t occ_room;            /* SuperSlabs the occupancy section holds */
    size_t stacks_room;         /* stack slots the stacks section holds (0: none) */
    uint64_t next;              /* next ticket to read */
    struct hakmem_seg_counters ctr;   /* hakmem_reader_counters() */
    struct hakmem_seg_stacks *stacks; /* hakmem_reader_stacks(): a copy */
    char *path;
    char error[320];            /* empty while the segment reads fine */
};

/* ---- the SIGBUS guard: reads of the mapping that a truncation turns into
 * SIGBUS jump back to the guard of their thread; a SIGBUS with no guard
 * active goes on to the handler that was there before. */

static __thread sigjmp_buf *guard_jb __attribute__((tls_model("initial-exec")));
static struct sigaction old_bus;
static atomic_int bus_state; /* 0: not installed, 1: being installed, 2: installed */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    sigjmp_buf *jb = guard_jb;
    if (jb)
        siglongjmp(*jb, 1);
    if (old_bus.sa_flags & SA_SIGINFO) {
        old_bus.sa_sigaction(sig, si, uc);
        return;
    }
    if (old_bus.sa_handler == SIG_IGN && si && si->si_code <= 0)
        return; /* sent by kill(): ignored, as before */
    if (old_bus.sa_handler == SIG_DFL || old_bus.sa_handler == SIG_IGN) {
        signal(sig, SIG_DFL); /* a real fault: die of it, as before */
        raise(sig);
        return;
    }
    old_bus.sa_handler(sig);
}

static void install_sigbus(void)
{
    int s = 0;
    if (atomic_compare_exchange_strong(&bus_state, &s, 1)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_sigbus;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER; /* no mask to restore after the jump */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGBUS, &sa, &old_bus);
        atomic_store(&bus_state, 2);
    }
    while (atomic_load(&bus_state) != 2) {
    }
}

static struct hakmem_reader *mut(const struct hakmem_reader *r)
{
    return (struct hakmem_reader *)r; /* readers are allocated writable */
}

static void truncated(struct hakmem_reader *r)
{
    if (!r->error[0])
        snprintf(r->error, sizeof r->error, "segment %s was truncated while being read", r->path);
}

/* Runs fn(r, arg) — reads of the mapping — unless the file is shorter than
 * the mapping now or a read faults: then r's error is set and -1 returned
 * (what fn wrote is partial). */
static int guarded(struct hakmem_reader *r, void (*fn)(struct hakmem_reader *, void *), void *arg)
{
    if (r->error[0])
        return -1;
    struct stat st;
    if (fstat(r->fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size < r->size) {
        truncated(r);
        return -1;
    }
    sigjmp_buf jb;
    sigjmp_buf *prev = guard_jb;
    if (sigsetjmp(jb, 0)) {
        guard_jb = prev;
        truncated(r);
        return -1;
    }
    guard_jb = &jb;
    atomic_signal_fence(memory_order_seq_cst);
    fn(r, arg);
    atomic_signal_fence(memory_order_seq_cst);
    guard_jb = prev;
    return 0;
}

/* ---- opening */

const char *hakmem_event_type_name(unsigned type)
{
    const char *name = hakmem_event_name(type);
    return name ? name : "unknown";
}

const char *hakmem_reader_path_of(pid_t pid, char *buf, size_t len)
{
    snprintf(buf, len, HAKMEM_SEG_PATH_FMT, (int)pid);
    return buf;
}

struct section {
    uint64_t off, len;
};

/* A section [off, off+len) inside the segment, after the header, aligned. */
static int section_ok(struct section s, size_t size)
{
    return s.off >= sizeof(struct hakmem_seg_header) && s.off <= size && s.len <= size - s.off &&
           (s.off & 7) == 0;
}

static int overlap(struct section a, struct section b)
{
    return a.len && b.len && a.off < b.off + b.len && b.off < a.off + a.len;
}

/* Checks that h, copied from a file of size bytes, is a segment this reader
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
    struct section s[4] = {
        { h->counters_offset, sizeof(struct hakmem_seg_counters) },
        { h->occupancy_offset, h->occupancy_size },
        { h->ring_offset, 0 },
        { h->stacks_offset, h->stacks_offset ? h->stacks_size : 0 },
    };
    int ok = size >= sizeof *h && (h->header_size == HAKMEM_SEG_HEADER_SIZE || h->header_size == sizeof *h) && h->seg_size == size &&
             h->event_size == sizeof(struct hakmem_event) && cap && !(cap & (cap - 1)) &&
             h->nclasses <= HAKMEM_SEG_CLASSES &&
             h->occupancy_size >= sizeof(struct hakmem_seg_occupancy) &&
             h->ring_offset % alignof(struct hakmem_event) == 0 && section_ok(s[2], size) &&
             (size - h->ring_offset) / sizeof(struct hakmem_event) >= cap;
    s[2].len = ok ? cap * sizeof(struct hakmem_event) : 0;
    for (int i = 0; ok && i < 4; i++) {
        ok = i == 3 && !h->stacks_offset ? 1 : section_ok(s[i], size);
        for (int j = 0; ok && j < i; j++)
            ok = !overlap(s[i], s[j]);
    }
    if (!ok) {
        snprintf(err, errlen, "%s is a corrupt or truncated hakmem trace segment", path);
        return -1;
    }
    return 0;
}

/* Replaces the control characters of a header string (up to its NUL, if
 * any), C0, DEL and UTF-8 C1, by '?': readers print them. */
static void printable(char *s, size_t len)
{
    unsigned char *u = (unsigned char *)s;
    for (size_t i = 0; i < len && u[i]; i++) {
        if (u[i] < 0x20 || u[i] == 0x7f)
            u[i] = '?';
        else if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
            u[i] = u[i + 1] = '?';
    }
}

/* Copies the bytes of the header the file has; zeros after them. */
static void copy_header(struct hakmem_reader *r, void *arg)
{
    (void)arg;
    size_t n = r->size < sizeof r->hdr ? r->size : sizeof r->hdr;
    memset(&r->hdr, 0, sizeof r->hdr);
    memcpy(&r->hdr, r->map, n);
    printable(r->hdr.exe, sizeof r->hdr.exe);
    printable(r->hdr.cmdline, sizeof r->hdr.cmdline);
}

static void claim(struct hakmem_reader *r, void *arg)
{
    (void)arg;
    struct hakmem_seg_header *h = (void *)r->map;
    r->next = atomic_load_explicit(A64(&h->tail), memory_order_acquire);
    if (r->drain)
        h->reader_pid = getpid();
}

static const char *not_regular(mode_t m)
{
    return S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m) || S_ISBLK(m) ? "a device" : "not a regular file";
}

/* Opens path without following a symlink or blocking on a FIFO; regular
 * files only. The descriptor, or -1 with err. */
static int open_regular(const char *path, int drain, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, (drain ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen, "%s is not a hakmem trace segment (a symbolic link)", path);
        else
            snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s is not a hakmem trace segment (%s)", path,
                 not_regular(st->st_mode));
        close(fd);
        return -1;
    }
    if (st->st_size <= 0) {
        snprintf(err, errlen, "%s is not a hakmem trace segment (empty)", path);
        close(fd);
        return -1;
    }
    return fd;
}

struct hakmem_reader *hakmem_reader_open(const char *path, int drain, char *err, size_t errlen)
{
    struct stat st;
    int fd = open_regular(path, drain, &st, err, errlen);
    if (fd < 0)
        return NULL;
    install_sigbus();
    struct hakmem_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        snprintf(err, errlen, "out of memory");
        free(r);
        close(fd);
        return NULL;
    }
    r->fd = fd;
    r->drain = drain;
    r->size = (size_t)st.st_size;
    r->map = mmap(NULL, r->size, drain ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (r->map == MAP_FAILED) {
        snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
        r->map = NULL;
        hakmem_reader_close(r);
        return NULL;
    }
    if (guarded(r, copy_header, NULL) != 0 ||
        validate(&r->hdr, r->size, path, err, errlen) != 0) {
        if (r->error[0])
            snprintf(err, errlen, "%s", r->error);
        hakmem_reader_close(r);
        return NULL;
    }
    r->ring = (struct hakmem_event *)(r->map + r->hdr.ring_offset);
    r->mask = r->hdr.ring_capacity - 1;
    if (drain)
        hakmem_seg_populate(r->ring, r->hdr.ring_capacity * sizeof *r->ring, MADV_POPULATE_READ);
    r->occ_room = (r->hdr.occupancy_size - sizeof(struct hakmem_seg_occupancy)) /
                  sizeof(struct hakmem_seg_ss);
    if (r->hdr.stacks_offset && r->hdr.stacks_size >= sizeof(struct hakmem_seg_stacks))
        r->stacks_room = (r->hdr.stacks_size - sizeof(struct hakmem_seg_stacks)) /
                         sizeof(struct hakmem_seg_stack);
    if (guarded(r, claim, NULL) != 0) {
        snprintf(err, errlen, "%s", r->error);
        r->drain = 0;
        hakmem_reader_close(r);
        return NULL;
    }
    return r;
}

static void release(struct hakmem_reader *r, void *arg)
{
    (void)arg;
    struct hakmem_seg_header *h = (void *)r->map;
    if (h->reader_pid == getpid())
        h->reader_pid = 0;
}

void hakmem_reader_close(struct hakmem_reader *r)
{
    if (!r)
        return;
    if (r->map && r->drain)
        guarded(r, release, NULL);
    if (r->map)
        munmap(r->map, r->size);
    close(r->fd);
    free(r->stacks);
    free(r->path);
    free(r);
}

const char *hakmem_reader_error(const struct hakmem_reader *r)
{
    return r->error[0] ? r->error : NULL;
}

/* ---- the live header fields */

static void read_live(struct hakmem_reader *r, void *arg)
{
    (void)arg;
    const struct hakmem_seg_header *h = (const void *)r->map;
    struct hakmem_seg_header *c = &r->hdr;
    uint32_t was_ready = c->ready;
    c->ready = atomic_load_explicit(A32(&h->ready), memory_order_acquire);
    c->exited = atomic_load_explicit(A32(&h->exited), memory_order_acquire);
    c->exit_mono_ns = atomic_load_explicit(A64(&h->exit_mono_ns), memory_order_relaxed);
    c->head = atomic_load_explicit(A64(&h->head), memory_order_acquire);
    c->dropped = atomic_load_explicit(A64(&h->dropped), memory_order_acquire);
    c->tail = atomic_load_explicit(A64(&h->tail), memory_order_acquire);
    c->reader_pid = (int32_t)atomic_load_explicit(A32(&h->reader_pid), memory_order_relaxed);
    if (c->ready == 1 && was_ready != 1) {
        /* what the writer set before ready: not the layout, checked at open */
        c->pid = h->pid;
        c->start_mono_ns = h->start_mono_ns;
        c->start_real_ns = h->start_real_ns;
        memcpy(c->exe, h->exe, sizeof c->exe);
        memcpy(c->cmdline, h->cmdline, sizeof c->cmdline);
        printable(c->exe, sizeof c->exe);
        printable(c->cmdline, sizeof c->cmdline);
        memcpy(c->class_size, h->class_size, sizeof c->class_size);
        memcpy(c->class_capacity, h->class_capacity, sizeof c->class_capacity);
    }
}

static void refresh(const struct hakmem_reader *r)
{
    guarded(mut(r), read_live, NULL);
}

const struct hakmem_seg_header *hakmem_reader_header(const struct hakmem_reader *r)
{
    refresh(r);
    return &r->hdr;
}

void hakmem_reader_counts(const struct hakmem_reader *r, struct hakmem_ring_counts *c)
{
    refresh(r);
    c->written = r->hdr.head;
    c->dropped = r->hdr.dropped;
    c->consumed = r->hdr.tail;
}

int hakmem_reader_exited(const struct hakmem_reader *r)
{
    refresh(r);
    return r->hdr.exited != 0 || r->error[0]; /* a truncated segment ends too */
}

int hakmem_reader_alive(const struct hakmem_reader *r)
{
    pid_t pid = r->hdr.pid;
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* ---- the ring */

/* Copies slot t if it still holds ticket t: the seq check before and after
 * the copy detects a producer overwriting it meanwhile. */
static int read_slot(const struct hakmem_reader *r, uint64_t t, struct hakmem_event *out)
{
    const struct hakmem_event *slot = &r->ring[t & r->mask];
    uint64_t s1 = atomic_load_explicit(A64(&slot->seq), memory_order_acquire);
    if (s1 != t + 1)
        return s1 > t + 1 ? -1 : 0; /* overwritten, or not yet written */
    memcpy(out, slot, sizeof *out);
    atomic_thread_fence(memory_order_acquire);
    uint64_t s2 = atomic_load_explicit(A64(&slot->seq), memory_order_relaxed);
    return s2 == s1 ? 1 : -1;
}

/* Slots ahead of the one read whose lines are fetched: each was written last on
 * the producer's core, and one miss at a time left the drain waiting on each. */
#define READ_AHEAD 8

struct batch {
    struct hakmem_event *out;
    size_t max, n;
    uint64_t lost;
};

static void drain_batch(struct hakmem_reader *r, void *arg)
{
    struct batch *b = arg;
    struct hakmem_seg_header *h = (void *)r->map;
    uint64_t cap = r->mask + 1;
    uint64_t head = atomic_load_explicit(A64(&h->head), memory_order_acquire);
    if (r->hdr.mode == HAKMEM_TRACE_OVERWRITE && head - r->next > cap && head > r->next) {
        b->lost += head - cap - r->next;
        r->next = head - cap;
    }
    /* at most one ring's worth of tickets per call, whatever head says */
    uint64_t end = head > r->next && head - r->next > cap ? r->next + cap : head;
    while (b->n < b->max && r->next < end) {
        if (r->next + READ_AHEAD < end)
            __builtin_prefetch(&r->ring[(r->next + READ_AHEAD) & r->mask]);
        int got = read_slot(r, r->next, &b->out[b->n]);
        if (got == 0)
            break; /* a producer holds the ticket but has not published yet */
        if (got > 0)
            b->n++;
        else
            b->lost++;
        r->next++;
    }
    if (r->drain)
        atomic_store_explicit(A64(&h->tail), r->next, memory_order_release);
}

size_t hakmem_reader_drain(struct hakmem_reader *r, struct hakmem_event *out, size_t max,
                           uint64_t *lost)
{
    struct batch b = { .out = out, .max = max };
    uint64_t next = r->next;
    if (guarded(r, drain_batch, &b) != 0) {
        r->next = next; /* the batch is dropped: the segment is gone */
        return 0;
    }
    if (lost)
        *lost += b.lost;
    return b.n;
}

static void peek_batch(struct hakmem_reader *r, void *arg)
{
    struct batch *b = arg;
    const struct hakmem_seg_header *h = (const void *)r->map;
    uint64_t head = atomic_load_explicit(A64(&h->head), memory_order_acquire);
    uint64_t cap = r->mask + 1;
    uint64_t from = head > b->max ? head - b->max : 0;
    if (head - from > cap)
        from = head - cap;
    for (uint64_t t = from; t < head; t++)
        if (read_slot(r, t, &b->out[b->n]) > 0)
            b->n++;
}

/* The newest events (up to max), oldest first, without consuming them:
 * for watchers. Slots being written or overwritten meanwhile are skipped. */
size_t hakmem_reader_peek(const struct hakmem_reader *r, struct hakmem_event *out, size_t max)
{
    struct batch b = { .out = out, .max = max };
    return guarded(mut(r), peek_batch, &b) == 0 ? b.n : 0;
}

/* ---- counters, occupancy, stacks */

static void copy_counters(struct hakmem_reader *r, void *arg)
{
    (void)arg;
    memcpy(&r->ctr, r->map + r->hdr.counters_offset, sizeof r->ctr);
}

const struct hakmem_seg_counters *hakmem_reader_counters(const struct hakmem_reader *r)
{
    guarded(mut(r), copy_counters, NULL); /* on error: the last copy */
    return &r->ctr;
}

struct snap {
    struct hakmem_seg_ss *out;
    size_t max;
    long n;             /* -1: the sampler was writing */
    struct hakmem_snapshot_info info;
};

/* One try at a consistent copy (seqlock). */
static void snapshot_try(struct hakmem_reader *r, void *arg)
{
    struct snap *sn = arg;
    const struct hakmem_seg_occupancy *occ = (const void *)(r->map + r->hdr.occupancy_offset);
    sn->n = -1;
    uint64_t s1 = atomic_load_explicit(A64(&occ->seq), memory_order_acquire);
    if (s1 & 1)
        return;
    uint32_t count = occ->count;
    size_t n = count < r->occ_room ? count : r->occ_room;
    if (n > sn->max)
        n = sn->max;
    memcpy(sn->out, occ->ss, n * sizeof *sn->out);
    struct hakmem_snapshot_info got = { .sampled_ns = occ->sampled_ns,
                                        .truncated = occ->truncated || count > n,
                                        .final = occ->final == 1 };
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(A64(&occ->seq), memory_order_relaxed) != s1)
        return;
    sn->info = got;
    sn->n = (long)n;
}

/* Copies a consistent occupancy snapshot (retried while the sampler
 * writes). Returns the SuperSlabs copied, or -1 when the sampler kept
 * writing through every try (or the segment was truncated). */
long hakmem_reader_snapshot(const struct hakmem_reader *r, struct hakmem_seg_ss *out, size_t max,
                            struct hakmem_snapshot_info *info)
{
    struct snap sn = { .out = out, .max = out ? max : 0 };
    for (int tries = 0; tries < 1000; tries++) {
        if (guarded(mut(r), snapshot_try, &sn) != 0)
            return -1;
        if (sn.n >= 0) {
            if (info)
                *info = sn.info;
            return sn.n;
        }
        usleep(100);
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

/* Copies the stack table into r->stacks: its counts bounded by its
 * capacity, its capacity (a power of two) by the section's size. */
/* Copies the table's header and its stacks: in a dense table the first
 * `count` slots, else every slot. In the copy, capacity is the number of
 * slots copied. */
static void copy_stacks(struct hakmem_reader *r, void *arg)
{
    int *ok = arg;
    const struct hakmem_seg_stacks *live = (const void *)(r->map + r->hdr.stacks_offset);
    uint32_t cap = live->capacity;
    *ok = 0;
    if (!cap || (cap & (cap - 1)) || cap > r->stacks_room || cap > STACKS_MAX)
        return;
    uint32_t slots = cap;
    if (r->hdr.flags & HAKMEM_SEG_STACKS_DENSE)
        slots = live->count < cap ? live->count : cap;
    size_t bytes = sizeof *live + (size_t)slots * sizeof live->stack[0];
    struct hakmem_seg_stacks *st = realloc(r->stacks, bytes > sizeof *live ? bytes : sizeof *live + 1);
    if (!st)
        return;
    r->stacks = st;
    memcpy(st, live, bytes);
    st->capacity = slots;
    if (st->count > slots)
        st->count = slots;
    if (st->nmodules > HAKMEM_SEG_MODULES)
        st->nmodules = HAKMEM_SEG_MODULES;
    for (unsigned i = 0; i < HAKMEM_SEG_MODULES; i++)
        st->module[i].path[HAKMEM_SEG_PATH_MAX - 1] = '\0';
    for (uint32_t i = 0; i < slots; i++)
        if (st->stack[i].depth > HAKMEM_SEG_STACK_DEPTH)
            st->stack[i].depth = HAKMEM_SEG_STACK_DEPTH;
    *ok = 1;
}

/* A copy of the stack table, valid until the next call or close. */
const struct hakmem_seg_stacks *hakmem_reader_stacks(const struct hakmem_reader *r)
{
    int ok = 0;
    if (!r->stacks_room || guarded(mut(r), copy_stacks, &ok) != 0 || !ok)
        return NULL;
    return r->stacks;
}
