/* main.c — hakmem-trace: the command table, top-level help and dispatch to
 * one function per command (record, attach, ingest, ls, query, report, profile, ...). */
#include <stdio.h>
#include <string.h>
#include "cli.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "record", hk_cmd_record, "run a program with libhakmem and record its events" },
    { "attach", hk_cmd_attach, "record a traced process that is already running" },
    { "ingest", hk_cmd_ingest, "import a segment kept with HAKMEM_TRACE_KEEP=1" },
    { "ls", hk_cmd_ls, "list traced processes (segments in /dev/shm)" },
    { "query", hk_cmd_query, "run SQL or a named query on a trace database (read-only)" },
    { "report", hk_cmd_report, "the seed's evidence and a verdict for one run" },
    { "profile", hk_cmd_profile, "a run's heap profile: top call sites, leaks, pins" },
    { "diff", hk_cmd_diff, "two runs' report numbers side by side (and call sites, if profiled)" },
    { "export", hk_cmd_export, "a run as Chrome JSON; its heap profile as pprof, folded stacks, speedscope" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: %s COMMAND [ARGS...]\n\ncommands:\n", HK_PROG);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n%s COMMAND --help shows a command's options; man hakmem-trace has it all.\n",
            HK_PROG);
}

int main(int argc, char **argv)
{
    /* no global memory statistics: one mutex less on every SQLite allocation */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (hk_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("%s %s (trace schema %d)\n", HK_PROG, PACKAGE_VERSION, HK_SCHEMA_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    hk_say(NULL, "unknown command '%s' (try %s --help)", argv[1], HK_PROG);
    return 2;
}
