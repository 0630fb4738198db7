#!/bin/bash
# tests/tui/stacks.sh — the Stacks panel (5) on tests/stacks_target's known call sites: live in
# tmux (80x24, NO_COLOR) the sites in order of bytes in use with their live blocks and leaked
# bytes, 'l' sorts by leaked, Enter shows the callers, the exit frees site_big; -o while
# hakmem-trace record drains the ring sees every event; --replay of that recording (blocks)
# steps through the same order and ends with site_big freed; without --all-blocks the replay
# says it shows end-of-run totals. 77 without tmux or hakmem-trace.
set -eu
# shellcheck source=tests/tui/lib.sh
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || skip "tmux is not installed (scripts/check installs it)"
trace=$HK_TESTS/../cli/hakmem-trace
[ -x "$trace" ] || skip "cli/hakmem-trace is not built"
prog=$HK_TESTS/stacks_target
[ -x "$prog" ] || fail "expected a built stacks_target at $prog, got none"
[ -n "${HK_LIB:-}" ] && [ -e "$HK_LIB" ] || skip "HK_LIB (the built libhakmem.so) is not set"

tm() { tmux -S "$tmp/tmux-$S.sock" -f /dev/null "$@"; }
kill_tmux() { for S in live replay; do tm kill-server 2>/dev/null || true; done; }
stop_prog() { exec 4>&- 2>/dev/null; [ -z "${prog_pid:-}" ] || wait "$prog_pid" 2>/dev/null || true; prog_pid=; }
cleanup_hooks+=(kill_tmux stop_prog)
fails=0
# (-J keeps trailing blanks: dropped)
pane() { tm capture-pane -p -J -t "$S" | sed 's/ *$//'; }
keys() { tm send-keys -t "$S" "$@"; }
# The sites of stacks_target in the order the Stacks rows of stdin name them.
sites() { sed -n 's/^[> ][-+ ] .*  \(site_[a-z]*\) stacks_target\.c:[0-9]*$/\1/p' | tr '\n' ' '; }
# The Stacks row of site $1 in stdin, its figures squeezed: "IN_USE LIVE ALLOCS/S LEAKED ALLOCS".
row() { grep -E "  $1 stacks_target\.c:" | head -1 | cut -c3-48 | tr -s ' ' | sed 's/^ //; s/ $//'; }
# expect DESCRIPTION WANT GOT
expect() { [ "$2" = "$3" ] && ok "$1: $3" || bad "$1: expected '$2', got '$3'"; }
# Starts stacks_target through "$@" (a command prefix) with its stdin on fd 4; sets prog_pid
# and target_pid (the traced process, from its "ready PID").
start_prog() {
    rm -f "$tmp/fifo" "$tmp/out"
    mkfifo "$tmp/fifo"
    "$@" "$prog" <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
    prog_pid=$!
    exec 4>"$tmp/fifo"
    for _ in $(seq 100); do grep -q '^ready' "$tmp/out" 2>/dev/null && break; sleep 0.05; done
    grep -q '^ready' "$tmp/out" || fail "stacks_target printed no 'ready' within 5 s ($(cat "$tmp/err"))"
    target_pid=$(sed -n 's/^ready //p' "$tmp/out")
}

# ---- live, the target traced on its own (nobody drains its ring)
start_prog env HAKMEM_TRACE=1 HAKMEM_PROFILE=1 HAKMEM_PROFILE_RATE=1 LD_PRELOAD="$HK_LIB"
"$TOP" -o "$target_pid" >"$tmp/once" 2>"$tmp/once.err" || bad "hakmem-top -o $target_pid: exit $?"
sed -n '/^Stacks/,$p' "$tmp/once" >"$tmp/once.stacks"
expect "-o: sites by bytes in use" "site_big site_mid site_small " "$(sites <"$tmp/once.stacks")"
expect "-o: site_big (100 x 4096 B, none freed)" "400.0 KiB 100" "$(row site_big <"$tmp/once.stacks" | cut -d' ' -f1-3)"
grep -q '^every event since the process started seen$' "$tmp/once.stacks" && ok "-o: every event seen" ||
    bad "-o: expected 'every event since the process started seen' in: $(cat "$tmp/once.stacks")"
