/* check_frame.c — unit tests of tui/text.c, tui/keys.c and tui/panels.c without a
 * terminal: a frame model rendered as text, and keys turned into view changes. */
#include <check.h>
#include <curses.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "top.h"

static uint32_t sizes[TOP_CLASSES], caps[TOP_CLASSES];
static struct hakmem_seg_ss ss[3];
static struct hakmem_event ev[8];
static struct top_model m;
static struct top_view v;
static char *text;
static size_t text_len;

static void slab(struct hakmem_seg_ss *s, unsigned i, unsigned cls, unsigned state, unsigned used)
{
    s->slab[i] = (struct hakmem_seg_slab){ .cls = (uint8_t)cls, .state = (uint8_t)state,
                                           .used = (uint16_t)used, .capacity = (uint16_t)caps[cls] };
}

/* Classes 2 (32 B) and 12 (256 B) as occupancy_target leaves them, in
 * SuperSlabs 1 and 2 (cached), and a few events. */
static void setup(void)
{
    for (unsigned c = 0; c < TOP_CLASSES; c++) {
        sizes[c] = c == 2 ? 32 : c == 12 ? 256 : 8 * (c + 1);
        caps[c] = 65536 / sizes[c];
    }
    memset(ss, 0, sizeof ss);
    ss[0].id = 1;
    ss[0].state = HAKMEM_SS_ACTIVE;
    slab(&ss[0], 1, 2, HAKMEM_SLAB_OWNED, 1000);
    slab(&ss[0], 2, 2, HAKMEM_SLAB_OWNED, 2048);
    slab(&ss[0], 3, 12, HAKMEM_SLAB_OWNED, 250);
    slab(&ss[0], 4, 12, HAKMEM_SLAB_EMPTY, 0);
    ss[1].id = 2;
    ss[1].state = HAKMEM_SS_CACHED;
    ss[2].id = 3;
    ss[2].state = HAKMEM_SS_ACTIVE;
    slab(&ss[2], 31, 12, HAKMEM_SLAB_OWNED, 256);
    ev[0] = (struct hakmem_event){ .seq = 1, .ts_ns = 1500, .tid = 99, .type = HAKMEM_EV_SS_MAP,
                                   .cls = 255, .stage = 255, .ss_id = 1, .arg0 = 2u << 20 };
    ev[1] = (struct hakmem_event){ .seq = 2, .ts_ns = 2500, .tid = 99, .type = HAKMEM_EV_SLAB_ACQUIRE,
                                   .cls = 2, .stage = 3, .ss_id = 1, .slab = 1 };
    ev[2] = (struct hakmem_event){ .seq = 3, .ts_ns = 3500, .tid = 99, .type = HAKMEM_EV_SLAB_EMPTY,
                                   .cls = 12, .stage = 255, .ss_id = 1, .slab = 4, .arg0 = 256 };
    ev[3] = (struct hakmem_event){ .seq = 4, .ts_ns = 4500, .tid = 99, .type = HAKMEM_EV_LRU_PUSH,
                                   .cls = 255, .stage = 255, .ss_id = 2, .arg0 = 1, .arg1 = 256 };
    struct top_sample s = { .pid = 4242, .cmdline = "./occupancy_target --x", .nclasses = 45,
                            .class_size = sizes, .class_capacity = caps, .ss = ss, .nss = 3,
                            .occ = TOP_OCC_SLAB, .have_used = 1, .now_ns = 65000000000ull,
                            .start_ns = 500, .head = 4, .ev = ev, .nev = 4, .ring_capacity = 65536 };
    s.ctr.ss_maps = 3;
    s.ctr.ss_map_bytes = 3u << 21;
    s.ctr.ss_unmaps = 0;
    s.ctr.lru_pop_hit = 1;
    s.ctr.lru_pop_miss = 1;
    s.ctr.class_empty[12] = 1;
    s.ctr.empty = 1;
    s.ctr.stage_hit[3] = 3;
    top_model_init(&m);
    top_model_update(&m, &s);
    top_view_init(&v, &m);
    text = NULL;
    text_len = 0;
}

static void teardown(void)
{
    free(text);
}

/* Renders with fn into `text`. */
static const char *render(void (*fn)(FILE *, const struct top_view *))
{
    free(text);
    text = NULL;
    FILE *f = open_memstream(&text, &text_len);
    ck_assert_msg(f != NULL, "open_memstream failed");
    fn(f, &v);
    fclose(f);
    return text;
}

