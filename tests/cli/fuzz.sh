#!/bin/bash
# fuzz.sh — corrupt input gets a clean error, never a crash: truncated and bit-flipped
# segments through `ingest`, then truncated and bit-flipped databases through report,
# query, diff, export and hakmem-top --replay; a live segment rewritten and truncated
# under `hakmem-trace attach` and `hakmem-top -o`; FIFOs, directories and symlinks
# where files are expected. Each case runs against the plain programs and the ones
# built with ASan + UBSan (tests/cli/*-asan, libhakmem-reader compiled in, no
# recovery). Each run must exit 0 or 1 within 10 s (no signal, no sanitizer trap),
# say why in one line on stderr when it fails, print no control character, and leave
# any database it wrote consistent.
set -u
. "$(dirname "$0")/common.sh"
RANDOM=4242 # the same cases every time
rounds=${HK_FUZZ_ROUNDS:-100}
asan_rounds=${HK_FUZZ_ASAN_ROUNDS:-25}
live_rounds=${HK_FUZZ_LIVE_ROUNDS:-2}
HK_TOP=${HK_TOP:-${HK_BUILD:-.}/tui/hakmem-top}
HK_CLI_ASAN=${HK_CLI_ASAN:-${HK_BUILD:-.}/tests/cli/hakmem-trace-asan}
HK_TOP_ASAN=${HK_TOP_ASAN:-${HK_BUILD:-.}/tests/cli/hakmem-top-asan}
[ -x "$HK_TOP" ] || skip "$HK_TOP not built"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# "name hakmem-trace hakmem-top" per set of programs
sets=("plain $HK_CLI $HK_TOP")
if [ -x "$HK_CLI_ASAN" ] && [ -x "$HK_TOP_ASAN" ]; then
    sets+=("asan $HK_CLI_ASAN $HK_TOP_ASAN")
else
    echo "note: no sanitized programs ($HK_CLI_ASAN, $HK_TOP_ASAN): plain ones only"
fi

# flip FILE COUNT [LIMIT]: flips one random bit in COUNT random bytes below LIMIT
flip() {
    "$HK_MKSEG" --flip "$1" "$2" "${3:-0}" "$RANDOM$RANDOM"
}

# controls FILE: how many control characters (but newline and tab) FILE has
controls() {
    LC_ALL=C tr -cd '\000-\010\013-\037\177' <"$1" | wc -c
}

# clean WHAT STATUS ERRFILE [OUTFILE]: 0 or 1 within the time, and one error line
# naming the program when 1 (a run's summary line may come before it); no sanitizer
# report; no control characters (in stderr and in OUTFILE)
clean() {
    if [ "$2" -eq 124 ]; then
        bad "$1: still running after 10 s"
    elif [ "$2" -ne 0 ] && [ "$2" -ne 1 ]; then
        bad "$1: expected exit 0 or 1, got $2: $(head -3 "$3")"
    elif grep -aq 'Sanitizer\|runtime error' "$3"; then
        bad "$1: sanitizer report: $(grep -a -m2 'Sanitizer\|runtime error' "$3")"
    elif [ "$2" -eq 1 ] &&
        { [ "$(grep -av '^hakmem-trace: \(ingested\|drained\|recorded\) ' "$3" |
            grep -ac '^hakmem-t')" -ne 1 ] ||
          [ "$(grep -av '^hakmem-trace: \(ingested\|drained\|recorded\) ' "$3" | grep -ac .)" -ne 1 ]; }; then
        bad "$1: exit 1, expected one hakmem-trace or hakmem-top error line, got: $(head -3 "$3" | cat -A)"
    elif [ "$(controls "$3")" -ne 0 ] ||
        { [ -n "${4:-}" ] && [ "$(controls "$4")" -ne 0 ]; }; then
        bad "$1: control characters in its output"
    else
        return 0
    fi
    return 1
}

# run OUT ERR PROGRAM ARGS...: PROGRAM with a 10 s limit; its status in $st
run() {
    local out=$1 err=$2
    shift 2
    timeout 10 "$@" >"$out" 2>"$err"
    st=$?
}

"$HK_MKSEG" "$tmp/base.seg" 4000 >/dev/null || bad "mkseg failed"
size=$(stat -c %s "$tmp/base.seg")

