#!/bin/bash
# tests/integration/log.sh — HAKMEM_LOG=PATH (%p the pid): the HAKMEM_STATS=1 table,
# the debug lines, option warnings and heap-error reports go to that file, not
# stderr, even from programs that close stderr at exit (sort) or close every
# descriptor they did not open; a bad path is one line on stderr. Exit 0 / 1 / 77.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_command sort
[ -x "${HK_TESTS:-}/close_fds" ] || skip "tests/close_fds not built (HK_TESTS=${HK_TESTS:-unset})"
[ -x "${HK_TESTS:-}/heap_errors" ] || skip "tests/heap_errors not built (HK_TESTS=${HK_TESTS:-unset})"

# the_log TAG: the one file $tmp/TAG.*.log, named by the pid of the program; $pid is that pid.
the_log() {
    local files=("$tmp/$1".*.log)
    [ "${#files[@]}" -eq 1 ] && [ -f "${files[0]}" ] ||
        fail "$1: expected one log file $tmp/$1.<pid>.log, got: ${files[*]}"
    log=${files[0]}
    pid=${log#"$tmp/$1."}
    pid=${pid%.log}
    [[ $pid =~ ^[0-9]+$ ]] || fail "$1: expected %p replaced by a pid in $log, got '$pid'"
}

# has_table TAG COMMAND: the log's stats table names pid $pid and COMMAND in its first line.
has_table() {
    local first
    first=$(grep -m1 '^hakmem stats' "$log" || true)
    if [ "$first" = "" ] || ! [[ $first == "hakmem stats: pid $pid: "*"$2"* ]]; then
        echo "$log:"; head -n 5 "$log"
        fail "$1: expected a first table line 'hakmem stats: pid $pid: ...$2...', got '$first'"
    fi
    grep -q '^SuperSlabs: ' "$log" || fail "$1: expected the table's SuperSlabs line in $log"
}

printf 'pear\napple\nfig\n' >"$tmp/in.txt"

echo "check: sort (closes stderr at exit) with HAKMEM_STATS=1 HAKMEM_LOG=$tmp/sort.%p.log"
HAKMEM_STATS=1 HAKMEM_LOG="$tmp/sort.%p.log" LD_PRELOAD="$HK_LIB" sort "$tmp/in.txt" \
    >"$tmp/sort.out" 2>"$tmp/sort.err"
[ "$(tr '\n' ' ' <"$tmp/sort.out")" = "apple fig pear " ] || fail "sort: expected sorted output, got $(cat "$tmp/sort.out")"
the_log sort
has_table sort "sort $tmp/in.txt"
[ ! -s "$tmp/sort.err" ] || { cat "$tmp/sort.err"; fail "sort: expected nothing on stderr, got the above"; }
echo "  ok: $(head -n 1 "$log")"

echo "check: a program that closes fd 2 and fds 3..255 still gets its table in the log"
HAKMEM_STATS=1 HAKMEM_LOG="$tmp/close.%p.log" LD_PRELOAD="$HK_LIB" "$HK_TESTS/close_fds" 2>"$tmp/close.err"
the_log close
has_table close close_fds
echo "  ok"

echo "check: debug lines and option warnings go to the log, not stderr"
HAKMEM_SS_LRU_DEBUG=1 HAKMEM_STATS=yes HAKMEM_LOG="$tmp/debug.%p.log" LD_PRELOAD="$HK_LIB" \
    sort "$tmp/in.txt" >/dev/null 2>"$tmp/debug.err"
the_log debug
grep -q '^\[SS_LRU_INIT\] max_cached=256 ' "$log" || { cat "$log"; fail "expected [SS_LRU_INIT] in the log, got the above"; }
grep -q '^hakmem: HAKMEM_STATS=yes is not valid' "$log" || { cat "$log"; fail "expected the HAKMEM_STATS=yes warning in the log, got the above"; }
if grep -q '^hakmem stats' "$log"; then fail "HAKMEM_STATS=yes: expected no table (the default 0 kept)"; fi
[ ! -s "$tmp/debug.err" ] || { cat "$tmp/debug.err"; fail "expected nothing on stderr, got the above"; }
echo "  ok"

echo "check: a heap-error report goes to the log"
rc=0
HAKMEM_ON_ERROR=report HAKMEM_LOG="$tmp/err.%p.log" LD_PRELOAD="$HK_LIB" "$HK_TESTS/heap_errors" double tiny \
    >/dev/null 2>"$tmp/err.err" || rc=$?
the_log err
grep -q '^hakmem: ERROR: double free of 0x' "$log" || { cat "$log"; fail "expected the double-free report in the log, got the above (exit $rc)"; }
if grep -q 'hakmem: ERROR' "$tmp/err.err"; then fail "expected no report on stderr, got: $(cat "$tmp/err.err")"; fi
echo "  ok"

echo "check: a log in a missing folder is one line on stderr, and the table stays on stderr"
HAKMEM_STATS=1 HAKMEM_LOG="$tmp/no/such/x.log" LD_PRELOAD="$HK_LIB" "$HK_EXAMPLES/phases" 1000 1 \
    >/dev/null 2>"$tmp/bad.err" || true
n=$(grep -c 'HAKMEM_LOG' "$tmp/bad.err" || true)
[ "$n" -eq 1 ] || { cat "$tmp/bad.err"; fail "expected one stderr line naming HAKMEM_LOG, got $n"; }
grep -q '^hakmem stats: pid [0-9]*: ' "$tmp/bad.err" || { cat "$tmp/bad.err"; fail "expected the table on stderr, got the above"; }
[ ! -e "$tmp/no" ] || fail "expected nothing created at $tmp/no"
echo "  ok"
echo "PASS"
