/* options.c — the one table of HAKMEM_* environment options: name, default,
 * range and meaning; read once at start, validated, ignored when setuid. */
#include <string.h>
#include <sys/auxv.h>
#include "internal.h"
#include "hakmem_segment.h"

struct hk_option_def {
    const char *name;
    long def, min, max;
    const char *help;
    const char *const *words; /* when set: the value is one of these words, its index */
    bool path;                /* 0, 1 or an absolute path (kept in hk_opt_path) */
    bool on_error;            /* abort → 0, report → 1, exit:N → 2 + N */
    bool file;                /* a file name (kept in hk_opt_log): 1 when set */
};

static const char *const mode_words[] = { "lossless", "overwrite", NULL };
static const char *const guard_words[] = { [HK_GUARD_OVER] = "over", [HK_GUARD_UNDER] = "under", NULL };
static const char *const profile_stack_words[] = { [HK_PROFILE_STACKS_UNWIND] = "unwind",
                                                    [HK_PROFILE_STACKS_FP] = "fp", NULL };

static const struct hk_option_def defs[HK_OPT_COUNT] = {
    [HK_OPT_SS_LRU_DEBUG] = { "HAKMEM_SS_LRU_DEBUG", 0, 0, 1,
        "print [SS_LRU_INIT], [LRU_POP] and [LRU_PUSH] lines on stderr" },
    [HK_OPT_SS_FREE_DEBUG] = { "HAKMEM_SS_FREE_DEBUG", 0, 0, 1,
        "print [SS_FREE] and [EMPTY detected] lines on stderr" },
    [HK_OPT_SS_LRU_MAX_CACHED] = { "HAKMEM_SS_LRU_MAX_CACHED", 256, 0, 1L << 20,
        "most empty SuperSlabs kept in the LRU cache" },
    [HK_OPT_SS_LRU_MAX_MB] = { "HAKMEM_SS_LRU_MAX_MB", 512, 0, 1L << 24,
        "most memory (MiB) the LRU cache holds" },
    [HK_OPT_SS_LRU_TTL_SEC] = { "HAKMEM_SS_LRU_TTL_SEC", 60, 0, 1L << 30,
        "seconds a cached SuperSlab (or large mapping) lives before it is unmapped" },
    [HK_OPT_SS_EMPTY_REUSE] = { "HAKMEM_SS_EMPTY_REUSE", 1, 0, 1,
        "1: an EMPTY slab serves any class at once; 0: only once its SuperSlab is empty" },
    [HK_OPT_LARGE_CACHE_MB] = { "HAKMEM_LARGE_CACHE_MB", 1024, 0, 1L << 24,
        "most memory (MiB) of freed large mappings kept for reuse; below it the cache follows the recent peak of large frees (64 MiB at least)" },
    [HK_OPT_STATS] = { "HAKMEM_STATS", 0, 0, 1,
        "print a summary table on stderr at exit" },
    [HK_OPT_TRACE] = { "HAKMEM_TRACE", 0, 0, 1,
        "1: record events into /dev/shm/hakmem.<pid>; /PATH: into that file", .path = true },
    [HK_OPT_TRACE_MODE] = { "HAKMEM_TRACE_MODE", HAKMEM_TRACE_LOSSLESS, 0, 1,
        "lossless: a full ring drops (and counts) new events; overwrite: keeps the newest",
        .words = mode_words },
    [HK_OPT_TRACE_EVENTS] = { "HAKMEM_TRACE_EVENTS", 1L << 16, 1024, 1L << 26,
        "ring capacity in events (rounded up to a power of two)" },
    [HK_OPT_TRACE_KEEP] = { "HAKMEM_TRACE_KEEP", 0, 0, 1,
        "1: keep the segment file at exit (for hakmem-trace ingest)" },
    [HK_OPT_TRACE_WAIT] = { "HAKMEM_TRACE_WAIT", 0, 0, 60000,
        "lossless: a thread that finds the ring full waits up to this many ms for the reader to make "
        "room before it drops (0: drops at once; hakmem-trace record --profile sets 1000)" },
    [HK_OPT_CHECK] = { "HAKMEM_CHECK", 1, 0, 3,
        "heap-error checks: 0 none, 1 double and invalid frees, 2 also overflows and writes after free, "
        "3 every block against a guard page, freed ones inaccessible (caught at the access)" },
    [HK_OPT_GUARD] = { "HAKMEM_GUARD", HK_GUARD_OVER, 0, 1,
        "where a guarded block's guard page is: over (after its end) or under (before its start)",
        .words = guard_words },
    [HK_OPT_GUARD_QUARANTINE_MB] = { "HAKMEM_GUARD_QUARANTINE_MB", 32, 1, 1L << 20,
        "most address space (MiB) of freed guarded blocks kept inaccessible before reuse, oldest out first" },
    [HK_OPT_GUARD_SAMPLE] = { "HAKMEM_GUARD_SAMPLE", 5000, 0, 1L << 30,
        "at HAKMEM_CHECK=1, about 1 allocation in N (of at most HAKMEM_GUARD_SAMPLE_MAX bytes) goes to one "
        "of 16 guarded slots, caught at the faulting access like level 3; 0: off" },
    [HK_OPT_GUARD_SAMPLE_MAX] = { "HAKMEM_GUARD_SAMPLE_MAX", 8192, 0, 1L << 20,
        "the largest request (bytes) HAKMEM_GUARD_SAMPLE samples" },
    [HK_OPT_GUARD_SAMPLE_GAP] = { "HAKMEM_GUARD_SAMPLE_GAP", 1000, 0, 10000000,
        "the least time (microseconds) between two sampled guards in the process, whose system calls "
        "then cost a bounded share of a fast-allocating program's time; 0: none (none either at "
        "HAKMEM_GUARD_SAMPLE=1)" },
    [HK_OPT_ON_ERROR] = { "HAKMEM_ON_ERROR", 0, 0, 255 + 2,
        "after a heap error: abort (report, then SIGABRT), report (and go on), exit:N", .on_error = true },
    [HK_OPT_TRACE_STACKS] = { "HAKMEM_TRACE_STACKS", 0, 0, 1,
        "1: record the stack (libunwind) behind ss_map, lru_pop_miss, stage-3 slab_acquire and "
        "heap_error, and at HAKMEM_CHECK=2 each block's allocation and free stacks" },
    [HK_OPT_LOG] = { "HAKMEM_LOG", 0, 0, 1,
        "PATH (%p: the pid): the stats table, debug lines, warnings and heap-error reports go to "
        "that file (appended, created 0600) instead of stderr", .file = true },
    [HK_OPT_TRACE_RECORDER] = { "HAKMEM_TRACE_RECORDER", 0, 0, 0x7fffffff,
        "set by hakmem-trace record: its pid, written into every segment of the process tree" },
    [HK_OPT_TRACE_ONLY] = { "HAKMEM_TRACE_ONLY", 0, 0, 0x7fffffff,
        "PID: only process PID (each image it execs) traces; the processes it starts do not" },
    [HK_OPT_PROFILE] = { "HAKMEM_PROFILE", 0, 0, 1,
        "1: sample allocations by bytes (heap profile): each sampled one records its stack and an "
        "alloc event, its free a free event (needs HAKMEM_TRACE; hakmem-trace record --profile)" },
    [HK_OPT_PROFILE_RATE] = { "HAKMEM_PROFILE_RATE", HK_PROFILE_RATE_DEFAULT, 1, 1L << 40,
        "mean bytes allocated between two sampled allocations (1: every allocation)" },
    [HK_OPT_PROFILE_SEED] = { "HAKMEM_PROFILE_SEED", 0, 0, 1L << 40,
        "N: seed the sampling countdowns (heap profile, sampled guards) with N (the n-th thread with N + n), so a "
        "run samples the same allocations each time; 0: from the clock" },
    [HK_OPT_PROFILE_SITES] = { "HAKMEM_PROFILE_SITES", 0, 0, 1,
        "1 (with HAKMEM_PROFILE): every block's allocation site kept in its slab, and at exit each "
        "slab's live blocks counted by site: who pins the slabs, at any rate" },
    [HK_OPT_PROFILE_STACKS] = { "HAKMEM_PROFILE_STACKS", HK_PROFILE_STACKS_UNWIND, 0, 1,
        "how the heap profiler captures a stack: unwind (libunwind, DWARF: through any code) or fp "
        "(the frame-pointer chain, cheaper; ends early past code built without frame pointers)",
        .words = profile_stack_words },
    [HK_OPT_PROFILE_DEPTH] = { "HAKMEM_PROFILE_DEPTH", 32, 1, HAKMEM_SEG_STACK_DEPTH,
        "most frames the heap profiler captures per stack" },
};

