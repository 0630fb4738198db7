/* util.c — small helpers every hakmem-trace command uses: messages on stderr,
 * number parsing, clocks, byte sizes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

int hk_usage(const char *text, bool help)
{
    fputs(text, help ? stdout : stderr);
    return help ? 0 : 2;
}

/* One line on stderr, whatever the message holds: SQLite's messages about a
 * damaged schema quote its text, newlines and control bytes included. */
void hk_say(const char *cmd, const char *fmt, ...)
{
    char msg[2 * HK_ERR_MAX], line[8 * HK_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hk_printable(msg, line, sizeof line);
    if (cmd)
        fprintf(stderr, "%s %s: %s\n", HK_PROG, cmd, line);
    else
        fprintf(stderr, "%s: %s\n", HK_PROG, line);
}

int hk_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int hk_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t hk_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

uint64_t hk_real_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

void hk_sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL); /* a signal cuts it short: the caller loops anyway */
}

const char *hk_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char *hk_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    unsigned u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
    else
        snprintf(buf, len, "%.*f %s", v < 10 ? 1 : 0, v, unit[u]);
    return buf;
}

int hk_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int hk_parse_output_opt(int argc, char **argv, const char *usage, const char **out)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            *out = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    return -1;
}

const char *hk_printable(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (!len)
        return buf;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && n + 5 < len; p++) {
        int c1 = p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f; /* a C1 control in UTF-8 */
        unsigned c = c1 ? *++p : *p;
        if (c >= 0x20 && c != 0x7f && !c1) {
            buf[n++] = (char)c;
            continue;
        }
        buf[n++] = '\\';
        buf[n++] = 'x';
        buf[n++] = hex[c >> 4];
        buf[n++] = hex[c & 15];
    }
    buf[n] = '\0';
    return buf;
}
