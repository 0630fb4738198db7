#!/bin/bash
# follow.sh — `record` follows fork+exec: a shell running three allocating programs
# gives four runs with their parent pids and nothing on stderr but record's summaries;
# --no-follow records the shell alone; the command line keeps its quoting; runs.options
# holds the settings in effect; report --pid / --exe pick the run, and without them a
# file of several runs lists them and reports the one that mapped the most; a process
# ended by _exit leaves a segment that ls --clean removes; ls of a missing directory.
set -u
. "$(dirname "$0")/common.sh"
need_lib
ex=$HK_EXAMPLES
db=$tmp/tree.db

HAKMEM_LIB_PATH=$HK_LIB "$HK_CLI" record -o "$db" -- \
    sh -c "$ex/phases 1000 1; $ex/phases 1000 1; $ex/pinned 1" >/dev/null 2>"$tmp/tree.err" &
rec=$!
wait $rec
check_eq "record of a shell running three programs: exit status" 0 $?
check_eq "four runs: the shell and its three children" \
    "dash phases phases pinned" \
    "$(q "$db" "SELECT group_concat(replace(exe, rtrim(exe, replace(exe, '/', '')), ''), ' ') FROM (SELECT exe FROM runs ORDER BY run_id)")"
sh=$(q "$db" "SELECT pid FROM runs WHERE run_id = 1")
check_eq "the shell's parent is the recorder" "$rec" "$(q "$db" "SELECT ppid FROM runs WHERE run_id = 1")"
check_eq "each child's parent is the shell" "$sh $sh $sh" \
    "$(q "$db" "SELECT group_concat(ppid, ' ') FROM (SELECT ppid FROM runs WHERE run_id > 1 ORDER BY run_id)")"
check_eq "every child run has events" 3 "$(q "$db" "SELECT count(*) FROM runs WHERE run_id > 1 AND events > 0")"
check_eq "the shell's run has the exit status" 0 "$(q "$db" "SELECT exit_status FROM runs WHERE run_id = 1")"
extra=$(grep -v "^hakmem-trace: recorded " "$tmp/tree.err")
check_eq "stderr: only record's summary lines" "" "$extra"
check_eq "four summary lines" 4 "$(grep -c "^hakmem-trace: recorded " "$tmp/tree.err")"
left=$(for p in $(q "$db" "SELECT group_concat(pid, ' ') FROM runs"); do ls /dev/shm/hakmem.$p* 2>/dev/null; done)
check_eq "no segment of the tree left in /dev/shm" "" "$left"

# --no-follow: the shell's image only, its child untraced and silent
hkt record --no-follow -o "$tmp/one.db" -- sh -c "$ex/pinned 1 >/dev/null; true" >/dev/null 2>"$tmp/one.err"
check_eq "record --no-follow: exit status" 0 $?
check_eq "record --no-follow: one run" 1 "$(q "$tmp/one.db" "SELECT count(*) FROM runs")"
check_eq "record --no-follow: stderr only the summary" "" "$(grep -v "^hakmem-trace: recorded " "$tmp/one.err")"

# the stored command line keeps its quoting; options hold the settings in effect
hkt record -o "$tmp/q.db" -- sh -c 'echo a b' >/dev/null 2>&1
check_eq "argv quoted as sh reads it" "sh -c 'echo a b'" "$(q "$tmp/q.db" "SELECT argv FROM runs")"
# (HAKMEM_GUARD_SAMPLE=0 is the tests' environment, Makefile.am)
check_eq "options: record's ring default and the mode" \
    "HAKMEM_TRACE_MODE=lossless HAKMEM_TRACE_EVENTS=1048576 HAKMEM_TRACE_STACKS=0" \
    "$(q "$tmp/q.db" "SELECT trim(replace(options, 'HAKMEM_GUARD_SAMPLE=0', '')) FROM runs")"
