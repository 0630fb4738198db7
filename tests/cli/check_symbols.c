/* check_symbols.c — unit tests of cli/symbols.c: a function of this very
 * program found from its file offset; unknown and damaged modules give NULL. */
#include "unit.h"

__attribute__((noinline)) int unit_marker_function(int x)
{
    return x * 3 + 1;
}

/* The module and file offset of addr, from /proc/self/maps. */
static int locate(const void *addr, char *module, size_t len, uint64_t *off)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    uintptr_t a = (uintptr_t)addr;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long start, end, foff;
        char perms[8], path[512] = "";
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %511s", &start, &end, perms, &foff, path) >= 4 &&
            a >= start && a < end) {
            snprintf(module, len, "%s", path);
            *off = a - start + foff;
            found = 1;
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

START_TEST(finds_its_own_function)
{
    char module[512];
    uint64_t off;
    ck_assert_int_eq(unit_marker_function(1), 4);
    ck_assert_int_eq(locate((const void *)unit_marker_function, module, sizeof module, &off), 0);
    struct hk_symbols *s = hk_symbols_new();
    const char *fn = hk_symbols_find(s, module, off + 2);
    ck_assert_msg(fn && strcmp(fn, "unit_marker_function") == 0,
                  "%s + 0x%llx: expected unit_marker_function, got %s", module,
                  (unsigned long long)off, fn ? fn : "NULL");
    fn = hk_symbols_find(s, module, off); /* the second look is cached */
    ck_assert_msg(fn && strcmp(fn, "unit_marker_function") == 0, "cached: got %s", fn ? fn : "NULL");
    hk_symbols_free(s);
}
END_TEST

START_TEST(unknown_modules_give_null)
{
    struct hk_symbols *s = hk_symbols_new();
    char path[256];
    unit_tmp(path, sizeof path, ".elf");
    FILE *f = fopen(path, "w");
    fputs("\177ELF but nothing after", f); /* truncated: headers out of the file */
    fclose(f);
    ck_assert_msg(!hk_symbols_find(s, "/nonexistent/lib.so", 100), "missing file: NULL");
    ck_assert_msg(!hk_symbols_find(s, "/etc/hostname", 0), "not ELF: NULL");
    ck_assert_msg(!hk_symbols_find(s, path, 4), "truncated ELF: NULL");
    ck_assert_msg(!hk_symbols_find(NULL, path, 4), "no table: NULL");
    hk_symbols_free(s);
    unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/symbols");
    TCase *t = tcase_create("symbols");
    tcase_add_test(t, finds_its_own_function);
    tcase_add_test(t, unknown_modules_give_null);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
