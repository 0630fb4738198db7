#!/bin/bash
# errors.sh — bad input gets one clear line on stderr and a non-zero exit, never a
# crash: not a database, an empty or foreign one, a newer schema, a truncated file,
# a missing or non-executable program, a PID that is not traced, a bad segment,
# bad options. --help works on every command.
set -u
. "$(dirname "$0")/common.sh"

# expect STATUS PATTERN ARGS...: hakmem-trace ARGS exits STATUS with one stderr line matching PATTERN
expect() {
    local want=$1 pattern=$2
    shift 2
    hkt "$@" >"$tmp/out" 2>"$tmp/err"
    local st=$? lines
    lines=$(wc -l <"$tmp/err")
    if [ $st -ne "$want" ]; then
        bad "$*: expected exit $want, got $st: $(head -3 "$tmp/err")"
    elif [ "$lines" -ne 1 ]; then
        bad "$*: expected one line on stderr, got $lines: $(head -5 "$tmp/err")"
    elif ! grep -q -- "$pattern" "$tmp/err"; then
        bad "$*: expected '$pattern', got: $(cat "$tmp/err")"
    else
        ok "$*: $(cat "$tmp/err")"
    fi
}

"$HK_MKSEG" "$tmp/good.seg" 3000 >/dev/null
hkt ingest "$tmp/good.seg" -o "$tmp/good.db" 2>/dev/null
check_eq "ingest of a good segment" 0 $?

head -c 5000 /dev/urandom >"$tmp/noise.db"
: >"$tmp/empty.db"
cp "$tmp/good.db" "$tmp/newer.db"
# a newer schema version: written with the SQL shell when there is one, else by hand
if command -v sqlite3 >/dev/null; then
    sqlite3 "$tmp/newer.db" "PRAGMA user_version = 999"
    sqlite3 "$tmp/foreign.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1)"
else
    printf '\000\000\003\347' | dd of="$tmp/newer.db" bs=1 seek=60 conv=notrunc status=none
    cp "$tmp/noise.db" "$tmp/foreign.db"
fi
head -c 20000 "$tmp/good.db" >"$tmp/truncated.db"

for cmd in report "query @runs" "export --format chrome"; do
    set -- $cmd
    expect 1 "not an SQLite database" "$1" "$tmp/noise.db" "${@:2}"
    expect 1 "not a hakmem trace database" "$1" "$tmp/empty.db" "${@:2}"
    expect 1 "schema version 999, newer than this hakmem-trace reads" "$1" "$tmp/newer.db" "${@:2}"
    expect 1 "cannot open" "$1" "$tmp/missing.db" "${@:2}"
    expect 1 "not a regular file" "$1" "$tmp" "${@:2}"
done
command -v sqlite3 >/dev/null && expect 1 "not a hakmem trace database" report "$tmp/foreign.db"
expect 1 "is corrupt\|malformed\|not an SQLite" report "$tmp/truncated.db"
expect 1 "schema version 999" record -o "$tmp/newer.db" -- true
expect 1 "newer" diff "$tmp/good.db" "$tmp/newer.db"
expect 1 "no run 7" report "$tmp/good.db" --run 7
expect 1 "no named query @nope" query "$tmp/good.db" @nope
expect 1 "SQL error: no such table: nope" query "$tmp/good.db" "SELECT * FROM nope"

expect 127 "nonexistent-program-xyz: command not found" record -o "$tmp/r.db" -- nonexistent-program-xyz
expect 127 "no/such/file: No such file or directory" record -o "$tmp/r.db" -- "$tmp/no/such/file"
[ ! -e "$tmp/r.db" ] && ok "no database left by a missing program" || bad "a missing program left $tmp/r.db"
expect 126 "Permission denied" record -o "$tmp/r.db" -- "$tmp/good.seg"
HAKMEM_LIB_PATH=$tmp/nolib.so "$HK_CLI" record -o "$tmp/r.db" -- true 2>"$tmp/err"
check_eq "record without libhakmem: exit status" 1 $?
grep -q "cannot read libhakmem at $tmp/nolib.so" "$tmp/err" && ok "names the missing libhakmem" || bad "missing lib: $(cat "$tmp/err")"

sleep 30 &
idle=$!
expect 1 "process $idle is not traced" attach $idle
kill $idle
expect 1 "no process 2147483646" attach 2147483646
expect 1 "not a hakmem trace segment (bad magic)" ingest "$tmp/noise.db"
expect 1 "cannot open" ingest "$tmp/missing.seg"
head -c 8192 "$tmp/good.seg" >"$tmp/short.seg"
expect 1 "corrupt or truncated" ingest "$tmp/short.seg" -o "$tmp/x.db"
[ ! -e "$tmp/x.db" ] && ok "no database made from a bad segment" || bad "a bad segment left a database"

expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "--mode sometimes: expected lossless or overwrite" record --mode sometimes -- true
expect 2 "--events 5: expected a number" record --events 5 -- true
expect 2 "expected a PROGRAM" record -o x.db
expect 2 "--format xml: expected table, csv or json" query "$tmp/good.db" @runs --format xml
expect 2 "expected one PID" attach notapid
expect 2 "expected A.db B.db" diff "$tmp/good.db"
expect 2 "expected FILE.db and --format chrome" export "$tmp/good.db"

for cmd in record attach ingest ls query report diff export; do
    out=$(hkt "$cmd" --help 2>&1)
    st=$?
    [ $st -eq 0 ] && grep -q "^usage: hakmem-trace $cmd" <<<"$out" && ok "$cmd --help" || bad "$cmd --help: exit $st: $out"
done
hkt --help | grep -q "^commands:" && ok "hakmem-trace --help" || bad "hakmem-trace --help"
hkt --version | grep -q "trace schema" && ok "--version" || bad "--version"
exit $fail
