/* intern.c — strings numbered densely in order of first sight, each kept once:
 * pprof's string table, speedscope's frame list, diff's stacks by their key. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

struct entry {
    struct hk_slot h;
    int64_t id;
};

struct hk_intern {
    struct hk_table index; /* struct entry by the string's hash */
    char **str;            /* by id */
    size_t n, cap;
};

static struct hk_intern *current; /* same() has no context argument: the table being probed */

static int same(const void *slot, const void *key)
{
    const struct entry *e = slot;
    return strcmp(current->str[e->id], (const char *)key) == 0;
}

static uint64_t hash_of(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return hk_table_mix(h);
}

struct hk_intern *hk_intern_new(void)
{
    struct hk_intern *in = calloc(1, sizeof *in);
    if (in && hk_table_init(&in->index, sizeof(struct entry)) != 0) {
        free(in);
        return NULL;
    }
    return in;
}

void hk_intern_free(struct hk_intern *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n; i++)
        free(in->str[i]);
    free(in->str);
    hk_table_free(&in->index);
    free(in);
}

static int64_t lookup(struct hk_intern *in, const char *s, int create)
{
    int created = 0;
    current = in;
    if (create && in->n == in->cap) {
        size_t cap = in->cap ? 2 * in->cap : 256;
        char **str = realloc(in->str, cap * sizeof *str);
        if (!str)
            return -1;
        in->str = str;
        in->cap = cap;
    }
    struct entry *e = hk_table_get(&in->index, hash_of(s), same, s, create, &created);
    if (!e)
        return -1;
    if (created) {
        if (!(in->str[in->n] = strdup(s))) {
            hk_table_delete(&in->index, e);
            return -1;
        }
        e->id = (int64_t)in->n++;
    }
    return e->id;
}

int64_t hk_intern(struct hk_intern *in, const char *s)
{
    return lookup(in, s, 1);
}

int64_t hk_intern_find(struct hk_intern *in, const char *s)
{
    return lookup(in, s, 0);
}

const char *hk_intern_str(const struct hk_intern *in, int64_t id)
{
    return id >= 0 && (size_t)id < in->n ? in->str[id] : NULL;
}

size_t hk_intern_count(const struct hk_intern *in)
{
    return in->n;
}
