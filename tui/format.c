/* format.c — hakmem-top's text formatting: counts, sizes, times, rates, bars,
 * class characters, class-table rows, map lines and event lines. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "hakmem_reader.h"
#include "top.h"

/* v in width characters: as is when it fits, else scaled (k, M, G, T, P)
 * with one decimal while that fits, else none. */
char *top_fmt_count(char *buf, size_t len, uint64_t v, unsigned width)
{
    static const char unit[] = "kMGTPE";
    int n = snprintf(buf, len, "%" PRIu64, v);
    if (n >= 0 && (unsigned)n <= width)
        return buf;
    double x = (double)v;
    for (int u = 0; unit[u]; u++) {
        x /= 1000.0;
        n = snprintf(buf, len, "%.1f%c", x, unit[u]);
        if (n >= 0 && (unsigned)n <= width && x < 999.95)
            return buf;
        n = snprintf(buf, len, "%.0f%c", x, unit[u]);
        if (n >= 0 && (unsigned)n <= width && x < 999.5)
            return buf;
    }
    return buf;
}

/* Bytes in binary units: "0 B", "512 B", "4.0 KiB", "24.0 MiB". */
char *top_fmt_bytes(char *buf, size_t len, uint64_t v)
{
    static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (v < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", v);
        return buf;
    }
    double x = (double)v;
    int u = -1;
    do {
        x /= 1024.0;
        u++;
    } while (x >= 1023.95 && u < 5);
    snprintf(buf, len, "%.1f %s", x, unit[u]);
    return buf;
}

/* A duration like top's: "0:05", "12:34", "1:02:03", "3d 04:05:06". */
char *top_fmt_duration(char *buf, size_t len, uint64_t ns)
{
    uint64_t s = ns / 1000000000u;
    uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
    if (d)
        snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, d, h, m, sec);
    else if (h)
        snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, h, m, sec);
    else
        snprintf(buf, len, "%" PRIu64 ":%02" PRIu64, m, sec);
    return buf;
}

/* Trace time for a replay: "0.035s", "12.500s", or a duration from 100 s. */
char *top_fmt_seconds(char *buf, size_t len, uint64_t ns)
{
    if (ns >= 100000000000ull)
        return top_fmt_duration(buf, len, ns);
    snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 "s", ns / 1000000000u, ns / 1000000u % 1000);
    return buf;
}

/* A rate per second, at most 6 characters: "0", "950", "12.3k", "4.5M". */
char *top_fmt_rate(char *buf, size_t len, double v)
{
    static const char unit[] = "kMGTPE";
    if (v < 0)
        v = 0;
    if (v < 999.5) {
        snprintf(buf, len, "%.0f", v);
        return buf;
    }
    int u = 0;
    for (v /= 1000.0; v >= 999.95 && u < 5; u++)
        v /= 1000.0;
    snprintf(buf, len, "%.1f%c", v, unit[u]);
    return buf;
}

/* Per mille as a percentage with one decimal: 458 → "45.8". */
char *top_fmt_pm(char *buf, size_t len, unsigned pm)
{
    snprintf(buf, len, "%u.%u", pm / 10, pm % 10);
    return buf;
}

/* width cells, filled in proportion to pm (rounded; a non-zero pm fills at
 * least one cell, a pm under 1000 leaves one empty). */
char *top_fmt_bar(char *buf, size_t len, unsigned pm, unsigned width)
{
    if (!len)
        return buf;
    if (width >= len)
        width = (unsigned)len - 1;
    if (pm > 1000)
        pm = 1000;
    unsigned fill = (pm * width + 500) / 1000;
    if (pm && !fill)
        fill = 1;
    if (pm < 1000 && fill == width && width)
        fill = width - 1;
    memset(buf, '#', fill);
    memset(buf + fill, ' ', width - fill);
    buf[width] = '\0';
    return buf;
}

/* Replay speed 2^log2: "1x", "8x", "1/4x". */
char *top_fmt_speed(char *buf, size_t len, int log2)
{
    if (log2 >= 0)
        snprintf(buf, len, "%llux", 1ull << (log2 > 62 ? 62 : log2));
    else
        snprintf(buf, len, "1/%llux", 1ull << (-log2 > 62 ? 62 : -log2));
    return buf;
}

/* Class as one character: 0-9, a-z, A-Z, then @ and %. */
char top_class_char(unsigned cls)
{
    static const char chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@%";
    return cls < sizeof chars - 1 ? chars[cls] : '?';
}

const char *top_stage_name(unsigned stage)
{
    const char *label = hakmem_stage_label(stage);
    return label ? label : "-";
}

