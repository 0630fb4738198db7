/* record.c — `hakmem-trace record -- PROGRAM`: runs PROGRAM with libhakmem
 * preloaded and tracing into a private segment, drains it live into the
 * database and exits with PROGRAM's status. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"

#ifndef HK_LIBDIR
#define HK_LIBDIR "/usr/local/lib"
#endif

#define RECORD_EVENTS (1u << 20) /* ring capacity when neither --events nor the environment say */
/* the same with --profile, whose full ring waits for the recorder: a ring that stays in
 * the caches (2 MiB) beats one that absorbs longer bursts, and each page of shared
 * memory the program touches first costs it a fault (8 MiB: 2048 of them) */
#define RECORD_PROFILE_EVENTS (1u << 15)
#define PROFILE_RATE 524288      /* --profile's default HAKMEM_PROFILE_RATE */

extern char **environ;

static const char usage_text[] =
    "usage: hakmem-trace record [-o FILE.db] [--events N] [--mode lossless|overwrite] [--stacks]\n"
    "                           [--profile[=RATE]] [--all-blocks] [--no-follow] -- PROGRAM [ARGS...]\n"
    "Runs PROGRAM with libhakmem preloaded and its allocator events recorded into FILE.db\n"
    "(default hakmem-<program>-<pid>.db), drained live; exits with PROGRAM's exit status.\n"
    "Every process PROGRAM starts (fork, exec) is recorded too, each image a run with its pid\n"
    "and parent pid; record ends once all of them have.\n"
    "  -o, --output FILE.db   the database to add the run to (created when absent)\n"
    "      --events N         ring capacity in events (HAKMEM_TRACE_EVENTS; default 1048576,\n"
    "                         32768 with --profile)\n"
    "      --mode MODE        lossless (a full ring drops and counts) or overwrite\n"
    "      --stacks           record the stacks behind new SuperSlabs (HAKMEM_TRACE_STACKS=1)\n"
    "      --profile[=RATE]   heap profile: sample allocations every RATE bytes on average\n"
    "                         (default 524288; 1: every allocation), with their stacks\n"
    "                         (HAKMEM_PROFILE=1, HAKMEM_PROFILE_RATE, HAKMEM_TRACE_STACKS=1),\n"
    "                         and every block's site for pins (HAKMEM_PROFILE_SITES=1 unless\n"
    "                         set to 0), preloading libhakmem-profile.so when it is beside\n"
    "                         libhakmem.so; a full ring makes PROGRAM wait for the recorder\n"
    "                         (HAKMEM_TRACE_WAIT=1000 unless set: up to 1 s without progress)\n"
    "                         rather than drop; hakmem-trace profile shows it\n"
    "      --all-blocks       with --profile (implied): also a row per sampled block\n"
    "                         (profile_blocks), freed ones with their free time\n"
    "      --no-follow        record PROGRAM's own images only; the processes it starts run\n"
    "                         untraced\n"
    "  -h, --help             this text\n"
    "HAKMEM_LIB_PATH overrides the libhakmem.so that is preloaded.\n";

struct record {
    const char *out, *mode;
    uint64_t events;
    uint64_t profile;      /* --profile: its rate; 0: off */
    int stacks, no_follow, all_blocks;
    pid_t recorder;        /* our pid: HAKMEM_TRACE_RECORDER of the tree */
    char **argv;           /* PROGRAM and its arguments */
    char prog[PATH_MAX];   /* PROGRAM as found on PATH */
    char lib[PATH_MAX];
    char options[1024];
    char dbpath[PATH_MAX];
    pid_t child;
    int reaped, status;
};

/* --profile's RATE (none: the default) into *rate; 0, or -1 after saying why. */
static int parse_rate(const char *arg, uint64_t *rate)
{
    *rate = PROFILE_RATE;
    if (arg && hk_parse_u64(arg, 1, 1ull << 40, rate) != 0) {
        hk_say("record", "--profile=%s: expected a sampling rate in bytes from 1 to 1099511627776",
               arg);
        return -1;
    }
    return 0;
}