# ---- damaged segments through ingest (then report of what was stored)
segments() {
    local name=$1 cli=$2 n=$3 i fails=0 errors=0 ic
    for ((i = 0; i < n; i++)); do
        cp "$tmp/base.seg" "$tmp/f.seg"
        case $((i % 5)) in
            0) truncate -s $(((RANDOM * 32768 + RANDOM) % size)) "$tmp/f.seg" ;;
            1) flip "$tmp/f.seg" $((1 + RANDOM % 4)) 4096 ;;           # the header
            2) flip "$tmp/f.seg" $((1 + RANDOM % 16)) ;;               # anywhere
            3) flip "$tmp/f.seg" 64 ;;
            4) truncate -s $((size - 64 * (1 + RANDOM % 100))) "$tmp/f.seg"; flip "$tmp/f.seg" 2 4096 ;;
        esac
        rm -f "$tmp/f.db"
        run /dev/null "$tmp/f.err" "$cli" ingest "$tmp/f.seg" -o "$tmp/f.db"
        clean "$name segment case $i" $st "$tmp/f.err" || { fails=$((fails + 1)); continue; }
        [ $st -eq 1 ] && errors=$((errors + 1))
        if [ -f "$tmp/f.db" ]; then
            ic=$("$HK_CLI" query "$tmp/f.db" "PRAGMA integrity_check" --format csv 2>&1 | sed -n 2p | tr -d '\r')
            [ "$ic" = ok ] || { bad "$name segment case $i: database left inconsistent: $ic"; fails=$((fails + 1)); }
            run /dev/null "$tmp/r.err" "$cli" report "$tmp/f.db"
            clean "$name segment case $i: report" $st "$tmp/r.err" || fails=$((fails + 1))
        fi
    done
    [ $fails -eq 0 ] && ok "$name: $n damaged segments: clean exits ($errors refused with a message)"
    [ $errors -gt 0 ] || bad "$name: expected some damaged segments to be refused, none was"
}

# ---- damaged databases through report, query, export, diff and hakmem-top --replay
databases() {
    local name=$1 cli=$2 top=$3 n=$4 i fails=0 errors=0 cmd sub
    for ((i = 0; i < n; i++)); do
        cp "$tmp/good.db" "$tmp/d.db"
        case $((i % 3)) in
            0) truncate -s $(((RANDOM * 32768 + RANDOM) % dbsize)) "$tmp/d.db" ;;
            1) flip "$tmp/d.db" $((1 + RANDOM % 8)) 16384 ;;
            2) flip "$tmp/d.db" $((1 + RANDOM % 64)) ;;
        esac
        for cmd in "report" "query @stages --format json" "export --format chrome" \
                   "diff $tmp/good.db" "top"; do
            set -- $cmd
            sub=$1
            shift
            if [ "$sub" = top ]; then
                run /dev/null "$tmp/d.err" "$top" --replay "$tmp/d.db" -o
            else
                run /dev/null "$tmp/d.err" "$cli" "$sub" "$tmp/d.db" "$@"
            fi
            clean "$name database case $i: $cmd" $st "$tmp/d.err" || { fails=$((fails + 1)); break; }
            [ $st -eq 1 ] && errors=$((errors + 1))
        done
    done
    [ $fails -eq 0 ] && ok "$name: $n damaged databases x 5 commands: clean exits ($errors refused with a message)"
    [ $errors -gt 0 ] || bad "$name: expected some damaged databases to be refused, none was"
}

"$HK_CLI" ingest "$tmp/base.seg" -o "$tmp/good.db" 2>/dev/null || bad "ingest of the base segment failed"
dbsize=$(stat -c %s "$tmp/good.db")
for s in "${sets[@]}"; do
    set -- $s
    n=$rounds
    [ "$1" = asan ] && n=$asan_rounds
    segments "$1" "$2" "$n"
    databases "$1" "$2" "$3" "$n"
done

# ---- a run with occupancy samples and no events: an empty map at every sample
if command -v sqlite3 >/dev/null; then
    cp "$tmp/good.db" "$tmp/noev.db"
    sqlite3 "$tmp/noev.db" "DELETE FROM events" || bad "sqlite3 could not edit $tmp/noev.db"
    for s in "${sets[@]}"; do
        set -- $s
        run "$tmp/noev.out" "$tmp/noev.err" "$3" --replay "$tmp/noev.db" -o
        clean "$1: replay of a run without events" $st "$tmp/noev.err" "$tmp/noev.out" &&
            check_eq "$1: replay of a run without events: exit status" 0 $st
    done
else
    echo "note: no sqlite3 shell: the replay of a run without events is not tried"
fi

