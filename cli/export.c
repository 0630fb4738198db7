/* export.c — `hakmem-trace export FILE.db --format chrome`: one run as Chrome
 * trace-event JSON (Perfetto, chrome://tracing): counters for occupancy, LRU
 * size and SuperSlabs, instants for LRU, EMPTY and map events. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: hakmem-trace export FILE.db --format chrome [--run N] [-o OUT.json]\n"
    "Writes one run (default: the last) as Chrome trace-event JSON, for ui.perfetto.dev or\n"
    "chrome://tracing: counters \"LRU cache\", \"SuperSlabs\" and \"occupancy class N\",\n"
    "instants for lru_*, slab_empty, ss_map and ss_unmap events.\n"
    "      --format chrome   the one format there is\n"
    "      --run N           the run to export\n"
    "  -o, --output FILE     write there instead of stdout (- is stdout)\n"
    "  -h, --help            this text\n";

struct exporter {
    FILE *out;
    int64_t run, pid;
    int first;
    int64_t live_ss; /* SuperSlabs mapped and not unmapped */
};

/* Starts one trace event object (with its comma). */
static void begin(struct exporter *x, const char *ph, const char *name, int64_t ts_ns, int64_t tid)
{
    fputs(x->first ? "\n" : ",\n", x->out);
    x->first = 0;
    fprintf(x->out, "{\"ph\":\"%s\",\"name\":", ph);
    hk_json_string(x->out, name);
    fprintf(x->out, ",\"pid\":%lld,\"tid\":%lld,\"ts\":%.3f", (long long)x->pid, (long long)tid,
            (double)ts_ns / 1000.0);
}

static void metadata(struct exporter *x, const char *exe)
{
    fputs(x->first ? "\n" : ",\n", x->out);
    x->first = 0;
    fprintf(x->out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%lld,\"tid\":0,"
                    "\"args\":{\"name\":", (long long)x->pid);
    hk_json_string(x->out, *exe ? hk_basename(exe) : "traced process");
    fputs("}}", x->out);
}

/* One event row: name, ts_ns, tid, type, class, ss, slab, reason, arg0, arg1. */
static void event(struct exporter *x, sqlite3_stmt *st)
{
    const char *name = (const char *)sqlite3_column_text(st, 0);
    int64_t ts = sqlite3_column_int64(st, 1), tid = sqlite3_column_int64(st, 2);
    int type = sqlite3_column_int(st, 3);
    begin(x, "i", name ? name : "?", ts, tid);
    fprintf(x->out, ",\"s\":\"t\",\"args\":{\"class\":%s,\"ss\":%s,\"slab\":%s,\"arg0\":%lld}}",
            sqlite3_column_type(st, 4) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 4),
            sqlite3_column_type(st, 5) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 5),
            sqlite3_column_type(st, 6) == SQLITE_NULL ? "null" : (const char *)sqlite3_column_text(st, 6),
            (long long)sqlite3_column_int64(st, 8));
    if (type >= HAKMEM_EV_LRU_PUSH && type <= HAKMEM_EV_LRU_EVICT) {
        begin(x, "C", "LRU cache", ts, 0);
        fprintf(x->out, ",\"args\":{\"size\":%lld}}", (long long)sqlite3_column_int64(st, 8));
    } else if (type == HAKMEM_EV_SS_MAP || type == HAKMEM_EV_SS_UNMAP) {
        x->live_ss += type == HAKMEM_EV_SS_MAP ? 1 : -1;
        begin(x, "C", "SuperSlabs", ts, 0);
        fprintf(x->out, ",\"args\":{\"mapped\":%lld}}", (long long)x->live_ss);
    }
}

static int events(struct exporter *x, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db,
        "SELECT t.name, e.ts_ns, e.tid, e.type, e.class, e.ss, e.slab, e.reason, e.arg0, e.arg1"
        " FROM events e JOIN event_types t ON t.type = e.type"
        " WHERE e.run_id = ?1 AND e.type IN (1, 2, 5, 6, 7, 8, 11) ORDER BY e.seq", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        event(x, st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_fail(err, errlen, "%s", sqlite3_errmsg(db));
}

static int occupancy(struct exporter *x, sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db,
        "SELECT o.ts_ns, o.class, c.block_size, o.slabs, o.used, o.capacity FROM occupancy o"
        " LEFT JOIN classes c ON c.run_id = o.run_id AND c.class = o.class"
        " WHERE o.run_id = ?1 ORDER BY o.ts_ns, o.class", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, x->run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char name[64];
        snprintf(name, sizeof name, "occupancy class %d (%lld B)", sqlite3_column_int(st, 1),
                 (long long)sqlite3_column_int64(st, 2));
        begin(x, "C", name, sqlite3_column_int64(st, 0), 0);
        fprintf(x->out, ",\"args\":{\"used\":%lld,\"capacity\":%lld}}",
                (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_fail(err, errlen, "%s", sqlite3_errmsg(db));
}

static int export_run(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen)
{
    static struct hk_report rep;
    if (hk_report_load(db, run, &rep, err, errlen) != 0)
        return -1;
    struct exporter x = { .out = out, .run = run, .pid = rep.pid, .first = 1 };
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"run\":", out);
    fprintf(out, "%lld,\"command\":", (long long)run);
    hk_json_string(out, rep.argv);
    fputs("},\"traceEvents\":[", out);
    metadata(&x, rep.exe);
    int rc = events(&x, db, err, errlen);
    if (rc == 0)
        rc = occupancy(&x, db, err, errlen);
    fputs("\n]}\n", out);
    return rc;
}

int hk_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'F' }, { "run", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *format = NULL, *path = NULL;
    uint64_t want = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'F':
            format = optarg;
            break;
        case 'r':
            if (hk_parse_u64(optarg, 1, INT64_MAX, &want) != 0) {
                hk_say("export", "--run %s: expected a run number", optarg);
                return 2;
            }
            break;
        case 'o':
            path = strcmp(optarg, "-") == 0 ? NULL : optarg; /* -o - is stdout */
            break;
        default:
            return hk_usage(usage_text, c == 'h');
        }
    }
    if (optind != argc - 1 || !format || strcmp(format, "chrome") != 0) {
        hk_say("export", "expected FILE.db and --format chrome (see --help)");
        return 2;
    }
    char err[HK_ERR_MAX];
    int64_t run;
    sqlite3 *db = hk_db_open_read(argv[optind], err, sizeof err);
    int rc = db ? hk_db_pick_run(db, (int64_t)want, &run, err, sizeof err) : -1;
    FILE *out = stdout;
    if (rc == 0 && path && !(out = fopen(path, "w")))
        rc = hk_fail(err, sizeof err, "cannot write %s", path);
    if (rc == 0)
        rc = export_run(db, run, out, err, sizeof err);
    if (out && out != stdout && fclose(out) != 0 && rc == 0)
        rc = hk_fail(err, sizeof err, "cannot write %s", path);
    if (out == stdout && fflush(stdout) != 0 && rc == 0)
        rc = hk_fail(err, sizeof err, "cannot write to stdout");
    if (rc != 0)
        hk_say("export", "%s", err);
    hk_db_close(db);
    return rc ? 1 : 0;
}
