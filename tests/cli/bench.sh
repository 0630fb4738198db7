#!/bin/bash
# bench.sh BUILDDIR [export] — `make bench-cli`: the ingest rate of hakmem-trace (a 2-million-
# event segment, best of 3) and the time of `report` on a 10-million-event database
# (best of 3), each against the issue's bound: 1,000,000 events/s and 5 s; `report --html`
# of it (best of 3) against 10 s and 5 MB; then the
# heap profile exports of a run with 10,000,000 sampled allocations (best of 3; peak RSS
# with GNU time), pprof against its bound: 10 s. With "export": that part alone.
set -u
build=${1:-.}
only=${2:-}
cli=$build/cli/hakmem-trace
mkseg=$build/tests/cli/mkseg
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hk-bench-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

now() { date +%s.%N; }
# best_of N CMD...: the shortest wall time of N runs, in seconds
best_of() {
    local n=$1 best= t0 t1 t
    shift
    for ((i = 0; i < n; i++)); do
        t0=$(now)
        "$@" >/dev/null 2>&1 || { echo "bench-cli: '$*' failed" >&2; return 1; }
        t1=$(now)
        t=$(awk "BEGIN {print $t1 - $t0}")
        if [ -z "$best" ] || awk "BEGIN {exit !($t < $best)}"; then best=$t; fi
    done
    echo "$best"
}
ingest() { rm -f "$2"; "$cli" ingest "$1" -o "$2"; }

# export_bench: the exports of a synthetic profiled run (bench_profile.sql: 10,000,000
# samples in 20,000 stacks of 16 frames, 1,000,000 blocks live at the end)
export_bench() {
    local t rss verdict f
    command -v sqlite3 >/dev/null || { echo "bench-cli: sqlite3 not installed (Debian sqlite3)" >&2; return 1; }
    printf 'rate 1\nstack 1 hakmem mkseg_parse_config mkseg_load_table\nalloc 1 0xa0 90 100 65536 1 0 1 1\n' \
        >"$tmp/p.txt"
    "$mkseg" --profile "$tmp/p.seg" "$tmp/p.txt" >/dev/null && "$cli" ingest "$tmp/p.seg" -o "$tmp/p.db" 2>/dev/null &&
        sqlite3 "$tmp/p.db" <"$(dirname "$0")/bench_profile.sql" ||
        { echo "bench-cli: cannot build the profiled database" >&2; return 1; }
    for f in pprof collapsed speedscope chrome; do
        t=$(best_of 3 "$cli" export "$tmp/p.db" --format $f -o "$tmp/p.$f") || return 1
        rss=
        [ -x /usr/bin/time ] && rss=$(/usr/bin/time -f %M "$cli" export "$tmp/p.db" --format $f -o "$tmp/p.$f" 2>&1 >/dev/null)
        verdict=
        if [ $f = pprof ]; then
            verdict=": ok"
            awk "BEGIN {exit !($t < 10)}" || { verdict=": ABOVE the bound"; status=1; }
        fi
        printf 'export    --format %-10s of 10,000,000 sampled allocations in %.3f s%s, peak RSS %s, %s bytes%s\n' \
            $f "$t" "$([ $f = pprof ] && echo ' (bound 10 s)')" "${rss:+$((rss / 1024)) MiB}" \
            "$(wc -c <"$tmp/p.$f")" "$verdict"
    done
}

echo "hakmem-trace benchmarks ($(nproc) CPUs)"
if [ "$only" = export ]; then
    export_bench || exit 1
    exit $status
fi
"$mkseg" "$tmp/2m.seg" 2000000 >/dev/null || exit 1
t=$(best_of 3 ingest "$tmp/2m.seg" "$tmp/2m.db") || exit 1
rate=$(awk "BEGIN {printf \"%d\", 2000000 / $t}")
verdict=ok
[ "$rate" -ge 1000000 ] || { verdict="BELOW the bound"; status=1; }
printf 'ingest     2,000,000 events in %.3f s: %d events/s (bound 1,000,000/s): %s\n' "$t" "$rate" "$verdict"

"$mkseg" "$tmp/10m.seg" 10000000 >/dev/null || exit 1
t=$(best_of 1 ingest "$tmp/10m.seg" "$tmp/10m.db") || exit 1
rm -f "$tmp/10m.seg"
printf 'ingest    10,000,000 events in %.3f s: %d events/s\n' "$t" "$(awk "BEGIN {printf \"%d\", 10000000 / $t}")"
t=$(best_of 3 "$cli" report "$tmp/10m.db") || exit 1
verdict=ok
awk "BEGIN {exit !($t < 5)}" || { verdict="ABOVE the bound"; status=1; }
printf 'report    10,000,000-event database in %.3f s (bound 5 s): %s\n' "$t" "$verdict"
t=$(best_of 3 "$cli" report "$tmp/10m.db" --html "$tmp/10m.html") || exit 1
size=$(wc -c <"$tmp/10m.html")
verdict=ok
awk "BEGIN {exit !($t < 10 && $size < 5000000)}" || { verdict="ABOVE the bound"; status=1; }
printf 'report    --html of it in %.3f s, %d bytes (bounds 10 s, 5 MB): %s\n' "$t" "$size" "$verdict"
rm -f "$tmp/10m.html"
t=$(best_of 3 "$cli" query "$tmp/10m.db" @counts) || exit 1
printf 'query     @counts on it in %.3f s\n' "$t"
t=$(best_of 1 "$cli" query "$tmp/10m.db" "SELECT type, count(*) FROM events GROUP BY type") || exit 1
printf 'query     a full scan of its events in %.3f s\n' "$t"
rm -f "$tmp/10m.db" "$tmp/2m.db"
export_bench || exit 1
exit $status
