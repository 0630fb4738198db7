# common.sh — what the integration scripts share (sourced, not run): skip and
# fail with the test harness's exit codes (77, 1), the checks of what a test
# needs, and a temporary folder $tmp removed at exit.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# The library under test: skipped without HK_LIB, failed when it is not built.
need_lib() {
    [ -n "${HK_LIB:-}" ] || skip "HK_LIB is not set (expected the path of libhakmem.so)"
    [ -f "$HK_LIB" ] || fail "HK_LIB=$HK_LIB: expected a built libhakmem.so, got no such file"
}

# need_example NAME: $example is the built examples/NAME, else the test skips.
need_example() {
    example=${HK_EXAMPLES:-}/$1
    [ -x "$example" ] || skip "$example not built (HK_EXAMPLES=${HK_EXAMPLES:-unset})"
}

# need_command NAME: the test skips when NAME is not installed.
need_command() {
    command -v "$1" >/dev/null || skip "$1 not found"
}

# need_test NAME: $prog is the built tests/NAME, else the test skips.
need_test() {
    need_lib
    prog=${HK_TESTS:-}/$1
    [ -x "$prog" ] || skip "$prog not built (HK_TESTS=${HK_TESTS:-unset})"
}

# expect WHAT STATUS: one check, "ok: WHAT" when STATUS is 0, else "FAIL: WHAT" and
# $failed set (the script ends with `exit $failed`).
failed=0 checks=0
expect() { checks=$((checks + 1)); if [ "$2" = 0 ]; then echo "ok: $1"; else echo "FAIL: $1"; failed=1; fi; }

# run_env VAR=VALUE... PROGRAM ARGS...: status in $rc, output in $tmp/out and $tmp/err,
# and no "Segmentation fault" line from the shell when it crashes.
run_env() {
    exec 3>&2 2>/dev/null
    env "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    exec 2>&3 3>&-
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