static void has(const char *t, const char *want, const char *what)
{
    ck_assert_msg(strstr(t, want) != NULL, "%s: expected \"%s\" in:\n%s", what, want, t);
}

START_TEST(test_header)
{
    const char *t = render(top_text_header);
    has(t, "pid 4242  up 1:05  running  ./occupancy_target --x\n", "header line 0");
    has(t, "\nSuperSlabs 2 active, 1 cached  mapped 6.0 MiB  maps 3  unmaps 0\n", "header line 1");
    has(t, "\nslabs 5 (1 EMPTY)  used ", "header line 2");
    has(t, "  LRU hit 50.0%\n", "header line 2");
    has(t, "\nevents 0/s  dropped 0  EMPTY 1\n", "header line 3");
    m.s.state = TOP_EXITED;
    t = render(top_text_header);
    has(t, "  exited  ", "exited process");
}
END_TEST

/* At 80 columns every header line fits, with the largest numbers a long run
 * shows: nothing is cut off the end (the LRU hit rate, the unmaps, the drop
 * rate); line 0's command line is cut at the width. */
START_TEST(test_header_fits_80)
{
    static char cmd[400];
    memset(cmd, 'x', sizeof cmd - 1);
    memcpy(cmd, "./server ", 9);
    m.s.cmdline = cmd;
    m.s.pid = 4194303;
    m.s.now_ns = 3ull * 86400 * 1000000000u + 4000000000000ull;
    m.s.ctr.ss_maps = 123456789;
    m.s.ctr.ss_unmaps = 98765432;
    m.s.ctr.empty = 987654321;
    m.s.dropped = 55555555555ull;
    m.s.truncated = 1;
    m.ss_active = 123456;
    m.ss_cached = 1048576;
    m.bytes_mapped = (1023ull << 20) + (900ull << 10); /* "1023.9 MiB", the widest */
    m.slabs = 7777777;
    m.empty_slabs = 666666;
    m.used = 999;
    m.capacity = 1000;
    m.lru_hit_pm = 1000;
    m.ev_per_s = 987654.0;
    m.drop_per_s = 876543.0;
    const char *tail[TOP_HEADER_LINES] = { "xxx", "unmaps 98.8M", "LRU hit 100.0%", "(table truncated)" };
    char buf[1400], narrow[TOP_HEADER_WIDTH + 1];
    for (int i = 0; i < TOP_HEADER_LINES; i++) {
        const char *line = top_header_line(i == 0 ? narrow : buf, i == 0 ? sizeof narrow : sizeof buf, &v, i);
        ck_assert_msg(strlen(line) <= TOP_HEADER_WIDTH, "header line %d: expected at most %d columns, got %zu: \"%s\"",
                      i, TOP_HEADER_WIDTH, strlen(line), line);
        size_t n = strlen(line), k = strlen(tail[i]);
        ck_assert_msg(n >= k && strcmp(line + n - k, tail[i]) == 0,
                      "header line %d: expected it to end with \"%s\", got \"%s\"", i, tail[i], line);
    }
    const char *t = render(top_text_header);
    for (const char *l = t; *l;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        ck_assert_msg(n <= TOP_HEADER_WIDTH, "-o header: expected lines of at most %d columns, got %zu in:\n%s",
                      TOP_HEADER_WIDTH, n, t);
        l += n + (nl != NULL);
    }
}
END_TEST

START_TEST(test_classes)
{
    const char *t = render(top_text_classes);
    has(t, "Classes (sorted by class;", "title");
    has(t, "\nCLS  SIZE  SLABS        USED/CAP  OCC%  OCCUPANCY", "heading");
    has(t, "\n  2    32      2       3048/4096  74.4  [#######   ]      0   0   0   0 100   0\n",
        "class 2 row (one acquisition, at stage 2)");
    has(t, "\n 12   256      3         506/768  65.8  [#######   ]      1", "class 12 row");
    m.reverse = 1;
    top_model_sort(&m);
    t = render(top_text_classes);
    ck_assert_msg(strstr(t, "\n 12 ") < strstr(t, "\n  2 "), "reversed: expected class 12 before class 2:\n%s", t);
    has(t, "sorted by class, reversed", "reversed title");
}
END_TEST

