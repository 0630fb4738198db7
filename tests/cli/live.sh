#!/bin/bash
# live.sh — live processes: `ls` lists a traced one, `attach` drains it until it exits
# (and stops cleanly on Ctrl-C), `record` forwards Ctrl-C and ends with the summary,
# exec'd images become runs of their own, so do child processes (see follow.sh), and
# --stacks stores symbolised frames.
set -u
. "$(dirname "$0")/common.sh"
need_lib
ex=$HK_EXAMPLES

# A process traced on its own (HAKMEM_TRACE=1: /dev/shm/hakmem.PID), listed and attached.
HAKMEM_TRACE=1 LD_PRELOAD=$HK_LIB "$ex/phases" 100000 40 >/dev/null &
pid=$!
for i in $(seq 100); do [ -e /dev/shm/hakmem.$pid ] && break; sleep 0.05; done
"$HK_CLI" ls >"$tmp/ls"
grep -q "^$pid  *alive .*phases" "$tmp/ls" && ok "ls lists pid $pid alive" || bad "ls: expected pid $pid alive in $(cat "$tmp/ls")"
hkt attach $pid -o "$tmp/attach.db" 2>"$tmp/attach.err"
check_eq "attach until the process exits: exit status" 0 $?
wait $pid
[ "$(q "$tmp/attach.db" "SELECT events FROM runs")" -gt 0 ] && ok "attach stored events" || bad "attach stored nothing: $(cat "$tmp/attach.err")"
check_eq "attach: source" attach "$(q "$tmp/attach.db" "SELECT source FROM runs")"
check_eq "attach: rows = runs.events" "$(q "$tmp/attach.db" "SELECT events FROM runs")" \
    "$(q "$tmp/attach.db" "SELECT count(*) FROM events")"
hkt attach $pid -o "$tmp/x.db" 2>"$tmp/gone.err"
check_eq "attach to a process that is gone: exit status" 1 $?
check_eq "attach to a gone process: one line" 1 "$(wc -l <"$tmp/gone.err")"

# ls --clean: the segment of a killed process is removed, a live one is kept.
mkdir "$tmp/shm"
HAKMEM_TRACE="$tmp/shm/hakmem.dead" LD_PRELOAD=$HK_LIB "$ex/phases" 100000 1000 >/dev/null &
dead=$!
HAKMEM_TRACE="$tmp/shm/hakmem.live" LD_PRELOAD=$HK_LIB "$ex/phases" 100000 1000 >/dev/null &
live=$!
for i in $(seq 200); do # both headers written: ls lists both as alive
    [ "$("$HK_CLI" ls "$tmp/shm" 2>/dev/null | grep -c ' alive ')" = 2 ] && break
    sleep 0.05
done
kill -9 $dead
wait $dead 2>/dev/null
"$HK_CLI" ls --clean "$tmp/shm" >"$tmp/clean" 2>&1
grep -q "^$dead  *removed " "$tmp/clean" && [ ! -e "$tmp/shm/hakmem.dead" ] &&
    ok "ls --clean removed the killed process's segment" || bad "ls --clean: expected $dead removed, got $(cat "$tmp/clean")"
grep -q "^$live  *alive " "$tmp/clean" && [ -e "$tmp/shm/hakmem.live" ] &&
    ok "ls --clean kept the live one" || bad "ls --clean: expected $live alive and kept, got $(cat "$tmp/clean")"
kill $live
wait $live 2>/dev/null

# wait_run DB: until the recorder stores a run in DB (its signal handlers are in
# place by then), at most 20 s; a fixed sleep lost the race on a loaded machine
wait_run() {
    local i
    for i in $(seq 200); do
        [ "$(q "$1" "SELECT count(*) FROM runs" 2>/dev/null)" = 1 ] && return 0
        sleep 0.1
    done
    bad "no run in $1 after 20 s"
}

