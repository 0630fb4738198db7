/* debugcache.c — separate debug files kept with their sections decompressed,
 * by build id, in the user's cache directory (as perf keeps ~/.debug), so
 * libdw maps them at the next run instead of inflating them again. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#if HK_CONFIG_LIBDW
#include <gelf.h>
#endif
#include "cli.h"

#define CACHE_SUBDIR "hakmem/debuginfo"
#define DEBUG_DIR "/usr/lib/debug/.build-id" /* where Debian's -dbg packages put them */

int hk_debugcache_id_path(const char *root, const unsigned char *id, int len, char *out,
                          size_t cap)
{
    char hex[2 * 64 + 1];
    if (len < 2 || len > 64)
        return -1;
    for (int i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    int n = snprintf(out, cap, "%s/%.2s/%s.debug", root ? root : DEBUG_DIR, hex, hex + 2);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int hk_debugcache_dir(char *dir, size_t cap)
{
    const char *own = getenv("HAKMEM_DEBUG_CACHE"), *xdg = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    int n;
    if (own)
        n = *own && strcmp(own, "0") != 0 ? snprintf(dir, cap, "%s", own) : -1;
    else if (xdg && *xdg == '/')
        n = snprintf(dir, cap, "%s/" CACHE_SUBDIR, xdg);
    else if (home && *home == '/')
        n = snprintf(dir, cap, "%s/.cache/" CACHE_SUBDIR, home);
    else
        n = -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

#if HK_CONFIG_LIBDW

/* mkdir -p of dir, each level made 0700. */
static int make_dirs(char *dir)
{
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        int rc = mkdir(dir, 0700);
        *p = c;
        if (rc != 0 && errno != EEXIST)
            return -1;
        if (!c)
            return 0;
    }
}

/* 1 when fd is a regular ELF file with a compressed section (SHF_COMPRESSED). */
static int has_compressed(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    int found = 0;
    for (Elf_Scn *s = NULL; e && !found && (s = elf_nextscn(e, s));) {
        GElf_Shdr sh;
        found = gelf_getshdr(s, &sh) && (sh.sh_flags & SHF_COMPRESSED);
    }
    elf_end(e);
    return found;
}

/* The file at fd copied into out, its compressed sections decompressed and
 * the file laid out again by libelf; 0 or -1. */
static int write_decompressed(int fd, int out)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    for (off_t at = 0; at < st.st_size;)
        if (sendfile(out, fd, &at, (size_t)(st.st_size - at)) <= 0)
            return -1;
    Elf *e = elf_begin(out, ELF_C_RDWR, NULL);
    int rc = e ? 0 : -1;
    for (Elf_Scn *s = NULL; rc == 0 && (s = elf_nextscn(e, s));) {
        GElf_Shdr sh;
        if (!gelf_getshdr(s, &sh))
            rc = -1;
        else if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(s, 0, 0) < 0)
            rc = -1;
    }
    if (rc == 0 && elf_update(e, ELF_C_WRITE) < 0)
        rc = -1;
    elf_end(e);
    return rc;
}

/* The cached copy at path, when it is a regular file of ours. */
static int open_cached(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
                    st.st_size == 0)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Makes the cached copy of the debug file at fd under dir as path; its fd, or -1. */
static int fill(int fd, char *dir, const char *path)
{
    char tmp[PATH_MAX];
    if (make_dirs(dir) != 0 || snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return -1;
    int out = mkstemp(tmp); /* 0600 */
    if (out < 0)
        return -1;
    int ok = write_decompressed(fd, out) == 0 && rename(tmp, path) == 0;
    close(out);
    if (!ok) {
        unlink(tmp);
        return -1;
    }
    return open_cached(path);
}

int hk_debugcache_open(const char *root, const unsigned char *id, int len, char **name)
{
    char dir[PATH_MAX - 160], path[PATH_MAX], orig[PATH_MAX];
    if (len < 4 || hk_debugcache_dir(dir, sizeof dir) != 0 ||
        hk_debugcache_id_path(root, id, len, orig, sizeof orig) != 0 ||
        elf_version(EV_CURRENT) == EV_NONE)
        return -1;
    /* the cached copy: the build id's hex in one name (orig without the slash) */
    const char *sub = orig + strlen(orig) - (2 * (size_t)len + 7);
    snprintf(path, sizeof path, "%s/%.2s%s", dir, sub, sub + 3);
    int c = open_cached(path);
    if (c < 0) {
        int fd = open(orig, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        c = fd >= 0 && has_compressed(fd) ? fill(fd, dir, path) : -1;
        if (fd >= 0)
            close(fd);
    }
    char *copy = c >= 0 ? strdup(path) : NULL;
    if (c >= 0 && !copy) {
        close(c);
        return -1;
    }
    if (c >= 0) {
        free(*name);
        *name = copy;
    }
    return c;
}

#else
int hk_debugcache_open(const char *root, const unsigned char *id, int len, char **name)
{
    (void)root, (void)id, (void)len, (void)name;
    return -1; /* without libdw nobody reads DWARF */
}
#endif
