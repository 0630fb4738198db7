/* stack_bench.c — the cost of one stack capture, frame-pointer walk against
 * libunwind, for the heap profiler (issue 15). Built with
 * -fno-omit-frame-pointer; it recurses 40 frames deep, captures once to
 * warm both (libunwind caches, the thread's stack bounds), then N times in
 * measured(). Count instructions with callgrind, which is noise-free:
 *
 *   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=measured \
 *       --callgrind-out-file=/dev/null tests/stack_bench fp 32 10000
 *
 * (events / N = instructions per capture; both modes print the frames they
 * got, so a shallow fp chain would show). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

static void *ip[HAKMEM_SEG_STACK_DEPTH];

static __attribute__((noipa)) int measured(int fp, int depth, long n)
{
    int got = 0;
    for (long i = 0; i < n; i++)
        got = fp ? hk_stack_capture_fp(ip, depth) : hk_stack_capture(ip, depth);
    return got;
}

static __attribute__((noipa)) int recurse(int left, int fp, int depth, long n)
{
    volatile int one = 1; /* read after the call: no tail recursion turned into a loop */
    if (left > 0)
        return recurse(left - 1, fp, depth, n) + one;
    measured(fp, depth, 1);
    return measured(fp, depth, n);
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "fp") && strcmp(argv[1], "unwind"))) {
        fprintf(stderr, "usage: %s fp|unwind DEPTH N\n", argv[0]);
        return 2;
    }
    int fp = strcmp(argv[1], "fp") == 0, depth = atoi(argv[2]);
    long n = atol(argv[3]);
    if (depth < 1 || depth > HAKMEM_SEG_STACK_DEPTH || n < 1) {
        fprintf(stderr, "%s: DEPTH 1..%d, N >= 1\n", argv[0], HAKMEM_SEG_STACK_DEPTH);
        return 2;
    }
    int frames = recurse(40, fp, depth, n) - 40;
    printf("%s depth %d: %d frames per capture, %ld captures\n", argv[1], depth, frames, n);
    return 0;
}
