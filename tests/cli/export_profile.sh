#!/bin/bash
# export_profile.sh — export of a heap profile (tests/profile_sites recorded at rate 1,
# and at a sampling rate): pprof decodes with protoc against cli/profile.proto and
# its sums per sample type equal profile's totals, go tool pprof reads it (skipped
# without Go), collapsed and speedscope sums per value type equal the totals, the
# speedscope file has the format's top-level keys; the Chrome export's heap counter
# and capped alloc instants; a run without a profile and an
# output that cannot be written are one line each, with no file left behind.
set -u
. "$(dirname "$0")/common.sh"
need_lib
prog=$HK_TESTS/profile_sites
[ -x "$prog" ] || skip "$prog not built"
proto=${HK_SRCDIR:-$(dirname "$0")/../..}/cli/profile.proto
command -v python3 >/dev/null || skip "python3 not installed"

qs() { "$HK_CLI" query "$1" "$2" --format csv | sed 1d | tr -d '\r'; }
db=$tmp/p.db
hkt record --profile=1 -o "$db" -- "$prog" 4 >/dev/null 2>"$tmp/err"
check_eq "record --profile=1 profile_sites 4: exit status" 0 $?
# the totals as profile prints them (@profile) and as its lists add up
IFS=, read -r allocs bytes in_use live peak <<<"$(qs "$db" "SELECT allocations, bytes, in_use, live, peak FROM
    (SELECT * FROM profile_runs) JOIN (SELECT (SELECT round(sum(alloc_weight) / 65536.0) FROM profile_stacks)
    AS allocations, (SELECT sum(bytes) FROM profile_stacks) AS bytes)")"
allocs=${allocs%.0}
check_eq "@profile's estimated allocations (the query profile prints)" "$allocs" \
    "$(qs "$db" @profile | cut -d, -f11 | sed 's/\.0$//')"
temporary=$(qs "$db" @profile-temporary | cut -d, -f1 | awk '{s += $1} END {print s + 0}')
check_eq "profile_sites 4: at least 19500 temporaries (16000 site_temp, 3500 freed site_leak)" \
    1 "$(awk -v t="$temporary" 'BEGIN {print (t >= 16000 + 3500)}')"

