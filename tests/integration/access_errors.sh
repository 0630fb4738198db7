#!/bin/bash
# access_errors.sh — heap errors caught at the access (tests/access_errors):
# at HAKMEM_CHECK=2 every function of the checked memcpy family stops a copy
# that leaves its block, or uses a freed one, before it writes, with the
# report's kind, byte, block size and stacks; pointers hakmem does not own and
# lower levels go straight to libc. At HAKMEM_CHECK=3 guard pages stop direct
# overflows, underflows and uses after free at the faulting access.
set -u
. "$(dirname "$0")/common.sh"
need_test access_errors


# check DESCRIPTION PATTERN ENV... -- ARGS: stopped by SIGABRT before "after",
# the report's first line matching PATTERN and a stack under it.
stopped() {
    local what=$1 pattern=$2
    shift 2
    run_env "$@"
    expect "$what: SIGABRT before the next statement (rc $rc) after '$(head -1 "$tmp/err")'" \
        "$([ $rc = 134 ] && ! grep -q '^after$' "$tmp/out" && grep -q "^hakmem: ERROR: $pattern" "$tmp/err" &&
           grep -A1 '^hakmem: ERROR' "$tmp/err" | grep -q '^    #0 '; echo $?)"
}

L="LD_PRELOAD=$HK_LIB"
for size in 8 4096 262144; do
    for f in memcpy memmove memset strcpy strncpy strcat strncat stpcpy memccpy; do
        for kind in over1 over32; do
            stopped "$kind $f $size level 2" \
                "heap-buffer-overflow on 0x[0-9a-f]* (byte 0 past the end of an\{0,1\} $size-byte block) in $f()" \
                "$L" HAKMEM_CHECK=2 "$prog" $kind $f $size
        done
        case $f in strcat | strncat) continue ;; esac # they write at the string's end
        for kind in under1 under32; do
            stopped "$kind $f $size level 2" \
                "heap-buffer-underflow on 0x[0-9a-f]* (byte ${kind#under} before the start of an\{0,1\} $size-byte block) in $f()" \
                "$L" HAKMEM_CHECK=2 "$prog" $kind $f $size
        done
    done
    stopped "overrun1m memcpy $size level 2" \
        "heap-buffer-overflow on 0x[0-9a-f]* (byte 0 past the end of an\{0,1\} $size-byte block) in memcpy()" \
        "$L" HAKMEM_CHECK=2 "$prog" overrun1m memcpy $size
    for kind in write_after_free write_after_free_allocs; do
        stopped "$kind memset $size level 2" "use after free on 0x[0-9a-f]* (byte 3 of a freed $size-byte block) in memset()" \
            "$L" HAKMEM_CHECK=2 "$prog" $kind memset $size
    done
    for kind in read_after_free read_after_free_allocs; do
        stopped "$kind memcpy (the source) $size level 2" \
            "use after free on 0x[0-9a-f]* (byte 3 of a freed $size-byte block) in memcpy()" \
            "$L" HAKMEM_CHECK=2 "$prog" $kind memcpy $size
    done
    # both stacks with HAKMEM_TRACE_STACKS=1
    run_env "$L" HAKMEM_CHECK=2 HAKMEM_TRACE_STACKS=1 "$prog" write_after_free memcpy $size
    expect "write_after_free memcpy $size: the allocation and free stacks name main (rc $rc)" \
        "$([ $rc = 134 ] && grep -A1 '^  allocated at:$' "$tmp/err" | grep -q '#0 .* in main' &&
           grep -A2 '^  first freed at:$' "$tmp/err" | grep -q ' in after_free\| in main'; echo $?)"
    # the copy goes on with HAKMEM_ON_ERROR=report (into a large block's guard page: SIGSEGV)
    [ $size = 262144 ] || run_env "$L" HAKMEM_CHECK=2 HAKMEM_ON_ERROR=report "$prog" over1 memcpy $size
    [ $size = 262144 ] || expect "over1 memcpy $size level 2 report: one report, then on (rc $rc)" \
        "$([ $rc = 0 ] && grep -q '^after$' "$tmp/out" && [ "$(grep -c '^hakmem: ERROR: heap-buffer-overflow.* in memcpy()' "$tmp/err")" = 1 ]; echo $?)"
    # level 1: copies are not checked
    run_env "$L" HAKMEM_CHECK=1 "$prog" over1 memcpy $size
    expect "over1 memcpy $size level 1: not checked (rc $rc)" \
        "$([ $rc = 0 ] && grep -q '^after$' "$tmp/out" && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
