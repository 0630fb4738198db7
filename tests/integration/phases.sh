#!/bin/bash
# tests/integration/phases.sh — fill / free-all / refill rounds under hakmem: rounds after
# the first must be served from recycled slabs and the LRU, with no new maps. Exit 0 / 1 / 77.
set -eu

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -n "${HK_LIB:-}" ] || skip "HK_LIB is not set (expected the path of libhakmem.so)"
[ -f "$HK_LIB" ] || fail "HK_LIB=$HK_LIB: expected a built libhakmem.so, got no such file"
prog=${HK_EXAMPLES:-}/phases
[ -x "$prog" ] || skip "$prog not built (HK_EXAMPLES=${HK_EXAMPLES:-unset})"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "check: phases 200000 3 under hakmem reports refill_new_maps=0"
rc=0
timeout 300 env LD_PRELOAD="$HK_LIB" "$prog" 200000 3 >"$tmp/out" 2>"$tmp/err" || rc=$?
cat "$tmp/out"
if [ "$rc" -ne 0 ]; then
    echo "stderr:"; tail -n 20 "$tmp/err"
    fail "phases 200000 3: expected exit 0, got $rc"
fi
n=$(sed -n 's/^phases: rounds=[0-9]* refill_new_maps=\([0-9][0-9]*\)$/\1/p' "$tmp/out")
[ -n "$n" ] || fail "expected a 'phases: rounds=3 refill_new_maps=N' line, got: $(tail -n 1 "$tmp/out") (is HK_LIB hakmem?)"
[ "$n" -eq 0 ] || fail "expected refill_new_maps=0 (rounds 2-3 recycle), got refill_new_maps=$n"
echo "PASS"