# ---- pprof
hkt export "$db" --format pprof -o "$tmp/p.pb.gz" 2>"$tmp/err"
check_eq "export --format pprof: exit status" 0 $?
[ -s "$tmp/err" ] && bad "export --format pprof: expected nothing on stderr, got $(cat "$tmp/err")"
gzip -t "$tmp/p.pb.gz" 2>/dev/null && ok "pprof: a gzip file" || bad "pprof: expected a gzip file"
# sums DECODED: per sample type its sum, then the profile's fields (python reads protoc's text)
sums() {
    python3 - "$1" <<'PY'
import sys
root, stack = {}, []
cur = root
for line in open(sys.argv[1]):
    line = line.strip()
    if line.endswith('{'):
        node = {}
        cur.setdefault(line[:-1].strip(), []).append(node)
        stack.append(cur); cur = node
    elif line == '}':
        cur = stack.pop()
    elif ':' in line:
        k, v = line.split(':', 1)
        cur.setdefault(k.strip(), []).append(v.strip().strip('"'))
strings = root.get('string_table', [])
s = lambda i: strings[int(i)]
types = ['%s/%s' % (s(t['type'][0]), s(t['unit'][0])) for t in root['sample_type']]
total = [0] * len(types)
labels = 0
for smp in root.get('sample', []):
    for i, v in enumerate(smp['value']):
        total[i] += int(v)
    labels += sum(1 for l in smp.get('label', []) if s(l['key'][0]) == 'bytes' and int(l['num'][0]) > 0)
for t, v in zip(types, total):
    print('%s %d' % (t, v))
print('default %s' % s(root['default_sample_type'][0]))
pt = root['period_type'][0]
print('period_type %s/%s period %s' % (s(pt['type'][0]), s(pt['unit'][0]), root['period'][0]))
print('samples %d labels %d' % (len(root.get('sample', [])), labels))
ids = [s(m['build_id'][0]) for m in root.get('mapping', []) if 'build_id' in m]
print('mappings %d build_ids %d main %s' % (len(root.get('mapping', [])), len(ids),
      s(root['mapping'][0]['filename'][0]).rsplit('/', 1)[-1]))
names = set(s(f['name'][0]) for f in root.get('function', []))
lines = sum(1 for l in root.get('location', []) if int(l['line'][0].get('line', ['0'])[0]) > 0)
print('functions main %s lines %d' % ('main' in names, lines))
PY
}
if command -v protoc >/dev/null; then
    if gzip -dc "$tmp/p.pb.gz" | protoc --decode=perftools.profiles.Profile \
        --proto_path="$(dirname "$proto")" "$proto" >"$tmp/p.txt" 2>"$tmp/protoc.err"; then
        ok "pprof: protoc --decode reads it against cli/profile.proto"
        sums "$tmp/p.txt" >"$tmp/sums"
        check_eq "pprof alloc_objects = profile's estimated allocations" "alloc_objects/count $allocs" \
            "$(grep '^alloc_objects' "$tmp/sums")"
        check_eq "pprof alloc_space = profile's bytes allocated" "alloc_space/bytes $bytes" \
            "$(grep '^alloc_space' "$tmp/sums")"
        check_eq "pprof inuse_objects = the blocks live at the end (rate 1)" "inuse_objects/count $live" \
            "$(grep '^inuse_objects' "$tmp/sums")"
        check_eq "pprof inuse_space = profile's bytes in use at the end" "inuse_space/bytes $in_use" \
            "$(grep '^inuse_space' "$tmp/sums")"
        check_eq "pprof default sample type" "default inuse_space" "$(grep '^default' "$tmp/sums")"
        check_eq "pprof period type and period (the rate)" "period_type space/bytes period 1" \
            "$(grep '^period_type' "$tmp/sums")"
        # (stacks with no sampled allocation are the one-frame sites of site tags, for pins)
        n=$(q "$db" "SELECT count(*) FROM profile_stacks WHERE allocs > 0")
        check_eq "pprof: one sample per sampled stack, each with a bytes label" \
            "samples $n labels $n" \
            "$(grep '^samples' "$tmp/sums")"
        grep -q '^mappings [1-9][0-9]* build_ids [1-9][0-9]* main profile_sites$' "$tmp/sums" &&
            ok "pprof: mappings with build ids, the program first ($(grep '^mappings' "$tmp/sums"))" ||
            bad "pprof: expected mappings with build ids, profile_sites first, got $(grep '^mappings' "$tmp/sums")"
        grep -q '^functions main True lines [1-9]' "$tmp/sums" &&
            ok "pprof: functions by name, locations with lines" ||
            bad "pprof: expected function main and lines, got $(grep '^functions' "$tmp/sums")"
    else
        bad "pprof: protoc --decode failed: $(head -3 "$tmp/protoc.err")"
    fi
else
    echo "SKIP: protoc not installed (Debian protobuf-compiler): pprof not decoded"
fi

# a pprof reader: Go's (go tool pprof), else say so
if command -v go >/dev/null && go tool pprof -h >/dev/null 2>&1; then
    HOME=$tmp GOCACHE=$tmp/go go tool pprof -raw "$tmp/p.pb.gz" >"$tmp/raw" 2>"$tmp/raw.err"
    check_eq "go tool pprof -raw: exit status" 0 $?
    check_eq "go tool pprof: the four sample types, inuse_space the default" \
        "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes[dflt]" \
        "$(sed -n '/^Samples:/{n;p}' "$tmp/raw" | xargs)"
    check_eq "go tool pprof: alloc_space summed over its samples" "$bytes" \
        "$(awk '/^Samples:/ {on = 1; getline; next} /^Locations/ {on = 0} on && /:/ && $1 ~ /^[0-9]+$/ {s += $2} END {print s}' "$tmp/raw")"
    HOME=$tmp GOCACHE=$tmp/go go tool pprof -top -lines -sample_index=inuse_space "$tmp/p.pb.gz" \
        >"$tmp/top" 2>&1
    grep -q 'main .*profile_sites\.c:[0-9]' "$tmp/top" && ok "go tool pprof -top -lines: the leak's line in main" ||
        bad "go tool pprof -top: expected main at profile_sites.c:N, got $(head -12 "$tmp/top")"
