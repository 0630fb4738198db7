#!/bin/bash
# tests/tui/once.sh — `hakmem-top -o PID` against a traced occupancy_target: the class
# table matches the process's hakmem_stats_get(); bad arguments and segments get one line.
set -eu
# shellcheck source=tests/tui/lib.sh
source "$(dirname "$0")/lib.sh"
start_target
fails=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

"$TOP" -o "$target_pid" >"$tmp/frame" 2>"$tmp/err" || fail "hakmem-top -o $target_pid: expected exit 0, got $? ($(cat "$tmp/err"))"
cat "$tmp/frame"
table_rows <"$tmp/frame" >"$tmp/rows"
for cls in 1 11; do
    want=$(want_class $cls)
    got=$(sed -n "s/^class $cls \(slabs .*\)/\1/p" "$tmp/rows")
    check "class $cls: expected '$want' (hakmem_stats_get), got '$got' (hakmem-top -o)" \
        '[ -n "$want" ] && [ "$want" = "$got" ]'
done
check "header: expected 'pid $target_pid' and 'running'" \
    'head -1 "$tmp/frame" | grep -q "^pid $target_pid .*running"'
check "map: expected SuperSlab lines with class 1 cells" \
    'grep -Eq "^ +[0-9]+[ *]\|[^ ]*1{8}" "$tmp/frame"'
check "events: expected slab_acquire events in the tail" \
    'grep -Eq "^ +[0-9]+\.[0-9]{6} +$target_pid slab_acquire " "$tmp/frame"'
check "counters: expected 'Slab acquisitions by stage'" 'grep -q "^Slab acquisitions by stage" "$tmp/frame"'

# -s o: by occupancy, class 11 (97 %) before class 1 (48 %).
"$TOP" -o -s o "$target_pid" | table_rows >"$tmp/rows.o"
first=$(head -1 "$tmp/rows.o" | awk '{print $2}')
check "-s o: expected class 11 first (highest occupancy), got class '$first'" '[ "$first" = 11 ]'

# A segment of another version: one line on stderr, nothing on stdout, exit 1.
printf 'HAKMEMSG\002\000\000\000' >"$tmp/v2"
head -c 8192 /dev/zero >>"$tmp/v2"
rc=0
"$TOP" "$tmp/v2" >"$tmp/v2.out" 2>"$tmp/v2.err" </dev/null || rc=$?
check "version 2 segment: expected exit 1, got $rc" '[ "$rc" -eq 1 ]'
check "version 2 segment: expected one line naming version 2, got '$(cat "$tmp/v2.err")'" \
    '[ "$(wc -l <"$tmp/v2.err")" -eq 1 ] && grep -q "version 2; this reader reads version 1" "$tmp/v2.err"'
check "version 2 segment: expected nothing on stdout, got $(wc -c <"$tmp/v2.out") bytes" '[ ! -s "$tmp/v2.out" ]'

# A process that is not traced: one clear line.
rc=0
"$TOP" -o 1 >/dev/null 2>"$tmp/p1.err" || rc=$?
check "pid 1: expected exit 1 and a line saying it has no trace segment, got $rc '$(cat "$tmp/p1.err")'" \
    '[ "$rc" -eq 1 ] && grep -q "no trace segment" "$tmp/p1.err"'
rc=0
"$TOP" -d 0.01 -o "$target_pid" >/dev/null 2>"$tmp/d.err" || rc=$?
check "-d 0.01: expected exit 2 (below 0.1 s), got $rc" '[ "$rc" -eq 2 ] && grep -q "0.1" "$tmp/d.err"'

# No PID: the newest live segment (ours, or one of a test running beside this one).
rc=0
"$TOP" -o >"$tmp/auto" 2>&1 || rc=$?
check "no PID with a traced process running: expected a frame, got $rc '$(head -2 "$tmp/auto")'" \
    '[ "$rc" -eq 0 ] && grep -q "^pid [0-9]" "$tmp/auto"'

# After the process exits the segment is gone: one line saying so.
stop_target
rc=0
"$TOP" -o "$target_pid" >/dev/null 2>"$tmp/gone.err" || rc=$?
check "exited pid: expected exit 1 and one line, got $rc '$(cat "$tmp/gone.err")'" \
    '[ "$rc" -eq 1 ] && [ "$(wc -l <"$tmp/gone.err")" -eq 1 ]'
[ "$fails" -eq 0 ] || exit 1
