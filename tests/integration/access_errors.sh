#!/bin/bash
# access_errors.sh — heap errors caught at the access (tests/access_errors):
# at HAKMEM_CHECK=2 every function of the checked memcpy family stops a copy
# that leaves its block, or uses a freed one, before it writes, with the
# report's kind, byte, block size and stacks; pointers hakmem does not own and
# lower levels go straight to libc.
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

# Real programs at level 2: no false report from their copies.
for cmd in "/usr/bin/python3 $HK_SRCDIR/examples/dictjson.py" "perl -e print(join(q(,),map{q(x)x\$_}1..3000))" \
           "sqlite3 :memory: select(hex(randomblob(100000)))"; do
    set -- $cmd
    command -v "$1" >/dev/null || continue
    run_env "$L" HAKMEM_CHECK=2 "$@"
    expect "$1 at level 2: no heap error from its copies (rc $rc)" "$([ $rc = 0 ] && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
done
echo "$checks checks"
exit $failed
