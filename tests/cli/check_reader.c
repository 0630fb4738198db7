/* check_reader.c — unit tests of libhakmem-reader against a hostile segment
 * owner: a layout rewritten after open, counters pointing past the ring, a
 * file truncated while being read (fstat, and the SIGBUS guard), SIGBUS
 * outside the guard passed on, FIFOs, directories and symlinks refused at
 * once, unaligned or overlapping sections refused, control characters; and
 * hakmem_counters_apply, event type by event type. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "unit.h"
#include "hakmem_reader.h"

#define PAGE 4096
#define CAP 1024
#define SS_ROOM ((PAGE - sizeof(struct hakmem_seg_occupancy)) / sizeof(struct hakmem_seg_ss))

static char seg[256];

/* fstat can be made to report the size a file had, for every descriptor of
 * it: the file is truncated but the reader cannot tell, so its next read of
 * the mapping faults (SIGBUS) inside its guard. */
static ino_t lie_ino;
static off_t lie_size;

int fstat(int fd, struct stat *st)
{
    long rc = syscall(SYS_fstat, fd, st);
    if (rc == 0 && lie_ino && st->st_ino == lie_ino)
        st->st_size = lie_size;
    return (int)rc;
}

/* Truncates seg to 0 behind the reader's back (fstat still says its size). */
static void truncate_unseen(void)
{
    struct stat st;
    ck_assert_int_eq(stat(seg, &st), 0);
    lie_size = st.st_size;
    lie_ino = st.st_ino;
    ck_assert_int_eq(truncate(seg, 0), 0);
}

static void setup(void)
{
    unit_tmp(seg, sizeof seg, ".seg");
    ck_assert_int_eq(unit_segment(seg, 77, 100, 50, 1), 0);
}

static void teardown(void)
{
    lie_ino = 0;
    unlink(seg);
}

static void poke(size_t off, const void *v, size_t len)
{
    int fd = open(seg, O_RDWR);
    ck_assert_msg(fd >= 0 && pwrite(fd, v, len, (off_t)off) == (ssize_t)len, "poke %s", seg);
    close(fd);
}

/* Writes value into a header field (of 4 or 8 bytes: little-endian). */
#define POKE_HDR(field, value)                                                         \
    do {                                                                               \
        uint64_t v_ = (value);                                                         \
        poke(offsetof(struct hakmem_seg_header, field), &v_,                           \
             sizeof(((struct hakmem_seg_header *)0)->field));                          \
    } while (0)

static int done_never(void *ctx)
{
    (void)ctx;
    return 0;
}

