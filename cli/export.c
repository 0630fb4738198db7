/* export.c — `hakmem-trace export FILE.db --format F`: one run as Chrome
 * trace-event JSON (chrome.c), or its heap profile as pprof, collapsed stacks or
 * speedscope (pprof.c, collapsed.c, speedscope.c), into a file written whole. */
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
        return hk_export_chrome(db, run, out, err, errlen);
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
