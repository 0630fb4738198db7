/* symbols.c — function names for (module file, file offset) pairs, read from
 * the ELF symbol tables (.symtab, else .dynsym) of the modules on disk. */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"

#define MAX_LOADS 16

struct sym {
    uint64_t start, size;
    char *name;
};

struct module {
    char *path;
    struct sym *syms;
    size_t n;
    struct { uint64_t off, size, vaddr; } load[MAX_LOADS];
    int nload;
};

struct hk_symbols {
    struct module *mod;
    size_t n, cap;
};

struct hk_symbols *hk_symbols_new(void)
{
    return calloc(1, sizeof(struct hk_symbols));
}

void hk_symbols_free(struct hk_symbols *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < s->mod[i].n; k++)
            free(s->mod[i].syms[k].name);
        free(s->mod[i].syms);
        free(s->mod[i].path);
    }
    free(s->mod);
    free(s);
}

/* 1 when [off, off + len) lies inside a file of size bytes. */
static int inside(uint64_t off, uint64_t len, size_t size)
{
    return off <= size && len <= size - off;
}

static void read_loads(struct module *m, const unsigned char *f, size_t size, const Elf64_Ehdr *eh)
{
    if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
        !inside(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size))
        return;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(f + eh->e_phoff);
    for (unsigned i = 0; i < eh->e_phnum && m->nload < MAX_LOADS; i++)
        if (ph[i].p_type == PT_LOAD) {
            m->load[m->nload].off = ph[i].p_offset;
            m->load[m->nload].size = ph[i].p_filesz;
            m->load[m->nload].vaddr = ph[i].p_vaddr;
            m->nload++;
        }
}

static int by_start(const void *a, const void *b)
{
    const struct sym *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The function symbols of section table tab (its strings in section link). */
static void read_syms(struct module *m, const unsigned char *f, size_t size, const Elf64_Shdr *sh,
                      unsigned nsh, const Elf64_Shdr *tab)
{
    if (tab->sh_link >= nsh || tab->sh_entsize != sizeof(Elf64_Sym) ||
        !inside(tab->sh_offset, tab->sh_size, size))
        return;
    const Elf64_Shdr *str = &sh[tab->sh_link];
    if (!inside(str->sh_offset, str->sh_size, size))
        return;
    const Elf64_Sym *sym = (const Elf64_Sym *)(f + tab->sh_offset);
    const char *names = (const char *)(f + str->sh_offset);
    size_t count = tab->sh_size / sizeof *sym;
    m->syms = calloc(count ? count : 1, sizeof *m->syms);
    for (size_t i = 0; m->syms && i < count; i++) {
        if (ELF64_ST_TYPE(sym[i].st_info) != STT_FUNC || sym[i].st_shndx == SHN_UNDEF ||
            sym[i].st_name >= str->sh_size)
            continue;
        const char *name = names + sym[i].st_name;
        size_t len = strnlen(name, str->sh_size - sym[i].st_name);
        char *copy = malloc(len + 1);
        if (!copy)
            break;
        memcpy(copy, name, len);
        copy[len] = '\0';
        m->syms[m->n++] = (struct sym){ sym[i].st_value, sym[i].st_size, copy };
    }
    if (m->syms)
        qsort(m->syms, m->n, sizeof *m->syms, by_start);
}

/* Reads what it can of the ELF file at m->path; a damaged file gives no symbols. */
static void load(struct module *m)
{
    int fd = open(m->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t size = (size_t)st.st_size;
    const unsigned char *f = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (f == MAP_FAILED)
        return;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)f;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
        eh->e_shentsize == sizeof(Elf64_Shdr) &&
        inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size)) {
        read_loads(m, f, size, eh);
        const Elf64_Shdr *sh = (const Elf64_Shdr *)(f + eh->e_shoff);
        const Elf64_Shdr *tab = NULL;
        for (unsigned i = 0; i < eh->e_shnum; i++)
            if (sh[i].sh_type == SHT_SYMTAB || (sh[i].sh_type == SHT_DYNSYM && !tab))
                tab = &sh[i];
        if (tab)
            read_syms(m, f, size, sh, eh->e_shnum, tab);
    }
    munmap((void *)f, size);
}

static struct module *module_of(struct hk_symbols *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->mod[i].path, path) == 0)
            return &s->mod[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        struct module *m = realloc(s->mod, cap * sizeof *m);
        if (!m)
            return NULL;
        s->mod = m;
        s->cap = cap;
    }
    struct module *m = &s->mod[s->n];
    memset(m, 0, sizeof *m);
    if (!(m->path = strdup(path)))
        return NULL;
    s->n++;
    load(m);
    return m;
}

const char *hk_symbols_find(struct hk_symbols *s, const char *module, uint64_t off)
{
    struct module *m = s ? module_of(s, module) : NULL;
    if (!m || !m->n)
        return NULL;
    uint64_t addr = off;
    for (int i = 0; i < m->nload; i++)
        if (off >= m->load[i].off && off - m->load[i].off < m->load[i].size) {
            addr = off - m->load[i].off + m->load[i].vaddr;
            break;
        }
    size_t lo = 0, hi = m->n; /* the last symbol starting at or before addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->syms[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct sym *y = &m->syms[lo - 1];
    return addr - y->start < (y->size ? y->size : 1) ? y->name : NULL;
}
