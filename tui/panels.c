/* panels.c — hakmem-top's panels as one const table (htop's Panel): name,
 * key, plain-text and screen renderers, content height, and own keys. */
#include <curses.h>
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
};

const char *const top_help_lines[] = {
    "hakmem-top: slab occupancy of a process traced by hakmem",
    "",
    "  1 2 3 4, Tab    panels: Classes, SuperSlabs, Events, Counters",
    "  s               cycle the class table's sort key",
    "  c l u o e       sort by class, slabs, used, occupancy, EMPTY transitions",
    "  r               reverse the order",
    "  /               filter events by type name (Enter: apply, empty: none)",
    "  x               (Events) drop the filter",
    "  space           pause / resume",
    "  . n             one step: a new sample (replay: one frame)",
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
