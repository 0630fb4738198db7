/* stacks_target.c — test workload of hakmem-top's Stacks panel: three call
 * sites hold known blocks, it prints "ready PID", waits until stdin closes, then
 * frees the first site's blocks and exits. Held until then:
 *   site_big:   100 blocks of 4096 B, none freed           (in use 400.0 KiB)
 *   site_mid:   1000 blocks of 200 B, the younger 500 freed (500 live, all older than a freed one)
 *   site_small: 300 blocks of 32 B, none freed */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG 100
#define MID 1000
#define SMALL 300

/* Each site writes its block after malloc, so the call is no tail call and
 * the site is the innermost frame of the allocation's stack. */
__attribute__((noinline)) static void *site_big(void)
{
    void *p = malloc(4096);
    if (p)
        memset(p, 1, 4096);
    return p;
}

__attribute__((noinline)) static void *site_mid(void)
{
    void *p = malloc(200);
    if (p)
        memset(p, 2, 200);
    return p;
}

__attribute__((noinline)) static void *site_small(void)
{
    void *p = malloc(32);
    if (p)
        memset(p, 3, 32);
    return p;
}

int main(void)
{
    static void *big[BIG], *mid[MID], *small[SMALL];
    for (int i = 0; i < BIG; i++)
        big[i] = site_big();
    for (int i = 0; i < MID; i++)
        mid[i] = site_mid();
    for (int i = MID / 2; i < MID; i++)
        free(mid[i]);
    for (int i = 0; i < SMALL; i++)
        small[i] = site_small();
    for (int i = 0; i < SMALL; i++)
        if (!small[i] || (i < BIG && !big[i])) {
            fprintf(stderr, "stacks_target: out of memory\n");
            return 1;
        }
    printf("ready %d\n", (int)getpid());
    fflush(stdout);
    char buf[16];
    while (read(0, buf, sizeof buf) > 0)
        ;
    for (int i = 0; i < BIG; i++)
        free(big[i]);
    return 0;
}
