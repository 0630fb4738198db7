/* symbols.c — what a (module file, file offset) pair is: its function, read
 * from the ELF symbol tables of the module on disk (.symtab, else .dynsym),
 * and with elfutils libdw its source file and line from the module's DWARF
 * (in the file, or in separate debug info found by build id). Each module is
 * read once, when first asked about or warmed; one lock serialises the callers
 * (libdw's Dwfl is not thread-safe), so a session's drains can share it. */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if HK_CONFIG_LIBDW
#include <elfutils/libdwfl.h>
#endif
#include "cli.h"

#define MAX_LOADS 16

struct sym {
    uint64_t start, size;
    char *name;
};

struct debuginfo;

struct module {
    char *path;
    struct sym *syms;
    size_t n;
    struct { uint64_t off, size, vaddr; } load[MAX_LOADS];
    int nload;
    struct debuginfo *dw; /* libdw's view of the file, NULL without */
    struct hk_table memo; /* offsets looked up already (struct memo): a stack
                           * table repeats its frames many times over */
};

/* One lookup of a module, kept. */
struct memo {
    struct hk_slot h;
    uint64_t off;
    struct hk_symbol y;
};

/* ---- DWARF through libdw (offline: the file on disk, not a process) */

#if HK_CONFIG_LIBDW
struct debuginfo {
    Dwfl *dwfl;
    Dwfl_Module *mod;
    GElf_Addr bias; /* Dwfl addresses are the file's own plus bias */
};

static char *debuginfo_path; /* libdw's default: .debug beside the file, /usr/lib/debug */

#define DEBUG_ROOT "/usr/lib/debug"

/* 1 when the file named dir/sub/name exists (sub may be empty). */
static int exists_in(const char *dir, const char *sub, const char *name)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s%s%s/%s", dir, *sub ? "/" : "", sub, name);
    return n > 0 && (size_t)n < sizeof path && access(path, F_OK) == 0;
}

/* 1 when one of the places libdw's own search looks in (with the default
 * debuginfo_path) holds a file for this module: its build id's file under
 * DEBUG_ROOT, or its debug link's name (FILE.debug without one) beside it, in
 * .debug beside it, or under DEBUG_ROOT, for its name and its real path. */
static int debug_file_nearby(const unsigned char *id, int len, const char *file_name,
                             const char *debuglink)
{
    char name[PATH_MAX + 16];
    if (hk_debugcache_id_path(NULL, id, len, name, sizeof name) == 0 && access(name, F_OK) == 0)
        return 1;
    if (!file_name)
        return 0;
    char real[PATH_MAX];
    const char *names[2] = { file_name, realpath(file_name, real) };
    for (int k = 0; k < 2 && names[k]; k++) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", names[k]);
        char *slash = strrchr(dir, '/');
        const char *base = slash ? slash + 1 : dir;
        if (debuglink)
            snprintf(name, sizeof name, "%s", debuglink);
        else
            snprintf(name, sizeof name, "%s.debug", base);
        if (slash)
            *slash = '\0';
        else
            snprintf(dir, sizeof dir, ".");
        if (exists_in(dir, "", name) || exists_in(dir, ".debug", name) ||
            exists_in(DEBUG_ROOT, dir[0] == '/' ? dir + 1 : dir, name))
            return 1;
    }
    return 0;
}

/* The file's decompressed copy in the cache when its debug file has compressed
 * sections (libc6-dbg's: inflating them took 0.1 s a run), else libdw's own
 * search (which opens what it finds itself: asked first, the copy is never used).
 * That search ends with a debuginfod server: libdw 0.188 loads its client (30
 * libraries, 11 ms) even when DEBUGINFOD_URLS names none, so without servers it
 * is asked only when a local file is there to be found. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                          Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                          GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    const unsigned char *id;
    GElf_Addr at;
    int len = dwfl_module_build_id(mod, &id, &at);
    int fd = len > 0 ? hk_debugcache_open(NULL, id, len, debuginfo_file_name) : -1;
    if (fd >= 0)
        return fd;
    const char *servers = getenv("DEBUGINFOD_URLS");
    if ((!servers || !*servers) && !debug_file_nearby(id, len, file_name, debuglink_file))
        return -1;
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
                                        debuglink_file, debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks offline_callbacks = {
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

static struct debuginfo *debuginfo_open(const char *path)
{
    struct debuginfo *d = calloc(1, sizeof *d);
    if (!d || !(d->dwfl = dwfl_begin(&offline_callbacks))) {
        free(d);
        return NULL;
    }
    d->mod = dwfl_report_offline(d->dwfl, path, path, -1);
    if (!d->mod || dwfl_report_end(d->dwfl, NULL, NULL) != 0 || !dwfl_module_getelf(d->mod, &d->bias)) {
        dwfl_end(d->dwfl);
        free(d);
        return NULL;
    }
    return d;
}

static void debuginfo_close(struct debuginfo *d)
{
    if (d)
        dwfl_end(d->dwfl);
    free(d);
}

/* Reads the DWARF now (libdw decompresses every compressed debug section as
 * it opens them: a tenth of a second or more for libc's), and its address
 * ranges, by a look-up of vaddr (the first look-up of libc's took 11 ms). */
