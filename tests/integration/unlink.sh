#!/bin/bash
# unlink.sh — the exit-time removal of a segment follows the file it created, not its
# path: with HAKMEM_TRACE=DIR/d/x.seg, d replaced by a symlink while the program runs
# must not make the program remove x.seg where the symlink points (issue 13, item 6).
set -u
. "$(dirname "$0")/common.sh"
need_lib
need_command perl
mkdir "$tmp/d" "$tmp/elsewhere"
HAKMEM_TRACE=$tmp/d/x.seg LD_PRELOAD=$HK_LIB perl -e 'sleep 2' &
pid=$!
for _ in $(seq 50); do [ -e "$tmp/d/x.seg" ] && break; sleep 0.1; done
[ -e "$tmp/d/x.seg" ] || fail "the traced program made no segment $tmp/d/x.seg"
mv "$tmp/d" "$tmp/d.orig"
echo keep >"$tmp/elsewhere/x.seg"
ln -s "$tmp/elsewhere" "$tmp/d"
wait "$pid" || fail "perl exited $?"
[ -e "$tmp/elsewhere/x.seg" ] || fail "the program removed x.seg through the swapped directory"
[ "$(cat "$tmp/elsewhere/x.seg")" = keep ] || fail "x.seg where the symlink points was changed"
[ -e "$tmp/d.orig/x.seg" ] && fail "its own segment, in the directory it made it in, was not removed"
echo "ok: the segment removed from its own directory; x.seg behind the symlink kept"
