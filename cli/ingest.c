/* ingest.c — `hakmem-trace ingest SEGMENT`: imports a segment kept with
 * HAKMEM_TRACE_KEEP=1 (read-only, so it can be imported again) as one run. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "hakmem_reader.h"

static const char usage_text[] =
    "usage: hakmem-trace ingest SEGMENT [-o FILE.db] [--all-blocks]\n"
    "Imports a trace segment kept with HAKMEM_TRACE_KEEP=1 as a new run of FILE.db\n"
    "(default hakmem-<program>-<pid>.db). The segment is read, not changed. A segment\n"
    "FILE.db already holds (same pid and start time) is not added twice: one line says\n"
    "which run it is, and the exit status is 1.\n"
    "  -o, --output FILE.db   the database to add the run to (created when absent)\n"
    "      --all-blocks       a heap profile's profile_blocks rows too (as record --all-blocks)\n"
    "  -h, --help             this text\n";

static int done_now(void *ctx)
{
    (void)ctx;
    return 1; /* a kept segment: what is in the ring is all there is */
}

/* The segment's events, last occupancy sample and stacks into a new run of db. */
static int store(struct hakmem_reader *r, sqlite3 *db, const struct hk_seg_meta *m,
                 struct hk_drained *d, int64_t *run, char *err, size_t errlen)
{
    struct hk_sink s;
    struct hk_occ_sampler occ;
    struct hk_drain_opts o = { .commit_ms = 2000, .commit_events = 1u << 20, .done = done_now };
    if (hk_sink_open(&s, db, &m->info, 1, err, errlen) != 0)
        return -1;
    int rc = hk_occ_init(&occ, r, err, errlen);
    if (rc == 0)
        rc = hk_drain(r, &s, &o, d, err, errlen);
    if (rc == 0) /* the last occupancy sample the process left */
        rc = hk_occ_sample(&occ, r, &s, 1, err, errlen);
    hk_occ_free(&occ);
    if (hk_sink_close(&s, hk_drain_ended_ns(r), -1, rc ? NULL : err, errlen) != 0)
        rc = -1;
    if (rc == 0)
        rc = hk_stacks_store(r, db, s.run_id, NULL, NULL, err, errlen);
    *run = s.run_id;
    return rc;
}

/* The run of db that already holds the image in (same pid and start times:
 * the same segment, ingested or recorded before) in *run, else 0; -1 on error. */
static int same_run(sqlite3 *db, const struct hk_run_info *in, int64_t *run, char *err,
                    size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db,
        "SELECT run_id FROM runs WHERE pid = ? AND started_ns = ? AND start_mono_ns = ?"
        " ORDER BY run_id LIMIT 1", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, in->pid);
    sqlite3_bind_int64(st, 2, in->started_ns);
    sqlite3_bind_int64(st, 3, in->start_mono_ns);
    int rc = sqlite3_step(st);
    *run = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hk_fail(err, errlen, "cannot read runs: %s", sqlite3_errmsg(db));
    return 0;
}

static int ingest(const char *seg, const char *out, int all_blocks)
{
    char err[HK_ERR_MAX], dbpath[1024];
    struct hakmem_reader *r = hakmem_reader_open(seg, 0, err, sizeof err);
    if (!r || hk_drain_check(r, seg, err, sizeof err) != 0) {
        hk_say("ingest", "%s", err);
        hakmem_reader_close(r);
        return 1;
    }
    static struct hk_seg_meta m;
    hk_drain_meta(r, "ingest", seg, &m);
    m.info.all_blocks = all_blocks;
    if (!out) {
        snprintf(dbpath, sizeof dbpath, "hakmem-%s-%lld.db",
                 *m.exe ? hk_basename(m.exe) : "unknown", (long long)m.info.pid);
        out = dbpath;
    }
    struct hk_drained d;
    int64_t run = 0;
    sqlite3 *db = hk_db_open_write(out, 0, err, sizeof err);
    int rc = db ? same_run(db, &m.info, &run, err, sizeof err) : -1;
    if (rc == 0 && run > 0) {
        hk_db_close(db);
        hakmem_reader_close(r);
        hk_say("ingest", "%s: already in %s as run %lld (pid %lld, same start); not added again",
               seg, out, (long long)run, (long long)m.info.pid);
        return 1;
    }
    if (rc == 0)
        rc = store(r, db, &m, &d, &run, err, sizeof err);
    if (db && hk_db_finish(db, rc ? NULL : err, sizeof err) != 0)
        rc = -1;
    hakmem_reader_close(r);
    if (rc != 0) {
        hk_say("ingest", "%s", err);
        return 1;
    }
    if (!d.unreadable) {
        fprintf(stderr, "%s: ingested %llu events (%llu dropped, %llu lost) of pid %lld into %s "
                "(run %lld)\n", HK_PROG, (unsigned long long)d.events, (unsigned long long)d.dropped,
                (unsigned long long)d.lost, (long long)m.info.pid, out, (long long)run);
        return 0;
    }
    hk_say("ingest", "%s: %llu events could not be read (a corrupt or unfinished slot after "
           "event %llu); the %llu before it are stored in %s (run %lld)", seg,
           (unsigned long long)d.unreadable, (unsigned long long)d.events,
           (unsigned long long)d.events, out, (long long)run);
    return 1;
}

int hk_cmd_ingest(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "all-blocks", no_argument, NULL, 'A' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    int c, all_blocks = 0;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o')
            out = optarg;
        else if (c == 'A')
            all_blocks = 1;
        else
            return hk_usage(usage_text, c == 'h');
    }
    if (optind != argc - 1) {
        hk_say("ingest", "expected one SEGMENT (see --help)");
        return 2;
    }
    return ingest(argv[optind], out, all_blocks);
}
