#!/bin/bash
# readme_queries.sh — every example query a reader is shown runs: the `hakmem-trace query`
# lines of README.md and hakmem-trace(1)'s EXAMPLES, and the closing hint scripts/demo
# prints (its echo lines, as printed), each against a recorded database, must exit 0
# with rows and nothing on stderr.
set -u
. "$(dirname "$0")/common.sh"
src=${HK_SRCDIR:-$(dirname "$0")/../..}

# A recorded database: the seed's benchmark in small when libhakmem is built, else a
# synthetic segment ingested.
db=$tmp/example.db
if [ -n "${HK_LIB:-}" ] && [ -f "$HK_LIB" ] && [ -x "${HK_EXAMPLES:-}/bench_random_mixed" ]; then
    hkt record -o "$db" -- "$HK_EXAMPLES/bench_random_mixed" 20000 64 7 >/dev/null 2>"$tmp/record.err"
    check_eq "record bench_random_mixed: exit status" 0 $?
else
    "$HK_MKSEG" "$tmp/s.seg" 3000 >/dev/null && hkt ingest "$tmp/s.seg" -o "$db" 2>/dev/null
    check_eq "ingest of a synthetic segment (no libhakmem): exit status" 0 $?
fi

# The query commands, one a line, from "hakmem-trace query" to the end (comments cut).
{
    grep -h 'hakmem-trace query [^ ]*\.db' "$src/README.md" "$src/cli/hakmem-trace.1"
    # scripts/demo's hints, printed as the demo prints them (with its $db).
    grep '^ *echo .*hakmem-trace query' "$src/scripts/demo" | while IFS= read -r line; do
        case $line in *'$('* | *'`'*) echo "unsafe: $line"; continue ;; esac
        (db=demo.db; eval "$line")
    done
} | sed -n 's/.*hakmem-trace query /query /p' | sed 's/  *#.*$//; s/   *(.*$//' >"$tmp/commands"
n=$(wc -l <"$tmp/commands")
[ "$n" -ge 4 ] && ok "$n example query commands found" || bad "expected at least 4 example query commands (README, man page, demo), got $n"
grep -q 'GROUP BY event' "$tmp/commands" && ok "the demo's SQL hint is among them" ||
    bad "expected scripts/demo's SQL hint among the commands, got: $(cat "$tmp/commands")"

while IFS= read -r cmd; do
    case $cmd in *'$('* | *'`'* | *';'*'rm '*) bad "refusing to run '$cmd'"; continue ;; esac
    eval "args=($cmd)"
    args[1]=$db # the example's database name → the recorded one
    hkt "${args[@]}" >"$tmp/out" 2>"$tmp/err"
    st=$?
    rows=$(wc -l <"$tmp/out")
    if [ "$st" -ne 0 ] || [ -s "$tmp/err" ]; then
        bad "$cmd: expected exit 0 and nothing on stderr, got $st: $(head -3 "$tmp/err")"
    elif [ "$rows" -lt 2 ]; then
        bad "$cmd: expected a heading and rows, got $rows lines: $(cat "$tmp/out")"
    else
        ok "$cmd: $rows lines"
    fi
done <"$tmp/commands"
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
