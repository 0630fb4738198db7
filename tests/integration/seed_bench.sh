#!/bin/bash
# tests/integration/seed_bench.sh — the seed's benchmark under hakmem: at most 2 SuperSlab
# maps (the seed saw 400+), and the seed's [SS_LRU_INIT] debug line. Exit 0 / 1 / 77.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_example bench_random_mixed
bench=$example

# run TAG [VAR=VALUE...]: the benchmark under hakmem, output in $tmp/TAG.{out,err}.
run() {
    local tag=$1 rc=0
    shift
    timeout 120 env LD_PRELOAD="$HK_LIB" "$@" "$bench" 100000 256 42 \
        >"$tmp/$tag.out" 2>"$tmp/$tag.err" || rc=$?
    cat "$tmp/$tag.out"
    if [ "$rc" -ne 0 ]; then
        echo "stderr ($tag):"; tail -n 20 "$tmp/$tag.err"
        fail "bench_random_mixed 100000 256 42 ($tag): expected exit 0, got $rc"
    fi
}

echo "check: bench_random_mixed 100000 256 42 maps at most 2 SuperSlabs"
run plain
maps=$(sed -n 's/^hakmem:.* ss_maps=\([0-9][0-9]*\).*/\1/p' "$tmp/plain.out")
[ -n "$maps" ] || fail "expected a 'hakmem: ss_maps=N ...' line on stdout (is HK_LIB hakmem?), got none"
[ "$maps" -le 2 ] || fail "expected ss_maps <= 2, got ss_maps=$maps"
echo "  ok: ss_maps=$maps"

want='[SS_LRU_INIT] max_cached=256 max_memory_mb=512 ttl_sec=60'
echo "check: HAKMEM_SS_LRU_DEBUG=1 HAKMEM_SS_FREE_DEBUG=1 prints '$want'"
run debug HAKMEM_SS_LRU_DEBUG=1 HAKMEM_SS_FREE_DEBUG=1
if ! awk -v w="$want" 'index($0, w) == 1 { found = 1 } END { exit !found }' "$tmp/debug.err"; then
    echo "stderr (debug), first lines:"; head -n 10 "$tmp/debug.err"
    fail "expected a stderr line starting with '$want', got none"
fi
for tag in '[LRU_POP]' '[LRU_PUSH]' '[SS_FREE]' '[EMPTY detected]'; do
    echo "  $tag lines: $(grep -cF -- "$tag" "$tmp/debug.err" || true)"
done
echo "PASS"
