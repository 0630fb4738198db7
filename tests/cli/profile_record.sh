#!/bin/bash
# profile_record.sh — record --profile on a real program (tests/profile_sites,
# whose three call sites allocate known totals): at rate 1 the per-stack
# figures are exact, profile names the sites by file:line, --all-blocks keeps
# a row per block, and ingest of the same program's kept segment gives the
# same per-stack figures as the live recording; a busy child of a quiet parent
# under a small ring loses no event.
set -u
. "$(dirname "$0")/common.sh"
need_lib
prog=$HK_TESTS/profile_sites
[ -x "$prog" ] || skip "$prog not built"

qs() { "$HK_CLI" query "$1" "$2" --format csv | sed 1d | tr -d '\r'; }
# site DB SIZE: allocs, requested, frees, live, temporaries of the stack whose blocks are SIZE bytes
site() {
    qs "$1" "SELECT allocs, requested, frees, live, temporaries FROM profile_stacks
             WHERE requested = allocs * $2 ORDER BY allocs DESC LIMIT 1"
}

db=$tmp/rec.db
hkt record --profile=1 --all-blocks -o "$db" -- "$prog" 20 >"$tmp/out" 2>"$tmp/err"
check_eq "record --profile=1: exit status" 0 $?
check_eq "runs.profile_rate" 1 "$(q "$db" "SELECT profile_rate FROM runs")"
check_eq "site_hold: 20000 allocations of 4096 B, all freed, none temporary" "20000,81920000,20000,0,0" \
    "$(site "$db" 4096)"
check_eq "site_leak: 20000 of 200 B, 2500 leaked, the freed ones temporaries" \
    "20000,4000000,17500,2500,17500" "$(site "$db" 200)"
check_eq "site_temp: 80000 of 48 B, all temporaries" "80000,3840000,80000,0,80000" "$(site "$db" 48)"
check_eq "site_hold at the peak: its 64 held blocks" 64 \
    "$(q "$db" "SELECT peak_live FROM profile_stacks WHERE requested = allocs * 4096")"
check_eq "profile_live: the 2500 leaked 200-byte blocks" 2500 \
    "$(q "$db" "SELECT count(*) FROM profile_live WHERE size = 200")"
check_eq "--all-blocks: a row per sample" "$(q "$db" "SELECT samples FROM profile_runs")" \
    "$(q "$db" "SELECT count(*) FROM profile_blocks")"
check_eq "--all-blocks: freed ones with a free time" "$(q "$db" "SELECT frees FROM profile_runs")" \
    "$(q "$db" "SELECT count(*) FROM profile_blocks WHERE free_ns IS NOT NULL")"
"$HK_CLI" profile "$db" >"$tmp/profile" 2>&1
check_eq "profile: exit status" 0 $?
sed -n '/^Top call sites by bytes leaked/{n;n;p}' "$tmp/profile" | grep -q ' 2500   .*profile_sites\.c:[0-9]* (profile_sites+0x' &&
    ok "profile: the leaking site by file:line, 2500 samples" ||
    bad "profile: expected the leak at profile_sites.c, got: $(cat "$tmp/profile")"
sed -n '/^Pins/,$p' "$tmp/profile" | sed -n 5p | grep -q 'profile_sites\.c:' &&
    ok "profile: the top pin is a site of the program" || bad "profile: pins: $(sed -n '/^Pins/,$p' "$tmp/profile")"

# At a sampling rate of 64 KiB (seeded: the same samples each run) the estimates
# come within 15% of the 89,760,000 bytes requested and 120,000 allocations the sites make.
HAKMEM_PROFILE_SEED=7 hkt record --profile=65536 -o "$tmp/rate.db" -- "$prog" 20 >/dev/null 2>&1
check_eq "record --profile=65536: rate and a few hundred samples, not every allocation" "65536,1" \
    "$(qs "$tmp/rate.db" "SELECT rate, samples BETWEEN 200 AND 20000 FROM profile_runs")"
check_eq "estimated bytes requested and allocations within 15%" "1,1" \
    "$(qs "$tmp/rate.db" "SELECT abs(sum(requested) - 89760000) < 0.15 * 89760000,
                                 abs(sum(alloc_weight) / 65536.0 - 120000) < 0.15 * 120000
                          FROM profile_stacks")"
check_eq "record --profile: site tags on (libhakmem-profile.so): pins by tag at the default rate's rarity" 1 \
    "$(qs "$tmp/rate.db" "SELECT count(*) > 0 FROM profile_pin_tags")"

# At the default rate (one sample per 524288 bytes, seeded), over 1.2 GB allocated by
# three sites of about 400 MB each (about 780 samples each: a standard error near 3.6%),
# each site's estimated bytes requested come within 10% of what it allocated.
HAKMEM_PROFILE_SEED=11 hkt record --profile -o "$tmp/def.db" -- "$prog" 100 20 85 >"$tmp/def.out" 2>"$tmp/def.err"
check_eq "record --profile (default rate) profile_sites 100 20 85: exit status and rate" "0 524288" \
    "$? $(q "$tmp/def.db" "SELECT rate FROM profile_runs")"
