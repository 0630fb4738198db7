/* ls.c — `hakmem-trace ls`: the trace segments in /dev/shm (hakmem.*), one
 * line each: pid, state, events, dropped, draining reader, command. */
#include <glob.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "hakmem_reader.h"

static const char usage_text[] =
    "usage: hakmem-trace ls [--clean] [DIR]\n"
    "Lists the trace segments hakmem.* in DIR (default /dev/shm): pid, state (alive, exited,\n"
    "or gone when the process died without exiting), events written, dropped, the pid\n"
    "draining it (record/attach) and the command. Files that are not readable segments\n"
    "are named on stderr with the reason.\n"
    "  --clean      remove the segments of processes that are gone (killed, or ended\n"
    "               by _exit) and that nobody drains; they are listed as removed\n"
    "  -h, --help   this text\n";

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
    char cmd[HAKMEM_SEG_CMDLINE_MAX + 1], reader[16] = "-";
    size_t n = strnlen(h->cmdline, sizeof h->cmdline);
    memcpy(cmd, h->cmdline, n);
    cmd[n] = '\0';
    int rp = h->reader_pid;
    bool drained = rp > 0 && (kill(rp, 0) == 0 || errno == EPERM);
    if (drained)
        snprintf(reader, sizeof reader, "%d", rp);
    const char *state = h->ready == 1 ? state_of(r) : "new";
    if (clean && !drained && strcmp(state, "gone") == 0) {
        if (unlink(path) == 0)
            state = "removed";
        else
            hk_say("ls", "cannot remove %s: %s", path, strerror(errno));
    }
    printf("%-8d %-7s %12llu %10llu %-8s %s\n", (int)h->pid, state,
           (unsigned long long)c.written, (unsigned long long)c.dropped, reader,
           *cmd ? cmd : path);
    hakmem_reader_close(r);
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
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/hakmem.*", argc == 2 ? argv[1] : "/dev/shm");
    glob_t g;
    int rc = glob(pattern, 0, NULL, &g);
    printf("%-8s %-7s %12s %10s %-8s %s\n", "PID", "STATE", "EVENTS", "DROPPED", "READER",
           "COMMAND");
    if (rc == 0)
        for (size_t i = 0; i < g.gl_pathc; i++)
            show(g.gl_pathv[i], clean);
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
        hk_say("ls", "cannot list %s", pattern);
        return 1;
    }
    return 0;
}
