/* symtab.c — function names for the heap-error reports, read from the ELF
 * symbol table of a module's file (.symtab, else .dynsym), so that a report
 * names the static functions of a program, which dladdr (dynamic symbols
 * only) cannot. A lookup maps the file (elf.c), scans its table and unmaps
 * it: no malloc, no stdio, no lock, no state, so any thread may report at any
 * time. */
#include <string.h>
#include "internal.h"

/* The symbol table section to read: .symtab, else .dynsym; NULL when none
 * or it or its strings do not fit in the file. */
static const Elf64_Shdr *symbol_table(const struct hk_elf *e)
{
    const Elf64_Shdr *tab = NULL;
    for (unsigned i = 0; i < e->nsh; i++)
        if (e->sh[i].sh_type == SHT_SYMTAB || (e->sh[i].sh_type == SHT_DYNSYM && !tab))
            tab = &e->sh[i];
    if (!tab || tab->sh_link >= e->nsh || tab->sh_entsize != sizeof(Elf64_Sym) ||
        !hk_elf_section_ok(e, tab) || !hk_elf_section_ok(e, &e->sh[tab->sh_link]))
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
    struct hk_elf e;
    if (cap == 0 || !hk_elf_map(path, &e))
        return false;
    bool found = false;
    const Elf64_Shdr *tab = symbol_table(&e);
    if (tab) {
        const Elf64_Shdr *str = &e.sh[tab->sh_link];
        const Elf64_Sym *y = function_at((const Elf64_Sym *)(e.f + tab->sh_offset),
                                         tab->sh_size / sizeof(Elf64_Sym), vaddr);
        if (y && y->st_name < str->sh_size) {
            const char *s = (const char *)e.f + str->sh_offset + y->st_name;
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
    hk_elf_unmap(&e);
    return found;
}
