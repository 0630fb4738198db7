#!/bin/bash
# kill.sh — SIGKILL of `record` mid-run leaves a valid database holding everything it
# committed: integrity_check passes, the run's counts match its rows, report works;
# with --profile, the stacks seen so far are in frames, each whole.
set -u
. "$(dirname "$0")/common.sh"
need_lib
# kill_mid_run DB MIN SQL RECORD-ARGS...: records into DB, and once SQL (one number)
# says more than MIN (or after 10 s) kills the recorder with SIGKILL, then its program;
# the last figure in $got, the program's pid in $child.
kill_mid_run() {
    local db=$1 min=$2 sql=$3 rec i
    shift 3
    HAKMEM_LIB_PATH=$HK_LIB "$HK_CLI" record -o "$db" "$@" >/dev/null 2>"$tmp/err" &
    rec=$!
    for ((i = 0; i < 100; i++)); do
        sleep 0.1
        got=$("$HK_CLI" query "$db" "$sql" --format csv 2>/dev/null | sed -n 2p | tr -d '\r')
        [ "${got:-0}" -gt "$min" ] && break
    done
    child=$(pgrep -P $rec)
    kill -KILL $rec
    wait $rec 2>/dev/null
    [ -n "$child" ] && kill -KILL $child 2>/dev/null
}

db=$tmp/killed.db
kill_mid_run "$db" 20000 "SELECT coalesce(max(events), 0) FROM runs" -- "$HK_EXAMPLES/phases" 100000 1000
n=$got
# what the killed recorder left in /dev/shm: its program's segment, removed by ls --clean
[ -n "$child" ] && [ -e /dev/shm/hakmem.$child ] && ok "the killed recording left /dev/shm/hakmem.$child" \
    || bad "expected the killed recording's segment /dev/shm/hakmem.$child"
for ((i = 0; i < 40; i++)); do # until the killed program is dead (not even a zombie)
    "$HK_CLI" ls --clean >"$tmp/clean" 2>&1
    grep -q "^$child  *removed " "$tmp/clean" && break
    sleep 0.05
done
grep -q "^$child  *removed " "$tmp/clean" && [ ! -e /dev/shm/hakmem.$child ] \
    && ok "ls --clean removed the killed recorder's segment" \
    || bad "ls --clean: expected $child removed, got $(grep "^$child " "$tmp/clean")"
[ "${n:-0}" -gt 20000 ] && ok "record committed $n events before the kill" || bad "record committed no batch in 10 s ($n)"
check_eq "integrity_check after SIGKILL" ok \
    "$("$HK_CLI" query "$db" "PRAGMA integrity_check" --format csv | sed -n 2p | tr -d '\r')"
events=$(q "$db" "SELECT events FROM runs WHERE run_id = 1")
check_eq "runs.events = rows in events" "$events" "$(q "$db" "SELECT count(*) FROM events WHERE run_id = 1")"
check_eq "event_counts = rows in events" "$events" "$(q "$db" "SELECT sum(n) FROM event_counts WHERE run_id = 1")"
[ "$events" -ge "$n" ] && ok "nothing committed was lost ($events >= $n)" || bad "committed $n, kept $events"
check_eq "the killed run has no end" "" "$(q "$db" "SELECT ended_ns FROM runs WHERE run_id = 1")"
"$HK_CLI" report "$db" >"$tmp/report" 2>&1
check_eq "report of the killed run: exit status" 0 $?
# the file is usable for more runs
hkt record -o "$db" -- "$HK_EXAMPLES/pinned" >/dev/null 2>&1
check_eq "record into the same file afterwards" 0 $?
check_eq "two runs" 2 "$(q "$db" "SELECT count(*) FROM runs")"

# With --profile the stacks are stored while the program runs (about once a second):
# a recorder killed mid-run leaves them, each stack whole, its frames symbolised.
pdb=$tmp/killed-profile.db
kill_mid_run "$pdb" 0 "SELECT count(*) FROM frames" --profile -- "$HK_EXAMPLES/phases" 20000 50 60
nf=$got
[ "${nf:-0}" -gt 0 ] && ok "record --profile stored $nf frames while the program ran" \
    || bad "record --profile stored no frames in 10 s of the run"
check_eq "the killed profile run has no end" "" "$(q "$pdb" "SELECT ended_ns FROM runs WHERE run_id = 1")"
check_eq "every stored stack whole (depths 0..n-1, none twice)" 0 \
    "$(q "$pdb" "SELECT count(*) FROM (SELECT stack_id FROM frames GROUP BY run_id, stack_id
                                       HAVING count(*) != max(depth) + 1)")"
[ "$(q "$pdb" "SELECT count(*) FROM frames WHERE function = 'main'")" -gt 0 ] \
    && ok "the stored frames are symbolised (main among them)" \
    || bad "no stored frame names main: $(q "$pdb" "SELECT group_concat(DISTINCT function) FROM frames")"
"$HK_CLI" profile "$pdb" >"$tmp/kprof" 2>&1
check_eq "profile of the killed run: exit status" 0 $?
exit $fail
