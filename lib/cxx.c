/* cxx.c — the C++ allocation operators (new, new[], delete, delete[]: plain,
 * sized, nothrow, aligned) on hakmem's heap, so that HAKMEM_CHECK=2 can tell a
 * free() of a new[] block or a delete of a malloc() block. */
#include <dlfcn.h>
#include <stdlib.h>
#include "heapcheck.h"

/* C++ requires an exception (or the new-handler loop) when memory runs out,
 * which C cannot raise: a failed allocation is handed to the next definition
 * of the same operator (libstdc++'s), which calls malloc again, runs the
 * new-handler and throws std::bad_alloc. */
static void *next_sym(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) {
        hk_log("hakmem: out of memory in %s and no C++ runtime to throw std::bad_alloc\n", name);
        abort();
    }
    return f;
}

static void *tagged(void *p, unsigned api)
{
    if (hk_debug)
        hk_rz_set_api(p, api);
    return p;
}

/* ra: the program's call of the operator, its site for site tags. */
static inline __attribute__((always_inline)) void *new_plain(size_t n, unsigned api, void *ra)
{
    return tagged(HK_UNLIKELY(hk_sites_on) ? hk_sites_malloc_at(n, ra) : malloc(n), api);
}

static void *new_aligned(size_t n, size_t align, unsigned api)
{
    void *p = NULL;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, n) != 0)
        return NULL;
    return tagged(p, api);
}

static void del(void *p, unsigned api, const char *op)
{
    if (hk_debug)
        hk_rz_free_api(p, api, op);
    else
        free(p);
}

/* operator new(size_t) and new[](size_t) */
HK_EXPORT void *_Znwm(size_t n)
{
    void *p = new_plain(n, HK_API_NEW, __builtin_return_address(0));
    return p ? p : ((void *(*)(size_t))next_sym("_Znwm"))(n);
}

HK_EXPORT void *_Znam(size_t n)
{
    void *p = new_plain(n, HK_API_NEW_ARRAY, __builtin_return_address(0));
    return p ? p : ((void *(*)(size_t))next_sym("_Znam"))(n);
}

/* nothrow */
HK_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt)
{
    void *p = new_plain(n, HK_API_NEW, __builtin_return_address(0));
    return p ? p : ((void *(*)(size_t, const void *))next_sym("_ZnwmRKSt9nothrow_t"))(n, nt);
}

HK_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *nt)
{
    void *p = new_plain(n, HK_API_NEW_ARRAY, __builtin_return_address(0));
    return p ? p : ((void *(*)(size_t, const void *))next_sym("_ZnamRKSt9nothrow_t"))(n, nt);
}

/* aligned (C++17) */
HK_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t al)
{
    void *p = new_aligned(n, al, HK_API_NEW);
    return p ? p : ((void *(*)(size_t, size_t))next_sym("_ZnwmSt11align_val_t"))(n, al);
}

HK_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t al)
{
    void *p = new_aligned(n, al, HK_API_NEW_ARRAY);
    return p ? p : ((void *(*)(size_t, size_t))next_sym("_ZnamSt11align_val_t"))(n, al);
}

HK_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
    void *p = new_aligned(n, al, HK_API_NEW);
    return p ? p
             : ((void *(*)(size_t, size_t, const void *))next_sym("_ZnwmSt11align_val_tRKSt9nothrow_t"))(
                   n, al, nt);
}

HK_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
    void *p = new_aligned(n, al, HK_API_NEW_ARRAY);
    return p ? p
             : ((void *(*)(size_t, size_t, const void *))next_sym("_ZnamSt11align_val_tRKSt9nothrow_t"))(
                   n, al, nt);
}

/* operator delete and delete[]: plain, sized, nothrow, aligned */
HK_EXPORT void _ZdlPv(void *p) { del(p, HK_API_NEW, "operator delete"); }
HK_EXPORT void _ZdaPv(void *p) { del(p, HK_API_NEW_ARRAY, "operator delete[]"); }
HK_EXPORT void _ZdlPvm(void *p, size_t n) { (void)n; del(p, HK_API_NEW, "operator delete"); }
HK_EXPORT void _ZdaPvm(void *p, size_t n) { (void)n; del(p, HK_API_NEW_ARRAY, "operator delete[]"); }
HK_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, const void *nt) { (void)nt; del(p, HK_API_NEW, "operator delete"); }
HK_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, const void *nt) { (void)nt; del(p, HK_API_NEW_ARRAY, "operator delete[]"); }
HK_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t al) { (void)al; del(p, HK_API_NEW, "operator delete"); }
HK_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t al) { (void)al; del(p, HK_API_NEW_ARRAY, "operator delete[]"); }
HK_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    (void)n, (void)al;
    del(p, HK_API_NEW, "operator delete");
}
HK_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    (void)n, (void)al;
    del(p, HK_API_NEW_ARRAY, "operator delete[]");
}
HK_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    (void)al, (void)nt;
    del(p, HK_API_NEW, "operator delete");
}
HK_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    (void)al, (void)nt;
    del(p, HK_API_NEW_ARRAY, "operator delete[]");
}
