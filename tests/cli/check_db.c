/* check_db.c — unit tests of cli/db.c: schema creation and version, refusal
 * of foreign, newer and damaged files, read-only opening, run selection. */
#include "unit.h"
#include "hakmem_reader.h"

static char path[256];

static void setup(void)
{
    unit_tmp(path, sizeof path, ".db");
}

static void teardown(void)
{
    unlink(path);
}

static int64_t one(sqlite3 *db, const char *sql)
{
    int64_t v = -1;
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_int(db, sql, -2, &v, err, sizeof err) == 0, "%s: %s", sql, err);
    return v;
}

START_TEST(new_database_gets_schema_and_version)
{
    char err[HK_ERR_MAX];
    sqlite3 *db = hk_db_open_write(path, 0, err, sizeof err);
    ck_assert_msg(db, "open_write of a new file: expected a database, got '%s'", err);
    ck_assert_int_eq(one(db, "PRAGMA user_version"), HK_SCHEMA_VERSION);
    ck_assert_int_eq(one(db, "SELECT count(*) FROM event_types"), HAKMEM_EV_COUNT - 1);
    ck_assert_int_eq(one(db, "SELECT count(*) FROM stages"), 5);
    for (unsigned t = 1; t < HAKMEM_EV_COUNT; t++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM event_types WHERE type = %u AND name = '%s'",
                 t, hakmem_event_type_name(t));
        ck_assert_msg(one(db, sql) == 1, "event type %u should be named %s", t,
                      hakmem_event_type_name(t));
    }
    static const char *const names[] = { "runs", "events", "classes", "frames", "occupancy",
                                         "event_counts", "slabs", "slab_classes", "ev", "report_lru",
                                         "report_maps", "report_empty", "report_stages",
                                         "report_stage_class", "report_never_empty", NULL };
    for (int i = 0; names[i]; i++) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", names[i]);
        ck_assert_msg(one(db, sql) == 1, "schema: expected %s", names[i]);
    }
    ck_assert_int_eq(hk_db_finish(db, err, sizeof err), 0);
    db = hk_db_open_write(path, 1, err, sizeof err);
    ck_assert_msg(db, "reopening a trace database: %s", err);
    ck_assert_int_eq(one(db, "SELECT count(*) FROM event_types"), HAKMEM_EV_COUNT - 1);
    hk_db_close(db);
}
END_TEST

/* The lookup tables hold the lists of hakmem_defs.h, not a copy typed in SQL. */
START_TEST(lookup_tables_come_from_the_definitions)
{
    char err[HK_ERR_MAX], sql[256];
    sqlite3 *db = hk_db_open_write(path, 0, err, sizeof err);
    ck_assert_msg(db, "open_write of a new file: expected a database, got '%s'", err);
    ck_assert_int_eq(one(db, "SELECT count(*) FROM stages"), HAKMEM_STAGES);
    for (unsigned s = 0; s < HAKMEM_STAGES; s++) {
        char meaning[128];
        size_t n = 0;
        for (const char *c = hakmem_stage_meaning(s); *c && n + 2 < sizeof meaning; c++) {
            if (*c == '\'')
                meaning[n++] = '\'';
            meaning[n++] = *c;
        }
        meaning[n] = '\0';
        snprintf(sql, sizeof sql, "SELECT count(*) FROM stages WHERE stage = %u AND name = '%s'"
                                  " AND meaning = '%s'", s, hakmem_stage_label(s), meaning);
        ck_assert_msg(one(db, sql) == 1, "stage %u should be labelled %s, meaning '%s'", s,
                      hakmem_stage_label(s), hakmem_stage_meaning(s));
    }
    ck_assert_int_eq(one(db, "SELECT count(*) FROM heap_error_kinds"), HAKMEM_HEAP_ERROR_KINDS);
    for (unsigned k = 0; k < HAKMEM_HEAP_ERROR_KINDS; k++) {
        snprintf(sql, sizeof sql, "SELECT count(*) FROM heap_error_kinds WHERE kind = %u AND name = '%s'",
                 k, hakmem_heap_error_name(k));
        ck_assert_msg(one(db, sql) == 1, "heap-error kind %u should be named '%s'", k,
                      hakmem_heap_error_name(k));
    }
    ck_assert_msg(!strstr(hk_schema_sql, "INSERT"), "schema.sql should insert no rows: cli/db.c fills "
                                                    "the lookup tables from hakmem_defs.h");
    hk_db_close(db);
}
END_TEST

START_TEST(schema_text_sets_the_version)
{
    char want[64];
    snprintf(want, sizeof want, "PRAGMA user_version = %d;", HK_SCHEMA_VERSION);
    ck_assert_msg(strstr(hk_schema_sql, want), "schema.sql must contain '%s'", want);
}
END_TEST

