#!/bin/bash
# endstate.sh — the end of a run is exact: the snapshot a traced process writes as it
# exits equals its own hakmem_stats_get() at the end, class by class; the totals are the
# process's own counters; a process that leaves through _exit keeps its last periodic
# sample, and the report says so instead of drawing verdicts from it.
set -u
. "$(dirname "$0")/common.sh"
need_lib
bin=${HK_TESTS:-./tests}/fill_free
[ -x "$bin" ] || skip "$bin not built"
db=$tmp/end.db

# The end snapshot of run N per class: "class C used U" lines, classes with blocks only.
end_used() {
    "$HK_CLI" query "$db" "SELECT 'class ' || class || ' used ' || used FROM occupancy
        WHERE run_id = :run AND used > 0
          AND ts_ns = (SELECT max(ts_ns) FROM occupancy WHERE run_id = :run) ORDER BY class" \
        --format csv --run "$1" | sed 1d | tr -d '\r'
}

hkt record -o "$db" -- "$bin" 64 >"$tmp/own" 2>"$tmp/err"
check_eq "record fill_free: exit status" 0 $?
[ -s "$tmp/own" ] || bad "fill_free printed nothing: $(cat "$tmp/err")"
check_eq "end snapshot = hakmem_stats_get() at exit, per class" "$(cat "$tmp/own")" "$(end_used 1)"
check_eq "the end snapshot is the one written at exit" 1 "$(q "$db" "SELECT end_final FROM runs WHERE run_id = 1")"
check_eq "slabs.final_used of class 1 = its blocks in use" "$(sed -n 's/^class 1 used //p' "$tmp/own")" \
    "$(q "$db" "SELECT sum(final_used) FROM slabs s JOIN classes c USING (run_id, class)
                WHERE run_id = 1 AND c.block_size = 32")"
check_eq "the counters stored: ss_maps = the ss_map events" \
    "$(q "$db" "SELECT ss_maps FROM report_maps WHERE run_id = 1")" \
    "$(q "$db" "SELECT value FROM run_counters WHERE run_id = 1 AND counter = 'ss_maps'")"
"$HK_CLI" report "$db" --run 1 >"$tmp/r1"
grep -q "end state: the snapshot the process wrote as it exited (exact)" "$tmp/r1" \
    && ok "report names the exact end state" || bad "report: no exact end state line: $(head -5 "$tmp/r1")"
grep -q "64 / 131072 blocks" "$tmp/r1" && ok "report: class 1 ends with 64 of 131072 blocks in use" \
    || bad "report: expected 64 / 131072 blocks for class 1: $(sed -n '/^Slabs/,/total/p' "$tmp/r1")"

# Every total the events count equals the process's own counter (nothing dropped).
HAKMEM_SS_EMPTY_REUSE=0 hkt record -o "$tmp/leg.db" -- "$HK_EXAMPLES/pinned" >/dev/null 2>&1
for spec in "ss_maps:1:" "ss_unmaps:2:" "lru_push:5:" "lru_pop_hit:6:" "lru_pop_miss:7:" \
            "lru_evict:8:" "empty:11:" "slab_release:12:" "heap_errors:15:"; do
    IFS=: read -r name type _ <<<"$spec"
    check_eq "pinned legacy: $name from events = the process's counter" \
        "$(q "$tmp/leg.db" "SELECT coalesce(sum(n), 0) FROM event_counts WHERE run_id = 1 AND type = $type")" \
        "$(q "$tmp/leg.db" "SELECT coalesce(sum(value), 0) FROM run_counters WHERE run_id = 1 AND counter = '$name'")"
done
for st in 0 1 2 3 4; do
    check_eq "pinned legacy: stage $st hits from events = the process's counter" \
        "$(q "$tmp/leg.db" "SELECT coalesce(sum(n), 0) FROM event_counts WHERE run_id = 1 AND type = 9 AND stage = $st")" \
        "$(q "$tmp/leg.db" "SELECT coalesce(sum(value), 0) FROM run_counters WHERE run_id = 1 AND counter = 'stage_hit' AND idx = $st")"
    check_eq "pinned legacy: stage $st misses from events = the process's counter" \
        "$(q "$tmp/leg.db" "SELECT coalesce(sum(n), 0) FROM event_counts WHERE run_id = 1 AND type = 10 AND stage = $st")" \
        "$(q "$tmp/leg.db" "SELECT coalesce(sum(value), 0) FROM run_counters WHERE run_id = 1 AND counter = 'stage_miss' AND idx = $st")"
done

# _exit: no exit handler, so the last periodic sample (sampled before the frees at best)
hkt record -o "$db" -- "$bin" 64 _exit >/dev/null 2>"$tmp/err2"
check_eq "record fill_free _exit: exit status" 0 $?
check_eq "_exit: the end snapshot is a periodic sample" 0 "$(q "$db" "SELECT end_final FROM runs WHERE run_id = 2")"
"$HK_CLI" report "$db" --run 2 >"$tmp/r2"
grep -q "end state: the last periodic sample, [0-9]* ms before the end" "$tmp/r2" \
    && ok "report says the end state is a sample, with its age" || bad "report: $(head -5 "$tmp/r2")"
grep -q '^  ! .*\[pinned-slabs\]' "$tmp/r2" && bad "_exit: pinned-slabs drawn from a periodic sample"
exit "$fail"
