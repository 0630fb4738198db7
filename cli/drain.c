/* drain.c — one trace segment drained into a run of the database: header
 * checks, the poll/drain/commit loop, and how the run ended. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "hakmem_reader.h"

#define BATCH 8192 /* events per reader call: 512 KiB of buffer */

int hk_drain_peek(const char *path, struct hakmem_seg_header *h)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC); /* a FIFO never blocks */
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    ssize_t n = pread(fd, h, sizeof *h, 0);
    close(fd);
    return n == (ssize_t)sizeof *h && memcmp(h->magic, HAKMEM_SEG_MAGIC, 8) == 0 ? 0 : -1;
}

/* 1 when pid names a live process other than us. */
static int other_reader(pid_t pid)
{
    return pid > 0 && pid != getpid() && (kill(pid, 0) == 0 || errno == EPERM);
}

int hk_drain_busy(const char *path, char *err, size_t errlen)
{
    struct hakmem_seg_header h;
    if (hk_drain_peek(path, &h) == 0 && other_reader(h.reader_pid))
        return hk_fail(err, errlen, "%s is being drained by process %d already", path,
                       (int)h.reader_pid);
    return 0;
}

int hk_drain_check(struct hakmem_reader *r, const char *path, char *err, size_t errlen)
{
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    if (hakmem_reader_error(r))
        return hk_fail(err, errlen, "%s", hakmem_reader_error(r));
    if (h->ready != 1)
        return hk_fail(err, errlen, "%s is incomplete: its writer never finished the header", path);
    if (h->mode > HAKMEM_TRACE_OVERWRITE || h->exited > 1)
        return hk_fail(err, errlen, "%s is a corrupt hakmem trace segment (bad mode or state)", path);
    if (c.consumed > c.written ||
        (h->mode == HAKMEM_TRACE_LOSSLESS && c.written - c.consumed > h->ring_capacity))
        return hk_fail(err, errlen,
                       "%s is a corrupt hakmem trace segment (ring counters %llu written, "
                       "%llu consumed, capacity %llu)",
                       path, (unsigned long long)c.written, (unsigned long long)c.consumed,
                       (unsigned long long)h->ring_capacity);
    if (other_reader(h->reader_pid))
        return hk_fail(err, errlen, "%s is being drained by process %d already", path,
                       (int)h->reader_pid);
    return 0;
}

