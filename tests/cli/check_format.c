/* check_format.c — unit tests of cli/format.c: the same rows as CSV, JSON
 * and an aligned table, with NULLs, quotes, newlines, reals and blobs. */
#include "unit.h"

static const char rows_sql[] =
    "SELECT 1 AS n, 'a,b' AS t, NULL AS z, 2.5 AS r, x'00ff' AS b, 'say \"hi\"' || char(10) AS q"
    " UNION ALL SELECT 22, 'plain', 'x', -1.0, x'', ''";

/* The output of fmt for rows_sql. */
static char *render(enum hk_format fmt, const char *sql)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    char err[HK_ERR_MAX], *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, sizeof err);
    ck_assert_msg(st, "prepare: %s", err);
    ck_assert_msg(hk_format_rows(st, fmt, out, err, sizeof err) == 0, "format: %s", err);
    sqlite3_finalize(st);
    fclose(out);
    sqlite3_close(db);
    return buf;
}

START_TEST(csv_quotes_what_it_must)
{
    char *s = render(HK_FMT_CSV, rows_sql);
    const char *want = "n,t,z,r,b,q\r\n"
                       "1,\"a,b\",,2.5,00ff,\"say \"\"hi\"\"\n\"\r\n"
                       "22,plain,x,-1.0,,\r\n";
    ck_assert_msg(strcmp(s, want) == 0, "csv: expected\n%s\ngot\n%s", want, s);
    free(s);
}
END_TEST

START_TEST(json_keeps_types)
{
    char *s = render(HK_FMT_JSON, rows_sql);
    const char *want = "[\n"
                       "{\"n\":1,\"t\":\"a,b\",\"z\":null,\"r\":2.5,\"b\":\"00ff\",\"q\":\"say \\\"hi\\\"\\n\"},\n"
                       "{\"n\":22,\"t\":\"plain\",\"z\":\"x\",\"r\":-1,\"b\":\"\",\"q\":\"\"}\n"
                       "]\n";
    ck_assert_msg(strcmp(s, want) == 0, "json: expected\n%s\ngot\n%s", want, s);
    free(s);
}
END_TEST

START_TEST(json_of_no_rows_is_an_empty_array)
{
    char *s = render(HK_FMT_JSON, "SELECT 1 WHERE 0");
    ck_assert_str_eq(s, "[]\n");
    free(s);
}
END_TEST

START_TEST(table_aligns_columns)
{
    char *s = render(HK_FMT_TABLE, "SELECT 1 AS n, 'left' AS word UNION ALL SELECT 1234, NULL");
    const char *want = "   n  word\n"
                       "----  ----\n"
                       "   1  left\n"
                       "1234  NULL\n";
    ck_assert_msg(strcmp(s, want) == 0, "table: expected\n%s\ngot\n%s", want, s);
    free(s);
}
END_TEST

START_TEST(table_cuts_long_values)
{
    char *s = render(HK_FMT_TABLE, "SELECT printf('%.100c', 'x') AS long");
    ck_assert_msg(strstr(s, "...") && !strstr(s, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
                  "a 100-character value: expected cut to 60 with '...', got\n%s", s);
    free(s);
}
END_TEST

START_TEST(table_rows_past_the_sizing_window)
{
    char *s = render(HK_FMT_TABLE, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
                                   " WHERE i < 1500) SELECT i FROM c");
    int lines = 0;
    for (const char *p = s; *p; p++)
        lines += *p == '\n';
    ck_assert_msg(lines == 1502, "1500 rows + header + rule: expected 1502 lines, got %d", lines);
    ck_assert_msg(strstr(s, "1500\n"), "the last row must be printed");
    free(s);
}
END_TEST

START_TEST(format_names)
{
    enum hk_format f;
    ck_assert_msg(hk_format_parse("csv", &f) == 0 && f == HK_FMT_CSV, "csv");
    ck_assert_msg(hk_format_parse("json", &f) == 0 && f == HK_FMT_JSON, "json");
    ck_assert_msg(hk_format_parse("table", &f) == 0 && f == HK_FMT_TABLE, "table");
    ck_assert_msg(hk_format_parse("xml", &f) == -1, "xml: expected refused");
}
END_TEST

START_TEST(json_string_escapes_controls)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    hk_json_string(out, "a\tb\001\\");
    fclose(out);
    ck_assert_str_eq(buf, "\"a\\tb\\u0001\\\\\"");
    free(buf);
}
END_TEST

START_TEST(sql_errors_are_reported)
{
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    char err[HK_ERR_MAX];
    sqlite3_stmt *st = hk_db_prepare(db, "SELECT abs(-9223372036854775807 - 1)", err, sizeof err);
    FILE *out = fopen("/dev/null", "w");
    ck_assert_msg(hk_format_rows(st, HK_FMT_CSV, out, err, sizeof err) == -1, "overflow: expected an error");
    ck_assert_msg(strstr(err, "overflow"), "expected 'integer overflow', got '%s'", err);
    fclose(out);
    sqlite3_finalize(st);
    sqlite3_close(db);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/format");
    TCase *t = tcase_create("format");
    tcase_add_test(t, csv_quotes_what_it_must);
    tcase_add_test(t, json_keeps_types);
    tcase_add_test(t, json_of_no_rows_is_an_empty_array);
    tcase_add_test(t, table_aligns_columns);
    tcase_add_test(t, table_cuts_long_values);
    tcase_add_test(t, table_rows_past_the_sizing_window);
    tcase_add_test(t, format_names);
    tcase_add_test(t, json_string_escapes_controls);
    tcase_add_test(t, sql_errors_are_reported);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
