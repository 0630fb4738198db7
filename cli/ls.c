/* ls.c — `hakmem-trace ls`: the trace segments in /dev/shm (hakmem.*), one
 * line each: pid, state, events, dropped, draining reader, command. */
#include <glob.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "hakmem_reader.h"

static const char usage_text[] =
    "usage: hakmem-trace ls [--clean] [DIR]\n"
    "Lists the trace segments hakmem.* in DIR (default /dev/shm), those of processes that\n"
    "hakmem-trace record runs included: pid, state (alive, exited, or gone when the process\n"
    "died without exiting), events written, dropped, parent pid, the pid draining it\n"
    "(record/attach) and the command. Files that are not readable segments are named on\n"
    "stderr with the reason.\n"
    "  --clean      remove the orphans: segments whose process is dead and that no live\n"
    "               reader drains or live recorder will; of a process traced on its own\n"
    "               (HAKMEM_TRACE=1) only those it left without exiting (killed, or ended\n"
    "               by _exit), as a kept segment of an exited one waits for ingest. Each\n"
    "               is listed as removed\n"
    "  -h, --help   this text\n";

/* The recorder of a segment named hakmem-record.<pid>.<n>[.<k>] (record
 * before recorder_pid was in the header), 0 for other names. */
static pid_t legacy_recorder(const char *path)
{
    const char *name = hk_basename(path);
    int pid = 0;
    return sscanf(name, "hakmem-record.%d.", &pid) == 1 && pid > 0 ? pid : 0;
}

int hk_ls_orphan(const char *path, const struct hakmem_seg_header *h)
{
    pid_t recorder = h->recorder_pid > 0 ? h->recorder_pid : legacy_recorder(path);
    if (hk_pid_running(h->pid) || hk_pid_running(h->reader_pid) || hk_pid_running(recorder))
        return 0;
    /* the process is gone (a zombie counts): a recorder's segment has nobody left to drain it,
     * a process's own is an orphan unless it exited and kept it on purpose */
    return recorder > 0 || h->ready != 1 || !h->exited;
}

static const char *state_of(struct hakmem_reader *r)
{
    if (hakmem_reader_exited(r))
        return "exited";
    return hakmem_reader_alive(r) ? "alive" : "gone";
}

static void show(const char *path, bool clean)
{
    char err[HK_ERR_MAX];
    struct hakmem_reader *r = hakmem_reader_open(path, 0, err, sizeof err);
    if (!r) {
        hk_say("ls", "skipped: %s", err);
        return;
    }
    const struct hakmem_seg_header *h = hakmem_reader_header(r);
    struct hakmem_ring_counts c;
    hakmem_reader_counts(r, &c);
    char cmd[HAKMEM_SEG_CMDLINE_MAX + 1], reader[16] = "-", ppid[16] = "-";
    size_t n = strnlen(h->cmdline, sizeof h->cmdline);
    memcpy(cmd, h->cmdline, n);
    cmd[n] = '\0';
    int rp = h->reader_pid;
    if (hk_pid_running(rp))
        snprintf(reader, sizeof reader, "%d", rp);
    if (h->ppid > 0)
        snprintf(ppid, sizeof ppid, "%d", (int)h->ppid);
    const char *state = h->ready == 1 ? state_of(r) : "new";
    if (clean && hk_ls_orphan(path, h)) {
        if (unlink(path) == 0)
            state = "removed";
        else
            hk_say("ls", "cannot remove %s: %s", path, strerror(errno));
    }
    printf("%-8d %-7s %12llu %10llu %-8s %-8s %s\n", (int)h->pid, state,
           (unsigned long long)c.written, (unsigned long long)c.dropped, ppid, reader,
           *cmd ? cmd : path);
    hakmem_reader_close(r);
}

/* The segment files of dir (hakmem.*, and hakmem-record.* of older recorders). */
static int list(const char *dir, glob_t *g)
{
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/" HAKMEM_SEG_PREFIX "*", dir);
    int rc = glob(pattern, 0, NULL, g);
    snprintf(pattern, sizeof pattern, "%s/hakmem-record.*", dir);
    if (rc == 0 || rc == GLOB_NOMATCH)
        rc = glob(pattern, rc == 0 ? GLOB_APPEND : 0, NULL, g);
    return rc == GLOB_NOMATCH ? 0 : rc;
}

void hk_ls_clean_recorders(void)
{
    glob_t g;
    if (list(HAKMEM_SEG_DIR, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct hakmem_seg_header h;
            const char *p = g.gl_pathv[i];
            if (hk_drain_peek(p, &h) == 0 && (h.recorder_pid > 0 || legacy_recorder(p)) &&
                hk_ls_orphan(p, &h))
                unlink(p);
        }
    globfree(&g);
}

int hk_cmd_ls(int argc, char **argv)
{
    bool clean = argc > 1 && strcmp(argv[1], "--clean") == 0;
    if (clean) {
        argv++;
        argc--;
    }
    if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
        return hk_usage(usage_text, argc == 2 && hk_is_help(argv[1]));
    const char *dir = argc == 2 ? argv[1] : HAKMEM_SEG_DIR;
    struct stat st;
    if (stat(dir, &st) != 0) {
        hk_say("ls", "%s: %s", dir, errno == ENOENT ? "no such directory" : strerror(errno));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        hk_say("ls", "%s: not a directory", dir);
        return 1;
    }
    glob_t g;
    int rc = list(dir, &g);
    printf("%-8s %-7s %12s %10s %-8s %-8s %s\n", "PID", "STATE", "EVENTS", "DROPPED", "PPID",
           "READER", "COMMAND");
    if (rc == 0)
        for (size_t i = 0; i < g.gl_pathc; i++)
            show(g.gl_pathv[i], clean);
    globfree(&g);
    if (rc != 0) {
        hk_say("ls", "cannot list %s", dir);
        return 1;
    }
    return 0;
}
