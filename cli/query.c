/* query.c — `hakmem-trace query FILE.db [SQL | -f FILE | @name]`: SQL on a
 * trace database opened read-only, so a query cannot change it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define SQL_MAX (16u << 20)

static const char usage_text[] =
    "usage: hakmem-trace query FILE.db [SQL | -f FILE | @NAME] [--format table|csv|json]\n"
    "                          [--run N] [--timeout S]\n"
    "       hakmem-trace query --list\n"
    "Runs SQL (one or more statements) on FILE.db, opened read-only. @NAME runs a named query\n"
    "of schema/queries.sql; :run in a query is the run of --run (default: the last run).\n"
    "  -f, --file FILE      read the SQL from FILE (- for stdin)\n"
    "      --format FMT     table (default), csv or json\n"
    "      --run N          the run :run stands for\n"
    "      --timeout S      stop the SQL after S seconds (default " HK_STR(HK_READ_SECONDS) ", 0: never)\n"
    "  -l, --list           the named queries, one a line\n"
    "  -h, --help           this text\n";

struct query {
    const char *db, *sql, *file;
    enum hk_format fmt;
    int64_t run;
    int list;
};

static void list_one(const struct hk_named *q, void *ctx)
{
    (void)ctx;
    printf("@%-16s %s\n", q->name, q->description);
}

/* Refuses what could write anywhere: ATTACH/DETACH, and pragmas that set a value. */
static int authorize(void *ctx, int action, const char *a, const char *b, const char *c,
                     const char *d)
{
    (void)ctx;
    (void)c;
    (void)d;
    if (action == SQLITE_ATTACH || action == SQLITE_DETACH)
        return SQLITE_DENY;
    if (action == SQLITE_PRAGMA && b) {
        static const char *const reads[] = { "table_info", "table_xinfo", "index_list",
                                             "index_info", "index_xinfo", "foreign_key_list",
                                             "function_list", "pragma_list", "table_list" };
        for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
            if (a && strcmp(a, reads[i]) == 0)
                return SQLITE_OK;
        return SQLITE_DENY;
    }
    return SQLITE_OK;
}

