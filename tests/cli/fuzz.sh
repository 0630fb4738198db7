#!/bin/bash
# fuzz.sh — corrupt input gets a clean error, never a crash: truncated and bit-flipped
# segments through `ingest`, then truncated and bit-flipped databases through report,
# query, diff and export. Each run must exit 0 or 1 (no signal, no sanitizer trap),
# say why on stderr when it fails, and leave any database it wrote consistent.
set -u
. "$(dirname "$0")/common.sh"
RANDOM=4242 # the same cases every time
rounds=${HK_FUZZ_ROUNDS:-100}

# flip FILE COUNT [LIMIT]: flips one random bit in COUNT random bytes below LIMIT
flip() {
    local f=$1 n=$2 size lim off byte bit
    size=$(stat -c %s "$f")
    lim=${3:-$size}
    [ "$lim" -gt "$size" ] && lim=$size
    for ((k = 0; k < n; k++)); do
        off=$(((RANDOM * 32768 + RANDOM) % lim))
        byte=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
        bit=$((1 << (RANDOM % 8)))
        printf "$(printf '\\%03o' $(((byte ^ bit) & 255)))" |
            dd of="$f" bs=1 seek="$off" conv=notrunc status=none
    done
}

# clean WHAT STATUS ERRFILE: 0 or 1, and a message when 1
clean() {
    if [ "$2" -ne 0 ] && [ "$2" -ne 1 ]; then
        bad "$1: expected exit 0 or 1, got $2: $(head -3 "$3")"
    elif [ "$2" -eq 1 ] && ! grep -q '^hakmem-trace' "$3"; then
        bad "$1: exit 1 without a hakmem-trace message: $(head -3 "$3")"
    elif grep -q 'Sanitizer\|runtime error' "$3"; then
        bad "$1: sanitizer report: $(head -3 "$3")"
    else
        return 0
    fi
    return 1
}

"$HK_MKSEG" "$tmp/base.seg" 4000 >/dev/null || bad "mkseg failed"
size=$(stat -c %s "$tmp/base.seg")
ringoff=$((12288 + 4096 * 0)) # header, counters, occupancy pages come first
fails=0 errors=0
for ((i = 0; i < rounds; i++)); do
    cp "$tmp/base.seg" "$tmp/f.seg"
    case $((i % 5)) in
        0) truncate -s $(((RANDOM * 32768 + RANDOM) % size)) "$tmp/f.seg" ;;
        1) flip "$tmp/f.seg" $((1 + RANDOM % 4)) 4096 ;;           # the header
        2) flip "$tmp/f.seg" $((1 + RANDOM % 16)) ;;               # anywhere
        3) flip "$tmp/f.seg" 64 ;;
        4) truncate -s $((size - 64 * (1 + RANDOM % 100))) "$tmp/f.seg"; flip "$tmp/f.seg" 2 4096 ;;
    esac
    rm -f "$tmp/f.db"
    "$HK_CLI" ingest "$tmp/f.seg" -o "$tmp/f.db" >/dev/null 2>"$tmp/f.err"
    st=$?
    clean "segment case $i" $st "$tmp/f.err" || { fails=$((fails + 1)); continue; }
    [ $st -eq 1 ] && errors=$((errors + 1))
    if [ -f "$tmp/f.db" ]; then
        ic=$("$HK_CLI" query "$tmp/f.db" "PRAGMA integrity_check" --format csv 2>&1 | sed -n 2p | tr -d '\r')
        [ "$ic" = ok ] || { bad "segment case $i: database left inconsistent: $ic"; fails=$((fails + 1)); }
        "$HK_CLI" report "$tmp/f.db" >/dev/null 2>"$tmp/r.err"
        clean "segment case $i: report" $? "$tmp/r.err" || fails=$((fails + 1))
    fi
done
[ $fails -eq 0 ] && ok "$rounds damaged segments: clean exits ($errors refused with a message)"
[ $errors -gt 0 ] || bad "expected some damaged segments to be refused, none was"

# Databases: a good one, then damaged copies.
"$HK_CLI" ingest "$tmp/base.seg" -o "$tmp/good.db" 2>/dev/null || bad "ingest of the base segment failed"
dbsize=$(stat -c %s "$tmp/good.db")
fails=0 errors=0
for ((i = 0; i < rounds; i++)); do
    cp "$tmp/good.db" "$tmp/d.db"
    case $((i % 3)) in
        0) truncate -s $(((RANDOM * 32768 + RANDOM) % dbsize)) "$tmp/d.db" ;;
        1) flip "$tmp/d.db" $((1 + RANDOM % 8)) 16384 ;;
        2) flip "$tmp/d.db" $((1 + RANDOM % 64)) ;;
    esac
    for cmd in "report" "query @stages --format json" "export --format chrome" \
               "diff $tmp/good.db"; do
        set -- $cmd
        sub=$1
        shift
        "$HK_CLI" "$sub" "$tmp/d.db" "$@" >/dev/null 2>"$tmp/d.err"
        st=$?
        clean "database case $i: $cmd" $st "$tmp/d.err" || { fails=$((fails + 1)); break; }
        [ $st -eq 1 ] && errors=$((errors + 1))
    done
done
[ $fails -eq 0 ] && ok "$rounds damaged databases x 4 commands: clean exits ($errors refused with a message)"
[ $errors -gt 0 ] || bad "expected some damaged databases to be refused, none was"
exit $fail
