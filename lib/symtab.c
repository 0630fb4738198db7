/* symtab.c — function names for the heap-error reports, read from the ELF
 * symbol table of a module's file (.symtab, else .dynsym), so that a report
 * names the static functions of a program, which dladdr (dynamic symbols
 * only) cannot. A lookup maps the file read-only, scans its table and unmaps
 * it: open, fstat, mmap, munmap and close, no malloc, no stdio, no lock, no
 * state, so any thread may report at any time. */
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

/* [off, off + len) lies inside a file of size bytes. */
static bool inside(uint64_t off, uint64_t len, uint64_t size)
{
    return off <= size && len <= size - off;
}

/* The symbol table section to read: .symtab, else .dynsym; NULL when none
 * or the headers do not fit in the file. */
static const Elf64_Shdr *symbol_table(const unsigned char *f, uint64_t size)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
    if (size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size))
        return NULL;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff), *tab = NULL;
    for (unsigned i = 0; i < eh->e_shnum; i++)
        if (sh[i].sh_type == SHT_SYMTAB || (sh[i].sh_type == SHT_DYNSYM && !tab))
            tab = &sh[i];
    if (!tab || tab->sh_link >= eh->e_shnum || tab->sh_entsize != sizeof(Elf64_Sym) ||
        !inside(tab->sh_offset, tab->sh_size, size) ||
        !inside(sh[tab->sh_link].sh_offset, sh[tab->sh_link].sh_size, size))
        return NULL;
    return tab;
}

/* The function symbol containing vaddr, else the nearest sizeless one below
 * it (hand-written assembly); NULL when none. */
static const Elf64_Sym *function_at(const Elf64_Sym *sym, size_t count, uint64_t vaddr)
{
    const Elf64_Sym *best = NULL;
    for (size_t i = 0; i < count; i++) {
        unsigned type = ELF64_ST_TYPE(sym[i].st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym[i].st_shndx == SHN_UNDEF ||
            sym[i].st_value > vaddr)
            continue;
        if (sym[i].st_size && vaddr - sym[i].st_value < sym[i].st_size)
            return &sym[i];
        if (!sym[i].st_size && (!best || sym[i].st_value > best->st_value))
            best = &sym[i];
    }
    return best;
}

bool hk_symtab_find(const char *path, uint64_t vaddr, char *name, size_t cap, uint64_t *start)
{
    if (!path || !*path || cap == 0)
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
    const unsigned char *f = map;
    uint64_t size = (uint64_t)st.st_size;
    bool found = false;
    const Elf64_Shdr *tab = symbol_table(f, size);
    if (tab) {
        const Elf64_Shdr *str = &((const Elf64_Shdr *)(f + ((const Elf64_Ehdr *)f)->e_shoff))[tab->sh_link];
        const Elf64_Sym *y = function_at((const Elf64_Sym *)(f + tab->sh_offset),
                                         tab->sh_size / sizeof(Elf64_Sym), vaddr);
        if (y && y->st_name < str->sh_size) {
            const char *s = (const char *)f + str->sh_offset + y->st_name;
            size_t n = strnlen(s, str->sh_size - y->st_name);
            if (n && n < str->sh_size - y->st_name) { /* NUL-terminated inside the table */
                if (n >= cap)
                    n = cap - 1;
                memcpy(name, s, n);
                name[n] = '\0';
                *start = y->st_value;
                found = true;
            }
        }
    }
    munmap(map, (size_t)st.st_size);
    return found;
}
