-- queries.sql — the named queries of hakmem-trace: `hakmem-trace query FILE.db @NAME`
-- runs one, `--list` lists them. Each starts with a line "-- @name NAME: what it shows"
-- and runs to the next such line. :run is the run chosen with --run (default: the last).

-- @name runs: every run in the file, with its counts and options
SELECT run_id, pid, exe, argv, events, dropped, lost, exit_status, mode, source, options,
       round((ended_ns - started_ns) / 1e9, 3) AS seconds
FROM runs ORDER BY run_id;

-- @name counts: events of each type in the run
SELECT event, sum(n) AS n FROM report_counts WHERE run_id = :run GROUP BY type ORDER BY type;

-- @name lru: LRU cache pushes, pops (hit and miss) and evictions in the run
SELECT * FROM report_lru WHERE run_id = :run;

-- @name maps: SuperSlab and large mappings in the run, with bytes
SELECT * FROM report_maps WHERE run_id = :run;

-- @name empty: EMPTY transitions and slab releases by class
SELECT class, block_size, empty, released FROM report_empty WHERE run_id = :run ORDER BY class;

-- @name stages: the stage histogram: hits and misses per acquisition stage
SELECT name AS stage, hit, miss FROM report_stages WHERE run_id = :run ORDER BY stage;

-- @name stage-class: hits and misses per stage and class
SELECT h.class, s.name AS stage, h.hit, h.miss
FROM report_stage_class h JOIN stages s ON s.stage = h.stage
WHERE h.run_id = :run ORDER BY h.class, h.stage;

-- @name new-superslabs: stage-3 LRU pops by class (a miss maps a new SuperSlab)
SELECT class, pop_hit, pop_miss FROM report_lru_class WHERE run_id = :run ORDER BY class;

-- @name never-empty: slabs that never reached EMPTY by class, with their final occupancy
SELECT class, block_size, slabs, never_empty, live_at_end, never_empty_used,
       never_empty_capacity FROM report_never_empty WHERE run_id = :run ORDER BY class;

-- @name pinned-slabs: each slab that never reached EMPTY, fullest last
SELECT ss, slab, class, acquires, final_used, final_capacity,
       round(100.0 * final_used / final_capacity, 1) AS occupancy_pct
FROM slabs WHERE run_id = :run AND empties = 0 ORDER BY occupancy_pct, ss, slab;

-- @name occupancy: occupancy over time per class (sampled while recording)
SELECT ts_ns, class, slabs, used, capacity, round(100.0 * used / capacity, 1) AS pct
FROM occupancy WHERE run_id = :run ORDER BY ts_ns, class;

-- @name timeline: SuperSlab maps/unmaps and LRU events in order
SELECT seq, ts_ns, event, class, ss, reason, arg0, arg1 FROM ev
WHERE run_id = :run AND type BETWEEN 1 AND 8 ORDER BY seq;

-- @name map-stacks: the stacks behind new SuperSlabs (record --stacks)
SELECT stack_id, acquisitions, stack FROM report_map_stacks WHERE run_id = :run
ORDER BY acquisitions DESC;

-- @name heap-errors: heap errors (double and invalid frees, corruption) by kind
SELECT k.name AS kind, c.n FROM (SELECT reason AS kind, sum(n) AS n FROM event_counts
                                 WHERE run_id = :run AND type = 15 GROUP BY reason) c
LEFT JOIN heap_error_kinds k USING (kind) ORDER BY c.kind;

-- @name errors: each heap error: what, which pointer, and where (record --stacks: the innermost frame outside libhakmem)
SELECT e.seq, e.ts_ns, e.tid, coalesce(k.name, e.reason) AS kind, e.class, e.ss, e.slab,
       printf('0x%x', e.arg0) AS pointer, f.function,
       coalesce(f.file || ':' || f.line,
                substr(f.module, length(rtrim(f.module, replace(f.module, '/', ''))) + 1)
                || printf('+0x%x', f.offset)) AS location,
       e.stack_id
FROM events e LEFT JOIN heap_error_kinds k ON k.kind = e.reason
LEFT JOIN frames f ON f.run_id = e.run_id AND f.stack_id = e.stack_id
     AND f.depth = (SELECT min(g.depth) FROM frames g
                    WHERE g.run_id = e.run_id AND g.stack_id = e.stack_id
                      AND coalesce(g.module, '') NOT LIKE '%/libhakmem%')
WHERE e.run_id = :run AND e.type = 15 ORDER BY e.seq;

-- @name check-counts: event_counts against the events themselves (should be empty)
SELECT type, sum(c) AS counted, sum(e) AS in_events
FROM (SELECT type, n AS c, 0 AS e FROM event_counts WHERE run_id = :run
      UNION ALL SELECT type, 0, 1 FROM events WHERE run_id = :run)
GROUP BY type HAVING sum(c) != sum(e);

-- @name check-slabs: slab_classes against the slabs table (should be empty)
SELECT class, sum(k) AS kept, sum(m) AS summed, sum(kn) AS kept_never_empty,
       sum(mn) AS summed_never_empty
FROM (SELECT class, slabs AS k, 0 AS m, never_empty AS kn, 0 AS mn FROM slab_classes
      WHERE run_id = :run
      UNION ALL SELECT class, 0, 1, 0, empties = 0 FROM slabs WHERE run_id = :run)
GROUP BY class HAVING sum(k) != sum(m) OR sum(kn) != sum(mn);
