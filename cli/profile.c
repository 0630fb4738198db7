/* profile.c — `hakmem-trace profile FILE.db`: a run's heap profile, its top call
 * sites by bytes allocated, in use at the peak, leaked and temporary, and the pins. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

#define TOP_DEFAULT 10

static const char usage_text[] =
    "usage: hakmem-trace profile FILE.db [--run N | --pid PID | --exe NAME] [--top K]\n"
    "The heap profile of a run recorded with `hakmem-trace record --profile`: the top call\n"
    "sites by bytes allocated, by bytes in use at the run's peak, by bytes still in use at\n"
    "the end (leaks) and by temporary allocations, each an estimate scaled by the samples'\n"
    "weights with the number of samples behind it; and the pins: the call sites whose live\n"
    "blocks keep slabs from ever reaching EMPTY. A site is its innermost frame outside\n"
    "libhakmem, its callers beneath it.\n"
    "      --run N      the run to show (default: as report chooses)\n"
    "      --pid PID    the run of process PID\n"
    "      --exe NAME   the run of program NAME (its path, or the last part of it)\n"
    "      --top K      sites per list (default 10)\n"
    "  -h, --help       this text\n";

/* A string column made printable. */
static const char *text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    return hk_printable((const char *)sqlite3_column_text(st, i), buf, len);
}

/* The totals, from @profile (rate, samples, frees, unmatched_frees, live,
 * in_use, peak, peak_ns, stacks_dropped, lost_frees, allocations, bytes). */
static void print_totals_row(sqlite3_stmt *st, FILE *out)
{
    char b1[32], b2[32], b3[32];
    int64_t rate = sqlite3_column_int64(st, 0);
    if (rate == 1)
        fprintf(out, "  sampling: every allocation (rate 1): the figures are exact\n");
    else
        fprintf(out, "  sampling: one sample per %lld bytes allocated on average: the figures are "
                     "estimates, each with the samples behind it\n", (long long)rate);
    fprintf(out, "  %lld sampled allocations (estimated %lld allocations, %s), %lld sampled frees",
            (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 10),
            hk_bytes((uint64_t)sqlite3_column_int64(st, 11), b1, sizeof b1),
            (long long)sqlite3_column_int64(st, 2));
    fprintf(out, ", %lld unmatched frees (blocks this run did not sample, e.g. allocated before "
                 "a fork)\n", (long long)sqlite3_column_int64(st, 3));
    fprintf(out, "  in use: %s at the peak (%.3f s), %s at the end in %lld sampled blocks\n",
            hk_bytes((uint64_t)sqlite3_column_int64(st, 6), b2, sizeof b2),
            (double)sqlite3_column_int64(st, 7) / 1e9,
            hk_bytes((uint64_t)sqlite3_column_int64(st, 5), b3, sizeof b3),
            (long long)sqlite3_column_int64(st, 4));
    if (sqlite3_column_int64(st, 9) > 0)
        fprintf(out, "  ! %lld sampled blocks were allocated again before their free event came "
                     "(events lost): counted as freed then\n",
                (long long)sqlite3_column_int64(st, 9));
    if (sqlite3_column_int64(st, 8) > 0)
        fprintf(out, "  ! the stack table overflowed: %lld stacks were not recorded; their "
                     "allocations count under \"(no stack)\"\n",
                (long long)sqlite3_column_int64(st, 8));
}

static int print_totals(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_named_prepare(db, "profile", run, 0, err, errlen);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        print_totals_row(st, out);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot read the profile",
                                                                   err, errlen);
}

/* A site and, beneath it from column indent on, its callers (columns site, callers). */
static void print_site(sqlite3_stmt *st, int site, int indent, FILE *out)
{
    char s[1024], c[1024];
    fprintf(out, "   %s\n", text(st, site, s, sizeof s));
    if (sqlite3_column_type(st, site + 1) != SQLITE_NULL)
        fprintf(out, "%*s  from %s\n", indent, "", text(st, site + 1, c, sizeof c));
}

/* Steps st to its end, each row through row (bytes: its first column is
 * bytes); none when there was no row. Finalizes st. */
static int print_rows(sqlite3 *db, sqlite3_stmt *st, void (*row)(sqlite3_stmt *, int, FILE *),
                      int bytes, const char *none, FILE *out, char *err, size_t errlen)
{
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row(st, bytes, out);
        n++;
    }
    if (rc == SQLITE_DONE && !n)
        fprintf(out, "  %s\n", none);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot read the profile", err, errlen);
}

/* A row of a site list: value, est_allocs, samples, site, callers. */
static void site_row(sqlite3_stmt *st, int bytes, FILE *out)
{
    char v[32];
    if (bytes)
        hk_bytes((uint64_t)sqlite3_column_int64(st, 0), v, sizeof v);
    else
        snprintf(v, sizeof v, "%lld", (long long)sqlite3_column_int64(st, 0));
    fprintf(out, "  %12s %14lld %10lld", v, (long long)sqlite3_column_int64(st, 1),
            (long long)sqlite3_column_int64(st, 2));
    print_site(st, 3, 42, out);
}

/* One list of sites from the named query; bytes: its values are bytes. */
static int print_sites(sqlite3 *db, int64_t run, int64_t top, const char *name,
                       const char *title, int bytes, FILE *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_named_prepare(db, name, run, top, err, errlen);
    if (!st)
        return -1;
    fprintf(out, "\n%s\n  %12s %14s %10s    %s\n", title, bytes ? "est. bytes" : "est. count",
            "est. allocs", "samples", "site");
    return print_rows(db, st, site_row, bytes, "(none)", out, err, errlen);
}

