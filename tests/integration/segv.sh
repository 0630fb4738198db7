#!/bin/bash
# segv.sh — hakmem's SIGSEGV handler next to a program's own (tests/segv_order):
# whichever is installed first, the program's handler gets the faults that are
# not hakmem's and hakmem reports the ones in its guard pages; a thread that
# overflows its stack reaches the program's handler on the alternate stack
# hakmem gave the thread, or dies of SIGSEGV with no report.
set -u
. "$(dirname "$0")/common.sh"
need_test segv_order

own() { # WHAT: the program's handler ran, no hakmem report
    expect "$1 (rc $rc)" "$([ $rc = 5 ] && grep -q '^own handler$' "$tmp/out" && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
}
hakmem_report() { # WHAT: hakmem's report, then SIGABRT; the program's handler did not run
    expect "$1 (rc $rc)" "$([ $rc = 134 ] && grep -q '^hakmem: ERROR: heap-buffer-overflow .*4096-byte block) in a write' "$tmp/err" &&
        ! grep -q '^own handler$' "$tmp/out"; echo $?)"
}
for level in "HAKMEM_GUARD_SAMPLE=1" "HAKMEM_CHECK=3"; do
    # before: the program's handler, then hakmem (dlopen: its constructor installs its handler)
    run_env $level "$prog" before_own "$HK_LIB"
    own "$level, handler before hakmem: its own fault to the program's handler"
    run_env $level "$prog" before_guard "$HK_LIB"
    hakmem_report "$level, handler before hakmem: a guard-page fault reported by hakmem"
    # after: hakmem preloaded, then the program's sigaction
    run_env LD_PRELOAD="$HK_LIB" $level "$prog" after_own
    own "$level, handler after hakmem: its own fault to the program's handler"
    run_env LD_PRELOAD="$HK_LIB" $level "$prog" after_own_none
    expect "$level, no handler: a fault on the program's own page keeps the default action, no report (rc $rc)" \
        "$([ $rc = 139 ] && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
    run_env LD_PRELOAD="$HK_LIB" $level "$prog" after_guard
    hakmem_report "$level, handler after hakmem: a guard-page fault still reported by hakmem"
    run_env LD_PRELOAD="$HK_LIB" $level "$prog" overflow_handler
    own "$level, a thread's stack overflow: to the program's handler, on hakmem's alternate stack"
    run_env LD_PRELOAD="$HK_LIB" $level "$prog" overflow_none
    expect "$level, a thread's stack overflow without a handler: SIGSEGV, no report (rc $rc)" \
        "$([ $rc = 139 ] && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
done
# signal() goes through the same path
# A thread's own alternate stack, set before its first allocation, is kept
# (hakmem gives one only to threads without), at the default level with sampled guards.
run_env LD_PRELOAD="$HK_LIB" HAKMEM_GUARD_SAMPLE=5000 "$prog" own_altstack
expect "a thread's own alternate stack is kept (rc $rc: 7 replaced, 8 disabled)" \
    "$([ $rc = 0 ] && grep -q '^after$' "$tmp/out"; echo $?)"
run_env LD_PRELOAD="$HK_LIB" HAKMEM_GUARD_SAMPLE=1 "$prog" after_own_signal
own "signal() after hakmem: its own fault to the program's handler"
echo "$checks checks"
exit $failed
