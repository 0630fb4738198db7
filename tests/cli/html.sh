#!/bin/bash
# html.sh — `hakmem-trace report --html`: examples/pinned recorded under both EMPTY
# policies and with --profile --all-blocks, rendered; the SVG series' values (data-values)
# against the same sums made here with sqlite3; the page in headless Chromium with the
# network off (nothing fetched; each chart in the DOM, the axis range, the text report's
# numbers; a screenshot); the charts a run cannot have named as missing; bad input.
set -u
. "$(dirname "$0")/common.sh"
need_lib
command -v sqlite3 >/dev/null || skip "sqlite3 not installed (Debian sqlite3)"
py=/usr/bin/python3
[ -x "$py" ] || skip "$py not installed"
db=$tmp/pinned.db pdb=$tmp/prof.db

hkt record -o "$db" -- "$HK_EXAMPLES/pinned" >/dev/null 2>&1
check_eq "record pinned (default, run 1): exit status" 0 $?
HAKMEM_SS_EMPTY_REUSE=0 hkt record -o "$db" -- "$HK_EXAMPLES/pinned" >/dev/null 2>&1
check_eq "record pinned (HAKMEM_SS_EMPTY_REUSE=0, run 2): exit status" 0 $?
HAKMEM_SS_EMPTY_REUSE=0 HAKMEM_PROFILE_SITES=1 hkt record --profile --all-blocks -o "$pdb" -- \
    "$HK_EXAMPLES/pinned" >/dev/null 2>&1
check_eq "record --profile --all-blocks pinned (reuse off, site tags): exit status" 0 $?

hkt report "$db" --html "$tmp/two.html" --run 1 --run 2 >"$tmp/out" 2>"$tmp/err"
check_eq "report --html of two runs: exit status" 0 $?
check_eq "report --html: prints the file's path" "$tmp/two.html" "$(cat "$tmp/out")"
[ -s "$tmp/err" ] && bad "report --html: expected nothing on stderr, got $(cat "$tmp/err")"
hkt report "$pdb" --html "$tmp/prof.html" >/dev/null 2>&1
check_eq "report --html of the profiled run: exit status" 0 $?
size=$(wc -c <"$tmp/two.html")
[ "$size" -lt 1000000 ] && ok "two runs in $size bytes" || bad "two runs: expected under 1 MB, got $size bytes"

# series FILE: "run TAB chart TAB series TAB values" a line, from the data attributes of the page
series() {
    "$py" - "$1" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    run = chart = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == 'div' and 'data-run' in a: self.run = a['data-run']
        if tag == 'svg' and 'data-chart' in a:
            self.chart = a['data-chart']
            out(self.run, self.chart, 'axis', '%s %s %s' % (a.get('data-bucket-ns'), a.get('data-x-max'), a.get('data-total')))
        if 'data-values' in a: out(self.run, self.chart, a['data-series'], a['data-values'])
        if 'data-used' in a: out(self.run, self.chart, a['data-series'], a['data-used'] + ' / ' + a['data-capacity'])
def out(*f): print('\t'.join(f))
P().feed(open(sys.argv[1]).read())
EOF
}
series "$tmp/two.html" >"$tmp/two.series"
series "$tmp/prof.html" >"$tmp/prof.series"
got() { awk -F'\t' -v r="$1" -v c="$2" -v s="$3" '$1 == r && $2 == c && $3 == s {print $4; exit}' "$4"; }

# The bucket width: the longer run's span (SQL below) in 120 buckets, rounded up.
span="SELECT max(max(coalesce(ended_ns, updated_ns, started_ns) - started_ns, coalesce(end_ns, 0), 1)) FROM runs"
w=$(sqlite3 "$db" "SELECT ($span) / 120 + (($span) % 120 > 0) FROM runs LIMIT 1")
check_eq "axis: bucket width of both runs (longer run's span / 120)" "$w $((w * 120))" \
    "$(got 1 stages axis "$tmp/two.series" | cut -d' ' -f1,2)"
check_eq "axis: the same for the second run" "$(got 1 stages axis "$tmp/two.series")" \
    "$(got 2 stages axis "$tmp/two.series")"

