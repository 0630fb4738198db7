/* profile_sites.c — a program whose call sites allocate known totals, for the
 * heap profiler's tests: `profile_sites SCALE [LEAKS TEMPS]` runs SCALE rounds of
 * 1000 site_hold allocations, each followed by LEAKS site_leak and TEMPS site_temp ones
 * (default 1 and 4):
 *   site_hold:  4096-byte blocks, 64 held at once, all freed  (bytes in use at the peak)
 *   site_leak:  200-byte blocks, one in 8 never freed          (leaked)
 *   site_temp:  48-byte blocks, each freed before the next allocation (temporaries)
 * so by default a round allocates site_hold 1000 blocks (4 096 000 B), site_leak 1000
 * (200 000 B), site_temp 4000 (192 000 B); `20 85` makes the three about equal. It
 * prints the totals it allocated, one line per site: "SITE allocs N bytes B leaked N". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD 64

static volatile unsigned char sink;

__attribute__((noinline)) static void *site_hold(void)
{
    return malloc(4096);
}

__attribute__((noinline)) static void *site_leak(void)
{
    return malloc(200);
}

__attribute__((noinline)) static void *site_temp(void)
{
    return malloc(48);
}

static void touch(void *p, size_t n)
{
    if (!p) {
        fprintf(stderr, "profile_sites: out of memory\n");
        exit(1);
    }
    memset(p, 0x5a, n);
    sink = ((unsigned char *)p)[n - 1];
}

int main(int argc, char **argv)
{
    long scale = argc > 1 ? atol(argv[1]) : 1;
    long leaks = argc > 2 ? atol(argv[2]) : 1, temps = argc > 3 ? atol(argv[3]) : 4;
    if (scale < 1 || leaks < 1 || temps < 0 || argc == 3 || argc > 4) {
        fprintf(stderr, "usage: profile_sites SCALE [LEAKS TEMPS] (SCALE, LEAKS > 0, TEMPS >= 0)\n");
        return 2;
    }
    void *held[HOLD] = { 0 };
    unsigned long hold = 0, leak = 0, leaked = 0, temp = 0;
    for (long r = 0; r < scale; r++) {
        for (int i = 0; i < 1000; i++) {
            unsigned k = (unsigned)(hold++ % HOLD);
            free(held[k]);
            touch(held[k] = site_hold(), 4096);
            for (long l = 0; l < leaks; l++) {
                void *p = site_leak();
                touch(p, 200);
                if (leak++ % 8 != 0)
                    free(p);
                else
                    leaked++;
            }
            for (long t = 0; t < temps; t++) {
                void *q = site_temp();
                touch(q, 48);
                free(q);
                temp++;
            }
        }
    }
    for (int k = 0; k < HOLD; k++)
        free(held[k]);
    printf("site_hold allocs %lu bytes %lu leaked 0\n", hold, hold * 4096);
    printf("site_leak allocs %lu bytes %lu leaked %lu\n", leak, leak * 200, leaked);
    printf("site_temp allocs %lu bytes %lu leaked 0\n", temp, temp * 48);
    return 0;
}