# (A site's stack is told by its block size: the estimate's bytes per allocation.)
for site in site_hold:4096 site_leak:200 site_temp:48; do
    fn=${site%:*} size=${site#*:}
    truth=$(sed -n "s/^$fn allocs [0-9]* bytes \([0-9]*\) .*/\1/p" "$tmp/def.out")
    est=$(qs "$tmp/def.db" "SELECT sum(requested), sum(allocs) FROM profile_stacks
                            WHERE allocs > 0 AND abs(requested * 65536.0 / alloc_weight - $size) < 1")
    e=${est%,*} n=${est#*,}
    if [ -n "$truth" ] && [ -n "$e" ] && [ "$n" -ge 500 ] &&
        [ $(( (e - truth) * 100 / truth )) -le 10 ] && [ $(( (truth - e) * 100 / truth )) -le 10 ]; then
        ok "default rate: $fn estimated $e bytes of $truth ($n samples), within 10%"
    else
        bad "default rate: $fn: expected within 10% of ${truth:-?} bytes from >= 500 samples, got '$est'"
    fi
done

# A quiet parent and a busy child, the child's events many times a small ring: the child
# is drained while the parent lives (the parent's occupancy samples once held the
# database's write lock until it exited) and, at rate 1, a full ring makes the child wait
# for the recorder (HAKMEM_TRACE_WAIT) instead of dropping: every allocation is in it.
hkt record --profile=1 --events 4096 -o "$tmp/tree.db" -- /bin/sh -c \
    "\"$prog\" 5; sleep 0.3" >/dev/null 2>"$tmp/tree.err"
check_eq "record --profile=1 --events 4096 of sh -c 'profile_sites 5; sleep': exit status" 0 $?
check_eq "a busy child of a quiet parent: no event dropped, in any of the 3 runs (sh, it, sleep)" \
    "3 3" "$(grep -c ' recorded .* of ' "$tmp/tree.err") $(grep -c ' (0 dropped, 0 lost) of ' "$tmp/tree.err")"
check_eq "the child's run: its 30000 allocations (and libc's few), each a sample" 1 \
    "$(qs "$tmp/tree.db" "SELECT p.samples BETWEEN 30000 AND 30100 FROM profile_runs p
                          JOIN runs r ON r.run_id = p.run_id WHERE r.exe LIKE '%profile_sites'")"

# A library loaded after start-up (python's _json extension module, dlopen'ed by
# `import json`): its frames are in the module map, so every frame has its module.
if [ -x /usr/bin/python3 ] && [ -r "$HK_SRCDIR/examples/dictjson.py" ]; then
    PYTHONMALLOC=malloc hkt record --profile -o "$tmp/py.db" -- /usr/bin/python3 \
        "$HK_SRCDIR/examples/dictjson.py" 20000 >/dev/null 2>&1
    check_eq "record --profile python3 dictjson.py 20000: exit status" 0 $?
    check_eq "python: frames in _json (loaded by dlopen), and none without a module" "1,0" \
        "$(qs "$tmp/py.db" "SELECT sum(module LIKE '%/_json.%') > 0, sum(module IS NULL) FROM frames")"
else
    echo "SKIP: /usr/bin/python3 or examples/dictjson.py missing: no dlopen check"
fi

# The same program's kept segment (site tags on, as record --profile has them), ingested:
# the same per-stack figures.
env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/k.seg" HAKMEM_TRACE_KEEP=1 HAKMEM_PROFILE=1 \
    HAKMEM_PROFILE_RATE=1 HAKMEM_PROFILE_SITES=1 HAKMEM_TRACE_STACKS=1 HAKMEM_TRACE_EVENTS=1048576 \
    "$prog" 20 >"$tmp/out2"
hkt ingest "$tmp/k.seg" -o "$tmp/ing.db" 2>/dev/null
check_eq "ingest of the kept segment: exit status" 0 $?
figures="SELECT allocs, alloc_weight, bytes, requested, frees, live, in_use, peak_in_use, peak_live,
                temporaries FROM profile_stacks ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"
check_eq "record == ingest: per-stack figures" "$(qs "$tmp/ing.db" "$figures" | md5sum)" \
    "$(qs "$db" "$figures" | md5sum)"
check_eq "record == ingest: totals" \
    "$(qs "$tmp/ing.db" "SELECT rate, samples, frees, unmatched_frees, live, in_use, peak FROM profile_runs")" \
    "$(qs "$db" "SELECT rate, samples, frees, unmatched_frees, live, in_use, peak FROM profile_runs")"
exit $fail
