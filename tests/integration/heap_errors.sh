#!/bin/bash
# heap_errors.sh — each heap error kind on each size tier: the report's
# first line, the stack, the exit (SIGABRT, exit:N), and HAKMEM_ON_ERROR=report
# finishing with a consistent heap; HAKMEM_CHECK=0 still refuses bad pointers.
set -u
[ -n "${HK_LIB:-}" ] && [ -n "${HK_TESTS:-}" ] || { echo "HK_LIB/HK_TESTS unset: skip"; exit 77; }
prog=$HK_TESTS/heap_errors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

expect() { # description condition-result
    n=$((n + 1))
    if [ "$2" = 0 ]; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi
}

block_of() { # tier → the words the report uses for its block
    case $1 in tiny) echo "32-byte block, class 1" ;; mid) echo "20480-byte block, class 36" ;; large) echo "[0-9]*-byte large block" ;; esac
}

run() { # env... → rc in $rc, stderr in $tmp/err, stdout in $tmp/out
    exec 3>&2 2>/dev/null # no "Aborted" line from the shell
    env "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    exec 2>&3 3>&-
}

for tier in tiny mid large; do
    for kind in double double_delayed double_reused invalid_interior invalid_unaligned realloc_freed realloc_interior \
                invalid_stack invalid_static invalid_far invalid_alloca; do
        case $kind in
            double*|realloc_freed) what="double free of 0x[0-9a-f]* ($(block_of $tier)" ;;
            invalid_interior|invalid_unaligned|realloc_interior)
                what="invalid free of 0x[0-9a-f]* (interior pointer [0-9]* bytes into a [0-9]*-byte $([ $tier = large ] && echo "large block" || echo block)" ;;
            invalid_stack) what="invalid free of 0x[0-9a-f]* (not allocated by hakmem: on the stack" ;;
            invalid_alloca) what="invalid free of 0x[0-9a-f]* (not allocated by hakmem: on the stack" ;;
            invalid_static) what="invalid free of 0x[0-9a-f]* (not allocated by hakmem: in the static data of" ;;
            invalid_far) what="invalid free of 0x[0-9a-f]* (not allocated by hakmem)" ;;
        esac
        run LD_PRELOAD="$HK_LIB" "$prog" "$kind" "$tier"
        first=$(head -1 "$tmp/err")
        expect "$kind/$tier default: SIGABRT (rc $rc) after '$first'" \
            "$([ $rc = 134 ] && grep -q "^hakmem: ERROR: $what" "$tmp/err" && grep -q '^    #0 ' "$tmp/err"; echo $?)"
        run LD_PRELOAD="$HK_LIB" HAKMEM_ON_ERROR=report "$prog" "$kind" "$tier"
        expect "$kind/$tier report: finishes with a consistent heap (rc $rc)" \
            "$([ $rc = 0 ] && grep -q "heap consistent" "$tmp/out" && [ "$(grep -c '^hakmem: ERROR' "$tmp/err")" = 1 ]; echo $?)"
        run LD_PRELOAD="$HK_LIB" HAKMEM_ON_ERROR=exit:3 "$prog" "$kind" "$tier"
        expect "$kind/$tier exit:3: rc $rc" "$([ $rc = 3 ]; echo $?)"
        if [ "${kind#invalid}" != "$kind" ] || [ "$kind" = realloc_interior ]; then
            run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=0 HAKMEM_ON_ERROR=report "$prog" "$kind" "$tier"
            expect "$kind/$tier HAKMEM_CHECK=0: still refused, heap consistent (rc $rc)" \
                "$([ $rc = 0 ] && grep -q "^hakmem: ERROR: invalid free" "$tmp/err" && grep -q "heap consistent" "$tmp/out"; echo $?)"
        fi
    done
    # Across threads: the second free is caught when the owner collects the
    # remote frees (the block was not handed out again in between).
    run LD_PRELOAD="$HK_LIB" "$prog" double_remote "$tier"
    expect "double_remote/$tier default: SIGABRT (rc $rc) after '$(head -1 "$tmp/err")'" \
        "$([ $rc = 134 ] && grep -q "^hakmem: ERROR: double free of" "$tmp/err"; echo $?)"
