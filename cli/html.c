/* html.c — `hakmem-trace report --html FILE.html`: one self-contained page (inline
 * SVG and CSS, no script, nothing fetched) of one or more runs side by side on the same scales. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const char css[] =
    ":root{--fg:#1d1d1f;--bg:#fff;--mute:#666;--grid:#bbb;--bad:#b00020;--good:#1b6e20;"
    "--c0:#3b6fb6;--c1:#e08a1e;--c2:#3a9a4a;--c3:#c0392b;--c4:#8e5bb5;--c5:#7f6a52;"
    "--c6:#d35fa0;--c7:#6f7f8f;--free:#eee;--empty:#cfe3f7}"
    "@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#15171a;--mute:#9a9a9a;"
    "--grid:#555;--bad:#ff6b7f;--good:#7bd88f;--c0:#6fa3ef;--c1:#f5a54a;--c2:#6cc47a;"
    "--c3:#ef6f61;--c4:#b58ddb;--c5:#b59e83;--c6:#ef8cc4;--c7:#9fb0c0;--free:#2a2d31;"
    "--empty:#24405c}}"
    "body{font:14px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:1em 2em}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin:1.4em 0 .3em}p.expl{color:var(--mute);margin:.2em 0}"
    ".runs{display:grid;grid-template-columns:repeat(var(--n),minmax(0,1fr));gap:1.5em}"
    ".runs>div>h3{font-size:.95em;margin:.2em 0}"
    "svg{width:100%;height:auto;display:block}svg.ssmap{max-width:40em}svg text{fill:var(--fg);font-size:10px}"
    ".axis line{stroke:var(--grid)}.ytick{text-anchor:end}.xtick{text-anchor:middle}"
    "path.line{fill:none;stroke-width:1.5}path.area{stroke:none;opacity:.85}"
    ".c0{--k:var(--c0)}.c1{--k:var(--c1)}.c2{--k:var(--c2)}.c3{--k:var(--c3)}.c4{--k:var(--c4)}"
    ".c5{--k:var(--c5)}.c6{--k:var(--c6)}.c7{--k:var(--c7)}"
    "path.line{stroke:var(--k)}path.area{fill:var(--k)}"
    ".legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.4em 1.2em}"
    ".key{display:inline-block;width:.9em;height:.9em;margin-right:.3em;background:var(--k);"
    "vertical-align:-.1em}"
    "rect.heat{fill:var(--c0)}.flamegraph rect{fill:var(--k);opacity:.8}"
    ".f0{--k:var(--c1)}.f1{--k:var(--c3)}.f2{--k:var(--c6)}.f3{--k:var(--c5)}.f4{--k:var(--c1)}"
    ".f5{--k:var(--c4)}.f6{--k:var(--c3)}.f7{--k:var(--c5)}.flamegraph text{font-size:9px}"
    ".flame{display:none}#fk0:checked~.runs .v0,#fk1:checked~.runs .v1,"
    "#fk2:checked~.runs .v2{display:block}"
    ".cell.free{fill:var(--free)}.cell.empty{fill:var(--empty)}.cell.occ-unknown{fill:var(--c7)}"
    ".cell.occ0{fill:var(--c2);opacity:.35}.cell.occ1{fill:var(--c3)}.cell.occ2{fill:var(--c1)}"
    ".cell.occ3{fill:var(--c2);opacity:.75}.cell.occ4{fill:var(--c2)}"
    ".cell.pinned{stroke:var(--fg);stroke-width:1.5}.ss text{font-size:9px}"
    "ul.verdicts{padding-left:1.2em}.bad{color:var(--bad)}.good{color:var(--good)}"
    "pre.text{font-size:11px;overflow-x:auto;background:var(--free);padding:.6em}"
    ".missing,.note{color:var(--mute);font-style:italic}"
    "@media print{body{margin:0;font-size:11px;color:#000;background:#fff}"
    "section{break-inside:avoid}pre.text{white-space:pre-wrap;background:none}"
    ".switch{display:none}}";

/* The page: its runs, their reports and timelines, and the scales they share. */
struct page {
    sqlite3 *db;
    FILE *out;
    int n;
    const int64_t *runs;
    struct hk_report *rep[HK_HTML_RUNS];
    struct hk_timeline *t[HK_HTML_RUNS];
    int64_t bucket_ns;
};

