/* collapsed.c — a heap profile as Brendan Gregg's folded stacks, "root;...;leaf
 * VALUE" a line: the input of flamegraph.pl, inferno and speedscope. */
#include <string.h>
#include "cli.h"

/* A frame name as a folded line can hold it: no ';' (the separator), no line breaks. */
static void put_name(FILE *out, const char *name)
{
    for (const char *p = name; *p; p++)
        fputc(*p == ';' || *p == '\n' || *p == '\r' ? '_' : *p, out);
}

static void put_stack(FILE *out, const struct hk_prof_stack *s, int64_t value)
{
    char name[512];
    if (s->nframes == 0) {
        snprintf(name, sizeof name, s->stack_id == 0 ? "(no stack)" : "(stack %lld: no frames)",
                 (long long)s->stack_id);
        put_name(out, name);
    }
    for (size_t i = s->nframes; i-- > 0;) { /* root first */
        put_name(out, hk_prof_frame_name(&s->frame[i], name, sizeof name));
        if (i)
            fputc(';', out);
    }
    fprintf(out, " %lld\n", (long long)value);
}

struct folding {
    FILE *out;
    enum hk_prof_value value;
};

static int fold(void *ctx, const struct hk_prof_stack *s)
{
    const struct folding *f = ctx;
    int64_t value = hk_prof_value(s, f->value);
    if (value > 0)
        put_stack(f->out, s, value);
    return 0;
}

int hk_export_collapsed(sqlite3 *db, int64_t run, enum hk_prof_value v, FILE *out, char *err,
                        size_t errlen)
{
    struct folding f = { out, v };
    return hk_prof_each(db, run, fold, &f, err, errlen);
}
