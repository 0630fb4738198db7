/* copycheck.c — the checked memcpy family (HAKMEM_CHECK>=2): a copy into a
 * hakmem block is checked against the block's bounds before its first byte. */
#define HK_COPYCHECK_DEFINES /* internal.h: this file's memcpy is the exported one */
#include <dlfcn.h>
#include <string.h>
#include "heapcheck.h"

/* Every function checked, with its libc type: X(name, return, parameters). */
#define COPY_LIST(X)                                                  \
    X(memcpy, void *, (void *, const void *, size_t))                 \
    X(memmove, void *, (void *, const void *, size_t))                \
    X(memset, void *, (void *, int, size_t))                          \
    X(strcpy, char *, (char *, const char *))                         \
    X(strncpy, char *, (char *, const char *, size_t))                \
    X(strcat, char *, (char *, const char *))                         \
    X(strncat, char *, (char *, const char *, size_t))                \
    X(stpcpy, char *, (char *, const char *))                         \
    X(memccpy, void *, (void *, const void *, int, size_t))

/* libc's own implementations, from dlsym(RTLD_NEXT) at the first call. */
#define LIBC_PTR_(name, ret, params) ret(*name) params;
static struct { COPY_LIST(LIBC_PTR_) } libc;

static HK_NOINLINE void resolve(void)
{
#define RESOLVE_(name, ret, params)                                  \
    if (!(libc.name = (ret(*) params)dlsym(RTLD_NEXT, #name)))       \
        hk_panic(__FILE__, __LINE__, "libc's %s not found", #name);
    COPY_LIST(RESOLVE_)
}

/* libc.name, resolved at the first call (one test after). */
#define LIBC(name) (HK_LIKELY(libc.memccpy != NULL) ? (void)0 : resolve(), libc.name)

void hk_copycheck_init(void)
{
    resolve();
}

/* ---- hakmem's own copies: libc's, unchecked (internal.h renames them) */
void *hk_libc_memcpy(void *d, const void *s, size_t n)
{
    return LIBC(memcpy)(d, s, n);
}

void *hk_libc_memmove(void *d, const void *s, size_t n)
{
    return LIBC(memmove)(d, s, n);
}

void *hk_libc_memset(void *d, int c, size_t n)
{
    return LIBC(memset)(d, c, n);
}

/* ---- the checks */

/* Whether copies are checked: level 2 and up. */
static inline bool checked(void)
{
    return HK_UNLIKELY(hk_debug);
}

/* op's access of [a, a + n): true when it stays inside the block a lies in,
 * or a is in no block of hakmem's; false after a report of the first bad
 * byte (then HAKMEM_ON_ERROR: with report the copy is done as asked). The
 * address as an integer: the access may be a write-only one. */
static bool in_bounds(const char *op, uintptr_t a, size_t n)
{
    struct hk_span sp;
    if (!n || hk_chunk_kind(a) == HK_CHUNK_NONE || !hk_rz_span((const void *)a, &sp))
        return true;
    if (!sp.freed && a >= sp.start && n <= sp.size && a - sp.start <= sp.size - n)
        return true;
    hk_report_access(op, (const void *)a, &sp, false);
    return false;
}

/* A string's bytes with its terminator. */
static size_t str_bytes(const char *s)
{
    return strlen(s) + 1;
}

/* ---- the exported functions */

HK_EXPORT void *memcpy(void *d, const void *s, size_t n)
{
    if (checked() && in_bounds("memcpy", (uintptr_t)s, n))
        in_bounds("memcpy", (uintptr_t)d, n);
    return LIBC(memcpy)(d, s, n);
}

HK_EXPORT void *memmove(void *d, const void *s, size_t n)
{
    if (checked())
        in_bounds("memmove", (uintptr_t)d, n);
    return LIBC(memmove)(d, s, n);
}

HK_EXPORT void *memset(void *d, int c, size_t n)
{
    if (checked())
        in_bounds("memset", (uintptr_t)d, n);
    return LIBC(memset)(d, c, n);
}

HK_EXPORT char *strcpy(char *d, const char *s)
{
    if (checked())
        in_bounds("strcpy", (uintptr_t)d, str_bytes(s));
    return LIBC(strcpy)(d, s);
}

HK_EXPORT char *stpcpy(char *d, const char *s)
{
    if (checked())
        in_bounds("stpcpy", (uintptr_t)d, str_bytes(s));
    return LIBC(stpcpy)(d, s);
}

/* strncpy writes n bytes, padding with zeros. */
HK_EXPORT char *strncpy(char *d, const char *s, size_t n)
{
    if (checked())
        in_bounds("strncpy", (uintptr_t)d, n);
    return LIBC(strncpy)(d, s, n);
}

HK_EXPORT char *strcat(char *d, const char *s)
{
    if (checked())
        in_bounds("strcat", (uintptr_t)d + strlen(d), str_bytes(s));
    return LIBC(strcat)(d, s);
}

/* strncat appends at most n bytes of s, then a terminator. */
HK_EXPORT char *strncat(char *d, const char *s, size_t n)
{
    if (checked())
        in_bounds("strncat", (uintptr_t)d + strlen(d), strnlen(s, n) + 1);
    return LIBC(strncat)(d, s, n);
}

/* memccpy stops after the first c it copies. */
HK_EXPORT void *memccpy(void *d, const void *s, int c, size_t n)
{
    if (checked()) {
        const char *at = memchr(s, c, n);
        in_bounds("memccpy", (uintptr_t)d, at ? (size_t)(at - (const char *)s) + 1 : n);
    }
    return LIBC(memccpy)(d, s, c, n);
}
