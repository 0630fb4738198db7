#!/bin/bash
# tests/integration/env.sh — HAKMEM_* options: a bad value is named once on stderr and the
# default kept; HAKMEM_STATS=1 prints the SuperSlab summary; /bin/true runs. Exit 0 / 1 / 77.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_example bench_random_mixed
bench=$example

# run TAG [VAR=VALUE...]: a short benchmark under hakmem; must exit 0 and print its line.
run() {
    local tag=$1 rc=0
    shift
    timeout 60 env LD_PRELOAD="$HK_LIB" "$@" "$bench" 20000 64 7 \
        >"$tmp/$tag.out" 2>"$tmp/$tag.err" || rc=$?
    if [ "$rc" -ne 0 ] || ! grep -q '^bench_random_mixed: 20000 iters' "$tmp/$tag.out"; then
        echo "stdout ($tag):"; cat "$tmp/$tag.out"
        echo "stderr ($tag):"; tail -n 20 "$tmp/$tag.err"
        fail "bench_random_mixed ($tag): expected exit 0 and its result line, got exit $rc"
    fi
}

echo "check: HAKMEM_SS_LRU_MAX_CACHED=abc is named in one stderr line, the program runs"
run bad HAKMEM_SS_LRU_MAX_CACHED=abc
named=$(grep -c 'HAKMEM_SS_LRU_MAX_CACHED' "$tmp/bad.err" || true)
total=$(wc -l <"$tmp/bad.err")
if [ "$named" -ne 1 ] || [ "$total" -ne 1 ]; then
    echo "stderr:"; head -n 10 "$tmp/bad.err"
    fail "expected exactly 1 stderr line, naming HAKMEM_SS_LRU_MAX_CACHED; got $total lines, $named naming it"
fi
echo "  ok: $(cat "$tmp/bad.err")"

echo "check: with the bad value the default max_cached=256 is kept"
run bad_debug HAKMEM_SS_LRU_MAX_CACHED=abc HAKMEM_SS_LRU_DEBUG=1
if ! grep -q '^\[SS_LRU_INIT\] max_cached=256 ' "$tmp/bad_debug.err"; then
    echo "stderr:"; head -n 10 "$tmp/bad_debug.err"
    fail "expected '[SS_LRU_INIT] max_cached=256 ...' on stderr, got $(grep -F '[SS_LRU_INIT]' "$tmp/bad_debug.err" || echo 'no [SS_LRU_INIT] line')"
fi
echo "  ok"

echo "check: HAKMEM_STATS=1 prints a summary mentioning SuperSlab on stderr"
run stats HAKMEM_STATS=1
if ! grep -q 'SuperSlab' "$tmp/stats.err"; then
    echo "stderr:"; head -n 20 "$tmp/stats.err"
    fail "expected the word SuperSlab in the HAKMEM_STATS=1 summary on stderr, got the above"
fi
echo "  ok: $(wc -l <"$tmp/stats.err") lines of summary"

echo "check: /bin/true under hakmem exits 0"
rc=0
timeout 60 env LD_PRELOAD="$HK_LIB" /bin/true || rc=$?
[ "$rc" -eq 0 ] || fail "/bin/true under hakmem: expected exit 0, got $rc"
echo "  ok"
echo "PASS"
