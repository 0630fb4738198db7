/* check_debugcache.c — unit tests of cli/debugcache.c: a debug file with a
 * zlib-compressed section (written here with libelf) is copied decompressed
 * into the cache once, 0600, and found there afterwards; files with nothing
 * compressed, missing ones, a cache turned off or a symlink planted in the
 * cache get no copy (or a fresh one, never the link's target). */
#include <fcntl.h>
#include <sys/stat.h>
#include "unit.h"
#if HK_CONFIG_LIBDW /* else there is no cache: nothing reads DWARF */
#include <gelf.h>

#define PAYLOAD 65536
static const unsigned char ID[20] = { 0xab, 0xcd, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                      0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12 };
#define ID_FILE "ab/cd0102030405060708090a0b0c0d0e0f101112.debug"
#define ID_COPY "abcd0102030405060708090a0b0c0d0e0f101112.debug"

static char root[256], cache[256];

static unsigned char byte_at(size_t i)
{
    return (unsigned char)(i * 7 + i / 251);
}

/* An ELF relocatable file at path: .shstrtab and a .debug_info of PAYLOAD
 * patterned bytes, compressed (zlib) or not. */
static void write_elf(const char *path, int compressed)
{
    static unsigned char data[PAYLOAD];
    static char names[] = "\0.shstrtab\0.debug_info";
    for (size_t i = 0; i < PAYLOAD; i++)
        data[i] = byte_at(i);
    ck_assert_msg(elf_version(EV_CURRENT) != EV_NONE, "libelf: %s", elf_errmsg(-1));
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_msg(fd >= 0, "cannot create %s", path);
    Elf *e = elf_begin(fd, ELF_C_WRITE, NULL);
    ck_assert_msg(e && gelf_newehdr(e, ELFCLASS64), "libelf: %s", elf_errmsg(-1));
    GElf_Ehdr eh;
    gelf_getehdr(e, &eh);
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_type = ET_REL;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    Elf_Scn *strs = elf_newscn(e), *info = elf_newscn(e);
    eh.e_shstrndx = (Elf64_Half)elf_ndxscn(strs);
    ck_assert_msg(gelf_update_ehdr(e, &eh), "libelf: %s", elf_errmsg(-1));
    Elf_Data *d = elf_newdata(strs);
    *d = (Elf_Data){ .d_buf = names, .d_size = sizeof names, .d_type = ELF_T_BYTE,
                     .d_version = EV_CURRENT, .d_align = 1 };
    GElf_Shdr sh;
    gelf_getshdr(strs, &sh);
    sh.sh_name = 1;
    sh.sh_type = SHT_STRTAB;
    gelf_update_shdr(strs, &sh);
    d = elf_newdata(info);
    *d = (Elf_Data){ .d_buf = data, .d_size = PAYLOAD, .d_type = ELF_T_BYTE,
                     .d_version = EV_CURRENT, .d_align = 1 };
    gelf_getshdr(info, &sh);
    sh.sh_name = 11;
    sh.sh_type = SHT_PROGBITS;
    gelf_update_shdr(info, &sh);
    ck_assert_msg(!compressed || elf_compress(info, ELFCOMPRESS_ZLIB, 0) == 1,
                  "cannot compress the test's section: %s", elf_errmsg(-1));
    ck_assert_msg(elf_update(e, ELF_C_WRITE) >= 0, "libelf: %s", elf_errmsg(-1));
    elf_end(e);
    close(fd);
}

/* The .debug_info of the ELF file open at fd: 1 when it is not compressed and
 * holds the pattern. */
static int plain_payload(int fd)
{
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    int ok = 0;
    for (Elf_Scn *s = NULL; e && (s = elf_nextscn(e, s));) {
        GElf_Shdr sh;
        Elf_Data *d;
        if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_PROGBITS)
            continue;
        if ((sh.sh_flags & SHF_COMPRESSED) || !(d = elf_getdata(s, NULL)) || d->d_size != PAYLOAD)
            break;
        ok = 1;
        for (size_t i = 0; ok && i < PAYLOAD; i++)
            ok = ((const unsigned char *)d->d_buf)[i] == byte_at(i);
    }
    elf_end(e);
    return ok;
}

