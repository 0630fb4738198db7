#!/bin/bash
# tests/integration/pinned.sh — the seed's pathology: with slab-granularity EMPTY reuse the
# 256 B phase needs no new SuperSlab; with HAKMEM_SS_EMPTY_REUSE=0 it does. Exit 0 / 1 / 77.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_example pinned
prog=$example

# run TAG [VAR=VALUE...]: pinned under hakmem; sets new_maps and s05 from its report.
run() {
    local tag=$1 rc=0
    shift
    timeout 120 env LD_PRELOAD="$HK_LIB" "$@" "$prog" >"$tmp/$tag.out" 2>"$tmp/$tag.err" || rc=$?
    cat "$tmp/$tag.out"
    if [ "$rc" -ne 0 ]; then
        echo "stderr ($tag):"; tail -n 20 "$tmp/$tag.err"
        fail "pinned ($tag): expected exit 0, got $rc"
    fi
    local line
    line=$(grep '^pinned: phase1 maps=' "$tmp/$tag.out" || true)
    [ -n "$line" ] || fail "pinned ($tag): expected a 'pinned: phase1 maps=A phase2 new_maps=B stage0_5_hits=C' line, got none (is HK_LIB hakmem?)"
    new_maps=$(echo "$line" | sed -n 's/.* new_maps=\([0-9][0-9]*\).*/\1/p')
    s05=$(echo "$line" | sed -n 's/.* stage0_5_hits=\([0-9][0-9]*\).*/\1/p')
    if [ -z "$new_maps" ] || [ -z "$s05" ]; then
        fail "pinned ($tag): expected numbers for new_maps and stage0_5_hits, got '$line'"
    fi
}

echo "check: default policy: phase 2 reuses EMPTY slabs (new_maps=0, stage0_5_hits>0)"
run default
[ "$new_maps" -eq 0 ] || fail "default policy: expected phase2 new_maps=0, got new_maps=$new_maps"
[ "$s05" -gt 0 ] || fail "default policy: expected stage0_5_hits > 0, got stage0_5_hits=$s05"
echo "  ok"

echo "check: HAKMEM_SS_EMPTY_REUSE=0 (the seed's behaviour): phase 2 maps new SuperSlabs"
run seed HAKMEM_SS_EMPTY_REUSE=0
[ "$new_maps" -gt 0 ] || fail "HAKMEM_SS_EMPTY_REUSE=0: expected phase2 new_maps > 0, got new_maps=$new_maps"
echo "  ok"
echo "PASS"
