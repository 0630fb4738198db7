/* session.c — recording a live process (record, attach): each of its images
 * drained into a run while it runs, occupancy sampled, stacks stored, Ctrl-C
 * handled, a summary line per run. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
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

#define HOT_NS 50000000ull /* how long the loop looks every ms after a new file */
#define MAX_DRAINING 32 /* images drained at once (a thread and a connection each) */

/* One image being drained by a thread of its own, through a connection of
 * its own (the connections take turns at the write lock). */
/* Runs are numbered in the order images were found: each drain opens its
 * run once the one before it has (open_turn). */
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t open_cv = PTHREAD_COND_INITIALIZER;
static unsigned opened, tickets;

static void open_turn(unsigned ticket)
{
    pthread_mutex_lock(&open_mu);
    while (opened != ticket)
        pthread_cond_wait(&open_cv, &open_mu);
    pthread_mutex_unlock(&open_mu);
}

static void open_done(void)
{
    pthread_mutex_lock(&open_mu);
    opened++;
    pthread_cond_broadcast(&open_cv);
    pthread_mutex_unlock(&open_mu);
}

struct image {
    struct hk_session *s;
    unsigned ticket;        /* its place in open_turn's order */
    int turn_done;
    int borrowed;           /* drained through s->db (lent while no other image has it) */
    struct hakmem_reader *r;
    pthread_t thread;
    atomic_int done;
    int rc;
    int64_t run;
    uint64_t events;
    pid_t pid;
    uint64_t start;
    char path[sizeof ((struct hk_follow *)0)->dir + 256];
    char options[2048];
    char err[HK_ERR_MAX];
    struct hk_seg_meta m;
    struct hk_sink sink;
    struct hk_occ_sampler occ;
};

/* An image ends when it exits (or execs: the new image marks it exited) or
 * its process is gone. */
static int image_done(void *ctx)
{
    struct image *im = ctx;
    return stop_now() || hakmem_reader_exited(im->r) || !hk_pid_running(im->pid);
}

static int image_tick(void *ctx, char *err, size_t errlen)
{
    struct image *im = ctx;
    return hk_occ_sample(&im->occ, im->r, &im->sink, 0, err, errlen);
}

static void summary(const struct hk_session *s, const struct hk_seg_meta *m,
                    const struct hk_drained *d, int64_t run)
{
    char lost[96] = "", exe[4 * 256]; /* one line, also when a slot never finished */
    hk_printable(*m->exe ? hk_basename(m->exe) : "?", exe, sizeof exe);
    if (d->unreadable)
        snprintf(lost, sizeof lost, "; %llu events could not be read (a slot never finished)",
                 (unsigned long long)d->unreadable);
    fprintf(stderr,
            "%s: %s %llu events (%llu dropped, %llu lost) of %s (pid %lld) in %.3f s into %s "
            "(run %lld)%s\n",
            HK_PROG, s->verb, (unsigned long long)d->events, (unsigned long long)d->dropped,
            (unsigned long long)d->lost, exe, (long long)m->info.pid, (double)d->duration_ns / 1e9, s->dbpath, (long long)run, lost);
}

int hk_trace_setting(const char *var)
{
    return strncmp(var, "HAKMEM_TRACE_MODE=", 18) == 0 ||
           strncmp(var, "HAKMEM_TRACE_EVENTS=", 20) == 0 ||
           strncmp(var, "HAKMEM_TRACE_STACKS=", 20) == 0 ||
           strncmp(var, "HAKMEM_PROFILE=", 15) == 0 ||
           strncmp(var, "HAKMEM_PROFILE_RATE=", 20) == 0;
}

/* runs.options: the session's settings, then the trace settings the image
 * ran with, from its header (the heap profile's when it had one). */