char hk_opt_path[256];
char hk_opt_log[256];

long hk_opt[HK_OPT_COUNT];

const char *hk_option_name(enum hk_opt o)
{
    return defs[o].name;
}

/* Parses a decimal integer into *out: digits only, no sign, no words (a 0/1
 * option documents 0 and 1, so "yes" is refused like any other bad value). */
static bool parse_long(const char *s, long *out)
{
    if (!*s)
        return false;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (1L << 40))
            return false;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return true;
}

static bool parse_word(const char *const *words, const char *s, long *out)
{
    for (long i = 0; words[i]; i++)
        if (strcmp(words[i], s) == 0)
            return *out = i, true;
    return false;
}

static bool parse_path(const char *s, long *out)
{
    size_t n = strlen(s);
    if (s[0] != '/' || n >= sizeof hk_opt_path)
        return false;
    memcpy(hk_opt_path, s, n + 1);
    *out = 1;
    return true;
}

static bool parse_file(const char *s, long *out)
{
    size_t n = strlen(s);
    if (!n || n >= sizeof hk_opt_log)
        return false;
    memcpy(hk_opt_log, s, n + 1);
    *out = 1;
    return true;
}

static bool parse_on_error(const char *s, long *out)
{
    long n;
    if (strcmp(s, "abort") == 0)
        return *out = 0, true;
    if (strcmp(s, "report") == 0)
        return *out = 1, true;
    if (strncmp(s, "exit:", 5) == 0 && parse_long(s + 5, &n) && n <= 255)
        return *out = 2 + n, true;
    return false;
}

