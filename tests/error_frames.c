/* error_frames.c — test workload for stack symbolisation (tests/cli/frames.sh),
 * built with -g: its work happens in static functions of the main program,
 * named only by .symtab and DWARF, never by dladdr.
 *   error_frames double   a double free in release_twice()
 *   error_frames fill     new SuperSlabs mapped from fill_superslabs() */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *volatile sink;
static volatile int done;

/* Hides a pointer from the compiler, so that it neither warns about the
 * error committed on purpose nor optimises it away. */
static void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

/* noipa: no inlining, no clone with another name (release_twice.isra.0). */
static __attribute__((noipa)) void release_twice(char *p)
{
    free(opaque(p));
    free(opaque(p)); /* frames.sh: the second free */
    done++;          /* after the call: no tail call, so this frame stays */
}

/* 6 MiB of 1 KiB blocks: at least three new SuperSlabs. */
static __attribute__((noipa)) void fill_superslabs(void **keep, int n)
{
    for (int i = 0; i < n; i++)
        keep[i] = opaque(malloc(1000)); /* frames.sh: the fill's malloc */
    sink = keep[0];
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "double";
    if (strcmp(what, "double") == 0) {
        char *p = malloc(32);
        memset(p, 1, 32);
        release_twice(p);
        puts("after the double free");
        return 0;
    }
    if (strcmp(what, "fill") == 0) {
        enum { N = 6 << 10 };
        static void *keep[N];
        fill_superslabs(keep, N);
        for (int i = 0; i < N; i++)
            free(keep[i]);
        puts("filled");
        return 0;
    }
    fprintf(stderr, "usage: error_frames double|fill\n");
    return 2;
}