static void image_options(struct image *im, const struct hakmem_seg_header *h)
{
    const char *base = im->s->options ? im->s->options : "";
    int n = snprintf(im->options, sizeof im->options,
                     "%s%sHAKMEM_TRACE_MODE=%s HAKMEM_TRACE_EVENTS=%llu HAKMEM_TRACE_STACKS=%d",
                     base, *base ? " " : "",
                     h->mode == HAKMEM_TRACE_OVERWRITE ? "overwrite" : "lossless",
                     (unsigned long long)h->ring_capacity, h->stacks_offset ? 1 : 0);
    if (h->profile_rate && n > 0 && (size_t)n < sizeof im->options)
        snprintf(im->options + n, sizeof im->options - (size_t)n,
                 " HAKMEM_PROFILE=1 HAKMEM_PROFILE_RATE=%llu",
                 (unsigned long long)h->profile_rate);
}

static int drain_image(struct image *im, sqlite3 *db, char *err, size_t errlen)
{
    struct hk_session *s = im->s;
    hk_drain_meta(im->r, s->source, im->path, &im->m);
    image_options(im, hakmem_reader_header(im->r));
    im->m.info.options = im->options;
    im->m.info.all_blocks = s->all_blocks;
    int opened_rc = hk_sink_open(&im->sink, db, &im->m.info, 0, err, errlen);
    struct hk_stack_log *log = opened_rc == 0 && s->syms ? hk_stack_log_new(im->path, s->syms) : NULL;
    if (log)
        hk_sink_stacks(&im->sink, log);
    open_done();
    im->turn_done = 1;
    if (opened_rc != 0)
        return -1;
    struct hk_drained d;
    struct hk_drain_opts o = { .commit_ms = 100, .commit_events = 1u << 18, .done = image_done,
                               .tick = image_tick, .ctx = im };
    int rc = hk_occ_init(&im->occ, im->r, err, errlen);
    if (rc == 0)
        rc = hk_drain(im->r, &im->sink, &o, &d, err, errlen);
    if (rc == 0)
        rc = hk_occ_sample(&im->occ, im->r, &im->sink, 1, err, errlen);
    hk_occ_free(&im->occ);
    /* the exit status comes at the end (late_status): only then is it
     * known which image of the process was the last */
    if (hk_sink_close(&im->sink, hk_drain_ended_ns(im->r), -1, rc ? NULL : err, errlen) != 0)
        rc = -1;
    hk_stacks_warm_stop(s->warm); /* from here on, what the stacks ask for */
    if (rc == 0)
        rc = hk_stacks_store(im->r, db, im->sink.run_id, s->syms, log, err, errlen);
    hk_stack_log_free(log);
    if (rc == 0) {
        summary(s, &im->m, &d, im->sink.run_id);
        im->run = im->sink.run_id;
        im->events = d.events;
    }
    return rc;
}

static void *drain_thread(void *arg)
{
    struct image *im = arg;
    sqlite3 *db = im->borrowed ? im->s->db
                               : hk_db_open_write(im->s->dbpath, 1, im->err, sizeof im->err);
    open_turn(im->ticket);
    im->rc = db ? drain_image(im, db, im->err, sizeof im->err) : -1;
    if (!im->turn_done)
        open_done();
    if (!im->borrowed)
        hk_db_close(db);
    hakmem_reader_close(im->r);
    im->r = NULL;
    if (im->s->unlink) /* drained: nobody needs it now */
        unlink(im->path);
    atomic_store(&im->done, 1);
    return NULL;
}

