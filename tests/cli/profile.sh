#!/bin/bash
# profile.sh — the heap profile from synthetic segments (mkseg --profile): exact
# per-stack figures at weight 1, the peak's lazy snapshot on a crafted sequence,
# temporaries, unmatched frees, profile_live rows, `profile`'s lists and pins,
# report's pinned-by verdict, the bad-input lines, and the same tables from a
# live drain (attach, committing as it goes) as from ingest of the kept segment.
set -u
. "$(dirname "$0")/common.sh"
[ -x "$HK_MKSEG" ] || skip "$HK_MKSEG not built"

# qs DB SQL: every row of SQL (csv, no header)
qs() { "$HK_CLI" query "$1" "$2" --format csv | sed 1d | tr -d '\r'; }

cat >"$tmp/a.txt" <<'EOF'
rate 1
stack 1 hakmem mkseg_parse_config mkseg_load_table
stack 2 hakmem mkseg_cache_page mkseg_load_table
stack 3 hakmem mkseg_load_table
acquire 0 1 1
acquire 0 1 2
acquire 0 1 3
acquire 1 1 4
acquire 1 1 5
acquire 1 1 6
# the crafted sequence: totals 100, 150 (peak), 50, 130, 160 (peak), 30, 70
alloc 1 0xa0 90 100 65536 1 0 1 1
alloc 1 0xb0 45 50 65536 2 0 1 2
free 1 0xa0
alloc 1 0xc0 70 80 65536 2 0 1 2
alloc 1 0xd0 25 30 65536 3 1 1 4
free 1 0xb0
free 1 0xc0
alloc 1 0xe0 33 40 65536 1 0 1 1
# stack 1 keeps live blocks in slabs 1, 2 and 3; stack 2 one in slab 6, EMPTY once, live at the end
alloc 2 0xf0 8 16 65536 1 0 1 2
alloc 2 0x100 8 16 65536 1 0 1 3
empty 1 1 6
acquire 1 1 6
alloc 2 0x110 8 16 65536 2 1 1 6
# temporaries: thread 3's block freed before its next allocation
alloc 3 0x200 8 16 65536 3 0 1 5
free 3 0x200
# a block allocated before a fork, freed here
free 4 0xdead
EOF
"$HK_MKSEG" --profile "$tmp/a.seg" "$tmp/a.txt" >/dev/null || bad "mkseg --profile failed"
hkt ingest "$tmp/a.seg" -o "$tmp/a.db" 2>/dev/null
check_eq "ingest of a profiled segment: exit status" 0 $?
check_eq "runs.profile_rate" 1 "$(q "$tmp/a.db" "SELECT profile_rate FROM runs")"
check_eq "alloc and free events are not stored as events rows" 0 \
    "$(q "$tmp/a.db" "SELECT count(*) FROM events WHERE type IN (16, 17)")"
check_eq "the other events are" 8 "$(q "$tmp/a.db" "SELECT count(*) FROM events")"
check_eq "event_counts agree with events (@check-counts empty)" "" \
    "$(qs "$tmp/a.db" @check-counts)"
check_eq "profile_runs: samples, frees, unmatched, live, in use, peak" "9,4,1,5,118,160" \
    "$(qs "$tmp/a.db" "SELECT samples, frees, unmatched_frees, live, in_use, peak FROM profile_runs")"
# stack: allocs, alloc_weight, bytes, requested, frees, live, in_use, peak_in_use, temporaries
check_eq "per-stack figures at weight 1" \
    "1,4,262144,172,139,1,3,72,0,0|2,3,196608,146,123,2,1,16,130,0|3,2,131072,46,33,1,1,30,30,1" \
    "$(qs "$tmp/a.db" "SELECT stack_id, allocs, alloc_weight, bytes, requested, frees, live, in_use,
                              peak_in_use, temporaries FROM profile_stacks ORDER BY stack_id" |
       tr '\n' '|' | sed 's/|$//')"
check_eq "peak: stack 1 held nothing at the last peak though it changed after it" 0 \
    "$(q "$tmp/a.db" "SELECT peak_in_use FROM profile_stacks WHERE stack_id = 1")"