done
stopped "zero_write memcpy level 2" "heap-buffer-overflow on 0x[0-9a-f]* (byte 0 past the end of a 0-byte block) in memcpy()" \
    "$L" HAKMEM_CHECK=2 "$prog" zero_write memcpy 8

# HAKMEM_CHECK=3: every block against a guard page (after it, or before it with
# HAKMEM_GUARD=under), freed blocks inaccessible. A direct bad access traps at
# once, except a byte short of the guard (the 16-byte alignment's slack, and
# before the block on the far side from the guard): those canaries are checked
# at the free that follows; either way the program stops before "after".
byte_of() { case $1 in over1) echo 0 ;; over32) echo 31 ;; under1) echo 1 ;; under32) echo 32 ;; esac; }
# stacks_named WHAT: the report of $tmp/err names the access's, allocation and free stacks.
stacks_named() {
    expect "$1: the access's, allocation and free stacks (rc $rc)" \
        "$([ $rc = 134 ] && grep -A1 '^hakmem: ERROR' "$tmp/err" | grep -q '#0 .* in after_free\| in main' &&
           grep -A1 '^  allocated at:$' "$tmp/err" | grep -q '#0 .* in main' &&
           grep -A2 '^  first freed at:$' "$tmp/err" | grep -q ' in after_free\| in main'; echo $?)"
}
# guarded LABEL ENV...: every direct case of a guarded block, either side,
# the label (level 3, sampled) in each check's name.
guarded() {
    local label=$1 side size kind what at G
    shift
    for side in over under; do
        G="HAKMEM_GUARD=$side"
        for size in 8 4096 262144; do
            for kind in over1 over32 under1 under32; do
                case $kind in over*) what="heap-buffer-overflow on 0x[0-9a-f]* (byte $(byte_of $kind) past the end" ;;
                              *) what="heap-buffer-underflow on 0x[0-9a-f]* (byte $(byte_of $kind) before the start" ;; esac
                at="in a write"
                case $side/$kind/$size in over/under*/8 | over/over1/8 | under/over*/8) at="in free()" ;; esac
                stopped "$kind direct $size $label $side: $at" "$what of an\{0,1\} $size-byte block) $at" \
                    "$L" "$@" "$G" "$prog" $kind direct $size
            done
            stopped "overrun1m direct $size $label $side" "heap-buffer-overflow on 0x[0-9a-f]* (byte [0-9]* past the end of an\{0,1\} $size-byte block) in a write" \
                "$L" "$@" "$G" "$prog" overrun1m direct $size
            for kind in read_after_free write_after_free read_after_free_allocs write_after_free_allocs; do
                stopped "$kind direct $size $label $side" \
                    "use after free on 0x[0-9a-f]* (byte 3 of a freed $size-byte block) in a ${kind%%_*}" \
                    "$L" "$@" "$G" "$prog" $kind direct $size
            done
        done
        for kind in zero_read zero_write; do
            stopped "$kind $label $side" "heap-buffer-overflow on 0x[0-9a-f]* (byte 0 past the end of a 0-byte block) in a ${kind#zero_}" \
                "$L" "$@" "$G" "$prog" $kind direct 0
        done
    done
}
guarded "level 3" HAKMEM_CHECK=3
for side in over under; do
    for size in 8 4096 262144; do
        stopped "over1 memcpy $size level 3 $side: before the copy" \
            "heap-buffer-overflow on 0x[0-9a-f]* (byte 0 past the end of an\{0,1\} $size-byte block) in memcpy()" \
            "$L" HAKMEM_CHECK=3 HAKMEM_GUARD=$side "$prog" over1 memcpy $size
        run_env "$L" HAKMEM_CHECK=3 HAKMEM_GUARD=$side HAKMEM_TRACE_STACKS=1 "$prog" write_after_free direct $size
        stacks_named "write_after_free direct $size level 3 $side"
    done