/* The exit status of the root process goes to its last image's run. */
static int late_status(struct hk_session *s, char *err, size_t errlen)
{
    if (!s->last_run || s->exit_status < 0)
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

/* Joins the finished drains (all with wait); the first error into err. */
static int reap(struct hk_session *s, struct image **im, int *n, int wait, char *err,
                size_t errlen)
{
    int rc = 0;
    for (int i = 0; i < *n;) {
        if (!wait && !atomic_load(&im[i]->done)) {
            i++;
            continue;
        }
        pthread_join(im[i]->thread, NULL);
        s->lent &= !im[i]->borrowed;
        if (im[i]->rc != 0 && rc == 0)
            rc = hk_fail(err, errlen, "%s", im[i]->err);
        if (im[i]->rc == 0) {
            s->runs++;
            s->events += im[i]->events;
            if (im[i]->pid == s->root && im[i]->start >= s->last_start) {
                s->last_start = im[i]->start;
                s->last_run = im[i]->run;
            }
        }
        free(im[i]);
        im[i] = im[--*n];
    }
    return rc;
}

/* Starts a drain of r (opened at path) on a thread of its own. */
static int start_image(struct hk_session *s, struct hakmem_reader *r, const char *path,
                       struct image **slot, char *err, size_t errlen)
{
    struct image *im = calloc(1, sizeof *im);
    if (!im) {
        hakmem_reader_close(r);
        return hk_fail(err, errlen, "out of memory");
    }
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    im->s = s;
    im->r = r;
    im->pid = h->pid;
    im->start = h->start_mono_ns;
    snprintf(im->path, sizeof im->path, "%s", path);
    im->ticket = tickets;
    /* the main connection is idle until every drain is joined: an image is
     * drained through it when no other has it, without a connection of its own */
    im->borrowed = !s->lent;
    s->lent = 1;
    /* the first image's modules (the program, libc, ...) read while it runs, not
     * after: their debug information takes a while (libdw inflates it). Only
     * then: s->warm is read by the drains, and set before the first starts. */
    if (im->ticket == 0)
        s->warm = hk_stacks_warm_start(r, s->syms);
    if (pthread_create(&im->thread, NULL, drain_thread, im) != 0) {
        s->lent &= !im->borrowed;
        hakmem_reader_close(r);
        free(im);
        return hk_fail(err, errlen, "cannot start a thread to drain %s", path);
    }
    tickets++;
    *slot = im;
    return 0;
}

static int session_loop(struct hk_session *s, char *err, size_t errlen);

/* Drains every image found until the tree is done; one symbol table for all. */
int hk_session_run(struct hk_session *s, char *err, size_t errlen)
{
    s->syms = hk_symbols_new();
    s->warm = NULL;
    int rc = session_loop(s, err, errlen);
    hk_stacks_warm_end(s->warm);
    s->warm = NULL;
    hk_symbols_free(s->syms);
    s->syms = NULL;
    return rc;
}

static int session_loop(struct hk_session *s, char *err, size_t errlen)
{
    struct image *im[MAX_DRAINING];
    int n = 0, rc = 0, idle = 0;
    char path[sizeof s->follow.dir + 256];
    uint64_t hot_until = hk_mono_ns() + HOT_NS; /* the first image comes at once */
    for (;;) {
        /* finished first, next second: an image that exited meanwhile is
         * still found by the look that follows */
        int finished = stop_now() ? 1 : s->finished(s); /* 0, 1 or 2 */
        rc = reap(s, im, &n, 0, err, errlen); /* first: a new image may take s->db back */
        while (rc == 0 && !stop_now() && n < MAX_DRAINING) {
            err[0] = '\0';
            struct hakmem_reader *r = hk_follow_next(&s->follow, path, sizeof path, err, errlen);
            if (!r) {
                rc = err[0] ? -1 : 0;
                break;
            }
            rc = start_image(s, r, path, &im[n], err, errlen);
            n += rc == 0;
        }
        if (rc == 0)
            rc = reap(s, im, &n, 0, err, errlen);
        if (rc != 0)
            break;
        /* the tree is done when its root is, no drain runs and no segment
         * of it is left: at once when no process of it is left (no segment
         * can appear), else three looks in a row (a child forked just before
         * its parent exited makes its segment in its first instructions) */
        if (finished && !n && (stop_now() || !hk_follow_pending(&s->follow))) {
            if (stop_now() || finished == 2 || ++idle >= 3)
                break;
        } else
            idle = 0;
        /* the root gone, its drains are joined soon after they end; the looks
         * for late segments keep their 10 ms; a new file in the directory
         * wakes the loop, which then looks every millisecond until its
         * segment is ready (a busy program fills the ring in one or two) */
        int hot = hk_mono_ns() < hot_until;
        if (hk_follow_wait(&s->follow, finished && n ? 2 : hot ? 1 : 10))
            hot_until = hk_mono_ns() + HOT_NS;
    }
    if (rc != 0) /* the other drains end as their images do; a second signal stops them */
        reap(s, im, &n, 1, err[0] ? NULL : err, errlen);
    else
        rc = reap(s, im, &n, 1, err, errlen);
    if (rc == 0 && !stop_now())
        rc = late_status(s, err, errlen);
    return rc;
}
