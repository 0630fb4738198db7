#!/bin/bash
# bench.sh BUILDDIR — `make bench-cli`: the ingest rate of hakmem-trace (a 2-million-
# event segment, best of 3) and the time of `report` on a 10-million-event database
# (best of 3), each against the issue's bound: 1,000,000 events/s and 5 s.
set -u
build=${1:-.}
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

echo "hakmem-trace benchmarks ($(nproc) CPUs)"
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
t=$(best_of 3 "$cli" query "$tmp/10m.db" @counts) || exit 1
printf 'query     @counts on it in %.3f s\n' "$t"
t=$(best_of 1 "$cli" query "$tmp/10m.db" "SELECT type, count(*) FROM events GROUP BY type") || exit 1
printf 'query     a full scan of its events in %.3f s\n' "$t"
exit $status