START_TEST(test_map)
{
    const char *t = render(top_text_map);
    has(t, "2 active, 1 cached: 4 slabs in use, 0 under 25% full, 1 EMPTY, 88 free\n", "summary");
    has(t, "\n    1 |22c_...........................      2*|...............................\n",
        "SuperSlabs 1 and 2 on one line");
    has(t, "\n    3 |..............................c\n", "SuperSlab 3 alone");
}
END_TEST

START_TEST(test_events)
{
    const char *t = render(top_text_events);
    has(t, "Events (newest last)\n", "title");
    has(t, "    0.000001      99 ss_map          -            1     - 2.0 MiB new\n", "ss_map");
    has(t, "    0.000003      99 slab_empty     12          1:4     - capacity 256\n", "slab_empty");
    ck_assert_msg(strstr(t, "ss_map") < strstr(t, "lru_push"), "expected oldest first:\n%s", t);
    strcpy(v.filter, "slab");
    t = render(top_text_events);
    has(t, "type matching \"slab\"", "filter in the title");
    ck_assert_msg(!strstr(t, "ss_map") && !strstr(t, "lru_push") && strstr(t, "slab_acquire"),
                  "filter slab: expected only slab_* events:\n%s", t);
}
END_TEST

START_TEST(test_counters)
{
    const char *t = render(top_text_counters);
    has(t, "\n  2    free slot of a SuperSlab               3              0               0\n",
        "stage 2 served 3, none since the previous sample");
    has(t, "LRU cache   push 0  pop hit 1  miss 1 (hit 50.0%)  now 1 cached", "LRU line");
    unsigned lines = 0;
    for (const char *p = t; *p; p++)
        lines += *p == '\n';
    ck_assert_msg(top_panels[TOP_PANEL_COUNTERS].rows(&v) + 1 == lines,
                  "counters: panel rows %u + title, text has %u lines",
                  top_panels[TOP_PANEL_COUNTERS].rows(&v), lines);
}
END_TEST

/* Two stacks in the model's sample: 1 (3 blocks of 64 B, one freed: the
 * others outlived it) and 2 (one block of 4096 B); no namer. */
static struct top_stacks *two_stacks(void)
{
    struct top_stacks *st = top_stacks_new(0, NULL, NULL);
    ck_assert_msg(st != NULL, "top_stacks_new: expected a model");
    uint64_t seq = 0;
    for (uint64_t i = 0; i < 4; i++) {
        struct hakmem_event e = { .seq = ++seq, .type = HAKMEM_EV_ALLOC, .ss_addr = 0x100 + i,
                                  .arg1 = HAKMEM_WEIGHT_ONE, .reason = i < 3 ? 64 : 4096,
                                  .stack_id = i < 3 ? 1 : 2 };
        top_stacks_feed(st, &e, 1);
    }
    struct hakmem_event f = { .seq = ++seq, .type = HAKMEM_EV_FREE, .ss_addr = 0x102 };
    top_stacks_feed(st, &f, 1);
    top_stacks_update(st, 1000000000u, 0);
    m.s.stacks = st;
    m.s.profile_rate = 1;
    return st;
}