/* Copies a header string that may lack its NUL. */
static void copy_str(char *dst, size_t cap, const char *src, size_t srclen)
{
    size_t n = strnlen(src, srclen < cap - 1 ? srclen : cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void hk_drain_meta(struct hakmem_reader *r, const char *source, const char *path,
                   struct hk_seg_meta *m)
{
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    memset(m, 0, sizeof *m);
    copy_str(m->exe, sizeof m->exe, h->exe, sizeof h->exe);
    copy_str(m->argv, sizeof m->argv, h->cmdline, sizeof h->cmdline);
    copy_str(m->segment, sizeof m->segment, path, strlen(path));
    struct hk_run_info *in = &m->info;
    in->pid = h->pid;
    in->ppid = h->ppid;
    in->exe = m->exe;
    in->argv = m->argv;
    in->segment = m->segment;
    in->source = source;
    in->mode = h->mode == HAKMEM_TRACE_OVERWRITE ? "overwrite" : "lossless";
    in->started_ns = (int64_t)h->start_real_ns;
    in->start_mono_ns = (int64_t)h->start_mono_ns;
    in->format_version = h->version;
    in->ring_capacity = (int64_t)h->ring_capacity;
    in->profile_rate = h->profile_rate > INT64_MAX ? INT64_MAX : (int64_t)h->profile_rate;
    in->nclasses = h->nclasses;
    in->class_size = h->class_size;
    in->class_capacity = h->class_capacity;
}

int64_t hk_drain_ended_ns(struct hakmem_reader *r)
{
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    if (!hakmem_reader_exited(r) || h->exit_mono_ns < h->start_mono_ns)
        return (int64_t)hk_real_ns();
    return (int64_t)(h->start_real_ns + (h->exit_mono_ns - h->start_mono_ns));
}

static uint64_t duration_ns(struct hakmem_reader *r)
{
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    uint64_t end = hakmem_reader_exited(r) ? h->exit_mono_ns : hk_mono_ns();
    return end > h->start_mono_ns ? end - h->start_mono_ns : 0;
}

/* Stores n events and commits when the transaction is big or old enough. */
static int store(struct hk_sink *s, const struct hakmem_event *ev, size_t n,
                 const struct hk_drain_opts *o, char *err, size_t errlen)
{
    if (hk_sink_add(s, ev, n, err, errlen) != 0)
        return -1;
    if (s->in_tx >= o->commit_events)
        return hk_sink_commit(s, err, errlen);
    return hk_sink_commit_due(s, o->commit_ms, err, errlen);
}

/* Where the reader stands: tickets it has moved past (read or lost). The
 * reader may be read-only (ingest), so this is counted here, not read back. */
struct cursor {
    uint64_t start, delivered, lost;
};

static uint64_t consumed(const struct cursor *k)
{
    return k->start + k->delivered + k->lost;
}

static size_t pull(struct hakmem_reader *r, struct cursor *k, struct hakmem_event *buf)
{
    size_t n = hakmem_reader_drain(r, buf, BATCH, &k->lost);
    k->delivered += n;
    return n;
}

/* After the producer finished: what is left, up to the head seen now (a
 * producer still running after a Ctrl-C cannot keep us here). Returns the
 * head it drained to in *target. */
static int drain_rest(struct hakmem_reader *r, struct hk_sink *s, struct hakmem_event *buf,
                      struct cursor *k, uint64_t *target, const struct hk_drain_opts *o,
                      char *err, size_t errlen)
{
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    *target = c.written;
    size_t n;
    do {
        n = pull(r, k, buf);
        if (n && store(s, buf, n, o, err, errlen) != 0)
            return -1;
    } while (n > 0 && consumed(k) < *target);
    return 0;
}

int hk_drain(struct hakmem_reader *r, struct hk_sink *s, const struct hk_drain_opts *o,
             struct hk_drained *out, char *err, size_t errlen)
{
    struct hakmem_event *buf = malloc(BATCH * sizeof *buf);
    if (!buf)
        return hk_fail(err, errlen, "out of memory");
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    struct cursor k = { .start = c.consumed };
    uint64_t target = 0, last_tick = hk_mono_ns();
    int rc = 0, nap = 1; /* ms: 1 after events, doubling to 10 while the ring stays empty */
    for (;;) {
        if (o->tick && hk_mono_ns() - last_tick >= 100000000u) {
            last_tick = hk_mono_ns();
            if ((rc = o->tick(o->ctx, err, errlen)) != 0)
                break;
        }
        size_t n = pull(r, &k, buf);
        if (hakmem_reader_error(r))
            break;
        if (n) {
            if ((rc = store(s, buf, n, o, err, errlen)) != 0)
                break;
            nap = 1;
            continue;
        }
        if (o->done(o->ctx)) {
            rc = drain_rest(r, s, buf, &k, &target, o, err, errlen);
            break;
        }
        if ((rc = hk_sink_commit_due(s, o->commit_ms, err, errlen)) != 0)
            break;
        hk_sleep_ms(nap); /* a busy program's exit is seen within a millisecond or two */
        nap = nap < 5 ? 2 * nap : 10;
    }
    free(buf);
    if (rc == 0 && hakmem_reader_error(r)) /* truncated: what was stored stays, the run fails */
        rc = hk_fail(err, errlen, "%s", hakmem_reader_error(r));
    hakmem_reader_counts(r, &c);
    memset(out, 0, sizeof *out);
    out->events = k.delivered;
    out->dropped = c.dropped;
    /* tickets up to target that never showed a published event */
    out->unreadable = target > consumed(&k) ? target - consumed(&k) : 0;
    if (out->unreadable > hakmem_reader_header(r)->ring_capacity) /* a head made up */
        out->unreadable = hakmem_reader_header(r)->ring_capacity;
    out->lost = k.lost + out->unreadable;
    out->duration_ns = duration_ns(r);
    hk_sink_counts(s, out->dropped, out->lost);
    return rc;
}