static struct hakmem_reader *open_ok(int drain)
{
    char err[HK_ERR_MAX];
    struct hakmem_reader *r = hakmem_reader_open(seg, drain, err, sizeof err);
    ck_assert_msg(r, "a good segment refused: %s", err);
    return r;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Every call of the API once; returns how many events drain and peek gave. */
static size_t every_call(struct hakmem_reader *r)
{
    static struct hakmem_event ev[4 * CAP];
    static struct hakmem_seg_ss ss[2 * SS_ROOM];
    struct hakmem_ring_counts c;
    struct hakmem_snapshot_info info;
    uint64_t lost = 0, when;
    int trunc;
    ck_assert_ptr_nonnull(hakmem_reader_header(r));
    ck_assert_ptr_nonnull(hakmem_reader_counters(r));
    hakmem_reader_counts(r, &c);
    hakmem_reader_exited(r);
    hakmem_reader_alive(r);
    long n = hakmem_reader_snapshot(r, ss, sizeof ss / sizeof ss[0], &info);
    ck_assert_msg(n <= (long)SS_ROOM, "snapshot: %ld SuperSlabs from a section of %zu", n,
                  (size_t)SS_ROOM);
    n = hakmem_reader_occupancy(r, ss, sizeof ss / sizeof ss[0], &when, &trunc);
    ck_assert_msg(n <= (long)SS_ROOM, "occupancy: %ld SuperSlabs", n);
    hakmem_reader_stacks(r);
    size_t got = hakmem_reader_peek(r, ev, sizeof ev / sizeof ev[0]);
    ck_assert_msg(got <= CAP, "peek: %zu events from a ring of %d", got, CAP);
    size_t d = hakmem_reader_drain(r, ev, sizeof ev / sizeof ev[0], &lost);
    ck_assert_msg(d <= CAP, "drain: %zu events from a ring of %d", d, CAP);
    return got + d;
}

START_TEST(layout_rewritten_after_open)
{
    struct hakmem_reader *r = open_ok(0), *d = open_ok(1);
    POKE_HDR(counters_offset, 1ull << 40);
    POKE_HDR(occupancy_offset, 1ull << 40);
    POKE_HDR(occupancy_size, 1ull << 40);
    POKE_HDR(stacks_offset, 1ull << 40);
    POKE_HDR(stacks_size, 1ull << 40);
    POKE_HDR(ring_offset, 3);
    POKE_HDR(ring_capacity, 1ull << 62);
    POKE_HDR(seg_size, 1ull << 41);
    uint32_t huge = 0xffffffffu;
    poke(2 * PAGE + offsetof(struct hakmem_seg_occupancy, count), &huge, sizeof huge);
    for (int i = 0; i < 3; i++) {
        every_call(r);
        every_call(d);
    }
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    ck_assert_msg(h->ring_offset == 3 * PAGE && h->ring_capacity == CAP &&
                      h->occupancy_offset == 2 * PAGE,
                  "the layout must be the one checked at open, got ring at %llu cap %llu",
                  (unsigned long long)h->ring_offset, (unsigned long long)h->ring_capacity);
    ck_assert_msg(!hakmem_reader_error(r) && !hakmem_reader_error(d), "no error: %s",
                  hakmem_reader_error(r) ? hakmem_reader_error(r) : hakmem_reader_error(d));
    POKE_HDR(exited, 1);
    ck_assert_msg(hakmem_reader_exited(r) && hakmem_reader_header(r)->exited == 1,
                  "live fields are read again");
    hakmem_reader_close(r);
    hakmem_reader_close(d);
}
END_TEST

START_TEST(a_head_far_ahead_is_bounded)
{
    struct hakmem_reader *d = open_ok(1);
    static struct hakmem_event junk[CAP];
    memset(junk, 0xff, sizeof junk); /* every seq is past every ticket: all "overwritten" */
    poke(3 * PAGE, junk, sizeof junk);
    POKE_HDR(head, 1ull << 62);
    uint64_t lost = 0;
    static struct hakmem_event ev[CAP];
    double t0 = now_s();
    size_t n = 0;
    for (int i = 0; i < 16; i++)
        n += hakmem_reader_drain(d, ev, CAP, &lost);
    ck_assert_msg(n == 0 && lost <= 16 * CAP && now_s() - t0 < 2,
                  "16 drains of a corrupt ring: %zu events, %llu lost in %.1f s (expected 0, at "
                  "most one ring's worth each, fast)",
                  n, (unsigned long long)lost, now_s() - t0);
    hakmem_reader_close(d);
}
END_TEST

/* After truncation every call returns at once with no data and one error. */
static void check_truncated(struct hakmem_reader *r)
{
    static struct hakmem_event ev[CAP];
    static struct hakmem_seg_ss ss[SS_ROOM];
    ck_assert_msg(hakmem_reader_drain(r, ev, CAP, NULL) == 0, "drain after truncation");
    ck_assert_msg(hakmem_reader_peek(r, ev, CAP) == 0, "peek after truncation");
    ck_assert_msg(hakmem_reader_snapshot(r, ss, SS_ROOM, NULL) == -1, "snapshot after truncation");
    ck_assert_msg(hakmem_reader_exited(r) == 1, "a truncated segment has ended");
    ck_assert_ptr_null(hakmem_reader_stacks(r));
    ck_assert_ptr_nonnull(hakmem_reader_counters(r));
    ck_assert_int_eq(hakmem_reader_header(r)->pid, 77);
    const char *e = hakmem_reader_error(r);
    char want[400];
    snprintf(want, sizeof want, "segment %s was truncated while being read", seg);
    ck_assert_msg(e && strcmp(e, want) == 0, "expected '%s', got '%s'", want, e ? e : "(none)");
}

START_TEST(truncated_while_open)
{
    struct hakmem_reader *r = open_ok(0), *d = open_ok(1);
    every_call(r);
    ck_assert_int_eq(truncate(seg, PAGE), 0);
    check_truncated(r);
    check_truncated(d);
    hakmem_reader_close(r);
    hakmem_reader_close(d);
}
END_TEST

static void call_counters(struct hakmem_reader *r) { hakmem_reader_counters(r); }
static void call_header(struct hakmem_reader *r) { hakmem_reader_header(r); }
static void call_exited(struct hakmem_reader *r) { hakmem_reader_exited(r); }
static void call_snapshot(struct hakmem_reader *r)
{
    static struct hakmem_seg_ss ss[SS_ROOM];
    hakmem_reader_snapshot(r, ss, SS_ROOM, NULL);
}
static void call_peek(struct hakmem_reader *r)
{
    static struct hakmem_event ev[CAP];
    hakmem_reader_peek(r, ev, CAP);
}
static void call_drain(struct hakmem_reader *r)
{
    static struct hakmem_event ev[CAP];
    hakmem_reader_drain(r, ev, CAP, NULL);
}

static const struct {
    const char *name;
    void (*call)(struct hakmem_reader *);
    int drain;
} calls[] = {
    { "counters", call_counters, 0 }, { "header", call_header, 0 },
    { "exited", call_exited, 0 },     { "snapshot", call_snapshot, 0 },
    { "peek", call_peek, 0 },         { "drain", call_drain, 1 },
};

START_TEST(a_fault_inside_the_guard_is_an_error)
{
    char want[400];
    snprintf(want, sizeof want, "segment %s was truncated while being read", seg);
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        lie_ino = 0;
        ck_assert_int_eq(unit_segment(seg, 77, 100, 50, 1), 0);
        struct hakmem_reader *r = open_ok(calls[i].drain);
        truncate_unseen();
        calls[i].call(r);
        const char *e = hakmem_reader_error(r);
        ck_assert_msg(e && strcmp(e, want) == 0, "%s: expected '%s', got '%s'", calls[i].name,
                      want, e ? e : "(none)");
        check_truncated(r);
        hakmem_reader_close(r);
    }
    /* and opening one: the header copy faults */
    lie_ino = 0;
    ck_assert_int_eq(unit_segment(seg, 77, 100, 50, 1), 0);
    truncate_unseen();
    char err[HK_ERR_MAX] = "";
    ck_assert_msg(!hakmem_reader_open(seg, 0, err, sizeof err) && strcmp(err, want) == 0,
                  "open: expected '%s', got '%s'", want, err);
}
END_TEST

