/* check_named.c — unit tests of cli/named.c and schema/queries.sql: markers,
 * descriptions, SQL bounds; every shipped query prepares and is read-only. */
#include "unit.h"

static const char text[] =
    "-- header comment\n"
    "-- @name first: the first one\n"
    "SELECT 1;\n"
    "\n"
    "  -- @name not-a-marker: indented, part of the SQL\n"
    "-- @name second:   spaced description\n"
    "SELECT 2\n"
    "FROM t;\n\n\n";

START_TEST(finds_queries_by_name)
{
    struct hk_named q;
    ck_assert_int_eq(hk_named_find(text, "first", &q), 0);
    ck_assert_str_eq(q.description, "the first one");
    ck_assert_msg(q.sql_len == strlen("SELECT 1;\n\n  -- @name not-a-marker: indented, part of the SQL"),
                  "first: SQL runs to the next marker at a line start, got '%.*s'", (int)q.sql_len,
                  q.sql);
    ck_assert_int_eq(hk_named_find(text, "second", &q), 0);
    ck_assert_str_eq(q.description, "spaced description");
    ck_assert_msg(q.sql_len == strlen("SELECT 2\nFROM t;") && strncmp(q.sql, "SELECT 2\nFROM t;", q.sql_len) == 0,
                  "second: trailing blank lines trimmed, got '%.*s'", (int)q.sql_len, q.sql);
    ck_assert_int_eq(hk_named_find(text, "not-a-marker", &q), -1);
    ck_assert_int_eq(hk_named_find(text, "third", &q), -1);
    ck_assert_int_eq(hk_named_find("", "first", &q), -1);
}
END_TEST

static void count(const struct hk_named *q, void *ctx)
{
    (void)q;
    ++*(int *)ctx;
}

static void check_one(const struct hk_named *q, void *ctx)
{
    sqlite3 *db = ctx;
    sqlite3_stmt *st = NULL;
    char *sql = strndup(q->sql, q->sql_len);
    const char *tail = sql;
    while (tail && *tail) {
        int rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
        ck_assert_msg(rc == SQLITE_OK, "@%s does not prepare: %s", q->name, sqlite3_errmsg(db));
        if (!st)
            break;
        ck_assert_msg(sqlite3_stmt_readonly(st), "@%s must be read-only", q->name);
        int idx = sqlite3_bind_parameter_index(st, ":run");
        if (idx)
            sqlite3_bind_int(st, idx, 1);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        }
        ck_assert_msg(rc == SQLITE_DONE, "@%s does not run: %s", q->name, sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    ck_assert_msg(q->description[0], "@%s needs a description", q->name);
    free(sql);
}

START_TEST(shipped_queries_prepare_and_are_read_only)
{
    char path[256];
    sqlite3 *db = unit_db(path, sizeof path);
    int n = 0;
    hk_named_each(hk_queries_sql, count, &n);
    ck_assert_msg(n >= 12, "queries.sql: expected at least 12 named queries, got %d", n);
    ck_assert_int_eq(hk_named_each(hk_queries_sql, check_one, db), n);
    hk_db_close(db);
    unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/named");
    TCase *t = tcase_create("named");
    tcase_add_test(t, finds_queries_by_name);
    tcase_add_test(t, shipped_queries_prepare_and_are_read_only);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
