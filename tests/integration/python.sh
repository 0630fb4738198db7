#!/bin/bash
# tests/integration/python.sh — python3 on a dict/JSON-heavy script must print the same
# digest with and without LD_PRELOAD=$HK_LIB. Exit 0 pass, 1 fail, 77 skip.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_command python3

work=${HK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/examples/dictjson.py
[ -f "$work" ] || fail "$work: expected the workload script, got no such file"

# run TAG [VAR=VALUE...]: python3 under env VAR=VALUE..., output in $tmp/TAG.{out,err}.
run() {
    local tag=$1 rc=0
    shift
    PYTHONHASHSEED=0 timeout 300 env "$@" python3 "$work" \
        >"$tmp/$tag.out" 2>"$tmp/$tag.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "stderr ($tag):"; tail -n 20 "$tmp/$tag.err"
        fail "python3 ($tag): expected exit 0, got $rc"
    fi
}

echo "check: python3 dict/JSON script gives the same output with and without hakmem"
run ref
run hakmem LD_PRELOAD="$HK_LIB"
echo "  without: $(cat "$tmp/ref.out")"
echo "  with:    $(cat "$tmp/hakmem.out")"
if ! cmp -s "$tmp/ref.out" "$tmp/hakmem.out"; then
    fail "output under hakmem: expected the line above (without), got a different one"
fi
if [ -s "$tmp/hakmem.err" ]; then
    echo "note: stderr under hakmem:"; head -n 20 "$tmp/hakmem.err"
fi
echo "PASS"
