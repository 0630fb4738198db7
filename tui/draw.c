/* draw.c — hakmem-top's ncurses screen: header, panel tabs, the panel body and
 * a status line as windows, each erased and redrawn, one doupdate per frame. */
#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "hakmem_reader.h"
#include "top.h"

#define HEADER_ROWS TOP_HEADER_LINES
#define MIN_ROWS 8
#define MIN_COLS 40

enum pair { P_NONE = 0, P_EMPTY, P_LOW, P_MID, P_HIGH, P_CACHED, P_WARN, P_TAB, P_COUNT };

struct top_screen {
    SCREEN *scr;
    WINDOW *hdr, *tabs, *body, *status;
    int colour, rows, cols;
};

/* The attribute of occupancy level 0..3 (EMPTY, sparse, half, full). */
static attr_t level_attr(const struct top_screen *sc, int level)
{
    static const short pairs[4] = { P_EMPTY, P_LOW, P_MID, P_HIGH };
    static const attr_t mono[4] = { A_DIM, A_NORMAL, A_BOLD, A_REVERSE };
    if (level < 0 || level > 3)
        return A_NORMAL;
    return sc->colour ? (attr_t)COLOR_PAIR(pairs[level]) : mono[level];
}

/* The screen is reachable from the panels' draw functions through this. */
static struct top_screen *screen;

