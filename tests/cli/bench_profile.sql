-- bench_profile.sql — make bench-cli (tests/cli/bench.sh): turns run 1 of a database
-- ingested from a one-sample `mkseg --profile` segment into the heap profile of 10,000,000
-- sampled allocations: 20,000 stacks of 16 frames (a libhakmem frame, then 15 drawn from
-- 50,000 return addresses in 5,000 functions of the module the run's frames name, with
-- files and lines), 500 samples each (450 freed), and 1,000,000 blocks live at the end.
-- The aggregates are what `export` reads; the samples themselves are never stored.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TEMP TABLE bench_module AS SELECT module FROM frames WHERE run_id = 1 AND depth = 1;
DELETE FROM frames WHERE run_id = 1;
DELETE FROM profile_stacks WHERE run_id = 1;
DELETE FROM profile_live WHERE run_id = 1;
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000),
     d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < 15),
     f(i, j, k) AS (SELECT i, j, (i * 7919 + j * 104729) % 50000 FROM s, d)
INSERT INTO frames (run_id, stack_id, depth, ip, function, module, offset, file, line, fn_offset)
SELECT 1, i, j,
       CASE WHEN j = 0 THEN 65600 ELSE 4194304 + k * 16 END,
       CASE WHEN j = 0 THEN NULL ELSE 'bench_fn_' || (k / 10) END,
       CASE WHEN j = 0 THEN '/fake/libhakmem.so' ELSE (SELECT module FROM bench_module) END,
       CASE WHEN j = 0 THEN 64 ELSE k * 16 END,
       CASE WHEN j = 0 THEN NULL ELSE 'bench/src' || (k / 500) || '.c' END,
       CASE WHEN j = 0 THEN NULL ELSE 1 + k % 500 END,
       CASE WHEN j = 0 THEN NULL ELSE (k % 10) * 16 END
FROM f;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000),
     z(i, sz) AS (SELECT i, 16 * (1 + i % 64) FROM s)
INSERT INTO profile_stacks (run_id, stack_id, allocs, alloc_weight, bytes, requested, frees,
                            free_weight, live, in_use, peak_in_use, peak_live, temporaries,
                            temp_weight)
SELECT 1, i, 500, 500 * 65536, 500 * sz, 500 * sz, 450, 450 * 65536, 50, 50 * sz, 50 * sz, 50,
       400, 400 * 65536
FROM z;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999999)
INSERT INTO profile_live (run_id, addr, size, block_size, class, ss, slab, stack_id, tid, weight, ts_ns)
SELECT 1, 4294967296 + i * 16, 16 * (1 + (1 + i % 20000) % 64), 16 * (1 + (1 + i % 20000) % 64),
       NULL, 0, 0, 1 + i % 20000, 1, 65536, i * 1000
FROM n;
UPDATE profile_runs SET samples = 10000000, frees = 9000000, live = 1000000,
       in_use = (SELECT sum(in_use) FROM profile_stacks WHERE run_id = 1),
       peak = (SELECT sum(peak_in_use) FROM profile_stacks WHERE run_id = 1), peak_ns = 999999000
WHERE run_id = 1;
UPDATE runs SET ended_ns = started_ns + 1000000000 WHERE run_id = 1;
COMMIT;
