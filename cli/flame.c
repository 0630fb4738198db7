/* flame.c — the HTML report's flame graph of a heap profile's allocation sites:
 * stacks sorted root first, merged by common prefix, one SVG per value type. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define WIDTH 1000   /* viewBox units across */
#define ROW 16       /* per frame */
#define MIN_WIDTH 0.5 /* a node narrower than this is left out, with what it calls */

/* The values the graph switches between, in this order. */
static const enum hk_prof_value kinds[HK_FLAME_KINDS] = { HK_PV_ALLOC_BYTES, HK_PV_INUSE_BYTES,
                                                          HK_PV_LEAKED_BYTES };
const char *const hk_flame_kind_names[HK_FLAME_KINDS] = { "allocated", "in use at the peak",
                                                          "leaked (in use at the end)" };

struct fstack {
    int64_t v[HK_FLAME_KINDS];
    size_t first, n; /* its frames' name ids, root first: ids[first .. first + n) */
};

struct flame {
    struct hk_intern *names;
    struct fstack *s;
    size_t n, cap;
    int64_t *ids;
    size_t nids, idcap;
    int64_t total[HK_FLAME_KINDS];
    size_t depth;
};

static const int64_t *ids_of(const struct flame *f, const struct fstack *s)
{
    return f->ids + s->first;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* hk_prof_each's callback: one stack, its frames' names interned. */
static int take(void *ctx, const struct hk_prof_stack *ps)
{
    struct flame *f = ctx;
    size_t n = ps->nframes ? ps->nframes : 1;
    if (grow((void **)&f->s, &f->cap, f->n + 1, sizeof *f->s) != 0 ||
        grow((void **)&f->ids, &f->idcap, f->nids + n, sizeof *f->ids) != 0)
        return -1;
    struct fstack *s = &f->s[f->n];
    s->first = f->nids;
    s->n = n;
    char name[512];
    for (size_t i = 0; i < n; i++) {
        if (ps->nframes)
            hk_prof_frame_name(&ps->frame[ps->nframes - 1 - i], name, sizeof name);
        else
            snprintf(name, sizeof name, ps->stack_id ? "(stack %lld: no frames)" : "(no stack)",
                     (long long)ps->stack_id);
        int64_t id = hk_intern(f->names, name);
        if (id < 0)
            return -1;
        f->ids[f->nids++] = id;
    }
    int any = 0;
    for (int k = 0; k < HK_FLAME_KINDS; k++) {
        s->v[k] = hk_prof_value(ps, kinds[k]);
        s->v[k] = s->v[k] > 0 ? s->v[k] : 0;
        f->total[k] += s->v[k];
        any |= s->v[k] > 0;
    }
    if (any) { /* else its frames stay interned, unused */
        f->n++;
        f->depth = n > f->depth ? n : f->depth;
    } else {
        f->nids -= n;
    }
    return 0;
}

static const struct flame *sorting; /* qsort has no context argument */

static int by_frames(const void *a, const void *b)
{
    const struct fstack *x = a, *y = b;
    const int64_t *p = ids_of(sorting, x), *q = ids_of(sorting, y);
    for (size_t i = 0; i < x->n && i < y->n; i++)
        if (p[i] != q[i]) /* by name, so siblings come in name order */
            return strcmp(hk_intern_str(sorting->names, p[i]), hk_intern_str(sorting->names, q[i]));
    return x->n < y->n ? -1 : x->n > y->n;
}

/* The nodes at depth d of stacks [lo, hi) (they share frames 0..d-1), from x on. */
static void layout(const struct flame *f, FILE *out, int k, size_t lo, size_t hi, size_t d,
                   double x)
{
    double scale = (double)WIDTH / (double)f->total[k];
    size_t i = lo;
    while (i < hi) {
        while (i < hi && f->s[i].n <= d) /* stacks that end above: no node here */
            x += (double)f->s[i++].v[k] * scale;
        if (i >= hi)
            break;
        int64_t id = ids_of(f, &f->s[i])[d], v = 0;
        size_t j = i;
        while (j < hi && f->s[j].n > d && ids_of(f, &f->s[j])[d] == id)
            v += f->s[j++].v[k];
        double w = (double)v * scale;
        if (w >= MIN_WIDTH && v > 0) {
            const char *name = hk_intern_str(f->names, id);
            char b[32];
            fprintf(out, "<g class=\"fn\"><rect class=\"f%d\" x=\"%.1f\" y=\"%zu\" width=\"%.1f\""
                         " height=\"%d\" data-v=\"%lld\"/><title>", (int)(id % HK_SVG_COLOURS), x,
                    d * ROW, w, ROW - 1, (long long)v);
            hk_html_text(out, name);
            fprintf(out, ": %s (%.1f%%)</title>", hk_bytes((uint64_t)v, b, sizeof b),
                    100.0 * (double)v / (double)f->total[k]);
            if (w > 40) {
                int chars = (int)(w / 7);
                fprintf(out, "<text x=\"%.1f\" y=\"%zu\">", x + 3, d * ROW + ROW - 4);
                char cut[256];
                snprintf(cut, sizeof cut, "%.*s", chars < 255 ? chars : 255, name);
                hk_html_text(out, cut);
                fputs("</text>", out);
            }
            fputs("</g>", out);
            layout(f, out, k, i, j, d + 1, x);
        }
        x += w;
        i = j;
    }
}

static void render(const struct flame *f, FILE *out)
{
    for (int k = 0; k < HK_FLAME_KINDS; k++) {
        char b[32];
        fprintf(out, "<div class=\"flame v%d\">", k);
        if (!f->total[k]) {
            fprintf(out, "<p class=\"missing\">no bytes %s in the sampled stacks</p></div>",
                    hk_flame_kind_names[k]);
            continue;
        }
        fprintf(out, "<svg class=\"flamegraph\" data-chart=\"flame-%d\" data-total=\"%lld\""
                     " viewBox=\"0 0 %d %zu\" role=\"img\"><title>allocation sites by bytes %s:"
                     " %s in all (root at the top, callees below)</title>",
                k, (long long)f->total[k], WIDTH, f->depth * ROW,
                hk_flame_kind_names[k], hk_bytes((uint64_t)f->total[k], b, sizeof b));
        layout(f, out, k, 0, f->n, 0, 0);
        fputs("</svg></div>", out);
    }
}

int hk_flame_write(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen)
{
    struct flame f = { 0 };
    if (!(f.names = hk_intern_new()))
        return hk_fail(err, errlen, "out of memory");
    int rc = hk_prof_each(db, run, take, &f, err, errlen);
    if (rc == 0) {
        sorting = &f;
        if (f.n)
            qsort(f.s, f.n, sizeof *f.s, by_frames);
        render(&f, out);
    }
    free(f.s);
    free(f.ids);
    hk_intern_free(f.names);
    return rc;
}