else
    echo "SKIP: no pprof reader installed (Debian golang-go: go tool pprof)"
fi

# ---- collapsed: one value per --value, sums as profile's
# fold_sum VALUE: the sum of export --format collapsed --value VALUE
fold_sum() { hkt export "$db" --format collapsed --value "$1" | awk '{s += $NF} END {print s + 0}'; }
check_eq "collapsed alloc-bytes sum = bytes allocated" "$bytes" "$(fold_sum alloc-bytes)"
check_eq "collapsed allocs sum = estimated allocations" "$allocs" "$(fold_sum allocs)"
check_eq "collapsed leaked-bytes sum = bytes in use at the end" "$in_use" "$(fold_sum leaked-bytes)"
check_eq "collapsed inuse-bytes sum = bytes in use at the peak" "$peak" "$(fold_sum inuse-bytes)"
check_eq "collapsed temporary sum = the temporaries profile lists" "$temporary" "$(fold_sum temporary)"
check_eq "collapsed: the default value is alloc-bytes" "$bytes" \
    "$(hkt export "$db" --format collapsed | awk '{s += $NF} END {print s + 0}')"
hkt export "$db" --format collapsed --value leaked-bytes >"$tmp/leaked.folded"
grep -q '^_start;__libc_start_main;.*main [0-9]*$' "$tmp/leaked.folded" &&
    ok "collapsed: root first (_start;...;main VALUE)" ||
    bad "collapsed: expected _start;...;main VALUE, got $(head -3 "$tmp/leaked.folded")"
leaves=$(hkt export "$db" --format collapsed | sed 's/ [0-9]*$//; s/.*;//' | sort -u | tr '\n' ' ')
case " $leaves" in
*" malloc "* | *" calloc "* | *" realloc "* | *" hk_"*) bad "collapsed: expected no allocator frame at a leaf, got $leaves" ;;
*) ok "collapsed: the leaves are the program's calls, no allocator frame ($leaves)" ;;
esac

# ---- speedscope
hkt export "$db" --format speedscope -o "$tmp/s.json" 2>"$tmp/err"
check_eq "export --format speedscope: exit status" 0 $?
python3 - "$tmp/s.json" >"$tmp/ss" 2>&1 <<'PY' || bad "speedscope: $(cat "$tmp/ss")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d['$schema'] == 'https://www.speedscope.app/file-format-schema.json', d['$schema']
nf = len(d['shared']['frames'])
assert all('name' in f for f in d['shared']['frames'])
for p in d['profiles']:
    assert p['type'] == 'sampled' and len(p['samples']) == len(p['weights']), p['name']
    assert all(0 <= i < nf for s in p['samples'] for i in s), p['name']
    assert p['endValue'] == sum(p['weights']), p['name']
    print(p['name'], p['unit'], sum(p['weights']))
print('keys', ' '.join(sorted(k for k in d if k in ('$schema', 'shared', 'profiles', 'name', 'activeProfileIndex', 'exporter'))))
PY
check_eq "speedscope: the documented top-level keys" "keys \$schema activeProfileIndex exporter name profiles shared" \
    "$(grep '^keys' "$tmp/ss")"
check_eq "speedscope: one sampled profile per value type, sums as profile's" \
    "alloc-bytes bytes $bytes|inuse-bytes bytes $peak|leaked-bytes bytes $in_use|allocs none $allocs|temporary none $temporary" \
    "$(grep -v '^keys' "$tmp/ss" | tr '\n' '|' | sed 's/|$//')"

# ---- at a sampling rate: the byte sums still add up exactly (estimates per stack)
hkt record --profile=65536 -o "$tmp/r.db" -- "$prog" 4 >/dev/null 2>&1
check_eq "record --profile=65536: exit status" 0 $?
rbytes=$(q "$tmp/r.db" "SELECT sum(bytes) FROM profile_stacks")
check_eq "collapsed alloc-bytes at rate 65536 = profile's estimate" "$rbytes" \
    "$(hkt export "$tmp/r.db" --format collapsed | awk '{s += $NF} END {print s + 0}')"
