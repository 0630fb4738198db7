/* text.c — a hakmem-top frame as plain text: the header, counters and stacks
 * lines the screen shares, and every panel for -o (like `slabtop -o`). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "hakmem_reader.h"
#include "top.h"

#define TEXT_WIDTH 80
#define TEXT_BAR 10
#define TEXT_EVENTS 20
#define TEXT_STACKS 20 /* stacks -o prints, each with its callers */

static const char *state_name(const struct top_sample *s)
{
    switch (s->state) {
    case TOP_EXITED:
        return "exited";
    case TOP_GONE:
        return "gone";
    case TOP_REPLAY:
        return "replay";
    case TOP_REPLAY_END:
        return "replay end";
    default:
        return "running";
    }
}

char *top_header_line(char *buf, size_t len, const struct top_view *v, int line)
{
    const struct top_model *m = v->model;
    const struct top_sample *s = &m->s;
    char a[32], b[32], c[48], d[32], e[32];
    switch (line) {
    case 0:
        if (s->state == TOP_REPLAY || s->state == TOP_REPLAY_END)
            snprintf(buf, len, "pid %d  t %s / %s  %s  %s", s->pid,
                     top_fmt_seconds(a, sizeof a, s->now_ns),
                     top_fmt_seconds(b, sizeof b, s->duration_ns), state_name(s),
                     s->cmdline ? s->cmdline : "");
        else
            snprintf(buf, len, "pid %d  up %s  %s  %s", s->pid,
                     top_fmt_duration(a, sizeof a, s->now_ns), state_name(s),
                     s->cmdline ? s->cmdline : "");
        break;
    case 1:
        snprintf(buf, len, "SuperSlabs %s active, %s cached  mapped %s  maps %s  unmaps %s",
                 top_fmt_count(a, sizeof a, m->ss_active, 4), top_fmt_count(b, sizeof b, m->ss_cached, 4),
                 top_fmt_bytes(c, sizeof c, m->bytes_mapped), top_fmt_count(d, sizeof d, s->ctr.ss_maps, 5),
                 top_fmt_count(e, sizeof e, s->ctr.ss_unmaps, 5));
        break;
    case 2:
        if (m->lru_hit_pm == UINT32_MAX)
            snprintf(c, sizeof c, "-");
        else
            snprintf(c, sizeof c, "%s%%", top_fmt_pm(b, sizeof b, m->lru_hit_pm));
        snprintf(buf, len, "slabs %s (%s EMPTY)  used %s%%  LRU hit %s",
                 top_fmt_count(a, sizeof a, m->slabs, 5), top_fmt_count(d, sizeof d, m->empty_slabs, 5),
                 s->have_used ? top_fmt_pm(b, sizeof b,
                                           m->capacity ? (unsigned)(m->used * 1000 / m->capacity) : 0)
                              : "?",
                 c);
        break;
    default:
        if (m->drop_per_s > 0)
            snprintf(c, sizeof c, " (%s/s)", top_fmt_rate(b, sizeof b, m->drop_per_s));
        else
            c[0] = '\0';
        snprintf(buf, len, "events %s/s  dropped %s%s  EMPTY %s%s",
                 top_fmt_rate(a, sizeof a, m->ev_per_s), top_fmt_count(d, sizeof d, s->dropped, 5), c,
                 top_fmt_count(e, sizeof e, s->ctr.empty, 5), s->truncated ? "  (table truncated)" : "");
        break;
    }
    return buf;
}

void top_text_header(FILE *out, const struct top_view *v)
{
    char buf[TOP_HEADER_WIDTH + 1];
    for (int i = 0; i < TOP_HEADER_LINES; i++)
        fprintf(out, "%s\n", top_header_line(buf, sizeof buf, v, i));
}

void top_text_classes(FILE *out, const struct top_view *v)
{
    const struct top_model *m = v->model;
    char buf[512];
    fprintf(out, "Classes (sorted by %s%s; stage mix: %% of the last %d slab acquisitions)\n",
            top_sort_keys[m->sort].name, m->reverse ? ", reversed" : "", TOP_MIX);
    fprintf(out, "%s\n", top_fmt_row_heading(buf, sizeof buf, TEXT_BAR));
    for (unsigned i = 0; i < m->nrows; i++)
        fprintf(out, "%s\n", top_fmt_row(buf, sizeof buf, &m->rows[i], TEXT_BAR, m->s.have_used));
}

void top_text_map(FILE *out, const struct top_view *v)
{
    const struct top_model *m = v->model;
    const struct top_sample *s = &m->s;
    unsigned per = top_map_per_line(TEXT_WIDTH);
    char buf[64];
    fprintf(out, "SuperSlabs (a cell per slab: class 0-9a-z..., _ EMPTY, . free; * cached)\n");
    fprintf(out, "%" PRIu64 " active, %" PRIu64 " cached: %" PRIu64 " slabs in use, %" PRIu64
                 " under 25%% full, %" PRIu64 " EMPTY, %" PRIu64 " free\n",
            m->ss_active, m->ss_cached, m->owned_slabs, m->sparse_slabs, m->empty_slabs,
            m->free_slabs);
    for (size_t i = 0; i < s->nss; i++) {
        fputs(top_fmt_map_ss(buf, sizeof buf, &s->ss[i]), out);
        fputs((i + 1) % per == 0 || i + 1 == s->nss ? "\n" : "  ", out);
    }
}

