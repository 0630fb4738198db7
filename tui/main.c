/* main.c — hakmem-top: options, the source (live segment or replay), -o, and
 * the one loop that samples on a clock, hands keys to handlers and redraws. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>
#include "top.h"

#define DELAY_MIN 0.1
#define DELAY_MAX 3600.0
#define REPLAY_MIN_FRAMES 30 /* a short run plays for at least this many frames */

static const char usage[] =
    "usage: hakmem-top [-d SECONDS] [-o] [-s KEY] [PID | SEGMENT]\n"
    "       hakmem-top --replay FILE.db [--run N] [-d SECONDS] [-o] [-s KEY]\n"
    "Shows the slab occupancy of a process traced by hakmem (HAKMEM_TRACE=1), live,\n"
    "or of a run recorded by hakmem-trace.\n"
    "  PID             the traced process (default: the newest one running)\n"
    "  SEGMENT         a segment file (HAKMEM_TRACE=/PATH)\n"
    "  -d SECONDS      refresh every SECONDS (default 1, at least 0.1)\n"
    "  -o              print one frame as plain text and exit (replay: the last one)\n"
    "  -s KEY          sort classes by c class, l slabs, u used, o occupancy, e EMPTY\n"
    "  --replay FILE   play a run of a hakmem-trace database\n"
    "  --run N         the run to play (default: the last)\n"
    "  -h, --help      this help;   -V, --version\n"
    "Keys: q quit, space pause, Tab/1-5 panels, s sort, / filter events, h help;\n"
    "Stacks (5, a process traced with HAKMEM_PROFILE=1): Enter callers, u a l b n sort.\n"
    "NO_COLOR set (non-empty) or a terminal without colours: monochrome.\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct options {
    double delay;
    int once, sort;
    long pid, run;
    const char *path, *replay;
};

/* One line on stderr: control bytes of a message (SQLite quotes a damaged
 * schema's text, newlines included) are shown as \xNN. */
static void say(const char *msg)
{
    fputs("hakmem-top: ", stderr);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(stderr, "\\x%02x", *p);
        else
            fputc(*p, stderr);
    }
    fputc('\n', stderr);
}

/* One line on a bad argument; the caller exits with 2. */
static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "hakmem-top: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (hakmem-top --help shows the options)\n");
    return 2;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Parses argv into *o: 0, -1 after --help/--version, or an exit status. */
static int parse(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        { "delay", required_argument, NULL, 'd' }, { "once", no_argument, NULL, 'o' },
        { "sort", required_argument, NULL, 's' },  { "replay", required_argument, NULL, 'R' },
        { "run", required_argument, NULL, 'N' },   { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },     { NULL, 0, NULL, 0 },
    };
    *o = (struct options){ .delay = 1.0, .sort = 'c' };
    int c;
    char *end;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:os:hV", longs, NULL)) != -1) {
        switch (c) {
        case 'd':
            errno = 0;
            o->delay = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(o->delay >= DELAY_MIN) || o->delay > DELAY_MAX)
                return bad("-d %s: expected seconds from 0.1 to 3600", optarg);
            break;
        case 'o':
            o->once = 1;
            break;
        case 's':
            o->sort = 0;
            for (int i = 0; i < TOP_SORT_COUNT; i++)
                if (strcmp(optarg, top_sort_keys[i].name) == 0 ||
                    (optarg[0] == top_sort_keys[i].key && !optarg[1]))
                    o->sort = top_sort_keys[i].key;
            if (!o->sort)
                return bad("-s %s: expected c, l, u, o or e (class, slabs, used, occupancy, EMPTY)",
                           optarg);
            break;
        case 'R':
            o->replay = optarg;
            break;
        case 'N':
            if (!all_digits(optarg) || (o->run = strtol(optarg, NULL, 10)) <= 0)
                return bad("--run %s: expected a run number (1, 2, ...)", optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        case 'V':
            printf("hakmem-top %s\n", PACKAGE_VERSION);
            return -1;
        default: { /* ':' a value missing, '?' an unknown option */
            char name[64];
            if (optopt && c == '?')
                snprintf(name, sizeof name, "-%c", optopt);
            else
                snprintf(name, sizeof name, "%s", argv[optind - 1]);
            return bad(c == ':' ? "%s: expected a value" : "%s: unknown option", name);
        }
        }
    }
    if (optind + 1 < argc)
        return bad("%s: expected at most one PID or segment", argv[optind + 1]);
    if (optind < argc) {
        if (o->replay)
            return bad("%s: --replay takes no PID", argv[optind]);
        if (all_digits(argv[optind])) {
            o->pid = strtol(argv[optind], NULL, 10);
            if (o->pid <= 0 || o->pid > INT_MAX)
                return bad("%s: expected a process id", argv[optind]);
        } else
            o->path = argv[optind];
    }
    if (o->run && !o->replay)
        return bad("--run: only with --replay%s", "");
    return 0;
}