if command -v protoc >/dev/null; then
    hkt export "$tmp/r.db" --format pprof | gzip -dc | protoc --decode=perftools.profiles.Profile \
        --proto_path="$(dirname "$proto")" "$proto" >"$tmp/r.txt" 2>/dev/null
    sums "$tmp/r.txt" >"$tmp/rsums"
    check_eq "pprof at rate 65536: period" "period_type space/bytes period 65536" "$(grep '^period_type' "$tmp/rsums")"
    check_eq "pprof at rate 65536: alloc_space = profile's estimate" "alloc_space/bytes $rbytes" \
        "$(grep '^alloc_space' "$tmp/rsums")"
fi

# ---- chrome: the heap counter and the alloc instants, on the SuperSlab events' timeline
# chrome_heap JSON: "counter-name last-value max-value instants peak-bytes metadata in-range
# sites-named most-since-max"
chrome_heap() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d['traceEvents']
most = 'heap in use, the most since the point before (estimated)'
c = [e for e in ev if e['ph'] == 'C' and e['name'].startswith('heap in use') and e['name'] != most]
m = [e['args']['bytes'] for e in ev if e['ph'] == 'C' and e['name'] == most]
inst = [e for e in ev if e['ph'] == 'i' and e['name'].startswith('alloc ')]
peak = [e['args']['bytes'] for e in ev if e['name'] == 'heap peak (estimated)']
meta = [e for e in ev if e['ph'] == 'M' and e['name'] == 'heap_instants']
other = [e['ts'] for e in ev if e['ph'] != 'M' and not e['name'].startswith(('heap', 'alloc '))]
ts = [e['ts'] for e in c + inst]
inside = min(ts) >= 0 and min(other) >= 0 and max(ts) <= max(other + ts)
print('%s|%d|%d|%d|%s|%d|%s|%d|%s' % (c[-1]['name'], c[-1]['args']['bytes'], max(e['args']['bytes'] for e in c),
      len(inst), peak[0] if peak else '-', len(meta), inside,
      sum(1 for e in inst if ' profile_sites.c:' in e['name']), max(m) if m else '-'))
PY
}
hkt export "$db" --format chrome -o "$tmp/c.json" 2>"$tmp/err"
check_eq "export --format chrome of a profiled run: exit status" 0 $?
IFS='|' read -r cname clast cmax cinst cpeak cmeta cin csites cmost <<<"$(chrome_heap "$tmp/c.json")"
check_eq "chrome without --all-blocks: the counter of bytes in use (profile_usage), ending at the bytes in use" \
    "heap in use (estimated) $in_use" "$cname $clast"
check_eq "chrome: the series of the most in use between points reaches the run's peak" "$peak" "$cmost"
check_eq "profile_usage: points at least 10 ms apart (but the one at the end), the most of them the run's peak" \
    "1 $peak" \
    "$(q "$db" "SELECT coalesce(min(d >= 10000000), 1) FROM (SELECT ts_ns, ts_ns - lag(ts_ns) OVER (ORDER BY ts_ns) AS d
                FROM profile_usage) WHERE d IS NOT NULL AND ts_ns < (SELECT max(ts_ns) FROM profile_usage)") $(
        q "$db" "SELECT max(peak) FROM profile_usage")"
# A database of version 3, written before profile_usage: read as it is, the counter
# of the blocks live at the end.
cp "$db" "$tmp/old.db" && sqlite3 "$tmp/old.db" "DROP TABLE profile_usage; PRAGMA user_version = 3"
hkt export "$tmp/old.db" --format chrome -o "$tmp/old.json" 2>"$tmp/err"
check_eq "export --format chrome of a version-3 database: exit status" "0 " "$? $(cat "$tmp/err")"
IFS='|' read -r cname clast _ <<<"$(chrome_heap "$tmp/old.json")"
check_eq "chrome of a run without profile_usage: the counter of the blocks live at the end" \
    "heap in use by blocks live at the end (estimated) $in_use" "$cname $clast"