START_TEST(test_stacks)
{
    const char *t = render(top_text_stacks);
    has(t, "Stacks (sorted by in use", "title without a profile");
    has(t, "no heap profile: the process runs without HAKMEM_PROFILE=1", "no profile");
    struct top_stacks *st = two_stacks();
    t = render(top_text_stacks);
    has(t, "profile rate 1 B: 4 sampled allocs and 1 frees seen\n", "what was seen");
    has(t, "every event since the process started seen\n", "nothing missed");
    has(t, top_stack_heading, "heading");
    const char *a = strstr(t, "4.0 KiB       1"), *b = strstr(t, "128 B       2");
    ck_assert_msg(a && b && a < b, "in use: expected stack 2 (4.0 KiB) before stack 1 (128 B) in:\n%s", t);
    has(t, "     128 B       2        3      128 B       3  (stack 1: no frames)\n",
        "stack 1: 2 live, 128 B leaked so far (outlived a younger freed block)");
    v.panel = TOP_PANEL_STACKS;
    m.s.dropped = 3;
    t = render(top_text_stacks);
    has(t, "INCOMPLETE: 0 events not seen, 3 dropped; 0 frees of unseen allocs", "drops said");
    m.s.dropped = 0;
    ck_assert_msg(top_panels[TOP_PANEL_STACKS].rows(&v) == 2, "stacks: expected 2 rows, no callers");
    ck_assert_msg(top_keys_handle(&v, 'l') & TOP_F_REDRAW, "l: expected a redraw");
    ck_assert_msg(strstr(v.message, "stacks sorted by leaked"), "l: expected 'stacks sorted by leaked', got '%s'",
                  v.message);
    const struct top_stack_row *r;
    top_stacks_rows(st, &r);
    ck_assert_msg(r[0].stack_id == 1, "leaked: expected stack 1 first, got %u", r[0].stack_id);
    top_keys_handle(&v, 'j');
    ck_assert_msg(v.stack_sel == 1, "j: expected row 1 selected, got %zu", v.stack_sel);
    top_keys_handle(&v, 'j');
    ck_assert_msg(v.stack_sel == 1, "j at the last row: expected it kept, got %zu", v.stack_sel);
    top_keys_handle(&v, 'g');
    ck_assert_msg(v.stack_sel == 0, "g: expected row 0, got %zu", v.stack_sel);
    top_keys_handle(&v, '\r');
    ck_assert_msg(r[0].expanded, "Enter: expected row 0 expanded");
    top_keys_handle(&v, 'c');
    ck_assert_msg(m.sort == TOP_SORT_CLASS, "c (no stacks key): expected the class table's key");
    top_stacks_free(st);
    m.s.stacks = NULL;
}
END_TEST

START_TEST(test_panel_table)
{
    for (int i = 0; i < TOP_PANELS; i++) {
        const struct top_panel *p = &top_panels[i];
        ck_assert_msg(p->name && p->text && p->draw && p->rows, "panel %d: expected every field", i);
        ck_assert_msg(p->key == '1' + i, "panel %d: expected key %c, got %c", i, '1' + i, p->key);
    }
    ck_assert_msg(top_panels[TOP_PANEL_CLASSES].rows(&v) == 2, "classes: expected 2 rows");
    v.body_cols = 80;
    ck_assert_msg(top_panels[TOP_PANEL_MAP].rows(&v) == 2, "map at 80 columns: expected 2 lines");
    v.body_cols = 40;
    ck_assert_msg(top_panels[TOP_PANEL_MAP].rows(&v) == 3, "map at 40 columns: expected 3 lines");
    ck_assert_msg(top_panels[TOP_PANEL_EVENTS].rows(&v) == 4, "events: expected 4");
    for (int i = 0; top_help_lines[i]; i++)
        ck_assert_msg(strlen(top_help_lines[i]) < 80, "help line %d: expected under 80 columns", i);
}
END_TEST

START_TEST(test_keys_panels)
{
    ck_assert_msg(top_keys_handle(&v, '2') & TOP_F_REDRAW, "2: expected a redraw");
    ck_assert_msg(v.panel == TOP_PANEL_MAP, "2: expected the map panel");
    top_keys_handle(&v, '\t');
    ck_assert_msg(v.panel == TOP_PANEL_EVENTS, "Tab: expected the events panel");
    top_keys_handle(&v, KEY_BTAB);
    ck_assert_msg(v.panel == TOP_PANEL_MAP, "Shift-Tab: expected the map panel");
    top_keys_handle(&v, '4');
    top_keys_handle(&v, '\t');
    ck_assert_msg(v.panel == TOP_PANEL_STACKS, "Tab from 4: expected the stacks panel");
    top_keys_handle(&v, '\t');
    ck_assert_msg(v.panel == TOP_PANEL_CLASSES, "Tab from 5: expected to wrap to classes");
    ck_assert_msg(top_keys_handle(&v, 'h') & TOP_F_REDRAW && v.help, "h: expected help");
    top_keys_handle(&v, '3');
    ck_assert_msg(!v.help && v.panel == TOP_PANEL_EVENTS, "3 over help: expected events, no help");
    top_keys_handle(&v, 'h');
    top_keys_handle(&v, 'h');
    ck_assert_msg(!v.help, "h twice: expected no help");
    ck_assert_msg(top_keys_handle(&v, 'q') == TOP_F_QUIT, "q: expected quit");
    ck_assert_msg(top_keys_handle(&v, KEY_RESIZE) & TOP_F_LAYOUT, "KEY_RESIZE: expected a new layout");
    ck_assert_msg(top_keys_handle(&v, '#') == 0, "#: expected nothing");
}
END_TEST