START_TEST(a_truncated_drain_fails_with_one_line)
{
    char err[HK_ERR_MAX], want[400];
    snprintf(want, sizeof want, "segment %s was truncated while being read", seg);
    char dbpath[256];
    sqlite3 *db = unit_db(dbpath, sizeof dbpath);
    struct hakmem_reader *r = open_ok(0);
    struct hk_seg_meta m;
    hk_drain_meta(r, "unit", seg, &m);
    struct hk_sink s;
    ck_assert_int_eq(hk_sink_open(&s, db, &m.info, 1, err, sizeof err), 0);
    ck_assert_int_eq(truncate(seg, PAGE), 0);
    struct hk_drain_opts o = { .commit_ms = 100, .commit_events = 1000, .done = done_never };
    struct hk_drained d;
    err[0] = '\0';
    ck_assert_msg(hk_drain(r, &s, &o, &d, err, sizeof err) == -1 && strcmp(err, want) == 0,
                  "hk_drain: expected '%s', got '%s'", want, err);
    struct hk_occ_sampler occ;
    ck_assert_int_eq(hk_occ_init(&occ, r, err, sizeof err), 0);
    err[0] = '\0';
    ck_assert_msg(hk_occ_sample(&occ, r, &s, 1, err, sizeof err) == -1 && strcmp(err, want) == 0,
                  "hk_occ_sample: expected '%s', got '%s'", want, err);
    hk_occ_free(&occ);
    hk_sink_close(&s, 0, -1, NULL, 0);
    hakmem_reader_close(r);
    hk_db_close(db);
    unlink(dbpath);
}
END_TEST

