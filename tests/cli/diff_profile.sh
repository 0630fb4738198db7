#!/bin/bash
# diff_profile.sh — `hakmem-trace diff` of two heap-profiled runs: the call-site
# section (bytes allocated and in use at the end, grew/shrank/new/gone) on
# synthetic segments with exact figures, matched by symbolised stack though the
# stack ids differ; tests/profile_sites at two scales; and no such section for
# runs without a profile (the diff of unprofiled runs as it was).
set -u
. "$(dirname "$0")/common.sh"
[ -x "$HK_MKSEG" ] || skip "$HK_MKSEG not built"

# A: stack 1 (parse_config) 1000 B allocated, 100 live; stack 2 (cache_page) 500 B, all freed.
cat >"$tmp/a.txt" <<'EOF2'
rate 1
stack 1 hakmem mkseg_parse_config mkseg_load_table
stack 2 hakmem mkseg_cache_page mkseg_load_table
alloc 1 0xa0 900 900 65536 1
alloc 1 0xb0 100 100 65536 1
free 1 0xa0
alloc 1 0xc0 500 500 65536 2
free 1 0xc0
EOF2
# B: the same parse_config stack as stack 3 with 3000 B, 2000 live; stack 1 is load_table alone (new).
cat >"$tmp/b.txt" <<'EOF2'
rate 1
stack 1 hakmem mkseg_load_table
stack 3 hakmem mkseg_parse_config mkseg_load_table
alloc 1 0xa0 1000 1000 65536 3
alloc 1 0xb0 2000 2000 65536 3
free 1 0xa0
alloc 1 0xc0 64 64 65536 1
EOF2
for x in a b; do
    "$HK_MKSEG" --profile "$tmp/$x.seg" "$tmp/$x.txt" >/dev/null || bad "mkseg --profile $x failed"
    hkt ingest "$tmp/$x.seg" -o "$tmp/$x.db" 2>/dev/null || bad "ingest $x failed"
done
hkt diff "$tmp/a.db" "$tmp/b.db" >"$tmp/d.out" 2>"$tmp/d.err"
check_eq "diff of two profiled runs: exit status" 0 $?
[ -s "$tmp/d.err" ] && bad "diff: expected nothing on stderr, got $(cat "$tmp/d.err")"
check_eq "diff: the totals of both" \
    "heap profile: 3 call sites; allocated 1500 B in A, 3064 B in B; in use at the end 100 B in A, 2064 B in B" \
    "$(grep '^heap profile:' "$tmp/d.out")"
# rows of a list: "A B change mark site"
rows() { sed -n "/^call sites by change in bytes $1/,/^\$/p" "$tmp/d.out" | sed -n '3,$p' | sed '/^$/d' |
    awk '{printf "%s %s %s %s %s %s %s %s|", $1, $2, $3, $4, $5, $6, $7, $8}' | sed 's/|$//'; }
check_eq "allocated: parse_config grew (matched though its stack id is 1 in A, 3 in B), cache_page gone, load_table new" \
    "1000 B 2.9 KiB +2.0 KiB grew mkseg_parse_config|500 B 0 B -500 B gone mkseg_cache_page|0 B 64 B +64 B new mkseg_load_table" \
    "$(rows allocated)"
check_eq "in use at the end: parse_config grew, load_table new; cache_page unchanged (0 B) left out" \
    "100 B 2.0 KiB +1.9 KiB grew mkseg_parse_config|0 B 64 B +64 B new mkseg_load_table" "$(rows 'in use')"
grep -q 'mkseg_parse_config mkseg\.c:[0-9]* (mkseg) < mkseg_load_table$' "$tmp/d.out" &&
    ok "diff: a site as its call's file:line and module, its callers after <" ||
    bad "diff: expected 'mkseg_parse_config mkseg.c:N (mkseg) < mkseg_load_table', got $(grep parse_config "$tmp/d.out" | head -1)"
hkt diff "$tmp/b.db" "$tmp/a.db" >"$tmp/r.out" 2>/dev/null
grep -q -- '-2.0 KiB  shrank  mkseg_parse_config' "$tmp/r.out" && ok "diff B A: parse_config shrank by 2000 B" ||
    bad "diff B A: expected parse_config to shrink by 2000 B (-2.0 KiB), got $(grep parse_config "$tmp/r.out" | head -1)"
hkt diff "$tmp/a.db" "$tmp/b.db" --top 1 >"$tmp/t.out" 2>/dev/null
check_eq "--top 1: one site per list" 2 "$(grep -c -E ' (grew|shrank|new|gone) ' "$tmp/t.out")"
hkt diff "$tmp/a.db" "$tmp/b.db" --top 0 >/dev/null 2>"$tmp/t.err"
check_eq "--top 0: exit status" 2 $?

# runs without a profile: no call-site section, the diff as before
"$HK_MKSEG" "$tmp/x.seg" 2000 >/dev/null
hkt ingest "$tmp/x.seg" -o "$tmp/x.db" 2>/dev/null
hkt diff "$tmp/x.db" "$tmp/x.db" >"$tmp/x.out" 2>&1
check_eq "diff of unprofiled runs: exit status" 0 $?
grep -q 'call sites\|heap profile' "$tmp/x.out" && bad "diff of unprofiled runs: expected no call-site section" ||
    ok "diff of unprofiled runs: no call-site section"
check_eq "diff of unprofiled runs: ends with B's verdict, as before" "verdict B (run 1):" \
    "$(grep '^verdict' "$tmp/x.out" | tail -1)"
hkt diff "$tmp/x.db" "$tmp/a.db" >"$tmp/xa.out" 2>&1
check_eq "diff of an unprofiled and a profiled run: one line says so" \
    "call sites: only B has a heap profile (record both with --profile to compare them)" \
    "$(grep '^call sites' "$tmp/xa.out")"

# a real program at two scales: each of its three sites grew by the known bytes
if [ -n "${HK_LIB:-}" ] && [ -f "$HK_LIB" ] && [ -x "$HK_TESTS/profile_sites" ]; then
    hkt record --profile=1 -o "$tmp/p2.db" -- "$HK_TESTS/profile_sites" 2 >/dev/null 2>&1
    hkt record --profile=1 -o "$tmp/p5.db" -- "$HK_TESTS/profile_sites" 5 >/dev/null 2>&1
    hkt diff "$tmp/p2.db" "$tmp/p5.db" >"$tmp/p.out" 2>&1
    check_eq "diff profile_sites 2 and 5: exit status" 0 $?
    # site_hold 4096 B x 1000 a round, site_leak 224-byte blocks, site_temp 48 B x 4000
    for want in "7.8 MiB 20 MiB +12 MiB grew" "438 KiB 1.1 MiB +656 KiB grew" "375 KiB 938 KiB +562 KiB grew"; do
        sed -n '/^call sites by change in bytes allocated/,/^$/p' "$tmp/p.out" | awk '{print $1, $2, $3, $4, $5, $6, $7}' |
            grep -qx "$want" && ok "profile_sites 2 → 5: a site $want" ||
            bad "profile_sites 2 → 5: expected a site '$want', got $(cat "$tmp/p.out" | tail -12)"
    done
    check_eq "profile_sites 2 → 5: the leak grew by 3 rounds of 125 224-byte blocks" \
        "55 KiB 137 KiB +82 KiB grew main" \
        "$(sed -n '/^call sites by change in bytes in use/,/^$/p' "$tmp/p.out" | sed -n 3p | awk '{print $1, $2, $3, $4, $5, $6, $7, $8}')"
else
    echo "SKIP: libhakmem or tests/profile_sites not built: no real program diffed"
fi
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
