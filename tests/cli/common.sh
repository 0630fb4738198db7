# common.sh — sourced by the tests/cli/*.sh scripts: where the programs are,
# a temporary directory removed at exit, and check helpers that count failures.
HK_BUILD=${HK_TESTS:+$HK_TESTS/..}
HK_CLI=${HK_CLI:-${HK_BUILD:-.}/cli/hakmem-trace}
HK_MKSEG=${HK_MKSEG:-${HK_BUILD:-.}/tests/cli/mkseg}
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hk-cli-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

skip() { echo "SKIP: $*"; exit 77; }
need_lib() {
    [ -n "${HK_LIB:-}" ] && [ -f "$HK_LIB" ] || skip "HK_LIB unset or not built (expected libhakmem.so)"
    [ -n "${HK_EXAMPLES:-}" ] || skip "HK_EXAMPLES unset"
}
[ -x "$HK_CLI" ] || skip "$HK_CLI not built"

# hkt ARGS...: hakmem-trace, preloading the libhakmem of this build (HK_LIB)
hkt() { HAKMEM_LIB_PATH=${HK_LIB:-} "$HK_CLI" "$@"; }

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# check_eq WHAT EXPECTED GOT
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1 = $2"; else bad "$1: expected $2, got $3"; fi
}

# q DB SQL: one value from the database (through hakmem-trace query, csv, no header)
q() {
    "$HK_CLI" query "$1" "$2" --format csv ${3:+--run "$3"} | sed -n '2p' | tr -d '\r'
}
