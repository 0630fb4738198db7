#!/bin/bash
# heaptrack_agree.sh — the same program (tests/profile_sites, three call sites of known
# totals) profiled by hakmem (record --profile=1) and by heaptrack 1.4: their top three
# allocation sites by bytes allocated are the same file:line, in the same order, with
# the same bytes requested. 77 without heaptrack.
set -u
. "$(dirname "$0")/common.sh"
need_lib
prog=$HK_TESTS/profile_sites
[ -x "$prog" ] || skip "$prog not built"
command -v heaptrack >/dev/null || skip "heaptrack not installed (scripts/check installs it)"
command -v zstdcat >/dev/null || skip "zstdcat not installed (Debian zstd)"
py=/usr/bin/python3
[ -x "$py" ] || skip "$py not installed"

hkt record --profile=1 -o "$tmp/h.db" -- "$prog" 20 >/dev/null 2>"$tmp/rec.err"
check_eq "record --profile=1 profile_sites 20: exit status" 0 $?
# hakmem's top three (in the order of profile's @profile-allocated: bytes of their
# blocks), each with its bytes requested (what heaptrack counts) and its file:line
"$HK_CLI" query "$tmp/h.db" "SELECT s.requested || ' ' || p.site FROM profile_stacks s
        JOIN profile_sites p USING (run_id, stack_id) WHERE s.allocs > 0
        ORDER BY s.bytes DESC, s.stack_id LIMIT 3" --format csv | sed 1d | tr -d '\r"' |
    sed -n 's/^\([0-9]*\) [^ ]* \([^ ]*:[0-9]*\) .*/\1 \2/p' >"$tmp/hakmem.top"
check_eq "hakmem: three sites" 3 "$(wc -l <"$tmp/hakmem.top")"

(cd "$tmp" && heaptrack -o "$tmp/ht" "$prog" 20 >"$tmp/ht.out" 2>&1)
check_eq "heaptrack profile_sites 20: exit status" 0 $?
data=$(ls "$tmp"/ht.*st "$tmp"/ht.gz 2>/dev/null | head -1)
case $data in
*.zst) zstdcat "$data" ;;
*.gz) zcat "$data" ;;
*) echo "no data file" >&2 ;;
esac | "$py" "$(dirname "$0")/heaptrack_sites.py" 3 >"$tmp/heaptrack.top"
check_eq "heaptrack: three sites" 3 "$(wc -l <"$tmp/heaptrack.top")"
check_eq "top three sites by bytes allocated: hakmem = heaptrack" \
    "$(cat "$tmp/heaptrack.top" | tr '\n' '|')" "$(cat "$tmp/hakmem.top" | tr '\n' '|')"
exit $fail