static void debuginfo_warm(struct debuginfo *d, uint64_t vaddr)
{
    Dwarf_Addr bias;
    if (d && dwfl_module_getdwarf(d->mod, &bias))
        (void)dwfl_module_getsrc(d->mod, vaddr + d->bias);
}

/* file:line of the file's address vaddr into out; the function too when the
 * ELF tables gave none (a stripped file whose debug info has them). */
static void debuginfo_lookup(struct debuginfo *d, uint64_t vaddr, struct hk_symbol *out)
{
    if (!d)
        return;
    Dwarf_Addr addr = vaddr + d->bias;
    Dwfl_Line *l = dwfl_module_getsrc(d->mod, addr);
    int line = 0;
    const char *file = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
    if (file && line > 0) {
        out->file = file;
        out->line = line;
    }
    if (!out->function) {
        GElf_Off off;
        GElf_Sym sym;
        const char *fn = dwfl_module_addrinfo(d->mod, addr, &off, &sym, NULL, NULL, NULL);
        if (fn && GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
            out->function = fn;
            out->offset = (int64_t)off;
        }
    }
}
#else
struct debuginfo {
    int none;
};

static struct debuginfo *debuginfo_open(const char *path)
{
    (void)path;
    return NULL;
}

static void debuginfo_close(struct debuginfo *d)
{
    (void)d;
}

static void debuginfo_warm(struct debuginfo *d, uint64_t vaddr)
{
    (void)d;
    (void)vaddr;
}

static void debuginfo_lookup(struct debuginfo *d, uint64_t vaddr, struct hk_symbol *out)
{
    (void)d, (void)vaddr, (void)out;
}
#endif

/* ---- the table of modules */

struct hk_symbols {
    pthread_mutex_t mu;
    struct module *mod;
    size_t n, cap;
};

struct hk_symbols *hk_symbols_new(void)
{
    struct hk_symbols *s = calloc(1, sizeof *s);
    if (s && pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return NULL;
    }
    return s;
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
        debuginfo_close(s->mod[i].dw);
        hk_table_free(&s->mod[i].memo);
    }
    free(s->mod);
    pthread_mutex_destroy(&s->mu);
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
    m->dw = debuginfo_open(path);
    if (hk_table_init(&m->memo, sizeof(struct memo)) != 0)
        m->memo.cap = 0; /* no memo: every lookup made afresh */
    return m;
}

/* The file's own address of file offset off, through its PT_LOAD headers. */
static uint64_t vaddr_of(const struct module *m, uint64_t off)
{
    for (int i = 0; i < m->nload; i++)
        if (off >= m->load[i].off && off - m->load[i].off < m->load[i].size)
            return off - m->load[i].off + m->load[i].vaddr;
    return off;
}

/* The function symbol of m containing addr, NULL when none. */
static const struct sym *function_at(const struct module *m, uint64_t addr)
{
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
    return addr - y->start < (y->size ? y->size : 1) ? y : NULL;
}

static int memo_same(const void *slot, const void *key)
{
    return ((const struct memo *)slot)->off == *(const uint64_t *)key;
}

/* What offset off of m is, looked up (or remembered). */
static void lookup(struct module *m, uint64_t off, struct hk_symbol *out)
{
    int created = 0;
    struct memo *k = m->memo.cap ? hk_table_get(&m->memo, hk_table_mix(off), memo_same, &off, 1,
                                                &created) : NULL;
    if (k && !created) {
        *out = k->y;
        return;
    }
    uint64_t addr = vaddr_of(m, off);
    const struct sym *y = m->n ? function_at(m, addr) : NULL;
    if (y) {
        out->function = y->name;
        out->offset = (int64_t)(addr - y->start);
    }
    debuginfo_lookup(m->dw, addr, out);
    if (k) {
        k->off = off;
        k->y = *out;
    }
}

int hk_symbols_lookup(struct hk_symbols *s, const char *module, uint64_t off, struct hk_symbol *out)
{
    *out = (struct hk_symbol){ .offset = -1 };
    if (!s)
        return 0;
    pthread_mutex_lock(&s->mu);
    struct module *m = module_of(s, module);
    if (m)
        lookup(m, off, out);
    pthread_mutex_unlock(&s->mu);
    return out->function || out->file;
}

void hk_symbols_warm(struct hk_symbols *s, const char *module)
{
    pthread_mutex_lock(&s->mu);
    struct module *m = module_of(s, module);
    if (m) /* a function's address: in some unit's ranges */
        debuginfo_warm(m->dw, m->n ? m->syms[m->n / 2].start : 0);
    pthread_mutex_unlock(&s->mu);
}

const char *hk_symbols_find(struct hk_symbols *s, const char *module, uint64_t off)
{
    struct hk_symbol y;
    hk_symbols_lookup(s, module, off, &y);
    return y.function;
}
