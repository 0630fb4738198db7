#!/bin/bash
# tests/integration/phases.sh — fill / free-all / refill rounds under hakmem: rounds after
# the first must be served from recycled slabs and the LRU, with no new maps. Exit 0 / 1 / 77.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_example phases
prog=$example

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

echo "check: phases 200000 1 2 with HAKMEM_SS_LRU_TTL_SEC=1: idle, the cached SuperSlabs are unmapped"
timeout 300 env LD_PRELOAD="$HK_LIB" HAKMEM_SS_LRU_TTL_SEC=1 "$prog" 200000 1 2 >"$tmp/idle" 2>"$tmp/err" ||
    fail "phases 200000 1 2: expected exit 0, got $? ($(tail -n 3 "$tmp/err"))"
cat "$tmp/idle"
full=$(sed -n 's/^round 1: .*rss_full_kb=\([0-9]*\).*/\1/p' "$tmp/idle")
line=$(grep '^idle ' "$tmp/idle") || fail "expected an 'idle N s: ...' line"
[[ $line =~ rss_kb=([0-9]+)\ ss_cached=([0-9]+)\ lru_evict_ttl=([0-9]+) ]] ||
    fail "expected rss_kb=, ss_cached= and lru_evict_ttl= in: $line"
rss=${BASH_REMATCH[1]} cached=${BASH_REMATCH[2]} ttl=${BASH_REMATCH[3]}
[ "$cached" -eq 0 ] || fail "2 s idle with a 1 s TTL: expected 0 SuperSlabs cached, got $cached"
[ "$ttl" -gt 0 ] || fail "2 s idle with a 1 s TTL: expected TTL evictions, got 0"
[ "$rss" -lt $((full / 4)) ] ||
    fail "2 s idle with a 1 s TTL: expected RSS under a quarter of the full ${full} KiB, got ${rss} KiB"
echo "PASS"
