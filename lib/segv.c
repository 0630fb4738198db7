/* segv.c — hakmem's SIGSEGV handler (guard pages and sampled guards): first
 * in line even when the program installs its own, which gets every fault
 * that is not hakmem's, and an alternate signal stack for every thread.
 *
 * The program's sigaction() and signal() for SIGSEGV, once hakmem's handler
 * is in, set the handler faults are passed on to instead of replacing
 * hakmem's (and report that one as the old one), so the order in which the
 * two are installed does not matter. Each thread gets an alternate stack at
 * its first allocation (heap.c, guard.c), from a pool the exiting threads
 * give theirs back to (a key's destructor), so a stack overflow still
 * reaches a handler that passes it on. */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include "heapcheck.h"

#define ALT_STACK ((size_t)64 << 10) /* usable bytes of an alternate stack */

/* libc's own sigaction (exported for this purpose). */
extern int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

static bool installed;
static struct sigaction prev; /* the program's: where faults not hakmem's go */

/* ---- passing a fault on */

static void set_default(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    __sigaction(sig, &dfl, NULL);
}

/* A fault that is not hakmem's: the program's handler, as the kernel would
 * have run it (its mask, SA_NODEFER, SA_RESETHAND), or the default action. */
static void pass_on(int sig, siginfo_t *si, void *ctx)
{
    struct sigaction h = prev;
    bool has = (h.sa_flags & SA_SIGINFO) || (h.sa_handler != SIG_DFL && h.sa_handler != SIG_IGN);
    if (!has) {
        /* the default action: the access runs again and kills the process */
        set_default(sig);
        return;
    }
    if (h.sa_flags & SA_RESETHAND) {
        prev.sa_flags &= ~SA_SIGINFO;
        prev.sa_handler = SIG_DFL;
    }
    sigset_t mask = h.sa_mask;
    if (!(h.sa_flags & SA_NODEFER))
        sigaddset(&mask, sig);
    else
        sigdelset(&mask, sig);
    pthread_sigmask(SIG_SETMASK, &mask, NULL); /* the kernel restores the old one after */
    if (h.sa_flags & SA_SIGINFO)
        h.sa_sigaction(sig, si, ctx);
    else
        h.sa_handler(sig);
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    int saved = errno;
    bool write = ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_ERR] & 2;
    if (si->si_code <= 0 || !hk_guard_fault(si->si_addr, write)) {
        pass_on(sig, si, ctx);
    } else {
        /* HAKMEM_ON_ERROR=report: a faulting access cannot go on; re-raised */
        set_default(sig);
    }
    errno = saved;
}

/* ---- alternate stacks: one per thread, from a pool */

struct alt {
    struct alt *next;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct alt *pool;
static pthread_key_t alt_key; /* its destructor gives a thread's stack back */
static __thread bool alt_tried;

static void give_alt(void *st)
{
    struct alt *a = st;
    pthread_mutex_lock(&pool_lock);
    a->next = pool;
    pool = a;
    pthread_mutex_unlock(&pool_lock);
}

/* A stack of ALT_STACK bytes above a PROT_NONE page (an overflow of the
 * handler's own stack traps instead of writing below it), from the pool. */
static void *take_alt(void)
{
    pthread_mutex_lock(&pool_lock);
    struct alt *a = pool;
    if (a)
        pool = a->next;
    pthread_mutex_unlock(&pool_lock);
    if (a)
        return a;
    char *m = hk_os_map(ALT_STACK + hk_page_size);
    if (!m)
        return NULL;
    mprotect(m, hk_page_size, PROT_NONE);
    return m + hk_page_size;
}

/* One system call at each end of a thread (short-lived threads pay them):
 * set, reading the old one back, and put the program's back in the rare case
 * it had its own; at exit, disable, reading back what it was. */
void hk_segv_thread_start(void)
{
    stack_t old;
    if (!installed || alt_tried)
        return;
    alt_tried = true; /* first: pthread_setspecific may allocate */
    void *st = take_alt();
    if (!st)
        return;
    stack_t ss = { .ss_sp = st, .ss_size = ALT_STACK };
    if (sigaltstack(&ss, &old) != 0) {
        give_alt(st);
        return;
    }
    if (!(old.ss_flags & SS_DISABLE)) { /* the program's own stack is kept */
        sigaltstack(&old, NULL);
        give_alt(st);
        return;
    }
    pthread_setspecific(alt_key, st);
}

/* The exiting thread's stack back to the pool, unless the thread runs on it
 * (the kernel then refuses to disable it). Whatever stack the thread had by
 * now is disabled with it: the thread is exiting. */
static void thread_exit(void *st)
{
    stack_t off = { .ss_flags = SS_DISABLE }, cur;
    if (sigaltstack(&off, &cur) != 0)
        return;
    if (cur.ss_sp != st && !(cur.ss_flags & SS_DISABLE))
        sigaltstack(&cur, NULL); /* the program's, set since: kept */
    give_alt(st);
}

void hk_segv_atfork_prepare(void)
{
    pthread_mutex_lock(&pool_lock);
}

void hk_segv_atfork_release(void)
{
    pthread_mutex_unlock(&pool_lock);
}

void hk_segv_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    if (pthread_key_create(&alt_key, thread_exit) != 0 || __sigaction(SIGSEGV, &sa, &prev) != 0)
        return;
    installed = true;
    hk_segv_thread_start();
}

/* ---- the program's handler for SIGSEGV, once hakmem's is in */

HK_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (sig != SIGSEGV || !installed)
        return __sigaction(sig, act, old);
    struct sigaction was = prev;
    if (act)
        prev = *act;
    if (old)
        *old = was;
    return 0;
}

/* signal() for SIGSEGV as glibc's (BSD semantics: SA_RESTART, the signal
 * blocked in its handler); other signals go to libc's own. */
static __sighandler_t set_handler(int sig, __sighandler_t handler, const char *name)
{
    if (sig != SIGSEGV || !installed) {
        static __sighandler_t (*libc_signal)(int, __sighandler_t);
        if (!libc_signal && !(libc_signal = (__sighandler_t (*)(int, __sighandler_t))dlsym(RTLD_NEXT, name))) {
            errno = EINVAL;
            return SIG_ERR;
        }
        return libc_signal(sig, handler);
    }
    if (handler == SIG_ERR) {
        errno = EINVAL;
        return SIG_ERR;
    }
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, sig);
    sa.sa_flags = SA_RESTART;
    sigaction(sig, &sa, &old);
    return old.sa_handler;
}

HK_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
    return set_handler(sig, handler, "signal");
}

HK_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler);
HK_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
    return set_handler(sig, handler, "bsd_signal");
}
