/* check_symtab.c — unit tests of lib/symtab.c and lib/lineinfo.c, the
 * readers behind heap-error reports: a static function of this very program
 * named from its .symtab and placed at its source line by its .debug_line;
 * missing, non-ELF and truncated files give nothing. */
#include <check.h>
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "unit_main.h"

/* Its code is on the next 4 lines (the prologue's line depends on the flags). */
static const unsigned marker_line = __LINE__ + 1;
static __attribute__((noipa)) int symtab_static_marker(int x)
{
    return x * 7 + 3;
}

/* The marker's address in this program's file, and the file. */
static uint64_t marker_vaddr(void)
{
    int (*volatile fn)(int) = symtab_static_marker;
    ck_assert_int_eq(fn(1), 10);
    Dl_info di;
    struct link_map *lm = NULL;
    ck_assert_msg(dladdr1((void *)fn, &di, (void **)&lm, RTLD_DL_LINKMAP) && lm, "dladdr1 failed");
    return (uint64_t)((uintptr_t)fn - lm->l_addr);
}

START_TEST(names_a_static_function)
{
    uint64_t vaddr = marker_vaddr(), start = 0;
    char name[64];
    ck_assert_msg(hk_symtab_find("/proc/self/exe", vaddr + 4, name, sizeof name, &start),
                  "symtab_static_marker at 0x%llx: not found", (unsigned long long)vaddr);
    ck_assert_msg(strcmp(name, "symtab_static_marker") == 0, "expected symtab_static_marker, got %s", name);
    ck_assert_msg(start == vaddr, "start: expected 0x%llx, got 0x%llx", (unsigned long long)vaddr,
                  (unsigned long long)start);
    char small[7];
    ck_assert_msg(hk_symtab_find("/proc/self/exe", vaddr + 4, small, sizeof small, &start) &&
                      strcmp(small, "symtab") == 0, "truncated to the buffer: expected \"symtab\", got \"%s\"", small);
}
END_TEST

START_TEST(finds_its_line)
{
    uint64_t vaddr = marker_vaddr();
    char file[256];
    unsigned line = 0;
    ck_assert_msg(hk_lineinfo_find("/proc/self/exe", vaddr + 4, file, sizeof file, &line),
                  "no line for 0x%llx (built without -g?)", (unsigned long long)vaddr);
    const char *base = strrchr(file, '/');
    ck_assert_msg(strcmp(base ? base + 1 : file, "check_symtab.c") == 0, "file: expected check_symtab.c, got %s", file);
    ck_assert_msg(line >= marker_line && line <= marker_line + 3, "line: expected %u..%u, got %u", marker_line,
                  marker_line + 3, line);
}
END_TEST

START_TEST(bad_files_give_nothing)
{
    char path[] = "/tmp/hk-check-symtab.XXXXXX", name[64], file[64];
    uint64_t start;
    unsigned line;
    int fd = mkstemp(path);
    ck_assert_msg(fd >= 0, "mkstemp failed");
    static const char head[] = "\177ELF\2\1\1 and nothing after: no section headers";
    ck_assert_msg(write(fd, head, sizeof head) == (ssize_t)sizeof head, "write failed");
    close(fd);
    const char *bad[] = { "/nonexistent/lib.so", "/etc/hostname", "/proc/self", path, "", NULL };
    for (int i = 0; i < 6; i++) {
        ck_assert_msg(!hk_symtab_find(bad[i], 0x1000, name, sizeof name, &start), "symtab of %s: expected nothing", bad[i]);
        ck_assert_msg(!hk_lineinfo_find(bad[i], 0x1000, file, sizeof file, &line), "lines of %s: expected nothing", bad[i]);
    }
    unlink(path);
}
END_TEST

static Suite *symtab_suite(void)
{
    Suite *s = suite_create("symtab");
    TCase *tc = tcase_create("symtab");
    tcase_add_test(tc, names_a_static_function);
    tcase_add_test(tc, finds_its_line);
    tcase_add_test(tc, bad_files_give_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return unit_main(symtab_suite);
}
