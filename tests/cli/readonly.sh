#!/bin/bash
# readonly.sh — `query` cannot change the database: every kind of write is refused
# with one line and a non-zero exit, and the file stays byte for byte the same.
set -u
. "$(dirname "$0")/common.sh"
db=$tmp/ro.db
"$HK_MKSEG" "$tmp/s.seg" 2000 >/dev/null && "$HK_CLI" ingest "$tmp/s.seg" -o "$db" 2>/dev/null
check_eq "ingest: exit status" 0 $?
sum=$(cksum <"$db")
while IFS= read -r sql; do
    "$HK_CLI" query "$db" "$sql" >/dev/null 2>"$tmp/err"
    st=$?
    if [ $st -ne 1 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        bad "'$sql': expected exit 1 and one line, got $st: $(cat "$tmp/err")"
    else
        ok "refused: $sql ($(cat "$tmp/err"))"
    fi
done <<'SQL'
DELETE FROM events
UPDATE runs SET pid = 0
INSERT INTO runs (pid) VALUES (1)
DROP TABLE events
DROP VIEW ev
CREATE TABLE x (a)
CREATE INDEX x ON events (type)
ALTER TABLE runs ADD COLUMN y
PRAGMA user_version = 99
PRAGMA query_only = 0
PRAGMA journal_mode = DELETE
VACUUM
REINDEX
ATTACH 'other.db' AS o
SELECT 1; DELETE FROM runs
BEGIN; DELETE FROM runs; COMMIT
WITH x AS (SELECT 1) DELETE FROM runs
SQL
echo "DELETE FROM events;" >"$tmp/w.sql"
"$HK_CLI" query "$db" -f "$tmp/w.sql" >/dev/null 2>&1
check_eq "query -f with a write: exit status" 1 $?
echo "DELETE FROM slabs" | "$HK_CLI" query "$db" -f - >/dev/null 2>&1
check_eq "query -f - with a write: exit status" 1 $?
check_eq "the database is unchanged" "$sum" "$(cksum <"$db")"
[ ! -e "$tmp/other.db" ] && [ ! -e other.db ] && ok "ATTACH created no file" || bad "ATTACH created a file"
# reads still work, and through the views
check_eq "a read works" 2000 "$(q "$db" "SELECT count(*) FROM events")"
check_eq "a pragma that reads works" 14 "$(q "$db" "SELECT count(*) FROM pragma_table_info('events')")"
"$HK_CLI" query "$db" "PRAGMA table_info(runs)" >/dev/null
check_eq "PRAGMA table_info: exit status" 0 $?
chmod a-w "$db"
"$HK_CLI" query "$db" @runs >/dev/null
check_eq "query of a read-only file: exit status" 0 $?
exit $fail