/* The label of ev's reason, "?" when its code is unknown, "" when its type has none. */
static const char *reason_name(const struct hakmem_event *ev)
{
    const char *name = hakmem_reason_name(ev->type, ev->reason);
    if (name)
        return name;
    return hakmem_reason_name(ev->type, 0) ? "?" : "";
}

const char top_event_heading[] = "        TIME     TID EVENT         CLS      SS:SLAB STAGE DETAIL";

/* "   12.345678   4242 slab_acquire    2     3:7     0.5  " and a detail. */
char *top_fmt_event(char *buf, size_t len, const struct hakmem_event *ev, uint64_t start_ns)
{
    char cls[8] = "-", where[24] = "-", detail[64] = "", sz[24];
    if (ev->cls != HAKMEM_NONE)
        snprintf(cls, sizeof cls, "%u", ev->cls);
    if (ev->ss_id && (ev->type == HAKMEM_EV_SLAB_ACQUIRE || ev->type == HAKMEM_EV_SLAB_EMPTY ||
                      ev->type == HAKMEM_EV_SLAB_RELEASE))
        snprintf(where, sizeof where, "%u:%u", ev->ss_id, ev->slab);
    else if (ev->ss_id)
        snprintf(where, sizeof where, "%u", ev->ss_id);
    switch (ev->type) {
    case HAKMEM_EV_SS_MAP:
    case HAKMEM_EV_SS_UNMAP:
    case HAKMEM_EV_LARGE_MAP:
    case HAKMEM_EV_LARGE_UNMAP:
        snprintf(detail, sizeof detail, "%s %s", top_fmt_bytes(sz, sizeof sz, ev->arg0),
                 ev->type <= HAKMEM_EV_SS_UNMAP ? reason_name(ev) : "");
        break;
    case HAKMEM_EV_LRU_PUSH:
    case HAKMEM_EV_LRU_POP_HIT:
    case HAKMEM_EV_LRU_POP_MISS:
        snprintf(detail, sizeof detail, "cache %" PRIu64 "/%" PRIu64, ev->arg0, ev->arg1);
        break;
    case HAKMEM_EV_LRU_EVICT:
        snprintf(detail, sizeof detail, "cache %" PRIu64 "/%" PRIu64 " %s", ev->arg0, ev->arg1,
                 reason_name(ev));
        break;
    case HAKMEM_EV_SLAB_EMPTY:
        snprintf(detail, sizeof detail, "capacity %" PRIu64, ev->arg0);
        break;
    case HAKMEM_EV_SLAB_RELEASE:
        snprintf(detail, sizeof detail, "%s", reason_name(ev));
        break;
    case HAKMEM_EV_THREAD_START:
    case HAKMEM_EV_THREAD_EXIT:
        snprintf(detail, sizeof detail, "tid %" PRIu64, ev->arg0);
        break;
    default:
        break;
    }
    uint64_t t = ev->ts_ns > start_ns ? ev->ts_ns - start_ns : 0;
    snprintf(buf, len, "%5" PRIu64 ".%06" PRIu64 " %7u %-13s %3s %12s %5s %s", t / 1000000000u,
             t / 1000 % 1000000, ev->tid, hakmem_event_type_name(ev->type), cls, where,
             ev->stage < TOP_STAGES ? top_stage_name(ev->stage) : "-", detail);
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ')
        buf[--n] = '\0';
    return buf;
}

/* Columns: CLS 0-2, SIZE 4-8, SLABS 10-15, USED/CAP 17-31, OCC% 33-37, the
 * bar's '[' at 40 and its cells from 41, EMPTY and the stage mix after it. */
char *top_fmt_row_heading(char *buf, size_t len, unsigned bar_width)
{
    snprintf(buf, len, "CLS  SIZE  SLABS        USED/CAP  OCC%%  %-*s  EMPTY   0  .5   1   2   3",
             (int)bar_width + 2, "OCCUPANCY");
    return buf;
}