static void set_version(int v)
{
    sqlite3 *db;
    char sql[64];
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

START_TEST(newer_version_is_refused)
{
    char err[HK_ERR_MAX];
    hk_db_finish(hk_db_open_write(path, 0, err, sizeof err), NULL, 0);
    set_version(HK_SCHEMA_VERSION + 1);
    ck_assert_msg(!hk_db_open_write(path, 0, err, sizeof err), "newer version: expected refused");
    ck_assert_msg(strstr(err, "newer"), "expected a sentence with 'newer', got '%s'", err);
    ck_assert_msg(!hk_db_open_read(path, err, sizeof err), "newer version read: expected refused");
    ck_assert_msg(strstr(err, "newer") && !strchr(err, '\n'), "one line with 'newer': '%s'", err);
}
END_TEST

START_TEST(garbage_is_not_a_database)
{
    char err[HK_ERR_MAX];
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 200; i++)
        fputs("this is not sqlite ", f);
    fclose(f);
    ck_assert_msg(!hk_db_open_read(path, err, sizeof err), "garbage: expected refused");
    ck_assert_msg(strstr(err, "not an SQLite database"), "got '%s'", err);
    ck_assert_msg(!hk_db_open_write(path, 0, err, sizeof err), "garbage write: expected refused");
    ck_assert_msg(strstr(err, "not an SQLite database"), "got '%s'", err);
}
END_TEST

START_TEST(foreign_database_is_refused)
{
    char err[HK_ERR_MAX];
    sqlite3 *db;
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE mine(x); INSERT INTO mine VALUES (1)", NULL, NULL, NULL);
    sqlite3_close(db);
    ck_assert_msg(!hk_db_open_write(path, 0, err, sizeof err), "foreign db: expected refused");
    ck_assert_msg(strstr(err, "not a hakmem trace database"), "got '%s'", err);
    ck_assert_msg(!hk_db_open_read(path, err, sizeof err), "foreign db read: expected refused");
}
END_TEST

START_TEST(read_only_refuses_empty_and_writes)
{
    char err[HK_ERR_MAX];
    close(open(path, O_CREAT | O_WRONLY, 0600));
    ck_assert_msg(!hk_db_open_read(path, err, sizeof err), "empty file read: expected refused");
    ck_assert_msg(strstr(err, "empty"), "got '%s'", err);
    hk_db_finish(hk_db_open_write(path, 0, err, sizeof err), NULL, 0);
    sqlite3 *db = hk_db_open_read(path, err, sizeof err);
    ck_assert_msg(db, "read: %s", err);
    ck_assert_msg(hk_db_exec(db, "INSERT INTO runs (pid) VALUES (1)", err, sizeof err) == -1,
                  "an insert through a read-only connection must fail");
    hk_db_close(db);
    ck_assert_msg(!hk_db_open_read("/nonexistent/x.db", err, sizeof err) && strstr(err, "cannot open"),
                  "missing file: got '%s'", err);
}
END_TEST

START_TEST(pick_run_takes_the_last_or_the_one_asked)
{
    char err[HK_ERR_MAX];
    int64_t run = 0;
    sqlite3 *db = hk_db_open_write(path, 0, err, sizeof err);
    ck_assert_msg(hk_db_pick_run(db, 0, &run, err, sizeof err) == -1 && strstr(err, "no run"),
                  "no runs: expected 'holds no run', got '%s'", err);
    hk_db_exec(db, "INSERT INTO runs (pid) VALUES (1), (2), (3)", err, sizeof err);
    ck_assert_int_eq(hk_db_pick_run(db, 0, &run, err, sizeof err), 0);
    ck_assert_int_eq(run, 3);
    ck_assert_int_eq(hk_db_pick_run(db, 2, &run, err, sizeof err), 0);
    ck_assert_int_eq(run, 2);
    ck_assert_msg(hk_db_pick_run(db, 9, &run, err, sizeof err) == -1 && strstr(err, "no run 9"),
                  "run 9: got '%s'", err);
    hk_db_close(db);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/db");
    TCase *t = tcase_create("db");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, new_database_gets_schema_and_version);
    tcase_add_test(t, lookup_tables_come_from_the_definitions);
    tcase_add_test(t, schema_text_sets_the_version);
    tcase_add_test(t, newer_version_is_refused);
    tcase_add_test(t, garbage_is_not_a_database);
    tcase_add_test(t, foreign_database_is_refused);
    tcase_add_test(t, read_only_refuses_empty_and_writes);
    tcase_add_test(t, pick_run_takes_the_last_or_the_one_asked);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
