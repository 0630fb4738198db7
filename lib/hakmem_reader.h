/* hakmem_reader.h — public API of libhakmem-reader (reader.c): attach to a
 * trace segment, validate it, drain or peek events, read header and counters. */
#ifndef HAKMEM_READER_H
#define HAKMEM_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "hakmem_segment.h"

#ifdef __cplusplus
extern "C" {
#endif

struct hakmem_reader;

/* Opens the segment at path (read-write to drain, read-only to watch): a
 * regular file (not a symlink, FIFO or directory) whose layout fits in it.
 * On failure returns NULL and writes one clear sentence into err. The
 * layout is checked once here; every later read is bounded by it. */
struct hakmem_reader *hakmem_reader_open(const char *path, int drain, char *err, size_t errlen);
/* Path of the segment of process pid, into buf. */
const char *hakmem_reader_path_of(pid_t pid, char *buf, size_t len);
void hakmem_reader_close(struct hakmem_reader *r);
/* NULL while the segment reads fine; else one sentence ("segment PATH was
 * truncated while being read"). From then on drain and peek return 0,
 * occupancy -1, stacks NULL, exited 1, and the rest their last values. */
const char *hakmem_reader_error(const struct hakmem_reader *r);
/* A copy of the header, its live fields read again at each call (and by
 * hakmem_reader_counts and hakmem_reader_exited); control characters in exe
 * and cmdline (which may lack their NUL) read '?'. Valid until
 * hakmem_reader_close. */
const struct hakmem_seg_header *hakmem_reader_header(const struct hakmem_reader *r);

/* Draining (one reader per segment): copies up to max events in order into
 * out and returns how many; 0 when the ring is empty. In overwrite mode
 * events that were overwritten before they could be read are counted in
 * *lost (may be NULL). */
size_t hakmem_reader_drain(struct hakmem_reader *r, struct hakmem_event *out, size_t max,
                           uint64_t *lost);

/* Watching (any number of readers): the newest events, at most max, oldest
 * first, without consuming them. */
size_t hakmem_reader_peek(const struct hakmem_reader *r, struct hakmem_event *out, size_t max);

/* Counts as the producer sees them: produced = written + dropped. */
struct hakmem_ring_counts {
    uint64_t written, dropped, consumed;
};
void hakmem_reader_counts(const struct hakmem_reader *r, struct hakmem_ring_counts *c);
/* 1 once the traced process has exited. */
int hakmem_reader_exited(const struct hakmem_reader *r);
/* 1 when the process pid still runs. */
int hakmem_reader_alive(const struct hakmem_reader *r);
/* A copy of the live counters (the same as the process's hakmem_stats_get()),
 * taken at this call; valid until the next call or hakmem_reader_close. */
const struct hakmem_seg_counters *hakmem_reader_counters(const struct hakmem_reader *r);
/* A consistent copy of the occupancy table (at most max SuperSlabs): the
 * number copied, or -1 when no consistent copy could be made. */
long hakmem_reader_occupancy(const struct hakmem_reader *r, struct hakmem_seg_ss *out, size_t max,
                             uint64_t *sampled_ns, int *truncated);
/* What a snapshot copied by hakmem_reader_snapshot is. */
struct hakmem_snapshot_info {
    uint64_t sampled_ns; /* CLOCK_MONOTONIC when it was taken; 0: none yet */
    int truncated;       /* more SuperSlabs existed than were copied */
    int final;           /* written by the process as it exited: the exact end state */
};
/* hakmem_reader_occupancy, with whether the snapshot is the final one. */
long hakmem_reader_snapshot(const struct hakmem_reader *r, struct hakmem_seg_ss *out, size_t max,
                            struct hakmem_snapshot_info *info);
/* A copy of the stack table (count, nmodules and depths bounded, paths
 * ended), valid until the next call or hakmem_reader_close; NULL when the
 * process records no stacks (or the table is damaged). Its capacity is the
 * number of slots copied (of a dense table, only the used ones); slots with
 * id == 0 are empty. */
const struct hakmem_seg_stacks *hakmem_reader_stacks(const struct hakmem_reader *r);
/* Name of an event type ("ss_map", ...), "unknown" otherwise. */
const char *hakmem_event_type_name(unsigned type);
/* Applies event e to c exactly as the allocator counts it when it emits e,
 * so that counters rebuilt from every event of a run equal the process's
 * own. Some counters have no event (large_reuse, large_remaps) and an
 * eviction for a trim bumps lru_evict alone; unknown types count nothing. */
void hakmem_counters_apply(struct hakmem_seg_counters *c, const struct hakmem_event *e);

#ifdef __cplusplus
}
#endif
#endif