/* Stage mix of the row as percentages, "  -" for a stage none served. */
static void fmt_mix(char *buf, size_t len, const struct top_row *r)
{
    size_t off = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < TOP_STAGES && off < len; i++) {
        int n;
        if (!r->mix_n)
            n = snprintf(buf + off, len - off, "%s", i ? "   -" : "  -");
        else
            n = snprintf(buf + off, len - off, i ? " %3u" : "%3u",
                         (r->mix[i] * 100 + r->mix_n / 2) / r->mix_n);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

char *top_fmt_row(char *buf, size_t len, const struct top_row *r, unsigned bar_width, int have_used)
{
    char slabs[16], used[16], cap[16], uc[32], pct[16], bar[256], empty[16], mix[48];
    top_fmt_count(slabs, sizeof slabs, r->slabs, 6);
    top_fmt_count(used, sizeof used, r->used, 7);
    top_fmt_count(cap, sizeof cap, r->capacity, 7);
    if (have_used) {
        snprintf(uc, sizeof uc, "%s/%s", used, cap);
        top_fmt_pm(pct, sizeof pct, r->occ_pm);
        top_fmt_bar(bar, sizeof bar, r->occ_pm, bar_width);
    } else {
        snprintf(uc, sizeof uc, "?/%s", cap);
        snprintf(pct, sizeof pct, "?");
        top_fmt_bar(bar, sizeof bar, 0, bar_width);
    }
    top_fmt_count(empty, sizeof empty, r->empties, 6);
    fmt_mix(mix, sizeof mix, r);
    snprintf(buf, len, "%3u %5u %6s %15s %5s  [%s] %6s %s", r->cls, r->size, slabs, uc, pct, bar,
             empty, mix);
    return buf;
}

/* A slab's cell: its class for a slab in use, '_' EMPTY, '.' free. */
char top_map_cell(const struct hakmem_seg_slab *s)
{
    switch (s->state) {
    case HAKMEM_SLAB_OWNED:
    case HAKMEM_SLAB_ABANDONED:
        return top_class_char(s->cls);
    case HAKMEM_SLAB_EMPTY:
        return '_';
    default:
        return '.';
    }
}

char *top_fmt_map_ss(char *buf, size_t len, const struct hakmem_seg_ss *ss)
{
    if (len < TOP_MAP_WIDTH + 1) {
        if (len)
            buf[0] = '\0';
        return buf;
    }
    snprintf(buf, len, "%5u%c|", ss->id % 100000u, ss->state == HAKMEM_SS_CACHED ? '*' : ' ');
    for (unsigned i = 1; i < HAKMEM_SEG_SLABS; i++)
        buf[TOP_MAP_CELL_COL + i - 1] = top_map_cell(&ss->slab[i]);
    buf[TOP_MAP_WIDTH] = '\0';
    return buf;
}

unsigned top_map_per_line(unsigned width)
{
    unsigned n = (width + 2) / (TOP_MAP_WIDTH + 2);
    return n ? n : 1;
}

/* The last path component of p. */
static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* A frame as the profile names a site: "function file:line", else
 * "function+0xN (module+0xoff)", "module+0xoff", or "0xip". */
char *top_fmt_frame(char *buf, size_t len, const struct hk_store_frame *f)
{
    if (f->function[0] && f->file[0])
        snprintf(buf, len, "%s %s:%d", f->function, base_name(f->file), f->line);
    else if (f->function[0] && f->module[0] && f->fn_offset >= 0)
        snprintf(buf, len, "%s+0x%" PRIx64 " (%s+0x%" PRIx64 ")", f->function,
                 (uint64_t)f->fn_offset, base_name(f->module), f->offset);
    else if (f->function[0])
        snprintf(buf, len, "%s", f->function);
    else if (f->module[0])
        snprintf(buf, len, "%s+0x%" PRIx64, base_name(f->module), f->offset);
    else
        snprintf(buf, len, "0x%" PRIx64, f->ip);
    return buf;
}

/* Columns: a mark (2), IN USE 2-11, LIVE 13-19, ALLOCS/S 21-28, LEAKED 30-39,
 * ALLOCS 41-47, the site from TOP_STACK_SITE_COL. */
const char top_stack_heading[] =
    "      IN USE    LIVE ALLOCS/S     LEAKED  ALLOCS  SITE";

char *top_fmt_stack_row(char *buf, size_t len, const struct top_stack_row *r, const char *site,
                        int selected, int has_callers)
{
    char use[24], live[16], rate[16], leak[24], n[16];
    top_fmt_bytes(use, sizeof use, r->in_use);
    top_fmt_count(live, sizeof live, r->live, 7);
    top_fmt_rate(rate, sizeof rate, r->per_s);
    top_fmt_bytes(leak, sizeof leak, r->leaked);
    top_fmt_count(n, sizeof n, (r->alloc_weight + HAKMEM_WEIGHT_ONE / 2) / HAKMEM_WEIGHT_ONE, 7);
    snprintf(buf, len, "%c%c%10s %7s %8s %10s %7s  %s", selected ? '>' : ' ',
             !has_callers ? ' ' : r->expanded ? '-' : '+', use, live, rate, leak, n, site);
    return buf;
}

char *top_fmt_caller(char *buf, size_t len, const char *frame)
{
    snprintf(buf, len, "%*s< %s", TOP_STACK_SITE_COL, "", frame);
    return buf;
}
