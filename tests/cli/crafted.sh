#!/bin/bash
# crafted.sh — hostile databases: a view or table of the schema replaced (say by an
# endless recursive CTE) is refused before any SQL of the file runs; every read is
# bounded in time (query --timeout); record -o refuses a symlink and creates 0600.
set -u
. "$(dirname "$0")/common.sh"
command -v sqlite3 >/dev/null || skip "sqlite3 not found"
good=$tmp/good.db
"$HK_MKSEG" "$tmp/s.seg" 2000 >/dev/null && "$HK_CLI" ingest "$tmp/s.seg" -o "$good" 2>/dev/null
check_eq "ingest: exit status" 0 $?

# refused CMD...: exits 1 within 10 s with one line on stderr matching $want
refused() {
    local t0=$SECONDS
    timeout 20 "$@" >/dev/null 2>"$tmp/err"
    local st=$? took=$((SECONDS - t0))
    if [ "$st" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "$want" "$tmp/err" && [ "$took" -le 10 ]; then
        ok "refused in ${took} s: $(cat "$tmp/err")"
    else
        bad "$*: expected exit 1 and one line matching '$want' within 10 s, got $st after ${took} s: $(head -3 "$tmp/err")"
    fi
}
endless="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

cp "$good" "$tmp/view.db"
sqlite3 "$tmp/view.db" "DROP VIEW report_maps; CREATE VIEW report_maps AS $endless"
want="view report_maps differs"
refused "$HK_CLI" report "$tmp/view.db"
refused "$HK_CLI" diff "$tmp/view.db" "$good"
refused "$HK_CLI" export "$tmp/view.db" --format chrome -o "$tmp/x.json"
refused "$HK_CLI" query "$tmp/view.db" "SELECT 1"

cp "$good" "$tmp/table.db"
sqlite3 "$tmp/table.db" "DROP TABLE event_counts; CREATE VIEW event_counts AS $endless"
want="event_counts is a view where a trace database has a table"
refused "$HK_CLI" report "$tmp/table.db"

want="stopped after 2 s of SQL"
refused "$HK_CLI" query "$good" "$endless" --timeout 2
cp "$good" "$tmp/mine.db"
sqlite3 "$tmp/mine.db" "CREATE VIEW my_view AS SELECT count(*) AS n FROM events"
check_eq "a view of the user's own is no obstacle" 2000 "$(q "$tmp/mine.db" "SELECT n FROM my_view")"

# A damaged schema whose text holds a newline and an escape: SQLite quotes it in its
# message, which reaches the terminal as one line with the bytes shown as \xNN.
HK_TOP=${HK_TOP:-${HK_BUILD:-.}/tui/hakmem-top}
cp "$good" "$tmp/schema.db"
sqlite3 "$tmp/schema.db" "PRAGMA writable_schema = 1;
    UPDATE sqlite_master SET sql = 'CREATE TABLE runs(x' || char(10) || char(27) || '[2J'
    WHERE name = 'runs'"
want='corrupt\|not a hakmem'
refused "$HK_CLI" report "$tmp/schema.db"
grep -q 'x1b' "$tmp/err" && ok "the escape shown as \\x1b" || bad "expected \\x1b in: $(cat -A "$tmp/err")"
if [ -x "$HK_TOP" ]; then
    refused "$HK_TOP" --replay "$tmp/schema.db" -o
    grep -q 'x1b' "$tmp/err" && ok "hakmem-top: the escape shown as \\x1b" ||
        bad "hakmem-top: expected \\x1b in: $(cat -A "$tmp/err")"
fi

# ingest -o through a dangling symlink: refused, nothing created where it points
ln -s "$tmp/dangling-target.db" "$tmp/dangling.db"
want="is a symbolic link; refused"
refused "$HK_CLI" ingest "$tmp/s.seg" -o "$tmp/dangling.db"
[ -e "$tmp/dangling-target.db" ] && bad "ingest created the symlink's target" ||
    ok "ingest: nothing created where the dangling symlink points"

# record -o: never through a symlink, a new database 0600 (a trace holds command lines)
if [ -n "${HK_LIB:-}" ] && [ -n "${HK_EXAMPLES:-}" ]; then
    ln -s "$tmp/target.db" "$tmp/link.db"
    want="is a symbolic link; refused"
    HAKMEM_LIB_PATH=$HK_LIB refused "$HK_CLI" record -o "$tmp/link.db" -- "$HK_EXAMPLES/phases" 1000 1
    [ -e "$tmp/target.db" ] && bad "record wrote through the symlink" || ok "nothing created where the symlink points"
    [ -L "$tmp/link.db" ] && ok "record left the user's symlink in place" || bad "record removed the symlink $tmp/link.db"
    hkt record -o "$tmp/new.db" -- "$HK_EXAMPLES/phases" 1000 1 >/dev/null 2>&1
    check_eq "record -o: the new database's mode" 600 "$(stat -c %a "$tmp/new.db")"
fi

# Terminal escapes in a command line reach no terminal raw (report, query's table):
# the traced process stores them neutralised, and a database crafted to hold them
# raw is printed with \xNN.
if [ -n "${HK_LIB:-}" ]; then
    esc=$(printf '\033]0;pwned\007\033[2J')
    hkt record -o "$tmp/esc.db" -- sh -c 'exit 0' "$esc" >/dev/null 2>&1
    cp "$tmp/esc.db" "$tmp/raw.db"
    sqlite3 "$tmp/raw.db" "UPDATE runs SET argv = 'x ' || char(27) || ']0;pwned' || char(7)"
    for d in esc raw; do
        "$HK_CLI" report "$tmp/$d.db" >"$tmp/$d.out" 2>&1
        "$HK_CLI" query "$tmp/$d.db" "SELECT argv FROM runs" >>"$tmp/$d.out" 2>&1
        if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$tmp/$d.out"; then
            bad "$d: a raw control character reached the output: $(od -c "$tmp/$d.out" | grep -m1 '033')"
        else
            ok "$d: no raw control character in report and query output"
        fi
    done
    grep -q 'x1b]0;pwned\\x07' "$tmp/raw.out" && ok "crafted: control characters shown as \\xNN" \
        || bad "crafted: expected \\x1b]0;pwned\\x07 in: $(head -3 "$tmp/raw.out")"
fi
exit "$fail"
