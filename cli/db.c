/* db.c — trace databases: open for writing (schema applied, version checked)
 * or read-only, statements, the run a command looks at. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "hakmem_reader.h"

/* SQL on a database read (a foreign file) stops after this many seconds in all. */
static unsigned read_limit = HK_READ_SECONDS;
static uint64_t read_deadline; /* CLOCK_MONOTONIC ns; 0: none yet */

void hk_db_time_limit(unsigned seconds)
{
    read_limit = seconds;
    read_deadline = 0;
}

/* sqlite3_progress_handler: non-zero interrupts the statement. */
static int past_deadline(void *ctx)
{
    (void)ctx;
    return read_deadline && hk_mono_ns() > read_deadline;
}

static const char *db_name(sqlite3 *db)
{
    const char *f = sqlite3_db_filename(db, "main");
    return f && *f ? f : "the database";
}

int hk_db_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_extended_errcode(db) & 0xff;
    if (rc == SQLITE_NOTADB)
        return hk_fail(err, errlen, "%s is not an SQLite database", db_name(db));
    if (rc == SQLITE_CORRUPT)
        return hk_fail(err, errlen, "%s is corrupt (%s)", db_name(db), sqlite3_errmsg(db));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return hk_fail(err, errlen, "%s is locked by another process (%s)", db_name(db),
                       sqlite3_errmsg(db));
    if (rc == SQLITE_INTERRUPT)
        return hk_fail(err, errlen, "%s: stopped after %u s of SQL (a crafted or very large "
                                    "database? query --timeout sets the limit)",
                       db_name(db), read_limit);
    return hk_fail(err, errlen, "%s: %s: %s", db_name(db), what, sqlite3_errmsg(db));
}

int hk_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return hk_db_fail(db, "SQL failed", err, errlen);
    return 0;
}

