/* elf.c — a module's ELF file mapped read-only for one lookup (symtab.c's
 * function names, lineinfo.c's source lines), its section headers checked to
 * lie in the file. open, fstat, mmap and close: no malloc, no stdio, no lock. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

bool hk_elf_inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

bool hk_elf_map(const char *path, struct hk_elf *e)
{
    if (!path || !*path)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    void *map = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)sizeof(Elf64_Ehdr))
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED)
        return false;
    e->f = map;
    e->size = (uint64_t)st.st_size;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)e->f;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !hk_elf_inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), e->size)) {
        hk_elf_unmap(e);
        return false;
    }
    e->sh = (const Elf64_Shdr *)(e->f + eh->e_shoff);
    e->nsh = eh->e_shnum;
    e->shstrndx = eh->e_shstrndx;
    return true;
}

void hk_elf_unmap(struct hk_elf *e)
{
    munmap((void *)e->f, (size_t)e->size);
    e->f = NULL;
}

bool hk_elf_section_ok(const struct hk_elf *e, const Elf64_Shdr *s)
{
    return hk_elf_inside(s->sh_offset, s->sh_size, e->size);
}
