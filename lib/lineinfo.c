/* lineinfo.c — the source file and line of a code address for heap-error
 * reports, from the module file's DWARF line table (.debug_line, versions 2
 * to 5, uncompressed). The file is mapped read-only (elf.c) for one lookup
 * and unmapped again; the line programs are run in place, every read bounded by
 * its section: no malloc, no stdio, no lock, no state. A module without
 * DWARF (or with compressed sections) gives nothing, and the report prints
 * the function alone. */
#include <string.h>
#include "internal.h"

/* DWARF constants (dwarf.h is not a libc header). */
enum {
    FORM_block = 0x09, FORM_data1 = 0x0b, FORM_data2 = 0x05, FORM_data4 = 0x06, FORM_data8 = 0x07,
    FORM_data16 = 0x1e, FORM_string = 0x08, FORM_strp = 0x0e, FORM_udata = 0x0f, FORM_line_strp = 0x1f,
    LNCT_path = 1, LNCT_directory_index = 2,
    LNS_copy = 1, LNS_advance_pc, LNS_advance_line, LNS_set_file, LNS_set_column, LNS_negate_stmt,
    LNS_set_basic_block, LNS_const_add_pc, LNS_fixed_advance_pc,
    LNE_end_sequence = 1, LNE_set_address = 2,
};

struct span {
    const unsigned char *p, *end;
};

/* A reader of one section: past its end every read gives 0 and sets bad. */
struct cursor {
    const unsigned char *p, *end;
    bool bad;
};

static bool need(struct cursor *c, uint64_t n)
{
    if (c->bad || (uint64_t)(c->end - c->p) < n) {
        c->bad = true;
        c->p = c->end;
        return false;
    }
    return true;
}

