/* sink.c — ring events into one run of the database: the caller counts them
 * (tally) and queues them as rows; a writer thread owns the connection
 * meanwhile and stores them through hk_batch in batched transactions. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define COLS HK_SINK_COLS
#define QUEUE 4 /* batches in flight between the caller and the writer */

enum job_kind { JOB_EVENTS, JOB_OCCUPANCY, JOB_COMMIT, JOB_STOP };

struct job {
    enum job_kind kind;
    size_t n;
    int64_t ended_ns;
    int exit_status;
    int64_t v[HK_SINK_BATCH * HK_SINK_COLS]; /* the events, as rows */
    uint16_t nulls[HK_SINK_BATCH];
    struct hk_occ_row occ[HK_MAX_CLASSES];
};

struct hk_sink_queue {
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job job[QUEUE];
    unsigned head, tail; /* jobs queued: head - tail; the writer takes job[tail % QUEUE] */
    unsigned done;       /* jobs the writer finished */
    int failed;
    char err[HK_ERR_MAX];
};

static int has_slab(unsigned type)
{
    return type == HAKMEM_EV_SLAB_ACQUIRE || type == HAKMEM_EV_SLAB_EMPTY ||
           type == HAKMEM_EV_SLAB_RELEASE || type == HAKMEM_EV_HEAP_ERROR ||
           type == HAKMEM_EV_SLAB_PIN;
}

static int has_reason(unsigned type)
{
    return type == HAKMEM_EV_SS_MAP || type == HAKMEM_EV_SS_UNMAP ||
           type == HAKMEM_EV_LRU_EVICT || type == HAKMEM_EV_SLAB_RELEASE ||
           type == HAKMEM_EV_SLAB_PIN;
}

void hk_row_of(const struct hakmem_event *ev, struct hk_row *r)
{
    r->cls = ev->cls == HAKMEM_NONE ? -1 : ev->cls;
    r->stage = ev->stage == HAKMEM_NONE ? -1 : ev->stage;
    r->ss = ev->ss_id ? (int64_t)ev->ss_id : -1;
    r->slab = has_slab(ev->type) ? (int64_t)ev->slab : -1;
    r->reason = has_reason(ev->type) ? (int64_t)ev->reason : -1;
    if (ev->type == HAKMEM_EV_HEAP_ERROR) /* its kind is in arg1: counted like a reason */
        r->reason = ev->arg1 < 256 ? (int64_t)ev->arg1 : HAKMEM_NONE;
    if (ev->type == HAKMEM_EV_HEAP_ERROR && !ev->ss_id)
        r->slab = -1;
    r->stack_id = ev->stack_id ? (int64_t)ev->stack_id : -1;
    r->ss_addr = (ev->type >= HAKMEM_EV_SS_MAP && ev->type <= HAKMEM_EV_LRU_EVICT) ||
                         (ev->type == HAKMEM_EV_HEAP_ERROR && ev->ss_id)
                     ? (int64_t)ev->ss_addr : -1;
}

