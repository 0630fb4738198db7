#!/bin/bash
# export.sh — `hakmem-trace export --format chrome`: -o - writes the JSON to stdout (no
# file named "-"), the same bytes as without -o and as -o FILE.
set -u
. "$(dirname "$0")/common.sh"

"$HK_MKSEG" "$tmp/x.seg" 2000 >/dev/null
hkt ingest "$tmp/x.seg" -o "$tmp/x.db" 2>/dev/null
check_eq "ingest of a synthetic segment" 0 $?

cd "$tmp" || exit 1
hkt export x.db --format chrome -o - >dash.json 2>dash.err
check_eq "export -o - exit status" 0 $?
if [ -e "$tmp/-" ]; then bad "export -o -: expected no file named '-', got one"; else ok "export -o -: no file named '-'"; fi
if grep -q '"traceEvents":\[' dash.json; then ok "export -o -: the JSON on stdout"
else bad "export -o -: expected the trace JSON on stdout, got $(head -c 200 dash.json)"; fi
[ -s dash.err ] && bad "export -o -: expected nothing on stderr, got $(cat dash.err)"
hkt export x.db --format chrome >plain.json 2>/dev/null
hkt export x.db --format chrome -o file.json 2>/dev/null
if cmp -s dash.json plain.json && cmp -s dash.json file.json; then ok "-o -, no -o and -o FILE give the same bytes"
else bad "expected -o -, no -o and -o FILE to give the same bytes, got sizes $(wc -c <dash.json) $(wc -c <plain.json) $(wc -c <file.json)"; fi
if command -v python3 >/dev/null; then
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' dash.json; then ok "export -o -: valid JSON"
    else bad "export -o -: expected valid JSON"; fi
fi
hkt export x.db --format chrome -o - >/dev/full 2>full.err
st=$?
if [ "$st" -eq 1 ] && grep -q "cannot write" full.err; then ok "export -o - to a full device: exit 1, $(cat full.err)"
else bad "export -o - to /dev/full: expected exit 1 and 'cannot write', got $st: $(cat full.err)"; fi
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
