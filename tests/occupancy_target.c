/* occupancy_target.c — test workload: holds a known set of blocks, prints
 * hakmem's per-class stats, then waits (for a reader of its segment) until
 * stdin closes. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "hakmem.h"

int main(void)
{
    static void *keep[30000];
    for (int i = 0; i < 20000; i++)
        keep[i] = malloc(32);
    for (int i = 20000; i < 30000; i++)
        keep[i] = malloc(256);
    for (int i = 0; i < 20000; i += 2) /* half of the 32-byte blocks go back */
        free(keep[i]);
    struct hakmem_stats st;
    hakmem_stats_get(&st);
    for (unsigned c = 0; c < st.nclasses; c++)
        if (st.cls[c].slabs)
            printf("class %u slabs %llu used %llu capacity %llu\n", c,
                   (unsigned long long)st.cls[c].slabs, (unsigned long long)st.cls[c].used,
                   (unsigned long long)st.cls[c].capacity);
    fflush(stdout);
    char buf[16];
    while (read(0, buf, sizeof buf) > 0)
        ;
    return 0;
}
