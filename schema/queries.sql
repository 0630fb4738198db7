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

-- ---- the heap profile (record --profile). Estimates are scaled by each sample's
-- weight; samples is how many sampled allocations stand behind a figure. :top
-- (hakmem-trace profile --top) bounds the site lists; unset here: every site.

-- @name profile: the run's heap profile totals: rate, samples, frees, unmatched frees, bytes in use at the peak and at the end
SELECT r.rate, r.samples, r.frees, r.unmatched_frees, r.live, r.in_use, r.peak, r.peak_ns,
       r.stacks_dropped, r.lost_frees,
       (SELECT round(sum(alloc_weight) / 65536.0) FROM profile_stacks s
        WHERE s.run_id = r.run_id) AS allocations,
       (SELECT sum(bytes) FROM profile_stacks s WHERE s.run_id = r.run_id) AS bytes
FROM profile_runs r WHERE r.run_id = :run;

-- @name profile-allocated: call sites by estimated bytes allocated
SELECT s.bytes AS est_bytes, round(s.alloc_weight / 65536.0) AS est_allocs,
       s.allocs AS samples, p.site, p.callers, s.stack_id
FROM profile_stacks s JOIN profile_sites p ON p.run_id = s.run_id AND p.stack_id = s.stack_id
WHERE s.run_id = :run AND s.allocs > 0
ORDER BY s.bytes DESC, s.stack_id LIMIT coalesce(:top, -1);

-- @name profile-peak: call sites by estimated bytes in use at the run's peak
SELECT s.peak_in_use AS est_bytes, round(s.alloc_weight / 65536.0) AS est_allocs,
       s.peak_live AS samples, p.site, p.callers, s.stack_id
FROM profile_stacks s JOIN profile_sites p ON p.run_id = s.run_id AND p.stack_id = s.stack_id
WHERE s.run_id = :run AND s.peak_in_use > 0
ORDER BY s.peak_in_use DESC, s.stack_id LIMIT coalesce(:top, -1);

-- @name profile-leaks: call sites by estimated bytes still in use at the end (leaked, or freed at exit by no one)
SELECT s.in_use AS est_bytes, round(s.alloc_weight / 65536.0) AS est_allocs,
       s.live AS samples, p.site, p.callers, s.stack_id
FROM profile_stacks s JOIN profile_sites p ON p.run_id = s.run_id AND p.stack_id = s.stack_id
WHERE s.run_id = :run AND s.live > 0
ORDER BY s.in_use DESC, s.stack_id LIMIT coalesce(:top, -1);

-- @name profile-temporary: call sites by estimated temporary allocations (freed by their thread before its next sampled allocation)
SELECT round(s.temp_weight / 65536.0) AS est_temporaries, round(s.alloc_weight / 65536.0)
       AS est_allocs, s.temporaries AS samples, p.site, p.callers, s.stack_id
FROM profile_stacks s JOIN profile_sites p ON p.run_id = s.run_id AND p.stack_id = s.stack_id
WHERE s.run_id = :run AND s.temporaries > 0
ORDER BY s.temp_weight DESC, s.stack_id LIMIT coalesce(:top, -1);

-- @name profile-pins: call sites whose sampled live blocks keep slabs from EMPTY (never EMPTY, or live at the end), by slabs
SELECT x.slabs, x.never_empty_slabs, x.live_slabs, x.slab_bytes, x.blocks AS samples,
       x.bytes AS est_bytes, p.site, p.callers, x.stack_id
FROM profile_pin_sites x JOIN profile_sites p ON p.run_id = x.run_id AND p.stack_id = x.stack_id
WHERE x.run_id = :run
ORDER BY x.slabs DESC, x.slab_bytes DESC, x.stack_id LIMIT coalesce(:top, -1);

-- @name profile-pin-totals: slabs never EMPTY, live at the end, and of those kept from EMPTY how many hold a sampled live block
SELECT (SELECT count(*) FROM slabs WHERE run_id = :run AND empties = 0) AS never_empty,
       (SELECT count(*) FROM slabs WHERE run_id = :run AND owned = 1) AS live_at_end,
       (SELECT count(*) FROM slabs s WHERE run_id = :run AND (empties = 0 OR owned = 1 OR EXISTS
           (SELECT 1 FROM profile_pin_tags t WHERE t.run_id = s.run_id AND t.ss = s.ss AND t.slab = s.slab
            AND t.at_map > 0))) AS kept_from_empty,
       (SELECT count(*) FROM (SELECT DISTINCT ss, slab FROM profile_pins WHERE run_id = :run))
           AS with_samples,
       (SELECT count(*) FROM (SELECT DISTINCT ss, slab FROM profile_pins
                              WHERE run_id = :run AND never_empty)) AS never_empty_with_samples,
       (SELECT count(*) FROM (SELECT DISTINCT ss, slab FROM profile_pins
                              WHERE run_id = :run AND at_map)) AS pinned_at_maps;

-- @name pinned-by: the top three call sites by the slabs their live blocks pin (never EMPTY, or with site tags pinned while a SuperSlab was mapped), each with the slabs the top k pin together and all pinned slabs (report's pinned-by rule), and the callers the sampled stacks show for it (more than one: an allocation wrapper such as xmalloc) with the one of the most bytes
WITH pins AS (SELECT DISTINCT stack_id, ss, slab FROM profile_pins
              WHERE run_id = :run AND (never_empty OR at_map)),
     top AS (SELECT stack_id, count(*) AS slabs,
                    row_number() OVER (ORDER BY count(*) DESC, stack_id) AS k
             FROM pins GROUP BY stack_id ORDER BY slabs DESC, stack_id LIMIT 3),
     callers AS (SELECT t.stack_id, c.ip, sum(ps.bytes) AS bytes,
                        coalesce(c.function || coalesce(' ' || substr(c.file, length(rtrim(c.file,
                                     replace(c.file, '/', ''))) + 1) || ':' || c.line, ''),
                                 substr(c.module, length(rtrim(c.module, replace(c.module, '/', ''))) + 1)
                                     || printf('+0x%x', c.offset),
                                 printf('0x%x', c.ip)) AS name
                 FROM top t
                 JOIN frames s ON s.run_id = :run AND s.stack_id = t.stack_id AND s.depth = 0
                 JOIN frames f ON f.run_id = :run AND f.depth = 0 AND f.ip = s.ip AND f.stack_id <> s.stack_id
                 JOIN frames c ON c.run_id = :run AND c.stack_id = f.stack_id AND c.depth = 1
                 JOIN profile_stacks ps ON ps.run_id = :run AND ps.stack_id = f.stack_id
                 GROUP BY t.stack_id, c.ip)
SELECT t.k, t.stack_id, t.slabs,
       (SELECT count(*) FROM (SELECT DISTINCT ss, slab FROM pins
                              WHERE stack_id IN (SELECT stack_id FROM top u WHERE u.k <= t.k)))
           AS together,
       p.site,
       (SELECT count(*) FROM (SELECT DISTINCT ss, slab FROM pins)) AS kept,
       (SELECT count(*) FROM callers c WHERE c.stack_id = t.stack_id) AS sampled_callers,
       (SELECT name FROM callers c WHERE c.stack_id = t.stack_id ORDER BY bytes DESC, ip LIMIT 1)
           AS top_caller
FROM top t LEFT JOIN profile_sites p ON p.run_id = :run AND p.stack_id = t.stack_id
ORDER BY t.k;