check_eq "profile_live: the blocks live at the end" "0xd0 0xe0 0xf0 0x100 0x110" \
    "$(qs "$tmp/a.db" "SELECT printf('0x%x', addr) FROM profile_live ORDER BY addr" | tr '\n' ' ' |
       sed 's/ $//')"
check_eq "profile_live: a row's fields" "0,1,1,1,1,33,40,65536" \
    "$(qs "$tmp/a.db" "SELECT class, ss, slab, stack_id, tid, size, block_size, weight
                       FROM profile_live WHERE addr = 224")"

# profile: the lists, sites named from mkseg's own symbols past the libhakmem frame
"$HK_CLI" profile "$tmp/a.db" >"$tmp/a.out" 2>"$tmp/a.err"
check_eq "profile: exit status" 0 $?
grep -q 'sampling: every allocation' "$tmp/a.out" && ok "profile: says rate 1 is exact" ||
    bad "profile: expected 'sampling: every allocation', got: $(cat "$tmp/a.out")"
grep -q '1 unmatched frees' "$tmp/a.out" && ok "profile: the unmatched free" ||
    bad "profile: expected '1 unmatched frees', got: $(head -5 "$tmp/a.out")"
sed -n '/^Top call sites by bytes allocated/,/^$/p' "$tmp/a.out" >"$tmp/alloc.txt"
sed -n 3p "$tmp/alloc.txt" | grep -q '172 B  *4  *4   mkseg_parse_config+0x1 mkseg\.c:[0-9]* (mkseg+0x[0-9a-f]*)$' &&
    ok "profile: the top site by bytes is mkseg_parse_config with 4 samples" ||
    bad "profile: expected mkseg_parse_config first, got: $(cat "$tmp/alloc.txt")"
sed -n 4p "$tmp/alloc.txt" | grep -q '^  *from mkseg_load_table mkseg\.c:[0-9]*$' &&
    ok "profile: its caller beneath it" || bad "profile: expected 'from mkseg_load_table', got: $(cat "$tmp/alloc.txt")"
sed -n '/^Top call sites by temporary/,/^$/p' "$tmp/a.out" | grep -q ' 1  *2  *1   mkseg_load_table' &&
    ok "profile: the temporary of stack 3" || bad "profile: temporaries: $(cat "$tmp/a.out")"
sed -n '/^Pins/,$p' "$tmp/a.out" >"$tmp/pins.txt"
grep -q 'slabs never EMPTY 5, live at the end 6; of the 6 kept from EMPTY, 5 hold a live block of a known site (4 of the never-EMPTY ones)' "$tmp/pins.txt" &&
    ok "profile: the pins' totals" || bad "profile: pins totals: $(cat "$tmp/pins.txt")"
sed -n 5p "$tmp/pins.txt" | grep -q '^ *3  *3  *192 KiB .* mkseg_parse_config' &&
    ok "profile: mkseg_parse_config pins 3 slabs (192 KiB)" || bad "profile: pins: $(cat "$tmp/pins.txt")"
check_eq "@profile-pins: stack 2 pins slab 6 (live at the end, EMPTY once)" "1,0,1" \
    "$(qs "$tmp/a.db" "SELECT slabs, never_empty_slabs, live_slabs FROM profile_pin_sites
                       WHERE stack_id = 2")"
"$HK_CLI" profile "$tmp/a.db" --top 1 | sed -n '/^Top call sites by bytes allocated/,/^$/p' >"$tmp/top1"
check_eq "profile --top 1: one site per list (title, header, site, callers, blank)" 5 "$(wc -l <"$tmp/top1")"

# report: pinned-by names the site that pins most never-EMPTY slabs
"$HK_CLI" report "$tmp/a.db" >"$tmp/report" 2>&1
grep -q '! 1 call site pins 3 of the 5 slabs kept from EMPTY (5 never reached EMPTY) with their live blocks; the top one, mkseg_parse_config.*, 3 .*\[pinned-by\]$' "$tmp/report" &&
    ok "report: the pinned-by verdict" || bad "report: expected pinned-by, got: $(sed -n '/^Verdict/,$p' "$tmp/report")"

