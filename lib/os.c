/* os.c — memory from the kernel (plain and aligned mappings), the monotonic
 * clock, thread ids and helper threads: the allocator's only system calls. */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

size_t hk_page_size = 4096;

void *hk_os_map(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void hk_os_unmap(void *p, size_t len)
{
    int saved = errno;
    munmap(p, len);
    errno = saved;
}

/* Gives the pages of [p, p+len) (page-aligned) back: they stay mapped and
 * read as zero when touched again, and stop counting as resident. */
void hk_os_purge(void *p, size_t len)
{
    int saved = errno;
    madvise(p, len, MADV_DONTNEED);
    errno = saved;
}

/* Where the next aligned mapping probably fits: mmap grows downwards, so
 * just below the previous one. A hint only: MAP_FIXED_NOREPLACE refuses an
 * occupied range and we fall back to over-mapping and trimming. */
static _Atomic uintptr_t os_hint;

static void *map_at_hint(size_t len, size_t align)
{
    uintptr_t hint = atomic_load_explicit(&os_hint, memory_order_relaxed);
    if (hint <= len + align)
        return NULL;
    void *want = (void *)((hint - len) & ~(uintptr_t)(align - 1));
    void *p = mmap(want, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (p != want) { /* old kernels treat the flag as a hint */
        munmap(p, len);
        return NULL;
    }
    return p;
}

/* A mapping of len bytes (a multiple of the page size) aligned to align (a
 * power of two >= 2 MiB). *trimmed tells whether it took the over-map and
 * trim path (three system calls instead of one). */
void *hk_os_map_aligned(size_t len, size_t align, bool *trimmed)
{
    int saved = errno;
    *trimmed = false;
    void *p = map_at_hint(len, align);
    if (!p) {
        size_t over = len + align;
        if (over < len)
            return NULL;
        char *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED) {
            errno = ENOMEM;
            return NULL;
        }
        uintptr_t start = ((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1);
        size_t head = start - (uintptr_t)raw, tail = over - head - len;
        if (head)
            munmap(raw, head);
        if (tail)
            munmap((char *)start + len, tail);
        p = (void *)start;
        *trimmed = true;
    }
    atomic_store_explicit(&os_hint, (uintptr_t)p, memory_order_relaxed);
    errno = saved;
    return p;
}

uint64_t hk_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t hk_gettid(void)
{
    return (uint32_t)syscall(SYS_gettid);
}

bool hk_os_thread(void *(*fn)(void *))
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t t;
    hk_profile_hold(true); /* its descriptor and TLS are hakmem's allocations, not a site's */
    int rc = pthread_create(&t, &attr, fn, NULL);
    hk_profile_hold(false);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0;
}
