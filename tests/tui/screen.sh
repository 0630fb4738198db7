#!/bin/bash
# tests/tui/screen.sh — hakmem-top driven in tmux (80x24) against a traced occupancy_target:
# the frame shows its classes with hakmem_stats_get()'s numbers, 1-5/Tab switch panels,
# sort keys reorder, / filters, resizes redraw, exit is reported, q quits. 77 without tmux.
set -eu
# shellcheck source=tests/tui/lib.sh
source "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || skip "tmux is not installed (scripts/check installs it)"

# One tmux server per session (a server whose last session ended may still be exiting).
tm() { tmux -S "$tmp/tmux-$S.sock" -f /dev/null "$@"; }
kill_tmux() { for S in top colour version; do tm kill-server 2>/dev/null; done; }
cleanup_hooks+=(kill_tmux)
fails=0

pane() { tm capture-pane -p -J -t "$S" "$@"; }
S=top
keys() { tm send-keys -t "$S" "$@"; }
# The class of the first row of the class table in the pane.
first_class() { pane | table_rows | head -1 | awk '{print $2}'; }

start_target
# fd 3 (the target's stdin) must not leak into the tmux server.
tm new-session -d -s "$S" -x 80 -y 24 \
    "NO_COLOR=1 '$TOP' -d 0.2 $target_pid; echo \$? >'$tmp/rc'; sleep 0.5" 3>&-

wait_for "the class table with class 1 and class 11" '^ +11 +256 '
wait_for "the Classes panel is the current one" '\[1 Classes\]'
pane >"$tmp/frame1"
pane | table_rows >"$tmp/rows"
for cls in 1 11; do
    want=$(want_class $cls)
    got=$(sed -n "s/^class $cls \(slabs .*\)/\1/p" "$tmp/rows")
    if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "class $cls on screen: $got"; else
        bad "class $cls: expected '$want' (hakmem_stats_get), got '$got' on screen"; cat "$tmp/frame1"; fi
done
head -1 "$tmp/frame1" | grep -q "^pid $target_pid .*running" && ok "header names pid $target_pid, running" ||
    bad "header: expected 'pid $target_pid ... running', got '$(head -1 "$tmp/frame1")'"
lines=$(wc -l <"$tmp/frame1")
[ "$lines" -eq 24 ] && ok "24 lines" || bad "expected a 24-line pane, got $lines"
awk 'length > 80 { exit 1 }' "$tmp/frame1" && ok "no line wider than 80" || bad "a line wider than 80 columns"

keys 2
wait_for "2: the SuperSlab map" '\[2 SuperSlabs\]'
wait_for "2: a SuperSlab line with class 1 cells" '^ +[0-9]+[ *]\|[^ ]*1{8}'
keys Tab
wait_for "Tab: the Events panel" '\[3 Events\]'
wait_for "Tab: slab_acquire events" "^ +[0-9]+\.[0-9]{6} +$target_pid slab_acquire "
keys 4
wait_for "4: the Counters panel" '\[4 Counters\]'
wait_for "4: the stage table" '^Slab acquisitions by stage'
keys Tab
wait_for "Tab from 4: the Stacks panel" '\[5 Stacks\]'
wait_for "5: says the target runs without a heap profile" '^no heap profile: .*HAKMEM_PROFILE=1'
keys Tab
wait_for "Tab from 5: back to Classes" '\[1 Classes\]'

# Sorting: class order first, 's' cycles to slabs (class 11 has 40, class 1 has 10),
# 'c' goes back, 'o' sorts by occupancy (11: 97 %, 1: 48 %), 'r' reverses.
# sorted KEY ORDER CLASS: KEY sorts by ORDER (the header says "sort ORDER"), CLASS comes first.
sorted() {
    keys "$1"
    wait_for "$1: sort $2" "sort $2"
    [ "$(first_class)" = "$3" ] && ok "$1 ($2): class $3 first" || bad "$1 ($2): expected class $3 first, got '$(first_class)'"
}
[ "$(first_class)" = 1 ] && ok "sorted by class: class 1 first" || bad "sorted by class: expected class 1 first, got '$(first_class)'"
sorted s slabs 11
sorted c class 1
sorted o occupancy 11
keys r
wait_for "r: reversed" 'sort occupancy rev'
[ "$(first_class)" != 11 ] && ok "r: class 11 no longer first" || bad "r: expected another class first, got 11"
keys c r