static struct hk_chart chart_of(const struct page *p, int64_t ymax, enum hk_svg_unit unit, int h)
{
    struct hk_chart c = { p->out, HK_HTML_BUCKETS, p->bucket_ns, hk_svg_nice(ymax), unit, 560, h };
    return c;
}

/* A chart of every run in a row: draw(p, run index, chart) draws one. */
typedef void (*draw_fn)(const struct page *p, int i, const struct hk_chart *c);

static void row(const struct page *p, const char *id, const char *title, const char *expl,
                int64_t ymax, enum hk_svg_unit unit, draw_fn draw, const char *const *legend,
                const int *colours, int nlegend, void (*run_legend)(const struct page *, int))
{
    FILE *o = p->out;
    fprintf(o, "<section id=\"%s\"><h2>%s</h2><p class=\"expl\">%s</p><div class=\"runs\">", id,
            title, expl);
    for (int i = 0; i < p->n; i++) {
        struct hk_chart c = chart_of(p, ymax, unit, 180);
        fprintf(o, "<div data-run=\"%lld\"><h3>run %lld</h3>", (long long)p->runs[i],
                (long long)p->runs[i]);
        hk_svg_open(&c, id, title);
        draw(p, i, &c);
        hk_svg_close(&c);
        if (run_legend)
            run_legend(p, i);
        fputs("</div>", o);
    }
    fputs("</div>", o);
    if (nlegend)
        hk_svg_legend(o, legend, colours, nlegend);
    fputs("</section>", o);
}

static int64_t max_of(const int64_t *a, const int64_t *b)
{
    int64_t m = 0;
    for (int i = 0; i < HK_HTML_BUCKETS; i++)
        m = a[i] + (b ? b[i] : 0) > m ? a[i] + (b ? b[i] : 0) : m;
    return m;
}

/* ---- the charts */

static void draw_superslabs(const struct page *p, int i, const struct hk_chart *c)
{
    int64_t base[HK_HTML_BUCKETS] = { 0 };
    hk_svg_area(c, "mapped, in use", 0, p->t[i]->ss_in_use, base);
    hk_svg_area(c, "mapped, cached (LRU)", 1, p->t[i]->ss_cached, base);
    hk_svg_line(c, "unmapped (so far)", 3, p->t[i]->ss_unmapped);
}

static void draw_bytes(const struct page *p, int i, const struct hk_chart *c)
{
    int64_t base[HK_HTML_BUCKETS] = { 0 };
    hk_svg_area(c, "SuperSlab bytes mapped", 0, p->t[i]->ss_bytes, base);
    hk_svg_area(c, "large mapping bytes", 4, p->t[i]->large_bytes, base);
}

static void draw_stages(const struct page *p, int i, const struct hk_chart *c)
{
    int64_t base[HK_HTML_BUCKETS] = { 0 };
    for (int s = 0; s < HK_STAGES; s++) {
        char name[32];
        snprintf(name, sizeof name, "stage %s", hk_stage_label(s));
        hk_svg_area(c, name, s, p->t[i]->stage[s], base);
    }
}

static const char *const lru_names[] = { "push", "pop hit", "pop miss (a new map)", "evict" };
static const int lru_colours[] = { 0, 2, 3, 1 };

static void draw_lru(const struct page *p, int i, const struct hk_chart *c)
{
    for (int k = 0; k < 4; k++)
        hk_svg_line(c, lru_names[k], lru_colours[k], p->t[i]->lru[k]);
}

static void draw_empty(const struct page *p, int i, const struct hk_chart *c)
{
    hk_svg_line(c, "EMPTY transitions", 2, p->t[i]->empty);
    hk_svg_line(c, "slabs released", 4, p->t[i]->released);
}