done
# Sampled guards at the default level (HAKMEM_CHECK=1): with HAKMEM_GUARD_SAMPLE=1
# every allocation (up to HAKMEM_GUARD_SAMPLE_MAX) gets a guarded slot, so every
# direct case above is caught as at level 3, with both stacks and no
# HAKMEM_TRACE_STACKS; a copy runs into the guard page inside memcpy (a copy
# into an 8-byte block's alignment slack is caught at its free only, which this
# case has not).
S="HAKMEM_GUARD_SAMPLE=1 HAKMEM_GUARD_SAMPLE_MAX=1048576"
guarded sampled $S
for size in 8 4096 262144; do
    [ $size = 8 ] || stopped "over1 memcpy $size sampled: at the guard page" \
        "heap-buffer-overflow on 0x[0-9a-f]* (byte 0 past the end of an\{0,1\} $size-byte block) in a write" \
        "$L" $S "$prog" over1 memcpy $size
    for side in over under; do
        run_env "$L" $S HAKMEM_GUARD=$side "$prog" write_after_free_allocs direct $size
        stacks_named "write_after_free_allocs direct $size sampled $side"
    done
done
# The largest sampled size: a 4096-byte block is not sampled above HAKMEM_GUARD_SAMPLE_MAX.
run_env "$L" HAKMEM_GUARD_SAMPLE=1 HAKMEM_GUARD_SAMPLE_MAX=2048 "$prog" over1 direct 4096
expect "over1 direct 4096 with HAKMEM_GUARD_SAMPLE_MAX=2048: not sampled (rc $rc)" \
    "$([ $rc = 0 ] && grep -q '^after$' "$tmp/out" && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
# The default rate (1 in 5000, set here: the tests' environment turns sampled guards
# off, see Makefile.am), a fixed seed: of 200000 blocks with a planted
# overflow (inside the size class's rounding) or read after free, a sampled one
# is caught; HAKMEM_GUARD_SAMPLE=0 catches none.
for kind in planted_over planted_uaf; do
    case $kind in planted_over) what="heap-buffer-overflow .* past the end .* in free()" ;;
                  *) what="use after free .* in a read" ;; esac
    stopped "$kind, default rate, seed 1" "$what" "$L" HAKMEM_GUARD_SAMPLE=5000 HAKMEM_PROFILE_SEED=1 \
        "$prog" $kind direct 200000
    run_env "$L" HAKMEM_GUARD_SAMPLE=0 "$prog" $kind direct 200000
    expect "$kind with HAKMEM_GUARD_SAMPLE=0: none caught (rc $rc)" \
        "$([ $rc = 0 ] && grep -q '^after$' "$tmp/out" && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
done
# The gap between samples (HAKMEM_GUARD_SAMPLE_GAP): with one in 2 sampled, the
# overflows planted in the second half of the blocks are caught; with a 10 s gap the
# first sample, taken among the clean first half, is the only one, and none is.
stopped "planted_late, 1 in 2, no gap" "heap-buffer-overflow .* past the end .* in free()" "$L" \
    HAKMEM_GUARD_SAMPLE=2 HAKMEM_GUARD_SAMPLE_GAP=0 HAKMEM_PROFILE_SEED=1 "$prog" planted_late direct 20000
run_env "$L" HAKMEM_GUARD_SAMPLE=2 HAKMEM_GUARD_SAMPLE_GAP=10000000 HAKMEM_PROFILE_SEED=1 "$prog" planted_late direct 20000
expect "planted_late with a 10 s gap: none caught (rc $rc)" \
    "$([ $rc = 0 ] && grep -q '^after$' "$tmp/out" && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