static char *read_sql(const char *file, char *err, size_t errlen)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    if (!f) {
        hk_fail(err, errlen, "cannot open %s: %s", file, strerror(errno));
        return NULL;
    }
    char *buf = malloc(SQL_MAX + 1);
    size_t n = buf ? fread(buf, 1, SQL_MAX + 1, f) : 0;
    int bad = !buf || ferror(f) || n > SQL_MAX;
    if (f != stdin)
        fclose(f);
    if (bad) {
        hk_fail(err, errlen, "cannot read %s (or it is over 16 MiB)", file);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Prepares the next statement of *tail into *st (NULL at the end); refuses
 * what is not read-only. */
static int next_statement(sqlite3 *db, const char **tail, sqlite3_stmt **st, char *err,
                          size_t errlen)
{
    *st = NULL;
    while (*tail && **tail && !*st) {
        int rc = sqlite3_prepare_v2(db, *tail, -1, st, tail);
        if (rc == SQLITE_AUTH)
            return hk_fail(err, errlen, "query is read-only: ATTACH, DETACH and pragmas that set "
                                        "a value are refused");
        if (rc != SQLITE_OK)
            return hk_fail(err, errlen, "SQL error: %s", sqlite3_errmsg(db));
    }
    if (*st && !sqlite3_stmt_readonly(*st)) {
        sqlite3_finalize(*st);
        *st = NULL;
        return hk_fail(err, errlen, "query is read-only: this statement would change the database");
    }
    return 0;
}

/* Checks every statement of sql first (nothing runs when one would write),
 * then runs each, printing its rows. */
static int run_all(sqlite3 *db, const char *sql, const struct query *q, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    const char *tail = sql;
    do {
        if (next_statement(db, &tail, &st, err, errlen) != 0)
            return -1;
        sqlite3_finalize(st);
    } while (st);
    tail = sql;
    for (int shown = 0;; shown++) {
        if (next_statement(db, &tail, &st, err, errlen) != 0)
            return -1;
        if (!st)
            return 0;
        int idx = sqlite3_bind_parameter_index(st, ":run");
        if (idx)
            sqlite3_bind_int64(st, idx, q->run);
        if (shown && q->fmt == HK_FMT_TABLE && sqlite3_column_count(st))
            putchar('\n');
        int rc = hk_format_rows(st, q->fmt, stdout, err, errlen);
        sqlite3_finalize(st);
        if (rc != 0)
            return -1;
    }
}

static int query(struct query *q)
{
    char err[HK_ERR_MAX];
    char *owned = NULL;
    const char *sql = q->sql;
    struct hk_named named;
    if (q->file && !(sql = owned = read_sql(q->file, err, sizeof err))) {
        hk_say("query", "%s", err);
        return 1;
    }
    if (sql && sql[0] == '@') {
        if (hk_named_find(hk_queries_sql, sql + 1, &named) != 0) {
            hk_say("query", "no named query %s (see --list)", sql);
            free(owned);
            return 1;
        }
        sql = owned = strndup(named.sql, named.sql_len);
    }
    sqlite3 *db = hk_db_open_read(q->db, err, sizeof err);
    int rc = db ? 0 : -1;
    if (rc == 0)
        sqlite3_set_authorizer(db, authorize, NULL);
    if (rc == 0 && q->run > 0) /* an explicit --run must exist; else the last, if any */
        rc = hk_db_pick_run(db, q->run, &q->run, err, sizeof err);
    else if (rc == 0)
        rc = hk_db_int(db, "SELECT max(run_id) FROM runs", 0, &q->run, err, sizeof err);
    if (rc == 0)
        rc = run_all(db, sql, q, err, sizeof err);
    if (rc != 0)
        hk_say("query", "%s", err);
    hk_db_close(db);
    free(owned);
    return rc ? 1 : 0;
}

int hk_cmd_query(int argc, char **argv)
{
    static const struct option opts[] = {
        { "file", required_argument, NULL, 'f' }, { "format", required_argument, NULL, 'F' },
        { "run", required_argument, NULL, 'r' },  { "list", no_argument, NULL, 'l' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
    };
    struct query q = { .fmt = HK_FMT_TABLE };
    uint64_t run, secs;
    int c;
    while ((c = getopt_long(argc, argv, "f:lh", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            q.file = optarg;
            break;
        case 'F':
            if (hk_format_parse(optarg, &q.fmt) != 0) {
                hk_say("query", "--format %s: expected table, csv or json", optarg);
                return 2;
            }
            break;
        case 'r':
            if (hk_parse_u64(optarg, 1, INT64_MAX, &run) != 0) {
                hk_say("query", "--run %s: expected a run number", optarg);
                return 2;
            }
            q.run = (int64_t)run;
            break;
        case 't':
            if (hk_parse_u64(optarg, 0, 86400, &secs) != 0) {
                hk_say("query", "--timeout %s: expected seconds from 0 (none) to 86400", optarg);
                return 2;
            }
            hk_db_time_limit((unsigned)secs);
            break;
        case 'l':
            q.list = 1;
            break;
        default:
            return hk_usage(usage_text, c == 'h');
        }
    }
    if (q.list) {
        hk_named_each(hk_queries_sql, list_one, NULL);
        return 0;
    }
    int rest = argc - optind;
    if (rest < 1 || rest > 2 || (rest == 2) == (q.file != NULL)) {
        hk_say("query", "expected FILE.db and one of SQL, -f FILE or @NAME (see --help)");
        return 2;
    }
    q.db = argv[optind];
    q.sql = rest == 2 ? argv[optind + 1] : NULL;
    return query(&q);
}
