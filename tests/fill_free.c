/* fill_free.c — fills NSLABS slabs of 32-byte blocks, frees all but the first
 * block of each, prints hakmem_stats_get()'s per-class blocks in use ("class C
 * used U", one a line, classes with blocks only) and exits without freeing: the
 * end state a trace must show exactly (tests/cli/endstate.sh, verdicts.sh).
 * With a second argument `_exit` it leaves through _exit(2): no exit handler runs. */
#include <stdio.h>
#include <unistd.h>
#include "../examples/hkstats.h"

#define BLOCK 32
#define PER_SLAB (65536 / BLOCK)

/* The per-class used counts, formatted into a stack buffer and written with
 * write(2): no stdio buffer is allocated after the snapshot. */
static int print_used(void)
{
    static struct hakmem_stats st;
    char buf[8192];
    size_t n = 0;
    if (!hk_stats_snap(&st)) {
        fprintf(stderr, "fill_free: hakmem_stats_get not found: run it under libhakmem\n");
        return 1;
    }
    for (unsigned c = 0; c < st.nclasses && c < HAKMEM_MAX_CLASSES && n + 64 < sizeof buf; c++)
        if (st.cls[c].used)
            n += (size_t)snprintf(buf + n, sizeof buf - n, "class %u used %llu\n", c,
                                  (unsigned long long)st.cls[c].used);
    return write(1, buf, n) == (ssize_t)n ? 0 : 1;
}

int main(int argc, char **argv)
{
    uint64_t nslabs = 64;
    int quick = argc > 2 && strcmp(argv[2], "_exit") == 0;
    if (quick)
        argc = 2;
    hk_arg_max(argc, argv, 1, "fill_free [NSLABS [_exit]]");
    hk_arg_u64(argc, argv, 1, "NSLABS", 1, 4096, &nslabs);
    size_t n = (size_t)nslabs * PER_SLAB;
    void **v = calloc(n, sizeof *v);
    if (!v)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] = malloc(BLOCK)))
            return 1;
    for (size_t i = 0; i < n; i++)
        if (i % PER_SLAB)
            free(v[i]);
    int rc = print_used();
    if (quick)
        _exit(rc);
    return rc;
}
