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

int hk_db_rows(sqlite3 *db, sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
               const char *what, char *err, size_t errlen)
{
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        row(st, ctx);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, what, err, errlen);
}

/* user_version and whether the database has tables; -1 when it is no database. */
static int db_probe(sqlite3 *db, int64_t *version, int64_t *tables, char *err, size_t errlen)
{
    if (hk_db_int(db, "PRAGMA user_version", 0, version, err, errlen) != 0)
        return -1;
    return hk_db_int(db, "SELECT count(*) FROM sqlite_master", 0, tables, err, errlen);
}

/* Accepts databases this program understands (the version: hk_store_check_version);
 * one sentence otherwise. */
static int db_check_version(sqlite3 *db, int64_t version, int64_t tables, char *err,
                            size_t errlen)
{
    if (hk_store_check_version(db_name(db), version, HK_STORE_QUERY, err, errlen) != 0)
        return -1;
    if (version == 0 && tables > 0)
        return hk_fail(err, errlen, "%s is an SQLite database but not a hakmem trace database",
                       db_name(db));
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
/* Version 2 to 3: the heap profile's rate, frames' function offsets (the
 * profile's tables come with schema.sql). */
static const char upgrade_2_3[] = "ALTER TABLE runs ADD COLUMN profile_rate INTEGER;"
                                  "ALTER TABLE frames ADD COLUMN fn_offset INTEGER;";

/* Brings an older database up to this version (inside the caller's transaction):
 * the upgrade steps, then schema.sql, whose statements all say IF NOT EXISTS. */
static int db_upgrade(sqlite3 *db, int64_t version, char *err, size_t errlen)
{
    if (version == 1 && hk_db_exec(db, upgrade_1_2, err, errlen) != 0)
        return -1;
    if (version <= 2 && hk_db_exec(db, upgrade_2_3, err, errlen) != 0)
        return -1;
    /* 3 to 4: profile_usage, a table of schema.sql */
    return hk_db_exec(db, hk_schema_sql, err, errlen);
}

/* A row of a lookup table: its number and up to two texts. */
struct lookup_row {
    int id;
    const char *name, *meaning;
};
#define EVENT_ROW(id, NAME, name, meaning) { id, #name, NULL },
#define STAGE_ROW(i, NAME, label, brief, meaning) { i, label, meaning },
#define ERROR_ROW(kind, NAME, label) { kind, label, NULL },
static const struct lookup_row event_rows[] = { HAKMEM_EVENT_LIST(EVENT_ROW) };
static const struct lookup_row stage_rows[] = { HAKMEM_STAGE_LIST(STAGE_ROW) };
static const struct lookup_row error_rows[] = { HAKMEM_HEAP_ERROR_LIST(ERROR_ROW) };
#define ROWS(a) a, sizeof a / sizeof a[0]

/* INSERT OR IGNOREs rows[0..n) with sql, whose parameters are id, name and
 * (when it has three) meaning. */
static int fill_table(sqlite3 *db, const char *table, const char *sql,
                      const struct lookup_row *rows, size_t n, char *err, size_t errlen)
{
    sqlite3_stmt *st = hk_db_prepare(db, sql, err, errlen);
    if (!st)
        return -1;
    int rc = SQLITE_DONE, three = sqlite3_bind_parameter_count(st) == 3;
    for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        sqlite3_bind_int(st, 1, rows[i].id);
        sqlite3_bind_text(st, 2, rows[i].name, -1, SQLITE_STATIC);
        if (three)
            sqlite3_bind_text(st, 3, rows[i].meaning, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    char what[64];
    snprintf(what, sizeof what, "cannot fill %s", table);
    return hk_db_fail(db, what, err, errlen);
}

/* The lookup tables, from the lists of hakmem_defs.h. */
static int fill_lookups(sqlite3 *db, char *err, size_t errlen)
{
    if (fill_table(db, "event_types", "INSERT OR IGNORE INTO event_types VALUES (?, ?)",
                   ROWS(event_rows), err, errlen) != 0 ||
        fill_table(db, "stages", "INSERT OR IGNORE INTO stages VALUES (?, ?, ?)", ROWS(stage_rows),
                   err, errlen) != 0)
        return -1;
    return fill_table(db, "heap_error_kinds", "INSERT OR IGNORE INTO heap_error_kinds VALUES (?, ?)",
                      ROWS(error_rows), err, errlen);
}

/* 1 when runs has the ppid column (files written before it was added lack it). */
static int has_ppid(sqlite3 *db, char *err, size_t errlen)
{
    int64_t n = 0;
    if (hk_db_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'ppid'", 0, &n,
                  err, errlen) != 0)
        return -1;
    return n > 0;
}

/* Creates the schema in an empty database, or checks an existing one (and
 * adds runs.ppid to a file made before it), in one write transaction (two
 * recorders may create the same file at once). */
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
        rc = fill_lookups(db, err, errlen);
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
    /* a recording writes each process image through a connection of its own:
     * they take turns at the write lock */
    sqlite3_busy_timeout(db, 30000);
    int64_t version, tables;
    int rc = db_probe(db, &version, &tables, err, errlen);
    if (rc == 0)
        rc = db_check_version(db, version, tables, err, errlen);
    /* page_size only takes effect before the first table; WAL lets readers
     * query while a recording writes; a bulk load appends faster with a
     * rollback journal (both survive a killed writer). */
    if (rc == 0 && tables == 0)
        rc = hk_db_exec(db, "PRAGMA page_size = 16384", err, errlen);
    /* a new database's set-up unsynced (5 fdatasyncs, a few ms before the
     * program may start): only a crash of the OS could leave it half made */
    if (rc == 0)
        rc = hk_db_exec(db, tables ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = OFF",
                        err, errlen);
    if (rc == 0)
        rc = hk_db_exec(db, live ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode = DELETE",
                        err, errlen);
    if (rc == 0)
        rc = db_apply_schema(db, err, errlen);
    if (rc == 0)
        rc = hk_db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384", err, errlen);
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
     * it (then the WAL stays; the database is as valid either way). Unsynced
     * (two fdatasyncs, 8 ms): what was recorded is the kernel's, a killed
     * recorder loses none of it; only a crash of the OS could. */
    sqlite3_exec(db, "PRAGMA synchronous = OFF", NULL, NULL, NULL);
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

/* The runs a filter admits, with what the picker weighs: run, pid, ppid, exe,
 * events, bytes mapped (SuperSlab + large). ?1 pid, ?2 name (NULL: any). A
 * name matches the executable or the command's first word, as a path or by
 * its last component. */
#define RUNS_SQL(ppid)                                                                          \
    "SELECT run_id, pid, " ppid ", exe, events,"                                                \
    " coalesce((SELECT sum(arg0_sum) FROM event_counts c"                                       \
    "           WHERE c.run_id = r.run_id AND c.type IN (1, 3)), 0) AS mapped"                   \
    " FROM (SELECT *, CASE WHEN instr(argv, ' ') THEN substr(argv, 1, instr(argv, ' ') - 1)"     \
    "                 ELSE argv END AS cmd FROM runs) r"                                         \
    " WHERE (?1 IS NULL OR pid = ?1) AND (?2 IS NULL OR exe = ?2 OR cmd = ?2"                    \
    "        OR substr(exe, -length(?2) - 1) = '/' || ?2 OR substr(cmd, -length(?2) - 1) = '/' || ?2)" \
    " ORDER BY run_id"

static sqlite3_stmt *runs_matching(sqlite3 *db, const struct hk_run_filter *f, char *err,
                                   size_t errlen)
{
    int ppid = has_ppid(db, err, errlen);
    if (ppid < 0)
        return NULL;
    sqlite3_stmt *st = hk_db_prepare(db, ppid ? RUNS_SQL("ppid") : RUNS_SQL("NULL"), err, errlen);
    if (!st)
        return NULL;
    if (f->pid > 0)
        sqlite3_bind_int64(st, 1, f->pid);
    if (f->exe)
        sqlite3_bind_text(st, 2, f->exe, -1, SQLITE_STATIC);
    return st;
}

/* "pid 12", "exe sh", "pid 12 and exe sh" into buf. */
static const char *filter_words(const struct hk_run_filter *f, char *buf, size_t len)
{
    if (f->pid > 0 && f->exe)
        snprintf(buf, len, "pid %lld and exe %s", (long long)f->pid, f->exe);
    else if (f->pid > 0)
        snprintf(buf, len, "pid %lld", (long long)f->pid);
    else
        snprintf(buf, len, "exe %s", f->exe ? f->exe : "?");
    return buf;
}

int hk_db_pick(sqlite3 *db, const struct hk_run_filter *f, int64_t *run, int64_t *matched,
               char *err, size_t errlen)
{
    *matched = 0;
    if (f->run > 0 && !f->pid && !f->exe) {
        *matched = 1;
        return hk_db_pick_run(db, f->run, run, err, errlen);
    }
    int64_t last;
    if (hk_db_int(db, "SELECT max(run_id) FROM runs", 0, &last, err, errlen) != 0)
        return -1;
    if (last == 0)
        return hk_fail(err, errlen, "%s holds no run", db_name(db));
    sqlite3_stmt *st = runs_matching(db, f, err, errlen);
    if (!st)
        return -1;
    int64_t best = 0, best_mapped = -1, best_events = -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), events = sqlite3_column_int64(st, 4),
                mapped = sqlite3_column_int64(st, 5);
        if (f->run > 0 && id != f->run)
            continue;
        ++*matched;
        if (mapped > best_mapped || (mapped == best_mapped && events >= best_events)) {
            best = id;
            best_mapped = mapped;
            best_events = events;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return hk_db_fail(db, "cannot list the runs", err, errlen);
    char words[HAKMEM_SEG_EXE_MAX + 64];
    if (!best && f->run > 0)
        return hk_fail(err, errlen, "%s has no run %lld of %s", db_name(db), (long long)f->run,
                       filter_words(f, words, sizeof words));
    if (!best)
        return hk_fail(err, errlen, "%s has no run of %s (runs 1..%lld; see query @runs)",
                       db_name(db), filter_words(f, words, sizeof words), (long long)last);
    *run = best;
    return 0;
}

int hk_db_list_runs(sqlite3 *db, const struct hk_run_filter *f, int64_t chosen, FILE *out,
                    char *err, size_t errlen)
{
    sqlite3_stmt *st = runs_matching(db, f, err, errlen);
    if (!st)
        return -1;
    fprintf(out, "%5s %8s %8s %-20s %12s %12s\n", "RUN", "PID", "PPID", "EXE", "EVENTS", "MAPPED");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *exe = sqlite3_column_text(st, 3);
        char ppid[24] = "-", mapped[32];
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            snprintf(ppid, sizeof ppid, "%lld", (long long)sqlite3_column_int64(st, 2));
        fprintf(out, "%5lld %8lld %8s %-20s %12lld %12s%s\n", (long long)sqlite3_column_int64(st, 0),
                (long long)sqlite3_column_int64(st, 1), ppid,
                exe && *exe ? hk_basename((const char *)exe) : "?",
                (long long)sqlite3_column_int64(st, 4),
                hk_bytes((uint64_t)sqlite3_column_int64(st, 5), mapped, sizeof mapped),
                sqlite3_column_int64(st, 0) == chosen ? "  <- reported" : "");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : hk_db_fail(db, "cannot list the runs", err, errlen);
}

const struct option hk_run_options[] = {
    { "run", required_argument, NULL, 'r' },
    { "pid", required_argument, NULL, 'p' },
    { "exe", required_argument, NULL, 'e' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int hk_run_option(const char *cmd, int c, const char *arg, struct hk_run_filter *f)
{
    uint64_t n;
    if (c == 'e') {
        f->exe = arg;
        return 0;
    }
    if (hk_parse_u64(arg, 1, INT64_MAX, &n) != 0) {
        hk_say(cmd, "--%s %s: expected a %s", c == 'r' ? "run" : "pid", arg,
               c == 'r' ? "run number" : "process id");
        return 2;
    }
    *(c == 'r' ? &f->run : &f->pid) = (int64_t)n;
    return 0;
}