check_eq "chrome: an instant per live sample (fewer than the cap), the peak marked" "$live $peak 0" "$cinst $cpeak $cmeta"
check_eq "chrome: heap events on the run's timeline" True "$cin"
hkt record --profile=1 --all-blocks -o "$tmp/ab.db" -- "$prog" 4 >/dev/null 2>&1
hkt export "$tmp/ab.db" --format chrome -o "$tmp/ab.json" 2>"$tmp/err"
check_eq "export --format chrome of an --all-blocks run: exit status" 0 $?
IFS='|' read -r cname clast cmax cinst cpeak cmeta cin csites cmost <<<"$(chrome_heap "$tmp/ab.json")"
abpeak=$(q "$tmp/ab.db" "SELECT peak FROM profile_runs")
check_eq "chrome with --all-blocks: the counter of bytes in use, ending at the bytes in use at the end" \
    "heap in use (estimated) $(q "$tmp/ab.db" "SELECT in_use FROM profile_runs")" "$cname $clast"
check_eq "chrome: the counter never above the peak, the most between its points the peak" "1 $abpeak" \
    "$(awk -v m="$cmax" -v p="$abpeak" 'BEGIN {print (m <= p)}') $cmost"
check_eq "chrome: 24002 samples, capped at 10000 instants, the cap said in a metadata event" "1 1" \
    "$(awk -v n="$cinst" 'BEGIN {print (n > 5000 && n <= 10000)}') $cmeta"
check_eq "chrome: the instants named by their sites (profile_sites.c:N)" 1 \
    "$(awk -v n="$csites" 'BEGIN {print (n > 5000)}')"

# ---- bad input
"$HK_MKSEG" "$tmp/x.seg" 2000 >/dev/null
hkt ingest "$tmp/x.seg" -o "$tmp/x.db" 2>/dev/null
for f in pprof collapsed speedscope; do
    hkt export "$tmp/x.db" --format $f -o "$tmp/none.out" >/dev/null 2>"$tmp/err"
    st=$?
    if [ "$st" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q 'has no heap profile' "$tmp/err"; then
        ok "export --format $f of a run without a profile: exit 1, $(cat "$tmp/err")"
    else
        bad "export --format $f without a profile: expected exit 1 and one line, got $st: $(cat "$tmp/err")"
    fi
    [ -e "$tmp/none.out" ] && bad "export --format $f without a profile: expected no output file, got one"
done
hkt export "$db" --format pprof -o "$tmp/no/such/dir/p.pb.gz" 2>"$tmp/err"
st=$?
if [ "$st" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "cannot write $tmp/no/such/dir/p.pb.gz" "$tmp/err"; then
    ok "export -o into a missing directory: exit 1, $(cat "$tmp/err")"
else bad "export -o into a missing directory: expected exit 1 and one line, got $st: $(cat "$tmp/err")"; fi
# a write that fails half-way (a file size limit): the old file stays, no temporary is left
mkdir "$tmp/out" && echo old >"$tmp/out/s.json"
(ulimit -f 1 && trap '' XFSZ && exec env HAKMEM_LIB_PATH="${HK_LIB:-}" "$HK_CLI" export "$db" --format speedscope \
    -o "$tmp/out/s.json") 2>"$tmp/err"
st=$?
if [ "$st" -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "cannot write $tmp/out/s.json" "$tmp/err"; then
    ok "export whose write fails half-way: exit 1, $(cat "$tmp/err")"
else bad "export whose write fails half-way: expected exit 1 and one line, got $st: $(cat "$tmp/err")"; fi
check_eq "after the failed write: the old file as it was, nothing else" "old|s.json" \
    "$(cat "$tmp/out/s.json")|$(ls "$tmp/out" | tr '\n' ' ' | sed 's/ $//')"
hkt export "$db" --format pprof -o - >/dev/full 2>"$tmp/err"
st=$?
if [ "$st" -eq 1 ] && grep -q "cannot write" "$tmp/err"; then ok "export --format pprof to a full device: exit 1"
else bad "export --format pprof to /dev/full: expected exit 1, got $st: $(cat "$tmp/err")"; fi
hkt export "$db" --format collapsed --value bogus 2>"$tmp/err" >/dev/null
check_eq "--value bogus: exit status" 2 $?
hkt export "$db" --format pprof --value allocs 2>"$tmp/err" >/dev/null
check_eq "--value with --format pprof: exit status" 2 $?
hkt export "$db" --format flame 2>"$tmp/err" >/dev/null
check_eq "--format flame: exit status" 2 $?
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
