/* pprof.c — a heap profile as pprof's profile.proto (cli/profile.proto), gzip-
 * compressed: Go's four heap sample types, a sample per allocation stack with a
 * numeric "bytes" label, mappings with file names and build ids, locations with
 * their functions and lines. Written with protobuf-c, compressed with zlib. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "cli.h"
#include "cli/profile.pb-c.h"

enum { ALLOC_OBJECTS, ALLOC_SPACE, INUSE_OBJECTS, INUSE_SPACE, NVALUES };

struct loc { uint64_t ip; uint64_t map; uint64_t fn; int64_t line; };
struct fn { int64_t name, file; };
struct map { uint64_t start, limit; int64_t file; int has_lines; };
struct sample { uint64_t *locs; size_t n; int64_t value[NVALUES], block; };

/* A growable array of n items of size bytes. */
struct vec {
    void *p;
    size_t n, cap, size;
};

struct pprof {
    struct hk_intern *strings, *locs, *fns, *maps; /* locs by ip, fns by name+file, maps by path */
    struct vec loc, fn, map, sample;
};

/* A new zeroed item at the end of v, NULL out of memory. */
static void *push(struct vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 1024;
        void *p = realloc(v->p, cap * v->size);
        if (!p)
            return NULL;
        v->p = p;
        v->cap = cap;
    }
    void *item = (char *)v->p + v->n++ * v->size;
    memset(item, 0, v->size);
    return item;
}

static int64_t str(struct pprof *x, const char *s)
{
    return hk_intern(x->strings, s ? s : "");
}

/* The mapping number (1, 2, ...) of f's module, 0 when it has none; -1 out of memory. */
static int64_t map_of(struct pprof *x, const struct hk_prof_frame *f)
{
    if (!f->module)
        return 0;
    int64_t id = hk_intern(x->maps, f->module);
    if (id < 0)
        return -1;
    struct map *m = (size_t)id < x->map.n ? (struct map *)x->map.p + id : push(&x->map);
    if (!m || (m->file = m->file ? m->file : str(x, f->module)) < 0)
        return -1;
    uint64_t base = f->ip - f->offset;
    if (!m->limit || base < m->start)
        m->start = base;
    if (f->ip + 1 > m->limit)
        m->limit = f->ip + 1;
    m->has_lines |= f->file != NULL;
    return id + 1;
}

/* The function number of f's name and file; -1 out of memory. */
static int64_t fn_of(struct pprof *x, const struct hk_prof_frame *f)
{
    char name[512], key[2048];
    hk_prof_frame_name(f, name, sizeof name);
    snprintf(key, sizeof key, "%s\x1f%s", name, f->file ? f->file : "");
    int64_t id = hk_intern(x->fns, key);
    if (id < 0 || (size_t)id < x->fn.n)
        return id < 0 ? -1 : id + 1;
    struct fn *p = push(&x->fn);
    if (!p || (p->name = str(x, name)) < 0 || (p->file = str(x, f->file)) < 0)
        return -1;
    return id + 1;
}

/* The location number of frame f (its return address); 0 out of memory. */
static uint64_t loc_of(struct pprof *x, const struct hk_prof_frame *f)
{
    char key[32];
    snprintf(key, sizeof key, "%llx", (unsigned long long)f->ip);
    int64_t id = hk_intern(x->locs, key);
    if (id < 0)
        return 0;
    if ((size_t)id < x->loc.n)
        return (uint64_t)id + 1;
    struct loc *l = push(&x->loc);
    int64_t map = l ? map_of(x, f) : -1, fn = map >= 0 ? fn_of(x, f) : -1;
    if (fn < 0)
        return 0;
    *l = (struct loc){ .ip = f->ip, .map = (uint64_t)map, .fn = (uint64_t)fn, .line = f->line };
    return (uint64_t)id + 1;
}

/* A pseudo-frame for a stack without frames, so its sample is not lost. */
static uint64_t no_frames(struct pprof *x, const struct hk_prof_stack *s)
{
    char name[64];
    snprintf(name, sizeof name, s->stack_id == 0 ? "(no stack)" : "(stack %lld: no frames)",
             (long long)s->stack_id);
    struct hk_prof_frame f = { .function = name, .ip = (uint64_t)s->stack_id };
    return loc_of(x, &f);
}

