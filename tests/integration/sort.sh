#!/bin/bash
# tests/integration/sort.sh — sort and sort -n -k2 of a deterministic ~20 MB file must
# give byte-identical output with and without hakmem. Exit 0 / 1 / 77.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_command sort
need_command awk
export LC_ALL=C TMPDIR="$tmp" # -S 4M spills into temporary files here

# 450k lines "word number text": Park-Miller LCG, exact in awk's doubles.
awk 'BEGIN {
    x = 42
    for (i = 0; i < 450000; i++) {
        x = (x * 16807) % 2147483647; a = x
        x = (x * 16807) % 2147483647; b = x % 1000000
        printf "w%08x %d line-%d-%s\n", a, b, i, substr("abcdefghijklmnopqrstuvwxyz", 1 + a % 26)
    }
}' >"$tmp/in.txt"
lines=$(wc -l <"$tmp/in.txt")
echo "input: $lines lines, $(wc -c <"$tmp/in.txt") bytes"

# run TAG OUT [VAR=VALUE...] -- SORT-ARGS...: sort under env, output in $tmp/OUT.
run() {
    local tag=$1 out=$2 rc=0
    shift 2
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    timeout 300 env ${envs[@]+"${envs[@]}"} sort "$@" "$tmp/in.txt" \
        >"$tmp/$out" 2>"$tmp/$out.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "stderr ($tag):"; tail -n 20 "$tmp/$out.err"
        fail "sort $* ($tag): expected exit 0, got $rc"
    fi
}

# check NAME SORT-ARGS...: runs sort both ways and compares.
check() {
    local name=$1
    shift
    echo "check: sort${*:+ $*} gives identical output with and without hakmem"
    run ref "$name.ref" -- "$@"
    run hakmem "$name.hk" LD_PRELOAD="$HK_LIB" -- "$@"
    local got
    got=$(wc -l <"$tmp/$name.hk")
    [ "$got" -eq "$lines" ] || fail "sort $* under hakmem: expected $lines lines, got $got"
    if ! cmp "$tmp/$name.ref" "$tmp/$name.hk"; then
        fail "sort $* under hakmem: expected the same bytes as without, got the difference above"
    fi
    echo "  ok: $(cksum <"$tmp/$name.hk")"
}

check plain
check numeric -n -k2
check parallel --parallel=2 -S 4M -k1,1r
echo "PASS"
