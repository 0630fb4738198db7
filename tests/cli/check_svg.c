/* check_svg.c — unit tests of cli/svg.c and cli/timeline.c: axis tops, HTML escaping,
 * a series' data-values and stacking, and a run's events summed into buckets
 * (maps less unmaps, the LRU cache's size carried, stages, the last bucket's clamp). */
#include "unit.h"

/* What fn wrote through a memory stream, in buf. */
#define CAPTURE(buf, len, out, code) do {                    \
        FILE *out = open_memstream(&buf, &len);              \
        ck_assert_msg(out, "open_memstream");                \
        code;                                                \
        fclose(out);                                         \
    } while (0)

START_TEST(nice_axis_tops)
{
    static const int64_t in[] = { -5, 0, 1, 3, 7, 10, 11, 19, 21, 99, 101, 14680064 };
    static const int64_t want[] = { 1, 1, 1, 5, 10, 10, 20, 20, 50, 100, 200, 20000000 };
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        ck_assert_msg(hk_svg_nice(in[i]) == want[i], "nice(%lld): expected %lld, got %lld",
                      (long long)in[i], (long long)want[i], (long long)hk_svg_nice(in[i]));
}
END_TEST

START_TEST(escapes_text)
{
    char *buf = NULL;
    size_t len = 0;
    CAPTURE(buf, len, o, hk_html_text(o, "a<b>&\"c\"\x01\n"));
    ck_assert_msg(strcmp(buf, "a&lt;b&gt;&amp;&quot;c&quot;?\n") == 0, "escaped: got %s", buf);
    free(buf);
}
END_TEST

START_TEST(series_carry_their_values)
{
    char *buf = NULL;
    size_t len = 0;
    int64_t v[4] = { 1, 2, 0, 4 }, w[4] = { 3, 0, 0, 1 }, base[4] = { 0 };
    struct hk_chart c = { NULL, 4, 250, 10, HK_SVG_COUNT, 200, 100 };
    CAPTURE(buf, len, o, {
        c.out = o;
        hk_svg_open(&c, "t", "a <test>");
        hk_svg_area(&c, "first", 0, v, base);
        hk_svg_area(&c, "second", 9, w, base);
        hk_svg_line(&c, "l", 2, v);
        hk_svg_close(&c);
    });
    ck_assert_msg(strstr(buf, "data-chart=\"t\" data-x-min=\"0\" data-x-max=\"1000\" data-bucket-ns=\"250\""),
                  "the axis range as data: got %.200s", buf);
    ck_assert_msg(strstr(buf, "<title>a &lt;test&gt;</title>"), "the title escaped");
    ck_assert_msg(strstr(buf, "class=\"area c0\" data-series=\"first\" data-values=\"1 2 0 4\""),
                  "the first area's values");
    ck_assert_msg(strstr(buf, "class=\"area c1\" data-series=\"second\" data-values=\"3 0 0 1\""),
                  "the second area's values (its colour modulo %d)", HK_SVG_COLOURS);
    ck_assert_msg(base[0] == 4 && base[1] == 2 && base[2] == 0 && base[3] == 5,
                  "stacking: the base is the sum, got %lld %lld %lld %lld", (long long)base[0],
                  (long long)base[1], (long long)base[2], (long long)base[3]);
    ck_assert_msg(strstr(buf, "class=\"line c2\" data-series=\"l\""), "the line");
    ck_assert_msg(strstr(buf, "0.000 s") && strstr(buf, "0.000 s") < strstr(buf, "</svg>"),
                  "time ticks in seconds");
    ck_assert_msg(strlen(buf) > 0 && strcmp(buf + strlen(buf) - 6, "</svg>") == 0, "closed");
    free(buf);
}
END_TEST

static void exec_sql(sqlite3 *db, const char *sql)
{
    char err[HK_ERR_MAX];
    ck_assert_msg(hk_db_exec(db, sql, err, sizeof err) == 0, "%s: %s", sql, err);
}