/* A SIGBUS outside the reader's guard (here: the test's own mapping) ends
 * the process as before, or reaches the handler installed before. */
static void on_bus(int sig)
{
    (void)sig;
    _exit(42);
}

static int fault_in_child(int own_handler)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGBUS, own_handler ? on_bus : SIG_DFL); /* SIG_DFL: not ASan's either */
        char err[HK_ERR_MAX];
        struct hakmem_reader *r = hakmem_reader_open(seg, 0, err, sizeof err);
        int fd = open(seg, O_RDONLY);
        volatile char *p = mmap(NULL, PAGE * 4, PROT_READ, MAP_SHARED, fd, 0);
        if (!r || p == MAP_FAILED || ftruncate(open(seg, O_RDWR), 0) != 0)
            _exit(3);
        (void)p[PAGE * 2];
        _exit(4);
    }
    int st;
    waitpid(pid, &st, 0);
    return st;
}

START_TEST(a_fault_outside_the_guard_is_passed_on)
{
    int st = fault_in_child(0);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS,
                  "no handler before the reader's: expected death by SIGBUS, got status %#x", st);
    ck_assert_int_eq(unit_segment(seg, 77, 100, 50, 1), 0);
    st = fault_in_child(1);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 42,
                  "the program's own SIGBUS handler must run: expected exit 42, got status %#x", st);
}
END_TEST

/* Opens path both ways: refused at once, one line naming path and what. */
static void refused(const char *path, const char *what)
{
    for (int drain = 0; drain < 2; drain++) {
        char err[HK_ERR_MAX] = "";
        double t0 = now_s();
        struct hakmem_reader *r = hakmem_reader_open(path, drain, err, sizeof err);
        ck_assert_msg(!r, "%s (%s) was opened", path, what);
        ck_assert_msg(now_s() - t0 < 1, "%s: took %.1f s", path, now_s() - t0);
        ck_assert_msg(strstr(err, path) && strstr(err, what) && !strchr(err, '\n'),
                      "%s: expected one line naming it and '%s', got '%s'", path, what, err);
    }
    struct hakmem_seg_header h;
    ck_assert_msg(hk_drain_peek(path, &h) == -1, "hk_drain_peek read %s (%s)", path, what);
}

START_TEST(only_regular_files_are_segments)
{
    char p[300];
    snprintf(p, sizeof p, "%s.fifo", seg);
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    refused(p, "FIFO");
    unlink(p);
    snprintf(p, sizeof p, "%s.dir", seg);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    refused(p, "directory");
    rmdir(p);
    snprintf(p, sizeof p, "%s.link", seg);
    ck_assert_int_eq(symlink(seg, p), 0);
    refused(p, "symbolic link");
    unlink(p);
    refused("/dev/null", "device");
    snprintf(p, sizeof p, "%s.empty", seg);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    refused(p, "empty");
    unlink(p);
}
END_TEST

static void refused_corrupt(const char *why)
{
    char err[HK_ERR_MAX] = "";
    ck_assert_msg(!hakmem_reader_open(seg, 0, err, sizeof err) && strstr(err, "corrupt"),
                  "%s: expected 'corrupt', got '%s'", why, err[0] ? err : "(opened)");
}

