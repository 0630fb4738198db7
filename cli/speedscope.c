/* speedscope.c — a heap profile in speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): the frames once, then
 * one "sampled" profile per value type, each stack a sample weighted by its value. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define SCHEMA_URL "https://www.speedscope.app/file-format-schema.json"

/* A stack as the profiles need it: frame numbers root first, its values. */
struct sample {
    int64_t value[HK_PV_COUNT];
    uint32_t *frames;
    size_t n;
};

struct speedscope {
    struct hk_intern *frames; /* "name\x1f" "file\x1f" "line" */
    struct sample *samples;
    size_t n, cap;
};

/* The frame number of f (a pseudo-frame name when f is NULL); -1 out of memory. */
static int64_t frame_id(struct speedscope *x, const struct hk_prof_frame *f, const char *pseudo)
{
    char name[512], key[2048];
    if (!f)
        snprintf(key, sizeof key, "%s\x1f\x1f", pseudo);
    else
        snprintf(key, sizeof key, "%s\x1f%s\x1f%d", hk_prof_frame_name(f, name, sizeof name),
                 f->file ? f->file : "", f->file ? f->line : 0);
    return hk_intern(x->frames, key);
}

static int add(void *ctx, const struct hk_prof_stack *s)
{
    struct speedscope *x = ctx;
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 1024;
        struct sample *p = realloc(x->samples, cap * sizeof *p);
        if (!p)
            return -1;
        x->samples = p;
        x->cap = cap;
    }
    struct sample *k = &x->samples[x->n];
    size_t n = s->nframes ? s->nframes : 1;
    if (!(k->frames = malloc(n * sizeof *k->frames)))
        return -1;
    x->n++;
    k->n = n;
    for (int v = 0; v < HK_PV_COUNT; v++)
        k->value[v] = hk_prof_value(s, (enum hk_prof_value)v);
    char pseudo[64];
    snprintf(pseudo, sizeof pseudo, s->stack_id == 0 ? "(no stack)" : "(stack %lld: no frames)",
             (long long)s->stack_id);
    for (size_t i = 0; i < n; i++) {
        int64_t id = frame_id(x, s->nframes ? &s->frame[s->nframes - 1 - i] : NULL, pseudo);
        if (id < 0)
            return -1;
        k->frames[i] = (uint32_t)id;
    }
    return 0;
}


/* A field of a frame key into a JSON string (up to the next \x1f). */
static const char *field(FILE *out, const char *p)
{
    const char *end = strchr(p, '\x1f');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), p);
    hk_json_string(out, buf);
    return end ? end + 1 : p + len;
}

static void write_frames(const struct speedscope *x, FILE *out)
{
    fputs("\"shared\":{\"frames\":[", out);
    for (size_t i = 0; i < hk_intern_count(x->frames); i++) {
        const char *p = hk_intern_str(x->frames, (int64_t)i);
        fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
        p = field(out, p);
        const char *line = strchr(p, '\x1f');
        if (*p != '\x1f') {
            fputs(",\"file\":", out);
            field(out, p);
            fprintf(out, ",\"line\":%s", line ? line + 1 : "0");
        }
        fputc('}', out);
    }
    fputs("]},\n", out);
}

static void write_profile(const struct speedscope *x, enum hk_prof_value v, FILE *out)
{
    int64_t total = 0;
    int first = 1;
    for (size_t i = 0; i < x->n; i++)
        total += x->samples[i].value[v] > 0 ? x->samples[i].value[v] : 0;
    fprintf(out, "{\"type\":\"sampled\",\"name\":\"%s\",\"unit\":\"%s\",\"startValue\":0,"
                 "\"endValue\":%lld,\"samples\":[", hk_prof_value_names[v],
            hk_prof_value_units[v], (long long)total);
    for (size_t i = 0; i < x->n; i++) {
        if (x->samples[i].value[v] <= 0)
            continue;
        fputs(first ? "\n[" : ",\n[", out);
        first = 0;
        for (size_t k = 0; k < x->samples[i].n; k++)
            fprintf(out, k ? ",%u" : "%u", x->samples[i].frames[k]);
        fputc(']', out);
    }
    fputs("],\"weights\":[", out);
    first = 1;
    for (size_t i = 0; i < x->n; i++)
        if (x->samples[i].value[v] > 0) {
            fprintf(out, first ? "%lld" : ",%lld", (long long)x->samples[i].value[v]);
            first = 0;
        }
    fputs("]}", out);
}

int hk_export_speedscope(sqlite3 *db, int64_t run, const char *name, FILE *out, char *err,
                         size_t errlen)
{
    struct speedscope x = { .frames = hk_intern_new() };
    int rc = x.frames ? hk_prof_each(db, run, add, &x, err, errlen) : hk_fail(err, errlen, "out of memory");
    if (rc == 0) {
        fputs("{\"$schema\":\"" SCHEMA_URL "\",\n", out);
        write_frames(&x, out);
        fputs("\"profiles\":[\n", out);
        for (int v = 0; v < HK_PV_COUNT; v++) {
            write_profile(&x, (enum hk_prof_value)v, out);
            fputs(v + 1 < HK_PV_COUNT ? ",\n" : "\n", out);
        }
        fputs("],\"name\":", out);
        hk_json_string(out, name);
        fputs(",\"activeProfileIndex\":0,\"exporter\":\"hakmem-trace " PACKAGE_VERSION "\"}\n",
              out);
    }
    for (size_t i = 0; i < x.n; i++)
        free(x.samples[i].frames);
    free(x.samples);
    hk_intern_free(x.frames);
    return rc;
}
