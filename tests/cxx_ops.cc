// cxx_ops.cc — test workload for the C++ operators on hakmem (tests/integration/cxx.sh,
// compiled there when g++ is present). "ok": containers, new/delete in every form,
// aligned and nothrow new, std::bad_alloc; the others commit one alloc-dealloc mismatch.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>

static void *volatile sink;

template <class T> static T *opaque(T *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

struct alignas(64) Wide {
    char b[64];
};

static int ok()
{
    std::vector<std::string> v;
    std::map<int, std::string> m;
    for (int i = 0; i < 20000; i++) {
        v.push_back(std::to_string(i) + std::string(static_cast<size_t>(i % 300), 'x'));
        m[i] = v.back();
    }
    for (int i = 0; i < 20000; i += 7)
        if (m[i] != v[static_cast<size_t>(i)])
            return 1;
    int *one = new int(7);
    int *arr = new int[1000];
    for (int i = 0; i < 1000; i++)
        arr[i] = i;
    Wide *w = new Wide;
    Wide *ws = new Wide[9];
    if ((reinterpret_cast<uintptr_t>(w) & 63) || (reinterpret_cast<uintptr_t>(ws) & 63))
        return 2;
    int *nt = new (std::nothrow) int[10];
    if (!nt || *one != 7 || arr[999] != 999)
        return 3;
    delete one;
    delete[] arr;
    delete w;
    delete[] ws;
    delete[] nt;
    bool caught = false;
    try {
        size_t huge = static_cast<size_t>(1) << 50; // more than the machine has
        sink = new char[huge];
    } catch (const std::bad_alloc &) {
        caught = true;
    }
    if (!caught)
        return 4;
    if (new (std::nothrow) char[static_cast<size_t>(1) << 50] != nullptr)
        return 5;
    return 0;
}

int main(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "ok";
    if (!strcmp(kind, "ok")) {
        int rc = ok();
        std::printf(rc ? "cxx failed at step %d\n" : "cxx ok\n", rc);
        return rc;
    }
    if (!strcmp(kind, "free_new_array"))
        std::free(opaque(new int[8]));
    else if (!strcmp(kind, "delete_malloc"))
        delete opaque(static_cast<int *>(std::malloc(sizeof(int))));
    else if (!strcmp(kind, "delete_new_array"))
        delete opaque(new int[8]);
    else
        return 2;
    std::vector<int> after(10000, 1); // the heap still works
    std::printf("after %d\n", after[9999]);
    return 0;
}
