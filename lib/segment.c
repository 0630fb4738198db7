/* segment.c — the trace segment: a shared-memory file (0600, O_EXCL,
 * O_NOFOLLOW) holding the header and the event ring; removed at exit. */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "segment.h"

struct hk_trace hk_trace;

static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t n = 0;
    ssize_t r;
    while (n < cap && (r = read(fd, buf + n, cap - n)) > 0)
        n += (size_t)r;
    close(fd);
    return n;
}

/* Characters an argument may hold and still be read back by sh unquoted. */
static bool shell_safe(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("_-+=/.,:@%^", c) != NULL);
}

struct out {
    char *p;
    size_t n, cap; /* cap includes the NUL */
};

static void put(struct out *o, const char *s, size_t len)
{
    for (size_t i = 0; i < len && o->n + 1 < o->cap; i++)
        o->p[o->n++] = s[i];
}

/* The NUL-separated arguments in raw[0..len) joined by spaces into h->cmdline,
 * each quoted as sh needs it ('a b', 'it'\''s', ''), cut at the field's end. */
static void join_args(struct hakmem_seg_header *h, const char *raw, size_t len)
{
    struct out o = { h->cmdline, 0, sizeof h->cmdline };
    for (size_t i = 0; i < len;) {
        size_t alen = strnlen(raw + i, len - i);
        const char *a = raw + i;
        bool bare = alen > 0;
        for (size_t k = 0; k < alen && bare; k++)
            bare = shell_safe(a[k]);
        if (i)
            put(&o, " ", 1);
        if (bare)
            put(&o, a, alen);
        else {
            put(&o, "'", 1);
            for (size_t k = 0; k < alen; k++)
                put(&o, a[k] == '\'' ? "'\\''" : a + k, a[k] == '\'' ? 4 : 1);
            put(&o, "'", 1);
        }
        i += alen + 1;
    }
    h->cmdline[o.n] = '\0';
}

static void fill_identity(struct hakmem_seg_header *h, bool forked)
{
    ssize_t n = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
    h->exe[n > 0 ? n : 0] = '\0';
    char raw[HAKMEM_SEG_CMDLINE_MAX];
    join_args(h, raw, read_file("/proc/self/cmdline", raw, sizeof raw));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    h->start_real_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    h->start_mono_ns = hk_now_ns();
    h->pid = getpid();
    h->ppid = getppid();
    h->recorder_pid = (int32_t)hk_opt[HK_OPT_TRACE_RECORDER];
    h->flags = (forked ? HAKMEM_SEG_FORKED : 0) | HAKMEM_SEG_STACKS_DENSE;
    h->profile_rate = hk_profile_on ? hk_profile_rate : 0;
}

/* Slots of the stack table: a heap profile interns a stack per sampled site. */
static uint32_t stacks_max(void)
{
    return hk_profile_on ? HK_STACKS_MAX_PROFILE : HK_STACKS_MAX;
}

/* The segment has a stack table: stacks traced, or a heap profile. */
static bool want_stacks(void)
{
    return hk_opt[HK_OPT_TRACE_STACKS] || hk_profile_on;
}

static uint64_t page_up(uint64_t n)
{
    return (n + hk_page_size - 1) & ~(uint64_t)(hk_page_size - 1);
}

