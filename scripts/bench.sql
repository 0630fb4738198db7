-- scripts/bench.sql — the raw rows of `scripts/bench` (bench/results.db by default),
-- read by `scripts/bench-report`. Each invocation of the bench adds one row to `runs`
-- and one row to `results` per program it ran; nothing is ever updated but the run's
-- end (finished, seconds, load_end) and nothing is deleted, so any run can be
-- re-rendered or re-analysed later (as mimalloc-bench appends to benchres.csv).
-- Idempotent: the runner applies it to every database it appends to.

PRAGMA user_version = 1;

CREATE TABLE IF NOT EXISTS runs (
    run_id       INTEGER PRIMARY KEY,  -- `scripts/bench-report --run ID`
    started      TEXT NOT NULL,        -- UTC, 'YYYY-MM-DD HH:MM:SS'
    finished     TEXT,                 -- UTC; NULL: the run was interrupted
    seconds      INTEGER,              -- wall time of all the measurements
    mode         TEXT NOT NULL CHECK (mode IN ('full', 'quick', 'instr', 'profiler')),
    command      TEXT NOT NULL,        -- as typed, e.g. 'scripts/bench --quick 3'
    reps         INTEGER NOT NULL,     -- repetitions (the two-thread workloads run 3×)
    git_commit   TEXT,                 -- git rev-parse HEAD
    git_describe TEXT,                 -- git describe --always --dirty
    lib_sha256   TEXT,                 -- of the libhakmem.so copy that was measured
    nproc        INTEGER,              -- the machine: nproc
    cpu_model    TEXT,                 -- /proc/cpuinfo model name
    mem_kb       INTEGER,              -- /proc/meminfo MemTotal
    os           TEXT,                 -- /etc/os-release PRETTY_NAME
    kernel       TEXT,                 -- uname -sr
    compiler     TEXT,                 -- gcc --version, first line
    versions     TEXT,                 -- 'mimalloc 2.0.9+ds-2; …; glibc 2.36'
    libdir       TEXT,                 -- where the other allocators were preloaded from
    load_start   TEXT,                 -- /proc/loadavg 1, 5, 15 min at the start
    load_end     TEXT                  -- and at the end
);

-- One row per program run. suite: 'allocators' (the workloads under each allocator),
-- 'hooks' (hakmem's trace-hook variants), 'checks' (HAKMEM_CHECK levels and Electric
-- Fence), 'strace' (one untimed run counting mmap/munmap/mremap; hakmem's own
-- SuperSlab and large-tier counts from HAKMEM_STATS=1), 'callgrind' (instructions),
-- 'profiler' (the heap profiler at rate 1 next to heaptrack; unit 'wall': seconds).
CREATE TABLE IF NOT EXISTS results (
    id                INTEGER PRIMARY KEY,
    run_id            INTEGER NOT NULL REFERENCES runs (run_id),
    ts                TEXT NOT NULL,   -- UTC, when the program ended
    suite             TEXT NOT NULL
                      CHECK (suite IN ('allocators', 'hooks', 'checks', 'strace', 'callgrind', 'profiler')),
    workload          TEXT NOT NULL,   -- 'random_mixed ws=256', 'start-up', 'heap checks', …
    variant           TEXT NOT NULL,   -- allocator (hakmem, mimalloc, …) or variant (tracing-on, …)
    program           TEXT NOT NULL,   -- 'examples/bench_random_mixed'
    args              TEXT NOT NULL,   -- its arguments, blank-separated
    repetition        INTEGER NOT NULL,-- 1, 2, …: the variants of one repetition run back to back
    slot              INTEGER NOT NULL,-- 0, 1, …: position within the repetition (the order rotates)
    status            TEXT NOT NULL CHECK (status IN ('ok', 'fail')),
    seconds           REAL,            -- elapsed wall time of the program (GNU time %e)
    value             REAL,            -- the figure the program printed (NULL when failed)
    unit              TEXT,            -- ops/s, reallocs/s, threads/s (higher is better); s, wall (lower)
    peak_rss_kb       INTEGER,         -- ru_maxrss (GNU time %M)
    freed_rss_kb      INTEGER,         -- phases: RSS after its last round freed every block
    mmap              INTEGER,         -- suite strace: calls of the whole process
    munmap            INTEGER,
    mremap            INTEGER,
    ss_map            INTEGER,         -- suite strace, hakmem: SuperSlabs mapped / unmapped
    ss_unmap          INTEGER,
    large_map         INTEGER,         -- and large-tier maps / unmaps
    large_unmap       INTEGER,
    iterations        INTEGER,         -- suite callgrind: ITERS of bench_random_mixed
    instructions      INTEGER,         -- suite callgrind: Ir of the whole process
    loop_instructions INTEGER,         -- of which in the benchmark loop's own files
    minor_faults      INTEGER,         -- minor page faults of the program (GNU time %R)
    allocations       INTEGER          -- suite strace: allocations the program counted (allocs=N)
);
CREATE INDEX IF NOT EXISTS results_run ON results (run_id, suite);

-- Flat rows, one per program run, with the machine and the commit (as benchres.csv).
CREATE VIEW IF NOT EXISTS raw AS
    SELECT r.run_id, r.ts, r.suite, r.workload, r.variant, r.repetition, r.slot, r.status,
           r.seconds, r.value, r.unit, r.peak_rss_kb, r.freed_rss_kb,
           r.mmap, r.munmap, r.mremap, r.ss_map, r.ss_unmap, r.large_map, r.large_unmap,
           r.iterations, r.instructions, r.loop_instructions, r.minor_faults, r.allocations, r.program, r.args,
           u.mode, u.nproc, u.cpu_model, u.git_commit, u.git_describe
    FROM results r JOIN runs u USING (run_id);