static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
    if (v < 0)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static int insert_run(struct hk_sink *s, const struct hk_run_info *in, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(
        s->db,
        "INSERT INTO runs (pid, exe, argv, started_ns, mode, format_version, options, source,"
        " segment, ring_capacity, start_mono_ns, ppid, profile_rate)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, in->pid);
    sqlite3_bind_text(st, 2, in->exe, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, in->argv, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, in->started_ns);
    sqlite3_bind_text(st, 5, in->mode, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, in->format_version);
    sqlite3_bind_text(st, 7, in->options, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, in->source, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, in->segment, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 10, in->ring_capacity);
    sqlite3_bind_int64(st, 11, in->start_mono_ns);
    bind_opt(st, 12, in->ppid > 0 ? in->ppid : -1);
    sqlite3_bind_int64(st, 13, in->profile_rate);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return hk_fail(err, errlen, "cannot add the run: %s", sqlite3_errmsg(s->db));
    s->run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int insert_classes(struct hk_sink *s, const struct hk_run_info *in, char *err,
                          size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(s->db, "INSERT INTO classes VALUES (?, ?, ?, ?)", err, errlen);
    if (!st)
        return -1;
    int rc = SQLITE_DONE;
    for (uint32_t c = 0; c < in->nclasses && rc == SQLITE_DONE; c++) {
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_int64(st, 2, c);
        sqlite3_bind_int64(st, 3, in->class_size[c]);
        sqlite3_bind_int64(st, 4, in->class_capacity[c]);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_fail(err, errlen, "cannot add the size classes: %s",
                                           sqlite3_errmsg(s->db));
}

/* ---- the writer thread's side */

static int begin(struct hk_sink *s, char *err, size_t errlen)
{
    if (s->tx_open)
        return 0;
    if (hk_db_exec(s->db, "BEGIN", err, errlen) != 0)
        return -1;
    s->tx_open = 1;
    return 0;
}

static int write_events(struct hk_sink *s, const struct job *j, char *err, size_t errlen)
{
    if (begin(s, err, errlen) != 0)
        return -1;
    s->batch.v = j->v;
    s->batch.nulls = j->nulls;
    s->batch.n = j->n;
    int rc = sqlite3_step(s->ins);
    sqlite3_reset(s->ins);
    s->batch.v = NULL;
    if (rc != SQLITE_DONE)
        return hk_fail(err, errlen, "cannot store events: %s", sqlite3_errmsg(s->db));
    return 0;
}

static int write_occupancy(struct hk_sink *s, const struct hk_occ_row *o, size_t n, char *err,
                           size_t errlen)
{
    if (begin(s, err, errlen) != 0)
        return -1;
    sqlite3_stmt *st = s->occ;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, s->run_id);
        sqlite3_bind_int64(st, 2, o[i].ts_ns);
        sqlite3_bind_int64(st, 3, o[i].cls);
        sqlite3_bind_int64(st, 4, o[i].slabs);
        sqlite3_bind_int64(st, 5, o[i].used);
        sqlite3_bind_int64(st, 6, o[i].capacity);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return hk_fail(err, errlen, "cannot store occupancy: %s", sqlite3_errmsg(s->db));
    }
    return 0;
}

/* The process's counters as run_counters rows (zero per-class ones left out). */
static int write_counters(struct hk_sink *s, char *err, size_t errlen)
{
    sqlite3_stmt *st = s->cnt;
    for (size_t i = 0; s->have_counters && i < hk_ncounter_fields; i++) {
        const struct hk_counter_field *f = &hk_counter_fields[i];
        for (unsigned k = 0; k < f->count; k++) {
            uint64_t v = hk_counter_value(&s->counters, f, k);
            if (f->count > 1 && !v)
                continue;
            sqlite3_bind_int64(st, 1, s->run_id);
            sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, k);
            sqlite3_bind_int64(st, 4, (int64_t)(v & INT64_MAX));
            int rc = sqlite3_step(st);
            sqlite3_reset(st);
            if (rc != SQLITE_DONE)
                return hk_fail(err, errlen, "cannot store the counters: %s", sqlite3_errmsg(s->db));
        }
    }
    return 0;
}

