#!/bin/bash
# tests/integration/sqlite.sh — the sqlite3 shell builds a 100k-row table and index and
# runs aggregates; output must match with and without hakmem. Exit 0 / 1 / 77.
set -eu

. "$(dirname "$0")/common.sh"
need_lib
need_command sqlite3

cat >"$tmp/work.sql" <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, s TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
INSERT INTO t SELECT x, (x * 7919) % 1000, printf('row-%d-%s', x, hex(x * x)) FROM c;
CREATE INDEX t_k ON t(k);
SELECT count(*), sum(k), min(s), max(s), sum(length(s)) FROM t;
SELECT k, count(*), sum(id) FROM t GROUP BY k ORDER BY k LIMIT 10;
SELECT count(*), sum(id) FROM t WHERE k BETWEEN 100 AND 200;
SELECT group_concat(id) FROM (SELECT id FROM t WHERE k = 7 ORDER BY id LIMIT 20);
SELECT k, round(avg(length(s)), 3) FROM t GROUP BY k ORDER BY 2 DESC, 1 LIMIT 5;
SELECT count(DISTINCT substr(s, -3)) FROM t;
UPDATE t SET s = s || '-x' WHERE id % 3 = 0;
DELETE FROM t WHERE k < 250;
SELECT count(*), sum(length(s)) FROM t;
PRAGMA integrity_check;
SQL

# run TAG [VAR=VALUE...]: sqlite3 on a fresh database file, output in $tmp/TAG.{out,err}.
run() {
    local tag=$1 rc=0
    shift
    rm -f "$tmp/$tag.db"
    timeout 300 env "$@" sqlite3 -batch -bail "$tmp/$tag.db" <"$tmp/work.sql" \
        >"$tmp/$tag.out" 2>"$tmp/$tag.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "stderr ($tag):"; tail -n 20 "$tmp/$tag.err"
        fail "sqlite3 ($tag): expected exit 0, got $rc"
    fi
}

echo "check: sqlite3 100k-row table, index and aggregates give the same output with and without hakmem"
run ref
run hakmem LD_PRELOAD="$HK_LIB"
echo "  without: $(wc -l <"$tmp/ref.out") lines, $(cksum <"$tmp/ref.out")"
echo "  with:    $(wc -l <"$tmp/hakmem.out") lines, $(cksum <"$tmp/hakmem.out")"
if ! cmp -s "$tmp/ref.out" "$tmp/hakmem.out"; then
    diff "$tmp/ref.out" "$tmp/hakmem.out" | head -n 20 || true
    fail "output under hakmem: expected the output without hakmem, got the diff above"
fi
if [ -s "$tmp/hakmem.err" ]; then
    echo "note: stderr under hakmem:"; head -n 20 "$tmp/hakmem.err"
fi
echo "PASS"
