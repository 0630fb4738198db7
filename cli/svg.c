/* svg.c — the HTML report's chart primitives: a chart's frame and time axis,
 * step series (lines, stacked areas) with their values as data attributes, cells. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"

/* The plot area inside a chart's viewBox. */
#define LEFT 64
#define RIGHT 24
#define TOP 8
#define BOTTOM 22

void hk_html_text(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc('?', out);
            else
                fputc(*s, out);
        }
    }
}

int64_t hk_svg_nice(int64_t v)
{
    if (v <= 0)
        return 1;
    int64_t p = 1;
    while (p <= v / 10)
        p *= 10;
    for (int64_t m = 1; m <= 10; m = m == 1 ? 2 : m == 2 ? 5 : 10)
        if (m * p >= v)
            return m * p;
    return 10 * p;
}

/* An axis label: bytes, a percentage or a count. */
static void label(char *buf, size_t len, int64_t v, enum hk_svg_unit unit)
{
    if (unit == HK_SVG_BYTES)
        hk_bytes((uint64_t)v, buf, len);
    else if (unit == HK_SVG_PCT)
        snprintf(buf, len, "%lld%%", (long long)v);
    else
        snprintf(buf, len, "%lld", (long long)v);
}

static double px(const struct hk_chart *c, double i)
{
    return LEFT + (double)(c->width - LEFT - RIGHT) * i / (double)c->nb;
}

static double py(const struct hk_chart *c, int64_t v)
{
    double h = c->height - TOP - BOTTOM;
    double f = c->ymax > 0 ? (double)v / (double)c->ymax : 0;
    return TOP + h - h * (f > 1 ? 1 : f < 0 ? 0 : f);
}

void hk_svg_open(const struct hk_chart *c, const char *id, const char *title)
{
    FILE *o = c->out;
    double span_s = (double)c->bucket_ns * c->nb / 1e9;
    fprintf(o, "<svg class=\"chart\" data-chart=\"%s\" data-x-min=\"0\" data-x-max=\"%lld\""
               " data-bucket-ns=\"%lld\" data-buckets=\"%d\" data-y-max=\"%lld\""
               " viewBox=\"0 0 %d %d\" role=\"img\"><title>",
            id, (long long)c->bucket_ns * c->nb, (long long)c->bucket_ns, c->nb,
            (long long)c->ymax, c->width, c->height);
    hk_html_text(o, title);
    fprintf(o, "</title><g class=\"axis\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
               "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
            LEFT, TOP, LEFT, c->height - BOTTOM, LEFT, c->height - BOTTOM, c->width - RIGHT,
            c->height - BOTTOM);
    char buf[32];
    for (int k = 0; c->unit != HK_SVG_NONE && k <= 2; k++) { /* y: 0, half, max */
        int64_t v = c->ymax * k / 2;
        label(buf, sizeof buf, v, c->unit);
        fprintf(o, "<text class=\"ytick\" x=\"%d\" y=\"%.1f\">%s</text>", LEFT - 4, py(c, v) + 4,
                buf);
    }
    for (int k = 0; k <= 4; k++) /* x: five ticks of the time axis */
        fprintf(o, "<text class=\"xtick\" x=\"%.1f\" y=\"%d\">%.*f s</text>",
                px(c, c->nb * k / 4.0), c->height - 6, span_s < 1 ? 3 : 1, span_s * k / 4);
    fputs("</g>", o);
}

void hk_svg_close(const struct hk_chart *c)
{
    fputs("</svg>", c->out);
}

/* data-values: the series' values, one per bucket. */
static void values(FILE *o, const int64_t *v, int n)
{
    fputs(" data-values=\"", o);
    for (int i = 0; i < n; i++)
        fprintf(o, "%s%lld", i ? " " : "", (long long)v[i]);
    fputc('"', o);
}

static void open_path(const struct hk_chart *c, const char *kind, int colour, const char *name,
                      const int64_t *v)
{
    fprintf(c->out, "<path class=\"%s c%d\" data-series=\"", kind, colour % HK_SVG_COLOURS);
    hk_html_text(c->out, name);
    fputc('"', c->out);
    values(c->out, v, c->nb);
    fputs(" d=\"", c->out);
}

void hk_svg_line(const struct hk_chart *c, const char *name, int colour, const int64_t *v)
{
    open_path(c, "line", colour, name, v);
    fprintf(c->out, "M%.1f %.1fH%.1f", px(c, 0), py(c, v[0]), px(c, 1));
    for (int i = 1; i < c->nb; i++)
        fprintf(c->out, "V%.1fH%.1f", py(c, v[i]), px(c, i + 1));
    fputs("\"><title>", c->out);
    hk_html_text(c->out, name);
    fputs("</title></path>", c->out);
}

void hk_svg_area(const struct hk_chart *c, const char *name, int colour, const int64_t *v,
                 int64_t *base)
{
    open_path(c, "area", colour, name, v);
    fprintf(c->out, "M%.1f %.1f", px(c, 0), py(c, base[0] + v[0]));
    for (int i = 0; i < c->nb; i++)
        fprintf(c->out, "V%.1fH%.1f", py(c, base[i] + v[i]), px(c, i + 1));
    for (int i = c->nb; i-- > 0;)
        fprintf(c->out, "V%.1fH%.1f", py(c, base[i]), px(c, i));
    fputs("Z\"><title>", c->out);
    hk_html_text(c->out, name);
    fputs("</title></path>", c->out);
    for (int i = 0; i < c->nb; i++)
        base[i] += v[i];
}

void hk_svg_legend(FILE *out, const char *const *names, const int *colours, int n)
{
    fputs("<ul class=\"legend\">", out);
    for (int i = 0; i < n; i++) {
        fprintf(out, "<li><span class=\"key c%d\"></span>", colours[i] % HK_SVG_COLOURS);
        hk_html_text(out, names[i]);
        fputs("</li>", out);
    }
    fputs("</ul>", out);
}

void hk_svg_heat_row(const struct hk_chart *c, int row, int64_t cls, int64_t block_size,
                     const int64_t *used, const int64_t *capacity)
{
    FILE *o = c->out;
    double y = TOP + row * HK_SVG_HEAT_ROW;
    fprintf(o, "<g class=\"heatrow\" data-series=\"class %lld\" data-used=\"", (long long)cls);
    for (int i = 0; i < c->nb; i++)
        fprintf(o, i ? " %lld" : "%lld", (long long)used[i]);
    fputs("\" data-capacity=\"", o);
    for (int i = 0; i < c->nb; i++)
        fprintf(o, i ? " %lld" : "%lld", (long long)capacity[i]);
    fprintf(o, "\"><text class=\"ytick\" x=\"%d\" y=\"%.0f\">%lld: %lld B</text>", LEFT - 4,
            y + HK_SVG_HEAT_ROW - 3, (long long)cls, (long long)block_size);
    for (int i = 0; i < c->nb; i++) {
        if (capacity[i] <= 0)
            continue;
        double f = (double)used[i] / (double)capacity[i];
        fprintf(o, "<rect class=\"heat\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\""
                   " fill-opacity=\"%.2f\"><title>class %lld, %.3f s: %lld / %lld blocks (%.1f%%)"
                   "</title></rect>",
                px(c, i), y, px(c, i + 1) - px(c, i), HK_SVG_HEAT_ROW - 1, 0.08 + 0.92 * f,
                (long long)cls, (double)c->bucket_ns * (i + 1) / 1e9, (long long)used[i],
                (long long)capacity[i], 100 * f);
    }
    fputs("</g>", o);
}
