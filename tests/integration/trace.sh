#!/bin/bash
# trace.sh — events are true: on pinned, phases and bench_random_mixed the
# ring's ss_map/LRU/EMPTY counts equal the allocator's own stats (and strace).
set -eu
[ -n "${HK_LIB:-}" ] && [ -n "${HK_EXAMPLES:-}" ] && [ -n "${HK_TESTS:-}" ] || { echo "HK_LIB/HK_EXAMPLES/HK_TESTS unset: skip"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

stat_of() { # summary-file regex → the number after it
    sed -n "s/.*$2 \([0-9][0-9]*\).*/\1/p" "$1" | head -1
}

check_eq() { # what expected got
    if [ "$2" = "$3" ]; then echo "ok: $1 = $2"; else echo "FAIL: $1: expected $2 (stats), got $3 (trace)"; fail=1; fi
}

run_case() { # name program args...
    local name=$1 seg=$tmp/$1.seg
    shift
    HAKMEM_TRACE=$seg HAKMEM_TRACE_KEEP=1 HAKMEM_STATS=1 LD_PRELOAD=$HK_LIB "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    "$HK_TESTS/trace_count" "$seg" >"$tmp/$name.count"
    local s=$tmp/$name.err c=$tmp/$name.count
    echo "== $name: $*"
    check_eq "$name dropped" 0 "$(stat_of "$c" dropped)"
    check_eq "$name delivered = written" "$(stat_of "$c" written)" "$(stat_of "$c" delivered)"
    check_eq "$name ss_map" "$(sed -n 's/^SuperSlabs: \([0-9]*\) mapped.*/\1/p' "$s")" "$(stat_of "$c" ss_map)"
    check_eq "$name ss_unmap" "$(sed -n 's/^SuperSlabs: .*, \([0-9]*\) unmapped.*/\1/p' "$s")" "$(stat_of "$c" ss_unmap)"
    check_eq "$name lru_push" "$(stat_of "$s" 'push')" "$(stat_of "$c" lru_push)"
    check_eq "$name lru_pop_hit" "$(stat_of "$s" 'pop hit')" "$(stat_of "$c" lru_pop_hit)"
    check_eq "$name lru_pop_miss" "$(stat_of "$s" 'pop miss')" "$(stat_of "$c" lru_pop_miss)"
    check_eq "$name slab_empty" "$(stat_of "$s" 'EMPTY transitions:')" "$(stat_of "$c" slab_empty)"
    check_eq "$name slab_release" "$(stat_of "$s" 'slabs released:')" "$(stat_of "$c" slab_release)"
}

run_case pinned "$HK_EXAMPLES/pinned"
HAKMEM_SS_EMPTY_REUSE=0 run_case pinned_reuse0 "$HK_EXAMPLES/pinned"
run_case phases "$HK_EXAMPLES/phases" 100000 3
run_case bench "$HK_EXAMPLES/bench_random_mixed" 100000 256 42

# Stacks: every ss_map and lru_pop_miss carries a stack id, and the stack
# table's frames fall inside the module map (they can be symbolised).
seg=$tmp/stacks.seg
HAKMEM_TRACE=$seg HAKMEM_TRACE_KEEP=1 HAKMEM_TRACE_STACKS=1 LD_PRELOAD=$HK_LIB "$HK_EXAMPLES/pinned" >/dev/null
"$HK_TESTS/trace_count" "$seg" >"$tmp/stacks.count"
c=$tmp/stacks.count
echo "== stacks: pinned with HAKMEM_TRACE_STACKS=1"
check_eq "ss_map events with a stack" "$(stat_of "$c" ss_map)" "$(stat_of "$c" ss_map_with_stack)"
check_eq "lru_pop_miss events with a stack" "$(stat_of "$c" lru_pop_miss)" "$(stat_of "$c" lru_pop_miss_with_stack)"
check_eq "frames inside the module map" "$(stat_of "$c" frames)" "$(stat_of "$c" frames_in_modules)"
[ "$(stat_of "$c" stacks)" -ge 1 ] || { echo "FAIL: no stack interned"; fail=1; }

# strace: SuperSlab maps are anonymous mmap calls of 2 MiB (hinted) or 4 MiB (over-map,
# then trimmed), large maps of whole 2 MiB chunks (hinted, or 2 MiB more when over-mapped):
# each is one anonymous mmap of a multiple of 2 MiB, and nothing else of hakmem's is.
if command -v strace >/dev/null; then
    seg=$tmp/strace.seg
    strace -f -qq -e trace=mmap -o "$tmp/strace.out" -E "LD_PRELOAD=$HK_LIB" -E "HAKMEM_TRACE=$seg" \
        -E HAKMEM_TRACE_KEEP=1 "$HK_EXAMPLES/pinned" >/dev/null
    maps=$(awk '/MAP_ANONYMOUS/ && match($0, /mmap\([^,]*, [0-9]+,/) {
        n = substr($0, RSTART, RLENGTH); sub(/.*, /, "", n); sub(/,$/, "", n)
        if (n % 2097152 == 0) c++ } END { print c + 0 }' "$tmp/strace.out")
    "$HK_TESTS/trace_count" "$seg" >"$tmp/strace.count"
    check_eq "pinned ss_map + large_map vs strace mmap" "$maps" \
        "$(($(stat_of "$tmp/strace.count" ss_map) + $(stat_of "$tmp/strace.count" large_map)))"
else
    echo "strace not installed: the strace comparison is skipped"
fi
exit $fail
