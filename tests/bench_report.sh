#!/bin/bash
# tests/bench_report.sh — the statistics of scripts/bench-report, from a small hand-made
# results database (schema scripts/bench.sql) whose medians and ratios are worked out
# below; runs no benchmark. Run 1: --quick, 3 repetitions (odd), one failed run, a
# variant whose runs all failed, a failed strace run. Run 2: full, 2 and 4 repetitions
# (even), callgrind rows (one failed). Run 3: --instr. Run 4: interrupted.
# shellcheck disable=SC2016 # the expected lines hold markdown backquotes
set -u
HK_SRCDIR=${HK_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tests/integration/common.sh
source "$HK_SRCDIR/tests/integration/common.sh"
need_command sqlite3
python3 -c 'import sqlite3' 2>/dev/null || skip "python3 with its sqlite3 module not found"
report=$HK_SRCDIR/scripts/bench-report
db=$tmp/results.db

sql() { sqlite3 -bail "$db" || fail "sqlite3 refused the test's rows"; }
render() { # out-dir report-arguments… → runs the reporter, fails unless it exits 0
    local out=$1
    shift
    python3 "$report" "$db" --out "$out" --no-plot "$@" 2>"$tmp/err" ||
        fail "bench-report $* exited $?: $(cat "$tmp/err")"
}
has_line() { # file line… : each line is in the file, exactly
    local f=$1 l
    shift
    for l in "$@"; do
        grep -qxF -- "$l" "$f" || fail "$(basename "$f"): expected the line
  $l
got:
$(cat "$f")"
    done
}
lacks() { # file pattern : no line matches
    ! grep -q -- "$2" "$1" || fail "$(basename "$1"): expected no line matching '$2', got: $(grep -- "$2" "$1")"
}

sql <"$HK_SRCDIR/scripts/bench.sql"
sql <<'EOF'
INSERT INTO runs (run_id, started, finished, seconds, mode, command, reps, git_commit, git_describe, lib_sha256,
                  nproc, cpu_model, mem_kb, os, kernel, compiler, versions, libdir, load_start, load_end) VALUES
 (1, '2026-01-02 03:04:05', '2026-01-02 03:06:07', 122, 'quick', 'scripts/bench --quick', 3,
  '0123456789abcdef0123456789abcdef01234567', 'v0-1-g0123456', 'e4f652e4aaa0ffffffffffffffffffffffffffffffffffffffffffffffffffff',
  2, 'AMD EPYC', 25165824, 'Debian GNU/Linux 12 (bookworm)', 'Linux 6.1', 'gcc (Debian 12.2.0-14) 12.2.0',
  'mimalloc 2.0.9+ds-2; glibc 2.36', '/usr/lib/x86_64-linux-gnu', '0.39 0.94 0.97', '1.23 1.26 1.11');
-- the workloads of each run: program, arguments, unit
CREATE TABLE w (run_id, workload, program, args, unit);
INSERT INTO w VALUES
 (1, 'random_mixed ws=256', 'examples/bench_random_mixed', '5000000 256 42', 'ops/s'),
 (1, 'phases', 'examples/phases', '250000 3', 's'),
 (1, 'thread_churn', 'examples/thread_churn', '1000 2000 42', 'threads/s'),
 (1, 'heap checks', 'examples/bench_random_mixed', '200000 256 42', 'ops/s'),
 (1, 'start-up', 'examples/bench_random_mixed', '1 1 42', NULL);
-- timed runs, in the order they ran (the order rotates each repetition); value NULL: failed
CREATE TABLE t (run_id, suite, workload, variant, repetition, slot, value, rss, freed);
INSERT INTO t VALUES
 (1, 'allocators', 'random_mixed ws=256', 'hakmem',   1, 0, 50e6, 2048, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'mimalloc', 1, 1, 25e6, 4096, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'glibc',    1, 2, 20e6, 1024, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'mimalloc', 2, 0, 40e6, 4096, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'glibc',    2, 1, 50e6, 2048, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'hakmem',   2, 2, 40e6, 1024, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'glibc',    3, 0, 10e6, 1843, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'hakmem',   3, 1, 30e6, 3072, NULL),
 (1, 'allocators', 'random_mixed ws=256', 'mimalloc', 3, 2, 20e6, 4096, NULL),
 (1, 'allocators', 'phases', 'hakmem',   1, 0, 0.7, 500000, 1000),
 (1, 'allocators', 'phases', 'mimalloc', 1, 1, 0.6, 520000, 500),
 (1, 'allocators', 'phases', 'glibc',    1, 2, 1.0, 400000, 100),
 (1, 'allocators', 'phases', 'mimalloc', 2, 0, 0.6, 530000, 500),
 (1, 'allocators', 'phases', 'glibc',    2, 1, 0.9, 410000, 200),
 (1, 'allocators', 'phases', 'hakmem',   2, 2, 0.6, 600000, 3000),
 (1, 'allocators', 'phases', 'glibc',    3, 0, 1.2, 420000, 300),
 (1, 'allocators', 'phases', 'hakmem',   3, 1, NULL, NULL, NULL),
 (1, 'allocators', 'phases', 'mimalloc', 3, 2, 0.6, 540000, 500),
 (1, 'allocators', 'thread_churn', 'hakmem',   1, 0, 20000, 3700, NULL),
 (1, 'allocators', 'thread_churn', 'mimalloc', 1, 1, 10000, 3000, NULL),
 (1, 'allocators', 'thread_churn', 'glibc',    1, 2, NULL, NULL, NULL),
 (1, 'allocators', 'thread_churn', 'mimalloc', 2, 0, 10500, 3000, NULL),
 (1, 'allocators', 'thread_churn', 'glibc',    2, 1, NULL, NULL, NULL),
 (1, 'allocators', 'thread_churn', 'hakmem',   2, 2, 21000, 3700, NULL),
 (1, 'allocators', 'thread_churn', 'glibc',    3, 0, NULL, NULL, NULL),
 (1, 'allocators', 'thread_churn', 'hakmem',   3, 1, 16000, 3700, NULL),
 (1, 'allocators', 'thread_churn', 'mimalloc', 3, 2, 9400, 3000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'hooks-compiled-out',   1, 0, 60e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'hooks-in-tracing-off', 1, 1, 63e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'tracing-on',           1, 2, 30e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'check-off',            1, 3, 66e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'hooks-in-tracing-off', 2, 0, 62e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'tracing-on',           2, 1, 33e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'check-off',            2, 2, 66e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'hooks-compiled-out',   2, 3, 61e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'tracing-on',           3, 0, 36e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'check-off',            3, 1, 66e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'hooks-compiled-out',   3, 2, 59e6, 2000, NULL),
 (1, 'hooks', 'random_mixed ws=256', 'hooks-in-tracing-off', 3, 3, 64e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-0', 1, 0, 58e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-1', 1, 1, 61e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-2', 1, 2, 5.0e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'efence',  1, 3, 73600, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-0', 2, 0, 60e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-1', 2, 1, 61e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-2', 2, 2, 5.4e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'efence',  2, 3, 70000, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-0', 3, 0, 62e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-1', 3, 1, 61e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'check-2', 3, 2, 5.6e6, 2000, NULL),
 (1, 'checks', 'heap checks', 'efence',  3, 3, 75000, 2000, NULL);
INSERT INTO results (run_id, ts, suite, workload, variant, program, args, repetition, slot, status, seconds,
                     value, unit, peak_rss_kb, freed_rss_kb)
    SELECT t.run_id, '2026-01-02 03:05:00', suite, t.workload, variant, program, args, repetition, slot,
           CASE WHEN value IS NULL THEN 'fail' ELSE 'ok' END, 0.5, value, unit, rss, freed
    FROM t JOIN w ON w.run_id = t.run_id AND w.workload = t.workload ORDER BY t.rowid;
-- strace runs: calls, and hakmem's SuperSlab / large counts; glibc's phases run failed
CREATE TABLE s (run_id, workload, variant, slot, ok, m, u, r, sm, su, lm, lu);
INSERT INTO s VALUES
 (1, 'start-up', 'hakmem', 0, 1, 24, 2, 0, 1, 0, 0, 0),
 (1, 'random_mixed ws=256', 'hakmem', 1, 1, 24, 2, 0, 1, 0, 0, 0),
 (1, 'phases', 'hakmem', 2, 1, 329, 38, 0, 303, 35, 2, 0),
 (1, 'start-up', 'mimalloc', 0, 1, 14, 1, 0, NULL, NULL, NULL, NULL),
 (1, 'random_mixed ws=256', 'mimalloc', 1, 1, 14, 1, 0, NULL, NULL, NULL, NULL),
 (1, 'phases', 'mimalloc', 2, 1, 31, 1, 0, NULL, NULL, NULL, NULL),
 (1, 'start-up', 'glibc', 0, 1, 8, 1, 0, NULL, NULL, NULL, NULL),
 (1, 'random_mixed ws=256', 'glibc', 1, 1, 8, 1, 0, NULL, NULL, NULL, NULL),
 (1, 'phases', 'glibc', 2, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO results (run_id, ts, suite, workload, variant, program, args, repetition, slot, status,
                     mmap, munmap, mremap, ss_map, ss_unmap, large_map, large_unmap)
    SELECT s.run_id, '2026-01-02 03:06:00', 'strace', s.workload, variant, program, args, 1, slot,
           CASE WHEN ok THEN 'ok' ELSE 'fail' END, m, u, r, sm, su, lm, lu
    FROM s JOIN w ON w.run_id = s.run_id AND w.workload = s.workload ORDER BY s.rowid;
-- minor faults of phases' timed runs (a tenth of their RSS); the allocations hakmem's counted
UPDATE results SET minor_faults = peak_rss_kb / 10 WHERE run_id = 1 AND suite = 'allocators' AND workload = 'phases';
UPDATE results SET allocations = 1000 WHERE run_id = 1 AND suite = 'strace' AND workload = 'phases' AND variant = 'hakmem';
EOF

# ---- run 1 (3 repetitions, odd)
render "$tmp/r1" --run 1
r1=$tmp/r1/results.md
has_line "$r1" \
    '- command: `scripts/bench --quick` (3 alternating repetitions per workload and allocator, 9 for the two-thread ones; the order rotates each repetition; 122 s in all)' \
    '- machine: AMD EPYC, 2 cores, 24 GiB RAM; Debian GNU/Linux 12 (bookworm); Linux 6.1; gcc (Debian 12.2.0-14) 12.2.0' \
    '- allocators: hakmem v0-1-g0123456, libhakmem.so sha256 e4f652e4aaa0 (hooks compiled in, tracing off); mimalloc 2.0.9+ds-2; glibc 2.36' \
    '- date: 2026-01-02 03:06 UTC; load average at start: 0.39 0.94 0.97' \
    '- load average at the end: 1.23 1.26 1.11 — a shared machine: single runs vary, hence medians and min–max' \
    '## Ratio to mimalloc (median of the ratios within each repetition; > 1: faster than mimalloc)' \
    '| workload | hakmem | mimalloc | glibc |' \
    '|---|---:|---:|---:|'
# random_mixed: ratios within repetitions hakmem/mimalloc 2.0, 1.0, 1.5 → 1.50 (the ratio of
# the medians, 40M/25M, would be 1.60); glibc/mimalloc 0.8, 1.25, 0.5 → 0.80.
# phases (seconds: mimalloc/hakmem): 0.857, 1.0 (repetition 3 failed) → 0.93.
# thread_churn: 2.0, 2.0, 1.70 → 2.00; every glibc run failed → n/a.
has_line "$r1" \
    '| random_mixed ws=256 | 1.50 | 1.00 | 0.80 |' \
    '| phases | 0.93 | 1.00 | 0.60 |' \
    '| thread_churn | 2.00 | 1.00 | n/a |'
lacks "$r1" 'ratio.png'
# All figures: median, min–max, within-repetition ratios, RSS median (MiB) and its ratio of
# medians, strace counts, minor faults (median) and maps per 1000 allocations. phases' hakmem: 2 runs left (even): median 0.65 s; vs glibc 1.43, 1.5 → 1.46;
# its RSS 500000, 600000 kB → 550000 (537.1 MiB) / mimalloc's 530000 = 1.04.
has_line "$r1" \
    '| workload | allocator | median | min–max | vs mimalloc | vs glibc | peak RSS MiB | RSS vs mimalloc | mmap / munmap / mremap | hakmem SS · large | minor faults | maps / 1000 allocs |' \
    '| start-up | hakmem | | | | | | | 24 / 2 / 0 | 1 / 0 · 0 / 0 | | |' \
    '| start-up | mimalloc | | | | | | | 14 / 1 / 0 |  | | |' \
    '| start-up | glibc | | | | | | | 8 / 1 / 0 |  | | |' \
    '| random_mixed ws=256 | hakmem | 40.00M | 30.00M–50.00M | 1.50 | 2.50 | 2.0 | 0.50 | 24 / 2 / 0 | 1 / 0 · 0 / 0 |  |  |' \
    '| random_mixed ws=256 | mimalloc | 25.00M | 20.00M–40.00M | 1.00 | 1.25 | 4.0 | 1.00 | 14 / 1 / 0 |  |  |  |' \
    '| random_mixed ws=256 | glibc | 20.00M | 10.00M–50.00M | 0.80 | 1.00 | 1.8 | 0.45 | 8 / 1 / 0 |  |  |  |' \
    '| phases | hakmem | 0.650 s (1 failed) | 0.600 s–0.700 s | 0.93 | 1.46 | 537.1 | 1.04 | 329 / 38 / 0 | 303 / 35 · 2 / 0 | 55.0k | 329.0 |' \
    '| phases | mimalloc | 0.600 s | 0.600 s–0.600 s | 1.00 | 1.67 | 517.6 | 1.00 | 31 / 1 / 0 |  | 53.0k |  |' \
    '| phases | glibc | 1.000 s | 0.900 s–1.200 s | 0.60 | 1.00 | 400.4 | 0.77 | n/a |  | 41.0k |  |' \
    '| thread_churn | hakmem | 20.0k | 16.0k–21.0k | 2.00 | n/a | 3.6 | 1.23 | n/a | n/a |  |  |' \
    '| thread_churn | mimalloc | 10.0k | 9.4k–10.5k | 1.00 | n/a | 2.9 | 1.00 | n/a |  |  |  |' \
    '| thread_churn | glibc | n/a (3 failed) | n/a–n/a | n/a | n/a | n/a | n/a | n/a |  |  |  |' \
    ' hakmem 2.0; mimalloc 0.5; glibc 0.2.'
has_line "$r1" \
    '| random_mixed ws=256 | `examples/bench_random_mixed 5000000 256 42` | ops/s |' \
    '| phases | `examples/phases 250000 3` | seconds, fill + free of all rounds (lower is better) |' \
    '| thread_churn | `examples/thread_churn 1000 2000 42` | threads/s |'
# Targets: throughput by the within-repetition ratio, RSS by the ratio of medians (≤ 1.2).
has_line "$r1" \
    '| random_mixed ws=256: throughput ≥ mimalloc | 1.50× | met |' \
    '| random_mixed ws=256: peak RSS ≤ 1.2× mimalloc | 0.50× | met |' \
    '| phases: peak RSS ≤ 1.2× mimalloc | 1.04× | met |' \
    '| thread_churn: peak RSS ≤ 1.2× mimalloc | 1.23× | missed |'
lacks "$r1" 'instructions per pair'
# Hook costs and heap checks: ratios of medians to the first variant (and to Electric Fence).
has_line "$r1" \
    '| workload | variant | median ops/s | min–max | vs hooks-compiled-out |' \
    '| random_mixed ws=256 | hooks-compiled-out | 60.00M | 59.00M–61.00M | 1.00 |' \
    '| random_mixed ws=256 | hooks-in-tracing-off | 63.00M | 62.00M–64.00M | 1.05 |' \
    '| random_mixed ws=256 | tracing-on | 33.00M | 30.00M–36.00M | 0.55 |' \
    '| random_mixed ws=256 | check-off | 66.00M | 66.00M–66.00M | 1.10 |' \
    '`examples/bench_random_mixed 200000 256 42`, 3 alternating runs each: HAKMEM_CHECK=0 (none), 1 (default: double' \
    '| check-0 | 60.00M | 58.00M–62.00M | 1.00 | 815.22 | 2.0 |' \
    '| check-1 | 61.00M | 61.00M–61.00M | 1.02 | 828.80 | 2.0 |' \
    '| check-2 | 5.40M | 5.00M–5.60M | 0.09 | 73.37 | 2.0 |' \
    '| efence | 73.6k | 70.0k–75.0k | 0.00 | 1.00 | 2.0 |'
lacks "$r1" '^## Instructions'
lacks "$r1" '^- incomplete'

# ---- run 2 (2 repetitions and 4, even), with callgrind rows
sql <<'EOF'
INSERT INTO runs (run_id, started, finished, seconds, mode, command, reps, git_describe, lib_sha256, nproc, cpu_model,
                  mem_kb, os, kernel, compiler, versions, libdir, load_start, load_end) VALUES
 (2, '2026-01-03 00:00:00', '2026-01-03 00:10:00', 600, 'full', 'scripts/bench 2', 2, 'v0-2-gabcdef0', 'ab12', 2, NULL,
  25165824, 'Debian', 'Linux 6.1', 'gcc', 'mimalloc 2.0.9+ds-2; jemalloc 5.3.0-1; glibc 2.36', '/usr/lib', '1 1 1', '2 2 2');
DELETE FROM t;
DELETE FROM w;
INSERT INTO w VALUES
 (2, 'random_mixed ws=8192', 'examples/bench_random_mixed', '20000000 8192 42', 'ops/s'),
 (2, 'larson 2 threads', 'examples/larson', '2 2000000 42', 'ops/s'),
 (2, 'heap checks', 'examples/bench_random_mixed', '200000 256 42', 'ops/s');
INSERT INTO t VALUES
 (2, 'allocators', 'random_mixed ws=8192', 'hakmem',   1, 0, 60e6, 4000, NULL),
 (2, 'allocators', 'random_mixed ws=8192', 'mimalloc', 1, 1, 50e6, 5000, NULL),
 (2, 'allocators', 'random_mixed ws=8192', 'jemalloc', 1, 2, 40e6, 6000, NULL),
 (2, 'allocators', 'random_mixed ws=8192', 'glibc',    1, 3, 30e6, 3000, NULL),
 (2, 'allocators', 'random_mixed ws=8192', 'mimalloc', 2, 0, 50e6, 5100, NULL),
 (2, 'allocators', 'random_mixed ws=8192', 'jemalloc', 2, 1, 45e6, 6000, NULL),
 (2, 'allocators', 'random_mixed ws=8192', 'glibc',    2, 2, 45e6, 3000, NULL),
 (2, 'allocators', 'random_mixed ws=8192', 'hakmem',   2, 3, 45e6, 4100, NULL),
 (2, 'allocators', 'larson 2 threads', 'hakmem',   1, 0, 19e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'mimalloc', 1, 1, 10e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'jemalloc', 1, 2, 18e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'glibc',    1, 3, 3e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'mimalloc', 2, 0, 12e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'jemalloc', 2, 1, 14e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'glibc',    2, 2, 3e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'hakmem',   2, 3, 15e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'jemalloc', 3, 0, 25e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'glibc',    3, 1, 3e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'hakmem',   3, 2, 26e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'mimalloc', 3, 3, 9e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'glibc',    4, 0, 3e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'hakmem',   4, 1, 20e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'mimalloc', 4, 2, 11e6, 1000, NULL),
 (2, 'allocators', 'larson 2 threads', 'jemalloc', 4, 3, NULL, NULL, NULL),
 (2, 'hooks', 'random_mixed ws=8192', 'hooks-compiled-out', 1, 0, 60e6, 4000, NULL),
 (2, 'hooks', 'random_mixed ws=8192', 'tracing-on',         1, 1, 50e6, 4000, NULL),
 (2, 'hooks', 'random_mixed ws=8192', 'tracing-on',         2, 0, 55e6, 4000, NULL),
 (2, 'hooks', 'random_mixed ws=8192', 'hooks-compiled-out', 2, 1, 62e6, 4000, NULL),
 (2, 'checks', 'heap checks', 'check-0', 1, 0, 50e6, 2000, NULL),
 (2, 'checks', 'heap checks', 'check-1', 1, 1, 59e6, 2000, NULL),
 (2, 'checks', 'heap checks', 'check-0', 2, 0, 70e6, 2000, NULL),
 (2, 'checks', 'heap checks', 'check-1', 2, 1, 63e6, 2000, NULL);
INSERT INTO results (run_id, ts, suite, workload, variant, program, args, repetition, slot, status, seconds,
                     value, unit, peak_rss_kb, freed_rss_kb)
    SELECT t.run_id, '2026-01-03 00:05:00', suite, t.workload, variant, program, args, repetition, slot,
           CASE WHEN value IS NULL THEN 'fail' ELSE 'ok' END, 1.5, value, unit, rss, freed
    FROM t JOIN w ON w.run_id = t.run_id AND w.workload = t.workload ORDER BY t.rowid;
-- callgrind: Ir at ITERS 200000 and 1000000; per pair 2 × ΔIr / 800000, e.g. hakmem WS 256:
-- 2 × (65800000 − 13960000) / 800000 = 129.6 in all, 2 × (38500000 − 7700000) / 800000 = 77.0 in the loop
CREATE TABLE c (variant, ws, slot, n, ok, ir, loop);
INSERT INTO c VALUES
 ('hakmem', 256, 0, 200000, 1, 13960000, 7700000), ('hakmem', 256, 0, 1000000, 1, 65800000, 38500000),
 ('mimalloc', 256, 1, 200000, 1, 14020000, 7700000), ('mimalloc', 256, 1, 1000000, 1, 66100000, 38500000),
 ('tracing-on', 256, 2, 200000, 1, 13960000, 7700000), ('tracing-on', 256, 2, 1000000, 1, 65800000, 38500000),
 ('hakmem', 8192, 0, 200000, 1, 14490000, 7700000), ('hakmem', 8192, 0, 1000000, 1, 68450000, 38500000),
 ('mimalloc', 8192, 1, 200000, 1, 14830000, 7700000), ('mimalloc', 8192, 1, 1000000, 1, 70150000, 38500000),
 ('tracing-on', 8192, 2, 200000, 1, 14490000, 7700000), ('tracing-on', 8192, 2, 1000000, 0, NULL, NULL);
INSERT INTO results (run_id, ts, suite, workload, variant, program, args, repetition, slot, status,
                     iterations, instructions, loop_instructions)
    SELECT 2, '2026-01-03 00:09:00', 'callgrind', 'random_mixed ws=' || ws, variant, 'examples/bench_random_mixed',
           n || ' ' || ws || ' 42', 1, slot, CASE WHEN ok THEN 'ok' ELSE 'fail' END, n, ir, loop
    FROM c ORDER BY rowid;
EOF
render "$tmp/r2"   # no --run: the last run
r2=$tmp/r2/results.md
# ws=8192 hakmem: median (60M + 45M) / 2; vs mimalloc 1.2, 0.9 → 1.05; RSS (4000 + 4100) / 2 kB.
# larson hakmem/mimalloc: 1.9, 1.25, 2.89, 1.82 → (1.82 + 1.9) / 2 = 1.86; hakmem/jemalloc: 1.056,
# 1.071, 1.04 (jemalloc's repetition 4 failed) → 1.06.
has_line "$r2" \
    '- command: `scripts/bench 2` (2 alternating repetitions per workload and allocator, 6 for the two-thread ones; the order rotates each repetition; 600 s in all)' \
    '- machine: unknown CPU, 2 cores, 24 GiB RAM; Debian; Linux 6.1; gcc' \
    '| workload | hakmem | mimalloc | jemalloc | glibc |' \
    '| random_mixed ws=8192 | 1.05 | 1.00 | 0.85 | 0.75 |' \
    '| larson 2 threads | 1.86 | 1.00 | 1.80 | 0.29 |' \
    '| random_mixed ws=8192 | hakmem | 52.50M | 45.00M–60.00M | 1.05 | 1.50 | 4.0 | 0.80 | n/a | n/a |  |  |' \
    '| random_mixed ws=8192 | jemalloc | 42.50M | 40.00M–45.00M | 0.85 | 1.17 | 5.9 | 1.19 | n/a |  |  |  |' \
    '| larson 2 threads | hakmem | 19.50M | 15.00M–26.00M | 1.86 | 6.50 | 1.0 | 1.00 | n/a | n/a |  |  |' \
    '| larson 2 threads | jemalloc | 18.00M (1 failed) | 14.00M–25.00M | 1.80 | 6.00 | 1.0 | 1.00 | n/a |  |  |  |' \
    '| random_mixed ws=8192: throughput ≥ mimalloc | 1.05× | met |' \
    '| larson 2 threads: throughput ≥ jemalloc | 1.06× | met |' \
    '| random_mixed ws=256: instructions per pair ≤ mimalloc | 52.6 vs 53.2 | met |' \
    '| random_mixed ws=8192: instructions per pair ≤ mimalloc | 57.9 vs 61.3 | met |' \
    'Median and min–max of 2 runs (6 for the two-thread workloads); ratios > 1 mean faster: the median of the ratios within each repetition. Peak RSS: median ru_maxrss (GNU time), MiB.' \
    '| random_mixed ws=8192 | hooks-compiled-out | 61.00M | 60.00M–62.00M | 1.00 |' \
    '| random_mixed ws=8192 | tracing-on | 52.50M | 50.00M–55.00M | 0.86 |' \
    '| check-0 | 60.00M | 50.00M–70.00M | 1.00 | n/a | 2.0 |' \
    '| check-1 | 61.00M | 59.00M–63.00M | 1.02 | n/a | 2.0 |' \
    '2 × (Ir(ITERS=1000000) − Ir(ITERS=200000)) / (1000000 − 200000). Each cell: allocator instructions (whole pair minus the' \
    '| WS | hakmem | mimalloc | tracing-on |' \
    '|---|---:|---:|---:|' \
    '| 256 | 52.6 (129.6) | 53.2 (130.2) | 52.6 (129.6) |' \
    '| 8192 | 57.9 (134.9) | 61.3 (138.3) | n/a |'
lacks "$r2" '^phases, RSS'
# The layout of the committed report: the same sections, in the same order (but the
# heap profiler's, a suite this hand-made run has no rows of).
if [ -f "$HK_SRCDIR/bench/results.md" ]; then
    grep '^#' "$HK_SRCDIR/bench/results.md" | grep -v '^## Heap profiler' |
        sed 's/mimalloc/REF/g' >"$tmp/want.h"
    grep '^#' "$r2" | sed 's/mimalloc/REF/g' >"$tmp/got.h"
    diff -u "$tmp/want.h" "$tmp/got.h" >"$tmp/h.diff" ||
        fail "the sections of bench/results.md and of the rendered run 2 differ: $(cat "$tmp/h.diff")"
fi

# ---- an old run renders the same after newer ones were appended
render "$tmp/r1again" --run 1
cmp -s "$r1" "$tmp/r1again/results.md" || fail "run 1 rendered differently once run 2 was appended: $(diff "$r1" "$tmp/r1again/results.md")"

# ---- run 3: --instr (callgrind rows alone) → instr.md; run 4: interrupted (no end)
sql <<'EOF'
INSERT INTO runs (run_id, started, mode, command, reps, git_describe, nproc, cpu_model, mem_kb, os, kernel,
                  compiler, versions, libdir, load_start) VALUES
 (3, '2026-01-04 00:00:00', 'instr', 'scripts/bench --instr', 5, 'v0-3', 2, 'AMD EPYC', 25165824, 'Debian',
  'Linux 6.1', 'gcc', 'glibc 2.36', '/usr/lib', '1 1 1'),
 (4, '2026-01-05 00:00:00', 'quick', 'scripts/bench --quick 1', 1, 'v0-4', 2, 'AMD EPYC', 25165824, 'Debian',
  'Linux 6.1', 'gcc', 'glibc 2.36', '/usr/lib', '1 1 1');
INSERT INTO results (run_id, ts, suite, workload, variant, program, args, repetition, slot, status,
                     iterations, instructions, loop_instructions)
    SELECT 3, ts, suite, workload, variant, program, args, repetition, slot, status, iterations, instructions,
           loop_instructions FROM results WHERE run_id = 2 AND suite = 'callgrind' ORDER BY id;
INSERT INTO results (run_id, ts, suite, workload, variant, program, args, repetition, slot, status, value, unit,
                     peak_rss_kb)
    VALUES (4, '2026-01-05 00:00:10', 'allocators', 'random_mixed ws=256', 'hakmem', 'examples/bench_random_mixed',
            '5000000 256 42', 1, 0, 'ok', 1234567, 'ops/s', 2000),
           (4, '2026-01-05 00:00:11', 'allocators', 'random_mixed ws=256', 'glibc', 'examples/bench_random_mixed',
            '5000000 256 42', 1, 1, 'ok', 999.4, 'ops/s', 1000);
EOF
render "$tmp/r3" --run 3
has_line "$tmp/r3/instr.md" \
    '# hakmem: instructions per malloc+free pair' \
    '- command: `scripts/bench --instr`' \
    '| WS | hakmem | mimalloc | tracing-on |' \
    '| 256 | 52.6 (129.6) | 53.2 (130.2) | 52.6 (129.6) |' \
    '| 8192 | 57.9 (134.9) | 61.3 (138.3) | n/a |'
[ ! -e "$tmp/r3/results.md" ] || fail "an --instr run wrote results.md; expected instr.md alone"
render "$tmp/r4"
has_line "$tmp/r4/results.md" \
    '- command: `scripts/bench --quick 1` (1 alternating repetitions per workload and allocator, 3 for the two-thread ones; the order rotates each repetition; ? s in all)' \
    '- incomplete: the run was interrupted; the tables hold the rows it wrote' \
    '## Ratio to glibc (median of the ratios within each repetition; > 1: faster than glibc)' \
    '| random_mixed ws=256 | hakmem | 1.23M | 1.23M–1.23M | 1235.31 | 1235.31 | 2.0 | 2.00 | n/a | n/a |  |  |' \
    '| random_mixed ws=256 | glibc | 999 | 999–999 | 1.00 | 1.00 | 1.0 | 1.00 | n/a |  |  |  |'
lacks "$tmp/r4/results.md" '^## Targets'

# ---- --list, and the errors
python3 "$report" "$db" --list >"$tmp/list" || fail "--list exited $?"
[ "$(wc -l <"$tmp/list")" -eq 4 ] || fail "--list: expected 4 runs, got: $(cat "$tmp/list")"
grep -q $'^4\t2026-01-05 00:00:00 UTC\tquick\t1 reps\tv0-4\t2 rows\tinterrupted$' "$tmp/list" ||
    fail "--list: expected run 4 as interrupted with 2 rows, got: $(cat "$tmp/list")"
python3 "$report" "$db" --run 9 --out "$tmp/r9" 2>"$tmp/err" && fail "--run 9 (no such run): expected a failure, got exit 0"
grep -q 'no run 9' "$tmp/err" || fail "--run 9: expected 'no run 9', got: $(cat "$tmp/err")"
python3 "$report" "$tmp/none.db" 2>"$tmp/err" && fail "a missing database: expected a failure, got exit 0"
grep -q 'no such results database' "$tmp/err" || fail "a missing database: expected 'no such results database', got: $(cat "$tmp/err")"
[ ! -e "$tmp/none.db" ] || fail "the reporter created $tmp/none.db; expected it to write no database"

# ---- the plot, when gnuplot is installed
if command -v gnuplot >/dev/null; then
    python3 "$report" "$db" --run 1 --out "$tmp/plot" 2>"$tmp/err" || fail "bench-report with the plot exited $?: $(cat "$tmp/err")"
    has_line "$tmp/plot/results.md" '![ratio to mimalloc](ratio.png)'
    [ "$(head -c 4 "$tmp/plot/ratio.png" | od -An -c | tr -d ' ')" = '211PNG' ] || fail "ratio.png: expected a PNG file"
fi
echo "PASS: bench-report: medians, within-repetition ratios, min–max, failed runs, tables of 4 runs"
