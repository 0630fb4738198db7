/* attach.c — `hakmem-trace attach PID`: drains the segment of a traced
 * process that is already running (/dev/shm/hakmem.PID) until it exits or Ctrl-C. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "hakmem_reader.h"

static const char usage_text[] =
    "usage: hakmem-trace attach PID [-o FILE.db]\n"
    "Records a process started with HAKMEM_TRACE=1 (its segment /dev/shm/hakmem.PID) from now\n"
    "until it exits or Ctrl-C, into FILE.db (default hakmem-<program>-<pid>.db).\n"
    "  -o, --output FILE.db   the database to add the run to (created when absent)\n"
    "  -h, --help             this text\n";

static int attach_finished(struct hk_session *s)
{
    s->exit_status = -1;
    return !hk_pid_running(s->follow.pid);
}

/* HAKMEM_* variables of pid's environment, when we may read it. */
static void options_of(pid_t pid, char *out, size_t len)
{
    char path[64], buf[65536];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    size_t used = 0;
    for (char *e = buf; e < buf + n && used < len - 1; e += strlen(e) + 1)
        if (strncmp(e, "HAKMEM_", 7) == 0 && strncmp(e, "HAKMEM_TRACE=", 13) != 0 &&
            !hk_trace_setting(e))
            used += (size_t)snprintf(out + used, len - used, "%s%s", used ? " " : "", e);
}

/* Checks that pid runs and is traced; its segment path into base. */
static int check_target(pid_t pid, char *base, size_t len)
{
    hakmem_reader_path_of(pid, base, len);
    struct stat st;
    if (lstat(base, &st) == 0) /* whatever it is: the reader says what is wrong with it */
        return 0;
    if (!hk_pid_running(pid))
        hk_say("attach", "no process %d", (int)pid);
    else
        hk_say("attach", "process %d is not traced (no %s; start it with HAKMEM_TRACE=1)",
               (int)pid, base);
    return 1;
}

static int attach(pid_t pid, const char *out)
{
    char base[64], dbpath[PATH_MAX], options[1024], err[HK_ERR_MAX];
    if (check_target(pid, base, sizeof base) != 0)
        return 1;
    struct hakmem_reader *r = NULL;
    if (hk_drain_busy(base, err, sizeof err) != 0 ||
        !(r = hakmem_reader_open(base, 0, err, sizeof err)) ||
        hk_drain_check(r, base, err, sizeof err) != 0) {
        hk_say("attach", "%s", err);
        hakmem_reader_close(r);
        return 1;
    }
    struct hk_seg_meta *m = calloc(1, sizeof *m);
    if (!m) {
        hakmem_reader_close(r);
        return 1;
    }
    hk_drain_meta(r, "attach", base, m);
    snprintf(dbpath, sizeof dbpath, "%s", out ? out : "");
    if (!out)
        snprintf(dbpath, sizeof dbpath, "hakmem-%s-%d.db", *m->exe ? hk_basename(m->exe) : "unknown",
                 (int)pid);
    free(m);
    hakmem_reader_close(r);
    options_of(pid, options, sizeof options);
    sqlite3 *db = hk_db_open_write(dbpath, 1, err, sizeof err);
    if (!db) {
        hk_say("attach", "%s", err);
        return 1;
    }
    hk_session_signals(0);
    struct hk_session s = { .db = db, .dbpath = dbpath, .source = "attach", .verb = "drained",
                            .options = options, .finished = attach_finished, .root = pid,
                            .exit_status = -1 };
    hk_follow_init(&s.follow, NULL, pid, 0);
    int rc = hk_session_run(&s, err, sizeof err);
    hk_follow_free(&s.follow);
    if (rc != 0)
        hk_say("attach", "%s", err);
    if (hk_db_finish(db, err, sizeof err) != 0) {
        hk_say("attach", "%s", err);
        rc = -1;
    }
    return rc != 0 ? 1 : 0;
}

int hk_cmd_attach(int argc, char **argv)
{
    const char *out = NULL;
    int rc = hk_parse_output_opt(argc, argv, usage_text, &out);
    if (rc >= 0)
        return rc;
    uint64_t pid;
    if (optind != argc - 1 || hk_parse_u64(argv[optind], 1, INT_MAX, &pid) != 0) {
        hk_say("attach", "expected one PID (see --help)");
        return 2;
    }
    return attach((pid_t)pid, out);
}
