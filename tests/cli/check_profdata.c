/* check_profdata.c — unit tests of cli/profdata.c on a hand-made profiled run:
 * stacks in id order with their figures and the live blocks' weights, the
 * allocator's inner frames left out, frame names, the cross-run stack key, the
 * value types, and a run without a profile. */
#include "unit.h"

static const char rows[] =
    "INSERT INTO runs (run_id, pid) VALUES (1, 42), (2, 43);"
    "INSERT INTO profile_runs (run_id, rate, samples, frees, unmatched_frees, lost_frees, live,"
    " in_use, peak) VALUES (1, 1, 5, 2, 0, 0, 3, 96, 128);"
    /* stack 7: two libhakmem frames, then main in prog with a line, then an unknown module */
    "INSERT INTO frames (run_id, stack_id, depth, ip, function, module, offset, file, line) VALUES"
    " (1, 7, 0, 4096, 'malloc', '/usr/lib/libhakmem.so', 16, NULL, NULL),"
    " (1, 7, 1, 4112, 'hk_inner', '/usr/lib/libhakmem.so', 32, NULL, NULL),"
    " (1, 7, 2, 8192, 'main', '/bin/prog', 4660, '/src/prog.c', 12),"
    " (1, 7, 3, 12288, NULL, '/lib/libc.so.6', 291, NULL, NULL),"
    " (1, 7, 4, 16384, NULL, NULL, NULL, NULL, NULL);"
    "INSERT INTO profile_stacks (run_id, stack_id, allocs, alloc_weight, bytes, requested, frees,"
    " free_weight, live, in_use, peak_in_use, peak_live, temporaries, temp_weight) VALUES"
    " (1, 7, 3, 196608, 96, 90, 1, 65536, 2, 64, 96, 3, 1, 65536),"
    " (1, 0, 2, 98304, 64, 60, 1, 65536, 1, 32, 32, 1, 0, 0);"
    "INSERT INTO profile_live (run_id, addr, size, block_size, class, ss, slab, stack_id, tid,"
    " weight, ts_ns) VALUES (1, 16, 30, 32, 1, 1, 1, 7, 1, 65536, 5),"
    " (1, 48, 30, 32, 1, 1, 1, 7, 1, 98304, 6), (1, 80, 30, 32, 1, 1, 1, 0, 1, 65536, 7);";

static sqlite3 *profiled(char *path, size_t len)
{
    char err[HK_ERR_MAX];
    sqlite3 *db = unit_db(path, len);
    ck_assert_msg(hk_db_exec(db, rows, err, sizeof err) == 0, "rows: %s", err);
    return db;
}

struct seen {
    struct hk_prof_stack s[4];
    int n;
};

/* A string of s moved into the copy c (the frames point into their stack's strings). */
static const char *rebase(const char *p, const struct hk_prof_stack *s, struct hk_prof_stack *c)
{
    return p ? c->strings + (p - s->strings) : NULL;
}

static int keep(void *ctx, const struct hk_prof_stack *s)
{
    struct seen *v = ctx;
    if (v->n == 4)
        return 0;
    struct hk_prof_stack *c = &v->s[v->n++];
    *c = *s;
    for (size_t i = 0; i < c->nframes; i++) {
        c->frame[i].function = rebase(s->frame[i].function, s, c);
        c->frame[i].module = rebase(s->frame[i].module, s, c);
        c->frame[i].file = rebase(s->frame[i].file, s, c);
    }
    return 0;
}

START_TEST(stacks_in_order_with_frames)
{
    char path[256], err[HK_ERR_MAX], buf[512];
    sqlite3 *db = profiled(path, sizeof path);
    ck_assert_msg(hk_prof_exists(db, 1, err, sizeof err) == 1, "run 1 has a profile");
    ck_assert_msg(hk_prof_exists(db, 2, err, sizeof err) == 0, "run 2 has none");
    static struct seen v;
    v.n = 0;
    ck_assert_msg(hk_prof_each(db, 1, keep, &v, err, sizeof err) == 0, "each: %s", err);
    ck_assert_msg(v.n == 2, "two stacks, got %d", v.n);
    ck_assert_msg(v.s[0].stack_id == 0 && v.s[1].stack_id == 7, "by stack id: got %lld, %lld",
                  (long long)v.s[0].stack_id, (long long)v.s[1].stack_id);
    const struct hk_prof_stack *s = &v.s[1];
    ck_assert_msg(s->live_weight == 65536 + 98304, "stack 7's live weights summed, got %lld",
                  (long long)s->live_weight);
    ck_assert_msg(v.s[0].nframes == 0, "stack 0: no frames, got %zu", v.s[0].nframes);
    ck_assert_msg(s->nframes == 3, "stack 7: the two libhakmem frames left out, got %zu frames", s->nframes);
    ck_assert_msg(strcmp(s->frame[0].function, "main") == 0 && s->frame[0].line == 12 &&
                  strcmp(s->frame[0].file, "/src/prog.c") == 0, "the site first: main at prog.c:12");
    ck_assert_msg(strcmp(hk_prof_frame_name(&s->frame[1], buf, sizeof buf), "libc.so.6+0x123") == 0,
                  "no function: module+offset, got %s", buf);
    ck_assert_msg(strcmp(hk_prof_frame_name(&s->frame[2], buf, sizeof buf), "0x4000") == 0,
                  "no module: the address, got %s", buf);
    char key[1024];
    ck_assert_msg(strcmp(hk_prof_stack_key(s, key, sizeof key),
                         "main prog.c:12 (prog);libc.so.6+0x123 (libc.so.6);0x4000 (?)") == 0,
                  "the stack key: got %s", key);
    ck_assert_msg(strcmp(hk_prof_stack_key(&v.s[0], key, sizeof key), "(no stack)") == 0,
                  "stack 0's key: got %s", key);
    ck_assert_msg(hk_prof_value(s, HK_PV_ALLOC_BYTES) == 96 && hk_prof_value(s, HK_PV_INUSE_BYTES) == 96 &&
                  hk_prof_value(s, HK_PV_LEAKED_BYTES) == 64 && hk_prof_value(s, HK_PV_ALLOCS) == 3 &&
                  hk_prof_value(s, HK_PV_TEMPORARY) == 1, "stack 7's values");
    ck_assert_msg(hk_prof_count(98304) == 2 && hk_prof_count(32767) == 0, "counts rounded to nearest");
    hk_db_close(db);
    unlink(path);
}
END_TEST

START_TEST(collapsed_lines)
{
    char path[256], err[HK_ERR_MAX];
    sqlite3 *db = profiled(path, sizeof path);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_msg(hk_export_collapsed(db, 1, HK_PV_LEAKED_BYTES, out, err, sizeof err) == 0, "%s", err);
    fclose(out);
    ck_assert_msg(strcmp(text, "(no stack) 32\n0x4000;libc.so.6+0x123;main 64\n") == 0,
                  "folded, root first: got %s", text);
    free(text);
    hk_db_close(db);
    unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/profdata");
    TCase *t = tcase_create("profdata");
    tcase_add_test(t, stacks_in_order_with_frames);
    tcase_add_test(t, collapsed_lines);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
