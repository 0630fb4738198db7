#!/bin/bash
# profile.sh — the heap profiler's events are true (HAKMEM_PROFILE): at rate 1
# every allocation of tests/profile_sites has an alloc event with its stack and
# every free one free event, the leaked blocks are the ones left; across
# threads (tests/profile_threads: frees by other threads after the owners
# exited, realloc) no free event is lost or doubled; at the default rate the
# samples are rare and their weights sum to about the allocations made; off,
# nothing is recorded; bad values and missing tracing are one line each.
set -u
source "$(dirname "$0")/common.sh"
need_test profile_sites
threads=$HK_TESTS/profile_threads
[ -x "$threads" ] || skip "$threads not built"
count=$HK_TESTS/trace_count
[ -x "$count" ] || skip "$count not built"

stat_of() { sed -n "s/^$2 \([0-9][0-9]*\)$/\1/p" "$1" | head -1; }

# profiled NAME VAR=VALUE... PROGRAM ARGS: the program traced with HAKMEM_PROFILE=1
# into $tmp/NAME.seg (kept), its events counted into $tmp/NAME.count.
profiled() {
    local name=$1
    shift
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/$name.seg" HAKMEM_TRACE_KEEP=1 HAKMEM_PROFILE=1 \
        HAKMEM_TRACE_EVENTS=4194304 "$@"
    cp "$tmp/out" "$tmp/$name.out"
    cp "$tmp/err" "$tmp/$name.err"
    "$count" "$tmp/$name.seg" >"$tmp/$name.count" 2>&1
}

# ---- rate 1: every allocation, exactly
profiled sites HAKMEM_PROFILE_RATE=1 "$prog" 20
c=$tmp/sites.count
expect "profile_sites ran (status $rc)" "$rc"
expect "nothing dropped ($(stat_of "$c" dropped))" "$([ "$(stat_of "$c" dropped)" = 0 ]; echo $?)"
expect "the segment says rate 1 ($(stat_of "$c" profile_rate))" "$([ "$(stat_of "$c" profile_rate)" = 1 ]; echo $?)"
allocs=$(stat_of "$c" alloc) frees=$(stat_of "$c" free) live=$(stat_of "$c" profile_live)
# 20 rounds of 1000 + 1000 + 4000 allocations, 20 * 125 leaked; libc's own few (stdio's buffer) on top
expect "alloc events: 120000 of the sites' and a few of libc's (got $allocs)" \
    "$([ "$allocs" -ge 120000 ] && [ "$allocs" -le 120010 ]; echo $?)"
expect "live at exit: the 2500 leaked and a few of libc's (got $live)" \
    "$([ "$live" -ge 2500 ] && [ "$live" -le 2510 ]; echo $?)"
expect "alloc = free + live ($allocs = $frees + $live)" "$([ "$allocs" = $((frees + live)) ]; echo $?)"
expect "no free of a block without its alloc ($(stat_of "$c" profile_unmatched_frees))" \
    "$([ "$(stat_of "$c" profile_unmatched_frees)" = 0 ]; echo $?)"
expect "no block allocated twice without a free ($(stat_of "$c" profile_lost_frees))" \
    "$([ "$(stat_of "$c" profile_lost_frees)" = 0 ]; echo $?)"
expect "every alloc event has a stack ($(stat_of "$c" alloc_with_stack) of $allocs)" \
    "$([ "$(stat_of "$c" alloc_with_stack)" = "$allocs" ]; echo $?)"
stacks=$(stat_of "$c" stacks)
expect "stacks interned once per site: a handful, not one per allocation (got $stacks)" \
    "$([ "$stacks" -ge 3 ] && [ "$stacks" -le 20 ]; echo $?)"

# ---- the frame-pointer walk finds the same sites (the program keeps frame pointers)
profiled sites_fp HAKMEM_PROFILE_RATE=1 HAKMEM_PROFILE_STACKS=fp "$prog" 2
c=$tmp/sites_fp.count
expect "fp: every alloc event has a stack" "$([ "$(stat_of "$c" alloc_with_stack)" = "$(stat_of "$c" alloc)" ]; echo $?)"
expect "fp: the frames lie in the module map ($(stat_of "$c" frames_in_modules) of $(stat_of "$c" frames))" \
    "$([ "$(stat_of "$c" frames_in_modules)" = "$(stat_of "$c" frames)" ]; echo $?)"

# ---- threads: frees by other threads, after the owners exited; realloc
profiled threads HAKMEM_PROFILE_RATE=1 "$threads" 3
c=$tmp/threads.count
expect "profile_threads ran and kept every block's contents (status $rc: $(head -c 200 "$tmp/threads.err"))" "$rc"
expect "threads: nothing dropped" "$([ "$(stat_of "$c" dropped)" = 0 ]; echo $?)"
expect "threads: no free event without its alloc ($(stat_of "$c" profile_unmatched_frees))" \
    "$([ "$(stat_of "$c" profile_unmatched_frees)" = 0 ]; echo $?)"
