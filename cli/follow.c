/* follow.c — the trace segments a recording drains, found in /dev/shm: every
 * segment of a process tree traced by `record` (the header's recorder_pid is
 * ours), or every image of one process (`attach`: /dev/shm/hakmem.PID, then
 * the images it execs, PID.1 … when kept). Each image is taken once. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "cli.h"
#include "hakmem_reader.h"

int hk_pid_running(pid_t pid)
{
    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
        return 0;
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 1;
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')'); /* the state follows "(comm) " */
    return !(paren && paren[1] == ' ' && (paren[2] == 'Z' || paren[2] == 'X'));
}

void hk_follow_init(struct hk_follow *f, const char *dir, pid_t pid, pid_t recorder)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "%s", dir ? dir : HAKMEM_SEG_DIR);
    f->pid = pid;
    f->recorder = recorder;
    f->notify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (f->notify >= 0 && inotify_add_watch(f->notify, f->dir, IN_CREATE | IN_MOVED_TO) < 0) {
        close(f->notify);
        f->notify = -1;
    }
}

int hk_follow_wait(struct hk_follow *f, unsigned ms)
{
    if (f->notify < 0) {
        hk_sleep_ms(ms);
        return 0;
    }
    struct pollfd pfd = { .fd = f->notify, .events = POLLIN };
    if (poll(&pfd, 1, (int)ms) <= 0)
        return 0;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(f->notify, buf, sizeof buf) > 0)
        ; /* which file does not matter: the next look sees it */
    return 1;
}

void hk_follow_free(struct hk_follow *f)
{
    if (f->notify >= 0)
        close(f->notify);
    f->notify = -1;
    free(f->taken);
    f->taken = NULL;
    f->ntaken = f->cap = 0;
}

/* 1 when the header is a segment f follows. */
static int ours(const struct hk_follow *f, const struct hakmem_seg_header *h)
{
    return f->recorder > 0 ? h->recorder_pid == f->recorder : h->pid == f->pid;
}

static int taken(const struct hk_follow *f, const struct hakmem_seg_header *h)
{
    for (size_t i = 0; i < f->ntaken; i++)
        if (f->taken[i].pid == h->pid && f->taken[i].start == h->start_mono_ns)
            return 1;
    return 0;
}

static int take(struct hk_follow *f, const struct hakmem_seg_header *h)
{
    if (f->ntaken == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        void *p = realloc(f->taken, cap * sizeof *f->taken);
        if (!p)
            return -1;
        f->taken = p;
        f->cap = cap;
    }
    f->taken[f->ntaken].pid = h->pid;
    f->taken[f->ntaken++].start = h->start_mono_ns;
    return 0;
}

/* What to do with a ready segment of ours not taken yet. A forked image
 * stays unopened until its first event: most forks exec at once, and the
 * new image removes the empty one (lib/segment.c); one that ended without
 * an event leaves no run. */
enum verdict { WAIT, OPEN, SKIP, REMOVE };

static enum verdict judge(const struct hakmem_seg_header *h)
{
    if (!(h->flags & HAKMEM_SEG_FORKED) || h->head > 0)
        return OPEN;
    if (h->exited)
        return SKIP; /* its writer (exit, or the exec'd image) removes it */
    return hk_pid_running(h->pid) ? WAIT : REMOVE;
}

/* Calls fn for every ready segment hakmem.* in f->dir with its header. */
static void each_segment(const struct hk_follow *f,
                         void (*fn)(const char *path, const struct hakmem_seg_header *h, void *ctx),
                         void *ctx)
{
    DIR *d = opendir(f->dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, HAKMEM_SEG_PREFIX, sizeof HAKMEM_SEG_PREFIX - 1) != 0)
            continue;
        char path[sizeof f->dir + 256];
        struct hakmem_seg_header h;
        snprintf(path, sizeof path, "%s/%s", f->dir, de->d_name);
        if (hk_drain_peek(path, &h) == 0 && h.ready == 1)
            fn(path, &h, ctx);
    }
    if (d)
        closedir(d);
}

struct scan {
    struct hk_follow *f;
    char path[sizeof ((struct hk_follow *)0)->dir + 256];
    uint64_t start;  /* of the oldest image to open; 0: none */
    int pending;     /* images of ours not finished */
};

static void consider(const char *path, const struct hakmem_seg_header *h, void *ctx)
{
    struct scan *sc = ctx;
    if (!ours(sc->f, h) || taken(sc->f, h))
        return;
    switch (judge(h)) {
    case WAIT:
        sc->pending++;
        return;
    case REMOVE:
        if (sc->f->recorder > 0)
            unlink(path);
        /* fall through */
    case SKIP:
        take(sc->f, h);
        return;
    case OPEN:
        sc->pending++;
        if (!sc->start || h->start_mono_ns < sc->start) {
            sc->start = h->start_mono_ns ? h->start_mono_ns : 1;
            snprintf(sc->path, sizeof sc->path, "%s", path);
        }
    }
}

struct hakmem_reader *hk_follow_next(struct hk_follow *f, char *path, size_t len, char *err,
                                     size_t errlen)
{
    struct scan sc = { .f = f };
    each_segment(f, consider, &sc);
    if (!sc.start)
        return NULL;
    snprintf(path, len, "%s", sc.path);
    struct hakmem_seg_header h;
    if (hk_drain_peek(path, &h) != 0 || take(f, &h) != 0)
        return NULL;
    if (hk_drain_busy(path, err, errlen) != 0)
        return NULL;
    struct hakmem_reader *r = hakmem_reader_open(path, 1, err, errlen);
    if (!r)
        return NULL;
    if (hk_drain_check(r, path, err, errlen) != 0) {
        hakmem_reader_close(r);
        return NULL;
    }
    return r;
}

int hk_follow_pending(struct hk_follow *f)
{
    struct scan sc = { .f = f };
    each_segment(f, consider, &sc);
    return sc.pending;
}

static void remove_ours(const char *path, const struct hakmem_seg_header *h, void *ctx)
{
    if (ours(ctx, h) && unlink(path) != 0 && errno != ENOENT)
        hk_say(NULL, "cannot remove %s: %s", path, strerror(errno));
}

void hk_follow_unlink(struct hk_follow *f)
{
    if (f->recorder > 0)
        each_segment(f, remove_ours, f);
}
