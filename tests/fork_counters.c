/* fork_counters.c — a traced process forks; the child allocates 64 MiB. The
 * parent's counters (hakmem_stats_get, the segment's) must not move, the
 * child's must, and the child traces into a segment of its own
 * (/dev/shm/hakmem.<child>, its ppid the parent, marked forked). Re-executes
 * itself with HAKMEM_TRACE=1 when started without it. Exit 0, or 1 with a
 * FAIL line. */
#ifndef _GNU_SOURCE /* config.h, when force-included, defines it already */
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "hakmem.h"
#include "hakmem_segment.h"
#include "stress.h"

#define BLOCKS 1024 /* of 64 KiB: 64 MiB, one block per slab */

#define say(...) stress_say(1, __VA_ARGS__)

/* The header of /dev/shm/hakmem.<pid>; 0, or -1 when there is none. */
static int header_of(pid_t pid, struct hakmem_seg_header *h)
{
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/hakmem.%d", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, h, sizeof *h, 0);
    close(fd);
    return n == (ssize_t)sizeof *h ? 0 : -1;
}

static int child(pid_t parent, const struct hakmem_stats *before)
{
    static void *keep[BLOCKS];
    for (int i = 0; i < BLOCKS; i++)
        if (!(keep[i] = malloc(64 * 1024))) {
            say("fork_counters: FAIL: child: malloc of block %d returned NULL\n", i);
            return 1;
        }
    struct hakmem_stats st;
    hakmem_stats_get(&st);
    int rc = 0;
    if (st.ss_maps < before->ss_maps + 30) {
        say("fork_counters: FAIL: child: expected its own SuperSlab maps to grow by >= 30 from "
            "%llu, got %llu\n", (unsigned long long)before->ss_maps, (unsigned long long)st.ss_maps);
        rc = 1;
    }
    struct hakmem_seg_header h;
    if (header_of(getpid(), &h) != 0) {
        say("fork_counters: FAIL: child: expected a segment /dev/shm/hakmem.%d of its own, got "
            "none\n", (int)getpid());
        return 1;
    }
    if (h.pid != getpid() || h.ppid != parent || !(h.flags & HAKMEM_SEG_FORKED)) {
        say("fork_counters: FAIL: child's segment: expected pid %d, ppid %d, flags forked; got "
            "pid %d, ppid %d, flags %u\n", (int)getpid(), (int)parent, (int)h.pid, (int)h.ppid,
            h.flags);
        rc = 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    (void)argc;
    if (!getenv("HAKMEM_TRACE")) {
        setenv("HAKMEM_TRACE", "1", 1);
        execv("/proc/self/exe", argv);
        say("fork_counters: FAIL: cannot re-execute itself with HAKMEM_TRACE=1\n");
        return 1;
    }
    struct hakmem_seg_header h;
    if (header_of(getpid(), &h) != 0) {
        say("fork_counters: FAIL: expected the parent traced into /dev/shm/hakmem.%d\n",
            (int)getpid());
        return 1;
    }
    void *p = malloc(100); /* a SuperSlab mapped before the fork */
    struct hakmem_stats before, after;
    hakmem_stats_get(&before);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        say("fork_counters: FAIL: fork failed\n");
        return 1;
    }
    if (pid == 0)
        exit(child(parent, &before));
    int status, rc = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        say("fork_counters: FAIL: the child: expected exit 0, got status %#x\n", status);
        rc = 1;
    }
    hakmem_stats_get(&after);
    if (after.ss_maps != before.ss_maps || after.ss_map_bytes != before.ss_map_bytes ||
        after.large_maps != before.large_maps) {
        say("fork_counters: FAIL: the parent's counters moved with the child's allocations: "
            "SuperSlab maps %llu -> %llu, large maps %llu -> %llu\n",
            (unsigned long long)before.ss_maps, (unsigned long long)after.ss_maps,
            (unsigned long long)before.large_maps, (unsigned long long)after.large_maps);
        rc = 1;
    }
    if (header_of(pid, &h) == 0) {
        say("fork_counters: FAIL: the child exited but left /dev/shm/hakmem.%d\n", (int)pid);
        rc = 1;
    }
    free(p);
    if (!rc)
        printf("fork_counters: ok: parent %llu SuperSlab maps before and after the child's "
               "64 MiB; the child traced into its own segment\n", (unsigned long long)after.ss_maps);
    return rc;
}
