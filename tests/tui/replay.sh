#!/bin/bash
# tests/tui/replay.sh — `hakmem-top --replay` of a `pinned` run recorded by hakmem-trace: phase
# two's 256 B slabs come from the EMPTY registry (stage 0.5) and no SuperSlab is mapped for
# them; in tmux the replay steps, changes speed and reaches the end. 77 without hakmem-trace.
set -eu
# shellcheck source=tests/tui/lib.sh
source "$(dirname "$0")/lib.sh"
trace=$HK_TESTS/../cli/hakmem-trace
[ -x "$trace" ] || skip "cli/hakmem-trace is not built"
"$trace" record --help >/dev/null 2>&1 || skip "hakmem-trace record is not available yet"
pinned=${HK_EXAMPLES:-$HK_TESTS/../examples}/pinned
[ -x "$pinned" ] || skip "examples/pinned is not built"
fails=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

db=$tmp/pinned.db
# hakmem-trace preloads libhakmem: the build tree's (HK_LIB) under make check.
HAKMEM_LIB_PATH=${HK_LIB:-} "$trace" record -o "$db" -- "$pinned" >"$tmp/pinned.out" 2>"$tmp/record.err" ||
    fail "hakmem-trace record -o $db -- pinned: expected exit 0, got $? ($(tail -3 "$tmp/record.err"))"
cat "$tmp/pinned.out"
line=$(grep '^pinned: phase1 maps=' "$tmp/pinned.out" || true)
[ -n "$line" ] || fail "pinned: expected its 'phase1 maps=A phase2 new_maps=B' line, got none"
maps=$(echo "$line" | sed -n 's/.*phase1 maps=\([0-9]*\).*/\1/p')
new_maps=$(echo "$line" | sed -n 's/.* new_maps=\([0-9]*\).*/\1/p')

"$TOP" -o --replay "$db" >"$tmp/frame" 2>"$tmp/top.err" ||
    fail "hakmem-top -o --replay: expected exit 0, got $? ($(cat "$tmp/top.err"))"
cat "$tmp/frame"
check "header: the replay reached its end" 'head -1 "$tmp/frame" | grep -q "replay end"'
got_maps=$(sed -n 's/^SuperSlabs  maps \([0-9]*\) .*/\1/p' "$tmp/frame")
check "SuperSlab maps: expected $maps (phase 1's, pinned says phase 2 mapped $new_maps), got '$got_maps'" \
    '[ "$new_maps" = 0 ] && [ "$got_maps" = "$maps" ]'
s05=$(awk '$1 == "0.5" && $2 == "EMPTY" { print $(NF - 2) }' "$tmp/frame")
check "stage 0.5 (EMPTY registry) served slabs: expected > 0, got '$s05'" '[ "${s05:-0}" -gt 0 ]'
# class 11 (256 B): its recent acquisitions came from the registry; class 1 (32 B) went EMPTY.
row11=$(awk '/^CLS +SIZE/ { t = 1; next } t && $1 == 11 { print; exit }' "$tmp/frame")
mix05=$(echo "$row11" | awk '{ print $(NF - 3) }')
check "class 11 stage mix: expected most acquisitions at 0.5, got '$mix05' in '$row11'" '[ "${mix05:-0}" -ge 50 ]'
empty1=$(awk '/^CLS +SIZE/ { t = 1; next } t && $1 == 1 { print $(NF - 5); exit }' "$tmp/frame")
check "class 1: expected EMPTY transitions, got '$empty1'" '[ "${empty1:-0}" -gt 0 ]'

if command -v tmux >/dev/null; then
    S=replay
    tm() { tmux -S "$tmp/tmux.sock" -f /dev/null "$@"; }
    kill_tmux() { tm kill-server 2>/dev/null; }
    cleanup_hooks+=(kill_tmux)
    pane() { tm capture-pane -p -J -t "$S"; }
    wait_for() {
        for _ in $(seq 100); do pane | grep -Eq -- "$2" && { echo "ok: $1"; return 0; }; sleep 0.1; done
        echo "FAIL: $1: expected /$2/ on screen, got:"; pane | sed 's/^/    | /'; fails=$((fails + 1))
    }
    tm new-session -d -s "$S" -x 80 -y 24 "'$TOP' -d 0.1 --replay '$db'; echo rc=\$? >'$tmp/rc'; sleep 1"
    wait_for "replay starts" '^pid [0-9]+  t 0\.[0-9]{3}s / [0-9.:]+s? '
    tm send-keys -t "$S" .
    wait_for ". pauses and steps" 'paused; stepped one frame'
    tm send-keys -t "$S" +
    wait_for "+ doubles the speed" 'speed [0-9/]+x'
    tm send-keys -t "$S" Space
    wait_for "space resumes; the run plays to its end" 'end of the recorded run'
    tm send-keys -t "$S" 3
    wait_for "the events panel shows the run's events" ' slab_(acquire|empty|release) '
    tm send-keys -t "$S" q
    for _ in $(seq 30); do [ -s "$tmp/rc" ] && break; sleep 0.1; done
    check "q: exit status 0" 'grep -q "^rc=0$" "$tmp/rc" 2>/dev/null'
else
    echo "tmux is not installed: the interactive replay is not checked"
fi
[ "$fails" -eq 0 ] || exit 1