START_TEST(test_keys_sort)
{
    ck_assert_msg(m.sort == TOP_SORT_CLASS, "initially: expected the class order");
    top_keys_handle(&v, 's');
    ck_assert_msg(m.sort == TOP_SORT_SLABS && m.rows[0].cls == 12, "s: expected slabs, class 12 first");
    has(v.message, "sorted by slabs", "s message");
    for (int i = 0; i < TOP_SORT_COUNT - 1; i++)
        top_keys_handle(&v, 's');
    ck_assert_msg(m.sort == TOP_SORT_CLASS, "s %d times: expected class again", TOP_SORT_COUNT);
    top_keys_handle(&v, 'o');
    ck_assert_msg(m.sort == TOP_SORT_OCC && m.rows[0].cls == 2, "o: expected occupancy, class 2 first");
    top_keys_handle(&v, 'r');
    ck_assert_msg(m.reverse && m.rows[0].cls == 12, "r: expected reversed, class 12 first");
    top_keys_handle(&v, 'r');
    ck_assert_msg(!m.reverse, "r twice: expected not reversed");
}
END_TEST

static void type(const char *s)
{
    for (; *s; s++)
        top_keys_handle(&v, (unsigned char)*s);
}

START_TEST(test_keys_filter)
{
    top_keys_handle(&v, '/');
    ck_assert_msg(v.prompt, "/: expected the prompt");
    type("lrx");
    top_keys_handle(&v, KEY_BACKSPACE);
    type("uq"); /* q is text in the prompt, not quit */
    top_keys_handle(&v, 127);
    ck_assert_msg(strcmp(v.edit, "lru") == 0, "typed: expected \"lru\", got \"%s\"", v.edit);
    ck_assert_msg(strcmp(v.filter, "") == 0, "before Enter: expected no filter yet");
    top_keys_handle(&v, '\r');
    ck_assert_msg(!v.prompt && strcmp(v.filter, "lru") == 0 && v.panel == TOP_PANEL_EVENTS,
                  "Enter: expected filter \"lru\" on the events panel, got \"%s\"", v.filter);
    top_keys_handle(&v, '/');
    ck_assert_msg(v.prompt && v.edit[0] == '\0', "/ again: expected an empty prompt, got \"%s\"", v.edit);
    top_keys_handle(&v, 'z');
    ck_assert_msg(strcmp(v.edit, "z") == 0, "typed z: expected \"z\", got \"%s\"", v.edit);
    top_keys_handle(&v, 27);
    ck_assert_msg(!v.prompt && strcmp(v.filter, "lru") == 0, "Esc: expected the filter kept");
    top_keys_handle(&v, '/');
    type("ss_");
    top_keys_handle(&v, '\r');
    ck_assert_msg(strcmp(v.filter, "ss_") == 0, "/ss_ Enter: expected the new filter alone, got \"%s\"", v.filter);
    strcpy(v.filter, "lru");
    top_keys_handle(&v, '/');
    top_keys_handle(&v, 'u' & 0x1f);
    top_keys_handle(&v, '\n');
    ck_assert_msg(v.filter[0] == '\0', "Ctrl-U, Enter: expected no filter");
    strcpy(v.filter, "ss");
    top_keys_handle(&v, 'x');
    ck_assert_msg(v.filter[0] == '\0', "x on the events panel: expected the filter dropped");
    char long_text[TOP_FILTER_MAX * 2];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    top_keys_handle(&v, '/');
    type(long_text);
    ck_assert_msg(strlen(v.edit) == TOP_FILTER_MAX - 1, "a long filter: expected %d characters kept, got %zu",
                  TOP_FILTER_MAX - 1, strlen(v.edit));
}
END_TEST

/* / opens an empty prompt whatever the filter and whatever the last prompt left:
 * the previous filter neither shows nor is typed onto. */