void top_text_events(FILE *out, const struct top_view *v)
{
    static struct hakmem_event ev[TEXT_EVENTS];
    char buf[256];
    size_t n = top_model_tail(v->model, v->filter, ev, TEXT_EVENTS);
    fprintf(out, "Events (newest last%s%s%s)\n", v->filter[0] ? ", type matching \"" : "",
            v->filter, v->filter[0] ? "\"" : "");
    fprintf(out, "%s\n", top_event_heading);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s\n", top_fmt_event(buf, sizeof buf, &ev[i], v->model->s.start_ns));
}

const char *top_counters_line(char *buf, size_t len, const struct top_view *v, int line)
{
    const struct top_model *m = v->model;
    const struct hakmem_seg_counters *c = &m->s.ctr, *p = &m->prev_ctr;
    char a[32], b[32], r[32];
    if (line == 0)
        return snprintf(buf, len, "%-38s%9s %14s %15s", "Slab acquisitions by stage", "served",
                        "fell through", "this frame"), buf;
    if (line >= 1 && line <= TOP_STAGES) {
        unsigned i = (unsigned)line - 1;
        snprintf(buf, len, "  %-4s %-30s %9" PRIu64 " %14" PRIu64 " %15" PRIu64, top_stage_name(i),
                 hakmem_stage_brief(i), c->stage_hit[i], c->stage_miss[i],
                 c->stage_hit[i] - p->stage_hit[i]);
        return buf;
    }
    uint64_t pops = c->lru_pop_hit + c->lru_pop_miss;
    switch (line - TOP_STAGES - 1) {
    case 0:
        buf[0] = '\0';
        return buf;
    case 1:
        snprintf(buf, len, "SuperSlabs  maps %" PRIu64 " (%" PRIu64 " alignment trims)  unmaps %" PRIu64
                           "  mapped now %s",
                 c->ss_maps, c->ss_trims, c->ss_unmaps, top_fmt_bytes(a, sizeof a, m->bytes_mapped));
        return buf;
    case 2:
        if (pops)
            snprintf(r, sizeof r, "%s%%", top_fmt_pm(b, sizeof b, (unsigned)(c->lru_pop_hit * 1000 / pops)));
        else
            snprintf(r, sizeof r, "-");
        snprintf(buf, len, "LRU cache   push %" PRIu64 "  pop hit %" PRIu64 "  miss %" PRIu64
                           " (hit %s)  now %" PRIu64 " cached",
                 c->lru_push, c->lru_pop_hit, c->lru_pop_miss, r, m->ss_cached);
        return buf;
    case 3:
        snprintf(buf, len, "LRU evict   %" PRIu64 " (count %" PRIu64 ", memory %" PRIu64 ", TTL %" PRIu64 ")",
                 c->lru_evict, c->lru_evict_count, c->lru_evict_memory, c->lru_evict_ttl);
        return buf;
    case 4:
        snprintf(buf, len, "EMPTY       transitions %" PRIu64 "  slabs released %" PRIu64
                           "  lately %" PRIu64,
                 c->empty, c->slab_release, c->empty - p->empty);
        return buf;
    case 5:
        snprintf(buf, len, "large       maps %" PRIu64 " (%s)  unmaps %" PRIu64 " (%s)  reuse %" PRIu64,
                 c->large_maps, top_fmt_bytes(a, sizeof a, c->large_map_bytes), c->large_unmaps,
                 top_fmt_bytes(b, sizeof b, c->large_unmap_bytes), c->large_reuse);
        return buf;
    case 6:
        snprintf(buf, len, "threads     started %" PRIu64 "  exited %" PRIu64, c->threads_started,
                 c->threads_exited);
        return buf;
    case 7:
        snprintf(a, sizeof a, ", %" PRIu64 " events", m->s.ring_capacity);
        snprintf(buf, len, "ring        %s%s  written %" PRIu64 "  dropped %" PRIu64,
                 m->s.mode == HAKMEM_TRACE_OVERWRITE ? "overwrite" : "lossless",
                 m->s.ring_capacity ? a : "", m->s.head, m->s.dropped);
        return buf;
    default:
        return NULL;
    }
}

void top_text_counters(FILE *out, const struct top_view *v)
{
    char buf[256];
    const char *l;
    fprintf(out, "Counters\n");
    for (int i = 0; (l = top_counters_line(buf, sizeof buf, v, i)); i++)
        fprintf(out, "%s\n", l);
}

/* ---- the Stacks panel */

