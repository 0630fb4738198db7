#!/bin/bash
# policies.sh — the seed's pathology, recorded: `pinned` under slab-granularity EMPTY
# reuse (the default) and under HAKMEM_SS_EMPTY_REUSE=0. The report's numbers for the
# 256 B phase are asserted (stage-0.5 hits and no new SuperSlab maps by default; new
# maps and no stage-0.5 hit with reuse off), agree with pinned's own counters, the
# verdicts name the difference, and `diff` shows it.
set -u
. "$(dirname "$0")/common.sh"
need_lib
db=$tmp/pinned.db

hkt record -o "$db" -- "$HK_EXAMPLES/pinned" >"$tmp/on.out" 2>"$tmp/on.err"
check_eq "record pinned (default): exit status" 0 $?
HAKMEM_SS_EMPTY_REUSE=0 hkt record -o "$db" -- "$HK_EXAMPLES/pinned" >"$tmp/off.out" 2>"$tmp/off.err"
check_eq "record pinned (HAKMEM_SS_EMPTY_REUSE=0): exit status" 0 $?
grep -q 'recorded .* into .* (run 1)' "$tmp/on.err" && ok "summary line names run 1" || bad "no summary line: $(cat "$tmp/on.err")"

# pinned's own line: "pinned: phase1 maps=A phase2 new_maps=B stage0_5_hits=C"
own() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1" | head -1; }
# the 256 B class: stage-0.5 hits and new SuperSlabs mapped for it
s05() { q "$db" "SELECT coalesce(sum(h.hit), 0) FROM report_stage_class h JOIN classes c
                 ON c.run_id = h.run_id AND c.class = h.class
                 WHERE h.run_id = :run AND c.block_size = 256 AND h.stage = 1" "$1"; }
mapped() { q "$db" "SELECT coalesce(sum(l.pop_miss), 0) FROM report_lru_class l JOIN classes c
                    ON c.run_id = l.run_id AND c.class = l.class
                    WHERE l.run_id = :run AND c.block_size = 256" "$1"; }
after() { q "$db" "SELECT ss_maps_after_empty FROM report_maps WHERE run_id = :run" "$1"; }

on_s05=$(s05 1) on_mapped=$(mapped 1) on_after=$(after 1)
off_s05=$(s05 2) off_mapped=$(mapped 2) off_after=$(after 2)
[ "$on_s05" -gt 0 ] && ok "default: 256 B slabs from stage 0.5 ($on_s05)" || bad "default: expected stage-0.5 hits for 256 B, got $on_s05"
check_eq "default: new SuperSlabs mapped for 256 B" 0 "$on_mapped"
check_eq "default: maps after the first EMPTY slab" 0 "$on_after"
check_eq "reuse off: stage-0.5 hits for 256 B" 0 "$off_s05"
[ "$off_mapped" -gt 0 ] && ok "reuse off: $off_mapped new SuperSlabs for 256 B" || bad "reuse off: expected new SuperSlab maps for 256 B, got $off_mapped"
[ "$off_after" -gt 0 ] && ok "reuse off: $off_after maps after the first EMPTY slab" || bad "reuse off: expected maps after the first EMPTY, got $off_after"
check_eq "default: db stage-0.5 hits = pinned's phase-2 stage0_5_hits" "$(own "$tmp/on.out" stage0_5_hits)" "$on_s05"
check_eq "default: db maps after EMPTY = pinned's phase-2 new_maps" "$(own "$tmp/on.out" new_maps)" "$on_after"
check_eq "reuse off: db maps after EMPTY = pinned's phase-2 new_maps" "$(own "$tmp/off.out" new_maps)" "$off_after"
# (HAKMEM_GUARD_SAMPLE=0 is the tests' environment, Makefile.am)
check_eq "reuse off: the options the run ran with (record's ring default included)" \
    "HAKMEM_SS_EMPTY_REUSE=0 HAKMEM_TRACE_MODE=lossless HAKMEM_TRACE_EVENTS=1048576 HAKMEM_TRACE_STACKS=0" \
    "$(q "$db" "SELECT trim(replace(options, 'HAKMEM_GUARD_SAMPLE=0', '')) FROM runs WHERE run_id = 2")"

"$HK_CLI" report "$db" --run 1 >"$tmp/r1" && "$HK_CLI" report "$db" --run 2 >"$tmp/r2"
check_eq "report: exit status" 0 $?
grep -q '\[empty-reused\]' "$tmp/r1" && ok "default verdict: EMPTY slabs are reused" || bad "default: expected [empty-reused] in $(cat "$tmp/r1")"
grep -q '\[empty-not-reused\]' "$tmp/r1" && bad "default: [empty-not-reused] must not show"
grep -q "EMPTY slabs are not reused: .* 0 stage-0.5 hits, $off_after new SuperSlab maps after the first EMPTY slab" "$tmp/r2" \
    && ok "reuse-off verdict names the difference" || bad "reuse off: expected the empty-not-reused verdict in $(sed -n '/Verdict/,$p' "$tmp/r2")"
grep -q "^  fallthrough: stage 0 missed" "$tmp/r2" && ok "fallthrough chain printed" || bad "no fallthrough chain"

"$HK_CLI" diff "$db" --run 1 --run 2 >"$tmp/diff"
check_eq "diff: exit status" 0 $?
grep -q "^maps after first EMPTY  *0  *$off_after  *+$off_after" "$tmp/diff" && ok "diff: maps after first EMPTY 0 -> $off_after" \
    || bad "diff: expected 'maps after first EMPTY 0 $off_after +$off_after' in $(cat "$tmp/diff")"
grep -q "^stage 0.5 hits .* -" "$tmp/diff" && ok "diff: stage-0.5 hits fall" || bad "diff: expected a fall of stage-0.5 hits"
grep -q "empty-not-reused, only here" "$tmp/diff" && ok "diff: the verdict only B has" || bad "diff: expected 'empty-not-reused, only here'"
# the same through two files
hkt record -o "$tmp/a.db" -- "$HK_EXAMPLES/pinned" >/dev/null 2>&1
HAKMEM_SS_EMPTY_REUSE=0 hkt record -o "$tmp/b.db" -- "$HK_EXAMPLES/pinned" >/dev/null 2>&1
"$HK_CLI" diff "$tmp/a.db" "$tmp/b.db" | grep -q "^maps after first EMPTY  *0  *[1-9]" \
    && ok "diff A.db B.db" || bad "diff of two files: expected maps after first EMPTY 0 -> N"
exit $fail
