/* check_buildid.c — unit tests of cli/buildid.c: the test's own build id as the
 * linker wrote it (its NT_GNU_BUILD_ID note, read in memory), none for files
 * that are no ELF file, a missing file or a FIFO (which must not block). */
#include <elf.h>
#include <link.h>
#include <sys/stat.h>
#include "unit.h"

/* This program's build id from its loaded notes, hex into buf ("" when none). */
static int own_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    char *buf = data;
    for (int i = 0; i < info->dlpi_phnum && info->dlpi_name[0] == '\0'; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        for (size_t at = 0; at + sizeof(ElfW(Nhdr)) <= ph->p_memsz;) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(p + at);
            size_t desc = at + sizeof *nh + ((nh->n_namesz + 3u) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4)
                for (size_t k = 0; k < nh->n_descsz; k++)
                    snprintf(buf + 2 * k, 3, "%02x", p[desc + k]);
            at = desc + ((nh->n_descsz + 3u) & ~3u);
        }
    }
    return buf[0] != '\0';
}

START_TEST(own_build_id)
{
    char want[128] = "", got[128];
    dl_iterate_phdr(own_id, want);
    if (!want[0])
        return; /* linked without --build-id: nothing to compare */
    ck_assert_msg(hk_build_id("/proc/self/exe", got, sizeof got) != NULL,
                  "expected a build id in /proc/self/exe (the loaded one is %s)", want);
    ck_assert_msg(strcmp(got, want) == 0, "build id: expected %s, got %s", want, got);
    ck_assert_msg(hk_build_id("/proc/self/exe", got, 8) == NULL, "a buffer too small: expected NULL");
}
END_TEST

START_TEST(no_build_id)
{
    char buf[128], path[256], fifo[256];
    ck_assert_msg(hk_build_id("/nonexistent", buf, sizeof buf) == NULL, "a missing file: NULL");
    ck_assert_msg(hk_build_id(NULL, buf, sizeof buf) == NULL, "no path: NULL");
    unit_tmp(path, sizeof path, ".txt");
    FILE *f = fopen(path, "w");
    fputs("\177ELF but not really, a text file long enough to be read as a header........", f);
    fclose(f);
    ck_assert_msg(hk_build_id(path, buf, sizeof buf) == NULL, "a file that is no ELF file: NULL");
    unlink(path);
    unit_tmp(fifo, sizeof fifo, ".fifo");
    ck_assert_msg(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    ck_assert_msg(hk_build_id(fifo, buf, sizeof buf) == NULL, "a FIFO: NULL, without blocking");
    unlink(fifo);
}
END_TEST

static Suite *make(void)
{
    Suite *s = suite_create("cli/buildid");
    TCase *t = tcase_create("buildid");
    tcase_add_test(t, own_build_id);
    tcase_add_test(t, no_build_id);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return unit_main(make);
}
