/* panels.c — hakmem-top's panels as one const table (htop's Panel): name,
 * key, plain-text and screen renderers, content height, and own keys. */
#include <curses.h>
#include <limits.h>
#include <stddef.h>
#include "top.h"

static unsigned rows_classes(const struct top_view *v)
{
    return v->model->nrows;
}

static unsigned rows_map(const struct top_view *v)
{
    unsigned per = top_map_per_line(v->body_cols);
    return (unsigned)((v->model->s.nss + per - 1) / per);
}

static unsigned rows_events(const struct top_view *v)
{
    static struct hakmem_event ev[TOP_TAIL];
    return (unsigned)top_model_tail(v->model, v->filter, ev, TOP_TAIL);
}

static unsigned rows_counters(const struct top_view *v)
{
    char buf[256];
    unsigned n = 0;
    while (top_counters_line(buf, sizeof buf, v, (int)n))
        n++;
    return n;
}

/* Lines of the Stacks panel under its notes and heading. */
static unsigned rows_stacks(const struct top_view *v)
{
    char buf[256];
    size_t row;
    unsigned n = 0;
    while (top_stacks_line(buf, sizeof buf, v, n, 0, &row))
        n++;
    return n;
}

static unsigned stacks_sorted(struct top_view *v, struct top_stacks *st)
{
    int rev;
    enum top_stack_sort k = top_stacks_sort_key(st, &rev);
    snprintf(v->message, sizeof v->message, "stacks sorted by %s%s", top_stack_sort_keys[k].name,
             rev ? ", reversed" : "");
    return TOP_F_REDRAW;
}

/* Moves the selection by d rows (clamped), or to the end for d INT_MAX. */
static unsigned stacks_select(struct top_view *v, size_t nrows, long d)
{
    long s = (long)v->stack_sel + d;
    if (d == LONG_MAX || s >= (long)nrows)
        s = (long)nrows - 1;
    v->stack_sel = s < 0 ? 0 : (size_t)s;
    return TOP_F_REDRAW;
}

/* Stacks panel: Enter expands or collapses the selected row's callers, the
 * arrow keys move the selection, s r and the letters of its sort keys sort. */
static unsigned keys_stacks(struct top_view *v, int key)
{
    struct top_stacks *st = v->model->s.stacks;
    if (!st)
        return 0;
    const struct top_stack_row *rows;
    size_t n = top_stacks_rows(st, &rows);
    long page = v->body_rows > 6 ? (long)v->body_rows - 5 : 1;
    switch (key) {
    case '\n':
    case '\r':
    case KEY_ENTER:
        top_stacks_toggle(st, v->stack_sel);
        return TOP_F_REDRAW;
    case KEY_UP:
    case 'k':
        return stacks_select(v, n, -1);
    case KEY_DOWN:
    case 'j':
        return stacks_select(v, n, 1);
    case KEY_PPAGE:
        return stacks_select(v, n, -page);
    case KEY_NPAGE:
        return stacks_select(v, n, page);
    case KEY_HOME:
    case 'g':
        return stacks_select(v, n, -(long)n);
    case KEY_END:
    case 'G':
        return stacks_select(v, n, LONG_MAX);
    case 's':
        top_stacks_sort_step(st, 1);
        return stacks_sorted(v, st);
    case 'r':
        top_stacks_sort_step(st, 0);
        return stacks_sorted(v, st);
    default:
        return top_stacks_sort_by_key(st, key) ? stacks_sorted(v, st) : 0;
    }
}

/* Events panel: 'x' (or Delete) drops the filter. */
static unsigned keys_events(struct top_view *v, int key)
{
    if (key != 'x' && key != KEY_DC)
        return 0;
    v->filter[0] = '\0';
    snprintf(v->message, sizeof v->message, "events: no filter");
    return TOP_F_REDRAW;
}

const struct top_panel top_panels[TOP_PANELS] = {
    [TOP_PANEL_CLASSES] = { .name = "Classes", .key = '1', .text = top_text_classes,
                            .draw = top_draw_classes, .rows = rows_classes },
    [TOP_PANEL_MAP] = { .name = "SuperSlabs", .key = '2', .text = top_text_map,
                        .draw = top_draw_map, .rows = rows_map },
    [TOP_PANEL_EVENTS] = { .name = "Events", .key = '3', .text = top_text_events,
                           .draw = top_draw_events, .rows = rows_events, .handle = keys_events },
    [TOP_PANEL_COUNTERS] = { .name = "Counters", .key = '4', .text = top_text_counters,
                             .draw = top_draw_counters, .rows = rows_counters },
    [TOP_PANEL_STACKS] = { .name = "Stacks", .key = '5', .text = top_text_stacks,
                           .draw = top_draw_stacks, .rows = rows_stacks, .handle = keys_stacks },
};

const char *const top_help_lines[] = {
    "hakmem-top: slab occupancy of a process traced by hakmem",
    "",
    "  1 2 3 4 5, Tab  panels: Classes, SuperSlabs, Events, Counters, Stacks",
    "  s               cycle the class table's sort key",
    "  c l u o e       sort by class, slabs, used, occupancy, EMPTY transitions",
    "  r               reverse the order",
    "  /               filter events by type name (Enter: apply, empty: none)",
    "  x               (Events) drop the filter",
    "  Enter u a l b n (Stacks) callers; by in use, allocs/s, leaked, bytes, count",
    "  space  . n      pause / resume;  one step: a new sample (replay: a frame)",
    "  + -             replay speed x2 / /2",
    "  arrows j k PgUp PgDn g G   scroll",
    "  h ?             this help      q  quit",
    "",
    "Stage mix: % of the class's last slab acquisitions served by stage",
    "0 (own slabs), 0.5 (EMPTY registry), 1 (ownerless), 2 (free slot), 3 (new SS).",
    "Map: a cell per slab, its class 0-9a-zA-Z; _ EMPTY; . free; * cached SS;",
    "colour: red < 25 % full, yellow < 75 %, green from 75 %, blue EMPTY.",
    NULL,
};