/* The Stacks panel's notes, in order: where the figures come from, what that
 * means (end-of-run totals), and what was not seen. */
static int stacks_notes(char (*l)[160], const struct top_view *v)
{
    const struct top_sample *s = &v->model->s;
    char a[24], b[24], c[24], d[24];
    int n = 0;
    if (!s->stacks) {
        snprintf(l[n++], 160, v->replay ? "no heap profile in this run (hakmem-trace record --profile)"
                                        : "no heap profile: the process runs without HAKMEM_PROFILE=1");
        return n;
    }
    const struct top_stacks_seen *seen = top_stacks_seen(s->stacks);
    snprintf(d, sizeof d, "%" PRIu64 " B", s->profile_rate);
    if (s->stacks_from == TOP_STACKS_TOTALS) {
        snprintf(l[n++], 160, "end-of-run totals, profile rate %s (recorded without --all-blocks)", d);
        snprintf(l[n++], 160, "no view over time: ALLOCS/S the run's mean, LEAKED in use at the end");
    } else if (s->stacks_from == TOP_STACKS_BLOCKS)
        snprintf(l[n++], 160, "rebuilt from %s sampled blocks (--all-blocks), profile rate %s",
                 top_fmt_count(a, sizeof a, s->profile_blocks, 7), d);
    else
        snprintf(l[n++], 160, "profile rate %s: %s sampled allocs and %s frees seen", d,
                 top_fmt_count(a, sizeof a, seen->allocs, 7),
                 top_fmt_count(b, sizeof b, seen->frees, 7));
    if (s->stacks_from != TOP_STACKS_LIVE && s->dropped)
        snprintf(l[n++], 160, "INCOMPLETE: the ring dropped %s events while recording",
                 top_fmt_count(a, sizeof a, s->dropped, 7));
    else if (s->stacks_from == TOP_STACKS_LIVE && (seen->missed || s->dropped))
        snprintf(l[n++], 160, "INCOMPLETE: %s events not seen, %s dropped; %s frees of unseen allocs",
                 top_fmt_count(a, sizeof a, seen->missed, 7), top_fmt_count(b, sizeof b, s->dropped, 7),
                 top_fmt_count(c, sizeof c, seen->unmatched + seen->lost_frees, 7));
    else if (s->stacks_from == TOP_STACKS_LIVE)
        snprintf(l[n++], 160, "every event since the process started seen");
    return n;
}

/* Notes on what the figures rest on; NULL past the last. */
const char *top_stacks_note(char *buf, size_t len, const struct top_view *v, int line)
{
    char l[3][160];
    int n = stacks_notes(l, v);
    if (line < 0 || line >= n)
        return NULL;
    snprintf(buf, len, "%s", l[line]);
    return buf;
}

/* Line k of the Stacks table under its heading: a row, or (expanded, or
 * all) one of its callers. *row: the row's index; NULL past the last line. */
const char *top_stacks_line(char *buf, size_t len, const struct top_view *v, unsigned k, int all,
                            size_t *row)
{
    struct top_stacks *st = v->model->s.stacks;
    const struct top_stack_row *rows;
    size_t n = st ? top_stacks_rows(st, &rows) : 0;
    for (size_t i = 0; i < n; i++) {
        const struct top_stack_name *nm = top_stacks_name(st, rows[i].stack_id);
        unsigned callers = nm && nm->n > 1 ? nm->n - 1 : 0;
        unsigned shown = all || rows[i].expanded ? callers : 0;
        if (k == 0) {
            *row = i;
            return top_fmt_stack_row(buf, len, &rows[i], nm ? nm->frame[0] : "?",
                                     !all && i == v->stack_sel, callers && !all);
        }
        if (k <= shown) {
            *row = i;
            return top_fmt_caller(buf, len, nm->frame[k]);
        }
        k -= 1 + shown;
    }
    return NULL;
}

void top_text_stacks(FILE *out, const struct top_view *v)
{
    char buf[512];
    const char *l;
    int rev = 0;
    struct top_stacks *st = v->model->s.stacks;
    enum top_stack_sort k = st ? top_stacks_sort_key(st, &rev) : TOP_SSORT_IN_USE;
    fprintf(out, "Stacks (sorted by %s%s; estimated from the heap profile's samples)\n",
            top_stack_sort_keys[k].name, rev ? ", reversed" : "");
    for (int i = 0; (l = top_stacks_note(buf, sizeof buf, v, i)); i++)
        fprintf(out, "%s\n", l);
    if (!st)
        return;
    fprintf(out, "%s\n", top_stack_heading);
    const struct top_stack_row *rows;
    size_t n = top_stacks_rows(st, &rows), row = 0;
    for (unsigned i = 0; (l = top_stacks_line(buf, sizeof buf, v, i, 1, &row)); i++) {
        if (row >= TEXT_STACKS)
            break;
        fprintf(out, "%s\n", l);
    }
    if (n > TEXT_STACKS)
        fprintf(out, "(%zu more stacks)\n", n - TEXT_STACKS);
}
