/* nomarkers.c — a preload for the tests: madvise refuses guard markers
 * (MADV_GUARD_INSTALL, MADV_GUARD_REMOVE) as a kernel before 6.13 does, so
 * that level 3 runs its PROT_NONE path on any kernel. */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>

int madvise(void *addr, size_t len, int advice);

int madvise(void *addr, size_t len, int advice)
{
    static int (*real)(void *, size_t, int);
    if (advice == 102 || advice == 103) { /* MADV_GUARD_INSTALL, MADV_GUARD_REMOVE */
        errno = EINVAL;
        return -1;
    }
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "madvise");
    return real ? real(addr, len, advice) : (errno = ENOSYS, -1);
}
