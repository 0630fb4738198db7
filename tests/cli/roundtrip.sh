#!/bin/bash
# roundtrip.sh — allocator → ring → database with exact counts: for every run, the
# events in the database + dropped (+ lost in overwrite mode) equal the events the
# allocator produced, as its own HAKMEM_STATS=1 counters add them up; per type too.
set -u
. "$(dirname "$0")/common.sh"
need_lib

# produced STATSFILE: the sum of every counter that is an event, and per type into $tmp/want.*
produced() {
    local f=$1
    sed -n 's/^SuperSlabs: \([0-9]*\) mapped.*, \([0-9]*\) unmapped.*/ss_map \1\nss_unmap \2/p' "$f"
    sed -n 's/^LRU: push \([0-9]*\), pop hit \([0-9]*\), pop miss \([0-9]*\), evict \([0-9]*\).*/lru_push \1\nlru_pop_hit \2\nlru_pop_miss \3\nlru_evict \4/p' "$f"
    sed -n 's/^EMPTY transitions: \([0-9]*\), slabs released: \([0-9]*\).*/slab_empty \1\nslab_release \2/p' "$f"
    awk '/^stage +hit +miss/ {on = 1; next} on && NF == 3 {h += $2; m += $3; next} on {on = 0}
         END {print "slab_acquire", h; print "stage_miss", m}' "$f"
    sed -n 's/^large: \([0-9]*\) maps.*, \([0-9]*\) unmaps.*/large_map \1\nlarge_unmap \2/p' "$f"
    sed -n 's/^threads: \([0-9]*\) started, \([0-9]*\) exited.*/thread_start \1\nthread_exit \2/p' "$f"
}

# compare NAME DB RUN STATSFILE EXTRA_SQL: totals and per type
compare() {
    local name=$1 db=$2 run=$3 stats=$4
    produced "$stats" >"$tmp/$name.want"
    local want total events dropped lost
    want=$(awk '{s += $2} END {print s + 0}' "$tmp/$name.want")
    [ "$want" -gt 0 ] || { bad "$name: no HAKMEM_STATS summary to compare with"; return; }
    events=$(q "$db" "SELECT events FROM runs WHERE run_id = :run" "$run")
    dropped=$(q "$db" "SELECT dropped FROM runs WHERE run_id = :run" "$run")
    lost=$(q "$db" "SELECT lost FROM runs WHERE run_id = :run" "$run")
    check_eq "$name: rows in events = runs.events" "$events" \
        "$(q "$db" "SELECT count(*) FROM events WHERE run_id = :run" "$run")"
    check_eq "$name: events + dropped + lost = produced" "$want" $((events + dropped + lost))
    if [ "$dropped" = 0 ] && [ "$lost" = 0 ]; then
        while read -r type n; do
            check_eq "$name: $type" "$n" \
                "$(q "$db" "SELECT count(*) FROM ev WHERE run_id = :run AND event = '$type'" "$run")"
        done <"$tmp/$name.want"
    fi
    check_eq "$name: event_counts agree with events" "" \
        "$("$HK_CLI" query "$db" @check-counts --run "$run" --format csv | sed -n 2p)"
    check_eq "$name: slab_classes agree with slabs" "" \
        "$("$HK_CLI" query "$db" @check-slabs --run "$run" --format csv | sed -n 2p)"
}

ex=$HK_EXAMPLES
# Recorded live, lossless: nothing may be dropped with the default ring.
HAKMEM_STATS=1 hkt record -o "$tmp/rt.db" -- "$ex/phases" 100000 3 >/dev/null 2>"$tmp/phases.err"
check_eq "record phases: exit status" 0 $?
compare "record phases" "$tmp/rt.db" 1 "$tmp/phases.err"
check_eq "record phases: dropped" 0 "$(q "$tmp/rt.db" "SELECT dropped FROM runs WHERE run_id = 1")"

HAKMEM_STATS=1 hkt record -o "$tmp/rt.db" --events 1024 -- "$ex/bench_random_mixed" 100000 256 42 \
    >/dev/null 2>"$tmp/bench.err"
check_eq "record bench (1024-event ring): exit status" 0 $?
compare "record bench" "$tmp/rt.db" 2 "$tmp/bench.err"

# A kept segment nobody drains while it runs: a small lossless ring must drop.
seg=$tmp/kept.seg
HAKMEM_TRACE=$seg HAKMEM_TRACE_KEEP=1 HAKMEM_TRACE_EVENTS=1024 HAKMEM_STATS=1 LD_PRELOAD=$HK_LIB \
    "$ex/phases" 100000 3 >/dev/null 2>"$tmp/kept.err"
"$HK_CLI" ingest "$seg" -o "$tmp/rt.db" 2>"$tmp/ingest.err"
check_eq "ingest of a kept lossless segment: exit status" 0 $?
compare "ingest lossless" "$tmp/rt.db" 3 "$tmp/kept.err"
d=$(q "$tmp/rt.db" "SELECT dropped FROM runs WHERE run_id = 3")
[ "$d" -gt 0 ] && ok "a full 1024-event ring dropped $d events" || bad "expected drops from a 1024-event ring, got $d"
check_eq "ingest lossless: stored = ring capacity" 1024 "$(q "$tmp/rt.db" "SELECT events FROM runs WHERE run_id = 3")"
# ingest reads without consuming, and a second ingest of the same segment adds no run.
"$HK_CLI" ingest "$seg" -o "$tmp/rt.db" 2>/dev/null
check_eq "ingest twice: exit status" 1 $?
check_eq "ingest twice: no duplicate run" 3 "$(q "$tmp/rt.db" "SELECT count(*) FROM runs")"

# Overwrite mode keeps the newest: the overwritten ones are lost, and counted.
seg=$tmp/over.seg
HAKMEM_TRACE=$seg HAKMEM_TRACE_KEEP=1 HAKMEM_TRACE_EVENTS=1024 HAKMEM_TRACE_MODE=overwrite \
    HAKMEM_STATS=1 LD_PRELOAD=$HK_LIB "$ex/phases" 100000 3 >/dev/null 2>"$tmp/over.err"
"$HK_CLI" ingest "$seg" -o "$tmp/rt.db" 2>/dev/null
check_eq "ingest of an overwrite segment: exit status" 0 $?
compare "ingest overwrite" "$tmp/rt.db" 4 "$tmp/over.err"
check_eq "overwrite: the newest 1024 kept" 1024 "$(q "$tmp/rt.db" "SELECT events FROM runs WHERE run_id = 4")"
check_eq "overwrite: mode" overwrite "$(q "$tmp/rt.db" "SELECT mode FROM runs WHERE run_id = 4")"

# A synthetic segment: every event of mkseg's stream, per type.
"$HK_MKSEG" "$tmp/syn.seg" 50000 >"$tmp/syn.count"
"$HK_CLI" ingest "$tmp/syn.seg" -o "$tmp/syn.db" 2>/dev/null
while read -r type n; do
    [ "$type" = events ] && { check_eq "synthetic: events" "$n" "$(q "$tmp/syn.db" "SELECT count(*) FROM events")"; continue; }
    check_eq "synthetic: $type" "$n" "$(q "$tmp/syn.db" "SELECT count(*) FROM ev WHERE event = '$type'")"
done <"$tmp/syn.count"
exit $fail
