#!/bin/bash
# verdicts.sh — the verdict corpus: programs recorded with hakmem-trace, each run's
# verdicts asserted against what is true of it. A "!" where the pathology is absent, or
# a missing one where it shows, fails. Programs this machine lacks are skipped one by
# one; the examples and the deterministic repeat always run.
set -u
. "$(dirname "$0")/common.sh"
need_lib
HK_TESTS_BIN=${HK_TESTS:-./tests}
db=$tmp/corpus.db
n=0

# The rules of a report: "! rule" and "+ rule" lines, sorted.
rules() { sed -n 's/^  \([!+]\) .* \[\([a-z0-9-]*\)\]$/\1 \2/p' "$1" | sort | tr '\n' ' ' | sed 's/ $//'; }

# corpus NAME 'EXPECTED "!" RULES' 'REQUIRED "+" RULES' [ENV=V...] -- COMMAND...
# Every "!" rule of the run must be in EXPECTED and every one of EXPECTED must show;
# each rule of REQUIRED must show as "+".
corpus() {
    local name=$1 bad=$2 good=$3 envs=()
    shift 3
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    n=$((n + 1))
    env ${envs[@]+"${envs[@]}"} HAKMEM_LIB_PATH="$HK_LIB" "$HK_CLI" record -o "$db" -- "$@" \
        >"$tmp/out.$n" 2>"$tmp/err.$n"
    local rc=$?
    [ "$rc" -eq 0 ] || { bad "$name: record exited $rc: $(tail -3 "$tmp/err.$n")"; return; }
    local run
    run=$(q "$db" "SELECT max(run_id) FROM runs")
    "$HK_CLI" report "$db" --run "$run" >"$tmp/rep.$n" 2>&1 || { bad "$name: report failed"; return; }
    local got want r
    got=$(rules "$tmp/rep.$n" | tr ' ' '\n' | paste -d' ' - - | grep '^!' | sed 's/^! //' | sort | tr '\n' ' ' | sed 's/ $//')
    want=$(echo "$bad" | tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//')
    if [ "$got" = "$want" ]; then
        ok "$name: \"!\" verdicts are [${want}]"
    else
        bad "$name: expected \"!\" verdicts [${want}], got [${got}]: $(sed -n '/^Verdict/,$p' "$tmp/rep.$n" | tr '\n' ' ')"
    fi
    for r in $good; do
        grep -q "^  + .*\[$r\]\$" "$tmp/rep.$n" && ok "$name: + $r" || bad "$name: expected + $r: $(sed -n '/^Verdict/,$p' "$tmp/rep.$n" | tr '\n' ' ')"
    done
}

# The seed's pathology and its fix.
corpus "pinned, HAKMEM_SS_EMPTY_REUSE=0" "pinned-slabs lru-never-populated empty-not-reused" "" \
    HAKMEM_SS_EMPTY_REUSE=0 -- "$HK_EXAMPLES/pinned"
corpus "pinned, default" "" "empty-reused" -- "$HK_EXAMPLES/pinned"
corpus "phases" "" "empty-reused" -- "$HK_EXAMPLES/phases"
corpus "bench_random_mixed 100000 256 42" "" "" -- "$HK_EXAMPLES/bench_random_mixed" 100000 256 42
# Slabs filled, then all but one block each freed, kept to the end: pinned at the end.
corpus "fill_free 64" "pinned-slabs" "" -- "$HK_TESTS_BIN/fill_free" 64

# Programs nobody here wrote: nothing in them is a pathology of the allocator.
printf '%s\n' $(seq 100000 | sort -R) >"$tmp/nums"
have() { command -v "$1" >/dev/null || { echo "skip: $1 not found"; return 1; }; }
corpus "date" "" "" -- date
corpus "ls /" "" "" -- ls /
have sort && corpus "sort -n" "" "" -- sort -n "$tmp/nums"
have python3 && corpus "python3 dict+json" "" "" -- python3 -c \
    'import json; d = {str(i): list(range(i % 40)) for i in range(60000)}; print(len(json.dumps(d)))'
have python3 && corpus "python3, 8 threads" "" "" -- python3 -c '
import threading, json
def work(n):
    json.dumps([{str(i): [i] * 10} for i in range(n)])
ts = [threading.Thread(target=work, args=(20000,)) for _ in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]'
have sort && corpus "sort --parallel=2" "" "" -- sort --parallel=2 -S 8M "$tmp/nums" -o "$tmp/sorted"
have sqlite3 && corpus "sqlite3 100k rows" "" "" -- sqlite3 ":memory:" \
    "CREATE TABLE t(a, b); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) INSERT INTO t SELECT x, hex(randomblob(16)) FROM c; SELECT count(*) FROM t;"
have perl && corpus "perl hash of arrays" "" "" -- perl -e 'my %h; $h{$_} = [1 .. 20] for 1 .. 40000; print scalar(keys %h), "\n"'
have gcc && { printf 'int main(void) { return 0; }\n' >"$tmp/t.c"; corpus "gcc -c" "" "" -- gcc -O2 -c "$tmp/t.c" -o "$tmp/t.o"; }
repo=${HK_SRCDIR:-$(dirname "$0")/../..}
if have git && git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
    corpus "git log" "" "" -- git -C "$repo" log --oneline -200
else
    echo "skip: git log (no git repository at $repo)"
fi

# No verdict depends on sampler timing: one deterministic program, 20 runs, one answer.
first=
for i in $(seq 20); do
    HAKMEM_LIB_PATH="$HK_LIB" "$HK_CLI" record -o "$tmp/rep.db" -- "$HK_EXAMPLES/bench_random_mixed" 100000 256 42 >/dev/null 2>&1
    "$HK_CLI" report "$tmp/rep.db" >"$tmp/r.$i" 2>&1
    v=$(rules "$tmp/r.$i")
    [ -n "$first" ] || first="[$v]"
    [ "[$v]" = "$first" ] || bad "bench_random_mixed run $i: verdicts [$v], run 1 had $first"
done
ok "bench_random_mixed: the same verdicts $first in 20 runs"
for i in 1 2 3 4 5; do
    HAKMEM_SS_EMPTY_REUSE=0 HAKMEM_LIB_PATH="$HK_LIB" "$HK_CLI" record -o "$tmp/leg.db" -- "$HK_EXAMPLES/pinned" >/dev/null 2>&1
    "$HK_CLI" report "$tmp/leg.db" >"$tmp/l.$i" 2>&1
    v=$(rules "$tmp/l.$i")
    [ "$i" -gt 1 ] && [ "$v" != "$lfirst" ] && bad "pinned legacy run $i: verdicts [$v], run 1 had [$lfirst]"
    lfirst=${lfirst:-$v}
done
ok "pinned legacy: the same verdicts [$lfirst] in 5 runs"
exit "$fail"