expect "threads: no free event lost ($(stat_of "$c" profile_lost_frees))" \
    "$([ "$(stat_of "$c" profile_lost_frees)" = 0 ]; echo $?)"
expect "threads: realloc's frees say realloc ($(stat_of "$c" profile_realloc_frees))" \
    "$([ "$(stat_of "$c" profile_realloc_frees)" -ge 1000 ]; echo $?)"
expect "threads: at most libc's few blocks live at exit ($(stat_of "$c" profile_live))" \
    "$([ "$(stat_of "$c" profile_live)" -le 16 ]; echo $?)"
allocs=$(stat_of "$c" alloc)
expect "threads: 12 producers' 24000 allocations and their reallocs sampled (got $allocs)" \
    "$([ "$allocs" -ge 24000 ]; echo $?)"

# ---- fork: the child samples into its own segment; the parent goes on
fork=$HK_TESTS/profile_fork
if [ -x "$fork" ]; then
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE=1 HAKMEM_TRACE_KEEP=1 HAKMEM_PROFILE=1 HAKMEM_PROFILE_RATE=1 "$fork"
    read -r _ parent _ child <"$tmp/out"
    expect "fork: profile_fork ran (status $rc, $(cat "$tmp/out"))" "$rc"
    "$count" "/dev/shm/hakmem.$child" >"$tmp/child.count" 2>&1
    "$count" "/dev/shm/hakmem.$parent" >"$tmp/parent.count" 2>&1
    rm -f "/dev/shm/hakmem.$child" "/dev/shm/hakmem.$parent"
    expect "fork: the child's 1000 allocations sampled in its segment ($(stat_of "$tmp/child.count" alloc))" \
        "$([ "$(stat_of "$tmp/child.count" alloc)" = 1000 ]; echo $?)"
    expect "fork: the child's 1001 frees, one of its parent's block ($(stat_of "$tmp/child.count" free), unmatched $(stat_of "$tmp/child.count" profile_unmatched_frees))" \
        "$([ "$(stat_of "$tmp/child.count" free)" = 1001 ] && [ "$(stat_of "$tmp/child.count" profile_unmatched_frees)" = 1 ]; echo $?)"
    expect "fork: the parent's samples before and after the fork, none lost ($(stat_of "$tmp/parent.count" alloc) allocs, lost $(stat_of "$tmp/parent.count" profile_lost_frees), unmatched $(stat_of "$tmp/parent.count" profile_unmatched_frees))" \
        "$([ "$(stat_of "$tmp/parent.count" alloc)" -ge 2 ] && [ "$(stat_of "$tmp/parent.count" profile_unmatched_frees)" = 0 ] &&
            [ "$(stat_of "$tmp/parent.count" profile_lost_frees)" = 0 ]; echo $?)"
fi

# ---- the default rate: rare samples
profiled rate HAKMEM_PROFILE_SEED=7 "$prog" 200
c=$tmp/rate.count
allocs=$(stat_of "$c" alloc)
# 200 rounds allocate 200 * 4 488 000 B = 898 MB: about 1712 samples at 524288 B
expect "default rate: about one sample per 512 KiB allocated (got $allocs for 898 MB)" \
    "$([ "$allocs" -ge 1400 ] && [ "$allocs" -le 2100 ]; echo $?)"
expect "default rate: the segment says 524288" "$([ "$(stat_of "$c" profile_rate)" = 524288 ]; echo $?)"
profiled rate2 HAKMEM_PROFILE_SEED=7 "$prog" 200
expect "a fixed seed samples the same number of allocations ($allocs, $(stat_of "$tmp/rate2.count" alloc))" \
    "$([ "$(stat_of "$tmp/rate2.count" alloc)" = "$allocs" ]; echo $?)"

# ---- site tags: examples/pinned's pins all belong to its one long-lived block's site
if [ -x "${HK_EXAMPLES:-}/pinned" ]; then
    profiled pinned HAKMEM_PROFILE_SITES=1 HAKMEM_SS_EMPTY_REUSE=0 "$HK_EXAMPLES/pinned" 16
    c=$tmp/pinned.count
    expect "sites: pinned ran (status $rc)" "$rc"
    expect "sites: 16 slabs found pinned at the maps ($(stat_of "$c" pin_slabs_at_maps))" \
        "$([ "$(stat_of "$c" pin_slabs_at_maps)" -ge 16 ]; echo $?)"
    # the one other pin is libc's TLS block of hakmem's sampler thread (pthread_create)
    expect "sites: one site pins the 16 SuperSlabs' slabs ($(stat_of "$c" pin_top_site_slabs) of $(stat_of "$c" pin_slabs_at_maps))" \
        "$([ "$(stat_of "$c" pin_top_site_slabs)" -ge 16 ] &&
            [ $(($(stat_of "$c" pin_slabs_at_maps) - $(stat_of "$c" pin_top_site_slabs))) -le 2 ]; echo $?)"
    expect "sites: slab_pin events at exit too ($(stat_of "$c" slab_pin))" \
        "$([ "$(stat_of "$c" slab_pin)" -gt "$(stat_of "$c" pin_slabs_at_maps)" ]; echo $?)"
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/s0.seg" HAKMEM_PROFILE=1 HAKMEM_PROFILE_SITES=1 HAKMEM_CHECK=0 "$prog" 1
    expect "sites at HAKMEM_CHECK=0: one line says they are off ($(cat "$tmp/err"))" \
        "$([ "$rc" = 0 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'site tags are off' "$tmp/err"; echo $?)"
