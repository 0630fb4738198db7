/* log.c — printf-style formatting into caller buffers and writes to a file
 * descriptor, for messages from inside the allocator (no stdio, no malloc). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "internal.h"

int hk_log_fd = 2;
static bool log_owned; /* hk_log_fd is HAKMEM_LOG's file, not stderr */

struct out { char *buf; size_t cap, len; };

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void put_pad(struct out *o, const char *s, size_t n, int width, bool left, char pad)
{
    size_t w = width > 0 ? (size_t)width : 0;
    if (!left)
        for (size_t i = n; i < w; i++)
            put(o, pad);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (left)
        for (size_t i = n; i < w; i++)
            put(o, ' ');
}

static size_t utoa(char *tmp, unsigned long long v, unsigned base)
{
    size_t n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    for (size_t i = 0; i < n / 2; i++) {
        char t = tmp[i];
        tmp[i] = tmp[n - 1 - i];
        tmp[n - 1 - i] = t;
    }
    return n;
}

/* Integer argument of the given length modifier (0 int, 1 long, 2 long long, 3 size_t). */
static unsigned long long arg_unsigned(va_list *ap, int lenmod)
{
    switch (lenmod) {
    case 1: return va_arg(*ap, unsigned long);
    case 2: return va_arg(*ap, unsigned long long);
    case 3: return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static long long arg_signed(va_list *ap, int lenmod)
{
    switch (lenmod) {
    case 1: return va_arg(*ap, long);
    case 2: return va_arg(*ap, long long);
    case 3: return (long long)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static void conv(struct out *o, char c, va_list *ap, int lenmod, int width, bool left, char pad)
{
    char tmp[32];
    size_t n;
    switch (c) {
    case 'd': {
        long long v = arg_signed(ap, lenmod);
        unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
        n = utoa(tmp, u, 10);
        if (v < 0 && pad == '0' && !left) { /* the sign goes before zero padding */
            put(o, '-');
            put_pad(o, tmp, n, width - 1, left, pad);
            return;
        }
        if (v < 0) {
            for (size_t i = n; i > 0; i--)
                tmp[i] = tmp[i - 1];
            tmp[0] = '-';
            n++;
        }
        put_pad(o, tmp, n, width, left, pad);
        return;
    }
    case 'u': n = utoa(tmp, arg_unsigned(ap, lenmod), 10); break;
    case 'x': n = utoa(tmp, arg_unsigned(ap, lenmod), 16); break;
    case 'p':
        tmp[0] = '0', tmp[1] = 'x';
        n = 2 + utoa(tmp + 2, (uintptr_t)va_arg(*ap, void *), 16);
        break;
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s)
            s = "(null)";
        size_t len = 0;
        while (s[len])
            len++;
        put_pad(o, s, len, width, left, ' ');
        return;
    }
    case 'c': tmp[0] = (char)va_arg(*ap, int); n = 1; break;
    default: tmp[0] = '%', tmp[1] = c; n = 2; break;
    }
    put_pad(o, tmp, n, width, left, pad);
}

/* Supports %d %u %x %p %s %c %% with '-', '0', width and l, ll, z. Returns
 * the length the output needed; writes at most cap-1 bytes plus the NUL. */
size_t hk_vfmt(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct out o = { buf, cap, 0 };
    va_list aq;
    va_copy(aq, ap);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        bool left = false;
        char pad = ' ';
        int width = 0, lenmod = 0;
        for (f++; *f == '-' || *f == '0'; f++)
            *f == '-' ? (void)(left = true) : (void)(pad = '0');
        for (; *f >= '0' && *f <= '9'; f++)
            width = width * 10 + (*f - '0');
        for (; *f == 'l' || *f == 'z'; f++)
            lenmod = *f == 'z' ? 3 : lenmod + 1;
        if (!*f)
            break;
        if (*f == '%')
            put(&o, '%');
        else
            conv(&o, *f, &aq, lenmod, width, left, pad);
    }
    va_end(aq);
    if (cap)
        buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len;
}

size_t hk_fmt(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = hk_vfmt(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

void hk_write_all(int fd, const char *buf, size_t len)
{
    int saved = errno;
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        buf += w;
        len -= (size_t)w;
    }
    errno = saved;
}

/* One message of up to 512 bytes, written with one write(2). */
void hk_dprintf(int fd, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    size_t n = hk_vfmt(buf, sizeof buf, fmt, ap);
    va_end(ap);
    hk_write_all(fd, buf, n < sizeof buf ? n : sizeof buf - 1);
}

/* ---- HAKMEM_LOG */

/* Expands tmpl into buf: %p the pid, %% a %, anything else as it is; false
 * when the result does not fit. */
static bool expand_path(char *buf, size_t cap, const char *tmpl)
{
    size_t n = 0;
    for (const char *t = tmpl; *t; t++) {
        char num[24];
        const char *add = t;
        size_t len = 1;
        if (t[0] == '%' && t[1] == 'p') {
            len = hk_fmt(num, sizeof num, "%d", (int)getpid());
            add = num;
            t++;
        } else if (t[0] == '%' && t[1] == '%') {
            t++;
        }
        if (n + len >= cap)
            return false;
        memcpy(buf + n, add, len);
        n += len;
    }
    buf[n] = '\0';
    return n > 0;
}

/* Moves fd to a high descriptor (close-on-exec), out of the way of a program
 * that closes the descriptors above 2 it did not open, or reuses low ones;
 * the first of these that the descriptor limit allows. */
static int move_high(int fd)
{
    static const int at[] = { 1000, 500, 250, 100, 20 };
    struct rlimit rl;
    rlim_t lim = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        if ((rlim_t)at[i] >= lim || fd >= at[i])
            continue;
        int high = fcntl(fd, F_DUPFD_CLOEXEC, at[i]);
        if (high >= 0) {
            close(fd);
            return high;
        }
    }
    return fd;
}

bool hk_log_open(const char *tmpl)
{
    if (log_owned)
        close(hk_log_fd);
    hk_log_fd = 2;
    log_owned = false;
    if (!tmpl)
        return false;
    char path[256];
    if (!expand_path(path, sizeof path, tmpl)) {
        hk_dprintf(2, "hakmem: cannot open HAKMEM_LOG=%s: the name is too long; writing to stderr\n",
                   tmpl);
        return false;
    }
    int fd;
    do
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        hk_dprintf(2, "hakmem: cannot open HAKMEM_LOG=%s (%s): %s; writing to stderr\n", tmpl, path,
                   strerror(errno));
        return false;
    }
    hk_log_fd = move_high(fd);
    log_owned = true;
    return true;
}

void hk_assert_fail(const char *what, const char *file, int line)
{
    hk_log("hakmem: assertion failed: %s (%s:%d)\n", what, file, line);
    abort();
}

void hk_panic(const char *file, int line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    hk_vfmt(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hk_log("hakmem: assertion failed: %s (%s:%d)\n", msg, file, line);
    abort();
}