/* The program's own file as mapping 1, which pprof takes for the main binary. */
static int main_mapping(struct pprof *x, const char *exe)
{
    struct map *m = hk_intern(x->maps, exe) == 0 ? push(&x->map) : NULL;
    return m && (m->file = str(x, exe)) >= 0 ? 0 : -1;
}

static int add(void *ctx, const struct hk_prof_stack *s)
{
    struct pprof *x = ctx;
    struct sample *k = push(&x->sample);
    size_t n = s->nframes ? s->nframes : 1;
    if (!k || !(k->locs = malloc(n * sizeof *k->locs)))
        return -1;
    k->n = n;
    for (size_t i = 0; i < n; i++) /* leaf first, as pprof has it */
        if (!(k->locs[i] = s->nframes ? loc_of(x, &s->frame[i]) : no_frames(x, s)))
            return -1;
    k->value[ALLOC_OBJECTS] = hk_prof_count(s->alloc_weight);
    k->value[ALLOC_SPACE] = s->bytes;
    k->value[INUSE_OBJECTS] = hk_prof_count(s->live_weight);
    k->value[INUSE_SPACE] = s->in_use;
    /* Go's convention: the label is the stack's mean block size */
    k->block = k->value[ALLOC_OBJECTS] ? s->bytes / k->value[ALLOC_OBJECTS] : 0;
    return 0;
}


/* ---- gzip output through zlib, as protobuf-c packs */

struct gz {
    ProtobufCBuffer base;
    z_stream z;
    FILE *out;
    int failed;
    unsigned char buf[1 << 16];
};

static void gz_drain(struct gz *g, int flush)
{
    int rc;
    do {
        g->z.next_out = g->buf;
        g->z.avail_out = sizeof g->buf;
        rc = deflate(&g->z, flush);
        size_t n = sizeof g->buf - g->z.avail_out;
        if (rc == Z_STREAM_ERROR || (n && fwrite(g->buf, 1, n, g->out) != n))
            g->failed = 1;
    } while (!g->failed && (g->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END)));
}

static void gz_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    struct gz *g = (struct gz *)b;
    while (len && !g->failed) {
        uInt n = len > (1u << 30) ? 1u << 30 : (uInt)len;
        g->z.next_in = (Bytef *)(uintptr_t)data;
        g->z.avail_in = n;
        gz_drain(g, Z_NO_FLUSH);
        data += n;
        len -= n;
    }
}

static int write_gz(const ProtobufCMessage *m, FILE *out, char *err, size_t errlen)
{
    struct gz *g = calloc(1, sizeof *g);
    if (!g || deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                           Z_DEFAULT_STRATEGY) != Z_OK) { /* 15 + 16: a gzip wrapper */
        free(g);
        return hk_fail(err, errlen, "cannot start zlib");
    }
    g->base.append = gz_append;
    g->out = out;
    protobuf_c_message_pack_to_buffer(m, &g->base);
    g->z.avail_in = 0;
    if (!g->failed)
        gz_drain(g, Z_FINISH);
    deflateEnd(&g->z);
    int failed = g->failed;
    free(g);
    return failed ? hk_fail(err, errlen, "cannot write the profile") : 0;
}

/* ---- the message, from what add() gathered for each stack */

struct message {
    Perftools__Profiles__Profile p;
    Perftools__Profiles__ValueType types[NVALUES + 1], *type_ptr[NVALUES];
    Perftools__Profiles__Sample *smp, **smp_ptr;
    Perftools__Profiles__Label *label, **label_ptr;
    Perftools__Profiles__Location *loc, **loc_ptr;
    Perftools__Profiles__Line *line, **line_ptr;
    Perftools__Profiles__Function *fn, **fn_ptr;
    Perftools__Profiles__Mapping *map, **map_ptr;
    char **strings;
    int64_t comment;
};

