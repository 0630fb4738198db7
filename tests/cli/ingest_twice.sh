#!/bin/bash
# ingest_twice.sh — a segment already in the database (same pid and start time as one
# of its runs) is not added again: one line on stderr naming the run, exit status 1,
# the database unchanged; another segment of another process is still added.
set -u
. "$(dirname "$0")/common.sh"

# runs DB: the number of runs; evs DB: the number of stored events.
runs() { q "$1" "SELECT count(*) FROM runs"; }
evs() { q "$1" "SELECT count(*) FROM events"; }

"$HK_MKSEG" "$tmp/a.seg" 3000 >/dev/null
hkt ingest "$tmp/a.seg" -o "$tmp/a.db" 2>/dev/null
check_eq "first ingest: exit status" 0 $?
before=$(evs "$tmp/a.db")
hkt ingest "$tmp/a.seg" -o "$tmp/a.db" >"$tmp/out" 2>"$tmp/err"
check_eq "second ingest of the same segment: exit status" 1 $?
check_eq "second ingest: lines on stderr" 1 "$(wc -l <"$tmp/err")"
if grep -q "already in $tmp/a.db as run 1" "$tmp/err"; then ok "second ingest says: $(cat "$tmp/err")"
else bad "second ingest: expected 'already in $tmp/a.db as run 1', got: $(cat "$tmp/err")"; fi
check_eq "second ingest: runs" 1 "$(runs "$tmp/a.db")"
check_eq "second ingest: events" "$before" "$(evs "$tmp/a.db")"
# The same segment under another name is the same image.
cp "$tmp/a.seg" "$tmp/copy.seg"
hkt ingest "$tmp/copy.seg" -o "$tmp/a.db" 2>/dev/null
check_eq "a copy of the segment: exit status" 1 $?
check_eq "a copy of the segment: runs" 1 "$(runs "$tmp/a.db")"

# Two processes' kept segments are two runs; either one again is refused.
if [ -n "${HK_LIB:-}" ] && [ -f "$HK_LIB" ] && [ -x "${HK_EXAMPLES:-}/phases" ]; then
    for n in 1 2; do
        HAKMEM_TRACE=$tmp/p$n.seg HAKMEM_TRACE_KEEP=1 LD_PRELOAD=$HK_LIB "$HK_EXAMPLES/phases" 2000 1 >/dev/null
        hkt ingest "$tmp/p$n.seg" -o "$tmp/p.db" 2>/dev/null
        check_eq "ingest of process $n's segment: exit status" 0 $?
    done
    check_eq "two processes: runs" 2 "$(runs "$tmp/p.db")"
    hkt ingest "$tmp/p1.seg" -o "$tmp/p.db" 2>"$tmp/err"
    check_eq "process 1's segment again: exit status" 1 $?
    grep -q "as run 1 " "$tmp/err" && ok "process 1's segment again: $(cat "$tmp/err")" ||
        bad "process 1's segment again: expected 'as run 1', got: $(cat "$tmp/err")"
    check_eq "process 1's segment again: runs" 2 "$(runs "$tmp/p.db")"
else
    echo "note: HK_LIB or examples/phases not built: the two-process part is not run"
fi
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