# Bad input: one line, exit 1.
"$HK_CLI" profile "$tmp/a.db" --run 9 >"$tmp/out" 2>"$tmp/err"
check_eq "profile --run 9: exit status" 1 $?
check_eq "profile --run 9: one line" 1 "$(wc -l <"$tmp/err")"
grep -q 'no run 9' "$tmp/err" && ok "profile --run 9: says so" || bad "profile --run 9: $(cat "$tmp/err")"
"$HK_MKSEG" "$tmp/plain.seg" 2000 >/dev/null && hkt ingest "$tmp/plain.seg" -o "$tmp/plain.db" 2>/dev/null
"$HK_CLI" profile "$tmp/plain.db" >"$tmp/out" 2>"$tmp/err"
check_eq "profile of a run without a profile: exit status" 1 $?
check_eq "profile of a run without a profile: the line" \
    "hakmem-trace profile: run 1 has no heap profile; record it with hakmem-trace record --profile -- PROGRAM" \
    "$(cat "$tmp/err")"
check_eq "report of a run without a profile: no pinned-by" 0 \
    "$("$HK_CLI" report "$tmp/plain.db" | grep -c pinned-by)"
printf 'rate 524288\ndropped 3\nstack 1 mkseg_cache_page\nalloc 1 0x10 10 16 3276800 1\n' >"$tmp/o.txt"
"$HK_MKSEG" --profile "$tmp/o.seg" "$tmp/o.txt" >/dev/null && hkt ingest "$tmp/o.seg" -o "$tmp/o.db" 2>/dev/null
"$HK_CLI" profile "$tmp/o.db" >"$tmp/out" 2>&1
grep -q 'the stack table overflowed: 3 stacks were not recorded' "$tmp/out" &&
    ok "profile: an overflowed stack table is said" || bad "profile: overflow: $(cat "$tmp/out")"
grep -q 'one sample per 524288 bytes' "$tmp/out" && ok "profile: the rate is said" ||
    bad "profile: rate: $(cat "$tmp/out")"
check_eq "weight 50 allocations: bytes estimated" 800 \
    "$(q "$tmp/o.db" "SELECT bytes FROM profile_stacks")"

# Site tags (slab_pin events: every block, not samples): profile_pin_tags, the pins, pinned-by.
cat >"$tmp/t.txt" <<'EOF'
rate 524288
stack 1 mkseg_cache_page
acquire 0 1 1
acquire 0 1 2
acquire 0 1 3
acquire 0 1 4
pin 0 1 1 1 10 12 0
pin 0 1 1 1 7 12 0
pin 0 1 2 1 5 5 1
pin 0 1 3 1 3 3 1
EOF
"$HK_MKSEG" --profile "$tmp/t.seg" "$tmp/t.txt" >/dev/null && hkt ingest "$tmp/t.seg" -o "$tmp/t.db" 2>/dev/null
check_eq "slab_pin: events rows with their slab" 4 "$(q "$tmp/t.db" "SELECT count(slab) FROM events WHERE type = 18")"
check_eq "profile_pin_tags: the worst at a map, the exit" "1,1,10,,|1,2,,5,5|1,3,,3,3" \
    "$(qs "$tmp/t.db" "SELECT stack_id, slab, at_map, at_exit, slab_live FROM profile_pin_tags ORDER BY slab" |
       tr '\n' '|' | sed 's/|$//')"
"$HK_CLI" profile "$tmp/t.db" | sed -n '/^Pins/,$p' | sed -n 5p | grep -q '^ *3  *3  *192 KiB .* mkseg_cache_page' &&
    ok "profile: the tagged site pins 3 slabs" || bad "profile: tags: $("$HK_CLI" profile "$tmp/t.db")"
"$HK_CLI" report "$tmp/t.db" | grep -q 'pins 3 of the 4 slabs .*mkseg_cache_page.*\[pinned-by\]' &&
    ok "report: pinned-by from the tags" || bad "report: tags: $("$HK_CLI" report "$tmp/t.db" | sed -n '/^Verdict/,$p')"