static void set_option(const struct hk_option_def *d, long *slot, const char *val)
{
    long v;
    if (d->on_error) {
        if (parse_on_error(val, &v))
            *slot = v;
        else
            hk_log("hakmem: %s=%s is not valid (expected abort, report or exit:N); using abort\n",
                   d->name, val);
        return;
    }
    if (d->file) {
        if (parse_file(val, &v))
            *slot = v;
        else
            hk_log("hakmem: %s=%s is not valid (expected a file name of 1 to %zu bytes); using stderr\n",
                   d->name, val, sizeof hk_opt_log - 1);
        return;
    }
    if (d->words && parse_word(d->words, val, &v)) {
        *slot = v;
        return;
    }
    if (d->path && parse_path(val, &v)) {
        *slot = v;
        return;
    }
    if (!d->words && parse_long(val, &v) && v >= d->min && v <= d->max) {
        *slot = v;
        return;
    }
    if (d->words)
        hk_log("hakmem: %s=%s is not valid (expected %s or %s); using %s\n", d->name, val,
               d->words[0], d->words[1], d->words[d->def]);
    else if (d->min == 0 && d->max == 1)
        hk_log("hakmem: %s=%s is not valid (expected 0%s 1%s); using %ld\n", d->name, val,
               d->path ? "," : " or", d->path ? " or an absolute path" : "", d->def);
    else
        hk_log("hakmem: %s=%s is not valid (expected an integer %ld..%ld); using %ld\n",
               d->name, val, d->min, d->max, d->def);
}

/* HAKMEM_* variables of the tools (hakmem-trace), not the allocator's. */
static const char *const tool_vars[] = { "HAKMEM_LIB_PATH", "HAKMEM_DEBUG_CACHE" };

/* The option an entry NAME=VALUE sets, or -1. */
static int option_of(const char *e, size_t n)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        if (strlen(defs[i].name) == n && memcmp(defs[i].name, e, n) == 0)
            return i;
    return -1;
}

static void read_entry(const char *e)
{
    const char *eq = strchr(e, '=');
    if (!eq)
        return;
    size_t n = (size_t)(eq - e);
    int o = option_of(e, n);
    if (o == HK_OPT_LOG)
        return; /* read first, by hk_options_init */
    if (o >= 0)
        return set_option(&defs[o], &hk_opt[o], eq + 1);
    for (size_t i = 0; i < sizeof tool_vars / sizeof tool_vars[0]; i++)
        if (strlen(tool_vars[i]) == n && memcmp(tool_vars[i], e, n) == 0)
            return;
    {
        char name[64];
        size_t k = n < sizeof name - 1 ? n : sizeof name - 1;
        memcpy(name, e, k);
        name[k] = '\0';
        hk_log("hakmem: unknown option %s ignored\n", name);
    }
}

/* Sets defaults, then reads HAKMEM_* from envp: HAKMEM_LOG first, whose file
 * is opened at once so that the other options' warnings go there too. In
 * setuid/setgid programs (AT_SECURE) the environment is not trusted:
 * defaults only. */
void hk_options_init(char **envp)
{
    for (int i = 0; i < HK_OPT_COUNT; i++)
        hk_opt[i] = defs[i].def;
    hk_opt_path[0] = '\0';
    hk_opt_log[0] = '\0';
    if (getauxval(AT_SECURE) || !envp) {
        hk_log_open(NULL);
        return;
    }
    size_t n = strlen(defs[HK_OPT_LOG].name);
    for (char **e = envp; *e; e++)
        if (strncmp(*e, defs[HK_OPT_LOG].name, n) == 0 && (*e)[n] == '=')
            set_option(&defs[HK_OPT_LOG], &hk_opt[HK_OPT_LOG], *e + n + 1);
    hk_log_open(hk_opt[HK_OPT_LOG] ? hk_opt_log : NULL);
    for (char **e = envp; *e; e++)
        if (strncmp(*e, "HAKMEM_", 7) == 0)
            read_entry(*e);
}
