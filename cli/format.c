/* format.c — the rows of a statement printed as an aligned table, CSV (RFC
 * 4180) or JSON (an array of objects); values keep their SQLite types. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define TABLE_ROWS 1000 /* rows that set the table's column widths */
#define TABLE_WIDTH 60  /* longer values are cut */

int hk_format_parse(const char *name, enum hk_format *out)
{
    static const struct { const char *name; enum hk_format f; } names[] = {
        { "table", HK_FMT_TABLE }, { "csv", HK_FMT_CSV }, { "json", HK_FMT_JSON },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

void hk_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void hk_csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n") && s[0] != ' ' && (!*s || s[strlen(s) - 1] != ' ')) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Column i of the current row as text (NULL for SQL NULL), blobs in hex;
 * into buf when it has to be made. */
static const char *text_of(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        return NULL;
    case SQLITE_BLOB: {
        const unsigned char *b = sqlite3_column_blob(st, i);
        int n = sqlite3_column_bytes(st, i);
        size_t k = 0;
        for (int j = 0; j < n && k + 3 < len; j++)
            k += (size_t)snprintf(buf + k, len - k, "%02x", b[j]);
        buf[k] = '\0';
        return buf;
    }
    default:
        return (const char *)sqlite3_column_text(st, i);
    }
}

static void json_value(FILE *out, sqlite3_stmt *st, int i)
{
    char buf[1024];
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        fprintf(out, "%lld", (long long)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, i);
        if (isfinite(v))
            fprintf(out, "%.17g", v);
        else
            fputs("null", out);
        break;
    }
    case SQLITE_NULL:
        fputs("null", out);
        break;
    default:
        hk_json_string(out, text_of(st, i, buf, sizeof buf));
    }
}

static int rows_json(sqlite3_stmt *st, FILE *out)
{
    int rc, n = sqlite3_column_count(st), first = 1;
    fputs("[", out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fputs(first ? "\n{" : ",\n{", out);
        first = 0;
        for (int i = 0; i < n; i++) {
            if (i)
                fputc(',', out);
            hk_json_string(out, sqlite3_column_name(st, i));
            fputc(':', out);
            json_value(out, st, i);
        }
        fputc('}', out);
    }
    fputs(first ? "]\n" : "\n]\n", out);
    return rc;
}

static int rows_csv(sqlite3_stmt *st, FILE *out)
{
    int rc, n = sqlite3_column_count(st);
    char buf[1024];
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        hk_csv_field(out, sqlite3_column_name(st, i));
    }
    fputs("\r\n", out);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            if (i)
                fputc(',', out);
            const char *v = text_of(st, i, buf, sizeof buf);
            hk_csv_field(out, v ? v : "");
        }
        fputs("\r\n", out);
    }
    return rc;
}

/* ---- table: the first TABLE_ROWS rows are kept to size the columns */

struct table {
    int ncols;
    size_t nrows;
    char **cell;      /* nrows * ncols, NULL for SQL NULL */
    int *numeric;     /* column holds numbers: right-aligned */
    size_t *width;
};

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(t->numeric);
    free(t->width);
}

static size_t cut(size_t n)
{
    return n > TABLE_WIDTH ? TABLE_WIDTH : n;
}

static void print_cell(FILE *out, const char *v, size_t width, int right)
{
    const char *s = v ? v : "NULL";
    size_t n = strlen(s), shown = cut(n);
    if (right)
        fprintf(out, "%*s", (int)(width - shown), "");
    if (shown < n)
        fprintf(out, "%.*s...", (int)shown - 3, s);
    else
        fputs(s, out);
    if (!right)
        fprintf(out, "%*s", (int)(width - shown), "");
}

static void print_row(FILE *out, const struct table *t, char *const *cells)
{
    for (int i = 0; i < t->ncols; i++) {
        if (i)
            fputs("  ", out);
        print_cell(out, cells[i], t->width[i], t->numeric[i]);
    }
    fputc('\n', out);
}

/* A value for the table, which goes to a terminal: control characters escaped. */
static const char *table_text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    char raw[1024];
    const char *v = text_of(st, i, raw, sizeof raw);
    return v ? hk_printable(v, buf, len) : NULL;
}

static int table_keep(struct table *t, sqlite3_stmt *st)
{
    char buf[1024];
    char **cells = realloc(t->cell, (t->nrows + 1) * (size_t)t->ncols * sizeof *cells);
    if (!cells)
        return -1;
    t->cell = cells;
    cells += t->nrows * (size_t)t->ncols;
    for (int i = 0; i < t->ncols; i++) {
        const char *v = table_text(st, i, buf, sizeof buf);
        int type = sqlite3_column_type(st, i);
        cells[i] = v ? strdup(v) : NULL;
        if (type == SQLITE_TEXT || type == SQLITE_BLOB)
            t->numeric[i] = 0;
        size_t w = cut(strlen(v ? v : "NULL"));
        if (w > t->width[i])
            t->width[i] = w;
    }
    t->nrows++;
    return 0;
}

static int rows_table(sqlite3_stmt *st, FILE *out)
{
    struct table t = { .ncols = sqlite3_column_count(st) };
    t.numeric = calloc((size_t)t.ncols + 1, sizeof *t.numeric);
    t.width = calloc((size_t)t.ncols + 1, sizeof *t.width);
    if (!t.numeric || !t.width) {
        table_free(&t);
        return SQLITE_NOMEM;
    }
    char *names[t.ncols + 1];
    for (int i = 0; i < t.ncols; i++) {
        names[i] = (char *)sqlite3_column_name(st, i);
        t.width[i] = cut(strlen(names[i]));
        t.numeric[i] = 1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && t.nrows < TABLE_ROWS)
        if (table_keep(&t, st) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    print_row(out, &t, names);
    for (int i = 0; i < t.ncols; i++) {
        fprintf(out, "%s", i ? "  " : "");
        for (size_t k = 0; k < t.width[i]; k++)
            fputc('-', out);
    }
    fputc('\n', out);
    for (size_t r = 0; r < t.nrows; r++)
        print_row(out, &t, &t.cell[r * (size_t)t.ncols]);
    char buf[1024];
    for (; rc == SQLITE_ROW; rc = sqlite3_step(st)) { /* the rest, in the same widths */
        for (int i = 0; i < t.ncols; i++) {
            fputs(i ? "  " : "", out);
            print_cell(out, table_text(st, i, buf, sizeof buf), t.width[i], t.numeric[i]);
        }
        fputc('\n', out);
    }
    table_free(&t);
    return rc;
}

int hk_format_rows(sqlite3_stmt *st, enum hk_format fmt, FILE *out, char *err, size_t errlen)
{
    int rc = fmt == HK_FMT_JSON ? rows_json(st, out)
             : fmt == HK_FMT_CSV ? rows_csv(st, out)
                                 : rows_table(st, out);
    if (rc != SQLITE_DONE)
        return hk_db_fail(sqlite3_db_handle(st), "SQL error", err, errlen);
    return 0;
}