# A version-2 file (before the heap profile): read as it is, upgraded when a run is added.
if command -v sqlite3 >/dev/null; then
    cp "$tmp/plain.db" "$tmp/v2.db"
    sqlite3 "$tmp/v2.db" "DROP VIEW profile_sites; DROP VIEW profile_pins; DROP VIEW profile_pin_sites;
        DROP TABLE profile_runs; DROP TABLE profile_stacks; DROP TABLE profile_live;
        DROP TABLE profile_blocks; DROP TABLE profile_pin_tags; ALTER TABLE runs DROP COLUMN profile_rate;
        ALTER TABLE frames DROP COLUMN fn_offset;
        PRAGMA user_version = 2;"
    "$HK_CLI" profile "$tmp/v2.db" >/dev/null 2>"$tmp/err"
    check_eq "version 2: profile says there is none (exit 1)" "1 1" "$? $(wc -l <"$tmp/err")"
    "$HK_CLI" report "$tmp/v2.db" >/dev/null 2>&1
    check_eq "version 2: report reads it" 0 $?
    hkt ingest "$tmp/a.seg" -o "$tmp/v2.db" 2>/dev/null
    check_eq "version 2: a profiled run added (upgraded)" 0 $?
    check_eq "upgraded to version 4, runs.profile_rate NULL for the old run" "4 |1" \
        "$(sqlite3 "$tmp/v2.db" "PRAGMA user_version") $(qs "$tmp/v2.db" "SELECT group_concat(coalesce(profile_rate, ''), '|') FROM runs")"
    "$HK_CLI" profile "$tmp/v2.db" --run 2 >/dev/null 2>&1
    check_eq "upgraded: profile --run 2" 0 $?
    "$HK_CLI" profile "$tmp/v2.db" --run 1 2>&1 >/dev/null | grep -q 'run 1 has no heap profile' &&
        ok "upgraded: run 1 still has none" || bad "upgraded: expected run 1 to have no profile"
else
    echo "no sqlite3 command: the version-2 upgrade is not checked"
fi

# The same tables from a live drain (attach: committing every 100 ms, profile_live
# updated row by row) as from ingest of the same segment kept complete.
awk 'BEGIN {
    print "rate 1"; print "stack 1 hakmem mkseg_parse_config"; print "stack 2 mkseg_cache_page"
    print "stack 3 mkseg_load_table mkseg_cache_page"
    for (s = 1; s <= 8; s++) print "acquire 0 1 " s
    for (i = 0; i < 2400; i++) {
        printf "alloc %d %d %d %d 65536 %d 0 1 %d\n", 1 + i % 3, 4096 + i * 16, 1 + i % 40, 16 * (1 + i % 4), 1 + i % 3, 1 + i % 8
        if (i % 3 == 0) printf "free %d %d\n", 1 + i % 3, 4096 + i * 16
        if (i % 7 == 0 && i >= 700) printf "free 2 %d\n", 4096 + (i - 700) * 16
    }
    print "free 9 12345"
}' >"$tmp/live.txt"
"$HK_MKSEG" --profile-live "$tmp/live.txt" "$tmp/live.seg" >/dev/null 2>"$tmp/mkseg.err" &
mk=$!
for _ in $(seq 100); do [ -e "/dev/shm/hakmem.$mk" ] && break; sleep 0.05; done
"$HK_CLI" attach "$mk" -o "$tmp/attach.db" >/dev/null 2>"$tmp/attach.err"
check_eq "attach to a live profiled segment: exit status" 0 $?
wait "$mk"
check_eq "runs.options of the drained image: its heap profile's settings" 1 \
    "$(q "$tmp/attach.db" "SELECT options LIKE '%HAKMEM_PROFILE=1 HAKMEM_PROFILE_RATE=1' FROM runs")"
hkt ingest "$tmp/live.seg" -o "$tmp/ingest.db" 2>/dev/null
check_eq "ingest of its kept copy: exit status" 0 $?
for t in "profile_stacks ORDER BY stack_id" "profile_live ORDER BY addr" \
         "profile_runs" "frames ORDER BY stack_id, depth"; do
    a=$(qs "$tmp/attach.db" "SELECT * FROM $t" | md5sum)
    b=$(qs "$tmp/ingest.db" "SELECT * FROM $t" | md5sum)
    n=$(qs "$tmp/ingest.db" "SELECT * FROM $t" | wc -l)
    check_eq "attach == ingest: ${t%% *} ($n rows)" "$b" "$a"
done
check_eq "the live run frees blocks long after their allocation (live < samples)" 1 \
    "$(q "$tmp/ingest.db" "SELECT samples > 2000 AND live < samples FROM profile_runs")"
exit $fail
