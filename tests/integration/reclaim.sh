#!/bin/bash
# reclaim.sh — memory the program freed goes back to the system (tests/reclaim.c):
# under ulimit -v, a malloc that fails to map releases what hakmem caches (LRU
# SuperSlabs, large cache, the thread's spare slabs and kept blocks) and tries
# again, for the large tier and for new SuperSlabs (then taking an EMPTY slab
# of any class); glibc runs the first case as the reference. And freed memory
# stops counting as resident (VmRSS) well before the TTL unmaps it.
set -u
. "$(dirname "$0")/common.sh"
need_test reclaim
what() { grep -m1 '^FAIL' "$tmp/out" || head -1 "$tmp/out"; }
limited() { (ulimit -v 400000 && run_env "$@" && exit $rc); rc=$?; }

limited "$prog" enomem aligned
expect "glibc under ulimit -v 400000: 150 MiB after freeing 200 MiB (rc $rc, $(what))" "$([ $rc = 0 ]; echo $?)"
limited LD_PRELOAD="$HK_LIB" "$prog" enomem aligned
expect "ulimit -v 400000: malloc(150 MiB) and 100 MiB aligned to 64 MiB after freeing 200 MiB of 32 KiB blocks (rc $rc, $(what))" \
    "$([ $rc = 0 ]; echo $?)"
limited LD_PRELOAD="$HK_LIB" "$prog" enomem_small
expect "ulimit -v 400000: new SuperSlabs once the large cache goes back (rc $rc, $(what))" "$([ $rc = 0 ]; echo $?)"
for reuse in 0 1; do
    limited LD_PRELOAD="$HK_LIB" HAKMEM_SS_EMPTY_REUSE=$reuse "$prog" enomem_class
    expect "ulimit -v 400000, HAKMEM_SS_EMPTY_REUSE=$reuse: EMPTY slabs of another class serve when nothing maps (rc $rc, $(what))" \
        "$([ $rc = 0 ]; echo $?)"
done
# Freed memory stops counting as resident within the purge delay, without malloc_trim.
run_env LD_PRELOAD="$HK_LIB" "$prog" rss
expect "200 MiB of 32 KiB blocks freed: VmRSS back within 16 MiB in 1 s ($(what))" "$([ $rc = 0 ]; echo $?)"
run_env LD_PRELOAD="$HK_LIB" "$prog" rss_large
expect "48 MiB of 1 MiB blocks freed into the large cache: VmRSS back within 8 MiB in 1 s ($(what))" \
    "$([ $rc = 0 ]; echo $?)"
echo "$checks checks"
exit $failed
