/* sitediff.c — the call-site section of `hakmem-trace diff` for two heap-profiled
 * runs: each site's bytes allocated and in use at the end in A and in B, matched
 * by symbolised stack (hk_prof_stack_key: function names, modules and the
 * allocating call's line; stack ids differ between runs), the sites that grew or shrank most first, as heaptrack_print -d and
 * pprof -base compare. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* One site: A's figures [0], B's [1]. */
struct site {
    int64_t bytes[2], in_use[2], allocs[2];
    int seen[2];
    char *name; /* the leaf frame and a few callers, for the reader */
};

struct sitediff {
    struct hk_intern *keys; /* hk_prof_stack_key → index into sites */
    struct site *sites;
    size_t cap;
    int side;               /* the run being read: 0 A, 1 B */
};

/* "leaf file:line (module) < caller < caller" of s. */
static char *describe(const struct hk_prof_stack *s)
{
    char buf[1024], name[512], where[600] = "";
    if (s->nframes == 0)
        return strdup(s->stack_id == 0 ? "(no stack)" : "(no frames)");
    const struct hk_prof_frame *f = &s->frame[0];
    if (f->file)
        snprintf(where, sizeof where, " %s:%d", hk_basename(f->file), f->line);
    int at = snprintf(buf, sizeof buf, "%s%s (%s)", hk_prof_frame_name(f, name, sizeof name), where,
                      f->module ? hk_basename(f->module) : "?");
    for (size_t i = 1; i < s->nframes && i < 4 && at >= 0 && (size_t)at < sizeof buf; i++)
        at += snprintf(buf + at, sizeof buf - at, " < %s",
                       hk_prof_frame_name(&s->frame[i], name, sizeof name));
    return strdup(buf);
}

static int add(void *ctx, const struct hk_prof_stack *s)
{
    struct sitediff *d = ctx;
    char key[8192];
    int64_t id = hk_intern(d->keys, hk_prof_stack_key(s, key, sizeof key));
    if (id < 0)
        return -1;
    if ((size_t)id >= d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 256;
        struct site *p = realloc(d->sites, cap * sizeof *p);
        if (!p)
            return -1;
        memset(p + d->cap, 0, (cap - d->cap) * sizeof *p);
        d->sites = p;
        d->cap = cap;
    }
    struct site *k = &d->sites[id];
    if (!k->name && !(k->name = describe(s)))
        return -1;
    k->seen[d->side] = 1;
    k->bytes[d->side] += s->bytes;
    k->in_use[d->side] += s->in_use;
    k->allocs[d->side] += hk_prof_count(s->alloc_weight);
    return 0;
}

static int load_side(struct sitediff *d, int side, const char *path, int64_t run, char *err,
                     size_t errlen)
{
    sqlite3 *db = hk_db_open_read(path, err, errlen);
    if (!db)
        return -1;
    d->side = side;
    int rc = hk_prof_each(db, run, add, d, err, errlen);
    hk_db_close(db);
    return rc;
}

/* The sort key of the list being printed. */
static int by_in_use;

static int64_t change(const struct site *s)
{
    return by_in_use ? s->in_use[1] - s->in_use[0] : s->bytes[1] - s->bytes[0];
}

static int by_change(const void *a, const void *b)
{
    const struct site *x = *(const struct site *const *)a, *y = *(const struct site *const *)b;
    int64_t cx = llabs(change(x)), cy = llabs(change(y));
    return cx != cy ? (cx < cy ? 1 : -1) : strcmp(x->name, y->name);
}

static void print_row(const struct site *s, FILE *out)
{
    const int64_t *v = by_in_use ? s->in_use : s->bytes;
    char a[32], b[32], c[32], d[40];
    int64_t delta = v[1] - v[0];
    hk_bytes((uint64_t)v[0], a, sizeof a);
    hk_bytes((uint64_t)v[1], b, sizeof b);
    snprintf(d, sizeof d, "%c%s", delta < 0 ? '-' : '+', hk_bytes((uint64_t)llabs(delta), c, sizeof c));
    fprintf(out, "  %12s %12s %12s  %-7s %s\n", a, b, d,
            !s->seen[0] ? "new" : !s->seen[1] ? "gone" : delta > 0 ? "grew" : "shrank", s->name);
}

static void print_list(struct site **order, size_t n, int in_use, size_t top, FILE *out)
{
    by_in_use = in_use;
    qsort(order, n, sizeof *order, by_change);
    fprintf(out, "\ncall sites by change in bytes %s (B - A)\n"
                 "  %12s %12s %12s  %-7s %s\n",
            in_use ? "in use at the end" : "allocated", "A", "B", "change", "", "site");
    size_t shown = 0;
    for (size_t i = 0; i < n && shown < top; i++)
        if (change(order[i]) != 0) {
            print_row(order[i], out);
            shown++;
        }
    if (!shown)
        fprintf(out, "  (no site changed)\n");
}

int hk_sitediff_print(const char *pa, int64_t ra, const char *pb, int64_t rb, size_t top, FILE *out,
                      char *err, size_t errlen)
{
    struct sitediff d = { .keys = hk_intern_new() };
    int rc = d.keys ? 0 : hk_fail(err, errlen, "out of memory");
    if (rc == 0)
        rc = load_side(&d, 0, pa, ra, err, errlen);
    if (rc == 0)
        rc = load_side(&d, 1, pb, rb, err, errlen);
    size_t n = d.keys ? hk_intern_count(d.keys) : 0;
    struct site **order = rc == 0 ? calloc(n ? n : 1, sizeof *order) : NULL;
    if (rc == 0 && !order)
        rc = hk_fail(err, errlen, "out of memory");
    if (rc == 0) {
        int64_t tot[2][2] = { { 0 } };
        for (size_t i = 0; i < n; i++) {
            order[i] = &d.sites[i];
            for (int s = 0; s < 2; s++) {
                tot[0][s] += d.sites[i].bytes[s];
                tot[1][s] += d.sites[i].in_use[s];
            }
        }
        fprintf(out, "\nheap profile: %zu call sites; allocated %lld B in A, %lld B in B; in use at "
                     "the end %lld B in A, %lld B in B\n", n, (long long)tot[0][0],
                (long long)tot[0][1], (long long)tot[1][0], (long long)tot[1][1]);
        print_list(order, n, 0, top, out);
        print_list(order, n, 1, top, out);
    }
    free(order);
    for (size_t i = 0; i < n; i++)
        free(d.sites[i].name);
    free(d.sites);
    hk_intern_free(d.keys);
    return rc;
}