/* Sections, each page aligned: header, counters, occupancy, stacks, ring. */
static void fill_layout(struct hakmem_seg_header *h, uint64_t cap, unsigned mode, bool stacks)
{
    memcpy(h->magic, HAKMEM_SEG_MAGIC, sizeof h->magic);
    h->version = HAKMEM_SEG_VERSION;
    h->header_size = HAKMEM_SEG_HEADER_SIZE;
    h->page_size = (uint32_t)hk_page_size;
    h->nclasses = HK_CLASSES;
    for (unsigned c = 0; c < HK_CLASSES; c++) {
        h->class_size[c] = hk_class_size[c];
        h->class_capacity[c] = hk_class_capacity[c];
    }
    h->mode = mode;
    h->event_size = sizeof(struct hakmem_event);
    h->ring_capacity = cap;
    h->counters_offset = page_up(sizeof *h);
    h->occupancy_offset = h->counters_offset + page_up(sizeof(struct hakmem_seg_counters));
    h->occupancy_size = page_up(sizeof(struct hakmem_seg_occupancy) +
                                HK_OCCUPANCY_MAX * sizeof(struct hakmem_seg_ss));
    h->stacks_offset = stacks ? h->occupancy_offset + h->occupancy_size : 0;
    h->stacks_size = stacks ? page_up(HAKMEM_SEG_STACKS_BYTES(stacks_max())) : 0;
    h->ring_offset = h->occupancy_offset + h->occupancy_size + h->stacks_size;
    h->seg_size = h->ring_offset + cap * sizeof(struct hakmem_event);
}

#define HK_DIR_FD_MIN 900 /* the directory's fd goes this high: programs close low fds */

/* The directory of path, opened O_PATH (kept to remove the file through it
 * at exit, whatever the path's components become meanwhile), and path's last
 * component into base; -1 when it cannot be opened. */
static int open_dir(const char *path, char *base, size_t len)
{
    const char *slash = strrchr(path, '/');
    char dir[256];
    if (!slash)
        hk_fmt(dir, sizeof dir, ".");
    else if (slash == path)
        hk_fmt(dir, sizeof dir, "/");
    else {
        size_t n = (size_t)(slash - path) < sizeof dir ? (size_t)(slash - path) : sizeof dir - 1;
        memcpy(dir, path, n); /* hk_fmt has no precision */
        dir[n] = '\0';
    }
    hk_fmt(base, len, "%s", slash ? slash + 1 : path);
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, HK_DIR_FD_MIN);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    return fd;
}

/* Removes the segment's file: through the directory opened at creation, and
 * only while its name still holds the file created then, so a directory of
 * the path swapped for a symlink meanwhile never makes us remove another
 * file. Without the directory (the program closed its fd), by path, with the
 * same check. */
static void remove_file(const struct hk_trace *t)
{
    struct stat st;
    if (t->dirfd >= 0 && fstatat(t->dirfd, t->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (st.st_dev == t->dev && st.st_ino == t->ino)
            unlinkat(t->dirfd, t->base, 0);
        return;
    }
    if (lstat(t->path, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == t->dev &&
        st.st_ino == t->ino)
        unlink(t->path);
}

/* Creates the segment at path with a ring of cap events (a power of two)
 * into *t; forked: for a fork()ed image. Refuses an existing file or a
 * symlink. Returns 0 or an errno. */
static int create(struct hk_trace *t, const char *path, uint64_t cap, unsigned mode, bool stacks,
                  bool forked)
{
    struct hakmem_seg_header layout;
    memset(&layout, 0, sizeof layout);
    fill_layout(&layout, cap, mode, stacks);
    size_t size = layout.seg_size;
    const int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    char base[sizeof t->base];
    int dirfd = open_dir(path, base, sizeof base);
    int fd = dirfd >= 0 ? openat(dirfd, base, flags, 0600) : open(path, flags, 0600);
    struct stat st;
    int e = fd < 0 ? errno : 0;
    if (!e && (fstat(fd, &st) != 0 || fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)size) != 0))
        e = errno;
    void *p = e ? MAP_FAILED : mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (!e && p == MAP_FAILED)
        e = ENOMEM;
    if (fd >= 0)
        close(fd);
    if (e) {
        if (fd >= 0 && dirfd >= 0)
            unlinkat(dirfd, base, 0);
        else if (fd >= 0)
            unlink(path);
        if (dirfd >= 0)
            close(dirfd);
        return e;
    }
    t->dirfd = dirfd;
    memcpy(t->base, base, sizeof base);
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    struct hakmem_seg_header *h = p;
    *h = layout;
    fill_identity(h, forked);
    t->seg = h;
    t->ring = (struct hakmem_event *)((char *)p + h->ring_offset);
    hakmem_seg_populate(t->ring, cap * sizeof(struct hakmem_event), MADV_POPULATE_WRITE);
    t->counters = (struct hakmem_seg_counters *)((char *)p + h->counters_offset);
    t->occupancy = (struct hakmem_seg_occupancy *)((char *)p + h->occupancy_offset);
    t->occupancy->max = HK_OCCUPANCY_MAX;
    t->stacks = NULL;
    if (stacks) {
        t->stacks = (struct hakmem_seg_stacks *)((char *)p + h->stacks_offset);
        t->stacks->capacity = stacks_max();
        hk_stack_load_modules(t->stacks);
    }
    t->mask = cap - 1;
    t->mode = mode;
    t->size = size;
    size_t n = strlen(path);
    memcpy(t->path, path, n < sizeof t->path ? n + 1 : sizeof t->path);
    t->path[sizeof t->path - 1] = '\0';
    atomic_store_explicit((_Atomic uint32_t *)&h->ready, 1, memory_order_release);
    atomic_store_explicit(&t->on, true, memory_order_release);
    return 0;
}

