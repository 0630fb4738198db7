/* buildid.c — the GNU build id of an ELF file on disk (its NT_GNU_BUILD_ID
 * note), which pprof's mappings carry so a viewer can find the right binary. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

#define NOTE_MAX 4096 /* bytes of a PT_NOTE segment read */

/* The build id in one PT_NOTE segment's bytes, hex into buf; NULL when none. */
static const char *in_notes(const unsigned char *p, size_t n, char *buf, size_t len)
{
    size_t at = 0;
    while (at + sizeof(Elf64_Nhdr) <= n) {
        Elf64_Nhdr nh;
        memcpy(&nh, p + at, sizeof nh);
        size_t name = at + sizeof nh, desc = name + ((nh.n_namesz + 3u) & ~3u);
        if (desc > n || nh.n_descsz > n - desc)
            return NULL;
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(p + name, "GNU", 4) == 0 &&
            nh.n_descsz > 0 && 2 * nh.n_descsz < len) {
            for (size_t i = 0; i < nh.n_descsz; i++)
                snprintf(buf + 2 * i, 3, "%02x", p[desc + i]);
            return buf;
        }
        at = desc + ((nh.n_descsz + 3u) & ~3u);
    }
    return NULL;
}

static const char *read_id(int fd, char *buf, size_t len)
{
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr))
        return NULL;
    for (unsigned i = 0; i < eh.e_phnum && i < 64; i++) {
        Elf64_Phdr ph;
        unsigned char notes[NOTE_MAX];
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
            return NULL;
        if (ph.p_type != PT_NOTE)
            continue;
        size_t n = ph.p_filesz < NOTE_MAX ? ph.p_filesz : NOTE_MAX;
        ssize_t got = pread(fd, notes, n, (off_t)ph.p_offset);
        if (got > 0 && in_notes(notes, (size_t)got, buf, len))
            return buf;
    }
    return NULL;
}

const char *hk_build_id(const char *path, char *buf, size_t len)
{
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1; /* a FIFO never blocks */
    struct stat st;
    if (fd < 0)
        return NULL;
    const char *id = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read_id(fd, buf, len) : NULL;
    close(fd);
    return id;
}
