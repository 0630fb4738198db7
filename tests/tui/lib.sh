# tests/tui/lib.sh — sourced by the hakmem-top tests: paths from make's environment, a
# traced occupancy_target held alive on a fifo, its printed stats, checks, and cleanup.
# shellcheck shell=bash

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -n "${HK_TESTS:-}" ] || skip "HK_TESTS is not set (run through make check)"
TOP=$HK_TESTS/../tui/hakmem-top
TARGET=$HK_TESTS/occupancy_target
[ -x "$TOP" ] || fail "expected a built hakmem-top at $TOP, got none"
[ -x "$TARGET" ] || fail "expected a built occupancy_target at $TARGET, got none"

tmp=$(mktemp -d)
target_pid=
cleanup_hooks=()
cleanup() {
    local h
    for h in ${cleanup_hooks[@]+"${cleanup_hooks[@]}"}; do "$h" || true; done
    exec 3>&- 2>/dev/null || true
    if [ -n "$target_pid" ]; then
        kill "$target_pid" 2>/dev/null || true
        wait "$target_pid" 2>/dev/null || true
        rm -f "/dev/shm/hakmem.$target_pid"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Starts occupancy_target traced (HAKMEM_TRACE=1: /dev/shm/hakmem.<pid>), holding its
# blocks until fd 3 closes; waits for its stats and for the 50 ms sampler to catch up.
start_target() {
    mkfifo "$tmp/fifo"
    HAKMEM_TRACE=1 "$TARGET" <"$tmp/fifo" >"$tmp/stats" &
    target_pid=$!
    exec 3>"$tmp/fifo"
    for _ in $(seq 100); do [ -s "$tmp/stats" ] && break; sleep 0.05; done
    [ -s "$tmp/stats" ] || fail "occupancy_target printed no stats within 5 s"
    [ -e "/dev/shm/hakmem.$target_pid" ] ||
        fail "expected the segment /dev/shm/hakmem.$target_pid of the traced target, got none"
    sleep 0.3
}

# Ends the target by closing its stdin; waits for it.
stop_target() {
    exec 3>&-
    wait "$target_pid" || fail "occupancy_target: expected exit status 0, got $?"
}

# "slabs S used U capacity C" of class $1 as the target printed it (hakmem_stats_get).
want_class() {
    sed -n "s/^class $1 \(slabs .*\)/\1/p" "$tmp/stats"
}

# Class-table rows of hakmem-top text (a frame or a pane) on stdin, as
# "class C slabs S used U capacity C" lines.
table_rows() {
    awk '/^CLS +SIZE +SLABS/ { t = 1; next }
         t && !/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9?]+\/[0-9]+ / { t = 0 }
         t { split($4, uc, "/"); print "class " $1 " slabs " $3 " used " uc[1] " capacity " uc[2] }'
}

# Checks that go on after a failure, counted in fails.
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
# wait_for DESCRIPTION ERE: until the caller's `pane` (the screen as text) matches (5 s),
# else a failure with the pane.
wait_for() {
    for _ in $(seq 50); do
        if pane | grep -Eq -- "$2"; then ok "$1"; return 0; fi
        sleep 0.1
    done
    bad "$1: expected the pane to match /$2/, got:"
    pane | sed 's/^/    | /'
    return 1
}