/* Trace time one frame covers at speed 2^k. */
static uint64_t frame_ns(double delay, int k)
{
    double ns = delay * 1e9;
    ns = k >= 0 ? ns * (double)(1ull << k) : ns / (double)(1ull << -k);
    return ns < 1 ? 1 : (uint64_t)ns;
}

/* Replay speed 2^k: the largest k <= 0 that shows the run in enough frames. */
static int default_speed(uint64_t duration_ns, double delay)
{
    int k = 0;
    while (k > -20 && duration_ns / frame_ns(delay, k) < REPLAY_MIN_FRAMES)
        k--;
    return k;
}

static int print_frame(const struct top_view *v)
{
    top_text_header(stdout, v);
    for (int i = 0; i < TOP_PANELS; i++) {
        putchar('\n');
        top_panels[i].text(stdout, v);
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

/* The interactive loop: samples when the clock says, keys otherwise. */
static void run(struct top_source *src, struct top_model *m, struct top_view *v,
                struct top_screen *sc, double delay)
{
    struct top_sample s;
    uint64_t period = (uint64_t)(delay * 1e9), next = mono_ns() + period;
    unsigned flags = TOP_F_REDRAW;
    while (!stop) {
        if (flags & TOP_F_LAYOUT)
            top_draw_layout(sc);
        if (flags & TOP_F_SAMPLE) {
            uint64_t dt = v->replay && (!v->paused || (flags & TOP_F_STEP))
                              ? frame_ns(delay, v->speed_log2) : 0;
            if (top_source_poll(src, dt, &s) == 0)
                top_model_update(m, &s);
            else if (top_source_error(src))
                break; /* main says why, after the screen is closed */
            next = mono_ns() + period;
            flags |= TOP_F_REDRAW;
        }
        if (flags & TOP_F_REDRAW)
            top_draw_frame(sc, v);
        flags = 0;
        enum top_state st = m->s.state;
        int ticking = !v->paused && (st == TOP_RUNNING || st == TOP_REPLAY);
        uint64_t now = mono_ns();
        int ms = ticking ? (next > now ? (int)((next - now + 999999) / 1000000) : 0) : 1000;
        wtimeout(stdscr, ms);
        int key = wgetch(stdscr);
        if (key == ERR) {
            if (ticking && mono_ns() >= next)
                flags |= TOP_F_SAMPLE;
            continue;
        }
        flags |= top_keys_handle(v, key);
        if (flags & TOP_F_QUIT)
            break;
    }
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    setlocale(LC_ALL, "");
    char err[1024];
    struct top_source *src = o.replay ? top_source_open_replay(o.replay, o.run, err, sizeof err)
                                      : top_source_open_live((int)o.pid, o.path, err, sizeof err);
    if (!src) {
        say(err);
        return 1;
    }
    static struct top_model model;
    struct top_view view;
    struct top_sample s;
    top_model_init(&model);
    top_model_sort_by_key(&model, o.sort);
    top_view_init(&view, &model);
    view.replay = top_source_is_replay(src);
    if (top_source_poll(src, view.replay && o.once ? UINT64_MAX : 0, &s) != 0) {
        say(top_source_error(src) ? top_source_error(src) : "cannot read a first sample");
        top_source_close(src);
        return 1;
    }
    top_model_update(&model, &s);
    if (o.once) {
        rc = print_frame(&view);
        top_source_close(src);
        return rc;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "hakmem-top: not a terminal; hakmem-top -o prints a frame as text\n");
        top_source_close(src);
        return 1;
    }
    if (view.replay)
        view.speed_log2 = default_speed(s.duration_ns, o.delay);
    const char *nc = getenv("NO_COLOR");
    struct top_screen *sc = top_draw_open(!(nc && *nc), err, sizeof err);
    if (!sc) {
        say(err);
        top_source_close(src);
        return 1;
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    run(src, &model, &view, sc, o.delay);
    top_draw_close(sc);
    rc = 0;
    if (top_source_error(src)) {
        say(top_source_error(src));
        rc = 1;
    }
    top_source_close(src);
    return rc;
}