# The event filter: a type this workload never produces, then ss_map.
keys / s l a b _ e m p t y Enter
wait_for "/slab_empty: Events panel with the filter" '/slab_empty'
wait_for "/slab_empty: no such event" 'no event of a type matching'
keys / C-u s s _ m a p Enter
wait_for "/ss_map: ss_map events only" "^ +[0-9]+\.[0-9]{6} +$target_pid ss_map "
pane | grep -E '^ +[0-9]+\.[0-9]{6} ' | grep -qv ' ss_map ' && bad "/ss_map: other events shown" || ok "/ss_map: nothing else"
keys x 1

keys h
wait_for "h: help" 'this help'
keys h
wait_for "h again: the class table" '^CLS +SIZE'
keys Space
wait_for "space: paused" 'paused'
keys Space

# A larger terminal, then 80x24 again.
tm resize-window -t "$S" -x 100 -y 30
wait_for "resize to 100x30: the table redrawn" '^ +11 +256 '
n=$(pane | wc -l)
[ "$n" -eq 30 ] && ok "30 lines after the resize" || bad "expected 30 lines after the resize, got $n"
pane | grep -Eq '^ +11 .*\[#{10,}' && ok "wider bar at 100 columns" || bad "expected a wider occupancy bar at 100 columns"
tm resize-window -t "$S" -x 80 -y 24
wait_for "back to 80x24" '^ +1 +32 '

# Monochrome under NO_COLOR: no colour escapes in the pane.
if tm capture-pane -p -e -t "$S" | grep -q $'\e\\[3[1-7]m'; then bad "NO_COLOR=1: colour escapes on screen"; else ok "NO_COLOR=1: no colour"; fi

# The process exits: said so, the last frame kept.
stop_target
wait_for "exit reported" "process $target_pid exited"
wait_for "the last frame kept" '^ +11 +256 +40 +10000/10240 '
keys q
for _ in $(seq 50); do [ -s "$tmp/rc" ] && break; sleep 0.1; done
rc=$(cat "$tmp/rc" 2>/dev/null || echo none)
[ "$rc" = 0 ] && ok "q: exit status 0" || bad "q: expected hakmem-top to exit with 0, got '$rc'"

# With colours (TERM of tmux, NO_COLOR unset) the occupancy is coloured.
start_target2() { target_pid=; rm -f "$tmp/fifo" "$tmp/stats"; start_target; }
start_target2
S=colour
tm new-session -d -s "$S" -x 80 -y 24 "env -u NO_COLOR '$TOP' $target_pid; sleep 0.5" 3>&-
wait_for "colour run: the table" '^ +11 +256 '
if tm capture-pane -p -e -t "$S" | grep -q $'\e\\[3[1-7]m'; then ok "colours without NO_COLOR"; else bad "expected colour escapes without NO_COLOR"; fi
keys q
stop_target

# A segment of another version: one line, no screen.
printf 'HAKMEMSG\002\000\000\000' >"$tmp/v2"
head -c 8192 /dev/zero >>"$tmp/v2"
S=version
tm new-session -d -s "$S" -x 80 -y 24 "'$TOP' '$tmp/v2'; echo rc=\$?; sleep 3" 3>&-
wait_for "version 2: the message" 'version 2; this reader reads version 1'
n=$(pane -J | grep -c .)
[ "$n" -eq 2 ] && ok "version 2: one line and the exit status, nothing else" || { bad "version 2: expected 2 non-empty lines, got $n"; pane -J; }
pane | grep -q '^rc=1$' && ok "version 2: exit 1" || bad "version 2: expected rc=1"

[ "$fails" -eq 0 ] || exit 1
