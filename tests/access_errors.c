/* access_errors.c — test workload: one bad access to a heap block of SIZE
 * bytes, direct or through a function of the memcpy family, then "after" on
 * stdout: the line a check at the access never lets it print. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile sink;

/* Hides a pointer from the compiler (no warning, no folding of the error). */
static void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

/* A string of len 'x's in a heap-free buffer. */
static char *str_of(size_t len)
{
    static char buf[(2u << 20) + 64];
    memset(buf, 'x', len);
    buf[len] = '\0';
    return buf;
}

/* Writes [p + off, p + off + len) through function via: the first byte may
 * be before the block (off < 0) or its last after it. */
static int copy_into(const char *via, char *p, long off, size_t len)
{
    static char src[(2u << 20) + 64];
    char *d = opaque(p + off);
    if (strcmp(via, "memcpy") == 0)
        memcpy(d, src, len);
    else if (strcmp(via, "memmove") == 0)
        memmove(d, src, len);
    else if (strcmp(via, "memset") == 0)
        memset(d, 1, len);
    else if (strcmp(via, "strncpy") == 0)
        strncpy(d, "abc", len);
    else if (strcmp(via, "memccpy") == 0)
        memccpy(d, str_of(len - 1), '\0', len + 8);
    else if (strcmp(via, "strcpy") == 0)
        strcpy(d, str_of(len - 1));
    else if (strcmp(via, "stpcpy") == 0)
        sink = stpcpy(d, str_of(len - 1));
    else if (strcmp(via, "strcat") == 0 && off >= 0)
        d[0] = '\0', strcat(d, str_of(len - 1));
    else if (strcmp(via, "strncat") == 0 && off >= 0)
        d[0] = '\0', strncat(d, str_of(len - 1), len + 8);
    else
        return 0;
    return 1;
}

/* One access of kind at p, a block of n bytes, direct or through via. */
static int bad_access(const char *kind, const char *via, char *p, size_t n)
{
    int direct = strcmp(via, "direct") == 0;
    long off = 0;
    size_t len = 1;
    if (strcmp(kind, "over1") == 0)
        off = (long)n;
    else if (strcmp(kind, "over32") == 0)
        off = (long)n + (direct ? 31 : 0), len = direct ? 1 : 32;
    else if (strcmp(kind, "under1") == 0)
        off = -1;
    else if (strcmp(kind, "under32") == 0)
        off = -32, len = direct ? 1 : 32;
    else if (strcmp(kind, "overrun1m") == 0)
        off = 0, len = n + (1u << 20);
    else
        return 0;
    if (direct) {
        if (strcmp(kind, "overrun1m") == 0)
            for (size_t i = 0; i < len; i++)
                ((volatile char *)opaque(p))[i] = 1;
        else
            ((volatile char *)opaque(p))[off] = 1;
        free(opaque(p)); /* a byte short of the guard page: its canary, checked here */
        return 1;
    }
    if (off >= 0 && off < (long)n) /* an overrun: from the block's start */
        return copy_into(via, p, 0, len);
    if (off >= (long)n) /* the copy starts inside and ends len past the end */
        return copy_into(via, p, (long)n - 1, len + 1);
    return copy_into(via, p, off, len);
}

/* Uses p after free, with or without allocations in between. */
static int after_free(const char *kind, const char *via, char *p, size_t n)
{
    int write = strncmp(kind, "write", 5) == 0;
    free(opaque(p));
    if (strstr(kind, "_allocs"))
        for (int i = 0; i < 100; i++)
            sink = malloc(n); /* kept: the freed block is not handed out again */
    if (strcmp(via, "direct") != 0)
        return write ? copy_into(via, p, 3, 1) : (memcpy(str_of(8), opaque(p + 3), 1), 1);
    if (write)
        ((volatile char *)opaque(p))[3] = 7;
    else
        sink = (void *)(size_t)((volatile char *)opaque(p))[3];
    return 1;
}

/* Plants a bad access in each of iters blocks of odd sizes 17..1039 (fixed
 * seed): planted_over writes the byte past the end (inside the size class's
 * rounding, so a plain block takes no harm), planted_uaf reads the block
 * after its free; planted_late does as planted_over in the second half of
 * the blocks only. Sampled guards catch the first sampled one. */
static int planted(const char *kind, size_t iters)
{
    int late = strcmp(kind, "planted_late") == 0;
    int over = late || strcmp(kind, "planted_over") == 0;
    if (!over && strcmp(kind, "planted_uaf") != 0)
        return 0;
    unsigned long long x = 88172645463325252ull;
    for (size_t i = 0; i < iters; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (17 + x % 1023) | 1;
        volatile char *p = opaque(malloc(n));
        memset((char *)p, 0, n);
        if (over && (!late || i >= iters / 2))
            p[n] = 1;
        free((char *)p);
        if (!over)
            sink = (void *)(size_t)p[0];
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: access_errors KIND direct|FUNCTION SIZE\n");
        return 2;
    }
    const char *kind = argv[1], *via = argv[2];
    size_t n = strtoul(argv[3], NULL, 10);
    char *p = opaque(malloc(strncmp(kind, "zero_", 5) == 0 ? 0 : n));
    memset(p, 0, strncmp(kind, "zero_", 5) == 0 ? 0 : n);
    fflush(stdout);
    int done;
    if (strncmp(kind, "planted_", 8) == 0)
        done = planted(kind, n);
    else if (strcmp(kind, "zero_read") == 0)
        sink = (void *)(size_t)((volatile char *)p)[0], done = 1;
    else if (strcmp(kind, "zero_write") == 0)
        done = strcmp(via, "direct") == 0 ? (((volatile char *)p)[0] = 1, 1) : copy_into(via, p, 0, 1);
    else if (strstr(kind, "_after_free"))
        done = after_free(kind, via, p, n);
    else
        done = bad_access(kind, via, p, n);
    if (!done) {
        fprintf(stderr, "access_errors: unknown kind %s or function %s\n", kind, via);
        return 2;
    }
    puts("after");
    return 0;
}
