/* named.c — the named queries of schema/queries.sql: a line
 * "-- @name NAME: description" starts one, the next such line ends it. */
#include <string.h>
#include "cli.h"

static const char marker[] = "-- @name ";

/* The start of the next marker line at or after p, or NULL. */
static const char *next_marker(const char *text, const char *p)
{
    for (;;) {
        const char *m = strstr(p, marker);
        if (!m)
            return NULL;
        if (m == text || m[-1] == '\n')
            return m;
        p = m + 1;
    }
}

/* Parses the marker at m into q; returns where its SQL starts. */
static const char *parse_marker(const char *m, struct hk_named *q)
{
    const char *p = m + sizeof marker - 1, *eol = strchr(p, '\n');
    if (!eol)
        eol = p + strlen(p);
    size_t n = strcspn(p, ": \t\n");
    if (n >= sizeof q->name)
        n = sizeof q->name - 1;
    memcpy(q->name, p, n);
    q->name[n] = '\0';
    const char *d = p + strcspn(p, ":\n");
    q->description[0] = '\0';
    if (d < eol && *d == ':') {
        d++;
        while (*d == ' ')
            d++;
        size_t len = (size_t)(eol - d);
        if (len >= sizeof q->description)
            len = sizeof q->description - 1;
        memcpy(q->description, d, len);
        q->description[len] = '\0';
    }
    return *eol ? eol + 1 : eol;
}

int hk_named_each(const char *text, void (*fn)(const struct hk_named *q, void *ctx), void *ctx)
{
    int count = 0;
    for (const char *m = next_marker(text, text); m;) {
        struct hk_named q;
        const char *sql = parse_marker(m, &q);
        const char *next = next_marker(text, sql);
        const char *end = next ? next : sql + strlen(sql);
        while (end > sql && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
            end--;
        q.sql = sql;
        q.sql_len = (size_t)(end - sql);
        if (q.name[0]) {
            fn(&q, ctx);
            count++;
        }
        m = next;
    }
    return count;
}

struct find {
    const char *name;
    struct hk_named *out;
    int found;
};

static void match(const struct hk_named *q, void *ctx)
{
    struct find *f = ctx;
    if (!f->found && strcmp(q->name, f->name) == 0) {
        *f->out = *q;
        f->found = 1;
    }
}

int hk_named_find(const char *text, const char *name, struct hk_named *out)
{
    struct find f = { name, out, 0 };
    hk_named_each(text, match, &f);
    return f.found ? 0 : -1;
}

sqlite3_stmt *hk_named_prepare(sqlite3 *db, const char *name, int64_t run, int64_t top,
                               char *err, size_t errlen)
{
    struct hk_named q;
    sqlite3_stmt *st = NULL;
    if (hk_named_find(hk_queries_sql, name, &q) != 0) {
        hk_fail(err, errlen, "no named query @%s (build error)", name);
        return NULL;
    }
    if (q.sql_len > INT32_MAX ||
        sqlite3_prepare_v2(db, q.sql, (int)q.sql_len, &st, NULL) != SQLITE_OK) {
        hk_db_fail(db, "cannot prepare a named query", err, errlen);
        sqlite3_finalize(st);
        return NULL;
    }
    int i = sqlite3_bind_parameter_index(st, ":run");
    if (i)
        sqlite3_bind_int64(st, i, run);
    if ((i = sqlite3_bind_parameter_index(st, ":top")) && top > 0)
        sqlite3_bind_int64(st, i, top);
    return st;
}
