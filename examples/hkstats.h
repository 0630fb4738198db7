/* hkstats.h — helpers shared by the examples: find hakmem_stats_get at run time
 * (dlsym, so any allocator can be preloaded), clock, PRNG, RSS, argument parsing. */
#ifndef HK_EXAMPLES_HKSTATS_H
#define HK_EXAMPLES_HKSTATS_H

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/hakmem.h"

#ifndef RTLD_DEFAULT /* glibc hides it without _GNU_SOURCE; its value is 0 */
#define RTLD_DEFAULT ((void *)0)
#endif

typedef int (*hk_stats_get_fn)(struct hakmem_stats *);

/* hakmem_stats_get of the preloaded (or linked) hakmem, or NULL when absent. */
static inline hk_stats_get_fn hk_stats_lookup(void)
{
    static int looked;
    static hk_stats_get_fn fn;
    if (!looked) {
        void *sym = dlsym(RTLD_DEFAULT, "hakmem_stats_get");
        memcpy(&fn, &sym, sizeof fn); /* object → function pointer, no cast warning */
        looked = 1;
    }
    return fn;
}

/* Snapshot of the counters into *st. Returns 1 with hakmem, 0 (and *st zeroed) without. */
static inline int hk_stats_snap(struct hakmem_stats *st)
{
    hk_stats_get_fn fn = hk_stats_lookup();
    memset(st, 0, sizeof *st);
    return fn != NULL && fn(st) == 0;
}

/* The one-line summary the integration tests parse. */
static inline void hk_stats_print_line(FILE *f, const struct hakmem_stats *st)
{
    fprintf(f, "hakmem: ss_maps=%llu ss_unmaps=%llu lru_push=%llu lru_pop_hit=%llu"
               " lru_pop_miss=%llu empty=%llu\n",
            (unsigned long long)st->ss_maps, (unsigned long long)st->ss_unmaps,
            (unsigned long long)st->lru_push, (unsigned long long)st->lru_pop_hit,
            (unsigned long long)st->lru_pop_miss, (unsigned long long)st->empty);
}

/* Monotonic time in seconds. */
static inline double hk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* xorshift64*: small, deterministic; a zero state is replaced by a constant. */
static inline uint64_t hk_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Value in kB of a "Key:   123 kB" line of /proc/self/status, or -1. */
static inline long hk_status_kb(const char *key)
{
    char line[256];
    size_t klen = strlen(key);
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* Parses a decimal integer in [min, max] into *out. Returns 0, or -1 when invalid. */
static inline int hk_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Parses argv[i] when present (else keeps *out); on error prints one line and exits 2. */
static inline void hk_arg_u64(int argc, char **argv, int i, const char *name,
                              uint64_t min, uint64_t max, uint64_t *out)
{
    if (i >= argc)
        return;
    if (hk_parse_u64(argv[i], min, max, out) != 0) {
        fprintf(stderr, "%s: bad %s '%s': expected an integer in [%llu, %llu]\n",
                argv[0], name, argv[i], (unsigned long long)min, (unsigned long long)max);
        exit(2);
    }
}

/* Exits 2 with a usage line when more than maxargs arguments were given. */
static inline void hk_arg_max(int argc, char **argv, int maxargs, const char *usage)
{
    if (argc - 1 > maxargs) {
        fprintf(stderr, "%s: expected at most %d arguments, got %d; usage: %s\n",
                argv[0], maxargs, argc - 1, usage);
        exit(2);
    }
}

#endif