static uint64_t fixed(struct cursor *c, unsigned n) /* little-endian, n <= 8 */
{
    if (!need(c, n))
        return 0;
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint64_t uleb(struct cursor *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; need(c, 1); shift += 7) {
        unsigned char b = *c->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    return v;
}

static int64_t sleb(struct cursor *c)
{
    uint64_t v = 0;
    unsigned shift = 0;
    unsigned char b = 0;
    while (need(c, 1)) {
        b = *c->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        v |= ~(uint64_t)0 << shift;
    return (int64_t)v;
}

static void skip(struct cursor *c, uint64_t n)
{
    if (need(c, n))
        c->p += n;
}

/* A NUL-terminated string inside span s at offset off, or NULL. */
static const char *string_at(struct span s, uint64_t off)
{
    if (!s.p || off >= (uint64_t)(s.end - s.p))
        return NULL;
    const char *str = (const char *)s.p + off;
    return memchr(str, '\0', (size_t)(s.end - s.p - (ptrdiff_t)off)) ? str : NULL;
}

static const char *inline_string(struct cursor *c)
{
    const char *s = string_at((struct span){ c->p, c->end }, 0);
    if (!s) {
        c->bad = true;
        c->p = c->end;
        return NULL;
    }
    c->p += strlen(s) + 1;
    return s;
}

/* The sections a lookup reads. */
struct dwarf {
    struct span line, line_str, str;
};

/* One attribute of a DWARF 5 directory or file entry: a string for strings
 * (NULL when unreadable), else *num. */
static const char *attribute(struct cursor *c, const struct dwarf *d, uint64_t form, unsigned offset_size,
                             uint64_t *num)
{
    *num = 0;
    switch (form) {
    case FORM_string: return inline_string(c);
    case FORM_line_strp: return string_at(d->line_str, fixed(c, offset_size));
    case FORM_strp: return string_at(d->str, fixed(c, offset_size));
    case FORM_udata: *num = uleb(c); return NULL;
    case FORM_data1: *num = fixed(c, 1); return NULL;
    case FORM_data2: *num = fixed(c, 2); return NULL;
    case FORM_data4: *num = fixed(c, 4); return NULL;
    case FORM_data8: *num = fixed(c, 8); return NULL;
    case FORM_data16: skip(c, 16); return NULL;
    case FORM_block: skip(c, uleb(c)); return NULL;
    default: c->bad = true; c->p = c->end; return NULL;
    }
}

/* A unit's header: where its tables and its program are. */
struct unit {
    unsigned version, offset_size, min_insn, line_range, opcode_base;
    int line_base;
    bool default_stmt;
    const unsigned char *opcode_lengths;
    struct cursor dirs, files; /* at the directory and file tables (for v5: their formats) */
    struct cursor program;
};

/* Walks the entries of a DWARF 5 table at c (format, count, entries) and
 * returns entry index's path and directory index; NULL when out of range. */
static const char *v5_entry(struct cursor c, const struct dwarf *d, const struct unit *u, uint64_t index,
                            uint64_t *dir, struct cursor *after)
{
    unsigned nformat = (unsigned)fixed(&c, 1);
    struct cursor formats = c;
    for (unsigned i = 0; i < nformat; i++)
        uleb(&c), uleb(&c);
    uint64_t count = uleb(&c);
    const char *found = NULL;
    *dir = 0;
    for (uint64_t e = 0; e < count && !c.bad; e++) {
        struct cursor f = formats;
        for (unsigned i = 0; i < nformat; i++) {
            uint64_t type = uleb(&f), form = uleb(&f), num;
            const char *s = attribute(&c, d, form, u->offset_size, &num);
            if (e != index)
                continue;
            if (type == LNCT_path)
                found = s;
            else if (type == LNCT_directory_index)
                *dir = num;
        }
    }
    if (after)
        *after = c;
    return c.bad ? NULL : found;
}

/* Reads the header of the unit at c into u and moves c past the unit. */
static bool read_unit(struct cursor *c, const struct dwarf *d, struct unit *u)
{
    uint64_t len = fixed(c, 4);
    u->offset_size = 4;
    if (len == 0xffffffffu) {
        len = fixed(c, 8);
        u->offset_size = 8;
    }
    if (c->bad || len > (uint64_t)(c->end - c->p))
        return false;
    struct cursor h = { c->p, c->p + len, false };
    c->p += len;
    u->version = (unsigned)fixed(&h, 2);
    if (u->version < 2 || u->version > 5)
        return false;
    if (u->version >= 5)
        skip(&h, 2); /* address size, segment selector size */
    uint64_t header_len = fixed(&h, u->offset_size);
    if (h.bad || header_len > (uint64_t)(h.end - h.p))
        return false;
    u->program = (struct cursor){ h.p + header_len, h.end, false };
    u->min_insn = (unsigned)fixed(&h, 1);
    if (u->version >= 4)
        skip(&h, 1); /* maximum operations per instruction: VLIW only */
    u->default_stmt = fixed(&h, 1) != 0;
    u->line_base = (signed char)fixed(&h, 1);
    u->line_range = (unsigned)fixed(&h, 1);
    u->opcode_base = (unsigned)fixed(&h, 1);
    u->opcode_lengths = h.p;
    skip(&h, u->opcode_base ? u->opcode_base - 1 : 0);
    u->dirs = h;
    if (u->version >= 5) {
        uint64_t unused;
        v5_entry(u->dirs, d, u, UINT64_MAX, &unused, &u->files);
    } else {
        while (need(&h, 1) && *h.p)
            inline_string(&h);
        skip(&h, 1);
        u->files = h;
    }
    return !h.bad && u->line_range != 0 && u->opcode_base != 0;
}

/* File index of unit u as "dir/name" into buf (the name alone when it is
 * absolute or in the compilation directory). */
static bool file_name(const struct unit *u, const struct dwarf *d, uint64_t index, char *buf, size_t cap)
{
    const char *name = NULL, *dir = NULL;
    uint64_t di = 0;
    if (u->version >= 5) {
        name = v5_entry(u->files, d, u, index, &di, NULL);
        if (di)
            dir = v5_entry(u->dirs, d, u, di, &(uint64_t){ 0 }, NULL);
    } else {
        struct cursor c = u->files;
        for (uint64_t i = 1; need(&c, 1) && *c.p; i++) {
            const char *s = inline_string(&c);
            uint64_t dir_index = uleb(&c);
            uleb(&c), uleb(&c); /* time, size */
            if (i == index) {
                name = s;
                di = dir_index;
                break;
            }
        }
        struct cursor dc = u->dirs;
        for (uint64_t i = 1; di && need(&dc, 1) && *dc.p; i++) {
            const char *s = inline_string(&dc);
            if (i == di) {
                dir = s;
                break;
            }
        }
    }
    if (!name)
        return false;
    if (dir && name[0] != '/')
        hk_fmt(buf, cap, "%s/%s", dir, name);
    else
        hk_fmt(buf, cap, "%s", name);
    return true;
}

/* Runs the line program of u: the file index and line of the row covering
 * vaddr; false when no sequence of u covers it. */
static bool run_program(const struct unit *u, uint64_t vaddr, uint64_t *file, unsigned *line)
{
    struct cursor c = u->program;
    uint64_t addr = 0, f = 1, prev_addr = 0, prev_file = 0;
    int64_t l = 1, prev_line = 0;
    bool have_prev = false;
    while (!c.bad && c.p < c.end) {
        unsigned op = (unsigned)fixed(&c, 1);
        bool row = false, end = false;
        if (op >= u->opcode_base) {
            unsigned adj = op - u->opcode_base;
            addr += (uint64_t)(adj / u->line_range) * u->min_insn;
            l += u->line_base + (int)(adj % u->line_range);
            row = true;
        } else if (op == 0) {
            uint64_t len = uleb(&c);
            if (len == 0 || !need(&c, len))
                return false;
            struct cursor ext = { c.p, c.p + len, false };
            c.p += len;
            unsigned sub = (unsigned)fixed(&ext, 1);
            if (sub == LNE_end_sequence)
                row = end = true;
            else if (sub == LNE_set_address)
                addr = fixed(&ext, len - 1 > 8 ? 8 : (unsigned)(len - 1));
        } else if (op == LNS_copy) {
            row = true;
        } else if (op == LNS_advance_pc) {
            addr += uleb(&c) * u->min_insn;
        } else if (op == LNS_advance_line) {
            l += sleb(&c);
        } else if (op == LNS_set_file) {
            f = uleb(&c);
        } else if (op == LNS_const_add_pc) {
            addr += (uint64_t)((255 - u->opcode_base) / u->line_range) * u->min_insn;
        } else if (op == LNS_fixed_advance_pc) {
            addr += fixed(&c, 2);
        } else if (op == LNS_set_column) {
            uleb(&c);
        } else if (op != LNS_negate_stmt && op != LNS_set_basic_block) {
            for (unsigned i = 0; i < u->opcode_lengths[op - 1]; i++) /* unknown: skip its operands */
                uleb(&c);
        }
        if (!row)
            continue;
        if (have_prev && prev_addr <= vaddr && vaddr < addr && prev_line > 0) {
            *file = prev_file;
            *line = (unsigned)prev_line;
            return true;
        }
        have_prev = !end;
        prev_addr = addr, prev_file = f, prev_line = l;
        if (end)
            addr = 0, f = 1, l = 1;
    }
    return false;
}

static bool find_line(const struct dwarf *d, uint64_t vaddr, char *file, size_t cap, unsigned *line)
{
    struct cursor c = { d->line.p, d->line.end, false };
    struct unit u;
    while (!c.bad && c.p < c.end && read_unit(&c, d, &u)) {
        uint64_t index;
        if (run_program(&u, vaddr, &index, line))
            return file_name(&u, d, index, file, cap);
    }
    return false;
}

/* The sections of the mapped ELF file that find_line reads. */
static bool sections(const struct hk_elf *e, struct dwarf *d)
{
    if (e->shstrndx >= e->nsh || !hk_elf_section_ok(e, &e->sh[e->shstrndx]))
        return false;
    const Elf64_Shdr *names = &e->sh[e->shstrndx];
    struct span strtab = { e->f + names->sh_offset, e->f + names->sh_offset + names->sh_size };
    *d = (struct dwarf){ { NULL, NULL }, { NULL, NULL }, { NULL, NULL } };
    for (unsigned i = 0; i < e->nsh; i++) {
        const Elf64_Shdr *sh = &e->sh[i];
        const char *name = string_at(strtab, sh->sh_name);
        if (!name || sh->sh_type != SHT_PROGBITS || (sh->sh_flags & SHF_COMPRESSED) ||
            !hk_elf_section_ok(e, sh))
            continue;
        struct span s = { e->f + sh->sh_offset, e->f + sh->sh_offset + sh->sh_size };
        if (strcmp(name, ".debug_line") == 0)
            d->line = s;
        else if (strcmp(name, ".debug_line_str") == 0)
            d->line_str = s;
        else if (strcmp(name, ".debug_str") == 0)
            d->str = s;
    }
    return d->line.p != NULL;
}

bool hk_lineinfo_find(const char *path, uint64_t vaddr, char *file, size_t cap, unsigned *line)
{
    struct hk_elf e;
    if (cap == 0 || !hk_elf_map(path, &e))
        return false;
    struct dwarf d;
    bool found = sections(&e, &d) && find_line(&d, vaddr, file, cap, line);
    hk_elf_unmap(&e);
    return found;
}
