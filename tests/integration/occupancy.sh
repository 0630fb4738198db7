#!/bin/bash
# occupancy.sh — the segment's occupancy table, read from another process
# while the traced one runs, matches its hakmem_stats_get() and is fresh.
set -eu
[ -n "${HK_TESTS:-}" ] || { echo "HK_TESTS unset: skip"; exit 77; }
tmp=$(mktemp -d)
seg=$tmp/seg
fifo=$tmp/fifo
mkfifo "$fifo"
cleanup() { exec 3>&- 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
HAKMEM_TRACE=$seg "$HK_TESTS/occupancy_target" <"$fifo" >"$tmp/stats" &
pid=$!
exec 3>"$fifo"
for _ in $(seq 100); do [ -s "$tmp/stats" ] && break; sleep 0.05; done
sleep 0.2 # longer than the sampler's 50 ms period
# The freshest of three reads: a loaded machine may delay one sampler tick.
best=999
for _ in 1 2 3; do
    "$HK_TESTS/trace_count" --occupancy "$seg" >"$tmp/occ.try"
    a=$(sed -n 's/.*age_ms \([0-9]*\).*/\1/p' "$tmp/occ.try")
    if [ "$a" -lt "$best" ]; then best=$a; cp "$tmp/occ.try" "$tmp/occ"; fi
    sleep 0.03
done
exec 3>&-
wait "$pid"
fail=0
grep -q "^class 1 slabs" "$tmp/stats" || { echo "FAIL: target printed no class 1 line"; fail=1; }
for cls in 1 11; do
    want=$(grep "^class $cls " "$tmp/stats" || true)
    got=$(grep "^class $cls " "$tmp/occ" || true)
    if [ -n "$want" ] && [ "$want" = "$got" ]; then echo "ok: $want"; else echo "FAIL: class $cls: expected '$want' (hakmem_stats_get), got '$got' (segment)"; fail=1; fi
done
age=$(sed -n 's/.*age_ms \([0-9]*\).*/\1/p' "$tmp/occ")
if [ "${age:-999}" -le 100 ]; then echo "ok: snapshot age ${age} ms <= 100"; else echo "FAIL: snapshot age ${age:-?} ms, expected <= 100"; fail=1; fi
exit $fail