static void message_free(struct message *m)
{
    free(m->smp), free(m->smp_ptr), free(m->label), free(m->label_ptr);
    free(m->loc), free(m->loc_ptr), free(m->line), free(m->line_ptr);
    free(m->fn), free(m->fn_ptr), free(m->map), free(m->map_ptr), free(m->strings);
}

static void build_types(struct pprof *x, struct message *m)
{
    static const char *const names[NVALUES][2] = {
        { "alloc_objects", "count" }, { "alloc_space", "bytes" },
        { "inuse_objects", "count" }, { "inuse_space", "bytes" },
    };
    for (int i = 0; i <= NVALUES; i++) {
        perftools__profiles__value_type__init(&m->types[i]);
        m->types[i].type = str(x, i < NVALUES ? names[i][0] : "space");
        m->types[i].unit = str(x, i < NVALUES ? names[i][1] : "bytes");
        if (i < NVALUES)
            m->type_ptr[i] = &m->types[i];
    }
    m->p.n_sample_type = NVALUES;
    m->p.sample_type = m->type_ptr;
    m->p.period_type = &m->types[NVALUES];
    m->p.default_sample_type = str(x, "inuse_space");
}

static void build_samples(struct pprof *x, struct message *m)
{
    const struct sample *k = x->sample.p;
    int64_t key = str(x, "bytes");
    for (size_t i = 0; i < x->sample.n; i++) {
        perftools__profiles__sample__init(&m->smp[i]);
        perftools__profiles__label__init(&m->label[i]);
        m->smp[i].n_location_id = k[i].n;
        m->smp[i].location_id = k[i].locs;
        m->smp[i].n_value = NVALUES;
        m->smp[i].value = (int64_t *)k[i].value;
        m->label[i].key = key;
        m->label[i].num = k[i].block;
        m->label[i].num_unit = key;
        m->label_ptr[i] = &m->label[i];
        m->smp[i].n_label = k[i].block ? 1 : 0;
        m->smp[i].label = &m->label_ptr[i];
        m->smp_ptr[i] = &m->smp[i];
    }
    m->p.n_sample = x->sample.n;
    m->p.sample = m->smp_ptr;
}

static void build_locations(struct pprof *x, struct message *m)
{
    const struct loc *l = x->loc.p;
    for (size_t i = 0; i < x->loc.n; i++) {
        perftools__profiles__location__init(&m->loc[i]);
        perftools__profiles__line__init(&m->line[i]);
        m->loc[i].id = i + 1;
        m->loc[i].mapping_id = l[i].map;
        m->loc[i].address = l[i].ip;
        m->line[i].function_id = l[i].fn;
        m->line[i].line = l[i].line;
        m->line_ptr[i] = &m->line[i];
        m->loc[i].n_line = 1;
        m->loc[i].line = &m->line_ptr[i];
        m->loc_ptr[i] = &m->loc[i];
    }
    m->p.n_location = x->loc.n;
    m->p.location = m->loc_ptr;
    const struct fn *f = x->fn.p;
    for (size_t i = 0; i < x->fn.n; i++) {
        perftools__profiles__function__init(&m->fn[i]);
        m->fn[i].id = i + 1;
        m->fn[i].name = m->fn[i].system_name = f[i].name;
        m->fn[i].filename = f[i].file;
        m->fn_ptr[i] = &m->fn[i];
    }
    m->p.n_function = x->fn.n;
    m->p.function = m->fn_ptr;
}

/* Mappings last: they add their build ids to the string table. */
static void build_mappings(struct pprof *x, struct message *m)
{
    const struct map *p = x->map.p;
    for (size_t i = 0; i < x->map.n; i++) {
        char id[128];
        perftools__profiles__mapping__init(&m->map[i]);
        m->map[i].id = i + 1;
        m->map[i].memory_start = p[i].start;
        m->map[i].memory_limit = p[i].limit;
        m->map[i].filename = p[i].file;
        m->map[i].build_id = str(x, hk_build_id(hk_intern_str(x->strings, p[i].file), id, sizeof id));
        m->map[i].has_functions = m->map[i].has_filenames = 1;
        m->map[i].has_line_numbers = p[i].has_lines;
        m->map_ptr[i] = &m->map[i];
    }
    m->p.n_mapping = x->map.n;
    m->p.mapping = m->map_ptr;
}