static void draw_sites(const struct page *p, int i, const struct hk_chart *c)
{
    int64_t base[HK_HTML_BUCKETS] = { 0 };
    const struct hk_timeline *t = p->t[i];
    for (int k = 0; k <= t->nsites; k++)
        hk_svg_area(c, k < t->nsites ? t->site[k] : "other sites", k, t->site_in_use[k], base);
}

static void sites_legend(const struct page *p, int i)
{
    const struct hk_timeline *t = p->t[i];
    const char *names[HK_HTML_SITES + 1];
    int colours[HK_HTML_SITES + 1];
    for (int k = 0; k <= t->nsites; k++) {
        names[k] = k < t->nsites ? t->site[k] : "other sites";
        colours[k] = k;
    }
    hk_svg_legend(p->out, names, colours, t->nsites + 1);
}

static void charts(const struct page *p)
{
    int64_t m[6] = { 0 };
    for (int i = 0; i < p->n; i++) {
        const struct hk_timeline *t = p->t[i];
        int64_t v[6] = { max_of(t->ss_in_use, t->ss_cached), max_of(t->ss_bytes, t->large_bytes),
                         0, 0, 0, max_of(t->ss_unmapped, NULL) };
        int64_t st[HK_HTML_BUCKETS] = { 0 };
        for (int s = 0; s < HK_STAGES; s++)
            for (int b = 0; b < HK_HTML_BUCKETS; b++)
                st[b] += t->stage[s][b];
        v[2] = max_of(st, NULL);
        for (int k = 0; k < 4; k++)
            v[3] = max_of(t->lru[k], NULL) > v[3] ? max_of(t->lru[k], NULL) : v[3];
        v[4] = max_of(t->empty, NULL) > max_of(t->released, NULL) ? max_of(t->empty, NULL)
                                                                    : max_of(t->released, NULL);
        for (int k = 0; k < 6; k++)
            m[k] = v[k] > m[k] ? v[k] : m[k];
    }
    static const char *const ss_names[] = { "mapped, in use", "mapped, cached (LRU)",
                                            "unmapped (so far)" };
    static const int ss_colours[] = { 0, 1, 3 };
    row(p, "superslabs", "SuperSlabs over time",
        "SuperSlabs mapped (in use by size classes, and cached empty in the LRU), and how many "
        "were unmapped so far, at the end of each time bucket.",
        m[0] > m[5] ? m[0] : m[5], HK_SVG_COUNT, draw_superslabs, ss_names, ss_colours, 3, NULL);
    static const char *const b_names[] = { "SuperSlab bytes mapped", "large mapping bytes" };
    static const int b_colours[] = { 0, 4 };
    row(p, "bytes", "Bytes mapped over time",
        "Memory mapped from the OS: SuperSlabs and large mappings.", m[1], HK_SVG_BYTES,
        draw_bytes, b_names, b_colours, 2, NULL);
    const char *st_names[HK_STAGES];
    int st_colours[HK_STAGES];
    char labels[HK_STAGES][32];
    for (int s = 0; s < HK_STAGES; s++) {
        snprintf(labels[s], sizeof labels[s], "stage %s", hk_stage_label(s));
        st_names[s] = labels[s];
        st_colours[s] = s;
    }
    row(p, "stages", "Slab acquisitions by stage",
        "Which stage served each slab acquisition, per time bucket (stacked): 0 hot slot, 0.5 "
        "an EMPTY slab of the class, 1 free slot list, 2 an unused slot, 3 a new SuperSlab.",
        m[2], HK_SVG_COUNT, draw_stages, st_names, st_colours, HK_STAGES, NULL);
    row(p, "lru", "LRU cache of empty SuperSlabs",
        "Pushes, pop hits, pop misses (each one maps a new SuperSlab) and evictions per bucket.",
        m[3], HK_SVG_COUNT, draw_lru, lru_names, lru_colours, 4, NULL);
    static const char *const e_names[] = { "EMPTY transitions", "slabs released" };
    static const int e_colours[] = { 2, 4 };
    row(p, "empty", "EMPTY transitions",
        "Slabs whose last block was freed (used reached 0), and slabs released to the pool.",
        m[4], HK_SVG_COUNT, draw_empty, e_names, e_colours, 2, NULL);
}

