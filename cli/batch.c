/* batch.c — eponymous virtual tables over rows prepared in memory, so that
 * `INSERT INTO events SELECT * FROM hk_batch` stores a batch without binding. */
#include <string.h>
#include "cli.h"

struct batch_table {
    sqlite3_vtab base;
    const struct hk_batch *src;
};

struct batch_cursor {
    sqlite3_vtab_cursor base;
    const struct hk_batch *src;
    size_t i;
};

static int b_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **err)
{
    (void)argc;
    (void)argv;
    (void)err;
    const struct hk_batch *src = aux;
    char *decl = sqlite3_mprintf("CREATE TABLE x(%s)", src->columns);
    int rc = decl ? sqlite3_declare_vtab(db, decl) : SQLITE_NOMEM;
    sqlite3_free(decl);
    if (rc != SQLITE_OK)
        return rc;
    struct batch_table *t = sqlite3_malloc(sizeof *t);
    if (!t)
        return SQLITE_NOMEM;
    memset(t, 0, sizeof *t);
    t->src = src;
    *out = &t->base;
    return SQLITE_OK;
}

static int b_disconnect(sqlite3_vtab *t)
{
    sqlite3_free(t);
    return SQLITE_OK;
}

static int b_best_index(sqlite3_vtab *t, sqlite3_index_info *info)
{
    (void)t;
    info->estimatedCost = 1e4;
    info->estimatedRows = 10000;
    return SQLITE_OK;
}

static int b_open(sqlite3_vtab *t, sqlite3_vtab_cursor **out)
{
    struct batch_cursor *c = sqlite3_malloc(sizeof *c);
    if (!c)
        return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    c->src = ((struct batch_table *)t)->src;
    *out = &c->base;
    return SQLITE_OK;
}

static int b_close(sqlite3_vtab_cursor *c)
{
    sqlite3_free(c);
    return SQLITE_OK;
}

static int b_filter(sqlite3_vtab_cursor *c, int idx, const char *idxstr, int argc,
                    sqlite3_value **argv)
{
    (void)idx;
    (void)idxstr;
    (void)argc;
    (void)argv;
    ((struct batch_cursor *)c)->i = 0;
    return SQLITE_OK;
}

static int b_next(sqlite3_vtab_cursor *c)
{
    ((struct batch_cursor *)c)->i++;
    return SQLITE_OK;
}

static int b_eof(sqlite3_vtab_cursor *c)
{
    const struct batch_cursor *k = (const struct batch_cursor *)c;
    return !k->src->v || k->i >= k->src->n;
}

static int b_column(sqlite3_vtab_cursor *c, sqlite3_context *ctx, int col)
{
    const struct batch_cursor *k = (const struct batch_cursor *)c;
    const struct hk_batch *b = k->src;
    if (b->nulls[k->i] >> col & 1)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_int64(ctx, b->v[k->i * (size_t)b->ncols + (size_t)col]);
    return SQLITE_OK;
}

static int b_rowid(sqlite3_vtab_cursor *c, sqlite3_int64 *rowid)
{
    *rowid = (sqlite3_int64)((struct batch_cursor *)c)->i;
    return SQLITE_OK;
}

static const sqlite3_module batch_module = {
    .iVersion = 0,
    .xCreate = NULL, /* eponymous only: no CREATE VIRTUAL TABLE, nothing in the file */
    .xConnect = b_connect,
    .xBestIndex = b_best_index,
    .xDisconnect = b_disconnect,
    .xDestroy = b_disconnect,
    .xOpen = b_open,
    .xClose = b_close,
    .xFilter = b_filter,
    .xNext = b_next,
    .xEof = b_eof,
    .xColumn = b_column,
    .xRowid = b_rowid,
};

int hk_batch_register(sqlite3 *db, const char *name, struct hk_batch *src, char *err,
                      size_t errlen)
{
    if (src->ncols < 1 || src->ncols > 16)
        return hk_fail(err, errlen, "batch table %s: %d columns", name, src->ncols);
    if (sqlite3_create_module(db, name, &batch_module, src) != SQLITE_OK)
        return hk_fail(err, errlen, "cannot register the batch table %s: %s", name,
                       sqlite3_errmsg(db));
    return 0;
}

void hk_batch_event(const struct hakmem_event *ev, int64_t run_id, int64_t start_mono_ns,
                    const struct hk_row *r, int64_t *v, uint16_t *nulls)
{
    v[0] = run_id;
    v[1] = (int64_t)ev->seq;
    v[2] = (int64_t)(ev->ts_ns - (uint64_t)start_mono_ns);
    v[3] = ev->tid;
    v[4] = ev->type;
    v[5] = r->cls;
    v[6] = r->ss;
    v[7] = r->slab;
    v[8] = r->stage;
    v[9] = (int64_t)ev->arg0;
    v[10] = (int64_t)ev->arg1;
    v[11] = r->stack_id;
    v[12] = r->reason;
    v[13] = r->ss_addr;
    *nulls = (uint16_t)((r->cls < 0) << 5 | (r->ss < 0) << 6 | (r->slab < 0) << 7 |
                        (r->stage < 0) << 8 | (r->stack_id < 0) << 11 | (r->reason < 0) << 12 |
                        (r->ss_addr < 0) << 13);
}