static int parse(int argc, char **argv, struct record *rec)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "events", required_argument, NULL, 'e' },
        { "mode", required_argument, NULL, 'm' },   { "stacks", no_argument, NULL, 's' },
        { "no-follow", no_argument, NULL, 'n' },    { "help", no_argument, NULL, 'h' },
        { "profile", optional_argument, NULL, 'P' }, { "all-blocks", no_argument, NULL, 'A' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            rec->out = optarg;
            break;
        case 'e':
            if (hk_parse_u64(optarg, 1024, 1ull << 26, &rec->events) != 0) {
                hk_say("record", "--events %s: expected a number of events from 1024 to 67108864",
                       optarg);
                return 2;
            }
            break;
        case 'm':
            if (strcmp(optarg, "lossless") != 0 && strcmp(optarg, "overwrite") != 0) {
                hk_say("record", "--mode %s: expected lossless or overwrite", optarg);
                return 2;
            }
            rec->mode = optarg;
            break;
        case 's':
            rec->stacks = 1;
            break;
        case 'n':
            rec->no_follow = 1;
            break;
        case 'P':
            if (parse_rate(optarg, &rec->profile) != 0)
                return 2;
            break;
        case 'A':
            rec->all_blocks = 1;
            break;
        default:
            return hk_usage(usage_text, c == 'h');
        }
    }
    if (optind >= argc) {
        hk_say("record", "expected a PROGRAM to run (see --help)");
        return 2;
    }
    if (rec->all_blocks && !rec->profile)
        rec->profile = PROFILE_RATE;
    rec->argv = argv + optind;
    return -1;
}

/* PROGRAM as execvp would find it; 0, or the errno execvp would fail with. */
static int find_program(const char *name, char *out, size_t len)
{
    if (!name || !*name)
        return ENOENT;
    if (strchr(name, '/')) {
        snprintf(out, len, "%s", name);
        return access(name, X_OK) == 0 ? 0 : errno;
    }
    const char *path = getenv("PATH");
    int err = ENOENT;
    for (const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; p;) {
        const char *colon = strchr(p, ':');
        int dirlen = colon ? (int)(colon - p) : (int)strlen(p);
        snprintf(out, len, "%.*s%s%s", dirlen, p, dirlen ? "/" : "", name);
        struct stat st;
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            err = EACCES;
        }
        p = colon ? colon + 1 : NULL;
    }
    return err;
}

/* 1 for the HAKMEM_* variables record sets itself (and the tools' own). */
static int record_var(const char *e)
{
    static const char *const ours[] = { "HAKMEM_TRACE=", "HAKMEM_TRACE_KEEP=", "HAKMEM_LIB_PATH=",
                                        "HAKMEM_TRACE_RECORDER=", "HAKMEM_TRACE_ONLY=",
                                        "HAKMEM_DEBUG_CACHE=" };
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        if (strncmp(e, ours[i], strlen(ours[i])) == 0)
            return 1;
    return hk_trace_setting(e);
}

/* The HAKMEM_* settings PROGRAM runs with, for runs.options; each run adds
 * the trace mode, ring capacity and stacks its image ran with. */
static void describe_options(struct record *rec)
{
    size_t n = 0;
    rec->options[0] = '\0';
    for (char **e = environ; *e && n < sizeof rec->options - 1; e++)
        if (strncmp(*e, "HAKMEM_", 7) == 0 && !record_var(*e))
            n += (size_t)snprintf(rec->options + n, sizeof rec->options - n, "%s%s", n ? " " : "",
                                  *e);
}

/* Sets what the child needs in its environment (called in the child). */
static void child_env(const struct record *rec)
{
    const char *old = getenv("LD_PRELOAD");
    char preload[2 * PATH_MAX];
    snprintf(preload, sizeof preload, "%s%s%s", rec->lib, old && *old ? ":" : "", old ? old : "");
    setenv("LD_PRELOAD", preload, 1);
    unsetenv("HAKMEM_LIB_PATH"); /* ours, not an allocator option */
    /* every process of the tree traces into /dev/shm/hakmem.<its pid>, kept
     * until we have drained it, and names us in its header */
    char n[32];
    setenv("HAKMEM_TRACE", "1", 1);
    setenv("HAKMEM_TRACE_KEEP", "1", 1);
    snprintf(n, sizeof n, "%d", (int)rec->recorder);
    setenv("HAKMEM_TRACE_RECORDER", n, 1);
    snprintf(n, sizeof n, "%d", (int)getpid());
    if (rec->no_follow)
        setenv("HAKMEM_TRACE_ONLY", n, 1);
    else
        unsetenv("HAKMEM_TRACE_ONLY");
    if (rec->mode)
        setenv("HAKMEM_TRACE_MODE", rec->mode, 1);
    if (rec->events) {
        snprintf(n, sizeof n, "%llu", (unsigned long long)rec->events);
        setenv("HAKMEM_TRACE_EVENTS", n, 1);
    }
    if (rec->stacks || rec->profile)
        setenv("HAKMEM_TRACE_STACKS", "1", 1);
    if (rec->profile) {
        snprintf(n, sizeof n, "%llu", (unsigned long long)rec->profile);
        setenv("HAKMEM_PROFILE", "1", 1);
        setenv("HAKMEM_PROFILE_RATE", n, 1);
        setenv("HAKMEM_PROFILE_SITES", "1", 0); /* site tags, unless the caller said 0 */
        /* a profile that missed events would misplace bytes: a full ring makes the
         * program wait for the recorder (up to 1 s without progress), as a pipe would */
        setenv("HAKMEM_TRACE_WAIT", "1000", 0);
    }
}