#define ALLOC_N(ptr, n) (((ptr) = calloc((n) ? (n) : 1, sizeof *(ptr))) != NULL)

static int build(struct pprof *x, struct message *m, const struct hk_report *rep)
{
    perftools__profiles__profile__init(&m->p);
    size_t ns = x->sample.n, nl = x->loc.n, nf = x->fn.n, nm = x->map.n;
    if (!ALLOC_N(m->smp, ns) || !ALLOC_N(m->smp_ptr, ns) || !ALLOC_N(m->label, ns) ||
        !ALLOC_N(m->label_ptr, ns) || !ALLOC_N(m->loc, nl) || !ALLOC_N(m->loc_ptr, nl) ||
        !ALLOC_N(m->line, nl) || !ALLOC_N(m->line_ptr, nl) || !ALLOC_N(m->fn, nf) ||
        !ALLOC_N(m->fn_ptr, nf) || !ALLOC_N(m->map, nm) || !ALLOC_N(m->map_ptr, nm))
        return -1;
    build_types(x, m);
    build_samples(x, m);
    build_locations(x, m);
    build_mappings(x, m);
    m->comment = str(x, *rep->argv ? rep->argv : rep->exe);
    m->p.n_comment = 1;
    m->p.comment = &m->comment;
    size_t n = hk_intern_count(x->strings);
    if (m->comment < 0 || !ALLOC_N(m->strings, n))
        return -1;
    for (size_t i = 0; i < n; i++)
        m->strings[i] = (char *)hk_intern_str(x->strings, (int64_t)i);
    m->p.n_string_table = n;
    m->p.string_table = m->strings;
    return 0;
}

/* The run's start, length and command line from its report. */
static int run_times(sqlite3 *db, int64_t run, struct hk_report *rep, int64_t *start, char *err,
                     size_t errlen)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT started_ns FROM runs WHERE run_id = %lld", (long long)run);
    if (hk_db_int(db, sql, 0, start, err, errlen) != 0)
        return -1;
    return hk_report_load(db, run, rep, err, errlen);
}

static void pprof_free(struct pprof *x)
{
    struct sample *k = x->sample.p;
    for (size_t i = 0; i < x->sample.n; i++)
        free(k[i].locs);
    free(x->sample.p), free(x->loc.p), free(x->fn.p), free(x->map.p);
    hk_intern_free(x->strings), hk_intern_free(x->locs), hk_intern_free(x->fns);
    hk_intern_free(x->maps);
}

int hk_export_pprof(sqlite3 *db, int64_t run, FILE *out, char *err, size_t errlen)
{
    static struct hk_report rep;
    struct pprof x = { .loc.size = sizeof(struct loc), .fn.size = sizeof(struct fn),
                       .map.size = sizeof(struct map), .sample.size = sizeof(struct sample),
                       .strings = hk_intern_new(), .locs = hk_intern_new(),
                       .fns = hk_intern_new(), .maps = hk_intern_new() };
    struct message m = { 0 };
    int64_t start = 0, rate = 0;
    int rc = x.strings && x.locs && x.fns && x.maps && str(&x, "") == 0
                 ? 0 : hk_fail(err, errlen, "out of memory");
    if (rc == 0)
        rc = run_times(db, run, &rep, &start, err, errlen);
    if (rc == 0)
        rc = hk_prof_rate(db, run, &rate, err, errlen);
    if (rc == 0 && *rep.exe && main_mapping(&x, rep.exe) != 0)
        rc = hk_fail(err, errlen, "out of memory");
    if (rc == 0)
        rc = hk_prof_each(db, run, add, &x, err, errlen);
    if (rc == 0 && build(&x, &m, &rep) != 0)
        rc = hk_fail(err, errlen, "out of memory");
    if (rc == 0) {
        m.p.period = rate;
        m.p.time_nanos = start;
        m.p.duration_nanos = rep.duration_ns;
        rc = write_gz(&m.p.base, out, err, errlen);
    }
    message_free(&m);
    pprof_free(&x);
    return rc;
}
