/* session.c — recording a live process (record, attach): each of its images
 * drained into a run while it runs, occupancy sampled, stacks stored, Ctrl-C
 * handled, a summary line per run. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "hakmem_reader.h"

static volatile sig_atomic_t signals_seen, last_signal;
static volatile pid_t forward_to;

/* The first SIGINT/SIGTERM/SIGHUP goes on to the traced process when a
 * process sent it to us alone (a terminal's Ctrl-C reaches its whole process
 * group already); recording goes on until it exits. The second stops now. */
static void on_signal(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    int saved = errno;
    signals_seen++;
    last_signal = sig;
    if (signals_seen == 1 && forward_to > 0 && info && info->si_code <= 0)
        kill(forward_to, sig);
    errno = saved;
}

void hk_session_signals(pid_t target)
{
    forward_to = target;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int hk_session_signal(int *count)
{
    if (count)
        *count = signals_seen;
    return last_signal;
}

/* Stop at once: a second signal (or the first, when nothing is forwarded). */
static int stop_now(void)
{
    return signals_seen >= 2 || (signals_seen >= 1 && forward_to <= 0);
}

struct image {
    struct hk_session *s;
    struct hakmem_reader *r;
    struct hk_sink sink;
    struct hk_occ_sampler occ;
};

static int image_done(void *ctx)
{
    struct image *im = ctx;
    return stop_now() || hakmem_reader_exited(im->r) || hk_follow_newer(&im->s->follow) ||
           im->s->finished(im->s);
}

static int image_tick(void *ctx, char *err, size_t errlen)
{
    struct image *im = ctx;
    return hk_occ_sample(&im->occ, im->r, &im->sink, 0, err, errlen);
}

static void summary(const struct hk_session *s, const struct hk_seg_meta *m,
                    const struct hk_drained *d, int64_t run)
{
    fprintf(stderr,
            "%s: %s %llu events (%llu dropped, %llu lost) of %s (pid %lld) in %.3f s into %s "
            "(run %lld)\n",
            HK_PROG, s->verb, (unsigned long long)d->events, (unsigned long long)d->dropped,
            (unsigned long long)d->lost, *m->exe ? hk_basename(m->exe) : "?",
            (long long)m->info.pid, (double)d->duration_ns / 1e9, s->dbpath, (long long)run);
    if (d->unreadable)
        hk_say(NULL, "%llu events of pid %lld could not be read (a slot never finished)",
               (unsigned long long)d->unreadable, (long long)m->info.pid);
}

/* The exit status of the last image, once the process is gone and no image follows. */
static int image_status(struct hk_session *s)
{
    if (stop_now() || hk_follow_newer(&s->follow) || !s->finished(s))
        return -1;
    return s->exit_status;
}

static int drain_image(struct hk_session *s, struct hakmem_reader *r, const char *path, char *err,
                       size_t errlen)
{
    static struct hk_seg_meta m;
    struct image im = { .s = s, .r = r };
    hk_drain_meta(r, s->source, path, &m);
    m.info.options = s->options;
    if (hk_sink_open(&im.sink, s->db, &m.info, 0, err, errlen) != 0)
        return -1;
    struct hk_drained d;
    struct hk_drain_opts o = { .commit_ms = 100, .commit_events = 1u << 18, .done = image_done,
                               .tick = image_tick, .ctx = &im };
    int rc = hk_occ_init(&im.occ, r, err, errlen);
    if (rc == 0)
        rc = hk_drain(r, &im.sink, &o, &d, err, errlen);
    if (rc == 0)
        rc = hk_occ_sample(&im.occ, r, &im.sink, 1, err, errlen);
    hk_occ_free(&im.occ);
    int status = rc == 0 ? image_status(s) : -1;
    if (hk_sink_close(&im.sink, hk_drain_ended_ns(r), status, rc ? NULL : err, errlen) != 0)
        rc = -1;
    if (rc == 0)
        rc = hk_stacks_store(r, s->db, im.sink.run_id, err, errlen);
    if (rc == 0) {
        summary(s, &m, &d, im.sink.run_id);
        s->runs++;
        s->events += d.events;
        s->last_run = status < 0 ? im.sink.run_id : 0;
    }
    return rc;
}

/* The last image ended before its process was reaped: its status comes now. */
static int late_status(struct hk_session *s, char *err, size_t errlen)
{
    if (!s->last_run || s->exit_status < 0 || hk_follow_newer(&s->follow))
        return 0;
    sqlite3_stmt *st = hk_db_prepare(s->db, "UPDATE runs SET exit_status = ? WHERE run_id = ?",
                                     err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int(st, 1, s->exit_status);
    sqlite3_bind_int64(st, 2, s->last_run);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_fail(err, errlen, "cannot store the exit status: %s",
                                           sqlite3_errmsg(s->db));
}

int hk_session_run(struct hk_session *s, char *err, size_t errlen)
{
    char path[sizeof s->follow.base + 8];
    for (;;) {
        /* finished first, next second: an image that exited meanwhile is
         * still found by the look that follows */
        int finished = stop_now() || s->finished(s);
        err[0] = '\0';
        struct hakmem_reader *r = hk_follow_next(&s->follow, path, sizeof path, err, errlen);
        if (!r && err[0])
            return -1;
        if (r) {
            int rc = drain_image(s, r, path, err, errlen);
            hakmem_reader_close(r);
            if (rc != 0)
                return -1;
            continue;
        }
        if (finished)
            return stop_now() ? 0 : late_status(s, err, errlen);
        hk_sleep_ms(10);
    }
}