int hk_segment_create(struct hk_trace *t, const char *path, uint64_t cap, unsigned mode, bool stacks)
{
    return create(t, path, cap, mode, stacks, false);
}

/* A forked image that wrote no event and that nobody drains: it has nothing
 * to keep, and no reader will ever open it (readers wait for its first event). */
static bool empty_fork(const struct hakmem_seg_header *h)
{
    return (h->flags & HAKMEM_SEG_FORKED) && h->head == 0 && h->reader_pid == 0;
}

enum retired { NOT_OURS, RETIRED, RETIRED_EMPTY };

/* When path is a regular file of ours holding a segment of this very pid —
 * an earlier image of this process, before it called exec — marks it
 * exited; RETIRED_EMPTY when it was an empty forked image (see empty_fork). */
static enum retired retire_exec_image(const char *path)
{
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NOT_OURS;
    struct stat st;
    struct hakmem_seg_header h;
    bool ours = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
                pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
                memcmp(h.magic, HAKMEM_SEG_MAGIC, sizeof h.magic) == 0 && h.pid == getpid();
    if (ours) {
        uint64_t now = hk_now_ns();
        uint32_t one = 1;
        ours = pwrite(fd, &now, sizeof now, offsetof(struct hakmem_seg_header, exit_mono_ns)) > 0 &&
               pwrite(fd, &one, sizeof one, offsetof(struct hakmem_seg_header, exited)) > 0;
    }
    close(fd);
    return !ours ? NOT_OURS : empty_fork(&h) ? RETIRED_EMPTY : RETIRED;
}

/* Opens the segment at path (then named in path), or beside it: after an
 * exec the old image's segment still holds our pid's name; it is marked
 * exited, then replaced (or, when kept for a reader, we record beside it as
 * PATH.1, PATH.2, ...). Returns 0 or an errno. */
static int open_image(char *path, size_t len, uint64_t cap, unsigned mode, bool stacks,
                      bool forked)
{
    int e = create(&hk_trace, path, cap, mode, stacks, forked);
    enum retired old = e == EEXIST ? retire_exec_image(path) : NOT_OURS;
    if (old == NOT_OURS)
        return e;
    if ((old == RETIRED_EMPTY || !hk_opt[HK_OPT_TRACE_KEEP]) && unlink(path) == 0)
        e = create(&hk_trace, path, cap, mode, stacks, forked);
    char alt[sizeof hk_trace.path + 8];
    for (int n = 1; e == EEXIST && n < 16; n++) {
        hk_fmt(alt, sizeof alt, "%s.%d", path, n);
        e = create(&hk_trace, alt, cap, mode, stacks, forked);
        if (e != EEXIST)
            hk_fmt(path, len, "%s", alt);
    }
    return e;
}

