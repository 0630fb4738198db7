#!/bin/bash
# replay_live.sh — replay equals live: for real programs recorded under LD_PRELOAD in a
# lossless ring larger than all their events (so nothing can be dropped), the counters
# rebuilt from the stored events with hakmem_counters_apply equal the counters the
# process ended with (run_counters, its hakmem_stats_get() at exit), field by field
# (tests/cli/replay_counters, which lists the fields no event carries: large_reuse,
# large_remaps). Between them the runs exercise every event type.
set -u
. "$(dirname "$0")/common.sh"
need_lib
cmp_bin=${HK_BUILD:-.}/tests/cli/replay_counters
[ -x "$cmp_bin" ] || skip "$cmp_bin not built"
T=${HK_TESTS:-./tests}
E=$HK_EXAMPLES
seen=$tmp/seen

# replay NAME [ENV=V...] -- PROGRAM [ARGS...]: record PROGRAM into its own database and
# compare; the fields that were non-zero and equal go to $seen.
replay() {
    local name=$1 db=$tmp/$1.db
    shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    [ -x "$1" ] || { bad "$name: $1 not built"; return; }
    env ${envs[@]+"${envs[@]}"} HAKMEM_LIB_PATH="$HK_LIB" "$HK_CLI" record --mode lossless \
        --events 4194304 -o "$db" -- "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
    check_eq "$name: record exit status" 0 $?
    check_eq "$name: events dropped or lost" 0 "$(q "$db" "SELECT dropped + lost FROM runs WHERE run_id = 1")"
    "$cmp_bin" "$db" 1 >"$tmp/$name.cmp" 2>&1
    local st=$?
    if [ $st -eq 0 ]; then
        ok "$name: $(tail -1 "$tmp/$name.cmp") ($(head -1 "$tmp/$name.cmp" | sed 's/^run 1: //'))"
    else
        bad "$name: replayed counters differ from the live ones (exit $st):"
        grep -v '^equal\|^not derivable' "$tmp/$name.cmp" | sed 's/^/    | /'
    fi
    awk '$1 == "equal" && $4 != "0" { print $2 }' "$tmp/$name.cmp" >>"$seen"
}

: >"$seen"
replay fill_free -- "$T/fill_free" 64                      # maps, trims, large, stages 0-3
replay pinned -- "$E/pinned"                               # EMPTY by class, stage 0.5
replay phases HAKMEM_SS_LRU_MAX_CACHED=1 -- "$E/phases"    # LRU push, pop hit, evict (count)
replay thread_churn -- "$E/thread_churn"                   # threads started and exited
replay heap_errors HAKMEM_ON_ERROR=report -- "$T/heap_errors" double tiny
replay large_errors HAKMEM_ON_ERROR=report -- "$T/heap_errors" double large  # large unmaps

# Each event type was compared with a non-zero count somewhere.
for f in ss_maps ss_map_bytes ss_trims ss_unmaps large_maps large_map_bytes large_unmaps \
         lru_push lru_pop_hit lru_pop_miss lru_evict lru_evict_count empty slab_release \
         'stage_hit\[0\]' 'stage_hit\[1\]' 'stage_miss\[0\]' threads_started threads_exited \
         'class_empty\[[0-9]*\]' heap_errors; do
    grep -qx "$f" "$seen" && ok "compared non-zero somewhere: $f" \
        || bad "no run compared a non-zero $f (the workloads no longer exercise it?)"
done
exit $fail
