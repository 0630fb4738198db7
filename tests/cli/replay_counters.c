/* replay_counters.c — `replay_counters FILE.db [RUN]`: the counters rebuilt from a
 * recorded run's stored events (hakmem_counters_apply, read through cli/store.h)
 * against the live counters the process ended with (run_counters, its
 * hakmem_stats_get() at exit), for every field of hk_counter_fields. Prints one
 * line per field and exits 0 when all that events can derive are equal, 1 when
 * one differs, 2 on misuse or a run without counters. For tests/cli/replay_live.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "hakmem_reader.h"

/* The counters no event carries, and why; every other field must be equal. */
static const struct {
    const char *name, *why;
} not_derivable[] = {
    { "large_reuse", "a large block served from the cached mapping (lib/large.c) emits no event" },
    { "large_remaps", "a large block grown by mremap (lib/large.c) emits no event" },
};

static const char *why_not(const char *name)
{
    for (size_t i = 0; i < sizeof not_derivable / sizeof not_derivable[0]; i++)
        if (strcmp(name, not_derivable[i].name) == 0)
            return not_derivable[i].why;
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: replay_counters FILE.db [RUN]\n");
        return 2;
    }
    char err[HK_ERR_MAX];
    struct hk_store *s = hk_store_open(argv[1], HK_STORE_QUERY, err, sizeof err);
    int64_t run = argc == 3 ? atoll(argv[2]) : 0;
    if (!s || (run <= 0 && hk_store_last_run(s, &run, err, sizeof err) != 0)) {
        fprintf(stderr, "replay_counters: %s\n", err);
        hk_store_close(s);
        return 2;
    }
    struct hakmem_seg_counters live, replayed;
    int have = hk_store_counters(s, run, &live, err, sizeof err);
    if (have <= 0) {
        fprintf(stderr, "replay_counters: %s\n", have < 0 ? err : "the run has no run_counters");
        hk_store_close(s);
        return 2;
    }
    memset(&replayed, 0, sizeof replayed);
    struct hk_store_cursor *c = hk_store_events(s, run, err, sizeof err);
    if (!c) {
        fprintf(stderr, "replay_counters: %s\n", err);
        hk_store_close(s);
        return 2;
    }
    struct hakmem_event e;
    uint64_t n = 0;
    while (hk_store_next_event(c, &e)) {
        hakmem_counters_apply(&replayed, &e);
        n++;
    }
    hk_store_cursor_close(c);
    hk_store_close(s);

    int differ = 0;
    unsigned compared = 0;
    printf("run %lld: %llu events replayed\n", (long long)run, (unsigned long long)n);
    for (size_t i = 0; i < hk_ncounter_fields; i++) {
        const struct hk_counter_field *f = &hk_counter_fields[i];
        const char *why = why_not(f->name);
        for (unsigned k = 0; k < f->count; k++) {
            uint64_t l = hk_counter_value(&live, f, k), r = hk_counter_value(&replayed, f, k);
            char name[64];
            if (f->count > 1)
                snprintf(name, sizeof name, "%s[%u]", f->name, k);
            else
                snprintf(name, sizeof name, "%s", f->name);
            if (why) {
                printf("not derivable %-22s live %llu (%s)\n", name, (unsigned long long)l, why);
                continue;
            }
            compared++;
            if (l != r)
                differ = 1;
            if (l != r || l != 0)
                printf("%-13s %-22s live %llu replayed %llu\n", l == r ? "equal" : "DIFFERENT",
                       name, (unsigned long long)l, (unsigned long long)r);
        }
    }
    printf("%u counters compared, %s\n", compared, differ ? "some differ" : "all equal");
    return differ;
}
