#!/bin/bash
# aligned.sh — the memalign family at HAKMEM_CHECK=0, 1 and 2 (tests/aligned.c):
# every power-of-two alignment from 16 B to 1 GiB with sizes 1 B to 4 MiB is
# aligned, writable, of a sane usable size and freeable; odd alignments get
# glibc 2.36's answers, checked against glibc itself first.
set -u
[ -n "${HK_LIB:-}" ] && [ -n "${HK_TESTS:-}" ] || { echo "HK_LIB/HK_TESTS unset: skip"; exit 77; }
prog=$HK_TESTS/aligned
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
expect() { n=$((n + 1)); if [ "$2" = 0 ]; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }
run() { # env... → rc in $rc, stdout in $tmp/out, stderr in $tmp/err
    exec 3>&2 2>/dev/null # no "Segmentation fault" line from the shell
    env "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    exec 2>&3 3>&-
}
what() { # the first failure, else the last line
    grep -m1 '^FAIL' "$tmp/out" || tail -1 "$tmp/out"
}

run "$prog" lenient
expect "lenient under glibc (the reference): rc $rc, $(what)" "$([ $rc = 0 ]; echo $?)"
for level in 0 1 2; do
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=$level "$prog" lenient
    expect "lenient at HAKMEM_CHECK=$level: glibc's answers (rc $rc, $(what))" "$([ $rc = 0 ]; echo $?)"
    run LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=$level "$prog" levels
    expect "alignments 16 B..1 GiB at HAKMEM_CHECK=$level (rc $rc, $(what))" \
        "$([ $rc = 0 ] && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
done
echo "$n checks"
exit $fail