/* ---- per-class occupancy: a heat map, class × time */

static void heat(const struct page *p)
{
    int rows[HK_MAX_CLASSES], nrows = 0;
    for (int c = 0; c < HK_MAX_CLASSES; c++) {
        int seen = 0;
        for (int i = 0; i < p->n; i++)
            seen |= p->t[i]->occ_seen[c];
        if (seen)
            rows[nrows++] = c;
    }
    FILE *o = p->out;
    fputs("<section id=\"occupancy\"><h2>Occupancy by size class</h2><p class=\"expl\">Blocks in "
          "use / capacity of each class's slabs in the last occupancy sample of each bucket "
          "(darker: fuller; blank: no sample).</p><div class=\"runs\">", o);
    for (int i = 0; i < p->n; i++) {
        const struct hk_timeline *t = p->t[i];
        fprintf(o, "<div data-run=\"%lld\"><h3>run %lld</h3>", (long long)p->runs[i],
                (long long)p->runs[i]);
        if (!t->occ_samples) {
            fputs("<p class=\"missing\">no occupancy samples in this run</p></div>", o);
            continue;
        }
        struct hk_chart c = chart_of(p, 0, HK_SVG_NONE, 30 + 12 * nrows);
        hk_svg_open(&c, "occupancy", "occupancy by size class over time");
        for (int r = 0; r < nrows; r++)
            hk_svg_heat_row(&c, r, rows[r], p->rep[i]->cls[rows[r]].block_size,
                            t->occ_used[rows[r]], t->occ_capacity[rows[r]]);
        hk_svg_close(&c);
        fputs("</div>", o);
    }
    fputs("</div></section>", o);
}

/* ---- the heap profile, the SuperSlab map, the text report */

static int flames(const struct page *p, char *err, size_t errlen)
{
    FILE *o = p->out;
    fputs("<section id=\"flame\"><h2>Allocation sites (flame graph)</h2><p class=\"expl\">The "
          "sampled allocation stacks, root at the top, each frame as wide as its bytes; hover "
          "for names and figures.</p>", o);
    for (int k = 0; k < HK_FLAME_KINDS; k++)
        fprintf(o, "<input class=\"switch\" type=\"radio\" name=\"fk\" id=\"fk%d\"%s>"
                   "<label class=\"switch\" for=\"fk%d\">bytes %s</label> ",
                k, k ? "" : " checked", k, hk_flame_kind_names[k]);
    fputs("<div class=\"runs\">", o);
    for (int i = 0; i < p->n; i++) {
        fprintf(o, "<div data-run=\"%lld\"><h3>run %lld</h3>", (long long)p->runs[i],
                (long long)p->runs[i]);
        if (p->t[i]->have_profile <= 0)
            fputs("<p class=\"missing\">no heap profile in this run</p>", o);
        else if (hk_flame_write(p->db, p->runs[i], o, err, errlen) != 0)
            return -1;
        fputs("</div>", o);
    }
    fputs("</div></section>", o);
    return 0;
}

static int ssmaps(const struct page *p, char *err, size_t errlen)
{
    FILE *o = p->out;
    fputs("<section id=\"map\"><h2>SuperSlab map at the end</h2><p class=\"expl\">A cell per "
          "slab (as hakmem-top's panel 2): grey free, blue EMPTY, red to green from nearly "
          "empty to full; outlined: pinned (never EMPTY and under " HK_STR(HK_PINNED_PCT) "% in "
          "use at the end, or holding live blocks while SuperSlabs were mapped); * cached. Hover "
          "for class, occupancy and the sites whose live blocks are in it.</p><div class=\"runs\">", o);
    for (int i = 0; i < p->n; i++) {
        fprintf(o, "<div data-run=\"%lld\"><h3>run %lld</h3>", (long long)p->runs[i],
                (long long)p->runs[i]);
        if (hk_ssmap_write(p->db, p->t[i], o, err, errlen) != 0)
            return -1;
        fputs("</div>", o);
    }
    fputs("</div></section>", o);
    return 0;
}

