/* unit.h — helpers of the cli/ unit tests: temporary files, synthetic events,
 * small valid segments, a run description, and the Check main(). */
#ifndef HK_CLI_UNIT_H
#define HK_CLI_UNIT_H

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "cli.h"
#include "../unit_main.h" /* unit_main(): runs the suite */

/* A fresh path under /tmp (the file does not exist). */
static inline void unit_tmp(char *buf, size_t len, const char *suffix)
{
    static int n;
    snprintf(buf, len, "/tmp/hk-cli-unit.%d.%d%s", (int)getpid(), n++, suffix);
    unlink(buf);
}

/* A new writable trace database at a fresh path (into path). */
static inline sqlite3 *unit_db(char *path, size_t len)
{
    char err[HK_ERR_MAX];
    unit_tmp(path, len, ".db");
    sqlite3 *db = hk_db_open_write(path, 0, err, sizeof err);
    ck_assert_msg(db, "%s", err);
    return db;
}

static inline struct hakmem_event unit_ev(uint64_t seq, unsigned type, unsigned cls, unsigned stage,
                                          uint32_t ss, uint32_t slab, uint64_t arg0, uint32_t reason)
{
    return (struct hakmem_event){ .seq = seq, .ts_ns = 1000 + seq * 10, .tid = 7,
                                  .type = (uint16_t)type, .cls = (uint8_t)cls,
                                  .stage = (uint8_t)stage, .ss_id = ss, .slab = slab,
                                  .ss_addr = ss ? 0x7f0000000000ull + ((uint64_t)ss << 21) : 0,
                                  .arg0 = arg0, .reason = reason };
}

static const uint32_t unit_class_size[4] = { 16, 32, 64, 256 };
static const uint32_t unit_class_capacity[4] = { 4096, 2048, 1024, 256 };

static inline struct hk_run_info unit_info(void)
{
    return (struct hk_run_info){ .pid = 42, .exe = "/bin/unit", .argv = "unit test",
                                 .mode = "lossless", .source = "unit", .segment = "(none)",
                                 .started_ns = 1, .start_mono_ns = 1000, .format_version = 1,
                                 .ring_capacity = 1024, .nclasses = 4,
                                 .class_size = unit_class_size,
                                 .class_capacity = unit_class_capacity };
}

/* Writes a valid segment at path: pid, start time, n events (type 13) in a
 * ring of 1024, ready; returns 0. */
static inline int unit_segment(const char *path, int pid, uint64_t start, unsigned n, int ready)
{
    size_t page = 4096, cap = 1024;
    struct hakmem_seg_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, HAKMEM_SEG_MAGIC, 8);
    h.version = HAKMEM_SEG_VERSION;
    h.header_size = sizeof h;
    h.pid = pid;
    h.page_size = (uint32_t)page;
    h.start_mono_ns = start;
    strcpy(h.exe, "/bin/unit");
    h.event_size = sizeof(struct hakmem_event);
    h.ring_capacity = cap;
    h.counters_offset = page;
    h.occupancy_offset = 2 * page;
    h.occupancy_size = page;
    h.ring_offset = 3 * page;
    h.seg_size = h.ring_offset + cap * sizeof(struct hakmem_event);
    h.ready = (uint32_t)ready;
    h.head = n;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)h.seg_size) != 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        struct hakmem_event e = unit_ev(i + 1, HAKMEM_EV_THREAD_START, 255, 255, 0, 0, i, 0);
        if (pwrite(fd, &e, sizeof e, (off_t)(h.ring_offset + i * sizeof e)) != sizeof e)
            return -1;
    }
    int rc = pwrite(fd, &h, sizeof h, 0) == sizeof h ? 0 : -1;
    close(fd);
    return rc;
}

#endif