START_TEST(test_filter_prompt_starts_empty)
{
    memset(v.edit, 'g', sizeof v.edit - 1); /* garbage a last prompt could leave */
    v.edit[sizeof v.edit - 1] = '\0';
    strcpy(v.filter, "slab_empty");
    top_keys_handle(&v, '/');
    ck_assert_msg(v.prompt && v.edit[0] == '\0', "/ with filter \"slab_empty\": expected an empty prompt, got \"%s\"",
                  v.edit);
    const char *t = "lru";
    for (; *t; t++)
        top_keys_handle(&v, *t);
    top_keys_handle(&v, '\n');
    ck_assert_msg(strcmp(v.filter, "lru") == 0, "/lru Enter: expected filter \"lru\", got \"%s\"", v.filter);
}
END_TEST

START_TEST(test_keys_pause_step_speed)
{
    unsigned f = top_keys_handle(&v, ' ');
    ck_assert_msg(v.paused && !(f & TOP_F_SAMPLE), "space: expected paused, no sample");
    f = top_keys_handle(&v, ' ');
    ck_assert_msg(!v.paused && (f & TOP_F_SAMPLE), "space again: expected running and a sample now");
    f = top_keys_handle(&v, '.');
    ck_assert_msg(v.paused && (f & TOP_F_STEP) && (f & TOP_F_SAMPLE), ".: expected a paused step");
    ck_assert_msg(top_keys_handle(&v, '+') == 0, "+ live: expected nothing");
    v.replay = 1;
    top_keys_handle(&v, '+');
    ck_assert_msg(v.speed_log2 == 1, "+ replay: expected speed 2x");
    has(v.message, "speed 2x", "speed message");
    for (int i = 0; i < 40; i++)
        top_keys_handle(&v, '-');
    ck_assert_msg(v.speed_log2 == -20, "many -: expected the slowest speed 2^-20, got 2^%d", v.speed_log2);
    for (int i = 0; i < 40; i++)
        top_keys_handle(&v, '+');
    ck_assert_msg(v.speed_log2 == 10, "many +: expected the fastest speed 2^10, got 2^%d", v.speed_log2);
}
END_TEST

START_TEST(test_keys_scroll)
{
    v.panel = TOP_PANEL_MAP;
    v.body_rows = 10;
    v.max_scroll[TOP_PANEL_MAP] = 20;
    top_keys_handle(&v, KEY_DOWN);
    ck_assert_msg(v.scroll[TOP_PANEL_MAP] == 1, "down: expected 1, got %u", v.scroll[TOP_PANEL_MAP]);
    top_keys_handle(&v, KEY_NPAGE);
    ck_assert_msg(v.scroll[TOP_PANEL_MAP] == 9, "page down: expected 9, got %u", v.scroll[TOP_PANEL_MAP]);
    top_keys_handle(&v, KEY_NPAGE);
    top_keys_handle(&v, KEY_NPAGE);
    ck_assert_msg(v.scroll[TOP_PANEL_MAP] == 20, "page down at the end: expected 20, got %u",
                  v.scroll[TOP_PANEL_MAP]);
    top_keys_handle(&v, KEY_HOME);
    ck_assert_msg(v.scroll[TOP_PANEL_MAP] == 0, "Home: expected 0");
    top_keys_handle(&v, KEY_UP);
    ck_assert_msg(v.scroll[TOP_PANEL_MAP] == 0, "up at the top: expected 0");
    top_keys_handle(&v, 'G');
    ck_assert_msg(v.scroll[TOP_PANEL_MAP] == UINT_MAX, "G: expected the end (follow)");
    top_keys_handle(&v, KEY_UP);
    ck_assert_msg(v.scroll[TOP_PANEL_MAP] == 19, "up from the end: expected 19, got %u", v.scroll[TOP_PANEL_MAP]);
    ck_assert_msg(v.scroll[TOP_PANEL_EVENTS] == UINT_MAX, "events: expected to follow the newest by default");
}
END_TEST

static Suite *frame_suite(void)
{
    Suite *s = suite_create("tui_frame");
    TCase *tc = tcase_create("frame");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_header);
    tcase_add_test(tc, test_header_fits_80);
    tcase_add_test(tc, test_classes);
    tcase_add_test(tc, test_map);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_counters);
    tcase_add_test(tc, test_panel_table);
    tcase_add_test(tc, test_keys_panels);
    tcase_add_test(tc, test_keys_sort);
    tcase_add_test(tc, test_keys_filter);
    tcase_add_test(tc, test_filter_prompt_starts_empty);
    tcase_add_test(tc, test_keys_pause_step_speed);
    tcase_add_test(tc, test_keys_scroll);
    tcase_add_test(tc, test_stacks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(frame_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
