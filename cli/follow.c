/* follow.c — the segments of one traced process over its exec()s: PATH, then
 * the image that replaced it (PATH again, or PATH.1, PATH.2 … when kept). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "hakmem_reader.h"

/* Name number i (0: the base path itself) into buf. */
static void name_of(const struct hk_follow *f, int i, char *buf, size_t len)
{
    if (i == 0)
        snprintf(buf, len, "%s", f->base);
    else
        snprintf(buf, len, "%s.%d", f->base, i);
}

/* The start time of the ready segment of f->pid at path; 0 when there is
 * none (absent, not ours, not ready yet, not a segment). */
static uint64_t start_of(const struct hk_follow *f, const char *path)
{
    struct hakmem_seg_header h;
    if (hk_drain_peek(path, &h) != 0 || h.ready != 1 || (f->pid > 0 && h.pid != f->pid))
        return 0;
    return h.start_mono_ns ? h.start_mono_ns : 1;
}

/* The oldest image newer than f->last; its name number in *which. */
static uint64_t next_image(const struct hk_follow *f, int *which)
{
    uint64_t best = 0;
    char path[sizeof f->base + 8];
    for (int i = 0; i < HK_FOLLOW_NAMES; i++) {
        name_of(f, i, path, sizeof path);
        uint64_t t = start_of(f, path);
        if (t && t > f->last && (!best || t < best)) {
            best = t;
            *which = i;
        }
    }
    return best;
}

void hk_follow_init(struct hk_follow *f, const char *base, pid_t pid)
{
    memset(f, 0, sizeof *f);
    snprintf(f->base, sizeof f->base, "%s", base);
    f->pid = pid;
}

struct hakmem_reader *hk_follow_next(struct hk_follow *f, char *path, size_t len, char *err,
                                     size_t errlen)
{
    int which = 0;
    uint64_t t = next_image(f, &which);
    if (!t)
        return NULL;
    name_of(f, which, path, len);
    f->last = t;
    if (hk_drain_busy(path, err, errlen) != 0)
        return NULL;
    struct hakmem_reader *r = hakmem_reader_open(path, 1, err, errlen);
    if (!r)
        return NULL;
    if (hk_drain_check(r, path, err, errlen) != 0) {
        hakmem_reader_close(r);
        return NULL;
    }
    f->used |= 1u << which;
    return r;
}

int hk_follow_newer(const struct hk_follow *f)
{
    int which;
    return next_image(f, &which) != 0;
}

void hk_follow_unlink(const struct hk_follow *f)
{
    char path[sizeof f->base + 8];
    for (int i = 0; i < HK_FOLLOW_NAMES; i++) {
        name_of(f, i, path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT)
            hk_say(NULL, "cannot remove %s: %s", path, strerror(errno));
    }
}
