#!/bin/bash
# seed_lru.sh — the seed's benchmark `bench_random_mixed 100000 256 42` recorded with
# HAKMEM_SS_LRU_DEBUG=1 and HAKMEM_SS_FREE_DEBUG=1: the database's LRU and EMPTY counts
# equal the [LRU_...] and [EMPTY detected] lines the allocator printed.
set -u
. "$(dirname "$0")/common.sh"
need_lib
db=$tmp/seed.db
HAKMEM_SS_LRU_DEBUG=1 HAKMEM_SS_FREE_DEBUG=1 hkt record -o "$db" -- \
    "$HK_EXAMPLES/bench_random_mixed" 100000 256 42 >/dev/null 2>"$tmp/err"
check_eq "record bench_random_mixed: exit status" 0 $?
lines() { grep -c "$1" "$tmp/err"; }
check_eq "[LRU_PUSH] lines = lru_push" "$(lines '^\[LRU_PUSH\]')" "$(q "$db" "SELECT coalesce(sum(push), 0) FROM report_lru WHERE run_id = :run")"
check_eq "[LRU_POP] hit lines = lru_pop_hit" "$(lines '^\[LRU_POP\].*(hit)')" "$(q "$db" "SELECT coalesce(sum(pop_hit), 0) FROM report_lru WHERE run_id = :run")"
check_eq "[LRU_POP] miss lines = lru_pop_miss" "$(lines '^\[LRU_POP\].*(miss)')" "$(q "$db" "SELECT coalesce(sum(pop_miss), 0) FROM report_lru WHERE run_id = :run")"
check_eq "[LRU_EVICT] lines = lru_evict" "$(lines '^\[LRU_EVICT\]')" "$(q "$db" "SELECT coalesce(sum(evict), 0) FROM report_lru WHERE run_id = :run")"
check_eq "[EMPTY detected] lines = slab_empty" "$(lines '^\[EMPTY detected\]')" "$(q "$db" "SELECT count(*) FROM ev WHERE run_id = :run AND event = 'slab_empty'")"
pops=$(lines '^\[LRU_POP\]')
[ "$pops" -gt 0 ] && ok "the benchmark popped the LRU $pops times" || bad "expected [LRU_POP] lines, got none"
# per class: each [LRU_POP] line names its class
grep '^\[LRU_POP\]' "$tmp/err" | sed 's/.*class=\([0-9]*\) (\([a-z]*\)).*/\1 \2/' | sort | uniq -c >"$tmp/byclass"
while read -r n cls how; do
    col=pop_$how
    check_eq "[LRU_POP] class $cls $how" "$n" "$(q "$db" "SELECT $col FROM report_lru_class WHERE run_id = :run AND class = $cls")"
done <"$tmp/byclass"
"$HK_CLI" report "$db" >"$tmp/report"
check_eq "report: exit status" 0 $?
grep -q "^  push $(lines '^\[LRU_PUSH\]'), pop hit $(lines '(hit)'), pop miss $(lines '(miss)')" "$tmp/report" \
    && ok "report's LRU line" || bad "report's LRU line: $(grep '^  push' "$tmp/report")"
exit $fail