static int text(const struct page *p, char *err, size_t errlen)
{
    FILE *o = p->out;
    fputs("<section id=\"text\"><h2>The report</h2><div class=\"runs\">", o);
    for (int i = 0; i < p->n; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        if (!m)
            return hk_fail(err, errlen, "out of memory");
        hk_report_print(p->rep[i], m);
        fclose(m);
        fprintf(o, "<div data-run=\"%lld\"><pre class=\"text\">", (long long)p->runs[i]);
        hk_html_text(o, buf);
        fputs("</pre></div>", o);
        free(buf);
    }
    fputs("</div></section>", o);
    return 0;
}

/* ---- the page's head: runs, verdicts, what is missing */

static void verdicts(const struct page *p)
{
    FILE *o = p->out;
    fputs("<section id=\"verdicts\"><h2>Verdict</h2><div class=\"runs\">", o);
    for (int i = 0; i < p->n; i++) {
        const struct hk_report *r = p->rep[i];
        struct hk_verdict v[HK_VERDICT_MAX];
        int n = hk_verdicts(r, v, HK_VERDICT_MAX);
        fprintf(o, "<div data-run=\"%lld\"><h3>run %lld: ", (long long)r->run_id,
                (long long)r->run_id);
        hk_html_text(o, *r->argv ? r->argv : r->exe);
        fputs("</h3>", o);
        if (*r->options) {
            fputs("<p class=\"expl\">options: ", o);
            hk_html_text(o, r->options);
            fputs("</p>", o);
        }
        fputs("<ul class=\"verdicts\">", o);
        for (int k = 0; k < n; k++) {
            fprintf(o, "<li class=\"%s\" data-rule=\"%s\">%s ", v[k].bad ? "bad" : "good",
                    v[k].rule, v[k].bad ? "!" : "+");
            hk_html_text(o, v[k].text);
            fprintf(o, " [%s]</li>", v[k].rule);
        }
        if (!n)
            fputs("<li>no known pathology shows</li>", o);
        fputs("</ul></div>", o);
    }
    fputs("</div></section>", o);
}

static void missing_item(FILE *o, int64_t run, const char *chart, const char *why)
{
    fprintf(o, "<li data-missing=\"%s\" data-run=\"%lld\">run %lld: %s</li>", chart,
            (long long)run, (long long)run, why);
}

/* Says which charts a run lacks and why. */
static void missing(const struct page *p)
{
    FILE *o = p->out;
    int any = 0;
    for (int i = 0; i < p->n; i++) {
        const struct hk_timeline *t = p->t[i];
        any |= !t->occ_samples || t->have_profile <= 0 || !t->have_blocks;
    }
    if (!any)
        return;
    fputs("<section id=\"missing\"><h2>Charts not drawn</h2><ul>", o);
    for (int i = 0; i < p->n; i++) {
        const struct hk_timeline *t = p->t[i];
        int64_t r = p->runs[i];
        if (!t->occ_samples)
            missing_item(o, r, "occupancy", "occupancy by size class: the database holds no "
                         "occupancy sample of the run (table occupancy)");
        if (t->have_profile <= 0) {
            missing_item(o, r, "sites", "bytes in use by call site: the run has no heap profile "
                         "(record it with --profile)");
            missing_item(o, r, "flame", "flame graph: the run has no heap profile (record it "
                         "with --profile)");
        } else if (!t->have_blocks)
            missing_item(o, r, "sites", "bytes in use by call site over time: the run has no "
                         "per-block rows (profile_blocks: record it with --all-blocks)");
    }
    fputs("</ul></section>", o);
}

