/* stress.h — what the stress tests share: a xorshift PRNG, a line on stderr
 * without stdio's locks (safe in a child forked from a threaded parent), and
 * the first byte where a block's 8-byte word differs from its pattern. */
#ifndef HK_TEST_STRESS_H
#define HK_TEST_STRESS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static inline uint64_t stress_rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Formats fmt into one write(2) to stderr; _exits with status when it cannot. */
static inline __attribute__((format(printf, 2, 3))) void stress_say(int status, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && write(2, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
        _exit(status);
}

/* The first of len (<= 8) bytes at p that differs from word w's (in memory
 * order), -1 when all match; *want gets the byte w has there. */
static inline int stress_word_diff(const unsigned char *p, uint64_t w, size_t len, unsigned char *want)
{
    unsigned char b[8];
    memcpy(b, &w, 8);
    if (memcmp(p, b, len) == 0)
        return -1;
    int j = 0;
    while (p[j] == b[j])
        j++;
    *want = b[j];
    return j;
}

#endif