static int print_pin_totals(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_named_prepare(db, "profile-pin-totals", run, 0, err, errlen);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        fprintf(out, "\nPins: slabs kept from EMPTY by live blocks (sampled ones; with "
                     "HAKMEM_PROFILE_SITES every block, by its site)\n"
                     "  slabs never EMPTY %lld, live at the end %lld; of the %lld kept from EMPTY, "
                     "%lld hold a live block of a known site (%lld of the never-EMPTY ones)\n"
                     "  site tags: %lld slabs held live blocks in a mostly-free SuperSlab while another "
                     "was mapped (counted below, whether or not they emptied later)\n",
                (long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1),
                (long long)sqlite3_column_int64(st, 2), (long long)sqlite3_column_int64(st, 3),
                (long long)sqlite3_column_int64(st, 4), (long long)sqlite3_column_int64(st, 5));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : hk_db_fail(db, "cannot read the slabs", err, errlen);
}

/* A row of @profile-pins: slabs, never_empty_slabs, live_slabs, slab_bytes,
 * samples, est_bytes, site, callers. */
static void pin_row(sqlite3_stmt *st, int bytes, FILE *out)
{
    char sb[32], eb[32];
    (void)bytes;
    fprintf(out, "  %6lld %11lld %10s %10s %8lld", (long long)sqlite3_column_int64(st, 0),
            (long long)sqlite3_column_int64(st, 1),
            hk_bytes((uint64_t)sqlite3_column_int64(st, 3), sb, sizeof sb),
            hk_bytes((uint64_t)sqlite3_column_int64(st, 5), eb, sizeof eb),
            (long long)sqlite3_column_int64(st, 4));
    print_site(st, 6, 53, out);
}

static int print_pins(sqlite3 *db, int64_t run, int64_t top, FILE *out, char *err, size_t errlen)
{
    if (print_pin_totals(db, run, out, err, errlen) != 0)
        return -1;
    sqlite3_stmt *st = hk_named_prepare(db, "profile-pins", run, top, err, errlen);
    if (!st)
        return -1;
    fprintf(out, "  %6s %11s %10s %10s %8s    %s\n", "slabs", "never EMPTY", "slab bytes",
            "est. bytes", "samples", "site");
    return print_rows(db, st, pin_row, 0, "(no live block of a known site lies in a slab kept from EMPTY)",
                      out, err, errlen);
}

static int print_profile(sqlite3 *db, int64_t run, int64_t top, FILE *out, char *err,
                         size_t errlen)
{
    static const struct {
        const char *name, *title;
        int bytes;
    } lists[] = {
        { "profile-allocated", "Top call sites by bytes allocated", 1 },
        { "profile-peak", "Top call sites by bytes in use at the peak", 1 },
        { "profile-leaks", "Top call sites by bytes leaked (in use at the end)", 1 },
        { "profile-temporary", "Top call sites by temporary allocations", 0 },
    };
    fprintf(out, "run %lld: heap profile\n", (long long)run);
    if (print_totals(db, run, out, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (print_sites(db, run, top, lists[i].name, lists[i].title, lists[i].bytes, out, err,
                        errlen) != 0)
            return -1;
    return print_pins(db, run, top, out, err, errlen);
}

/* Options: -1 to go on (f, *top set), else the exit status. */
static int parse(int argc, char **argv, struct hk_run_filter *f, int64_t *top)
{
    static const struct option opts[] = {
        { "run", required_argument, NULL, 'r' }, { "pid", required_argument, NULL, 'p' },
        { "exe", required_argument, NULL, 'e' }, { "top", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },      { NULL, 0, NULL, 0 },
    };
    int c;
    uint64_t k;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 't' && hk_parse_u64(optarg, 1, 1000000, &k) == 0)
            *top = (int64_t)k;
        else if (c == 't') {
            hk_say("profile", "--top %s: expected a number of sites from 1 to 1000000", optarg);
            return 2;
        } else if (c == 'r' || c == 'p' || c == 'e') {
            if (hk_run_option("profile", c, optarg, f) != 0)
                return 2;
        } else
            return hk_usage(usage_text, c == 'h');
    }
    if (optind != argc - 1) {
        hk_say("profile", "expected one FILE.db (see --help)");
        return 2;
    }
    return -1;
}

int hk_cmd_profile(int argc, char **argv)
{
    struct hk_run_filter f = { 0 };
    int64_t top = TOP_DEFAULT, run = 0, matched = 0;
    int rc = parse(argc, argv, &f, &top);
    if (rc >= 0)
        return rc;
    char err[HK_ERR_MAX];
    sqlite3 *db = hk_db_open_read(argv[optind], err, sizeof err);
    rc = db ? hk_db_pick(db, &f, &run, &matched, err, sizeof err) : -1;
    int has = rc == 0 ? hk_prof_exists(db, run, err, sizeof err) : -1;
    if (has == 0) {
        hk_say("profile", "run %lld has no heap profile; record it with hakmem-trace record "
                          "--profile -- PROGRAM", (long long)run);
        hk_db_close(db);
        return 1;
    }
    if (has > 0 && matched > 1)
        printf("%lld runs qualify; showing run %lld (choose with --run, --pid or --exe; query "
               "@runs lists them)\n\n", (long long)matched, (long long)run);
    if (has > 0)
        rc = print_profile(db, run, top, stdout, err, sizeof err);
    if (has < 0 || rc != 0)
        hk_say("profile", "%s", err);
    hk_db_close(db);
    return has < 0 || rc != 0 ? 1 : 0;
}