START_TEST(timeline_buckets)
{
    char path[256], err[HK_ERR_MAX];
    sqlite3 *db = unit_db(path, sizeof path);
    /* buckets of 100 ns: two maps in bucket 0, a push (cache 1) in bucket 1, an
     * unmap in bucket 3, stage-2 acquisitions in 0 and 2, an EMPTY past the end. */
    exec_sql(db, "INSERT INTO runs (run_id, pid, started_ns, ended_ns) VALUES (1, 1, 0, 1000);"
                 "INSERT INTO events (run_id, seq, ts_ns, type, ss, stage, arg0) VALUES"
                 " (1, 1, 10, 1, 1, NULL, 2097152), (1, 2, 20, 1, 2, NULL, 2097152),"
                 " (1, 3, 30, 9, 1, 3, NULL), (1, 4, 150, 5, 2, NULL, 1),"
                 " (1, 5, 250, 9, 1, 3, NULL), (1, 6, 260, 9, 1, 3, NULL),"
                 " (1, 7, 310, 8, 2, NULL, 0), (1, 8, 320, 2, 2, NULL, 2097152),"
                 " (1, 9, 99999999, 11, 1, NULL, 64);");
    struct hk_timeline *t = hk_timeline_load(db, 1, 100, err, sizeof err);
    ck_assert_msg(t, "load: %s", err);
    static const int64_t in_use[5] = { 2, 1, 1, 1, 1 }, cached[5] = { 0, 1, 1, 0, 0 };
    static const int64_t unmapped[5] = { 0, 0, 0, 1, 1 };
    for (int i = 0; i < 5; i++) {
        ck_assert_msg(t->ss_in_use[i] == in_use[i], "bucket %d: in use %lld, expected %lld", i,
                      (long long)t->ss_in_use[i], (long long)in_use[i]);
        ck_assert_msg(t->ss_cached[i] == cached[i], "bucket %d: cached %lld, expected %lld", i,
                      (long long)t->ss_cached[i], (long long)cached[i]);
        ck_assert_msg(t->ss_unmapped[i] == unmapped[i], "bucket %d: unmapped %lld, expected %lld",
                      i, (long long)t->ss_unmapped[i], (long long)unmapped[i]);
    }
    ck_assert_msg(t->ss_bytes[0] == 4194304 && t->ss_bytes[3] == 2097152 &&
                  t->ss_bytes[HK_HTML_BUCKETS - 1] == 2097152, "bytes mapped: 4 MiB, then 2 MiB");
    ck_assert_msg(t->stage[3][0] == 1 && t->stage[3][2] == 2 && t->stage[3][1] == 0,
                  "stage 2 (index 3): 1 in bucket 0, 2 in bucket 2");
    ck_assert_msg(t->lru[0][1] == 1 && t->lru[3][3] == 1, "an LRU push in 1, an evict in 3");
    ck_assert_msg(t->empty[HK_HTML_BUCKETS - 1] == 1, "a late event counts in the last bucket");
    ck_assert_msg(t->occ_samples == 0 && t->have_profile == 0, "no occupancy, no profile");
    int64_t span;
    ck_assert_msg(hk_timeline_span(db, 1, &span, err, sizeof err) == 0 && span == 1000,
                  "span: ended - started = 1000, got %lld", (long long)span);
    ck_assert_msg(t->ss_ids > 2 && t->ss_last[1] == HAKMEM_EV_SS_MAP &&
                  t->ss_last[2] == HAKMEM_EV_SS_UNMAP, "SuperSlab 1 mapped, 2 unmapped at the end");
    hk_timeline_free(t);
    hk_db_close(db);
    unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/svg");
    TCase *t = tcase_create("svg");
    tcase_add_test(t, nice_axis_tops);
    tcase_add_test(t, escapes_text);
    tcase_add_test(t, series_carry_their_values);
    tcase_add_test(t, timeline_buckets);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