grep -A1 '  site_big stacks_target' "$tmp/once.stacks" | grep -Eq '^ {50}< main stacks_target\.c:[0-9]+$' &&
    ok "-o: site_big's caller main" || bad "-o: expected '< main stacks_target.c:N' under site_big"

S=live
tm new-session -d -s "$S" -x 80 -y 24 \
    "NO_COLOR=1 '$TOP' -d 0.2 $target_pid; echo \$? >'$tmp/rc'; sleep 0.5" 4>&-
wait_for "the Classes panel first" '\[1 Classes\]'
keys 5
wait_for "5: the Stacks panel" '\[5 Stacks\]'
wait_for "5: sorted by bytes in use" 'sort in use'
wait_for "5: site_small's row" '  site_small stacks_target\.c:[0-9]+$'
pane >"$tmp/live1"
expect "live: sites by bytes in use" "site_big site_mid site_small " "$(sites <"$tmp/live1")"
expect "live: site_big in use, live, leaked" "400.0 KiB 100 0 B" \
    "$(row site_big <"$tmp/live1" | awk '{print $1, $2, $3, $5, $6}')"
# site_mid: 1000 blocks of 200 B (its class: 224 B), the younger 500 freed: the older 500
# outlived them (leaked so far)
expect "live: site_mid in use, live, leaked" "109.4 KiB 500 109.4 KiB" \
    "$(row site_mid <"$tmp/live1" | awk '{print $1, $2, $3, $5, $6}')"
expect "live: site_small live blocks" "300" "$(row site_small <"$tmp/live1" | awk '{print $3}')"
lines=$(wc -l <"$tmp/live1")
[ "$lines" -eq 24 ] && ok "24 lines" || bad "expected a 24-line pane, got $lines"
awk 'length > 80 { exit 1 }' "$tmp/live1" && ok "no line wider than 80" || bad "a line wider than 80 columns"
grep -q '^>' "$tmp/live1" && [ "$(grep '^>' "$tmp/live1" | grep -c site_big)" = 1 ] &&
    ok "the first row (site_big) selected" || bad "expected '>' on site_big's row"
keys l
wait_for "l: sort leaked" 'sort leaked'
expect "l: site_mid first" "site_mid" "$(pane | sites | cut -d' ' -f1)"
keys u
wait_for "u: sort in use" 'sort in use'
keys Enter
wait_for "Enter: site_big's callers" '^ {50}< main stacks_target\.c:[0-9]+$'
pane | grep -A1 '  site_big stacks_target' | grep -Eq '^ {50}< main' &&
    ok "Enter: the caller under site_big" || bad "Enter: expected '< main' right under site_big's row"
keys Enter
for _ in $(seq 20); do pane | grep -Eq '^ {50}< main' || break; sleep 0.1; done
pane | grep -Eq '^ {50}< main' && bad "Enter again: expected the callers hidden" || ok "Enter again: callers hidden"
stop_prog
wait_for "exit: the process exited" 'exited'
wait_for "exit: site_big freed" '^ [-+ ] +0 B +0 .*  site_big stacks_target'
expect "exit: site_mid first, site_big last" "site_mid site_small site_big " "$(pane | sites)"
keys q
for _ in $(seq 50); do [ -s "$tmp/rc" ] && break; sleep 0.1; done
expect "q: exit status" "0" "$(cat "$tmp/rc" 2>/dev/null)"
kill_tmux

