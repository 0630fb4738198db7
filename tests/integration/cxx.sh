#!/bin/bash
# cxx.sh — C++ programs on hakmem: containers, new/delete in every form, aligned and
# nothrow new and std::bad_alloc at HAKMEM_CHECK=1 and 2; at level 2 each
# alloc-dealloc mismatch (free of new[], delete of malloc, delete of new[]) is
# reported. Compiles tests/cxx_ops.cc with g++; skips (77) without g++.
set -u
. "$(dirname "$0")/common.sh"
need_lib
[ -n "${HK_SRCDIR:-}" ] || skip "HK_SRCDIR is not set"
need_command g++
g++ -O1 -std=c++17 -Wno-mismatched-new-delete -o "$tmp/cxx" "$HK_SRCDIR/tests/cxx_ops.cc" 2>"$tmp/cc.err" ||
    { echo "FAIL: g++ could not build tests/cxx_ops.cc: $(head -3 "$tmp/cc.err")"; exit 1; }
for level in 0 1 2; do
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=$level "$tmp/cxx" ok
    expect "HAKMEM_CHECK=$level: containers, new/delete, aligned, nothrow, bad_alloc (rc $rc, $(head -1 "$tmp/out"))" \
        "$([ $rc = 0 ] && grep -q '^cxx ok' "$tmp/out" && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
done
for case in "free_new_array|operator new\[\]|free" "delete_malloc|malloc|operator delete" \
            "delete_new_array|operator new\[\]|operator delete"; do
    IFS='|' read -r kind from by <<<"$case"
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 "$tmp/cxx" "$kind"
    expect "$kind level 2: SIGABRT (rc $rc) after '$(head -1 "$tmp/err")'" \
        "$([ $rc = 134 ] && grep -q "^hakmem: ERROR: alloc-dealloc mismatch on 0x[0-9a-f]* ([0-9]*-byte block from $from) in $by()" "$tmp/err" && grep -q '^    #0 ' "$tmp/err"; echo $?)"
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=2 HAKMEM_ON_ERROR=report "$tmp/cxx" "$kind"
    expect "$kind level 2 report: goes on (rc $rc)" "$([ $rc = 0 ] && grep -q '^after 1' "$tmp/out"; echo $?)"
done
echo "$checks checks"
exit $failed