hkt record --mode overwrite --events 5000 -o "$tmp/o.db" -- "$ex/pinned" 1 >/dev/null 2>&1
check_eq "options: --events 5000 is the ring of 8192 it ran with" \
    "HAKMEM_TRACE_MODE=overwrite HAKMEM_TRACE_EVENTS=8192 HAKMEM_TRACE_STACKS=0" \
    "$(q "$tmp/o.db" "SELECT trim(replace(options, 'HAKMEM_GUARD_SAMPLE=0', '')) FROM runs")"

# report picks a run: --pid, --exe; several runs: listed, the one that mapped most
pinned=$(q "$db" "SELECT pid FROM runs WHERE run_id = 4")
"$HK_CLI" report "$db" --pid "$pinned" >"$tmp/r.pid"
check_eq "report --pid: the run of that pid" "run 4:" "$(grep -o '^run [0-9]*:' "$tmp/r.pid")"
"$HK_CLI" report "$db" --exe sh >"$tmp/r.sh"
check_eq "report --exe sh: the shell's run" "run 1:" "$(grep -o '^run [0-9]*:' "$tmp/r.sh")"
"$HK_CLI" report "$db" --exe pinned >"$tmp/r.exe"
check_eq "report --exe pinned: its run, no list" "run 4: 0" \
    "$(grep -o '^run [0-9]*:' "$tmp/r.exe") $(grep -c '^ *RUN ' "$tmp/r.exe")"
"$HK_CLI" report "$db" >"$tmp/r.all"
check_eq "report of four runs: lists them, the chosen one marked" "4 4" \
    "$(sed '/^4 runs;/q' "$tmp/r.all" | grep -c '^ *[1-4]  *[0-9]') $(grep -o '^ *[0-9]*' <<<"$(grep -e '<- reported' "$tmp/r.all")" | tr -d ' ')"
grep -q "^4 runs; reporting run 4, the one that mapped the most memory" "$tmp/r.all" \
    && ok "report says which run it chose" || bad "report: no choice line in $(head -6 "$tmp/r.all")"
"$HK_CLI" report "$db" --exe nosuch >/dev/null 2>"$tmp/r.err"
check_eq "report --exe of no run: exit status" 1 $?
check_eq "report --exe of no run: one line" 1 "$(wc -l <"$tmp/r.err")"
"$HK_CLI" diff "$db" --exe sh --pid "$pinned" >"$tmp/diff"
grep -q "^A: run 1: " "$tmp/diff" && grep -q "^B: run 4: " "$tmp/diff" \
    && ok "diff --exe / --pid" || bad "diff: expected runs 1 and 4, got $(head -3 "$tmp/diff")"

# a process that ends by _exit leaves its segment; ls --clean removes it
HAKMEM_TRACE=1 LD_PRELOAD=$HK_LIB "$ex/pinned" 1 >/dev/null &
pid=$!
wait $pid
[ -e /dev/shm/hakmem.$pid ] && bad "pinned (exit) left /dev/shm/hakmem.$pid" || ok "an exit removes its segment"
HAKMEM_TRACE=1 LD_PRELOAD=$HK_LIB python3 -c 'import os; os._exit(0)' &
pid=$!
wait $pid
[ -e /dev/shm/hakmem.$pid ] && ok "_exit left /dev/shm/hakmem.$pid" || bad "expected _exit to leave /dev/shm/hakmem.$pid"
"$HK_CLI" ls --clean >"$tmp/clean" 2>&1
grep -q "^$pid  *removed " "$tmp/clean" && [ ! -e /dev/shm/hakmem.$pid ] \
    && ok "ls --clean removed it" || bad "ls --clean: expected $pid removed, got $(grep "^$pid " "$tmp/clean")"

"$HK_CLI" ls "$tmp/nonexistent-dir" >/dev/null 2>"$tmp/ls.err"
check_eq "ls of a missing directory: exit status" 1 $?
check_eq "ls of a missing directory: one line naming it" 1 "$(grep -c "nonexistent-dir: no such directory" "$tmp/ls.err")"
exit $fail