# ---- hakmem-trace record drains the ring while hakmem-top watches
db=$tmp/stacks.db
start_prog env HAKMEM_LIB_PATH="$HK_LIB" "$trace" record --profile=1 --all-blocks -o "$db" --
"$TOP" -o "$target_pid" >"$tmp/rec" 2>"$tmp/rec.err" || bad "hakmem-top -o $target_pid under record: exit $?"
sed -n '/^Stacks/,$p' "$tmp/rec" >"$tmp/rec.stacks"
expect "under record: sites by bytes in use" "site_big site_mid site_small " "$(sites <"$tmp/rec.stacks")"
grep -q '^every event since the process started seen$' "$tmp/rec.stacks" &&
    ok "under record: every event seen while record drains" ||
    bad "under record: expected every event seen, got: $(sed -n 2,3p "$tmp/rec.stacks")"
sleep 1 # phase two (site_big freed) a second into the run
stop_prog
[ -s "$db" ] || fail "hakmem-trace record wrote no $db ($(cat "$tmp/err"))"

# ---- the recording replayed: from its blocks, over time
"$TOP" -o --replay "$db" >"$tmp/end" 2>"$tmp/end.err" || bad "hakmem-top -o --replay: exit $?"
sed -n '/^Stacks/,$p' "$tmp/end" >"$tmp/end.stacks"
grep -q '^rebuilt from [0-9]* sampled blocks (--all-blocks), profile rate 1 B$' "$tmp/end.stacks" &&
    ok "replay -o: rebuilt from the blocks" || bad "replay -o: expected 'rebuilt from N sampled blocks', got: $(sed -n 2p "$tmp/end.stacks")"
expect "replay -o (the end): sites by bytes in use" "site_mid site_small site_big " "$(sites <"$tmp/end.stacks")"
expect "replay -o: site_mid at the end (leaked: in use)" "109.4 KiB 500 109.4 KiB" \
    "$(row site_mid <"$tmp/end.stacks" | awk '{print $1, $2, $3, $5, $6}')"
S=replay
tm new-session -d -s "$S" -x 80 -y 24 "NO_COLOR=1 '$TOP' -d 0.1 --replay '$db'; sleep 0.5"
keys Space 5
wait_for "replay: the Stacks panel" '\[5 Stacks\]'
wait_for "replay: paused" 'paused'
for _ in $(seq 40); do pane | grep -q '  site_small stacks_target' && break; keys .; sleep 0.1; done
wait_for "replay: a step shows site_small" '  site_small stacks_target'
pane >"$tmp/replay1"
expect "replay, mid-run: sites by bytes in use" "site_big site_mid site_small " "$(sites <"$tmp/replay1")"
expect "replay, mid-run: site_big in use, live" "400.0 KiB 100" "$(row site_big <"$tmp/replay1" | cut -d' ' -f1-3)"
keys + + + + Space
wait_for "replay: the end" 'end of the recorded run'
expect "replay, the end: site_big freed, last" "site_mid site_small site_big " "$(pane | sites)"
kill_tmux

# ---- recorded without --all-blocks: the end-of-run totals, said so
start_prog env HAKMEM_LIB_PATH="$HK_LIB" "$trace" record --profile=1 -o "$tmp/totals.db" --
stop_prog
"$TOP" -o --replay "$tmp/totals.db" >"$tmp/tot" 2>"$tmp/tot.err" || bad "hakmem-top -o --replay (totals): exit $?"
sed -n '/^Stacks/,$p' "$tmp/tot" >"$tmp/tot.stacks"
grep -q '^end-of-run totals, profile rate 1 B (recorded without --all-blocks)$' "$tmp/tot.stacks" &&
    ok "totals: said so" || bad "totals: expected 'end-of-run totals ...', got: $(sed -n 2p "$tmp/tot.stacks")"
expect "totals: sites by bytes in use at the end" "site_mid site_small site_big " "$(sites <"$tmp/tot.stacks")"

[ "$fails" -eq 0 ] || fail "$fails check(s) failed"
echo "PASS: the Stacks panel, live, under record and replayed"