# Level 3 without guard markers (tests/nomarkers.so: madvise refuses them, as
# kernels before 6.13 do): PROT_NONE pages, the same reports.
if [ -n "${HK_NOMARKERS:-}" ] && [ -f "$HK_NOMARKERS" ]; then
    N="LD_PRELOAD=$HK_NOMARKERS:$HK_LIB"
    for side in over under; do
        for size in 4096 262144; do
            case $side in over) o=over1 p="heap-buffer-overflow .* past the end" ;;
                          *) o=under1 p="heap-buffer-underflow .* before the start" ;; esac
            stopped "$o direct $size level 3 $side, PROT_NONE" "$p .* in a write" "$N" HAKMEM_CHECK=3 \
                HAKMEM_GUARD=$side "$prog" $o direct $size
        done
    done
    stopped "write_after_free direct 4096 level 3, PROT_NONE" "use after free .* in a write" "$N" HAKMEM_CHECK=3 \
        "$prog" write_after_free direct 4096
    if command -v strace >/dev/null; then # the path taken: PROT_NONE, no marker
        run_env HAKMEM_CHECK=3 strace -f -e trace=mprotect,madvise -o "$tmp/strace" \
            -E "LD_PRELOAD=$HK_NOMARKERS:$HK_LIB" "$prog" over1 direct 4096
        expect "PROT_NONE path: mprotect PROT_NONE, no guard marker (rc $rc)" \
            "$(grep -q 'mprotect(.*PROT_NONE' "$tmp/strace" && ! grep -q 'MADV_GUARD_INSTALL.*= 0\|0x66 .*= 0' "$tmp/strace"; echo $?)"
        run_env HAKMEM_CHECK=3 strace -f -e trace=madvise -o "$tmp/strace" -E "LD_PRELOAD=$HK_LIB" \
            "$prog" write_after_free direct 4096
        if grep -q 'MADV_GUARD_INSTALL.*= 0\|0x66 .*= 0' "$tmp/strace"; then
            echo "ok: this kernel has guard markers, and level 3 uses them"
        else
            echo "skip: this kernel has no guard markers (Linux 6.13): level 3 uses PROT_NONE by itself"
        fi
    fi
else
    echo "skip: level 3 without guard markers (HK_NOMARKERS unset)"
fi
# report cannot resume a faulting access: the fault is re-raised, after the report
run_env "$L" HAKMEM_CHECK=3 HAKMEM_ON_ERROR=report "$prog" write_after_free direct 4096
expect "level 3 report: the report, then the fault re-raised (rc $rc)" \
    "$([ $rc = 139 ] && grep -q '^hakmem: ERROR: use after free' "$tmp/err" && ! grep -q '^after$' "$tmp/out"; echo $?)"
run_env "$L" HAKMEM_CHECK=3 HAKMEM_ON_ERROR=exit:7 "$prog" over1 direct 4096
expect "level 3 exit:7: rc $rc" "$([ $rc = 7 ]; echo $?)"
# the heap_error event
if [ -x "$HK_TESTS/trace_count" ]; then
    run_env "$L" HAKMEM_CHECK=3 HAKMEM_TRACE="$tmp/seg" HAKMEM_TRACE_KEEP=1 "$prog" read_after_free direct 8
    "$HK_TESTS/trace_count" "$tmp/seg" >"$tmp/count"
    expect "level 3: a heap_error event recorded ($(grep '^heap_error' "$tmp/count"))" "$(grep -q '^heap_error 1$' "$tmp/count"; echo $?)"
fi
# faults that are not hakmem's: tests/integration/segv.sh

# Real programs at levels 2 and 3: no false report.
for cmd in "/usr/bin/python3 $HK_SRCDIR/examples/dictjson.py" "perl -e print(join(q(,),map{q(x)x\$_}1..3000))" \
           "sqlite3 :memory: select(hex(randomblob(100000)))"; do
    set -- $cmd
    command -v "$1" >/dev/null || continue
    for level in 2 3; do
        run_env "$L" HAKMEM_CHECK=$level "$@"
        expect "$1 at level $level: no heap error (rc $rc)" "$([ $rc = 0 ] && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
    done
done
echo "$checks checks"
exit $failed
