#!/bin/bash
# stage_names.sh — stage 0 has one name everywhere: "own slabs" (another of the thread's
# own slabs with free blocks, as lib/heap.c's next_slab takes it), never "hot slot" (the
# slab a thread allocates from, which stage 0 replaces): the database's stages table,
# hakmem-top's counters panel and help, README.md and the man pages.
set -u
. "$(dirname "$0")/common.sh"
src=${HK_SRCDIR:-$(dirname "$0")/../..}
top=${HK_BUILD:-.}/tui/hakmem-top
name="own slabs"

"$HK_MKSEG" "$tmp/s.seg" 2000 >/dev/null
hkt ingest "$tmp/s.seg" -o "$tmp/s.db" 2>/dev/null
check_eq "ingest: exit status" 0 $?
meaning=$(q "$tmp/s.db" "SELECT meaning FROM stages WHERE stage = 0")
case $meaning in *"$name"*) ok "stages table: stage 0 is '$meaning'" ;;
    *) bad "stages table: expected stage 0's meaning to say '$name', got '$meaning'" ;; esac

if [ -x "$top" ]; then
    line=$("$top" -o --replay "$tmp/s.db" 2>/dev/null | grep -E '^  0 +[a-z]' | head -1)
    case $line in *"$name"*) ok "hakmem-top counters: '$line'" ;;
        *) bad "hakmem-top counters: expected stage 0's line to say '$name', got '$line'" ;; esac
else
    echo "note: $top not built: its counters panel is not checked"
fi

# The sources that describe stage 0 to a reader.
grep -q "0 ($name)" "$src/tui/panels.c" && ok "hakmem-top help: 0 ($name)" ||
    bad "tui/panels.c: expected the help's stage mix to say '0 ($name)'"
grep -q "stage (0 $name," "$src/README.md" && ok "README stage mix: 0 $name" ||
    bad "README.md: expected the stage mix to say '(0 $name, ...'"
grep -q "\*\*0\*\* another of its $name with free blocks" "$src/README.md" && ok "README shared pool: **0** another of its $name" ||
    bad "README.md: expected the shared pool's stage 0 as 'another of its $name with free blocks'"
grep -q "stage 0 (another of the thread's $name)" "$src/tui/hakmem-top.1" && ok "hakmem-top(1): stage 0" ||
    bad "tui/hakmem-top.1: expected 'stage 0 (another of the thread's $name)'"
grep -q "stages 0 (another of its $name)" "$src/lib/hakmem.7" && ok "hakmem(7): stage 0" ||
    bad "lib/hakmem.7: expected 'stages 0 (another of its $name)'"
for f in README.md lib/hakmem.7 lib/hakmem.h tui/hakmem-top.1 tui/panels.c tui/text.c tui/format.c \
         schema/schema.sql cli/report.c cli/hakmem-trace.1; do
    hits=$(grep -niE "(stage 0|0 \(|STAGE_0|\(0, ').{0,40}hot slot|0 hot slot|hot slot.{0,20}stage 0" "$src/$f" || true)
    [ -z "$hits" ] || bad "$f: stage 0 still called the hot slot: $hits"
done
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
