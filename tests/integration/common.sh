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

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