/* Writes the run's counts (and, when final, its end) into the open transaction. */
static int update_run(struct hk_sink *s, const struct job *j, char *err, size_t errlen)
{
    sqlite3_stmt *st = s->upd;
    sqlite3_bind_int64(st, 1, (int64_t)s->events);
    sqlite3_bind_int64(st, 2, (int64_t)s->dropped);
    sqlite3_bind_int64(st, 3, (int64_t)s->lost);
    bind_opt(st, 4, j->ended_ns);
    bind_opt(st, 5, j->exit_status);
    sqlite3_bind_int64(st, 6, (int64_t)hk_real_ns());
    bind_opt(st, 7, s->end_ns);
    bind_opt(st, 8, s->end_ns >= 0 ? s->end_final : -1);
    sqlite3_bind_int64(st, 9, s->run_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return hk_fail(err, errlen, "cannot update the run: %s", sqlite3_errmsg(s->db));
    return 0;
}

/* The caller waits meanwhile, so the tally and the counts hold still. */
static int write_commit(struct hk_sink *s, const struct job *j, char *err, size_t errlen)
{
    int last = j->ended_ns >= 0;
    if (last && s->bulk)
        sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    int rc = begin(s, err, errlen);
    if (rc == 0) /* a bulk load rewrites its slabs once, at its end */
        rc = hk_tally_flush(s->tally, s->db, s->run_id, !s->bulk || last, err, errlen);
    if (rc == 0) /* and its live sampled blocks */
        rc = hk_heapprof_flush(s->prof, s->db, s->run_id, !s->bulk || last, last, err, errlen);
    if (rc == 0)
        rc = update_run(s, j, err, errlen);
    if (rc == 0)
        rc = write_counters(s, err, errlen);
    if (rc == 0)
        rc = hk_db_exec(s->db, "COMMIT", err, errlen);
    if (rc == 0)
        s->tx_open = 0;
    s->ended |= last; /* the end stores the stacks left */
    return rc;
}

/* A slice of the stacks' work between jobs, into the open transaction: their
 * symbols are looked up while the caller drains on (inside a commit, which the
 * caller waits for, a program's first pass held it, and so the program, 0.6 s). */
#define STACKS_SLICE_NS 2000000

static int stacks_slice(struct hk_sink *s, char *err, size_t errlen)
{
    int rc = begin(s, err, errlen);
    return rc == 0 ? hk_stack_log_work(s->stacks, s->db, s->run_id,
                                       hk_mono_ns() + STACKS_SLICE_NS, err, errlen) : rc;
}

static int run_job(struct hk_sink *s, struct job *j, char *err, size_t errlen)
{
    switch (j->kind) {
    case JOB_EVENTS:
        return write_events(s, j, err, errlen);
    case JOB_OCCUPANCY:
        return write_occupancy(s, j->occ, j->n, err, errlen);
    case JOB_COMMIT:
        return write_commit(s, j, err, errlen);
    case JOB_STOP:
        break;
    }
    return 0;
}

static void *writer(void *arg)
{
    struct hk_sink *s = arg;
    struct hk_sink_queue *q = s->q;
    char err[HK_ERR_MAX];
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->head == q->tail) {
            if (q->failed || s->ended || !hk_stack_log_due(s->stacks)) {
                pthread_cond_wait(&q->cv, &q->mu); /* a commit comes within 100 ms */
                continue;
            }
            pthread_mutex_unlock(&q->mu);
            int rc = stacks_slice(s, err, sizeof err);
            pthread_mutex_lock(&q->mu);
            if (rc != 0 && !q->failed) {
                q->failed = 1;
                memcpy(q->err, err, sizeof err);
            }
        }
        struct job *j = &q->job[q->tail % QUEUE];
        int failed = q->failed;
        pthread_mutex_unlock(&q->mu);
        int rc = failed || j->kind == JOB_STOP ? 0 : run_job(s, j, err, sizeof err);
        pthread_mutex_lock(&q->mu);
        if (rc != 0 && !q->failed) {
            q->failed = 1;
            memcpy(q->err, err, sizeof err);
        }
        q->tail++;
        q->done++;
        pthread_cond_broadcast(&q->cv);
        if (j->kind == JOB_STOP)
            break;
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* ---- the caller's side */

/* The next free job slot, once there is one: the writer never touches it
 * before job_put. */
static struct job *job_get(struct hk_sink_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->head - q->tail == QUEUE)
        pthread_cond_wait(&q->cv, &q->mu);
    pthread_mutex_unlock(&q->mu);
    return &q->job[q->head % QUEUE];
}

/* Hands the job got from job_get to the writer; with wait, until it is done. */
static int job_put(struct hk_sink *s, int wait, char *err, size_t errlen)
{
    struct hk_sink_queue *q = s->q;
    pthread_mutex_lock(&q->mu);
    unsigned mine = ++q->head;
    pthread_cond_broadcast(&q->cv);
    while (wait && q->done < mine)
        pthread_cond_wait(&q->cv, &q->mu);
    int failed = q->failed;
    if (failed) {
        s->failed = 1;
        hk_fail(err, errlen, "%s", q->err);
    }
    pthread_mutex_unlock(&q->mu);
    return failed ? -1 : 0;
}

static int start_writer(struct hk_sink *s, char *err, size_t errlen)
{
    struct hk_sink_queue *q = calloc(1, sizeof *q);
    if (!q)
        return hk_fail(err, errlen, "out of memory");
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    s->q = q;
    if (pthread_create(&q->writer, NULL, writer, s) != 0) {
        free(q);
        s->q = NULL;
        return hk_fail(err, errlen, "cannot start the writer thread");
    }
    return 0;
}

static void free_statements(struct hk_sink *s)
{
    sqlite3_finalize(s->ins);
    sqlite3_finalize(s->upd);
    sqlite3_finalize(s->occ);
    sqlite3_finalize(s->cnt);
    s->ins = s->upd = s->occ = s->cnt = NULL;
}

