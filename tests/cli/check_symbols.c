/* check_symbols.c — unit tests of cli/symbols.c: functions of this very
 * program (exported or static) found from their file offsets, with their
 * source file and line from DWARF (libdw); a copy without debug info keeps
 * the names from .symtab, one without .symtab loses the static function;
 * unknown and damaged modules give NULL. */
#include <sys/wait.h>
#include "unit.h"

__attribute__((noinline)) int unit_marker_function(int x)
{
    return x * 3 + 1;
}

/* Only .symtab names it: no dynamic symbol, no other file refers to it. Its
 * code is on the next 4 lines (the prologue's line depends on the flags). */
static const int static_marker_line = __LINE__ + 1;
static __attribute__((noinline)) int unit_static_marker(int x)
{
    return x * 5 + 2;
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

/* The module and file offset of fn plus 4 bytes (inside its first line's code). */
static void locate_static(char *module, size_t len, uint64_t *off)
{
    ck_assert_int_eq(unit_static_marker(1), 7);
    int (*volatile fn)(int) = unit_static_marker; /* also keeps it out of line */
    ck_assert_int_eq(locate((const void *)fn, module, len, off), 0);
    *off += 4;
}

START_TEST(finds_static_function_and_line)
{
    char module[512];
    uint64_t off;
    locate_static(module, sizeof module, &off);
    struct hk_symbols *s = hk_symbols_new();
    struct hk_symbol y;
    ck_assert_msg(hk_symbols_lookup(s, module, off, &y) == 1, "%s + 0x%llx: nothing known", module,
                  (unsigned long long)off);
    ck_assert_msg(y.function && strcmp(y.function, "unit_static_marker") == 0,
                  "static function: expected unit_static_marker, got %s", y.function ? y.function : "NULL");
    ck_assert_msg(y.offset == 4, "offset in the function: expected 4, got %lld",
                  (long long)y.offset);
    if (HK_CONFIG_LIBDW) {
        const char *base = y.file ? strrchr(y.file, '/') : NULL;
        ck_assert_msg(base && strcmp(base, "/check_symbols.c") == 0,
                      "file: expected .../check_symbols.c, got %s", y.file ? y.file : "NULL");
        ck_assert_msg(y.line >= static_marker_line && y.line <= static_marker_line + 3,
                      "line: expected %d..%d (unit_static_marker), got %d", static_marker_line,
                      static_marker_line + 3, y.line);
    } else {
        ck_assert_msg(!y.file && !y.line, "without libdw: no file:line, got %s:%d", y.file, y.line);
    }
    hk_symbols_free(s);
}
END_TEST

/* objcopy ARGS SRC DST: 0 when it ran and succeeded. */
static int objcopy(const char *args, const char *src, const char *dst)
{
    char cmd[1536];
    snprintf(cmd, sizeof cmd, "objcopy %s '%s' '%s' 2>/dev/null", args, src, dst);
    int st = system(cmd);
    return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

START_TEST(without_debug_info_names_only)
{
    char module[512], nodebug[256], nosymtab[256];
    uint64_t off;
    locate_static(module, sizeof module, &off);
    unit_tmp(nodebug, sizeof nodebug, ".nodebug");
    unit_tmp(nosymtab, sizeof nosymtab, ".nosymtab");
    ck_assert_msg(objcopy("--strip-debug", module, nodebug) == 0, "objcopy --strip-debug %s failed", module);
    ck_assert_msg(objcopy("--strip-all", module, nosymtab) == 0, "objcopy --strip-all %s failed", module);
    struct hk_symbols *s = hk_symbols_new();
    struct hk_symbol y;
    hk_symbols_lookup(s, nodebug, off, &y);
    ck_assert_msg(y.function && strcmp(y.function, "unit_static_marker") == 0,
                  "no DWARF: the name from .symtab, got %s", y.function ? y.function : "NULL");
    ck_assert_msg(!y.file && !y.line, "no DWARF: no file:line, got %s:%d", y.file ? y.file : "NULL", y.line);
    ck_assert_msg(!hk_symbols_lookup(s, nosymtab, off, &y) && !y.function && !y.file,
                  "no .symtab, no DWARF: a static function is unknown, got %s",
                  y.function ? y.function : "NULL");
    hk_symbols_free(s);
    unlink(nodebug);
    unlink(nosymtab);
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
    struct hk_symbol y;
    ck_assert_msg(!hk_symbols_lookup(s, path, 4, &y) && !y.function && !y.file && !y.line,
                  "truncated ELF: lookup finds nothing");
    ck_assert_msg(!hk_symbols_lookup(s, "/nonexistent/lib.so", 4, &y) && !y.function && !y.file,
                  "missing file: lookup finds nothing");
    hk_symbols_free(s);
    unlink(path);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/symbols");
    TCase *t = tcase_create("symbols");
    tcase_add_test(t, finds_its_own_function);
    tcase_add_test(t, finds_static_function_and_line);
    tcase_add_test(t, without_debug_info_names_only);
    tcase_add_test(t, unknown_modules_give_null);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