START_TEST(unaligned_and_overlapping_sections_are_refused)
{
    uint64_t size = 3 * PAGE + CAP * sizeof(struct hakmem_event) + 64;
    ck_assert_int_eq(truncate(seg, (off_t)size), 0);
    POKE_HDR(seg_size, size);
    hakmem_reader_close(open_ok(0)); /* room for the ring 4 bytes on */
    POKE_HDR(ring_offset, 3 * PAGE + 4);
    refused_corrupt("ring_offset 4 bytes past a page");
    POKE_HDR(ring_offset, 3 * PAGE);
    POKE_HDR(counters_offset, 3 * PAGE + 64);
    refused_corrupt("counters inside the ring");
    POKE_HDR(counters_offset, 2 * PAGE + 8);
    refused_corrupt("counters inside the occupancy table");
    POKE_HDR(counters_offset, PAGE + 4);
    refused_corrupt("counters 4 bytes past a page");
}
END_TEST

START_TEST(control_characters_read_as_question_marks)
{
    char exe[HAKMEM_SEG_EXE_MAX] = "/bin/\x1b[31mred\x07", cmd[64] = "a\nb\tc\x7f\xc2\x9b" "d";
    poke(offsetof(struct hakmem_seg_header, exe), exe, sizeof exe);
    poke(offsetof(struct hakmem_seg_header, cmdline), cmd, sizeof cmd);
    struct hakmem_reader *r = open_ok(0);
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    ck_assert_str_eq(h->exe, "/bin/?[31mred?");
    ck_assert_str_eq(h->cmdline, "a?b?c???d");
    hakmem_reader_close(r);
}
END_TEST

/* A stack table after the ring: its counts and depths bounded in the copy. */
START_TEST(the_stack_table_is_copied_bounded)
{
    uint64_t off = 3 * PAGE + CAP * sizeof(struct hakmem_event);
    uint64_t len = (sizeof(struct hakmem_seg_stacks) + 4 * sizeof(struct hakmem_seg_stack) +
                    PAGE - 1) / PAGE * PAGE;
    ck_assert_int_eq(truncate(seg, (off_t)(off + len)), 0);
    POKE_HDR(seg_size, off + len);
    POKE_HDR(stacks_offset, off);
    POKE_HDR(stacks_size, len);
    struct hakmem_seg_stacks st;
    memset(&st, 'x', sizeof st);
    st.capacity = 4;
    st.count = 1000;
    st.nmodules = 1000;
    poke(off, &st, sizeof st);
    struct hakmem_seg_stack k = { .id = 1, .depth = 1000 };
    poke(off + sizeof st, &k, sizeof k);
    struct hakmem_reader *r = open_ok(0);
    const struct hakmem_seg_stacks *c = hakmem_reader_stacks(r);
    ck_assert_ptr_nonnull(c);
    ck_assert_msg(c->capacity == 4 && c->count == 4 && c->nmodules == HAKMEM_SEG_MODULES &&
                      c->stack[0].depth == HAKMEM_SEG_STACK_DEPTH &&
                      strlen(c->module[7].path) == HAKMEM_SEG_PATH_MAX - 1,
                  "bounded copy: capacity %u count %u modules %u depth %u", c->capacity, c->count,
                  c->nmodules, c->stack[0].depth);
    uint32_t cap = 3;
    poke(off, &cap, sizeof cap);
    ck_assert_msg(!hakmem_reader_stacks(r), "capacity 3 (not a power of two): no table");
    cap = 1u << 30;
    poke(off, &cap, sizeof cap);
    ck_assert_msg(!hakmem_reader_stacks(r), "capacity past the section: no table");
    hakmem_reader_close(r);
}
END_TEST


/* ---- hakmem_counters_apply: each event type bumps what lib/event.c bumps */

