/* keys.c — what each key does to the view; every handler returns flags
 * (redraw, quit, sample, step, layout) and the main loop acts on them. */
#include <curses.h>
#include <limits.h>
#include <string.h>
#include "top.h"

#define CTRL(c) ((c) & 0x1f)
#define KEY_ESC 27
#define SPEED_MIN (-20)
#define SPEED_MAX 10

void top_view_init(struct top_view *v, struct top_model *m)
{
    memset(v, 0, sizeof *v);
    v->model = m;
    v->body_rows = 24 - TOP_HEADER_LINES - 2; /* 80x24 until the first layout */
    v->body_cols = 80;
    v->scroll[TOP_PANEL_EVENTS] = UINT_MAX; /* follow the newest */
}

/* The filter prompt: printable characters, Backspace, Ctrl-U, Enter, Esc. */
static unsigned prompt_key(struct top_view *v, int key)
{
    size_t n = strlen(v->edit);
    switch (key) {
    case '\n':
    case '\r':
    case KEY_ENTER:
        memcpy(v->filter, v->edit, sizeof v->filter);
        v->prompt = 0;
        v->panel = TOP_PANEL_EVENTS;
        v->scroll[TOP_PANEL_EVENTS] = UINT_MAX; /* newest */
        snprintf(v->message, sizeof v->message, v->filter[0] ? "events: type matching \"%s\""
                                                             : "events: no filter%s", v->filter);
        return TOP_F_REDRAW;
    case KEY_ESC:
        v->prompt = 0;
        v->message[0] = '\0';
        return TOP_F_REDRAW;
    case KEY_BACKSPACE:
    case 127:
    case CTRL('h'):
        if (n)
            v->edit[n - 1] = '\0';
        return TOP_F_REDRAW;
    case CTRL('u'):
        v->edit[0] = '\0';
        return TOP_F_REDRAW;
    case KEY_RESIZE:
        return TOP_F_LAYOUT | TOP_F_REDRAW;
    default:
        if (key >= 32 && key < 127 && n + 1 < sizeof v->edit) {
            v->edit[n] = (char)key;
            v->edit[n + 1] = '\0';
            return TOP_F_REDRAW;
        }
        return 0;
    }
}

/* Scrolling the panel; draw.c clamps the offset to its content. */
static unsigned scroll_key(struct top_view *v, int key)
{
    unsigned *s = &v->scroll[v->panel];
    unsigned page = v->body_rows > 3 ? v->body_rows - 2 : 1;
    unsigned max = v->max_scroll[v->panel];
    if (*s > max)
        *s = max;
    switch (key) {
    case KEY_UP:
    case 'k':
        *s = *s > 0 ? *s - 1 : 0;
        break;
    case KEY_DOWN:
    case 'j':
        *s = *s < max ? *s + 1 : max;
        break;
    case KEY_PPAGE:
        *s = *s > page ? *s - page : 0;
        break;
    case KEY_NPAGE:
        *s = max - *s > page ? *s + page : max;
        break;
    case KEY_HOME:
    case 'g':
        *s = 0;
        break;
    case KEY_END:
    case 'G':
        *s = UINT_MAX;
        break;
    default:
        return 0;
    }
    return TOP_F_REDRAW;
}

static unsigned set_panel(struct top_view *v, unsigned p)
{
    v->panel = (enum top_panel_id)(p % TOP_PANELS);
    v->help = 0;
    return TOP_F_REDRAW;
}

static unsigned speed(struct top_view *v, int d)
{
    if (!v->replay)
        return 0;
    int s = v->speed_log2 + d;
    v->speed_log2 = s < SPEED_MIN ? SPEED_MIN : s > SPEED_MAX ? SPEED_MAX : s;
    char b[32];
    snprintf(v->message, sizeof v->message, "speed %s", top_fmt_speed(b, sizeof b, v->speed_log2));
    return TOP_F_REDRAW;
}

unsigned top_keys_handle(struct top_view *v, int key)
{
    if (v->prompt)
        return prompt_key(v, key);
    if (v->help && (key == 'h' || key == '?' || key == KEY_ESC)) {
        v->help = 0;
        return TOP_F_REDRAW;
    }
    const struct top_panel *p = &top_panels[v->panel];
    unsigned f;
    if (p->handle && (f = p->handle(v, key)))
        return f;
    struct top_model *m = v->model;
    switch (key) {
    case 'q':
    case 'Q':
        return TOP_F_QUIT;
    case ' ':
        v->paused = !v->paused;
        snprintf(v->message, sizeof v->message, "%s", v->paused ? "paused" : "");
        return TOP_F_REDRAW | (v->paused ? 0 : TOP_F_SAMPLE);
    case '.':
    case 'n':
        v->paused = 1;
        snprintf(v->message, sizeof v->message, "paused; %s", v->replay ? "stepped one frame"
                                                                         : "one new sample");
        return TOP_F_REDRAW | TOP_F_SAMPLE | TOP_F_STEP;
    case '+':
    case '=':
        return speed(v, 1);
    case '-':
    case '_':
        return speed(v, -1);
    case '\t':
        return set_panel(v, v->panel + 1);
    case KEY_BTAB:
        return set_panel(v, v->panel + TOP_PANELS - 1);
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
        return set_panel(v, (unsigned)(key - '1'));
    case 's':
        m->sort = (enum top_sort)((m->sort + 1) % TOP_SORT_COUNT);
        top_model_sort(m);
        snprintf(v->message, sizeof v->message, "sorted by %s", top_sort_keys[m->sort].name);
        return TOP_F_REDRAW;
    case 'r':
        m->reverse = !m->reverse;
        top_model_sort(m);
        snprintf(v->message, sizeof v->message, "sorted by %s%s", top_sort_keys[m->sort].name,
                 m->reverse ? ", reversed" : "");
        return TOP_F_REDRAW;
    case '/':
        v->prompt = 1; /* a new filter: Enter on it empty shows every event, Esc keeps the old one */
        v->edit[0] = '\0';
        return TOP_F_REDRAW;
    case 'h':
    case '?':
        v->help = !v->help;
        return TOP_F_REDRAW;
    case KEY_RESIZE:
    case CTRL('l'):
        return TOP_F_LAYOUT | TOP_F_REDRAW;
    default:
        break;
    }
    if (top_model_sort_by_key(m, key)) {
        snprintf(v->message, sizeof v->message, "sorted by %s", top_sort_keys[m->sort].name);
        return TOP_F_REDRAW;
    }
    return scroll_key(v, key);
}