static int body(const struct page *p, const char *dbpath, char *err, size_t errlen)
{
    FILE *o = p->out;
    fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
               "<title>hakmem-trace report: ");
    hk_html_text(o, hk_basename(dbpath));
    fprintf(o, "</title><style>%s</style></head><body style=\"--n:%d\"><h1>hakmem-trace "
               "report: ", css, p->n);
    hk_html_text(o, hk_basename(dbpath));
    fprintf(o, "</h1><p class=\"expl\">%d run%s; every time axis spans %.3f s in %d buckets of "
               "%.3f ms, each chart on the same scale for all runs.</p>", p->n, p->n > 1 ? "s" : "",
            (double)p->bucket_ns * HK_HTML_BUCKETS / 1e9, HK_HTML_BUCKETS,
            (double)p->bucket_ns / 1e6);
    verdicts(p);
    missing(p);
    charts(p);
    heat(p);
    int any_profile = 0, any_blocks = 0;
    int64_t m = 0;
    for (int i = 0; i < p->n; i++) {
        any_profile |= p->t[i]->have_profile > 0;
        any_blocks |= p->t[i]->have_blocks;
        for (int k = 0; k <= p->t[i]->nsites; k++)
            m = max_of(p->t[i]->site_in_use[k], NULL) > m ? max_of(p->t[i]->site_in_use[k], NULL)
                                                         : m;
    }
    if (any_blocks) {
        int64_t tot = 0; /* the stacked total's peak, over runs */
        for (int i = 0; i < p->n; i++) {
            int64_t sum[HK_HTML_BUCKETS] = { 0 };
            for (int k = 0; k <= p->t[i]->nsites; k++)
                for (int b = 0; b < HK_HTML_BUCKETS; b++)
                    sum[b] += p->t[i]->site_in_use[k][b];
            tot = max_of(sum, NULL) > tot ? max_of(sum, NULL) : tot;
        }
        row(p, "sites", "Bytes in use by call site",
            "Estimated bytes in use of the sampled blocks over time, the top sites by bytes in "
            "use at the peak (stacked; names in the tooltips).", tot > m ? tot : m, HK_SVG_BYTES,
            draw_sites, NULL, NULL, 0, sites_legend);
    }
    if (any_profile && flames(p, err, errlen) != 0)
        return -1;
    if (ssmaps(p, err, errlen) != 0 || text(p, err, errlen) != 0)
        return -1;
    fputs("</body></html>\n", o);
    return 0;
}

int hk_html_write(sqlite3 *db, const char *dbpath, const int64_t *runs, int n, const char *path,
                  char *err, size_t errlen)
{
    struct page p = { .db = db, .n = n, .runs = runs };
    int64_t span = 1;
    int rc = n > 0 && n <= HK_HTML_RUNS ? 0 : hk_fail(err, errlen, "expected 1 to %d runs, got %d",
                                                      HK_HTML_RUNS, n);
    for (int i = 0; rc == 0 && i < n; i++) {
        int64_t s;
        p.rep[i] = malloc(sizeof *p.rep[i]);
        rc = p.rep[i] ? hk_report_load(db, runs[i], p.rep[i], err, errlen)
                      : hk_fail(err, errlen, "out of memory");
        if (rc == 0 && (rc = hk_timeline_span(db, runs[i], &s, err, errlen)) == 0)
            span = s > span ? s : span;
    }
    p.bucket_ns = (span + HK_HTML_BUCKETS - 1) / HK_HTML_BUCKETS;
    for (int i = 0; rc == 0 && i < n; i++)
        rc = (p.t[i] = hk_timeline_load(db, runs[i], p.bucket_ns, err, errlen)) ? 0 : -1;
    struct hk_outfile of;
    if (rc == 0 && (rc = hk_outfile_open(&of, path, err, errlen)) == 0) {
        p.out = of.f;
        rc = body(&p, dbpath, err, errlen);
        rc = hk_outfile_close(&of, rc == 0, rc == 0 ? err : NULL, errlen) == 0 && rc == 0 ? 0 : -1;
    }
    for (int i = 0; i < n && i < HK_HTML_RUNS; i++) {
        free(p.rep[i]);
        hk_timeline_free(p.t[i]);
    }
    return rc;
}