/* Start-up: HAKMEM_TRACE=1 or =/PATH opens the segment (HAKMEM_TRACE_ONLY=PID:
 * only in process PID). */
void hk_segment_init(void)
{
    if (!hk_config_trace || !hk_opt[HK_OPT_TRACE] ||
        (hk_opt[HK_OPT_TRACE_ONLY] && hk_opt[HK_OPT_TRACE_ONLY] != getpid()))
        return;
    char path[256];
    if (hk_opt_path[0])
        hk_fmt(path, sizeof path, "%s", hk_opt_path);
    else
        hk_fmt(path, sizeof path, HAKMEM_SEG_PATH_FMT, (int)getpid());
    hk_tsc_init(true); /* before the header's start time: the events' clock */
    uint64_t cap = 1024;
    while (cap < (uint64_t)hk_opt[HK_OPT_TRACE_EVENTS])
        cap <<= 1;
    int e = open_image(path, sizeof path, cap, (unsigned)hk_opt[HK_OPT_TRACE_MODE],
                       want_stacks(), false);
    if (e)
        hk_log("hakmem: cannot create trace segment %s: %s; this process runs untraced\n", path,
               e == EEXIST ? "it exists (another process traces into it, or a symlink)" : strerror(e));
    else
        hk_stats_move_to(hk_trace.counters);
}

/* Marks the segment finished and unmaps it; removes the file unless keep
 * (an empty forked image is removed all the same: see empty_fork). */
void hk_segment_close(struct hk_trace *t, bool keep)
{
    struct hakmem_seg_header *h = t->seg;
    if (!h)
        return;
    atomic_store_explicit(&t->on, false, memory_order_relaxed);
    if (h->flags & HAKMEM_SEG_FORKED) /* no sampler thread: its last occupancy now */
        hk_occupancy_sample(t->occupancy);
    h->exit_mono_ns = hk_now_ns();
    atomic_store_explicit((_Atomic uint32_t *)&h->exited, 1, memory_order_release);
    if (!keep || empty_fork(h))
        remove_file(t);
}

/* Exit: removes the segment unless HAKMEM_TRACE_KEEP=1. The mapping stays:
 * threads still running may emit into it until the process is gone. */
void hk_segment_exit(void)
{
    hk_segment_close(&hk_trace, hk_opt[HK_OPT_TRACE_KEEP]);
}

/* A forked child (one thread, from the first instruction after fork) writes
 * nothing of its parent's: its counters become its own, copied from the
 * parent's, and when the parent traced into /dev/shm/hakmem.<pid> the child
 * traces into its own segment, named by its pid and marked HAKMEM_SEG_FORKED.
 * Nothing is printed: a child that cannot create one runs untraced. */
void hk_segment_atfork_child(void)
{
    static struct hakmem_seg_counters own;
    struct hk_trace parent = hk_trace;
    atomic_store_explicit(&hk_trace.on, false, memory_order_relaxed);
    hk_trace.seg = NULL;
    hk_trace.ring = NULL;
    hk_trace.counters = NULL;
    hk_trace.occupancy = NULL;
    hk_trace.stacks = NULL;
    hk_stats_move_to(&own);
    hk_occupancy_atfork_child();
    if (parent.seg && parent.dirfd >= 0)
        close(parent.dirfd);
    if (!parent.seg || hk_opt_path[0])
        return;
    char path[256];
    hk_fmt(path, sizeof path, HAKMEM_SEG_PATH_FMT, (int)getpid());
    if (open_image(path, sizeof path, parent.mask + 1, parent.mode, parent.stacks != NULL, true) != 0)
        return;
    hk_stats_move_to(hk_trace.counters);
    hk_occupancy_sample(hk_trace.occupancy);
}