sqlite3_stmt *hk_db_prepare(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        hk_db_fail(db, "cannot prepare a statement", err, errlen);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

int hk_db_int(sqlite3 *db, const char *sql, int64_t def, int64_t *out, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_type(st, 0) == SQLITE_NULL ? def : sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        *out = def;
    else
        hk_db_fail(db, "query failed", err, errlen);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* user_version and whether the database has tables; -1 when it is no database. */
static int db_probe(sqlite3 *db, int64_t *version, int64_t *tables, char *err, size_t errlen)
{
    if (hk_db_int(db, "PRAGMA user_version", 0, version, err, errlen) != 0)
        return -1;
    return hk_db_int(db, "SELECT count(*) FROM sqlite_master", 0, tables, err, errlen);
}

/* Accepts databases this program understands; one sentence otherwise. */
static int db_check_version(sqlite3 *db, int64_t version, int64_t tables, char *err,
                            size_t errlen)
{
    if (version > HK_SCHEMA_VERSION)
        return hk_fail(err, errlen,
                       "%s has trace schema version %lld, newer than this hakmem-trace reads "
                       "(%d): use a newer hakmem-trace",
                       db_name(db), (long long)version, HK_SCHEMA_VERSION);
    if (version == 0 && tables > 0)
        return hk_fail(err, errlen, "%s is an SQLite database but not a hakmem trace database",
                       db_name(db));
    if (version != 0 && version < HK_SCHEMA_OLDEST)
        return hk_fail(err, errlen, "%s has trace schema version %lld, older than %d: not supported",
                       db_name(db), (long long)version, HK_SCHEMA_OLDEST);
    return 0;
}

/* The compiled-in schema's tables and views, as (type, name, sql) rows. */
static sqlite3 *reference_schema(char *err, size_t errlen)
{
    sqlite3 *ref = NULL;
    if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(ref, hk_schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        hk_fail(err, errlen, "cannot build the reference schema: %s",
                ref ? sqlite3_errmsg(ref) : "out of memory");
        sqlite3_close(ref);
        return NULL;
    }
    return ref;
}

/* What db has under name: its type and sql (NULL when absent), into buffers. */
static int object_of(sqlite3 *db, const char *name, char *type, size_t tlen, char **sql)
{
    sqlite3_stmt *st = hk_db_prepare(db, "SELECT type, sql FROM sqlite_master WHERE name = ?1",
                                     NULL, 0);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *type = '\0';
    *sql = NULL;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0), *q = sqlite3_column_text(st, 1);
        snprintf(type, tlen, "%s", t ? (const char *)t : "");
        *sql = q ? sqlite3_mprintf("%s", q) : NULL;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int hk_db_check_schema(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3 *ref = reference_schema(err, errlen);
    if (!ref)
        return -1;
    int older = hk_db_version(db) < HK_SCHEMA_VERSION;
    sqlite3_stmt *st = hk_db_prepare(ref, "SELECT type, name, sql FROM sqlite_master"
                                          " WHERE type IN ('table', 'view')", err, errlen);
    int rc = st ? 0 : -1;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *want = (const char *)sqlite3_column_text(st, 2);
        char got_type[16];
        char *got = NULL;
        if (object_of(db, name, got_type, sizeof got_type, &got) != 0)
            rc = hk_db_fail(db, "cannot read its schema", err, errlen);
        else if (!*got_type && !older)
            rc = hk_fail(err, errlen, "%s lacks the %s %s of a trace database", db_name(db),
                         type, name);
        else if (*got_type && strcmp(got_type, type) != 0)
            rc = hk_fail(err, errlen, "%s: %s is a %s where a trace database has a %s; refused",
                         db_name(db), name, got_type, type);
        else if (*got_type && strcmp(type, "view") == 0 && (!got || strcmp(got, want) != 0))
            rc = hk_fail(err, errlen, "%s: view %s differs from the schema this hakmem-trace "
                                      "wrote; refused (its SQL would run on reading)",
                         db_name(db), name);
        sqlite3_free(got);
    }
    sqlite3_finalize(st);
    sqlite3_close(ref);
    return rc;
}

int64_t hk_db_version(sqlite3 *db)
{
    int64_t v = 0;
    return hk_db_int(db, "PRAGMA user_version", 0, &v, NULL, 0) == 0 ? v : 0;
}

/* Version 1 to 2: only additions, so version-1 readers' queries still work. */
static const char upgrade_1_2[] =
    "ALTER TABLE runs ADD COLUMN ppid INTEGER;"
    "ALTER TABLE runs ADD COLUMN updated_ns INTEGER;"
    "ALTER TABLE runs ADD COLUMN end_ns INTEGER;"
    "ALTER TABLE runs ADD COLUMN end_final INTEGER;"
    "ALTER TABLE slabs ADD COLUMN final_flags INTEGER;";

/* Brings an older database up to this version (inside the caller's transaction):
 * the upgrade steps, then schema.sql, whose statements all say IF NOT EXISTS. */
static int db_upgrade(sqlite3 *db, int64_t version, char *err, size_t errlen)
{
    if (version == 1 && hk_db_exec(db, upgrade_1_2, err, errlen) != 0)
        return -1;
    return hk_db_exec(db, hk_schema_sql, err, errlen);
}

static int fill_event_types(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db, "INSERT OR IGNORE INTO event_types VALUES (?, ?)", err,
                                     errlen);
    if (!st)
        return -1;
    int rc = SQLITE_DONE;
    for (unsigned t = 1; t < HAKMEM_EV_COUNT && rc == SQLITE_DONE; t++) {
        sqlite3_bind_int(st, 1, (int)t);
        sqlite3_bind_text(st, 2, hakmem_event_type_name(t), -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot fill event_types", err, errlen);
}

/* Creates the schema in an empty database, or checks an existing one, in one
 * write transaction (two recorders may create the same file at once). */
static int db_apply_schema(sqlite3 *db, char *err, size_t errlen)
{
    int64_t version, tables;
    if (hk_db_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
        return -1;
    int rc = db_probe(db, &version, &tables, err, errlen);
    if (rc == 0)
        rc = db_check_version(db, version, tables, err, errlen);
    if (rc == 0 && version == 0)
        rc = hk_db_exec(db, hk_schema_sql, err, errlen);
    else if (rc == 0 && version < HK_SCHEMA_VERSION)
        rc = db_upgrade(db, version, err, errlen);
    if (rc == 0)
        rc = fill_event_types(db, err, errlen);
    if (rc == 0 && hk_db_int(db, "PRAGMA user_version", 0, &version, err, errlen) == 0 &&
        version != HK_SCHEMA_VERSION)
        rc = hk_fail(err, errlen, "schema.sql sets version %lld, expected %d (build error)",
                     (long long)version, HK_SCHEMA_VERSION);
    if (rc == 0)
        return hk_db_exec(db, "COMMIT", err, errlen);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static sqlite3 *db_open(const char *path, int flags, char *err, size_t errlen)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        hk_fail(err, errlen, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* A trace holds command lines and addresses: a new database is made 0600, and
 * neither a new nor an existing one is opened through a symlink (one planted
 * in a shared directory would make the recorder write where it points). */
static int db_create_private(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return S_ISLNK(st.st_mode) ? hk_fail(err, errlen, "%s is a symbolic link; refused "
                                                          "(give the file itself)", path)
                                   : 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return hk_fail(err, errlen, "cannot create %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return 0;
}

sqlite3 *hk_db_open_write(const char *path, int live, char *err, size_t errlen)
{
    if (db_create_private(path, err, errlen) != 0)
        return NULL;
    sqlite3 *db = db_open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW,
                          err, errlen);
    if (!db)
        return NULL;
    int64_t version, tables;
    int rc = db_probe(db, &version, &tables, err, errlen);
    if (rc == 0)
        rc = db_check_version(db, version, tables, err, errlen);
    /* page_size only takes effect before the first table; WAL lets readers
     * query while a recording writes; a bulk load appends faster with a
     * rollback journal (both survive a killed writer). */
    if (rc == 0 && tables == 0)
        rc = hk_db_exec(db, "PRAGMA page_size = 16384", err, errlen);
    if (rc == 0)
        rc = hk_db_exec(db, live ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode = DELETE",
                        err, errlen);
    if (rc == 0)
        rc = hk_db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384", err, errlen);
    if (rc == 0)
        rc = db_apply_schema(db, err, errlen);
    if (rc != 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

sqlite3 *hk_db_open_read(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        hk_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        hk_fail(err, errlen, "%s is not a regular file", path);
        return NULL;
    }
    sqlite3 *db = db_open(path, SQLITE_OPEN_READONLY, err, errlen);
    if (!db)
        return NULL;
    if (read_limit && !read_deadline)
        read_deadline = hk_mono_ns() + (uint64_t)read_limit * 1000000000u;
    if (read_limit)
        sqlite3_progress_handler(db, 10000, past_deadline, NULL);
    int64_t version, tables;
    int rc = hk_db_exec(db, "PRAGMA query_only = 1", err, errlen);
    if (rc == 0)
        rc = db_probe(db, &version, &tables, err, errlen);
    if (rc == 0)
        rc = db_check_version(db, version, tables, err, errlen);
    if (rc == 0 && version == 0)
        rc = hk_fail(err, errlen, "%s is not a hakmem trace database (it is empty)", path);
    if (rc == 0)
        rc = hk_db_check_schema(db, err, errlen);
    if (rc != 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

int hk_db_finish(sqlite3 *db, char *err, size_t errlen)
{
    /* Back to one file: checkpoints and removes the WAL unless a reader holds
     * it (then the WAL stays; the database is as valid either way). */
    sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
    sqlite3_exec(db, "PRAGMA optimize", NULL, NULL, NULL);
    if (sqlite3_close(db) != SQLITE_OK)
        return hk_fail(err, errlen, "cannot close the database: %s", sqlite3_errmsg(db));
    return 0;
}

void hk_db_close(sqlite3 *db)
{
    sqlite3_close_v2(db);
}

int hk_db_pick_run(sqlite3 *db, int64_t want, int64_t *run, char *err, size_t errlen)
{
    int64_t last;
    if (hk_db_int(db, "SELECT max(run_id) FROM runs", 0, &last, err, errlen) != 0)
        return -1;
    if (last == 0)
        return hk_fail(err, errlen, "%s holds no run", db_name(db));
    if (want <= 0) {
        *run = last;
        return 0;
    }
    sqlite3_stmt *st = hk_db_prepare(db, "SELECT run_id FROM runs WHERE run_id = ?", err, errlen);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, want);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return hk_fail(err, errlen, "%s has no run %lld (runs 1..%lld)", db_name(db),
                       (long long)want, (long long)last);
    *run = want;
    return 0;
}