static int prepare_all(struct hk_sink *s, char *err, size_t errlen)
{
    s->batch = (struct hk_batch){ .ncols = HK_SINK_COLS,
                                  .columns = "run_id, seq, ts_ns, tid, type, class, ss, slab,"
                                             " stage, arg0, arg1, stack_id, reason, ss_addr" };
    if (hk_batch_register(s->db, "hk_batch", &s->batch, err, errlen) != 0)
        return -1;
    s->ins = hk_db_prepare(s->db, "INSERT INTO events SELECT * FROM hk_batch", err, errlen);
    s->upd = hk_db_prepare(s->db,
                           "UPDATE runs SET events = ?, dropped = ?, lost = ?, ended_ns = ?,"
                           " exit_status = ?, updated_ns = ?, end_ns = ?, end_final = ?"
                           " WHERE run_id = ?", err, errlen);
    s->occ = hk_db_prepare(s->db, "INSERT INTO occupancy VALUES (?, ?, ?, ?, ?, ?)", err, errlen);
    s->cnt = hk_db_prepare(s->db, "INSERT OR REPLACE INTO run_counters VALUES (?, ?, ?, ?)", err,
                           errlen);
    return s->ins && s->upd && s->occ && s->cnt ? 0 : -1;
}

int hk_sink_open(struct hk_sink *s, sqlite3 *db, const struct hk_run_info *info, int bulk,
                 char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->db = db;
    s->start_mono_ns = info->start_mono_ns;
    s->end_ns = -1;
    s->tally = hk_tally_new();
    s->prof = hk_heapprof_new(info->start_mono_ns, info->profile_rate, info->all_blocks);
    if (!s->tally || !s->prof) {
        hk_tally_free(s->tally);
        hk_heapprof_free(s->prof);
        return hk_fail(err, errlen, "out of memory");
    }
    int rc = hk_db_exec(db, "BEGIN IMMEDIATE", err, errlen);
    if (rc == 0 && (insert_run(s, info, err, errlen) != 0 || insert_classes(s, info, err, errlen) != 0))
        rc = -1;
    if (rc == 0)
        rc = hk_db_exec(db, "COMMIT", err, errlen);
    else
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    /* A bulk load syncs once, with its last commit: a killed loader still
     * leaves a valid database (only a crash of the OS could cost more), its
     * events and counts committed, its slabs tables written at the end. */
    if (rc == 0 && bulk && hk_db_exec(db, "PRAGMA synchronous = OFF", err, errlen) == 0)
        s->bulk = 1;
    if (rc == 0)
        rc = prepare_all(s, err, errlen);
    if (rc == 0)
        rc = start_writer(s, err, errlen);
    if (rc != 0) {
        free_statements(s);
        hk_tally_free(s->tally);
        hk_heapprof_free(s->prof);
        memset(s, 0, sizeof *s);
    }
    return rc;
}

/* Events ahead of the one aggregated whose block records are prefetched (and
 * twice as far, their index slots): the block map of a big heap is read at
 * random, each read a cache miss, so several in flight hide most of the wait. */
#define PREFETCH_AHEAD 8

/* The events ev[0..k) as the job's rows, counted by the tally, but alloc and
 * free to the heap profile; how many rows. */
static size_t queue_rows(struct hk_sink *s, const struct hakmem_event *ev, size_t k, struct job *j)
{
    struct hk_row r;
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (i + 2 * PREFETCH_AHEAD < k)
            hk_heapprof_prefetch(s->prof, &ev[i + 2 * PREFETCH_AHEAD]);
        if (i + PREFETCH_AHEAD < k)
            hk_heapprof_prefetch_rec(s->prof, &ev[i + PREFETCH_AHEAD]);
        if (hk_heapprof_takes(ev[i].type)) {
            hk_heapprof_add(s->prof, &ev[i]);
            continue;
        }
        hk_row_of(&ev[i], &r);
        hk_batch_event(&ev[i], s->run_id, s->start_mono_ns, &r, &j->v[m * HK_SINK_COLS],
                       &j->nulls[m]);
        hk_tally_add(s->tally, &ev[i], &r);
        if (ev[i].type == HAKMEM_EV_SLAB_PIN)
            hk_heapprof_pin(s->prof, &ev[i]);
        m++;
    }
    return m;
}

