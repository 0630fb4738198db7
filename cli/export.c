/* export.c — `hakmem-trace export FILE.db --format F`: one run as Chrome
 * trace-event JSON (Perfetto, chrome://tracing: counters for occupancy, LRU size
 * and SuperSlabs, instants for LRU, EMPTY and map events), or its heap profile
 * as pprof, collapsed stacks or speedscope (pprof.c, collapsed.c, speedscope.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: hakmem-trace export FILE.db --format chrome|pprof|collapsed|speedscope [--run N]\n"
    "                           [--value V] [-o OUT]\n"
    "Writes one run (default: the last) for another tool to show.\n"
    "  chrome      Chrome trace-event JSON, for ui.perfetto.dev or chrome://tracing: counters\n"
    "              \"LRU cache\", \"SuperSlabs\" and \"occupancy class N\", instants for lru_*,\n"
    "              slab_empty, ss_map and ss_unmap events; of a heap-profiled run also the\n"
    "              counter \"heap in use (estimated)\" and instants \"alloc SITE\" (see the man page)\n"
    "  pprof       the heap profile as gzipped profile.proto, for pprof and the services that\n"
    "              read it: alloc_objects, alloc_space, inuse_objects, inuse_space (the\n"
    "              default; in use: the blocks live at the end of the run), period the rate\n"
    "  collapsed   the heap profile as folded stacks \"root;...;leaf VALUE\", for flamegraph.pl,\n"
    "              inferno and speedscope; VALUE as --value says\n"
    "  speedscope  the heap profile in speedscope's JSON format, one profile per value type\n"
    "      --format F        the format (required)\n"
    "      --run N           the run to export\n"
    "      --value V         collapsed: alloc-bytes (default), inuse-bytes (in use at the\n"
    "                        run's peak), leaked-bytes (in use at the end), allocs, temporary\n"
    "  -o, --output FILE     write there instead of stdout (- is stdout); written whole or\n"
    "                        not at all\n"
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

enum format { CHROME, PPROF, COLLAPSED, SPEEDSCOPE };
static const char *const format_names[] = { "chrome", "pprof", "collapsed", "speedscope" };

struct export_opts {
    enum format format;
    enum hk_prof_value value;
    int have_format, have_value;
    uint64_t run;
    const char *path;
};

static int parse_format(const char *arg, struct export_opts *o)
{
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++)
        if (strcmp(arg, format_names[i]) == 0) {
            o->format = (enum format)i;
            o->have_format = 1;
            return 0;
        }
    hk_say("export", "--format %s: expected chrome, pprof, collapsed or speedscope", arg);
    return 2;
}

static int parse_value(const char *arg, struct export_opts *o)
{
    for (int i = 0; i < HK_PV_COUNT; i++)
        if (strcmp(arg, hk_prof_value_names[i]) == 0) {
            o->value = (enum hk_prof_value)i;
            o->have_value = 1;
            return 0;
        }
    hk_say("export", "--value %s: expected alloc-bytes, inuse-bytes, leaked-bytes, allocs or "
                     "temporary", arg);
    return 2;
}

/* Options: -1 to go on (o set, optind at FILE.db), else the exit status. */
static int parse(int argc, char **argv, struct export_opts *o)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'F' }, { "run", required_argument, NULL, 'r' },
        { "value", required_argument, NULL, 'v' },  { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    int c, rc = -1;
    while (rc < 0 && (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'F')
            rc = parse_format(optarg, o) ? 2 : -1;
        else if (c == 'v')
            rc = parse_value(optarg, o) ? 2 : -1;
        else if (c == 'r' && hk_parse_u64(optarg, 1, INT64_MAX, &o->run) != 0) {
            hk_say("export", "--run %s: expected a run number", optarg);
            rc = 2;
        } else if (c == 'o')
            o->path = strcmp(optarg, "-") == 0 ? NULL : optarg; /* -o - is stdout */
        else if (c != 'r')
            rc = hk_usage(usage_text, c == 'h');
    }
    if (rc >= 0)
        return rc;
    if (optind != argc - 1 || !o->have_format) {
        hk_say("export", "expected FILE.db and --format chrome|pprof|collapsed|speedscope (see --help)");
        return 2;
    }
    if (o->have_value && o->format != COLLAPSED) {
        hk_say("export", "--value is for --format collapsed (speedscope has every value, pprof "
                         "its four)");
        return 2;
    }
    return -1;
}

/* A heap profile export needs one: 0, or -1 with err saying how to record one. */
static int need_profile(sqlite3 *db, int64_t run, char *err, size_t errlen)
{
    int has = hk_prof_exists(db, run, err, errlen);
    if (has == 0)
        return hk_fail(err, errlen, "run %lld has no heap profile to export; record it with "
                                    "hakmem-trace record --profile -- PROGRAM", (long long)run);
    return has > 0 ? 0 : -1;
}

static int write_format(sqlite3 *db, int64_t run, const struct export_opts *o, FILE *out,
                        const char *dbpath, char *err, size_t errlen)
{
    switch (o->format) {
    case PPROF:
        return hk_export_pprof(db, run, out, err, errlen);
    case COLLAPSED:
        return hk_export_collapsed(db, run, o->value, out, err, errlen);
    case SPEEDSCOPE: {
        char name[1024];
        snprintf(name, sizeof name, "%s run %lld (heap profile)", hk_basename(dbpath),
                 (long long)run);
        return hk_export_speedscope(db, run, name, out, err, errlen);
    }
    default:
        return export_run(db, run, out, err, errlen);
    }
}

int hk_cmd_export(int argc, char **argv)
{
    struct export_opts o = { .value = HK_PV_ALLOC_BYTES };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    char err[HK_ERR_MAX];
    int64_t run;
    struct hk_outfile out = { 0 };
    sqlite3 *db = hk_db_open_read(argv[optind], err, sizeof err);
    rc = db ? hk_db_pick_run(db, (int64_t)o.run, &run, err, sizeof err) : -1;
    if (rc == 0 && o.format != CHROME)
        rc = need_profile(db, run, err, sizeof err);
    if (rc == 0)
        rc = hk_outfile_open(&out, o.path, err, sizeof err);
    if (rc == 0)
        rc = write_format(db, run, &o, out.f, argv[optind], err, sizeof err);
    if (out.f && hk_outfile_close(&out, rc == 0, err, sizeof err) != 0 && rc == 0)
        rc = -1;
    if (rc != 0)
        hk_say("export", "%s", err);
    hk_db_close(db);
    return rc ? 1 : 0;
}
