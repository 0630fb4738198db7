/* segv_order.c — test workload: a program with a SIGSEGV handler of its own,
 * installed before hakmem's (hakmem loaded later with dlopen) or after it
 * (preloaded), and faults of both kinds: on a page of the program's own (its
 * handler must get it: "own handler", exit 5) and past a guarded block
 * (hakmem's report). A thread's stack overflow must reach the program's
 * handler too, on the alternate stack hakmem gives each thread.
 *
 * segv_order MODE [LIBHAKMEM]
 *   before_own LIB | before_guard LIB   handler, then dlopen(LIB), then the fault
 *   after_own | after_guard             (under LD_PRELOAD) hakmem, then the handler
 *   after_own_signal                    the same, the handler set by signal()
 *   after_own_none                      no handler: the default action
 *   overflow_handler | overflow_none    a thread overflows its stack
 *   own_altstack                        a thread's own alternate stack, set
 *                                       before its first malloc, stays (exit 0) */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void own_handler(int sig)
{
    (void)sig;
    static const char msg[] = "own handler\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        _exit(6);
    _exit(5);
}

static void install_own(int flags)
{
    struct sigaction sa = { .sa_handler = own_handler, .sa_flags = flags };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
}

static void own_fault(void)
{
    char *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page != MAP_FAILED)
        ((volatile char *)page)[8] = 1;
}

/* One byte past a 4096-byte block of malloc m: its guard page when sampled. */
static void guard_fault(void *(*m)(size_t))
{
    volatile char *p = m(4096);
    p[4096] = 1;
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
#pragma GCC diagnostic ignored "-Warray-bounds"
static int depth(int n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return depth(n + 1) + pad[0];
}

static void *overflow(void *arg)
{
    (void)arg;
    free(malloc(64)); /* hakmem meets the thread: its alternate stack */
    printf("%d\n", depth(0));
    return NULL;
}

/* A thread that sets its own alternate stack, then allocates: exit 7 when
 * hakmem replaced it, 8 when it disabled it. */
static void *own_altstack(void *arg)
{
    static char mine[65536];
    stack_t ss = { .ss_sp = mine, .ss_size = sizeof mine }, cur;
    if (sigaltstack(&ss, NULL) != 0)
        return (void *)3;
    free(malloc(64));
    if (sigaltstack(NULL, &cur) != 0 || (cur.ss_flags & SS_DISABLE))
        return (void *)8;
    (void)arg;
    return cur.ss_sp == mine ? NULL : (void *)7;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IONBF, 0);
    if (strncmp(mode, "before_", 7) == 0) {
        install_own(0);
        void *h = argc > 2 ? dlopen(argv[2], RTLD_NOW | RTLD_LOCAL) : NULL;
        void *(*m)(size_t) = h ? (void *(*)(size_t))dlsym(h, "malloc") : NULL;
        if (!m) {
            fprintf(stderr, "segv_order: cannot load %s: %s\n", argc > 2 ? argv[2] : "(none)", dlerror());
            return 2;
        }
        if (strcmp(mode, "before_guard") == 0)
            guard_fault(m);
        else
            own_fault();
    } else if (strncmp(mode, "after_", 6) == 0) {
        free(malloc(16)); /* hakmem started */
        if (strcmp(mode, "after_own_signal") == 0)
            signal(SIGSEGV, own_handler);
        else if (strcmp(mode, "after_own_none") != 0)
            install_own(0);
        if (strcmp(mode, "after_guard") == 0)
            guard_fault(malloc);
        else
            own_fault();
    } else if (strcmp(mode, "own_altstack") == 0) {
        pthread_t t;
        void *rc = NULL;
        if (pthread_create(&t, NULL, own_altstack, NULL) != 0)
            return 3;
        pthread_join(t, &rc);
        if (rc)
            return (int)(intptr_t)rc;
    } else if (strncmp(mode, "overflow_", 9) == 0) {
        if (strcmp(mode, "overflow_handler") == 0)
            install_own(SA_ONSTACK);
        pthread_t t;
        if (pthread_create(&t, NULL, overflow, NULL) != 0)
            return 3;
        pthread_join(t, NULL);
    } else {
        fprintf(stderr, "usage: segv_order before_own|before_guard LIB | after_own|after_guard | "
                        "overflow_handler|overflow_none | own_altstack\n");
        return 2;
    }
    puts("after");
    return 0;
}
