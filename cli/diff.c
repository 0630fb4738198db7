/* diff.c — `hakmem-trace diff A.db B.db`: two runs' report numbers side by
 * side with the change, the verdicts that differ, and of two heap-profiled runs
 * the call sites that grew or shrank (sitediff.c). */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage_text[] =
    "usage: hakmem-trace diff A.db B.db [SELECT [SELECT]] [--top K]\n"
    "       hakmem-trace diff FILE.db SELECT SELECT [--top K]\n"
    "The report's numbers of two runs side by side with the change (B - A), then each\n"
    "run's verdict. A SELECT is --run N, --pid PID or --exe NAME (as for report); the first\n"
    "picks A's run, the second B's. A file without one gives the run that mapped the most\n"
    "memory (SuperSlab + large map bytes). When both runs have a heap profile (record\n"
    "--profile), the call sites follow: those whose bytes allocated, then bytes in use at\n"
    "the end, changed most, each marked grew, shrank, new or gone, matched between the\n"
    "runs by their stacks' function names and modules and the allocating call's file:line.\n"
    "      --top K  call sites per list (default 10)\n"
    "  -h, --help   this text\n";

struct metric {
    const char *label;
    size_t off; /* of an int64_t in struct hk_report */
};

#define M(label, field) { label, offsetof(struct hk_report, field) }
static const struct metric metrics[] = {
    M("events", events), M("dropped", dropped), M("lost", lost),
    M("SuperSlab maps", ss_maps), M("SuperSlab map bytes", ss_map_bytes),
    M("maps after first EMPTY", maps_after_empty), M("SuperSlab unmaps", ss_unmaps),
    M("large maps", large_maps), M("LRU push", lru_push), M("LRU pop hit", lru_pop_hit),
    M("LRU pop miss", lru_pop_miss), M("LRU evict", lru_evict),
    M("EMPTY transitions", empty), M("slabs released", released),
    M("stage 0 hits", hit[0]), M("stage 0.5 hits", hit[1]), M("stage 1 hits", hit[2]),
    M("stage 2 hits", hit[3]), M("stage 3 hits", hit[4]), M("stage 0 misses", miss[0]),
    M("stage 0.5 misses", miss[1]), M("stage 1 misses", miss[2]), M("stage 2 misses", miss[3]),
    M("slabs acquired", slabs), M("slabs never EMPTY", never_empty),
    M("slabs live at end", live_at_end), M("heap errors", heap_errors),
};

static int64_t value(const struct hk_report *r, const struct metric *m)
{
    int64_t v;
    memcpy(&v, (const char *)r + m->off, sizeof v);
    return v;
}

static void print_metric(const char *label, int64_t a, int64_t b, FILE *out)
{
    fprintf(out, "%-24s %14lld %14lld %+14lld", label, (long long)a, (long long)b,
            (long long)(b - a));
    if (a && a != b)
        fprintf(out, " (%+.0f%%)", 100.0 * (double)(b - a) / (double)a);
    fputc('\n', out);
}

static void print_verdicts(const char *who, const struct hk_report *r,
                           const struct hk_report *other, FILE *out)
{
    struct hk_verdict v[HK_VERDICT_MAX], w[HK_VERDICT_MAX];
    int n = hk_verdicts(r, v, HK_VERDICT_MAX), m = hk_verdicts(other, w, HK_VERDICT_MAX);
    fprintf(out, "\nverdict %s (run %lld):\n", who, (long long)r->run_id);
    for (int i = 0; i < n; i++) {
        int shared = 0;
        for (int k = 0; k < m; k++)
            shared |= strcmp(v[i].rule, w[k].rule) == 0;
        fprintf(out, "  %s %s [%s%s]\n", v[i].bad ? "!" : "+", v[i].text, v[i].rule,
                shared ? "" : ", only here");
    }
    if (!n)
        fprintf(out, "  no known pathology shows\n");
}