# Ctrl-C on attach: stops draining, the traced process runs on.
HAKMEM_TRACE=1 LD_PRELOAD=$HK_LIB "$ex/phases" 100000 1000 >/dev/null &
pid=$!
for i in $(seq 100); do [ -e /dev/shm/hakmem.$pid ] && break; sleep 0.05; done
HAKMEM_LIB_PATH=$HK_LIB "$HK_CLI" attach $pid -o "$tmp/int.db" 2>"$tmp/int.err" &
att=$!
wait_run "$tmp/int.db"
kill -INT $att
wait $att
check_eq "attach after Ctrl-C: exit status" 0 $?
kill -0 $pid 2>/dev/null && ok "the traced process runs on" || bad "the traced process died"
kill $pid
wait $pid 2>/dev/null
rm -f /dev/shm/hakmem.$pid # a killed process leaves its segment behind
grep -q "drained .* events" "$tmp/int.err" && ok "attach printed its summary" || bad "no summary: $(cat "$tmp/int.err")"
check_eq "attach after Ctrl-C: integrity" ok "$("$HK_CLI" query "$tmp/int.db" "PRAGMA integrity_check" --format csv | sed -n 2p | tr -d '\r')"

# Ctrl-C on record: passed on to the program, which ends; status 128 + 2.
HAKMEM_LIB_PATH=$HK_LIB "$HK_CLI" record -o "$tmp/rint.db" -- "$ex/phases" 100000 1000 >/dev/null 2>"$tmp/rint.err" &
rec=$!
wait_run "$tmp/rint.db"
kill -INT $rec
wait $rec
check_eq "record after Ctrl-C: exit status" 130 $?
grep -q "recorded .* events" "$tmp/rint.err" && ok "record printed its summary" || bad "no summary: $(cat "$tmp/rint.err")"
check_eq "record after Ctrl-C: exit_status stored" 130 "$(q "$tmp/rint.db" "SELECT exit_status FROM runs")"
rpid=$(q "$tmp/rint.db" "SELECT pid FROM runs")
ls /dev/shm/hakmem.$rpid* >/dev/null 2>&1 && bad "record left its segment behind" || ok "no segment left behind"

# exec: each image a run; a child process: a run of its own.
hkt record -o "$tmp/exec.db" -- sh -c "exec $ex/pinned" >/dev/null 2>&1
check_eq "sh -c exec pinned: exit status" 0 $?
check_eq "two images, two runs" 2 "$(q "$tmp/exec.db" "SELECT count(*) FROM runs")"
check_eq "the second image is pinned" pinned "$(q "$tmp/exec.db" "SELECT substr(exe, -6) FROM runs WHERE run_id = 2")"
check_eq "the last image has the exit status" 0 "$(q "$tmp/exec.db" "SELECT exit_status FROM runs WHERE run_id = 2")"
hkt record -o "$tmp/fork.db" -- sh -c "$ex/pinned >/dev/null; exit 3" >/dev/null 2>&1
check_eq "sh -c 'pinned; exit 3': exit status" 3 $?
check_eq "the child process is recorded" "2 dash pinned" \
    "$(q "$tmp/fork.db" "SELECT count(*) || ' ' || group_concat(replace(exe, rtrim(exe, replace(exe, '/', '')), ''), ' ') FROM runs")"
check_eq "the shell's run has its exit status" 3 "$(q "$tmp/fork.db" "SELECT exit_status FROM runs WHERE run_id = 1")"

# --stacks: frames with function names behind stage-3 acquisitions.
hkt record --stacks -o "$tmp/stacks.db" -- "$ex/pinned" >/dev/null 2>&1
check_eq "record --stacks: exit status" 0 $?
[ "$(q "$tmp/stacks.db" "SELECT count(*) FROM frames WHERE function = 'main'")" -gt 0 ] \
    && ok "frames name main" || bad "expected a frame in main"
"$HK_CLI" report "$tmp/stacks.db" | grep -q "^Stacks behind new SuperSlabs" && ok "report shows the stacks" || bad "report: no stacks section"
exit $fail