/* Every field of got equals want; the first that differs is named. */
static void counters_equal(const struct hakmem_seg_counters *got,
                           const struct hakmem_seg_counters *want, const char *what)
{
    for (size_t i = 0; i < hk_ncounter_fields; i++)
        for (unsigned k = 0; k < hk_counter_fields[i].count; k++) {
            uint64_t g = hk_counter_value(got, &hk_counter_fields[i], k),
                     w = hk_counter_value(want, &hk_counter_fields[i], k);
            ck_assert_msg(g == w, "%s: %s[%u]: expected %llu, got %llu", what,
                          hk_counter_fields[i].name, k, (unsigned long long)w,
                          (unsigned long long)g);
        }
}

/* One event applied to counters that are all 1 (nothing reset, nothing
 * else touched) gives want, where want starts all 1 too. */
#define APPLY_CASE(what, ev, ...)                                                            \
    do {                                                                                     \
        struct hakmem_seg_counters got_, want_;                                              \
        memset(&got_, 0, sizeof got_);                                                       \
        for (size_t w_ = 0; w_ < sizeof got_ / sizeof(uint64_t); w_++)                       \
            ((uint64_t *)&got_)[w_] = 1;                                                     \
        want_ = got_;                                                                        \
        struct hakmem_seg_counters *w = &want_;                                              \
        __VA_ARGS__;                                                                         \
        struct hakmem_event e_ = (ev);                                                       \
        hakmem_counters_apply(&got_, &e_);                                                   \
        counters_equal(&got_, &want_, what);                                                 \
    } while (0)

#define EV(type, cls, stage, arg0, reason) unit_ev(1, type, cls, stage, 3, 4, arg0, reason)

START_TEST(apply_superslab_and_large_maps)
{
    APPLY_CASE("ss_map", EV(HAKMEM_EV_SS_MAP, 255, 255, 2097152, 0),
               w->ss_maps++, w->ss_map_bytes += 2097152);
    APPLY_CASE("ss_map trimmed (reason 1)", EV(HAKMEM_EV_SS_MAP, 255, 255, 2097152, 1),
               w->ss_maps++, w->ss_map_bytes += 2097152, w->ss_trims++);
    APPLY_CASE("ss_unmap", EV(HAKMEM_EV_SS_UNMAP, 255, 255, 2097152, 2),
               w->ss_unmaps++, w->ss_unmap_bytes += 2097152);
    APPLY_CASE("large_map", EV(HAKMEM_EV_LARGE_MAP, 255, 255, 300000, 0),
               w->large_maps++, w->large_map_bytes += 300000);
    APPLY_CASE("large_unmap", EV(HAKMEM_EV_LARGE_UNMAP, 255, 255, 300000, 0),
               w->large_unmaps++, w->large_unmap_bytes += 300000);
}
END_TEST

START_TEST(apply_lru)
{
    APPLY_CASE("lru_push", EV(HAKMEM_EV_LRU_PUSH, 255, 255, 3, 0), w->lru_push++);
    APPLY_CASE("lru_pop_hit", EV(HAKMEM_EV_LRU_POP_HIT, 2, 4, 3, 0), w->lru_pop_hit++);
    APPLY_CASE("lru_pop_miss", EV(HAKMEM_EV_LRU_POP_MISS, 2, 4, 3, 0), w->lru_pop_miss++);
    APPLY_CASE("lru_evict count (reason 0)", EV(HAKMEM_EV_LRU_EVICT, 255, 255, 3, 0),
               w->lru_evict++, w->lru_evict_count++);
    APPLY_CASE("lru_evict memory (reason 1)", EV(HAKMEM_EV_LRU_EVICT, 255, 255, 3, 1),
               w->lru_evict++, w->lru_evict_memory++);
    APPLY_CASE("lru_evict ttl (reason 2)", EV(HAKMEM_EV_LRU_EVICT, 255, 255, 3, 2),
               w->lru_evict++, w->lru_evict_ttl++);
    APPLY_CASE("lru_evict trim (reason 3): lru_evict only", EV(HAKMEM_EV_LRU_EVICT, 255, 255, 3, 3),
               w->lru_evict++);
}
END_TEST