static void setup(void)
{
    unit_tmp(root, sizeof root, ".root");
    unit_tmp(cache, sizeof cache, ".cache");
    char dir[300];
    ck_assert_msg(mkdir(root, 0700) == 0, "mkdir %s", root);
    snprintf(dir, sizeof dir, "%s/ab", root);
    ck_assert_msg(mkdir(dir, 0700) == 0, "mkdir %s", dir);
    setenv("HAKMEM_DEBUG_CACHE", cache, 1);
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", root, cache);
    ck_assert_msg(system(cmd) == 0, "cannot remove %s and %s", root, cache);
    unsetenv("HAKMEM_DEBUG_CACHE");
}

static void path_in(char *out, size_t len, const char *dir, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

START_TEST(copies_once)
{
    char orig[400], copy[400];
    path_in(orig, sizeof orig, root, ID_FILE);
    path_in(copy, sizeof copy, cache, ID_COPY);
    write_elf(orig, 1);
    char *name = strdup("libdw's");
    int fd = hk_debugcache_open(root, ID, sizeof ID, &name);
    ck_assert_msg(fd >= 0, "a compressed debug file: expected a copy's fd, got %d", fd);
    ck_assert_msg(strcmp(name, copy) == 0, "its name: expected %s, got %s", copy, name);
    ck_assert_msg(plain_payload(fd), "the copy's section: expected the payload, decompressed");
    close(fd);
    struct stat st;
    ck_assert_msg(stat(copy, &st) == 0 && (st.st_mode & 0777) == 0600,
                  "the copy: expected mode 0600, got %o", (unsigned)(st.st_mode & 0777));
    ck_assert_msg(stat(cache, &st) == 0 && (st.st_mode & 0777) == 0700,
                  "the cache directory: expected mode 0700, got %o", (unsigned)(st.st_mode & 0777));
    unlink(orig); /* the second time the copy alone serves */
    fd = hk_debugcache_open(root, ID, sizeof ID, &name);
    ck_assert_msg(fd >= 0 && plain_payload(fd), "again, the original gone: expected the copy");
    close(fd);
    free(name);
}
END_TEST

START_TEST(nothing_to_do)
{
    char orig[400], copy[400];
    path_in(orig, sizeof orig, root, ID_FILE);
    path_in(copy, sizeof copy, cache, ID_COPY);
    char *name = NULL;
    ck_assert_msg(hk_debugcache_open(root, ID, sizeof ID, &name) == -1 && !name,
                  "no debug file: expected -1, the name untouched");
    write_elf(orig, 0);
    ck_assert_msg(hk_debugcache_open(root, ID, sizeof ID, &name) == -1 && !name,
                  "nothing compressed: expected -1 (libdw maps the file as it is)");
    ck_assert_msg(access(copy, F_OK) != 0, "nothing compressed: expected no copy");
    write_elf(orig, 1);
    ck_assert_msg(hk_debugcache_open(root, ID, 3, &name) == -1, "a build id of 3 bytes: -1");
    setenv("HAKMEM_DEBUG_CACHE", "0", 1);
    ck_assert_msg(hk_debugcache_open(root, ID, sizeof ID, &name) == -1 && !name,
                  "HAKMEM_DEBUG_CACHE=0: expected -1");
    ck_assert_msg(access(copy, F_OK) != 0, "HAKMEM_DEBUG_CACHE=0: expected no copy");
}
END_TEST

START_TEST(symlink_planted)
{
    char orig[400], copy[400], target[300];
    path_in(orig, sizeof orig, root, ID_FILE);
    path_in(copy, sizeof copy, cache, ID_COPY);
    write_elf(orig, 1);
    unit_tmp(target, sizeof target, ".target");
    FILE *f = fopen(target, "w");
    ck_assert_msg(f && fputs("not yours", f) >= 0, "cannot write %s", target);
    fclose(f);
    ck_assert_msg(mkdir(cache, 0700) == 0 && symlink(target, copy) == 0, "cannot plant %s", copy);
    char *name = NULL;
    int fd = hk_debugcache_open(root, ID, sizeof ID, &name);
    ck_assert_msg(fd >= 0 && plain_payload(fd), "a symlink in the cache: expected a fresh copy");
    close(fd);
    free(name);
    struct stat st;
    ck_assert_msg(lstat(copy, &st) == 0 && S_ISREG(st.st_mode), "the link: replaced by the copy");
    ck_assert_msg(stat(target, &st) == 0 && st.st_size == 9, "the link's target: untouched");
    unlink(target);
}
END_TEST

#endif

static Suite *make(void)
{
    Suite *s = suite_create("cli/debugcache");
    TCase *t = tcase_create("debugcache");
#if HK_CONFIG_LIBDW
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, copies_once);
    tcase_add_test(t, nothing_to_do);
    tcase_add_test(t, symlink_planted);
#endif
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