fi

# ---- HAKMEM_STATS=1: the top sites at exit on stderr, exact at rate 1
# (hold: 20 * 4 096 000 B = 80000 KiB; leak: 20 * 125 * 200 B = 488 KiB live; their lines:)
src=${HK_SRCDIR:-.}/tests/profile_sites.c
hold_line=$(grep -n 'site_hold(), 4096' "$src" | cut -d: -f1)
leak_line=$(grep -n '= site_leak();' "$src" | cut -d: -f1)
run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/st.seg" HAKMEM_PROFILE=1 HAKMEM_PROFILE_RATE=1 HAKMEM_STATS=1 "$prog" 20
sed -n '/top sites by bytes allocated/,/top sites by bytes still/p' "$tmp/err" >"$tmp/st.alloc"
sed -n '/top sites by bytes still in use/,$p' "$tmp/err" >"$tmp/st.live"
expect "stats: the top site by bytes allocated is site_hold's call, 80000 KiB from 20000 samples ($(sed -n 2,3p "$tmp/st.alloc"))" \
    "$(sed -n 2p "$tmp/st.alloc" | grep -q '#1 80000 KiB from 20000 samples' &&
        sed -n 3p "$tmp/st.alloc" | grep -q "profile_sites\\.c:$hold_line"; echo $?)"
expect "stats: the top site still in use at exit is site_leak's call, 488 KiB ($(sed -n 2,3p "$tmp/st.live"))" \
    "$(sed -n 2p "$tmp/st.live" | grep -q '#1 488 KiB from 20000 samples' &&
        sed -n 3p "$tmp/st.live" | grep -q "profile_sites\\.c:$leak_line"; echo $?)"
run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/st2.seg" HAKMEM_PROFILE=1 HAKMEM_PROFILE_SEED=3 HAKMEM_STATS=1 "$prog" 20
expect "stats at the default rate: estimated, the leak's call first among what is in use" \
    "$(grep -q 'estimated from samples' "$tmp/err" &&
        sed -n '/still in use/,$p' "$tmp/err" | sed -n 3p | grep -q "profile_sites\\.c:$leak_line"; echo $?)"
run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/st3.seg" HAKMEM_STATS=1 "$prog" 2
expect "stats without a profile: no profile lines" "$(! grep -q 'hakmem profile' "$tmp/err"; echo $?)"

# ---- off: no event, no rate
run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/off.seg" HAKMEM_TRACE_KEEP=1 "$prog" 2
"$count" "$tmp/off.seg" >"$tmp/off.count" 2>&1
expect "off: no alloc event ($(stat_of "$tmp/off.count" alloc))" "$([ "$(stat_of "$tmp/off.count" alloc)" = 0 ]; echo $?)"
expect "off: rate 0 in the segment" "$([ "$(stat_of "$tmp/off.count" profile_rate)" = 0 ]; echo $?)"

# ---- bad values and what profiling needs: one line each, the program still runs
run_env LD_PRELOAD="$HK_LIB" HAKMEM_PROFILE=1 "$prog" 1
expect "HAKMEM_PROFILE=1 without HAKMEM_TRACE: the program runs (status $rc)" "$rc"
expect "HAKMEM_PROFILE=1 without HAKMEM_TRACE: one line says profiling is off ($(cat "$tmp/err"))" \
    "$([ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'needs HAKMEM_TRACE' "$tmp/err"; echo $?)"
run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/bad.seg" HAKMEM_PROFILE=1 HAKMEM_PROFILE_RATE=0 "$prog" 1
expect "HAKMEM_PROFILE_RATE=0: one line names the variable ($(head -n 1 "$tmp/err"))" \
    "$([ "$(wc -l <"$tmp/err")" = 1 ] && grep -q HAKMEM_PROFILE_RATE "$tmp/err"; echo $?)"
run_env LD_PRELOAD="$HK_LIB" HAKMEM_TRACE="$tmp/l2.seg" HAKMEM_PROFILE=1 HAKMEM_CHECK=2 "$prog" 1
expect "HAKMEM_CHECK=2: one line says profiling is off ($(cat "$tmp/err"))" \
    "$([ "$rc" = 0 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'HAKMEM_CHECK=2' "$tmp/err"; echo $?)"

echo "$checks checks"
exit $failed