struct top_screen *top_draw_open(int colour, char *err, size_t errlen)
{
    struct top_screen *sc = calloc(1, sizeof *sc);
    if (!sc) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sc->scr = newterm(NULL, stdout, stdin);
    if (!sc->scr) {
        const char *term = getenv("TERM");
        snprintf(err, errlen, "cannot use the terminal (TERM=%s); hakmem-top -o prints a frame as text",
                 term ? term : "");
        free(sc);
        return NULL;
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    sc->colour = colour && has_colors();
    if (sc->colour) {
        start_color();
        use_default_colors();
        init_pair(P_EMPTY, COLOR_BLUE, -1);
        init_pair(P_LOW, COLOR_RED, -1);
        init_pair(P_MID, COLOR_YELLOW, -1);
        init_pair(P_HIGH, COLOR_GREEN, -1);
        init_pair(P_CACHED, COLOR_CYAN, -1);
        init_pair(P_WARN, COLOR_RED, -1);
        init_pair(P_TAB, COLOR_BLACK, COLOR_CYAN);
    }
    screen = sc;
    top_draw_layout(sc);
    return sc;
}

static void drop_windows(struct top_screen *sc)
{
    WINDOW **w[] = { &sc->hdr, &sc->tabs, &sc->body, &sc->status };
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (*w[i]) {
            delwin(*w[i]);
            *w[i] = NULL;
        }
}

/* Windows for the terminal's size (again after KEY_RESIZE). stdscr is only
 * read from: refreshed here once, so wgetch never repaints it over them. */
void top_draw_layout(struct top_screen *sc)
{
    drop_windows(sc);
    getmaxyx(stdscr, sc->rows, sc->cols);
    werase(stdscr);
    wnoutrefresh(stdscr);
    if (sc->rows < MIN_ROWS || sc->cols < MIN_COLS)
        return;
    sc->hdr = newwin(HEADER_ROWS, sc->cols, 0, 0);
    sc->tabs = newwin(1, sc->cols, HEADER_ROWS, 0);
    sc->body = newwin(sc->rows - HEADER_ROWS - 2, sc->cols, HEADER_ROWS + 1, 0);
    sc->status = newwin(1, sc->cols, sc->rows - 1, 0);
}

void top_draw_close(struct top_screen *sc)
{
    if (!sc)
        return;
    drop_windows(sc);
    endwin();
    delscreen(sc->scr);
    screen = NULL;
    free(sc);
}

/* Writes s at (y, x) clipped to the window's width. */
static void put(WINDOW *w, int y, int x, const char *s, attr_t a)
{
    int cols = getmaxx(w);
    if (x >= cols)
        return;
    wattrset(w, a);
    mvwaddnstr(w, y, x, s, cols - x);
    wattrset(w, A_NORMAL);
}

static void draw_header(struct top_screen *sc, const struct top_view *v)
{
    char buf[1400];
    size_t len = sc->cols > 0 && (size_t)sc->cols < sizeof buf ? (size_t)sc->cols + 1 : sizeof buf;
    werase(sc->hdr);
    for (int i = 0; i < HEADER_ROWS; i++)
        put(sc->hdr, i, 0, top_header_line(buf, len, v, i), i == 0 ? A_BOLD : A_NORMAL);
    const struct top_sample *s = &v->model->s;
    if (s->state == TOP_EXITED || s->state == TOP_GONE) { /* the state word after "up T  " */
        const char *w = s->state == TOP_EXITED ? "exited" : "gone";
        char *at = strstr(top_header_line(buf, sizeof buf, v, 0), w);
        if (at)
            mvwchgat(sc->hdr, 0, (int)(at - buf), (int)strlen(w), A_BOLD | A_REVERSE,
                     sc->colour ? P_WARN : 0, NULL);
    }
    wnoutrefresh(sc->hdr);
}

static void draw_tabs(struct top_screen *sc, const struct top_view *v)
{
    char buf[128];
    int x = 0;
    werase(sc->tabs);
    for (int i = 0; i < TOP_PANELS; i++) {
        int cur = (int)v->panel == i && !v->help;
        snprintf(buf, sizeof buf, cur ? "[%c %s]" : " %c %s ", top_panels[i].key, top_panels[i].name);
        put(sc->tabs, 0, x, buf, cur ? (sc->colour ? COLOR_PAIR(P_TAB) | A_BOLD : A_REVERSE) : A_NORMAL);
        x += (int)strlen(buf); /* " 2 SuperSlabs ": spaced already */
    }
    const struct top_model *m = v->model;
    if (v->replay) {
        char sp[32];
        snprintf(buf, sizeof buf, "speed %s%s", top_fmt_speed(sp, sizeof sp, v->speed_log2),
                 v->paused ? " paused" : "");
    } else if (v->panel == TOP_PANEL_STACKS && m->s.stacks) {
        int rev;
        enum top_stack_sort k = top_stacks_sort_key(m->s.stacks, &rev);
        snprintf(buf, sizeof buf, "sort %s%s%s", top_stack_sort_keys[k].name, rev ? " rev" : "",
                 v->paused ? "  paused" : "");
    } else
        snprintf(buf, sizeof buf, "sort %s%s%s", top_sort_keys[m->sort].name, m->reverse ? " rev" : "",
                 v->paused ? "  paused" : "");
    int at = sc->cols - (int)strlen(buf) - 1;
    if (at > x)
        put(sc->tabs, 0, at, buf, A_NORMAL);
    wnoutrefresh(sc->tabs);
}

static void draw_status(struct top_screen *sc, const struct top_view *v)
{
    char buf[256], t[32];
    const struct top_sample *s = &v->model->s;
    attr_t a = A_NORMAL;
    werase(sc->status);
    if (v->prompt)
        snprintf(buf, sizeof buf, "filter events by type: %s_", v->edit);
    else if (s->state == TOP_EXITED || s->state == TOP_GONE) {
        snprintf(buf, sizeof buf, "process %d %s after %s; showing its last frame", s->pid,
                 s->state == TOP_EXITED ? "exited" : "is gone (killed?)",
                 top_fmt_duration(t, sizeof t, s->now_ns));
        a = A_BOLD | (sc->colour ? COLOR_PAIR(P_WARN) : 0);
    } else if (!v->message[0] && v->model->ring_stalled)
        snprintf(buf, sizeof buf, "ring full, nobody drains it: new events are dropped");
    else if (s->state == TOP_REPLAY_END)
        snprintf(buf, sizeof buf, "end of the recorded run%s%s", v->message[0] ? "; " : "", v->message);
    else
        snprintf(buf, sizeof buf, "%s", v->message);
    put(sc->status, 0, 0, buf, a);
    const char *keys = "h help  q quit";
    int at = sc->cols - (int)strlen(keys) - 1;
    if (at > (int)strlen(buf) + 1)
        put(sc->status, 0, at, keys, A_DIM);
    wnoutrefresh(sc->status);
}

/* The first content row to show: the view's scroll clamped to content
 * rows under a window of h rows (UINT_MAX: the end). */
static unsigned first_row(struct top_view *v, unsigned content, unsigned h)
{
    unsigned max = content > h ? content - h : 0;
    v->max_scroll[v->panel] = max;
    unsigned s = v->scroll[v->panel];
    if (s == UINT_MAX)
        return max;
    if (s > max)
        v->scroll[v->panel] = s = max;
    return s;
}

void top_draw_classes(void *win, struct top_view *v)
{
    WINDOW *w = win;
    const struct top_model *m = v->model;
    int h = getmaxy(w), cols = getmaxx(w);
    int bar = cols - TOP_ROW_WIDTH(0) - 1;
    bar = bar < 8 ? 8 : bar > 60 ? 60 : bar;
    char buf[512];
    put(w, 0, 0, top_fmt_row_heading(buf, sizeof buf, (unsigned)bar), A_BOLD | A_UNDERLINE);
    if (!m->nrows) {
        put(w, 2, 2, "no slab in use yet", A_DIM);
        return;
    }
    unsigned first = first_row(v, m->nrows, (unsigned)(h - 1));
    for (int y = 1; y < h && first + (unsigned)y - 1 < m->nrows; y++) {
        const struct top_row *r = &m->rows[first + (unsigned)y - 1];
        put(w, y, 0, top_fmt_row(buf, sizeof buf, r, (unsigned)bar, m->s.have_used), A_NORMAL);
        if (!m->s.have_used)
            continue;
        attr_t a = level_attr(screen, top_occ_level(r->used, r->capacity));
        short pair = (short)PAIR_NUMBER(a);
        attr_t plain = a & ~A_COLOR;
        mvwchgat(w, y, TOP_ROW_OCC_COL, 5, plain, pair, NULL);
        const char *cell = buf + TOP_ROW_BAR_COL;
        int fill = 0;
        while (fill < bar && cell[fill] == '#')
            fill++;
        if (fill && TOP_ROW_BAR_COL < cols)
            mvwchgat(w, y, TOP_ROW_BAR_COL, fill, plain | (screen->colour ? A_BOLD : 0), pair, NULL);
    }
}

void top_draw_map(void *win, struct top_view *v)
{
    WINDOW *w = win;
    const struct top_model *m = v->model;
    const struct top_sample *s = &m->s;
    int h = getmaxy(w), cols = getmaxx(w);
    unsigned per = top_map_per_line((unsigned)cols);
    char buf[256];
    snprintf(buf, sizeof buf,
             "%llu active, %llu cached: %llu slabs in use, %llu under 25%%, %llu EMPTY, %llu free",
             (unsigned long long)m->ss_active, (unsigned long long)m->ss_cached,
             (unsigned long long)m->owned_slabs, (unsigned long long)m->sparse_slabs,
             (unsigned long long)m->empty_slabs, (unsigned long long)m->free_slabs);
    put(w, 0, 0, buf, A_BOLD);
    if (!s->nss) {
        put(w, 2, 2, "no SuperSlab mapped yet", A_DIM);
        return;
    }
    unsigned lines = (unsigned)((s->nss + per - 1) / per);
    unsigned first = first_row(v, lines, (unsigned)(h - 1));
    for (int y = 1; y < h; y++) {
        unsigned line = first + (unsigned)y - 1;
        for (unsigned k = 0; k < per; k++) {
            size_t i = (size_t)line * per + k;
            if (i >= s->nss)
                break;
            const struct hakmem_seg_ss *ss = &s->ss[i];
            int x = (int)(k * (TOP_MAP_WIDTH + 2));
            top_fmt_map_ss(buf, sizeof buf, ss);
            buf[TOP_MAP_CELL_COL] = '\0';
            int cached = ss->state == HAKMEM_SS_CACHED;
            put(w, y, x, buf, cached ? (screen->colour ? COLOR_PAIR(P_CACHED) : A_BOLD) : A_DIM);
            for (unsigned c = 1; c < HAKMEM_SEG_SLABS; c++) {
                const struct hakmem_seg_slab *sl = &ss->slab[c];
                int cx = x + TOP_MAP_CELL_COL + (int)c - 1;
                if (cx >= cols)
                    break;
                attr_t a = A_DIM;
                if (sl->state == HAKMEM_SLAB_EMPTY)
                    a = level_attr(screen, 0);
                else if (sl->state != HAKMEM_SLAB_FREE)
                    a = s->occ == TOP_OCC_NONE ? A_NORMAL
                                               : level_attr(screen, top_occ_level(sl->used ? sl->used : 1,
                                                                                  sl->capacity));
                else if (cached && screen->colour)
                    a = COLOR_PAIR(P_CACHED);
                mvwaddch(w, y, cx, (chtype)(unsigned char)top_map_cell(sl) | a);
            }
        }
    }
}

static attr_t event_attr(const struct hakmem_event *e)
{
    int c = screen->colour;
    switch (e->type) {
    case HAKMEM_EV_SS_MAP:
    case HAKMEM_EV_LRU_POP_MISS:
        return c ? COLOR_PAIR(P_LOW) : A_BOLD;
    case HAKMEM_EV_SLAB_EMPTY:
    case HAKMEM_EV_SLAB_RELEASE:
        return c ? COLOR_PAIR(P_EMPTY) : A_NORMAL;
    case HAKMEM_EV_LRU_POP_HIT:
    case HAKMEM_EV_LRU_PUSH:
        return c ? COLOR_PAIR(P_HIGH) : A_NORMAL;
    case HAKMEM_EV_STAGE_MISS:
        return A_DIM;
    default:
        return A_NORMAL;
    }
}

void top_draw_events(void *win, struct top_view *v)
{
    static struct hakmem_event ev[TOP_TAIL];
    WINDOW *w = win;
    int h = getmaxy(w);
    char buf[256];
    size_t n = top_model_tail(v->model, v->filter, ev, TOP_TAIL);
    put(w, 0, 0, top_event_heading, A_BOLD | A_UNDERLINE);
    if (v->filter[0]) {
        snprintf(buf, sizeof buf, " /%s ", v->filter);
        int at = getmaxx(w) - (int)strlen(buf);
        if (at > (int)strlen(top_event_heading))
            put(w, 0, at, buf, A_REVERSE);
    }
    if (!n) {
        put(w, 2, 2, v->filter[0] ? "no event of a type matching the filter" : "no event yet", A_DIM);
        return;
    }
    unsigned first = first_row(v, (unsigned)n, (unsigned)(h - 1));
    for (int y = 1; y < h && first + (unsigned)y - 1 < n; y++) {
        const struct hakmem_event *e = &ev[first + (unsigned)y - 1];
        put(w, y, 0, top_fmt_event(buf, sizeof buf, e, v->model->s.start_ns), event_attr(e));
    }
}

void top_draw_counters(void *win, struct top_view *v)
{
    WINDOW *w = win;
    int h = getmaxy(w);
    char buf[256];
    unsigned total = top_panels[TOP_PANEL_COUNTERS].rows(v);
    unsigned first = first_row(v, total, (unsigned)h);
    for (int y = 0; y < h && first + (unsigned)y < total; y++) {
        const char *l = top_counters_line(buf, sizeof buf, v, (int)(first + (unsigned)y));
        put(w, y, 0, l, first + (unsigned)y == 0 ? A_BOLD | A_UNDERLINE : A_NORMAL);
    }
}

/* Notes, the heading, then rows and expanded callers, scrolled so that the
 * selected row shows. */
void top_draw_stacks(void *win, struct top_view *v)
{
    WINDOW *w = win;
    int h = getmaxy(w), y = 0;
    char buf[512];
    const char *l;
    for (int i = 0; y < h && (l = top_stacks_note(buf, sizeof buf, v, i)); i++, y++)
        put(w, y, 0, l, strncmp(l, "INCOMPLETE", 10) == 0
                            ? A_BOLD | (screen->colour ? COLOR_PAIR(P_WARN) : 0) : A_DIM);
    struct top_stacks *st = v->model->s.stacks;
    if (!st || y >= h)
        return;
    put(w, y++, 0, top_stack_heading, A_BOLD | A_UNDERLINE);
    const struct top_stack_row *rows;
    size_t n = top_stacks_rows(st, &rows), row = 0;
    if (!n) {
        put(w, y + 1, 2, "no sampled allocation yet", A_DIM);
        return;
    }
    if (v->stack_sel >= n)
        v->stack_sel = n - 1;
    unsigned total = top_panels[TOP_PANEL_STACKS].rows(v), sel = 0;
    while (sel < total && top_stacks_line(buf, sizeof buf, v, sel, 0, &row) && row < v->stack_sel)
        sel++;
    unsigned room = (unsigned)(h - y), *s = &v->scroll[TOP_PANEL_STACKS];
    if (*s > sel) /* keep the selected row (and what it expands to) in view */
        *s = sel;
    else if (sel >= *s + room)
        *s = sel - room + 1;
    unsigned first = first_row(v, total, room);
    for (unsigned k = first; y < h && (l = top_stacks_line(buf, sizeof buf, v, k, 0, &row)); k++, y++)
        put(w, y, 0, l, row == v->stack_sel && l[0] == '>' ? A_REVERSE : A_NORMAL);
}

static void draw_help(WINDOW *w)
{
    int h = getmaxy(w);
    for (int y = 0; y < h && top_help_lines[y]; y++)
        put(w, y, 0, top_help_lines[y], y == 0 ? A_BOLD : A_NORMAL);
}

void top_draw_frame(struct top_screen *sc, struct top_view *v)
{
    if (!sc->body) {
        werase(stdscr);
        mvwaddnstr(stdscr, 0, 0, "hakmem-top: terminal too small", sc->cols);
        wnoutrefresh(stdscr);
        doupdate();
        return;
    }
    v->body_rows = (unsigned)getmaxy(sc->body);
    v->body_cols = (unsigned)getmaxx(sc->body);
    draw_header(sc, v);
    draw_tabs(sc, v);
    werase(sc->body);
    if (v->help)
        draw_help(sc->body);
    else
        top_panels[v->panel].draw(sc->body, v);
    wnoutrefresh(sc->body);
    draw_status(sc, v);
    doupdate();
}