int hk_sink_add(struct hk_sink *s, const struct hakmem_event *ev, size_t n, char *err,
                size_t errlen)
{
    if (s->failed)
        return hk_fail(err, errlen, "an earlier write failed");
    while (n) {
        size_t k = n < HK_SINK_BATCH ? n : HK_SINK_BATCH;
        struct job *j = job_get(s->q);
        j->kind = JOB_EVENTS;
        j->n = queue_rows(s, ev, k, j);
        if (!s->tx_start_ns)
            s->tx_start_ns = hk_mono_ns();
        s->events += j->n;
        s->in_tx += k;
        if (j->n && job_put(s, 0, err, errlen) != 0) /* else the slot is taken again next */
            return -1;
        ev += k;
        n -= k;
    }
    return 0;
}

int hk_sink_occupancy(struct hk_sink *s, const struct hk_occ_row *rows, size_t n, char *err,
                      size_t errlen)
{
    if (s->failed)
        return hk_fail(err, errlen, "an earlier write failed");
    if (n > HK_MAX_CLASSES)
        n = HK_MAX_CLASSES;
    struct job *j = job_get(s->q);
    j->kind = JOB_OCCUPANCY;
    j->n = n;
    if (!s->tx_start_ns) /* the writer opens a transaction for them: commit it when due, or a
                          * quiet image held the database's write lock from every other */
        s->tx_start_ns = hk_mono_ns();
    memcpy(j->occ, rows, n * sizeof *rows);
    return job_put(s, 0, err, errlen);
}

void hk_sink_stacks(struct hk_sink *s, struct hk_stack_log *log)
{
    pthread_mutex_lock(&s->q->mu); /* the writer reads it under the lock */
    s->stacks = log;
    pthread_mutex_unlock(&s->q->mu);
}

void hk_sink_counts(struct hk_sink *s, uint64_t dropped, uint64_t lost)
{
    s->dropped = dropped;
    s->lost = lost;
}

/* Field by field: each is one aligned word the process writes atomically. */
void hk_sink_counters(struct hk_sink *s, const struct hakmem_seg_counters *live)
{
    const volatile uint64_t *src = (const volatile uint64_t *)live;
    uint64_t *dst = (uint64_t *)&s->counters;
    for (size_t i = 0; i < sizeof s->counters / sizeof *dst; i++)
        dst[i] = src[i];
    s->have_counters = 1;
}

void hk_sink_end(struct hk_sink *s, int64_t end_ns, int final)
{
    s->end_ns = end_ns;
    s->end_final = final;
}

static int commit(struct hk_sink *s, int64_t ended_ns, int exit_status, char *err, size_t errlen)
{
    if (s->failed)
        return hk_fail(err, errlen, "an earlier write failed");
    struct job *j = job_get(s->q);
    j->kind = JOB_COMMIT;
    j->ended_ns = ended_ns;
    j->exit_status = exit_status;
    if (job_put(s, 1, err, errlen) != 0)
        return -1;
    s->in_tx = 0;
    s->tx_start_ns = 0;
    return 0;
}

int hk_sink_commit(struct hk_sink *s, char *err, size_t errlen)
{
    return commit(s, -1, -1, err, errlen);
}

int hk_sink_commit_due(struct hk_sink *s, unsigned ms, char *err, size_t errlen)
{
    if (!s->tx_start_ns || hk_mono_ns() - s->tx_start_ns < (uint64_t)ms * 1000000u)
        return 0;
    return commit(s, -1, -1, err, errlen);
}

int hk_sink_close(struct hk_sink *s, int64_t ended_ns, int exit_status, char *err, size_t errlen)
{
    if (!s->q)
        return hk_fail(err, errlen, "the sink is not open");
    int rc = commit(s, ended_ns, exit_status, err, errlen);
    struct job *j = job_get(s->q);
    j->kind = JOB_STOP;
    job_put(s, 1, NULL, 0);
    pthread_join(s->q->writer, NULL);
    if (s->tx_open)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (s->bulk)
        sqlite3_exec(s->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    s->tx_open = 0;
    pthread_mutex_destroy(&s->q->mu);
    pthread_cond_destroy(&s->q->cv);
    free(s->q);
    s->q = NULL;
    free_statements(s);
    hk_tally_free(s->tally);
    hk_heapprof_free(s->prof);
    s->tally = NULL;
    s->prof = NULL;
    return rc;
}