static void print_diff(const struct hk_report *a, const struct hk_report *b, FILE *out)
{
    fprintf(out, "A: run %lld: %s\n", (long long)a->run_id, *a->argv ? a->argv : a->exe);
    fprintf(out, "   options: %s\n", *a->options ? a->options : "(none)");
    fprintf(out, "B: run %lld: %s\n", (long long)b->run_id, *b->argv ? b->argv : b->exe);
    fprintf(out, "   options: %s\n\n", *b->options ? b->options : "(none)");
    fprintf(out, "%-24s %14s %14s %14s\n", "", "A", "B", "change (B-A)");
    for (size_t i = 0; i < sizeof metrics / sizeof metrics[0]; i++)
        print_metric(metrics[i].label, value(a, &metrics[i]), value(b, &metrics[i]), out);
    print_metric("duration (ms)", a->duration_ns / 1000000, b->duration_ns / 1000000, out);
    print_verdicts("A", a, b, out);
    print_verdicts("B", b, a, out);
}

/* Loads the run f picks of path into rep. */
static int load(const char *path, const struct hk_run_filter *f, struct hk_report *rep, char *err,
                size_t errlen)
{
    sqlite3 *db = hk_db_open_read(path, err, errlen);
    int64_t run, matched;
    int rc = db ? hk_db_pick(db, f, &run, &matched, err, errlen) : -1;
    if (rc == 0)
        rc = hk_report_load(db, run, rep, err, errlen);
    hk_db_close(db);
    return rc;
}

/* The call sites of two profiled runs; a line when only one has a profile. */
static int print_sites(const char *pa, const struct hk_report *a, const char *pb,
                       const struct hk_report *b, size_t top, char *err, size_t errlen)
{
    if (a->have_profile && b->have_profile)
        return hk_sitediff_print(pa, a->run_id, pb, b->run_id, top, stdout, err, errlen);
    if (a->have_profile || b->have_profile)
        printf("\ncall sites: only %s has a heap profile (record both with --profile to compare "
               "them)\n", a->have_profile ? "A" : "B");
    return 0;
}

int hk_cmd_diff(int argc, char **argv)
{
    static const struct option opts[] = {
        { "run", required_argument, NULL, 'r' }, { "pid", required_argument, NULL, 'p' },
        { "exe", required_argument, NULL, 'e' }, { "top", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },      { NULL, 0, NULL, 0 },
    };
    struct hk_run_filter runs[2] = { { 0 }, { 0 } };
    int nruns = 0, c;
    uint64_t top = 10;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 't') {
            if (hk_parse_u64(optarg, 1, 1000000, &top) != 0) {
                hk_say("diff", "--top %s: expected a number of sites from 1 to 1000000", optarg);
                return 2;
            }
            continue;
        }
        if (c != 'r' && c != 'p' && c != 'e')
            return hk_usage(usage_text, c == 'h');
        if (nruns == 2) {
            hk_say("diff", "--%s %s: at most two of --run, --pid, --exe",
                   c == 'r' ? "run" : c == 'p' ? "pid" : "exe", optarg);
            return 2;
        }
        if (hk_run_option("diff", c, optarg, &runs[nruns++]) != 0)
            return 2;
    }
    int files = argc - optind;
    if (files < 1 || files > 2 || (files == 1 && nruns != 2)) {
        hk_say("diff", "expected A.db B.db, or one FILE.db with two of --run, --pid, --exe "
                       "(see --help)");
        return 2;
    }
    static struct hk_report a, b;
    char err[HK_ERR_MAX];
    const char *pa = argv[optind], *pb = argv[optind + files - 1];
    if (load(pa, &runs[0], &a, err, sizeof err) != 0 || load(pb, &runs[1], &b, err, sizeof err) != 0) {
        hk_say("diff", "%s", err);
        return 1;
    }
    print_diff(&a, &b, stdout);
    if (print_sites(pa, &a, pb, &b, (size_t)top, err, sizeof err) != 0) {
        hk_say("diff", "%s", err);
        return 1;
    }
    return 0;
}