/* The child: waits for the go (the database is open), then execs PROGRAM;
 * an exec failure goes back to the parent as an errno on errfd. */
static void child_main(const struct record *rec, const int gate[2], const int errp[2])
{
    close(gate[1]); /* else our own copy keeps the gate open */
    close(errp[0]);
    char go;
    ssize_t n;
    do
        n = read(gate[0], &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(127); /* the parent gave up */
    child_env(rec);
    /* a shell starts background jobs with SIGINT ignored; the signals we pass
     * on must reach PROGRAM */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(rec->argv[0], rec->argv);
    int e = errno;
    ssize_t w = write(errp[1], &e, sizeof e);
    (void)w;
    _exit(e == ENOENT ? 127 : 126);
}

/* 1 once PROGRAM is reaped; 2 when no other process of its tree is left
 * either (orphans come to us: record is their subreaper), so no segment can
 * still appear. Reaps the orphans that exited. */
static int session_finished(struct hk_session *s)
{
    struct record *rec = s->ctx;
    int st, left = 1;
    for (;;) {
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p == rec->child) {
            rec->reaped = 1;
            rec->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        } else if (p < 0 && errno == EINTR) {
            continue;
        } else if (p <= 0) {
            left = p == 0;
            if (p < 0 && !rec->reaped) { /* not ours to wait for any more */
                rec->reaped = 1;
                rec->status = -1;
            }
            break;
        }
    }
    s->exit_status = rec->status;
    return rec->reaped ? 2 - left : 0;
}

static void remove_db(const char *path)
{
    char side[PATH_MAX + 8];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-journal", path);
    unlink(side);
}

/* Starts the child held at its gate; opens the database; lets it go. Returns
 * the database, or NULL with *rc the exit status to give. */