done
# HAKMEM_CHECK=2: redzones, poison, pattern fill, guard pages, zero-size traps.
for tier in tiny mid large; do
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 "$prog" overflow1 "$tier"
    if [ "$tier" = large ]; then
        expect "overflow1/large level 2: the guard page traps (rc $rc, SIGSEGV expected)" "$([ $rc = 139 ]; echo $?)"
    else
        expect "overflow1/$tier level 2: SIGABRT (rc $rc) after '$(head -1 "$tmp/err")'" \
            "$([ $rc = 134 ] && grep -q '^hakmem: ERROR: heap-buffer-overflow on 0x[0-9a-f]* (byte 0 past the end of a [0-9]*-byte block) in free()' "$tmp/err"; echo $?)"
    fi
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 "$prog" underflow1 "$tier"
    expect "underflow1/$tier level 2: SIGABRT (rc $rc) after '$(head -1 "$tmp/err")'" \
        "$([ $rc = 134 ] && grep -q '^hakmem: ERROR: heap-buffer-underflow on' "$tmp/err"; echo $?)"
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 HAKMEM_ON_ERROR=report "$prog" underflow1 "$tier"
    expect "underflow1/$tier level 2 report: consistent heap (rc $rc)" "$([ $rc = 0 ] && grep -q 'heap consistent' "$tmp/out"; echo $?)"
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 "$prog" write_after_free "$tier"
    expect "write_after_free/$tier level 2: SIGABRT (rc $rc) after '$(head -1 "$tmp/err")'" \
        "$([ $rc = 134 ] && grep -q '^hakmem: ERROR: write after free on 0x[0-9a-f]* (byte 3 of a freed' "$tmp/err"; echo $?)"
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 "$prog" fresh_pattern "$tier"
    expect "fresh_pattern/$tier level 2: new blocks pattern-filled ($(head -1 "$tmp/out"))" "$(grep -q 'fresh byte 0xaa' "$tmp/out"; echo $?)"
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 HAKMEM_ON_ERROR=report "$prog" double "$tier"
    expect "double/$tier level 2 report: consistent heap (rc $rc)" \
        "$([ $rc = 0 ] && grep -q '^hakmem: ERROR: double free of' "$tmp/err" && grep -q 'heap consistent' "$tmp/out"; echo $?)"
done
# HAKMEM_TRACE_STACKS=1 at level 2: the report adds the stacks that allocated and first freed the block.
for tier in tiny mid large; do
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 HAKMEM_TRACE_STACKS=1 "$prog" double "$tier"
    expect "double/$tier level 2 with stacks: allocated and first freed stacks (rc $rc)" \
        "$([ $rc = 134 ] && grep -A1 '^  allocated at:$' "$tmp/err" | grep -q '^    #0 ' &&
           grep -A1 '^  first freed at:$' "$tmp/err" | grep -q '^    #0 '; echo $?)"
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 HAKMEM_TRACE_STACKS=1 "$prog" write_after_free "$tier"
    expect "write_after_free/$tier level 2 with stacks: both stacks (rc $rc)" \
        "$([ $rc = 134 ] && grep -q '^  allocated at:$' "$tmp/err" && grep -q '^  first freed at:$' "$tmp/err"; echo $?)"
done
run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 "$prog" double tiny
expect "double/tiny level 2 without HAKMEM_TRACE_STACKS: no block stacks" \
    "$(! grep -q 'allocated at:' "$tmp/err"; echo $?)"
run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 "$prog" zero_size_write tiny
expect "zero_size_write level 2: malloc(0) traps when written (rc $rc)" "$([ $rc = 139 ]; echo $?)"

# The error is an event too: heap_error in the trace.
if [ -x "$HK_TESTS/trace_count" ]; then
    HAKMEM_TRACE="$tmp/seg" HAKMEM_TRACE_KEEP=1 HAKMEM_ON_ERROR=report LD_PRELOAD="$HK_LIB" "$prog" double tiny >/dev/null 2>&1
    "$HK_TESTS/trace_count" "$tmp/seg" >"$tmp/count"
    expect "heap_error event recorded: $(grep '^heap_error' "$tmp/count")" "$(grep -q '^heap_error 1$' "$tmp/count"; echo $?)"
fi
echo "$n checks"
exit $fail
