/* trace_count.c — test tool: drains a kept trace segment and prints the
 * ring counts and how many events of each type it holds, one per line. */
#include <stdio.h>
#include <stdlib.h>
#include "hakmem_reader.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: trace_count SEGMENT\n");
        return 2;
    }
    char err[512];
    struct hakmem_reader *r = hakmem_reader_open(argv[1], 1, err, sizeof err);
    if (!r) {
        fprintf(stderr, "trace_count: %s\n", err);
        return 1;
    }
    static struct hakmem_event ev[4096];
    unsigned long long count[HAKMEM_EV_COUNT] = { 0 }, total = 0, lost = 0;
    size_t n;
    while ((n = hakmem_reader_drain(r, ev, 4096, (uint64_t *)&lost)) > 0)
        for (size_t i = 0; i < n; i++, total++)
            if (ev[i].type < HAKMEM_EV_COUNT)
                count[ev[i].type]++;
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    printf("written %llu\ndropped %llu\ndelivered %llu\n", (unsigned long long)c.written,
           (unsigned long long)c.dropped, total);
    for (unsigned t = 1; t < HAKMEM_EV_COUNT; t++)
        printf("%s %llu\n", hakmem_event_type_name(t), count[t]);
    hakmem_reader_close(r);
    return 0;
}