# ---- FIFOs, directories and symlinks where segments and databases are expected
mkdir "$tmp/odd"
mkfifo "$tmp/odd/hakmem.1"
mkdir "$tmp/odd/hakmem.2"
ln -s "$tmp/base.seg" "$tmp/odd/hakmem.3"
ln -s "$tmp/nowhere" "$tmp/odd/hakmem.4"
cp "$tmp/base.seg" "$tmp/odd/hakmem.5"
for s in "${sets[@]}"; do
    set -- $s
    fails=0
    for k in 1 2 3 4; do
        f=$tmp/odd/hakmem.$k
        for cmd in "$2 ingest $f -o $tmp/odd.db" "$2 report $f" "$3 -o $f" "$3 --replay $f -o"; do
            run "$tmp/o.out" "$tmp/o.err" $cmd
            clean "$1: ${cmd#* }" $st "$tmp/o.err" "$tmp/o.out" || fails=$((fails + 1))
            [ $st -eq 1 ] || { bad "$1: ${cmd#* }: expected a refusal, got exit $st"; fails=$((fails + 1)); }
        done
    done
    for cmd in "ls $tmp/odd" "ls --clean $tmp/odd"; do
        run "$tmp/o.out" "$tmp/o.err" $2 $cmd
        clean "$1: $cmd" $st "$tmp/o.err" "$tmp/o.out" || fails=$((fails + 1))
        [ "$st" -eq 0 ] && [ "$(grep -c "^hakmem-trace ls: skipped: $tmp/odd/hakmem.[1-4] " "$tmp/o.err")" -eq 4 ] &&
            grep -q '^4242 ' "$tmp/o.out" ||
            { bad "$1: $cmd: expected the segment listed, 4 files skipped, got $st: $(cat "$tmp/o.out" "$tmp/o.err")"; fails=$((fails + 1)); }
    done
    [ -p "$tmp/odd/hakmem.1" ] && [ -d "$tmp/odd/hakmem.2" ] && [ -e "$tmp/odd/hakmem.5" ] ||
        { bad "$1: ls --clean removed what it must not"; fails=$((fails + 1)); }
    # in /dev/shm, under the pid of a live process: attach, hakmem-top PID, and both scans
    sleep 30 &
    sp=$!
    mkfifo "/dev/shm/hakmem.$sp"
    for cmd in "$2 attach $sp -o $tmp/odd.db" "$3 -o $sp" "$3 -o" "$2 ls"; do
        run "$tmp/o.out" "$tmp/o.err" $cmd
        [ "${cmd##* }" = ls ] && grep -v "hakmem.$sp " "$tmp/o.err" >"$tmp/o.err2" && mv "$tmp/o.err2" "$tmp/o.err"
        clean "$1: ${cmd#* } (a FIFO in /dev/shm)" $st "$tmp/o.err" "$tmp/o.out" || fails=$((fails + 1))
    done
    rm -f "/dev/shm/hakmem.$sp"
    kill $sp
    wait $sp 2>/dev/null
    [ $fails -eq 0 ] && ok "$1: FIFOs, directories and symlinks: refused at once, in one line"
done

# ---- a live segment rewritten at random, then truncated (or exited), under readers
for s in "${sets[@]}"; do
    set -- $s
    fails=0 frames=0 refused=0 truncs=0
    for ((i = 0; i < live_rounds * 2; i++)); do
        end=exit
        [ $((i % 2)) -eq 0 ] && end=truncate
        "$HK_MKSEG" --live shm 1.2 "$RANDOM" $end &
        mk=$!
        for w in $(seq 100); do [ -e "/dev/shm/hakmem.$mk" ] && break; sleep 0.02; done
        rm -f "$tmp/live.db"
        timeout 10 "$2" attach $mk -o "$tmp/live.db" >"$tmp/att.out" 2>"$tmp/att.err" &
        att=$!
        while kill -0 $mk 2>/dev/null; do
            target=$mk
            [ $((RANDOM % 2)) -eq 0 ] && target=/dev/shm/hakmem.$mk
            run "$tmp/top.out" "$tmp/top.err" "$3" -o $target
            clean "$1: live round $i: hakmem-top -o" $st "$tmp/top.err" "$tmp/top.out" ||
                { fails=$((fails + 1)); break; }
            [ $st -eq 0 ] && frames=$((frames + 1)) || refused=$((refused + 1))
        done
        wait $att
        st=$?
        clean "$1: live round $i ($end): attach" $st "$tmp/att.err" "$tmp/att.out" || fails=$((fails + 1))
        grep -q 'was truncated while being read' "$tmp/att.err" && truncs=$((truncs + 1))
        if [ -f "$tmp/live.db" ]; then
            ic=$("$HK_CLI" query "$tmp/live.db" "PRAGMA integrity_check" --format csv 2>&1 | sed -n 2p | tr -d '\r')
            [ "$ic" = ok ] || { bad "$1: live round $i: database left inconsistent: $ic"; fails=$((fails + 1)); }
        fi
        wait $mk
        rm -f "/dev/shm/hakmem.$mk" "/dev/shm/hakmem.$mk.tmp"
    done
    [ $fails -eq 0 ] && ok "$1: $((live_rounds * 2)) live segments rewritten under attach and hakmem-top -o: clean exits ($frames frames, $refused refusals, attach told of $truncs truncations)"
done
exit $fail
