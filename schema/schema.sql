-- schema.sql — the hakmem trace database written by hakmem-trace: one row per
-- recorded run, one per event, and the views behind every report section.
-- Embedded into hakmem-trace at build time. The schema version is PRAGMA user_version;
-- a database with a newer version is refused, so change it with every change here.
-- Version 2 added runs.ppid, updated_ns, end_ns, end_final, slabs.final_flags and the
-- run_counters and run_evidence tables; a version-1 file is read as it is and upgraded
-- (columns and tables added) when a run is added to it (cli/db.c).
-- Version 3 added runs.profile_rate, frames.fn_offset and the heap profile: the profile_runs,
-- profile_stacks, profile_live and profile_blocks tables and the profile_* views; a
-- version-2 (or 1) file is read as it is (it has no profile) and upgraded the same way.
-- Version 4 added profile_usage (the estimated bytes in use over time); a version-3 file
-- is read as it is (the Chrome export then rebuilds the counter from the blocks) and
-- upgraded by schema.sql's IF NOT EXISTS statements when a run is added to it.
PRAGMA user_version = 4;

-- One traced process image: a `record`, `attach` or `ingest`. Times in nanoseconds:
-- started_ns and ended_ns are CLOCK_REALTIME (ns since 1970), every ts_ns below
-- is relative to the run's start.
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY,
    pid INTEGER NOT NULL,
    exe TEXT,                        -- /proc/PID/exe of the traced image
    argv TEXT,                       -- its command line: arguments separated by spaces, quoted as sh reads them
    started_ns INTEGER,              -- when the trace segment was created
    ended_ns INTEGER,                -- when the image exited (or the recording stopped); NULL while recording
    exit_status INTEGER,             -- exit code, 128 + signal when killed; NULL when unknown or exec'd
    events INTEGER NOT NULL DEFAULT 0,  -- events stored in `events` for this run
    dropped INTEGER NOT NULL DEFAULT 0, -- events the producer dropped (lossless ring full)
    lost INTEGER NOT NULL DEFAULT 0,    -- events overwritten before they were read, or unreadable
    mode TEXT,                       -- ring mode: lossless or overwrite
    format_version INTEGER,          -- segment format version of the source
    options TEXT,                    -- HAKMEM_* settings of the traced process, when known
    source TEXT,                     -- record, attach or ingest
    segment TEXT,                    -- path of the segment drained
    ring_capacity INTEGER,           -- events the ring holds
    start_mono_ns INTEGER,           -- CLOCK_MONOTONIC of the start: ts_ns = event time - this
    ppid INTEGER,                    -- the parent process at the image's start; NULL when unknown
    updated_ns INTEGER,              -- CLOCK_REALTIME of the last commit (a recording killed
                                     -- before its end still says how far it got)
    end_ns INTEGER,                  -- ns since the start of the end-of-run occupancy snapshot
    end_final INTEGER,               -- 1: that snapshot was written by the process as it
                                     -- exited (exact); 0: the last periodic sample (the
                                     -- process _exited or was killed); NULL: none
    profile_rate INTEGER             -- HAKMEM_PROFILE_RATE of a heap-profiled image (record
                                     -- --profile): mean bytes between sampled allocations,
                                     -- 1 every allocation; 0 or NULL: no heap profile
);

-- The traced process's own counters at the end of the run (the same as its
-- hakmem_stats_get()): exact even when events were dropped. idx is the stage of
-- stage_hit/stage_miss, the class of class_empty, 0 for the others.
CREATE TABLE IF NOT EXISTS run_counters (
    run_id INTEGER NOT NULL,
    counter TEXT NOT NULL,
    idx INTEGER NOT NULL DEFAULT 0,
    value INTEGER NOT NULL,
    PRIMARY KEY (run_id, counter, idx)
) WITHOUT ROWID;

-- What lay unused when SuperSlabs were mapped, from the ss_map events (each says
-- how many other SuperSlabs were "mostly free" — under half their slab bytes in
-- use, yet kept from the LRU cache by slabs with live blocks — and their unused
-- bytes); kept by hakmem-trace as it stores events.
CREATE TABLE IF NOT EXISTS run_evidence (
    run_id INTEGER PRIMARY KEY,
    maps INTEGER NOT NULL,           -- SuperSlab maps (ss_map events)
    maps_while_idle INTEGER NOT NULL,  -- of them, made while a mostly-free SuperSlab existed
    unused_kib INTEGER NOT NULL,     -- at the worst such map: unused KiB in mostly-free SuperSlabs
    idle_superslabs INTEGER NOT NULL,  -- how many mostly-free SuperSlabs there were then
    holding_slabs INTEGER NOT NULL   -- the slabs with live blocks in them
);

