#!/bin/bash
# aligned.sh — the memalign family at HAKMEM_CHECK=0, 1 and 2 (tests/aligned.c):
# every power-of-two alignment from 16 B to 1 GiB with sizes 1 B to 4 MiB is
# aligned, writable, of a sane usable size and freeable; odd alignments get
# glibc 2.36's answers, checked against glibc itself first.
set -u
. "$(dirname "$0")/common.sh"
need_test aligned
what() { # the first failure, else the last line
    grep -m1 '^FAIL' "$tmp/out" || tail -1 "$tmp/out"
}

run_env "$prog" lenient
expect "lenient under glibc (the reference): rc $rc, $(what)" "$([ $rc = 0 ]; echo $?)"
for level in 0 1 2; do
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=$level "$prog" lenient
    expect "lenient at HAKMEM_CHECK=$level: glibc's answers (rc $rc, $(what))" "$([ $rc = 0 ]; echo $?)"
    run_env LD_PRELOAD="$HK_LIB" HAKMEM_CHECK=$level "$prog" levels
    expect "alignments 16 B..1 GiB at HAKMEM_CHECK=$level (rc $rc, $(what))" \
        "$([ $rc = 0 ] && ! grep -q 'hakmem: ERROR' "$tmp/err"; echo $?)"
done
echo "$checks checks"
exit $failed