# sq DB SQL-over-e(k, n): the 120 buckets' n (0 when none) in order; cum: running sums
B="WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i < 119)"
K="CASE WHEN ts_ns < 0 THEN 0 WHEN ts_ns / @W@ >= 120 THEN 119 ELSE ts_ns / @W@ END"
sq() { sqlite3 "$1" "$B, e(k, n) AS ($2) SELECT group_concat(v, ' ') FROM
       (SELECT i, ${4:-coalesce(n, 0)} AS v FROM b LEFT JOIN e ON e.k = b.i ORDER BY i)"; }
cum="sum(coalesce(n, 0)) OVER (ORDER BY i)"
per_type() { echo "SELECT ${K//@W@/$3} AS k, $4 FROM events WHERE run_id = $1 AND $2 GROUP BY k"; }
for run in 1 2; do
    for s in 0 1 2 3 4; do
        label=$(sqlite3 "$db" "SELECT name FROM stages WHERE stage = $s")
        check_eq "run $run: slab acquisitions at stage $label per bucket" \
            "$(sq "$db" "$(per_type $run "type = 9 AND stage = $s" "$w" "count(*)")")" \
            "$(got $run stages "stage $label" "$tmp/two.series")"
    done
    check_eq "run $run: EMPTY transitions per bucket" \
        "$(sq "$db" "$(per_type $run "type = 11" "$w" "count(*)")")" \
        "$(got $run empty "EMPTY transitions" "$tmp/two.series")"
    check_eq "run $run: LRU pop misses per bucket" \
        "$(sq "$db" "$(per_type $run "type = 7" "$w" "count(*)")")" \
        "$(got $run lru "pop miss (a new map)" "$tmp/two.series")"
    check_eq "run $run: SuperSlabs unmapped so far" \
        "$(sq "$db" "$(per_type $run "type = 2" "$w" "count(*)")" "$w" "$cum")" \
        "$(got $run superslabs "unmapped (so far)" "$tmp/two.series")"
    check_eq "run $run: SuperSlab bytes mapped" \
        "$(sq "$db" "$(per_type $run "type IN (1, 2)" "$w" "sum(CASE type WHEN 1 THEN arg0 ELSE -arg0 END)")" "$w" "$cum")" \
        "$(got $run bytes "SuperSlab bytes mapped" "$tmp/two.series")"
    # mapped = in use + cached: the maps less the unmaps so far
    inuse=$(got $run superslabs "mapped, in use" "$tmp/two.series")
    cached=$(got $run superslabs "mapped, cached (LRU)" "$tmp/two.series")
    check_eq "run $run: SuperSlabs mapped (in use + cached)" \
        "$(sq "$db" "$(per_type $run "type IN (1, 2)" "$w" "sum(CASE type WHEN 1 THEN 1 ELSE -1 END)")" "$w" "$cum")" \
        "$(paste -d+ <(echo "$inuse" | tr ' ' '\n') <(echo "$cached" | tr ' ' '\n') | awk -F+ '{printf "%s%d", (NR > 1 ? " " : ""), $1 + $2}')"
    # heat map: class 1's last occupancy sample per bucket
    last="SELECT k, COL FROM (SELECT ${K//@W@/$w} AS k, used, capacity, row_number() OVER
          (PARTITION BY ${K//@W@/$w} ORDER BY ts_ns DESC) AS nth FROM occupancy
          WHERE run_id = $run AND class = 1) WHERE nth = 1"
    check_eq "run $run: occupancy of class 1 (the last sample's used / capacity per bucket)" \
        "$(sq "$db" "${last//COL/used}" "$w" "coalesce(n, -1)") / $(sq "$db" "${last//COL/capacity}" "$w" "coalesce(n, -1)")" \
        "$(got $run occupancy "class 1" "$tmp/two.series")"
done
check_eq "the slab-reuse story: stage-0.5 hits by default, none with HAKMEM_SS_EMPTY_REUSE=0" \
    "yes 0" "$(got 1 stages "stage 0.5" "$tmp/two.series" | tr ' ' '\n' | awk '{s += $1} END {print (s > 0 ? "yes" : "no")}') $(got 2 stages "stage 0.5" "$tmp/two.series" | tr ' ' '\n' | awk '{s += $1} END {print s}')"

# The profile: in-use bytes over time (all sites stacked) from profile_blocks; flame totals.
pw=$(got 1 sites axis "$tmp/prof.series" | cut -d' ' -f1)
[ -n "$pw" ] && ok "profiled run: the bytes-in-use chart is drawn" || bad "profiled run: no bytes-in-use chart"
est="(weight * block_size + 32768) / 65536"
kf() { local k=${K//@W@/$pw}; echo "${k//ts_ns/$1}"; }
want=$(sq "$pdb" "SELECT k, sum(d) FROM (SELECT $(kf ts_ns) AS k, $est AS d FROM profile_blocks
       UNION ALL SELECT $(kf free_ns), -$est FROM profile_blocks WHERE free_ns IS NOT NULL) GROUP BY k" "$pw" "$cum")
total=$(awk -F'\t' '$1 == 1 && $2 == "sites" && $3 != "axis" {print $4}' "$tmp/prof.series" | "$py" -c '
import sys
rows = [list(map(int, l.split())) for l in sys.stdin]
print(" ".join(str(sum(c)) for c in zip(*rows)))')
check_eq "profiled run: bytes in use, all sites stacked, per bucket" "$want" "$total"
check_eq "flame graph by bytes allocated: its total" \
    "$(sqlite3 "$pdb" "SELECT sum(bytes) FROM profile_stacks WHERE bytes > 0")" \
    "$(got 1 flame-0 axis "$tmp/prof.series" | cut -d' ' -f3)"
check_eq "flame graph by bytes leaked: its total" \
    "$(sqlite3 "$pdb" "SELECT sum(in_use) FROM profile_stacks WHERE in_use > 0")" \
    "$(got 1 flame-2 axis "$tmp/prof.series" | cut -d' ' -f3)"
n=$(sqlite3 "$pdb" "SELECT count(*) FROM profile_stacks WHERE in_use > 0")
[ "$n" = 0 ] && { grep -q '<p class="missing">no bytes leaked' "$tmp/prof.html" &&
    ok "flame graph by bytes leaked: none leaked, and the page says so" || bad "expected the page to say nothing leaked"; }
grep -Eq '<title>SuperSlab [0-9]+ slab [0-9]+: class [0-9]+ \([0-9]+ B\): (EMPTY|[0-9]+ / [0-9]+ blocks in use \([0-9.]+%\))[^<]*; held live blocks of [^<]*pinned\.c:[0-9]+[^<]* while SuperSlabs were mapped' "$tmp/prof.html" &&
    ok "SuperSlab map: a tooltip names class, occupancy and the pinning site" ||
    bad "SuperSlab map: expected a cell titled with class, occupancy and 'held live blocks of ... pinned.c:N ...'"
grep -Eq '(src|href) *=|url\(|@import' "$tmp/two.html" "$tmp/prof.html" &&
    bad "the pages refer to something outside them" || ok "the pages refer to nothing outside them"

# Missing data: a run without a profile, its occupancy samples deleted.
cp "$db" "$tmp/s.db" && sqlite3 "$tmp/s.db" "DELETE FROM occupancy; DELETE FROM runs WHERE run_id = 2"
hkt report "$tmp/s.db" --html "$tmp/s.html" >/dev/null 2>&1
check_eq "a run without occupancy samples or profile: exit status" 0 $?
for m in occupancy sites flame; do
    grep -q "data-missing=\"$m\" data-run=\"1\">run 1: [^<]*:" "$tmp/s.html" &&
        ok "says why the $m chart is missing" || bad "expected the page to say why the $m chart is missing"
done
grep -q 'data-chart="stages"' "$tmp/s.html" && ok "and draws the charts it can" || bad "expected the stages chart anyway"

# Bad input: one line on stderr, exit status 1, no file left.
hkt report "$db" --html "$tmp/bad.html" --run 1 --run 99 >/dev/null 2>"$tmp/err"
check_eq "unknown run: exit status" 1 $?
check_eq "unknown run: one line on stderr" 1 "$(wc -l <"$tmp/err")"
ls "$tmp"/bad.html* >/dev/null 2>&1 && bad "unknown run: a file was left" || ok "unknown run: no file left"
hkt report "$db" --html "$tmp/no/such/dir/x.html" >/dev/null 2>"$tmp/err"
check_eq "unwritable path: exit status" 1 $?
check_eq "unwritable path: one line on stderr" 1 "$(wc -l <"$tmp/err")"
grep -q "cannot write $tmp/no/such/dir/x.html" "$tmp/err" && ok "unwritable path: named" || bad "unwritable path: got $(cat "$tmp/err")"
hkt report "$db" --run 1 --run 2 >/dev/null 2>&1
check_eq "two --run without --html: exit status (misuse)" 2 $?

# ---- headless Chromium: the page as a browser sees it, the network off.
chromium=${HK_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
    echo "SKIP: $chromium not installed (Debian chromium; scripts/check installs it): the page was not rendered"
    [ $fail = 0 ] && exit 77
    exit $fail
fi
browse() {
    timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 \
        --user-data-dir="$tmp/profile" --log-net-log="$tmp/net.json" "$@" 2>/dev/null
}
browse --dump-dom "file://$tmp/two.html" >"$tmp/dom.html"
[ -s "$tmp/dom.html" ] && ok "chromium: the DOM dumped" || bad "chromium: no DOM dumped"
# the browser's own requests (updates, time, accounts, dictionaries: to Google hosts) left out
grep -o '"url":"[a-z]*://[^/"]*' "$tmp/net.json" 2>/dev/null | grep -v '"url":"file:' |
    grep -Ev '://[^/]*\.(google\.com|googleapis\.com|gvt1\.com)$' | sort -u >"$tmp/fetched"
[ -s "$tmp/net.json" ] && [ ! -s "$tmp/fetched" ] && ok "chromium: nothing fetched but the file (net log)" ||
    bad "chromium: expected no request but file://, got $(cat "$tmp/fetched")"
for c in superslabs bytes stages lru empty occupancy ssmap; do
    check_eq "chromium: the $c chart of both runs in the DOM" 2 "$(grep -o "data-chart=\"$c\"" "$tmp/dom.html" | wc -l)"
done
check_eq "chromium: the axis range (x from 0 to 120 buckets of $w ns)" "0 $((w * 120))" \
    "$(grep -o 'data-chart="stages" data-x-min="[0-9]*" data-x-max="[0-9]*"' "$tmp/dom.html" | head -1 | sed 's/.*min="\([0-9]*\)" data-x-max="\([0-9]*\)"/\1 \2/')"
last=$(awk "BEGIN {printf \"%.3f s\", $w * 120 / 1e9}")
grep -q "class=\"xtick\"[^>]*>$last<" "$tmp/dom.html" && ok "chromium: the last time tick reads $last" ||
    bad "chromium: expected a time tick '$last'"
for run in 1 2; do
    hkt report "$db" --run $run >"$tmp/text$run" 2>/dev/null
    for pat in '^  maps [0-9]* ' '^  push [0-9]*, pop hit' '^  fallthrough: ' '^  total  '; do
        line=$(grep -m1 "$pat" "$tmp/text$run" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g')
        grep -qF -- "$line" "$tmp/dom.html" && ok "chromium: run $run's text report line '$line'" ||
            bad "chromium: expected run $run's report line '$line' in the DOM"
    done
done
grep -q 'data-rule="empty-not-reused"' "$tmp/dom.html" && grep -q 'data-rule="empty-reused"' "$tmp/dom.html" &&
    ok "chromium: both verdicts, the pathology and its fix" || bad "chromium: expected verdicts empty-not-reused and empty-reused"
rm -f "$tmp/shot.png"
browse --screenshot="$tmp/shot.png" --window-size=1400,3000 "file://$tmp/prof.html" >/dev/null
[ -s "$tmp/shot.png" ] && [ "$(head -c 4 "$tmp/shot.png" | od -An -c | tr -d ' ')" = "211PNG" ] &&
    ok "chromium: a screenshot ($(wc -c <"$tmp/shot.png") bytes)" || bad "chromium: expected a PNG screenshot"
exit $fail