START_TEST(apply_stages)
{
    for (unsigned st = 0; st < HK_STAGES; st++) {
        char what[64];
        snprintf(what, sizeof what, "slab_acquire at stage %u", st);
        APPLY_CASE(what, EV(HAKMEM_EV_SLAB_ACQUIRE, 5, st, 0, 0), w->stage_hit[st]++);
        snprintf(what, sizeof what, "stage_miss at stage %u", st);
        APPLY_CASE(what, EV(HAKMEM_EV_STAGE_MISS, 5, st, 0, 0), w->stage_miss[st]++);
    }
    APPLY_CASE("slab_acquire without a stage (255): nothing",
               EV(HAKMEM_EV_SLAB_ACQUIRE, 5, 255, 0, 0), (void)w);
    APPLY_CASE("stage_miss at stage 5 (none such): nothing", EV(HAKMEM_EV_STAGE_MISS, 5, 5, 0, 0),
               (void)w);
}
END_TEST

START_TEST(apply_slabs_threads_errors)
{
    APPLY_CASE("slab_empty class 0", EV(HAKMEM_EV_SLAB_EMPTY, 0, 255, 4096, 0), w->empty++,
               w->class_empty[0]++);
    APPLY_CASE("slab_empty class 63", EV(HAKMEM_EV_SLAB_EMPTY, HAKMEM_SEG_CLASSES - 1, 255, 16, 0),
               w->empty++, w->class_empty[HAKMEM_SEG_CLASSES - 1]++);
    APPLY_CASE("slab_empty without a class (255): empty only",
               EV(HAKMEM_EV_SLAB_EMPTY, 255, 255, 16, 0), w->empty++);
    APPLY_CASE("slab_release to the registry", EV(HAKMEM_EV_SLAB_RELEASE, 3, 255, 0, 0),
               w->slab_release++);
    APPLY_CASE("slab_release to a free slot", EV(HAKMEM_EV_SLAB_RELEASE, 3, 255, 0, 1),
               w->slab_release++);
    APPLY_CASE("thread_start", EV(HAKMEM_EV_THREAD_START, 255, 255, 77, 0), w->threads_started++);
    APPLY_CASE("thread_exit", EV(HAKMEM_EV_THREAD_EXIT, 255, 255, 77, 0), w->threads_exited++);
    APPLY_CASE("heap_error", EV(HAKMEM_EV_HEAP_ERROR, 3, 255, 0x1000, 0), w->heap_errors++);
    APPLY_CASE("type 0: nothing", EV(0, 3, 1, 1, 1), (void)w);
    APPLY_CASE("a type from the future: nothing", EV(HAKMEM_EV_COUNT + 7, 3, 1, 1, 1), (void)w);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/reader");
    TCase *t = tcase_create("reader");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 5); /* a FIFO that blocks, a loop that never ends: fail, not hang */
    tcase_add_test(t, layout_rewritten_after_open);
    tcase_add_test(t, a_head_far_ahead_is_bounded);
    tcase_add_test(t, truncated_while_open);
    tcase_add_test(t, a_fault_inside_the_guard_is_an_error);
    tcase_add_test(t, a_truncated_drain_fails_with_one_line);
    tcase_add_test(t, a_fault_outside_the_guard_is_passed_on);
    tcase_add_test(t, only_regular_files_are_segments);
    tcase_add_test(t, unaligned_and_overlapping_sections_are_refused);
    tcase_add_test(t, control_characters_read_as_question_marks);
    tcase_add_test(t, the_stack_table_is_copied_bounded);
    suite_add_tcase(s, t);
    TCase *a = tcase_create("apply");
    tcase_add_test(a, apply_superslab_and_large_maps);
    tcase_add_test(a, apply_lru);
    tcase_add_test(a, apply_stages);
    tcase_add_test(a, apply_slabs_threads_errors);
    suite_add_tcase(s, a);
    return s;
}

int main(void)
{
    return unit_main(make);
}