static sqlite3 *start(struct record *rec, int *created, int *rc)
{
    int gate[2], errp[2];
    char err[HK_ERR_MAX];
    if (pipe2(gate, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        hk_say("record", "cannot create a pipe: %s", strerror(errno));
        *rc = 1;
        return NULL;
    }
    fflush(NULL);
    /* orphans of the tree become our children: when none is left the tree is done */
    (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
    rec->child = fork();
    if (rec->child < 0) {
        hk_say("record", "cannot fork: %s", strerror(errno));
        *rc = 1;
        return NULL;
    }
    if (rec->child == 0)
        child_main(rec, gate, errp);
    close(gate[0]);
    close(errp[1]);
    if (!rec->out)
        snprintf(rec->dbpath, sizeof rec->dbpath, "hakmem-%s-%d.db", hk_basename(rec->argv[0]),
                 (int)rec->child);
    else
        snprintf(rec->dbpath, sizeof rec->dbpath, "%s", rec->out);
    struct stat st; /* a dangling symlink is not ours to remove */
    *created = lstat(rec->dbpath, &st) != 0 && errno == ENOENT;
    sqlite3 *db = hk_db_open_write(rec->dbpath, 1, err, sizeof err);
    if (db && write(gate[1], "g", 1) != 1) {
        hk_db_close(db);
        db = NULL;
        snprintf(err, sizeof err, "cannot start %s: %s", rec->argv[0], strerror(errno));
    }
    close(gate[1]); /* without the go byte the child exits 127 */
    int e = 0;
    ssize_t n;
    do
        n = read(errp[0], &e, sizeof e);
    while (n < 0 && errno == EINTR);
    close(errp[0]);
    if (db && n == (ssize_t)sizeof e) {
        snprintf(err, sizeof err, "cannot run %s: %s", rec->argv[0], strerror(e));
        hk_db_close(db);
        db = NULL;
    }
    if (!db) {
        hk_say("record", "%s", err);
        waitpid(rec->child, NULL, 0);
        if (*created)
            remove_db(rec->dbpath);
        *rc = n == (ssize_t)sizeof e ? (e == ENOENT ? 127 : 126) : 1;
    }
    return db;
}

/* A heap profile preloads the profiling twin beside lib (libhakmem-profile.so,
 * whose malloc stores site tags on its fast path) when there is one. */
static void profile_twin(char *lib, size_t size)
{
    char twin[PATH_MAX];
    const char *slash = strrchr(lib, '/');
    int dir = slash ? (int)(slash - lib) + 1 : 0;
    if (snprintf(twin, sizeof twin, "%.*slibhakmem-profile.so", dir, lib) < (int)sizeof twin &&
        access(twin, R_OK) == 0)
        snprintf(lib, size, "%s", twin);
}

static int record(struct record *rec)
{
    const char *lib = getenv("HAKMEM_LIB_PATH");
    snprintf(rec->lib, sizeof rec->lib, "%s", lib && *lib ? lib : HK_LIBDIR "/libhakmem.so");
    if (rec->profile)
        profile_twin(rec->lib, sizeof rec->lib);
    if (access(rec->lib, R_OK) != 0) {
        hk_say("record", "cannot read libhakmem at %s: %s (set HAKMEM_LIB_PATH)", rec->lib,
               strerror(errno));
        return 1;
    }
    int e = find_program(rec->argv[0], rec->prog, sizeof rec->prog);
    if (e) {
        hk_say("record", "%s: %s", rec->argv[0],
               e == ENOENT && !strchr(rec->argv[0], '/') ? "command not found" : strerror(e));
        return e == ENOENT ? 127 : 126;
    }
    rec->recorder = getpid();
    hk_ls_clean_recorders(); /* what killed recorders left behind */
    describe_options(rec);
    /* a bigger ring than the allocator's default absorbs bursts while the
     * recorder shares the CPUs with the program (runs.ring_capacity says it) */
    if (!rec->events && !getenv("HAKMEM_TRACE_EVENTS"))
        rec->events = rec->profile ? RECORD_PROFILE_EVENTS : RECORD_EVENTS;
    int created = 0, rc = 0;
    sqlite3 *db = start(rec, &created, &rc);
    if (!db)
        return rc;
    hk_session_signals(rec->child);
    struct hk_session s = { .db = db, .dbpath = rec->dbpath, .source = "record", .verb = "recorded",
                            .options = rec->options, .finished = session_finished, .ctx = rec,
                            .root = rec->child, .unlink = 1, .exit_status = -1,
                            .all_blocks = rec->all_blocks };
    hk_follow_init(&s.follow, NULL, rec->child, rec->recorder);
    char err[HK_ERR_MAX];
    int failed = hk_session_run(&s, err, sizeof err) != 0;
    if (failed)
        hk_say("record", "%s", err);
    hk_follow_unlink(&s.follow);
    hk_follow_free(&s.follow);
    if (hk_db_finish(db, err, sizeof err) != 0) {
        hk_say("record", "%s", err);
        failed = 1;
    }
    if (!s.runs && !failed) {
        hk_say("record", "%s was not traced: no trace segment appeared (statically linked? "
               "setuid? libhakmem not loaded from %s?)", rec->argv[0], rec->lib);
        if (created)
            remove_db(rec->dbpath);
    }
    int sig = hk_session_signal(NULL);
    if (!rec->reaped) { /* stopped by a second signal, or by an error */
        hk_say("record", "%s (pid %d) goes on untraced", rec->argv[0], (int)rec->child);
        return failed || !sig ? 1 : 128 + sig;
    }
    return failed && rec->status == 0 ? 1 : rec->status;
}

int hk_cmd_record(int argc, char **argv)
{
    struct record rec;
    memset(&rec, 0, sizeof rec);
    int rc = parse(argc, argv, &rec);
    if (rc >= 0)
        return rc;
    return record(&rec);
}