-- The lookup tables below are filled by hakmem-trace from the lists of lib/hakmem_defs.h
-- (HAKMEM_EVENT_LIST, HAKMEM_STAGE_LIST, HAKMEM_HEAP_ERROR_LIST) when it writes a database.

-- The ring's event vocabulary.
CREATE TABLE IF NOT EXISTS event_types (
    type INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- Acquisition stages: events.stage holds the index, name the stage as the seed says it.
CREATE TABLE IF NOT EXISTS stages (
    stage INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    meaning TEXT NOT NULL
);

-- Kinds of heap_error events (events.reason; the ring's arg1).
CREATE TABLE IF NOT EXISTS heap_error_kinds (
    kind INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

-- Size classes of each run, from the segment header.
CREATE TABLE IF NOT EXISTS classes (
    run_id INTEGER NOT NULL REFERENCES runs,
    class INTEGER NOT NULL,
    block_size INTEGER NOT NULL,
    blocks_per_slab INTEGER NOT NULL,
    PRIMARY KEY (run_id, class)
) WITHOUT ROWID;

-- One row per ring event. NULL where the event has no such field: class and
-- stage (255 in the ring), ss (SuperSlab id 0), slab and reason (events about
-- no slab, without a reason), stack_id (0), ss_addr (kept for map events only).
-- No secondary index: ingest speed comes first, and the report reads
-- event_counts and slabs. For ad hoc queries on a big run, add one, e.g.
-- CREATE INDEX events_type ON events (run_id, type, seq). ss is the SuperSlab's sequence number, ss_addr its address;
-- reason: ss_map 0 new, 1 alignment trim; ss_unmap and lru_evict 0 count,
-- 1 memory, 2 TTL, 3 trim; slab_release 0 registry, 1 free slot; heap_error
-- its kind (heap_error_kinds).
-- arg0/arg1: ss_map/ss_unmap/large_* bytes (ss_map's arg1: the mostly-free SuperSlabs
-- at the map, see run_evidence and hakmem_segment.h); lru_* cache size and limit after
-- the operation; slab_empty the slab's capacity; thread_* the thread id;
-- heap_error the pointer and its kind.
CREATE TABLE IF NOT EXISTS events (
    run_id INTEGER,
    seq INTEGER,                     -- the ring's sequence number (1, 2, ...)
    ts_ns INTEGER,                   -- ns since the run's start (CLOCK_MONOTONIC)
    tid INTEGER,
    type INTEGER,                    -- event_types.type
    class INTEGER,
    ss INTEGER,
    slab INTEGER,
    stage INTEGER,                   -- stages.stage
    arg0 INTEGER,
    arg1 INTEGER,
    stack_id INTEGER,                -- frames.stack_id
    reason INTEGER,
    ss_addr INTEGER
);

-- Symbolised stacks, stored once by id per run (filled when stacks are recorded).
CREATE TABLE IF NOT EXISTS frames (
    run_id INTEGER NOT NULL,
    stack_id INTEGER NOT NULL,
    depth INTEGER NOT NULL,          -- 0 is the innermost frame
    ip INTEGER,
    function TEXT,
    module TEXT,
    offset INTEGER,
    file TEXT,
    line INTEGER,
    fn_offset INTEGER,               -- ip's distance from its function's start (function+0x..);
                                     -- NULL when unknown (and in files older than version 3)
    PRIMARY KEY (run_id, stack_id, depth)
) WITHOUT ROWID;

-- Slab occupancy per class over time (filled when the segment carries samples).
CREATE TABLE IF NOT EXISTS occupancy (
    run_id INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,
    class INTEGER NOT NULL,
    slabs INTEGER NOT NULL,
    used INTEGER NOT NULL,
    capacity INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS occupancy_run ON occupancy (run_id, class, ts_ns);

-- Events of each kind, kept by hakmem-trace in the same transaction as the events
-- themselves (so sum(n) of a run = its rows in events). n_after_empty: how many came
-- after the run's first slab_empty; arg0_sum: total bytes for map events.
CREATE TABLE IF NOT EXISTS event_counts (
    run_id INTEGER NOT NULL,
    type INTEGER NOT NULL,
    class INTEGER,
    stage INTEGER,
    reason INTEGER,
    n INTEGER NOT NULL,
    n_after_empty INTEGER NOT NULL,
    arg0_sum INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS event_counts_run ON event_counts (run_id, type);

-- Every slab a run acquired, as (ss, slab), from its slab_acquire, slab_empty and
-- slab_release events (kept like event_counts). class and owned are those after its
-- last acquire/EMPTY: owned 1 (live at the end) or 0 (EMPTY).
CREATE TABLE IF NOT EXISTS slabs (
    run_id INTEGER NOT NULL,
    ss INTEGER NOT NULL,
    slab INTEGER NOT NULL,
    class INTEGER,
    acquires INTEGER NOT NULL,
    empties INTEGER NOT NULL,
    releases INTEGER NOT NULL,
    owned INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    final_used INTEGER,              -- blocks in use in the end snapshot (NULL: not sampled)
    final_capacity INTEGER,
    final_flags INTEGER              -- in the end snapshot: 1 its thread's hot slot, 2 a spare
);

-- The slabs table summed per class (kept like it): slabs, how many never reached
-- EMPTY, how many were owned at the end, and the blocks in use / capacity of the
-- never-EMPTY ones in the last occupancy sample (NULL when none was sampled).
CREATE TABLE IF NOT EXISTS slab_classes (
    run_id INTEGER NOT NULL,
    class INTEGER,
    slabs INTEGER NOT NULL,
    never_empty INTEGER NOT NULL,
    live_at_end INTEGER NOT NULL,
    never_empty_used INTEGER,
    never_empty_capacity INTEGER
);
CREATE INDEX IF NOT EXISTS slab_classes_run ON slab_classes (run_id, class);

-- ---- views: every event with its names
CREATE VIEW IF NOT EXISTS ev AS
SELECT e.run_id, e.seq, e.ts_ns, e.tid, coalesce(t.name, 'unknown') AS event, e.type,
       e.class, c.block_size, s.name AS stage, e.ss, e.slab, e.ss_addr, e.reason,
       e.arg0, e.arg1, e.stack_id
FROM events e
LEFT JOIN event_types t ON t.type = e.type
LEFT JOIN stages s ON s.stage = e.stage
LEFT JOIN classes c ON c.run_id = e.run_id AND c.class = e.class;

-- ---- views behind the report, one per section. Each has a run_id column:
-- select one run with WHERE run_id = N. Event type numbers (see event_types):
-- 1 ss_map, 2 ss_unmap, 3 large_map, 4 large_unmap, 5 lru_push, 6 lru_pop_hit,
-- 7 lru_pop_miss, 8 lru_evict, 9 slab_acquire, 10 stage_miss, 11 slab_empty,
-- 12 slab_release, 13 thread_start, 14 thread_exit, 15 heap_error.

-- Events of each kind, with names.
CREATE VIEW IF NOT EXISTS report_counts AS
SELECT c.run_id, c.type, coalesce(t.name, 'unknown') AS event, c.class, s.name AS stage,
       c.reason, c.n, c.n_after_empty, c.arg0_sum
FROM event_counts c
LEFT JOIN event_types t ON t.type = c.type
LEFT JOIN stages s ON s.stage = c.stage;

-- SuperSlab and large mappings: how many and how many bytes; ss_trims are maps
-- that over-mapped and trimmed for alignment.
CREATE VIEW IF NOT EXISTS report_maps AS
SELECT run_id,
       sum(CASE type WHEN 1 THEN n ELSE 0 END) AS ss_maps,
       sum(CASE type WHEN 1 THEN arg0_sum ELSE 0 END) AS ss_map_bytes,
       sum(CASE WHEN type = 1 AND reason = 1 THEN n ELSE 0 END) AS ss_trims,
       sum(CASE type WHEN 2 THEN n ELSE 0 END) AS ss_unmaps,
       sum(CASE type WHEN 2 THEN arg0_sum ELSE 0 END) AS ss_unmap_bytes,
       sum(CASE type WHEN 3 THEN n ELSE 0 END) AS large_maps,
       sum(CASE type WHEN 3 THEN arg0_sum ELSE 0 END) AS large_map_bytes,
       sum(CASE type WHEN 4 THEN n ELSE 0 END) AS large_unmaps,
       sum(CASE type WHEN 4 THEN arg0_sum ELSE 0 END) AS large_unmap_bytes,
       sum(CASE type WHEN 1 THEN n_after_empty ELSE 0 END) AS ss_maps_after_empty
FROM event_counts WHERE type BETWEEN 1 AND 4 GROUP BY run_id;

-- The LRU cache of empty SuperSlabs: pushes, pops that hit or missed (a miss
-- maps a new SuperSlab), evictions by reason.
CREATE VIEW IF NOT EXISTS report_lru AS
SELECT run_id,
       sum(CASE type WHEN 5 THEN n ELSE 0 END) AS push,
       sum(CASE type WHEN 6 THEN n ELSE 0 END) AS pop_hit,
       sum(CASE type WHEN 7 THEN n ELSE 0 END) AS pop_miss,
       sum(CASE type WHEN 8 THEN n ELSE 0 END) AS evict,
       sum(CASE WHEN type = 8 AND reason = 0 THEN n ELSE 0 END) AS evict_count,
       sum(CASE WHEN type = 8 AND reason = 1 THEN n ELSE 0 END) AS evict_memory,
       sum(CASE WHEN type = 8 AND reason = 2 THEN n ELSE 0 END) AS evict_ttl,
       sum(CASE WHEN type = 8 AND reason = 3 THEN n ELSE 0 END) AS evict_trim
FROM event_counts WHERE type BETWEEN 5 AND 8 GROUP BY run_id;

-- Stage-3 LRU pops by the class that asked: pop_miss = new SuperSlabs mapped for it.
CREATE VIEW IF NOT EXISTS report_lru_class AS
SELECT run_id, class,
       sum(CASE type WHEN 6 THEN n ELSE 0 END) AS pop_hit,
       sum(CASE type WHEN 7 THEN n ELSE 0 END) AS pop_miss
FROM event_counts WHERE type BETWEEN 6 AND 7 GROUP BY run_id, class;

-- EMPTY transitions (used reached 0) and slabs released to the pool, by class.
CREATE VIEW IF NOT EXISTS report_empty AS
SELECT e.run_id, e.class, c.block_size, e.empty, e.released
FROM (SELECT run_id, class,
             sum(CASE type WHEN 11 THEN n ELSE 0 END) AS empty,
             sum(CASE type WHEN 12 THEN n ELSE 0 END) AS released
      FROM event_counts WHERE type BETWEEN 11 AND 12 GROUP BY run_id, class) e
LEFT JOIN classes c ON c.run_id = e.run_id AND c.class = e.class;

-- Slab acquisitions by class and stage: hit = served at this stage, miss = fell
-- through to the next (the chain 0 → 0.5 → 1 → 2 → 3).
CREATE VIEW IF NOT EXISTS report_stage_class AS
SELECT run_id, class, stage,
       sum(CASE type WHEN 9 THEN n ELSE 0 END) AS hit,
       sum(CASE type WHEN 10 THEN n ELSE 0 END) AS miss
FROM event_counts WHERE type BETWEEN 9 AND 10 GROUP BY run_id, class, stage;

-- The stage histogram, all classes together.
CREATE VIEW IF NOT EXISTS report_stages AS
SELECT h.run_id, h.stage, s.name, sum(h.hit) AS hit, sum(h.miss) AS miss
FROM report_stage_class h LEFT JOIN stages s ON s.stage = h.stage
GROUP BY h.run_id, h.stage;

-- Heap errors by kind.
CREATE VIEW IF NOT EXISTS report_heap_errors AS
SELECT c.run_id, c.reason AS kind, k.name, sum(c.n) AS n
FROM event_counts c LEFT JOIN heap_error_kinds k ON k.kind = c.reason
WHERE c.type = 15 GROUP BY c.run_id, c.reason;

-- The last occupancy sample of each class.
CREATE VIEW IF NOT EXISTS report_occupancy_last AS
SELECT run_id, class, max(ts_ns) AS ts_ns, slabs, used, capacity
FROM occupancy GROUP BY run_id, class;

-- Slabs by class: how many were acquired, how many never reached EMPTY, how many
-- were live (owned) at the end, and the blocks in use / capacity of the never-EMPTY
-- ones in the last occupancy sample (NULL when none was sampled). The same sums
-- can be made from slabs: GROUP BY run_id, class.
CREATE VIEW IF NOT EXISTS report_never_empty AS
SELECT s.run_id, s.class, c.block_size, c.blocks_per_slab, s.slabs, s.never_empty,
       s.live_at_end, s.never_empty_used, s.never_empty_capacity
FROM slab_classes s LEFT JOIN classes c ON c.run_id = s.run_id AND c.class = s.class
WHERE s.slabs > 0;

-- The stacks behind stage-3 acquisitions (new SuperSlabs), when stacks were recorded:
-- innermost first, each frame its function, else module+offset, else its address.
CREATE VIEW IF NOT EXISTS report_map_stacks AS
SELECT s.run_id, s.stack_id, s.n AS acquisitions,
       (SELECT group_concat(coalesce(f.function,
                                     substr(f.module, length(rtrim(f.module,
                                         replace(f.module, '/', ''))) + 1)
                                         || printf('+0x%x', f.offset),
                                     printf('0x%x', f.ip)), ' < ')
        FROM (SELECT function, module, offset, ip FROM frames
              WHERE frames.run_id = s.run_id AND frames.stack_id = s.stack_id
              ORDER BY depth) f) AS stack
FROM (SELECT run_id, stack_id, count(*) AS n FROM events
      WHERE type = 9 AND stage = 4 AND stack_id IS NOT NULL GROUP BY run_id, stack_id) s;

-- ---- the heap profile (record --profile, version 3). The allocator samples
-- allocations by bytes (mean runs.profile_rate bytes apart) and writes an alloc
-- event for each sampled block and a free event when it is freed; hakmem-trace
-- does not store those as events rows but aggregates them as it drains, into
-- these tables, written with the same commits as event_counts. A sample's weight
-- is how many allocations it stands for, in 1/65536 (1/(1 - e^(-size/rate)):
-- exactly 65536 at rate 1). Estimated bytes are weight × bytes / 65536, rounded
-- per sample, so at rate 1 every figure is exact.

-- One row per profiled run: its totals.
CREATE TABLE IF NOT EXISTS profile_runs (
    run_id INTEGER PRIMARY KEY,
    rate INTEGER NOT NULL,           -- runs.profile_rate
    samples INTEGER NOT NULL,        -- alloc events (sampled allocations)
    frees INTEGER NOT NULL,          -- free events of sampled blocks of this run
    unmatched_frees INTEGER NOT NULL,  -- free events with no live sampled block at that
                                     -- address (e.g. allocated before a fork, in the parent)
    lost_frees INTEGER NOT NULL,     -- alloc events at the address of a live sampled block: its
                                     -- free event was lost (dropped), the old block counts freed
    live INTEGER NOT NULL,           -- sampled blocks still live (profile_live rows)
    in_use INTEGER NOT NULL,         -- estimated bytes in use (block sizes) at the end
    peak INTEGER NOT NULL,           -- estimated bytes in use at the run's highest point
    peak_ns INTEGER,                 -- when that was (ns since the start); NULL: no sample
    stacks_dropped INTEGER           -- stacks the segment's stack table could not hold
                                     -- (their samples count under stack_id 0); NULL: unknown
);

-- Per allocation stack (frames.stack_id; 0: no stack): the sampled allocations and
-- what they stand for. A temporary is an allocation freed by the thread that made
-- it before that thread's next sampled allocation (heaptrack's definition, over
-- the samples). peak_in_use: the stack's bytes in use at the moment the run's
-- total was highest (profile_runs.peak).
CREATE TABLE IF NOT EXISTS profile_stacks (
    run_id INTEGER NOT NULL,
    stack_id INTEGER NOT NULL,
    allocs INTEGER NOT NULL,         -- sampled allocations
    alloc_weight INTEGER NOT NULL,   -- estimated allocations × 65536 (sum of weights)
    bytes INTEGER NOT NULL,          -- estimated bytes allocated (block sizes)
    requested INTEGER NOT NULL,      -- estimated bytes requested (malloc's argument)
    frees INTEGER NOT NULL,          -- sampled blocks freed
    free_weight INTEGER NOT NULL,    -- estimated frees × 65536
    live INTEGER NOT NULL,           -- sampled blocks live at the end
    in_use INTEGER NOT NULL,         -- estimated bytes in use at the end
    peak_in_use INTEGER NOT NULL,    -- estimated bytes in use at the run's peak
    peak_live INTEGER NOT NULL,      -- sampled blocks live at the run's peak
    temporaries INTEGER NOT NULL,    -- sampled temporary allocations
    temp_weight INTEGER NOT NULL,    -- estimated temporary allocations × 65536
    PRIMARY KEY (run_id, stack_id)
) WITHOUT ROWID;

-- One row per sampled block still live at the end of the run: leaks, and the blocks
-- that keep slabs from reaching EMPTY. While a run is recorded it holds the blocks
-- live for a second or more (rewritten when due, at most a twentieth of the
-- recorder's time), so a killed recorder leaves them. ss and slab are 0 for a large
-- block (class NULL).
CREATE TABLE IF NOT EXISTS profile_live (
    run_id INTEGER NOT NULL,
    addr INTEGER NOT NULL,           -- the block (the pointer malloc returned)
    size INTEGER NOT NULL,           -- requested bytes
    block_size INTEGER NOT NULL,     -- bytes of its block (size class, or large mapping)
    class INTEGER,
    ss INTEGER NOT NULL,             -- SuperSlab id (slabs.ss)
    slab INTEGER NOT NULL,
    stack_id INTEGER NOT NULL,       -- its allocation stack (profile_stacks, frames)
    tid INTEGER NOT NULL,            -- the allocating thread
    weight INTEGER NOT NULL,         -- allocations it stands for × 65536
    ts_ns INTEGER NOT NULL           -- when it was allocated (ns since the start)
);
CREATE INDEX IF NOT EXISTS profile_live_slab ON profile_live (run_id, ss, slab);

-- With record --all-blocks: one row per sampled block, freed ones with when and
-- by whom (free_reason 0 free, 1 realloc), those live at the end with NULLs there.
CREATE TABLE IF NOT EXISTS profile_blocks (
    run_id INTEGER NOT NULL,
    addr INTEGER NOT NULL,
    size INTEGER NOT NULL,
    block_size INTEGER NOT NULL,
    class INTEGER,
    ss INTEGER NOT NULL,
    slab INTEGER NOT NULL,
    stack_id INTEGER NOT NULL,
    tid INTEGER NOT NULL,
    weight INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,
    free_ns INTEGER,                 -- when it was freed (ns since the start); NULL: live
    free_tid INTEGER,
    free_reason INTEGER
);

-- The estimated bytes in use over the run (every sampled allocation and free counted
-- as it drains): a point at most every 10 ms, at the first event past it; peak: the
-- most in use since the point before (so a chart of the points misses no peak).
CREATE TABLE IF NOT EXISTS profile_usage (
    run_id INTEGER NOT NULL,
    ts_ns INTEGER NOT NULL,          -- ns since the start
    in_use INTEGER NOT NULL,         -- estimated bytes in use then
    peak INTEGER NOT NULL,           -- estimated bytes in use at most since the point before
    live INTEGER NOT NULL,           -- sampled blocks live then
    PRIMARY KEY (run_id, ts_ns)
) WITHOUT ROWID;

-- With HAKMEM_PROFILE_SITES (every block tagged with its allocation site): from the
-- slab_pin events, per site (a one-frame stack, with a profile_stacks row) and slab,
-- its live blocks (all of them, not samples) at the worst map over mostly-free
-- SuperSlabs and at the exit, and the slab's live blocks at the exit.
CREATE TABLE IF NOT EXISTS profile_pin_tags (
    run_id INTEGER NOT NULL,
    stack_id INTEGER NOT NULL,
    ss INTEGER NOT NULL,
    slab INTEGER NOT NULL,
    at_map INTEGER,                  -- the most of the site's live blocks at a map; NULL: none
    at_exit INTEGER,                 -- its live blocks at the exit; NULL: none then
    slab_live INTEGER,               -- the slab's live blocks at the exit
    PRIMARY KEY (run_id, stack_id, ss, slab)
) WITHOUT ROWID;

-- Each profiled stack as a call site: its innermost frame outside libhakmem (the
-- program's call into the allocator) as "function+0xN file:line (module+0xoffset)"
-- with what is known, and up to four callers beneath it, innermost first.
CREATE VIEW IF NOT EXISTS profile_sites AS
SELECT p.run_id, p.stack_id,
       coalesce((SELECT coalesce(f.function || coalesce(printf('+0x%x', f.fn_offset), ''), '?')
                        || coalesce(' ' || substr(f.file, length(rtrim(f.file,
                                        replace(f.file, '/', ''))) + 1) || ':' || f.line, '')
                        || coalesce(' (' || substr(f.module, length(rtrim(f.module,
                                        replace(f.module, '/', ''))) + 1)
                                    || printf('+0x%x', f.offset) || ')',
                                    printf(' (0x%x)', f.ip))
                 FROM frames f WHERE f.run_id = p.run_id AND f.stack_id = p.stack_id
                   AND coalesce(f.module, '') NOT LIKE '%/libhakmem%'
                 ORDER BY f.depth LIMIT 1),
                CASE WHEN p.stack_id = 0 THEN '(no stack)'
                     ELSE '(stack ' || p.stack_id || ': no frames)' END) AS site,
       (SELECT group_concat(c.name, ' < ')
        FROM (SELECT coalesce(f.function, '?')
                     || coalesce(' ' || substr(f.file, length(rtrim(f.file,
                                     replace(f.file, '/', ''))) + 1) || ':' || f.line, '')
                     AS name
              FROM frames f WHERE f.run_id = p.run_id AND f.stack_id = p.stack_id
                AND f.depth > (SELECT min(g.depth) FROM frames g
                               WHERE g.run_id = p.run_id AND g.stack_id = p.stack_id
                                 AND coalesce(g.module, '') NOT LIKE '%/libhakmem%')
              ORDER BY f.depth LIMIT 4) c) AS callers
FROM profile_stacks p;

-- The slabs kept from EMPTY (never EMPTY, or live at the end: slabs) and the sampled
-- blocks live in them (profile_live), per slab and allocation stack; with site tags
-- also each site's tagged blocks live in them at the exit, else at the worst map
-- (profile_pin_tags; bytes NULL: not estimated).
-- (With sampling below rate 1 the allocator keeps sampled blocks in slabs of their own:
-- then the tags say which sites pin the other slabs.)
CREATE VIEW IF NOT EXISTS profile_pins AS
SELECT l.run_id, l.stack_id, l.ss, l.slab, s.class, s.empties = 0 AS never_empty,
       s.owned AS live_at_end, 0 AS at_map, count(*) AS blocks,
       sum((l.weight * l.block_size + 32768) / 65536) AS bytes
FROM profile_live l JOIN slabs s ON s.run_id = l.run_id AND s.ss = l.ss AND s.slab = l.slab
WHERE l.ss > 0 AND (s.empties = 0 OR s.owned = 1)
GROUP BY l.run_id, l.stack_id, l.ss, l.slab
UNION ALL
SELECT t.run_id, t.stack_id, t.ss, t.slab, s.class, s.empties = 0, s.owned,
       coalesce(t.at_map, 0) > 0, coalesce(t.at_exit, t.at_map), NULL
FROM profile_pin_tags t JOIN slabs s ON s.run_id = t.run_id AND s.ss = t.ss AND s.slab = t.slab
WHERE coalesce(t.at_exit, t.at_map) > 0 AND (s.empties = 0 OR s.owned = 1 OR t.at_map > 0)
  AND NOT EXISTS (SELECT 1 FROM profile_live l WHERE l.run_id = t.run_id
                  AND l.stack_id = t.stack_id AND l.ss = t.ss AND l.slab = t.slab);

-- profile_pins per call site: how many slabs its live blocks keep from EMPTY (each
-- 64 KiB of slab memory), of them never EMPTY, and the blocks.
CREATE VIEW IF NOT EXISTS profile_pin_sites AS
SELECT run_id, stack_id, count(*) AS slabs, sum(never_empty) AS never_empty_slabs,
       sum(live_at_end) AS live_slabs, sum(at_map) AS at_map_slabs, count(*) * 65536 AS slab_bytes,
       sum(blocks) AS blocks,
       sum(bytes) AS bytes
FROM profile_pins GROUP BY run_id, stack_id;
