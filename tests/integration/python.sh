#!/bin/bash
# tests/integration/python.sh — python3 on a dict/JSON-heavy script must print the same
# digest with and without LD_PRELOAD=$HK_LIB. Exit 0 pass, 1 fail, 77 skip.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_command python3

cat >"$tmp/work.py" <<'PY'
import hashlib, json
d = {}
for i in range(200000):
    d["k%06d" % ((i * 7919) % 200000)] = {"i": i, "s": "v" * (i % 37), "l": [i % 11, i % 7]}
s = json.dumps(d)
e = json.loads(s)
assert e == d, "json round trip changed the dict"
keys = sorted(e, key=lambda k: (e[k]["i"] % 1000, k))
h = hashlib.sha256(s.encode())
for k in keys:
    h.update(k.encode())
print(len(d), len(s), keys[0], keys[-1], h.hexdigest())
PY

# run TAG [VAR=VALUE...]: python3 under env VAR=VALUE..., output in $tmp/TAG.{out,err}.
run() {
    local tag=$1 rc=0
    shift
    PYTHONHASHSEED=0 timeout 300 env "$@" python3 "$tmp/work.py" \
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
