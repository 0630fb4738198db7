#!/bin/bash
# frames.sh — stacks that name the program's own functions: a double free in
# tests/error_frames' static release_twice() is named in the stderr report
# (from .symtab, its line from .debug_line), and recorded with --stacks at HAKMEM_CHECK=1 and 2 the
# heap_error event's stack names it with its source file and line (DWARF),
# in the frames table and in `query @errors`; the stacks behind the new
# SuperSlabs of its static fill_superslabs() name it too, in frames and in
# the report.
set -u
. "$(dirname "$0")/common.sh"
need_lib
prog=$HK_TESTS/error_frames
src=${HK_SRCDIR:-.}/tests/error_frames.c
[ -x "$prog" ] || skip "$prog not built"
free_line=$(grep -n 'frames.sh: the second free' "$src" | cut -d: -f1)
fill_line=$(grep -n "frames.sh: the fill's malloc" "$src" | cut -d: -f1)
[ -n "$free_line" ] && [ -n "$fill_line" ] || skip "markers not found in $src"

# run ENV... → rc in $rc, stderr in $tmp/err (no "Aborted" line from the shell)
run() {
    exec 3>&2 2>/dev/null
    env "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    exec 2>&3 3>&-
}

# The stderr report, at each level: the static function by name.
run LD_PRELOAD="$HK_LIB" "$prog" double
check_eq "double free: SIGABRT" 134 "$rc"
grep -q "^    #0 0x[0-9a-f]* in release_twice+0x[0-9a-f]* [^ ]*error_frames\.c:$free_line (.*error_frames+0x[0-9a-f]*)\$" "$tmp/err" &&
    ok "stderr report: #0 is the static release_twice at error_frames.c:$free_line" ||
    bad "stderr report: expected '#0 ... in release_twice+0x... error_frames.c:$free_line (...)', got: $(cat "$tmp/err")"
grep -q '^    #1 0x[0-9a-f]* in main+0x' "$tmp/err" && ok "stderr report: #1 is main" ||
    bad "stderr report: expected '#1 ... in main+0x...', got: $(cat "$tmp/err")"
run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 HAKMEM_TRACE_STACKS=1 "$prog" double
grep -A1 '^  first freed at:$' "$tmp/err" | grep -q '^    #0 0x[0-9a-f]* in release_twice+0x' &&
    ok "level 2: the first free's stack names release_twice" ||
    bad "level 2: expected 'first freed at:' then '#0 ... in release_twice', got: $(cat "$tmp/err")"

# The database: the heap_error event's stack, its innermost frame outside libhakmem.
# where DB → "function|file|line" of that frame
where() {
    q "$1" "SELECT f.function || '|' || coalesce(f.file, '') || '|' || coalesce(f.line, '')
            FROM events e JOIN frames f ON f.run_id = e.run_id AND f.stack_id = e.stack_id
            WHERE e.type = 15 AND coalesce(f.module, '') NOT LIKE '%/libhakmem%'
            ORDER BY f.depth LIMIT 1"
}
for level in 1 2; do
    db=$tmp/check$level.db
    exec 3>&2 2>/dev/null
    HAKMEM_CHECK=$level hkt record --stacks -o "$db" -- "$prog" double >/dev/null 2>"$tmp/rec.err"
    rc=$?
    exec 2>&3 3>&-
    check_eq "record --stacks at HAKMEM_CHECK=$level: the program's SIGABRT status" 134 "$rc"
    check_eq "HAKMEM_CHECK=$level: heap_error events with a stack" 1 \
        "$(q "$db" "SELECT count(*) FROM events WHERE type = 15 AND stack_id > 0")"
    w=$(where "$db")
    case $w in
        "release_twice|"*error_frames.c"|$free_line") ok "HAKMEM_CHECK=$level: the error's frame is release_twice at error_frames.c:$free_line" ;;
        *) bad "HAKMEM_CHECK=$level: expected release_twice|...error_frames.c|$free_line, got '$w' ($(cat "$tmp/rec.err"))" ;;
    esac
    "$HK_CLI" query "$db" @errors --format csv | tr -d '\r' >"$tmp/errors.csv"
    grep -q "^[0-9]*,.*,double free,.*,release_twice,[^,]*error_frames\.c:$free_line,[0-9]*$" "$tmp/errors.csv" &&
        ok "HAKMEM_CHECK=$level: @errors shows release_twice at error_frames.c:$free_line" ||
        bad "HAKMEM_CHECK=$level: @errors: expected release_twice and error_frames.c:$free_line, got: $(cat "$tmp/errors.csv")"
done
# Without --stacks the event has no stack, and @errors still lists it.
HAKMEM_ON_ERROR=report hkt record -o "$tmp/nostacks.db" -- "$prog" double >/dev/null 2>&1
check_eq "without --stacks: heap_error events" 1 "$(q "$tmp/nostacks.db" "SELECT count(*) FROM events WHERE type = 15")"
check_eq "without --stacks: @errors rows" 2 "$("$HK_CLI" query "$tmp/nostacks.db" @errors --format csv | wc -l)"

# New SuperSlabs: stage-3 stacks name the static fill_superslabs at its malloc.
db=$tmp/fill.db
hkt record --stacks -o "$db" -- "$prog" fill >/dev/null 2>&1
check_eq "record --stacks fill: exit status" 0 $?
check_eq "stage-3 stacks through fill_superslabs at error_frames.c:$fill_line" 1 \
    "$(q "$db" "SELECT count(*) > 0 FROM events e JOIN frames f ON f.run_id = e.run_id AND f.stack_id = e.stack_id
                WHERE e.type = 9 AND e.stage = 4 AND f.function = 'fill_superslabs'
                  AND f.file LIKE '%error_frames.c' AND f.line = $fill_line")"
"$HK_CLI" report "$db" | sed -n '/^Stacks behind new SuperSlabs/,/^$/p' >"$tmp/report"
grep -q ' < fill_superslabs < main' "$tmp/report" && ok "report: the stacks behind new SuperSlabs name fill_superslabs" ||
    bad "report: expected '< fill_superslabs < main' in: $(cat "$tmp/report")"
exit $fail
